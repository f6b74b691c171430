"""Actions: who sees and changes them, their life (proposed → planned → in progress → done, or
abandoned; reopening is explicit), updates, evaluation, referral to another body, the lists
and the board, and the follow-up a meeting shows (DESIGN.md §3–§4).

Only the members of the action's body see it, plus the members of the bodies it was referred
from (they keep reading its history); only the lead organisation's members, the body's chair
and secretaries (and the staff) change it; partner organisations post updates. Every change
is audited and committed by its function here, with the mail it queues; the routes never
commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, exists, false, func, or_, true
from sqlalchemy import select as sa_select
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.actions.enums import OPEN_STATUSES, REOPEN, STATUS_MOVES, ActionKind, ActionStatus, Effect, Event
from veille.actions.models import (
    Action,
    ActionBase,
    ActionCreate,
    ActionEntry,
    ActionEntryIn,
    ActionPartner,
    ActionSituation,
    ActionUpdate,
    EvaluationIn,
    ReferIn,
)
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory import service as directory
from veille.directory.models import Organisation, User
from veille.directory.service import is_staff
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.meetings import access as meetings
from veille.meetings.enums import MeetingStatus
from veille.orm import utcnow
from veille.pagination import Page, numbered_page
from veille.situations import service as situations
from veille.situations.service import Viewer, viewer_for

STALE = N_("Someone else changed this action in the meantime. Reload it and try again.")
MOVE = N_("This action cannot go to that status from its current one.")
REOPEN_FIRST = N_("This action is finished: reopen it explicitly to change its status.")
NOT_DONE = N_("An action is evaluated once it is done.")
GROUP_END = N_("In a crime-treatment group, every action is due by the group's end date.")
GUESTS = N_("Guests do not record actions.")
OWN_LEAD = N_("You may record actions led by your organisation; the secretaries record the others.")
DUE_SOON = timedelta(days=14)
BOARD_LIMIT = 200
FOLLOW_UP_LIMIT = 100

__all__ = ["Viewer", "viewer_for"]


# Who sees what


def visible(viewer: Viewer) -> ColumnElement[bool]:
    """Actions of the person's bodies, and those referred away from them."""
    if viewer.content_ids is None:
        return true()
    if not viewer.content_ids:
        return false()
    ids = sorted(viewer.content_ids)
    return or_(
        col(Action.body_id).in_(ids),
        exists().where(
            col(ActionEntry.action_id) == Action.id,
            col(ActionEntry.event) == Event.referred,
            col(ActionEntry.from_body_id).in_(ids),
        ),
    )


@dataclass(frozen=True)
class ActionAccess:
    action: Action
    viewer: Viewer
    body: Body
    partner_ids: frozenset[int]

    @property
    def in_body(self) -> bool:
        """False for a member of a body the action was referred from: they read, no more."""
        return self.viewer.sees_body(self.action.body_id)

    @property
    def body_open(self) -> bool:
        return self.body.status == BodyStatus.active

    @property
    def manages(self) -> bool:
        return self.in_body and (is_staff(self.viewer.user) or self.action.body_id in self.viewer.manage_ids)

    @property
    def leads(self) -> bool:
        return self.in_body and self.viewer.organisation_id == self.action.lead_organisation_id

    @property
    def can_change(self) -> bool:
        return self.body_open and (self.manages or self.leads)

    @property
    def can_post_update(self) -> bool:
        return self.can_change or (
            self.body_open and self.in_body and self.viewer.organisation_id in self.partner_ids
        )

    @property
    def can_evaluate(self) -> bool:
        return self.can_change and self.action.status == ActionStatus.done

    @property
    def can_refer(self) -> bool:
        return self.body_open and self.manages

    def _require(self, allowed: bool) -> None:
        if self.in_body and not self.body_open:
            raise Conflict(bodies.CLOSED)
        if not allowed:
            raise Forbidden()

    def require_change(self) -> None:
        self._require(self.can_change)

    def require_update(self) -> None:
        self._require(self.can_post_update)

    def require_refer(self) -> None:
        self._require(self.can_refer)


Link = type[ActionPartner] | type[ActionSituation]


def _linked(session: Session, model: Link, column: str, action_ids: Iterable[int]) -> dict[int, list[int]]:
    """The ids a link table holds for each action (one query)."""
    ids = sorted(set(action_ids))
    result: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        found = session.exec(
            select(model.action_id, getattr(model, column)).where(col(model.action_id).in_(ids))
        ).all()
        for action_id, other in found:
            result[action_id].append(other)
    return result


def partners_of(session: Session, action_ids: Iterable[int]) -> dict[int, list[int]]:
    return _linked(session, ActionPartner, "organisation_id", action_ids)


def situations_of(session: Session, action_ids: Iterable[int]) -> dict[int, list[int]]:
    return _linked(session, ActionSituation, "situation_id", action_ids)


def get_action(session: Session, viewer: Viewer, action_id: int) -> ActionAccess:
    """404 for an action the person may not see."""
    action = session.exec(select(Action).where(Action.id == action_id, visible(viewer))).first()
    if action is None:
        raise NotFound()
    body = session.exec(
        select(Body).where(Body.id == action.body_id).options(selectinload(Body.sectors))  # type: ignore[arg-type]
    ).one()
    partners = frozenset(partners_of(session, [action_id])[action_id])
    return ActionAccess(action=action, viewer=viewer, body=body, partner_ids=partners)


# The rules of an action's content


def check_due(body: Body, due_on: date | None) -> None:
    """A crime-treatment group works against the clock: every action is due by its end date."""
    ends_on = body.ends_on if body.kind == BodyKind.crime_treatment_group else None
    if ends_on is not None and (due_on is None or due_on > ends_on):
        raise InvalidInput({"due_on": GROUP_END})


def _check(
    session: Session, viewer: Viewer, body: Body, data: ActionBase, current: Action | None = None
) -> tuple[list[int], list[int]]:
    """Every rule of the action's content at once; the partners and reports it will hold."""
    errors: dict[str, str] = {}
    organisations = {o.id: o for o in directory.list_organisations(session)}
    lead = organisations.get(data.lead_organisation_id)
    current_lead = current.lead_organisation_id if current else None
    if lead is None or (not lead.active and lead.id != current_lead):
        errors["lead_organisation_id"] = N_("Choose among the active organisations.")
    partners = sorted(set(data.partner_organisation_ids) - {data.lead_organisation_id})
    if any(p not in organisations for p in partners):
        errors["partner_organisation_ids"] = N_("Choose among the active organisations.")
    # An owner who has since left the body stays until someone reassigns the action (or gives
    # it another lead).
    owner_kept = (
        current is not None
        and data.owner_id == current.owner_id
        and data.lead_organisation_id == current.lead_organisation_id
    )
    if (
        data.owner_id is not None
        and not owner_kept
        and not _may_own(session, body, data.owner_id, data.lead_organisation_id)
    ):
        errors["owner_id"] = N_(
            "Choose a member of the body from the lead organisation, or one of its chair or secretaries."
        )
    try:
        check_due(body, data.due_on)
    except InvalidInput as exc:
        errors |= exc.errors
    kept: list[int] = []
    if current is not None and current.id is not None:
        # Reports linked by someone who could read them stay linked.
        linked = situations_of(session, [current.id])[current.id]
        kept = sorted(set(linked) - situations.full_ids(session, viewer, linked))
    wanted = set(data.situation_ids) - set(kept)
    if wanted != situations.readable_in_body(session, viewer, wanted, body.id or 0):
        errors["situation_ids"] = N_("Choose reports of this body that you can read.")
    # A referred action keeps the problem file of the body it came from, as it keeps its reports.
    if (
        data.problem_id is not None
        and data.problem_id != (current.problem_id if current else None)
        and situations.problem_in_body(session, data.problem_id, body.id or 0) is None
    ):
        errors["problem_id"] = N_("Choose a problem file of this body.")
    if errors:
        raise InvalidInput(errors)
    return partners, sorted(wanted | set(kept))


def _may_own(session: Session, body: Body, user_id: int, lead_organisation_id: int) -> bool:
    if user_id not in bodies.content_member_ids(session, body):
        return False
    owner = session.get(User, user_id)
    if owner is None:
        return False
    return owner.organisation_id == lead_organisation_id or bodies.roles_of(session, owner).get(
        body.id or 0
    ) in (MemberRole.chair, MemberRole.secretary)


def owner_candidates(session: Session, body: Body) -> list[User]:
    """Who may own an action of the body: its content members (the form narrows by lead)."""
    ids = bodies.content_member_ids(session, body)
    return sorted(situations.people(session, ids).values(), key=lambda u: u.name)


def _set_links(session: Session, action: Action, model: Link, ids: list[int]) -> None:
    column = "organisation_id" if model is ActionPartner else "situation_id"
    current = set(session.exec(select(getattr(model, column)).where(col(model.action_id) == action.id)).all())
    for other in current - set(ids):
        row = session.get(model, (action.id, other))
        if row is not None:
            session.delete(row)
    for other in sorted(set(ids) - current):
        session.add(model(action_id=action.id or 0, **{column: other}))


def _decision(
    session: Session, viewer: Viewer, body: Body, data: ActionCreate
) -> tuple[int | None, int | None]:
    """The meeting (and agenda item) that decided the action: of its body, not cancelled."""
    meeting_id, item_id = data.meeting_id, data.agenda_item_id
    try:
        if item_id is not None:
            access, item = meetings.get_item_access(session, viewer, item_id)
            meeting_id = item.meeting_id
        elif meeting_id is not None:
            access = meetings.get_meeting_access(session, viewer, meeting_id)
        else:
            return None, None
    except NotFound as exc:
        raise InvalidInput({"meeting_id": N_("Choose a meeting of this body.")}) from exc
    if access.meeting.body_id != body.id or access.meeting.status == MeetingStatus.cancelled:
        raise InvalidInput({"meeting_id": N_("Choose a meeting of this body.")})
    if access.locked:
        raise InvalidInput({"meeting_id": meetings.LOCKED})
    return meeting_id, item_id


def _entry(session: Session, action: Action, user: User, event: Event, **values: object) -> ActionEntry:
    entry = ActionEntry(action_id=action.id or 0, event=event, author_id=user.id, **values)  # type: ignore[arg-type]
    session.add(entry)
    return entry


def create_action(session: Session, *, user: User, data: ActionCreate) -> Action:
    """A new action in the caller's transaction, without mail (the demo loads actions so);
    pages and API record through ``record_action``."""
    access = bodies.contributor_access(session, user, data.body_id, guests=GUESTS)
    if not access.can_manage and data.lead_organisation_id != user.organisation_id:
        raise Forbidden(OWN_LEAD)
    if data.status not in OPEN_STATUSES:
        raise InvalidInput({"status": N_("A new action is proposed, planned or in progress.")})
    viewer = viewer_for(session, user)
    partners, linked = _check(session, viewer, access.body, data)
    meeting_id, item_id = _decision(session, viewer, access.body, data)
    action = Action(
        body_id=data.body_id,
        title=data.title,
        description=data.description,
        kind=data.kind,
        lead_organisation_id=data.lead_organisation_id,
        owner_id=data.owner_id,
        due_on=data.due_on,
        status=data.status,
        progress=data.progress,
        problem_id=data.problem_id,
        meeting_id=meeting_id,
        agenda_item_id=item_id,
        created_by=user.id,
    )
    session.add(action)
    session.flush()
    _set_links(session, action, ActionPartner, partners)
    _set_links(session, action, ActionSituation, linked)
    _entry(session, action, user, Event.created, status=action.status, progress=action.progress)
    audit.record(
        session, user_id=user.id, verb="create", entity="action", entity_id=action.id, body_id=data.body_id
    )
    return action


def record_action(session: Session, *, user: User, data: ActionCreate, settings: Settings) -> Action:
    """Records an action with the mail of its owner, and commits."""
    from veille.actions import flows  # flows builds on this module

    action = create_action(session, user=user, data=data)
    flows.assigned(session, action=action, actor=user, settings=settings)
    session.commit()
    return action


def _locked(session: Session, action: Action, version: int) -> None:
    session.refresh(action, with_for_update=True)
    if action.version != version:
        raise Conflict(STALE)


def _move(action: Action, status: ActionStatus, *, reopen: bool) -> Event | None:
    """Applies a status change along the allowed moves; the history event it makes."""
    if status == action.status:
        return None
    if reopen:
        if REOPEN.get(action.status) != status:
            raise Conflict(MOVE)
        action.done_at = None
        action.evaluation, action.effect, action.indicator = "", None, ""
        action.evaluated_at = action.evaluated_by = None
        event = Event.reopened
    elif status in STATUS_MOVES[action.status]:
        event = Event.status
    else:
        raise Conflict(REOPEN_FIRST if action.status in REOPEN else MOVE)
    action.status = status
    if status == ActionStatus.done:
        action.progress, action.done_at = 100, utcnow()
    return event


def _touch(action: Action) -> None:
    action.version += 1
    action.updated_at = utcnow()


def update_action(
    session: Session, *, access: ActionAccess, data: ActionUpdate, settings: Settings
) -> Action:
    """Changes an action, mails a new owner, and commits."""
    from veille.actions import flows  # flows builds on this module

    access.require_change()
    action = access.action
    _locked(session, action, data.version)
    owner = action.owner_id
    user = access.viewer.user
    partners, linked = _check(session, access.viewer, access.body, data, current=action)
    event = _move(action, data.status, reopen=data.reopen)
    action.title, action.description, action.kind = data.title, data.description, data.kind
    action.lead_organisation_id, action.owner_id, action.due_on = (
        data.lead_organisation_id,
        data.owner_id,
        data.due_on,
    )
    action.problem_id = data.problem_id
    if action.status != ActionStatus.done:
        action.progress = data.progress
    _touch(action)
    session.add(action)
    _set_links(session, action, ActionPartner, partners)
    _set_links(session, action, ActionSituation, linked)
    if event is not None:
        _entry(session, action, user, event, status=action.status, progress=action.progress)
    moved = {"status": str(action.status)} if event is not None else {}
    audit.record(session, user_id=user.id, verb="update", entity="action", entity_id=action.id, **moved)
    if action.owner_id != owner:
        flows.assigned(session, action=action, actor=user, settings=settings)
    session.commit()
    return action


def set_status(
    session: Session, *, access: ActionAccess, status: ActionStatus, version: int, reopen: bool = False
) -> Action:
    access.require_change()
    action = access.action
    _locked(session, action, version)
    event = _move(action, status, reopen=reopen)
    if event is None:
        session.commit()  # ends the lock taken to compare versions
        return action
    _touch(action)
    session.add(action)
    _entry(session, action, access.viewer.user, event, status=status, progress=action.progress)
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="reopen" if event == Event.reopened else "status",
        entity="action",
        entity_id=action.id,
        status=str(status),
    )
    session.commit()
    return action


def add_update(session: Session, *, access: ActionAccess, data: ActionEntryIn) -> ActionEntry:
    """A dated update from the lead or a partner; its progress becomes the action's."""
    access.require_update()
    action = access.action
    session.refresh(action, with_for_update=True)
    # A finished action keeps its progress: the note says what happened after, not how far.
    progress = data.progress if action.status in OPEN_STATUSES else None
    if progress is not None:
        action.progress = progress
    _touch(action)
    session.add(action)
    entry = _entry(session, action, access.viewer.user, Event.note, text=data.text, progress=progress)
    session.flush()
    audit.record(
        session, user_id=access.viewer.user.id, verb="update_posted", entity="action", entity_id=action.id
    )
    session.commit()
    return entry


def evaluate(session: Session, *, access: ActionAccess, data: EvaluationIn) -> Action:
    access.require_change()
    action = access.action
    session.refresh(action, with_for_update=True)
    if action.status != ActionStatus.done:
        raise Conflict(NOT_DONE)
    user = access.viewer.user
    action.evaluation, action.effect, action.indicator = data.summary, data.effect, data.indicator
    action.evaluated_at, action.evaluated_by = utcnow(), user.id
    _touch(action)
    session.add(action)
    _entry(session, action, user, Event.evaluated, text=data.summary)
    audit.record(
        session,
        user_id=user.id,
        verb="evaluate",
        entity="action",
        entity_id=action.id,
        effect=str(data.effect),
    )
    session.commit()
    return action


def referral_targets(session: Session, access: ActionAccess) -> list[Body]:
    """The open bodies whose content the person sees (not as a guest, nor with the charter
    pending), other than the action's."""
    return [
        b
        for b in bodies.visible_bodies(session, access.viewer.user)
        if b.status == BodyStatus.active
        and b.id != access.action.body_id
        and access.viewer.sees_body(b.id or 0)
    ]


def refer(session: Session, *, access: ActionAccess, data: ReferIn) -> Action:
    """Hands the action and its reports to another body; the history stays readable to the
    body it leaves (DESIGN.md §4: its reports are read there as in their own body)."""
    access.require_refer()
    action = access.action
    user = access.viewer.user
    target = next((b for b in referral_targets(session, access) if b.id == data.body_id), None)
    if target is None:
        raise InvalidInput({"body_id": N_("Choose another open body.")})
    linked = situations_of(session, [action.id or 0])[action.id or 0]
    if target.kind == BodyKind.plenary and situations.any_confidential(session, linked):
        raise InvalidInput({"body_id": situations.PLENARY})
    due_on = data.due_on or action.due_on
    check_due(target, due_on)
    session.refresh(action, with_for_update=True)
    source = action.body_id
    action.body_id, action.due_on = target.id or 0, due_on
    if action.owner_id is not None and action.owner_id not in bodies.content_member_ids(session, target):
        action.owner_id = None
    _touch(action)
    session.add(action)
    situations.refer(session, linked, target.id or 0)
    _entry(session, action, user, Event.referred, from_body_id=source, to_body_id=target.id)
    audit.record(
        session,
        user_id=user.id,
        verb="refer",
        entity="action",
        entity_id=action.id,
        from_body_id=source,
        to_body_id=target.id,
    )
    session.commit()
    return action


def history(session: Session, *, access: ActionAccess) -> list[ActionEntry]:
    return list(
        session.exec(
            select(ActionEntry)
            .where(ActionEntry.action_id == access.action.id)
            .order_by(col(ActionEntry.created_at), col(ActionEntry.id))
        ).all()
    )


# Lists


@dataclass(frozen=True)
class Filters:
    body_id: int | None = None
    kind: str | None = None
    status: ActionStatus | None = None
    lead_organisation_id: int | None = None
    owner_id: int | None = None
    # The lead or a partner: "my organisation's actions".
    organisation_id: int | None = None
    due_before: date | None = None
    overdue: bool = False
    open_only: bool = False


def query(viewer: Viewer, filters: Filters, today: date) -> SelectOfScalar[Action]:
    stmt = select(Action).where(visible(viewer))
    if filters.body_id is not None:
        stmt = stmt.where(Action.body_id == filters.body_id)
    if filters.kind:
        stmt = stmt.where(Action.kind == filters.kind)
    if filters.status is not None:
        stmt = stmt.where(Action.status == filters.status)
    if filters.lead_organisation_id is not None:
        stmt = stmt.where(Action.lead_organisation_id == filters.lead_organisation_id)
    if filters.owner_id is not None:
        stmt = stmt.where(Action.owner_id == filters.owner_id)
    if filters.organisation_id is not None:
        stmt = stmt.where(
            or_(
                col(Action.lead_organisation_id) == filters.organisation_id,
                exists().where(
                    col(ActionPartner.action_id) == Action.id,
                    col(ActionPartner.organisation_id) == filters.organisation_id,
                ),
            )
        )
    if filters.due_before is not None:
        stmt = stmt.where(col(Action.due_on) <= filters.due_before)
    if filters.overdue:
        stmt = stmt.where(_overdue(today))
    if filters.open_only or filters.overdue:
        stmt = stmt.where(col(Action.status).in_(OPEN_STATUSES))
    return stmt


def _overdue(today: date) -> ColumnElement[bool]:
    return and_(col(Action.status).in_(OPEN_STATUSES), col(Action.due_on) < today)


def by_due_date(stmt: SelectOfScalar[Action]) -> SelectOfScalar[Action]:
    """Soonest due first, those without a date last."""
    return stmt.order_by(col(Action.due_on).is_(None), col(Action.due_on), col(Action.id))


@dataclass(frozen=True)
class Row:
    """An action as lists and the board show it."""

    action: Action
    body: Body | None
    lead: Organisation | None
    owner: User | None
    today: date

    @property
    def open(self) -> bool:
        return self.action.status in OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        return self.open and self.action.due_on is not None and self.action.due_on < self.today

    @property
    def due_soon(self) -> bool:
        due = self.action.due_on
        return self.open and due is not None and self.today <= due <= self.today + DUE_SOON

    @property
    def days_left(self) -> int | None:
        return (self.action.due_on - self.today).days if self.action.due_on else None


def rows(session: Session, actions: Sequence[Action], today: date) -> list[Row]:
    """Decorates a page of actions in a fixed number of queries."""
    if not actions:
        return []
    body_ids = sorted({a.body_id for a in actions})
    body_by_id = {b.id: b for b in session.exec(select(Body).where(col(Body.id).in_(body_ids))).all()}
    organisations = {o.id: o for o in directory.list_organisations(session)}
    owners = situations.people(session, {a.owner_id for a in actions if a.owner_id})
    return [
        Row(
            action=a,
            body=body_by_id.get(a.body_id),
            lead=organisations.get(a.lead_organisation_id),
            owner=owners.get(a.owner_id) if a.owner_id else None,
            today=today,
        )
        for a in actions
    ]


def owners(session: Session, viewer: Viewer) -> list[User]:
    """The owners of the actions the person sees (the table's filter offers them)."""
    ids = session.exec(
        select(Action.owner_id).where(visible(viewer), col(Action.owner_id).is_not(None)).distinct()
    ).all()
    return sorted(situations.people(session, {i for i in ids if i}).values(), key=lambda u: u.name)


def table(
    session: Session, viewer: Viewer, filters: Filters, *, page: int, today: date
) -> tuple[Page[Action], list[Row]]:
    result = numbered_page(session, by_due_date(query(viewer, filters, today)), page)
    return result, rows(session, result.items, today)


@dataclass(frozen=True)
class Column:
    status: ActionStatus
    rows: list[Row]
    more: bool


def board(session: Session, access: bodies.BodyAccess, today: date) -> list[Column]:
    """The body's actions by status, soonest due first (finished ones: the latest)."""
    access.require_members()
    columns = []
    for status in ActionStatus:
        stmt = select(Action).where(Action.body_id == access.body.id, Action.status == status)
        if status in OPEN_STATUSES:
            stmt = by_due_date(stmt)
        else:
            stmt = stmt.order_by(col(Action.updated_at).desc(), col(Action.id).desc())
        found = list(session.exec(stmt.limit(BOARD_LIMIT + 1)).all())
        columns.append(Column(status=status, rows=[], more=len(found) > BOARD_LIMIT))
        columns[-1].rows.extend(rows(session, found[:BOARD_LIMIT], today))
    return columns


def movable(access: bodies.BodyAccess, columns: list[Column]) -> set[int]:
    """The board's cards this person may move (``ActionAccess.can_change`` for a whole board):
    all for the chair, the secretaries and the staff, their organisation's for the others."""
    if access.body.status != BodyStatus.active or not access.can_see_members:
        return set()
    return {
        r.action.id or 0
        for column in columns
        for r in column.rows
        if access.can_manage or r.action.lead_organisation_id == access.user.organisation_id
    }


def may_record(session: Session, user: User, body: Body) -> bool:
    """Whether the person may record actions in the body (``contributor_access`` as a yes/no)."""
    if body.status != BodyStatus.active:
        return False
    try:
        access = bodies.get_body_access(session, user, body.id or 0)
    except NotFound:
        return False
    return access.can_see_members


# What a meeting shows


@dataclass(frozen=True)
class FollowUp:
    """An action of the body and what changed on it since the last meeting."""

    row: Row
    entries: list[ActionEntry] = field(default_factory=list)


def follow_up(
    session: Session, viewer: Viewer, body_id: int, since: datetime | None, until: datetime, today: date
) -> list[FollowUp]:
    """The standing item "follow-up of actions": every open action of the body, and those
    finished since the last meeting, each with its history since then."""
    if not viewer.sees_body(body_id):
        return []
    recent = col(ActionEntry.created_at) >= since if since is not None else true()
    changed = exists().where(col(ActionEntry.action_id) == Action.id, recent)
    stmt = select(Action).where(
        Action.body_id == body_id,
        col(Action.created_at) < until,
        or_(col(Action.status).in_(OPEN_STATUSES), changed),
    )
    found = list(session.exec(by_due_date(stmt).limit(FOLLOW_UP_LIMIT)).all())
    ids = [a.id for a in found if a.id is not None]
    entries: dict[int, list[ActionEntry]] = {i: [] for i in ids}
    if ids:
        for entry in session.exec(
            select(ActionEntry)
            .where(col(ActionEntry.action_id).in_(ids), recent, col(ActionEntry.created_at) < until)
            .order_by(col(ActionEntry.created_at), col(ActionEntry.id))
        ).all():
            entries[entry.action_id].append(entry)
    return [FollowUp(row=r, entries=entries[r.action.id or 0]) for r in rows(session, found, today)]


def decided_at(session: Session, viewer: Viewer, meeting_id: int) -> list[Action]:
    """The actions a meeting decided (its minutes' decisions), as far as the person sees them."""
    return list(
        session.exec(
            select(Action)
            .where(Action.meeting_id == meeting_id, visible(viewer))
            .order_by(col(Action.agenda_item_id), col(Action.id))
        ).all()
    )


def ids_in_body(session: Session, viewer: Viewer, ids: Iterable[int], body_id: int) -> set[int]:
    """Which of these actions are the body's and seen by the person (an agenda item links them)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    found = session.exec(
        select(Action.id).where(col(Action.id).in_(wanted), Action.body_id == body_id, visible(viewer))
    ).all()
    return {i for i in found if i is not None}


def linked_rows(session: Session, viewer: Viewer, ids: Iterable[int], today: date) -> list[Row]:
    """These actions as far as the person sees them (an agenda item's), soonest due first."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    stmt = select(Action).where(col(Action.id).in_(wanted), visible(viewer))
    return rows(session, session.exec(by_due_date(stmt)).all(), today)


def people(session: Session, user_ids: Iterable[int]) -> dict[int, User]:
    return situations.people(session, user_ids)


# Counts for statistics

COUNT_GROUPS = ("kind", "status", "lead_organisation", "body", "month", "effect")


@dataclass(frozen=True)
class CountFilters:
    body_ids: tuple[int, ...] = ()
    kinds: tuple[str, ...] = ()
    # Days the actions were recorded, in the city's time zone, both included.
    since: date | None = None
    until: date | None = None


def _counted(viewer: Viewer, filters: CountFilters, zone: ZoneInfo) -> list[ColumnElement[bool]]:
    where = [visible(viewer)]
    if filters.body_ids:
        where.append(col(Action.body_id).in_(filters.body_ids))
    if filters.kinds:
        where.append(col(Action.kind).in_(filters.kinds))
    if filters.since is not None:
        where.append(col(Action.created_at) >= datetime.combine(filters.since, time(), tzinfo=zone))
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), tzinfo=zone)
        where.append(col(Action.created_at) < end)
    return where


def count(
    session: Session,
    viewer: Viewer,
    group_by: Sequence[str],
    filters: CountFilters,
    today: date,
    zone: ZoneInfo,
) -> list[tuple[tuple[Any, ...], int, int]]:
    """``[((key, …), n, overdue), …]`` of the actions the person sees (``month``: of their
    recording, in the city's time zone); one query."""
    unknown = [g for g in group_by if g not in COUNT_GROUPS]
    if unknown:
        raise ValueError(f"unknown grouping: {unknown}")
    from veille.situations.counts import month_of  # the same month rule as the reports'

    columns: dict[str, Any] = {
        "kind": col(Action.kind),
        "status": col(Action.status),
        "lead_organisation": col(Action.lead_organisation_id),
        "body": col(Action.body_id),
        "month": month_of(session, col(Action.created_at), zone),
        "effect": col(Action.effect),
    }
    keys = [columns[g].label(g) for g in group_by]
    overdue = func.sum(case((_overdue(today), 1), else_=0))
    stmt = select(*keys, func.count(), overdue).where(*_counted(viewer, filters, zone))  # type: ignore[call-overload]
    if keys:
        stmt = stmt.group_by(*keys)
    return [
        (tuple(str(k) if isinstance(k, StrEnum) else k for k in row[:-2]), int(row[-2]), int(row[-1] or 0))
        for row in session.exec(stmt).all()
    ]


def completion_days(session: Session, viewer: Viewer, filters: CountFilters, zone: ZoneInfo) -> list[int]:
    """Days from recording to done of each done action the person sees (the median delay)."""
    found = session.exec(
        select(Action.created_at, Action.done_at).where(
            *_counted(viewer, filters, zone), col(Action.status) == ActionStatus.done
        )
    ).all()
    return sorted((done - created).days for created, done in found if done is not None)


# Actions by kind and status, and by effect: the reports of a group, a sector and the plenary

EFFECT_ORDER: tuple[Effect | None, ...] = (*Effect, None)


@dataclass(frozen=True)
class Counts:
    """Actions by kind and status."""

    cells: dict[tuple[ActionKind, ActionStatus], int]

    def get(self, kind: ActionKind, status: ActionStatus) -> int:
        return self.cells.get((kind, status), 0)

    def of_kind(self, kind: ActionKind) -> int:
        return sum(n for (k, _), n in self.cells.items() if k == kind)

    def of_status(self, status: ActionStatus) -> int:
        return sum(n for (_, s), n in self.cells.items() if s == status)

    @property
    def total(self) -> int:
        return sum(self.cells.values())

    @property
    def open(self) -> int:
        return sum(self.of_status(s) for s in OPEN_STATUSES)

    @property
    def done(self) -> int:
        return self.of_status(ActionStatus.done)

    @property
    def completion(self) -> int | None:
        """Done actions as a share of those not abandoned, in per cent."""
        counted = self.total - self.of_status(ActionStatus.abandoned)
        return round(self.done * 100 / counted) if counted else None


def effects(pairs: Iterable[tuple[Effect | None, int]]) -> list[tuple[Effect | None, int]]:
    """Finished actions by the effect observed (None: not evaluated yet), in a fixed order."""
    counts: Counter[Effect | None] = Counter()
    for effect, n in pairs:
        counts[effect] += n
    return [(e, counts[e]) for e in EFFECT_ORDER if counts[e]]


def _at_work(start: datetime, end: datetime) -> ColumnElement[bool]:
    """Actions at work during [start, end): decided before its end and not finished before its
    start (a finished action's end is when it was done, or abandoned: its last change)."""
    return and_(
        col(Action.created_at) < end,
        or_(
            col(Action.status).in_(OPEN_STATUSES),
            func.coalesce(col(Action.done_at), col(Action.updated_at)) >= start,
        ),
    )


def at_work(session: Session, body_ids: Iterable[int], start: datetime, end: datetime) -> list[Action]:
    """The bodies' actions at work during [start, end), soonest due first; the caller has
    checked that its reader sees these bodies."""
    ids = sorted(body_ids)
    if not ids:
        return []
    stmt = select(Action).where(col(Action.body_id).in_(ids), _at_work(start, end))
    return list(session.exec(by_due_date(stmt)).all())


def at_work_counts(
    session: Session, start: datetime, end: datetime
) -> list[tuple[int, ActionKind, ActionStatus, Effect | None, int]]:
    """Every body's actions at work during [start, end) by body, kind, status and effect:
    aggregates over all bodies, whoever reads (the plenary's annual report); one query."""
    found = session.execute(
        sa_select(col(Action.body_id), col(Action.kind), col(Action.status), col(Action.effect), func.count())
        .where(_at_work(start, end))
        .group_by(col(Action.body_id), col(Action.kind), col(Action.status), col(Action.effect))
    ).all()
    return [
        (body_id, ActionKind(kind), ActionStatus(status), Effect(effect) if effect else None, int(n))
        for body_id, kind, status, effect, n in found
    ]

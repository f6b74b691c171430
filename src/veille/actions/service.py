"""The changes of actions and who may make them: recording an action (from a meeting's
decision, a report, a problem file or on its own), changing it, moving its status, posting an
update, evaluating it and handing it over to another body (README.md, Actions; docs/confidentiality.md).

Only the members of the action's body see it, plus the members of the bodies it was referred
from (they keep reading its history); only the lead organisation's members, the body's chair
and secretaries (and the staff) change it; partner organisations post updates. Every change
is audited and committed by its function here, with the mail it queues; the routes never
commit. The rules of a change are ``actions.rules``'; the lists ``actions.lists``'.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from veille.access import MANAGING, Viewer
from veille.actions import flows, rules
from veille.actions.enums import OPEN_STATUSES, ActionStatus, Event
from veille.actions.lists import Link, partners_of, situations_of, visible
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
from veille.bodies.enums import BodyKind, BodyStatus
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory import service as directory
from veille.directory.models import User
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.meetings import access as meetings
from veille.meetings.enums import MeetingStatus
from veille.orm import utcnow
from veille.situations import feed, problems, reports, visibility
from veille.versions import bump, lock_version

GUESTS = N_("Guests do not record actions.")
OWN_LEAD = N_("You may record actions led by your organisation; the secretaries record the others.")


# Who may change what


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
        return self.in_body and self.viewer.manages(self.action.body_id)

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


# The content of an action


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
        rules.check_due(body, data.due_on)
    except InvalidInput as exc:
        errors |= exc.errors
    kept: list[int] = []
    if current is not None and current.id is not None:
        # Reports linked by someone who could read them stay linked.
        linked = situations_of(session, [current.id])[current.id]
        kept = sorted(set(linked) - visibility.full_ids(session, viewer, linked))
    wanted = set(data.situation_ids) - set(kept)
    if wanted != visibility.readable_in_body(session, viewer, wanted, body.id or 0):
        errors["situation_ids"] = N_("Choose reports of this body that you can read.")
    # A referred action keeps the problem file of the body it came from, as it keeps its reports.
    if (
        data.problem_id is not None
        and data.problem_id != (current.problem_id if current else None)
        and problems.problem_in_body(session, data.problem_id, body.id or 0) is None
    ):
        errors["problem_id"] = N_("Choose a problem file of this body.")
    if errors:
        raise InvalidInput(errors)
    return partners, sorted(wanted | set(kept))


def _may_own(session: Session, body: Body, user_id: int, lead_organisation_id: int) -> bool:
    """A member who sees the body's content, from the lead organisation or its chair or a
    secretary."""
    if user_id not in bodies.content_member_ids(session, body):
        return False
    owner = session.get(User, user_id)
    if owner is None:
        return False
    if owner.organisation_id == lead_organisation_id:
        return True
    return bodies.get_body_access(session, owner, body.id or 0).role in MANAGING


def owner_candidates(session: Session, body: Body) -> list[User]:
    """Who may own an action of the body: its content members (the form narrows by lead)."""
    ids = bodies.content_member_ids(session, body)
    return sorted(feed.people(session, ids).values(), key=lambda u: u.name)


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


def _touch(action: Action) -> None:
    bump(action)
    action.updated_at = utcnow()


# The changes


def create_action(session: Session, *, viewer: Viewer, data: ActionCreate) -> Action:
    """A new action in the caller's transaction, without mail (the demo loads actions so);
    pages and API record through ``record_action``."""
    user = viewer.user
    access = bodies.contributor_access(session, user, data.body_id, guests=GUESTS)
    if not access.can_manage and data.lead_organisation_id != user.organisation_id:
        raise Forbidden(OWN_LEAD)
    if data.status not in OPEN_STATUSES:
        raise InvalidInput({"status": N_("A new action is proposed, planned or in progress.")})
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


def record_action(session: Session, *, viewer: Viewer, data: ActionCreate, settings: Settings) -> Action:
    """Records an action with the mail of its owner, and commits."""
    action = create_action(session, viewer=viewer, data=data)
    flows.assigned(session, action=action, actor=viewer.user, settings=settings)
    session.commit()
    return action


def update_action(
    session: Session, *, access: ActionAccess, data: ActionUpdate, settings: Settings
) -> Action:
    """Changes an action, mails a new owner, and commits."""
    access.require_change()
    action = lock_version(session, access.action, data.version, rules.STALE)
    owner = action.owner_id
    user = access.viewer.user
    partners, linked = _check(session, access.viewer, access.body, data, current=action)
    was_done = action.status == ActionStatus.done
    event = rules.move(action, data.status, reopen=data.reopen)
    action.title, action.description, action.kind = data.title, data.description, data.kind
    action.lead_organisation_id, action.owner_id, action.due_on = (
        data.lead_organisation_id,
        data.owner_id,
        data.due_on,
    )
    action.problem_id = data.problem_id
    if action.status != ActionStatus.done:
        action.progress = data.progress
        if event == Event.reopened and was_done and data.progress == 100:  # left as it was
            action.progress = _progress_before_done(session, action.id or 0)
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
    action = lock_version(session, access.action, version, rules.STALE)
    was_done = action.status == ActionStatus.done
    event = rules.move(action, status, reopen=reopen)
    if event is None:
        session.commit()  # ends the lock taken to compare versions
        return action
    if event == Event.reopened and was_done:
        action.progress = _progress_before_done(session, action.id or 0)
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


def _progress_before_done(session: Session, action_id: int) -> int:
    """The progress an action had when it was last marked done (done sets 100): reopened, it is
    back at it, not at 100 % beside "in progress" and its days late."""
    done = (
        select(func.max(ActionEntry.id))
        .where(col(ActionEntry.action_id) == action_id, col(ActionEntry.status) == ActionStatus.done)
        .scalar_subquery()
    )
    before = session.exec(
        select(ActionEntry.progress)
        .where(
            col(ActionEntry.action_id) == action_id,
            col(ActionEntry.id) < done,
            col(ActionEntry.progress).is_not(None),
        )
        .order_by(col(ActionEntry.id).desc())
        .limit(1)
    ).first()
    return before or 0


def add_update(session: Session, *, access: ActionAccess, data: ActionEntryIn) -> ActionEntry:
    """A dated update from the lead or a partner; its progress becomes the action's."""
    access.require_update()
    action = lock_version(session, access.action, None, rules.STALE)
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
    action = lock_version(session, access.action, None, rules.STALE)
    rules.require_done(action)
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


class Handover(NamedTuple):
    """An action handed over, and how many of its reports stayed in their body."""

    action: Action
    left: int


def refer(session: Session, *, access: ActionAccess, data: ReferIn) -> Handover:
    """Hands the action and the reports it answers to another body; the history stays readable
    to the body it leaves (docs/confidentiality.md: its reports are read there as in their own
    body). A report goes only with someone who may refer it on its own (who reads it whole and
    runs its body): a referral would open it to the receiving body's readers, which the person
    handing the action over may not decide for a report they do not read (a restricted report
    for the staff, a social one for all but its named organisations); those stay."""
    access.require_refer()
    action = access.action
    user = access.viewer.user
    target = next((b for b in referral_targets(session, access) if b.id == data.body_id), None)
    if target is None:
        raise InvalidInput({"body_id": N_("Choose another open body.")})
    linked = situations_of(session, [action.id or 0])[action.id or 0]
    if target.kind == BodyKind.plenary and reports.any_confidential(session, linked):
        raise InvalidInput({"body_id": reports.PLENARY})
    due_on = data.due_on or action.due_on
    rules.check_due(target, due_on)
    lock_version(session, action, None, rules.STALE)
    source = action.body_id
    action.body_id, action.due_on = target.id or 0, due_on
    if action.owner_id is not None and action.owner_id not in bodies.content_member_ids(session, target):
        action.owner_id = None
    _touch(action)
    session.add(action)
    carried = visibility.referable_ids(session, access.viewer, linked)
    reports.refer(session, carried, target.id or 0)
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
    return Handover(action, len(set(linked) - carried))


def history(session: Session, *, access: ActionAccess) -> list[ActionEntry]:
    return list(
        session.exec(
            select(ActionEntry)
            .where(ActionEntry.action_id == access.action.id)
            .order_by(col(ActionEntry.created_at), col(ActionEntry.id))
        ).all()
    )

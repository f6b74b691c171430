"""What a person sees of the actions, as lists: the filter of the actions they may see, the
table's filters (one model for the page, the API and the service), the rows lists and the
board show, a body's board by status, and the actions a meeting shows (its decisions, the
follow-up since the last meeting, those an agenda item links). Reading only: the changes are
``actions.service``'s, the counts ``actions.counts``'."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Annotated
from urllib.parse import urlencode

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, and_, exists, false, func, or_, true, union_all
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.access import Viewer
from veille.actions import rules
from veille.actions.enums import OPEN_STATUSES, ActionKind, ActionStatus, Event
from veille.actions.models import Action, ActionEntry, ActionPartner, ActionSituation
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus
from veille.bodies.models import Body
from veille.db import by_ids, contains_words
from veille.directory import service as directory
from veille.directory.models import Organisation, User
from veille.orm import PerDialect, among_ids, probe
from veille.pagination import Page, numbered_page
from veille.situations import feed
from veille.types import Day, Id, Int

FOLLOW_UP_LIMIT = 100
# An action's latest changes a meeting's follow-up shows; the earlier ones are counted, and its
# page has them all. An action moved every day, or by a tool, would otherwise fill the agenda.
FOLLOW_UP_ENTRIES = 5


def visible(viewer: Viewer) -> ColumnElement[bool]:
    """Actions of the person's bodies, and those referred away from them."""
    if viewer.content_ids is None:
        return true()
    if not viewer.content_ids:
        return false()
    ids = sorted(viewer.content_ids)
    own = select(Action.id).where(col(Action.body_id).in_(ids))
    referred = select(ActionEntry.action_id).where(
        col(ActionEntry.event) == Event.referred, col(ActionEntry.from_body_id).in_(ids)
    )
    # SQLite: as ids from both indexes (an OR with the hand-overs made it test each of a
    # metropolis's 60,000 actions, 130 of a partner's action table's 340 ms). PostgreSQL hashed
    # that union, every action of the person's bodies, to look up one action or nine (12 ms,
    # planned in 2): there, the body's test on the row, the hand-overs gathered in an array.
    return PerDialect(
        sqlite=col(Action.id).in_(union_all(own, referred)),
        postgresql=or_(col(Action.body_id).in_(ids), among_ids(col(Action.id), referred)),
    )


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


# The table


OWNER_MAX = 100


class Filters(BaseModel):
    """The filters of the action table: the page reads them from its query string, the API
    takes them as query parameters (``GET /actions``), and ``query`` applies them."""

    body_id: Id | None = None
    kind: ActionKind | None = None
    status: ActionStatus | None = None
    lead_organisation_id: Id | None = None
    owner_id: Id | None = None
    # Words of the owner's name: the page's owner filter, a search field rather than a list of
    # the two thousand people who own a metropolis's actions.
    owner: Annotated[str | None, Field(max_length=OWNER_MAX)] = None
    # The lead or a partner: "my organisation's actions".
    organisation_id: Id | None = None
    due_before: Day | None = None
    # Open and past its due date, in the city's time zone.
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
    if filters.owner and filters.owner.strip():
        named = select(User.id).where(contains_words(filters.owner, User.name))
        stmt = stmt.where(col(Action.owner_id).in_(named))
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
        stmt = stmt.where(rules.overdue(today))
    if filters.open_only or filters.overdue:
        stmt = stmt.where(col(Action.status).in_(OPEN_STATUSES))
    return stmt


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
        return rules.is_overdue(self.action, self.today)

    @property
    def due_soon(self) -> bool:
        return rules.is_due_soon(self.action, self.today)

    @property
    def days_left(self) -> int | None:
        return (self.action.due_on - self.today).days if self.action.due_on else None


def rows(session: Session, actions: Sequence[Action], today: date) -> list[Row]:
    """Decorates a page of actions in a fixed number of queries."""
    if not actions:
        return []
    body_by_id = by_ids(session, Body, (a.body_id for a in actions))
    organisations = {o.id: o for o in directory.list_organisations(session)}
    owners = feed.people(session, {a.owner_id for a in actions if a.owner_id})
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


def table(
    session: Session, viewer: Viewer, filters: Filters, *, page: int, today: date
) -> tuple[Page[Action], list[Row]]:
    result = numbered_page(session, by_due_date(query(viewer, filters, today)), page)
    return result, rows(session, result.items, today)


def people(session: Session, user_ids: Iterable[int]) -> dict[int, User]:
    return feed.people(session, user_ids)


# The board of a body


# A column shows this many cards at first (open ones soonest due first, finished ones the
# latest); "show more" adds as many again, up to BOARD_MAX. A longer column is for the table.
# Twenty-five: a screen or two of cards per column; fifty made a metropolis body's board 400 KB
# of HTML, most of its time spent drawing cards nobody scrolls to.
BOARD_STEP = {"open": 25, "finished": 10}
BOARD_MAX = 500


class BoardShown(BaseModel):
    """How many cards each column of a board shows, as its "show more" links ask (query
    parameters named after the statuses); a missing or out-of-range count takes the default."""

    proposed: Int = BOARD_STEP["open"]
    planned: Int = BOARD_STEP["open"]
    in_progress: Int = BOARD_STEP["open"]
    done: Int = BOARD_STEP["finished"]
    abandoned: Int = BOARD_STEP["finished"]

    def of(self, status: ActionStatus) -> int:
        shown: int = getattr(self, status.value)
        return shown if 0 < shown <= BOARD_MAX else self.step(status)

    @staticmethod
    def step(status: ActionStatus) -> int:
        return BOARD_STEP["open" if status in OPEN_STATUSES else "finished"]

    def showing(self, status: ActionStatus, count: int) -> str:
        """The query string of the board with this column at ``count`` cards, the others as
        they are (those at their default left out)."""
        counts = {s.value: self.of(s) for s in ActionStatus} | {status.value: count}
        return urlencode({k: n for k, n in counts.items() if n != self.step(ActionStatus(k))})


@dataclass(frozen=True)
class Column:
    status: ActionStatus
    rows: list[Row]
    # More cards than shown: "more than N", and a link to the next ones (None past BOARD_MAX).
    more: bool
    next_shown: int | None


def board(
    session: Session, access: bodies.BodyAccess, today: date, shown: BoardShown | None = None
) -> list[Column]:
    """The body's actions by status, each column bounded (``BoardShown``): one query for the
    columns (each its own slice, the slices put together) and three for all their cards'
    bodies, leads and owners, whatever the body holds."""
    access.require_members()
    shown = shown or BoardShown()
    slices = []
    for status in ActionStatus:
        stmt = select(Action).where(Action.body_id == access.body.id, Action.status == status)
        if status in OPEN_STATUSES:
            stmt = by_due_date(stmt)
        else:
            stmt = stmt.order_by(col(Action.updated_at).desc(), col(Action.id).desc())
        slices.append(sa_select(stmt.limit(shown.of(status) + 1).subquery()))
    found: dict[ActionStatus, list[Action]] = {status: [] for status in ActionStatus}
    for action in session.scalars(select(Action).from_statement(union_all(*slices))):
        found[action.status].append(action)
    decorated = iter(rows(session, [a for s in ActionStatus for a in found[s][: shown.of(s)]], today))
    columns = []
    for status in ActionStatus:
        limit = shown.of(status)
        more = len(found[status]) > limit
        following = min(limit + BoardShown.step(status), BOARD_MAX)
        columns.append(
            Column(
                status=status,
                rows=[next(decorated) for _ in found[status][:limit]],
                more=more,
                next_shown=following if more and following > limit else None,
            )
        )
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


# What a meeting shows


@dataclass(frozen=True)
class FollowUp:
    """An action of the body and what changed on it since the last meeting."""

    row: Row
    entries: list[ActionEntry] = field(default_factory=list)
    earlier: int = 0  # changes since the last meeting before ``entries``, not shown


def follow_up(
    session: Session, viewer: Viewer, body_id: int, since: datetime | None, until: datetime, today: date
) -> list[FollowUp]:
    """The standing item "follow-up of actions": every open action of the body, and those
    finished since the last meeting, each with its latest changes since then (at most
    ``FOLLOW_UP_ENTRIES``, the earlier ones counted), in one query whatever their number."""
    if not viewer.sees_body(body_id):
        return []
    # The changes between the last meeting and this one: an action finished after this meeting
    # is not one it follows up (it showed among the open ones, without news).
    since_last = col(ActionEntry.created_at) >= since if since is not None else true()
    recent = and_(since_last, col(ActionEntry.created_at) < until)
    changed = probe(col(ActionEntry.action_id) == Action.id, recent)  # not a month's every update
    stmt = select(Action).where(
        Action.body_id == body_id,
        col(Action.created_at) < until,
        or_(col(Action.status).in_(OPEN_STATUSES), changed),
    )
    found = list(session.exec(by_due_date(stmt).limit(FOLLOW_UP_LIMIT)).all())
    ids = [a.id for a in found if a.id is not None]
    entries: dict[int, list[ActionEntry]] = {i: [] for i in ids}
    earlier: dict[int, int] = {}
    if ids:
        newest = (col(ActionEntry.created_at).desc(), col(ActionEntry.id).desc())
        ranked = (
            select(
                ActionEntry,
                func.row_number()
                .over(partition_by=col(ActionEntry.action_id), order_by=newest)
                .label("rank"),
                func.count().over(partition_by=col(ActionEntry.action_id)).label("changes"),
            )
            .where(col(ActionEntry.action_id).in_(ids), recent)
            .subquery()
        )
        entry = aliased(ActionEntry, ranked)
        for found_entry, changes in session.execute(
            select(entry, ranked.c.changes)
            .where(ranked.c.rank <= FOLLOW_UP_ENTRIES)
            .order_by(ranked.c.created_at, ranked.c.id)
        ).all():
            entries[found_entry.action_id].append(found_entry)
            earlier[found_entry.action_id] = max(changes - FOLLOW_UP_ENTRIES, 0)
    return [
        FollowUp(row=r, entries=entries[r.action.id or 0], earlier=earlier.get(r.action.id or 0, 0))
        for r in rows(session, found, today)
    ]


def decided_at(session: Session, viewer: Viewer, meeting_id: int) -> list[Action]:
    """The actions a meeting decided (its minutes' decisions), as far as the person sees them."""
    return list(
        session.exec(
            select(Action)
            .where(Action.meeting_id == meeting_id, visible(viewer))
            .order_by(col(Action.agenda_item_id), col(Action.id))
        ).all()
    )


LINKABLE_LIMIT = 100


def linkable(
    session: Session, viewer: Viewer, body_id: int, today: date, keep: Iterable[int] = ()
) -> list[Action]:
    """The body's open actions an agenda item may follow up, soonest due first (the first
    ``LINKABLE_LIMIT``), after those it follows up already (``keep``: its form must not drop a
    link it does not show), in one query."""
    soonest = by_due_date(query(viewer, Filters(body_id=body_id, open_only=True), today))
    wanted: ColumnElement[bool] = col(Action.id).in_(
        soonest.with_only_columns(col(Action.id)).limit(LINKABLE_LIMIT)
    )
    kept = set(keep)
    if kept:
        wanted = or_(wanted, col(Action.id).in_(sorted(kept)) & (col(Action.body_id) == body_id))
    found = list(session.exec(select(Action).where(visible(viewer), wanted)).all())
    found.sort(key=lambda a: (a.id not in kept, a.due_on is None, a.due_on or today, a.id or 0))
    return found


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

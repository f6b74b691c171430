"""One search over every kind of record a person may see, grouped by kind.

Each kind goes through the filter its own domain exposes: the reports' full-text search
(``situations.feed`` with ``q``, which matches only reports read whole, so a confidential
report's text never matches for someone who sees it as a stub or not at all),
``actions.lists.visible``, ``meetings.access.visible_meetings`` (agenda titles for whoever sees
the meeting, a guest included; the minutes only of approved meetings and only for the body's
members, so a guest never finds an item's notes), ``situations.problems`` and the bodies whose
content the person sees for venues. Each kind is one query: at most ``PER_KIND`` records and
how many match, counted up to ``COUNTED_TO`` ("more than" past it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.actions.lists import visible as visible_actions
from veille.actions.models import Action
from veille.bodies.models import Body
from veille.db import contains_words
from veille.i18n import N_
from veille.meetings.access import visible_meetings
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import AgendaItem, Meeting
from veille.pagination import count_to
from veille.situations import feed
from veille.situations.models import Problem, Situation
from veille.situations.problems import visible_problems_query
from veille.situations.visibility import record_reads
from veille.venues.models import Venue

PER_KIND = 10
# A group's count stops there: "more than 100 reports" tells a searcher what "69,000" would,
# and counting further reads the records further (50 to 100 ms for a thousand of a partner's).
COUNTED_TO = 100
Q_MIN = 2
Q_MAX = feed.Q_MAX
TOO_SHORT = N_("Type at least two characters.")


class Kind(StrEnum):
    reports = "reports"
    actions = "actions"
    meetings = "meetings"
    problems = "problems"
    venues = "venues"


@dataclass(frozen=True)
class Hit:
    """One record found: what the results list shows of it and where it opens."""

    id: int
    title: str
    url: str
    body_id: int
    body: str
    when: datetime | None = None


@dataclass(frozen=True)
class Group:
    kind: Kind
    hits: list[Hit]
    total: int
    # The list that shows every match, where one takes the query (the reports' feed).
    more_url: str | None = None
    more: bool = False  # more than ``total`` match (counted that far)


@dataclass(frozen=True)
class Results:
    q: str
    groups: list[Group] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(g.total for g in self.groups)

    @property
    def more(self) -> bool:
        return any(g.more for g in self.groups)


def normalise(q: str | None) -> str:
    """The query as typed, blanks around it dropped; a search of blanks is no search."""
    return " ".join((q or "").split())


def search(session: Session, viewer: Viewer, q: str, *, via: str) -> Results:
    """Every kind's matches, in a fixed number of queries; a query shorter than ``Q_MIN``
    finds nothing (it would match almost everything)."""
    q = normalise(q)
    if len(q) < Q_MIN:
        return Results(q=q)
    groups = [
        _reports(session, viewer, q, via),
        _actions(session, viewer, q),
        _meetings(session, viewer, q),
        _problems(session, viewer, q),
        _venues(session, viewer, q),
    ]
    return Results(q=q, groups=groups)


def _split(rows: Sequence[Any]) -> tuple[list[Any], int, bool]:
    """The records of rows that end with how many match (counted to one past ``COUNTED_TO``),
    that count and whether there are more."""
    found = int(rows[0][-1]) if rows else 0
    return [row[:-1] for row in rows], min(found, COUNTED_TO), found > COUNTED_TO


def _first(
    session: Session, shown: Any, key: Any, where: Sequence[ColumnElement[bool]]
) -> tuple[list[Any], int, bool]:
    """The first matches of a kind searched word by word in its texts (``LIKE '%word%'``; on
    PostgreSQL the large tables' trigram indexes find them, migration 0018): the first
    ``COUNTED_TO`` + 1 in the order ``shown`` lists them, the first ``PER_KIND`` of those, and
    a window counting those kept."""
    ids = shown.with_only_columns(key).where(*where).limit(COUNTED_TO + 1)
    return _split(
        session.execute(shown.where(key.in_(ids)).add_columns(func.count().over()).limit(PER_KIND)).all()
    )


def _reports(session: Session, viewer: Viewer, q: str, via: str) -> Group:
    """The feed's full-text search; the confidential reports listed are audited as read. The
    newest first, and counted apart, unordered, up to ``COUNTED_TO`` + 1 (kept in order and cut
    as in ``_first``, PostgreSQL joined each match to the search index row by row: 30 s for a
    common word)."""
    matching = feed.feed_query(session, viewer, feed.Filters(q=q)).with_only_columns(col(Situation.id))
    counted = count_to(matching, COUNTED_TO).scalar_subquery()
    stmt = (
        select(Situation, Body.name, counted)
        .join(Body, col(Body.id) == Situation.body_id)
        .where(col(Situation.id).in_(matching))
        .order_by(col(Situation.id).desc())
        .limit(PER_KIND)
    )
    found, total, more = _split(session.execute(stmt).all())
    record_reads(session, viewer, [s for s, _ in found], via)
    # The day of the facts, as the feed shows a report.
    hits = [Hit(s.id, s.title, f"/situations/{s.id}", s.body_id, body, s.occurred_at) for s, body in found]
    more_url = f"/situations?{urlencode({'q': q})}" if total > PER_KIND else None
    return Group(Kind.reports, hits, total, more_url, more)


def _actions(session: Session, viewer: Viewer, q: str) -> Group:
    shown = (
        select(Action, Body.name).join(Body, col(Body.id) == Action.body_id).order_by(col(Action.id).desc())
    )
    found, total, more = _first(
        session,
        shown,
        col(Action.id),
        [visible_actions(viewer), contains_words(q, Action.title, Action.description)],
    )
    hits = [Hit(a.id, a.title, f"/actions/{a.id}", a.body_id, body, a.created_at) for a, body in found]
    return Group(Kind.actions, hits, total, more=more)


def _as_member(viewer: Viewer) -> ColumnElement[bool]:
    """Meetings of a body whose content the person sees as a member, not only as a guest."""
    return true() if viewer.content_ids is None else col(Meeting.body_id).in_(sorted(viewer.content_ids))


def _minutes_readable(viewer: Viewer) -> ColumnElement[bool]:
    """The minutes a search reads: approved, of a body whose content the person sees as a
    member (never as a guest, whose access ends with the approval anyway)."""
    return and_(col(Meeting.status) == MeetingStatus.minutes_approved, _as_member(viewer))


def _meetings(session: Session, viewer: Viewer, q: str) -> Group:
    """Agenda items by their title, and by their notes and decisions once the minutes are
    approved; each opens its meeting. A guest's agenda has no confidential item: neither has
    their search (it found those items' titles)."""
    text = or_(
        contains_words(q, AgendaItem.title),
        and_(_minutes_readable(viewer), contains_words(q, AgendaItem.notes, AgendaItem.decisions)),
    )
    shown = (
        select(AgendaItem, Meeting, Body.name)
        .join(Meeting, col(Meeting.id) == AgendaItem.meeting_id)
        .join(Body, col(Body.id) == Meeting.body_id)
        .order_by(col(Meeting.starts_at).desc(), col(AgendaItem.position), col(AgendaItem.id))
    )
    readable = [visible_meetings(viewer), or_(_as_member(viewer), col(AgendaItem.confidential).is_(False))]
    found, total, more = _first(session, shown, col(AgendaItem.id), [*readable, text])
    hits = [
        Hit(item.id, item.title, f"/meetings/{m.id}#item-{item.id}", m.body_id, body, m.starts_at)
        for item, m, body in found
    ]
    return Group(Kind.meetings, hits, total, more=more)


def _problems(session: Session, viewer: Viewer, q: str) -> Group:
    readable = visible_problems_query(session, viewer).with_only_columns(col(Problem.id))
    shown = (
        select(Problem, Body.name)
        .join(Body, col(Body.id) == Problem.body_id)
        .order_by(col(Problem.updated_at).desc(), col(Problem.id))
    )
    found, total, more = _first(
        session,
        shown,
        col(Problem.id),
        [col(Problem.id).in_(readable), contains_words(q, Problem.title, Problem.analysis)],
    )
    hits = [Hit(p.id, p.title, f"/problems/{p.id}", p.body_id, body, p.updated_at) for p, body in found]
    return Group(Kind.problems, hits, total, more=more)


def _venues(session: Session, viewer: Viewer, q: str) -> Group:
    """Venues are read by the members of their body (``venues.service.require_reader``): the
    bodies whose content the viewer sees, never a guest's."""
    readable = true() if viewer.content_ids is None else col(Venue.body_id).in_(sorted(viewer.content_ids))
    shown = (
        select(Venue, Body.name)
        .join(Body, col(Body.id) == Venue.body_id)
        .order_by(col(Venue.name), col(Venue.id))
    )
    found, total, more = _first(
        session, shown, col(Venue.id), [readable, contains_words(q, Venue.name, Venue.address, Venue.kind)]
    )
    hits = [Hit(v.id, v.name, f"/venues/{v.id}", v.body_id, body) for v, body in found]
    return Group(Kind.venues, hits, total, more=more)

"""The life of a crime-treatment group (GLTD, README.md, Actions): a precise territory and a fixed
duration. Its chair records the mid-term review once half the period is over and the final
conclusions, may renew the group (a later end date), and closes it; the final report gathers
its actions, their evaluations and the reports they answered. A closed group is read-only.

Only crime-treatment groups have this life: any other body answers 404 here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.actions.counts import Counts, effects
from veille.actions.enums import OPEN_STATUSES, ActionKind, ActionStatus, Effect, ReviewKind
from veille.actions.lists import Row, by_due_date, rows
from veille.actions.models import Action, ActionSituation, GroupReview, RenewIn
from veille.actions.rules import DUE_SOON
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory.models import Organisation, User
from veille.errors import Conflict, InvalidInput, NotFound
from veille.i18n import N_
from veille.situations import categories, feed

# An open action is at risk when it is overdue, or due within DUE_SOON and less than half done.
AT_RISK_PROGRESS = 50
AT_RISK_LIMIT = 20

NOT_YET = N_("The mid-term review is recorded once the group has reached the middle of its period.")
REVIEW_KIND = N_("Choose the mid-term review or the final conclusions.")
TEXT_REQUIRED = N_("This field is required.")
RENEW_PAST = N_("The new end date cannot be in the past.")
RENEW_LATER = N_("The new end date must come after the group's current end date.")


def _group(access: bodies.BodyAccess) -> Body:
    """The body, when it is a crime-treatment group."""
    if access.body.kind != BodyKind.crime_treatment_group:
        raise NotFound()
    return access.body


@dataclass(frozen=True)
class Period:
    """The group's duration: from its start (or its creation) to its end date."""

    starts_on: date
    ends_on: date | None
    today: date

    @property
    def length(self) -> int | None:
        return (self.ends_on - self.starts_on).days if self.ends_on else None

    @property
    def days_left(self) -> int | None:
        return (self.ends_on - self.today).days if self.ends_on else None

    @property
    def elapsed(self) -> float | None:
        """The share of the period gone by, 0 to 1."""
        if self.ends_on is None or self.length is None:
            return None
        if self.length <= 0:
            return 1.0 if self.today >= self.ends_on else 0.0
        return min(1.0, max(0.0, (self.today - self.starts_on).days / self.length))

    @property
    def percent(self) -> int:
        return round((self.elapsed or 0) * 100)

    @property
    def midpoint(self) -> date | None:
        return self.starts_on + timedelta(days=(self.length + 1) // 2) if self.length is not None else None

    @property
    def mid_term_come(self) -> bool:
        return self.midpoint is not None and self.today >= self.midpoint

    @property
    def midpoint_percent(self) -> int:
        if self.midpoint is None or not self.length:
            return 50
        return round((self.midpoint - self.starts_on).days / self.length * 100)

    @property
    def ended(self) -> bool:
        return self.ends_on is not None and self.today > self.ends_on


def period_of(body: Body, today: date) -> Period:
    starts_on = body.starts_on or body.created_at.date()
    if body.ends_on is not None:
        starts_on = min(starts_on, body.ends_on)
    return Period(starts_on=starts_on, ends_on=body.ends_on, today=today)


@dataclass(frozen=True)
class GroupState:
    access: bodies.BodyAccess
    period: Period
    reviews: list[GroupReview]  # newest first
    authors: dict[int, User]
    at_risk: list[Row]
    more_at_risk: bool
    counts: Counts

    @property
    def body(self) -> Body:
        return self.access.body

    @property
    def open(self) -> bool:
        return self.body.status == BodyStatus.active

    @property
    def can_chair(self) -> bool:
        return self.open and self.access.can_chair

    def latest(self, kind: ReviewKind) -> GroupReview | None:
        return next((r for r in self.reviews if r.kind == kind), None)

    @property
    def mid_term_pending(self) -> bool:
        """The mid-term has come and no review was recorded since the group was last renewed."""
        if not self.period.mid_term_come:
            return False
        for review in self.reviews:
            if review.kind == ReviewKind.mid_term:
                return False
            if review.kind == ReviewKind.renewal:
                return True
        return True


def _reviews(session: Session, body: Body) -> tuple[list[GroupReview], dict[int, User]]:
    found = list(
        session.exec(
            select(GroupReview)
            .where(GroupReview.body_id == body.id)
            .order_by(col(GroupReview.created_at).desc(), col(GroupReview.id).desc())
        ).all()
    )
    return found, feed.people(session, {r.created_by for r in found if r.created_by})


def _at_risk(today: date) -> ColumnElement[bool]:
    return and_(
        col(Action.status).in_(OPEN_STATUSES),
        or_(
            col(Action.due_on) < today,
            and_(col(Action.due_on) <= today + DUE_SOON, col(Action.progress) < AT_RISK_PROGRESS),
        ),
    )


def group_state(session: Session, access: bodies.BodyAccess, today: date) -> GroupState:
    """What the group's page shows, in a fixed number of queries whatever its size."""
    body = _group(access)
    access.require_members()
    found = list(
        session.exec(
            by_due_date(select(Action).where(Action.body_id == body.id, _at_risk(today))).limit(
                AT_RISK_LIMIT + 1
            )
        ).all()
    )
    cells = {
        (ActionKind(kind), ActionStatus(status)): n
        for kind, status, n in session.exec(
            select(Action.kind, Action.status, func.count())
            .where(Action.body_id == body.id)
            .group_by(col(Action.kind), col(Action.status))
        ).all()
    }
    reviews, authors = _reviews(session, body)
    return GroupState(
        access=access,
        period=period_of(body, today),
        reviews=reviews,
        authors=authors,
        at_risk=rows(session, found[:AT_RISK_LIMIT], today),
        more_at_risk=len(found) > AT_RISK_LIMIT,
        counts=Counts(cells),
    )


def record_review(
    session: Session,
    access: bodies.BodyAccess,
    kind: ReviewKind,
    text: str,
    *,
    today: date | None = None,
) -> GroupReview:
    """The chair's mid-term review (once half the period is over) or final conclusions;
    commits."""
    body = _group(access)
    access.require_chair()
    if kind not in (ReviewKind.mid_term, ReviewKind.final):
        raise InvalidInput({"kind": REVIEW_KIND})
    text = text.strip()
    if not text:
        raise InvalidInput({"text": TEXT_REQUIRED})
    if kind == ReviewKind.mid_term and not period_of(body, today or date.today()).mid_term_come:
        raise Conflict(NOT_YET)
    review = GroupReview(body_id=body.id or 0, kind=kind, text=text, created_by=access.user.id)
    session.add(review)
    session.flush()
    audit.record(
        session,
        user_id=access.user.id,
        verb="create",
        entity="group_review",
        entity_id=review.id,
        body_id=body.id,
        kind=str(kind),
    )
    session.commit()
    return review


def renew(
    session: Session, access: bodies.BodyAccess, data: RenewIn, *, today: date | None = None
) -> GroupReview:
    """Extends the group: a new end date, later than the current one and not in the past;
    commits."""
    body = _group(access)
    access.require_chair()
    today = today or date.today()
    if data.ends_on < today:
        raise InvalidInput({"ends_on": RENEW_PAST})
    if body.ends_on is not None and data.ends_on <= body.ends_on:
        raise InvalidInput({"ends_on": RENEW_LATER})
    previous = body.ends_on
    review = GroupReview(
        body_id=body.id or 0,
        kind=ReviewKind.renewal,
        text=data.text,
        previous_ends_on=previous,
        ends_on=data.ends_on,
        created_by=access.user.id,
    )
    session.add(review)
    body.ends_on = data.ends_on
    body.version += 1
    session.add(body)
    session.flush()
    audit.record(
        session,
        user_id=access.user.id,
        verb="renew",
        entity="body",
        entity_id=body.id,
        review_id=review.id,
        previous_ends_on=previous.isoformat() if previous else None,
        ends_on=data.ends_on.isoformat(),
    )
    session.commit()
    return review


def close(session: Session, access: bodies.BodyAccess) -> Body:
    """The chair closes the group at its end: it becomes read-only (commits)."""
    _group(access)
    return bodies.close_body(session, access=access)


# The final report


@dataclass(frozen=True)
class FinalReport:
    access: bodies.BodyAccess
    period: Period
    rows: list[Row]  # every action, by kind then due date
    counts: Counts
    # Finished actions by the effect observed (None: not evaluated yet).
    effects: list[tuple[Effect | None, int]]
    reports: categories.CategoryCounts
    reviews: list[GroupReview]  # oldest first
    authors: dict[int, User]
    chairs: list[User]
    partners: list[Organisation]

    @property
    def body(self) -> Body:
        return self.access.body

    @property
    def closed(self) -> bool:
        return self.body.status == BodyStatus.closed

    @property
    def conclusions(self) -> GroupReview | None:
        return next((r for r in reversed(self.reviews) if r.kind == ReviewKind.final), None)

    @property
    def evaluated(self) -> list[Row]:
        return [r for r in self.rows if r.action.effect is not None]

    @property
    def done(self) -> int:
        return self.counts.of_status(ActionStatus.done)


def final_report(session: Session, viewer: Viewer, access: bodies.BodyAccess, today: date) -> FinalReport:
    """The data of the group's report, for any member (``viewer``: the same person, whose
    reading of the linked reports it counts); a fixed number of queries."""
    body = _group(access)
    access.require_members()
    kinds = list(ActionKind)
    actions = sorted(
        session.exec(by_due_date(select(Action).where(Action.body_id == body.id))).all(),
        key=lambda a: kinds.index(a.kind),
    )
    cells = Counter((a.kind, a.status) for a in actions)
    linked = session.exec(
        select(ActionSituation.situation_id)
        .join(Action, col(Action.id) == ActionSituation.action_id)
        .where(Action.body_id == body.id)
        .distinct()
    ).all()
    reviews, authors = _reviews(session, body)
    members = bodies.list_members(session, access=access)
    seated = [m for m in members if m.excluded_at is None and m.role != MemberRole.guest]
    partners = {m.user.organisation.id: m.user.organisation for m in seated}
    return FinalReport(
        access=access,
        period=period_of(body, today),
        rows=rows(session, actions, today),
        counts=Counts(dict(cells)),
        effects=effects((a.effect, 1) for a in actions if a.status == ActionStatus.done),
        reports=categories.category_counts(session, viewer, linked),
        reviews=list(reversed(reviews)),
        authors=authors,
        chairs=[m.user for m in seated if m.role == MemberRole.chair],
        partners=sorted(partners.values(), key=lambda o: o.name),
    )

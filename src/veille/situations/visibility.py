"""Who sees which report, in one SQL rule (docs/confidentiality.md, rule 3): a report is seen
whole, as a stub (a `social` report outside its organisations: only that a coordination is
needed, its sector and date), or not at all (answered 404). Every list, count, search and
single read of reports goes through ``visible()`` and ``full_text()`` (the counts over every
body, of the staff and a plenary's chair, through ``in_bodies()``: every level); reading one
report gives a ``SituationAccess`` that says what the person may do with it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, true, union_all
from sqlalchemy.orm import joinedload
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus
from veille.bodies.models import Body
from veille.errors import Conflict, Forbidden, NotFound
from veille.orm import PerDialect, among_ids, probe
from veille.situations.enums import Confidentiality
from veille.situations.models import (
    Situation,
    SituationReferral,
    SituationShare,
)

CONFIDENTIAL = (Confidentiality.restricted, Confidentiality.social)


# The rule, once, in SQL.


def _among(body_ids: frozenset[int]) -> ColumnElement[bool]:
    """Reports of these bodies, and those handed to them with an action."""
    if not body_ids:
        return false()
    referred = select(SituationReferral.situation_id).where(
        col(SituationReferral.body_id).in_(sorted(body_ids))
    )
    return or_(col(Situation.body_id).in_(sorted(body_ids)), among_ids(col(Situation.id), referred))


def in_bodies(viewer: Viewer) -> ColumnElement[bool]:
    """Reports of the person's bodies, whatever their level (seen whole, as a stub or not)."""
    if viewer.content_ids is None:
        return true()
    return _among(viewer.content_ids)


def _shared(viewer: Viewer, every: bool) -> ColumnElement[bool]:
    """The report is shared with the person's organisation. Probed per report from the share's
    key for a page of reports (``orm.probe``: 0.1 ms for a metropolis coordinator's feed, 40 ms
    as ``EXISTS``). A count reads ``every`` report of a period: there PostgreSQL gathers the
    organisation's shares once (a hash; 26,000 probes took 150 to 300 ms of a metropolis's
    statistics, a partner's count 85 ms instead of 50), while SQLite, which builds such a list
    for each test of the statement, counts a partner's reports faster by probing (103 ms
    instead of 134)."""
    theirs = col(SituationShare.organisation_id) == viewer.organisation_id
    probed = probe(col(SituationShare.situation_id) == Situation.id, theirs)
    if not every:
        return probed
    gathered = col(Situation.id).in_(select(SituationShare.situation_id).where(theirs))
    return PerDialect(sqlite=probed, postgresql=gathered)


def full_text(viewer: Viewer, *, every: bool = False) -> ColumnElement[bool]:
    """Reports the person reads whole: those of the body (level), the restricted ones of the
    bodies they manage, and the confidential ones shared with their organisation (``every``:
    for a statement that reads every report of a period, see ``_shared``)."""
    confidentiality = col(Situation.confidentiality)
    return and_(
        in_bodies(viewer),
        or_(
            confidentiality == Confidentiality.body,
            and_(confidentiality == Confidentiality.restricted, _among(viewer.manage_ids)),
            and_(confidentiality.in_(CONFIDENTIAL), _shared(viewer, every)),
        ),
    )


def visible(viewer: Viewer, *, stubs: bool = True, every: bool = False) -> ColumnElement[bool]:
    """Reports the person reads whole, and with ``stubs`` the social ones they see as a stub.
    Written as an ``OR`` of the two: SQLite then reads the reports newest first and stops at a
    page's 50 (0.5 ms for a partner at metropolis scale); as "in their bodies and (...)" it
    gathered every report of their bodies through both indexes first (32 ms)."""
    if not stubs:
        return full_text(viewer, every=every)
    return or_(
        full_text(viewer, every=every),
        and_(in_bodies(viewer), col(Situation.confidentiality) == Confidentiality.social),
    )


def full_ids(session: Session, viewer: Viewer, ids: Iterable[int]) -> set[int]:
    """Which of these reports the person reads whole (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = session.exec(select(Situation.id).where(col(Situation.id).in_(wanted), full_text(viewer))).all()
    return {i for i in rows if i is not None}


def referable_ids(session: Session, viewer: Viewer, ids: Iterable[int]) -> set[int]:
    """Which of these reports the person may hand to another body: those they read whole, of a
    body they run (docs/confidentiality.md: a restricted report by its body's chair and
    secretaries, a social one by its named organisations who run it). One query."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = session.exec(
        select(Situation.id, Situation.body_id).where(col(Situation.id).in_(wanted), full_text(viewer))
    ).all()
    return {i for i, body_id in rows if i is not None and viewer.manages(body_id)}


def visible_ids(session: Session, viewer: Viewer, ids: Iterable[int]) -> set[int]:
    """Which of these reports the person may open, whole or as a stub (:func:`visible`): what a
    list of ids may name to them (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = session.exec(select(Situation.id).where(col(Situation.id).in_(wanted), visible(viewer))).all()
    return {i for i in rows if i is not None}


def of_body(body_id: int) -> ColumnElement[bool]:
    """The body's reports and those referred to it. On SQLite, ids from both indexes: an ``OR``
    with the referrals made it read every report of a metropolis to find a small body's (280 ms
    for a crime-treatment group's 61 of 300,000, on each of its meeting pages), while it walks
    the ids newest first and stops at a page's 50. PostgreSQL looked each of those ids up
    before sorting them (a watch cell's 6,466: 40 to 80 ms for its feed's first page); with the
    ``OR`` it reads the body's index, or the reports newest first, whichever is shorter (4 ms,
    a small body's 0.5 ms)."""
    own = select(Situation.id).where(col(Situation.body_id) == body_id)
    referred = select(SituationReferral.situation_id).where(col(SituationReferral.body_id) == body_id)
    return PerDialect(
        sqlite=col(Situation.id).in_(union_all(own, referred)), postgresql=_among(frozenset({body_id}))
    )


def readable_in_body(session: Session, viewer: Viewer, ids: Iterable[int], body_id: int) -> set[int]:
    """Which of these reports of the body (or handed to it) the person reads whole."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    found = session.exec(
        select(Situation.id).where(col(Situation.id).in_(wanted), full_text(viewer), of_body(body_id))
    ).all()
    return {i for i in found if i is not None}


def record_reads(session: Session, viewer: Viewer, situations: Sequence[Situation], via: str) -> None:
    """Audits every read of a restricted or social report (docs/confidentiality.md, rule 6).

    Called on reads, it ends the read transaction first, so that the write starts a fresh one
    (SQLite cannot turn a transaction that has read into a writer once another has written).
    """
    confidential = [s for s in situations if s.confidentiality in CONFIDENTIAL]
    if not confidential:
        return
    session.commit()
    audit.record_reads(
        session,
        user_id=viewer.user.id,
        entity="situation",
        entity_ids=[s.id for s in confidential if s.id is not None],
        via=via,
    )
    session.commit()


# Reading one report


@dataclass(frozen=True)
class SituationAccess:
    situation: Situation
    viewer: Viewer
    body: Body
    full: bool

    @property
    def body_open(self) -> bool:
        return self.body.status == BodyStatus.active

    @property
    def manages(self) -> bool:
        return self.viewer.manages(self.situation.body_id)

    @property
    def can_edit(self) -> bool:
        """The author's organisation and the body's chair and secretaries (and the staff)."""
        if not (self.full and self.body_open) or self.situation.anonymised_at is not None:
            return False
        return self.manages or self.viewer.organisation_id == self.situation.organisation_id

    @property
    def can_post_update(self) -> bool:
        return self.full and self.body_open and self.situation.anonymised_at is None

    def require_full(self) -> None:
        if not self.full:
            raise Forbidden()

    def require_edit(self) -> None:
        self.require_full()
        if not self.body_open:
            raise Conflict(bodies.CLOSED)
        if not self.can_edit:
            raise Forbidden()

    def require_update(self) -> None:
        self.require_full()
        if not self.body_open:
            raise Conflict(bodies.CLOSED)
        if not self.can_post_update:
            raise Forbidden()


def get_situation(
    session: Session, viewer: Viewer, situation_id: int, *, audit_via: str | None = None
) -> SituationAccess:
    """404 for a report the person may not see; a stub for a social report of their body. One
    query: the report, whether it is read whole, its body with its sectors."""
    row = (
        session.execute(
            select(Situation, full_text(viewer), Body)
            .join(Body, col(Body.id) == Situation.body_id)
            .where(Situation.id == situation_id, visible(viewer))
            .options(joinedload(Body.sectors))  # type: ignore[arg-type]
        )
        .unique()
        .first()
    )
    if row is None:
        raise NotFound()
    situation, full, body = row
    if full and audit_via:
        record_reads(session, viewer, [situation], audit_via)
    return SituationAccess(situation=situation, viewer=viewer, body=body, full=bool(full))

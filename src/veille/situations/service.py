"""Situation reports: who sees what (DESIGN.md §4 rule 3, in one SQL rule), posting, editing,
status, updates, the feed and its filters, problem files, categories.

Every list, count, search and single read goes through ``visible()`` and ``full_text()``: a
report is seen whole, as a stub (a `social` report outside its organisations: only that a
coordination is needed, its sector and date), or not at all (answered 404).

A change that pages and API make commits in the function here that makes it, with the mail it
queues (``post_report``, ``post_update``); the routes never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, true
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille import access
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body, Membership
from veille.config import Settings
from veille.directory.enums import OrganisationKind
from veille.directory.models import Organisation, Sector, User
from veille.directory.service import is_staff, require_staff
from veille.errors import Conflict, Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.orm import utcnow
from veille.pagination import Cursor, Page, keyset_page, numbered_page
from veille.situations import files, search
from veille.situations.enums import STATUS_MOVES, Confidentiality, ProblemStatus, SituationStatus
from veille.situations.models import (
    Attachment,
    Category,
    CategoryIn,
    Problem,
    ProblemCreate,
    ProblemUpdate,
    Situation,
    SituationBase,
    SituationCreate,
    SituationReferral,
    SituationShare,
    SituationUpdate,
    SituationUpdateIn,
    SituationUpdateRecord,
)
from veille.venues.models import Venue

SOCIAL_KINDS = frozenset(
    {OrganisationKind.social_services, OrganisationKind.mediation, OrganisationKind.health}
)
CONFIDENTIAL = (Confidentiality.restricted, Confidentiality.social)
STALE = N_("Someone else changed this report in the meantime. Reload it and try again.")
STALE_PROBLEM = N_("Someone else changed this problem file in the meantime. Reload it and try again.")
NAMES_PERSON = N_(
    "A report that names a person cannot be seen by the whole body: choose “restricted” or “social”."
)
PLENARY = N_("A plenary council holds no restricted or social report, and no fact about a named person.")
GUESTS = N_("Guests do not post reports.")


# Until every caller takes the viewer from its request (veille.access), the old names.
Viewer = access.Viewer
viewer_for = access.viewer_of


# The rule (DESIGN.md §4 rule 3), once, in SQL.


def _among(body_ids: frozenset[int]) -> ColumnElement[bool]:
    """Reports of these bodies, and those handed to them with an action."""
    if not body_ids:
        return false()
    referred = select(SituationReferral.situation_id).where(
        col(SituationReferral.body_id).in_(sorted(body_ids))
    )
    return or_(col(Situation.body_id).in_(sorted(body_ids)), col(Situation.id).in_(referred))


def _in_bodies(viewer: Viewer) -> ColumnElement[bool]:
    if viewer.content_ids is None:
        return true()
    return _among(viewer.content_ids)


def _shared(viewer: Viewer) -> ColumnElement[bool]:
    return exists().where(
        col(SituationShare.situation_id) == Situation.id,
        col(SituationShare.organisation_id) == viewer.organisation_id,
    )


def full_text(viewer: Viewer) -> ColumnElement[bool]:
    """Reports the person reads whole."""
    managed = _among(viewer.manage_ids)
    return and_(
        _in_bodies(viewer),
        or_(
            col(Situation.confidentiality) == Confidentiality.body,
            and_(col(Situation.confidentiality) == Confidentiality.restricted, or_(managed, _shared(viewer))),
            and_(col(Situation.confidentiality) == Confidentiality.social, _shared(viewer)),
        ),
    )


def visible(viewer: Viewer, *, stubs: bool = True) -> ColumnElement[bool]:
    """Reports the person reads whole, and with ``stubs`` the social ones they see as a stub."""
    if not stubs:
        return full_text(viewer)
    return or_(
        full_text(viewer),
        and_(_in_bodies(viewer), col(Situation.confidentiality) == Confidentiality.social),
    )


def full_ids(session: Session, viewer: Viewer, ids: Iterable[int]) -> set[int]:
    """Which of these reports the person reads whole (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = session.exec(select(Situation.id).where(col(Situation.id).in_(wanted), full_text(viewer))).all()
    return {i for i in rows if i is not None}


def visible_ids(session: Session, viewer: Viewer, ids: Iterable[int]) -> set[int]:
    """Which of these reports the person may open, whole or as a stub (:func:`visible`): what a
    list of ids may name to them (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    rows = session.exec(select(Situation.id).where(col(Situation.id).in_(wanted), visible(viewer))).all()
    return {i for i in rows if i is not None}


def record_reads(session: Session, viewer: Viewer, situations: Sequence[Situation], via: str) -> None:
    """Audits every read of a restricted or social report (DESIGN.md §4 rule 6).

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
        return is_staff(self.viewer.user) or self.situation.body_id in self.viewer.manage_ids

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
    """404 for a report the person may not see; a stub for a social report of their body."""
    row = session.exec(
        select(Situation, full_text(viewer)).where(Situation.id == situation_id, visible(viewer))
    ).first()
    if row is None:
        raise NotFound()
    situation, full = row
    body = session.exec(
        select(Body).where(Body.id == situation.body_id).options(selectinload(Body.sectors))  # type: ignore[arg-type]
    ).one()
    if full and audit_via:
        record_reads(session, viewer, [situation], audit_via)
    return SituationAccess(situation=situation, viewer=viewer, body=body, full=bool(full))


# Posting and editing


def categories(session: Session, *, active_only: bool = True) -> list[Category]:
    stmt = select(Category).order_by(col(Category.position), col(Category.name))
    if active_only:
        stmt = stmt.where(col(Category.active).is_(True))
    return list(session.exec(stmt).all())


def _category(session: Session, code: str, current: int | None = None) -> Category:
    category = session.exec(select(Category).where(Category.code == code)).first()
    if category is None or (not category.active and category.id != current):
        raise InvalidInput({"category": N_("Choose one of the proposed categories.")})
    return category


def _check(session: Session, user: User, body: Body, data: SituationBase) -> list[int]:
    """The rules of a report's content; the organisations it is shared with."""
    errors: dict[str, str] = {}
    if data.occurred_at > utcnow() + timedelta(minutes=5):
        errors["occurred_at"] = N_("This date is in the future.")
    if body.kind == BodyKind.plenary and (data.confidentiality != Confidentiality.body or data.names_person):
        errors["confidentiality"] = PLENARY
    elif data.names_person and data.confidentiality == Confidentiality.body:
        errors["confidentiality"] = NAMES_PERSON
    if data.sector_id is not None:
        allowed = {s.id for s in body.sectors} or set(
            session.exec(select(Sector.id).where(Sector.id == data.sector_id)).all()
        )
        if data.sector_id not in allowed:
            errors["sector_id"] = N_("Choose one of the body's sectors.")
    if data.venue_id is not None:
        venue = session.get(Venue, data.venue_id)
        if venue is None or venue.body_id != body.id:
            errors["venue_id"] = N_("Choose one of the body's venues.")
    shares: list[int] = []
    if data.confidentiality in CONFIDENTIAL:
        wanted = set(data.shared_with_organisation_ids) | {user.organisation_id}
        organisations = session.exec(
            select(Organisation).where(
                col(Organisation.id).in_(sorted(wanted)), col(Organisation.active).is_(True)
            )
        ).all()
        found = {o.id: o for o in organisations}
        if set(found) != wanted:
            errors["shared_with_organisation_ids"] = N_("Choose among the active organisations.")
        elif data.confidentiality == Confidentiality.social and (
            not any(o.kind in SOCIAL_KINDS for o in organisations)
            or any(o.kind not in SOCIAL_KINDS and o.id != user.organisation_id for o in organisations)
        ):
            errors["shared_with_organisation_ids"] = N_(
                "A social report is shared only with social services, mediation or health organisations."
            )
        shares = sorted(i for i in found if i is not None)
    if errors:
        raise InvalidInput(errors)
    return shares


def _set_shares(session: Session, situation: Situation, organisation_ids: list[int]) -> None:
    current = set(
        session.exec(
            select(SituationShare.organisation_id).where(SituationShare.situation_id == situation.id)
        ).all()
    )
    for organisation_id in current - set(organisation_ids):
        share = session.get(SituationShare, (situation.id, organisation_id))
        if share is not None:
            session.delete(share)
    for organisation_id in set(organisation_ids) - current:
        assert situation.id is not None
        session.add(SituationShare(situation_id=situation.id, organisation_id=organisation_id))


def _fields(data: SituationBase, category: Category) -> dict[str, object]:
    return {
        "title": data.title,
        "description": data.description,
        "category_id": category.id,
        "sector_id": data.sector_id,
        "venue_id": data.venue_id,
        "place": data.place,
        "occurred_at": data.occurred_at,
        "severity": data.severity,
        "confidentiality": data.confidentiality,
        "names_person": data.names_person,
    }


def _checked_new(session: Session, user: User, data: SituationCreate) -> tuple[Category, list[int]]:
    """Every refusal of a new report, before anything is written."""
    access = bodies.contributor_access(session, user, data.body_id, guests=GUESTS)
    category = _category(session, data.category)
    return category, _check(session, user, access.body, data)


def create_situation(session: Session, *, user: User, data: SituationCreate) -> Situation:
    """A new report in the caller's transaction, without mail (the demo loads reports so);
    pages and API post through ``post_report``."""
    return _insert(session, user, data, *_checked_new(session, user, data))


def _insert(
    session: Session, user: User, data: SituationCreate, category: Category, shares: list[int]
) -> Situation:
    situation = Situation(
        body_id=data.body_id,
        created_by=user.id,
        organisation_id=user.organisation_id,
        **_fields(data, category),  # type: ignore[arg-type]
    )
    session.add(situation)
    session.flush()
    _set_shares(session, situation, shares)
    search.index(session, situation)
    audit.record(
        session,
        user_id=user.id,
        verb="create",
        entity="situation",
        entity_id=situation.id,
        body_id=data.body_id,
        confidentiality=str(data.confidentiality),
    )
    return situation


def post_report(
    session: Session,
    *,
    user: User,
    data: SituationCreate,
    settings: Settings,
    uploads: Sequence[files.Upload] = (),
) -> Situation:
    """Posts a report with its files and the mail of the members who want one, and commits.

    The report is checked first, then its files are written, then the rows: SQLite's write
    lock is not held while photos are re-encoded, and a refusal writes nothing."""
    from veille.situations import flows  # flows reads reports through this module

    category, shares = _checked_new(session, user, data)
    with files.kept(uploads, settings) as stored:
        situation = _insert(session, user, data, category, shares)
        if stored:
            access = get_situation(session, viewer_for(session, user), situation.id or 0)
            files.record(session, access=access, stored=stored)
        flows.report_posted(session, situation=situation, settings=settings)
        session.commit()
    return situation


def _locked(session: Session, situation: Situation, version: int, stale: str = STALE) -> None:
    session.refresh(situation, with_for_update=True)
    if situation.version != version:
        raise Conflict(stale)


def update_situation(session: Session, *, access: SituationAccess, data: SituationUpdate) -> Situation:
    access.require_edit()
    situation = access.situation
    if data.body_id != situation.body_id:
        raise InvalidInput({"body_id": N_("A report stays in its body.")})
    _locked(session, situation, data.version)
    category = _category(session, data.category, current=situation.category_id)
    shares = _check(session, access.viewer.user, access.body, data)
    if data.status != situation.status:
        _move(situation, data.status)
    for name, value in _fields(data, category).items():
        setattr(situation, name, value)
    situation.version += 1
    situation.updated_at = utcnow()
    session.add(situation)
    _set_shares(session, situation, shares)
    search.index(session, situation)
    audit.record(
        session, user_id=access.viewer.user.id, verb="update", entity="situation", entity_id=situation.id
    )
    session.commit()
    return situation


def _move(situation: Situation, status: SituationStatus) -> None:
    if status not in STATUS_MOVES[situation.status]:
        raise Conflict(N_("This report cannot go to that status from its current one."))
    situation.status = status
    situation.resolved_at = utcnow() if status == SituationStatus.resolved else None


def set_status(
    session: Session, *, access: SituationAccess, status: SituationStatus, version: int
) -> Situation:
    access.require_edit()
    situation = access.situation
    _locked(session, situation, version)
    _move(situation, status)
    situation.version += 1
    situation.updated_at = utcnow()
    session.add(situation)
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="status",
        entity="situation",
        entity_id=situation.id,
        status=str(status),
    )
    session.commit()
    return situation


def shares_of(session: Session, situation_ids: Iterable[int]) -> dict[int, list[int]]:
    ids = sorted(set(situation_ids))
    result: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for situation_id, organisation_id in session.exec(
            select(SituationShare.situation_id, SituationShare.organisation_id).where(
                col(SituationShare.situation_id).in_(ids)
            )
        ).all():
            result[situation_id].append(organisation_id)
    return result


# Updates (the timeline)


def updates(session: Session, *, access: SituationAccess) -> list[SituationUpdateRecord]:
    access.require_full()
    return list(
        session.exec(
            select(SituationUpdateRecord)
            .where(SituationUpdateRecord.situation_id == access.situation.id)
            .order_by(col(SituationUpdateRecord.created_at), col(SituationUpdateRecord.id))
        ).all()
    )


def add_update(
    session: Session, *, access: SituationAccess, data: SituationUpdateIn
) -> SituationUpdateRecord:
    """An update in the caller's transaction, without mail (the demo loads updates so); pages
    and API post through ``post_update``."""
    access.require_update()
    situation = access.situation
    record = SituationUpdateRecord(
        situation_id=situation.id or 0, text=data.text, author_id=access.viewer.user.id
    )
    session.add(record)
    situation.updated_at = utcnow()
    session.add(situation)
    session.flush()
    search.index(session, situation)
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="update_posted",
        entity="situation",
        entity_id=situation.id,
    )
    return record


def post_update(
    session: Session, *, access: SituationAccess, data: SituationUpdateIn, settings: Settings
) -> SituationUpdateRecord:
    """Posts an update with the mail of the report's author and the body's secretaries, and
    commits."""
    from veille.situations import flows  # flows reads reports through this module

    update = add_update(session, access=access, data=data)
    flows.update_posted(session, situation=access.situation, update=update, settings=settings)
    session.commit()
    return update


# The feed


@dataclass(frozen=True)
class Filters:
    body_id: int | None = None
    sector_id: int | None = None
    category: str | None = None
    severity: int | None = None
    status: SituationStatus | None = None
    since: date | None = None
    until: date | None = None
    q: str | None = None
    venue_id: int | None = None
    problem_id: int | None = None

    @property
    def on_content(self) -> bool:
        """Filters on what a stub does not show: stubs never match them."""
        return bool(
            self.category or self.severity or self.status or self.q or self.venue_id or self.problem_id
        )


def _local_midnight(day: date, tz: object) -> datetime:
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC)  # type: ignore[arg-type]


def feed_query(
    session: Session, viewer: Viewer, filters: Filters, tz: object = UTC
) -> SelectOfScalar[Situation]:
    """The reports the person may see that match the filters (newest first is the caller's)."""
    stmt = select(Situation).where(visible(viewer, stubs=not filters.on_content))
    if filters.body_id is not None:
        stmt = stmt.where(Situation.body_id == filters.body_id)
    if filters.sector_id is not None:
        stmt = stmt.where(Situation.sector_id == filters.sector_id)
    if filters.category:
        stmt = stmt.join(Category, col(Category.id) == Situation.category_id).where(
            Category.code == filters.category
        )
    if filters.severity is not None:
        stmt = stmt.where(Situation.severity == filters.severity)
    if filters.status is not None:
        stmt = stmt.where(Situation.status == filters.status)
    if filters.venue_id is not None:
        stmt = stmt.where(Situation.venue_id == filters.venue_id)
    if filters.problem_id is not None:
        stmt = stmt.where(Situation.problem_id == filters.problem_id)
    if filters.since is not None:
        stmt = stmt.where(col(Situation.created_at) >= _local_midnight(filters.since, tz))
    if filters.until is not None:
        stmt = stmt.where(col(Situation.created_at) < _local_midnight(filters.until + timedelta(days=1), tz))
    if filters.q:
        stmt = stmt.where(search.matches(session, filters.q))
    return stmt


@dataclass(frozen=True)
class Row:
    """A report as a list shows it: whole, or as a stub (``full`` false)."""

    situation: Situation
    full: bool
    category: Category | None
    sector: Sector | None
    body: Body | None
    author: User | None
    update_count: int = 0


def rows(session: Session, viewer: Viewer, situations: Sequence[Situation], via: str) -> list[Row]:
    """Decorates a page of reports with what lists show, in a fixed number of queries."""
    if not situations:
        return []
    ids = [s.id for s in situations if s.id is not None]
    full = full_ids(session, viewer, ids)
    category_by_id = {c.id: c for c in categories(session, active_only=False)}
    sector_ids = sorted({s.sector_id for s in situations if s.sector_id is not None})
    sectors = {s.id: s for s in session.exec(select(Sector).where(col(Sector.id).in_(sector_ids))).all()}
    body_ids = sorted({s.body_id for s in situations})
    body_by_id = {b.id: b for b in session.exec(select(Body).where(col(Body.id).in_(body_ids))).all()}
    author_ids = sorted({s.created_by for s in situations if s.created_by is not None and s.id in full})
    authors = people(session, author_ids)
    counts = dict(
        session.exec(
            select(SituationUpdateRecord.situation_id, func.count())
            .where(col(SituationUpdateRecord.situation_id).in_(sorted(full)))
            .group_by(col(SituationUpdateRecord.situation_id))
        ).all()
    )
    record_reads(session, viewer, [s for s in situations if s.id in full], via)
    return [
        Row(
            situation=s,
            full=s.id in full,
            category=category_by_id.get(s.category_id) if s.id in full else None,
            sector=sectors.get(s.sector_id) if s.sector_id else None,
            body=body_by_id.get(s.body_id),
            author=authors.get(s.created_by or 0) if s.id in full else None,
            update_count=counts.get(s.id or 0, 0),
        )
        for s in situations
    ]


NEW_REPORTS_LIMIT = 50


def posted_between(
    session: Session, viewer: Viewer, body_id: int, since: datetime | None, until: datetime
) -> list[Row]:
    """The body's reports posted in a period that the person may see (a meeting's "new reports
    since the last meeting"), oldest first."""
    stmt = select(Situation).where(
        visible(viewer), Situation.body_id == body_id, col(Situation.created_at) < until
    )
    if since is not None:
        stmt = stmt.where(col(Situation.created_at) >= since)
    found = session.exec(stmt.order_by(col(Situation.id).desc()).limit(NEW_REPORTS_LIMIT)).all()
    return rows(session, viewer, list(reversed(found)), "meeting")


def people(session: Session, user_ids: Iterable[int]) -> dict[int, User]:
    """Authors with their organisation, in one query."""
    found: dict[int, User] = {}
    for person, organisation in session.exec(
        select(User, Organisation)
        .join(Organisation, col(Organisation.id) == User.organisation_id)
        .where(col(User.id).in_(sorted(set(user_ids))))
    ).all():
        person.organisation = organisation
        found[person.id or 0] = person
    return found


def feed(
    session: Session, viewer: Viewer, filters: Filters, *, page: int, tz: object = UTC
) -> tuple[Page[Situation], list[Row]]:
    stmt = feed_query(session, viewer, filters, tz).order_by(col(Situation.id).desc())
    result = numbered_page(session, stmt, page)
    return result, rows(session, viewer, result.items, "list")


def api_feed(
    session: Session, viewer: Viewer, filters: Filters, *, limit: int, cursor: str | None
) -> tuple[list[Situation], set[int], str | None]:
    stmt = feed_query(session, viewer, filters)
    items, next_cursor = keyset_page(session, stmt, Situation, Cursor.parse(cursor), limit, newest_first=True)
    full = full_ids(session, viewer, [s.id for s in items if s.id is not None])
    record_reads(session, viewer, [s for s in items if s.id in full], "api")
    return items, full, next_cursor


def category_codes(session: Session) -> dict[int, str]:
    return {c.id: c.code for c in categories(session, active_only=False) if c.id is not None}


# Problem files


@dataclass(frozen=True)
class ProblemAccess:
    problem: Problem
    body_access: bodies.BodyAccess

    @property
    def can_edit(self) -> bool:
        return self.body_access.can_manage and self.body_access.body.status == BodyStatus.active


def _problem_body(session: Session, user: User, body_id: int) -> bodies.BodyAccess:
    access = bodies.get_body_access(session, user, body_id)
    access.require_members()
    return access


def get_problem(session: Session, user: User, problem_id: int) -> ProblemAccess:
    problem = session.get(Problem, problem_id)
    if problem is None:
        raise NotFound()
    access = bodies.get_body_access(session, user, problem.body_id)
    if not access.can_see_members:
        raise NotFound() if access.role == MemberRole.guest else Forbidden(bodies.CHARTER_PENDING)
    return ProblemAccess(problem=problem, body_access=access)


def body_problems(session: Session, access: bodies.BodyAccess) -> list[Problem]:
    access.require_members()
    return list(
        session.exec(
            select(Problem)
            .where(Problem.body_id == access.body.id)
            .order_by(col(Problem.status) == ProblemStatus.closed, col(Problem.updated_at).desc())
        ).all()
    )


def visible_problems_query(session: Session, viewer: Viewer) -> SelectOfScalar[Problem]:
    stmt = select(Problem)
    if viewer.content_ids is not None:
        stmt = stmt.where(col(Problem.body_id).in_(sorted(viewer.content_ids)))
    return stmt


def _group(session: Session, viewer: Viewer, problem: Problem, situation_ids: list[int]) -> None:
    """The problem file holds exactly these reports: ones the person reads whole, of its body,
    not in another file."""
    wanted = sorted(set(situation_ids))
    found = session.exec(
        select(Situation).where(
            col(Situation.id).in_(wanted), full_text(viewer), Situation.body_id == problem.body_id
        )
    ).all()
    if len(found) != len(wanted):
        raise InvalidInput({"situation_ids": N_("Choose reports of this body that you can read.")})
    if any(s.problem_id not in (None, problem.id) for s in found):
        raise InvalidInput({"situation_ids": N_("One of these reports is already in another problem file.")})
    # Reports of the file that this person cannot read stay in it: they were put there by
    # someone who could.
    current = session.exec(
        select(Situation).where(Situation.problem_id == problem.id, full_text(viewer))
    ).all()
    for situation in current:
        if situation.id not in wanted:
            situation.problem_id = None
            session.add(situation)
    for situation in found:
        situation.problem_id = problem.id
        session.add(situation)


def create_problem(session: Session, *, user: User, data: ProblemCreate) -> Problem:
    access = bodies.get_body_access(session, user, data.body_id)
    access.require_manage()
    problem = Problem(
        body_id=data.body_id, title=data.title, analysis=data.analysis, status=data.status, created_by=user.id
    )
    session.add(problem)
    session.flush()
    _group(session, viewer_for(session, user), problem, data.situation_ids)
    audit.record(session, user_id=user.id, verb="create", entity="problem", entity_id=problem.id)
    session.commit()
    return problem


def update_problem(session: Session, *, access: ProblemAccess, data: ProblemUpdate) -> Problem:
    access.body_access.require_manage()
    problem = access.problem
    session.refresh(problem, with_for_update=True)
    if problem.version != data.version:
        raise Conflict(STALE_PROBLEM)
    problem.title, problem.analysis, problem.status = data.title, data.analysis, data.status
    problem.version += 1
    problem.updated_at = utcnow()
    session.add(problem)
    _group(session, viewer_for(session, access.body_access.user), problem, data.situation_ids)
    audit.record(
        session, user_id=access.body_access.user.id, verb="update", entity="problem", entity_id=problem.id
    )
    session.commit()
    return problem


def add_to_problem(session: Session, *, access: ProblemAccess, situation_ids: list[int]) -> Problem:
    """Adds reports to the file, keeping those it holds."""
    current = problem_situation_ids(session, viewer_for(session, access.body_access.user), access.problem)
    data = ProblemUpdate(
        title=access.problem.title,
        analysis=access.problem.analysis,
        status=access.problem.status,
        situation_ids=sorted(set(current) | set(situation_ids)),
        version=access.problem.version,
    )
    return update_problem(session, access=access, data=data)


def problem_of(session: Session, situation: Situation) -> Problem | None:
    return session.get(Problem, situation.problem_id) if situation.problem_id else None


def problems_at_work(
    session: Session, body_ids: Iterable[int], start: datetime, end: datetime
) -> list[Problem]:
    """The bodies' problem files at work during [start, end): opened before its end and not
    closed before its start; open ones first. The caller has checked that its reader sees
    these bodies."""
    ids = sorted(body_ids)
    if not ids:
        return []
    return list(
        session.exec(
            select(Problem)
            .where(
                col(Problem.body_id).in_(ids),
                col(Problem.created_at) < end,
                or_(col(Problem.status) != ProblemStatus.closed, col(Problem.updated_at) >= start),
            )
            .order_by(col(Problem.status) == ProblemStatus.closed, col(Problem.updated_at).desc())
        ).all()
    )


def problem_counts(session: Session, viewer: Viewer, problem_ids: list[int]) -> dict[int, int]:
    """How many reports of each file the person may see."""
    if not problem_ids:
        return {}
    found = session.exec(
        select(col(Situation.problem_id), func.count())
        .where(col(Situation.problem_id).in_(problem_ids), visible(viewer))
        .group_by(col(Situation.problem_id))
    ).all()
    return {problem_id: count for problem_id, count in found if problem_id is not None}


GROUPABLE_LIMIT = 200


def groupable(session: Session, viewer: Viewer, filters: Filters, problem: Problem | None) -> list[Row]:
    """The body's recent reports that the person reads whole and that could join the file."""
    stmt = (
        select(Situation)
        .where(
            full_text(viewer),
            Situation.body_id == filters.body_id,
            or_(
                col(Situation.problem_id).is_(None),
                col(Situation.problem_id) == (problem.id if problem else -1),
            ),
        )
        .order_by(col(Situation.id).desc())
        .limit(GROUPABLE_LIMIT)
    )
    return rows(session, viewer, session.exec(stmt).all(), "problem")


def problem_situation_ids(session: Session, viewer: Viewer, problem: Problem) -> list[int]:
    """The reports of the file that the person reads whole."""
    found = session.exec(
        select(Situation.id).where(Situation.problem_id == problem.id, full_text(viewer))
    ).all()
    return [i for i in found if i is not None]


def problem_situations(session: Session, viewer: Viewer, problem: Problem) -> list[Row]:
    """The file's reports that the person may see, oldest first (the file's timeline)."""
    found = session.exec(
        select(Situation)
        .where(Situation.problem_id == problem.id, visible(viewer))
        .order_by(col(Situation.occurred_at), col(Situation.id))
    ).all()
    return rows(session, viewer, found, "problem")


# Categories (the coordinator's list)


def save_category(
    session: Session, *, actor: User, data: CategoryIn, category_id: int | None = None
) -> Category:
    require_staff(actor)
    category = (
        Category(code=data.code, name=data.name)
        if category_id is None
        else session.get(Category, category_id)
    )
    if category is None:
        raise NotFound()
    for field, value in (("code", data.code), ("name", data.name)):
        clash = session.exec(
            select(Category).where(getattr(Category, field) == value, col(Category.id) != category_id)
        ).first()
        if clash is not None:
            raise InvalidInput({field: N_("This value is already used.")})
    category.code, category.name, category.position, category.active = (
        data.code,
        data.name,
        data.position,
        data.active,
    )
    session.add(category)
    session.flush()
    audit.record(
        session, user_id=actor.id, verb="save", entity="category", entity_id=category.id, code=data.code
    )
    session.commit()
    return category


def members_of(session: Session, body_id: int, roles: Sequence[MemberRole]) -> list[int]:
    return list(
        session.exec(
            select(Membership.user_id).where(
                Membership.body_id == body_id,
                col(Membership.role).in_(list(roles)),
                col(Membership.excluded_at).is_(None),
            )
        ).all()
    )


def attachments_of(session: Session, situation_id: int) -> list[Attachment]:
    return list(
        session.exec(
            select(Attachment).where(Attachment.situation_id == situation_id).order_by(col(Attachment.id))
        ).all()
    )


def delete_situation(session: Session, *, access: SituationAccess, settings: Settings) -> None:
    """A report posted by mistake: gone with its updates and attachments (files included, once
    the deletion is committed); the audit log keeps that it existed. Commits."""
    access.require_edit()
    situation = access.situation
    files.remove_after_commit(session, settings, attachments_of(session, situation.id or 0))
    audit.record(
        session,
        user_id=access.viewer.user.id,
        verb="delete",
        entity="situation",
        entity_id=situation.id,
        body_id=situation.body_id,
    )
    session.delete(situation)
    session.commit()


# What actions need of reports (the actions domain calls these, never the tables)


def _of_body(body_id: int) -> ColumnElement[bool]:
    return or_(
        col(Situation.body_id) == body_id,
        exists().where(
            col(SituationReferral.situation_id) == Situation.id, col(SituationReferral.body_id) == body_id
        ),
    )


def readable_in_body(session: Session, viewer: Viewer, ids: Iterable[int], body_id: int) -> set[int]:
    """Which of these reports of the body (or handed to it) the person reads whole."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    found = session.exec(
        select(Situation.id).where(col(Situation.id).in_(wanted), full_text(viewer), _of_body(body_id))
    ).all()
    return {i for i in found if i is not None}


def any_confidential(session: Session, ids: Iterable[int]) -> bool:
    wanted = sorted(set(ids))
    return bool(wanted) and (
        session.exec(
            select(func.count()).where(
                col(Situation.id).in_(wanted),
                or_(col(Situation.confidentiality).in_(CONFIDENTIAL), col(Situation.names_person)),
            )
        ).one()
        > 0
    )


def refer(session: Session, situation_ids: Iterable[int], body_id: int) -> None:
    """Hands reports to another body with the action that answers them (history kept: their own
    body still reads them)."""
    wanted = set(situation_ids)
    if not wanted:
        return
    present = set(
        session.exec(
            select(SituationReferral.situation_id).where(
                SituationReferral.body_id == body_id, col(SituationReferral.situation_id).in_(sorted(wanted))
            )
        ).all()
    )
    for situation_id in sorted(wanted - present):
        session.add(SituationReferral(situation_id=situation_id, body_id=body_id))


def problem_in_body(session: Session, problem_id: int, body_id: int) -> Problem | None:
    problem = session.get(Problem, problem_id)
    return problem if problem is not None and problem.body_id == body_id else None


def visible_rows(session: Session, viewer: Viewer, ids: Iterable[int], via: str) -> list[Row]:
    """These reports as far as the person may see them, newest first."""
    wanted = sorted(set(ids))
    if not wanted:
        return []
    stmt = select(Situation).where(col(Situation.id).in_(wanted), visible(viewer))
    return rows(session, viewer, session.exec(stmt.order_by(col(Situation.id).desc())).all(), via)


RECENT_LIMIT = 100


def readable_titles(session: Session, viewer: Viewer, body_id: int) -> list[tuple[int, str]]:
    """The body's latest reports the person reads whole, as (id, title): what an agenda item
    may link (one query)."""
    found = session.exec(
        select(Situation.id, Situation.title)
        .where(full_text(viewer), _of_body(body_id))
        .order_by(col(Situation.id).desc())
        .limit(RECENT_LIMIT)
    ).all()
    return [(i, title) for i, title in found if i is not None]


def recent_readable(session: Session, viewer: Viewer, body_id: int, keep: Iterable[int] = ()) -> list[Row]:
    """The body's latest reports that the person reads whole (an action's form offers them),
    with those already chosen."""
    recent = session.exec(
        select(Situation.id)
        .where(full_text(viewer), _of_body(body_id))
        .order_by(col(Situation.id).desc())
        .limit(RECENT_LIMIT)
    ).all()
    wanted = readable_in_body(session, viewer, keep, body_id) | {i for i in recent if i is not None}
    stmt = select(Situation).where(col(Situation.id).in_(sorted(wanted)))
    return rows(session, viewer, session.exec(stmt.order_by(col(Situation.id).desc())).all(), "action")


@dataclass(frozen=True)
class CategoryCounts:
    """How many reports a person may see, by category; the social reports they see only as a
    stub are counted apart, since their category is not theirs to know."""

    by_category: list[tuple[Category, int]]
    stubs: int

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_category) + self.stubs


def category_counts(session: Session, viewer: Viewer, ids: Iterable[int]) -> CategoryCounts:
    """Counts of these reports, no text (a crime-treatment group's final report): three
    queries whatever their number."""
    wanted = sorted(set(ids))
    if not wanted:
        return CategoryCounts(by_category=[], stubs=0)
    among = col(Situation.id).in_(wanted)
    full = dict(
        session.exec(
            select(Situation.category_id, func.count())
            .where(among, full_text(viewer))
            .group_by(col(Situation.category_id))
        ).all()
    )
    seen = session.exec(select(func.count()).where(among, visible(viewer))).one()
    by_category = [(c, full[c.id]) for c in categories(session, active_only=False) if c.id in full]
    return CategoryCounts(by_category=by_category, stubs=seen - sum(full.values()))


def posted_since(session: Session, viewer: Viewer, since: datetime, *, limit: int) -> tuple[list[Row], int]:
    """Reports posted since then that the person may see (a social one outside its
    organisations as its stub), newest first, capped, and how many in all; the person's own are
    not news to them."""
    where = [
        visible(viewer),
        col(Situation.created_at) >= since,
        or_(col(Situation.created_by).is_(None), col(Situation.created_by) != viewer.user.id),
    ]
    total = session.exec(select(func.count()).select_from(Situation).where(*where)).one()
    found = session.exec(
        select(Situation).where(*where).order_by(col(Situation.id).desc()).limit(limit)
    ).all()
    return rows(session, viewer, list(found), "home"), int(total)

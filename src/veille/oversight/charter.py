"""The charter report of a body and a year, which the CLSPD charter requires: acceptances and
their dates, members who have not accepted, exclusions and their reasons, the charter's versions,
and the reads of the body's restricted and social reports counted by the readers' organisation
(counts, never a report's text). For the body's chair, a plenary's chair and the staff; anyone
else is not told the report exists (404)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.audit import service as audit
from veille.bodies import charter_report
from veille.bodies.enums import MemberRole
from veille.bodies.models import Body
from veille.directory.models import Organisation, User
from veille.errors import NotFound
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation
from veille.situations.visibility import CONFIDENTIAL

FIRST_YEAR = 2000
LAST_YEAR = 2100


@dataclass(frozen=True)
class Reads:
    """The reads of the body's confidential reports by the members of one organisation."""

    organisation: str
    restricted: int
    social: int

    @property
    def total(self) -> int:
        return self.restricted + self.social


@dataclass(frozen=True)
class CharterReport:
    body: Body
    year: int
    today: date
    record: charter_report.CharterRecord
    reads: list[Reads]

    @property
    def reads_total(self) -> int:
        return sum(r.total for r in self.reads)


def report_body(session: Session, viewer: Viewer, body_id: int) -> Body:
    """The body, for its chair, a plenary's chair (whose council oversees every body) and the
    staff; 404 for anyone else, its other members included."""
    chaired = [b for b, role in viewer.roles.items() if role == MemberRole.chair and viewer.sees_body(b)]
    if not (
        viewer.oversees(body_id) or body_id in chaired or charter_report.chairs_a_plenary(session, chaired)
    ):
        raise NotFound()
    return charter_report.get_body(session, body_id)


def year_bounds(year: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The year in the city's time zone, as UTC instants (start included, end excluded)."""
    return (
        datetime.combine(date(year, 1, 1), time(), tz).astimezone(UTC),
        datetime.combine(date(year + 1, 1, 1), time(), tz).astimezone(UTC),
    )


def build(
    session: Session,
    viewer: Viewer,
    body_id: int,
    *,
    year: int,
    today: date,
    tz: ZoneInfo,
    via: Literal["page", "pdf"],
) -> CharterReport:
    """The report; reading it is audited, like any consultation of the audit trail."""
    body = report_body(session, viewer, body_id)
    start, end = year_bounds(year, tz)
    report = CharterReport(
        body=body,
        year=year,
        today=today,
        record=charter_report.charter_record(session, body, start, end),
        reads=_reads(session, body_id, start, end),
    )
    audit.record_consultation(
        session, user_id=viewer.user.id, entity="charter_report", entity_id=body_id, year=year, via=via
    )
    return report


def _reads(session: Session, body_id: int, start: datetime, end: datetime) -> list[Reads]:
    """Counted from the audit's read events (``situations.visibility.record_reads`` writes one per
    read of a restricted or social report), by the class the report has now: three queries."""
    confidential = select(col(Situation.id)).where(
        Situation.body_id == body_id, col(Situation.confidentiality).in_(CONFIDENTIAL)
    )
    counted = audit.count_reads(session, entity="situation", entity_ids=confidential, start=start, end=end)
    if not counted:
        return []
    classes = dict(
        session.exec(
            select(Situation.id, Situation.confidentiality).where(
                col(Situation.id).in_(sorted({s for _, s, _ in counted}))
            )
        ).all()
    )
    readers = dict(
        session.exec(
            select(User.id, Organisation.name)
            .join(Organisation, col(Organisation.id) == User.organisation_id)
            .where(col(User.id).in_(sorted({u for u, _, _ in counted if u is not None})))
        ).all()
    )
    restricted: Counter[str] = Counter()
    social: Counter[str] = Counter()
    for user_id, situation_id, n in counted:
        organisation = readers.get(user_id, "") if user_id is not None else ""
        target = social if classes.get(situation_id) == Confidentiality.social else restricted
        target[organisation] += n
    names = sorted(set(restricted) | set(social), key=lambda name: (-(restricted[name] + social[name]), name))
    return [Reads(organisation=name, restricted=restricted[name], social=social[name]) for name in names]

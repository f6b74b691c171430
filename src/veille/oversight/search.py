"""The audit trail searched by admins: one filter model for the page, its CSV export and the API
(by person, organisation, body, kind of event, record and period); every consultation of the
trail is itself audited (docs/confidentiality.md, rule 6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, StringConstraints, model_validator
from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from veille.actions.models import Action
from veille.audit import service as audit
from veille.audit.models import AuditEvent
from veille.directory.models import Organisation, User
from veille.directory.service import require_admin
from veille.exports import Table
from veille.i18n import N_, translate
from veille.meetings.models import AgendaItem, Meeting
from veille.situations.models import Problem, Situation
from veille.types import Day, Id

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Via = Literal["page", "export", "api"]
PERIOD_REVERSED = N_("The period ends before it starts.")
# The most rows one export holds, newest first: narrow the search for older ones.
EXPORT_LIMIT = 10_000


class Filters(BaseModel):
    """What to look for; every filter narrows the search (the page's query string, the export's
    and the API's query parameters)."""

    user_id: Id | None = None
    organisation_id: Id | None = None
    body_id: Id | None = None
    verb: Code | None = None
    entity: Code | None = None
    entity_id: Id | None = None
    since: Day | None = None
    until: Day | None = None

    @model_validator(mode="after")
    def _period(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(PERIOD_REVERSED)
        return self


# The records of a body, by the kind the audit names them with.
BODY_RECORDS: dict[str, Callable[[int], SelectOfScalar[int | None]]] = {
    "situation": lambda b: select(col(Situation.id)).where(Situation.body_id == b),
    "problem": lambda b: select(col(Problem.id)).where(Problem.body_id == b),
    "meeting": lambda b: select(col(Meeting.id)).where(Meeting.body_id == b),
    "agenda_item": lambda b: (
        select(col(AgendaItem.id))
        .join(Meeting, col(Meeting.id) == AgendaItem.meeting_id)
        .where(Meeting.body_id == b)
    ),
    "action": lambda b: select(col(Action.id)).where(Action.body_id == b),
}


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tz).astimezone(UTC)


def conditions(filters: Filters, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    """The filters as SQL; the period's days are the city's (``VEILLE_TIMEZONE``)."""
    where: list[ColumnElement[bool]] = []
    if filters.user_id:
        where.append(col(AuditEvent.user_id) == filters.user_id)
    if filters.organisation_id:
        people = select(col(User.id)).where(User.organisation_id == filters.organisation_id)
        where.append(col(AuditEvent.user_id).in_(people))
    if filters.body_id:
        body_id = filters.body_id
        where.append(
            or_(
                and_(col(AuditEvent.entity) == "body", col(AuditEvent.entity_id) == body_id),
                *(
                    and_(col(AuditEvent.entity) == kind, col(AuditEvent.entity_id).in_(records(body_id)))
                    for kind, records in BODY_RECORDS.items()
                ),
            )
        )
    if filters.verb:
        where.append(col(AuditEvent.verb) == filters.verb)
    if filters.entity:
        where.append(col(AuditEvent.entity) == filters.entity)
    if filters.entity_id:
        where.append(col(AuditEvent.entity_id) == filters.entity_id)
    if filters.since:
        where.append(col(AuditEvent.at) >= _local_midnight(filters.since, tz))
    if filters.until:
        where.append(col(AuditEvent.at) < _local_midnight(filters.until + timedelta(days=1), tz))
    return where


def search(
    session: Session,
    admin: User,
    filters: Filters,
    *,
    tz: ZoneInfo,
    via: Via,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[AuditEvent], str | None]:
    """A page of the matching events, newest first (admins); the consultation is audited."""
    require_admin(admin)
    items, next_cursor = audit.list_events(session, limit=limit, cursor=cursor, where=conditions(filters, tz))
    audit.record_consultation(
        session,
        user_id=admin.id,
        entity="audit",
        via=via,
        search=filters.model_dump(mode="json", exclude_none=True),
    )
    return items, next_cursor


def latest_match(session: Session, filters: Filters, *, tz: ZoneInfo) -> tuple[int, int | None]:
    """How many events match and the latest of them (the log only grows): what an export of
    the search is made of, its validator (one query)."""
    n, latest = session.exec(
        select(func.count(), func.max(AuditEvent.id)).where(*conditions(filters, tz))
    ).one()
    return int(n), latest


def record_export(session: Session, admin: User, filters: Filters) -> None:
    """Audits a download of the search's export that the admin already held (answered 304)."""
    require_admin(admin)
    audit.record_consultation(
        session,
        user_id=admin.id,
        entity="audit",
        via="export",
        search=filters.model_dump(mode="json", exclude_none=True),
    )


def people(session: Session) -> list[tuple[User, Organisation]]:
    """Every account, active or not, with its organisation: the form's choices and the names of
    the events' authors (one query)."""
    return list(
        session.exec(
            select(User, Organisation)
            .join(Organisation, col(Organisation.id) == User.organisation_id)
            .order_by(col(User.name), col(User.id))
        ).all()
    )


def detail_text(event: AuditEvent) -> str:
    """The event's details as one line: ``key: value`` pairs."""
    return "; ".join(
        f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
        for k, v in sorted(event.detail.items())
    )


def export(session: Session, admin: User, filters: Filters, *, tz: ZoneInfo, language: str) -> Table:
    """The matching events as a table (at most ``EXPORT_LIMIT``, newest first); a spreadsheet
    reads no cell as a formula (``veille.exports``)."""
    items, _ = search(session, admin, filters, tz=tz, via="export", limit=EXPORT_LIMIT)
    named = {u.id: (u.name, o.name) for u, o in people(session)}
    columns = [
        N_("Date"),
        N_("Person"),
        N_("Organisation"),
        N_("Event"),
        N_("Object"),
        N_("Id"),
        N_("Details"),
    ]
    rows: list[list[str | int | float | None]] = []
    for event in items:
        name, organisation = named.get(event.user_id, ("", "")) if event.user_id else ("", "")
        at = event.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        rows.append([at, name, organisation, event.verb, event.entity, event.entity_id, detail_text(event)])
    return Table(
        title=translate(N_("Audit log"), language),
        columns=[translate(c, language) for c in columns],
        rows=rows,
    )

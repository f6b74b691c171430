"""Activity figures (indicateurs d'activité): who reads and manages an organisation's figures,
and the series it counts each month (an outreach team: "contacts made", "crisis management"…).

Who: the figures are the organisation's own data. Its members (users of that organisation) and
the staff (admins and coordinators) read them and manage them (series and counts); anyone else
is answered 404, as for a record they may not see. Figures reach the other partners only
through the coordinator (the plenary's annual report, a body's meeting), never by reading
another organisation's grid. A deactivated organisation's figures stay readable and are no
longer changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.activity.models import ActivityCount, ActivitySeries, SeriesIn
from veille.audit import service as audit
from veille.directory.models import Organisation, User
from veille.errors import Conflict, InvalidInput, NotFound
from veille.i18n import N_

SAME_NAME = N_("This organisation already has a series with this name.")
INACTIVE = N_("This organisation is deactivated: its figures can no longer be changed.")


# Who reads and changes an organisation's figures


def may_read(viewer: Viewer, organisation_id: int) -> bool:
    return viewer.staff or viewer.organisation_id == organisation_id


def get_organisation(session: Session, viewer: Viewer, organisation_id: int) -> Organisation:
    """The organisation whose figures the person reads or manages; 404 for anyone else."""
    if not may_read(viewer, organisation_id):
        raise NotFound()
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    return organisation


def require_open(organisation: Organisation) -> None:
    if not organisation.active:
        raise Conflict(INACTIVE)


def readable_organisations(session: Session, viewer: Viewer) -> list[Organisation]:
    stmt = select(Organisation).order_by(Organisation.name)
    if not viewer.staff:
        stmt = stmt.where(Organisation.id == viewer.organisation_id)
    return list(session.exec(stmt).all())


@dataclass(frozen=True)
class Overview:
    """One organisation's line in the staff's list."""

    organisation: Organisation
    series: int
    last_month: date | None


def overview(session: Session, viewer: Viewer) -> list[Overview]:
    """The organisations that keep figures, with their number of series and latest month; two
    queries."""
    organisations = {o.id: o for o in readable_organisations(session, viewer)}
    rows = session.exec(
        select(
            ActivitySeries.organisation_id,
            func.count(func.distinct(ActivitySeries.id)),
            func.max(ActivityCount.month),
        )
        .outerjoin(ActivityCount, col(ActivityCount.series_id) == ActivitySeries.id)
        .where(col(ActivitySeries.organisation_id).in_(sorted(i for i in organisations if i)))
        .group_by(col(ActivitySeries.organisation_id))
    ).all()
    found = [Overview(organisations[o], n, last) for o, n, last in rows]
    return sorted(found, key=lambda r: r.organisation.name.lower())


# Series


def list_series(session: Session, organisation_id: int) -> list[ActivitySeries]:
    return list(
        session.exec(
            select(ActivitySeries)
            .where(ActivitySeries.organisation_id == organisation_id)
            .order_by(col(ActivitySeries.position), col(ActivitySeries.name), col(ActivitySeries.id))
        ).all()
    )


def get_series(session: Session, organisation: Organisation, series_id: int) -> ActivitySeries:
    series = session.get(ActivitySeries, series_id)
    if series is None or series.organisation_id != organisation.id:
        raise NotFound()
    return series


def _check_name(session: Session, organisation_id: int, name: str, exclude_id: int | None) -> None:
    stmt = select(ActivitySeries.id).where(
        ActivitySeries.organisation_id == organisation_id,
        func.lower(ActivitySeries.name) == name.lower(),
    )
    if exclude_id is not None:
        stmt = stmt.where(ActivitySeries.id != exclude_id)
    if session.exec(stmt).first() is not None:
        raise InvalidInput({"name": SAME_NAME})


def create_series(
    session: Session, *, user: User, organisation: Organisation, data: SeriesIn
) -> ActivitySeries:
    """Adds a series to the organisation's grid, and commits."""
    series = add_series(session, user=user, organisation=organisation, data=data)
    session.commit()
    return series


def add_series(session: Session, *, user: User, organisation: Organisation, data: SeriesIn) -> ActivitySeries:
    """Adds a series, in the caller's transaction (a grid's import creates those it lacks)."""
    require_open(organisation)
    assert organisation.id is not None
    _check_name(session, organisation.id, data.name, None)
    series = ActivitySeries(
        organisation_id=organisation.id, name=data.name, position=data.position, active=data.active
    )
    session.add(series)
    session.flush()
    audit.record(
        session,
        user_id=user.id,
        verb="create",
        entity="activity_series",
        entity_id=series.id,
        organisation_id=organisation.id,
        name=series.name,
    )
    return series


def update_series(
    session: Session, *, user: User, organisation: Organisation, series: ActivitySeries, data: SeriesIn
) -> ActivitySeries:
    require_open(organisation)
    _check_name(session, series.organisation_id, data.name, series.id)
    changed = {k: v for k, v in data.model_dump().items() if getattr(series, k) != v}
    if changed:
        series.sqlmodel_update(changed)
        session.add(series)
        audit.record(
            session,
            user_id=user.id,
            verb="update",
            entity="activity_series",
            entity_id=series.id,
            **changed,
        )
    session.commit()
    return series

"""JSON API of statistics: counts of reports and actions over what the caller may see."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from veille.access import ApiViewer
from veille.actions import counts as actions
from veille.actions.enums import ActionKind
from veille.deps import SessionDep, SettingsDep
from veille.errors import InvalidInput
from veille.i18n import N_
from veille.situations import categories, counts
from veille.stats import service
from veille.types import Day, Id, check_period

router = APIRouter(tags=["statistics"])
SituationGroup = Literal["category", "month", "sector", "body", "severity"]
ActionGroup = Literal["kind", "status", "lead_organisation", "body", "month", "effect"]


class Counts(BaseModel):
    rows: list[dict[str, Any]]


def _check_period(since: date | None, until: date | None, today: date) -> None:
    errors = check_period(since, until, today)
    if errors:
        raise InvalidInput(errors)


@router.get("/stats/situations", response_model=Counts)
def situation_stats(
    viewer: ApiViewer,
    session: SessionDep,
    settings: SettingsDep,
    group_by: Annotated[list[SituationGroup], Query(min_length=1, max_length=3)],
    body_id: Id | None = None,
    commune_id: Id | None = None,
    sector_id: Id | None = None,
    category: str | None = None,
    since: Day | None = None,
    until: Day | None = None,
) -> Counts:
    """Counts of the reports you may see (every body's for admins, coordinators and a plenary's
    chair: counts only), by the keys asked (``month``: when the facts happened,
    "YYYY-MM" in the city's time zone). A `social` report you see as a stub counts with a null
    category and severity; a filter on the category leaves it out. An unknown category: 422.
    ``commune_id`` counts the reports of its sectors."""
    _check_period(since, until, settings.today())
    category_ids: tuple[int, ...] = ()
    if category:
        found = [c.id for c in categories.categories(session, active_only=False) if c.code == category]
        if not found or found[0] is None:
            raise InvalidInput({"category": N_("Choose one of the proposed categories.")})
        category_ids = (found[0],)
    filters = counts.CountFilters(
        body_ids=(body_id,) if body_id else (),
        sector_ids=service.sector_filter(session, commune_id, sector_id),
        category_ids=category_ids,
        since=since,
        until=until,
    )
    return Counts(
        rows=service.situation_counts(session, viewer, list(dict.fromkeys(group_by)), filters, settings.tz)
    )


@router.get("/stats/actions", response_model=Counts)
def action_stats(
    viewer: ApiViewer,
    session: SessionDep,
    settings: SettingsDep,
    group_by: Annotated[list[ActionGroup], Query(min_length=1, max_length=3)],
    body_id: Id | None = None,
    kind: ActionKind | None = None,
    since: Day | None = None,
    until: Day | None = None,
) -> Counts:
    """Counts of the actions you may see (every body's for admins, coordinators and a plenary's
    chair) by the keys asked, each with how many are overdue (``month``: when they were
    recorded)."""
    _check_period(since, until, settings.today())
    filters = actions.CountFilters(
        body_ids=(body_id,) if body_id else (), kinds=(kind.value,) if kind else (), since=since, until=until
    )
    rows = service.action_counts(
        session, viewer, list(dict.fromkeys(group_by)), filters, settings.today(), settings.tz
    )
    return Counts(rows=rows)

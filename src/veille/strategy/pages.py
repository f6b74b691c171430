"""The strategy's reading pages: the list of the strategies one reads, a strategy's page (per
axis and objective: the actions by kind and status, their evaluations, the indicators over the
years, what is late) and the same as a PDF. The forms are in ``strategy.edit_pages``."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.access import PageViewer
from veille.actions.enums import ActionKind, ActionStatus
from veille.deps import SessionDep, SettingsDep
from veille.pdf import pdf_download
from veille.strategy import report, service
from veille.types import Id
from veille.web import render

router = APIRouter()


@router.get("/strategies")
def strategies_page(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    context = {
        "strategies": service.list_strategies(session, viewer),
        "can_create": service.may_adopt(session, viewer),
        "nav_active": "strategies",
    }
    return render(request, "strategy/list.html", context)


# The PDF's route comes first: "/strategies/{id}" would otherwise take "3.pdf" for an id.
@router.get("/strategies/{strategy_id}.pdf")
def strategy_pdf(
    strategy_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_access(session, viewer, strategy_id)
    context = {
        "view": report.view(session, access, settings.today()),
        "kinds": list(ActionKind),
        "statuses": list(ActionStatus),
    }
    name = f"strategie-{strategy_id}-{access.strategy.starts_year}-{access.strategy.ends_year}.pdf"
    return pdf_download(request, "strategy/pdf.html", context, str(viewer.user.language), name)


@router.get("/strategies/{strategy_id}")
def strategy_page(
    strategy_id: Id, request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    access = service.get_access(session, viewer, strategy_id)
    context = {
        "view": report.view(session, access, settings.today()),
        "kinds": list(ActionKind),
        "statuses": list(ActionStatus),
        "nav_active": "strategies",
    }
    return render(request, "strategy/page.html", context)

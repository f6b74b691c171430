"""The search page the header's box opens (``/search?q=``): the results grouped by kind; to
htmx (the page's own box, as one types), the ``results`` block alone."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.access import PageViewer
from veille.deps import SessionDep
from veille.i18n import N_, translate
from veille.search import service
from veille.web import render

router = APIRouter()
TOO_LONG = N_("Type at most %(max)s characters.")


@router.get("/search")
def search_page(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    q = service.normalise(request.query_params.get("q"))
    error = None
    if len(q) > service.Q_MAX:
        error = translate(TOO_LONG, max=service.Q_MAX)
    elif q and len(q) < service.Q_MIN:
        error = translate(service.TOO_SHORT)
    results = service.Results(q=q) if error else service.search(session, viewer, q, via="search page")
    context = {"results": results, "q": q, "error": error, "nav_active": "search"}
    return render(request, "search/results.html", context, status_code=422 if error else 200, block="results")

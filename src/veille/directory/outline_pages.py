"""The page of a sector's outline (``/directory/sectors/{id}/outline``): the GeoJSON of its
polygon, typed or pasted, for the staff."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from veille.deps import SessionDep
from veille.directory import outlines
from veille.directory.current import PageUser
from veille.directory.models import Sector
from veille.i18n import N_
from veille.types import Id
from veille.web import Form, redirect, render, run_change

router = APIRouter(prefix="/directory")
FORM = "directory/sector_outline.html"


def _context(sector: Sector, text: str, **extra: Any) -> dict[str, Any]:
    return {"sector": sector, "values": {"outline": text}, "errors": {}, "nav_active": "directory"} | extra


@router.get("/sectors/{sector_id}/outline")
def outline_form(sector_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    sector = outlines.outlined_sector(session, actor=user, sector_id=sector_id)
    outline = outlines.outline_of(sector)
    text = json.dumps(outline, indent=1) if outline else ""
    return render(request, FORM, _context(sector, text))


@router.post("/sectors/{sector_id}/outline")
def save_outline(
    sector_id: Id, request: Request, user: PageUser, session: SessionDep, form: Form
) -> Response:
    sector = outlines.outlined_sector(session, actor=user, sector_id=sector_id)
    text = str(form.get("outline", ""))

    def refused(errors: dict[str, str], status: int) -> Response:
        return render(request, FORM, _context(sector, text, errors=errors), status_code=status)

    return run_change(
        session,
        lambda: outlines.set_outline(session, actor=user, sector_id=sector_id, outline=text),
        done=lambda: redirect(request, "/directory/sectors", flash=N_("The sector's outline was saved.")),
        refused=refused,
    )

"""HTML page of the report categories: the coordinator's list, added to and edited in place
(the staff only)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer, Viewer
from veille.deps import SessionDep
from veille.directory.service import require_staff
from veille.i18n import N_
from veille.situations.categories import categories, save_category
from veille.situations.models import CategoryIn
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter()
PAGE = "situations/categories.html"


@router.get("/categories")
def categories_page(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    require_staff(viewer.user)
    context = {"categories": categories(session, active_only=False), "values": {}, "nav_active": "categories"}
    return render(request, PAGE, context)


def _save(request: Request, viewer: Viewer, session: Session, form: Form, category_id: Id | None) -> Response:
    require_staff(viewer.user)
    values = form | {"active": form.get("active") == "1"}

    def refused(errors: dict[str, str], status: int) -> Response:
        context = {
            "categories": categories(session, active_only=False),
            "values": form,
            "editing": category_id,
            "errors": errors,
            "nav_active": "categories",
        }
        return render(request, PAGE, context, status_code=status)

    return run_change(
        session,
        lambda: save_category(
            session, actor=viewer.user, data=parse_form(CategoryIn, values), category_id=category_id
        ),
        done=lambda: redirect(request, "/categories", flash=N_("The category is saved.")),
        refused=refused,
    )


@router.post("/categories")
def add_category(request: Request, viewer: PageViewer, session: SessionDep, form: Form) -> Response:
    return _save(request, viewer, session, form, None)


@router.post("/categories/{category_id}")
def edit_category(
    category_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    return _save(request, viewer, session, form, category_id)

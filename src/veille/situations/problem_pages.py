"""HTML pages of problem files: a body's files, one file with its reports, and the forms that
open and edit one (the chair and the secretaries)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer, Viewer
from veille.bodies import service as bodies
from veille.deps import SessionDep
from veille.i18n import N_
from veille.situations import problems
from veille.situations.models import Problem, ProblemCreate, ProblemUpdate
from veille.types import Id
from veille.web import Form, parse_form, redirect, render, run_change

router = APIRouter()
FORM = "situations/problem_form.html"


@router.get("/bodies/{body_id}/problems")
def body_problems(body_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    found = problems.body_problems(session, access)
    context = {
        "access": access,
        "body": access.body,
        "problems": found,
        "counts": problems.problem_counts(session, viewer, [p.id for p in found if p.id]),
        "nav_active": "situations",
    }
    return render(request, "situations/problems.html", context)


def _form_context(
    session: Session,
    viewer: Viewer,
    access: bodies.BodyAccess,
    values: dict[str, Any],
    problem: Problem | None,
) -> dict[str, Any]:
    assert access.body.id is not None
    return {
        "access": access,
        "body": access.body,
        "values": values,
        "problem": problem,
        "candidates": problems.groupable(session, viewer, access.body.id, problem),
        "nav_active": "situations",
    }


def _refused(
    request: Request,
    session: Session,
    viewer: Viewer,
    access: bodies.BodyAccess,
    values: dict[str, Any],
    problem: Problem | None,
) -> Callable[[dict[str, str], int], Response]:
    """The form again, with what was typed and why it was refused."""

    def refused(errors: dict[str, str], status: int) -> Response:
        context = _form_context(session, viewer, access, values, problem) | {"errors": errors}
        return render(request, FORM, context, status_code=status)

    return refused


@router.get("/bodies/{body_id}/problems/new")
def new_problem_form(body_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    access.require_manage()
    values = {"situation_ids": request.query_params.getlist("situation_ids"), "status": "scanning"}
    return render(request, FORM, _form_context(session, viewer, access, values, None))


@router.post("/bodies/{body_id}/problems/new")
def create_problem(
    body_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    access.require_manage()
    opened: list[int] = []

    def create() -> None:
        data = parse_form(ProblemCreate, form | {"body_id": body_id})
        opened.append(problems.create_problem(session, viewer=viewer, data=data).id or 0)

    return run_change(
        session,
        create,
        done=lambda: redirect(request, f"/problems/{opened[0]}", flash=N_("The problem file is opened.")),
        refused=_refused(request, session, viewer, access, form, None),
    )


@router.get("/problems/{problem_id}")
def problem_page(problem_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = problems.get_problem(session, viewer, problem_id)
    context = {
        "access": access,
        "problem": access.problem,
        "body": access.body_access.body,
        "rows": problems.problem_situations(session, viewer, access.problem),
        "nav_active": "situations",
    }
    return render(request, "situations/problem.html", context)


@router.get("/problems/{problem_id}/edit")
def edit_problem_form(problem_id: Id, request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    access = problems.get_problem(session, viewer, problem_id)
    access.body_access.require_manage()
    problem = access.problem
    values = {
        "title": problem.title,
        "analysis": problem.analysis,
        "status": problem.status,
        "situation_ids": problems.problem_situation_ids(session, viewer, problem),
        "version": problem.version,
    }
    return render(request, FORM, _form_context(session, viewer, access.body_access, values, problem))


@router.post("/problems/{problem_id}/edit")
def edit_problem(
    problem_id: Id, request: Request, viewer: PageViewer, session: SessionDep, form: Form
) -> Response:
    access = problems.get_problem(session, viewer, problem_id)
    access.body_access.require_manage()
    values: dict[str, Any] = {"situation_ids": [], **form}
    return run_change(
        session,
        lambda: problems.update_problem(session, access=access, data=parse_form(ProblemUpdate, values)),
        done=lambda: redirect(request, f"/problems/{problem_id}", flash=N_("The problem file is saved.")),
        refused=_refused(request, session, viewer, access.body_access, values, access.problem),
    )

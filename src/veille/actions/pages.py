"""HTML pages of actions: the table with its filters ("my actions", "my organisation's"), the
board of a body, the recording form (from an agenda item, a report, a problem file or on its
own), an action with its history, status, evaluation and referral."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from veille.actions import service
from veille.actions.enums import OPEN_STATUSES, REOPEN, STATUS_MOVES, ActionKind, ActionStatus, Event
from veille.actions.models import ActionCreate, ActionEntryIn, ActionUpdate, EvaluationIn, ReferIn
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind
from veille.bodies.models import Body
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.directory.current import PageUser
from veille.directory.models import User
from veille.errors import InvalidInput, NotFound, ServiceError
from veille.i18n import N_, translate
from veille.meetings import access as meetings
from veille.situations import service as situations
from veille.types import Day, Id, parse_id, parse_int
from veille.web import Form, form_error_response, is_htmx, parse_form, redirect, render, translated

router = APIRouter()
HISTORY = "actions/_history.html"
BOARD = "actions/_board.html"
SCOPES = ("all", "mine", "organisation")


class TableQuery(BaseModel):
    """The table's filters as the query string gives them (blank means no filter)."""

    body_id: Id | None = None
    kind: ActionKind | None = None
    status: ActionStatus | None = None
    lead_organisation_id: Id | None = None
    owner_id: Id | None = None
    due_before: Day | None = None
    overdue: bool = False


def _id_or_none(raw: object) -> int | None:
    """An id given in the query or the form; None when blank or not an id."""
    try:
        return parse_id(raw)
    except ValueError:
        return None


def _page(request: Request) -> int:
    try:
        return parse_int(request.query_params.get("page", "1"), minimum=1, maximum=100_000)
    except ValueError:
        return 1


@router.get("/actions")
def actions_table(request: Request, user: PageUser, session: SessionDep, settings: SettingsDep) -> Response:
    values = {k: v for k, v in request.query_params.items() if k != "page"}
    scope = values.get("scope", "all") if values.get("scope") in SCOPES else "all"
    errors: dict[str, str] = {}
    try:
        query = TableQuery.model_validate({k: v for k, v in values.items() if v.strip() and k != "scope"})
    except ValueError:
        query, errors = TableQuery(), {"__all__": translate(N_("Check the filters."))}
    filters = service.Filters(
        body_id=query.body_id,
        kind=query.kind,
        status=query.status,
        lead_organisation_id=query.lead_organisation_id,
        owner_id=user.id if scope == "mine" else query.owner_id,
        organisation_id=user.organisation_id if scope == "organisation" else None,
        due_before=query.due_before,
        overdue=query.overdue,
    )
    viewer = service.viewer_for(session, user)
    page, rows = service.table(session, viewer, filters, page=_page(request), today=settings.today())
    encoded = urlencode({k: v for k, v in values.items() if v})
    visible_bodies = bodies.visible_bodies(session, user)
    context = {
        "rows": rows,
        "page": page,
        "filters": values,
        "scope": scope,
        "errors": errors,
        "bodies": visible_bodies,
        "organisations": directory.list_organisations(session),
        "owners": service.owners(session, viewer),
        "base_url": request.url.path + (f"?{encoded}" if encoded else ""),
        "can_record": any(service.may_record(session, user, b) for b in visible_bodies),
        "nav_active": "actions",
    }
    return render(request, "actions/table.html", context, fragment="actions/_table.html")


# The board of a body


def _board_context(
    session: Session, access: bodies.BodyAccess, settings: Settings, **extra: Any
) -> dict[str, Any]:
    columns = service.board(session, access, settings.today())
    return {
        "body": access.body,
        "access": access,
        "columns": columns,
        "changeable": service.movable(access, columns),
        "moves": STATUS_MOVES,
        "reopen": REOPEN,
        "errors": {},
        "notice": None,
        "moved": None,
        "nav_active": "actions",
    } | extra


@router.get("/bodies/{body_id}/actions")
def body_board(
    body_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = bodies.get_body_access(session, user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    access.require_members()
    context = _board_context(
        session, access, settings, can_record=service.may_record(session, user, access.body)
    )
    return render(request, "actions/board.html", context)


# Recording an action


def _form_context(
    session: Session,
    user: User,
    values: dict[str, Any],
    *,
    body: Body | None,
    action: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "values": values,
        "body": body,
        "action": action,
        "bodies": [b for b in bodies.visible_bodies(session, user) if service.may_record(session, user, b)],
        "organisations": directory.list_organisations(session, active_only=True),
        "kinds": list(ActionKind),
        "statuses": list(OPEN_STATUSES) if action is None else None,
        "errors": {},
        "nav_active": "actions",
    }
    if body is not None:
        viewer = service.viewer_for(session, user)
        access = bodies.get_body_access(session, user, body.id or 0)
        linked = [i for i in map(_id_or_none, values.get("situation_ids", [])) if i is not None]
        context |= {
            "owners": service.owner_candidates(session, body),
            "reports": situations.recent_readable(session, viewer, body.id or 0, linked),
            "problems": situations.body_problems(session, access),
            "ends_on": body.ends_on if body.kind == BodyKind.crime_treatment_group else None,
            "may_lead_any": access.can_manage,
        }
    return context | extra


def _new_values(session: Session, user: User, request: Request) -> tuple[dict[str, Any], Body | None]:
    """The form's first values, from where it was opened: an agenda item (the decision of a
    meeting), a report, a problem file or a body."""
    params = request.query_params
    values: dict[str, Any] = {
        "kind": "preventive",
        "status": "planned",
        "progress": "0",
        "lead_organisation_id": user.organisation_id,
        "situation_ids": [],
        "partner_organisation_ids": [],
    }
    body_id = _id_or_none(params.get("body_id"))
    if (item_id := _id_or_none(params.get("agenda_item_id"))) is not None:
        meeting_access, item = meetings.get_item_access(session, service.viewer_for(session, user), item_id)
        values |= {"agenda_item_id": item.id, "meeting_id": item.meeting_id, "title": item.title}
        body_id = meeting_access.meeting.body_id
    elif (situation_id := _id_or_none(params.get("situation_id"))) is not None:
        viewer = service.viewer_for(session, user)
        report = situations.get_situation(session, viewer, situation_id)
        report.require_full()
        values |= {"situation_ids": [report.situation.id], "title": report.situation.title}
        body_id = report.situation.body_id
    elif (problem_id := _id_or_none(params.get("problem_id"))) is not None:
        problem = situations.get_problem(session, user, problem_id).problem
        viewer = service.viewer_for(session, user)
        values |= {
            "problem_id": problem.id,
            "title": problem.title,
            "situation_ids": situations.problem_situation_ids(session, viewer, problem),
        }
        body_id = problem.body_id
    body = None
    if body_id is not None:
        body = next((b for b in bodies.visible_bodies(session, user) if b.id == body_id), None)
        if body is None or not service.may_record(session, user, body):
            raise NotFound()
        values["body_id"] = body.id
    return values, body


@router.get("/actions/new")
def new_action_form(request: Request, user: PageUser, session: SessionDep) -> Response:
    values, body = _new_values(session, user, request)
    context = _form_context(session, user, values, body=body)
    if body is None and not context["bodies"]:
        raise NotFound()
    return render(request, "actions/form.html", context)


def _lists(form: Form) -> dict[str, Any]:
    """Checkboxes left unticked send nothing: an empty list, not "unchanged"."""
    values = dict(form)
    for name in ("partner_organisation_ids", "situation_ids"):
        values.setdefault(name, [])
    return values


@router.post("/actions/new")
def create_action(
    request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    values = _lists(form)
    body = next(
        (b for b in bodies.visible_bodies(session, user) if str(b.id) == str(values.get("body_id"))), None
    )
    try:
        data = parse_form(ActionCreate, values)
        action = service.record_action(session, user=user, data=data, settings=settings)
    except InvalidInput as exc:
        session.rollback()
        context = _form_context(session, user, values, body=body)
        return form_error_response(request, "actions/form.html", context, exc)
    if action.agenda_item_id:
        url = f"/meetings/{action.meeting_id}#item-{action.agenda_item_id}"
        return redirect(request, url, flash=N_("The decision is recorded as an action."))
    return redirect(request, f"/actions/{action.id}", flash=N_("The action is recorded."))


# One action


def _access(session: Session, user: User, action_id: Id) -> service.ActionAccess:
    return service.get_action(session, service.viewer_for(session, user), action_id)


def _detail_context(
    session: Session, access: service.ActionAccess, settings: Settings, **extra: Any
) -> dict[str, Any]:
    action = access.action
    entries = service.history(session, access=access)
    linked = service.situations_of(session, [action.id or 0])[action.id or 0]
    organisations = {o.id: o for o in directory.list_organisations(session)}
    body_ids = {e.from_body_id for e in entries} | {e.to_body_id for e in entries}
    return {
        "access": access,
        "action": action,
        "body": access.body,
        "row": service.rows(session, [action], settings.today())[0],
        "entries": entries,
        "authors": service.people(
            session, {e.author_id for e in entries if e.author_id} | {action.evaluated_by or 0}
        ),
        "partners": [organisations[i] for i in sorted(access.partner_ids) if i in organisations],
        "reports": situations.visible_rows(session, access.viewer, linked, "action"),
        "problem": situations.problem_in_body(session, action.problem_id, action.body_id)
        if action.problem_id
        else None,
        "meeting": meetings.meeting_of(session, action.meeting_id) if action.meeting_id else None,
        "body_names": bodies.names(session, {i for i in body_ids if i}),
        "moves": sorted(STATUS_MOVES[action.status], key=list(ActionStatus).index),
        "reopen_to": REOPEN.get(action.status),
        "targets": service.referral_targets(session, access) if access.can_refer else [],
        "events": Event,
        "errors": {},
        "values": {},
        "notice": None,
        "nav_active": "actions",
    } | extra


@router.get("/actions/{action_id}")
def action_page(
    action_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep
) -> Response:
    access = _access(session, user, action_id)
    return render(request, "actions/detail.html", _detail_context(session, access, settings))


def _refused(
    request: Request,
    session: Session,
    user: User,
    action_id: Id,
    settings: Settings,
    exc: ServiceError,
    form: Form,
    fragment: str | None = None,
) -> Response:
    """The action's page (or a part of it) again, with the refusal in it and the text kept."""
    if exc.status_code == 404:
        raise exc
    session.rollback()
    errors = exc.errors if isinstance(exc, InvalidInput) else {"__all__": exc.message}
    context = _detail_context(
        session, _access(session, user, action_id), settings, errors=translated(errors), values=form
    )
    return render(request, "actions/detail.html", context, fragment=fragment, status_code=exc.status_code)


@router.post("/actions/{action_id}/updates")
def post_update(
    action_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = _access(session, user, action_id)
    try:
        service.add_update(session, access=access, data=parse_form(ActionEntryIn, form))
    except ServiceError as exc:
        return _refused(
            request, session, user, action_id, settings, exc, form, HISTORY if is_htmx(request) else None
        )
    if not is_htmx(request):
        return redirect(request, f"/actions/{action_id}#history", flash=N_("Your update is posted."))
    context = _detail_context(
        session, _access(session, user, action_id), settings, notice=translate(N_("Your update is posted."))
    )
    return render(request, "actions/detail.html", context, fragment=HISTORY)


def _status_change(session: Session, access: service.ActionAccess, form: Form) -> ServiceError | None:
    """Moves the action as the form asks; the refusal, if any (the caller shows it)."""
    try:
        status = ActionStatus(str(form.get("status", "")))
        version = parse_int(form.get("version", ""))
    except ValueError:
        return InvalidInput({"status": N_("Choose one of the proposed values.")})
    try:
        service.set_status(
            session, access=access, status=status, version=version, reopen=form.get("reopen") == "1"
        )
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        return exc
    return None


@router.post("/actions/{action_id}/status")
def change_status(
    action_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    """From the action's page, or from the board (htmx: the board comes back, focus on the card
    moved)."""
    access = _access(session, user, action_id)
    refusal = _status_change(session, access, form)
    if is_htmx(request) and form.get("from") == "board":
        session.rollback()
        body_access = bodies.get_body_access(session, user, access.action.body_id)
        errors = {"__all__": translate(refusal.message)} if refusal else {}
        context = _board_context(session, body_access, settings, errors=errors, moved=action_id)
        status_code = refusal.status_code if refusal else 200
        return render(request, "actions/board.html", context, fragment=BOARD, status_code=status_code)
    if refusal is not None:
        return _refused(request, session, user, action_id, settings, refusal, form)
    return redirect(request, f"/actions/{action_id}", flash=N_("The status of the action is changed."))


@router.get("/actions/{action_id}/edit")
def edit_action_form(action_id: Id, request: Request, user: PageUser, session: SessionDep) -> Response:
    access = _access(session, user, action_id)
    access.require_change()
    action = access.action
    values: dict[str, Any] = action.model_dump() | {
        "partner_organisation_ids": sorted(access.partner_ids),
        "situation_ids": service.situations_of(session, [action_id])[action_id],
    }
    return render(
        request, "actions/form.html", _form_context(session, user, values, body=access.body, action=action)
    )


@router.post("/actions/{action_id}/edit")
def edit_action(
    action_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access = _access(session, user, action_id)
    access.require_change()
    values = _lists(form) | {"status": access.action.status}
    try:
        data = parse_form(ActionUpdate, values)
        service.update_action(session, access=access, data=data, settings=settings)
    except ServiceError as exc:
        if exc.status_code in (403, 404):
            raise
        session.rollback()
        access = _access(session, user, action_id)
        context = _form_context(session, user, values, body=access.body, action=access.action)
        if not isinstance(exc, InvalidInput):
            exc = InvalidInput({"__all__": exc.message})
        return form_error_response(
            request, "actions/form.html", context, exc, status_code=409 if "__all__" in exc.errors else 422
        )
    return redirect(request, f"/actions/{action_id}", flash=N_("The action is saved."))


def _apply(
    request: Request,
    session: Session,
    user: User,
    settings: Settings,
    action_id: Id,
    form: Form,
    change: Callable[[service.ActionAccess], object],
    then: str,
    flash: str,
) -> Response:
    """Runs a change of the action's page (it commits); a refusal shows the page again with
    its message."""
    try:
        change(_access(session, user, action_id))
    except ServiceError as exc:
        return _refused(request, session, user, action_id, settings, exc, form)
    return redirect(request, then, flash=flash)


@router.post("/actions/{action_id}/evaluation")
def evaluate(
    action_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    return _apply(
        request,
        session,
        user,
        settings,
        action_id,
        form,
        lambda access: service.evaluate(session, access=access, data=parse_form(EvaluationIn, form)),
        f"/actions/{action_id}#evaluation",
        N_("The evaluation is saved."),
    )


@router.post("/actions/{action_id}/refer")
def refer(
    action_id: Id, request: Request, user: PageUser, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    return _apply(
        request,
        session,
        user,
        settings,
        action_id,
        form,
        lambda access: service.refer(session, access=access, data=parse_form(ReferIn, form)),
        f"/actions/{action_id}",
        N_("The action is handed over."),
    )

"""HTML pages of actions: the table with its filters ("my actions", "my organisation's"), the
board of a body, the recording form (from an agenda item, a report, a problem file or on its
own), an action with its history, status, evaluation and referral."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlmodel import Session

from veille.access import PageViewer, Viewer, may_contribute
from veille.actions import at_meetings, extensions, lists, rules, service
from veille.actions.enums import OPEN_STATUSES, REOPEN, STATUS_MOVES, ActionKind, ActionStatus, Event
from veille.actions.models import ActionCreate, ActionEntryIn, ActionUpdate, EvaluationIn, ReferIn
from veille.bodies import service as bodies
from veille.bodies.models import Body
from veille.config import Settings
from veille.deps import SessionDep, SettingsDep
from veille.directory import service as directory
from veille.errors import InvalidInput, NotFound
from veille.i18n import N_, translate
from veille.meetings import access as meetings
from veille.situations import feed, problems, visibility
from veille.types import Id, parse_id, parse_int
from veille.web import Form, form_error_response, is_htmx, parse_form, redirect, render, run_change

router = APIRouter()
SCOPES = ("all", "mine", "organisation")


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
def actions_table(
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep
) -> Response:
    """The table, or to htmx (the filters) its ``table`` block."""
    user = viewer.user
    values = {k: v for k, v in request.query_params.items() if k != "page"}
    scope = values.get("scope", "all") if values.get("scope") in SCOPES else "all"
    errors: dict[str, str] = {}
    try:
        filters = lists.Filters.model_validate(
            {k: v for k, v in values.items() if v.strip() and k != "scope"}
        )
    except ValueError:
        filters, errors = lists.Filters(), {"__all__": translate(N_("Check the filters."))}
    if scope == "mine":
        filters = filters.model_copy(update={"owner_id": user.id})
    elif scope == "organisation":
        filters = filters.model_copy(update={"organisation_id": user.organisation_id})
    page, rows = lists.table(session, viewer, filters, page=_page(request), today=settings.today())
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
        "base_url": request.url.path + (f"?{encoded}" if encoded else ""),
        "can_record": any(may_contribute(viewer, b) for b in visible_bodies),
        "nav_active": "actions",
    }
    return render(request, "actions/table.html", context, block="table")


# The board of a body


def _board_context(
    session: Session,
    access: bodies.BodyAccess,
    settings: Settings,
    shown: lists.BoardShown | None = None,
    **extra: Any,
) -> dict[str, Any]:
    shown = shown or lists.BoardShown()
    columns = lists.board(session, access, settings.today(), shown)
    return {
        "body": access.body,
        "access": access,
        "columns": columns,
        "shown": shown,
        "changeable": lists.movable(access, columns),
        "moves": STATUS_MOVES,
        "reopen": REOPEN,
        "errors": {},
        "notice": None,
        "moved": None,
        "nav_active": "actions",
    } | extra


@router.get("/bodies/{body_id}/actions")
def body_board(
    body_id: Id,
    request: Request,
    viewer: PageViewer,
    session: SessionDep,
    settings: SettingsDep,
    shown: Annotated[lists.BoardShown, Query()],
) -> Response:
    access = bodies.get_body_access(session, viewer.user, body_id)
    if access.charter_pending:
        return redirect(request, f"/bodies/{body_id}/charter")
    access.require_members()
    context = _board_context(session, access, settings, shown, can_record=may_contribute(viewer, access.body))
    return render(request, "actions/board.html", context, block="board")


# Recording an action


def _form_context(
    session: Session,
    viewer: Viewer,
    values: dict[str, Any],
    *,
    body: Body | None,
    action: Any = None,
    **extra: Any,
) -> dict[str, Any]:
    user = viewer.user
    context: dict[str, Any] = {
        "values": values,
        "body": body,
        "action": action,
        "bodies": [b for b in bodies.visible_bodies(session, user) if may_contribute(viewer, b)],
        "organisations": directory.list_organisations(session, active_only=True),
        "kinds": list(ActionKind),
        "statuses": list(OPEN_STATUSES) if action is None else None,
        "errors": {},
        "nav_active": "actions",
    }
    if body is not None:
        access = bodies.get_body_access(session, user, body.id or 0)
        linked = [i for i in map(_id_or_none, values.get("situation_ids", [])) if i is not None]
        context |= {
            "owners": service.owner_candidates(session, body),
            "reports": feed.recent_readable(session, viewer, body.id or 0, linked),
            "problems": problems.body_problems(session, access),
            "ends_on": rules.deadline(body),
            "may_lead_any": access.can_manage,
        }
    return context | extra


def _new_values(session: Session, viewer: Viewer, request: Request) -> tuple[dict[str, Any], Body | None]:
    """The form's first values, from where it was opened: an agenda item (the decision of a
    meeting), a report, a problem file or a body."""
    user = viewer.user
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
        meeting_access, item = meetings.get_item_access(session, viewer, item_id)
        title = at_meetings.decision_title(item, _id_or_none(params.get("decision")))
        values |= {"agenda_item_id": item.id, "meeting_id": item.meeting_id, "title": title}
        body_id = meeting_access.meeting.body_id
    elif (situation_id := _id_or_none(params.get("situation_id"))) is not None:
        report = visibility.get_situation(session, viewer, situation_id)
        report.require_full()
        values |= {"situation_ids": [report.situation.id], "title": report.situation.title}
        body_id = report.situation.body_id
    elif (problem_id := _id_or_none(params.get("problem_id"))) is not None:
        problem = problems.get_problem(session, viewer, problem_id).problem
        values |= {
            "problem_id": problem.id,
            "title": problem.title,
            "situation_ids": problems.problem_situation_ids(session, viewer, problem),
        }
        body_id = problem.body_id
    body = None
    if body_id is not None:
        body = next((b for b in bodies.visible_bodies(session, user) if b.id == body_id), None)
        if body is None or not may_contribute(viewer, body):
            raise NotFound()
        values["body_id"] = body.id
    return values, body


@router.get("/actions/new")
def new_action_form(request: Request, viewer: PageViewer, session: SessionDep) -> Response:
    values, body = _new_values(session, viewer, request)
    context = _form_context(session, viewer, values, body=body)
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
    request: Request, viewer: PageViewer, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    values = _lists(form)
    body = next(
        (b for b in bodies.visible_bodies(session, viewer.user) if str(b.id) == str(values.get("body_id"))),
        None,
    )
    # Not run_change: only bad input shows the form again; a refusal (a guest, another
    # organisation's lead, a closed body) is the error page, as before.
    try:
        data = parse_form(ActionCreate, values)
        action = service.record_action(session, viewer=viewer, data=data, settings=settings)
    except InvalidInput as exc:
        session.rollback()
        context = _form_context(session, viewer, values, body=body)
        return form_error_response(request, "actions/form.html", context, exc)
    if action.agenda_item_id:
        url = f"/meetings/{action.meeting_id}#item-{action.agenda_item_id}"
        return redirect(request, url, flash=N_("The decision is recorded as an action."))
    return redirect(request, f"/actions/{action.id}", flash=N_("The action is recorded."))


# One action


def _detail_context(
    session: Session, access: service.ActionAccess, settings: Settings, **extra: Any
) -> dict[str, Any]:
    action = access.action
    entries = service.history(session, access=access)
    linked = lists.situations_of(session, [action.id or 0])[action.id or 0]
    organisations = {o.id: o for o in directory.list_organisations(session)}
    body_ids = {e.from_body_id for e in entries} | {e.to_body_id for e in entries}
    return {
        "access": access,
        "action": action,
        "body": access.body,
        "row": lists.rows(session, [action], settings.today())[0],
        "entries": entries,
        "authors": lists.people(
            session, {e.author_id for e in entries if e.author_id} | {action.evaluated_by or 0}
        ),
        "partners": [organisations[i] for i in sorted(access.partner_ids) if i in organisations],
        "reports": feed.visible_rows(session, access.viewer, linked, "action"),
        "problem": problems.problem_in_body(session, action.problem_id, action.body_id)
        if action.problem_id
        else None,
        "meeting": meetings.meeting_of(session, action.meeting_id) if action.meeting_id else None,
        "mentions": extensions.mentions(session, access.viewer, action.id or 0),
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


def _found(action_id: Id, viewer: PageViewer, session: SessionDep) -> service.ActionAccess:
    """The action of the address as the person may see it (else the 404 page)."""
    return service.get_action(session, viewer, action_id)


ActionDep = Annotated[service.ActionAccess, Depends(_found)]


@router.get("/actions/{action_id}")
def action_page(request: Request, access: ActionDep, session: SessionDep, settings: SettingsDep) -> Response:
    return render(request, "actions/detail.html", _detail_context(session, access, settings))


def _page_again(
    request: Request, session: Session, access: service.ActionAccess, settings: Settings, form: Form
) -> Callable[[dict[str, str], int], Response]:
    """``run_change``'s refusal for a form of the action's page: the page again (to htmx its
    ``history`` block) with the refusal in it and the text kept; nothing was written."""
    action_id, viewer = access.action.id or 0, access.viewer

    def refused(errors: dict[str, str], status_code: int) -> Response:
        again = service.get_action(session, viewer, action_id)
        context = _detail_context(session, again, settings, errors=errors, values=form)
        return render(request, "actions/detail.html", context, block="history", status_code=status_code)

    return refused


@router.post("/actions/{action_id}/updates")
def post_update(
    request: Request, access: ActionDep, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    """From the action's page; htmx puts the history back with the update in it."""
    action_id, posted = access.action.id or 0, N_("Your update is posted.")

    def done() -> Response:
        # Without a script the page is loaded again (after a redirect, so that reloading it does
        # not post twice); htmx gets the history block.
        if not is_htmx(request):
            return redirect(request, f"/actions/{action_id}#history", flash=posted)
        again = service.get_action(session, access.viewer, action_id)
        context = _detail_context(session, again, settings, notice=translate(posted), progress_again=True)
        return render(request, "actions/detail.html", context, block="history")

    return run_change(
        session,
        lambda: service.add_update(session, access=access, data=parse_form(ActionEntryIn, form)),
        done=done,
        refused=_page_again(request, session, access, settings, form),
    )


def _set_status(session: Session, access: service.ActionAccess, form: Form) -> None:
    """Moves the action as the form asks."""
    try:
        status = ActionStatus(str(form.get("status", "")))
        version = parse_int(form.get("version", ""))
    except ValueError as exc:
        raise InvalidInput({"status": N_("Choose one of the proposed values.")}) from exc
    reopen = form.get("reopen") == "1"
    service.set_status(session, access=access, status=status, version=version, reopen=reopen)


@router.post("/actions/{action_id}/status")
def change_status(
    request: Request, access: ActionDep, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    """From the action's page, or from the board (htmx: the board's block comes back, focus on
    the card moved)."""
    action_id, body_id = access.action.id or 0, access.action.body_id

    def board(errors: dict[str, str], status_code: int = 200) -> Response:
        session.rollback()
        body_access = bodies.get_body_access(session, access.viewer.user, body_id)
        # The board shows one notice: a field's refusal (an unknown status) says it there.
        notice = {"__all__": errors.get("__all__", next(iter(errors.values())))} if errors else {}
        context = _board_context(session, body_access, settings, errors=notice, moved=action_id)
        return render(request, "actions/board.html", context, block="board", status_code=status_code)

    # Without a script a card's form leads to the action's page, as the page's own forms do.
    if form.get("from") == "board" and is_htmx(request):
        return run_change(
            session, lambda: _set_status(session, access, form), done=lambda: board({}), refused=board
        )

    def done() -> Response:
        # Done: the page opens at its evaluation, which is what comes next (it was a screen below).
        if access.can_evaluate and not access.action.effect:
            evaluate = N_("The action is done. Say what it achieved in its evaluation.")
            return redirect(request, f"/actions/{action_id}#evaluation", flash=evaluate)
        return redirect(request, f"/actions/{action_id}", flash=N_("The status of the action is changed."))

    return run_change(
        session,
        lambda: _set_status(session, access, form),
        done=done,
        refused=_page_again(request, session, access, settings, form),
    )


@router.get("/actions/{action_id}/edit")
def edit_action_form(request: Request, access: ActionDep, session: SessionDep) -> Response:
    access.require_change()
    action = access.action
    values: dict[str, Any] = action.model_dump() | {
        "partner_organisation_ids": sorted(access.partner_ids),
        "situation_ids": lists.situations_of(session, [action.id or 0])[action.id or 0],
    }
    context = _form_context(session, access.viewer, values, body=access.body, action=action)
    return render(request, "actions/form.html", context)


@router.post("/actions/{action_id}/edit")
def edit_action(
    request: Request, access: ActionDep, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    access.require_change()
    action_id, viewer = access.action.id or 0, access.viewer
    values = _lists(form) | {"status": access.action.status}

    def refused(errors: dict[str, str], status_code: int) -> Response:
        again = service.get_action(session, viewer, action_id)
        context = _form_context(session, viewer, values, body=again.body, action=again.action, errors=errors)
        return render(request, "actions/form.html", context, status_code=409 if "__all__" in errors else 422)

    return run_change(
        session,
        lambda: service.update_action(
            session, access=access, data=parse_form(ActionUpdate, values), settings=settings
        ),
        done=lambda: redirect(request, f"/actions/{action_id}", flash=N_("The action is saved.")),
        refused=refused,
    )


@router.post("/actions/{action_id}/evaluation")
def evaluate(
    request: Request, access: ActionDep, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    then, saved = f"/actions/{access.action.id}#evaluation", N_("The evaluation is saved.")
    return run_change(
        session,
        lambda: service.evaluate(session, access=access, data=parse_form(EvaluationIn, form)),
        done=lambda: redirect(request, then, flash=saved),
        refused=_page_again(request, session, access, settings, form),
    )


@router.post("/actions/{action_id}/refer")
def refer(
    request: Request, access: ActionDep, session: SessionDep, settings: SettingsDep, form: Form
) -> Response:
    handed: list[service.Handover] = []

    def said() -> str:
        if handed[0].left:
            return N_(
                "The action is handed over. The reports it answers that you may not refer yourself "
                "stayed in their body."
            )
        return N_("The action is handed over.")

    return run_change(
        session,
        lambda: handed.append(service.refer(session, access=access, data=parse_form(ReferIn, form))),
        done=lambda: redirect(request, f"/actions/{access.action.id}", flash=said()),
        refused=_page_again(request, session, access, settings, form),
    )

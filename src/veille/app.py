"""create_app(): FastAPI, middleware, routers, templates, static files."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import cache, partial
from typing import Any, NamedTuple

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veille import __version__
from veille.actions import at_meetings
from veille.actions.models import Action
from veille.config import Settings, load_settings, use_settings
from veille.db import is_busy, is_retryable, make_engine, statements_alone
from veille.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    LoginRequired,
    csrf_token_for,
    new_csrf_cookie,
    refuse_unstorable_text,
    verify_csrf,
)
from veille.directory.current import session_version
from veille.errors import InvalidInput, ServiceError, TooManyAttempts
from veille.events import watch
from veille.groupcommit import group_commit_of
from veille.heard import version_heard
from veille.i18n import N_, begin_request, translate
from veille.meetings import live
from veille.notifications.service import MailSender
from veille.pagecache import ByHeart, PageCache, PageStore, note_retry
from veille.paths import STATIC
from veille.situations.files import MAX_PER_REPORT
from veille.strategy import at_actions
from veille.web import DOWNLOAD, FLASH_COOKIE, is_htmx, login_url, render

SWAGGER = "swagger-ui-5.35.0"
API_PREFIX = "/api/v1"
# A request runs at most this many times when PostgreSQL answers a deadlock or a
# serialization failure; then, like a lock not had in time, it is answered 503.
ATTEMPTS = 3
RETRY_AFTER_SECONDS = 2
# What a request may carry besides its attachments (the form's fields, the multipart framing).
FORM_ALLOWANCE_BYTES = 1024 * 1024


class ErrorDetail(BaseModel):
    """The body of every API refusal but 422."""

    detail: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class InvalidDetail(BaseModel):
    """The body of a 422: one entry per refused value (``loc``: where it was, then its name)."""

    detail: list[FieldError]


def _error(description: str, model: type[BaseModel] = ErrorDetail) -> dict[str, Any]:
    return {"description": description, "model": model}


# What any operation of the API may answer besides its success: declared in the OpenAPI
# document, which the fuzzing tests hold the answers to (tests/fuzz/).
API_ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error("The body could not be read (not JSON)"),
    401: _error("No valid bearer token"),
    403: _error("Visible, but not yours to do"),
    404: _error("Unknown, or not visible to you"),
    409: _error("A stale version, or a change the record's state does not allow"),
    413: _error("The request is too large"),
    422: _error("A value is invalid or out of bounds", InvalidDetail),
    503: _error("The database is busy: try again after Retry-After seconds"),
}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    use_settings(settings)
    settings.signing_key  # noqa: B018  (fails early on a missing secret)

    app = FastAPI(
        title="Veille",
        version=__version__,
        docs_url=None,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url=f"{API_PREFIX}/openapi.json",
        lifespan=_lifespan,
    )
    app.state.settings = settings
    app.state.engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        lock_timeout=settings.db_lock_timeout_seconds,
    )

    _add_middleware(app, settings)
    _add_error_handlers(app)
    _add_routers(app)
    at_meetings.register()  # actions add their decisions, follow-up and links to meetings
    at_actions.register()  # the strategy adds the objectives an action carries to its page
    watch(Action, live.by_meeting("actions"))  # the meeting's screens follow its actions
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Routes run on as many threads as the pool has connections; one mail sender per process."""
    settings: Settings = app.state.settings
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.db_pool_size
    sender = MailSender(app.state.engine, settings) if settings.smtp_host else None
    if sender is not None:
        sender.start()
        sender.wake()  # what earlier runs left in the outbox
    try:
        yield
    finally:
        if sender is not None:
            await anyio.to_thread.run_sync(sender.stop)


def _add_routers(app: FastAPI) -> None:
    built = _routes()
    app.router.routes.extend(built.routes)
    app.state.downloads = built.downloads


class _Routes(NamedTuple):
    """Every route, and the patterns of the page addresses that answer a file (``DOWNLOAD``)."""

    routes: tuple[BaseRoute, ...]
    downloads: tuple[re.Pattern[str], ...]


@cache
def _routes() -> _Routes:
    """Every route, built once per process and shared by its apps (the tests build one per test):
    building them analyses each endpoint's dependencies, which is slow; a route holds no state."""
    from veille.account import api as account_api
    from veille.account import pages as account_pages
    from veille.account import people_pages, reset_pages
    from veille.actions import api as actions_api
    from veille.actions import group_pages
    from veille.actions import pages as actions_pages
    from veille.activity import api as activity_api
    from veille.activity import pages as activity_pages
    from veille.bodies import api as bodies_api
    from veille.bodies import pages as bodies_pages
    from veille.directory import api as directory_api
    from veille.directory import commune_pages, login_pages, outline_api, outline_pages, token_api
    from veille.directory import pages as directory_pages
    from veille.help import pages as help_pages
    from veille.home import body_page
    from veille.home import pages as home_pages
    from veille.meetings import api as meetings_api
    from veille.meetings import live_pages
    from veille.meetings import pages as meetings_pages
    from veille.notifications import pages as notifications_pages
    from veille.oversight import api as oversight_api
    from veille.oversight import pages as oversight_pages
    from veille.search import api as search_api
    from veille.search import pages as search_pages
    from veille.situations import api as situations_api
    from veille.situations import (
        category_pages,
        feed_pages,
        map_pages,
        notification_api,
        notification_pages,
        problem_pages,
        referral_api,
        referral_pages,
        report_pages,
        venue_pages,
    )
    from veille.stats import api as stats_api
    from veille.stats import diagnostic_pages
    from veille.stats import pages as stats_pages
    from veille.strategy import api as strategy_api
    from veille.strategy import edit_pages as strategy_edit_pages
    from veille.strategy import pages as strategy_pages
    from veille.venues import pages as venues_pages

    downloads: list[re.Pattern[str]] = []
    pages = APIRouter(
        dependencies=[Depends(verify_csrf), Depends(refuse_unstorable_text)], include_in_schema=False
    )
    for module in (
        home_pages,
        actions_pages,
        group_pages,
        login_pages,
        reset_pages,
        account_pages,
        people_pages,
        bodies_pages,
        body_page,
        directory_pages,
        outline_pages,
        meetings_pages,
        live_pages,
        notifications_pages,
        commune_pages,
        notification_pages,
        feed_pages,
        map_pages,
        report_pages,
        referral_pages,
        problem_pages,
        category_pages,
        venue_pages,
        stats_pages,
        strategy_edit_pages,  # before strategy_pages: /strategies/new is not an id
        strategy_pages,
        activity_pages,
        diagnostic_pages,
        venues_pages,
        oversight_pages,
        search_pages,
        help_pages,
    ):
        pages.include_router(module.router)
        downloads.extend(
            route.path_regex
            for route in module.router.routes
            if isinstance(route, APIRoute) and DOWNLOAD in route.tags
        )
    router = APIRouter()
    router.include_router(pages)

    api = APIRouter(prefix=API_PREFIX, responses=API_ERRORS, dependencies=[Depends(refuse_unstorable_text)])
    for module in (
        token_api,
        account_api,
        directory_api,
        outline_api,
        bodies_api,
        meetings_api,
        situations_api,
        referral_api,
        actions_api,
        stats_api,
        strategy_api,
        activity_api,
        notification_api,
        oversight_api,
        search_api,
    ):
        api.include_router(module.router)
    router.include_router(api)

    @router.get(f"{API_PREFIX}/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        # Served from the vendored copy: deployments may have no internet access.
        return get_swagger_ui_html(
            openapi_url=f"{API_PREFIX}/openapi.json",
            title="Veille API",
            swagger_js_url=f"/static/vendor/{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"/static/vendor/{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"/static/vendor/{SWAGGER}/favicon-32x32.png",
        )

    @router.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        # Browsers ask for it at the root on a first visit, whatever the page links.
        cached = {"Cache-Control": "max-age=86400"}
        return FileResponse(STATIC / "favicon.ico", media_type="image/x-icon", headers=cached)

    return _Routes(tuple(router.routes), tuple(downloads))


CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
)


def content_security_policy(settings: Settings) -> str:
    """The pages' CSP: images also from the map's tile server, and from no other host."""
    tiles = settings.map_tiles_origin
    return CSP.replace("img-src 'self' data:;", f"img-src 'self' data: {tiles};") if tiles else CSP


class RequestGuard:
    """Reads a request's body, bounded, before anything parses it; runs the request again after
    a PostgreSQL deadlock or serialization failure (its transaction was rolled back, so nothing
    of it stays); answers 503 with ``Retry-After`` when the database could not give it a lock or
    a connection in time, instead of a 500."""

    def __init__(self, app: ASGIApp, *, max_body: int, refuse: Callable[[Request, int], Response]) -> None:
        self.app = app
        self.max_body = max_body
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await self._read_body(scope, receive)
        if body is None:
            await self.refuse(Request(scope), 413)(scope, receive, send)
            return
        for attempt in range(1, ATTEMPTS + 1):
            if attempt > 1:
                note_retry()
            run = _Attempt(body, receive, send)
            try:
                await self.app(scope, run.receive, run.send)
                return
            except Exception as exc:
                if run.started or not (is_retryable(exc) or is_busy(exc)):
                    raise
                if is_retryable(exc) and attempt < ATTEMPTS:
                    continue
                await self.refuse(Request(scope), 503)(scope, receive, send)
                return

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        """The whole body, or None when it is larger than allowed (said or found)."""
        length = Headers(scope=scope).get("content-length", "")
        if length.isascii() and length.isdigit() and int(length) > self.max_body:
            return None
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


class _Attempt:
    """One run of a request: its body replayed, and whether its answer has begun."""

    def __init__(self, body: bytes, receive: Receive, send: Send) -> None:
        self._pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        self._receive = receive
        self._send = send
        self.started = False

    async def receive(self) -> Message:
        return self._pending.pop() if self._pending else await self._receive()

    async def send(self, message: Message) -> None:
        self.started = self.started or message["type"] == "http.response.start"
        await self._send(message)


class SecurityHeaders:
    """Every answer's security headers and a first visit's CSRF cookie; the settings, language
    and CSRF token of the request for what runs inside it. A plain ASGI middleware: Starlette's
    ``@app.middleware("http")`` ran each request in a task of its own, its answer passed through
    memory streams, a quarter of a kept page's cost (docs/performance.md)."""

    def __init__(self, app: ASGIApp, *, settings: Settings, secure: bool) -> None:
        self.app = app
        self.settings = settings
        self.secure = secure
        self.csp = content_security_policy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        use_settings(self.settings)
        begin_request(request.headers.get("accept-language"))
        cookie = request.cookies.get(CSRF_COOKIE)
        fresh = cookie is None
        if cookie is None:
            cookie = new_csrf_cookie()
        request.state.csrf_token = csrf_token_for(self.settings, cookie)
        request.state.user = None
        path: str = scope["path"]
        static = path.startswith("/static")
        given = ""  # the cookie of a first visit to a page
        if fresh and not static and not path.startswith(API_PREFIX):
            given = f"{CSRF_COOKIE}={cookie}; HttpOnly; Path=/; SameSite=lax" + "; Secure" * self.secure

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # A message of its own: the one received may be kept (a page kept is sent again).
                headers = MutableHeaders(raw=list(message.get("headers", [])))
                message = {**message, "headers": headers.raw}
                if given:
                    headers.append("set-cookie", given)
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
                if not static:
                    # Pages hold confidential content: never kept by the browser or a proxy.
                    headers.setdefault("Cache-Control", "no-store")
                    if not path.startswith(f"{API_PREFIX}/docs"):
                        headers.setdefault("Content-Security-Policy", self.csp)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    secure = settings.base_url.startswith("https://")
    app.add_middleware(
        RequestGuard,
        max_body=settings.attachment_max_mb * 1024 * 1024 * MAX_PER_REPORT + FORM_ALLOWANCE_BYTES,
        refuse=_refusal,
    )
    # Inside the security middleware: a kept page gets this request's headers, never a cookie.
    engine = app.state.engine
    alone = statements_alone(engine)
    app.state.page_store = PageStore(settings.page_cache_mb * 1024 * 1024, settings.page_cache_seconds)
    app.add_middleware(
        PageCache,
        begin=alone.begin,
        check=partial(session_version, settings),
        session_cookie=SESSION_COOKIE,
        csrf_cookie=CSRF_COOKIE,
        bypass_cookies=(FLASH_COOKIE,),
        store=app.state.page_store,
        skip_prefixes=(API_PREFIX, "/static"),
        # PostgreSQL: a kept page is served without a round trip of its own while the version it
        # was made from is the last one this process heard (SQLite asks its file: none).
        by_heart=(
            ByHeart(partial(version_heard, engine), group_commit_of(engine))
            if engine.dialect.name == "postgresql"
            else None
        ),
        secure=secure,
    )
    app.add_middleware(SecurityHeaders, settings=settings, secure=secure)


_REFUSALS = {
    413: N_("This request is too large."),
    503: N_("Veille is very busy at this moment and could not record this. Try again in a moment."),
}


def _refusal(request: Request, status: int) -> Response:
    """The answer of ``RequestGuard``: a JSON body for the API, an error page otherwise."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}
    if _is_api(request):
        return JSONResponse({"detail": _REFUSALS[status]}, status_code=status, headers=headers)
    return _error_page(request, status, _REFUSALS[status], headers)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _error_location(request: Request, field: str) -> list[str]:
    if field == "__all__":
        return ["body"]
    if field in request.path_params:
        return ["path", field]
    return ["query" if field in request.query_params else "body", field]


def _add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": N_("Not authenticated.")},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        if is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": login_url(request)})
        return RedirectResponse(login_url(request), status_code=303)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyAttempts) else None
        if _is_api(request):
            detail: object = exc.message
            if isinstance(exc, InvalidInput):
                detail = [
                    {
                        "loc": _error_location(request, k),
                        "msg": v,
                        "type": "value_error",
                    }
                    for k, v in exc.errors.items()
                ]
            return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)
        message = translate(exc.message) if exc.message else ""
        if isinstance(exc, InvalidInput):
            message = " ".join(translate(v) for v in exc.errors.values())
        return _error_page(request, exc.status_code, message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        page = _page_above(request) if exc.status_code == 405 else None
        if page is not None:
            return RedirectResponse(page, status_code=303)
        return _error_page(request, exc.status_code, "", exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            errors = [{k: e[k] for k in ("loc", "msg", "type") if k in e} for e in exc.errors()]
            return JSONResponse({"detail": errors}, status_code=422)
        # A page address with a malformed id designates nothing.
        return _error_page(request, 404, "")


def _page_above(request: Request) -> str | None:
    """The page a form's address belongs to (``/actions/13`` for ``/actions/13/evaluation``),
    for a GET of that address: a form refused at it leaves it in the address bar, and a reload
    or a return through the history then lands on the form's page, not on "not allowed". A
    file's download is no page (an attachment's delete address would download the file)."""
    if request.method not in ("GET", "HEAD") or _is_page(request, request.url.path):
        return None  # a HEAD of a page: not allowed there, not sent elsewhere
    parts = request.url.path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        path = "/".join(parts) or "/"
        if _is_page(request, path) and not any(d.match(path) for d in request.app.state.downloads):
            return path
    return None


def _is_page(request: Request, path: str) -> bool:
    """Whether a GET of ``path`` has a route."""
    scope = {**request.scope, "path": path, "method": "GET"}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


_TITLES = {
    400: N_("Bad request"),
    403: N_("Access refused"),
    404: N_("Page not found"),
    405: N_("Not allowed"),
    409: N_("Not possible now"),
    422: N_("Invalid data"),
    413: N_("Request too large"),
    429: N_("Too many attempts"),
    503: N_("Service busy"),
}
_DEFAULT_MESSAGES = {
    403: N_("You are not allowed to do this."),
    404: N_("This page does not exist, or you are not allowed to see it."),
}


def _error_page(request: Request, status: int, message: str, headers: object = None) -> Response:
    title = _TITLES.get(status, N_("Error"))
    text = message or _DEFAULT_MESSAGES.get(status, "")
    sent = dict(headers) if isinstance(headers, dict) else {}
    if is_htmx(request):
        # A part of a page asked for: it stays as it was (a form keeps what was typed, where the
        # error selected nothing of it and emptied it) and app.js says why above the page.
        said = translate(text) if text else translate(title)
        event = {"veille:refused": {"message": said}}
        sent |= {"HX-Reswap": "none", "HX-Trigger": json.dumps(event, ensure_ascii=True)}
    return render(
        request,
        "error.html",
        {"title": title, "message": text, "status": status},
        status_code=status,
        headers=sent or None,
        block="error",
    )

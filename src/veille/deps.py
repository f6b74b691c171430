"""Dependencies shared by every router: database session, settings, CSRF, text that no
database can store (the person asking is found by ``directory.current``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from veille.config import Settings
from veille.db import open_session
from veille.errors import InvalidInput, ServiceError
from veille.i18n import N_
from veille.signing import same_secret

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
SESSION_COOKIE = "veille_session"
CSRF_COOKIE = "veille_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SHOWN = {"name", "language", "organisation"}  # what an error page reads of the person


class LoginRequired(Exception):
    """No valid session: pages send the person to the login page, the API answers 401."""


class CsrfRefused(ServiceError):
    status_code = 403

    def __init__(self) -> None:
        super().__init__(
            N_("The form has expired or did not come from Veille. Reload the page and try again.")
        )


def get_settings(request: Request) -> Settings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; it takes SQLite's write lock at its first write (see db.py)."""
    session = open_session(request.app.state.engine)
    try:
        yield session
    except Exception:
        _keep_person(session, request)
        raise
    finally:
        session.close()


def _keep_person(session: Session, request: Request) -> None:
    """The error page is drawn once this session is closed, for the person read at the
    request's start: a refused change rolled back before failing (``web.run_change``) left
    them expired, which a closed session cannot read again. Read here while it is open; if the
    database cannot answer, the error page says so without them."""
    user = getattr(request.state, "user", None)
    if user is None or user not in session or not inspect(user).unloaded & _SHOWN:
        return
    try:
        session.rollback()
        session.refresh(user, [*inspect(user).mapper.column_attrs.keys(), "organisation"])
    except SQLAlchemyError:
        request.state.user = None


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


# CSRF: a random cookie, and a token derived from it with the secret key (signed double
# submit), sent back in a hidden field or, for htmx, in a header; plus an Origin check.


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(32)


def csrf_token_for(settings: Settings, cookie: str) -> str:
    return hmac.new(settings.signing_key, b"csrf:" + cookie.encode(), hashlib.sha256).hexdigest()


def _same_origin(request: Request, settings: Settings) -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True  # Older browsers send neither on same-origin posts; the token still holds.
    netloc = urlsplit(origin).netloc
    return netloc in {request.url.netloc, urlsplit(settings.base_url).netloc}


async def verify_csrf(request: Request) -> None:
    if request.method in SAFE_METHODS:
        return
    settings = get_settings(request)
    cookie = request.cookies.get(CSRF_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not cookie or not sent or not _same_origin(request, settings):
        raise CsrfRefused()
    if not same_secret(sent, csrf_token_for(settings, cookie)):
        raise CsrfRefused()


# Text that no database stores: NUL (PostgreSQL refuses it in text) and lone surrogates (no
# UTF-8 encoding; only JSON can carry one). Refused at the edge, for every path, query, form and
# JSON value of every route, pages and API alike, before anything parses them further.

UNSTORABLE_TEXT = N_("This text holds a character that Veille cannot store (such as NUL).")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(value: object) -> bool:
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


async def _body_fields(request: Request) -> list[tuple[str, object]]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    if content_type == "application/json" or content_type.endswith("+json"):
        try:
            return [("__all__", json.loads(await request.body()))]
        except (ValueError, RecursionError):
            return []  # FastAPI answers it as a body that is not JSON
    return []


async def refuse_unstorable_text(request: Request) -> None:
    fields: list[tuple[str, object]] = [*request.path_params.items(), *request.query_params.multi_items()]
    if request.method not in SAFE_METHODS:
        fields += await _body_fields(request)
    for name, value in fields:
        if _unstorable(name) or _unstorable(value):
            field = name if not _unstorable(name) else "__all__"
            raise InvalidInput({field: UNSTORABLE_TEXT})

"""Templating and HTMX helpers: one URL serves the whole page or, to htmx, its fragment."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from babel.numbers import format_decimal
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2_fragments import render_block
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from veille.config import current_settings
from veille.errors import InvalidInput, ServiceError
from veille.i18n import (
    N_,
    active_language,
    current_language,
    format_day,
    format_moment,
    gettext_,
    ngettext,
    translate,
)
from veille.labels import LABELS
from veille.paths import TEMPLATES
from veille.signing import same_secret
from veille.types import MAX_INT

M = TypeVar("M", bound=BaseModel)
FLASH_COOKIE = "veille_flash"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "xml"]),
    extensions=["jinja2.ext.i18n"],
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    # Read once per process: checking each template's file at every include (hundreds on a
    # board or a meeting) cost a tenth of those pages. A changed template needs a restart.
    auto_reload=False,
)
env.install_gettext_callables(gettext_, ngettext, newstyle=True)  # type: ignore[attr-defined]


def _label(value: object, group: str) -> str:
    key = getattr(value, "value", value)
    return translate(LABELS[group].get(str(key), str(key)))


def _format_date(value: date | None, fmt: str = "d MMMM y") -> str:
    """The day first in English too ("29 November 2026", not Babel's "long" "November 29,
    2026"), as the pages' times read; a moment (stored in UTC) by the city's day."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)  # stored in UTC
        value = moment.astimezone(current_settings().tz).date()
    return _date_text(value, fmt, active_language()) if value else ""


@lru_cache(maxsize=4096)
def _date_text(value: date, fmt: str, language: str) -> str:
    """Babel reads the pattern and the locale at each call (about 30 µs), and a meeting's
    follow-up or a board shows the same few days hundreds of times: a sixth of their rendering."""
    return format_day(value, fmt, language)


def _format_datetime(value: datetime | None, fmt: str = "d MMMM y, HH:mm") -> str:
    if value is None:
        return ""
    return format_moment(value, fmt, current_settings().tz, active_language())


env.filters["label"] = _label
env.filters["date"] = _format_date
env.filters["number"] = lambda value: (
    format_decimal(value, locale=active_language()) if isinstance(value, int | float) else value
)
env.filters["datetime"] = _format_datetime
# A date that opens a line: its first letter upper-cased, the rest as the language writes it
# (Jinja's `capitalize` would lower "December" in English).
env.filters["capfirst"] = lambda value: str(value)[:1].upper() + str(value)[1:]
env.filters["zip_with"] = lambda left, right: list(zip(left, right, strict=True))


def _choices(group: str) -> list[tuple[str, str]]:
    """(code, translated label) of every value of a label group, for a select."""
    return [(code, translate(text)) for code, text in LABELS[group].items()]


env.globals["choices"] = _choices
# A message made in code (a message id, or text already translated) in the reader's language.
env.globals["translate"] = translate
env.filters["meeting_row"] = lambda meeting: (meeting, None)
env.filters["person_label"] = lambda user: f"{user.name} ({user.organisation.name})"


def is_htmx(request: Request) -> bool:
    """A request from htmx that wants a fragment; a history restore wants the whole page."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


@dataclass(frozen=True)
class Flash:
    category: str
    message: str


def _sign(payload: bytes, key: bytes) -> str:
    return hmac.new(key, payload, hashlib.sha256).hexdigest()


def _signing_key(request: Request) -> bytes:
    return request.app.state.settings.signing_key  # type: ignore[no-any-return]


def set_flash(request: Request, response: Response, category: str, message: str) -> None:
    """A message shown on the next page (after a redirect); ``message`` is a message id."""
    payload = base64.urlsafe_b64encode(json.dumps([category, message]).encode())
    value = payload.decode() + "." + _sign(payload, _signing_key(request))
    secure = request.app.state.settings.base_url.startswith("https://")
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="lax", path="/", secure=secure)


def _pop_flashes(request: Request) -> list[Flash]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw or "." not in raw:
        return []
    payload, signature = raw.rsplit(".", 1)
    if not same_secret(signature, _sign(payload.encode(), _signing_key(request))):
        return []
    try:
        category, message = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, TypeError):
        return []
    return [Flash(category=category, message=translate(message))]


# A person nobody has found yet (login page, error pages) is offered nothing.
NOTHING: Mapping[str, bool] = defaultdict(bool)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    block: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Renders the page or, when htmx asks for it, only the named ``block`` of the page's own
    template: the part a form or a filter replaces."""
    user = getattr(request.state, "user", None)
    # French first: an anonymous visitor sees French; a person may choose English.
    lang = str(user.language) if user else active_language()
    token = current_language.set(lang)
    flashes = _pop_flashes(request)
    values: dict[str, Any] = {
        "request": request,
        "current_user": user,
        # What the navigation may offer, set with the person by the dependency that finds them.
        "can": getattr(request.state, "can", NOTHING),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "lang": lang,
        "flashes": flashes,
        "nav_active": None,
        "errors": {},
    }
    values.update(context or {})
    try:
        # Messages are translated here, in the reader's language, whatever made them.
        if isinstance(values["errors"], dict):
            values["errors"] = translated(values["errors"])
        if block and is_htmx(request):
            html = render_block(env, template, block, values)
        else:
            html = env.get_template(template).render(values)
    finally:
        current_language.reset(token)
    response = HTMLResponse(html, status_code=status_code, headers=headers)
    response.headers["Vary"] = "HX-Request"
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def render_text(template: str, context: dict[str, Any], language: str) -> str:
    """Renders a template outside a request (mails, PDF), in the recipient's language."""
    token = current_language.set(language)
    try:
        return env.get_template(template).render({"lang": language, **context})
    finally:
        current_language.reset(token)


PDF = "application/pdf"
ICS = "text/calendar; charset=utf-8"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``Content-Disposition`` for any file name (RFC 6266): the name as typed, in UTF-8, in
    ``filename*``, and an ASCII stand-in in ``filename`` for older clients. A header holds only
    Latin-1, so a name such as "Γειά.pdf" or "plan 🗺.pdf" cannot go in ``filename`` as it is."""
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ ()-]+", "_", ascii_name).strip(" ._") or "file"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# The tag of a page route that answers a file, not a page: a GET of an address below it (a
# form's) is not sent there (``app._page_above``).
DOWNLOAD = "download"


def download(data: bytes, media_type: str, filename: str, disposition: str = "attachment") -> Response:
    """A file to save (PDF, calendar, export), never shown inside the page unless
    ``disposition`` is ``inline``."""
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": content_disposition(filename, disposition)},
    )


def redirect(request: Request, url: str, *, flash: str | None = None, category: str = "success") -> Response:
    """After a successful form: a 303 for the browser, an ``HX-Redirect`` for htmx."""
    response: Response
    if is_htmx(request):
        response = Response(status_code=204, headers={"HX-Redirect": url})
    else:
        response = RedirectResponse(url, status_code=303)
    if flash:
        set_flash(request, response, category, flash)
    return response


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


# Forms

FormData = dict[str, Any]


async def read_form(request: Request) -> FormData:
    """The submitted form; a field given several times (checkboxes) becomes a list."""
    form = await request.form()
    data: FormData = {}
    for key in form:
        values = [v for v in form.getlist(key) if isinstance(v, str)]
        data[key] = values if len(values) > 1 or key.endswith("_ids") else (values[0] if values else "")
    return data


Form = Annotated[FormData, Depends(read_form)]

_PYDANTIC_MESSAGES = {
    "missing": N_("This field is required."),
    "string_too_short": N_("This field is required."),
    "string_too_long": N_("Keep it under %(max_length)s characters."),
    "string_pattern_mismatch": N_("Use only letters, digits, dashes and underscores."),
    "int_parsing": N_("Enter a whole number."),
    "int_type": N_("Enter a whole number."),
    "int_from_float": N_("Enter a whole number."),
    "float_parsing": N_("Enter a number."),
    "float_type": N_("Enter a number."),
    "finite_number": N_("Enter a number."),
    "date_parsing": N_("Enter a valid date."),
    "date_from_datetime_parsing": N_("Enter a valid date."),
    "date_type": N_("Enter a valid date."),
    "enum": N_("Choose one of the proposed values."),
    "literal_error": N_("Choose one of the proposed values."),
    "bool_parsing": N_("Choose yes or no."),
    "list_type": N_("Choose one of the proposed values."),
    "rule_incomplete": N_("A meeting rule needs its week, its day, its start and its duration, or none."),
}


def _field_message(error: Any, language: str | None) -> str:
    if error.get("input", "") is None:  # a blank field, given as None
        return translate(N_("This field is required."), language)
    if error["type"] == "value_error" and "email" in error["msg"]:
        return translate(N_("Enter a valid e-mail address."), language)
    if error["type"] == "string_too_short" and error.get("ctx", {}).get("min_length", 1) > 1:
        return translate(N_("Use at least %(min_length)s characters."), language, **error["ctx"])
    bound = error.get("ctx", {}).get("ge", error.get("ctx", {}).get("le"))
    if error["type"] in ("greater_than_equal", "less_than_equal") and bound is not None:
        shown = (
            format_decimal(bound, locale=language or active_language())
            if isinstance(bound, int | float)
            else bound
        )
        return translate(_out_of_bounds(error["type"], bound), language, bound=shown)
    template = _PYDANTIC_MESSAGES.get(error["type"], N_("Check this value."))
    params = error.get("ctx", {}) if "%(" in template else {}
    return translate(template, language, **params)


def _out_of_bounds(kind: str, bound: object) -> str:
    """The message of a number or a date beyond its bounds, which says them."""
    if not isinstance(bound, int | float):  # a date's bound (pydantic gives it as text)
        return N_("Enter a date between 1900 and 2199.")
    if kind == "greater_than_equal":
        return (
            N_("This number is too small.")
            if bound == -MAX_INT
            else N_("Enter a number of at least %(bound)s.")
        )
    return N_("This number is too large.") if bound == MAX_INT else N_("Enter a number of at most %(bound)s.")


def validation_errors(exc: ValidationError, language: str | None = None) -> dict[str, str]:
    """Pydantic's errors as messages in ``language`` (the request's by default), one per field."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "__all__"
        errors.setdefault(field, _field_message(error, language))
    return errors


def validate(model: type[M], values: dict[str, Any]) -> M:
    """Validates data assembled by the API (a PATCH merged into the record), 422 in English."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(validation_errors(exc, "en")) from exc


def translated(errors: dict[str, str]) -> dict[str, str]:
    return {field: translate(message) for field, message in errors.items()}


def parse_form(model: type[M], form: FormData, **extra: Any) -> M:
    """Validates a form against the API's model; blank fields count as not given."""
    values = {k: v for k, v in form.items() if k != "csrf_token" and v != ""}
    values.update(extra)
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(validation_errors(exc)) from exc


def run_change(
    session: Session,
    change: Callable[[], object],
    *,
    done: Callable[[], Response],
    refused: Callable[[dict[str, str], int], Response],
) -> Response:
    """The one way a page form applies a change: the service checks and commits it, then
    ``done`` answers (a redirect, or the block the form replaces). A refusal first rolls back
    what the change had begun (the page drawn again shows nothing half-written), then answers
    ``refused`` with its messages by field (``__all__`` for the whole form) and its status (422
    bad input, 403, 409 stale or not allowed now); a record that is not there stays the 404
    page."""
    try:
        change()
    except InvalidInput as exc:
        session.rollback()
        return refused(translated(exc.errors), exc.status_code)
    except ServiceError as exc:
        if exc.status_code == 404:
            raise
        session.rollback()
        return refused({"__all__": translate(exc.message)}, exc.status_code)
    return done()


def form_error_response(
    request: Request,
    template: str,
    context: dict[str, Any],
    exc: InvalidInput,
    block: str | None = None,
    status_code: int = 422,
) -> HTMLResponse:
    """The form again, with its values and the errors (render() translates them)."""
    return render(request, template, {**context, "errors": exc.errors}, status_code=status_code, block=block)

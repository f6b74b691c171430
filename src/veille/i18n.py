"""Translations: message ids are English; the French catalogue is read from its .po file at
start-up, so there is no build step."""

from __future__ import annotations

import gettext
from contextvars import ContextVar
from datetime import UTC, date, datetime, tzinfo
from functools import cache
from io import BytesIO

from babel.dates import format_date, format_datetime
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from veille.paths import LOCALES

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated where it is shown."""
    return message


# Set around a rendering outside a request (a mail, a PDF) in its recipient's language.
current_language: ContextVar[str | None] = ContextVar("current_language", default=None)
# The request's language, in a box the middleware puts in the request's context before anything
# runs: the dependency that finds the person fills it, and since every later step (dependencies
# and routes in worker threads included) runs in a copy of that context, they all share the box.
_request_language: ContextVar[list[str] | None] = ContextVar("request_language", default=None)


def browser_language(accept_language: str | None) -> str:
    """The language a browser asks for first among ours (``Accept-Language``, RFC 9110 §12.5.4:
    the highest quality wins, the earliest among equals), French when it asks for neither."""
    best, best_q = DEFAULT_LANGUAGE, 0.0
    for part in (accept_language or "")[:500].split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        quality = 1.0
        q = params.strip()
        if q.startswith("q="):
            try:
                quality = float(q[2:])
            except ValueError:
                continue
        if primary in LANGUAGES and quality > best_q:
            best, best_q = primary, quality
    return best


def begin_request(accept_language: str | None = None) -> None:
    """Gives the request its own language box: the browser's choice (French unless it asks for
    English) until the person is found, whose own choice then wins."""
    _request_language.set([browser_language(accept_language)])


def use_language(language: str) -> None:
    """The rest of the request speaks this language (the person's choice)."""
    box = _request_language.get()
    if box is not None and language in LANGUAGES:
        box[0] = language


def active_language() -> str:
    """The language to speak now: the rendering's, else the request's, else French."""
    explicit = current_language.get()
    if explicit is not None:
        return explicit
    box = _request_language.get()
    return box[0] if box else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> gettext.NullTranslations:
    po = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return gettext.NullTranslations()
    with po.open("rb") as source:
        catalog = read_po(source, locale=language)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def translate(message: str, language: str | None = None, **params: object) -> str:
    text = translations(language or active_language()).gettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, **params: object) -> str:
    text = translations(active_language()).ngettext(singular, plural, n)
    return text % ({"num": n} | params)


def gettext_(message: str) -> str:
    """The ``_`` of the templates (Jinja applies the parameters): in the request's language."""
    return translate(message)


def format_day(value: date, pattern: str, language: str) -> str:
    """``value`` in ``language`` by a Babel pattern; French writes the first of a month "1er"
    ("lundi 1er décembre"), which Babel writes "1"."""
    return format_date(value, _first_of_month(pattern, value, language), locale=language)


def format_moment(value: datetime, pattern: str, tz: tzinfo, language: str) -> str:
    """``value`` (aware, or naive in UTC as stored) at ``tz`` in ``language``, as ``format_day``."""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    local = moment.astimezone(tz)
    return format_datetime(
        local, _first_of_month(pattern, local.date(), language), tzinfo=tz, locale=language
    )


def _first_of_month(pattern: str, day: date, language: str) -> str:
    if day.day == 1 and language.startswith("fr"):
        return pattern.replace("d MMM", "d'er' MMM", 1)  # "1er décembre", "1er déc."
    return pattern

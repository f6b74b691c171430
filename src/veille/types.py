"""Bounded input types: every id, number, date, time and list that reaches Veille from a path, a
query, a form or a JSON body is parsed into one of these, so that no value the database or the
calendar cannot hold gets past the edge (docs/security.md, "Hostile input").

- ``Id``: an id, 1 to ``MAX_INT`` (PostgreSQL's ``INTEGER``, the type of every id column).
  In a page's path, anything else is a 404 page; in the API, a 422.
- ``Int``: any other whole number, within the same range.
- ``IdList``: at most ``MAX_IDS`` ids (a form's checkboxes, a JSON array), far below the
  databases' limit on a statement's variables.
- ``Day``: a date from 1900 to 2199; ``Moment``: a time with its offset (a naive one is refused),
  within the same years.
- ``parse_int``, ``parse_id``, ``parse_ids``: the same rules for values a page reads itself
  (ASCII digits only: ``"²"`` or ``"߁"`` pass ``str.isdigit()``, not these).
- ``unix_newlines``: texts are stored with plain newlines, whatever the browser sent.
- ``check_period``: a period to count over (statistics, diagnostics, feeds' filters) lies
  between 2000 and next year, and spans at most ten years.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator, Field
from pydantic_core import PydanticCustomError

from veille.i18n import N_

MAX_INT = 2**31 - 1
MAX_IDS = 500
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2199, 12, 31)
MIN_MOMENT = datetime(1900, 1, 2, tzinfo=UTC)
MAX_MOMENT = datetime(2199, 12, 31, tzinfo=UTC)
FIRST_PERIOD_YEAR = 2000
MAX_PERIOD_YEARS = 10

Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Int = Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)]
IdList = Annotated[list[Id], Field(max_length=MAX_IDS)]
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _written_as_a_day(value: object) -> object:
    """A day is written YYYY-MM-DD: pydantic would also read a number as seconds since 1970
    ("?since=0" searched from 1 January 1970, the field shown empty)."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise PydanticCustomError("date_parsing", "Input should be a valid date in the format YYYY-MM-DD")
    return value


Day = Annotated[date, BeforeValidator(_written_as_a_day), Field(ge=MIN_DAY, le=MAX_DAY)]
Moment = Annotated[AwareDatetime, Field(ge=MIN_MOMENT, le=MAX_MOMENT)]

# A month, "YYYY-MM", in the years of ``Day``.
MONTH_PATTERN = r"^(19|2[01])[0-9]{2}-(0[1-9]|1[0-2])$"
_WHOLE = re.compile(r"[-+]?[0-9]{1,10}")

PERIOD_BOUNDS = N_("Choose a period between the year 2000 and next year.")
PERIOD_TOO_LONG = N_("Choose a period of ten years at most.")
PERIOD_REVERSED = N_("The end of the period comes before its start.")


def parse_int(raw: object, *, minimum: int = -MAX_INT, maximum: int = MAX_INT) -> int:
    """A whole number typed in a form or a query (ASCII digits, an optional sign, blanks around),
    within the bounds; ``ValueError`` otherwise."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not _WHOLE.fullmatch(text):
        raise ValueError(f"not a whole number: {raw!r}")
    value = int(text)
    if not minimum <= value <= maximum:
        raise ValueError(f"out of bounds: {value}")
    return value


def parse_id(raw: object) -> int:
    """An id from a form or a query; ``ValueError`` for anything but 1 to ``MAX_INT``."""
    return parse_int(raw, minimum=1, maximum=MAX_INT)


def parse_ids(values: Iterable[object] | object) -> list[int]:
    """Ids from a form's repeated field (blanks skipped), in order; ``ValueError`` for a bad one
    or for more than ``MAX_IDS``."""
    items = [values] if isinstance(values, str) else values
    if not isinstance(items, Iterable):
        raise ValueError(f"not a list: {values!r}")
    found = [parse_id(v) for v in items if not (isinstance(v, str) and not v.strip())]
    if len(found) > MAX_IDS:
        raise ValueError(f"more than {MAX_IDS} ids")
    return found


def period_bounds(since: date | None, until: date | None, today: date) -> dict[str, str]:
    """Field errors (message ids) of the ends of a period outside 1 January 2000 to 31 December
    of next year."""
    first, last = date(FIRST_PERIOD_YEAR, 1, 1), date(today.year + 1, 12, 31)
    ends = (("since", since), ("until", until))
    return {field: PERIOD_BOUNDS for field, day in ends if day is not None and not first <= day <= last}


def check_period(
    since: date | None, until: date | None, today: date, *, max_years: int | None = MAX_PERIOD_YEARS
) -> dict[str, str]:
    """Field errors (message ids) of a period: its ends between 1 January 2000 and 31 December of
    next year, the end not before the start and, for a period counted year by year (statistics,
    activity tables), ``max_years`` at most (a period without an end runs to today)."""
    errors = period_bounds(since, until, today)
    if errors or since is None or (until is None and max_years is None):
        return errors
    end = until if until is not None else max(today, since)
    if end < since:
        errors["until"] = PERIOD_REVERSED
    elif max_years is not None and (
        end.year - since.year > max_years
        or (end.year - since.year == max_years and (end.month, end.day) >= (since.month, since.day))
    ):
        errors["until" if until is not None else "since"] = PERIOD_TOO_LONG
    return errors


def unix_newlines(value: object) -> object:
    """Browsers send CRLF; texts are stored with plain newlines (a model's ``before``
    validator)."""
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value

"""The days of monthly meetings, computed in one place for the series form and for the meetings
planned from a body's rule (``meetings.planning``).

Each month has the rule's day: its first to fourth, or last, given weekday. Then:

- a French public holiday (the ``holidays`` package: 1 January, Easter Monday, 1 and 8 May,
  Ascension, Whit Monday, 14 July, 15 August, 1 and 11 November, 25 December) moves the
  meeting to the **next working day** (Monday to Friday, not a public holiday): a Tuesday
  14 July becomes Wednesday 15 July, an Ascension Thursday the Friday after;
- a month where the body already has a meeting on the rule's day, or on the day it moves to,
  is skipped: that month's meeting is there already (so planning twice plans nothing twice);
- days before ``today`` are skipped.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import holidays
from dateutil.relativedelta import relativedelta
from dateutil.rrule import MONTHLY, rrule, weekday

SATURDAY = 5


def public_holidays(years: Collection[int]) -> frozenset[date]:
    """France's public holidays (metropolitan) in these years."""
    return frozenset(holidays.country_holidays("FR", years=sorted(years)).keys())


def rule_day(month: date, ordinal: int, day_of_week: int) -> date:
    """The rule's day in the month of ``month``: e.g. the first Tuesday (1, 1) or the last
    Friday (-1, 4)."""
    start = month.replace(day=1)
    found = rrule(MONTHLY, dtstart=start, count=1, byweekday=weekday(day_of_week, ordinal))
    return found[0].date()


@dataclass(frozen=True)
class PlannedDay:
    day: date
    # The rule's day when a public holiday moved the meeting, else None.
    moved_from: date | None = None


def _working_day_after(day: date, closed: frozenset[date]) -> date:
    return working_day_from(day + timedelta(days=1), closed)


def working_day_from(day: date, closed: frozenset[date] | None = None) -> date:
    """``day`` if a working day (Monday to Friday, no public holiday of ``closed``, France's by
    default), else the next one."""
    closed = public_holidays({day.year, day.year + 1}) if closed is None else closed
    while day.weekday() >= SATURDAY or day in closed:
        day += timedelta(days=1)
    return day


def planned_days(
    *,
    ordinal: int,
    day_of_week: int,
    first_month: date,
    months: int,
    taken: Collection[date],
    today: date,
) -> list[PlannedDay]:
    """The days to plan in ``months`` months from that of ``first_month`` (see the module's
    rules). ``taken``: the days the body already has a meeting on."""
    first = first_month.replace(day=1)
    nominal = [rule_day(first + relativedelta(months=n), ordinal, day_of_week) for n in range(months)]
    if not nominal:
        return []
    closed = public_holidays({d.year for d in nominal} | {nominal[-1].year + 1})
    planned: list[PlannedDay] = []
    for day in nominal:
        moved = _working_day_after(day, closed) if day in closed else None
        if day in taken or (moved is not None and moved in taken):
            continue
        chosen = moved or day
        if chosen < today:
            continue
        planned.append(PlannedDay(day=chosen, moved_from=day if moved else None))
    return planned


def span(first_month: date, months: int) -> tuple[date, date]:
    """Where to look for the meetings already there: from the first month's first day to a
    fortnight past the last month (a holiday moves a late day into the next month)."""
    first = first_month.replace(day=1)
    return first, first + relativedelta(months=months) + timedelta(days=15)

"""A body's meeting rule ("the first Tuesday of the month at 14:00 for two hours, Mairie
annexe Nord"): whole or absent, and what it says in words. The meetings are planned from it by
``veille.meetings.planning``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from veille.bodies.models import Body
from veille.i18n import N_, active_language, translate

ORDINALS = {1: N_("First"), 2: N_("Second"), 3: N_("Third"), 4: N_("Fourth"), -1: N_("Last")}
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


@dataclass(frozen=True)
class MeetingRule:
    ordinal: int
    weekday: int
    start: time
    minutes: int
    location: str

    def describe(self, language: str | None = None) -> str:
        """E.g. "First Tuesday of the month, 14:00, 120 min" ("Premier mardi du mois…")."""
        day = translate(WEEKDAYS[self.weekday], language)
        return translate(
            N_("%(which)s %(day)s of the month, %(start)s, %(minutes)s min"),
            language,
            which=translate(ORDINALS[self.ordinal], language),
            day=day.lower() if (language or active_language()) == "fr" else day,
            start=self.start.strftime("%H:%M"),
            minutes=self.minutes,
        )


def rule_of(body: Body) -> MeetingRule | None:
    """The body's rule, or None when it has none."""
    if body.rule_ordinal is None or body.rule_weekday is None or body.rule_start is None:
        return None
    if body.rule_minutes is None:
        return None
    return MeetingRule(
        body.rule_ordinal, body.rule_weekday, body.rule_start, body.rule_minutes, body.rule_location
    )

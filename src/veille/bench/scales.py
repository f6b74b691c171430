"""The sizes the generator knows: how many sectors, people, bodies, reports and actions a
scale holds, and over how many years; ``tiny`` exists for the tests only."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    sectors: int
    people: int
    bodies: int
    reports: int
    actions: int
    years: int
    # Of the reports: body-wide, restricted, the rest social.
    body_share: float = 0.70
    restricted_share: float = 0.15
    # Share of reports that get one or more updates on their timeline.
    updated_share: float = 0.40


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", sectors=2, people=12, bodies=4, reports=200, actions=40, years=1),
    "city": Scale("city", sectors=5, people=200, bodies=25, reports=20_000, actions=4_000, years=3),
    "metropolis": Scale(
        "metropolis", sectors=30, people=2_000, bodies=150, reports=300_000, actions=60_000, years=5
    ),
}
# What ``veille bench seed --scale`` offers (``tiny`` is kept for the tests).
PUBLIC_SCALES = ("city", "metropolis")

"""What the generator's steps share: the seeded random generator, the day the data is dated
from, and the people and bodies already written, kept small (ids and a few fields) so that a
metropolis' hundreds of thousands of reports never sit in memory as rows."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from veille.bench.scales import Scale
from veille.bodies.enums import BodyKind, MemberRole
from veille.directory.enums import OrganisationKind, UserRole

# Organisations whose members may be named on a `social` report (situations.reports.SOCIAL_KINDS).
SOCIAL_KINDS = frozenset(
    {OrganisationKind.social_services, OrganisationKind.mediation, OrganisationKind.health}
)


@dataclass(frozen=True)
class Org:
    id: int
    kind: OrganisationKind
    name: str
    sector: int | None  # index in World.sectors, None for a city-wide partner


@dataclass(frozen=True)
class Person:
    id: int
    org: Org
    role: UserRole
    sector: int  # index of the sector they mostly work in
    email: str
    name: str


@dataclass
class BodyPlan:
    id: int
    kind: BodyKind
    name: str
    sectors: list[int]  # indexes in World.sectors
    starts_on: date
    ends_on: date | None
    closed: bool
    charter: bool
    members: list[tuple[Person, MemberRole]] = field(default_factory=list)

    def with_role(self, *roles: MemberRole) -> list[Person]:
        return [p for p, r in self.members if r in roles]

    @property
    def secretary(self) -> Person:
        return self.with_role(MemberRole.secretary)[0]

    @property
    def chair(self) -> Person:
        return self.with_role(MemberRole.chair)[0]

    @property
    def contributors(self) -> list[Person]:
        """Who posts reports and actions: every member but the guests."""
        return self.with_role(MemberRole.chair, MemberRole.secretary, MemberRole.member)

    @property
    def reports_weight(self) -> float:
        """How many of the city's reports this body holds, relative to the others."""
        weights = {
            BodyKind.watch_cell: 6.0,
            BodyKind.crime_treatment_group: 2.0,
            BodyKind.nightlife_copil: 2.0,
            BodyKind.partnership_committee: 1.0,
            BodyKind.other: 0.5,
            BodyKind.plenary: 0.3,
        }
        return weights[self.kind]


@dataclass
class World:
    scale: Scale
    rng: random.Random
    today: date
    tz: ZoneInfo
    password_hash: str
    domain: str
    sectors: list[tuple[int, str]] = field(default_factory=list)
    orgs: list[Org] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    bodies: list[BodyPlan] = field(default_factory=list)
    categories: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, Person] = field(default_factory=dict)

    @property
    def since(self) -> date:
        """The first day of the data: ``scale.years`` back from today."""
        return self.today.replace(year=self.today.year - self.scale.years)

    @property
    def now(self) -> datetime:
        return datetime.combine(self.today, time(7, 0), tzinfo=UTC)

    def moment(self, day: date, hour: int = 12, minute: int = 0) -> datetime:
        """A local time of the city on that day, as the UTC moment stored."""
        return datetime.combine(day, time(hour, minute), tzinfo=self.tz).astimezone(UTC)

    def between(self, start: datetime, end: datetime) -> datetime:
        """A random moment in [start, end)."""
        span = max(int((end - start).total_seconds()), 1)
        return start + timedelta(seconds=self.rng.randrange(span))

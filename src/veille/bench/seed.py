"""``veille bench seed``: a whole city (or metropolis) of benchmark data in one transaction.

The steps run in the order the data depends on itself (directory, bodies, reports, meetings,
actions), all drawn from one random generator seeded with ``--seed``, so that one seed gives
the same data (dated from the day it runs, so that the next meetings are always ahead). Only
an empty database is filled: the accounts printed would otherwise mix with real ones.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, Engine, select, text

from veille.auth.service import hash_password
from veille.bench import actions, directory, meetings, reports
from veille.bench.scales import SCALES
from veille.bench.world import World
from veille.bench.writer import Progress, Writer
from veille.directory.models import User
from veille.errors import Conflict
from veille.situations.enums import Confidentiality
from veille.situations.models import Category

PASSWORD = "veille-bench-2026"  # noqa: S105  (printed to the operator: benchmark data, not a secret)
DOMAIN = "bench.example"
NOT_EMPTY = "the database already holds accounts: benchmark data only goes into an empty, migrated database"


@dataclass(frozen=True)
class Account:
    """A login printed at the end of the seed."""

    role: str
    email: str
    sees: str
    password: str = PASSWORD


@dataclass(frozen=True)
class Seeded:
    accounts: list[Account]
    rows: dict[str, int]
    confidentiality: dict[Confidentiality, int]
    seconds: float


def seed(
    engine: Engine,
    scale: str,
    *,
    seed: int = 1,
    today: date | None = None,
    timezone: str = "Europe/Paris",
    progress: bool = True,
) -> Seeded:
    """Fills the empty database behind ``engine``; refuses one that holds an account."""
    from zoneinfo import ZoneInfo

    started = time.monotonic()
    size = SCALES[scale]
    with engine.begin() as connection:
        users = User.__table__  # type: ignore[attr-defined]
        if connection.execute(select(users.c.id).limit(1)).first() is not None:
            raise Conflict(NOT_EMPTY)
        world = World(
            scale=size,
            rng=random.Random(f"veille-bench:{scale}:{seed}"),  # noqa: S311 (reproducible data, no secret)
            today=today or date.today(),
            tz=ZoneInfo(timezone),
            password_hash=hash_password(PASSWORD),
            domain=DOMAIN,
        )
        world.categories = _categories(connection)
        bar = Progress(_estimate(world), enabled=progress)
        writer = Writer(connection, bar)
        directory.write_directory(world, writer)
        directory.plan_bodies(world, writer)
        directory.write_activity(world, writer)
        found = reports.write_reports(world, writer)
        held = meetings.write_meetings(world, writer, found)
        actions.write_actions(world, writer, found, held)
        writer.finish()
        bar.close()
    if engine.dialect.name == "postgresql":
        # As autovacuum leaves a database that has run for years: statistics for the planner,
        # and the visibility map, without which no index-only scan is planned (the bulk inserts
        # leave it empty: a body's 6,466 report ids read 5,271 table pages instead of an index).
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return Seeded(_accounts(world), writer.counts, found.counts, time.monotonic() - started)


def _categories(connection: Connection) -> dict[str, int]:
    """The active categories (the migration seeds the usual French ones)."""
    table = Category.__table__  # type: ignore[attr-defined]
    rows = connection.execute(
        select(table.c.code, table.c.id)
        .where(table.c.active.is_(True))
        .order_by(table.c.position, table.c.id)
    ).all()
    return {str(code): int(category_id) for code, category_id in rows}


def _estimate(world: World) -> int:
    """Rows to write, roughly, for the progress bar."""
    scale = world.scale
    meetings_count = scale.bodies * 12 * scale.years
    return int(scale.reports * 4.6 + scale.actions * 8.6 + meetings_count * 14 + scale.people * 6)


def _accounts(world: World) -> list[Account]:
    admin, coordinator, partner = (world.accounts[k] for k in ("admin", "coordination", "partenaire"))
    return [
        Account(
            "Coordinator",
            coordinator.email,
            "Every body and report (staff); the social reports of others as stubs, as the rules say.",
        ),
        Account(
            "Partner",
            partner.email,
            f"A member ({partner.org.name}) of the first sector's bodies: reports shared with "
            "their organisation, the social ones as stubs.",
        ),
        Account("Admin", admin.email, "Accounts, sectors, organisations, the audit log."),
    ]

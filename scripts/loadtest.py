"""Load test: many partners writing through the API at once, on a real server and a real SMTP
server (issue 12). CI runs it; it is not a timed unit test.

For each configuration (SQLite with one worker; PostgreSQL with one and with four workers) it
fills a fresh database (the tests' factories, and the meetings service to convene a meeting),
starts ``veille serve --workers N`` and an SMTP server (aiosmtpd) on free local ports, then
runs 50 clients × 20 writes at once through the JSON API, each with its own API token:

- report updates (on three shared reports: each mails its author and the secretaries),
- new reports (each mails the two members who chose a mail per report),
- agenda-item notes with the version read (the chair, secretaries and staff members),
- action status moves with the version read, handing the action to a colleague (a mail),
- attendance answers to the convened meeting.

A 409 (stale version) is counted, not a failure; a 503 with Retry-After is waited for and
tried again (counted). Any other 5xx, a refused request or a connection error is a failure.
Afterwards it waits until the outbox holds no mail waiting (bounded), then checks in the
database that every acknowledged write is there (ids and markers; versions and history lines
count every acknowledged versioned write), that every mail of the outbox is sent, and that the
SMTP server received each exactly once. It prints writes per second and latencies (from the
first attempt to the acknowledgement, waits after 503 included), and exits 1 on any failure.

    .venv/bin/python scripts/loadtest.py                       # SQLite only
    .venv/bin/python scripts/loadtest.py --postgres-url postgresql+psycopg://postgres@127.0.0.1/veille_load
    .venv/bin/python scripts/loadtest.py --config postgresql:4 --clients 20 --writes 10

PostgreSQL: the URL names a database to connect to; the script creates a scratch database
beside it (``<name>_loadtest``, CREATEDB needed), recreates it for each configuration and drops
it at the end. Without ``--postgres-url``, VEILLE_LOADTEST_POSTGRES_URL or
VEILLE_TEST_POSTGRES_URL is used; with none of them only SQLite runs (an error when
VEILLE_TEST_REQUIRE_POSTGRES=1, as in CI).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, make_url
from sqlmodel import Session, col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' helpers

from tests.factories import Factory
from tests.ops.server import (
    MailSink,
    ServerProcess,
    check_mail,
    free_port,
    mail_waiting,
    server_env,
    wait_for,
)

import veille.models  # noqa: F401  (registers every table)
from veille.access import viewer_of
from veille.actions.enums import ActionStatus, Event
from veille.actions.models import Action, ActionEntry
from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.bodies.enums import MemberRole
from veille.config import Settings
from veille.db import make_engine
from veille.directory.enums import OrganisationKind, UserRole
from veille.directory.models import User
from veille.meetings.access import get_meeting_access
from veille.meetings.models import AgendaItem, Invitation
from veille.meetings.scheduling import convene
from veille.migrate import upgrade
from veille.situations import flows
from veille.situations.enums import NotificationMode
from veille.situations.models import Situation, SituationUpdateRecord

SECRET = "load-test-secret-key-that-is-long-enough-0123456789"  # noqa: S105  (a throwaway server)
CONFIGS = ("sqlite:1", "postgresql:1", "postgresql:4")
ORGANISATIONS = (
    ("Mairie (charge)", OrganisationKind.city),
    ("Police nationale (charge)", OrganisationKind.police),
    ("Police municipale (charge)", OrganisationKind.municipal_police),
    ("Bailleur (charge)", OrganisationKind.housing_provider),
    ("Médiation (charge)", OrganisationKind.mediation),
)
HOT_REPORTS = 3  # the reports that every partner updates
ITEMS = 3  # agenda items whose notes the managers write
MAX_TRIES = 8  # attempts of one request answered 503 with Retry-After
MAX_RETRY_WAIT = 5.0  # seconds, whatever Retry-After says
ANSWERS = ("confirmed", "excused", "represented")


# The data


@dataclass
class Person:
    index: int
    user_id: int
    organisation_id: int
    token: str
    manager: bool  # may write the agenda's notes (chair, secretary, staff)


@dataclass
class Plan:
    """What the clients write to, and the versions before they start."""

    body_id: int
    sector_id: int
    meeting_id: int
    people: list[Person]
    reports: list[int]
    items: dict[int, int]  # id -> version
    actions: dict[int, tuple[int, int]]  # id -> (lead organisation id, version)
    colleagues: dict[int, list[int]]  # organisation id -> its people's user ids


def populate(database_url: str, settings: Settings, clients: int) -> Plan:
    """A watch cell of ``clients`` members over five organisations (a chair, two secretaries,
    seven city staff, the rest partners), three reports, a convened meeting with three items,
    one action per organisation, an API token each."""
    engine = make_engine(database_url)
    upgrade(engine)
    with Session(engine, expire_on_commit=False) as session:
        factory = Factory(session)
        organisations = [factory.organisation(name, kind) for name, kind in ORGANISATIONS]
        sector = factory.sector("Centre (charge)", "LOAD")
        body = factory.body("Cellule de veille (charge)", sectors=[sector])
        users: list[User] = []
        for i in range(clients):
            staff = 3 <= i < 10
            organisation = organisations[0] if i < 10 else organisations[i % len(organisations)]
            users.append(
                factory.user(
                    f"Partenaire {i:02d}",
                    organisation=organisation,
                    email=f"partenaire{i:02d}@charge.example",
                    role=UserRole.coordinator if staff else UserRole.member,
                )
            )
            role = MemberRole.chair if i == 0 else MemberRole.secretary if i in (1, 2) else MemberRole.member
            factory.member(body, users[-1], role)
        assert body.id is not None and sector.id is not None
        for user in users[10:12]:  # a mail for each new report
            flows.set_mode(
                session, access=flows.choice_access(session, user, body.id), mode=NotificationMode.each
            )
        authors = [users[(12 + 9 * k) % clients] for k in range(HOT_REPORTS)]
        reports = [
            factory.situation(body, author, f"Situation suivie n° {k + 1}")
            for k, author in enumerate(authors)
        ]
        meeting = factory.meeting(body, in_days=5)
        items = [factory.item(meeting, f"Point {k + 1}", position=k + 1) for k in range(ITEMS)]
        assert meeting.id is not None
        convene(
            session,
            access=get_meeting_access(session, viewer_of(session, users[0]), meeting.id),
            settings=settings,
        )
        actions = [
            factory.action(
                body, organisation, f"Action menée par {organisation.name}", status=ActionStatus.in_progress
            )
            for organisation in organisations
        ]
        people = []
        for i, user in enumerate(users):
            raw, _ = auth.issue_token(session, settings, user=user, kind=TokenKind.api)
            people.append(Person(i, user.id or 0, user.organisation_id, raw, manager=i < 10))
        colleagues: dict[int, list[int]] = defaultdict(list)
        for person in people:
            colleagues[person.organisation_id].append(person.user_id)
        plan = Plan(
            body_id=body.id,
            sector_id=sector.id,
            meeting_id=meeting.id,
            people=people,
            reports=[r.id or 0 for r in reports],
            items={i.id or 0: i.version for i in items},
            actions={a.id or 0: (a.lead_organisation_id, a.version) for a in actions},
            colleagues=dict(colleagues),
        )
    engine.dispose()
    return plan


# The clients


@dataclass
class Ack:
    kind: str
    target: int  # the record written (the meeting's invitee for an answer)
    marker: str  # the text written, or the status
    version: int = 0  # the version answered, for versioned writes
    step: int = 0


@dataclass
class Tally:
    acks: list[Ack] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # seconds, per acknowledged write
    conflicts: int = 0
    retried_503: int = 0
    failures: list[str] = field(default_factory=list)
    unknown: list[Ack] = field(default_factory=list)  # writes sent, then failed: done or not
    not_done: int = 0

    def merge(self, other: Tally) -> None:
        self.acks += other.acks
        self.latencies += other.latencies
        self.conflicts += other.conflicts
        self.retried_503 += other.retried_503
        self.failures += other.failures
        self.unknown += other.unknown
        self.not_done += other.not_done


class Failed(Exception):
    """A request failed for good: a 5xx that is not a 503 with Retry-After, a connection error."""


class Client:
    MANAGER_KINDS = ("notes", "update", "report", "notes", "action", "attendance")
    MEMBER_KINDS = ("update", "report", "action", "attendance")

    def __init__(self, base_url: str, plan: Plan, person: Person, run: str, deadline: float) -> None:
        self.plan = plan
        self.person = person
        self.run = run
        self.deadline = deadline
        self.tally = Tally()
        self.sending: Ack | None = None  # the write being sent, until it is answered
        self.random = random.Random(person.index)  # noqa: S311  (a test's choices, not secrets)
        self.http = httpx.Client(
            base_url=f"{base_url}/api/v1",
            headers={"Authorization": f"Bearer {person.token}"},
            timeout=httpx.Timeout(60.0, connect=10.0),
        )

    def run_writes(self, writes: int, start: threading.Barrier) -> None:
        kinds = self.MANAGER_KINDS if self.person.manager else self.MEMBER_KINDS
        start.wait(timeout=60)
        try:
            for step in range(writes):
                if time.monotonic() >= self.deadline:
                    self.tally.not_done += writes - step
                    return
                kind = kinds[(self.person.index + step) % len(kinds)]
                begun = time.perf_counter()
                self.sending = None
                try:
                    ack = getattr(self, f"write_{kind}")(step)
                except Failed as exc:
                    self.tally.failures.append(f"{kind}: {exc}")
                    if self.sending is not None:
                        self.tally.unknown.append(self.sending)
                    continue
                if ack is not None:
                    self.tally.acks.append(ack)
                    self.tally.latencies.append(time.perf_counter() - begun)
        finally:
            self.http.close()

    def call(
        self, method: str, path: str, json: Any = None, expected: tuple[int, ...] = (200,)
    ) -> httpx.Response:
        """The answer, after waiting out 503s with Retry-After; a 409 is answered as is."""
        for attempt in range(1, MAX_TRIES + 1):
            try:
                response = self.http.request(method, path, json=json)
            except httpx.HTTPError as exc:
                raise Failed(f"{method} {path}: {type(exc).__name__} {exc}") from exc
            retry_after = response.headers.get("Retry-After")
            if response.status_code == 503 and retry_after is not None:
                self.tally.retried_503 += 1
                wait = min(float(retry_after), MAX_RETRY_WAIT)
                if attempt < MAX_TRIES and time.monotonic() + wait < self.deadline + 30:
                    time.sleep(wait)
                    continue
            if response.status_code in expected or response.status_code == 409:
                return response
            raise Failed(f"{method} {path}: {response.status_code} {response.text[:200]!r}")
        raise AssertionError("unreachable")

    def marker(self, step: int) -> str:
        return f"[{self.run} c{self.person.index:02d} w{step:02d}]"

    def write_update(self, step: int) -> Ack | None:
        report = self.random.choice(self.plan.reports)
        text = f"Passage sur place, situation inchangée {self.marker(step)}"
        response = self.call("POST", f"/situations/{report}/updates", {"text": text}, expected=(201,))
        return Ack("update", response.json()["id"], text, step=step)

    def write_report(self, step: int) -> Ack | None:
        title = f"Regroupement signalé {self.marker(step)}"
        occurred = (datetime.now(UTC) - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        data = {
            "body_id": self.plan.body_id,
            "title": title,
            "description": "Signalé par un partenaire pendant le test de charge.",
            "category": "other",
            "sector_id": self.plan.sector_id,
            "occurred_at": occurred,
            "severity": 2,
        }
        response = self.call("POST", "/situations", data, expected=(201,))
        return Ack("report", response.json()["id"], title, step=step)

    def write_notes(self, step: int) -> Ack | None:
        item_id = self.random.choice(sorted(self.plan.items))
        items = self.call("GET", f"/meetings/{self.plan.meeting_id}/agenda-items").json()["items"]
        version = next(i["version"] for i in items if i["id"] == item_id)
        notes = f"Échanges entre partenaires {self.marker(step)}"
        self.sending = Ack("notes", item_id, notes, step=step)
        response = self.call("PATCH", f"/agenda-items/{item_id}", {"version": version, "notes": notes})
        if response.status_code == 409:
            self.tally.conflicts += 1
            return None
        return Ack("notes", item_id, notes, version=response.json()["version"], step=step)

    def write_action(self, step: int) -> Ack | None:
        mine = [a for a, (lead, _v) in self.plan.actions.items() if lead == self.person.organisation_id]
        action_id = self.random.choice(mine)
        action = self.call("GET", f"/actions/{action_id}").json()
        patch: dict[str, Any] = {"version": action["version"]}
        if action["status"] == ActionStatus.in_progress:
            patch["status"] = ActionStatus.done
        else:  # done: back to work
            patch["status"], patch["reopen"] = ActionStatus.in_progress, True
        others = [u for u in self.plan.colleagues[self.person.organisation_id] if u != action["owner_id"]]
        patch["owner_id"] = self.random.choice(others)  # handed over: a mail to the new owner
        self.sending = Ack("action", action_id, patch["status"], step=step)
        response = self.call("PATCH", f"/actions/{action_id}", patch)
        if response.status_code == 409:
            self.tally.conflicts += 1
            return None
        body = response.json()
        return Ack("action", action_id, body["status"], version=body["version"], step=step)

    def write_attendance(self, step: int) -> Ack | None:
        status = ANSWERS[(self.person.index + step) % len(ANSWERS)]
        answer: dict[str, Any] = {"status": status}
        if status == "represented":
            answer["represented_by"] = f"Suppléant {self.person.index:02d}"
        path = f"/meetings/{self.plan.meeting_id}/attendance/{self.person.user_id}"
        self.sending = Ack("attendance", self.person.user_id, status, step=step)
        response = self.call("PUT", path, answer)
        if response.status_code == 409:
            raise Failed(f"PUT {path}: 409 {response.text[:200]!r}")
        return Ack("attendance", self.person.user_id, status, step=step)


def run_clients(base_url: str, plan: Plan, writes: int, deadline_s: float) -> tuple[Tally, float]:
    run = f"{random.getrandbits(24):06x}"
    barrier = threading.Barrier(len(plan.people) + 1)
    deadline = time.monotonic() + deadline_s
    clients = [Client(base_url, plan, person, run, deadline) for person in plan.people]
    threads = [threading.Thread(target=c.run_writes, args=(writes, barrier), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout=max(deadline - time.monotonic(), 0) + 120)
    elapsed = time.perf_counter() - began
    tally = Tally()
    for client, thread in zip(clients, threads, strict=True):
        if thread.is_alive():
            tally.failures.append(f"client {client.person.index} still running after the deadline")
        tally.merge(client.tally)
    return tally, elapsed


# The checks


def check_writes(engine: Engine, plan: Plan, acks: list[Ack], unknown: list[Ack]) -> list[str]:
    """Every acknowledged write is in the database. A versioned record counts its saves: each
    acknowledged one answered a version of its own, and the record moved on by one version per
    acknowledged save, plus at most one per save whose answer was lost (``unknown``: a 5xx or a
    broken connection after the request was sent, which may or may not have been committed)."""
    problems: list[str] = []
    by_kind: dict[str, list[Ack]] = defaultdict(list)
    unsure: dict[tuple[str, int], list[Ack]] = defaultdict(list)
    for ack in acks:
        by_kind[ack.kind].append(ack)
    for ack in unknown:
        unsure[ack.kind, ack.target].append(ack)
    with Session(engine) as session:
        updates = dict(
            session.exec(
                select(SituationUpdateRecord.id, SituationUpdateRecord.text).where(
                    col(SituationUpdateRecord.situation_id).in_(plan.reports)
                )
            ).all()
        )
        lost = [a.target for a in by_kind["update"] if updates.get(a.target) != a.marker]
        if lost:
            problems.append(f"{len(lost)} acknowledged report update(s) missing: {lost[:10]}")
        titles = dict(
            session.exec(select(Situation.id, Situation.title).where(Situation.body_id == plan.body_id)).all()
        )
        lost = [a.target for a in by_kind["report"] if titles.get(a.target) != a.marker]
        if lost:
            problems.append(f"{len(lost)} acknowledged new report(s) missing: {lost[:10]}")

        items = {
            i.id: i for i in session.exec(select(AgendaItem).where(col(AgendaItem.id).in_(plan.items))).all()
        }
        for item_id, before in plan.items.items():
            item, maybe = items[item_id], unsure["notes", item_id]
            mine = sorted([a for a in by_kind["notes"] if a.target == item_id], key=_version)
            problems += _versioned(f"agenda item {item_id}", mine, maybe, item.version - before)
            if mine and item.notes not in {mine[-1].marker} | {a.marker for a in maybe}:
                problems.append(f"agenda item {item_id}: notes are not those of its last acknowledged save")

        actions = {
            a.id: a for a in session.exec(select(Action).where(col(Action.id).in_(plan.actions))).all()
        }
        moves = Counter(
            session.exec(
                select(ActionEntry.action_id).where(
                    col(ActionEntry.action_id).in_(plan.actions),
                    col(ActionEntry.event).in_([Event.status, Event.reopened]),
                )
            ).all()
        )
        for action_id, (_lead, before) in plan.actions.items():
            action, maybe = actions[action_id], unsure["action", action_id]
            mine = sorted([a for a in by_kind["action"] if a.target == action_id], key=_version)
            what = f"action {action_id}"
            problems += _versioned(what, mine, maybe, action.version - before)
            if not len(mine) <= moves[action_id] <= len(mine) + len(maybe):
                problems.append(
                    f"{what}: {moves[action_id]} status move(s) in its history, {len(mine)} acknowledged"
                )
            if mine and action.status not in {mine[-1].marker} | {a.marker for a in maybe}:
                problems.append(f"{what}: status {action.status}, last acknowledged {mine[-1].marker}")

        answers = dict(
            session.exec(
                select(Invitation.user_id, Invitation.status).where(Invitation.meeting_id == plan.meeting_id)
            ).all()
        )
        last: dict[int, Ack] = {}
        for ack in by_kind["attendance"]:
            if ack.target not in last or ack.step > last[ack.target].step:
                last[ack.target] = ack
        wrong = [
            user_id
            for user_id, ack in last.items()
            if answers.get(user_id)
            not in {ack.marker} | {a.marker for a in unsure["attendance", user_id] if a.step > ack.step}
        ]
        if wrong:
            problems.append(
                f"{len(wrong)} invitee(s) whose answer is not their last acknowledged one: {wrong[:10]}"
            )
    return problems


def _version(ack: Ack) -> int:
    return ack.version


def _versioned(what: str, acks: list[Ack], unknown: list[Ack], moved: int) -> list[str]:
    """Each acknowledged save answered its own version; the record moved on by one version per
    acknowledged save, and per unacknowledged one at most."""
    problems = []
    versions = [a.version for a in acks]
    if len(set(versions)) != len(versions):
        problems.append(f"{what}: two acknowledged saves answered the same version (a lost update)")
    if not len(acks) <= moved <= len(acks) + len(unknown):
        problems.append(
            f"{what}: {moved} new version(s), for {len(acks)} acknowledged save(s)"
            + (f" and {len(unknown)} unanswered" if unknown else "")
        )
    return problems


# A configuration


@dataclass
class Result:
    engine: str
    workers: int
    writes: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    conflicts: int = 0
    retried_503: int = 0
    mails_sent: int = 0
    mails_received: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.writes / self.seconds if self.seconds else 0.0


def run_config(
    engine_name: str, workers: int, database_url: str, args: argparse.Namespace, workdir: Path
) -> Result:
    result = Result(engine_name, workers)
    label = f"{engine_name}, {workers} worker(s)"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    phases: dict[str, float] = {}
    cpu_before = _cpu_seconds()

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            phases[name] = time.monotonic() - began

    with MailSink() as sink:
        env = server_env(
            database_url, secret_key=SECRET, data_dir=workdir / "files", smtp=sink.address, base_url=base_url
        )
        server = ServerProcess(env, workers=workers, port=port, log_path=workdir / "server.log")
        settings = Settings(database_url=database_url, secret_key=SECRET, base_url=base_url)
        with phase("data"):
            plan = populate(database_url, settings, args.clients)
        try:
            with phase("start"):
                server.start()
            print(f"[{label}] {args.clients} clients × {args.writes} writes", flush=True)
            with phase("writes"):
                tally, elapsed = run_clients(server.url, plan, args.writes, args.deadline)
            engine = make_engine(database_url)
            try:
                with phase("mail"):
                    try:
                        wait_for(
                            lambda: mail_waiting(engine) == 0,
                            timeout=args.mail_timeout,
                            what="the outbox to empty",
                        )
                    except TimeoutError as exc:
                        result.problems.append(str(exc))
                    # Mail sent just now may still be on its way to the sink.
                    wait_for(lambda: sink.in_flight == 0, timeout=10, what="the SMTP server to answer")
                with phase("checks"):
                    mail = check_mail(engine, sink)
                    result.problems += check_writes(engine, plan, tally.acks, tally.unknown)
            finally:
                engine.dispose()
        finally:
            with phase("stop"):
                server.stop()
        errors = [line for line in server.log_tail(4000).splitlines() if "Traceback" in line]
    client_cpu, server_cpu = (
        after - before for after, before in zip(_cpu_seconds(), cpu_before, strict=True)
    )
    print(
        f"[{label}] "
        + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in phases.items())
        + f"; CPU: this script {client_cpu:.0f} s, the server {server_cpu:.0f} s",
        flush=True,
    )
    result.writes, result.seconds = len(tally.acks), elapsed
    if tally.latencies:
        result.p50_ms = statistics.median(tally.latencies) * 1000
        result.p95_ms = _percentile(tally.latencies, 95) * 1000
    result.conflicts, result.retried_503 = tally.conflicts, tally.retried_503
    result.mails_sent, result.mails_received = len(mail.sent_ids), mail.received.total()
    result.problems += mail.problems()
    if tally.failures:
        kinds = Counter(_failure_kind(f) for f in tally.failures)
        result.problems.append(
            f"{len(tally.failures)} failed write(s): "
            + "; ".join(f"{n} × {kind}" for kind, n in kinds.most_common(6))
            + f" (first: {tally.failures[0]})"
        )
    if tally.not_done:
        result.problems.append(
            f"{tally.not_done} write(s) not attempted before the deadline ({args.deadline:g} s)"
        )
    if errors:
        result.problems.append(f"{len(errors)} traceback(s) in the server's log {server.log_path}")
    print(f"[{label}] {mail.summary()}", flush=True)
    return result


def _cpu_seconds() -> tuple[float, float]:
    """CPU time of this process (clients, SMTP server, set-up) and of its finished children
    (the servers, once stopped)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(percent / 100 * (len(ordered) - 1)))]


def _failure_kind(failure: str) -> str:
    """'update: POST /situations/3/updates: 500 ...' -> 'update 500'."""
    kind, _, rest = failure.partition(": ")
    words = rest.split(": ", 1)[-1].split()
    return f"{kind} {words[0] if words else '?'}"


# Databases


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite:///{workdir / 'veille.db'}"


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A scratch database beside the one named, created empty and dropped afterwards."""
    url = make_url(server_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"{url.database}_loadtest"
    admin = make_engine(url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


# Command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres-url", help="a PostgreSQL database to connect to (a scratch one is created beside it)"
    )
    parser.add_argument(
        "--config",
        action="append",
        metavar="ENGINE:WORKERS",
        help=f"a configuration to run, repeatable (default: {', '.join(CONFIGS)})",
    )
    parser.add_argument(
        "--clients", type=int, default=50, help="concurrent clients (default 50, at least 12)"
    )
    parser.add_argument("--writes", type=int, default=20, help="writes per client (default 20)")
    parser.add_argument(
        "--deadline", type=float, default=90, help="seconds the clients may write (default 90)"
    )
    parser.add_argument(
        "--mail-timeout", type=float, default=60, help="seconds to wait for the outbox (default 60)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs, SQLite file)")
    args = parser.parse_args(argv)
    if args.clients < 12:
        parser.error("--clients must be at least 12 (chair, secretaries, staff and partners)")
    postgres = (
        args.postgres_url
        or os.environ.get("VEILLE_LOADTEST_POSTGRES_URL")
        or os.environ.get("VEILLE_TEST_POSTGRES_URL")
    )
    configs = []
    for config in args.config or CONFIGS:
        engine_name, _, workers = config.partition(":")
        if engine_name not in ("sqlite", "postgresql") or not workers.isdigit() or int(workers) < 1:
            parser.error(f"bad configuration {config!r}: sqlite:N or postgresql:N")
        if engine_name == "postgresql" and not postgres:
            if os.environ.get("VEILLE_TEST_REQUIRE_POSTGRES") == "1":
                parser.error(f"{config}: VEILLE_TEST_REQUIRE_POSTGRES=1 but no PostgreSQL URL is set")
            print(f"skipped {config}: no PostgreSQL URL (--postgres-url)", flush=True)
            continue
        configs.append((engine_name, int(workers)))

    workdir = Path(tempfile.mkdtemp(prefix="veille-loadtest-"))
    began = time.monotonic()
    results = []
    try:
        for engine_name, workers in configs:
            config_dir = workdir / f"{engine_name}-{workers}"
            config_dir.mkdir()
            database = (
                sqlite_database(config_dir) if engine_name == "sqlite" else postgres_database(postgres or "")
            )
            with database as url:
                try:
                    results.append(run_config(engine_name, workers, url, args, config_dir))
                except Exception as exc:  # a configuration that cannot run is a failure, not a crash
                    results.append(Result(engine_name, workers, problems=[f"{type(exc).__name__}: {exc}"]))
    finally:
        failed = any(r.problems for r in results)
        print_table(results)
        print(f"\n{len(results)} configuration(s) in {time.monotonic() - began:.0f} s")
        if failed or args.keep:
            print(f"\nLogs and files kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed or not results else 0


def print_table(results: list[Result]) -> None:
    headers = (
        "engine",
        "workers",
        "writes",
        "writes/s",
        "p50 ms",
        "p95 ms",
        "409",
        "503",
        "mails sent/recv",
        "result",
    )
    rows = [
        (
            r.engine,
            str(r.workers),
            str(r.writes),
            f"{r.rate:.1f}",
            f"{r.p50_ms:.0f}",
            f"{r.p95_ms:.0f}",
            str(r.conflicts),
            str(r.retried_503),
            f"{r.mails_sent}/{r.mails_received}",
            "FAILED" if r.problems else "ok",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]
    print()
    for row in [headers, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    for r in results:
        for problem in r.problems:
            print(f"FAILED {r.engine}, {r.workers} worker(s): {problem}")


if __name__ == "__main__":
    sys.exit(main())

"""Crash test (issue 12): ``veille serve`` killed with SIGKILL at ten random moments while
partners write through the API, and restarted each time.

Afterwards: SQLite's ``PRAGMA integrity_check`` says ok, every write acknowledged before a kill
is in the database, and no mail is lost: a mail claimed but not marked sent goes out again once
its lease (VEILLE_MAIL_LEASE_SECONDS, 2 s here) is over. The SMTP server holds its answer to
each mail a moment, and half the kills wait until a mail is in that moment: that mail reached
the server but its sender never heard it accepted, so it is sent again and arrives twice, as
docs/operations.md says ("Load and crash runs"). Nothing else may arrive twice.

The moments are random (the seed is printed, ``VEILLE_TEST_CRASH_SEED`` replays one): a kill
comes after a random number of acknowledged writes since the last start.
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, make_url
from sqlmodel import Session, select

from tests.conftest import SECRET
from tests.factories import Factory, World
from tests.ops.server import MailSink, ServerProcess, check_mail, mail_waiting, server_env, wait_for
from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.config import Settings
from veille.db import open_session
from veille.directory.models import User
from veille.situations import flows
from veille.situations.enums import NotificationMode
from veille.situations.models import Situation, SituationUpdateRecord

KILLS = 10
LEASE_SECONDS = 2
SMTP_ANSWER_DELAY = 0.05  # the SMTP server's pause between a mail's data and its answer
PACE = 0.05  # a writer's pause between two writes: mail is queued no faster than it can leave


@dataclass
class Writer:
    """A partner posting report updates and new reports in turn; keeps what was acknowledged."""

    name: str
    token: str
    body_id: int
    report_id: int
    acks: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, id, marker)
    refused: list[str] = field(default_factory=list)  # answers that are neither 201 nor an outage

    def run(self, url: str, stop: threading.Event) -> None:
        with httpx.Client(
            base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {self.token}"}, timeout=10
        ) as http:
            step = 0
            while not stop.is_set() and step < 5000:
                step += 1
                marker = f"[{self.name} {step}]"
                if step % 2:
                    kind, path = "update", f"/situations/{self.report_id}/updates"
                    data: dict[str, object] = {"text": f"Passage sur place {marker}"}
                else:
                    kind, path = "report", "/situations"
                    data = {
                        "body_id": self.body_id,
                        "title": f"Regroupement signalé {marker}",
                        "category": "other",
                        "occurred_at": "2026-01-05T10:00:00Z",
                    }
                try:
                    response = http.post(path, json=data)
                except httpx.HTTPError:
                    stop.wait(PACE)  # the server is down (killed): not acknowledged, try on
                    continue
                if response.status_code == 201:
                    text = data.get("text") or data["title"]
                    self.acks.append((kind, response.json()["id"], str(text)))
                elif response.status_code != 503:  # busy while restarting: not acknowledged
                    self.refused.append(f"{kind} {response.status_code} {response.text[:200]}")
                stop.wait(PACE)


@pytest.fixture
def writers(factory: Factory, world: World, engine: Engine, settings: Settings) -> list[Writer]:
    """The chair, the secretary and a member of a body; a report of the member's that the others
    update (each update mails the author and the secretary); the secretary wants a mail per new
    report."""
    report = factory.situation(world.body, world.member, "Hall occupé chaque soir")
    assert world.body.id is not None and report.id is not None
    with open_session(engine, write=True) as session:
        secretary = session.get(User, world.secretary.id)
        assert secretary is not None
        access = flows.choice_access(session, secretary, world.body.id)
        flows.set_mode(session, access=access, mode=NotificationMode.each)
    found = []
    for person in (world.chair, world.secretary, world.member):
        with open_session(engine, write=True) as session:
            raw, _ = auth.issue_token(session, settings, user=person, kind=TokenKind.api)
        found.append(Writer(person.name, raw, world.body.id, report.id))
    return found


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink(delay=SMTP_ANSWER_DELAY) as sink:
        yield sink


def test_killed_server_loses_no_acknowledged_write_and_no_mail(
    engine_name: str,
    database_url: str,
    engine: Engine,
    writers: list[Writer],
    sink: MailSink,
    tmp_path: Path,
) -> None:
    seed = int(os.environ.get("VEILLE_TEST_CRASH_SEED") or random.randrange(1_000_000))
    print(f"crash test seed: {seed} (VEILLE_TEST_CRASH_SEED={seed} replays it)")
    chance = random.Random(seed)
    env = server_env(
        database_url,
        secret_key=SECRET,
        data_dir=tmp_path / "files",
        smtp=sink.address,
        mail_lease_seconds=LEASE_SECONDS,
    )
    server = ServerProcess(env, log_path=tmp_path / "server.log")
    stop = threading.Event()
    threads = [threading.Thread(target=w.run, args=(server.url, stop), daemon=True) for w in writers]
    in_flight_kills = 0
    try:
        server.start()
        for thread in threads:
            thread.start()
        for kill in range(KILLS):
            _wait_acked(writers, _acked(writers) + chance.randint(1, 12), f"writes before kill {kill + 1}")
            if kill % 2 and _mail_on_the_wire(sink):
                in_flight_kills += 1
            server.kill()
            server.start()
        # The last start serves: a few more writes, then the writers stop.
        _wait_acked(writers, _acked(writers) + 5, "writes after the last restart")
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        # Mail claimed by the killed processes goes out once its lease is over.
        with contextlib.suppress(TimeoutError):  # what is left is said below
            wait_for(lambda: mail_waiting(engine) == 0, timeout=30, what="the outbox to empty")
        wait_for(lambda: sink.in_flight == 0, timeout=10, what="the SMTP server's last answer")
    finally:
        stop.set()
        server.stop()

    if engine_name == "sqlite":
        path = make_url(database_url).database
        assert path is not None
        with sqlite3.connect(path) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]

    assert all(not w.refused for w in writers), [w.refused[:3] for w in writers]
    acks = [ack for w in writers for ack in w.acks]
    with Session(engine) as session:
        updates = dict(session.exec(select(SituationUpdateRecord.id, SituationUpdateRecord.text)).all())
        titles = dict(session.exec(select(Situation.id, Situation.title)).all())
    lost = [ack for ack in acks if (updates if ack[0] == "update" else titles).get(ack[1]) != ack[2]]
    assert not lost, f"{len(lost)} of {len(acks)} acknowledged writes lost: {lost[:5]}"

    mail = check_mail(engine, sink)
    print(
        f"{engine_name}: {KILLS} kills ({in_flight_kills} with a mail on the wire), {server.starts} "
        f"starts in {server.start_seconds:.0f} s, {len(acks)} acknowledged writes, {mail.summary()}"
    )
    assert mail.problems(duplicates_allowed=KILLS) == []
    twice = sum(n - 1 for n in mail.duplicates.values())
    if in_flight_kills:
        # The mail on the wire at a kill was claimed and never marked sent: sent again.
        assert twice >= 1, "no mail on the wire at a kill was sent again"
    assert server.starts == KILLS + 1


def _acked(writers: list[Writer]) -> int:
    return sum(len(w.acks) for w in writers)


def _wait_acked(writers: list[Writer], count: int, what: str) -> None:
    wait_for(lambda: _acked(writers) >= count, timeout=20, what=what)


def _mail_on_the_wire(sink: MailSink) -> bool:
    """Waits (bounded) until the SMTP server holds a mail it has not answered yet."""
    try:
        wait_for(lambda: sink.in_flight > 0, timeout=5, what="a mail on the wire", interval=0.002)
    except TimeoutError:
        return False
    return True

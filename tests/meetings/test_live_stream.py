"""The live meeting's event stream through real ``veille serve`` processes (issue 16): on
PostgreSQL two processes share one database, the stream is opened on the second and the note
saved through the first arrives within a second (LISTEN/NOTIFY); on SQLite one process serves
both (its in-process bus). Nothing leaks: a non-member's stream is refused, a guest's stream
never names a confidential item's change, and a member who leaves the body stops receiving, as
does a guest who logs out."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import SECRET
from tests.factories import Factory, World
from tests.ops.server import START_TIMEOUT, ServerProcess, server_env
from veille.auth import service as auth
from veille.auth.models import TokenKind
from veille.bodies.models import Membership
from veille.config import Settings
from veille.db import open_session
from veille.deps import CSRF_COOKIE, SESSION_COOKIE, csrf_token_for
from veille.directory.models import User
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import AgendaItem

END = "end of stream"


@pytest.fixture
def servers(
    database_url: str, engine_name: str, world: World, tmp_path: Path
) -> Iterator[list[ServerProcess]]:
    """Two servers on PostgreSQL; one on SQLite (one process per SQLite file is what is served)."""
    env = server_env(database_url, secret_key=SECRET, data_dir=tmp_path / "files")
    started = [
        ServerProcess(env, log_path=tmp_path / f"server-{n}.log")
        for n in range(2 if engine_name == "postgresql" else 1)
    ]
    try:
        for server in started:
            server.launch()
        for server in started:
            server.wait_up(START_TIMEOUT)
        yield started
    finally:
        for server in started:
            server.stop()


def _client(server: ServerProcess, engine: Engine, settings: Settings, user: User) -> httpx.Client:
    """A browser of ``user`` on that server: a session cookie and its CSRF token."""
    with open_session(engine, write=True) as session:
        raw, _ = auth.issue_token(session, settings, user=user, kind=TokenKind.session)
    client = httpx.Client(base_url=server.url, follow_redirects=False, timeout=10)
    client.cookies.set(SESSION_COOKIE, raw)
    client.cookies.set(CSRF_COOKIE, "live-test-cookie")
    client.headers["X-CSRF-Token"] = csrf_token_for(settings, "live-test-cookie")
    client.headers["HX-Request"] = "true"
    return client


class Stream:
    """A meeting's event stream read by a thread: each event's name, as it arrives."""

    def __init__(self, client: httpx.Client, meeting_id: int) -> None:
        self.events: queue.Queue[str] = queue.Queue()
        request = client.build_request("GET", f"/meetings/{meeting_id}/live", timeout=None)
        self.response = client.send(request, stream=True)
        self.status = self.response.status_code
        if self.status == 200:
            threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.iter_lines():
                if line.startswith("event:"):
                    self.events.put(line.removeprefix("event:").strip())
        except httpx.HTTPError:
            pass
        self.events.put(END)

    def next(self, timeout: float) -> str | None:
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        self.response.close()


def _save_notes(client: httpx.Client, item: AgendaItem, notes: str, version: int) -> None:
    form = {"notes": notes, "decisions": "", "version": str(version)}
    if item.confidential:
        form["confidential"] = "1"
    response = client.post(f"/agenda-items/{item.id}/notes", data=form)
    assert response.status_code == 200, response.text


def _wait_for(stream: Stream, kind: str, within: float) -> float:
    """Seconds until ``kind`` arrives (other kinds are skipped), or a failure."""
    began = time.monotonic()
    while (left := within - (time.monotonic() - began)) > 0:
        if stream.next(left) == kind:
            return time.monotonic() - began
    raise AssertionError(f"no {kind!r} event within {within} s")


def _drain(stream: Stream, quiet: float) -> list[str]:
    """What arrives until nothing has for ``quiet`` seconds."""
    kinds = []
    while (kind := stream.next(quiet)) is not None:
        kinds.append(kind)
    return kinds


def test_a_note_saved_on_one_process_reaches_the_streams_of_another(
    servers: list[ServerProcess],
    factory: Factory,
    world: World,
    engine: Engine,
    settings: Settings,
    session: Session,
) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.convened)
    public = factory.item(meeting, "Point de situation", 1)
    secret = factory.item(meeting, "Famille suivie", 2, confidential=True)
    factory.invite(meeting, world.member)
    factory.invite(meeting, world.guest, guest=True)
    assert meeting.id is not None
    first, second = servers[0], servers[-1]
    secretary = _client(first, engine, settings, world.secretary)
    member, guest, outsider = (
        _client(second, engine, settings, u) for u in (world.member, world.guest, world.other)
    )

    # A non-member's stream is refused as the meeting page is: it does not exist for them.
    assert Stream(outsider, meeting.id).status == 404
    on_member, on_guest = Stream(member, meeting.id), Stream(guest, meeting.id)
    assert (on_member.status, on_guest.status) == (200, 200)
    _wait_for(on_member, "presence", 5)  # the member's own arrival: the stream is live

    _save_notes(secretary, public, "Calme depuis trois semaines.", 1)
    assert _wait_for(on_member, "notes", 5) < 1.0
    assert _wait_for(on_guest, "notes", 5) < 1.0

    # The confidential item: members are told, the guest's stream says nothing; then a change
    # the guest sees shows that the guest's stream went on meanwhile.
    _save_notes(secretary, secret, "Le fils aîné est suivi par l'ASE.", 1)
    _wait_for(on_member, "notes", 5)
    secretary.post(f"/meetings/{meeting.id}/agenda", data={"title": "Questions diverses"})
    _wait_for(on_guest, "agenda", 5)
    assert "notes" not in _drain(on_guest, 0.5)
    guest_agenda = guest.get(f"/meetings/{meeting.id}/live/agenda").text
    assert (
        "Questions diverses" in guest_agenda
        and "ASE" not in guest_agenda
        and "Famille suivie" not in guest_agenda
    )
    assert "ASE" in member.get(f"/meetings/{meeting.id}/live/agenda").text
    assert guest.get(f"/meetings/{meeting.id}/live/round_table").status_code == 403

    # The member leaves the body: at the next event their stream ends, with nothing in it.
    _drain(on_member, 0.5)
    membership = session.exec(
        select(Membership).where(Membership.body_id == world.body.id, Membership.user_id == world.member.id)
    ).one()
    session.delete(membership)
    session.commit()
    _save_notes(secretary, public, "Calme depuis un mois.", 2)
    assert _wait_for(on_guest, "notes", 5) < 1.0
    assert on_member.next(5) == END
    assert Stream(member, meeting.id).status == 404
    # The guest logs out: their stream ends at the next event (it went on telling them).
    _drain(on_guest, 0.5)
    assert guest.post("/logout").status_code in (204, 303)
    _save_notes(secretary, public, "Calme depuis cinq semaines.", 3)
    assert on_guest.next(5) == END
    for stream in (on_member, on_guest):
        stream.close()
    for client in (secretary, member, guest, outsider):
        client.close()

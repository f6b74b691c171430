"""Asking for a link tells nothing of whether the address has an account: the same answer, as
long, either way. The test clients run no mail sender, so the mail waits in the outbox; that it
leaves only once the answer has gone is `test_reset_mail.py`'s."""

from __future__ import annotations

import re
import time
from typing import Any

from sqlmodel import Session, select

from tests.factories import World
from veille.account import service as account
from veille.auth.models import PasswordResetRequest
from veille.notifications.models import OutboxMail


def _timed(client: Any, email: str) -> tuple[Any, float]:
    started = time.monotonic()
    answer = client.form("/password/forgot", {"email": email})
    return answer, time.monotonic() - started


def test_an_unknown_address_gets_the_same_answer_no_mail_and_as_long(
    client_for: Any, world: World, session: Session
) -> None:
    _timed(client_for(), "first@example.org")  # the process's first answer compiles its page
    unknown, unknown_time = _timed(client_for(), "nobody@example.org")
    known, known_time = _timed(client_for(), world.member.email)
    assert unknown.status_code == known.status_code == 200
    strip = lambda text: text.replace("nobody@example.org", "X").replace(world.member.email, "X")  # noqa: E731
    body = lambda r: re.sub(r"[0-9a-f]{64}", "", strip(r.text))  # noqa: E731
    assert body(unknown) == body(known)
    assert unknown_time >= account.ANSWER_FLOOR_SECONDS and known_time >= account.ANSWER_FLOOR_SECONDS
    assert abs(unknown_time - known_time) < 0.3
    assert session.exec(select(OutboxMail.to_address)).all() == [world.member.email]
    assert len(session.exec(select(PasswordResetRequest)).all()) == 3

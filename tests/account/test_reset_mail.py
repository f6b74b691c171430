"""A forgotten password's link leaves once the answer has gone, on a real server (uvicorn, its
mail sender running) delivering to a real SMTP server. Sent while the answer waited out its
floor, the delivery competed with the answer for the CPU of a busy server, and a known address
could answer later than an unknown one."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.conftest import SmtpServer
from tests.factories import World
from veille.config import Settings
from veille.deps import CSRF_COOKIE, csrf_token_for


@pytest.fixture
def settings(settings, smtp_server):  # type: ignore[no-untyped-def]
    # The sender's sweep then comes every 30 s: the mail can only leave sooner if it is woken.
    return smtp_server.configure(settings, mail_lease_seconds=600)


def test_the_link_leaves_after_the_answer_not_during_it(
    world: World, live_server: str, smtp_server: SmtpServer, settings: Settings
) -> None:
    # The world first: the server starts after it, and its first sweep comes 30 s later.
    cookie = "test-csrf-cookie-" + uuid.uuid4().hex
    with httpx.Client(base_url=live_server, cookies={CSRF_COOKIE: cookie}) as client:
        form = {"csrf_token": csrf_token_for(settings, cookie), "email": world.member.email}
        answer = client.post("/password/forgot", data=form)
        # Read as the answer arrives: the delivery takes a claim and an SMTP exchange after it.
        arrived_with_the_answer = len(smtp_server.received)
    assert answer.status_code == 200
    assert arrived_with_the_answer == 0
    [mail] = smtp_server.wait_for(1, timeout=5)  # woken after the answer, not by the sweep
    assert mail["To"] == world.member.email
    assert "/password/reset/" in mail.get_content()

"""French typography in the meeting mails (issue 17): a non-breaking space before the colon
and the other double punctuation marks, as the French catalogue writes them; delivered to a
real SMTP server."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.config import Settings

NBSP = "\u00a0"


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return smtp_server.configure(settings)


def test_mails_follow_french_typography(
    client_for: Any, world: World, factory: Factory, smtp_server: SmtpServer
) -> None:
    meeting = factory.meeting(world.body, in_days=10)
    factory.item(meeting, "Point de situation")
    response = client_for(world.secretary).form(f"/meetings/{meeting.id}/convene")
    assert response.status_code == 303
    messages = smtp_server.messages
    french = [m for m in messages if m["To"] == world.member.email]
    assert french, [m["To"] for m in messages]
    part = french[0].get_body(("plain",))
    assert part is not None
    text = part.get_content()
    for label in ("Quand", "Où", "Ordre du jour"):
        assert f"{label}{NBSP}:" in text, label
    assert f"Convocation{NBSP}:" in str(french[0]["Subject"])
    # No colon, semicolon, exclamation or question mark glued to a word or after a plain space
    # (links and times such as 18:30 aside).
    prose = re.sub(r"https?://\S+", "", text)
    glued = r"(?:[^\W\d]| )[:;!?]"
    assert not re.search(glued, prose), re.findall(rf".{{12}}{glued}.{{0,12}}", prose)

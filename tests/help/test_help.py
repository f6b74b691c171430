"""Help pages: /help opens the reader's own role's page, every role's page is listed and
readable, in French by default and in English for who chose it."""

from __future__ import annotations

import pytest

from veille.bodies.enums import BodyKind, MemberRole

PAGES = {
    "chair": "Président·e d’une instance",
    "secretary": "Secrétaire d’une instance",
    "partner": "Membre partenaire",
    "gltd": "Membre du groupe du parquet (GLTD)",
    "guest": "Invité·e d’une réunion",
    "staff": "Administration ou coordination",
}


def _title(html: str) -> str:
    return html.split("<title>", 1)[1].split("</title>", 1)[0]


@pytest.mark.parametrize(
    ("persona", "role"),
    [
        ("admin", "staff"),
        ("coordinator", "staff"),
        ("chair", "chair"),
        ("secretary", "secretary"),
        ("member", "partner"),
        ("guest", "guest"),
        ("other", "partner"),
    ],
)
def test_help_opens_the_readers_own_role_first(world, client_for, persona, role):
    response = client_for(world.persona(persona)).get("/help")
    assert response.status_code == 200
    assert PAGES[role] in _title(response.text)
    for other in PAGES:
        assert f'href="/help/{other}"' in response.text
    assert response.text.count("votre rôle") == 1


def test_a_member_of_the_prosecutors_group_gets_its_page(world, factory, client_for):
    gltd = factory.body("GLTD du parquet", kind=BodyKind.crime_treatment_group)
    factory.member(gltd, world.other, MemberRole.member)
    response = client_for(world.other).get("/help")
    assert PAGES["gltd"] in _title(response.text)
    assert "transmises par une cellule de veille" in response.text


def test_every_role_page_is_readable_and_an_unknown_one_is_404(world, client_for):
    client = client_for(world.member)
    for role, name in PAGES.items():
        response = client.get(f"/help/{role}")
        assert response.status_code == 200 and name in _title(response.text)
        assert 'aria-current="page"' in response.text
    assert client.get("/help/mayor").status_code == 404
    assert client_for(None).get("/help").status_code == 303


def test_help_speaks_english_to_who_chose_it(factory, world, client_for):
    reader = factory.user("Eve English", language="en")
    factory.member(world.body, reader, MemberRole.secretary)
    html = client_for(reader).get("/help").text
    assert "Help: Secretary of a body" in _title(html)
    assert "What to do first" in html and "Par quoi commencer" not in html


def test_a_guest_is_told_why_the_lists_are_empty(world, factory, client_for):
    """A guest sees no body's reports, actions or counts: the empty pages say why and where
    their meeting is, where they showed an empty list or zeros without a word (walkthrough)."""
    meeting = factory.meeting(world.body)
    factory.invite(meeting, world.guest, guest=True)
    said = "Invité·e, vous ne voyez que l’ordre du jour des réunions"
    guest, member = client_for(world.guest), client_for(world.member)
    for url in ("/situations", "/actions", "/stats"):
        assert said in guest.get(url).text, url
        assert said not in member.get(url).text, url
    assert "Répondez à l’invitation" in guest.get("/help").text

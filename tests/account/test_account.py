"""'Mon compte': a person's own name, language and password, each body's mail, the calendar
address and the API tokens; the strength check wherever a password is set; the language of
visitors who are not logged in."""

from __future__ import annotations

import io
import re
import sys

import pytest
from sqlmodel import select

from tests.factories import PASSWORD
from veille.auth.models import AuthToken, TokenKind
from veille.auth.service import verify_password
from veille.cli import main
from veille.directory.models import User
from veille.situations.models import NotificationChoice

NEW = "lanterne cerisier boussole marée"


def _user(session, user):  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(User, user.id)


def test_the_header_links_to_the_account_page(client_for, world):
    home = client_for(world.member).get("/")
    assert 'href="/account"' in home.text
    assert "Mon compte" in home.text


def test_the_page_gathers_the_account_in_bounded_queries(client_for, api_for, world, factory, queries):
    factory.member(world.other_body, world.member)
    api_for(world.member)  # one API token
    client = client_for(world.member)
    client.get("/account")
    with queries() as log:
        page = client.get("/account")
    assert page.status_code == 200
    text = page.text
    assert world.member.name in text and world.member.email in text
    assert world.body.name in text and world.other_body.name in text  # the mail of each body
    assert re.search(r"http://testserver/calendar/[^\"]+\.ics", text)
    assert "/account/tokens/" in text  # the API token, with its revocation
    # Two bodies: the person, their bodies, each body's standing and choice, the feed, tokens.
    assert log.count <= 20, log.statements


def test_name_and_language_are_the_persons_own(client_for, world, session):
    client = client_for(world.member)
    response = client.form("/account/profile", {"name": "Mona Membre", "language": "en"})
    assert response.status_code == 303
    user = _user(session, world.member)
    assert (user.name, user.language) == ("Mona Membre", "en")
    assert "My account" in client.get("/account").text
    refused = client.form("/account/profile", {"name": " ", "language": "de"})
    assert refused.status_code == 422
    assert "This field is required" in refused.text
    assert _user(session, world.member).name == "Mona Membre"


def test_changing_the_password_keeps_this_session_and_ends_the_others(client_for, api_for, world, session):
    other_browser, api = client_for(world.member), api_for(world.member)
    client = client_for(world.member)
    response = client.form("/account/password", {"current": PASSWORD, "password": NEW, "confirm": NEW})
    assert response.status_code == 303
    assert verify_password(_user(session, world.member).password_hash, NEW)
    assert client.get("/account").status_code == 200
    assert other_browser.get("/account").status_code == 303
    assert api.get("/api/v1/bodies").status_code == 401


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"current": "not my password", "password": NEW, "confirm": NEW}, "pas votre mot de passe actuel"),
        ({"current": PASSWORD, "password": "password1234", "confirm": "password1234"}, "les plus utilisés"),
        # Their own address (or name) with its dots and at sign, which zxcvbn scored 4 of 4.
        (
            {"current": PASSWORD, "password": "member@example.org", "confirm": "member@example.org"},
            "votre adresse",
        ),
        ({"current": PASSWORD, "password": "Marc-Membre-2026", "confirm": "Marc-Membre-2026"}, "votre nom"),
        ({"current": PASSWORD, "password": NEW, "confirm": "other"}, "Les deux mots de passe diffèrent"),
        ({"current": PASSWORD, "password": "short"}, "au moins 12 caractères"),
    ],
)
def test_a_refused_password_change_says_why_and_changes_nothing(client_for, world, session, form, message):
    other_browser = client_for(world.member)
    client = client_for(world.member)
    response = client.form("/account/password", form)
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "’")
    assert 'id="password"' in response.text  # the whole page, the error in its form
    assert verify_password(_user(session, world.member).password_hash, PASSWORD)
    assert other_browser.get("/account").status_code == 200


def test_the_current_password_is_throttled_like_a_login(client_for, world, settings):
    client = client_for(world.member)
    statuses = [
        client.form("/account/password", {"current": "wrong", "password": NEW, "confirm": NEW}).status_code
        for _ in range(settings.login_refuse_after + 1)
    ]
    assert statuses[-1] == 429


def test_each_bodys_mail_is_chosen_in_one_form(client_for, world, factory, session):
    factory.member(world.other_body, world.member)
    client = client_for(world.member)
    fields = {f"mode-{world.body.id}": "each", f"mode-{world.other_body.id}": "none"}
    assert client.form("/account/mail", fields).status_code == 303
    modes = {c.body_id: c.mode for c in session.exec(select(NotificationChoice)).all()}
    assert modes == {world.body.id: "each", world.other_body.id: "none"}
    # A bad value refuses the whole form: nothing half-written.
    bad = {f"mode-{world.body.id}": "digest", f"mode-{world.other_body.id}": "x"}
    refused = client.form("/account/mail", bad)
    assert refused.status_code == 422
    session.expire_all()
    assert {c.body_id: c.mode for c in session.exec(select(NotificationChoice)).all()} == modes


def test_a_body_one_does_not_sit_in_is_not_a_choice(client_for, world, session):
    for user in (world.other, world.guest):
        assert client_for(user).form("/account/mail", {f"mode-{world.body.id}": "each"}).status_code == 422
    assert session.exec(select(NotificationChoice)).all() == []


def test_the_calendar_gets_a_new_address(client_for, world):
    client = client_for(world.member)
    old = re.search(r"http://testserver(/calendar/[^\"]+\.ics)", client.get("/account").text).group(1)
    assert client.get(old).status_code == 200
    assert client.form("/account/calendar").status_code == 303
    assert client.get(old).status_code == 404


def test_api_tokens_are_listed_and_revoked_one_by_one(client_for, api_for, world, session):
    keep, revoke = api_for(world.member), api_for(world.member)
    other = api_for(world.other)
    tokens = session.exec(select(AuthToken).where(AuthToken.kind == TokenKind.api)).all()
    mine = sorted(t.id for t in tokens if t.user_id == world.member.id)
    theirs = next(t.id for t in tokens if t.user_id == world.other.id)
    client = client_for(world.member)
    page = client.get("/account").text
    assert all(f"/account/tokens/{i}/revoke" in page for i in mine)
    assert f"/account/tokens/{theirs}/revoke" not in page
    assert client.form(f"/account/tokens/{mine[1]}/revoke").status_code == 303
    assert revoke.get("/api/v1/bodies").status_code == 401
    assert keep.get("/api/v1/bodies").status_code == 200
    # Another person's token, or one's session, is not one's API token: 404, nothing revoked.
    assert client.form(f"/account/tokens/{theirs}/revoke").status_code == 404
    assert other.get("/api/v1/bodies").status_code == 200


def test_the_address_of_a_refused_form_leads_back_to_its_page(client_for, api_for, world):
    """A form refused at its address leaves it in the address bar: a reload or a return there
    (a GET) lands on the form's page, not on a bare "not allowed" page."""
    client = client_for(world.member)
    wrong = {"current": "pas le bon", "password": "x", "confirm": "x"}
    assert client.form("/account/password", wrong).status_code == 422
    for address, page in (("/account/password", "/account"), ("/account/tokens/12/revoke", "/account")):
        again = client.get(address, follow_redirects=False)
        assert (again.status_code, again.headers["location"]) == (303, page)
    assert client.head("/account/password", follow_redirects=False).status_code == 303
    assert client.head("/account", follow_redirects=False).status_code == 405  # a page: not sent away
    assert client.request("DELETE", "/account").status_code == 405  # another method: still refused
    assert api_for(world.member).get("/api/v1/auth/token").status_code == 405  # the API says so


def test_a_token_used_in_its_first_minute_is_not_listed_as_never_used(client_for, api_for, world, session):
    """Its last use is written once a minute; its first, at once: "Jamais" would be a lie."""
    used, unused = api_for(world.member), api_for(world.member)
    assert used.get("/api/v1/bodies").status_code == 200
    ids = sorted(session.exec(select(AuthToken.id).where(AuthToken.kind == TokenKind.api)).all())
    page = client_for(world.member).get("/account").text
    rows = {i: next(r for r in page.split("<tr") if f"/account/tokens/{i}/revoke" in r) for i in ids}
    assert "Jamais" not in rows[ids[0]]
    assert "Jamais" in rows[ids[1]]
    assert unused.get("/api/v1/bodies").status_code == 200


# Passwords set by an admin or the command line


def test_a_long_passphrase_is_taken(client_for, world, session):
    """Longer than zxcvbn reads (72 characters): it raised, a 500 where a password is set."""
    long = "lanterne violette sur le quai du tonnerre pendant que la marée monte sans bruit"
    assert len(long) > 72
    client = client_for(world.member)
    answer = client.form("/account/password", {"current": PASSWORD, "password": long, "confirm": long})
    assert answer.status_code == 303
    assert verify_password(_user(session, world.member).password_hash, long)


def test_an_admin_cannot_give_an_easy_password(client_for, world, session):
    admin = client_for(world.admin)
    user = {"name": "Nina", "email": "nina@example.org", "role": "member", "language": "fr"}
    response = admin.form(
        "/directory/users/new", user | {"organisation_id": world.organisation.id, "password": "azertyuiop123"}
    )
    assert response.status_code == 422
    assert "Les suites de touches" in response.text or "proche d’un mot de passe" in response.text
    assert session.exec(select(User).where(User.email == "nina@example.org")).first() is None
    edit = admin.form(
        f"/directory/users/{world.member.id}/edit",
        {"name": world.member.name, "email": world.member.email, "role": "member", "language": "fr"}
        | {"organisation_id": world.member.organisation_id, "password": "password1234"},
    )
    assert edit.status_code == 422


def test_the_api_refuses_an_easy_password_in_english(api_for, world):
    response = api_for(world.admin).post(
        "/api/v1/users",
        json={
            "email": "x@example.org",
            "name": "X",
            "organisation_id": world.organisation.id,
            "password": "password1234",
        },
    )
    assert response.status_code == 422
    assert "among the most used" in response.json()["detail"][0]["msg"]


def test_the_command_line_refuses_an_easy_password(empty_database_url, tmp_path, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("VEILLE_DATABASE_URL", empty_database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", "cli-test-secret-key-0123456789abcdefghij")
    monkeypatch.chdir(tmp_path)
    assert main(["db", "upgrade"]) == 0
    assert main(["organisation", "create", "Loire Habitat", "--kind", "housing_provider"]) == 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("password1234\n"))
    args = ["user", "create", "n@valmont.example", "--name", "N", "--organisation", "Loire Habitat"]
    assert main([*args, "--role", "member"]) == 1
    assert "among the most used" in capsys.readouterr().err


# The language of visitors


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "Se connecter"),
        ("en-GB,en;q=0.9", "Sign in"),
        ("de-DE,de;q=0.9,en;q=0.5", "Sign in"),
        ("fr-FR,fr;q=0.9,en;q=0.8", "Se connecter"),
        ("de", "Se connecter"),
    ],
)
def test_visitors_get_their_browsers_language(client_for, header, expected):
    headers = {"Accept-Language": header} if header else {}
    page = client_for().get("/login", headers=headers)
    assert expected in page.text
    assert f'lang="{"en" if expected == "Sign in" else "fr"}"' in page.text


def test_a_persons_own_language_wins_over_the_browsers(client_for, world):
    page = client_for(world.member).get("/account", headers={"Accept-Language": "en"})
    assert "Mon compte" in page.text

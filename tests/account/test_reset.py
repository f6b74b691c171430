"""The forgotten password: a one-time link by mail (hashed, 30 minutes, single use, throttled,
the same answer whether the address has an account or not), the new password ending every
session and API token of the account."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select, update

from tests.factories import PASSWORD
from veille.auth import resets
from veille.auth.models import AuthToken, PasswordReset, PasswordResetRequest
from veille.auth.service import hash_token, verify_password
from veille.directory.enums import Language
from veille.directory.models import User
from veille.notifications.models import OutboxMail
from veille.orm import utcnow

NEW = "lanterne cerisier boussole marée"
NO_ADDRESSES = ["pas-une-adresse", "member@example", "member@@example.org", "a" * 250 + "@example.org"]


@pytest.fixture
def settings(settings, smtp_server):  # type: ignore[no-untyped-def]
    return smtp_server.configure(settings)


def _ask(client, email):  # type: ignore[no-untyped-def]
    return client.form("/password/forgot", {"email": email})


def _link(message) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"http://testserver(/password/reset/[A-Za-z0-9_-]+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def test_the_login_page_links_to_the_forgotten_password(client_for):
    assert 'href="/password/forgot"' in client_for().get("/login").text
    page = client_for().get("/password/forgot")
    assert page.status_code == 200
    assert "Mot de passe oublié" in page.text


def test_a_known_address_gets_a_french_mail_with_a_hashed_link(client_for, world, session, smtp_server):
    response = _ask(client_for(), "Member@Example.org ")
    assert response.status_code == 200
    assert "Si un compte utilise l’adresse" in response.text
    [mail] = smtp_server.messages
    assert mail["To"] == world.member.email
    assert "nouveau mot de passe" in mail["Subject"]
    assert "30 minutes" in mail.get_content()
    raw = _link(mail).rsplit("/", 1)[1]
    [stored] = session.exec(select(PasswordReset)).all()
    assert stored.token_hash == hash_token(raw) != raw
    assert stored.expires_at - stored.created_at == timedelta(minutes=30)


def test_an_english_reader_gets_the_mail_in_english(client_for, world, session, smtp_server):
    world.member.language = Language.en
    session.add(world.member)
    session.commit()
    _ask(client_for(), world.member.email)
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Veille: set a new password"


def test_a_deactivated_account_gets_no_mail(client_for, world, session, smtp_server):
    world.member.active = False
    session.add(world.member)
    session.commit()
    assert _ask(client_for(), world.member.email).status_code == 200
    assert smtp_server.messages == []


def test_an_empty_address_is_a_french_form_error(client_for, world):
    response = _ask(client_for(), "  ")
    assert response.status_code == 422
    assert "Ce champ est obligatoire" in response.text


@pytest.mark.parametrize("typed", NO_ADDRESSES)
def test_an_address_that_is_no_address_is_told_so_not_promised_a_mail(client_for, world, session, typed):
    response = _ask(client_for(), typed)
    assert response.status_code == 422
    assert "Saisissez une adresse e-mail valide" in response.text
    assert "Si un compte utilise" not in response.text
    assert 'id="field-email-error"' in response.text
    assert session.exec(select(PasswordResetRequest)).all() == []  # not counted against the throttle


def test_requests_are_throttled_per_address_typed_known_or_not(client_for, world, smtp_server):
    for email in (world.member.email, "nobody@example.org"):
        client = client_for()
        for _ in range(resets.PER_ACCOUNT):
            assert _ask(client, email).status_code == 200
        refused = _ask(client_for(), email)
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Trop de demandes" in refused.text
    assert len(smtp_server.messages) == resets.PER_ACCOUNT


def test_requests_are_throttled_per_client_address(client_for, world):
    client = client_for()
    for n in range(resets.PER_ADDRESS):
        assert _ask(client, f"someone{n}@example.org").status_code == 200
    assert _ask(client, world.member.email).status_code == 429


def test_the_link_sets_a_new_password_once_and_ends_every_session_and_token(
    client_for, api_for, world, session, smtp_server
):
    browser = client_for(world.member)
    api = api_for(world.member)
    _ask(client_for(), world.member.email)
    link = _link(smtp_server.messages[0])
    visitor = client_for()
    page = visitor.get(link)
    assert page.status_code == 200
    # The link's secret is in the address: only Veille's own pages may be told it (a form's
    # Origin must stay readable for the CSRF check, so not "no-referrer").
    assert page.headers["referrer-policy"] == "same-origin"
    response = visitor.form(link, {"password": NEW, "confirm": NEW})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    session.expire_all()
    assert verify_password(session.get(User, world.member.id).password_hash, NEW)
    assert session.exec(select(AuthToken).where(AuthToken.user_id == world.member.id)).all() == []
    assert browser.get("/bodies").status_code == 303
    assert api.get("/api/v1/bodies").status_code == 401
    # Used once: the link no longer works, and says how to get another.
    again = visitor.get(link)
    assert again.status_code == 404
    assert 'href="/password/forgot"' in again.text
    assert visitor.form(link, {"password": PASSWORD, "confirm": PASSWORD}).status_code == 404
    assert verify_password(session.get(User, world.member.id).password_hash, NEW)


def test_a_new_link_spends_nothing_but_using_one_spends_the_older_ones(client_for, world, smtp_server):
    _ask(client_for(), world.member.email)
    _ask(client_for(), world.member.email)
    first, second = (_link(m) for m in smtp_server.messages)
    client = client_for()
    assert client.form(second, {"password": NEW, "confirm": NEW}).status_code == 303
    assert client.get(first).status_code == 404


def test_a_password_set_another_way_ends_the_links_already_sent(client_for, world, session, smtp_server):
    """Changed by its owner or set by an admin: a link left in a mailbox someone else reads no
    longer sets it (security review)."""
    _ask(client_for(), world.member.email)
    _ask(client_for(), world.other.email)
    mine, theirs = (_link(m) for m in smtp_server.messages)
    changed = {"current": PASSWORD, "password": NEW, "confirm": NEW}
    assert client_for(world.member).form("/account/password", changed).status_code == 303
    assert client_for().get(mine).status_code == 404
    assert client_for().get(theirs).status_code == 200  # another account's: as it was
    other = session.get(User, world.other.id)
    form = {"name": other.name, "email": other.email, "organisation_id": other.organisation_id}
    form |= {"role": "member", "language": "fr"}
    set_by_admin = client_for(world.admin).form(f"/directory/users/{other.id}/edit", form | {"password": NEW})
    assert set_by_admin.status_code == 303, set_by_admin.text[:300]
    assert client_for().get(theirs).status_code == 404


def test_the_admins_outbox_never_shows_a_links_text(client_for, world, session, smtp_server):
    """An admin reads no restricted report: the link would set the password of someone who does,
    the audit naming only them (security review)."""
    _ask(client_for(), world.member.email)
    link = _link(smtp_server.messages[0])
    mail_id = session.exec(select(OutboxMail.id).where(OutboxMail.kind == "password_reset")).one()
    page = client_for(world.admin).get(f"/admin/outbox/{mail_id}").text
    assert link.rsplit("/", 1)[1] not in page
    assert "Non affiché" in page


def test_an_expired_or_unknown_link_is_refused(client_for, world, session, smtp_server):
    _ask(client_for(), world.member.email)
    link = _link(smtp_server.messages[0])
    session.exec(update(PasswordReset).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    client = client_for()
    assert client.get(link).status_code == 404
    assert client.form(link, {"password": NEW, "confirm": NEW}).status_code == 404
    assert client.get("/password/reset/not-a-token").status_code == 404
    assert client.get("/password/reset/" + "x" * 300).status_code == 404


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("password1234", "password1234", "parmi les plus utilisés"),
        ("azertyuiop12", "azertyuiop12", "proche d’un mot de passe"),
        ("short", "short", "au moins 12 caractères"),
        (NEW, NEW + "x", "Les deux mots de passe diffèrent"),
    ],
)
def test_a_weak_or_mistyped_password_is_refused_and_the_link_still_works(
    client_for, world, session, smtp_server, password, confirm, message
):
    _ask(client_for(), world.member.email)
    link = _link(smtp_server.messages[0])
    client = client_for()
    response = client.form(link, {"password": password, "confirm": confirm})
    assert response.status_code == 422
    assert message in response.text.replace("'", "’")
    session.expire_all()
    assert verify_password(session.get(User, world.member.id).password_hash, PASSWORD)
    assert client.form(link, {"password": NEW, "confirm": NEW}).status_code == 303

"""A newcomer's invitation: an admin opens an account without typing its password, and its
holder chooses it from a mailed link valid 7 days (the admin never knows it). The account,
its link and its mail are written together, or nothing is."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from tests.factories import PASSWORD
from veille.audit.models import AuditEvent
from veille.auth.models import PasswordReset
from veille.auth.service import verify_password
from veille.directory.models import User
from veille.notifications.models import OutboxMail

CHOSEN = "lanterne cerisier boussole marée"


@pytest.fixture
def settings(settings, smtp_server):  # type: ignore[no-untyped-def]
    return smtp_server.configure(settings)


def _newcomer(world, **change):  # type: ignore[no-untyped-def]
    return {
        "name": "Nina Nouvelle",
        "email": "nina@example.org",
        "organisation_id": world.organisation.id,
        "role": "member",
        "language": "fr",
        "password": "",
    } | change


def _link(message) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"http://testserver(/password/reset/[A-Za-z0-9_-]+)", message.get_content())
    assert found, message.get_content()
    return found.group(1)


def _nina(session) -> User:  # type: ignore[no-untyped-def]
    session.commit()  # ends the read snapshot: what the app wrote since shows
    session.expire_all()
    return session.exec(select(User).where(User.email == "nina@example.org")).one()


def test_an_account_opened_without_a_password_mails_its_holder_a_link_to_choose_it(
    client_for, world, session, smtp_server
):
    admin = client_for(world.admin)
    response = admin.form("/directory/users/new", _newcomer(world))
    assert response.status_code == 303, response.text[:500]
    listed = admin.get(response.headers["location"]).text
    assert "une invitation a été envoyée à nina@example.org" in listed
    assert "Invitation en cours" in listed
    nina = _nina(session)
    assert nina.password_hash is None
    [mail] = smtp_server.messages
    assert mail["To"] == "nina@example.org"
    assert "choisissez votre mot de passe" in mail["Subject"]
    assert "7\u00a0jours" in mail.get_content() and "nina@example.org" in mail.get_content()
    [link] = session.exec(select(PasswordReset).where(PasswordReset.user_id == nina.id)).all()
    assert link.expires_at - link.created_at == timedelta(days=7)
    kinds = session.exec(select(OutboxMail.kind)).all()
    assert kinds == ["password_reset"]  # the admin's outbox shows no text of it
    about_nina = (AuditEvent.entity == "user", AuditEvent.entity_id == nina.id)
    verbs = session.exec(select(AuditEvent.verb).where(*about_nina)).all()
    assert set(verbs) == {"create", "invite"}

    visitor = client_for()
    # No password: nothing a login can match until the holder chose one.
    assert visitor.form("/login", {"email": "nina@example.org", "password": ""}).status_code == 422
    page = visitor.get(_link(mail))
    assert page.status_code == 200
    assert "Choisissez votre mot de passe" in page.text and "Bienvenue" in page.text
    chosen = visitor.form(_link(mail), {"password": CHOSEN, "confirm": CHOSEN})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/login", chosen.text[:800]
    assert verify_password(_nina(session).password_hash, CHOSEN)
    login = client_for().form("/login", {"email": "nina@example.org", "password": CHOSEN})
    assert login.status_code == 303 and login.headers["location"] == "/"


def test_an_english_newcomer_gets_the_invitation_in_english(client_for, world, smtp_server):
    admin = client_for(world.admin)
    assert admin.form("/directory/users/new", _newcomer(world, language="en")).status_code == 303
    [mail] = smtp_server.messages
    assert mail["Subject"] == "Veille: your account is open, choose your password"
    assert "within 7 days" in mail.get_content()


def test_a_refused_account_leaves_no_link_and_no_mail(client_for, world, session, smtp_server):
    admin = client_for(world.admin)
    response = admin.form("/directory/users/new", _newcomer(world, organisation_id="999"))
    assert response.status_code == 422
    assert "Choisissez une organisation active" in response.text
    nina = select(func.count()).select_from(User).where(User.email == "nina@example.org")
    assert session.exec(nina).one() == 0
    assert session.exec(select(func.count()).select_from(PasswordReset)).one() == 0
    assert smtp_server.messages == []


def test_the_invitation_is_mailed_again_only_while_no_password_is_set(
    client_for, world, session, smtp_server
):
    admin = client_for(world.admin)
    admin.form("/directory/users/new", _newcomer(world))
    nina = _nina(session)
    edit = f"/directory/users/{nina.id}/edit"
    assert "Renvoyer l’invitation" in admin.get(edit).text
    again = admin.form(f"/directory/users/{nina.id}/invite", {})
    assert again.status_code == 303 and again.headers["location"] == edit
    assert "Une nouvelle invitation a été envoyée" in admin.get(edit).text
    first, second = smtp_server.messages
    assert client_for().get(_link(first)).status_code == 404  # sent again: the first went astray
    client_for().form(_link(second), {"password": CHOSEN, "confirm": CHOSEN})

    # Now that it has a password: no invitation (its holder asks for a link at the login page).
    assert "Renvoyer l’invitation" not in admin.get(edit).text
    refused = admin.form(f"/directory/users/{nina.id}/invite", {})
    assert refused.status_code == 303
    assert "a déjà un mot de passe" in admin.get(edit).text
    assert len(smtp_server.messages) == 2


def test_the_api_opens_an_account_by_invitation_and_sends_it_again(api_for, world, session, smtp_server):
    api = api_for(world.admin)
    created = api.post("/api/v1/users", json=_newcomer(world) | {"password": None})
    assert created.status_code == 201, created.text
    assert "password" not in created.json()
    again = api.post(f"/api/v1/users/{created.json()['id']}/invitation")
    assert again.status_code == 202, again.text
    assert [m["To"] for m in smtp_server.messages] == ["nina@example.org"] * 2
    with_password = api.post(f"/api/v1/users/{world.member.id}/invitation")
    assert with_password.status_code == 409
    assert "already has a password" in with_password.json()["detail"]
    world.other.active = False
    session.add(world.other)
    session.commit()
    deactivated = api.post(f"/api/v1/users/{world.other.id}/invitation")
    assert deactivated.status_code == 409
    assert api_for(world.coordinator).post(f"/api/v1/users/{world.member.id}/invitation").status_code == 403
    assert len(smtp_server.messages) == 2
    assert verify_password(session.get(User, world.member.id).password_hash, PASSWORD)


def test_a_corrected_address_or_a_deactivation_ends_the_links_already_mailed(
    client_for, world, session, smtp_server
):
    """A link mailed to a mistyped address no longer sets the password once the address is
    corrected; nor one mailed before a deactivation, once the account is reactivated."""
    admin = client_for(world.admin)
    admin.form("/directory/users/new", _newcomer(world, email="nina@exmaple.org"))
    nina = session.exec(select(User).where(User.email == "nina@exmaple.org")).one()
    [astray] = smtp_server.messages
    corrected = _newcomer(world) | {"password": ""}
    assert admin.form(f"/directory/users/{nina.id}/edit", corrected).status_code == 303
    assert client_for().get(_link(astray)).status_code == 404
    admin.form(f"/directory/users/{nina.id}/invite", {})
    invitation = smtp_server.messages[-1]
    assert invitation["To"] == "nina@example.org"
    assert admin.form(f"/directory/users/{nina.id}/active", {"active": "0"}).status_code == 303
    assert admin.form(f"/directory/users/{nina.id}/active", {"active": "1"}).status_code == 303
    assert client_for().get(_link(invitation)).status_code == 404
    assert _nina(session).password_hash is None

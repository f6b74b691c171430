"""Directory pages: listing, creating, editing, deactivating; bad input writes nothing."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from veille.audit.models import AuditEvent
from veille.directory.models import Organisation, Sector, User


def _count(session, model):  # type: ignore[no-untyped-def]
    session.rollback()  # end the test's read snapshot to see the app's writes
    return session.exec(select(func.count()).select_from(model)).one()


def test_coordinator_creates_and_edits_a_sector(client_for, world, session):
    client = client_for(world.coordinator)
    response = client.form("/directory/sectors/new", {"name": "Quartier Nord", "code": "NORD"})
    assert response.status_code == 303
    sector = session.exec(select(Sector).where(Sector.code == "NORD")).one()
    page = client.get(response.headers["location"])
    assert "Le secteur a été enregistré" in page.text
    assert "Quartier Nord" in page.text
    response = client.form(f"/directory/sectors/{sector.id}/edit", {"name": "Les Tilleuls", "code": "NORD"})
    assert response.status_code == 303
    session.rollback()
    session.refresh(sector)
    assert sector.name == "Les Tilleuls"
    verbs = session.exec(select(AuditEvent.verb).where(AuditEvent.entity == "sector")).all()
    assert verbs == ["create", "update"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "code": "X"}, "name", "Ce champ est obligatoire"),
        ({"name": "Nord", "code": ""}, "code", "Ce champ est obligatoire"),
        ({"name": "Nord", "code": "a b"}, "code", "lettres, des chiffres"),
        ({"name": "Centre", "code": "C2"}, "name", "Un secteur porte déjà ce nom"),
        ({"name": "Nord", "code": "centre"}, "code", "Un secteur utilise déjà ce code"),
        ({"name": "N" * 201, "code": "N"}, "name", "200"),
    ],
)
def test_bad_sector_input_is_explained_and_writes_nothing(client_for, world, session, data, field, message):
    before = _count(session, Sector)
    response = client_for(world.coordinator).form("/directory/sectors/new", data)
    assert response.status_code == 422
    assert message in response.text
    assert f'id="field-{field}"' in response.text
    assert 'aria-invalid="true"' in response.text
    assert _count(session, Sector) == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "police"}, "Ce champ est obligatoire"),
        ({"name": "Collège", "kind": "spaceship"}, "Choisissez l’une des valeurs proposées"),
        ({"name": "police nationale", "kind": "police"}, "Une organisation porte déjà ce nom"),
    ],
)
def test_bad_organisation_input_writes_nothing(client_for, world, session, data, message):
    before = _count(session, Organisation)
    response = client_for(world.coordinator).form("/directory/organisations/new", data)
    assert response.status_code == 422
    assert message in response.text
    assert _count(session, Organisation) == before


def test_deactivating_an_organisation_says_its_accounts_stay_open(client_for, world, factory):
    """It was done at one click, its people left active without a word (walkthrough)."""
    empty = factory.organisation("Association sans compte", "association")
    page = client_for(world.admin).get("/directory/organisations").text
    rows = {
        o.id: next(r for r in page.split("<tr") if f"/directory/organisations/{o.id}/active" in r)
        for o in (world.organisation, empty)
    }
    assert "reste ouvert" in rows[world.organisation.id] or "restent ouverts" in rows[world.organisation.id]
    assert (
        "Désactiver Association sans compte\u00a0? Elle ne sera plus proposée dans les formulaires."
        in rows[empty.id]
    )
    assert "restent ouverts" not in rows[empty.id] and "reste ouvert" not in rows[empty.id]


def test_deactivated_organisation_cannot_receive_new_accounts(client_for, world, session):
    admin = client_for(world.admin)
    admin.form(f"/directory/organisations/{world.organisation.id}/active", {"active": "0"})
    response = admin.form(
        "/directory/users/new",
        {
            "name": "Nina",
            "email": "nina@example.org",
            "organisation_id": world.organisation.id,
            "role": "member",
            "language": "fr",
            "password": "a long enough password",
        },
    )
    assert response.status_code == 422
    assert "Choisissez une organisation active" in response.text


USER = {
    "name": "Nina Nouvelle",
    "email": "nina@example.org",
    "role": "member",
    "language": "fr",
    "password": "a long enough password",
}


def test_admin_creates_an_account_that_can_log_in(client_for, world, session):
    admin = client_for(world.admin)
    response = admin.form("/directory/users/new", USER | {"organisation_id": world.organisation.id})
    assert response.status_code == 303
    login = client_for().form("/login", {"email": "nina@example.org", "password": "a long enough password"})
    assert login.status_code == 303


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "not an address"}, "adresse e-mail valide"),
        ({"email": "MEMBER@example.org"}, "Un compte utilise déjà cette adresse"),
        ({"password": "short"}, "au moins 12 caractères"),
        ({"role": "superuser"}, "Choisissez l’une des valeurs proposées"),
        ({"organisation_id": "999"}, "Choisissez une organisation active"),
        ({"organisation_id": "abc"}, "nombre entier"),
        ({"name": ""}, "Ce champ est obligatoire"),
    ],
)
def test_bad_account_input_writes_nothing(client_for, world, session, change, message):
    before = _count(session, User)
    data = USER | {"organisation_id": world.organisation.id} | change
    response = client_for(world.admin).form("/directory/users/new", data)
    assert response.status_code == 422
    assert message in response.text
    assert "nina@example.org" not in [u.email for u in session.exec(select(User)).all()]
    assert _count(session, User) == before


def test_deactivation_ends_sessions_at_once(client_for, world):
    member = client_for(world.member)
    assert member.get("/bodies").status_code == 200
    assert (
        client_for(world.admin)
        .form(f"/directory/users/{world.member.id}/active", {"active": "0"})
        .status_code
        == 303
    )
    assert member.get("/bodies").status_code == 303


def test_admin_cannot_deactivate_themselves(client_for, world, session):
    response = client_for(world.admin).form(f"/directory/users/{world.admin.id}/active", {"active": "0"})
    assert response.status_code == 303
    session.rollback()
    session.refresh(world.admin)
    assert world.admin.active


def test_password_change_ends_the_persons_sessions(client_for, world):
    member = client_for(world.member)
    data = {
        "name": "Marc Membre",
        "email": "member@example.org",
        "organisation_id": world.organisation.id,
        "role": "member",
        "language": "fr",
        "password": "a brand new password",
    }
    assert client_for(world.admin).form(f"/directory/users/{world.member.id}/edit", data).status_code == 303
    assert member.get("/bodies").status_code == 303


def test_users_list_is_paginated_with_bounded_queries(client_for, world, factory, queries):
    client = client_for(world.admin)
    client.get("/directory/users")  # warm up
    with queries() as few:
        client.get("/directory/users")
    for _ in range(60):
        factory.user()
    with queries() as many:
        page = client.get("/directory/users")
    assert many.count == few.count
    assert "Page 1 sur 2" in page.text
    assert client.get("/directory/users?page=2").status_code == 200


def test_directory_pages_issue_bounded_queries(client_for, world, factory, queries):
    client = client_for(world.coordinator)
    for path in ("/directory/sectors", "/directory/organisations"):
        with queries() as few:
            client.get(path)
        for _ in range(20):
            factory.sector()
            factory.organisation()
        with queries() as many:
            client.get(path)
        assert many.count == few.count <= 6


def test_coordinator_is_not_offered_the_users_page(client_for, world):
    html = client_for(world.coordinator).get("/directory/sectors").text
    assert 'href="/directory/users"' not in html
    assert 'href="/directory/users"' in client_for(world.admin).get("/directory/sectors").text


def test_out_of_range_page_number_is_not_found(client_for, world):
    assert client_for(world.admin).get("/directory/users?page=99999999999999999999").status_code == 404


def test_account_messages_are_in_french(client_for, world):
    admin = client_for(world.admin)
    admin.form(f"/directory/users/{world.member.id}/active", {"active": "0"})
    assert "Le compte a été désactivé" in admin.get("/directory/users").text

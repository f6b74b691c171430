"""Body pages: creating, editing, members, charter, closing."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body, CharterAcceptance, Membership


def _fresh(session):  # type: ignore[no-untyped-def]
    session.rollback()  # end the test's read snapshot to see the app's writes
    session.expire_all()
    return session


BODY = {
    "name": "GLTD Quartier Nord",
    "kind": "crime_treatment_group",
    "starts_on": "2026-01-05",
    "ends_on": "2026-07-05",
    "cadence": "monthly",
}


def test_coordinator_creates_a_body_with_sectors(client_for, world, session):
    response = client_for(world.coordinator).form(
        "/bodies/new", BODY | {"sector_ids": [str(world.sector.id)]}
    )
    assert response.status_code == 303
    body = _fresh(session).exec(select(Body).where(Body.name == "GLTD Quartier Nord")).one()
    assert body.kind == BodyKind.crime_treatment_group
    assert body.ends_on == date(2026, 7, 5)
    page = client_for(world.coordinator).get(response.headers["location"])
    assert "Groupe local de traitement de la délinquance" in page.text
    assert "Centre" in page.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends_on": ""}, "doit avoir une date de fin"),
        ({"ends_on": "2025-01-01"}, "postérieure à la date de début"),
        ({"ends_on": "05/07/2026"}, "date valide"),
        ({"kind": "secret_society"}, "l’une des valeurs proposées"),
        ({"name": ""}, "Ce champ est obligatoire"),
        ({"sector_ids": ["999"]}, "Secteur inconnu"),
        ({"cadence": "weekly"}, "l’une des valeurs proposées"),
    ],
)
def test_bad_body_input_is_explained_and_writes_nothing(client_for, world, session, change, message):
    response = client_for(world.coordinator).form("/bodies/new", BODY | change)
    assert response.status_code == 422
    assert message in response.text
    assert _fresh(session).exec(select(func.count()).select_from(Body)).one() == 2


def test_secretary_edits_the_body(client_for, world, session):
    data = {
        "name": "Cellule du centre-ville",
        "kind": "watch_cell",
        "version": "1",
        "sector_ids": [str(world.sector.id)],
    }
    assert client_for(world.secretary).form(f"/bodies/{world.body.id}/edit", data).status_code == 303
    body = _fresh(session).get(Body, world.body.id)
    assert body.name == "Cellule du centre-ville"
    assert body.version == 2


def test_stale_edit_is_refused_with_a_clear_message(client_for, world, session):
    # The form posts the body's sectors, shown to its chair and secretaries, not changed by them.
    data = {"name": "Premier", "kind": "watch_cell", "version": "1", "sector_ids": str(world.sector.id)}
    assert client_for(world.secretary).form(f"/bodies/{world.body.id}/edit", data).status_code == 303
    stale = client_for(world.chair).form(f"/bodies/{world.body.id}/edit", data | {"name": "Second"})
    assert stale.status_code == 409
    assert "modifiée par quelqu’un d’autre" in stale.text
    assert 'value="Second"' in stale.text  # what was typed is kept
    assert _fresh(session).get(Body, world.body.id).name == "Premier"


def test_member_sees_their_bodies_and_not_others(client_for, world):
    client = client_for(world.member)
    home = client.get("/")
    assert "Cellule de veille du centre" in home.text
    assert "Cellule de veille du nord" not in home.text
    assert client.get(f"/bodies/{world.other_body.id}").status_code == 404
    assert "Cellule de veille du nord" not in client.get("/bodies").text


def test_coordinator_sees_every_body(client_for, world):
    page = client_for(world.coordinator).get("/bodies")
    assert "Cellule de veille du centre" in page.text
    assert "Cellule de veille du nord" in page.text


def test_guest_sees_the_body_but_not_its_members(client_for, world):
    page = client_for(world.guest).get(f"/bodies/{world.body.id}")
    assert page.status_code == 200
    assert "Marc Membre" not in page.text


def test_secretary_adds_changes_and_removes_a_member(client_for, world, session):
    client = client_for(world.secretary)
    added = client.htmx(f"/bodies/{world.body.id}/members", {"user_id": world.other.id, "role": "member"})
    assert added.status_code == 200
    assert "<!doctype" not in added.text.lower()  # the fragment, not the page
    assert "Olivier Autre" in added.text
    changed = client.htmx(f"/bodies/{world.body.id}/members/{world.other.id}/role", {"role": "secretary"})
    assert changed.status_code == 200
    membership = (
        _fresh(session)
        .exec(
            select(Membership).where(
                Membership.user_id == world.other.id, Membership.body_id == world.body.id
            )
        )
        .one()
    )
    assert membership.role == MemberRole.secretary
    removed = client.htmx(f"/bodies/{world.body.id}/members/{world.other.id}/remove")
    assert removed.status_code == 200
    assert "Olivier Autre" not in removed.text.split("Ajouter un membre")[0]
    assert client_for(world.other).get(f"/bodies/{world.body.id}").status_code == 404


def test_added_member_sees_the_body_at_once(client_for, world):
    other = client_for(world.other)
    assert other.get(f"/bodies/{world.body.id}").status_code == 404
    client_for(world.secretary).htmx(
        f"/bodies/{world.body.id}/members", {"user_id": world.other.id, "role": "member"}
    )
    assert other.get(f"/bodies/{world.body.id}").status_code == 200


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"user_id": "", "role": "member"}, "Tapez une partie de son nom ou de son adresse e-mail."),
        ({"user_id": "abc", "role": "member"}, "Choisissez une personne dont le compte est actif"),
        ({"user_id": "9999", "role": "member"}, "Choisissez une personne dont le compte est actif"),
        ({"role": "boss"}, "l’une des valeurs proposées"),
    ],
)
def test_bad_member_input_is_shown_in_the_fragment(client_for, world, session, data, message):
    data = {"user_id": str(world.other.id)} | data
    response = client_for(world.secretary).htmx(f"/bodies/{world.body.id}/members", data)
    assert response.status_code == 422
    assert message in response.text
    assert _fresh(session).exec(select(func.count()).select_from(Membership)).one() == 5


def test_a_member_is_added_by_typing_a_part_of_their_name(client_for, world, factory, session):
    """No list of every person: the words typed name one person (added), several (the form
    comes back with them to pick one), or nobody; members already seated are not offered."""
    factory.user("Olivia Autrement", organisation=world.organisation, email="olivia@example.org")
    client = client_for(world.secretary)
    url = f"/bodies/{world.body.id}/members"
    page = client.get(url).text
    assert 'name="person"' in page and "Olivier Autre (" not in page

    several = client.htmx(url, {"person": "oliv", "role": "member"})
    assert several.status_code == 422 and "Plusieurs personnes correspondent" in several.text
    assert "Olivier Autre (Bailleur social)" in several.text and "Olivia Autrement (" in several.text
    assert 'value="oliv"' in several.text  # what was typed stays
    nobody = client.htmx(url, {"person": "Zoé Inconnue", "role": "member"})
    assert nobody.status_code == 422 and "Personne ne correspond" in nobody.text
    flood = client.htmx(url, {"person": "o " * 150, "role": "member"})  # 300 characters: no query
    assert flood.status_code == 422 and "Personne ne correspond" in flood.text
    seated = client.htmx(url, {"person": "marc membre", "role": "member"})  # a member already
    assert seated.status_code == 422 and "Personne ne correspond" in seated.text
    assert _fresh(session).exec(select(func.count()).select_from(Membership)).one() == 5

    picked = client.htmx(url, {"person": "oliv", "user_id": str(world.other.id), "role": "member"})
    assert picked.status_code == 200 and "Olivier Autre" in picked.text
    alone = client.htmx(url, {"person": "OLIVIA@example", "role": "member"})  # a part of the address
    assert alone.status_code == 200 and "Olivia Autrement" in alone.text
    assert _fresh(session).exec(select(func.count()).select_from(Membership)).one() == 7


def test_secretary_cannot_name_a_chair(client_for, world, session):
    response = client_for(world.secretary).htmx(
        f"/bodies/{world.body.id}/members", {"user_id": world.other.id, "role": "chair"}
    )
    assert response.status_code == 403
    assert _fresh(session).exec(select(func.count()).select_from(Membership)).one() == 5


def test_chair_excludes_a_member_who_breached_the_charter(client_for, world, session):
    member = client_for(world.member)
    assert member.get(f"/bodies/{world.body.id}").status_code == 200
    response = client_for(world.chair).htmx(
        f"/bodies/{world.body.id}/members/{world.member.id}/exclude", {"reason": "A diffusé un compte rendu."}
    )
    assert response.status_code == 200
    assert "Exclusion le" in response.text
    assert member.get(f"/bodies/{world.body.id}").status_code == 404
    membership = _fresh(session).exec(select(Membership).where(Membership.user_id == world.member.id)).one()
    assert membership.excluded_reason == "A diffusé un compte rendu."


def test_exclusion_needs_a_reason(client_for, world, session):
    response = client_for(world.chair).htmx(
        f"/bodies/{world.body.id}/members/{world.member.id}/exclude", {"reason": " "}
    )
    assert response.status_code == 422
    assert "motif" in response.text
    assert (
        _fresh(session)
        .exec(select(Membership).where(Membership.user_id == world.member.id))
        .one()
        .excluded_at
        is None
    )


def test_charter_gate_until_accepted(client_for, world, factory, session):
    world.body.charter_required = True
    session.add(world.body)
    session.commit()
    factory.charter(world.body, "Article 1. Confidentialité des échanges.")
    member = client_for(world.member)
    gate = member.get(f"/bodies/{world.body.id}")
    assert gate.status_code == 303
    assert gate.headers["location"] == f"/bodies/{world.body.id}/charter"
    charter = member.get(gate.headers["location"])
    assert "Confidentialité des échanges" in charter.text
    assert member.form(f"/bodies/{world.body.id}/charter/accept").status_code == 303
    assert member.get(f"/bodies/{world.body.id}").status_code == 200
    acceptance = _fresh(session).exec(select(CharterAcceptance)).one()
    assert acceptance.version == 1
    assert acceptance.accepted_at is not None


def test_a_new_charter_version_asks_again(client_for, world, factory, session):
    world.body.charter_required = True
    session.add(world.body)
    session.commit()
    factory.charter(world.body)
    factory.accept(world.body, world.member)
    factory.accept(world.body, world.chair)
    member = client_for(world.member)
    assert member.get(f"/bodies/{world.body.id}").status_code == 200
    saved = client_for(world.chair).form(
        f"/bodies/{world.body.id}/charter/edit", {"text": "Article 1 révisé.", "version": "1"}
    )
    assert saved.status_code == 303
    assert member.get(f"/bodies/{world.body.id}").status_code == 303
    accepted = _fresh(session).exec(select(CharterAcceptance)).all()
    assert [a.version for a in accepted if a.user_id == world.member.id] == [1]  # kept
    assert sorted(a.version for a in accepted if a.user_id == world.chair.id) == [1, 2]  # its author


def test_empty_charter_is_refused(client_for, world, session):
    response = client_for(world.chair).form(
        f"/bodies/{world.body.id}/charter/edit", {"text": "  ", "version": "0"}
    )
    assert response.status_code == 422
    assert "Ce champ est obligatoire" in response.text


def test_closed_body_is_read_only(client_for, world, session):
    chair = client_for(world.chair)
    assert chair.form(f"/bodies/{world.body.id}/close").status_code == 303
    page = chair.get(f"/bodies/{world.body.id}")
    assert "lecture seule" in page.text
    refused = client_for(world.secretary).htmx(
        f"/bodies/{world.body.id}/members", {"user_id": world.other.id, "role": "member"}
    )
    assert refused.status_code == 409
    edit = client_for(world.coordinator).form(
        f"/bodies/{world.body.id}/edit", {"name": "X", "kind": "watch_cell", "version": "2"}
    )
    assert edit.status_code == 409
    assert _fresh(session).get(Body, world.body.id).name == "Cellule de veille du centre"


def test_body_pages_issue_bounded_queries(client_for, world, factory, queries):
    client = client_for(world.chair)
    for path in ("/", "/bodies", f"/bodies/{world.body.id}", f"/bodies/{world.body.id}/members"):
        client.get(path)
        with queries() as few:
            client.get(path)
        for _ in range(15):
            factory.member(world.body, factory.user())
            factory.member(factory.body(), world.chair)
        with queries() as many:
            client.get(path)
        assert many.count == few.count, path
        # The home is a dashboard: tests/stats/test_dashboards.py pins its queries with data.
        assert many.count <= (22 if path == "/" else 18 if path == f"/bodies/{world.body.id}" else 12), path


def test_guest_sees_no_member_counts(client_for, world):
    assert "4 membres" in client_for(world.member).get("/").text
    assert "4 membres" not in client_for(world.guest).get("/").text
    listing = client_for(world.guest).get("/bodies").text
    assert "<td>4</td>" not in listing


def test_secretary_gets_no_control_over_the_chairs_row(client_for, world):
    html = client_for(world.secretary).get(f"/bodies/{world.body.id}/members").text
    assert f'id="role-{world.chair.id}"' not in html
    assert f'id="role-{world.member.id}"' in html
    assert f"/members/{world.chair.id}/remove" not in html


def test_member_change_announces_itself(client_for, world):
    response = client_for(world.secretary).htmx(
        f"/bodies/{world.body.id}/members", {"user_id": world.other.id, "role": "member"}
    )
    assert 'hx-swap-oob="beforeend:#flashes"' in response.text
    assert "Le membre a été ajouté" in response.text


def test_a_charter_typed_in_the_form_keeps_its_paragraphs(client_for, world):
    chair = client_for(world.chair)
    chair.form(
        f"/bodies/{world.body.id}/charter/edit", {"text": "Article 1.\r\n\r\nArticle 2.", "version": "0"}
    )
    page = chair.get(f"/bodies/{world.body.id}/charter").text
    assert "<p>Article 1.</p>" in page
    assert "<p>Article 2.</p>" in page


def test_the_edit_form_does_not_offer_the_kind(client_for, world, session):
    page = client_for(world.chair).get(f"/bodies/{world.body.id}/edit")
    assert page.status_code == 200
    assert 'name="kind"' not in page.text
    assert "Cellule de veille" in page.text  # the kind, shown
    assert "Le type d’une instance est fixé à sa création." in page.text
    # A form posted without a kind keeps the body's.
    kept = {"name": "Cellule", "version": "1", "sector_ids": str(world.sector.id)}
    saved = client_for(world.chair).form(f"/bodies/{world.body.id}/edit", kept)
    assert saved.status_code == 303
    assert f'<input type="hidden" name="sector_ids" value="{world.sector.id}">' in page.text
    assert _fresh(session).get(Body, world.body.id).kind == BodyKind.watch_cell


def test_a_posted_kind_is_refused(client_for, world, session):
    response = client_for(world.secretary).form(
        f"/bodies/{world.body.id}/edit", {"name": "Plénière", "kind": "plenary", "version": "1"}
    )
    assert response.status_code == 422
    assert "Le type d’une instance est fixé à sa création" in response.text
    body = _fresh(session).get(Body, world.body.id)
    assert (body.kind, body.name, body.version) == (BodyKind.watch_cell, "Cellule de veille du centre", 1)


def test_a_crime_treatment_group_cannot_lose_its_end_date_by_form(client_for, world, factory, session):
    group = factory.body("GLTD", kind=BodyKind.crime_treatment_group, ends_on=date(2027, 1, 1))
    factory.member(group, world.chair, MemberRole.chair)
    for data in ({"kind": "watch_cell"}, {}):
        response = client_for(world.chair).form(
            f"/bodies/{group.id}/edit", {"name": "GLTD", "version": "1", "ends_on": ""} | data
        )
        assert response.status_code == 422
    group = _fresh(session).get(Body, group.id)
    assert (group.kind, group.ends_on) == (BodyKind.crime_treatment_group, date(2027, 1, 1))

"""The charter report of a body and a year: acceptances, members who have not accepted,
exclusions, versions, reads of confidential reports by organisation; for the body's chair, a
plenary's chair and the staff only (404 for anyone else)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from veille.audit.models import AuditEvent
from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Membership
from veille.orm import utcnow
from veille.situations.enums import Confidentiality

YEAR = date.today().year


@pytest.fixture
def charter_year(world, factory, session, api_for, client_for):  # type: ignore[no-untyped-def]
    """Charter v1 then v2; the chair accepted v2, the member only v1, the secretary v2 last year;
    the member's colleague was excluded this year; the member read a restricted report twice and
    a social one once, the chair the restricted one once."""
    restricted = factory.situation(
        world.body, world.member, "Squat rue des Lilas", confidentiality=Confidentiality.restricted
    )
    social = factory.situation(
        world.body, world.member, "Famille suivie", confidentiality=Confidentiality.social
    )
    factory.situation(world.other_body, world.other, confidentiality=Confidentiality.restricted)
    member = api_for(world.member)
    for situation_id in (restricted.id, restricted.id, social.id):
        assert member.get(f"/api/v1/situations/{situation_id}").status_code == 200
    assert api_for(world.chair).get(f"/api/v1/situations/{restricted.id}").status_code == 200
    world.body.charter_required = True
    factory._save(world.body)
    factory.charter(world.body, version=1)
    factory.charter(world.body, "Article 1 révisé.", version=2)
    factory.accept(world.body, world.member, version=1)
    factory.accept(world.body, world.chair, version=2)
    old = factory.accept(world.body, world.secretary, version=2)
    old.accepted_at = utcnow().replace(year=YEAR - 1)
    factory._save(old)
    colleague = factory.user("Paul Exclu", organisation=world.organisation)
    factory._save(
        Membership(
            body_id=world.body.id,
            user_id=colleague.id,
            role=MemberRole.member,
            excluded_at=utcnow(),
            excluded_reason="A diffusé un compte rendu.",
        )
    )
    return world


def _text(html: str) -> str:
    return " ".join(html.split())


def _section(html: str, name: str) -> str:
    """The words of one section of the page (its cells run together)."""
    part = html.split(f'id="{name}-title"')[1].split("</section>")[0]
    return _text(re.sub(r"<[^>]+>", " ", part))


def test_the_report_accounts_for_the_charter_and_the_reads(charter_year, client_for, session, queries):
    world = charter_year
    client = client_for(world.chair)
    client.get(f"/bodies/{world.body.id}/charter-report")
    with queries() as log:
        page = client.get(f"/bodies/{world.body.id}/charter-report")
    assert page.status_code == 200
    assert log.count <= 16
    versions = _section(page.text, "versions")
    assert "Version 1" in versions and "Version 2 (en vigueur)" in versions
    # Acceptances of the year: the member's (v1) and the chair's (v2), not the secretary's.
    acceptances = _section(page.text, "acceptances")
    assert "Marc Membre" in acceptances and "Charles Président" in acceptances
    assert "Sophie Secrétaire" not in acceptances
    pending = _section(page.text, "pending")
    assert "Marc Membre" in pending and "Charles Président" not in pending and "Sophie" not in pending
    assert "Gaëlle" not in pending and "Paul Exclu" not in pending  # guests accept nothing
    exclusions = _section(page.text, "exclusions")
    assert "Paul Exclu Police nationale A diffusé un compte rendu." in exclusions
    reads = _section(page.text, "reads")
    assert "Police nationale 2 1 3" in reads and "Mairie 1 0 1" in reads and "Total 3 1 4" in reads
    assert "Squat rue des Lilas" not in page.text and "Famille suivie" not in page.text


def test_another_year_shows_that_year(charter_year, client_for):
    world = charter_year
    page = client_for(world.coordinator).get(
        f"/bodies/{world.body.id}/charter-report", params={"year": YEAR - 1}
    )
    acceptances = _section(page.text, "acceptances")
    assert "Sophie Secrétaire" in acceptances and "Marc Membre" not in acceptances
    assert "Aucune exclusion cette année." in _section(page.text, "exclusions")
    assert "Aucun signalement restreint ou social" in _section(page.text, "reads")
    # A year out of bounds in a page address is a 404 page, as for the annual report.
    assert client_for(world.admin).get(f"/bodies/{world.body.id}/charter-report?year=1999").status_code == 404


def test_the_pdf_holds_the_same_report(charter_year, client_for, tmp_path: Path):
    world = charter_year
    response = client_for(world.admin).get(f"/bodies/{world.body.id}/charter-report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (poppler-utils)")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.content)
    text = _text(
        subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    )
    assert "Paul Exclu" in text and "A diffusé un compte rendu." in text and "Police nationale" in text
    assert "Squat rue des Lilas" not in text


def test_reading_the_report_is_audited(charter_year, client_for, session):
    world = charter_year
    client_for(world.chair).get(f"/bodies/{world.body.id}/charter-report", params={"year": YEAR})
    client_for(world.admin).get(f"/bodies/{world.body.id}/charter-report.pdf")
    session.rollback()
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "charter_report")).all()
    assert [(e.user_id, e.entity_id, e.detail) for e in events] == [
        (world.chair.id, world.body.id, {"year": YEAR, "via": "page"}),
        (world.admin.id, world.body.id, {"year": YEAR, "via": "pdf"}),
    ]


def test_a_plenary_chair_reads_every_body_report_and_nobody_else_does(world, factory, client_for, session):
    plenary = factory.body("CLSPD plénier", kind=BodyKind.plenary)
    factory.member(plenary, world.other, MemberRole.chair)
    url = f"/bodies/{world.body.id}/charter-report"
    for persona in (world.admin, world.coordinator, world.chair, world.other):
        assert client_for(persona).get(url).status_code == 200, persona.name
        assert client_for(persona).get(url + ".pdf").status_code == 200, persona.name
    for persona in (world.secretary, world.member, world.guest):
        assert client_for(persona).get(url).status_code == 404, persona.name
        assert client_for(persona).get(url + ".pdf").status_code == 404, persona.name
    assert client_for(world.chair).get(f"/bodies/{world.other_body.id}/charter-report").status_code == 404
    assert client_for(world.admin).get("/bodies/999999/charter-report").status_code == 404
    assert client_for(None).get(url).status_code == 303
    # The chair excluded, the plenary's chair excluded: strangers again.
    for body, person in ((world.body, world.chair), (plenary, world.other)):
        membership = session.exec(
            select(Membership).where(Membership.body_id == body.id, Membership.user_id == person.id)
        ).one()
        membership.excluded_at = utcnow() - timedelta(minutes=1)
        factory._save(membership)
        assert client_for(person).get(url).status_code == 404


def test_the_body_page_links_the_report_for_those_who_may_open_it(world, client_for):
    link = f'href="/bodies/{world.body.id}/charter-report"'
    assert link in client_for(world.chair).get(f"/bodies/{world.body.id}").text
    assert link in client_for(world.coordinator).get(f"/bodies/{world.body.id}").text
    assert link not in client_for(world.member).get(f"/bodies/{world.body.id}").text
    assert link not in client_for(world.secretary).get(f"/bodies/{world.body.id}").text

"""The report pages: posting (and its refusals), a report with its timeline, status, editing,
attachments, problem files, categories."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from typing import Any

from PIL import Image
from sqlmodel import Session, col, select

from tests.factories import Factory, World, report_form
from veille import pagination
from veille.audit.models import AuditEvent
from veille.bodies.enums import MemberRole
from veille.config import Settings
from veille.directory.enums import UserRole
from veille.directory.models import UserCommune
from veille.situations.enums import Confidentiality, SituationStatus
from veille.situations.models import Attachment, Problem, Situation, SituationShare, SituationUpdateRecord

YESTERDAY = (date.today() - timedelta(days=1)).isoformat()


def _form(world: World, **values: Any) -> dict[str, Any]:
    return {
        "body_id": str(world.body.id),
        "title": "Rodéos urbains sur le parking Jean-Moulin",
        "description": "Une dizaine de motos tous les soirs vers 22 h.",
        "category": "urban_rodeo",
        "sector_id": str(world.sector.id),
        "place": "Parking Jean-Moulin",
        "occurred_on": YESTERDAY,
        "occurred_time": "22:00",
        "severity": "3",
        "confidentiality": "body",
    } | values


def _situations(session: Session) -> list[Situation]:
    session.rollback()
    session.expire_all()
    return list(session.exec(select(Situation).order_by(col(Situation.id))))


def photo(size: tuple[int, int] = (40, 30), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make: stands for the metadata a phone adds
    image.save(out, format=fmt, exif=exif) if fmt == "JPEG" else image.save(out, format=fmt)
    return out.getvalue()


def test_member_posts_a_report_with_a_photo(
    client_for: Any, world: World, session: Session, settings: Settings
) -> None:
    client = client_for(world.member)
    response = client.form(
        "/situations/new", _form(world), files=[("files", ("IMG_1.jpg", photo(), "image/jpeg"))]
    )
    assert response.status_code == 303, response.text
    [situation] = _situations(session)
    assert response.headers["location"] == f"/situations/{situation.id}"
    assert situation.severity == 3 and situation.organisation_id == world.member.organisation_id
    assert situation.occurred_at.hour in (20, 21)  # 22:00 in Paris, stored in UTC
    [attachment] = session.exec(select(Attachment)).all()
    stored = (settings.files_dir / attachment.key).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        assert image.format == "JPEG" and 0x010F not in image.getexif()
    page = client.get(f"/situations/{situation.id}")
    assert "Rodéos urbains sur le parking Jean-Moulin" in page.text
    assert f"/situations/{situation.id}/attachments/{attachment.id}" in page.text
    image = client.get(f"/situations/{situation.id}/attachments/{attachment.id}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"


def test_bad_report_input_is_explained_and_writes_nothing(
    client_for: Any, world: World, session: Session, settings: Settings
) -> None:
    client = client_for(world.member)
    cases: list[tuple[dict[str, Any], Any, str]] = [
        (_form(world, title=""), None, "Ce champ est obligatoire."),
        (_form(world, category="nope"), None, "Choisissez une des catégories proposées."),
        (_form(world, severity="5"), None, "Vérifiez"),
        (_form(world, occurred_on="hier"), None, "Saisissez une date valide."),
        (_form(world, occurred_on=(date.today() + timedelta(days=3)).isoformat()), None, "futur"),
        (_form(world, names_person="1"), None, "ne peut pas être lu par toute l’instance"),
        (_form(world, description="M. Dupont squatte le hall"), None, "données personnelles"),
        (_form(world), [("files", ("x.jpg", b"not an image at all", "image/jpeg"))], "photos"),
        (
            _form(world),
            [("files", ("big.pdf", b"%PDF-1.4" + b"0" * (11 * 1024 * 1024) + b"%%EOF", "application/pdf"))],
            "trop",
        ),
    ]
    for form, files, message in cases:
        response = client.form("/situations/new", form, files=files)
        assert response.status_code == 422, form
        assert message in response.text, (message, form)
    assert _situations(session) == []
    assert not list(settings.files_dir.glob("*")) if settings.files_dir.exists() else True


def test_personal_data_warning_can_be_confirmed_or_avoided(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.member)
    text = "Véhicule AB-123-CD stationné devant le hall"
    hint = client.htmx("/situations/check", {"description": text})
    assert "plaque" in hint.text
    assert (
        client.form("/situations/new", _form(world, description=text, confirm_no_person="1")).status_code
        == 303
    )
    restricted = _form(world, description=text, confidentiality="restricted", names_person="1")
    assert client.form("/situations/new", restricted).status_code == 303
    first, second = _situations(session)
    assert first.confidentiality == Confidentiality.body
    assert second.confidentiality == Confidentiality.restricted
    shares = session.exec(
        select(SituationShare.organisation_id).where(SituationShare.situation_id == second.id)
    ).all()
    assert shares == [world.member.organisation_id]


def test_update_status_and_edit(client_for: Any, world: World, factory: Factory, session: Session) -> None:
    situation = factory.situation(world.body, world.member)
    other = client_for(world.secretary)
    response = other.htmx(f"/situations/{situation.id}/updates", {"text": "Passage de la police municipale."})
    assert response.status_code == 200 and "Passage de la police municipale." in response.text
    assert other.htmx(f"/situations/{situation.id}/updates", {"text": " "}).status_code == 422
    moved = other.form(f"/situations/{situation.id}/status", {"status": "resolved", "version": "1"})
    assert moved.status_code == 303
    stale = other.form(f"/situations/{situation.id}/status", {"status": "open", "version": "1"})
    assert stale.status_code == 409
    [updated] = _situations(session)
    assert updated.status == SituationStatus.resolved and updated.resolved_at is not None
    assert len(session.exec(select(SituationUpdateRecord)).all()) == 1
    edit = client_for(world.member).form(
        f"/situations/{situation.id}/edit", _form(world, title="Hall B", version="2", status="resolved")
    )
    assert edit.status_code == 303, edit.text
    assert _situations(session)[0].title == "Hall B"


def test_secretary_groups_reports_into_a_problem_file(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    first = factory.situation(world.body, world.member, "Hall B occupé")
    second = factory.situation(world.body, world.member, "Tags cage d'escalier B")
    client = client_for(world.secretary)
    feed = client.get(f"/bodies/{world.body.id}/situations")
    assert "Regrouper dans un dossier" in feed.text
    form = {"title": "Bâtiment B", "status": "analysis", "situation_ids": [str(first.id), str(second.id)]}
    response = client.form(f"/bodies/{world.body.id}/problems/new", form)
    assert response.status_code == 303, response.text
    [problem] = session.exec(select(Problem)).all()
    page = client.get(f"/problems/{problem.id}").text
    assert "Hall B occupé" in page and "Tags cage" in page
    member = client_for(world.member)
    assert member.form(f"/bodies/{world.body.id}/problems/new", form).status_code == 403


def test_audit_records_reads_of_restricted_reports(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    secret = factory.situation(
        world.body, world.member, "Point deal", confidentiality=Confidentiality.restricted
    )
    assert client_for(world.chair).get(f"/situations/{secret.id}").status_code == 200
    assert client_for(world.chair).get(f"/bodies/{world.body.id}/situations").status_code == 200
    session.rollback()
    reads = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "read", AuditEvent.entity_id == secret.id)
    ).all()
    assert {e.user_id for e in reads} == {world.chair.id} and len(reads) == 2


def test_feed_and_report_pages_issue_a_fixed_number_of_queries(
    client_for: Any, world: World, factory: Factory, queries: Any
) -> None:
    first = factory.situation(world.body, world.member, confidentiality=Confidentiality.restricted)
    client = client_for(world.chair)
    paths = ("/situations", f"/bodies/{world.body.id}/situations", f"/situations/{first.id}")
    before = {}
    for path in paths:
        client.get(path)
        with queries() as log:
            assert client.get(path).status_code == 200
        before[path] = log.count
    for n in range(12):
        author = factory.user(organisation=factory.organisation())
        factory.member(world.body, author)
        situation = factory.situation(
            world.body, author, f"Signalement {n}", confidentiality=Confidentiality.restricted
        )
        factory.attachment(situation)
        factory.session.add(
            SituationUpdateRecord(situation_id=situation.id, text="Suite", author_id=author.id)
        )
        factory.session.add(
            SituationUpdateRecord(situation_id=first.id, text=f"Suite {n}", author_id=author.id)
        )
        factory.session.commit()
    for path in paths:
        with queries() as log:
            assert client.get(path).status_code == 200
        # Reading confidential reports writes one audit row each, in one statement.
        assert log.count == before[path] <= 21, (path, log.statements)


def test_only_the_authors_organisation_and_the_managers_change_a_report(
    client_for: Any, world: World, factory: Factory
) -> None:
    colleague = factory.user(organisation=world.organisation)  # the author's organisation
    outsider = factory.user(organisation=factory.organisation())
    for user in (colleague, outsider):
        factory.member(world.body, user)
    situation = factory.situation(world.body, world.member)
    move = {"status": "monitoring", "version": "1"}
    assert client_for(outsider).form(f"/situations/{situation.id}/status", move).status_code == 403
    assert client_for(outsider).get(f"/situations/{situation.id}/edit").status_code == 403
    assert client_for(outsider).form(f"/situations/{situation.id}/delete").status_code == 403
    # Any member who reads it may add to its timeline.
    assert client_for(outsider).form(f"/situations/{situation.id}/updates", {"text": "Vu"}).status_code == 303
    assert client_for(colleague).form(f"/situations/{situation.id}/status", move).status_code == 303


def test_deleting_a_report_removes_its_files(
    client_for: Any, world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    situation = factory.situation(world.body, world.member)
    attachment = factory.attachment(situation)
    path = settings.files_dir / attachment.key
    assert path.exists()
    assert client_for(world.secretary).form(f"/situations/{situation.id}/delete").status_code == 303
    assert not path.exists()
    assert _situations(session) == []
    assert session.exec(select(Attachment)).all() == []


def test_categories_are_kept_by_the_coordinator(client_for: Any, world: World, session: Session) -> None:
    client = client_for(world.coordinator)
    assert (
        client.form("/categories", {"code": "squat", "name": "Squats", "position": "20"}).status_code == 303
    )
    duplicate = client.form("/categories", {"code": "squat", "name": "Autre nom", "position": "20"})
    assert duplicate.status_code == 422 and "déjà utilisée" in duplicate.text
    bad = client.form("/categories", {"code": "Pas bon", "name": "X"})
    assert bad.status_code == 422
    from veille.situations.models import Category

    session.rollback()
    squat = session.exec(select(Category).where(Category.code == "squat")).one()
    client.form(
        f"/categories/{squat.id}", {"code": "squat", "name": "Squats", "position": "20"}
    )  # no "active"
    member = client_for(world.member)
    form = member.get("/situations/new").text
    assert "Squats" not in form and "Rodéos urbains" in form


def test_feed_pages_keep_a_search_with_special_characters(
    client_for: Any, world: World, factory: Factory
) -> None:
    for n in range(51):
        factory.situation(world.body, world.member, f"Bruit & tapage {n}")
    page = client_for(world.chair).get("/situations", params={"q": "bruit & tapage"}).text
    assert "/situations?q=bruit+%26+tapage&amp;page=2" in page


def test_a_long_feed_counts_up_to_a_limit_and_says_more(
    client_for: Any, world: World, factory: Factory, monkeypatch: Any, app: Any
) -> None:
    """Past ``COUNT_LIMIT`` rows beyond the page's start (a page at least), the count is a floor:
    "Plus de 50 signalements", pages without a last one; the next page still counts them all."""
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 10)
    for n in range(pagination.PAGE_SIZE + 2):
        factory.situation(world.body, world.member, f"Signalement {n}")
    client = client_for(world.member)
    first = client.get("/situations").text
    assert "Plus de 50 signalements" in first and "Page 1</span>" in first
    assert 'rel="next"' in first and "Page 1 sur" not in first
    second = client.get("/situations?page=2").text
    assert "52 signalements" in second and "Page 2 sur 2" in second and 'rel="next"' not in second
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 1000)
    app.state.page_store.enabled = False  # the code changed, not the data: render it again
    assert "52 signalements" in client.get("/situations").text


def test_post_a_report_is_offered_where_the_person_may_post(
    client_for: Any, world: World, factory: Factory
) -> None:
    """The button leads to the form only for those the form serves: never to a guest (whose
    form answers 404) nor in a closed body's feed; the form offers no body they may not post in."""
    new = 'href="/situations/new'
    assert new in client_for(world.member).get("/situations").text
    assert new in client_for(world.member).get(f"/bodies/{world.body.id}/situations").text
    assert new in client_for(world.coordinator).get("/situations").text
    guest = client_for(world.guest)
    assert new not in guest.get("/situations").text
    assert guest.get("/situations/new").status_code == 404
    closed = factory.body("Cellule fermée")
    factory.member(closed, world.other, MemberRole.chair)
    other = client_for(world.other)
    assert other.form(f"/bodies/{closed.id}/close").status_code == 303
    assert new not in other.get(f"/bodies/{closed.id}/situations").text
    assert new in other.get("/situations").text  # their other body is open
    assert _offered_bodies(other.get("/situations/new").text) == [world.other_body.id]


def _offered_bodies(html: str) -> list[int]:
    """The bodies the report form offers to post in."""
    form = re.search(r'<select[^>]*name="body_id".*?</select>', html, re.S)
    assert form is not None
    return [int(i) for i in re.findall(r'<option value="(\d+)"', form.group(0))]


def test_staff_post_anywhere_but_where_a_seat_of_theirs_keeps_them_out(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    """Without a seat the staff post in any body (a limited coordinator, in their communes'); a
    guest's seat, or a seat whose charter they have not accepted, keeps that body out of the form,
    as posting there is refused."""
    gated = factory.body("Cellule à charte", charter_required=True)
    factory.charter(gated)
    factory.member(gated, world.coordinator)
    factory.member(world.body, world.coordinator, MemberRole.guest)
    coordinator = client_for(world.coordinator)
    assert _offered_bodies(coordinator.get("/situations/new").text) == [world.other_body.id]
    refused = coordinator.form("/situations/new", report_form(world, "Tags"))
    assert refused.status_code == 403, refused.text
    limited = factory.user("Lucie Limitée", role=UserRole.coordinator)
    session.add(UserCommune(user_id=limited.id or 0, commune_id=world.sector.commune_id))
    session.commit()
    limited_client = client_for(limited)
    assert _offered_bodies(limited_client.get("/situations/new").text) == [world.body.id]
    factory.member(world.body, limited, MemberRole.guest)  # their commune's one body
    assert limited_client.get("/situations/new").status_code == 404
    assert 'href="/situations/new' not in limited_client.get("/situations").text

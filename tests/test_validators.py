"""Validators on every file Veille answers (issue 15), through ``exports.validated``: each kind of
export and PDF gives an ETag; asked again with it (``If-None-Match``) it answers 304 with no body,
without building the file; once what the file is made of changes, 200 and another tag. (The
statistics exports and the meeting PDFs: tests/stats/test_speed.py.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session, col, select

from tests.factories import Factory, World
from veille.activity.models import ActivityCount, ActivitySeries
from veille.audit.models import AuditEvent
from veille.bodies.enums import BodyKind, MemberRole
from veille.directory.enums import OrganisationKind
from veille.meetings.enums import MeetingStatus
from veille.situations.enums import Confidentiality
from veille.stats.models import Diagnostic


def _revalidated(client: Any, url: str, change: Callable[[], object]) -> None:
    """The file, then 304 for the same tag, then 200 and another tag once ``change`` ran."""
    first = client.get(url)
    assert first.status_code == 200 and first.content, (url, first.status_code)
    tag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and not again.content and again.headers["etag"] == tag, url
    assert client.get(url, headers={"If-None-Match": '"another"'}).status_code == 200
    change()
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.content and changed.headers["etag"] != tag, url


def test_a_diagnostic_pdf(world: World, factory: Factory, client_for: Any, session: Session) -> None:
    chair = client_for(world.chair)
    today = date.today()
    form = {
        "title": "Diagnostic du Centre",
        "sector_id": str(world.sector.id),
        "since": (today - timedelta(days=30)).isoformat(),
        "until": today.isoformat(),
    }
    assert chair.form("/diagnostics/new", form).status_code == 303
    diagnostic = session.exec(select(Diagnostic)).one()
    url = f"/diagnostics/{diagnostic.id}.pdf"
    _revalidated(chair, url, lambda: factory.situation(world.body, world.member, "Rodéo urbain"))
    # Who may not see it learns nothing from a tag; a reader in another language gets another file.
    tag = chair.get(url).headers["etag"]
    assert client_for(world.other).get(url, headers={"If-None-Match": tag}).status_code == 404
    world.chair.language = "en"
    factory._save(world.chair)
    assert client_for(world.chair).get(url, headers={"If-None-Match": tag}).status_code == 200


def test_the_annual_report_pdf(world: World, factory: Factory, client_for: Any) -> None:
    plenary = factory.body("CLSPD de Villeneuve", kind=BodyKind.plenary)
    factory.member(plenary, world.chair, MemberRole.chair)
    url = f"/bodies/{plenary.id}/annual-report.pdf?year={date.today().year}"
    _revalidated(client_for(world.chair), url, lambda: factory.situation(world.body, world.member))


def test_a_crime_treatment_groups_report_pdf(world: World, factory: Factory, client_for: Any) -> None:
    group = factory.body("GLTD des Tilleuls", kind=BodyKind.crime_treatment_group, sectors=[world.sector])
    group.starts_on = date.today() - timedelta(days=40)
    group.ends_on = date.today() + timedelta(days=60)
    factory._save(group)
    factory.member(group, world.chair, MemberRole.chair)
    url = f"/bodies/{group.id}/group/report.pdf"
    _revalidated(
        client_for(world.chair),
        url,
        lambda: factory.action(group, world.organisation, "Médiation au pied des tours"),
    )


def test_a_charter_report_pdf(world: World, factory: Factory, client_for: Any) -> None:
    url = f"/bodies/{world.body.id}/charter-report.pdf"
    report = factory.situation(world.body, world.chair, "Hall", confidentiality=Confidentiality.restricted)

    def a_member_reads_it() -> None:
        assert client_for(world.secretary).get(f"/situations/{report.id}").status_code == 200

    _revalidated(client_for(world.chair), url, a_member_reads_it)


def test_the_audit_csv_and_its_consultations(world: World, factory: Factory, client_for: Any) -> None:
    admin = client_for(world.admin)
    url = "/admin/audit/export?entity=body"

    def consultations() -> int:
        factory.session.rollback()
        return len(
            factory.session.exec(
                select(AuditEvent).where(AuditEvent.entity == "audit", col(AuditEvent.verb) == "consult")
            ).all()
        )

    def a_body_changes() -> None:
        factory._save(
            AuditEvent(user_id=world.coordinator.id, verb="update", entity="body", entity_id=world.body.id)
        )

    before = consultations()
    _revalidated(admin, url, a_body_changes)
    # Every download is audited, a 304 too (four: first, again, another tag, changed).
    assert consultations() == before + 4


def test_an_organisations_activity_exports(world: World, factory: Factory, client_for: Any) -> None:
    team = factory.organisation("Équipe de prévention spécialisée", OrganisationKind.mediation)
    worker = factory.user("Wanda Rue", organisation=team, email="wanda@example.org")
    series = factory._save(ActivitySeries(organisation_id=team.id, name="Contacts", position=1))
    factory._save(ActivityCount(series_id=series.id, month=date(2016, 5, 1), count=3))
    client = client_for(worker)
    for number, kind in enumerate(("csv", "xlsx"), start=6):
        _revalidated(
            client,
            f"/activity/{team.id}/export?format={kind}",
            lambda n=number: factory._save(
                ActivityCount(series_id=series.id, month=date(2016, n, 1), count=n)
            ),
        )


def test_the_minutes_pdf_through_the_api(world: World, factory: Factory, api_for: Any) -> None:
    meeting = factory.meeting(world.body, status=MeetingStatus.held, in_days=-1)
    item = factory.item(meeting, "Occupation du hall")

    def notes_written() -> None:
        item.notes = "La patrouille passera le soir."
        factory._save(item)

    _revalidated(api_for(world.secretary), f"/api/v1/meetings/{meeting.id}/minutes.pdf", notes_written)

"""Local security diagnostics and the plenary's annual report, on known data sets: every figure
compared with the expected number, as each reader may see it, empty periods included; no text of
a restricted or social report in any page or PDF, for anyone; who may do what; conclusions
saved with their version (a stale save refused, never overwriting); query counts that do not
grow with the data. The browser test leaves the first page of each PDF in test-artifacts/."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape
from sqlmodel import Session, select

from tests.factories import PASSWORD, Factory, World
from veille.access import viewer_of
from veille.actions.enums import ActionKind, ActionStatus, Effect
from veille.actions.models import Action
from veille.audit.models import AuditEvent
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body, Membership
from veille.directory.enums import OrganisationKind, UserRole
from veille.directory.models import Organisation, Sector, User
from veille.i18n import translate
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.meetings.models import Meeting
from veille.orm import utcnow
from veille.situations.enums import Confidentiality, ProblemStatus
from veille.situations.models import Problem, Situation
from veille.stats import annual, diagnostics
from veille.stats.models import Diagnostic

PARIS = ZoneInfo("Europe/Paris")
TODAY = datetime.now(PARIS).date()
# Unique words that only confidential reports hold, in their title and description.
MARKERS = ("Zorglubine", "Quuxterre")
SOCIAL_CATEGORY = "Personne vulnérable"  # the social report's category, used by no other report


def _fr(message: str, **params: Any) -> str:
    return str(escape(translate(message, "fr", **params)))


def _fresh(session: Session) -> None:
    session.rollback()
    session.expire_all()


def _pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool = False) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (poppler-utils)")
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def _words(text: str) -> str:
    return " ".join(text.split())


def _report(
    factory: Factory,
    body: Body,
    author: User,
    when: datetime,
    category: str,
    *,
    sector: Sector | None = None,
    **values: Any,
) -> Situation:
    situation = factory.situation(
        body, author, values.pop("title", f"Fait {category}"), category=category, **values
    )
    situation.occurred_at = when
    situation.sector_id = sector.id if sector else None
    return factory._save(situation)  # type: ignore[no-any-return]


def _ago(days: float) -> datetime:
    return utcnow() - timedelta(days=days)


def _action(
    factory: Factory,
    body: Body,
    lead: Organisation,
    title: str,
    *,
    created: datetime | None = None,
    finished: datetime | None = None,
    **values: Any,
) -> Action:
    """An action, recorded at ``created`` and finished (done or abandoned) at ``finished``."""
    action = factory.action(body, lead, title, **values)
    if created is not None:
        action.created_at = action.updated_at = created
    if finished is not None:
        action.updated_at = finished
        if action.status == ActionStatus.done:
            action.done_at = finished
    return factory._save(action)  # type: ignore[no-any-return]


def _diagnostic(factory: Factory, sector: Sector, since: date, until: date, **values: Any) -> Diagnostic:
    title = values.pop("title", f"Diagnostic {sector.name}")
    return factory._save(  # type: ignore[no-any-return]
        Diagnostic(sector_id=sector.id or 0, since=since, until=until, title=title, **values)
    )


# The diagnostic's known data set


@dataclass
class Sectors:
    """The Centre sector's data seen from its watch cell (world.body, Centre only) and from a
    crime-treatment group covering Centre and Nord, where only the staff sit."""

    diagnostic: Diagnostic
    group: Body
    nord: Sector
    social_worker: User


@pytest.fixture
def centre(factory: Factory, world: World) -> Sectors:
    body, police, city = world.body, world.organisation, world.chair.organisation
    nord = factory.sector("Nord", "NORD")
    group = factory.body(
        "GLTD Centre-Nord", kind=BodyKind.crime_treatment_group, sectors=[world.sector, nord]
    )
    social = factory.organisation("Service social départemental", OrganisationKind.social_services)
    social_worker = factory.user("Sonia Sociale", organisation=social)
    factory.member(body, social_worker)
    centre, member = world.sector, world.member
    # This period (the last 60 days) and the previous one (the 60 days before).
    hall1 = _report(factory, body, member, _ago(5), "hall_occupation", sector=centre)
    hall2 = _report(factory, body, member, _ago(10), "hall_occupation", sector=centre)
    _report(factory, body, member, _ago(20), "urban_rodeo")  # no sector: the body covers Centre alone
    _report(factory, body, member, _ago(80), "hall_occupation", sector=centre)
    _report(factory, body, member, _ago(90), "drug_dealing", sector=centre)
    _report(factory, body, member, _ago(200), "hall_occupation", sector=centre)  # before both periods
    _report(factory, group, member, _ago(6), "urban_rodeo", sector=nord)  # another sector
    _report(factory, group, member, _ago(6), "urban_rodeo")  # no sector in a body of two sectors
    # Confidential reports of the period: the chair reads the restricted one whole, nobody of
    # the staff is named on it; the social one is read whole by the social services only.
    _report(
        factory,
        body,
        member,
        _ago(3),
        "drug_dealing",
        sector=centre,
        confidentiality=Confidentiality.restricted,
        title=f"Point de deal {MARKERS[0]}",
        description=f"Guetteurs, {MARKERS[1]}",
    )
    _report(
        factory,
        body,
        social_worker,
        _ago(4),
        "vulnerable_person",
        sector=centre,
        confidentiality=Confidentiality.social,
        title=f"Famille {MARKERS[0]}",
        description=f"Enfants seuls le soir, {MARKERS[1]}",
    )
    factory.problem(body, "Squat du bâtiment B", [hall1, hall2])
    old = factory._save(
        Problem(body_id=body.id or 0, title="Ancien dossier clos", status=ProblemStatus.closed)
    )
    old.created_at, old.updated_at = _ago(400), _ago(300)
    factory._save(old)
    factory.problem(world.other_body, "Dossier d'une autre instance")
    # Actions at work during the period.
    _action(factory, body, city, "Médiation de soirée", due_in_days=10)
    _action(
        factory,
        body,
        police,
        "Patrouilles pédestres",
        kind=ActionKind.deterrent,
        status=ActionStatus.in_progress,
        due_in_days=-5,
    )
    _action(
        factory,
        body,
        police,
        "Éclairage du hall B",
        status=ActionStatus.done,
        effect=Effect.positive,
        indicator="Regroupements : -60 %",
        finished=_ago(15),
    )
    _action(
        factory,
        body,
        police,
        "Contrôles d'identité",
        kind=ActionKind.repressive,
        status=ActionStatus.done,
        finished=_ago(12),
    )
    _action(factory, body, city, "Réunion des locataires", status=ActionStatus.abandoned, finished=_ago(30))
    _action(
        factory,
        body,
        city,
        "Fresque du préau",
        status=ActionStatus.done,
        created=_ago(400),
        finished=_ago(300),
    )  # finished before the period
    _action(factory, group, police, "Opération coordonnée", status=ActionStatus.proposed, due_in_days=-2)
    _action(factory, world.other_body, police, "Action d'une autre instance", due_in_days=-9)
    diagnostic = _diagnostic(factory, centre, TODAY - timedelta(days=59), TODAY)
    return Sectors(diagnostic=diagnostic, group=group, nord=nord, social_worker=social_worker)


def _document(session: Session, user: User, diagnostic: Diagnostic) -> diagnostics.Document:
    access = diagnostics.get_diagnostic(session, viewer_of(session, user), diagnostic.id or 0)
    return diagnostics.document(session, access, today=TODAY, tz=PARIS)


def _trends(doc: diagnostics.Document) -> dict[str, tuple[int, int]]:
    return {(t.category.code if t.category else "stub"): (t.current, t.previous) for t in doc.trends}


def test_diagnostic_counts_every_figure_as_the_chair_may_see_it(
    session: Session, world: World, centre: Sectors
) -> None:
    doc = _document(session, world.chair, centre.diagnostic)

    assert (doc.window.days, doc.previous.since, doc.previous.until) == (
        60,
        TODAY - timedelta(days=119),
        TODAY - timedelta(days=60),
    )
    assert [b.name for b in doc.bodies] == ["Cellule de veille du centre"]  # not the group
    # The restricted report counts in its category; the social one as a stub.
    assert _trends(doc) == {
        "hall_occupation": (2, 1),
        "drug_dealing": (1, 1),
        "urban_rodeo": (1, 0),
        "stub": (1, 0),
    }
    assert list(_trends(doc))[-1] == "stub"
    assert (doc.reports, doc.reports_before, doc.reports_percent) == (5, 2, 150)
    hall = next(t for t in doc.trends if t.category and t.category.code == "hall_occupation")
    assert (hall.change, hall.percent) == (1, 100)
    assert [(p.problem.title, p.reports, p.open) for p in doc.problems] == [("Squat du bâtiment B", 2, True)]
    grid = doc.grid
    assert grid.cells == {
        (ActionKind.preventive, ActionStatus.planned): 1,
        (ActionKind.deterrent, ActionStatus.in_progress): 1,
        (ActionKind.preventive, ActionStatus.done): 1,
        (ActionKind.repressive, ActionStatus.done): 1,
        (ActionKind.preventive, ActionStatus.abandoned): 1,
    }
    assert (grid.total, grid.open, grid.done, grid.completion) == (5, 2, 2, 50)
    assert doc.effects == [(Effect.positive, 1), (None, 1)]
    assert [r.action.title for r in doc.evaluated] == ["Éclairage du hall B"]
    assert doc.evaluated_total == 1
    assert [r.action.title for r in doc.open_rows] == ["Patrouilles pédestres", "Médiation de soirée"]
    assert (doc.open_total, doc.overdue, len(doc.open_problems)) == (2, 1, 1)


def test_diagnostic_counts_over_what_the_coordinator_may_see(
    session: Session, world: World, centre: Sectors
) -> None:
    doc = _document(session, world.coordinator, centre.diagnostic)

    assert [b.name for b in doc.bodies] == ["Cellule de veille du centre", "GLTD Centre-Nord"]
    # The restricted report names neither the coordinator's organisation nor is theirs to
    # manage: it is not counted at all.
    assert _trends(doc) == {
        "hall_occupation": (2, 1),
        "urban_rodeo": (1, 0),
        "drug_dealing": (0, 1),
        "stub": (1, 0),
    }
    assert (doc.reports, doc.reports_before) == (4, 2)
    assert (doc.grid.total, doc.grid.open, doc.grid.completion) == (6, 3, 40)
    assert (doc.open_total, doc.overdue) == (3, 2)
    assert [r.action.title for r in doc.open_rows][:2] == ["Patrouilles pédestres", "Opération coordonnée"]


def test_a_social_report_is_counted_in_its_category_by_those_who_read_it(
    session: Session, world: World, centre: Sectors, factory: Factory
) -> None:
    membership = session.exec(select(Membership).where(Membership.user_id == centre.social_worker.id)).one()
    membership.role = MemberRole.secretary  # a secretary may read the diagnostic
    factory._save(membership)
    doc = _document(session, centre.social_worker, centre.diagnostic)
    assert _trends(doc)["vulnerable_person"] == (1, 0)
    assert "stub" not in _trends(doc)


def test_an_empty_period_has_nothing_to_count(
    session: Session, world: World, centre: Sectors, factory: Factory, client_for: Any, tmp_path: Path
) -> None:
    empty = _diagnostic(factory, world.sector, date(2010, 1, 1), date(2010, 12, 31), title="Diagnostic 2010")
    doc = _document(session, world.chair, empty)
    assert (doc.trends, doc.problems, doc.effects, doc.evaluated, doc.open_rows) == ([], [], [], [], [])
    assert (doc.reports, doc.reports_before, doc.reports_percent) == (0, 0, None)
    assert (doc.grid.total, doc.grid.completion, doc.open_total, doc.overdue) == (0, None, 0, 0)
    assert doc.previous == diagnostics.Window(date(2009, 1, 1), date(2009, 12, 31))

    client = client_for(world.chair)
    page = client.get(f"/diagnostics/{empty.id}")
    assert page.status_code == 200
    assert _fr("No report in the sector over these two periods.") in page.text
    assert _fr("No action of the period is finished yet.") in page.text
    pdf = client.get(f"/diagnostics/{empty.id}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert _words(translate("No report in the sector over these two periods.", "fr")) in _words(
        _pdf_text(pdf.content, tmp_path)
    )


def test_diagnostic_page_and_pdf_show_the_figures(
    client_for: Any, world: World, centre: Sectors, tmp_path: Path
) -> None:
    client = client_for(world.chair)
    page = client.get(f"/diagnostics/{centre.diagnostic.id}")
    assert page.status_code == 200, page.text
    text = page.text
    assert "Squat du bâtiment B" in text and "Ancien dossier clos" not in text
    assert "Dossier d&#39;une autre instance" not in text and "Action d&#39;une autre instance" not in text
    assert "Opération coordonnée" not in text  # an action of a body the chair does not sit in
    assert "Regroupements : -60 %" in text
    assert "Fresque du préau" not in text
    assert re.search(r"<dt>[^<]*</dt><dd>5</dd>", text)  # five reports this period
    # The trend table: category, previous period, this period, change.
    assert re.search(r"Occupation de halls</th><td>1</td><td>2</td><td>\+1 \(\+100 %\)</td>", text)
    assert re.search(r"Rodéos urbains</th><td>0</td><td>1</td><td>\+1</td>", text)
    assert re.search(
        r"<tfoot><tr><th scope=\"row\">[^<]+</th><td>2</td><td>5</td><td>\+3 \(\+150 %\)</td>", text
    )

    response = client.get(f"/diagnostics/{centre.diagnostic.id}.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    table = _pdf_text(response.content, tmp_path, layout=True)
    assert re.search(r"Occupation de halls\s+1\s+2\s+\+1 \(\+100 %\)\n", table), table
    assert re.search(r"Trafic de stupéfiants\s+1\s+1\s+0 \(0 %\)\n", table)
    assert re.search(r"\n\s*Total\s+2\s+5\s+\+3 \(\+150 %\)\n", table)
    # Kind × status (proposed, planned, in progress, done, abandoned, total), then totals.
    preventive = translate("Preventive", "fr")
    assert re.search(rf"{preventive}\s+0\s+1\s+0\s+1\s+1\s+3\n", table), table
    assert re.search(r"\n\s*Total\s+0\s+1\s+1\s+2\s+1\s+5\n", table)
    words = _words(table)
    assert "Éclairage du hall B" in words and "Regroupements : -60 %" in words
    assert "Squat du bâtiment B" in words


def test_restricted_reports_never_lend_their_text_to_any_document(
    client_for: Any, world: World, centre: Sectors, factory: Factory, tmp_path: Path
) -> None:
    plenary = factory.body("Conseil local de sécurité", kind=BodyKind.plenary)
    factory.member(plenary, world.chair, MemberRole.chair)
    year = TODAY.year
    for persona in (world.admin, world.coordinator, world.chair, world.secretary):
        client = client_for(persona)
        documents = [
            client.get(f"/diagnostics/{centre.diagnostic.id}"),
            client.get(f"/diagnostics/{centre.diagnostic.id}.pdf"),
            client.get("/diagnostics"),
        ]
        if persona is not world.secretary:
            documents += [
                client.get(f"/bodies/{plenary.id}/annual-report?year={year}"),
                client.get(f"/bodies/{plenary.id}/annual-report.pdf?year={year}"),
            ]
        for response in documents:
            assert response.status_code == 200, (persona.name, response.url)
            text = response.text if not response.content.startswith(b"%PDF") else ""
            if response.content.startswith(b"%PDF"):
                text = _pdf_text(response.content, tmp_path)
            for marker in MARKERS:
                assert marker not in text, (persona.name, response.url, marker)
            # Nobody here reads the social report whole: its category stays untold.
            assert SOCIAL_CATEGORY not in text, (persona.name, response.url)
            assert "Famille" not in text and "Guetteurs" not in text and "Point de deal" not in text
    # The social services read it whole: counted in its category, its text still untold.
    membership = factory.session.exec(
        select(Membership).where(Membership.user_id == centre.social_worker.id)
    ).one()
    membership.role = MemberRole.secretary
    factory._save(membership)
    worker = client_for(centre.social_worker)
    page = worker.get(f"/diagnostics/{centre.diagnostic.id}")
    pdf = _pdf_text(worker.get(f"/diagnostics/{centre.diagnostic.id}.pdf").content, tmp_path)
    for text in (page.text, pdf):
        assert SOCIAL_CATEGORY in text
        assert not any(marker in text for marker in MARKERS)


# Who may do what


def test_the_sector_bodies_chairs_and_secretaries_and_the_staff_draw_up_diagnostics(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    nord = factory.sector("Nord", "NORD")
    since, until = (TODAY - timedelta(days=30)).isoformat(), TODAY.isoformat()
    form = {
        "title": "Diagnostic du Centre",
        "sector_id": str(world.sector.id),
        "since": since,
        "until": until,
    }

    chair = client_for(world.chair)
    page = chair.get("/diagnostics/new")
    assert page.status_code == 200
    assert f'value="{world.sector.id}"' in page.text and f'value="{nord.id}"' not in page.text
    refused = chair.form("/diagnostics/new", form | {"sector_id": str(nord.id)})
    assert refused.status_code == 422
    assert _fr(diagnostics.CHOOSE_SECTOR) in refused.text
    backwards = chair.form("/diagnostics/new", form | {"since": until, "until": since})
    assert backwards.status_code == 422 and _fr(diagnostics.END_BEFORE_START) in backwards.text
    future = (TODAY + timedelta(days=3)).isoformat()
    early = chair.form("/diagnostics/new", form | {"since": future, "until": future})
    assert early.status_code == 422 and _fr(diagnostics.NOT_BEGUN) in early.text
    assert chair.form("/diagnostics/new", form | {"title": " "}).status_code == 422
    for outsider in (world.member, world.other, world.guest):
        assert client_for(outsider).form("/diagnostics/new", form).status_code == 403
        assert client_for(outsider).get("/diagnostics/new").status_code == 403
    _fresh(session)
    assert session.exec(select(Diagnostic)).all() == []

    created = chair.form("/diagnostics/new", form)
    assert created.status_code == 303
    _fresh(session)
    diagnostic = session.exec(select(Diagnostic)).one()
    assert created.headers["location"] == f"/diagnostics/{diagnostic.id}"
    assert (diagnostic.sector_id, diagnostic.since.isoformat(), diagnostic.created_by) == (
        world.sector.id,
        since,
        world.chair.id,
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "diagnostic")).one()
    assert (event.verb, event.entity_id, event.user_id) == ("create", diagnostic.id, world.chair.id)
    # The coordinator draws up one for any sector.
    assert (
        client_for(world.coordinator).form("/diagnostics/new", form | {"sector_id": str(nord.id)}).status_code
        == 303
    )

    listing = {p.name: client_for(p).get("/diagnostics").text for p in (world.chair, world.member)}
    assert "Diagnostic du Centre" in listing[world.chair.name]
    assert "Diagnostic du Centre" not in listing[world.member.name]
    assert _fr(diagnostics.NOT_AUTHOR) in listing[world.member.name]
    assert client_for(world.other).get(f"/diagnostics/{diagnostic.id}").status_code == 404
    assert client_for(world.member).get(f"/diagnostics/{diagnostic.id}.pdf").status_code == 404
    assert client_for(world.admin).get("/diagnostics/999").status_code == 404


def test_a_chair_sees_the_diagnostics_of_their_sectors_only(
    client_for: Any, world: World, factory: Factory
) -> None:
    nord = factory.sector("Nord", "NORD")
    factory.member(world.other_body, world.chair, MemberRole.chair)  # a body with no sector
    elsewhere = _diagnostic(factory, nord, TODAY - timedelta(days=30), TODAY, title="Diagnostic du Nord")
    here = _diagnostic(factory, world.sector, TODAY - timedelta(days=30), TODAY, title="Diagnostic du Centre")
    chair = client_for(world.chair)
    assert chair.get(f"/diagnostics/{elsewhere.id}").status_code == 404
    assert chair.get(f"/diagnostics/{here.id}").status_code == 200
    listing = chair.get("/diagnostics").text
    assert "Diagnostic du Centre" in listing and "Diagnostic du Nord" not in listing


def test_a_closed_body_leaves_its_chair_reading_without_writing(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    diagnostic = _diagnostic(factory, world.sector, TODAY - timedelta(days=30), TODAY, conclusions="Bilan.")
    world.body.status = BodyStatus.closed
    factory._save(world.body)
    chair = client_for(world.chair)
    page = chair.get(f"/diagnostics/{diagnostic.id}")
    assert page.status_code == 200 and "Bilan." in page.text
    assert 'name="conclusions"' not in page.text
    refused = chair.form(
        f"/diagnostics/{diagnostic.id}/conclusions", {"conclusions": "Autre", "version": "1"}
    )
    assert refused.status_code == 403
    assert chair.get("/diagnostics/new").status_code == 403
    _fresh(session)
    assert session.get(Diagnostic, diagnostic.id).conclusions == "Bilan."  # type: ignore[union-attr]


# Conclusions


def test_stale_conclusions_are_refused_and_never_overwrite(
    client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    diagnostic = _diagnostic(factory, world.sector, TODAY - timedelta(days=30), TODAY)
    url = f"/diagnostics/{diagnostic.id}/conclusions"
    chair, secretary = client_for(world.chair), client_for(world.secretary)

    first = chair.htmx(url, {"conclusions": "Les regroupements ont baissé.\r\nÀ poursuivre.", "version": "1"})
    assert first.status_code == 200, first.text
    assert 'id="conclusions-version" value="2" hx-swap-oob="true"' in first.text
    stale = secretary.htmx(url, {"conclusions": "Rien n'a changé.", "version": "1"})
    assert stale.status_code == 409
    assert _fr(diagnostics.STALE) in stale.text
    assert "hx-swap-oob" not in stale.text
    # Without JavaScript: the page again, the text typed kept, the message shown.
    plain = secretary.form(url, {"conclusions": "Rien n'a changé.", "version": "1"})
    assert plain.status_code == 409
    assert _fr(diagnostics.STALE) in plain.text and "Rien n&#39;a changé." in plain.text
    _fresh(session)
    saved = session.get(Diagnostic, diagnostic.id)
    assert saved is not None
    assert (saved.conclusions, saved.version) == ("Les regroupements ont baissé.\nÀ poursuivre.", 2)

    again = secretary.form(url, {"conclusions": "Rien n'a changé.", "version": "2"})
    assert (
        again.status_code == 303 and again.headers["location"] == f"/diagnostics/{diagnostic.id}#conclusions"
    )
    _fresh(session)
    assert session.get(Diagnostic, diagnostic.id).version == 3  # type: ignore[union-attr]
    events = session.exec(select(AuditEvent).where(AuditEvent.entity == "diagnostic")).all()
    assert [(e.verb, e.user_id) for e in events] == [
        ("update", world.chair.id),
        ("update", world.secretary.id),
    ]
    assert chair.htmx(url, {"conclusions": "x", "version": "abc"}).status_code == 422
    assert client_for(world.member).htmx(url, {"conclusions": "x", "version": "3"}).status_code == 404


# The annual report of the plenary


@dataclass
class Year:
    plenary: Body
    year: int
    mayor: User


def _local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def _meeting(factory: Factory, body: Body, starts_at: datetime, status: MeetingStatus) -> Meeting:
    meeting = factory.meeting(body, status=status)
    meeting.starts_at, meeting.ends_at = starts_at, starts_at + timedelta(hours=2)
    return factory._save(meeting)  # type: ignore[no-any-return]


@pytest.fixture
def last_year(factory: Factory, world: World) -> Year:
    """Last year across three bodies: two watch cells and the plenary."""
    y = TODAY.year - 1
    police, city = world.organisation, world.chair.organisation
    mayor = factory.user("Martine Maire", organisation=city, email="maire@example.org")
    plenary = factory.body("CLSPD de Villeneuve", kind=BodyKind.plenary)
    factory.member(plenary, mayor, MemberRole.chair)
    long_ago = _local(y - 1, 1, 1)
    for body in (world.body, world.other_body, plenary):
        body.created_at = long_ago
        factory._save(body)
    unused = factory.body("Comité partenarial de la gare", kind=BodyKind.partnership_committee)
    unused.status = BodyStatus.closed  # closed, nothing last year: left out
    factory._save(unused)
    # Meetings: of the watch cell, two held (guests left out of attendance), one cancelled, one
    # convened; of the other, one held just after midnight on 1 January in Paris.
    held = _meeting(factory, world.body, _local(y, 2, 10), MeetingStatus.held)
    for user, status in (
        (world.chair, AttendanceStatus.present),
        (world.secretary, AttendanceStatus.present),
        (world.member, AttendanceStatus.absent),
    ):
        factory.invite(held, user, status)
    factory.invite(held, world.guest, AttendanceStatus.present, guest=True)
    approved = _meeting(factory, world.body, _local(y, 3, 10), MeetingStatus.minutes_approved)
    for user, status in (
        (world.chair, AttendanceStatus.present),
        (world.secretary, AttendanceStatus.represented),
        (world.member, AttendanceStatus.excused),
    ):
        factory.invite(approved, user, status)
    _meeting(factory, world.body, _local(y, 4, 10), MeetingStatus.cancelled)
    convened = _meeting(factory, world.body, _local(y, 12, 15), MeetingStatus.convened)
    factory.invite(convened, world.member, AttendanceStatus.confirmed)
    first = _meeting(factory, world.other_body, _local(y, 1, 1, 0, 30), MeetingStatus.held)
    factory.invite(first, world.other, AttendanceStatus.present)
    _meeting(factory, world.other_body, _local(y - 1, 12, 31, 23, 30), MeetingStatus.held)  # the year before
    # Reports: the restricted and social ones counted (the social one without its category).
    social_org = factory.organisation("Service social", OrganisationKind.social_services)
    worker = factory.user("Sonia Sociale", organisation=social_org)
    factory.member(world.body, worker)
    _report(factory, world.body, world.member, _local(y, 2, 3), "hall_occupation")
    _report(factory, world.body, world.member, _local(y, 3, 4), "hall_occupation")
    _report(
        factory,
        world.body,
        world.member,
        _local(y, 3, 20),
        "drug_dealing",
        confidentiality=Confidentiality.restricted,
        title=f"Guetteurs {MARKERS[0]}",
        description=MARKERS[1],
    )
    _report(
        factory,
        world.body,
        worker,
        _local(y, 5, 5),
        "vulnerable_person",
        confidentiality=Confidentiality.social,
        title=f"Famille {MARKERS[0]}",
        description=MARKERS[1],
    )
    _report(factory, world.other_body, world.other, _local(y, 12, 31, 23, 30), "urban_rodeo")
    _report(factory, world.other_body, world.other, _local(y, 1, 1, 0, 10), "urban_rodeo")
    _report(factory, world.other_body, world.other, _local(y - 1, 12, 31, 23, 50), "urban_rodeo")
    _report(factory, world.body, world.member, _local(y + 1, 1, 1, 0, 10), "hall_occupation")
    # Actions at work during the year.
    _action(
        factory,
        world.body,
        police,
        "Éclairage",
        status=ActionStatus.done,
        effect=Effect.positive,
        created=_local(y - 1, 11, 1),
        finished=_local(y, 6, 1),
    )
    _action(
        factory,
        world.body,
        police,
        "Patrouilles",
        kind=ActionKind.deterrent,
        status=ActionStatus.done,
        created=_local(y, 2, 1),
        finished=_local(y, 7, 1),
    )
    _action(
        factory,
        world.body,
        city,
        "Contrôles",
        kind=ActionKind.repressive,
        status=ActionStatus.abandoned,
        created=_local(y, 2, 1),
        finished=_local(y, 5, 1),
    )
    _action(factory, world.body, city, "Médiation", status=ActionStatus.in_progress, created=_local(y, 2, 1))
    _action(factory, world.other_body, police, "Fresque", created=_local(y - 1, 3, 1))
    _action(
        factory,
        world.other_body,
        police,
        "Ancienne",
        status=ActionStatus.done,
        created=_local(y - 2, 3, 1),
        finished=_local(y - 1, 6, 1),
    )
    _action(factory, world.other_body, police, "Nouvelle")  # recorded this year
    return Year(plenary=plenary, year=y, mayor=mayor)


def _annual(session: Session, user: User, setup: Year, year: int | None = None) -> annual.AnnualReport:
    access = annual.annual_access(session, user, setup.plenary.id or 0)
    return annual.annual_report(session, access, year=year or setup.year, today=TODAY, tz=PARIS)


def test_annual_report_counts_the_year_across_every_body(
    session: Session, world: World, last_year: Year
) -> None:
    report = _annual(session, last_year.mayor, last_year)
    lines = {line.body.name: line for line in report.lines}
    assert list(lines) == ["Cellule de veille du centre", "Cellule de veille du nord", "CLSPD de Villeneuve"]
    cell, north, plenary = lines.values()
    assert (cell.held, cell.cancelled, cell.other_meetings, cell.invited, cell.attended) == (2, 1, 1, 6, 4)
    assert (cell.attendance, north.attendance, plenary.attendance) == (67, 100, None)
    assert (north.held, north.invited, north.attended) == (1, 1, 1)
    assert (report.meetings_held, report.meetings_cancelled, report.attendance) == (3, 1, 71)
    assert [(c.code, n) for c, n in report.by_category] == [
        ("hall_occupation", 2),
        ("urban_rodeo", 2),
        ("drug_dealing", 1),
    ]
    assert (report.social, report.reports) == (1, 6)
    assert (cell.reports, north.reports, plenary.reports) == (4, 2, 0)
    assert [n for _, n in report.months] == [1, 1, 2, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    assert report.months[0][0] == date(last_year.year, 1, 1)
    grid = report.grid
    assert grid.cells == {
        (ActionKind.preventive, ActionStatus.done): 1,
        (ActionKind.deterrent, ActionStatus.done): 1,
        (ActionKind.repressive, ActionStatus.abandoned): 1,
        (ActionKind.preventive, ActionStatus.in_progress): 1,
        (ActionKind.preventive, ActionStatus.planned): 1,
    }
    assert (grid.total, grid.done, grid.completion) == (5, 2, 50)
    assert (cell.actions, cell.done, north.actions, north.done) == (4, 2, 1, 0)
    assert report.effects == [(Effect.positive, 1), (None, 1)]
    assert (report.evaluated, report.bodies_at_work) == (1, 2)
    assert [u.name for u in report.chairs] == ["Martine Maire"]
    # The coordinator reads the same aggregates.
    assert _annual(session, world.coordinator, last_year).grid == grid


def test_annual_report_of_an_empty_year(session: Session, last_year: Year) -> None:
    report = _annual(session, last_year.mayor, last_year, year=2001)
    assert (report.meetings_held, report.attendance, report.reports, report.social) == (0, None, 0, 0)
    assert report.by_category == [] and report.effects == []
    assert [n for _, n in report.months] == [0] * 12
    assert (report.grid.total, report.grid.completion, report.bodies_at_work) == (0, None, 0)
    assert report.lines == []  # no body existed yet


def test_annual_report_page_and_pdf(client_for: Any, last_year: Year, tmp_path: Path) -> None:
    client = client_for(last_year.mayor)
    url = f"/bodies/{last_year.plenary.id}/annual-report"
    page = client.get(f"{url}?year={last_year.year}")
    assert page.status_code == 200, page.text
    assert re.search(
        r"Cellule de veille du centre<span[^>]*>[^<]*</span></th>\s*"
        r"<td>2</td>\s*<td>1</td>\s*<td>67 %</td>\s*<td>4</td>\s*<td>4</td>\s*<td>2</td>",
        page.text,
    ), page.text
    assert "Comité partenarial de la gare" not in page.text
    for title in ("Éclairage", "Patrouilles", "Médiation"):  # aggregates only: no action named
        assert f">{title}<" not in page.text
    response = client.get(f"{url}.pdf?year={last_year.year}")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert f"rapport-annuel-{last_year.year}.pdf" in response.headers["content-disposition"]
    table = _pdf_text(response.content, tmp_path, layout=True)
    assert re.search(r"Cellule de veille du centre\s+2\s+1\s+67 %\s+4\s+4\s+2\n", table), table
    assert re.search(r"\n\s*Total\s+3\s+1\s+71 %\s+6\s+5\s+2\n", table), table
    assert re.search(r"Occupation de halls\s+2\s", table) and re.search(r"Trafic de stupéfiants\s+1\s", table)
    assert "Martine Maire" in table
    # The current year by default; an impossible year designates nothing.
    assert client.get(url).status_code == 200
    assert client.get(f"{url}?year=1850").status_code == 404


def test_only_the_plenary_chair_and_the_staff_read_the_annual_report(
    client_for: Any, world: World, factory: Factory, last_year: Year
) -> None:
    plenary = last_year.plenary
    secretary = factory.user("Paul Secrétaire")
    factory.member(plenary, secretary, MemberRole.secretary)
    factory.member(plenary, world.member, MemberRole.member)
    url = f"/bodies/{plenary.id}/annual-report"
    for user, expected in (
        (last_year.mayor, 200),
        (world.admin, 200),
        (world.coordinator, 200),
        (secretary, 403),
        (world.member, 403),
        (world.chair, 404),  # chairs a watch cell, not the plenary
        (world.other, 404),
    ):
        assert client_for(user).get(url).status_code == expected, user.name
        assert client_for(user).get(f"{url}.pdf").status_code == expected, user.name
    # Only a plenary has an annual report.
    assert client_for(world.admin).get(f"/bodies/{world.body.id}/annual-report").status_code == 404


# Bounded queries


def test_diagnostic_and_annual_pages_answer_in_a_fixed_number_of_queries(
    client_for: Any, world: World, factory: Factory, queries: Any, last_year: Year
) -> None:
    diagnostic = _diagnostic(factory, world.sector, TODAY - timedelta(days=90), TODAY)
    chair, mayor = client_for(world.chair), client_for(last_year.mayor)
    annual = f"/bodies/{last_year.plenary.id}/annual-report?year={TODAY.year}"

    def add(n: int) -> None:
        for i in range(n):
            situation = _report(
                factory,
                world.body,
                world.member,
                _ago(i % 80 + 1),
                ["hall_occupation", "drug_dealing"][i % 2],
                sector=world.sector,
            )
            problem = factory.problem(world.body, f"Dossier {i}", [situation])
            assert problem.id
            _action(
                factory,
                world.body,
                world.organisation,
                f"Action {i}",
                kind=list(ActionKind)[i % 3],
                status=list(ActionStatus)[i % 5],
                due_in_days=(i % 20) - 10,
                effect=Effect.positive if i % 5 == 3 else None,
            )
            meeting = factory.meeting(world.body, in_days=-(i + 1), status=MeetingStatus.held)
            factory.invite(meeting, world.member, AttendanceStatus.present)

    add(2)
    chair.get(f"/diagnostics/{diagnostic.id}")  # warm up
    mayor.get(annual)
    with queries() as few:
        assert chair.get(f"/diagnostics/{diagnostic.id}").status_code == 200
    with queries() as few_annual:
        assert mayor.get(annual).status_code == 200
    add(18)
    with queries() as many:
        page = chair.get(f"/diagnostics/{diagnostic.id}")
    with queries() as many_annual:
        assert mayor.get(annual).status_code == 200
    assert page.status_code == 200 and page.text.count("/problems/") >= 20
    assert many.count == few.count <= 20, many.statements
    assert many_annual.count == few_annual.count <= 16, many_annual.statements


# In a real browser


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def _first_page(pdf: Path, target: Path) -> None:
    command = ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(target)]
    subprocess.run(command, check=True)


def _demo_city(factory: Factory) -> tuple[Sector, Body, User, User]:
    """A city's Centre sector over the last year: a watch cell and a crime-treatment group,
    their reports, problem files, actions and meetings; the plenary and its chair."""
    y = TODAY.year
    city = factory.organisation("Ville de Villeneuve – prévention", OrganisationKind.city)
    police = factory.organisation("Police nationale – commissariat central", OrganisationKind.police)
    municipal = factory.organisation("Police municipale", OrganisationKind.municipal_police)
    housing = factory.organisation("Habitat du Val", OrganisationKind.housing_provider)
    mediation = factory.organisation("Association Trait d'union", OrganisationKind.mediation)
    coordinator = factory.user(
        "Nadia Roux", organisation=city, email="coordination@example.org", role=UserRole.coordinator
    )
    mayor = factory.user("Martine Maire", organisation=city, email="maire@example.org")
    centre = factory.sector("Centre-ville", "CV")
    gare = factory.sector("Gare", "GARE")
    cell = factory.body("Cellule de veille du Centre-ville", sectors=[centre])
    group = factory.body("GLTD Les Tilleuls", kind=BodyKind.crime_treatment_group, sectors=[centre, gare])
    north = factory.body("Cellule de veille de la Gare", sectors=[gare])
    copil = factory.body("COPIL Vie nocturne", kind=BodyKind.nightlife_copil, sectors=[centre])
    plenary = factory.body("CLSPD de Villeneuve", kind=BodyKind.plenary)
    factory.member(plenary, mayor, MemberRole.chair)
    people = [
        factory.user(name, organisation=org)
        for name, org in (
            ("Karim Benali", police),
            ("Julie Marchand", municipal),
            ("Paul Girard", housing),
            ("Inès Fontaine", mediation),
        )
    ]
    for body in (cell, group, north, copil, plenary):
        body.created_at = _local(y - 2, 1, 1)
        factory._save(body)
        for person in people:
            factory.member(body, person)
    categories = {
        "hall_occupation": (9, 6),
        "drug_dealing": (7, 8),
        "noise_nightlife": (6, 3),
        "urban_rodeo": (4, 5),
        "public_space_damage": (3, 3),
        "road_safety": (2, 0),
    }
    found: dict[str, list[Situation]] = {}
    for code, (now, before) in categories.items():
        for i in range(now):
            found.setdefault(code, []).append(
                _report(factory, cell, people[i % 4], _ago(4 + i * 37 % 300), code, sector=centre)
            )
        for i in range(before):
            _report(factory, cell, people[i % 4], _ago(370 + i * 41 % 300), code, sector=centre)
    for i in range(9):
        _report(factory, north, people[i % 4], _ago(380 + i * 30), "urban_rodeo", sector=gare)
    factory.problem(cell, "Trafic et regroupements place des Lilas", found["drug_dealing"][:4])
    factory.problem(copil, "Nuisances sonores rue de la Soif", found["noise_nightlife"][:3])
    dossier = factory.problem(cell, "Rodéos sur le parking Nord", found["urban_rodeo"][:2])
    dossier.status = ProblemStatus.response
    factory._save(dossier)
    start = _ago(330)
    for title, body, lead, kind, status, due, effect, indicator in (
        (
            "Patrouilles pédestres en soirée",
            cell,
            police,
            ActionKind.deterrent,
            ActionStatus.done,
            -60,
            Effect.positive,
            "Regroupements signalés : de 14 à 4 par semaine",
        ),
        (
            "Vidéoprotection du hall 4",
            group,
            housing,
            ActionKind.deterrent,
            ActionStatus.done,
            -40,
            Effect.mixed,
            "Dégradations : -60 % ; déplacement vers le hall 6",
        ),
        (
            "Médiation de rue, vendredi et samedi",
            cell,
            mediation,
            ActionKind.preventive,
            ActionStatus.done,
            -20,
            Effect.positive,
            "Plaintes pour bruit : -35 %",
        ),
        (
            "Barrières anti-rodéo parking Nord",
            cell,
            city,
            ActionKind.preventive,
            ActionStatus.in_progress,
            -6,
            None,
            "",
        ),
        (
            "Fermeture des halls par badge",
            group,
            housing,
            ActionKind.preventive,
            ActionStatus.in_progress,
            25,
            None,
            "",
        ),
        ("Chantier éducatif d'été", cell, city, ActionKind.preventive, ActionStatus.planned, 60, None, ""),
        (
            "Opération de contrôle coordonnée",
            group,
            police,
            ActionKind.repressive,
            ActionStatus.done,
            -90,
            None,
            "",
        ),
        (
            "Verbalisation du stationnement gênant",
            copil,
            municipal,
            ActionKind.repressive,
            ActionStatus.in_progress,
            -12,
            None,
            "",
        ),
        ("Réunion des locataires", cell, housing, ActionKind.preventive, ActionStatus.abandoned, 5, None, ""),
    ):
        _action(
            factory,
            body,
            lead,
            title,
            kind=kind,
            status=status,
            due_in_days=due,
            effect=effect,
            indicator=indicator,
            created=start,
            finished=_ago(30) if status in (ActionStatus.done, ActionStatus.abandoned) else None,
            **({"progress": 40} if status == ActionStatus.in_progress else {}),
        )
    for month in range(1, 13):
        for body, attendance in (
            (cell, (AttendanceStatus.present,) * 3 + (AttendanceStatus.absent,)),
            (north, (AttendanceStatus.present, AttendanceStatus.excused) * 2),
        ):
            if month % (1 if body is cell else 2):
                continue
            meeting = _meeting(factory, body, _local(y - 1, month, 12, 14), MeetingStatus.minutes_approved)
            for person, status in zip(people, attendance, strict=True):
                factory.invite(meeting, person, status)
    return centre, plenary, coordinator, mayor


@pytest.mark.browser
def test_a_coordinator_draws_up_a_diagnostic_and_the_mayor_downloads_the_annual_report(
    page: Any, live_server: str, factory: Factory, screenshot_dir: Path, tmp_path: Path
) -> None:
    centre, plenary, coordinator, mayor = _demo_city(factory)
    _log_in(page, live_server, coordinator.email)
    page.get_by_role("link", name=translate("Diagnostics", "fr"), exact=True).first.click()
    page.locator("a[href='/diagnostics/new']").first.click()
    page.locator("#field-title").fill("Diagnostic local de sécurité du Centre-ville")
    page.locator("#field-sector_id").select_option(str(centre.id))
    page.locator("#field-since").fill((TODAY - timedelta(days=364)).isoformat())
    page.locator("#field-until").fill(TODAY.isoformat())
    page.locator("#diagnostic-form button[type=submit]").click()
    page.wait_for_selector(".flash--success")
    page.locator("#field-conclusions").fill(
        "Les regroupements dans les halls et le bruit nocturne progressent, le trafic recule légèrement. "
        "Les patrouilles pédestres et la médiation de rue ont un effet positif mesuré : elles sont "
        "reconduites. Priorités pour l'année : terminer les barrières anti-rodéo, étendre la médiation "
        "au hall 6 et suivre le déplacement des regroupements."
    )
    page.locator("#conclusions button[type=submit]").click()
    page.wait_for_selector("#conclusions-status:has-text(':')")
    assert page.locator("#conclusions-version").get_attribute("value") == "2"
    page.screenshot(path=str(screenshot_dir / "diagnostic-page.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("a[href$='.pdf']").first.click()
    pdf = tmp_path / "diagnostic.pdf"
    download_info.value.save_as(pdf)
    text = _words(_pdf_text(pdf.read_bytes(), tmp_path))
    assert "Patrouilles pédestres en soirée" in text and "étendre la médiation au hall 6" in text
    _first_page(pdf, screenshot_dir / "diagnostic-pdf")

    page.context.clear_cookies()
    _log_in(page, live_server, mayor.email)
    page.goto(f"{live_server}/bodies/{plenary.id}")
    page.locator(f"a[href^='/bodies/{plenary.id}/annual-report']").first.click()
    page.locator(f"a[href$='annual-report?year={TODAY.year - 1}']").click()
    page.wait_for_url(re.compile(rf".*year={TODAY.year - 1}$"))
    page.screenshot(path=str(screenshot_dir / "annual-report-page.png"), full_page=True)
    with page.expect_download() as download_info:
        page.locator("a[href*='annual-report.pdf']").first.click()
    pdf = tmp_path / "rapport.pdf"
    download_info.value.save_as(pdf)
    assert "Cellule de veille du Centre-ville" in _words(_pdf_text(pdf.read_bytes(), tmp_path))
    _first_page(pdf, screenshot_dir / "annual-report-pdf")

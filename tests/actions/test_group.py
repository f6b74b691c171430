"""A crime-treatment group's life through its pages: the days left and the actions at risk, the
chair's mid-term review (not before the middle of the period, not by a member), the renewal
(a later date, not in the past), closing (read-only afterwards), the final report as a PDF, and
a page whose query count does not grow with the number of actions. The browser test leaves
screenshots of the page and of the report's first page in test-artifacts/."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from markupsafe import escape
from sqlmodel import Session, col, select

from tests.factories import PASSWORD, Factory, World
from veille.actions import groups
from veille.actions.enums import ActionKind, ActionStatus, Effect, ReviewKind
from veille.actions.models import Action, GroupReview
from veille.audit.models import AuditEvent
from veille.bodies.enums import BodyKind, BodyStatus, MemberRole
from veille.bodies.models import Body
from veille.directory.enums import OrganisationKind
from veille.directory.models import Organisation, User
from veille.i18n import translate
from veille.labels import LABELS
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation

# The day the pages reckon with: the city's (the settings' default time zone).
TODAY = datetime.now(ZoneInfo("Europe/Paris")).date()


def _in_french(message: str) -> str:
    """A message as the French page shows it (escaped like the template does)."""
    return str(escape(translate(message, "fr")))


def _label(group: str, code: str) -> str:
    return translate(LABELS[group][code], "fr")


def _make_group(factory: Factory, body: Body, *, started_days_ago: int = 40, ends_in: int = 60) -> Body:
    body.kind = BodyKind.crime_treatment_group
    body.starts_on = TODAY - timedelta(days=started_days_ago)
    body.ends_on = TODAY + timedelta(days=ends_in)
    factory._save(body)
    return body


@pytest.fixture
def group(world: World, factory: Factory) -> Body:
    """The world's body as a crime-treatment group: 40 days gone by, 60 left (mid-term in 10)."""
    return _make_group(factory, world.body)


def _fresh(session: Session) -> None:
    session.rollback()
    session.expire_all()


def _reviews(session: Session, body: Body) -> list[GroupReview]:
    _fresh(session)
    return list(
        session.exec(select(GroupReview).where(GroupReview.body_id == body.id).order_by(col(GroupReview.id)))
    )


def _section(html: str, start: str, end: str) -> str:
    return html.split(start, 1)[1].split(end, 1)[0]


def test_page_shows_the_days_left_and_the_actions_at_risk(
    client_for: Any, world: World, group: Body, factory: Factory
) -> None:
    lead = world.organisation
    overdue = factory.action(group, lead, "Patrouilles pédestres rue des Lilas", due_in_days=-5)
    slow = factory.action(group, lead, "Réunion avec le bailleur", due_in_days=6, progress=20)
    fine = factory.action(group, lead, "Éclairage du parking", due_in_days=6, progress=80)
    later = factory.action(group, lead, "Chantier éducatif", due_in_days=45)
    finished = factory.action(group, lead, "Fermeture du hall B", status=ActionStatus.done, due_in_days=-3)

    page = client_for(world.member).get(f"/bodies/{group.id}/group")

    assert page.status_code == 200, page.text
    assert '<span class="gltd-clock__number">60</span>' in page.text
    assert "40 %" in page.text  # 40 days of 100
    risks = _section(page.text, 'id="risk-title"', 'id="counts-title"')
    assert f'href="/actions/{overdue.id}"' in risks and f'href="/actions/{slow.id}"' in risks
    for quiet in (fine, later, finished):
        assert quiet.title not in risks
    assert risks.index(overdue.title) < risks.index(slow.title)  # soonest due first
    counts = _section(page.text, 'id="counts-title"', 'id="reviews-title"')
    assert re.search(r"<tfoot>.*>5</td></tr>", counts, re.S)  # five actions in all
    # A member sees no chair's form.
    assert "/group/renew" not in page.text and "/group/close" not in page.text


def test_the_open_tile_and_the_table_count_the_same_actions(
    client_for: Any, world: World, group: Body, factory: Factory, tmp_path: Path
) -> None:
    """The tile of open actions is not called like the "in progress" column (issue 17: "En
    cours" 4 against 2): it says what it counts, the sum of the three open columns below."""
    lead = world.organisation
    statuses = [ActionStatus.proposed, ActionStatus.planned] + [ActionStatus.in_progress] * 2
    for status in statuses:
        factory.action(group, lead, f"Action {status}", status=status)
    factory.action(group, lead, "Fermeture du hall B", status=ActionStatus.done)

    page = client_for(world.member).get(f"/bodies/{group.id}/group").text

    tiles = _section(page, 'class="tiles gltd-figures"', "</dl>")
    tile = re.search(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", tiles.split("</div>", 1)[1])
    assert tile is not None and tile.group(2) == "4"
    status_labels = {_label("action_status", s) for s in ActionStatus}
    assert tile.group(1) not in status_labels and tile.group(1) == _in_french("Still open")
    footer = _section(page, "<tfoot>", "</tfoot>")
    cells = [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', footer)]
    assert cells == [1, 1, 2, 1, 0, 5] and sum(cells[:3]) == 4
    response = client_for(world.member).get(f"/bodies/{group.id}/group/report.pdf")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (poppler-utils)")
    words = " ".join(_pdf_text(response.content, tmp_path, layout=False).split())
    # The PDF's text, split into words, has plain spaces where the French has no-break ones.
    explained = translate("Still open: the actions proposed, planned or in progress (%(num)s).", "fr")
    explained = " ".join(explained.split())
    assert explained % {"num": 4} in words
    assert _label("action_status", "in_progress") != translate("Still open", "fr")


def test_only_a_crime_treatment_group_has_this_life(
    client_for: Any, world: World, group: Body, factory: Factory
) -> None:
    assert client_for(world.admin).get(f"/bodies/{world.other_body.id}/group").status_code == 404
    assert client_for(world.other).get(f"/bodies/{group.id}/group").status_code == 404
    assert client_for(world.guest).get(f"/bodies/{group.id}/group").status_code == 403
    assert client_for(world.guest).get(f"/bodies/{group.id}/group/report.pdf").status_code == 403
    assert client_for(world.other).get(f"/bodies/{group.id}/group/report.pdf").status_code == 404
    chair = client_for(world.chair)
    watch_cell = f"/bodies/{world.other_body.id}/group"
    factory.member(world.other_body, world.chair, MemberRole.chair)
    assert chair.form(f"{watch_cell}/reviews", {"kind": "final", "text": "Bilan"}).status_code == 404
    assert chair.form(f"{watch_cell}/close").status_code == 404


def test_mid_term_review_waits_for_the_middle_of_the_period_and_for_the_chair(
    client_for: Any, world: World, group: Body, factory: Factory, session: Session
) -> None:
    chair = client_for(world.chair)
    review = {"kind": "mid_term", "text": "Les patrouilles ont réduit les regroupements."}

    early = chair.form(f"/bodies/{group.id}/group/reviews", review)
    assert early.status_code == 409
    assert _in_french(groups.NOT_YET) in early.text
    assert "Les patrouilles ont réduit les regroupements." in early.text  # the text typed is kept
    assert client_for(world.member).form(f"/bodies/{group.id}/group/reviews", review).status_code == 403
    assert _reviews(session, group) == []

    # Eighty days gone by, sixty left: the mid-term came ten days ago.
    _make_group(factory, group, started_days_ago=80)
    page = chair.get(f"/bodies/{group.id}/group")
    assert 'id="field-mid_term-text"' in page.text
    assert client_for(world.member).form(f"/bodies/{group.id}/group/reviews", review).status_code == 403
    saved = chair.form(f"/bodies/{group.id}/group/reviews", review)
    assert saved.status_code == 303 and saved.headers["location"] == f"/bodies/{group.id}/group"
    conclusions = {"kind": "final", "text": "Objectifs atteints pour deux actions sur trois."}
    assert chair.form(f"/bodies/{group.id}/group/reviews", conclusions).status_code == 303
    assert chair.form(f"/bodies/{group.id}/group/reviews", {"kind": "final", "text": " "}).status_code == 422
    assert (
        chair.form(f"/bodies/{group.id}/group/reviews", {"kind": "renewal", "text": "x"}).status_code == 422
    )

    mid_term, final = _reviews(session, group)
    assert (mid_term.kind, mid_term.created_by) == (ReviewKind.mid_term, world.chair.id)
    assert final.kind == ReviewKind.final and final.text.startswith("Objectifs atteints")
    audited = session.exec(select(AuditEvent).where(AuditEvent.entity == "group_review")).all()
    assert sorted(e.entity_id for e in audited) == [mid_term.id, final.id]
    page = chair.get(f"/bodies/{group.id}/group")
    history = _section(page.text, 'id="reviews-title"', "</section>")
    assert "Les patrouilles ont réduit" in history and "Objectifs atteints" in history
    assert 'id="field-mid_term-text"' not in page.text  # recorded: the form gives way


def test_renewal_needs_a_later_end_date_that_is_not_past(
    client_for: Any, world: World, group: Body, session: Session
) -> None:
    chair = client_for(world.chair)
    ends_on = group.ends_on
    assert ends_on is not None
    url = f"/bodies/{group.id}/group/renew"
    cases = [
        (TODAY - timedelta(days=1), groups.RENEW_PAST),
        (TODAY + timedelta(days=30), groups.RENEW_LATER),
        (ends_on, groups.RENEW_LATER),
    ]
    for day, message in cases:
        response = chair.form(url, {"ends_on": day.isoformat(), "text": "Prolongation"})
        assert response.status_code == 422, day
        assert _in_french(message) in response.text, day
        assert f'value="{day.isoformat()}"' in response.text  # the date typed is kept
    assert chair.form(url, {"ends_on": "bientôt"}).status_code == 422
    assert (
        client_for(world.member)
        .form(url, {"ends_on": (ends_on + timedelta(days=90)).isoformat()})
        .status_code
        == 403
    )
    assert _reviews(session, group) == []
    assert session.get(Body, group.id).ends_on == ends_on  # type: ignore[union-attr]

    new_end = ends_on + timedelta(days=90)
    response = chair.form(url, {"ends_on": new_end.isoformat(), "text": "Les trafics se déplacent."})
    assert response.status_code == 303
    [renewal] = _reviews(session, group)
    assert (renewal.kind, renewal.previous_ends_on, renewal.ends_on) == (ReviewKind.renewal, ends_on, new_end)
    assert session.get(Body, group.id).ends_on == new_end  # type: ignore[union-attr]
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "renew")).one()
    assert event.entity_id == group.id and event.detail["ends_on"] == new_end.isoformat()
    page = chair.get(f"/bodies/{group.id}/group")
    assert '<span class="gltd-clock__number">150</span>' in page.text


def test_closing_makes_the_group_read_only(
    client_for: Any, api_for: Any, world: World, group: Body, session: Session, factory: Factory
) -> None:
    factory.action(group, world.organisation, "Médiation de soirée")
    assert client_for(world.member).form(f"/bodies/{group.id}/group/close").status_code == 403
    chair = client_for(world.chair)
    closed = chair.form(f"/bodies/{group.id}/group/close")
    assert closed.status_code == 303
    _fresh(session)
    assert session.get(Body, group.id).status == BodyStatus.closed  # type: ignore[union-attr]

    action = {
        "body_id": group.id,
        "title": "Nouvelle action après la fin",
        "kind": "preventive",
        "lead_organisation_id": world.chair.organisation_id,
        "due_on": TODAY.isoformat(),
    }
    refused = api_for(world.chair).post("/api/v1/actions", json=action)
    assert refused.status_code == 409, refused.text
    later = (TODAY + timedelta(days=200)).isoformat()
    assert chair.form(f"/bodies/{group.id}/group/renew", {"ends_on": later}).status_code == 409
    assert (
        chair.form(f"/bodies/{group.id}/group/reviews", {"kind": "final", "text": "Bilan"}).status_code == 409
    )
    assert chair.form(f"/bodies/{group.id}/group/close").status_code == 409
    _fresh(session)
    assert [a.title for a in session.exec(select(Action))] == ["Médiation de soirée"]
    assert _reviews(session, group) == []

    page = chair.get(f"/bodies/{group.id}/group")
    assert page.status_code == 200
    assert "/group/renew" not in page.text and "/group/reviews" not in page.text
    assert "/group/close" not in page.text
    assert client_for(world.member).get(f"/bodies/{group.id}/group/report.pdf").status_code == 200


def _pdf_text(pdf: bytes, tmp_path: Path, *, layout: bool) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", *(["-layout"] if layout else []), str(path), "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def test_members_download_the_final_report(
    client_for: Any, world: World, group: Body, factory: Factory, tmp_path: Path
) -> None:
    police, city = world.organisation, world.chair.organisation
    social = factory.organisation("Service social départemental", OrganisationKind.social_services)
    seen = factory.situation(group, world.member, "Regroupements dans le hall", category="hall_occupation")
    rodeo = factory.situation(group, world.member, "Rodéos sur le parking", category="urban_rodeo")
    social_worker = factory.user("Sonia Sociale", organisation=social)
    factory.member(group, social_worker)
    hidden = factory.situation(
        group,
        social_worker,
        "Famille en difficulté",
        category="other",
        confidentiality=Confidentiality.social,
    )
    factory.action(
        group,
        police,
        "Patrouilles pédestres rue des Lilas",
        status=ActionStatus.done,
        kind=ActionKind.deterrent,
        situations=[seen, rodeo],
        effect=Effect.positive,
        indicator="Regroupements : de 12 à 3 par semaine",
        evaluation="Présence visible chaque soir.",
    )
    factory.action(
        group, city, "Chantier éducatif d'été", status=ActionStatus.in_progress, situations=[hidden]
    )
    factory.action(group, city, "Réunion avec le bailleur", status=ActionStatus.done, situations=[seen])
    factory.action(
        group, police, "Contrôles routiers", kind=ActionKind.repressive, status=ActionStatus.abandoned
    )

    response = client_for(world.member).get(f"/bodies/{group.id}/group/report.pdf")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (poppler-utils)")
    words = " ".join(_pdf_text(response.content, tmp_path, layout=False).split())
    for title in ("Patrouilles pédestres rue des Lilas", "Chantier éducatif d'été", "Contrôles routiers"):
        assert title in words
    assert "Regroupements : de 12 à 3 par semaine" in words and "Présence visible chaque soir." in words
    assert "Famille en difficulté" not in words
    table = _pdf_text(response.content, tmp_path, layout=True)
    # Kind × status (proposed, planned, in progress, done, abandoned, total), then the totals.
    for kind, cells in (
        ("preventive", "0 0 1 1 0 2"),
        ("deterrent", "0 0 0 1 0 1"),
        ("repressive", "0 0 0 0 1 1"),
    ):
        numbers = r"\s+".join(cells.split())
        assert re.search(rf"{_label('action_kind', kind)}\s+{numbers}\n", table), kind
    assert re.search(r"\n\s*Total\s+0\s+0\s+1\s+2\s+1\s+4\n", table)
    # Finished actions by effect: one positive, one not evaluated.
    assert re.search(r"Positive effect\s+1\n", table) or re.search(r"Effet positif\s+1\n", table)
    # Reports handled: three distinct reports; the member reads two whole, the social one is
    # counted as a coordination, its category withheld.
    reports = " ".join(table.split("Occupation de halls", 1)[1].split())
    assert reports.startswith("1 Rodéos urbains 1 "), reports
    assert re.match(r"[^\d]+ 1 Total 3 ", reports.split("Rodéos urbains 1 ", 1)[1]), reports


def test_group_page_queries_do_not_grow_with_its_actions(
    client_for: Any, world: World, group: Body, factory: Factory, queries: Any
) -> None:
    client = client_for(world.chair)
    owners = [world.chair, world.secretary, world.member]

    def add(n: int) -> None:
        for i in range(n):
            factory.action(
                group,
                world.organisation,
                f"Action {i}",
                kind=list(ActionKind)[i % 3],
                owner=owners[i % 3],
                due_in_days=(i % 20) - 5,
                progress=(i * 7) % 100,
            )

    add(3)
    client.get(f"/bodies/{group.id}/group")  # warm up
    with queries() as few:
        assert client.get(f"/bodies/{group.id}/group").status_code == 200
    add(27)
    with queries() as many:
        page = client.get(f"/bodies/{group.id}/group")
    assert page.status_code == 200 and page.text.count('class="gltd-risk') > 3
    assert many.count == few.count <= 12, many.statements


# In a real browser


def _log_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.locator("#field-email").fill(email)
    page.locator("#field-password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/$"))


def _demo_group(factory: Factory) -> tuple[Body, User]:
    """A group as a city runs one: a prosecutor chairs it, five partners, eleven actions, a
    renewal and a mid-term review."""
    justice = factory.organisation("Parquet de Villeneuve", OrganisationKind.justice)
    police = factory.organisation("Police nationale – commissariat central", OrganisationKind.police)
    municipal = factory.organisation("Police municipale", OrganisationKind.municipal_police)
    housing = factory.organisation("Habitat du Val", OrganisationKind.housing_provider)
    mediation = factory.organisation("Association Trait d'union", OrganisationKind.mediation)
    city = factory.organisation("Ville – prévention", OrganisationKind.city)
    chair = factory.user("Claire Vasseur", organisation=justice, email="procureure@example.org")
    sector = factory.sector("Les Tilleuls", "TIL")
    body = factory.body("GLTD Les Tilleuls – Lilas", kind=BodyKind.crime_treatment_group, sectors=[sector])
    body.description = "Trafic de stupéfiants et occupation des halls autour de la place des Lilas."
    _make_group(factory, body, started_days_ago=123, ends_in=57)
    factory.member(body, chair, MemberRole.chair)
    people = {}
    for organisation, name in (
        (city, "Marc Lemoine"),
        (police, "Karim Benali"),
        (municipal, "Julie Marchand"),
        (housing, "Paul Girard"),
        (mediation, "Inès Fontaine"),
    ):
        people[organisation.id] = factory.user(name, organisation=organisation)
        role = MemberRole.secretary if organisation is city else MemberRole.member
        factory.member(body, people[organisation.id], role)

    def report(organisation: Organisation, title: str, category: str) -> Situation:
        return factory.situation(body, people[organisation.id], title, category=category)

    hall = report(housing, "Regroupements hall 4", "hall_occupation")
    deal = report(police, "Point de deal place des Lilas", "drug_dealing")
    rodeo = report(municipal, "Rodéos parking Nord", "urban_rodeo")
    prevent, deter, repress = ActionKind
    _, planned, started, done, abandoned = ActionStatus
    evaluated = {
        "Patrouilles pédestres en soirée": (
            Effect.positive,
            "Regroupements signalés : de 14 à 4 par semaine",
        ),
        "Vidéoprotection du hall 4": (
            Effect.mixed,
            "Dégradations du hall : -60 % ; déplacement vers le hall 6",
        ),
        "Opération de contrôle coordonnée": (Effect.positive, "9 interpellations, 2 déferrements"),
    }
    for title, lead, kind, status, due, progress, linked in (
        ("Patrouilles pédestres en soirée", police, deter, done, -20, 100, [deal]),
        ("Vidéoprotection du hall 4", housing, deter, done, -10, 100, [hall]),
        ("Opération de contrôle coordonnée", police, repress, done, -35, 100, [deal]),
        ("Fermeture des halls par badge", housing, prevent, started, -4, 60, [hall]),
        ("Médiation de rue, vendredi et samedi", mediation, prevent, started, 9, 30, []),
        ("Barrières anti-rodéo parking Nord", city, prevent, planned, 12, 10, [rodeo]),
        ("Chantier éducatif d'été", city, prevent, planned, 40, 0, []),
        ("Verbalisation du stationnement gênant", municipal, repress, started, 25, 70, []),
        ("Déferrements en comparution immédiate", justice, repress, started, 50, 45, [deal]),
        ("Réunion des locataires", housing, prevent, abandoned, 5, 0, []),
        ("Éclairage de la place des Lilas", city, prevent, done, -40, 100, []),
    ):
        effect, indicator = evaluated.get(title, (None, ""))
        factory.action(
            body,
            lead,
            title,
            kind=kind,
            status=status,
            due_in_days=due,
            situations=linked,
            effect=effect,
            indicator=indicator,
            evaluation="Évalué en séance du groupe." if effect else "",
            # A done action is at 100 % (the factory sees to it).
            **({"progress": progress} if status != done else {}),
        )
    assert body.ends_on is not None
    renewal = GroupReview(
        body_id=body.id or 0,
        kind=ReviewKind.renewal,
        text="Le groupe est prolongé de deux mois : le point de deal se reconstitue après chaque opération.",
        previous_ends_on=body.ends_on - timedelta(days=61),
        ends_on=body.ends_on,
        created_by=chair.id,
    )
    mid_term = GroupReview(
        body_id=body.id or 0,
        kind=ReviewKind.mid_term,
        text="À mi-parcours, les regroupements du hall 4 ont nettement baissé. Le trafic se déplace vers "
        "le hall 6 : les patrouilles y sont étendues et le bailleur accélère la pose des badges.",
        created_by=chair.id,
    )
    factory._save(renewal)
    factory._save(mid_term)
    return body, chair


@pytest.mark.browser
def test_the_chair_follows_and_closes_a_group_in_a_browser(
    page: Any, live_server: str, factory: Factory, screenshot_dir: Path, tmp_path: Path
) -> None:
    body, chair = _demo_group(factory)
    _log_in(page, live_server, chair.email)
    page.goto(f"{live_server}/bodies/{body.id}/group")
    assert page.locator(".gltd-clock__number").inner_text() == "57"
    assert page.locator(".gltd-risk").count() == 3
    page.screenshot(path=str(screenshot_dir / "gltd-page.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(screenshot_dir / "gltd-page-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator("#field-final-text").fill(
        "Le groupe a atteint l'essentiel de ses objectifs : les regroupements et le point de deal de la "
        "place des Lilas ont fortement reculé. La vigilance reste nécessaire sur le hall 6 ; la cellule "
        "de veille du secteur reprend le suivi des actions encore ouvertes."
    )
    page.locator("form:has(#field-final-text) button[type=submit]").click()
    page.wait_for_selector(".flash--success")
    page.locator("form[action$='/group/close'] button[type=submit]").click()
    page.get_by_role("dialog").locator("button[value=confirm]").click()
    page.wait_for_selector(".notice--info")
    assert page.locator("form[action$='/group/renew']").count() == 0

    with page.expect_download() as download_info:
        page.locator("a[href$='/group/report.pdf']").first.click()
    pdf = tmp_path / "rapport.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = " ".join(_pdf_text(pdf.read_bytes(), tmp_path, layout=False).split())
    assert (
        "Patrouilles pédestres en soirée" in text and "reprend le suivi des actions encore ouvertes" in text
    )
    first_page = ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile"]
    subprocess.run([*first_page, str(pdf), str(screenshot_dir / "gltd-final-report")], check=True)

"""The statistics page, its exports and the counting API, on a known data set: every figure
compared with the expected number, as each person may see it."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import openpyxl
import pytest
from sqlalchemy import insert
from sqlmodel import Session

from tests.factories import Factory, World
from veille.actions.enums import ActionKind, ActionStatus, Effect
from veille.directory.enums import OrganisationKind
from veille.orm import utcnow
from veille.situations.enums import Confidentiality
from veille.situations.models import Category, Situation, SituationReferral

PERIOD = "since=2025-01-01&until=2026-12-31"
SECRET = "Zorglub"  # in the text of the confidential reports only


def _report(factory: Factory, world: World, when: datetime, category: str, **values: Any) -> Situation:
    author = values.pop("author", world.member)
    situation = factory.situation(world.body, author, f"Fait {category}", category=category, **values)
    situation.occurred_at = when
    factory._save(situation)
    return situation


@pytest.fixture
def reports(factory: Factory, world: World) -> dict[str, Situation]:
    mediation = factory.organisation("Médiation", OrganisationKind.mediation)
    worker = factory.user("Sam Médiateur", organisation=mediation, email="sam@example.org")
    factory.member(world.body, worker)
    return {
        "hall_2025": _report(factory, world, datetime(2025, 3, 10, 20, tzinfo=UTC), "hall_occupation"),
        # 22:30 UTC on 31 March is 00:30 on 1 April in Paris: an April report.
        "noise_2025": _report(factory, world, datetime(2025, 3, 31, 22, 30, tzinfo=UTC), "noise_nightlife"),
        "hall_2026": _report(factory, world, datetime(2026, 3, 5, 9, tzinfo=UTC), "hall_occupation"),
        "restricted": _report(
            factory,
            world,
            datetime(2026, 3, 6, 9, tzinfo=UTC),
            "drug_dealing",
            author=world.chair,
            confidentiality=Confidentiality.restricted,
            description=f"Point de deal, {SECRET}",
        ),
        "social": _report(
            factory,
            world,
            datetime(2026, 4, 2, 9, tzinfo=UTC),
            "vulnerable_person",
            author=worker,
            confidentiality=Confidentiality.social,
            description=f"Famille {SECRET}",
        ),
        # Outside the period.
        "old": _report(factory, world, datetime(2024, 12, 31, 12, tzinfo=UTC), "hall_occupation"),
    }


def _table(page: str, title: str) -> str:
    start = page.index(title)
    return page[start : page.index("</table>", start)]


def _rows(client: Any, table: str) -> list[list[Any]]:
    """A table of the page as its CSV export gives it."""
    response = client.get(f"/stats/export?{PERIOD}&table={table}&format=csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").strip().split("\r\n")
    return [[int(c) if c.isdigit() else c for c in line.split(";")] for line in lines]


def test_reports_by_month_years_side_by_side_as_each_reader_sees_them(
    client_for: Any, world: World, reports: dict[str, Situation]
) -> None:
    member = _rows(client_for(world.member), "reports_by_month")
    assert member[0] == ["Mois", 2025, 2026]
    assert member[3] == ["Mars", 1, 1]
    assert member[4] == ["Avril", 1, 1]  # the time-zone edge, and the social stub (its date shows)
    assert member[1] == ["Janvier", 0, 0]  # empty months are zeros
    assert member[-1] == ["Total", 2, 2]
    chair = _rows(client_for(world.chair), "reports_by_month")
    assert chair[3] == ["Mars", 1, 2]  # the restricted report counts for the chair
    assert chair[-1] == ["Total", 2, 3]


def test_reports_by_category_hide_what_a_stub_hides(
    client_for: Any, world: World, reports: dict[str, Situation]
) -> None:
    member = {row[0]: row[1:] for row in _rows(client_for(world.member), "reports_by_category")[1:]}
    assert member["Occupation de halls"] == [1, 1, 2]
    assert member["Bruit et vie nocturne"] == [1, 0, 1]
    assert member["Coordination sociale (non détaillée)"] == [0, 1, 1]
    assert "Trafic de stupéfiants" not in member
    assert member["Total"] == [2, 2, 4]
    coordinator = {row[0]: row[1:] for row in _rows(client_for(world.coordinator), "reports_by_category")[1:]}
    assert coordinator["Trafic de stupéfiants"] == [0, 1, 1]  # every body's aggregates, restricted included
    assert coordinator["Coordination sociale (non détaillée)"] == [0, 1, 1]
    severity = {row[0]: row[1] for row in _rows(client_for(world.member), "reports_by_severity")[1:]}
    assert severity["2 – Modérée"] == 3 and severity["Coordination sociale (non détaillée)"] == 1


def test_restricted_reports_never_lend_their_text_to_any_export(
    client_for: Any, world: World, reports: dict[str, Situation]
) -> None:
    for user in (world.chair, world.coordinator, world.member):
        client = client_for(user)
        page = client.get(f"/stats?{PERIOD}")
        assert page.status_code == 200 and SECRET not in page.text
        book = client.get(f"/stats/export?{PERIOD}&format=xlsx")
        assert book.status_code == 200 and SECRET.encode() not in book.content
        sheets = openpyxl.load_workbook(io.BytesIO(book.content))
        cells = [str(c.value) for sheet in sheets.worksheets for row in sheet.iter_rows() for c in row]
        assert not any(SECRET in c for c in cells)
        assert len(sheets.worksheets) == 7
    # Sheets named by their tables, cut after a whole word; files named in the reader's words.
    names = [sheet.title for sheet in sheets.worksheets]
    assert all(len(n) <= 31 for n in names), names
    assert "Signalements par mois, années…" in names and "Évaluations des actions…" in names, names
    book = client.get(f"/stats/export?{PERIOD}&format=xlsx")
    assert 'filename="veille-statistiques-tous-les-tableaux-' in book.headers["content-disposition"]
    one = client.get(f"/stats/export?{PERIOD}&table=reports_by_category&format=csv")
    assert 'filename="veille-statistiques-signalements-par-categorie-' in one.headers["content-disposition"]


def test_exports_neutralise_formulas(client_for: Any, world: World, factory: Factory) -> None:
    factory._save(Category(code="evil", name='=HYPERLINK("http://x")'))
    _report(factory, world, datetime(2026, 2, 1, 12, tzinfo=UTC), "evil")
    client = client_for(world.member)
    csv = client.get(f"/stats/export?{PERIOD}&table=reports_by_category&format=csv").content.decode(
        "utf-8-sig"
    )
    assert "'=HYPERLINK" in csv
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(f"/stats/export?{PERIOD}&table=reports_by_category&format=xlsx").content)
    )
    cell = next(c for row in book.active.iter_rows() for c in row if str(c.value).startswith("=HYPER"))
    assert cell.data_type == "s"  # a string, not a formula


def test_statistics_api_counts(api_for: Any, world: World, reports: dict[str, Situation]) -> None:
    api = api_for(world.member)
    rows = api.get("/api/v1/stats/situations?group_by=category&since=2025-01-01").json()["rows"]
    assert sorted((r["category"] or "", r["count"]) for r in rows) == [
        ("", 1),
        ("hall_occupation", 2),
        ("noise_nightlife", 1),
    ]
    by_month = api.get("/api/v1/stats/situations?group_by=month&category=hall_occupation").json()["rows"]
    assert sorted((r["month"], r["count"]) for r in by_month) == [
        ("2024-12", 1),
        ("2025-03", 1),
        ("2026-03", 1),
    ]
    assert api.get("/api/v1/stats/situations?group_by=colour").status_code == 422
    assert api.get("/api/v1/stats/situations?group_by=category&category=nope").status_code == 422
    assert api_for(world.other).get("/api/v1/stats/situations?group_by=body").json()["rows"] == []
    assert api_for(None).get("/api/v1/stats/situations?group_by=body").status_code == 401


def _action(factory: Factory, world: World, kind: ActionKind, status: ActionStatus, **values: Any) -> None:
    created = values.pop("created", None)
    done = values.pop("done_days", None)
    action = factory.action(world.body, world.organisation, kind=kind, status=status, **values)
    if created is not None:
        action.created_at = created
        action.done_at = created + timedelta(days=done) if done is not None else None
        factory._save(action)


def test_action_figures(
    client_for: Any, api_for: Any, world: World, factory: Factory, session: Session
) -> None:
    start = datetime(2026, 1, 10, 9, tzinfo=UTC)
    _action(factory, world, ActionKind.preventive, ActionStatus.done, created=start, done_days=10)
    _action(
        factory,
        world,
        ActionKind.preventive,
        ActionStatus.done,
        created=start,
        done_days=30,
        effect=Effect.positive,
    )
    _action(factory, world, ActionKind.preventive, ActionStatus.in_progress, due_in_days=-3, created=start)
    _action(factory, world, ActionKind.deterrent, ActionStatus.planned, created=start)
    _action(factory, world, ActionKind.repressive, ActionStatus.abandoned, created=start)
    client = client_for(world.member)
    kinds = {row[0]: row[1:] for row in _rows(client, "actions_by_kind")[1:]}
    # Proposed, planned, in progress, done, abandoned, total.
    assert kinds["Préventive"] == [0, 0, 1, 2, 0, 3]
    assert kinds["Dissuasive"] == [0, 1, 0, 0, 0, 1]
    assert kinds["Répressive"] == [0, 0, 0, 0, 1, 1]
    assert kinds["Total"] == [0, 1, 1, 2, 1, 5]
    leads = _rows(client, "actions_by_lead")
    assert leads[1] == ["Police nationale", 5, 2, 1, "50,0"]
    effects = {row[0]: row[1] for row in _rows(client, "actions_by_effect")[1:]}
    assert effects["Positif"] == 1 and effects["Total"] == 1
    page = client.get(f"/stats?{PERIOD}").text
    assert "50 %" in page and "20 jours" in page  # completion rate, median delay (10 and 30 days)
    rows = api_for(world.member).get("/api/v1/stats/actions?group_by=kind&since=2025-01-01").json()["rows"]
    assert {r["kind"]: (r["count"], r["overdue"]) for r in rows} == {
        "preventive": (3, 1),
        "deterrent": (1, 0),
        "repressive": (1, 0),
    }
    assert api_for(world.other).get("/api/v1/stats/actions?group_by=kind").json()["rows"] == []


def test_empty_period(client_for: Any, world: World, reports: dict[str, Situation]) -> None:
    client = client_for(world.member)
    next_year = date.today().year + 1
    page = client.get(f"/stats?since={next_year}-01-01&until={next_year}-12-31")
    assert page.status_code == 200
    assert "Rien à compter sur cette période." in page.text
    bad = client.get(f"/stats?since={next_year}-01-01&until={next_year - 1}-01-01")
    assert "La fin de la période précède son début." in bad.text


def test_statistics_page_queries_are_bounded_at_100000_reports(
    client_for: Any, world: World, factory: Factory, session: Session, queries: Any
) -> None:
    client = client_for(world.coordinator)
    _report(factory, world, datetime(2026, 2, 1, 12, tzinfo=UTC), "hall_occupation")
    with queries() as few:
        assert client.get("/stats").status_code == 200
    category = factory.category("noise_nightlife").id
    start = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [
        {
            "body_id": world.body.id,
            "title": f"Bruit {n}",
            "description": "",
            "category_id": category,
            "sector_id": world.sector.id,
            "place": "",
            "occurred_at": start + timedelta(minutes=17 * n),
            "severity": 1 + n % 4,
            "status": "open",
            "confidentiality": "body",
            "names_person": False,
            "created_by": world.member.id,
            "organisation_id": world.member.organisation_id,
            "created_at": start,
            "updated_at": start,
            "version": 1,
        }
        for n in range(100_000)
    ]
    session.execute(insert(Situation), rows)
    session.commit()
    with queries() as many:
        page = client.get("/stats?since=2024-01-01")
    assert page.status_code == 200
    assert many.count == few.count <= 30, many.statements


def test_counts_are_remembered_until_a_record_changes(
    client_for: Any, world: World, factory: Factory, reports: dict[str, Situation], queries: Any
) -> None:
    """A worker counts the page once for what it is made of (stats.service.counted): a second
    view reads only the data version, and a new report, a referral or a new action shows at
    once, for each reader as the rule says."""
    chair = client_for(world.chair)
    with queries() as first:
        assert _rows(chair, "reports_by_month")[-1] == ["Total", 2, 3]
    with queries() as again:
        assert _rows(chair, "reports_by_month")[-1] == ["Total", 2, 3]
    # Four grouped counts and the marks fewer: the marks are read again when the data version moved.
    assert again.count == first.count - 5, again.statements
    _report(factory, world, datetime(2026, 5, 2, 9, tzinfo=UTC), "noise_nightlife")
    assert _rows(chair, "reports_by_month")[-1] == ["Total", 2, 4]

    # A report referred to another body counts at once for that body's members.
    other = factory.body("Cellule du quartier nord")
    reader = factory.user(
        "Lou Lecteur", organisation=factory.organisation("Bailleur"), email="lou@example.org"
    )
    factory.member(other, reader)
    outsider = client_for(reader)
    assert _rows(outsider, "reports_by_month")[-1] == ["Total", 0, 0]
    factory._save(
        SituationReferral(situation_id=reports["hall_2026"].id, body_id=other.id, referred_at=utcnow())
    )
    assert _rows(outsider, "reports_by_month")[-1] == ["Total", 0, 1]

    # An action recorded counts at once.
    kinds = _rows(chair, "actions_by_kind")
    factory.action(world.body, world.organisation, title="Médiation du soir")
    assert _rows(chair, "actions_by_kind")[-1][-1] == kinds[-1][-1] + 1

"""Activity figures: a street team's published history (data/outreach-activity-2013-2016.csv)
gives back its month × year tables, totals and year-on-year changes, computed here again from
the CSV; the grid saves counts cell by cell (htmx) or whole, refuses what is not a count and
writes nothing half; exports neutralise formulas; only the organisation's members and the
staff reach its figures; the pages cost a bounded number of queries."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlmodel import Session, col, select

import veille
from tests.factories import PASSWORD, Factory, World
from veille.activity import counts as activity_counts
from veille.activity import series as activity_series
from veille.activity import tables as activity_tables
from veille.activity.models import ActivityCount, ActivitySeries
from veille.audit.models import AuditEvent
from veille.directory.enums import OrganisationKind
from veille.directory.models import Organisation, User
from veille.i18n import translate

DATA = Path(veille.__file__).resolve().parent / "data" / "outreach-activity-2013-2016.csv"
LINK = "Développer le lien"
CALLS = "Appels reçus « voisinage »"
YEARS = [2013, 2014, 2015, 2016]
NEXT_MONTHS = date.today().replace(day=1) + timedelta(days=62)  # safely after this month


def published() -> list[tuple[str, str, int]]:
    with DATA.open(encoding="utf-8", newline="") as source:
        return [(r["series"], r["month"], int(r["count"])) for r in csv.DictReader(source)]


def expected() -> dict[str, dict[tuple[int, int], int]]:
    """(year, month) → count per series, read from the CSV here, not by the application."""
    found: dict[str, dict[tuple[int, int], int]] = defaultdict(dict)
    for name, month, count in published():
        found[name][(int(month[:4]), int(month[5:7]))] = count
    return found


def load(factory: Factory, organisation: Organisation) -> dict[str, ActivitySeries]:
    """The CSV written straight to the tables (not through the service under test)."""
    names = list(dict.fromkeys(name for name, _m, _c in published()))
    series = {
        name: factory._save(ActivitySeries(organisation_id=organisation.id, name=name, position=i))
        for i, name in enumerate(names, start=1)
    }
    for name, month, count in published():
        factory.session.add(
            ActivityCount(
                series_id=series[name].id, month=date(int(month[:4]), int(month[5:7]), 1), count=count
            )
        )
    factory.session.commit()
    return series


@pytest.fixture
def team(factory: Factory) -> Organisation:
    return factory.organisation("Équipe de prévention spécialisée", OrganisationKind.mediation)


@pytest.fixture
def worker(factory: Factory, team: Organisation) -> User:
    return factory.user("Wanda Rue", organisation=team, email="wanda@example.org")


def counts(session: Session) -> dict[tuple[str, str], int]:
    session.rollback()
    session.expire_all()
    rows = session.exec(
        select(ActivitySeries.name, ActivityCount.month, ActivityCount.count).join(
            ActivitySeries, col(ActivitySeries.id) == ActivityCount.series_id
        )
    ).all()
    return {(name, activity_counts.month_key(month)): n for name, month, n in rows}


def fr(message: str, **params: Any) -> str:
    return translate(message, "fr", **params)


def change(before: int, after: int) -> float:
    return round((after - before) * 100 / before, 1)


# The month × year tables


def test_month_year_tables_give_back_the_published_figures(
    session: Session, factory: Factory, team: Organisation
) -> None:
    load(factory, team)
    truth = expected()
    tables = activity_tables.year_tables(session, team, today=date(2026, 3, 15))
    assert tables.years == YEARS
    assert [s.series.name for s in tables.series] == list(truth)
    for series in tables.series:
        want = truth[series.series.name]
        for month in range(1, 13):
            # An empty month is no count (None, shown "—"), not 0.
            assert series.row(month) == [want.get((y, month)) for y in YEARS], (series.series.name, month)
        totals = [sum(n for (y, _m), n in want.items() if y == year) for year in YEARS]
        assert series.totals == totals
        assert series.changes == [None, *(change(a, b) if a else None for a, b in pairwise(totals))]
        assert series.months_counted == [5, 5, 5, 6]
    link = tables.series[0]
    assert link.row(5) == [57, 39, 55, 238]
    assert link.totals == [229, 409, 352, 1802]  # as the team published them
    assert link.changes == [None, 78.6, -13.9, 411.9]
    assert link.row(1) == [None] * 4 and link.row(10) == [None, None, None, want_october(truth)]
    calls = next(s for s in tables.series if s.series.name == CALLS)
    assert calls.row(5)[1] == 0  # counted, none: 0, not "—"


def want_october(truth: dict[str, dict[tuple[int, int], int]]) -> int:
    return truth[LINK][(2016, 10)]


def test_year_on_year_change_is_empty_after_a_year_without_counts(
    session: Session, factory: Factory, team: Organisation
) -> None:
    series = factory._save(ActivitySeries(organisation_id=team.id, name="Contacts"))
    for month, n in (
        (date(2019, 3, 1), 10),
        (date(2021, 3, 1), 20),
        (date(2022, 3, 1), 0),
        (date(2023, 3, 1), 5),
    ):
        factory.session.add(ActivityCount(series_id=series.id, month=month, count=n))
    factory.session.commit()
    [years] = activity_tables.year_tables(session, team, today=date(2024, 1, 10)).series
    assert years.years == [2019, 2020, 2021, 2022, 2023]
    assert years.totals == [10, None, 20, 0, 5]
    assert years.changes == [None, None, None, -100.0, None]  # nothing to compare with after 0
    # The filter narrows the years; more than eight years by default keeps the last eight.
    narrowed = activity_tables.year_tables(session, team, since=2021, until=2022, today=date(2024, 1, 10))
    assert narrowed.years == [2021, 2022] and narrowed.series[0].totals == [20, 0]


def _table_rows(html: str, series_id: int) -> list[list[str]]:
    section = html.split(f'id="series-{series_id}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    return [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
        for r in rows
    ]


def test_the_page_shows_each_series_with_its_chart_dashes_and_changes(
    client_for: Any, factory: Factory, team: Organisation, worker: User
) -> None:
    series = load(factory, team)
    page = client_for(worker).get(f"/activity/{team.id}")
    assert page.status_code == 200
    rows = _table_rows(page.text, series[LINK].id or 0)
    header, *body = rows
    assert header[1:] == ["2013", "2014", "2015", "2016"]
    by_month = {r[0]: r[1:] for r in body}
    assert by_month["Mai"] == ["57", "39", "55", "238"]
    assert by_month["Janvier"] == ["—"] * 4
    assert by_month["Octobre"] == ["—", "—", "—", str(want_october(expected()))]
    assert by_month[fr("Total")] == ["229", "409", "352", "1\u202f802"]
    assert by_month[fr(activity_tables.CHANGE)] == ["—", "+78,6\u202f%", "\u221213,9\u202f%", "+411,9\u202f%"]
    # One chart per series: an SVG with its title, and bars for the years.
    assert page.text.count('class="chart__svg"') == 5
    assert "<title>Mai · 2016 : 238</title>" in page.text


def test_member_without_series_is_invited_to_define_them(
    client_for: Any, team: Organisation, worker: User
) -> None:
    client = client_for(worker)
    assert client.get("/activity").headers["location"] == f"/activity/{team.id}"
    page = client.get(f"/activity/{team.id}")
    assert page.status_code == 200 and f'href="/activity/{team.id}/series"' in page.text
    assert f'href="/activity/{team.id}/series"' in client.get(f"/activity/{team.id}/grid").text


# Exports


def test_csv_export_gives_the_tables_and_neutralises_a_formula_name(
    client_for: Any, factory: Factory, team: Organisation, worker: User
) -> None:
    series = load(factory, team)
    formula = factory._save(ActivitySeries(organisation_id=team.id, name="=1+1", position=9))
    factory.session.add(ActivityCount(series_id=formula.id, month=date(2016, 5, 1), count=3))
    factory.session.commit()
    client = client_for(worker)
    response = client.get(f"/activity/{team.id}/export?format=csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert (
        'filename="indicateurs-equipe-de-prevention-specialisee-2013-2016.csv"'
        in response.headers["content-disposition"]
    )
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0] == [fr("Series"), fr("Month"), "2013", "2014", "2015", "2016"]
    assert [LINK, "Mai", "57", "39", "55", "238"] in lines
    assert [LINK, "Janvier", "", "", "", ""] in lines
    assert [LINK, fr("Total"), "229", "409", "352", "1802"] in lines
    assert [LINK, fr(activity_tables.CHANGE_PERCENT), "", "78,6", "-13,9", "411,9"] in lines
    assert ["'=1+1", "Mai", "", "", "", "3"] in lines
    assert not any(row[0].startswith("=") for row in lines)
    # One series alone: its name in the corner, neutralised too.
    one = client.get(f"/activity/{team.id}/export?format=csv&series={formula.id}")
    assert one.content.decode("utf-8-sig").splitlines()[0] == "'=1+1;2013;2014;2015;2016"
    alone = client.get(
        f"/activity/{team.id}/export?format=csv&series={series[LINK].id}&since=2015&until=2016"
    )
    assert alone.content.decode("utf-8-sig").splitlines()[5] == "Mai;55;238"
    assert client.get(f"/activity/{team.id}/export?format=csv&series=999").status_code == 404


def test_xlsx_export_has_one_sheet_per_series_and_keeps_a_formula_as_text(
    client_for: Any, factory: Factory, team: Organisation, worker: User
) -> None:
    load(factory, team)
    formula = factory._save(ActivitySeries(organisation_id=team.id, name="=1+1", position=9))
    factory.session.add(ActivityCount(series_id=formula.id, month=date(2015, 6, 1), count=4))
    factory.session.commit()
    response = client_for(worker).get(f"/activity/{team.id}/export?format=xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [*expected(), "=1+1"]
    sheet = book[LINK]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [LINK, "2013", "2014", "2015", "2016"]
    assert rows[5] == ["Mai", 57, 39, 55, 238]
    assert rows[1] == ["Janvier", None, None, None, None]
    assert rows[13] == [fr("Total"), 229, 409, 352, 1802]
    assert rows[14] == [fr(activity_tables.CHANGE_PERCENT), None, 78.6, -13.9, 411.9]
    corner = book["=1+1"]["A1"]
    assert corner.data_type == "s" and isinstance(corner.value, str) and "=1+1" in corner.value
    assert not str(corner.value).startswith("=")


# The grid


def _grid_form(series: ActivitySeries, **cells: str) -> dict[str, str]:
    return {"year": "2016"} | {
        activity_counts.cell_name(series.id or 0, date(2016, int(m[1:]), 1)): v for m, v in cells.items()
    }


def test_member_enters_a_year_in_the_grid(
    client_for: Any, factory: Factory, session: Session, team: Organisation, worker: User
) -> None:
    contacts = factory._save(ActivitySeries(organisation_id=team.id, name="Contacts", position=1))
    crises = factory._save(ActivitySeries(organisation_id=team.id, name="Gestion de crise", position=2))
    factory._save(ActivitySeries(organisation_id=team.id, name="Ancienne série", position=3, active=False))
    client = client_for(worker)
    page = client.get(f"/activity/{team.id}/grid?year=2016")
    assert page.status_code == 200
    name = activity_counts.cell_name(contacts.id or 0, date(2016, 3, 1))
    assert f'<label class="sr-only" for="{name}">Contacts, mars 2016</label>' in page.text
    assert re.search(
        rf'<input class="input activity-cell__input" type="number" min="0"[^>]*id="{name}"', page.text
    )
    assert "Ancienne série" not in page.text  # no longer counted, nothing counted this year
    form = _grid_form(contacts, m3="12", m4="0", m5="") | _grid_form(crises, m3=" 7 ")
    response = client.form(f"/activity/{team.id}/grid", form)
    assert response.status_code == 303
    assert response.headers["location"] == f"/activity/{team.id}/grid?year=2016"
    assert counts(session) == {
        ("Contacts", "2016-03"): 12,
        ("Contacts", "2016-04"): 0,
        ("Gestion de crise", "2016-03"): 7,
    }
    page = client.get(response.headers["location"])
    assert f'id="{name}" name="{name}" value="12"' in page.text
    # Emptying a cell removes its count; an unchanged cell writes nothing (nor any audit line).
    before = len(session.exec(select(AuditEvent).where(AuditEvent.entity == "activity_series")).all())
    assert client.form(f"/activity/{team.id}/grid", _grid_form(contacts, m3="12", m4="")).status_code == 303
    assert counts(session) == {("Contacts", "2016-03"): 12, ("Gestion de crise", "2016-03"): 7}
    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "activity_series").order_by(col(AuditEvent.id))
    ).all()
    assert len(events) == before + 1
    assert (
        events[-1].detail == {"month": "2016-04", "count": None, "previous": 0}
        and events[-1].user_id == worker.id
    )


def test_grid_refuses_what_is_not_a_count_and_saves_nothing(
    client_for: Any, factory: Factory, session: Session, team: Organisation, worker: User, world: World
) -> None:
    contacts = factory._save(ActivitySeries(organisation_id=team.id, name="Contacts"))
    foreign = factory._save(ActivitySeries(organisation_id=world.organisation.id, name="Contrôles"))
    client = client_for(worker)
    response = client.form(
        f"/activity/{team.id}/grid", _grid_form(contacts, m1="5", m2="-3", m3="douze", m4="2.5", m6="1000000")
    )
    assert response.status_code == 422
    assert counts(session) == {}  # not even January
    whole = fr(activity_counts.WHOLE_NUMBER)
    for month in (2, 3, 4):
        name = activity_counts.cell_name(contacts.id or 0, date(2016, month, 1))
        assert re.search(rf'id="status-{name}">{re.escape(whole)}</span>', response.text), month
        assert 'aria-invalid="true"' in response.text
    assert fr(activity_counts.TOO_LARGE) in response.text
    # What was typed is kept for correction.
    for name, value in (("m2", "-3"), ("m3", "douze"), ("m1", "5")):
        cell = activity_counts.cell_name(contacts.id or 0, date(2016, int(name[1:]), 1))
        assert f'id="{cell}" name="{cell}" value="{value}"' in response.text
    # A month to come, and another organisation's series.
    future = activity_counts.cell_name(contacts.id or 0, NEXT_MONTHS)
    other = activity_counts.cell_name(foreign.id or 0, date(2016, 1, 1))
    response = client.form(f"/activity/{team.id}/grid", {"year": "2016", future: "1", other: "2"})
    assert response.status_code == 422
    assert fr(activity_counts.UNKNOWN_SERIES) in response.text and counts(session) == {}


def test_a_cell_is_saved_by_htmx_with_its_status_and_an_announcement(
    client_for: Any, factory: Factory, session: Session, team: Organisation, worker: User, world: World
) -> None:
    contacts = factory._save(ActivitySeries(organisation_id=team.id, name="Contacts"))
    name = activity_counts.cell_name(contacts.id or 0, date(2016, 3, 1))
    client = client_for(worker)
    url = f"/activity/{team.id}/grid/cell"
    saved = client.htmx(url, {name: "12"})
    assert saved.status_code == 200
    assert f'id="status-{name}"' in saved.text and "activity-cell__status--saved" in saved.text
    assert re.search(r'<p id="activity-grid-status" hx-swap-oob="innerHTML">Contacts, mars 2016', saved.text)
    assert counts(session) == {("Contacts", "2016-03"): 12}
    refused = client.htmx(url, {name: "-4"})
    assert refused.status_code == 422
    assert fr(activity_counts.WHOLE_NUMBER) in refused.text and "activity-cell__status--error" in refused.text
    assert counts(session) == {("Contacts", "2016-03"): 12}
    assert client.htmx(url, {name: ""}).status_code == 200
    assert counts(session) == {}
    # Without htmx, the grid again.
    plain = client.form(url, {name: "8"})
    assert plain.status_code == 303 and plain.headers["location"] == f"/activity/{team.id}/grid?year=2016"
    # Someone else's series, or a name that is no cell: refused.
    foreign = factory._save(ActivitySeries(organisation_id=world.organisation.id, name="Contrôles"))
    foreign_cell = activity_counts.cell_name(foreign.id or 0, date(2016, 3, 1))
    assert client.htmx(url, {foreign_cell: "1"}).status_code == 404
    assert client.htmx(url, {"c-x": "1"}).status_code == 422
    assert counts(session) == {("Contacts", "2016-03"): 8}


def test_the_grid_of_this_year_closes_the_months_to_come(
    client_for: Any, factory: Factory, team: Organisation, worker: User
) -> None:
    contacts = factory._save(ActivitySeries(organisation_id=team.id, name="Contacts"))
    page = client_for(worker).get(f"/activity/{team.id}/grid")
    today = date.today()
    current = activity_counts.cell_name(contacts.id or 0, today.replace(day=1))
    assert f'id="{current}"' in page.text
    if today.month < 12:
        later = activity_counts.cell_name(contacts.id or 0, date(today.year, 12, 1))
        assert re.search(rf'id="{later}" name="{later}" value="" disabled', page.text)
    # A year out of range shows this year.
    assert f">{today.year}</h2>" in client_for(worker).get(f"/activity/{team.id}/grid?year=3000").text


# Series


def test_member_defines_renames_and_retires_series(
    client_for: Any, factory: Factory, session: Session, team: Organisation, worker: User
) -> None:
    client = client_for(worker)
    url = f"/activity/{team.id}/series"
    response = client.form(url, {"name": "Contacts", "position": "1", "active": "1"})
    assert response.status_code == 303
    [series] = activity_series.list_series(session, team.id or 0)
    assert (series.name, series.position, series.active) == ("Contacts", 1, True)
    # The same name again (whatever the case) is refused, in French.
    again = client.form(url, {"name": " contacts ", "active": "1"})
    assert again.status_code == 422 and fr(activity_series.SAME_NAME) in again.text
    assert client.form(url, {"name": "", "active": "1"}).status_code == 422
    assert client.form(url, {"name": "Gestion de crise", "position": "2", "active": "1"}).status_code == 303
    # Rename, and retire (an unticked box): it leaves the grid.
    edit = client.form(f"{url}/{series.id}", {"name": "Contacts établis", "position": "1"})
    assert edit.status_code == 303
    clash = client.form(f"{url}/{series.id}", {"name": "Gestion de crise", "position": "1", "active": "1"})
    assert clash.status_code == 422 and fr(activity_series.SAME_NAME) in clash.text
    session.rollback()
    session.expire_all()
    assert [(s.name, s.active) for s in activity_series.list_series(session, team.id or 0)] == [
        ("Contacts établis", False),
        ("Gestion de crise", True),
    ]
    assert "Contacts établis" not in client.get(f"/activity/{team.id}/grid").text


def test_a_deactivated_organisation_keeps_its_figures_read_only(
    client_for: Any, api_for: Any, factory: Factory, session: Session, team: Organisation, worker: User
) -> None:
    series = load(factory, team)
    team.active = False
    factory._save(team)
    client = client_for(worker)
    assert client.get(f"/activity/{team.id}").status_code == 200
    grid = client.get(f"/activity/{team.id}/grid?year=2016")
    assert "hx-post" not in grid.text and fr(activity_series.INACTIVE) in grid.text
    name = activity_counts.cell_name(series[LINK].id or 0, date(2016, 5, 1))
    assert client.form(f"/activity/{team.id}/grid", {"year": "2016", name: "1"}).status_code == 409
    assert client.form(f"/activity/{team.id}/series", {"name": "Nouvelle", "active": "1"}).status_code == 409
    figure = {"organisation_id": team.id, "series": LINK, "month": "2016-05", "count": 1}
    assert api_for(worker).post("/api/v1/activity-figures", json=figure).status_code == 409
    assert counts(session)[(LINK, "2016-05")] == 238


# Who reaches what

ROUTES = [
    ("GET", "/activity/{org}"),
    ("GET", "/activity/{org}/export?format=csv"),
    ("GET", "/activity/{org}/export?format=xlsx"),
    ("GET", "/activity/{org}/grid?year=2016"),
    ("POST", "/activity/{org}/grid"),
    ("POST", "/activity/{org}/grid/cell"),
    ("GET", "/activity/{org}/series"),
    ("POST", "/activity/{org}/series"),
    ("POST", "/activity/{org}/series/{series}"),
    ("GET", "/api/v1/activity-figures?organisation_id={org}"),
    ("POST", "/api/v1/activity-figures"),
]


def test_only_the_organisation_and_the_staff_reach_its_figures(
    client_for: Any,
    api_for: Any,
    factory: Factory,
    session: Session,
    team: Organisation,
    worker: User,
    world: World,
) -> None:
    """Each persona on each route: the team's members and the staff do, everyone else (the
    chair and secretary of a body included) is told it does not exist, the anonymous log in."""
    series = load(factory, team)
    link = series[LINK]
    cell = activity_counts.cell_name(link.id or 0, date(2016, 5, 1))
    data = {
        "/activity/{org}/grid": {"year": "2016", cell: "240"},
        "/activity/{org}/grid/cell": {cell: "241"},
        "/activity/{org}/series": {"name": "Maraudes", "active": "1"},
        "/activity/{org}/series/{series}": {"name": LINK, "position": "1", "active": "1"},
        "/api/v1/activity-figures": {
            "organisation_id": team.id,
            "series": LINK,
            "month": "2016-05",
            "count": 242,
        },
    }
    expected_ok = {"worker": True, "admin": True, "coordinator": True}
    personas = {"worker": worker} | {
        p: getattr(world, p)
        for p in ("admin", "coordinator", "chair", "secretary", "member", "other", "guest")
    }
    for method, template in ROUTES:
        url = template.format(org=team.id, series=link.id)
        for persona, user in [*personas.items(), ("anonymous", None)]:
            body = data.get(template)
            if template == "/activity/{org}/series":
                body = {"name": f"Maraudes ({persona})", "active": "1"}
            if url.startswith("/api/"):
                response = api_for(user).request(method, url, json=body)
            else:
                client = client_for(user)
                response = client.get(url) if method == "GET" else client.form(url, body)
            status = response.status_code
            if persona == "anonymous":
                assert status in (401, 303) and (status == 401 or "/login" in response.headers["location"])
            elif expected_ok.get(persona):
                assert status < 400, (method, url, persona, status, response.text[:300])
            else:
                assert status == 404, (method, url, persona, status)
    assert counts(session)[(LINK, "2016-05")] == 242


# API


def test_api_lists_the_figures_one_may_read_with_filters(
    api_for: Any, factory: Factory, team: Organisation, worker: User, world: World
) -> None:
    load(factory, team)
    police = factory._save(ActivitySeries(organisation_id=world.organisation.id, name="Contrôles"))
    factory.session.add(ActivityCount(series_id=police.id, month=date(2016, 5, 1), count=9))
    factory.session.commit()
    api = api_for(worker)
    page = api.get("/api/v1/activity-figures", params={"limit": 200}).json()
    assert page["next_cursor"] is None
    assert len(page["items"]) == len(published())  # not the police's
    assert page["items"][0] == {"organisation_id": team.id, "series": LINK, "month": "2013-05", "count": 57}
    chosen = api.get(
        "/api/v1/activity-figures",
        params={"series": LINK.upper(), "since": "2014-06", "until": "2015-06", "organisation_id": team.id},
    ).json()["items"]
    want = expected()[LINK]
    assert sorted((i["month"], i["count"]) for i in chosen) == sorted(
        (f"{y}-{m:02d}", n) for (y, m), n in want.items() if (2014, 6) <= (y, m) <= (2015, 6)
    )
    # Pages of 40: every figure once.
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"limit": 40} | ({"cursor": cursor} if cursor else {})
        body = api.get("/api/v1/activity-figures", params=params).json()
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(published()) and len({(i["series"], i["month"]) for i in seen}) == len(seen)
    # The staff read every organisation's; a member asking for another's: 404.
    everything = (
        api_for(world.coordinator).get("/api/v1/activity-figures", params={"limit": 200}).json()["items"]
    )
    assert {i["organisation_id"] for i in everything} == {team.id, world.organisation.id}
    assert (
        api.get("/api/v1/activity-figures", params={"organisation_id": world.organisation.id}).status_code
        == 404
    )
    assert api.get("/api/v1/activity-figures", params={"since": "2016-13"}).status_code == 422
    assert api.get("/api/v1/activity-figures", params={"cursor": "nope"}).status_code == 422


def test_api_sets_a_count_of_a_known_series_only(
    api_for: Any, factory: Factory, session: Session, team: Organisation, worker: User, world: World
) -> None:
    factory._save(ActivitySeries(organisation_id=team.id, name="Contacts"))
    api = api_for(worker)
    figure = {"organisation_id": team.id, "series": "Contacts", "month": "2016-03", "count": 12}
    created = api.post("/api/v1/activity-figures", json=figure)
    assert created.status_code == 201 and created.json() == figure
    replaced = api.post("/api/v1/activity-figures", json=figure | {"count": 14, "series": "contacts"})
    assert replaced.status_code == 200 and replaced.json()["count"] == 14
    assert counts(session) == {("Contacts", "2016-03"): 14}
    for bad, field in (
        ({"count": -1}, "count"),
        ({"count": "douze"}, "count"),
        ({"count": 1.5}, "count"),
        ({"month": "2016-3"}, "month"),
        ({"month": NEXT_MONTHS.strftime("%Y-%m")}, "month"),
        ({"series": "Maraudes"}, "series"),
        ({"series": ""}, "series"),
    ):
        response = api.post("/api/v1/activity-figures", json=figure | bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][-1] == field, response.json()
    # Another organisation's: 404, as if it did not exist.
    other = figure | {"organisation_id": world.organisation.id}
    assert api.post("/api/v1/activity-figures", json=other).status_code == 404
    assert api.post("/api/v1/activity-figures", json=figure | {"organisation_id": 9999}).status_code == 404
    assert counts(session) == {("Contacts", "2016-03"): 14}


# Cost


def test_pages_use_a_bounded_number_of_queries(
    client_for: Any,
    factory: Factory,
    session: Session,
    team: Organisation,
    worker: User,
    world: World,
    queries: Any,
) -> None:
    client = client_for(world.coordinator)
    first = factory._save(ActivitySeries(organisation_id=team.id, name="Contacts"))
    factory.session.add(ActivityCount(series_id=first.id, month=date(2016, 5, 1), count=1))
    factory.session.commit()
    urls = [
        f"/activity/{team.id}",
        f"/activity/{team.id}/grid?year=2016",
        f"/activity/{team.id}/series",
        "/activity",
        f"/activity/{team.id}/export?format=xlsx",
    ]

    def measure() -> list[int]:
        found = []
        for url in urls:
            with queries() as log:
                assert client.get(url).status_code == 200, url
            found.append(log.count)
        return found

    small = measure()
    # Twelve years of five series, every month counted.
    for i in range(5):
        series = factory._save(ActivitySeries(organisation_id=team.id, name=f"Série {i}", position=i))
        for year in range(2005, 2017):
            for month in range(1, 13):
                factory.session.add(
                    ActivityCount(series_id=series.id, month=date(year, month, 1), count=year + month)
                )
    factory.session.commit()
    assert measure() == small


# In a browser


@pytest.mark.browser
def test_grid_and_year_table_in_a_browser(
    page: Any,
    live_server: str,
    factory: Factory,
    session: Session,
    team: Organisation,
    worker: User,
    screenshot_dir: Path,
) -> None:
    from playwright.sync_api import expect

    series = load(factory, team)
    page.goto(f"{live_server}/login")
    page.get_by_label("Adresse e-mail").fill(worker.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r".*/$"))

    page.goto(f"{live_server}/activity/{team.id}/grid?year=2016")
    cell = page.get_by_label(f"{LINK}, novembre 2016")
    cell.fill("41")
    status = page.locator(f"#status-{activity_counts.cell_name(series[LINK].id or 0, date(2016, 11, 1))}")
    expect(status).to_have_class(re.compile("activity-cell__status--saved"))
    expect(page.locator("#activity-grid-status")).to_contain_text("novembre 2016")
    assert counts(session)[(LINK, "2016-11")] == 41
    # A negative count never leaves the browser; the cell says why.
    crisis = page.get_by_label("Gestion de crise, novembre 2016")
    # htmx says when the check halts the cell's request (after its 500 ms delay).
    crisis.evaluate("c => c.addEventListener('htmx:validation:halted', () => { c.dataset.halted = '1' })")
    crisis.fill("-2")
    crisis.press("Tab")
    expect(page.locator("td", has=crisis).locator(".activity-cell__hint")).to_be_visible()
    expect(crisis).to_have_attribute("data-halted", "1")
    assert ("Gestion de crise", "2016-11") not in counts(session)
    page.screenshot(path=str(screenshot_dir / "activity-grid.png"), full_page=True)

    page.goto(f"{live_server}/activity/{team.id}")
    expect(page.locator(f"#series-{series[LINK].id}")).to_contain_text("1\u202f843")  # 1802 + 41
    page.screenshot(path=str(screenshot_dir / "activity-table.png"), full_page=True)

"""Hostile values (issue 13, items 8 and 9), one test per kind of hole, on both engines: each
answered before the fix with a 5xx, a page of many megabytes, or a record that failed for good.
The fuzzers (test_api.py, test_forms.py) look for the kinds not thought of; these pin the ones
found, and check that every id, number, date and list of the application is bounded."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute, iter_route_contexts
from sqlmodel import select

from veille.activity.models import ActivitySeries
from veille.app import create_app
from veille.audit.models import AuditEvent
from veille.config import Settings
from veille.directory.models import Sector
from veille.meetings import calendar
from veille.stats.models import Diagnostic
from veille.types import MAX_IDS, MAX_INT, check_period, parse_id, parse_ids, parse_int
from veille.web import FLASH_COOKIE

BIG = 2**63
TODAY = date.today()


def _audit_count(session: Any) -> int:
    session.commit()
    return len(session.exec(select(AuditEvent.id)).all())


# 8. Unbounded periods


def test_a_period_of_millennia_is_refused_on_the_statistics_page(client_for, world):  # type: ignore[no-untyped-def]
    response = client_for(world.admin).get("/stats?since=0002-01-01&until=9999-12-30")
    assert response.status_code == 200
    assert "Choisissez une période entre l’an 2000 et l’an prochain." in response.text
    assert len(response.content) < 1_000_000


def test_a_period_longer_than_ten_years_is_refused_on_the_page(client_for, world):  # type: ignore[no-untyped-def]
    response = client_for(world.admin).get("/stats?since=2010-01-01&until=2025-12-31")
    assert "Choisissez une période de dix ans au plus." in response.text
    assert len(response.content) < 1_000_000


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=0002-01-01&until=9999-12-30", "since"),
        ("until=9999-12-30", "until"),
        ("since=2010-01-01&until=2025-12-31", "until"),
        ("since=2024-01-01&until=2023-01-01", "until"),
    ],
)
@pytest.mark.parametrize("table", ["situations", "actions"])
def test_the_statistics_api_refuses_an_unbounded_period(api_for, world, table, query, field):  # type: ignore[no-untyped-def]
    response = api_for(world.admin).get(f"/api/v1/stats/{table}?group_by=month&{query}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", field]


def test_the_statistics_api_counts_over_ten_years(api_for, world):  # type: ignore[no-untyped-def]
    since = date(TODAY.year - 9, 1, 1)
    response = api_for(world.admin).get(f"/api/v1/stats/situations?group_by=month&since={since}")
    assert response.status_code == 200


@pytest.mark.parametrize(("since", "until"), [("0001-01-01", "0001-01-31"), ("1999-12-01", "1999-12-31")])
def test_a_diagnostic_of_another_millennium_is_refused_and_not_saved(
    client_for, world, session, since, until
):  # type: ignore[no-untyped-def]
    """Saved with such a period, a diagnostic could never be drawn again (its previous period
    fell before year 1)."""
    data = {"title": "Diagnostic", "sector_id": str(world.sector.id), "since": since, "until": until}
    response = client_for(world.admin).form("/diagnostics/new", data)
    assert response.status_code == 422
    assert session.exec(select(Diagnostic)).all() == []


def test_the_report_feed_refuses_a_period_out_of_bounds(client_for, api_for, world):  # type: ignore[no-untyped-def]
    page = client_for(world.member).get("/situations?since=0001-01-01")
    assert "Choisissez une période entre l’an 2000 et l’an prochain." in page.text
    # The results alone, as htmx refreshes them from the filters: they say why they are not filtered.
    results = client_for(world.member).get("/situations?since=0001-01-01", headers={"HX-Request": "true"})
    assert 'id="feed"' in results.text and "<html" not in results.text
    assert "Les filtres ne sont pas appliqués\u00a0: vérifiez la période." in results.text
    assert api_for(world.member).get("/api/v1/situations?since=1999-01-01").status_code == 422


@pytest.mark.parametrize("page", ["/situations", "/map"])
def test_a_filter_not_offered_or_not_a_date_is_refused_beside_it(client_for, world, factory, page):  # type: ignore[no-untyped-def]
    """A body one does not sit in (an old bookmark): applied, it showed no report under a list
    that said "all my bodies"; a date that does not exist was said to be out of the period."""
    factory.situation(world.body, world.member, title="Rodéo urbain signalé")
    client = client_for(world.member)
    shown = (
        "Rodéo urbain signalé" if page == "/situations" else 'id="map-title"'
    )  # (no point: not on the map)
    assert shown in client.get(page).text
    for params, field, message in (
        ({"body_id": str(world.other_body.id)}, "body_id", "Choisissez l’une des valeurs proposées."),
        ({"sector_id": "99999"}, "sector_id", "Choisissez l’une des valeurs proposées."),
        ({"category": "nothing-such"}, "category", "Choisissez l’une des valeurs proposées."),
        ({"since": "2026-02-30"}, "since", "Saisissez une date valide."),
    ):
        refused = client.get(page, params=params).text
        assert f'id="field-{field}-error"' in refused and message in refused, params
        assert "Les filtres ne sont pas appliqués\u00a0: vérifiez" in refused and shown in refused, params
    # One's own body is offered, and filters.
    mine = client.get(page, params={"body_id": str(world.body.id)}).text
    assert shown in mine and "Les filtres ne sont pas appliqués" not in mine


def test_check_period() -> None:
    assert check_period(date(2016, 1, 1), date(2025, 12, 31), TODAY) == {}
    assert check_period(date(2016, 1, 1), date(2026, 1, 1), TODAY) == {
        "until": "Choose a period of ten years at most."
    }
    assert check_period(date(2016, 1, 1), date(2040, 1, 1), TODAY, max_years=None) == {
        "until": "Choose a period between the year 2000 and next year."
    }
    assert check_period(date(2001, 1, 1), None, TODAY, max_years=None) == {}
    assert "since" in check_period(date(2001, 1, 1), None, TODAY)


# 9. Ids at or above 2**63, and beyond PostgreSQL's INTEGER


@pytest.mark.parametrize("value", [str(BIG), str(MAX_INT + 1), "0", "-1", "²", "߁"])
def test_an_id_out_of_bounds_in_a_page_address_is_a_404_page(client_for, world, value):  # type: ignore[no-untyped-def]
    client = client_for(world.admin)
    assert client.get(f"/bodies/{value}").status_code == 404
    assert client.form(f"/bodies/{value}/edit", {"name": "x"}).status_code == 404


@pytest.mark.parametrize("value", [str(BIG), str(MAX_INT + 1), "²"])
def test_an_id_out_of_bounds_in_the_api_is_a_422(api_for, world, value):  # type: ignore[no-untyped-def]
    client = api_for(world.admin)
    response = client.get(f"/api/v1/bodies/{value}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "body_id"]
    response = client.get(f"/api/v1/situations?body_id={value}")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "body_id"]


@pytest.mark.parametrize("value", [BIG, MAX_INT + 1])
def test_an_id_out_of_bounds_in_json_is_a_422(api_for, world, session, value):  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    client = api_for(world.admin)
    response = client.post("/api/v1/situations", json={"body_id": value, "title": "x", "category": "other"})
    assert response.status_code == 422
    response = client.post(
        "/api/v1/users",
        json={"email": "x@example.org", "name": "X", "organisation_id": value, "password": "x" * 12},
    )
    assert response.status_code == 422
    assert _audit_count(session) == before


@pytest.mark.parametrize("value", [str(BIG), str(MAX_INT + 1), "²", "߁"])
def test_an_id_out_of_bounds_in_a_form_is_refused(client_for, world, session, value):  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    client = client_for(world.admin)
    response = client.form(f"/bodies/{world.body.id}/members", {"user_id": value, "role": "member"})
    assert response.status_code == 422
    assert _audit_count(session) == before


def test_a_huge_number_is_refused(api_for, world, session):  # type: ignore[no-untyped-def]
    body = world.body
    response = api_for(world.admin).patch(f"/api/v1/bodies/{body.id}", json={"version": BIG})
    assert response.status_code == 422


# Unicode digits: they pass str.isdigit(), not int() (or int() reads them as ASCII digits)


@pytest.mark.parametrize("value", ["²", "߁", "١٢", str(BIG)])
def test_unicode_digits_in_a_page_query_are_no_error(client_for, world, value):  # type: ignore[no-untyped-def]
    client = client_for(world.admin)
    assert client.get(f"/activity?organisation_id={value}").status_code == 200
    assert client.get(f"/activity/{world.organisation.id}/grid?year={value}").status_code == 200
    assert client.get(f"/actions/new?situation_id={value}").status_code == 200
    assert client.get(f"/actions?page={value}").status_code == 200
    assert client.get(f"/situations?page={value}").status_code == 200


@pytest.mark.parametrize("token", ["²-1-abc", "1-²-abc", "߁-1-abc", f"{BIG}-1-abc", "1-1-é"])
def test_a_bad_calendar_token_is_a_404(client_for, token):  # type: ignore[no-untyped-def]
    assert client_for(None).get(f"/calendar/{token}.ics").status_code == 404


def test_a_grid_cell_of_year_zero_or_a_huge_series_is_ignored(client_for, world, factory):  # type: ignore[no-untyped-def]
    series = factory._save(ActivitySeries(organisation_id=world.organisation.id, name="Contacts"))
    client = client_for(world.admin)
    url = f"/activity/{world.organisation.id}/grid"
    for name in ("c-1-0000-01", f"c-{BIG}-2016-03", f"c-{series.id}-߁߁߁߁-01", f"c-{series.id}-2016-03\n"):
        assert client.form(url, {"year": "2016", name: "3"}).status_code < 500
        assert client.form(f"{url}/cell", {name: "3"}).status_code == 422


# Non-ASCII text reaching hmac.compare_digest


def test_a_non_ascii_csrf_token_is_refused_not_an_error(client_for, world):  # type: ignore[no-untyped-def]
    client = client_for(world.admin)
    response = client.post("/bodies/new", data={"csrf_token": "é", "name": "x"})
    assert response.status_code == 403
    response = client.post("/bodies/new", data={"name": "x"}, headers={"X-CSRF-Token": "é".encode("latin-1")})
    assert response.status_code == 403


def test_a_non_ascii_flash_cookie_is_ignored(client_for, world):  # type: ignore[no-untyped-def]
    client = client_for(world.admin)
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items()) + f"; {FLASH_COOKIE}=eyJ9.\xe9"
    assert client.get("/bodies", headers={"Cookie": cookies.encode("latin-1")}).status_code == 200


def test_a_non_ascii_answer_signature_is_a_404(client_for, world, factory):  # type: ignore[no-untyped-def]
    meeting = factory.meeting(world.body)
    factory.invite(meeting, world.member)
    url = f"/meetings/{meeting.id}/answer/{world.member.id}/%C3%A9t%C3%A9"
    assert client_for(None).get(url).status_code == 404
    assert client_for(world.member).form(url, {"status": "confirmed"}).status_code == 404


# Dates in year 1 or 9999, naive datetimes


@pytest.mark.parametrize(
    "occurred_at", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "2025-03-01T21:00:00"]
)
def test_a_report_of_year_1_9999_or_without_offset_is_refused(api_for, world, session, occurred_at):  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    data = {"body_id": world.body.id, "title": "x", "category": "other", "occurred_at": occurred_at}
    response = api_for(world.member).post("/api/v1/situations", json=data)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "occurred_at"]
    assert _audit_count(session) == before


def test_a_meeting_without_time_zone_is_refused(api_for, world):  # type: ignore[no-untyped-def]
    data = {"starts_at": "2030-01-01T10:00:00", "ends_at": "2030-01-01T12:00:00", "location": "Mairie"}
    response = api_for(world.chair).post(f"/api/v1/bodies/{world.body.id}/meetings", json=data)
    assert response.status_code == 422


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_meeting_form_of_year_1_or_9999_is_refused(client_for, world, session, day):  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    data = {"day": day, "start": "14:00", "end": "16:00", "location": "Mairie"}
    response = client_for(world.chair).form(f"/bodies/{world.body.id}/meetings/new", data)
    assert response.status_code == 422
    assert _audit_count(session) == before


# Attachment names outside Latin-1


def test_an_attachment_named_outside_latin_1_is_downloaded(client_for, world, factory, session):  # type: ignore[no-untyped-def]
    situation = factory.situation(world.body, world.member)
    attachment = factory.attachment(situation)
    attachment.filename = "Γειά σου «plan» 🙂.pdf"
    session.add(attachment)
    session.commit()
    response = client_for(world.member).get(f"/situations/{situation.id}/attachments/{attachment.id}")
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert (
        "filename*=UTF-8''%CE%93%CE%B5%CE%B9%CE%AC%20%CF%83%CE%BF%CF%85%20%C2%ABplan%C2%BB%20%F0%9F%99%82.pdf"
        in disposition
    )
    disposition.encode("ascii")


# Id lists longer than SQL's variable limit


def test_a_json_id_list_is_bounded(api_for, world, session):  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    # More than PostgreSQL's 65,535 parameters of a statement, and SQLite's 250,000.
    data = {"body_id": world.body.id, "title": "Bâtiment B", "situation_ids": list(range(1, 250_002))}
    response = api_for(world.admin).post("/api/v1/problems", json=data)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][:2] == ["body", "situation_ids"]
    assert _audit_count(session) == before


def test_a_form_id_list_is_bounded(client_for, world, session):  # type: ignore[no-untyped-def]
    """Beyond ``MAX_IDS``, the form's error; beyond 1,000 fields, Starlette's 400."""
    before = _audit_count(session)
    client = client_for(world.admin)
    data = {"name": "Cellule", "kind": "watch_cell", "sector_ids": [str(i) for i in range(1, MAX_IDS + 2)]}
    assert client.form("/bodies/new", data).status_code == 422
    data["sector_ids"] = [str(i) for i in range(1, 40_001)]
    assert client.form("/bodies/new", data).status_code == 400
    assert _audit_count(session) == before


def test_statistics_filters_are_bounded(client_for, world):  # type: ignore[no-untyped-def]
    query = "&".join(f"body_id={i}" for i in range(1, MAX_IDS + 2))
    response = client_for(world.admin).get(f"/stats?{query}")
    assert response.status_code == 200
    assert "Vérifiez les filtres." in response.text


# NUL characters (PostgreSQL refuses them in text) and lone surrogates


def test_a_nul_in_json_text_is_refused(api_for, world, session):  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    client = api_for(world.admin)
    response = client.post("/api/v1/sectors", json={"name": "Nord\x00", "code": "NORD"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == (
        "This text holds a character that Veille cannot store (such as NUL)."
    )
    response = client.post(
        "/api/v1/sectors",
        content=b'{"name": "Nord\\ud800", "code": "NORD"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert client.get("/api/v1/situations?q=rod%00eo").status_code == 422
    assert _audit_count(session) == before


def test_a_nul_in_a_form_or_a_query_is_refused(client_for, world, session):  # type: ignore[no-untyped-def]
    before = _audit_count(session)
    client = client_for(world.admin)
    response = client.form("/directory/sectors/new", {"name": "Nord\x00", "code": "NORD"})
    assert response.status_code == 422
    assert "Ce texte contient un caractère que Veille ne peut pas enregistrer" in response.text
    # Asked by htmx: the form is left as it is, and the page is told why (app.js shows it).
    part = client.htmx("/directory/sectors/new", {"name": "Nord\x00", "code": "NORD"})
    assert part.status_code == 422 and part.headers["HX-Reswap"] == "none"
    said = json.loads(part.headers["HX-Trigger"])["veille:refused"]["message"]
    assert said.startswith("Ce texte contient un caractère que Veille ne peut pas enregistrer")
    assert client.get("/situations?q=rod%00eo").status_code == 422
    assert _audit_count(session) == before


# Case-blind unique names: SQLite's lower() folded ASCII letters only


def test_a_name_in_another_alphabet_is_unique_case_aside(client_for, api_for, world, session):  # type: ignore[no-untyped-def]
    client = client_for(world.admin)
    url = f"/activity/{world.organisation.id}/series"
    assert client.form(url, {"name": "Γειά", "active": "1"}).status_code == 303
    assert client.form(url, {"name": "ΓΕΙΆ", "active": "1"}).status_code == 422
    assert client.form(url, {"name": "Γειά", "active": "1"}).status_code == 422
    api = api_for(world.admin)
    assert api.post("/api/v1/sectors", json={"name": "Ωμέγα", "code": "OMEGA"}).status_code == 201
    assert api.post("/api/v1/sectors", json={"name": "ΩΜΈΓΑ", "code": "OMEGA2"}).status_code == 422
    assert len(session.exec(select(Sector).where(Sector.code.startswith("OMEGA"))).all()) == 1  # type: ignore[attr-defined]


# The helpers


def test_parse_int_takes_ascii_digits_within_bounds() -> None:
    assert parse_int(" 42 ") == 42
    assert parse_int("-3") == -3
    assert parse_id(str(MAX_INT)) == MAX_INT
    for bad in ("²", "߁", "١", "4 2", "", None, "0x10", "1_000", "1e3", "٣"):
        with pytest.raises(ValueError, match="not a whole number"):
            parse_id(bad)
    with pytest.raises(ValueError, match="out of bounds"):
        parse_id(str(MAX_INT + 1))
    assert parse_ids(["1", "", "2"]) == [1, 2]
    with pytest.raises(ValueError, match="more than 500 ids"):
        parse_ids([str(i) for i in range(1, MAX_IDS + 2)])


# Every id, number, date and list of every route is bounded


def _routes() -> list[tuple[str, APIRoute]]:
    app = create_app(Settings(database_url="sqlite://", secret_key="x" * 40))
    return [
        (str(c.path), c.original_route)
        for c in iter_route_contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
    ]


def test_every_path_and_query_number_and_date_is_bounded() -> None:
    unbounded = []
    for path, route in _routes():
        for param in get_flat_params(route.dependant):
            annotation = param.field_info.annotation
            kinds = getattr(annotation, "__args__", (annotation,))
            if not {int, date} & set(kinds):
                continue
            bounds = {type(m).__name__ for m in param.field_info.metadata}
            if not ({"Ge", "Gt"} & bounds and {"Le", "Lt"} & bounds):
                unbounded.append(f"{path}: {param.name}")
    assert unbounded == []


def _unbounded(schema: dict[str, Any], components: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name in seen:
            return []
        seen.add(name)
        return _unbounded(components[name], components, name, seen)
    found: list[str] = []
    for option in schema.get("anyOf", []) + schema.get("allOf", []):
        found += _unbounded(option, components, where, seen)
    if schema.get("type") == "integer" and ("maximum" not in schema or "minimum" not in schema):
        found.append(where)
    if schema.get("type") == "array":
        items = schema.get("items", {})
        if "maxItems" not in schema:
            found.append(f"{where} (list)")
        found += _unbounded(items, components, where, seen)
    for name, sub in schema.get("properties", {}).items():
        found += _unbounded(sub, components, f"{where}.{name}", seen)
    return found


def test_every_json_number_and_list_the_api_reads_is_bounded() -> None:
    document = create_app(Settings(database_url="sqlite://", secret_key="x" * 40)).openapi()
    components = document["components"]["schemas"]
    unbounded: list[str] = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                unbounded += _unbounded(body["schema"], components, f"{method.upper()} {path}", set())
    assert unbounded == []


def test_calendar_tokens_round_trip(settings):  # type: ignore[no-untyped-def]
    token = calendar.feed_token(settings.signing_key, 12, 3)
    assert calendar.parse_feed_token(settings.signing_key, token) == (12, 3)
    assert calendar.parse_feed_token(settings.signing_key, token.replace("12-", "߁2-", 1)) is None

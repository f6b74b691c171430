"""The audit page, its CSV export and the audit API: one search (person, organisation, body,
kind of event, record, period), pages of it, and every consultation audited."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

from sqlmodel import col, select

from veille.audit import service as audit
from veille.audit.models import AuditEvent
from veille.situations.enums import Confidentiality

TODAY = date.today()


def _record(session, user, verb="update", entity="body", entity_id=None, **detail):  # type: ignore[no-untyped-def]
    session.commit()
    audit.record(
        session, user_id=user.id if user else None, verb=verb, entity=entity, entity_id=entity_id, **detail
    )
    session.commit()


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()["items"]]


def test_the_api_searches_by_person_organisation_body_kind_record_period(
    api_for, world, factory, session, settings
):
    today = settings.today()  # the city's day, which the period is read in (not the machine's)
    report = factory.situation(world.body, world.member, confidentiality=Confidentiality.restricted)
    elsewhere = factory.situation(world.other_body, world.other)
    _record(session, world.chair, "update", "body", world.body.id)
    _record(session, world.other, "update", "body", world.other_body.id)
    _record(session, world.member, "read", "situation", report.id)
    _record(session, world.other, "update", "situation", elsewhere.id)
    api = api_for(world.admin)
    chair_events = _ids(api.get("/api/v1/audit", params={"user_id": world.chair.id}))
    assert chair_events and all(
        e["user_id"] == world.chair.id
        for e in api.get("/api/v1/audit", params={"user_id": world.chair.id}).json()["items"]
    )
    police = api.get("/api/v1/audit", params={"organisation_id": world.organisation.id}).json()["items"]
    assert {e["user_id"] for e in police} == {world.member.id}
    in_body = api.get("/api/v1/audit", params={"body_id": world.body.id}).json()["items"]
    assert {(e["entity"], e["entity_id"]) for e in in_body} == {
        ("body", world.body.id),
        ("situation", report.id),
    }
    reads = api.get("/api/v1/audit", params={"verb": "read", "entity": "situation"}).json()["items"]
    assert [(e["user_id"], e["entity_id"]) for e in reads] == [(world.member.id, report.id)]
    one = api.get("/api/v1/audit", params={"entity": "situation", "entity_id": elsewhere.id}).json()["items"]
    assert [e["user_id"] for e in one] == [world.other.id]
    assert _ids(api.get("/api/v1/audit", params={"since": today.isoformat(), "until": today.isoformat()}))
    assert not _ids(api.get("/api/v1/audit", params={"since": (today + timedelta(days=1)).isoformat()}))
    assert not _ids(api.get("/api/v1/audit", params={"until": (today - timedelta(days=1)).isoformat()}))


def test_the_api_refuses_a_reversed_period_and_bad_values(api_for, world):
    api = api_for(world.admin)
    reversed_period = {"since": TODAY.isoformat(), "until": (TODAY - timedelta(days=1)).isoformat()}
    assert api.get("/api/v1/audit", params=reversed_period).status_code == 422
    assert api.get("/api/v1/audit", params={"entity_id": "abc"}).status_code == 422
    assert api.get("/api/v1/audit", params={"entity": "x" * 41}).status_code == 422
    assert api.get("/api/v1/audit", params={"cursor": "!!"}).status_code == 422


def test_the_api_pages_with_a_cursor(api_for, world, session):
    for n in range(5):
        _record(session, world.chair, "update", "meeting", n + 1)
    api = api_for(world.admin)
    first = api.get("/api/v1/audit", params={"entity": "meeting", "limit": 3}).json()
    second = api.get(
        "/api/v1/audit", params={"entity": "meeting", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [e["entity_id"] for e in first["items"] + second["items"]] == [5, 4, 3, 2, 1]
    assert second["next_cursor"] is None


def test_every_consultation_of_the_audit_is_audited(api_for, client_for, world, session):
    api_for(world.admin).get("/api/v1/audit", params={"verb": "login"})
    client = client_for(world.admin)
    assert client.get("/admin/audit", params={"user_id": world.chair.id}).status_code == 200
    assert client.get("/admin/audit/export", params={"entity": "body"}).status_code == 200
    session.rollback()
    events = session.exec(
        select(AuditEvent).where(AuditEvent.entity == "audit").order_by(col(AuditEvent.id))
    ).all()
    assert [(e.verb, e.user_id, e.detail) for e in events] == [
        ("consult", world.admin.id, {"via": "api", "search": {"verb": "login"}}),
        ("consult", world.admin.id, {"via": "page", "search": {"user_id": world.chair.id}}),
        ("consult", world.admin.id, {"via": "export", "search": {"entity": "body"}}),
    ]


def test_the_page_shows_a_search_and_pages_through_it_in_bounded_queries(client_for, world, session, queries):
    for n in range(5):
        _record(session, world.chair, "update", "meeting", n + 1, note="première")
    client = client_for(world.admin)
    client.get("/admin/audit")  # warm-up: templates and the route
    with queries() as few:
        page = client.get("/admin/audit", params={"entity": "meeting"})
    assert page.status_code == 200
    assert "Journal d’audit" in page.text or "Journal d'audit" in page.text
    assert "Charles Président" in page.text and "note: première" in page.text
    assert "Événements plus anciens" not in page.text
    for n in range(60):
        _record(session, world.chair, "update", "meeting", 100 + n)
    with queries() as many:
        page = client.get("/admin/audit", params={"entity": "meeting"})
    assert many.count == few.count
    assert page.text.count("<tr>") == 51  # the header and 50 events
    older = page.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0].replace("&amp;", "&")
    rest = client.get(older)
    assert rest.status_code == 200 and rest.text.count("<tr>") == 1 + 15
    fragment = client.get("/admin/audit", params={"entity": "meeting"}, headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<section id="audit-results"')


def test_the_page_refuses_bad_filters_in_french(client_for, world):
    client = client_for(world.admin)
    reversed_period = {"since": TODAY.isoformat(), "until": (TODAY - timedelta(days=1)).isoformat()}
    page = client.get("/admin/audit", params=reversed_period)
    assert page.status_code == 422
    assert "La période se termine avant de commencer." in page.text
    assert client.get("/admin/audit", params={"entity_id": "abc"}).status_code == 422
    # Each says what to write: a number is no day (pydantic read "0" as 1 January 1970), and
    # a bound is named.
    for params, message in (
        ({"since": "0"}, "Saisissez une date valide."),
        ({"until": "9999-01-01"}, "Saisissez une date entre 1900 et 2199."),
        ({"entity_id": "0"}, "Saisissez un nombre supérieur ou égal à 1."),
        ({"entity_id": "99999999999"}, "Ce nombre est trop grand."),
    ):
        refused = client.get("/admin/audit", params=params)
        assert refused.status_code == 422 and message in refused.text, params
    assert client.get("/admin/audit/export", params=reversed_period).status_code == 422


def test_the_export_is_the_search_with_formulas_neutralised(client_for, factory, world, session):
    hostile = factory.user('=HYPERLINK("http://x")', organisation=world.organisation)
    _record(session, hostile, "update", "body", world.body.id, reason="+cmd|' /C calc'!A0")
    _record(session, world.chair, "update", "meeting", 7)
    response = client_for(world.admin).get("/admin/audit/export", params={"entity": "body"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Date", "Personne", "Organisation", "Événement"]
    assert [r[4] for r in rows[1:]] == ["body"]
    assert rows[1][1] == '\'=HYPERLINK("http://x")'
    assert rows[1][6] == "reason: +cmd|' /C calc'!A0"


def test_only_admins_search_the_audit(client_for, api_for, world):
    for persona in (world.coordinator, world.chair, world.member):
        assert client_for(persona).get("/admin/audit").status_code == 403
        assert client_for(persona).get("/admin/audit/export").status_code == 403
        assert api_for(persona).get("/api/v1/audit").status_code == 403
    assert client_for(None).get("/admin/audit").status_code == 303
    assert api_for(None).get("/api/v1/audit").status_code == 401

"""A report referred on its own to another body: who may (404 / 403), where it may go, what the
receiving body then reads under the confidentiality rule, its feed, the report's page, the
audit and the secretaries' mail through a real SMTP server; page and API."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.audit.models import AuditEvent
from veille.bodies.enums import BodyKind, MemberRole
from veille.config import Settings
from veille.directory.models import Organisation, User
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation, SituationReferral

REASON = "Suivi judiciaire : le groupe du parquet connaît les auteurs."


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return smtp_server.configure(settings)


@pytest.fixture
def north(world: World, factory: Factory) -> User:
    """The north cell's secretary; the centre's secretary and chair sit in the north cell too."""
    secretary = factory.user("Nadia Nord", organisation=world.organisation, email="nadia@example.org")
    factory.member(world.other_body, secretary, MemberRole.secretary)
    factory.member(world.other_body, world.secretary)
    factory.member(world.other_body, world.chair)
    return secretary


def _referrals(session: Session, situation: Situation) -> list[SituationReferral]:
    session.rollback()
    session.expire_all()
    return list(session.exec(select(SituationReferral).where(SituationReferral.situation_id == situation.id)))


def test_the_secretary_refers_a_report_which_the_receiving_body_then_reads(
    client_for: Any, world: World, factory: Factory, session: Session, north: User, smtp_server: SmtpServer
) -> None:
    situation = factory.situation(world.body, world.member, "Rodéos parking Leclerc")
    url = f"/situations/{situation.id}"
    # Before: the north cell does not read it, nor has it in its feed.
    assert client_for(world.other).get(url).status_code == 404
    client = client_for(world.secretary)
    form = client.get(f"{url}/refer").text
    assert "Cellule de veille du nord" in form and 'name="reason"' in form
    refused = client.form(f"{url}/refer", {"body_id": str(world.other_body.id), "reason": " "})
    assert refused.status_code == 422 and "Ce champ est obligatoire." in refused.text
    own = client.form(f"{url}/refer", {"body_id": str(world.body.id), "reason": REASON})
    assert own.status_code == 422
    assert _referrals(session, situation) == []

    done = client.form(f"{url}/refer", {"body_id": str(world.other_body.id), "reason": REASON})
    assert done.status_code == 303 and done.headers["location"] == f"{url}#referrals"
    [referral] = _referrals(session, situation)
    assert (referral.body_id, referral.reason, referral.referred_by) == (
        world.other_body.id,
        REASON,
        world.secretary.id,
    )
    assert referral.referred_at is not None
    event = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "refer", AuditEvent.entity == "situation")
    ).one()
    assert event.entity_id == situation.id and event.detail["to_body_id"] == world.other_body.id

    # The north cell's members read it as their own and find it in their body's feed.
    assert client_for(world.other).get(url).status_code == 200
    feed = client_for(world.other).get(f"/bodies/{world.other_body.id}/situations").text
    assert "Rodéos parking Leclerc" in feed
    # ... beside its own reports, under the feed's other filters, only where they hold.
    other_severity = 1 if situation.severity != 1 else 2
    factory.situation(world.other_body, world.other, "Tags rue du Nord", severity=other_severity)
    for severity, shown, hidden in (
        (situation.severity, "Rodéos parking Leclerc", "Tags rue du Nord"),
        (other_severity, "Tags rue du Nord", "Rodéos parking Leclerc"),
    ):
        filtered = client_for(world.other).get(
            f"/bodies/{world.other_body.id}/situations?severity={severity}"
        )
        assert shown in filtered.text and hidden not in filtered.text
    # The report shows to whom, when and why; the body cannot be chosen twice.
    page = client.get(url).text
    assert "Cellule de veille du nord" in page and REASON.replace("’", "&#39;")[:30] in page
    assert "Sophie Secrétaire" in page
    again = client.form(f"{url}/refer", {"body_id": str(world.other_body.id), "reason": REASON})
    assert again.status_code == 422
    # The north cell's secretary is told, without the reason; nobody else.
    messages = smtp_server.messages
    assert [m["To"] for m in messages] == ["nadia@example.org"]
    text = messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Rodéos parking Leclerc" in text and "Cellule de veille du centre" in text
    assert REASON not in text and url in text


def test_who_may_refer_a_report(client_for: Any, world: World, factory: Factory, north: User) -> None:
    situation = factory.situation(world.body, world.member)
    url = f"/situations/{situation.id}/refer"
    form = {"body_id": str(world.other_body.id), "reason": REASON}
    # Those who may not read the report: 404.
    for user in (world.other, world.guest, north):
        assert client_for(user).get(url).status_code == 404
        assert client_for(user).form(url, form).status_code == 404
    # A reader who does not manage the report's body: 403.
    assert client_for(world.member).get(url).status_code == 403
    assert client_for(world.member).form(url, form).status_code == 403
    # The chair and the staff may (the chair sits in the north cell; the admin sees every body).
    assert client_for(world.chair).get(url).status_code == 200
    assert client_for(world.admin).form(url, form).status_code == 303


def test_a_confidential_report_referred_is_read_as_in_its_own_body(
    api_for: Any, world: World, factory: Factory, session: Session, north: User
) -> None:
    restricted = factory.situation(
        world.body, world.member, "Trafic cage B", confidentiality=Confidentiality.restricted
    )
    api = api_for(world.secretary)
    answer = api.post(
        f"/api/v1/situations/{restricted.id}/referrals",
        json={"body_id": world.other_body.id, "reason": REASON},
    )
    assert answer.status_code == 201, answer.text
    [item] = answer.json()["items"]
    assert item["body_id"] == world.other_body.id and item["reason"] == REASON
    assert item["referred_by"] == world.secretary.id and item["body_name"] == "Cellule de veille du nord"
    # Restricted: the receiving body's secretaries read it, its plain members do not.
    assert api_for(north).get(f"/api/v1/situations/{restricted.id}").status_code == 200
    assert api_for(world.other).get(f"/api/v1/situations/{restricted.id}").status_code == 404
    assert api_for(north).get(f"/api/v1/situations/{restricted.id}/referrals").status_code == 200

    # Social, naming the police only: whoever reads it as a stub may not refer it (the
    # secretary, the staff), nor may the named organisation's member who does not manage the body.
    social = factory.situation(
        world.body, world.member, "Famille en détresse", confidentiality=Confidentiality.social
    )
    body = {"body_id": world.other_body.id, "reason": REASON}
    for user in (world.secretary, world.admin, world.member):
        assert api_for(user).post(f"/api/v1/situations/{social.id}/referrals", json=body).status_code == 403
    assert api.get(f"/api/v1/situations/{social.id}/referrals").status_code == 403
    # Naming the city too: its secretary refers it; in the north cell the police's secretary reads
    # it whole, the housing member sees the stub only.
    city = session.get(Organisation, world.secretary.organisation_id)
    assert city is not None
    shared = factory.situation(
        world.body, world.member, "Famille suivie", confidentiality=Confidentiality.social, shared_with=[city]
    )
    assert api.post(f"/api/v1/situations/{shared.id}/referrals", json=body).status_code == 201
    read = api_for(north).get(f"/api/v1/situations/{shared.id}").json()
    assert read["title"] == "Famille suivie"
    stub = api_for(world.other).get(f"/api/v1/situations/{shared.id}")
    assert stub.status_code == 200 and "title" not in stub.json()
    assert api_for(world.other).get(f"/api/v1/situations/{shared.id}/referrals").status_code == 403


def test_the_api_refuses_bad_referrals_and_hides_unseen_reports(
    api_for: Any, world: World, factory: Factory, north: User
) -> None:
    situation = factory.situation(world.body, world.member, "Fait nommant une personne")
    plenary = factory.body("CLSPD plénier", kind=BodyKind.plenary)
    factory.member(plenary, world.secretary)
    restricted = factory.situation(
        world.body, world.member, "Trafic", confidentiality=Confidentiality.restricted
    )
    api = api_for(world.secretary)
    path = f"/api/v1/situations/{situation.id}/referrals"
    assert api.post(path, json={"body_id": world.other_body.id}).status_code == 422
    assert api.post(path, json={"body_id": world.other_body.id, "reason": ""}).status_code == 422
    for body_id in (world.body.id, 999_999):
        bad = api.post(path, json={"body_id": body_id, "reason": REASON})
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "body_id"]
    to_plenary = api.post(
        f"/api/v1/situations/{restricted.id}/referrals", json={"body_id": plenary.id, "reason": REASON}
    )
    assert to_plenary.status_code == 422
    assert api.post(path, json={"body_id": plenary.id, "reason": REASON}).status_code == 201
    assert (
        api_for(world.other).post(path, json={"body_id": world.other_body.id, "reason": REASON}).status_code
        == 404
    )
    assert api_for(world.other).get(path).status_code == 404
    assert (
        api_for(world.member).post(path, json={"body_id": world.other_body.id, "reason": REASON}).status_code
        == 403
    )
    assert [i["body_id"] for i in api_for(world.member).get(path).json()["items"]] == [plenary.id]


def test_the_referral_form_audits_reading_a_confidential_report(
    client_for: Any, world: World, factory: Factory, session: Session, north: User
) -> None:
    restricted = factory.situation(
        world.body, world.member, "Trafic", confidentiality=Confidentiality.restricted
    )
    assert client_for(world.secretary).get(f"/situations/{restricted.id}/refer").status_code == 200
    session.rollback()
    reads = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "read", AuditEvent.entity_id == restricted.id)
    ).all()
    assert [(e.user_id, e.detail["via"]) for e in reads] == [(world.secretary.id, "refer")]


def _plenary(factory: Factory, world: World) -> Any:
    """A plenary council the centre's secretary sits in, chaired by the north cell's member."""
    plenary = factory.body("CLSPD plénier", kind=BodyKind.plenary)
    factory.member(plenary, world.secretary)
    factory.member(plenary, world.other, MemberRole.chair)
    return plenary


def test_a_report_referred_to_a_plenary_cannot_become_confidential(
    api_for: Any, client_for: Any, world: World, factory: Factory, session: Session
) -> None:
    plenary = _plenary(factory, world)
    situation = factory.situation(world.body, world.member, "Rodéos parking Leclerc")
    api = api_for(world.secretary)
    referred = api.post(
        f"/api/v1/situations/{situation.id}/referrals", json={"body_id": plenary.id, "reason": REASON}
    )
    assert referred.status_code == 201, referred.text
    path = f"/api/v1/situations/{situation.id}"
    for patch in (
        {"confidentiality": "restricted", "names_person": True, "version": situation.version},
        {"confidentiality": "restricted", "version": situation.version},
    ):
        refused = api.patch(path, json=patch)
        assert refused.status_code == 422, refused.text
        [error] = refused.json()["detail"]
        assert error["loc"] == ["body", "confidentiality"] and "plenary" in error["msg"]
    # The page form refuses it in French; nothing was written.
    form = {
        "body_id": str(world.body.id),
        "title": "Rodéos parking Leclerc",
        "category": "other",
        "occurred_on": situation.occurred_at.date().isoformat(),
        "occurred_time": "22:00",
        "severity": str(situation.severity),
        "confidentiality": "restricted",
        "names_person": "on",
        "version": str(situation.version),
        "status": str(situation.status),
    }
    page = client_for(world.secretary).form(f"/situations/{situation.id}/edit", form)
    assert page.status_code == 422 and "Une assemblée plénière ne reçoit ni signalement" in page.text
    session.rollback()
    session.expire_all()
    kept = session.get(Situation, situation.id)
    assert kept is not None and (kept.confidentiality, kept.names_person, kept.version) == (
        Confidentiality.body,
        False,
        situation.version,
    )
    # The plenary's chair reads it whole, as a report fit for the plenary.
    assert api_for(world.other).get(path).json()["confidentiality"] == "body"
    # A report referred elsewhere (not to a plenary) may still become restricted.
    other = factory.situation(world.body, world.member, "Tags école")
    assert (
        api.patch(
            f"/api/v1/situations/{other.id}", json={"confidentiality": "restricted", "version": other.version}
        ).status_code
        == 200
    )


def test_a_report_handed_to_a_plenary_with_an_action_cannot_become_confidential(
    api_for: Any, world: World, factory: Factory
) -> None:
    plenary = _plenary(factory, world)
    situation = factory.situation(world.body, world.member, "Squat hall C")
    action = factory.action(world.body, world.organisation, situations=[situation])
    api = api_for(world.secretary)
    handed = api.post(f"/api/v1/actions/{action.id}/refer", json={"body_id": plenary.id})
    assert handed.status_code == 200, handed.text
    refused = api.patch(
        f"/api/v1/situations/{situation.id}",
        json={"confidentiality": "restricted", "version": situation.version},
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "confidentiality"]


def test_reading_a_confidential_reports_referrals_through_the_api_is_audited(
    api_for: Any, world: World, factory: Factory, session: Session, north: User
) -> None:
    restricted = factory.situation(
        world.body, world.member, "Trafic", confidentiality=Confidentiality.restricted
    )
    plain = factory.situation(world.body, world.member, "Tags")
    api = api_for(world.secretary)
    assert api.get(f"/api/v1/situations/{restricted.id}/referrals").status_code == 200
    assert api.get(f"/api/v1/situations/{plain.id}/referrals").status_code == 200
    posted = api.post(
        f"/api/v1/situations/{restricted.id}/referrals",
        json={"body_id": world.other_body.id, "reason": REASON},
    )
    assert posted.status_code == 201
    session.rollback()
    reads = session.exec(
        select(AuditEvent)
        .where(AuditEvent.verb == "read", col(AuditEvent.entity_id).in_([restricted.id, plain.id]))
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(e.entity_id, e.user_id, e.detail["via"]) for e in reads] == [
        (restricted.id, world.secretary.id, "api"),
        (restricted.id, world.secretary.id, "api"),
    ]


def test_a_double_submitted_referral_is_a_form_error_not_a_500(
    api_for: Any, client_for: Any, world: World, factory: Factory, session: Session, north: User
) -> None:
    situation = factory.situation(world.body, world.member, "Rodéos parking Leclerc")
    url = f"/situations/{situation.id}/refer"
    form = {"body_id": str(world.other_body.id), "reason": REASON}

    def the_other_submit(flushing: Any, context: Any, instances: Any) -> None:
        """The twin request's row, written between the service's check and its write."""
        for row in list(flushing.new):
            if isinstance(row, SituationReferral):
                flushing.connection().execute(
                    insert(SituationReferral).values(situation_id=row.situation_id, body_id=row.body_id)
                )

    event.listen(OrmSession, "before_flush", the_other_submit)
    try:
        raced = client_for(world.secretary).form(url, form)
        api_raced = api_for(world.secretary).post(
            f"/api/v1/situations/{situation.id}/referrals",
            json={"body_id": world.other_body.id, "reason": REASON},
        )
    finally:
        event.remove(OrmSession, "before_flush", the_other_submit)
    assert raced.status_code == 422 and "Choisissez une autre instance active." in raced.text, raced.text
    assert api_raced.status_code == 422 and api_raced.json()["detail"][0]["loc"] == ["body", "body_id"]
    assert _referrals(session, situation) == []
    # Submitted twice in a row: the second is refused the same way.
    assert client_for(world.secretary).form(url, form).status_code == 303
    again = client_for(world.secretary).form(url, form)
    assert again.status_code == 422 and "Choisissez une autre instance active." in again.text
    assert len(_referrals(session, situation)) == 1

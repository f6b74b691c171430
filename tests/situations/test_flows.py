"""Mail about reports, delivered to a real SMTP server: each new report, updates, the daily
digest, and each member's choice per body. A mail leaves Veille: it goes only to those who read
the report whole, and a confidential report's mail carries none of its content."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.audit.models import AuditEvent
from veille.bodies.enums import MemberRole
from veille.bodies.models import Body, Membership
from veille.config import Settings
from veille.directory.enums import OrganisationKind
from veille.directory.models import User
from veille.errors import Forbidden, NotFound
from veille.i18n import translate, translations
from veille.notifications import service as outbox
from veille.notifications.models import OutboxMail
from veille.orm import utcnow
from veille.situations import flows
from veille.situations.enums import Confidentiality, NotificationMode
from veille.situations.models import NotificationChoice, Situation, SituationUpdateRecord

DESCRIPTION = "Deux jeunes, dont un mineur, dealent devant la porte B chaque soir."
PLACE = "12 rue des Lilas, hall B"


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return smtp_server.configure(settings)


def choose(session: Session, body: Body, user: User, mode: NotificationMode) -> None:
    flows.set_mode(session, access=flows.choice_access(session, user, body.id or 0), mode=mode)


def fr(message: str, **params: object) -> str:
    """A message as a French reader gets it (whether or not the catalogue has it yet)."""
    return translate(message, "fr", **params)


def subject(message: str, **params: object) -> str:
    """A subject as sent: the French message as is, its no-break spaces (before ":") kept."""
    return fr(message, **params)


def confidential(n: int) -> str:
    singular = "%(num)s confidential report, shown only in Veille to those who may read it"
    plural = "%(num)s confidential reports, shown only in Veille to those who may read them"
    return str(translations("fr").ngettext(singular, plural, n) % {"num": n})


def text_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def delivered(engine: Engine, settings: Settings, smtp_server: SmtpServer) -> dict[str, EmailMessage]:
    """Delivers the outbox; answers the mails received, by recipient (one each at most)."""
    outbox.deliver_pending(engine, settings)
    received = {str(m["To"]): m for m in smtp_server.messages}
    assert len(received) == len(smtp_server.messages), "one mail per person"
    return received


def posted(session: Session, settings: Settings, situation: Situation) -> None:
    """What the routes do after ``service.create_situation``: the flow, then the commit."""
    flows.report_posted(session, situation=situation, settings=settings)
    session.commit()


def report(factory: Factory, world: World, author: User, **values: Any) -> Situation:
    values.setdefault("description", DESCRIPTION)
    values.setdefault("place", PLACE)
    return factory.situation(world.body, author, sector_id=world.sector.id, severity=3, **values)


def assert_no_content(message: EmailMessage, situation: Situation) -> None:
    whole = str(message["Subject"]) + text_of(message)
    for secret in (situation.title, DESCRIPTION, PLACE, "hall", "Lilas"):
        assert secret not in whole, f"{secret!r} left Veille in a mail"


@pytest.fixture
def social_worker(factory: Factory, world: World) -> User:
    """A member of the body from the department's social services."""
    social = factory.organisation("Services sociaux du département", OrganisationKind.social_services)
    user = factory.user("Sarah Sociale", organisation=social, email="social@example.org")
    factory.member(world.body, user)
    return user


@pytest.fixture
def housing_member(factory: Factory, world: World) -> User:
    """A member of the body from an organisation that is named on no report."""
    user = factory.user("Hugo Habitat", organisation=world.other.organisation, email="housing@example.org")
    factory.member(world.body, user)
    return user


# A new report


def test_each_mails_a_body_report_with_what_identifies_it_not_its_description(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    for user in (world.chair, world.member):
        choose(session, world.body, user, NotificationMode.each)
    situation = report(factory, world, world.secretary, title="Rodéos sur le parking Leclerc")
    posted(session, settings, situation)

    mails = delivered(engine, settings, smtp_server)
    assert sorted(mails) == sorted([world.chair.email, world.member.email])
    mail = mails[world.member.email]
    assert mail["Subject"] == subject(
        "New report in %(body)s: %(title)s", body=world.body.name, title="Rodéos sur le parking Leclerc"
    )
    text = text_of(mail)
    for fact in ("Rodéos sur le parking Leclerc", "Centre", PLACE, "3/4", f"/situations/{situation.id}"):
        assert fact in text
    assert f"http://testserver/situations/{situation.id}" in text
    assert DESCRIPTION not in text


def test_digest_none_and_the_author_get_no_mail_per_report(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    choose(session, world.body, world.secretary, NotificationMode.none)
    choose(session, world.body, world.member, NotificationMode.each)
    # The chair never chose: the digest. The guest sees no report.
    posted(session, settings, report(factory, world, world.member))
    assert delivered(engine, settings, smtp_server) == {}


def test_a_restricted_report_is_mailed_without_its_content_to_those_who_read_it(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    housing_member: User,
) -> None:
    police_colleague = factory.user("Paul Police", organisation=world.organisation, email="paul@example.org")
    factory.member(world.body, police_colleague)
    for user in (world.chair, world.secretary, police_colleague, housing_member):
        choose(session, world.body, user, NotificationMode.each)
    situation = report(factory, world, world.member, confidentiality=Confidentiality.restricted)
    posted(session, settings, situation)

    mails = delivered(engine, settings, smtp_server)
    # The chair and the secretaries, and the named organisation (the author's): not the
    # member of an organisation the report does not name.
    assert sorted(mails) == sorted([world.chair.email, world.secretary.email, police_colleague.email])
    for mail in mails.values():
        assert mail["Subject"] == subject("New confidential report in %(body)s", body=world.body.name)
        assert f"http://testserver/situations/{situation.id}" in text_of(mail)
        assert_no_content(mail, situation)


def test_a_social_report_is_mailed_only_to_its_organisations_without_its_content(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    social_worker: User,
) -> None:
    mediation = factory.organisation("Médiation de nuit", OrganisationKind.mediation)
    mediator = factory.user("Mehdi Médiateur", organisation=mediation, email="mediator@example.org")
    factory.member(world.body, mediator)
    for user in (world.chair, world.secretary, world.member, mediator):
        choose(session, world.body, user, NotificationMode.each)
    situation = report(
        factory, world, social_worker, confidentiality=Confidentiality.social, shared_with=[mediation]
    )
    posted(session, settings, situation)

    mails = delivered(engine, settings, smtp_server)
    # The chair, chair though they are, sees only that a coordination is needed: no mail.
    assert list(mails) == [mediator.email]
    assert_no_content(mails[mediator.email], situation)


def test_a_member_who_left_was_excluded_deactivated_or_has_the_charter_to_accept_gets_nothing(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    housing_member: User,
) -> None:
    gone = factory.user("Gilles Parti", organisation=world.organisation)
    factory.member(world.body, gone)
    inactive = factory.user("Ines Inactive", organisation=world.organisation)
    factory.member(world.body, inactive)
    for user in (world.chair, world.secretary, world.member, housing_member, gone, inactive):
        choose(session, world.body, user, NotificationMode.each)
    excluded = session.exec(select(Membership).where(Membership.user_id == world.member.id)).one()
    excluded.excluded_at = utcnow()
    session.add(excluded)
    session.delete(session.exec(select(Membership).where(Membership.user_id == gone.id)).one())
    inactive.active = False
    session.add(inactive)
    session.commit()
    world.body.charter_required = True
    factory._save(world.body)
    factory.charter(world.body)
    factory.accept(world.body, world.chair)  # the secretary and the housing member have not

    posted(session, settings, report(factory, world, world.coordinator))
    assert list(delivered(engine, settings, smtp_server)) == [world.chair.email]


def test_the_mail_is_queued_in_the_callers_transaction(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    choose(session, world.body, world.member, NotificationMode.each)
    situation = report(factory, world, world.secretary)
    flows.report_posted(session, situation=situation, settings=settings)
    session.rollback()
    assert session.exec(select(OutboxMail)).all() == []


def test_each_mail_is_in_the_recipients_language(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    english = factory.user(
        "Emma English", organisation=world.organisation, language="en", email="en@example.org"
    )
    factory.member(world.body, english)
    for user in (english, world.member):
        choose(session, world.body, user, NotificationMode.each)
    situation = report(factory, world, world.secretary)
    situation.occurred_at = situation.occurred_at.replace(month=5, day=15)
    factory._save(situation)
    posted(session, settings, situation)
    mails = delivered(engine, settings, smtp_server)
    assert "May" in text_of(mails[english.email])
    assert "mai" in text_of(mails[world.member.email])


# An update


def update(session: Session, settings: Settings, situation: Situation, author: User) -> None:
    """What the routes do after ``service.add_update``: the flow, then the commit."""
    record = SituationUpdateRecord(
        situation_id=situation.id or 0,
        text="Nouvelle interpellation hier soir, Kevin D.",
        author_id=author.id,
    )
    session.add(record)
    session.flush()
    flows.update_posted(session, situation=situation, update=record, settings=settings)
    session.commit()


def test_an_update_is_mailed_to_the_author_and_the_secretaries_not_the_chair(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    second = factory.user("Sonia Secrétaire", organisation=world.chair.organisation)
    factory.member(world.body, second, MemberRole.secretary)
    situation = report(factory, world, world.member, title="Tags sur l'école")
    choose(session, world.body, world.member, NotificationMode.none)  # for new reports only

    update(session, settings, situation, world.secretary)
    mails = delivered(engine, settings, smtp_server)
    # Not the update's author, not the chair.
    assert sorted(mails) == sorted([world.member.email, second.email])
    text = text_of(mails[world.member.email])
    assert "Tags sur l'école" in text and "Sophie Secrétaire (Mairie)" in text
    assert fr("You receive this mail because you posted this report.") in text
    assert fr("You receive this mail because you are a secretary of this body.") in text_of(
        mails[second.email]
    )
    for mail in mails.values():
        assert "Kevin" not in text_of(mail), "the update's text stays in Veille"


def test_an_update_of_a_confidential_report_says_nothing_of_it(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    social_worker: User,
) -> None:
    restricted = report(factory, world, world.member, confidentiality=Confidentiality.restricted)
    update(session, settings, restricted, world.chair)
    mails = delivered(engine, settings, smtp_server)
    assert sorted(mails) == sorted([world.member.email, world.secretary.email])
    for mail in mails.values():
        assert mail["Subject"] == subject("Update on a confidential report in %(body)s", body=world.body.name)
        assert_no_content(mail, restricted)
        assert "Kevin" not in text_of(mail) and "Charles" not in text_of(mail)

    smtp_server.messages.clear()
    social = report(factory, world, social_worker, confidentiality=Confidentiality.social)
    update(session, settings, social, social_worker)
    # The author posted the update; the secretary does not read a social report.
    assert delivered(engine, settings, smtp_server) == {}


def test_an_update_is_not_mailed_to_an_author_who_left_the_body(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    situation = report(factory, world, world.member)
    session.delete(session.exec(select(Membership).where(Membership.user_id == world.member.id)).one())
    session.commit()
    update(session, settings, situation, world.chair)
    assert list(delivered(engine, settings, smtp_server)) == [world.secretary.email]


# The daily digest


def test_the_digest_lists_titles_counts_confidential_reports_and_is_sent_once(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    housing_member: User,
) -> None:
    now = utcnow()
    choose(session, world.body, world.chair, NotificationMode.each)
    choose(session, world.body, world.member, NotificationMode.none)
    report(factory, world, world.member, title="Rodéos parking Leclerc", created_at=now - timedelta(hours=3))
    report(factory, world, world.chair, title="Bruit bar Le Zinc", created_at=now - timedelta(hours=2))
    restricted = report(
        factory,
        world,
        world.member,
        title="Trafic cage d'escalier C",
        confidentiality=Confidentiality.restricted,
        created_at=now - timedelta(hours=1),
    )
    report(factory, world, world.member, title="Ancien signalement", created_at=now - timedelta(days=2))
    report(factory, world, world.member, title="Plus tard", created_at=now + timedelta(hours=1))

    assert flows.send_digests(session, settings, now=now) == 2
    mails = delivered(engine, settings, smtp_server)
    # The chair takes each report, the member nothing; the guest is not a member.
    assert sorted(mails) == sorted([world.secretary.email, housing_member.email])
    secretary = text_of(mails[world.secretary.email])
    assert mails[world.secretary.email]["Subject"] == subject("New reports in %(body)s", body=world.body.name)
    assert "Rodéos parking Leclerc" in secretary and "Bruit bar Le Zinc" in secretary
    assert confidential(1) in secretary
    assert restricted.title not in secretary and "Ancien signalement" not in secretary
    assert "Plus tard" not in secretary
    # The housing member cannot see the restricted report: not even counted.
    housing = text_of(mails[housing_member.email])
    assert "Rodéos parking Leclerc" in housing and confidential(1) not in housing

    smtp_server.messages.clear()
    assert flows.send_digests(session, settings, now=now) == 0
    assert flows.send_digests(session, settings, now=now + timedelta(minutes=30)) == 0
    assert delivered(engine, settings, smtp_server) == {}

    # The next day: only what came since.
    later = now + timedelta(days=1)
    assert flows.send_digests(session, settings, now=later) == 2
    mails = delivered(engine, settings, smtp_server)
    for mail in mails.values():
        assert "Plus tard" in text_of(mail) and "Rodéos" not in text_of(mail)


def test_the_digest_leaves_out_ones_own_reports_and_other_bodies(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    now = utcnow()
    report(
        factory, world, world.secretary, title="Mon propre signalement", created_at=now - timedelta(hours=1)
    )
    factory.situation(world.other_body, world.other, "Ailleurs", created_at=now - timedelta(hours=1))
    assert flows.send_digests(session, settings, now=now) == 2  # the chair and the member
    mails = delivered(engine, settings, smtp_server)
    assert sorted(mails) == sorted([world.chair.email, world.member.email])
    assert world.other.email not in mails  # nothing new in their body but their own report


def test_the_digest_counts_social_stubs_and_names_no_confidential_report(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
    social_worker: User,
) -> None:
    now = utcnow()
    social = report(
        factory,
        world,
        social_worker,
        confidentiality=Confidentiality.social,
        created_at=now - timedelta(hours=1),
    )
    assert flows.send_digests(session, settings, now=now) == 3  # chair, secretary, member
    for mail in delivered(engine, settings, smtp_server).values():
        assert confidential(1) in text_of(mail)
        assert_no_content(mail, social)


def test_nothing_new_sends_nothing_but_moves_the_window(
    world: World,
    factory: Factory,
    session: Session,
    settings: Settings,
    engine: Engine,
    smtp_server: SmtpServer,
) -> None:
    now = utcnow()
    assert flows.send_digests(session, settings, now=now) == 0
    until = session.exec(
        select(NotificationChoice.digest_until).where(NotificationChoice.user_id == world.member.id)
    ).one()
    assert until == now
    # The next digest starts where this one ended: what is dated before is not sent.
    report(factory, world, world.chair, created_at=now - timedelta(hours=1))
    assert flows.send_digests(session, settings, now=now + timedelta(days=1)) == 0
    assert delivered(engine, settings, smtp_server) == {}


def test_coming_to_the_digest_starts_it_now(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    now = utcnow()
    choose(session, world.body, world.member, NotificationMode.each)
    report(factory, world, world.chair, created_at=now - timedelta(hours=1))  # mailed to them already
    choose(session, world.body, world.member, NotificationMode.digest)
    assert flows.send_digests(session, settings, now=now) == 1  # the secretary's
    mails = session.exec(select(OutboxMail.to_address)).all()
    assert mails == [world.secretary.email]


# The choice: service, page and API


def test_only_the_bodys_members_choose(world: World, session: Session, factory: Factory) -> None:
    with pytest.raises(NotFound):
        flows.choice_access(session, world.other, world.body.id or 0)
    for user in (world.guest, world.coordinator, world.admin):
        with pytest.raises(Forbidden):
            flows.choice_access(session, user, world.body.id or 0)
    access = flows.choice_access(session, world.member, world.body.id or 0)
    assert flows.current_mode(session, access) == NotificationMode.digest


def test_a_member_chooses_on_the_body_page_with_htmx(world: World, client_for: Any, session: Session) -> None:
    client = client_for(world.member)
    page = client.get(f"/bodies/{world.body.id}")
    assert f'hx-get="/bodies/{world.body.id}/notifications"' in page.text
    card = client.get(f"/bodies/{world.body.id}/notifications", headers={"HX-Request": "true"})
    assert card.status_code == 200
    assert '<section class="card" id="notifications"' in card.text and "<html" not in card.text
    assert 'value="digest" checked' in card.text

    saved = client.htmx(f"/bodies/{world.body.id}/notifications", {"mode": "each"})
    assert saved.status_code == 200
    assert 'value="each" checked' in saved.text and "flash--success" in saved.text
    session.expire_all()
    choice = session.exec(
        select(NotificationChoice).where(NotificationChoice.user_id == world.member.id)
    ).one()
    assert choice.mode == NotificationMode.each
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "notifications")).one()
    assert (event.user_id, event.entity_id, event.detail) == (
        world.member.id,
        world.body.id,
        {"mode": "each"},
    )

    refused = client.htmx(f"/bodies/{world.body.id}/notifications", {"mode": "hourly"})
    assert refused.status_code == 422
    assert 'value="each" checked' in refused.text and "field__error" in refused.text


def test_the_choice_works_without_javascript(world: World, client_for: Any, session: Session) -> None:
    client = client_for(world.secretary)
    page = client.get(f"/bodies/{world.body.id}/notifications")
    assert page.status_code == 200 and "<html" in page.text
    done = client.form(f"/bodies/{world.body.id}/notifications", {"mode": "none"})
    assert done.status_code == 303 and done.headers["location"] == f"/bodies/{world.body.id}"
    session.expire_all()
    mode = session.exec(
        select(NotificationChoice.mode).where(NotificationChoice.user_id == world.secretary.id)
    ).one()
    assert mode == NotificationMode.none


def test_the_body_page_offers_the_choice_to_members_only(world: World, client_for: Any) -> None:
    for user in (world.guest, world.coordinator):
        page = client_for(user).get(f"/bodies/{world.body.id}")
        assert page.status_code == 200
        assert 'id="notifications"' not in page.text


def test_the_api_reads_and_sets_the_choice(world: World, api_for: Any, session: Session) -> None:
    api = api_for(world.chair)
    url = f"/api/v1/bodies/{world.body.id}/notifications"
    assert api.get(url).json() == {"body_id": world.body.id, "mode": "digest"}
    assert api.put(url, json={"mode": "each"}).json() == {"body_id": world.body.id, "mode": "each"}
    assert api.get(url).json()["mode"] == "each"
    refused = api.put(url, json={"mode": "hourly"})
    assert refused.status_code == 422
    assert api.get(url).json()["mode"] == "each"
    assert api_for(world.other).get(url).status_code == 404
    assert api_for(world.guest).put(url, json={"mode": "each"}).status_code == 403
    rows = session.exec(
        select(NotificationChoice).where(col(NotificationChoice.body_id) == world.body.id)
    ).all()
    assert [(r.user_id, r.mode) for r in rows] == [(world.chair.id, NotificationMode.each)]


# Through the routes


def test_posting_and_updating_through_the_api_mails_the_members(
    world: World, session: Session, api_for: Any, smtp_server: SmtpServer, engine: Engine, settings: Settings
) -> None:
    choose(session, world.body, world.chair, NotificationMode.each)
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    created = api_for(world.member).post(
        "/api/v1/situations",
        json={
            "body_id": world.body.id,
            "title": "Hall occupé, bâtiment C",
            "description": DESCRIPTION,
            "category": "hall_occupation",
            "occurred_at": f"{yesterday}T21:00:00+01:00",
        },
    )
    assert created.status_code == 201, created.text
    outbox.deliver_pending(engine, settings)  # in case the delivery after the response found SQLite busy
    assert [m["To"] for m in smtp_server.messages] == [world.chair.email]
    assert "Hall occupé, bâtiment C" in text_of(smtp_server.messages[0])

    smtp_server.messages.clear()
    posted_update = api_for(world.chair).post(
        f"/api/v1/situations/{created.json()['id']}/updates", json={"text": "Passage de la police ce soir."}
    )
    assert posted_update.status_code == 201, posted_update.text
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [world.member.email, world.secretary.email]
    )

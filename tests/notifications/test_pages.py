"""Admin pages of the outbox: list, filter, pagination, one mail, sending a failed mail again."""

from __future__ import annotations

from sqlmodel import select

from veille.audit.models import AuditEvent
from veille.notifications import service as outbox
from veille.notifications.enums import OutboxStatus
from veille.notifications.models import OutboxMail
from veille.notifications.service import Attachment

ICS = b"BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"


def add_mail(session, status=OutboxStatus.pending, **fields):  # type: ignore[no-untyped-def]
    session.commit()  # end the test's read snapshot before writing (SQLite)
    values = {"to": "nadia@example.org", "subject": "Convocation : cellule de veille", "text": "Bonjour."}
    mail = outbox.enqueue(session, **(values | fields))
    mail.status = status
    session.commit()
    return mail


def test_admin_sees_the_outbox_newest_first_and_filters_by_status(client_for, world, session):
    add_mail(session, subject="Premier courriel", status=OutboxStatus.sent)
    add_mail(session, subject="Deuxième courriel", status=OutboxStatus.failed, kind="meeting_convocation")
    add_mail(session, subject="Troisième courriel")
    client = client_for(world.admin)

    page = client.get("/admin/outbox")

    assert page.status_code == 200
    html = page.text
    assert html.index("Troisième courriel") < html.index("Deuxième courriel") < html.index("Premier courriel")
    assert "meeting_convocation" in html
    assert "Tous (3)" in html
    assert "En attente (1)" in html
    assert "Envoyé (1)" in html
    assert "En échec (1)" in html
    failed = client.get("/admin/outbox?status=failed").text
    assert "Deuxième courriel" in failed
    assert "Premier courriel" not in failed
    assert "Troisième courriel" not in failed


def test_outbox_says_when_mail_delivery_is_not_configured(client_for, world):
    html = client_for(world.admin).get("/admin/outbox").text
    assert "VEILLE_SMTP_HOST" in html
    assert "Aucun courriel ici." in html


def test_outbox_is_paginated_with_bounded_queries(client_for, world, session, queries):
    client = client_for(world.admin)
    add_mail(session, status=OutboxStatus.failed)
    client.get("/admin/outbox")  # warm up
    with queries() as few:
        client.get("/admin/outbox")
    for n in range(60):
        add_mail(session, subject=f"Rappel {n}", attachments=[Attachment("invite.ics", "text/calendar", ICS)])
    with queries() as many:
        page = client.get("/admin/outbox")
    assert many.count == few.count <= 6
    assert "Page 1 sur 2" in page.text
    assert "Rappel 59" in page.text
    second = client.get("/admin/outbox?page=2")
    assert "Rappel 0" in second.text
    assert "Rappel 59" not in second.text
    with queries() as filtered:
        assert client.get("/admin/outbox?status=pending&page=2").status_code == 200
    assert filtered.count == few.count


def test_pagination_keeps_the_status_filter(client_for, world, session):
    for _ in range(51):
        add_mail(session, status=OutboxStatus.failed)
    html = client_for(world.admin).get("/admin/outbox?status=failed").text
    assert 'href="/admin/outbox?status=failed&amp;page=2"' in html


def test_mail_page_shows_headers_text_and_attachment_names(client_for, world, session, queries):
    mail = add_mail(
        session,
        to=world.member.email,
        subject="Convocation : cellule de veille du 12 mars",
        text="Bonjour,\nVous êtes convoqué <b>jeudi</b>.",
        html="<p>Bonjour</p>",
        attachments=[
            Attachment("invite.ics", "text/calendar; method=REQUEST; charset=utf-8", ICS),
            Attachment("ordre-du-jour.pdf", "application/pdf", b"%PDF" * 100),
        ],
        user_id=world.member.id,
        kind="meeting_convocation",
    )
    client = client_for(world.admin)
    client.get(f"/admin/outbox/{mail.id}")  # warm up
    with queries() as log:
        page = client.get(f"/admin/outbox/{mail.id}")

    assert page.status_code == 200
    html = page.text
    assert "Convocation : cellule de veille du 12 mars" in html
    assert f'<dd class="mail-header">{world.member.email}</dd>' in html
    assert "veille@localhost" in html  # From
    assert f"&lt;veille.{mail.id}." in html  # Message-ID
    assert "Vous êtes convoqué &lt;b&gt;jeudi&lt;/b&gt;." in html  # shown as text, never as HTML
    assert "&lt;p&gt;Bonjour&lt;/p&gt;" in html
    assert "invite.ics" in html
    assert "text/calendar; method=REQUEST; charset=utf-8" in html
    assert f"{len(ICS)} octets" in html
    assert "ordre-du-jour.pdf" in html
    assert "400 octets" in html
    assert world.member.name in html
    assert "Envoyer à nouveau" not in html  # only for a failed mail
    assert log.count <= 6
    assert not any("outbox_attachment.data," in s for s in log.statements)  # the data is not loaded


def test_admin_sends_a_failed_mail_again(client_for, world, session):
    mail = add_mail(session, status=OutboxStatus.failed)
    session.exec(select(OutboxMail).where(OutboxMail.id == mail.id)).one().attempts = 6
    session.commit()
    client = client_for(world.admin)
    assert "Envoyer à nouveau" in client.get(f"/admin/outbox/{mail.id}").text

    response = client.form(f"/admin/outbox/{mail.id}/retry")

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin/outbox/{mail.id}"
    session.rollback()
    again = session.get(OutboxMail, mail.id, populate_existing=True)
    assert (again.status, again.attempts) == (OutboxStatus.pending, 0)
    event = session.exec(select(AuditEvent).where(AuditEvent.entity == "outbox_mail")).one()
    assert (event.verb, event.entity_id, event.user_id) == ("retry", mail.id, world.admin.id)
    page = client.get(response.headers["location"])
    assert "Le courriel est de nouveau dans la file" in page.text


def test_only_a_failed_mail_can_be_sent_again(client_for, world, session):
    client = client_for(world.admin)
    for status in (OutboxStatus.pending, OutboxStatus.sent):
        mail = add_mail(session, status=status)
        response = client.form(f"/admin/outbox/{mail.id}/retry")
        assert response.status_code == 409
        assert "Seul un courriel en échec" in response.text
    assert session.exec(select(AuditEvent).where(AuditEvent.entity == "outbox_mail")).all() == []


def test_unknown_mail_is_not_found(client_for, world):
    client = client_for(world.admin)
    assert client.get("/admin/outbox/999").status_code == 404
    assert client.get("/admin/outbox/abc").status_code == 404
    assert client.form("/admin/outbox/999/retry").status_code == 404
    assert client.get("/admin/outbox?status=lost").status_code == 404


def test_outbox_is_offered_to_admins_only(client_for, world):
    assert 'href="/admin/outbox"' in client_for(world.admin).get("/").text
    assert 'href="/admin/outbox"' not in client_for(world.coordinator).get("/").text
    assert client_for(world.coordinator).get("/admin/outbox").status_code == 403

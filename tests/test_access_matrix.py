"""Who may call what: every page, fragment and API route, as every persona.

The matrix is checked against the application's route table: a route without an entry fails
the suite, so every new route must declare who may use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.routing import iter_route_contexts
from sqlmodel import select
from starlette.routing import Mount

from tests.factories import PASSWORD, PERSONAS, Factory, World
from veille.app import create_app
from veille.bodies.enums import BodyKind
from veille.bodies.models import Membership
from veille.config import Settings
from veille.meetings.enums import MeetingStatus
from veille.notifications import service as outbox
from veille.notifications.enums import OutboxStatus
from veille.orm import utcnow


@pytest.fixture
def engine_name() -> str:
    """Who may call what does not depend on the engine: the matrix (about 2,000 calls) runs on
    SQLite, while the suites of each domain, confidentiality first, run on both engines."""
    return "sqlite"


OK, LOGIN = "ok", "login"
ALL = dict.fromkeys(PERSONAS, OK)
LOGGED_IN = ALL | {"anonymous": LOGIN}
STAFF = dict.fromkeys(PERSONAS, 403) | {"admin": OK, "coordinator": OK, "anonymous": LOGIN}
ADMIN = STAFF | {"coordinator": 403}
# Inside the body: members see it, outsiders get 404 (its existence is not confirmed).
BODY_VIEW = LOGGED_IN | {"other": 404}
BODY_MEMBERS = BODY_VIEW | {"guest": 403}
BODY_MANAGE = BODY_MEMBERS | {"member": 403}
BODY_CHAIR = BODY_MANAGE | {"secretary": 403}
CHARTER_ACCEPT = BODY_VIEW | {"admin": 403, "coordinator": 403}
# A meeting of the body: its invited guest sees it (not its minutes), outsiders get 404.
MEETING_ANSWER = BODY_VIEW | {"admin": 403, "coordinator": 403}
ROUND_TABLE = BODY_MEMBERS | {"admin": 403, "coordinator": 403}
NOBODY = dict.fromkeys(PERSONAS, 404)
NEW_PASSWORD = "lanterne cerisier boussole marée"


@dataclass
class Case:
    expect: dict[str, Any]
    data: dict[str, Any] | None = None
    setup: Callable[[Factory, World], None] | None = None
    params: dict[str, str] = field(default_factory=dict)
    # The query string of the call (a search's words).
    query: dict[str, str] = field(default_factory=dict)


def with_charter(factory: Factory, world: World) -> None:
    factory.charter(world.body)


def invited(factory: Factory, world: World) -> None:
    """The member's account as an admin left it for its holder to set: no password yet (their
    session in the test stands)."""
    world.member.password_hash = None
    factory.session.add(world.member)
    factory.session.commit()


def meeting(status: MeetingStatus = MeetingStatus.convened, *, next_one: bool = False) -> Any:
    """A meeting of the body in a week, its members and guest invited, with one agenda item."""

    def setup(factory: Factory, world: World) -> None:
        world.meeting = factory.meeting(world.body, status=status, in_days=-1 if status == "held" else 7)
        world.item = factory.item(world.meeting)
        for user in (world.chair, world.secretary, world.member):
            factory.invite(world.meeting, user)
        factory.invite(world.meeting, world.guest, guest=True)
        if next_one:
            factory.meeting(world.body, in_days=30)

    return setup


IN_A_MONTH = (date.today() + timedelta(days=30)).isoformat()
MEETING_FORM = {"day": IN_A_MONTH, "start": "14:00", "end": "16:00", "location": "Mairie"}
API_MEETING = {"starts_at": f"{IN_A_MONTH}T14:00:00+01:00", "ends_at": f"{IN_A_MONTH}T16:00:00+01:00"}
SERIES_FORM = {
    "first_month": IN_A_MONTH,
    "ordinal": "1",
    "weekday": "1",
    "start": "14:00",
    "end": "16:00",
    "count": "2",
}


def with_failed_mail(factory: Factory, world: World) -> None:
    """Outbox mail 1, whose delivery failed (an admin may send it again)."""
    factory.session.commit()
    mail = outbox.enqueue(factory.session, to=world.member.email, subject="Convocation", text="Bonjour.")
    mail.status = OutboxStatus.failed
    factory.session.commit()
    assert mail.id == 1


def crime_treatment_group(factory: Factory, world: World) -> None:
    """The body as a crime-treatment group past the middle of its period."""
    world.body.kind = BodyKind.crime_treatment_group
    world.body.starts_on = date.today() - timedelta(days=60)
    world.body.ends_on = date.today() + timedelta(days=30)
    factory._save(world.body)


def report(factory: Factory, world: World) -> None:
    """A report of the body that the whole body reads, posted by the member, with a PDF, in a
    problem file."""
    world.situation = factory.situation(world.body, world.member)
    world.attachment = factory.attachment(world.situation)
    world.problem = factory.problem(world.body, situations=[world.situation])


# A report the whole body reads: its members, and the staff; never a guest (docs/confidentiality.md, rule 4).
REPORT = BODY_VIEW | {"guest": 404}
# Referring it on its own: its body's chair and secretaries (who sit in the other body too) and
# the staff; its other readers get 403.
REFER = REPORT | {"member": 403}
REFERRAL = {"body_id": "2", "reason": "Suivi par la cellule voisine"}


def report_to_refer(factory: Factory, world: World) -> None:
    report(factory, world)
    factory.member(world.other_body, world.chair)
    factory.member(world.other_body, world.secretary)


def with_rule(factory: Factory, world: World) -> None:
    """The body meets the first Tuesday of the month at 14:00."""
    world.body.rule_ordinal, world.body.rule_weekday, world.body.rule_minutes = 1, 1, 120
    world.body.rule_start = time(14, 0)
    factory.session.add(world.body)
    factory.session.commit()


PROBLEM_VIEW = BODY_MEMBERS | {"guest": 404}
PROBLEM_MANAGE = BODY_MANAGE | {"guest": 404}
YESTERDAY = (date.today() - timedelta(days=1)).isoformat()
REPORT_FORM = {
    "body_id": "1",
    "title": "Hall occupé",
    "category": "hall_occupation",
    "occurred_on": YESTERDAY,
    "severity": "2",
    "confidentiality": "body",
    "version": "1",
}
API_REPORT = {
    "body_id": 1,
    "title": "Hall occupé",
    "category": "hall_occupation",
    "occurred_at": f"{YESTERDAY}T21:00:00+01:00",
}

BODY_FORM = {"name": "Cellule", "kind": "watch_cell", "sector_ids": ["1"], "version": "1"}
API_BODY = {"name": "Cellule", "kind": "watch_cell", "sector_ids": []}

MATRIX: dict[tuple[str, str], Case] = {
    ("GET", "/healthz"): Case(ALL),
    ("GET", "/favicon.ico"): Case(ALL),
    ("GET", "/static"): Case(ALL, params={"path": "css/base.css"}),
    ("GET", "/api/v1/openapi.json"): Case(ALL),
    ("GET", "/api/v1/docs"): Case(ALL),
    # Pages
    ("GET", "/login"): Case(ALL),
    ("POST", "/login"): Case(ALL, {"email": "member@example.org", "password": PASSWORD}),
    ("POST", "/logout"): Case(ALL),
    ("GET", "/password/forgot"): Case(ALL),
    ("POST", "/password/forgot"): Case(ALL, {"email": "member@example.org"}),
    ("GET", "/password/reset/{token}"): Case(NOBODY),
    ("POST", "/password/reset/{token}"): Case(NOBODY, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}),
    ("GET", "/search"): Case(LOGGED_IN, query={"q": "hall"}),
    ("GET", "/help"): Case(LOGGED_IN),
    ("GET", "/help/{role}"): Case(LOGGED_IN, params={"role": "secretary"}),
    ("GET", "/account"): Case(LOGGED_IN),
    ("POST", "/account/profile"): Case(LOGGED_IN, {"name": "Nouveau Nom", "language": "en"}),
    ("POST", "/account/password"): Case(
        LOGGED_IN, {"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    ),
    # A body one does not sit in (or only as a guest) is not among one's choices: refused, as an
    # unknown one would be.
    ("POST", "/account/mail"): Case(
        LOGGED_IN | dict.fromkeys(("admin", "coordinator", "other", "guest"), 422), {"mode-1": "each"}
    ),
    ("POST", "/account/calendar"): Case(LOGGED_IN),
    # Only one's own API tokens: token 1 is the persona's session (or nobody's).
    ("POST", "/account/tokens/{token_id}/revoke"): Case(
        NOBODY | {"anonymous": LOGIN}, params={"token_id": "1"}
    ),
    ("GET", "/"): Case(LOGGED_IN),
    ("GET", "/bodies"): Case(LOGGED_IN),
    ("GET", "/bodies/new"): Case(STAFF),
    ("POST", "/bodies/new"): Case(STAFF, BODY_FORM),
    ("GET", "/bodies/{body_id}"): Case(BODY_VIEW),
    ("GET", "/bodies/{body_id}/edit"): Case(BODY_MANAGE),
    ("POST", "/bodies/{body_id}/edit"): Case(BODY_MANAGE, BODY_FORM),
    ("POST", "/bodies/{body_id}/close"): Case(BODY_CHAIR),
    ("GET", "/bodies/{body_id}/group"): Case(BODY_MEMBERS, setup=crime_treatment_group),
    ("POST", "/bodies/{body_id}/group/reviews"): Case(
        BODY_CHAIR, {"kind": "mid_term", "text": "Bilan"}, setup=crime_treatment_group
    ),
    ("POST", "/bodies/{body_id}/group/renew"): Case(
        BODY_CHAIR, {"ends_on": (date.today() + timedelta(days=365)).isoformat()}, setup=crime_treatment_group
    ),
    ("POST", "/bodies/{body_id}/group/close"): Case(BODY_CHAIR, setup=crime_treatment_group),
    ("GET", "/bodies/{body_id}/group/report.pdf"): Case(BODY_MEMBERS, setup=crime_treatment_group),
    ("GET", "/bodies/{body_id}/members"): Case(BODY_MEMBERS),
    ("POST", "/bodies/{body_id}/members"): Case(BODY_MANAGE, {"user_id": "{other}", "role": "member"}),
    ("POST", "/bodies/{body_id}/members/{member_id}/role"): Case(BODY_MANAGE, {"role": "secretary"}),
    ("POST", "/bodies/{body_id}/members/{member_id}/remove"): Case(BODY_MANAGE),
    ("POST", "/bodies/{body_id}/members/{member_id}/exclude"): Case(BODY_CHAIR, {"reason": "Fuite"}),
    ("GET", "/bodies/{body_id}/charter"): Case(BODY_VIEW),
    ("POST", "/bodies/{body_id}/charter/accept"): Case(CHARTER_ACCEPT, setup=with_charter),
    ("GET", "/bodies/{body_id}/charter/edit"): Case(BODY_CHAIR),
    ("POST", "/bodies/{body_id}/charter/edit"): Case(BODY_CHAIR, {"text": "Article 1.", "version": "0"}),
    ("GET", "/meetings"): Case(LOGGED_IN),
    ("GET", "/bodies/{body_id}/meetings"): Case(BODY_VIEW, setup=meeting()),
    ("GET", "/bodies/{body_id}/meetings/new"): Case(BODY_MANAGE),
    ("POST", "/bodies/{body_id}/meetings/new"): Case(BODY_MANAGE, MEETING_FORM),
    ("POST", "/bodies/{body_id}/meetings/series"): Case(BODY_MANAGE, SERIES_FORM),
    ("POST", "/bodies/{body_id}/meetings/plan"): Case(BODY_MANAGE, setup=with_rule),
    ("GET", "/meetings/{meeting_id}"): Case(BODY_VIEW, setup=meeting()),
    ("GET", "/meetings/{meeting_id}/edit"): Case(BODY_MANAGE, setup=meeting()),
    ("POST", "/meetings/{meeting_id}/edit"): Case(
        BODY_MANAGE, MEETING_FORM | {"version": "1"}, setup=meeting()
    ),
    ("POST", "/meetings/{meeting_id}/convene"): Case(BODY_MANAGE, setup=meeting(MeetingStatus.planned)),
    ("POST", "/meetings/{meeting_id}/cancel"): Case(BODY_MANAGE, setup=meeting()),
    ("POST", "/meetings/{meeting_id}/approve"): Case(BODY_MANAGE, setup=meeting(MeetingStatus.held)),
    ("POST", "/meetings/{meeting_id}/attendance"): Case(
        MEETING_ANSWER, {"status": "confirmed"}, setup=meeting()
    ),
    ("POST", "/meetings/{meeting_id}/attendance/{invitee_id}"): Case(
        BODY_MANAGE, {"status": "excused"}, setup=meeting()
    ),
    ("POST", "/meetings/{meeting_id}/all-present"): Case(BODY_MANAGE, setup=meeting(MeetingStatus.held)),
    ("POST", "/meetings/{meeting_id}/invitations"): Case(
        BODY_MANAGE, {"user_id": "{other}"}, setup=meeting()
    ),
    ("POST", "/meetings/{meeting_id}/invitations/{invitee_id}/withdraw"): Case(BODY_MANAGE, setup=meeting()),
    ("POST", "/meetings/{meeting_id}/round-table"): Case(ROUND_TABLE, {"seen": "Calme"}, setup=meeting()),
    ("POST", "/meetings/{meeting_id}/agenda"): Case(BODY_MANAGE, {"title": "Rodéos"}, setup=meeting()),
    ("POST", "/meetings/{meeting_id}/agenda/order"): Case(BODY_MANAGE, {"ids": "{item}"}, setup=meeting()),
    ("POST", "/agenda-items/{item_id}/move"): Case(BODY_MANAGE, {"direction": "up"}, setup=meeting()),
    ("GET", "/agenda-items/{item_id}/edit"): Case(BODY_MANAGE, setup=meeting()),
    ("POST", "/agenda-items/{item_id}/edit"): Case(
        BODY_MANAGE, {"title": "Rodéos", "version": "1"}, setup=meeting()
    ),
    ("POST", "/agenda-items/{item_id}/delete"): Case(BODY_MANAGE, setup=meeting()),
    ("POST", "/agenda-items/{item_id}/carry-over"): Case(BODY_MANAGE, setup=meeting(next_one=True)),
    ("POST", "/agenda-items/{item_id}/notes"): Case(
        BODY_MANAGE, {"notes": "Calme", "version": "1"}, setup=meeting()
    ),
    ("GET", "/meetings/{meeting_id}/minutes.pdf"): Case(BODY_MEMBERS, setup=meeting(MeetingStatus.held)),
    ("GET", "/meetings/{meeting_id}/convocation.pdf"): Case(BODY_MEMBERS, setup=meeting()),
    # The live meeting (issue 16): its stream and parts follow the meeting page's rule.
    ("GET", "/meetings/{meeting_id}/live"): Case(BODY_VIEW, setup=meeting()),
    ("GET", "/meetings/{meeting_id}/live/{part}"): Case(
        BODY_VIEW, setup=meeting(), params={"part": "agenda"}
    ),
    ("GET", "/meetings/{meeting_id}/present"): Case(BODY_MEMBERS, setup=meeting()),
    ("POST", "/meetings/{meeting_id}/present/current"): Case(
        BODY_MANAGE, {"item_id": "{item}"}, setup=meeting()
    ),
    ("GET", "/meetings/{meeting_id}/calendar.ics"): Case(BODY_VIEW, setup=meeting()),
    ("GET", "/meetings/{meeting_id}/answer/{invitee_id}/{signature}"): Case(NOBODY, setup=meeting()),
    ("POST", "/meetings/{meeting_id}/answer/{invitee_id}/{signature}"): Case(
        NOBODY, {"status": "confirmed"}, setup=meeting()
    ),
    ("GET", "/calendar"): Case(LOGGED_IN),
    ("POST", "/calendar/revoke"): Case(LOGGED_IN),
    ("GET", "/calendar/{token}.ics"): Case(NOBODY),
    ("GET", "/directory/communes"): Case(STAFF),
    ("GET", "/directory/communes/new"): Case(STAFF),
    ("POST", "/directory/communes/new"): Case(STAFF, {"name": "Bourg-Voisin"}),
    ("GET", "/directory/communes/{commune_id}/edit"): Case(STAFF, params={"commune_id": "1"}),
    ("POST", "/directory/communes/{commune_id}/edit"): Case(
        STAFF, {"name": "Valmont"}, params={"commune_id": "1"}
    ),
    ("POST", "/directory/users/{user_id}/communes"): Case(ADMIN, {}),
    ("GET", "/directory/sectors"): Case(STAFF),
    ("GET", "/directory/sectors/new"): Case(STAFF),
    ("POST", "/directory/sectors/new"): Case(STAFF, {"name": "Nord", "code": "NORD"}),
    ("GET", "/directory/sectors/{sector_id}/edit"): Case(STAFF),
    ("POST", "/directory/sectors/{sector_id}/edit"): Case(STAFF, {"name": "Centre-ville", "code": "CV"}),
    ("GET", "/directory/sectors/{sector_id}/outline"): Case(STAFF),
    ("POST", "/directory/sectors/{sector_id}/outline"): Case(STAFF, {"outline": ""}),
    ("GET", "/directory/organisations"): Case(STAFF),
    ("GET", "/directory/organisations/new"): Case(STAFF),
    ("POST", "/directory/organisations/new"): Case(
        STAFF, {"name": "Collège Jean Moulin", "kind": "education"}
    ),
    ("GET", "/directory/organisations/{organisation_id}/edit"): Case(STAFF),
    ("POST", "/directory/organisations/{organisation_id}/edit"): Case(
        STAFF, {"name": "Police", "kind": "police"}
    ),
    ("POST", "/directory/organisations/{organisation_id}/active"): Case(STAFF, {"active": "0"}),
    ("GET", "/directory/users"): Case(ADMIN),
    ("GET", "/directory/users/new"): Case(ADMIN),
    ("POST", "/directory/users/new"): Case(
        ADMIN,
        {
            "name": "Nina Nouvelle",
            "email": "nina@example.org",
            "organisation_id": "1",
            "role": "member",
            "language": "fr",
            "password": "a long enough password",
        },
    ),
    ("GET", "/directory/users/{user_id}/edit"): Case(ADMIN),
    ("POST", "/directory/users/{user_id}/edit"): Case(
        ADMIN,
        {
            "name": "Marc Membre",
            "email": "member@example.org",
            "organisation_id": "2",
            "role": "member",
            "language": "en",
        },
    ),
    ("POST", "/directory/users/{user_id}/active"): Case(ADMIN, {"active": "0"}),
    ("POST", "/directory/users/{user_id}/unlock"): Case(ADMIN),
    ("POST", "/directory/users/{user_id}/invite"): Case(ADMIN, setup=invited),
    ("GET", "/admin/outbox"): Case(ADMIN),
    ("GET", "/admin/audit"): Case(ADMIN),
    ("GET", "/admin/audit/export"): Case(ADMIN),
    ("GET", "/admin/outbox/{mail_id}"): Case(ADMIN, setup=with_failed_mail, params={"mail_id": "1"}),
    ("POST", "/admin/outbox/{mail_id}/retry"): Case(ADMIN, setup=with_failed_mail, params={"mail_id": "1"}),
    # API
    ("POST", "/api/v1/auth/token"): Case(ALL, {"email": "member@example.org", "password": PASSWORD}),
    ("DELETE", "/api/v1/auth/token"): Case(LOGGED_IN),
    ("GET", "/api/v1/auth/tokens"): Case(LOGGED_IN),
    # Only one's own API tokens: no one has token 999.
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): Case(
        NOBODY | {"anonymous": LOGIN}, params={"token_id": "999"}
    ),
    ("GET", "/api/v1/me"): Case(LOGGED_IN),
    ("PATCH", "/api/v1/me"): Case(LOGGED_IN, {"name": "Nouveau Nom", "language": "en"}),
    ("GET", "/api/v1/search"): Case(LOGGED_IN, query={"q": "hall"}),
    ("GET", "/api/v1/communes"): Case(LOGGED_IN),
    ("POST", "/api/v1/communes"): Case(STAFF, {"name": "Bourg-Voisin"}),
    ("GET", "/api/v1/users/{user_id}/communes"): Case(ADMIN),
    ("PUT", "/api/v1/users/{user_id}/communes"): Case(ADMIN, {"commune_ids": []}),
    ("GET", "/api/v1/sectors"): Case(LOGGED_IN),
    ("POST", "/api/v1/sectors"): Case(STAFF, {"name": "Nord", "code": "NORD"}),
    ("GET", "/api/v1/sectors/{sector_id}/outline"): Case(LOGGED_IN),
    ("PUT", "/api/v1/sectors/{sector_id}/outline"): Case(STAFF, {"outline": None}),
    ("GET", "/api/v1/organisations"): Case(LOGGED_IN),
    ("POST", "/api/v1/organisations"): Case(STAFF, {"name": "Collège", "kind": "education"}),
    ("GET", "/api/v1/users"): Case(ADMIN),
    ("POST", "/api/v1/users"): Case(
        ADMIN,
        {
            "name": "Nina",
            "email": "nina@example.org",
            "organisation_id": 1,
            "role": "member",
            "password": "a long enough password",
        },
    ),
    ("POST", "/api/v1/users/{user_id}/unlock"): Case(ADMIN),
    ("POST", "/api/v1/users/{user_id}/invitation"): Case(ADMIN, setup=invited),
    ("GET", "/api/v1/bodies"): Case(LOGGED_IN),
    ("POST", "/api/v1/bodies"): Case(STAFF, API_BODY),
    ("GET", "/api/v1/bodies/{body_id}"): Case(BODY_VIEW),
    ("PATCH", "/api/v1/bodies/{body_id}"): Case(BODY_MANAGE, {"version": 1, "name": "Cellule renommée"}),
    ("POST", "/api/v1/bodies/{body_id}/close"): Case(BODY_CHAIR),
    ("GET", "/api/v1/bodies/{body_id}/charter"): Case(BODY_VIEW, setup=with_charter),
    ("PUT", "/api/v1/bodies/{body_id}/charter"): Case(BODY_CHAIR, {"text": "Article 1."}),
    ("POST", "/api/v1/bodies/{body_id}/charter/accept"): Case(CHARTER_ACCEPT, setup=with_charter),
    ("GET", "/api/v1/bodies/{body_id}/members"): Case(BODY_MEMBERS),
    ("PUT", "/api/v1/bodies/{body_id}/members/{user_id}"): Case(BODY_MANAGE, {"role": "secretary"}),
    ("DELETE", "/api/v1/bodies/{body_id}/members/{user_id}"): Case(BODY_MANAGE),
    ("POST", "/api/v1/bodies/{body_id}/members/{user_id}/exclude"): Case(BODY_CHAIR, {"reason": "Fuite"}),
    ("GET", "/api/v1/bodies/{body_id}/meetings"): Case(BODY_VIEW, setup=meeting()),
    ("POST", "/api/v1/bodies/{body_id}/meetings"): Case(BODY_MANAGE, API_MEETING),
    ("GET", "/api/v1/meetings/{meeting_id}"): Case(BODY_VIEW, setup=meeting()),
    ("PATCH", "/api/v1/meetings/{meeting_id}"): Case(
        BODY_MANAGE, {"version": 1, "location": "Ailleurs"}, setup=meeting()
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/convene"): Case(
        BODY_MANAGE, setup=meeting(MeetingStatus.planned)
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/cancel"): Case(BODY_MANAGE, setup=meeting()),
    ("POST", "/api/v1/meetings/{meeting_id}/invitations"): Case(
        BODY_MANAGE, {"user_id": "{other}"}, setup=meeting()
    ),
    ("DELETE", "/api/v1/meetings/{meeting_id}/invitations/{user_id}"): Case(BODY_MANAGE, setup=meeting()),
    ("GET", "/api/v1/meetings/{meeting_id}/attendance"): Case(BODY_MEMBERS, setup=meeting()),
    ("PUT", "/api/v1/meetings/{meeting_id}/attendance/{user_id}"): Case(
        BODY_VIEW | {"guest": 403}, {"status": "confirmed"}, setup=meeting()
    ),
    ("GET", "/api/v1/meetings/{meeting_id}/round-table"): Case(BODY_MEMBERS, setup=meeting()),
    ("POST", "/api/v1/meetings/{meeting_id}/round-table"): Case(
        ROUND_TABLE, {"seen": "Calme"}, setup=meeting()
    ),
    ("GET", "/api/v1/meetings/{meeting_id}/agenda-items"): Case(BODY_VIEW, setup=meeting()),
    ("POST", "/api/v1/meetings/{meeting_id}/agenda-items"): Case(
        BODY_MANAGE, {"title": "Rodéos"}, setup=meeting()
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/agenda-items/order"): Case(
        BODY_MANAGE, {"ids": ["{item}"]}, setup=meeting()
    ),
    ("PATCH", "/api/v1/agenda-items/{item_id}"): Case(
        BODY_MANAGE, {"version": 1, "notes": "Calme"}, setup=meeting()
    ),
    ("DELETE", "/api/v1/agenda-items/{item_id}"): Case(BODY_MANAGE, setup=meeting()),
    ("POST", "/api/v1/agenda-items/{item_id}/carry-over"): Case(BODY_MANAGE, setup=meeting(next_one=True)),
    ("GET", "/api/v1/meetings/{meeting_id}/minutes"): Case(BODY_MEMBERS, setup=meeting()),
    ("GET", "/api/v1/meetings/{meeting_id}/minutes.pdf"): Case(
        BODY_MEMBERS, setup=meeting(MeetingStatus.held)
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/approve"): Case(BODY_MANAGE, setup=meeting(MeetingStatus.held)),
    ("GET", "/api/v1/meetings/{meeting_id}/calendar.ics"): Case(BODY_VIEW, setup=meeting()),
    ("GET", "/api/v1/audit"): Case(ADMIN),
    # Situation reports, problem files, categories
    ("GET", "/situations"): Case(LOGGED_IN),
    ("GET", "/map"): Case(LOGGED_IN),
    ("GET", "/map/data"): Case(LOGGED_IN, setup=report),
    ("GET", "/api/v1/map/situations"): Case(LOGGED_IN, setup=report),
    ("GET", "/bodies/{body_id}/situations"): Case(BODY_MEMBERS, setup=report),
    ("GET", "/situations/new"): Case(LOGGED_IN | {"guest": 404}),
    ("POST", "/situations/new"): Case(LOGGED_IN | {"other": 422, "guest": 403}, REPORT_FORM),
    # The form drawn again for the body chosen: it saves nothing.
    ("POST", "/situations/new/form"): Case(LOGGED_IN | {"guest": 404}, REPORT_FORM),
    ("POST", "/situations/check"): Case(LOGGED_IN, {"description": "Hall B"}),
    ("GET", "/situations/{situation_id}"): Case(REPORT, setup=report),
    ("POST", "/situations/{situation_id}/updates"): Case(REPORT, {"text": "Vu ce soir"}, setup=report),
    ("POST", "/situations/{situation_id}/status"): Case(
        REPORT, {"status": "monitoring", "version": "1"}, setup=report
    ),
    ("GET", "/situations/{situation_id}/edit"): Case(REPORT, setup=report),
    ("POST", "/situations/{situation_id}/edit"): Case(REPORT, REPORT_FORM, setup=report),
    ("POST", "/situations/{situation_id}/delete"): Case(REPORT, setup=report),
    ("GET", "/situations/{situation_id}/refer"): Case(REFER, setup=report_to_refer),
    ("POST", "/situations/{situation_id}/refer"): Case(REFER, REFERRAL, setup=report_to_refer),
    # No file sent: refused with a message (422) to whoever may attach one.
    ("POST", "/situations/{situation_id}/attachments"): Case(
        {k: 422 if v == OK else v for k, v in REPORT.items()}, setup=report
    ),
    ("GET", "/situations/{situation_id}/attachments/{attachment_id}"): Case(REPORT, setup=report),
    ("POST", "/situations/{situation_id}/attachments/{attachment_id}/delete"): Case(REPORT, setup=report),
    ("GET", "/bodies/{body_id}/problems"): Case(BODY_MEMBERS, setup=report),
    ("GET", "/bodies/{body_id}/problems/new"): Case(BODY_MANAGE, setup=report),
    ("POST", "/bodies/{body_id}/problems/new"): Case(
        BODY_MANAGE, {"title": "Bâtiment B", "status": "analysis"}
    ),
    ("GET", "/problems/{problem_id}"): Case(PROBLEM_VIEW, setup=report),
    ("GET", "/problems/{problem_id}/edit"): Case(PROBLEM_MANAGE, setup=report),
    ("POST", "/problems/{problem_id}/edit"): Case(
        PROBLEM_MANAGE, {"title": "Bâtiment B", "status": "response", "version": "1"}, setup=report
    ),
    ("GET", "/categories"): Case(STAFF),
    ("POST", "/categories"): Case(STAFF, {"code": "squat", "name": "Squat", "position": "20", "active": "1"}),
    ("POST", "/categories/{category_id}"): Case(
        STAFF, {"code": "other", "name": "Autres faits", "position": "99", "active": "1"}
    ),
    ("GET", "/api/v1/situations"): Case(LOGGED_IN, setup=report),
    ("POST", "/api/v1/situations"): Case(LOGGED_IN | {"other": 422, "guest": 403}, API_REPORT),
    ("GET", "/api/v1/situations/{situation_id}"): Case(REPORT, setup=report),
    ("PATCH", "/api/v1/situations/{situation_id}"): Case(REPORT, {"version": 1, "severity": 3}, setup=report),
    ("GET", "/api/v1/situations/{situation_id}/updates"): Case(REPORT, setup=report),
    ("GET", "/api/v1/situations/{situation_id}/referrals"): Case(REPORT, setup=report),
    ("POST", "/api/v1/situations/{situation_id}/referrals"): Case(
        REFER, REFERRAL | {"body_id": 2}, setup=report_to_refer
    ),
    ("POST", "/api/v1/situations/{situation_id}/updates"): Case(REPORT, {"text": "Vu ce soir"}, setup=report),
    ("GET", "/api/v1/situation-categories"): Case(LOGGED_IN),
    ("GET", "/api/v1/problems"): Case(LOGGED_IN, setup=report),
    ("POST", "/api/v1/problems"): Case(BODY_MANAGE, {"body_id": 1, "title": "Bâtiment B"}),
    ("GET", "/api/v1/problems/{problem_id}"): Case(PROBLEM_VIEW, setup=report),
    ("PATCH", "/api/v1/problems/{problem_id}"): Case(
        PROBLEM_MANAGE, {"version": 1, "status": "response"}, setup=report
    ),
}


# The night-life charter: venue 1 and article 1 of the body; a guest is not told they exist.
VENUE_VIEW = BODY_MEMBERS | {"guest": 404}
VENUE_MANAGE = BODY_MANAGE | {"guest": 404}
VENUE, ARTICLE = {"venue_id": "1"}, {"article_id": "1"}


def venue(*, signed: bool = False) -> Any:
    def setup(factory: Factory, world: World) -> None:
        from veille.venues.models import CharterArticle, Venue

        signed_on = date.today() - timedelta(days=30) if signed else None
        assert factory._save(Venue(body_id=world.body.id, name="Le Zinc", signed_on=signed_on)).id == 1
        assert factory._save(CharterArticle(body_id=world.body.id, position=1, title="Bruit")).id == 1

    return setup


MATRIX |= {
    ("GET", "/bodies/{body_id}/venues"): Case(BODY_MEMBERS, setup=venue()),
    ("GET", "/bodies/{body_id}/venues/new"): Case(BODY_MANAGE),
    ("POST", "/bodies/{body_id}/venues/new"): Case(BODY_MANAGE, {"name": "L'Entrepôt"}),
    ("GET", "/venues/{venue_id}"): Case(VENUE_VIEW, setup=venue(), params=VENUE),
    ("GET", "/venues/{venue_id}/edit"): Case(VENUE_MANAGE, setup=venue(), params=VENUE),
    ("POST", "/venues/{venue_id}/edit"): Case(
        VENUE_MANAGE, {"name": "Le Zinc", "version": "1"}, setup=venue(), params=VENUE
    ),
    ("POST", "/venues/{venue_id}/sign"): Case(
        VENUE_MANAGE, {"day": YESTERDAY, "version": "1"}, setup=venue(), params=VENUE
    ),
    ("POST", "/venues/{venue_id}/withdraw"): Case(
        VENUE_MANAGE, {"day": YESTERDAY, "version": "1"}, setup=venue(signed=True), params=VENUE
    ),
    ("POST", "/bodies/{body_id}/charter-articles"): Case(BODY_MANAGE, {"title": "Calme à la fermeture"}),
    ("POST", "/charter-articles/{article_id}/edit"): Case(
        VENUE_MANAGE, {"title": "Niveaux sonores"}, setup=venue(), params=ARTICLE
    ),
    ("POST", "/charter-articles/{article_id}/delete"): Case(VENUE_MANAGE, setup=venue(), params=ARTICLE),
    ("POST", "/charter-articles/{article_id}/move"): Case(
        VENUE_MANAGE, {"direction": "down"}, setup=venue(), params=ARTICLE
    ),
}

# Mail about a body's new reports: each member chooses for themselves (not its guests, nor the
# staff who do not sit in the body and receive none of its mail).
NOTIFICATIONS = BODY_MEMBERS | {"admin": 403, "coordinator": 403}
MATRIX |= {
    ("GET", "/bodies/{body_id}/notifications"): Case(NOTIFICATIONS),
    ("POST", "/bodies/{body_id}/notifications"): Case(NOTIFICATIONS, {"mode": "each"}),
    ("GET", "/api/v1/bodies/{body_id}/notifications"): Case(NOTIFICATIONS),
    ("PUT", "/api/v1/bodies/{body_id}/notifications"): Case(NOTIFICATIONS, {"mode": "each"}),
}


# Actions of the body: action 1 is led by the member's organisation (police) and owned by the
# member; its members read it, the lead's members and the managers change it.
def action(status: str = "planned") -> Any:
    def setup(factory: Factory, world: World) -> None:
        from veille.actions.enums import ActionStatus

        world.action = factory.action(
            world.body, world.organisation, owner=world.member, status=ActionStatus(status)
        )

    return setup


ACTION = REPORT
ACTION_FORM = {
    "body_id": "1",
    "title": "Tournées de médiation",
    "kind": "preventive",
    "lead_organisation_id": "{police}",
    "status": "planned",
    "progress": "0",
    "version": "1",
}
API_ACTION = {
    "body_id": 1,
    "title": "Tournées de médiation",
    "kind": "preventive",
    "lead_organisation_id": "{police}",
}
# Handing over: to another body the person sees (the staff see them all; the chair and
# secretary of body 1 see no other: 422).
REFER = ACTION | {"chair": 422, "secretary": 422, "member": 403}
EVALUATION = {"summary": "Tournées faites", "effect": "positive"}
MATRIX |= {
    ("GET", "/actions"): Case(LOGGED_IN, setup=action()),
    ("GET", "/bodies/{body_id}/actions"): Case(BODY_MEMBERS, setup=action()),
    ("GET", "/actions/new"): Case(LOGGED_IN | {"guest": 404}),
    ("POST", "/actions/new"): Case(LOGGED_IN | {"other": 422, "guest": 403}, ACTION_FORM),
    ("GET", "/actions/{action_id}"): Case(ACTION, setup=action()),
    ("GET", "/actions/{action_id}/edit"): Case(ACTION, setup=action()),
    ("POST", "/actions/{action_id}/edit"): Case(ACTION, ACTION_FORM, setup=action()),
    ("POST", "/actions/{action_id}/status"): Case(
        ACTION, {"status": "in_progress", "version": "1"}, setup=action()
    ),
    ("POST", "/actions/{action_id}/updates"): Case(ACTION, {"text": "Première tournée"}, setup=action()),
    ("POST", "/actions/{action_id}/evaluation"): Case(ACTION, EVALUATION, setup=action("done")),
    ("POST", "/actions/{action_id}/refer"): Case(REFER, {"body_id": "{other_body}"}, setup=action()),
    ("GET", "/api/v1/actions"): Case(LOGGED_IN, setup=action()),
    ("POST", "/api/v1/actions"): Case(LOGGED_IN | {"other": 422, "guest": 403}, API_ACTION),
    ("GET", "/api/v1/actions/{action_id}"): Case(ACTION, setup=action()),
    ("PATCH", "/api/v1/actions/{action_id}"): Case(ACTION, {"version": 1, "progress": 50}, setup=action()),
    ("POST", "/api/v1/actions/{action_id}/refer"): Case(REFER, {"body_id": "{other_body}"}, setup=action()),
    ("GET", "/api/v1/actions/{action_id}/updates"): Case(ACTION, setup=action()),
    ("POST", "/api/v1/actions/{action_id}/updates"): Case(
        ACTION, {"text": "Première tournée"}, setup=action()
    ),
    ("PUT", "/api/v1/actions/{action_id}/evaluation"): Case(ACTION, EVALUATION, setup=action("done")),
}


# Statistics: everyone counts over what they may see (the staff over every body).
MATRIX |= {
    ("GET", "/stats"): Case(LOGGED_IN),
    ("GET", "/stats/export"): Case(LOGGED_IN),
    # Without the required group_by: 422 once logged in.
    ("GET", "/api/v1/stats/situations"): Case({k: 422 if v == OK else v for k, v in LOGGED_IN.items()}),
    ("GET", "/api/v1/stats/actions"): Case({k: 422 if v == OK else v for k, v in LOGGED_IN.items()}),
}


# Dashboards: a body's, for its members and the staff (not its guests).
MATRIX |= {
    ("GET", "/bodies/{body_id}/dashboard"): Case(BODY_MEMBERS, setup=report),
}


# Local security diagnostics: diagnostic 1 is of the body's sector; the staff and the body's
# chair and secretary draw them up and read them, nobody else is told they exist. The annual
# report is the plenary's (the body as a plenary): for its chair and the staff only.
def diagnostic(factory: Factory, world: World) -> None:
    from veille.stats.models import Diagnostic

    since = date.today() - timedelta(days=90)
    saved = factory._save(
        Diagnostic(sector_id=world.sector.id, since=since, until=date.today(), title="Diagnostic du centre")
    )
    assert saved.id == 1


def plenary(factory: Factory, world: World) -> None:
    world.body.kind = BodyKind.plenary
    factory._save(world.body)


DIAGNOSTIC_VIEW = BODY_MANAGE | {"member": 404, "guest": 404}
# The charter report: the body's chair and the staff (and a plenary's chair, tests/oversight);
# its other members are not told it exists.
CHARTER_REPORT = BODY_CHAIR | {"secretary": 404, "member": 404, "guest": 404}
DIAGNOSTIC_AUTHORS = BODY_MANAGE | {"other": 403}
DIAGNOSTIC_FORM = {"title": "Diagnostic du centre", "sector_id": "1", "since": YESTERDAY, "until": YESTERDAY}
DIAGNOSTIC = {"diagnostic_id": "1"}
MATRIX |= {
    ("GET", "/diagnostics"): Case(LOGGED_IN),
    ("GET", "/diagnostics/new"): Case(DIAGNOSTIC_AUTHORS),
    ("POST", "/diagnostics/new"): Case(DIAGNOSTIC_AUTHORS, DIAGNOSTIC_FORM),
    ("GET", "/diagnostics/{diagnostic_id}"): Case(DIAGNOSTIC_VIEW, setup=diagnostic, params=DIAGNOSTIC),
    ("GET", "/diagnostics/{diagnostic_id}.pdf"): Case(DIAGNOSTIC_VIEW, setup=diagnostic, params=DIAGNOSTIC),
    ("POST", "/diagnostics/{diagnostic_id}/conclusions"): Case(
        DIAGNOSTIC_VIEW, {"conclusions": "Bilan", "version": "1"}, setup=diagnostic, params=DIAGNOSTIC
    ),
    ("GET", "/bodies/{body_id}/annual-report"): Case(BODY_CHAIR, setup=plenary),
    ("GET", "/bodies/{body_id}/annual-report.pdf"): Case(BODY_CHAIR, setup=plenary),
    ("GET", "/bodies/{body_id}/charter-report"): Case(CHARTER_REPORT),
    ("GET", "/bodies/{body_id}/charter-report.pdf"): Case(CHARTER_REPORT),
}


# Activity figures: the organisation's own data (the member's, police): its members and the
# staff read and manage them; to anyone else, even the chair of a body, they do not exist.
# Series 1 of the police is "Contacts", with a count.
def activity_series(factory: Factory, world: World) -> None:
    from veille.activity.models import ActivityCount, ActivitySeries

    series = factory._save(ActivitySeries(organisation_id=world.organisation.id, name="Contacts"))
    assert series.id == 1
    factory._save(ActivityCount(series_id=series.id, month=date(2016, 3, 1), count=10))


FIGURES = LOGGED_IN | {"chair": 404, "secretary": 404, "other": 404, "guest": 404}
SERIES = {"series_id": "1"}
MATRIX |= {
    ("GET", "/activity"): Case(LOGGED_IN, setup=activity_series),
    ("GET", "/activity/{organisation_id}"): Case(FIGURES, setup=activity_series),
    ("GET", "/activity/{organisation_id}/export"): Case(FIGURES, setup=activity_series),
    ("GET", "/activity/{organisation_id}/grid"): Case(FIGURES, setup=activity_series),
    ("POST", "/activity/{organisation_id}/grid"): Case(
        FIGURES, {"year": "2016", "c-1-2016-03": "12"}, setup=activity_series
    ),
    ("POST", "/activity/{organisation_id}/grid/cell"): Case(
        FIGURES, {"c-1-2016-03": "12"}, setup=activity_series
    ),
    ("GET", "/activity/{organisation_id}/series"): Case(FIGURES, setup=activity_series),
    ("POST", "/activity/{organisation_id}/series"): Case(FIGURES, {"name": "Maraudes", "active": "1"}),
    ("POST", "/activity/{organisation_id}/series/{series_id}"): Case(
        FIGURES, {"name": "Contacts", "position": "1", "active": "1"}, setup=activity_series, params=SERIES
    ),
    ("GET", "/api/v1/activity-figures"): Case(LOGGED_IN, setup=activity_series),
    ("POST", "/api/v1/activity-figures"): Case(
        FIGURES,
        {"organisation_id": "{police}", "series": "Contacts", "month": "2016-03", "count": 12},
        setup=activity_series,
    ),
}

# The local strategy (issue 19): strategy 1 of a plenary where the body's chair, secretary, member
# and guest sit in the same roles (the body itself stays as it is), with axis 1, objective 1 and
# indicator 1. Its members read it (guests and outsiders get 404); its chair, secretaries and the
# staff edit it (403 for its other members).
STRATEGY_VIEW = LOGGED_IN | {"other": 404, "guest": 404}
STRATEGY_EDIT = STRATEGY_VIEW | {"member": 403}
STRATEGY_ADOPT = STAFF | {"chair": OK, "secretary": OK}
STRATEGY = {"strategy_id": "1", "axis_id": "1", "objective_id": "1", "indicator_id": "1"}


def strategy(factory: Factory, world: World) -> None:
    from veille.bodies.enums import MemberRole
    from veille.strategy.models import Strategy, StrategyAxis, StrategyIndicator, StrategyObjective

    plenary = factory.body("CLSPD", kind=BodyKind.plenary)
    for user, role in (
        (world.chair, MemberRole.chair),
        (world.secretary, MemberRole.secretary),
        (world.member, MemberRole.member),
        (world.guest, MemberRole.guest),
    ):
        factory.member(plenary, user, role)
    world.plenary_id = plenary.id  # type: ignore[attr-defined]
    made = factory._save(
        Strategy(body_id=plenary.id or 0, title="Stratégie", starts_year=2024, ends_year=2027)
    )
    assert made.id == 1
    assert factory._save(StrategyAxis(strategy_id=1, title="Jeunesse")).id == 1
    assert factory._save(StrategyObjective(axis_id=1, title="Décrochage")).id == 1
    assert factory._save(StrategyIndicator(objective_id=1, name="Jeunes suivis")).id == 1


def _strategy_case(expect: dict[str, Any], data: dict[str, Any] | None = None) -> Case:
    return Case(expect, data, setup=strategy, params=STRATEGY)


STRATEGY_FORM = {"title": "Stratégie", "starts_year": "2024", "ends_year": "2027"}
MATRIX |= {
    ("GET", "/strategies"): _strategy_case(LOGGED_IN),
    ("GET", "/strategies/new"): _strategy_case(STRATEGY_ADOPT),
    ("POST", "/strategies/new"): _strategy_case(STRATEGY_ADOPT, STRATEGY_FORM | {"body_id": "{plenary}"}),
    ("GET", "/strategies/{strategy_id}"): _strategy_case(STRATEGY_VIEW),
    ("GET", "/strategies/{strategy_id}.pdf"): _strategy_case(STRATEGY_VIEW),
    ("GET", "/strategies/{strategy_id}/edit"): _strategy_case(STRATEGY_EDIT),
    ("POST", "/strategies/{strategy_id}/edit"): _strategy_case(
        STRATEGY_EDIT, STRATEGY_FORM | {"version": "1"}
    ),
    ("POST", "/strategies/{strategy_id}/delete"): _strategy_case(STRATEGY_EDIT),
    ("GET", "/strategies/{strategy_id}/structure"): _strategy_case(STRATEGY_EDIT),
    ("POST", "/strategies/{strategy_id}/axes"): _strategy_case(STRATEGY_EDIT, {"title": "Tranquillité"}),
    ("POST", "/strategies/{strategy_id}/axes/{axis_id}"): _strategy_case(STRATEGY_EDIT, {"title": "Jeunes"}),
    ("POST", "/strategies/{strategy_id}/axes/{axis_id}/delete"): _strategy_case(STRATEGY_EDIT),
    ("POST", "/strategies/{strategy_id}/axes/{axis_id}/objectives"): _strategy_case(
        STRATEGY_EDIT, {"title": "Accueil"}
    ),
    ("GET", "/strategies/{strategy_id}/objectives/{objective_id}"): _strategy_case(STRATEGY_EDIT),
    ("POST", "/strategies/{strategy_id}/objectives/{objective_id}"): _strategy_case(
        STRATEGY_EDIT, {"title": "Décrochage scolaire"}
    ),
    ("POST", "/strategies/{strategy_id}/objectives/{objective_id}/delete"): _strategy_case(STRATEGY_EDIT),
    ("POST", "/strategies/{strategy_id}/objectives/{objective_id}/links"): _strategy_case(
        STRATEGY_EDIT, {"body_ids": ["{other_body}"]}
    ),
    ("POST", "/strategies/{strategy_id}/objectives/{objective_id}/indicators"): _strategy_case(
        STRATEGY_EDIT, {"name": "Taux", "target": "12,5"}
    ),
    ("POST", "/strategies/{strategy_id}/indicators/{indicator_id}"): _strategy_case(
        STRATEGY_EDIT, {"name": "Jeunes suivis", "value_2025": "40"}
    ),
    ("POST", "/strategies/{strategy_id}/indicators/{indicator_id}/delete"): _strategy_case(STRATEGY_EDIT),
    ("GET", "/api/v1/strategies"): _strategy_case(LOGGED_IN),
    ("POST", "/api/v1/strategies"): _strategy_case(
        STRATEGY_ADOPT, {"body_id": "{plenary}", "title": "Stratégie", "starts_year": 2028, "ends_year": 2030}
    ),
    ("GET", "/api/v1/strategies/{strategy_id}"): _strategy_case(STRATEGY_VIEW),
    ("PUT", "/api/v1/strategies/{strategy_id}"): _strategy_case(
        STRATEGY_EDIT, {"title": "Stratégie", "starts_year": 2024, "ends_year": 2027}
    ),
    ("DELETE", "/api/v1/strategies/{strategy_id}"): _strategy_case(STRATEGY_EDIT),
    ("POST", "/api/v1/strategies/{strategy_id}/axes"): _strategy_case(STRATEGY_EDIT, {"title": "Violences"}),
    ("PUT", "/api/v1/strategies/{strategy_id}/axes/{axis_id}"): _strategy_case(
        STRATEGY_EDIT, {"title": "Jeunes"}
    ),
    ("DELETE", "/api/v1/strategies/{strategy_id}/axes/{axis_id}"): _strategy_case(STRATEGY_EDIT),
    ("POST", "/api/v1/strategies/{strategy_id}/axes/{axis_id}/objectives"): _strategy_case(
        STRATEGY_EDIT, {"title": "Accueil"}
    ),
    ("PUT", "/api/v1/strategies/{strategy_id}/objectives/{objective_id}"): _strategy_case(
        STRATEGY_EDIT, {"title": "Décrochage scolaire"}
    ),
    ("DELETE", "/api/v1/strategies/{strategy_id}/objectives/{objective_id}"): _strategy_case(STRATEGY_EDIT),
    ("PUT", "/api/v1/strategies/{strategy_id}/objectives/{objective_id}/links"): _strategy_case(
        STRATEGY_EDIT, {"action_ids": [], "body_ids": []}
    ),
    ("POST", "/api/v1/strategies/{strategy_id}/objectives/{objective_id}/indicators"): _strategy_case(
        STRATEGY_EDIT, {"name": "Taux", "unit": "%", "target": 12.5}
    ),
    ("PUT", "/api/v1/strategies/{strategy_id}/indicators/{indicator_id}"): _strategy_case(
        STRATEGY_EDIT, {"name": "Jeunes suivis", "unit": "jeunes"}
    ),
    ("PUT", "/api/v1/strategies/{strategy_id}/indicators/{indicator_id}/values"): _strategy_case(
        STRATEGY_EDIT, {"year": 2025, "value": 40}
    ),
    ("DELETE", "/api/v1/strategies/{strategy_id}/indicators/{indicator_id}"): _strategy_case(STRATEGY_EDIT),
}


def route_table() -> set[tuple[str, str]]:
    """(method, path) of every route of the application, included routers flattened."""
    app = create_app(Settings(database_url="sqlite://", secret_key="x" * 40))
    routes: set[tuple[str, str]] = set()
    for context in iter_route_contexts(app.routes):
        if isinstance(context.original_route, Mount):
            routes.add(("GET", str(context.path)))
        for method in getattr(context, "methods", None) or ():
            if method != "HEAD":
                routes.add((method, str(context.path)))
    return routes


def test_every_route_declares_who_may_use_it() -> None:
    routes = route_table()
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    assert not missing, f"routes without an entry in the access matrix: {missing}"
    assert not stale, f"matrix entries for routes that do not exist: {stale}"


def _url(path: str, world: World, params: dict[str, str]) -> str:
    values = {
        "body_id": world.body.id,
        "member_id": world.member.id,
        "user_id": world.member.id,
        "sector_id": world.sector.id,
        "organisation_id": world.organisation.id,
        "meeting_id": world.meeting.id if world.meeting else 0,
        "item_id": world.item.id if world.item else 0,
        "invitee_id": world.chair.id,
        "signature": "0" * 40,
        "token": f"{world.member.id}-1-{'0' * 40}",
        "situation_id": world.situation.id if world.situation else 0,
        "attachment_id": world.attachment.id if world.attachment else 0,
        "problem_id": world.problem.id if world.problem else 0,
        "category_id": 10,
        "action_id": world.action.id if world.action else 0,
    } | params
    if path == "/static":
        return "/static/" + values["path"]
    return path.format(**values)


def _fill(data: dict[str, Any] | None, world: World) -> dict[str, Any] | None:
    if data is None:
        return None
    places: dict[str, Any] = {
        "{other}": str(world.other.id),
        "{item}": str(world.item.id if world.item else 0),
        "{other_body}": str(world.other_body.id),
        "{police}": str(world.organisation.id),
        "{plenary}": str(getattr(world, "plenary_id", 0)),
    }

    def fill(value: Any) -> Any:
        return [fill(v) for v in value] if isinstance(value, list) else places.get(value, value)

    return {k: fill(v) for k, v in data.items()}


def _verdict(response: Any, is_api: bool) -> Any:
    status = response.status_code
    if status in (401,) and is_api:
        return LOGIN
    if status in (302, 303) and response.headers["location"].startswith("/login?next="):
        return LOGIN
    if status < 400:
        return OK
    return status


CASES = [
    pytest.param(method, path, persona, id=f"{method} {path} as {persona}")
    for (method, path) in MATRIX
    for persona in PERSONAS
]


def _call(method: str, path: str, user: Any, world: World, client_for: Any, api_for: Any) -> Any:
    case = MATRIX[(method, path)]
    url = _url(path, world, case.params) + (f"?{urlencode(case.query)}" if case.query else "")
    data = _fill(case.data, world)
    if path.startswith("/api/"):
        return api_for(user).request(method, url, json=data)
    client = client_for(user)
    if path.endswith("/live"):  # an event stream: its answer's status, not its endless body
        with client.stream("GET", url) as response:
            return response
    if method == "GET":
        return client.get(url)
    return client.request(method, url, data={"csrf_token": client.csrf, **(data or {})})


@pytest.mark.parametrize(("method", "path", "persona"), CASES)
def test_access(method, path, persona, world, factory, client_for, api_for):  # type: ignore[no-untyped-def]
    case = MATRIX[(method, path)]
    if case.setup:
        case.setup(factory, world)
    response = _call(method, path, world.persona(persona), world, client_for, api_for)
    assert _verdict(response, path.startswith("/api/")) == case.expect[persona], response.text[:500]


BODY_ROUTES = [pytest.param(m, p, id=f"{m} {p}") for (m, p) in MATRIX if "{body_id}" in p]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_excluded_member_is_a_stranger_to_the_body(
    method, path, world, factory, session, client_for, api_for
):  # type: ignore[no-untyped-def]
    case = MATRIX[(method, path)]
    if case.setup:
        case.setup(factory, world)
    membership = session.exec(select(Membership).where(Membership.user_id == world.secretary.id)).one()
    membership.excluded_at = utcnow()
    session.add(membership)
    session.commit()
    response = _call(method, path, world.secretary, world, client_for, api_for)
    assert _verdict(response, path.startswith("/api/")) == 404


@pytest.mark.parametrize(("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for (m, p) in MATRIX])
def test_deactivated_account_is_logged_out_everywhere(method, path, world, session, client_for, api_for):  # type: ignore[no-untyped-def]
    page_client, api_client = client_for(world.admin), api_for(world.admin)
    world.admin.active = False
    session.add(world.admin)
    session.commit()
    expected = MATRIX[(method, path)].expect["anonymous"]
    client_for_admin = (lambda _user: api_client) if path.startswith("/api/") else (lambda _user: page_client)
    response = _call(method, path, world.admin, world, client_for_admin, client_for_admin)
    if path in ("/login", "/logout") or expected in (OK, 404):
        return  # public routes (and those behind a secret link) answer as they do for anyone
    assert _verdict(response, path.startswith("/api/")) == LOGIN

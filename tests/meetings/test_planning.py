"""Monthly meetings planned from a body's rule: the days (holidays, "last", taken days), the
rule set on the body (page and API), "Plan the next months", the secretaries' mail through a
real SMTP server, and `veille plan`."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select

from tests.conftest import SmtpServer
from tests.factories import Factory, World
from veille.bodies.enums import MemberRole
from veille.bodies.meeting_rule import MeetingRule
from veille.bodies.models import Body
from veille.cli import main
from veille.config import Settings
from veille.meetings import planning
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import AgendaItem, Meeting
from veille.meetings.rule_days import PlannedDay, planned_days, rule_day
from veille.notifications.models import OutboxMail

PARIS = ZoneInfo("Europe/Paris")


def _days(ordinal: int, weekday: int, first: date, months: int = 1, **kw: Any) -> list[PlannedDay]:
    return planned_days(
        ordinal=ordinal,
        day_of_week=weekday,
        first_month=first,
        months=months,
        taken=kw.get("taken", set()),
        today=kw.get("today", date(2026, 1, 1)),
    )


# The days (no database)


@pytest.mark.parametrize(
    ("ordinal", "weekday", "month", "holiday", "moved_to"),
    [
        (1, 4, date(2026, 5, 1), date(2026, 5, 1), date(2026, 5, 4)),  # 1 May, a Friday: Monday
        (2, 1, date(2026, 7, 1), date(2026, 7, 14), date(2026, 7, 15)),  # 14 July, a Tuesday
        (2, 2, date(2026, 11, 1), date(2026, 11, 11), date(2026, 11, 12)),  # 11 November, a Wednesday
        (2, 3, date(2026, 5, 1), date(2026, 5, 14), date(2026, 5, 15)),  # Ascension Thursday 2026
        (-1, 4, date(2026, 12, 1), date(2026, 12, 25), date(2026, 12, 28)),  # the last Friday: Christmas
        (1, 0, date(2026, 4, 1), date(2026, 4, 6), date(2026, 4, 7)),  # Easter Monday
    ],
)
def test_a_public_holiday_moves_the_meeting_to_the_next_working_day(
    ordinal: int, weekday: int, month: date, holiday: date, moved_to: date
) -> None:
    assert rule_day(month, ordinal, weekday) == holiday
    assert _days(ordinal, weekday, month) == [PlannedDay(day=moved_to, moved_from=holiday)]


def test_the_rule_gives_each_month_its_day_and_last_means_the_last() -> None:
    assert [d.day for d in _days(1, 1, date(2027, 1, 20), months=3)] == [
        date(2027, 1, 5),
        date(2027, 2, 2),
        date(2027, 3, 2),
    ]
    # The last Friday of January and of a February with four Fridays; the fourth is not the last.
    assert [d.day for d in _days(-1, 4, date(2027, 1, 1), months=2)] == [date(2027, 1, 29), date(2027, 2, 26)]
    assert rule_day(date(2026, 10, 1), 4, 4) == date(2026, 10, 23)
    assert rule_day(date(2026, 10, 1), -1, 4) == date(2026, 10, 30)
    assert all(d.moved_from is None for d in _days(-1, 4, date(2027, 1, 1), months=2))
    # The rule in words, in each language.
    rule = MeetingRule(-1, 4, time(9, 30), 90, "")
    assert rule.describe("fr") == "Dernier vendredi du mois, 09:30, 90 min"
    assert rule.describe("en") == "Last Friday of the month, 09:30, 90 min"


def test_taken_days_past_days_and_a_second_run_plan_nothing_twice() -> None:
    # A month with a meeting on the rule's day is skipped.
    assert [d.day for d in _days(1, 1, date(2027, 1, 1), months=2, taken={date(2027, 1, 5)})] == [
        date(2027, 2, 2)
    ]
    # A meeting already moved after the holiday counts for its month: planning again adds nothing.
    first = _days(1, 4, date(2026, 5, 1))
    assert _days(1, 4, date(2026, 5, 1), taken={d.day for d in first}) == []
    # Days before today are not planned.
    assert [d.day for d in _days(1, 1, date(2027, 1, 1), months=2, today=date(2027, 1, 10))] == [
        date(2027, 2, 2)
    ]


# The rule on the body, planned


def _set_rule(session: Session, body: Body, **values: Any) -> None:
    rule = {"rule_ordinal": 1, "rule_weekday": 4, "rule_start": time(14, 0), "rule_minutes": 120}
    for name, value in (rule | {"rule_location": "Mairie annexe Nord"} | values).items():
        setattr(body, name, value)
    session.add(body)
    session.commit()


def _meetings(session: Session, body: Body) -> list[Meeting]:
    session.rollback()
    session.expire_all()
    return list(
        session.exec(select(Meeting).where(Meeting.body_id == body.id).order_by(col(Meeting.starts_at)))
    )


def test_planning_from_the_rule_moves_holidays_skips_taken_and_cancelled_months(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    body = world.body
    _set_rule(session, body)  # the first Friday: 1 January 2027 is a holiday
    today = date(2026, 12, 10)  # December's first Friday (the 4th) is past
    planned = planning.plan_body(session, body=body, actor=None, months=3, settings=settings, today=today)
    session.commit()
    assert [(p.meeting.starts_at.astimezone(PARIS).date(), p.moved_from) for p in planned] == [
        (date(2027, 1, 4), date(2027, 1, 1)),
        (date(2027, 2, 5), None),
    ]
    [january, february] = _meetings(session, body)
    local = january.starts_at.astimezone(PARIS)
    assert (local.time(), january.ends_at - january.starts_at) == (time(14, 0), timedelta(minutes=120))
    assert january.location == "Mairie annexe Nord" and january.status == MeetingStatus.planned
    # Planned as the series form plans: with the standing items.
    items = session.exec(select(AgendaItem).where(AgendaItem.meeting_id == january.id)).all()
    assert len(items) == 3
    # Idempotent; a cancelled month is not planned again.
    february.status = MeetingStatus.cancelled
    session.add(february)
    session.commit()
    again = planning.plan_body(session, body=body, actor=None, months=3, settings=settings, today=today)
    session.commit()
    assert again == []
    # A fourth month: March only.
    more = planning.plan_body(session, body=body, actor=None, months=4, settings=settings, today=today)
    session.commit()
    assert [p.meeting.starts_at.astimezone(PARIS).date() for p in more] == [date(2027, 3, 5)]
    # Not past the body's end date.
    body.ends_on = date(2027, 4, 15)
    session.add(body)
    session.commit()
    later = planning.plan_body(session, body=body, actor=None, months=6, settings=settings, today=today)
    session.commit()
    assert [p.meeting.starts_at.astimezone(PARIS).date() for p in later] == [date(2027, 4, 2)]


# Pages and API


def test_the_secretary_sets_the_rule_and_the_series_form_is_filled_from_it(
    client_for: Any, world: World, session: Session
) -> None:
    client = client_for(world.secretary)
    edit = client.get(f"/bodies/{world.body.id}/edit").text
    version = session.get(Body, world.body.id).version  # type: ignore[union-attr]
    # Its sectors as the form posts them to a secretary (shown, kept).
    form = {
        "name": world.body.name,
        "version": str(version),
        "cadence": "",
        "sector_ids": str(world.sector.id),
    }
    incomplete = client.form(f"/bodies/{world.body.id}/edit", form | {"rule_ordinal": "1"})
    assert incomplete.status_code == 422
    assert "Ce champ est obligatoire." in incomplete.text
    assert "Règle des réunions" in edit
    whole = form | {
        "rule_ordinal": "-1",
        "rule_weekday": "1",
        "rule_start": "17:30",
        "rule_minutes": "90",
        "rule_location": "Mairie annexe Nord",
    }
    assert client.form(f"/bodies/{world.body.id}/edit", whole).status_code == 303
    session.expire_all()
    body = session.get(Body, world.body.id)
    assert body is not None
    assert (body.rule_ordinal, body.rule_weekday, body.rule_start, body.rule_minutes) == (
        -1,
        1,
        time(17, 30),
        90,
    )
    assert body.cadence == "monthly"
    page = client.get(f"/bodies/{world.body.id}/meetings").text
    assert "Dernier mardi du mois, 17:30, 90 min" in page
    assert 'value="19:00"' in page and 'value="Mairie annexe Nord"' in page
    assert "Planifier les prochains mois" in page
    assert "Dernier mardi du mois" in client.get(f"/bodies/{world.body.id}").text
    assert 'value="17:30"' in client.get(f"/bodies/{world.body.id}/edit").text
    # "No rule" as the week clears the rule, whatever the other fields hold.
    version = session.get(Body, world.body.id).version  # type: ignore[union-attr]
    cleared = client.form(
        f"/bodies/{world.body.id}/edit", whole | {"version": str(version), "rule_ordinal": ""}
    )
    assert cleared.status_code == 303
    session.rollback()
    assert session.get(Body, world.body.id).rule_minutes is None  # type: ignore[union-attr]
    assert "Planifier les prochains mois" not in client.get(f"/bodies/{world.body.id}/meetings").text
    # The member sees neither the rule's card nor the button.
    assert (
        "Planifier les prochains mois"
        not in client_for(world.member).get(f"/bodies/{world.body.id}/meetings").text
    )


class TestPlanNextMonths:
    @pytest.fixture
    def settings(self, settings: Settings, smtp_server: SmtpServer) -> Settings:
        return smtp_server.configure(settings)

    def test_the_secretary_plans_the_next_months_and_is_told_by_mail(
        self, client_for: Any, world: World, factory: Factory, session: Session, smtp_server: SmtpServer
    ) -> None:
        factory.member(
            world.body, factory.user("Sonia Secrétaire", email="sonia@example.org"), role=MemberRole.secretary
        )
        _set_rule(session, world.body)
        client = client_for(world.secretary)
        response = client.form(f"/bodies/{world.body.id}/meetings/plan")
        assert response.status_code == 303
        planned = _meetings(session, world.body)
        assert 2 <= len(planned) <= 3
        messages = smtp_server.messages
        assert sorted(m["To"] for m in messages) == sorted([world.secretary.email, "sonia@example.org"])
        text = messages[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Premier vendredi du mois, 14:00, 120 min" in text
        assert "Mairie annexe Nord" in text and f"/bodies/{world.body.id}/meetings" in text
        # Once per run, and a second run plans and tells nothing.
        again = client.form(f"/bodies/{world.body.id}/meetings/plan")
        assert again.status_code == 303
        assert len(_meetings(session, world.body)) == len(planned)
        assert (
            session.exec(select(OutboxMail).where(OutboxMail.kind == planning.PLANNED)).all().__len__() == 2
        )


def test_planning_needs_a_rule_and_a_manager(client_for: Any, world: World, session: Session) -> None:
    url = f"/bodies/{world.body.id}/meetings/plan"
    refused = client_for(world.secretary).form(url)
    assert refused.status_code == 409
    assert "Cette instance n’a pas de règle de réunion" in refused.text
    _set_rule(session, world.body)
    assert client_for(world.member).form(url).status_code == 403
    assert client_for(world.other).form(url).status_code == 404
    assert _meetings(session, world.body) == []


def test_the_api_reads_and_sets_the_rule(api_for: Any, world: World) -> None:
    api = api_for(world.secretary)
    body = api.get(f"/api/v1/bodies/{world.body.id}").json()
    assert body["rule_ordinal"] is None and body["rule_location"] == ""
    rule = {"rule_ordinal": 2, "rule_weekday": 3, "rule_start": "09:30", "rule_minutes": 60}
    incomplete = api.patch(
        f"/api/v1/bodies/{world.body.id}", json={"version": body["version"], "rule_ordinal": 2}
    )
    assert incomplete.status_code == 422
    assert incomplete.json()["detail"][0]["loc"] == ["body", "rule_minutes"]
    saved = api.patch(f"/api/v1/bodies/{world.body.id}", json={"version": body["version"]} | rule)
    assert saved.status_code == 200, saved.text
    assert saved.json() | rule | {"rule_start": "09:30:00"} == saved.json()
    assert saved.json()["cadence"] == "monthly"
    member = api_for(world.member).patch(
        f"/api/v1/bodies/{world.body.id}", json={"version": saved.json()["version"], "rule_location": "3"}
    )
    assert member.status_code == 403
    # Unset, whole.
    none = dict.fromkeys(rule)
    cleared = api.patch(f"/api/v1/bodies/{world.body.id}", json={"version": saved.json()["version"]} | none)
    assert cleared.status_code == 200 and cleared.json()["rule_ordinal"] is None


# The job


def test_veille_plan_plans_every_body_with_a_rule_once_and_tells_its_secretaries(
    world: World,
    session: Session,
    database_url: str,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", database_url)
    monkeypatch.setenv("VEILLE_SECRET_KEY", "cli-test-secret-key-0123456789abcdefghij")
    monkeypatch.setenv("VEILLE_DATA_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("VEILLE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("VEILLE_SMTP_PORT", str(smtp_server.port))
    _set_rule(session, world.body, rule_ordinal=-1, rule_weekday=2)  # the last Wednesday
    session.close()
    assert main(["plan", "--months", "4"]) == 0
    out = capsys.readouterr().out
    count = len(_meetings(session, world.body))
    assert out == f"Planned {count} meeting(s).\n" and count >= 3
    assert [m["To"] for m in smtp_server.wait_for(1)] == [world.secretary.email]
    assert _meetings(session, world.other_body) == []
    assert main(["plan", "--months", "4"]) == 0
    assert capsys.readouterr().out == "Planned 0 meeting(s).\n"
    assert len(smtp_server.messages) == 1
    assert main(["plan", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: veille plan")

"""The home page and a body's dashboard on known data sets: every figure compared with the
expected number, as each person may see it; "since my last visit"; who may open them; a
bounded number of queries whatever the number of records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from tests.factories import Factory, World
from veille.access import viewer_of
from veille.actions.enums import ActionKind, ActionStatus
from veille.bodies import service as bodies
from veille.bodies.enums import MemberRole
from veille.directory.enums import OrganisationKind
from veille.directory.models import User
from veille.home import dashboard as dashboards
from veille.home import service as home_service
from veille.home.models import HomeVisit
from veille.i18n import translate
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.orm import utcnow
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation

PARIS = ZoneInfo("Europe/Paris")
SOCIAL = translate(dashboards.SOCIAL)
# The body dashboard's figures are computed as of this day: its 12 months run from May 2024 to
# April 2025.
TODAY = date(2025, 4, 20)
SECRET = "Zorglub"  # in the text of the confidential reports only


def _fresh(session: Session) -> Session:
    session.rollback()  # end the test's read snapshot to see the app's writes
    session.expire_all()
    return session


def _report(factory: Factory, world: World, when: datetime, category: str, **values: Any) -> Situation:
    author = values.pop("author", world.member)
    situation = factory.situation(world.body, author, f"Fait {category}", category=category, **values)
    situation.occurred_at = when
    return factory._save(situation)  # type: ignore[no-any-return]


def _social_worker(factory: Factory, world: World) -> User:
    mediation = factory.organisation("Médiation sociale", OrganisationKind.mediation)
    worker = factory.user("Sam Médiateur", organisation=mediation, email="sam@example.org")
    factory.member(world.body, worker)
    return worker


# A body's dashboard: reports


@pytest.fixture
def reports(factory: Factory, world: World) -> dict[str, Situation]:
    """3 reports in March 2025 (one of them at 00:30 on 1 April in Paris: an April one), 1 in
    April; a restricted one in March that the member may not read; a social one in April; one
    before the 12 months and one of another body."""
    worker = _social_worker(factory, world)
    at = datetime
    return {
        "hall_1": _report(factory, world, at(2025, 3, 3, 20, tzinfo=UTC), "hall_occupation"),
        "hall_2": _report(factory, world, at(2025, 3, 17, 20, tzinfo=UTC), "hall_occupation"),
        # 21:30 UTC on 31 March is 23:30 in Paris: still March.
        "rodeo": _report(factory, world, at(2025, 3, 31, 21, 30, tzinfo=UTC), "urban_rodeo"),
        # 22:30 UTC on 31 March is 00:30 on 1 April in Paris: April.
        "noise": _report(factory, world, at(2025, 3, 31, 22, 30, tzinfo=UTC), "noise_nightlife"),
        "restricted": _report(
            factory,
            world,
            at(2025, 3, 20, 9, tzinfo=UTC),
            "drug_dealing",
            author=world.chair,
            confidentiality=Confidentiality.restricted,
            description=f"Point de deal, {SECRET}",
        ),
        "social": _report(
            factory,
            world,
            at(2025, 4, 2, 9, tzinfo=UTC),
            "vulnerable_person",
            author=worker,
            confidentiality=Confidentiality.social,
            description=f"Famille {SECRET}",
        ),
        "too_old": _report(factory, world, at(2024, 4, 30, 12, tzinfo=UTC), "hall_occupation"),
        "elsewhere": factory.situation(world.other_body, world.other, category="hall_occupation"),
    }


def _dashboard(session: Session, world: World, user: User, today: date = TODAY) -> dashboards.BodyDashboard:
    access = bodies.get_body_access(session, user, world.body.id or 0)
    return dashboards.body_dashboard(session, viewer_of(session, user), access, today, PARIS)


def test_twelve_months_end_with_this_one() -> None:
    months = dashboards.last_months(TODAY)
    assert months[0] == date(2024, 5, 1)
    assert months[-1] == date(2025, 4, 1)
    assert len(months) == 12
    assert dashboards.last_months(date(2025, 12, 31))[0] == date(2025, 1, 1)


def test_member_counts_reports_by_category_and_month(session, world, reports) -> None:  # type: ignore[no-untyped-def]
    dash = _dashboard(session, world, world.member)
    assert dash.reports == {
        "Occupation de halls": {"2025-03": 2},
        "Rodéos urbains": {"2025-03": 1},
        "Bruit et vie nocturne": {"2025-04": 1},
        None: {"2025-04": 1},  # the social report, seen as a stub
    }
    assert dash.per_month() == [0] * 10 + [3, 2]
    assert (dash.reports_total, dash.stubs_total) == (5, 1)
    assert dash.categories() == [
        ("Occupation de halls", 2),
        ("Bruit et vie nocturne", 1),
        ("Rodéos urbains", 1),
        (None, 1),
    ]


def test_kept_counts_follow_each_change_and_each_reader(session, world, factory, reports) -> None:  # type: ignore[no-untyped-def]
    """A worker keeps a dashboard's counts (memo.py) under the records' marks and the reader's
    rule: a new report or action is counted at the next view, and the chair, who reads the
    restricted report, never gets the member's counts."""
    assert _dashboard(session, world, world.member).reports_total == 5
    assert _dashboard(session, world, world.chair).reports_total == 6
    _report(factory, world, datetime(2025, 4, 3, 9, tzinfo=UTC), "urban_rodeo")
    assert _dashboard(session, world, world.member).reports_total == 6
    assert not _dashboard(session, world, world.member).action_counts.cells
    factory.action(world.body, world.organisation, "Patrouilles")
    assert sum(_dashboard(session, world, world.member).action_counts.cells.values()) == 1


def test_chair_also_counts_the_restricted_report(session, world, reports) -> None:  # type: ignore[no-untyped-def]
    dash = _dashboard(session, world, world.chair)
    assert dash.reports["Trafic de stupéfiants"] == {"2025-03": 1}
    assert dash.per_month()[-2:] == [4, 2]
    assert (dash.reports_total, dash.stubs_total) == (6, 1)


def test_social_worker_reads_the_social_report_whole(session, world, factory, reports) -> None:  # type: ignore[no-untyped-def]
    worker = session.exec(select(User).where(User.email == "sam@example.org")).one()
    dash = _dashboard(session, world, worker)
    assert dash.reports["Personne vulnérable"] == {"2025-04": 1}
    assert None not in dash.reports
    assert dash.stubs_total == 0


def test_month_table_shows_every_month_with_zeros_and_the_stubs_apart(  # type: ignore[no-untyped-def]
    session, world, reports
) -> None:
    chart, table = _dashboard(session, world, world.member).month_figure()
    assert len(table.columns) == 14  # category, 12 months, total
    # Short months, the year on the first one and on January's.
    assert table.columns[1:13] == [
        "mai 24",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
        "janv. 25",
        "févr.",
        "mars",
        "avr.",
    ]
    by_name = {row[0]: row[1:] for row in table.rows}
    assert by_name["Occupation de halls"] == [0] * 10 + [2, 0, 2]
    assert by_name[SOCIAL] == [0] * 11 + [1, 1]
    assert "Trafic de stupéfiants" not in by_name
    assert table.footer == [["Total", *([0] * 10), 3, 2, 5]]
    assert [b.value for b in chart.bars] == [0] * 10 + [3, 2]
    assert [label for _, label in chart.labels] == table.columns[1:13]


def test_category_table_gives_shares(session, world, reports) -> None:  # type: ignore[no-untyped-def]
    chart, table = _dashboard(session, world, world.member).category_figure()
    assert table.rows == [
        ["Occupation de halls", 2, "40 %"],
        ["Bruit et vie nocturne", 1, "20 %"],
        ["Rodéos urbains", 1, "20 %"],
        [SOCIAL, 1, "20 %"],
    ]
    assert table.footer == [["Total", 5, "100 %"]]
    assert [b.value for b in chart.bars] == [2, 1, 1, 1]


def test_empty_body_shows_zeros(session, world) -> None:  # type: ignore[no-untyped-def]
    dash = _dashboard(session, world, world.member)
    assert dash.per_month() == [0] * 12
    chart, table = dash.month_figure()
    assert table.rows == []
    assert table.footer == [["Total", *([0] * 12), 0]]
    assert chart.empty
    assert dash.problems == [] and dash.overdue == [] and dash.attendance == []
    assert dash.action_counts.total == 0
    assert dash.attendance_rate is None


def test_dashboard_never_shows_the_text_of_confidential_reports(  # type: ignore[no-untyped-def]
    client_for, world, reports
) -> None:
    for user in (world.member, world.chair, world.coordinator):
        page = client_for(user).get(f"/bodies/{world.body.id}/dashboard")
        assert page.status_code == 200
        assert SECRET not in page.text
        assert "Point de deal" not in page.text


# A body's dashboard: problem files and actions


def test_open_problem_files_with_the_reports_one_may_see(  # type: ignore[no-untyped-def]
    session, world, factory, reports
) -> None:
    open_file = factory.problem(world.body, "Hall du bâtiment B", [reports["hall_1"], reports["restricted"]])
    closed = factory.problem(world.body, "Ancien squat")
    closed.status = "closed"
    factory._save(closed)
    factory.problem(world.other_body, "Ailleurs")
    member = _dashboard(session, world, world.member)
    assert [(p.problem.id, p.reports) for p in member.problems] == [(open_file.id, 1)]
    chair = _dashboard(session, world, world.chair)
    assert [(p.problem.id, p.reports) for p in chair.problems] == [(open_file.id, 2)]


def test_actions_by_kind_and_status_and_overdue(session, world, factory) -> None:  # type: ignore[no-untyped-def]
    police, today = world.organisation, date.today()
    factory.action(world.body, police, "A", kind=ActionKind.preventive, status=ActionStatus.planned)
    factory.action(world.body, police, "B", kind=ActionKind.preventive, status=ActionStatus.done)
    late = factory.action(
        world.body, police, "C", kind=ActionKind.deterrent, status=ActionStatus.in_progress, due_in_days=-3
    )
    later = factory.action(
        world.body, police, "D", kind=ActionKind.repressive, status=ActionStatus.proposed, due_in_days=-1
    )
    # Finished late is not overdue; another body's is not counted.
    factory.action(
        world.body, police, "E", kind=ActionKind.deterrent, status=ActionStatus.abandoned, due_in_days=-9
    )
    factory.action(world.other_body, police, "F", status=ActionStatus.planned, due_in_days=-9)
    dash = _dashboard(session, world, world.member, today)
    counts = dash.action_counts
    assert counts.cells == {
        (ActionKind.preventive, ActionStatus.planned): 1,
        (ActionKind.preventive, ActionStatus.done): 1,
        (ActionKind.deterrent, ActionStatus.in_progress): 1,
        (ActionKind.repressive, ActionStatus.proposed): 1,
        (ActionKind.deterrent, ActionStatus.abandoned): 1,
    }
    assert (counts.total, counts.open, dash.open_actions) == (5, 3, 3)
    assert counts.of_kind(ActionKind.deterrent) == 2
    assert dash.overdue_count == 2
    assert [r.action.id for r in dash.overdue] == [late.id, later.id]  # soonest due first
    assert all(r.overdue for r in dash.overdue)


def test_overdue_list_is_capped(session, world, factory) -> None:  # type: ignore[no-untyped-def]
    for n in range(dashboards.OVERDUE_LIMIT + 2):
        factory.action(world.body, world.organisation, f"Retard {n}", due_in_days=-1 - n)
    dash = _dashboard(session, world, world.member, date.today())
    assert len(dash.overdue) == dashboards.OVERDUE_LIMIT
    assert dash.overdue_count == dashboards.OVERDUE_LIMIT + 2


# A body's dashboard: attendance


def test_attendance_rate_of_each_organisation_over_the_last_twelve_held_meetings(  # type: ignore[no-untyped-def]
    session, world, factory
) -> None:
    housing = world.other.organisation
    tenant = factory.user("Hélène Bailleur", organisation=housing)
    colleague = factory.user("Hugo Bailleur", organisation=housing)
    mediation = factory.organisation("Association Trait d'union", OrganisationKind.association)
    guest = factory.user("Invitée d'un jour", organisation=mediation)
    # The oldest of 13 held meetings falls outside the last twelve: the police came only there.
    oldest = factory.meeting(world.body, in_days=-400, status=MeetingStatus.minutes_approved)
    factory.invite(oldest, world.member, AttendanceStatus.present)
    held = [
        factory.meeting(world.body, in_days=-30 * (n + 1), status=status)
        for n, status in enumerate([MeetingStatus.held] * 2 + [MeetingStatus.minutes_approved] * 10)
    ]
    for n, meeting in enumerate(held):
        # The city (chair, secretary) comes every time; counted once per meeting.
        factory.invite(meeting, world.chair, AttendanceStatus.present)
        factory.invite(meeting, world.secretary, AttendanceStatus.absent)
        # The police: present at 4, represented at 1, excused at 2, absent at the 5 others.
        police = (
            AttendanceStatus.present
            if n < 4
            else AttendanceStatus.represented
            if n == 4
            else AttendanceStatus.excused
            if n < 7
            else AttendanceStatus.absent
        )
        factory.invite(meeting, world.member, police)
    # The housing provider, at three meetings: one of two came; both excused; represented.
    factory.invite(held[0], tenant, AttendanceStatus.present)
    factory.invite(held[0], colleague, AttendanceStatus.absent)
    factory.invite(held[1], tenant, AttendanceStatus.excused)
    factory.invite(held[1], colleague, AttendanceStatus.excused)
    factory.invite(held[2], tenant, AttendanceStatus.represented)
    # A guest is not a partner of the body; planned and cancelled meetings do not count.
    factory.invite(held[0], guest, AttendanceStatus.present, guest=True)
    for status, days in ((MeetingStatus.cancelled, -5), (MeetingStatus.convened, 5)):
        other = factory.meeting(world.body, in_days=days, status=status)
        factory.invite(other, tenant, AttendanceStatus.confirmed)
        factory.invite(other, world.member, AttendanceStatus.absent)

    dash = _dashboard(session, world, world.member, date.today())
    assert [m.id for m in dash.meetings] == [m.id for m in held]
    lines = {a.organisation.name: (a.invited, a.attended, a.excused, a.percent) for a in dash.attendance}
    assert lines == {
        "Mairie": (12, 12, 0, 100),
        "Bailleur social": (3, 2, 1, 67),
        "Police nationale": (12, 5, 2, 42),
    }
    assert [a.organisation.name for a in dash.attendance] == ["Mairie", "Bailleur social", "Police nationale"]
    police_line = next(a for a in dash.attendance if a.organisation.name == "Police nationale")
    assert police_line.rate == 5 / 12
    assert dash.attendance_rate == round((12 + 2 + 5) / (12 + 3 + 12) * 100)
    chart, table = dash.attendance_figure()
    assert table.rows == [
        ["Mairie", 12, 12, 0, "100 %"],
        ["Bailleur social", 3, 2, 1, "67 %"],
        ["Police nationale", 12, 5, 2, "42 %"],
    ]
    assert [b.value for b in chart.bars] == [100, 67, 42]


# The page


def test_body_dashboard_page_shows_the_figures(client_for, world, factory) -> None:  # type: ignore[no-untyped-def]
    worker = _social_worker(factory, world)
    hall = factory.situation(world.body, world.chair, "Hall occupé", days_ago=40)
    factory.situation(
        world.body, worker, "Famille", confidentiality=Confidentiality.social, description=SECRET
    )
    factory.action(world.body, world.organisation, "Patrouilles rue Jean-Jaurès", due_in_days=-4)
    factory.problem(world.body, "Hall du bâtiment B", [hall])
    meeting = factory.meeting(world.body, in_days=-3, status=MeetingStatus.held)
    factory.invite(meeting, world.member, AttendanceStatus.present)
    page = client_for(world.member).get(f"/bodies/{world.body.id}/dashboard")
    assert page.status_code == 200
    text = page.text
    assert 'id="chart-months-title"' in text
    assert "Patrouilles rue Jean-Jaurès" in text
    assert "Hall du bâtiment B" in text
    assert SOCIAL in text
    assert "Police nationale" in text and "100 %" in text
    assert '<svg class="chart__svg"' in text


def test_body_page_links_to_its_dashboard(client_for, world) -> None:  # type: ignore[no-untyped-def]
    assert (
        f'href="/bodies/{world.body.id}/dashboard"'
        in client_for(world.member).get(f"/bodies/{world.body.id}").text
    )
    assert (
        f'href="/bodies/{world.body.id}/dashboard"'
        in client_for(world.coordinator).get(f"/bodies/{world.body.id}").text
    )
    assert (
        f"/bodies/{world.body.id}/dashboard"
        not in client_for(world.guest).get(f"/bodies/{world.body.id}").text
    )


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("admin", 200),
        ("coordinator", 200),
        ("chair", 200),
        ("secretary", 200),
        ("member", 200),
        ("guest", 403),
        ("other", 404),
    ],
)
def test_who_may_open_a_body_dashboard(client_for, world, persona, status) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.persona(persona)).get(f"/bodies/{world.body.id}/dashboard")
    assert page.status_code == status
    assert client_for(world.persona(persona)).get("/bodies/999999/dashboard").status_code == 404


def test_body_dashboard_waits_for_the_charter(client_for, world, factory) -> None:  # type: ignore[no-untyped-def]
    world.body.charter_required = True
    factory._save(world.body)
    factory.charter(world.body)
    page = client_for(world.member).get(f"/bodies/{world.body.id}/dashboard")
    assert page.status_code in (302, 303)
    assert page.headers["location"] == f"/bodies/{world.body.id}/charter"


def test_excluded_member_loses_the_dashboard(client_for, world, factory, session) -> None:  # type: ignore[no-untyped-def]
    client = client_for(world.member)
    assert client.get(f"/bodies/{world.body.id}/dashboard").status_code == 200
    bodies.exclude_member(
        session,
        access=bodies.get_body_access(session, world.chair, world.body.id or 0),
        user_id=world.member.id or 0,
        reason="Manquement à la charte",
    )
    assert client.get(f"/bodies/{world.body.id}/dashboard").status_code == 404


def _fill_body(factory: Factory, world: World, worker: User, n: int) -> None:
    """n of everything the dashboard counts, of every kind it shows."""
    for i in range(n):
        factory.situation(world.body, world.secretary, f"Hall {i}", days_ago=i * 20)
        factory.situation(
            world.body,
            world.chair,
            f"Trafic {i}",
            category="drug_dealing",
            confidentiality=Confidentiality.restricted,
        )
        factory.situation(
            world.body,
            worker,
            f"Famille {i}",
            category="vulnerable_person",
            confidentiality=Confidentiality.social,
        )
        factory.action(world.body, world.organisation, f"Action {i}", due_in_days=-1 - i)
        factory.action(world.body, world.organisation, f"Finie {i}", status=ActionStatus.done)
        meeting = factory.meeting(world.body, in_days=-7 * (i + 1), status=MeetingStatus.held)
        for user in (world.chair, world.member):
            factory.invite(meeting, user, AttendanceStatus.present)
        factory.invite(meeting, factory.user(organisation=factory.organisation()), AttendanceStatus.excused)
    factory.problem(world.body, f"Dossier {n}", [])


def test_body_dashboard_issues_the_same_queries_whatever_the_numbers(  # type: ignore[no-untyped-def]
    client_for, world, factory, queries
) -> None:
    url = f"/bodies/{world.body.id}/dashboard"
    client = client_for(world.member)
    worker = _social_worker(factory, world)
    _fill_body(factory, world, worker, 1)
    client.get(url)
    with queries() as few:
        assert client.get(url).status_code == 200
    _fill_body(factory, world, worker, 25)
    # The first view after a change reads the records' marks again and counts (two grouped counts).
    with queries() as counting:
        assert client.get(url).status_code == 200
    with queries() as many:  # then the worker keeps the counts until the records change
        assert client.get(url).status_code == 200
    assert counting.count == few.count + 3
    assert many.count == few.count
    assert many.count <= 25


# The home page: "since my last visit"


def _visit(session: Session, user: User) -> HomeVisit | None:
    return _fresh(session).get(HomeVisit, user.id)


def test_first_visit_shows_the_last_seven_days_and_is_recorded(session, world, factory) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    recent = factory.situation(world.body, world.chair, "Récent", created_at=now - timedelta(days=6))
    factory.situation(world.body, world.chair, "Ancien", created_at=now - timedelta(days=8))
    home = home_service.home(session, viewer_of(session, world.member), date.today(), now=now)
    assert home.since == now - timedelta(days=7)
    assert [r.situation.id for r in home.reports] == [recent.id]
    visit = _visit(session, world.member)
    assert visit is not None
    assert (visit.seen_at, visit.previous_seen_at) == (now, None)


def test_a_later_visit_shows_what_came_since_the_last_one(session, world, factory) -> None:  # type: ignore[no-untyped-def]
    now = utcnow().replace(microsecond=0)
    last = now - timedelta(hours=5)
    factory._save(HomeVisit(user_id=world.member.id, seen_at=last, previous_seen_at=now - timedelta(days=3)))
    new = factory.situation(world.body, world.chair, "Depuis", created_at=now - timedelta(hours=1))
    factory.situation(world.body, world.chair, "Avant", created_at=now - timedelta(hours=6))
    home = home_service.home(session, viewer_of(session, world.member), date.today(), now=now)
    assert home.since == last
    assert [r.situation.id for r in home.reports] == [new.id]
    visit = _visit(session, world.member)
    assert visit is not None
    assert (visit.seen_at, visit.previous_seen_at) == (now, last)


def test_visits_half_an_hour_apart_are_one_visit(session, world, factory) -> None:  # type: ignore[no-untyped-def]
    now = utcnow().replace(microsecond=0)
    before = now - timedelta(days=2)
    factory._save(
        HomeVisit(user_id=world.member.id, seen_at=now - timedelta(minutes=10), previous_seen_at=before)
    )
    shown = factory.situation(world.body, world.chair, "Hier", created_at=now - timedelta(days=1))
    home = home_service.home(session, viewer_of(session, world.member), date.today(), now=now)
    assert home.since == before
    assert [r.situation.id for r in home.reports] == [shown.id]
    visit = _visit(session, world.member)
    assert visit is not None
    assert (visit.seen_at, visit.previous_seen_at) == (now - timedelta(minutes=10), before)


def test_new_reports_follow_the_confidentiality_rule(session, world, factory, client_for) -> None:  # type: ignore[no-untyped-def]
    worker = _social_worker(factory, world)
    whole = factory.situation(world.body, world.chair, "Hall occupé")
    factory.situation(
        world.body,
        world.chair,
        "Point de deal",
        confidentiality=Confidentiality.restricted,
        description=SECRET,
    )
    stub = factory.situation(
        world.body,
        worker,
        "Famille en difficulté",
        confidentiality=Confidentiality.social,
        description=SECRET,
    )
    factory.situation(world.other_body, world.other, "Ailleurs")
    factory.situation(world.body, world.member, "Le mien")
    home = home_service.home(session, viewer_of(session, world.member), date.today())
    assert [(r.situation.id, r.full) for r in home.reports] == [(stub.id, False), (whole.id, True)]
    assert home.new_reports == 2
    page = _home_page(client_for, session, world.member)
    assert "Hall occupé" in page
    assert "Coordination sociale nécessaire" in page
    for hidden in (SECRET, "Point de deal", "Famille en difficulté", "Ailleurs", "Le mien"):
        assert hidden not in page


def _last_visit_an_hour_ago(session: Session, user: User) -> None:
    """So that every load of the home page moves the mark the same way."""
    session.rollback()
    visit = session.get(HomeVisit, user.id) or HomeVisit(user_id=user.id or 0)
    visit.seen_at = utcnow() - timedelta(hours=1)
    visit.previous_seen_at = utcnow() - timedelta(days=7)
    session.add(visit)
    session.commit()


def _home_page(client_for: Any, session: Session, user: User) -> str:
    _last_visit_an_hour_ago(session, user)
    page = client_for(user).get("/")
    assert page.status_code == 200
    return page.text  # type: ignore[no-any-return]


def test_new_reports_are_capped_with_a_link_to_all(session, world, factory, client_for) -> None:  # type: ignore[no-untyped-def]
    for n in range(home_service.HOME_REPORTS + 3):
        factory.situation(world.body, world.chair, f"Signalement {n}")
    home = home_service.home(session, viewer_of(session, world.member), date.today())
    assert len(home.reports) == home_service.HOME_REPORTS
    assert home.new_reports == home_service.HOME_REPORTS + 3
    assert home.reports[0].situation.title == f"Signalement {home_service.HOME_REPORTS + 2}"  # newest first
    page = _home_page(client_for, session, world.member)
    assert 'class="dash-more"' in page
    assert 'href="/situations"' in page


# The home page: meetings and actions


def test_home_lists_upcoming_meetings_and_those_waiting_for_an_answer(
    session, world, factory, client_for
) -> None:  # type: ignore[no-untyped-def]
    waiting = factory.meeting(world.body, in_days=3, status=MeetingStatus.convened)
    factory.invite(waiting, world.member)
    answered = factory.meeting(world.body, in_days=5, status=MeetingStatus.convened)
    factory.invite(answered, world.member, AttendanceStatus.confirmed)
    uninvited = factory.meeting(world.body, in_days=6)
    # Past, cancelled, or of a closed body: answers are closed.
    past = factory.meeting(world.body, in_days=-1, status=MeetingStatus.convened)
    factory.invite(past, world.member)
    cancelled = factory.meeting(world.body, in_days=4, status=MeetingStatus.cancelled)
    factory.invite(cancelled, world.member)
    closed_body = factory.body("Instance close")
    factory.member(closed_body, world.member)
    closed_body.status = "closed"
    factory._save(closed_body)
    closed = factory.meeting(closed_body, in_days=2)
    factory.invite(closed, world.member)
    # Left the body: the invitation no longer counts; a guest's does.
    left = factory.body("Instance quittée")
    gone = factory.meeting(left, in_days=2)
    factory.invite(gone, world.member)
    hosted = factory.meeting(world.other_body, in_days=8)
    factory.member(world.other_body, world.member, MemberRole.guest)  # a guest is seated in the body
    factory.invite(hosted, world.member, guest=True)
    for n in range(6):
        factory.meeting(world.body, in_days=10 + n)

    home = home_service.home(session, viewer_of(session, world.member), date.today())
    assert [m.id for m, _ in home.awaiting] == [waiting.id, hosted.id]
    upcoming = [m.id for m, _ in home.upcoming]
    assert len(upcoming) == home_service.HOME_MEETINGS
    assert upcoming[:4] == [closed.id, waiting.id, cancelled.id, answered.id]
    assert uninvited.id in upcoming
    assert gone.id not in upcoming
    page = _home_page(client_for, session, world.member)
    assert 'id="answers-title"' in page
    assert f'href="/meetings/{waiting.id}#attendance"' in page
    assert f'href="/meetings/{answered.id}#attendance"' not in page
    assert "invitations à confirmer" in page


def test_one_invitation_to_answer_is_said_in_the_singular(session, world, factory, client_for) -> None:  # type: ignore[no-untyped-def]
    factory.invite(factory.meeting(world.body, in_days=3, status=MeetingStatus.convened), world.member)
    page = _home_page(client_for, session, world.member)
    assert "invitation à confirmer" in page and "invitations à confirmer" not in page


def test_home_lists_my_open_actions_with_overdue_and_due_soon(session, world, factory, client_for) -> None:  # type: ignore[no-untyped-def]
    police = world.organisation
    late = factory.action(world.body, police, "En retard", owner=world.member, due_in_days=-2)
    soon = factory.action(world.body, police, "Bientôt", owner=world.member, due_in_days=5)
    later = factory.action(world.body, police, "Plus tard", owner=world.member, due_in_days=60)
    undated = factory.action(world.body, police, "Sans date", owner=world.member, due_in_days=None)
    factory.action(world.body, police, "Finie", owner=world.member, status=ActionStatus.done, due_in_days=-5)
    factory.action(world.body, police, "D'un autre", owner=world.chair, due_in_days=-5)
    home = home_service.home(session, viewer_of(session, world.member), date.today())
    assert [r.action.id for r in home.actions] == [late.id, soon.id, later.id, undated.id]
    assert [(r.overdue, r.due_soon) for r in home.actions] == [
        (True, False),
        (False, True),
        (False, False),
        (False, False),
    ]
    assert (home.open_actions, home.overdue_actions) == (4, 1)
    page = _home_page(client_for, session, world.member)
    assert "dash-action--overdue" in page and "dash-action--soon" in page
    assert "D&#39;un autre" not in page and "Finie" not in page


def test_my_actions_are_capped(session, world, factory) -> None:  # type: ignore[no-untyped-def]
    for n in range(home_service.HOME_ACTIONS + 2):
        factory.action(world.body, world.organisation, f"Action {n}", owner=world.member, due_in_days=n)
    home = home_service.home(session, viewer_of(session, world.member), date.today())
    assert len(home.actions) == home_service.HOME_ACTIONS
    assert home.open_actions == home_service.HOME_ACTIONS + 2
    assert home.more_actions


def test_home_keeps_the_list_of_my_bodies(client_for, world) -> None:  # type: ignore[no-untyped-def]
    page = client_for(world.member).get("/").text
    assert "Cellule de veille du centre" in page
    assert "Cellule de veille du nord" not in page


@pytest.mark.parametrize(
    "persona", ["admin", "coordinator", "chair", "secretary", "member", "other", "guest"]
)
def test_every_person_has_a_home(client_for, world, factory, persona) -> None:  # type: ignore[no-untyped-def]
    factory.situation(world.body, world.chair, "Hall occupé")
    page = client_for(world.persona(persona)).get("/")
    assert page.status_code == 200
    shown = "Hall occupé" in page.text
    # Members and the staff see the body's report; its guest and outsiders do not.
    assert shown == (persona in ("admin", "coordinator", "secretary", "member"))


def test_anonymous_home_asks_to_log_in(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for(None).get("/")
    assert page.status_code in (302, 303)
    assert page.headers["location"].startswith("/login")


def _fill_home(factory: Factory, world: World, n: int) -> None:
    """n of everything the home shows, the newest report restricted and shared with the
    member's organisation (its read is audited)."""
    for i in range(n):
        meeting = factory.meeting(world.body, in_days=1 + i, status=MeetingStatus.convened)
        factory.invite(meeting, world.member)
        factory.action(world.body, world.organisation, f"Action {i}", owner=world.member, due_in_days=i - 2)
        factory.situation(world.body, world.chair, f"Hall {i}")
    factory.situation(
        world.body,
        world.chair,
        f"Restreint {n}",
        confidentiality=Confidentiality.restricted,
        shared_with=[world.organisation],
    )


def test_home_issues_the_same_queries_whatever_the_numbers(  # type: ignore[no-untyped-def]
    session, world, factory, client_for, queries
) -> None:
    client = client_for(world.member)
    _fill_home(factory, world, 1)
    client.get("/")
    _last_visit_an_hour_ago(session, world.member)
    with queries() as few:
        assert client.get("/").status_code == 200
    _fill_home(factory, world, 30)
    _last_visit_an_hour_ago(session, world.member)
    with queries() as many:
        assert client.get("/").status_code == 200
    assert many.count == few.count
    assert many.count <= 30


def test_chart_labels_are_cut_to_their_room() -> None:
    assert dashboards.fit_labels(["Mairie", "Police nationale"]) == ["Mairie", "Police nationale"]
    many = dashboards.fit_labels(["Occupation de halls"] * 10)
    assert many[0] == "Occupati…" and all(len(label) <= 9 for label in many)

"""The demo data set: a whole fictional city, built through the services, whose accounts work."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, col, select

from tests.conftest import ENGINES, new_database
from veille import demo
from veille.bodies import service as bodies
from veille.bodies.enums import BodyKind, Cadence, MemberRole
from veille.bodies.models import Body, Membership
from veille.config import Settings
from veille.db import make_engine, open_session
from veille.directory.models import Commune, Organisation, Sector, User
from veille.directory.service import authenticate
from veille.migrate import upgrade
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation

SECRET = "demo-test-secret-key-0123456789abcdefghij"
TODAY = date(2026, 3, 15)


@dataclass(frozen=True)
class Loaded:
    url: str
    accounts: list[demo.DemoAccount]


@pytest.fixture(scope="module", params=ENGINES)
def loaded(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """The demo loaded once per engine for the tests below, which read it (one logs every
    account in, which adds login records no other test reads). A load takes 5 s alone, 10 to
    20 s beside the rest of the suite: it was loaded for each of them."""
    with new_database(request.param, tmp_path_factory.mktemp("demo")) as url:
        engine = make_engine(url)
        upgrade(engine)
        with open_session(engine, write=True) as session:
            assert demo.is_empty(session)
            assert not demo.is_loaded(session)
            settings = Settings(database_url="sqlite://", secret_key=SECRET)
            accounts = demo.load_demo(session, settings, today=TODAY)
            assert not demo.is_empty(session)
            assert demo.is_loaded(session)
        engine.dispose()
        yield Loaded(url, accounts)


@pytest.fixture
def db(loaded: Loaded) -> Iterator[Session]:
    """A session on the loaded demo."""
    engine = make_engine(loaded.url)
    with open_session(engine, write=True) as session:
        yield session
    engine.dispose()


@pytest.fixture
def accounts(loaded: Loaded) -> list[demo.DemoAccount]:
    return loaded.accounts


def all_bodies(db: Session) -> list[Body]:
    return list(db.exec(select(Body).options(selectinload(Body.sectors))).all())  # type: ignore[arg-type]


def by_email(db: Session, email: str) -> User:
    return db.exec(select(User).where(User.email == email)).one()


def test_demo_has_five_sectors_and_many_partners(db: Session, accounts: list[demo.DemoAccount]) -> None:
    """Five in the city's commune, one in its neighbour's (issue 19)."""
    city = db.exec(select(Commune).where(Commune.name == demo.CITY)).one()
    sectors = db.exec(select(Sector).where(Sector.commune_id == city.id)).all()
    assert sorted(s.name for s in sectors) == sorted(name for name, _code in demo.SECTORS.values())
    assert len(sectors) == 5
    assert len(db.exec(select(Commune)).all()) == 2
    assert all(s.code for s in sectors)
    assert db.exec(select(func.count()).select_from(Organisation)).one() >= 14


def test_demo_maps_its_reports_and_outlines_its_sectors(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    assert all(s.outline_geojson for s in db.exec(select(Sector)))
    placed = db.exec(select(Situation).where(col(Situation.latitude).is_not(None))).all()
    assert len(placed) >= 10
    assert all(47.5 < (s.latitude or 0) < 47.7 and 1.2 < (s.longitude or 0) < 1.4 for s in placed)
    assert not [s for s in placed if s.confidentiality == Confidentiality.social]


def test_demo_has_a_body_of_each_kind_and_a_watch_cell_per_sector(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    found = all_bodies(db)
    assert {b.kind for b in found} == set(BodyKind)
    cells = [b for b in found if b.kind == BodyKind.watch_cell]
    assert len(cells) == 6
    assert all(b.cadence == Cadence.monthly for b in cells)
    assert sorted(b.sectors[0].name for b in cells) == sorted(s.name for s in db.exec(select(Sector)))
    plenary = next(b for b in found if b.kind == BodyKind.plenary)
    assert plenary.sectors == []
    copil = next(b for b in found if b.kind == BodyKind.nightlife_copil)
    assert copil.charter_required
    charter = bodies.current_charter(db, copil.id or 0)
    assert charter is not None
    assert charter.text.count("Article") >= 5


def test_the_copil_members_charter_and_the_venues_charter_are_two_texts(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    """The members' charter is about what members do with what they learn; what venues commit
    to is in the night-life charter's articles only (issue 17)."""
    copil = next(b for b in all_bodies(db) if b.kind == BodyKind.nightlife_copil)
    text = bodies.current_charter(db, copil.id or 0).text  # type: ignore[union-attr]
    assert text.startswith("Charte des membres du comité de pilotage")
    for commitment in ("Confidentialité", "Usage des informations", "Données personnelles"):
        assert commitment in text
    for title, _ in demo.CHARTER_ARTICLES:
        assert title not in text
    assert "Engagements des établissements" not in text
    venue_articles = " ".join(t for _, t in demo.CHARTER_ARTICLES)
    assert "L132-5" not in venue_articles
    assert "établissement" in venue_articles.lower()


def test_the_crime_treatment_group_has_an_end_date_and_the_prosecutor_as_chair(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    gltd = next(b for b in all_bodies(db) if b.kind == BodyKind.crime_treatment_group)
    assert gltd.starts_on is not None and gltd.ends_on is not None
    assert 170 <= (gltd.ends_on - gltd.starts_on).days <= 190
    assert gltd.starts_on <= TODAY < gltd.ends_on
    chair = db.exec(
        select(User)
        .join(Membership, Membership.user_id == User.id)  # type: ignore[arg-type]
        .where(Membership.body_id == gltd.id, Membership.role == MemberRole.chair)
    ).one()
    assert chair.email == "isabelle.moreau@valmont.example"


def test_every_printed_account_can_log_in(db: Session, accounts: list[demo.DemoAccount]) -> None:
    settings = Settings(database_url="sqlite://", secret_key=SECRET, login_delay_seconds=0)
    assert len(accounts) >= 10
    assert len({a.email for a in accounts}) == len(accounts)
    for account in accounts:
        assert account.password == demo.DEMO_PASSWORD
        user = authenticate(db, settings, email=account.email, password=account.password, ip="127.0.0.1")
        assert user.name == account.name
        db.commit()
    roles = {by_email(db, a.email).role for a in accounts}
    assert roles == {"admin", "coordinator", "member"}


def test_only_the_newcomer_has_the_copil_charter_to_accept(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    copil = next(b for b in all_bodies(db) if b.kind == BodyKind.nightlife_copil)
    assert copil.id is not None
    members = db.exec(select(Membership).where(Membership.body_id == copil.id)).all()
    pending = []
    for membership in members:
        user = db.get(User, membership.user_id)
        assert user is not None
        if bodies.get_body_access(db, user, copil.id).charter_pending:
            pending.append(user.email)
    assert pending == ["olivier.dubois@valmont.example"]
    guest = by_email(db, "marc.fontaine@valmont.example")
    assert bodies.roles_of(db, guest) == {copil.id: MemberRole.guest}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_demo_prints_the_accounts_and_serves(empty_database_url: str, tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "VEILLE_DATABASE_URL": empty_database_url, "VEILLE_SECRET_KEY": SECRET}
    out_path, err_path = tmp_path / "out.txt", tmp_path / "err.txt"
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "veille.cli", "serve", "--demo", "--port", str(port)],
            stdout=out,
            stderr=err,
            env=env,
            cwd=tmp_path,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                assert process.poll() is None, err_path.read_text()
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "the server did not answer in time"
                time.sleep(0.2)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    printed = out_path.read_text()
    for account in demo.accounts():
        assert account.email in printed
    assert demo.DEMO_PASSWORD in printed
    assert f"http://127.0.0.1:{port}/" in printed


def test_demo_centre_cell_has_a_past_an_upcoming_and_a_planned_meeting(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    from veille.meetings.enums import MeetingStatus
    from veille.meetings.models import Meeting, RoundTableEntry
    from veille.notifications.models import OutboxMail

    statuses = [m.status for m in db.exec(select(Meeting).order_by(Meeting.starts_at)).all()]  # type: ignore[arg-type]
    assert statuses == [MeetingStatus.minutes_approved, MeetingStatus.convened, MeetingStatus.planned]
    assert len(db.exec(select(RoundTableEntry)).all()) == 2
    # The convocations and the approved minutes wait in the outbox (no SMTP in the demo).
    kinds = {mail.kind for mail in db.exec(select(OutboxMail)).all()}
    assert kinds == {"meeting_convocation", "meeting_minutes", "situation_referred"}


def test_demo_shows_a_meeting_rule_and_a_report_referred_on_its_own(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    from veille.bodies.meeting_rule import rule_of
    from veille.situations.models import SituationReferral

    [ruled] = [b for b in db.exec(select(Body)).all() if rule_of(b) is not None]
    assert "Nord" in ruled.name and ruled.cadence == Cadence.monthly
    assert rule_of(ruled).describe("fr") == "Premier mardi du mois, 14:00, 120 min"  # type: ignore[union-attr]
    [referral] = db.exec(select(SituationReferral).where(col(SituationReferral.reason).is_not(None))).all()
    receiving = db.get(Body, referral.body_id)
    assert receiving is not None and receiving.kind == BodyKind.crime_treatment_group
    chair = by_email(db, next(a.email for a in accounts if a.email.startswith("helene.garnier")))
    assert referral.referred_by == chair.id


def test_demo_watch_cells_have_reports_of_each_class_and_a_problem_file(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    from veille.access import viewer_of
    from veille.situations import problems, visibility
    from veille.situations.models import Problem, Situation

    reports = db.exec(select(Situation)).all()
    assert {r.confidentiality for r in reports} == {"body", "restricted", "social"}
    [problem] = db.exec(select(Problem)).all()
    secretary = by_email(db, next(a.email for a in accounts if a.email.startswith("karim.benali")))
    viewer = viewer_of(db, secretary)
    # The secretary reads the restricted report, sees the social one only as a stub.
    full = visibility.full_ids(db, viewer, [r.id for r in reports if r.id])
    assert {r.confidentiality for r in reports if r.id in full} == {"body", "restricted"}
    assert len(problems.problem_situation_ids(db, viewer, problem)) == 2


def test_demo_actions_of_the_nord_cell_and_the_gltd(db: Session, accounts: list[demo.DemoAccount]) -> None:
    from collections import Counter

    from veille.access import viewer_of
    from veille.actions import service as actions
    from veille.actions.enums import OPEN_STATUSES, ActionKind, ActionStatus, Effect, Event
    from veille.actions.models import Action, ActionEntry, ActionPartner, ActionSituation
    from veille.situations.models import Situation, SituationReferral

    found = list(db.exec(select(Action)).all())
    by_name = {b.id: b for b in all_bodies(db)}
    assert {by_name[a.body_id].name for a in found} == {
        "Cellule de veille – Quartier Nord / Les Tilleuls",
        "GLTD Quartier Nord – Les Tilleuls",
    }
    assert {a.kind for a in found} == set(ActionKind)
    assert Counter(a.status for a in found) == {
        ActionStatus.proposed: 1,
        ActionStatus.planned: 3,
        ActionStatus.in_progress: 4,
        ActionStatus.done: 1,
        ActionStatus.abandoned: 1,
    }
    [done] = [a for a in found if a.status == ActionStatus.done]
    assert done.effect == Effect.positive and done.evaluation and "−40 %" in done.indicator
    assert done.progress == 100 and done.done_at is not None and done.evaluated_at is not None
    overdue = [a for a in found if a.status in OPEN_STATUSES and a.due_on is not None and a.due_on < TODAY]
    assert len(overdue) == 1

    # The crime-treatment group's rule holds for each of its actions.
    gltd = next(b for b in by_name.values() if b.kind == BodyKind.crime_treatment_group)
    assert gltd.ends_on is not None
    in_gltd = [a for a in found if a.body_id == gltd.id]
    assert len(in_gltd) == 4
    assert all(a.due_on is not None and a.due_on <= gltd.ends_on for a in in_gltd)

    # Some are led by an organisation that has no account: the secretaries follow them.
    with_accounts = set(db.exec(select(User.organisation_id)).all())
    assert len([a for a in found if a.lead_organisation_id not in with_accounts]) == 2
    assert len(db.exec(select(ActionPartner)).all()) >= len(found)
    assert len(db.exec(select(ActionSituation)).all()) >= 4
    # The problem file of the Nord cell: one action there, one it referred to the GLTD.
    assert sorted(by_name[a.body_id].kind for a in found if a.problem_id is not None) == [
        BodyKind.crime_treatment_group,
        BodyKind.watch_cell,
    ]

    # Dated updates with their progress, before today.
    entries = db.exec(select(ActionEntry)).all()
    notes = [e for e in entries if e.event == Event.note]
    assert len(notes) >= 8 and sum(1 for e in notes if e.progress is not None) >= 6
    assert len({e.created_at.date() for e in entries}) >= 10
    assert all(e.created_at.date() < TODAY for e in entries)

    # One referred from the Nord cell to the GLTD, with its report.
    [referred] = [e for e in entries if e.event == Event.referred]
    nord = next(b for b in by_name.values() if b.name.startswith("Cellule de veille – Quartier Nord"))
    assert (referred.from_body_id, referred.to_body_id) == (nord.id, gltd.id)
    moved = db.get(Action, referred.action_id)
    assert moved is not None and moved.body_id == gltd.id
    linked = db.exec(select(ActionSituation.situation_id).where(ActionSituation.action_id == moved.id)).all()
    # (The hand-over's referrals have no reason; the demo also refers a report on its own.)
    referrals = db.exec(select(SituationReferral).where(col(SituationReferral.reason).is_(None))).all()
    assert [(r.situation_id, r.body_id) for r in referrals] == [(s, gltd.id) for s in linked]
    assert {r.body_id for r in db.exec(select(Situation).where(col(Situation.id).in_(linked)))} == {nord.id}
    # The cell's secretary, not of the GLTD, still reads its history there.
    secretary = by_email(db, "karim.benali@valmont.example")
    access = actions.get_action(db, viewer_of(db, secretary), moved.id or 0)
    assert not access.in_body and not access.can_change


def test_demo_mediation_team_has_its_published_activity_figures(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    from veille.activity import counts
    from veille.activity import series as activity_series
    from veille.activity import tables as activity_tables

    lucas = by_email(db, "lucas.petit@valmont.example")
    organisation = db.get(Organisation, lucas.organisation_id)
    assert organisation is not None
    series = activity_series.list_series(db, organisation.id or 0)
    assert [s.name for s in series] == [
        "Développer le lien",
        "Flânage",
        "Consommation",
        "Gestion de crise",
        "Appels reçus « voisinage »",
    ]
    assert len(counts.counts_of(db, [s.id or 0 for s in series])) == 105
    tables = activity_tables.year_tables(db, organisation, today=TODAY)
    assert tables.years == [2013, 2014, 2015, 2016]
    # The yearly totals the team published (data/README.md).
    assert tables.series[0].totals == [229, 409, 352, 1802]


def test_demo_territory_two_communes_a_limited_coordinator_and_a_thematic_group(
    db: Session, accounts: list[demo.DemoAccount]
) -> None:
    """Issue 19: the neighbour's cell chaired by its mayor, a coordinator limited to the city
    (printed with the accounts), the thematic group on domestic violence."""
    from veille.access import viewer_of

    found = {b.name: b for b in all_bodies(db)}
    cell = found["Cellule de veille – Saint-Aubin-sur-Loire"]
    mayor = by_email(db, "bernard.lefevre@valmont.example")
    chair = db.exec(
        select(Membership).where(Membership.body_id == cell.id, Membership.role == MemberRole.chair)
    ).one()
    assert chair.user_id == mayor.id
    group = next(b for b in found.values() if b.kind == BodyKind.thematic_group)
    assert group.theme == "Violences intrafamiliales"
    limited = next(a for a in accounts if a.email.startswith("elodie.vasseur"))
    assert "limited" in limited.role
    viewer = viewer_of(db, by_email(db, limited.email))
    assert viewer.limited
    assert viewer.content_ids is not None and cell.id not in viewer.content_ids
    assert group.id in viewer.content_ids and found["CLSPD – assemblée plénière"].id not in viewer.content_ids

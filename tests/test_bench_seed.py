"""The benchmark data (``veille bench seed``, issue 15) keeps the invariants of the services: a
tiny scale seeded into a migrated, empty database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import Session, col, select

from veille.bench.seed import Seeded, seed
from veille.cli import main
from veille.config import Settings
from veille.directory.models import User
from veille.errors import Conflict
from veille.situations import search
from veille.situations.enums import Confidentiality
from veille.situations.models import Situation, SituationShare, SituationUpdateRecord

# In the descriptions and updates of some reports, not all (bench/texts.py).
WORD = "médiateurs"


@pytest.fixture
def seeded(engine: Engine) -> Seeded:
    return seed(engine, "tiny", seed=7, progress=False)


def account(session: Session, done: Seeded, role: str) -> User:
    email = next(a.email for a in done.accounts if a.role == role)
    return session.exec(select(User).where(User.email == email)).one()


def test_confidential_reports_are_shared_with_their_author_and_another(
    seeded: Seeded, session: Session
) -> None:
    confidential = session.exec(
        select(Situation).where(col(Situation.confidentiality) != Confidentiality.body)
    ).all()
    assert confidential
    shares: dict[int, set[int]] = {}
    for situation_id, organisation_id in session.exec(
        select(SituationShare.situation_id, SituationShare.organisation_id)
    ).all():
        shares.setdefault(situation_id, set()).add(organisation_id)
    for situation in confidential:
        assert situation.id is not None
        assert situation.organisation_id in shares[situation.id]
        assert len(shares[situation.id]) >= 2
    public = session.exec(select(Situation.id).where(Situation.confidentiality == Confidentiality.body)).all()
    assert not set(public) & set(shares)
    assert not session.exec(
        select(Situation).where(
            Situation.confidentiality == Confidentiality.body, col(Situation.names_person)
        )
    ).first()


def test_counts_by_confidentiality_roughly_match_the_shares_asked(seeded: Seeded, session: Session) -> None:
    counts = dict(
        session.exec(
            select(Situation.confidentiality, func.count()).group_by(col(Situation.confidentiality))
        ).all()
    )
    total = sum(counts.values())
    assert total == 200
    assert counts == seeded.confidentiality
    assert 0.60 <= counts[Confidentiality.body] / total <= 0.82
    assert 0.07 <= counts[Confidentiality.restricted] / total <= 0.25
    assert 0.07 <= counts[Confidentiality.social] / total <= 0.25


def test_the_search_index_finds_the_seeded_words(seeded: Seeded, session: Session, client_for: Any) -> None:
    indexed = session.exec(text("SELECT COUNT(*) FROM situation_search")).one()  # type: ignore[call-overload]
    assert indexed[0] == 200
    with_word = set(
        session.exec(select(Situation.id).where(col(Situation.description).contains(WORD))).all()
    ) | set(
        session.exec(
            select(SituationUpdateRecord.situation_id).where(col(SituationUpdateRecord.text).contains(WORD))
        ).all()
    )
    found = set(session.exec(select(Situation.id).where(search.matches(session, WORD))).all())
    assert with_word
    assert found == with_word
    coordinator = client_for(account(session, seeded, "Coordinator"))
    page = coordinator.get("/situations", params={"q": WORD})
    assert page.status_code == 200
    title = session.exec(select(Situation.title).where(col(Situation.id) == min(with_word))).one()
    assert title.split(" – ")[0].replace("'", "&#39;") in page.text


def test_most_reports_are_on_the_map(seeded: Seeded, session: Session, client_for: Any) -> None:
    """Four in five reports but the social ones carry a point (as a city's geolocated reports
    would), so that the benchmark measures the map with points to draw."""
    placed = session.exec(select(func.count()).where(col(Situation.latitude).is_not(None))).one()
    assert 0.55 <= placed / 200 <= 0.9
    points = client_for(account(session, seeded, "Coordinator")).get("/map/data").json()
    assert points["points"] and points["total"] >= len(points["points"])


def test_pages_answer_for_the_printed_accounts(seeded: Seeded, session: Session, client_for: Any) -> None:
    coordinator = client_for(account(session, seeded, "Coordinator"))
    for url in ("/", "/situations", "/stats", "/actions", "/meetings"):
        assert coordinator.get(url).status_code == 200, url
    partner = client_for(account(session, seeded, "Partner"))
    assert partner.get("/situations").status_code == 200
    assert partner.get("/").status_code == 200


def test_new_records_get_fresh_ids_after_the_seed(seeded: Seeded, session: Session, client_for: Any) -> None:
    """PostgreSQL's sequences were moved past the ids the generator gave."""
    coordinator = client_for(account(session, seeded, "Coordinator"))
    situation_id = session.exec(
        select(func.max(Situation.id)).where(Situation.confidentiality == Confidentiality.body)
    ).one()
    answer = coordinator.form(f"/situations/{situation_id}/updates", {"text": "Passage de contrôle."})
    assert answer.status_code in (200, 303), answer.text
    session.rollback()  # a new snapshot, after the request's commit
    assert (
        session.exec(select(func.count()).where(SituationUpdateRecord.text == "Passage de contrôle.")).one()
        == 1
    )


def test_a_database_with_accounts_is_refused(seeded: Seeded, engine: Engine) -> None:
    with pytest.raises(Conflict):
        seed(engine, "tiny", progress=False)


def test_the_command_refuses_a_database_with_accounts(
    seeded: Seeded, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("VEILLE_DATABASE_URL", settings.database_url)
    assert main(["bench", "seed", "--scale", "tiny", "--quiet"]) == 1
    assert "already holds accounts" in capsys.readouterr().err


def test_the_same_seed_gives_the_same_data(engine: Engine, tmp_path: Any) -> None:
    from datetime import date

    from veille.db import make_engine

    def titles(url: str) -> list[str]:
        other = make_engine(url)
        try:
            seed(other, "tiny", seed=3, progress=False, today=date(2026, 3, 15))
            with Session(other) as session:
                return list(session.exec(select(Situation.title).order_by(col(Situation.id))).all())
        finally:
            other.dispose()

    if engine.dialect.name != "sqlite":
        pytest.skip("compared on two SQLite copies")
    url = str(engine.url)
    copy = tmp_path / "copy.db"
    import shutil

    shutil.copy(url.removeprefix("sqlite:///"), copy)
    assert titles(url) == titles(f"sqlite:///{copy}")

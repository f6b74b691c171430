"""The demo's local strategy: the plenary's strategy 2024–2027 with its three axes, objectives,
indicators and values, the demo's actions attached, as its page shows it to the plenary's chair."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlmodel import Session, select

from veille import demo
from veille.access import viewer_of
from veille.config import Settings
from veille.db import make_engine, open_session
from veille.directory.models import User
from veille.strategy import report, service
from veille.strategy.models import ObjectiveAction, Strategy

TODAY = date(2026, 3, 15)


@pytest.fixture
def db(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    with open_session(engine, write=True) as session:
        yield session
    engine.dispose()


def test_the_demo_holds_a_strategy_with_three_axes_and_attached_actions(db: Session) -> None:
    settings = Settings(database_url="sqlite://", secret_key="demo-test-secret-key-0123456789abcdefghij")
    demo.load_demo(db, settings, today=TODAY)
    strategy = db.exec(select(Strategy)).one()
    assert (strategy.starts_year, strategy.ends_year) == (2024, 2027)
    chair = db.exec(select(User).where(User.email == "helene.garnier@valmont.example")).one()
    shown = report.view(db, service.get_access(db, viewer_of(db, chair), strategy.id or 0), TODAY)
    assert [a.axis.title for a in shown.axes] == [
        "Prévenir la délinquance des jeunes",
        "Tranquillité publique",
        "Prévenir les violences intrafamiliales",
    ]
    assert all(len(a.objectives) == 2 for a in shown.axes)
    assert all(o.indicators and o.indicators[0].values for o in shown.objectives)
    assert len(db.exec(select(ObjectiveAction)).all()) == 7
    assert sum(o.total for o in shown.objectives) == 7
    assert sum(o.evaluated for o in shown.objectives) >= 1

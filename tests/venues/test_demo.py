"""The demo's night-life COPIL keeps its charter and the venues of the centre."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlmodel import Session, col, select

from veille import demo
from veille.bodies.enums import BodyKind
from veille.bodies.models import Body
from veille.config import Settings
from veille.db import make_engine, open_session
from veille.venues import service
from veille.venues.models import CharterArticle

TODAY = date(2026, 3, 15)


def test_the_copil_has_its_charter_and_venues_some_signed_one_withdrawn(database_url: str) -> None:
    engine = make_engine(database_url)
    with open_session(engine, write=True) as session:
        demo.load_demo(session, Settings(database_url="sqlite://", secret_key="s" * 40), today=TODAY)
        copil = session.exec(select(Body).where(Body.kind == BodyKind.nightlife_copil)).one()
        assert copil.id is not None
        of_copil = select(CharterArticle).where(CharterArticle.body_id == copil.id)
        articles = session.exec(of_copil.order_by(col(CharterArticle.position))).all()
        assert [a.position for a in articles] == list(range(1, len(demo.CHARTER_ARTICLES) + 1))
        assert any("fermeture" in a.title for a in articles)
        found = service.body_venues(session, copil.id)
        states = Counter(service.charter_state(v) for v in found)
        assert states == {"signed": 4, "withdrawn": 1, "not_signed": 1}
        assert all(v.signed_on is None or v.signed_on <= TODAY for v in found)
        assert _no_venue_elsewhere(session, copil.id)
    engine.dispose()


def _no_venue_elsewhere(session: Session, copil_id: int) -> bool:
    others = session.exec(select(Body.id).where(Body.id != copil_id)).all()
    return all(service.body_venues(session, body_id) == [] for body_id in others if body_id is not None)

"""Full-text search of the reports (to be replaced by the FTS5 / PostgreSQL index)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col

from veille.situations.models import Situation


def index(session: Session, situation: Situation) -> None:
    """Keeps the search index of a report in step with its text."""


def matches(session: Session, q: str) -> ColumnElement[bool]:
    pattern = f"%{q}%"
    return or_(col(Situation.title).ilike(pattern), col(Situation.description).ilike(pattern))

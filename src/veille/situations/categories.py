"""Categories of reports: the coordinator's list, the one chosen on a form, and counts of
reports by category under the visibility rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from veille.access import Viewer
from veille.audit import service as audit
from veille.db import remembered
from veille.directory.models import User
from veille.directory.service import require_staff
from veille.errors import InvalidInput, NotFound
from veille.i18n import N_
from veille.situations.models import (
    Category,
    CategoryIn,
    Situation,
)
from veille.situations.visibility import full_text, visible


def categories(session: Session, *, active_only: bool = True) -> list[Category]:
    """The categories in their order (read once per request)."""
    every = remembered(
        session,
        ("categories",),
        lambda: list(
            session.exec(select(Category).order_by(col(Category.position), col(Category.name))).all()
        ),
        on=(Category,),
    )
    return [c for c in every if c.active or not active_only]


def chosen(session: Session, code: str, current: int | None = None) -> Category:
    category = session.exec(select(Category).where(Category.code == code)).first()
    if category is None or (not category.active and category.id != current):
        raise InvalidInput({"category": N_("Choose one of the proposed categories.")})
    return category


def category_codes(session: Session) -> dict[int, str]:
    return {c.id: c.code for c in categories(session, active_only=False) if c.id is not None}


def save_category(
    session: Session, *, actor: User, data: CategoryIn, category_id: int | None = None
) -> Category:
    require_staff(actor)
    category = (
        Category(code=data.code, name=data.name)
        if category_id is None
        else session.get(Category, category_id)
    )
    if category is None:
        raise NotFound()
    for field, value in (("code", data.code), ("name", data.name)):
        clash = session.exec(
            select(Category).where(getattr(Category, field) == value, col(Category.id) != category_id)
        ).first()
        if clash is not None:
            raise InvalidInput({field: N_("This value is already used.")})
    category.code, category.name, category.position, category.active = (
        data.code,
        data.name,
        data.position,
        data.active,
    )
    session.add(category)
    session.flush()
    audit.record(
        session, user_id=actor.id, verb="save", entity="category", entity_id=category.id, code=data.code
    )
    session.commit()
    return category


# Counts by category


@dataclass(frozen=True)
class CategoryCounts:
    """How many reports a person may see, by category; the social reports they see only as a
    stub are counted apart, since their category is not theirs to know."""

    by_category: list[tuple[Category, int]]
    stubs: int

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_category) + self.stubs


def category_counts(session: Session, viewer: Viewer, ids: Iterable[int]) -> CategoryCounts:
    """Counts of these reports, no text (a crime-treatment group's final report): three
    queries whatever their number."""
    wanted = sorted(set(ids))
    if not wanted:
        return CategoryCounts(by_category=[], stubs=0)
    among = col(Situation.id).in_(wanted)
    full = dict(
        session.exec(
            select(Situation.category_id, func.count())
            .where(among, full_text(viewer))
            .group_by(col(Situation.category_id))
        ).all()
    )
    seen = session.exec(select(func.count()).where(among, visible(viewer))).one()
    by_category = [(c, full[c.id]) for c in categories(session, active_only=False) if c.id in full]
    return CategoryCounts(by_category=by_category, stubs=seen - sum(full.values()))

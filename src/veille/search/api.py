"""The header search as JSON (``GET /api/v1/search?q=``): the same rules and groups as the page."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from veille.access import ApiViewer
from veille.deps import SessionDep
from veille.search import service

router = APIRouter(tags=["search"])


class HitPublic(BaseModel):
    id: int
    title: str
    url: str
    body_id: int
    body: str
    when: datetime | None


class GroupPublic(BaseModel):
    kind: service.Kind
    total: int
    more: bool = Field(description="More than `total` match: counted that far, no further")
    items: list[HitPublic]
    more_url: str | None


class SearchPublic(BaseModel):
    q: str
    groups: list[GroupPublic]


@router.get("/search", response_model=SearchPublic)
def search(
    viewer: ApiViewer,
    session: SessionDep,
    q: Annotated[str, Query(min_length=service.Q_MIN, max_length=service.Q_MAX)],
) -> SearchPublic:
    """Reports (full-text, those read whole only), actions, meetings (agenda titles; the
    minutes of approved meetings for the body's members), problem files and venues the caller
    may see, at most 10 of each kind with how many match (counted up to 100: past it,
    `more`), newest first. Confidential reports listed are audited as read."""
    results = service.search(session, viewer, q, via="api")
    return SearchPublic(
        q=results.q,
        groups=[
            GroupPublic(
                kind=g.kind,
                total=g.total,
                more=g.more,
                items=[HitPublic(**vars(h)) for h in g.hits],
                more_url=g.more_url,
            )
            for g in results.groups
        ],
    )

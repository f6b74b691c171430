"""Who is asking, built once per request and passed down: the person, whether they are staff,
their bodies by role and their organisation. Each domain turns it into the filter of what the
person may see of its own records (``situations.visible``, ``actions.visible``…); no service
builds it again or reads memberships itself to decide access."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from veille.bodies import service as bodies
from veille.bodies.enums import MemberRole
from veille.deps import SessionDep
from veille.directory.current import ApiUser, PageUser
from veille.directory.models import User
from veille.directory.service import is_staff

MANAGING = (MemberRole.chair, MemberRole.secretary)


@dataclass(frozen=True)
class Viewer:
    """The person asking and their standing in each body."""

    user: User
    # The bodies whose content they see as members (charter accepted, not guest, not excluded);
    # None: every body's, for the staff.
    content_ids: frozenset[int] | None
    # The bodies they chair or keep the minutes of, among those whose content they see as members.
    manage_ids: frozenset[int] = frozenset()
    # Their role in each body they belong to, guests included.
    roles: Mapping[int, MemberRole] = field(default_factory=dict)
    # Set by ``every_body``: counts over every body, never a record's content.
    aggregate_only: bool = False

    @property
    def organisation_id(self) -> int:
        return self.user.organisation_id

    @property
    def staff(self) -> bool:
        return is_staff(self.user)

    def sees_body(self, body_id: int) -> bool:
        return self.content_ids is None or body_id in self.content_ids

    def role_in(self, body_id: int) -> MemberRole | None:
        return self.roles.get(body_id)

    def every_body(self) -> Viewer:
        """The same person reading aggregates over every body: the staff, and a plenary's chair
        whose council oversees them all (counts and titles, never a record's text)."""
        return Viewer(
            user=self.user,
            content_ids=None,
            manage_ids=self.manage_ids,
            roles=self.roles,
            aggregate_only=True,
        )


def viewer_of(session: Session, user: User) -> Viewer:
    """Built from the person's memberships, in one query (two more where a charter gates a
    body); outside a request (mail, commands) as well as by the dependencies below."""
    roles, content = bodies.standing_of(session, user)
    managed = frozenset(body_id for body_id, role in roles.items() if role in MANAGING) & content
    return Viewer(user=user, content_ids=None if is_staff(user) else content, manage_ids=managed, roles=roles)


def _cached(request: Request, session: Session, user: User) -> Viewer:
    viewer = getattr(request.state, "viewer", None)
    if not isinstance(viewer, Viewer) or viewer.user is not user:
        viewer = viewer_of(session, user)
        request.state.viewer = viewer
    return viewer


def page_viewer(request: Request, session: SessionDep, user: PageUser) -> Viewer:
    return _cached(request, session, user)


def api_viewer(request: Request, session: SessionDep, user: ApiUser) -> Viewer:
    return _cached(request, session, user)


PageViewer = Annotated[Viewer, Depends(page_viewer)]
ApiViewer = Annotated[Viewer, Depends(api_viewer)]

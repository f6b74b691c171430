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

from veille.bodies import reach as bodies_reach
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.bodies.models import Body
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
    # The bodies whose content a seat of theirs opens (not a guest's, the charter accepted): the
    # staff's content_ids say every body, this says where they may also add content as members.
    seated_ids: frozenset[int] = frozenset()
    # Set by ``every_body``: counts over every body, never a record's content.
    aggregate_only: bool = False
    # The communes a coordinator is limited to (bodies.reach); None: every commune. Their
    # communes' bodies are in content_ids and reach_ids; every_body() stays within them.
    communes: frozenset[int] | None = None
    # The bodies a coordinator limited to some communes oversees as staff (their communes'). Not
    # in manage_ids: overseeing a body sets it up, as any coordinator does, and reads its
    # restricted reports no more than they do (only its chair and secretaries do).
    reach_ids: frozenset[int] = frozenset()

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

    @property
    def limited(self) -> bool:
        """A coordinator limited to some communes."""
        return self.communes is not None

    def oversees(self, body_id: int) -> bool:
        """Sets the body up as staff: every body for admins and coordinators, their communes'
        bodies for a limited coordinator."""
        return self.staff and (self.communes is None or body_id in self.reach_ids)

    def manages(self, body_id: int) -> bool:
        """Chairs the body or keeps its minutes, or oversees it as staff: runs its records."""
        return self.oversees(body_id) or body_id in self.manage_ids

    @property
    def in_charge_ids(self) -> frozenset[int]:
        """The bodies they chair or keep the minutes of and, limited to some communes, those
        they oversee: where they draw up a diagnostic or adopt a strategy."""
        return self.manage_ids | self.reach_ids

    @property
    def rule_key(self) -> tuple[object, ...]:
        """What decides what the person reads and counts (who they are, their bodies and roles,
        their organisation, their reach), as a key: what a worker keeps for a reader
        (``memo.Memo``) is kept under it."""
        return (
            self.user.id,
            self.content_ids,
            self.manage_ids,
            tuple(sorted(self.roles.items())),
            self.organisation_id,
            self.aggregate_only,
            self.communes,
            self.reach_ids,
        )

    def every_body(self) -> Viewer:
        """The same person reading aggregates over every body: the staff, and a plenary's chair
        whose council oversees them all (counts and titles, never a record's text). A coordinator
        limited to some communes counts the bodies they see, no more."""
        return Viewer(
            user=self.user,
            content_ids=self.content_ids if self.limited else None,
            manage_ids=self.manage_ids,
            roles=self.roles,
            seated_ids=self.seated_ids,
            aggregate_only=True,
            communes=self.communes,
            reach_ids=self.reach_ids,
        )


def viewer_of(session: Session, user: User) -> Viewer:
    """Built from the person's memberships, in one query (two more where a charter gates a
    body; one more for a coordinator, two when limited to some communes); outside a request
    (mail, commands) as well as by the dependencies below."""
    roles, content = bodies.standing_of(session, user)
    managed = frozenset(body_id for body_id, role in roles.items() if role in MANAGING) & content
    reach = bodies_reach.reach_of(session, user)
    if reach.bodies is None:
        return Viewer(user=user, content_ids=None, manage_ids=managed, roles=roles, seated_ids=content)
    return Viewer(
        user=user,
        content_ids=content | reach.bodies,
        manage_ids=managed,
        roles=roles,
        seated_ids=content,
        communes=reach.communes,
        reach_ids=reach.bodies,
    )


def may_contribute(viewer: Viewer, body: Body) -> bool:
    """Whether the person may add a report or an action to the body (``bodies.contributor_access``
    as a yes/no, for the buttons and the forms' choices, without a query): the body is open, and
    its content theirs from a seat (not a guest's, the charter accepted) or, without one, as staff
    (a limited coordinator: in their communes)."""
    if body.status != BodyStatus.active:
        return False
    body_id = body.id or 0
    if viewer.role_in(body_id) is None:
        return viewer.sees_body(body_id)
    return body_id in viewer.seated_ids


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

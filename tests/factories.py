"""Builders of domain records for tests, written straight to the database (fast, no Argon2 per
user: every test account shares one precomputed hash of PASSWORD)."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from veille.actions.enums import ActionKind, ActionStatus, Event
from veille.actions.models import Action, ActionEntry, ActionPartner, ActionSituation
from veille.auth import service as auth
from veille.bodies.enums import BodyKind, MemberRole
from veille.bodies.models import Body, Charter, CharterAcceptance, Membership
from veille.directory.enums import OrganisationKind, UserRole
from veille.directory.models import Commune, Organisation, Sector, User
from veille.meetings.enums import AttendanceStatus, MeetingStatus
from veille.meetings.models import AgendaItem, Invitation, Meeting
from veille.orm import utcnow
from veille.situations import search
from veille.situations.enums import Confidentiality, SituationStatus
from veille.situations.models import Attachment, Category, Problem, Situation, SituationShare

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@cache
def password_hash() -> str:
    return auth.hash_password(PASSWORD)


class Factory:
    def __init__(self, session: Session, files_dir: Path | None = None) -> None:
        self.session = session
        self.files_dir = files_dir
        self._batched = False

    def _save(self, record: Any) -> Any:
        if self._batched:
            self.session.add(record)
            self.session.flush()  # its id, for the records that follow
            return record
        # End any read snapshot first: on SQLite a transaction that has read cannot start
        # writing once the app has written since.
        self.session.commit()
        self.session.add(record)
        self.session.commit()
        return record

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The records saved inside through ``_save`` are written in one transaction, committed at
        the end (a world of eighteen records: one commit instead of thirty-six)."""
        self.session.commit()
        self._batched = True
        try:
            yield
            self.session.commit()
        finally:
            self._batched = False

    def commune(self, name: str | None = None) -> Commune:
        return self._save(Commune(name=name or f"Commune {next(_counter)}"))

    def sector(
        self, name: str | None = None, code: str | None = None, commune: Commune | None = None
    ) -> Sector:
        """In the given commune, else the first (the one migration 0013 makes)."""
        n = next(_counter)
        commune_id = (
            commune.id if commune else self.session.exec(select(Commune.id).order_by(Commune.id)).first()
        )
        assert commune_id is not None
        return self._save(Sector(name=name or f"Secteur {n}", code=code or f"S{n}", commune_id=commune_id))

    def organisation(
        self, name: str | None = None, kind: OrganisationKind = OrganisationKind.police, active: bool = True
    ) -> Organisation:
        return self._save(
            Organisation(name=name or f"Organisation {next(_counter)}", kind=kind, active=active)
        )

    def user(
        self,
        name: str | None = None,
        *,
        role: UserRole = UserRole.member,
        organisation: Organisation | None = None,
        email: str | None = None,
        active: bool = True,
        language: str = "fr",
    ) -> User:
        n = next(_counter)
        organisation = organisation or self.organisation()
        user = User(
            name=name or f"Personne {n}",
            email=email or f"personne{n}@example.org",
            organisation_id=organisation.id,
            role=role,
            active=active,
            language=language,
            password_hash=password_hash(),
        )
        self._save(user)
        user.organisation = organisation
        return user

    def body(
        self,
        name: str | None = None,
        *,
        kind: BodyKind = BodyKind.watch_cell,
        sectors: list[Sector] | None = None,
        ends_on: date | None = None,
        charter_required: bool = False,
    ) -> Body:
        body = Body(
            name=name or f"Instance {next(_counter)}",
            kind=kind,
            ends_on=ends_on,
            charter_required=charter_required,
        )
        body.sectors = sectors or []
        return self._save(body)

    def member(self, body: Body, user: User, role: MemberRole = MemberRole.member) -> Membership:
        return self._save(Membership(body_id=body.id, user_id=user.id, role=role))

    def charter(
        self, body: Body, text: str = "Article 1. Ce qui est dit ici reste ici.", version: int = 1
    ) -> Charter:
        return self._save(Charter(body_id=body.id, version=version, text=text))

    def accept(self, body: Body, user: User, version: int = 1) -> CharterAcceptance:
        return self._save(CharterAcceptance(body_id=body.id, user_id=user.id, version=version))

    def meeting(
        self,
        body: Body,
        *,
        in_days: float = 7,
        status: MeetingStatus = MeetingStatus.planned,
        location: str = "Mairie, salle 2",
    ) -> Meeting:
        starts_at = utcnow().replace(microsecond=0) + timedelta(days=in_days)
        return self._save(
            Meeting(
                body_id=body.id,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=2),
                location=location,
                status=status,
                uid=f"{uuid.uuid4()}@veille",
            )
        )

    def item(
        self, meeting: Meeting, title: str = "Point de situation", position: int = 1, **values: Any
    ) -> AgendaItem:
        return self._save(AgendaItem(meeting_id=meeting.id, position=position, title=title, **values))

    def invite(
        self,
        meeting: Meeting,
        user: User,
        status: AttendanceStatus = AttendanceStatus.invited,
        guest: bool = False,
    ) -> Invitation:
        return self._save(Invitation(meeting_id=meeting.id, user_id=user.id, status=status, guest=guest))

    def category(self, code: str = "other") -> Category:
        from sqlmodel import select

        category = self.session.exec(select(Category).where(Category.code == code)).one()
        return category

    def situation(
        self,
        body: Body,
        author: User,
        title: str = "Occupation du hall, bâtiment B",
        *,
        description: str = "Regroupement chaque soir dans le hall.",
        category: str = "hall_occupation",
        confidentiality: Confidentiality = Confidentiality.body,
        shared_with: list[Organisation] | None = None,
        status: SituationStatus = SituationStatus.open,
        days_ago: float = 1,
        **values: Any,
    ) -> Situation:
        """A report as the service would write it (the author's organisation is named on a
        confidential one), indexed for search."""
        situation = Situation(
            body_id=body.id,
            title=title,
            description=description,
            category_id=self.category(category).id,
            occurred_at=utcnow() - timedelta(days=days_ago),
            confidentiality=confidentiality,
            names_person=confidentiality != Confidentiality.body,
            status=status,
            created_by=author.id,
            organisation_id=author.organisation_id,
            resolved_at=utcnow() if status == SituationStatus.resolved else None,
            **values,
        )
        self._save(situation)
        if confidentiality != Confidentiality.body:
            organisations = {author.organisation_id} | {o.id for o in shared_with or []}
            for organisation_id in organisations:
                self.session.add(SituationShare(situation_id=situation.id, organisation_id=organisation_id))
        search.index(self.session, situation)
        self.session.commit()
        return situation

    def problem(
        self, body: Body, title: str = "Squat du bâtiment B", situations: Sequence[Situation] = ()
    ) -> Problem:
        problem = self._save(Problem(body_id=body.id, title=title))
        for situation in situations:
            situation.problem_id = problem.id
            self.session.add(situation)
        self.session.commit()
        return problem

    def attachment(self, situation: Situation, data: bytes = b"%PDF-1.4 plan %%EOF") -> Attachment:
        """A PDF of the report, its bytes written where the application reads them."""
        attachment = Attachment(
            situation_id=situation.id or 0,
            key=uuid.uuid4().hex,
            filename="plan.pdf",
            content_type="application/pdf",
            size=len(data),
            created_by=situation.created_by,
        )
        assert self.files_dir is not None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        (self.files_dir / attachment.key).write_bytes(data)
        return self._save(attachment)

    def action(
        self,
        body: Body,
        lead: Organisation,
        title: str = "Médiation au pied du bâtiment B",
        *,
        kind: ActionKind = ActionKind.preventive,
        status: ActionStatus = ActionStatus.planned,
        owner: User | None = None,
        due_in_days: int | None = 30,
        partners: Sequence[Organisation] = (),
        situations: Sequence[Situation] = (),
        **values: Any,
    ) -> Action:
        """An action as the service would write it, with its first line of history."""
        action = self._save(
            Action(
                body_id=body.id,
                title=title,
                kind=kind,
                status=status,
                lead_organisation_id=lead.id,
                owner_id=owner.id if owner else None,
                due_on=date.today() + timedelta(days=due_in_days) if due_in_days is not None else None,
                progress=100 if status == ActionStatus.done else values.pop("progress", 0),
                done_at=utcnow() if status == ActionStatus.done else None,
                **values,
            )
        )
        for organisation in partners:
            self.session.add(ActionPartner(action_id=action.id, organisation_id=organisation.id))
        for situation in situations:
            self.session.add(ActionSituation(action_id=action.id, situation_id=situation.id))
        self.session.add(ActionEntry(action_id=action.id, event=Event.created, status=status))
        self.session.commit()
        return action


@dataclass
class World:
    """The personas of the permission tests, around one body and another one."""

    admin: User
    coordinator: User
    chair: User
    secretary: User
    member: User
    other: User
    guest: User
    body: Body
    other_body: Body
    sector: Sector
    organisation: Organisation
    # Set by the tests that need a meeting of ``body`` (see tests/test_access_matrix.py).
    meeting: Meeting | None = None
    item: AgendaItem | None = None
    # Set by the tests that need a report of ``body`` (see tests/test_access_matrix.py).
    situation: Situation | None = None
    attachment: Attachment | None = None
    problem: Problem | None = None
    # Set by the tests that need an action of ``body`` led by ``organisation``.
    action: Action | None = None

    def persona(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)  # type: ignore[no-any-return]


PERSONAS = ("admin", "coordinator", "chair", "secretary", "member", "other", "guest", "anonymous")


def build_world(factory: Factory) -> World:
    with factory.batch():
        return _populate(factory)


def _populate(factory: Factory) -> World:
    city = factory.organisation("Mairie", OrganisationKind.city)
    police = factory.organisation("Police nationale", OrganisationKind.police)
    housing = factory.organisation("Bailleur social", OrganisationKind.housing_provider)
    sector = factory.sector("Centre", "CENTRE")
    body = factory.body("Cellule de veille du centre", sectors=[sector])
    other_body = factory.body("Cellule de veille du nord")
    world = World(
        admin=factory.user("Alice Admin", role=UserRole.admin, organisation=city, email="admin@example.org"),
        coordinator=factory.user(
            "Corinne Coordinatrice",
            role=UserRole.coordinator,
            organisation=city,
            email="coordinator@example.org",
        ),
        chair=factory.user("Charles Président", organisation=city, email="chair@example.org"),
        secretary=factory.user("Sophie Secrétaire", organisation=city, email="secretary@example.org"),
        member=factory.user("Marc Membre", organisation=police, email="member@example.org"),
        other=factory.user("Olivier Autre", organisation=housing, email="other@example.org"),
        guest=factory.user("Gaëlle Invitée", organisation=housing, email="guest@example.org"),
        body=body,
        other_body=other_body,
        sector=sector,
        organisation=police,
    )
    factory.member(body, world.chair, MemberRole.chair)
    factory.member(body, world.secretary, MemberRole.secretary)
    factory.member(body, world.member, MemberRole.member)
    factory.member(body, world.guest, MemberRole.guest)
    factory.member(other_body, world.other, MemberRole.member)
    return world


def report_form(world: World, title: str) -> dict[str, str]:
    """The fields of the page form that posts a report (``/situations/new``) in the world's body."""
    return {
        "body_id": str(world.body.id),
        "title": title,
        "description": "Constaté ce matin.",
        "category": "other",
        "sector_id": str(world.sector.id),
        "place": "Rue Jean-Moulin",
        "occurred_on": (date.today() - timedelta(days=1)).isoformat(),
        "occurred_time": "08:00",
        "severity": "2",
        "confidentiality": "body",
    }

"""The directory's rules: who may change it, uniqueness, deactivation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, exists, func
from sqlalchemy.orm import selectinload
from sqlmodel import Session, SQLModel, col, select

from veille.audit import service as audit
from veille.audit.kinds import Entity, Verb
from veille.auth import resets
from veille.auth import service as auth
from veille.auth.passwords import require_strong
from veille.config import Settings
from veille.db import contains_words, remembered
from veille.directory.enums import UserRole
from veille.directory.models import (
    Commune,
    CommuneCreate,
    CommuneLimits,
    Organisation,
    OrganisationCreate,
    OrganisationUpdate,
    Sector,
    SectorCreate,
    SectorUpdate,
    User,
    UserCommune,
    UserCreate,
    UserUpdate,
)
from veille.errors import Forbidden, InvalidInput, NotFound
from veille.i18n import N_
from veille.pagination import Cursor, Page, keyset_page, numbered_page
from veille.types import parse_id

M = TypeVar("M", bound=SQLModel)
STAFF = (UserRole.admin, UserRole.coordinator)


def is_staff(user: User) -> bool:
    """Admins and coordinators set up the directory and the bodies, and see all bodies."""
    return user.role in STAFF


def page_permissions(user: User | None) -> dict[str, bool]:
    """What the navigation may offer this person; the routes check again."""
    return {
        "directory": user is not None and is_staff(user),
        "users": user is not None and user.role == UserRole.admin,
        "all_bodies": user is not None and is_staff(user),
    }


def authenticate(session: Session, settings: Settings, *, email: str, password: str, ip: str) -> User:
    """The active person with these credentials (``auth.check_credentials`` throttles and
    records the attempt); a refusal is one message whether the address exists or not."""
    email, ip = email.strip().lower()[:254], ip[:64]
    user = session.exec(select(User).where(User.email == email)).first()
    password_hash, active = (user.password_hash, user.active) if user else (None, False)
    if not auth.check_credentials(
        session, settings, email=email, ip=ip, password=password, password_hash=password_hash, active=active
    ):
        raise InvalidInput({"__all__": auth.BAD_CREDENTIALS})
    assert user is not None
    audit.record(session, user_id=user.id, verb="login", entity="user", entity_id=user.id)
    return user


def require_staff(user: User | None) -> None:
    """``None`` is the platform itself (command line, demo loader), before any account exists."""
    if user is not None and not is_staff(user):
        raise Forbidden()


def require_admin(user: User) -> None:
    if user.role != UserRole.admin:
        raise Forbidden()


def _get(session: Session, model: type[M], entity_id: int) -> M:
    found = session.get(model, entity_id)
    if found is None:
        raise NotFound()
    return found


def _check_unique(
    session: Session, model: Any, values: dict[str, Any], exclude_id: int | None, message: str
) -> None:
    """Refuses a value another record already has, with a message on that field."""
    errors = {}
    for field, value in values.items():
        stmt = select(model.id).where(func.lower(getattr(model, field)) == str(value).lower())
        if exclude_id is not None:
            stmt = stmt.where(model.id != exclude_id)
        if session.exec(stmt).first() is not None:
            errors[field] = message
    if errors:
        raise InvalidInput(errors)


def _save(
    session: Session, actor: User | None, record: SQLModel, entity: Entity, verb: Verb, **detail: object
) -> None:
    session.add(record)
    session.flush()
    audit.record(
        session,
        user_id=actor.id if actor else None,
        verb=verb,
        entity=entity,
        entity_id=getattr(record, "id", None),
        **detail,
    )
    session.commit()


# Sectors


def list_sectors(session: Session) -> list[Sector]:
    """Every sector by name (read once per request)."""
    every = remembered(
        session,
        ("sectors",),
        lambda: list(session.exec(select(Sector).order_by(Sector.name)).all()),
        on=(Sector,),
    )
    return list(every)


def get_sector(session: Session, sector_id: int) -> Sector:
    return _get(session, Sector, sector_id)


def save_sector(
    session: Session,
    *,
    actor: User | None,
    data: SectorCreate | SectorUpdate,
    sector: Sector | None = None,
) -> Sector:
    """A coordinator limited to some communes sets up the sectors of those only."""
    require_staff(actor)
    limits = commune_limits(session, actor) if actor else None
    if sector is not None:
        require_sector_reach(session, actor, sector)
    exclude = sector.id if sector else None
    _check_unique(session, Sector, {"name": data.name}, exclude, N_("A sector already has this name."))
    _check_unique(session, Sector, {"code": data.code}, exclude, N_("A sector already has this code."))
    commune_id = _sector_commune(session, data.commune_id, limits)
    sector = sector or Sector.model_validate(data, update={"commune_id": commune_id})
    sector.sqlmodel_update(data.model_dump() | {"commune_id": commune_id})
    _save(session, actor, sector, "sector", "update" if exclude else "create", name=sector.name)
    return sector


def require_sector_reach(session: Session, actor: User | None, sector: Sector) -> None:
    """403 for a coordinator limited to some communes on a sector of another commune (they see
    every sector in the directory, but set up only those of their communes)."""
    limits = commune_limits(session, actor) if actor else None
    if limits is not None and sector.commune_id not in limits:
        raise Forbidden()


def _sector_commune(session: Session, commune_id: int | None, limits: frozenset[int] | None) -> int:
    """The sector's commune: the one chosen, or the only one there is (a single city)."""
    if commune_id is None:
        ids = session.exec(select(Commune.id).limit(2)).all()
        if len(ids) != 1 or ids[0] is None:
            raise InvalidInput({"commune_id": CHOOSE_COMMUNE})
        commune_id = ids[0]
    elif session.get(Commune, commune_id) is None:
        raise InvalidInput({"commune_id": CHOOSE_COMMUNE})
    if limits is not None and commune_id not in limits:
        raise InvalidInput({"commune_id": N_("Choose one of your communes.")})
    return commune_id


# Communes

CHOOSE_COMMUNE = N_("Choose a commune.")


def list_communes(session: Session) -> list[Commune]:
    return list(session.exec(select(Commune).order_by(Commune.name)).all())


def get_commune(session: Session, commune_id: int) -> Commune:
    return _get(session, Commune, commune_id)


def commune_limits(session: Session, user: User) -> frozenset[int] | None:
    """The communes a coordinator is limited to; None: every commune (admins, unlimited
    coordinators; a member is not staff at all). One query, for coordinators only."""
    if user.role != UserRole.coordinator:
        return None

    def read() -> frozenset[int] | None:
        ids = frozenset(
            session.exec(select(UserCommune.commune_id).where(UserCommune.user_id == user.id)).all()
        )
        return ids or None

    return remembered(session, ("commune_limits", user.id), read, on=(UserCommune,))


def limited(user_id: object) -> ColumnElement[bool]:
    """SQL: the person is limited to some communes (read with them at sign-in, ``note_limits``)."""
    return exists().where(col(UserCommune.user_id) == user_id)


def note_limits(session: Session, user: User, is_limited: bool) -> None:
    """What the sign-in read of the person (``limited``): an unlimited coordinator's limits are
    then known for the request without a query of their own."""
    if user.role == UserRole.coordinator and not is_limited:
        remembered(session, ("commune_limits", user.id), lambda: None, on=(UserCommune,))


def save_commune(
    session: Session, *, actor: User | None, data: CommuneCreate, commune: Commune | None = None
) -> Commune:
    """Admins and coordinators of every commune (not one limited to some)."""
    require_staff(actor)
    if actor is not None and commune_limits(session, actor) is not None:
        raise Forbidden()
    exclude = commune.id if commune else None
    _check_unique(session, Commune, {"name": data.name}, exclude, N_("A commune already has this name."))
    commune = commune or Commune.model_validate(data)
    commune.sqlmodel_update(data.model_dump())
    _save(session, actor, commune, "commune", "update" if exclude else "create", name=commune.name)
    return commune


def set_commune_limits(session: Session, *, actor: User, user: User, data: CommuneLimits) -> frozenset[int]:
    """An admin limits a coordinator to some communes (none: every commune). Audited."""
    require_admin(actor)
    ids = frozenset(data.commune_ids)
    if ids and user.role != UserRole.coordinator:
        raise InvalidInput({"commune_ids": N_("Only a coordinator can be limited to some communes.")})
    known = (
        set(session.exec(select(Commune.id).where(col(Commune.id).in_(sorted(ids)))).all()) if ids else set()
    )
    if known != ids:
        raise InvalidInput({"commune_ids": N_("Unknown commune.")})
    for row in session.exec(select(UserCommune).where(UserCommune.user_id == user.id)).all():
        session.delete(row)
    session.flush()
    session.add_all(UserCommune(user_id=user.id or 0, commune_id=i) for i in sorted(ids))
    audit.record(
        session,
        user_id=actor.id,
        verb="limit_communes",
        entity="user",
        entity_id=user.id,
        communes=sorted(ids),
    )
    session.commit()
    return ids


# Organisations


def list_organisations(session: Session, *, active_only: bool = False) -> list[Organisation]:
    """Every organisation by name, or the active ones (read once per request)."""
    every = remembered(
        session,
        ("organisations",),
        lambda: list(session.exec(select(Organisation).order_by(Organisation.name)).all()),
        on=(Organisation,),
    )
    return [o for o in every if o.active or not active_only]


def active_accounts_by_organisation(session: Session) -> dict[int, int]:
    """How many active accounts each organisation has: deactivating one leaves them open, which
    its confirmation says."""
    rows = session.exec(
        select(User.organisation_id, func.count())
        .where(col(User.active).is_(True))
        .group_by(col(User.organisation_id))
    ).all()
    return dict(rows)


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    return _get(session, Organisation, organisation_id)


def save_organisation(
    session: Session,
    *,
    actor: User | None,
    data: OrganisationCreate | OrganisationUpdate,
    organisation: Organisation | None = None,
) -> Organisation:
    require_staff(actor)
    exclude = organisation.id if organisation else None
    _check_unique(
        session,
        Organisation,
        {"name": data.name},
        exclude,
        N_("An organisation already has this name."),
    )
    organisation = organisation or Organisation.model_validate(data)
    organisation.sqlmodel_update(data.model_dump())
    _save(
        session,
        actor,
        organisation,
        "organisation",
        "update" if exclude else "create",
        name=organisation.name,
    )
    return organisation


def set_organisation_active(
    session: Session, *, actor: User, organisation: Organisation, active: bool
) -> None:
    require_staff(actor)
    organisation.active = active
    _save(session, actor, organisation, "organisation", "reactivate" if active else "deactivate")


# Users


def list_users(session: Session, *, actor: User, page: int) -> Page[User]:
    require_admin(actor)
    stmt = select(User).options(selectinload(User.organisation)).order_by(User.name, User.id)  # type: ignore[arg-type]
    return numbered_page(session, stmt, page)


def api_users(
    session: Session, *, actor: User, limit: int, cursor: str | None
) -> tuple[list[User], str | None]:
    require_admin(actor)
    return keyset_page(session, select(User), User, Cursor.parse(cursor), limit)


PERSON_MATCHES = 20
# The field's maxlength: each word typed is a condition of the query, so a longer text matches
# nobody ("type fewer words") rather than making a statement of thousands of conditions.
PERSON_TEXT_MAX = 200


def people_matching(
    session: Session, text: str, leaving_out: Iterable[int] = (), limit: int = PERSON_MATCHES
) -> list[tuple[int, str]]:
    """Active people whose name or e-mail address holds every word typed, as (id, "Name
    (Organisation)") by name, the first ``limit``: who a form's person field names. A field
    rather than a list, since a metropolis has two thousand people to choose from."""
    if not text.strip() or len(text) > PERSON_TEXT_MAX:
        return []
    stmt = (
        select(User.id, User.name, Organisation.name)
        .join(Organisation, col(Organisation.id) == User.organisation_id)
        .where(col(User.active).is_(True), contains_words(text, User.name, User.email))
    )
    left = sorted(set(leaving_out))
    if left:
        stmt = stmt.where(col(User.id).not_in(left))
    found = session.exec(stmt.order_by(col(User.name), col(User.id)).limit(limit)).all()
    return [(i or 0, f"{name} ({organisation})") for i, name, organisation in found]


def chosen_person(session: Session, values: Mapping[str, object], leaving_out: Iterable[int] = ()) -> int:
    """The person a form's person field names: the one picked among the matches it showed
    (``user_id``), else the only one the words typed (``person``) match; a refusal asks to type
    or to pick one of the matches, which the form then shows."""
    picked = values.get("user_id")
    if picked not in (None, ""):
        try:
            return parse_id(picked)
        except ValueError as exc:
            raise InvalidInput({"person": N_("Choose an active person.")}) from exc
    text = str(values.get("person") or "")
    if not text.strip():
        raise InvalidInput({"person": N_("Type a part of their name or their e-mail address.")})
    found = people_matching(session, text, leaving_out, limit=2)
    if not found:
        raise InvalidInput({"person": N_("Nobody matches: check the spelling, or type fewer words.")})
    if len(found) > 1:
        raise InvalidInput({"person": N_("Several people match: choose one below.")})
    return found[0][0]


def get_user(session: Session, *, actor: User, user_id: int) -> User:
    require_admin(actor)
    return _get(session, User, user_id)


def _check_organisation(session: Session, organisation_id: int) -> None:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not organisation.active:
        raise InvalidInput({"organisation_id": N_("Choose an active organisation.")})


def create_user(session: Session, *, actor: User | None, data: UserCreate) -> User:
    """Creates an account with its password; ``actor`` is None only from the command line and
    the demo loader. One without a password is ``account.service.create_account``'s: it mails
    the invitation without which no one could ever log in with it."""
    if data.password is None:
        raise InvalidInput({"password": N_("This field is required.")})
    user = add_user(session, actor=actor, data=data)
    session.commit()
    return user


def add_user(session: Session, *, actor: User | None, data: UserCreate) -> User:
    """:func:`create_user` in the caller's transaction (audited, not committed). Without a
    password the account cannot log in until its holder sets one from a link."""
    if actor is not None:
        require_admin(actor)
    _check_unique(session, User, {"email": data.email}, None, N_("An account already uses this address."))
    _check_organisation(session, data.organisation_id)
    if data.password is not None:
        require_strong(data.password, (data.email, data.name))
    password_hash = auth.hash_password(data.password) if data.password is not None else None
    user = User.model_validate(data, update={"password_hash": password_hash})
    session.add(user)
    session.flush()
    audit.record(
        session,
        user_id=actor.id if actor else None,
        verb="create",
        entity="user",
        entity_id=user.id,
        email=user.email,
        role=user.role,
    )
    return user


def update_user(session: Session, *, actor: User, user: User, data: UserUpdate) -> User:
    require_admin(actor)
    _check_unique(session, User, {"email": data.email}, user.id, N_("An account already uses this address."))
    if data.organisation_id != user.organisation_id:
        _check_organisation(session, data.organisation_id)
    if user.id == actor.id and data.role != UserRole.admin:
        raise InvalidInput({"role": N_("You cannot remove your own administrator role.")})
    if data.password:
        require_strong(data.password, (data.email, data.name))
    changes = data.model_dump(exclude={"password"})
    if data.email != user.email:
        # Links mailed to the old address (a mistyped one) no longer set the password.
        assert user.id is not None
        resets.end_open(session, user.id)
    user.sqlmodel_update(changes)
    if data.password:
        user.password_hash = auth.hash_password(data.password)
        assert user.id is not None
        auth.revoke_all(session, user_id=user.id)
        resets.end_open(session, user.id)
    _save(session, actor, user, "user", "update", password_changed=bool(data.password))
    return user


def login_state(session: Session, settings: Settings, *, actor: User, user: User) -> auth.AccountState:
    """An account's failed logins and whether they lock it, for its admin page."""
    require_admin(actor)
    return auth.account_state(session, settings, email=user.email)


def release_login(session: Session, *, actor: User, user: User) -> None:
    """An admin releases an account locked by failed logins (``auth.release``): its failures so
    far no longer count, from any address. Audited."""
    require_admin(actor)
    auth.release(session, email=user.email)
    audit.record(session, user_id=actor.id, verb="release_login", entity="user", entity_id=user.id)
    session.commit()


def set_user_active(session: Session, *, actor: User, user: User, active: bool) -> None:
    """Deactivation ends the person's sessions, tokens and password links at once
    (docs/confidentiality.md, rule 8): a reactivated account's links sent before stay spent."""
    require_admin(actor)
    if user.id == actor.id:
        raise InvalidInput({"__all__": N_("You cannot deactivate your own account.")})
    user.active = active
    if not active:
        assert user.id is not None
        auth.revoke_all(session, user_id=user.id)
        resets.end_open(session, user.id)
    _save(session, actor, user, "user", "reactivate" if active else "deactivate")

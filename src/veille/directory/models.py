"""Sectors, organisations and users: the city's directory."""

from datetime import datetime
from typing import Annotated

from pydantic import EmailStr, StringConstraints, field_validator
from sqlalchemy import String
from sqlmodel import Field, Relationship, SQLModel

from veille.directory.enums import Language, OrganisationKind, UserRole
from veille.orm import enum_type, timestamp
from veille.types import Id, IdList

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$"),
]
Password = Annotated[str, StringConstraints(min_length=12, max_length=200)]


class CommuneBase(SQLModel):
    name: Name = Field(max_length=200, unique=True)


class Commune(CommuneBase, table=True):
    """A commune of the territory: each sector lies in one (an intercommunal council has several;
    a single city, the one migration 0013 made)."""

    id: int | None = Field(default=None, primary_key=True)


class CommuneCreate(CommuneBase):
    pass


class CommunePublic(CommuneBase):
    id: int


class UserCommune(SQLModel, table=True):
    """The communes a coordinator is limited to (none: every commune)."""

    __tablename__ = "user_commune"

    user_id: int = Field(foreign_key="user.id", primary_key=True, ondelete="CASCADE")
    commune_id: int = Field(foreign_key="commune.id", primary_key=True, index=True, ondelete="CASCADE")


class CommuneLimits(SQLModel):
    """The communes a coordinator is limited to; empty: every commune."""

    commune_ids: IdList = []


class SectorBase(SQLModel):
    name: Name = Field(max_length=200, unique=True)
    code: Code = Field(max_length=20, unique=True)


class Sector(SectorBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    commune_id: int = Field(foreign_key="commune.id", index=True)
    outline_geojson: str | None = None


class SectorCreate(SectorBase):
    # Optional while there is one commune (the sector goes in it).
    commune_id: Id | None = None


class SectorUpdate(SectorCreate):
    pass


class SectorPublic(SectorBase):
    id: int
    commune_id: int


class OrganisationBase(SQLModel):
    name: Name = Field(max_length=200, unique=True)
    kind: OrganisationKind = Field(sa_type=enum_type(OrganisationKind))


class Organisation(OrganisationBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    active: bool = True


class OrganisationCreate(OrganisationBase):
    pass


class OrganisationUpdate(OrganisationBase):
    pass


class OrganisationPublic(OrganisationBase):
    id: int
    active: bool


class UserBase(SQLModel):
    email: EmailStr = Field(max_length=254, unique=True, sa_type=String(254))
    name: Name = Field(max_length=200)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    role: UserRole = Field(default=UserRole.member, sa_type=enum_type(UserRole, 20))
    language: Language = Field(default=Language.fr, sa_type=enum_type(Language, 5))

    @field_validator("email")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        return value.strip().lower()


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    active: bool = True
    password_hash: str | None = Field(default=None, max_length=255)
    created_at: datetime = timestamp()

    organisation: Organisation = Relationship(sa_relationship_kwargs={"lazy": "raise"})


class UserCreate(UserBase):
    """A new account; without a password, its holder chooses one from an invitation's link."""

    organisation_id: Id
    password: Password | None = None


class UserUpdate(UserBase):
    organisation_id: Id
    password: Password | None = None


class UserPublic(SQLModel):
    id: int
    email: str
    name: str
    organisation_id: int
    role: UserRole
    language: Language
    active: bool

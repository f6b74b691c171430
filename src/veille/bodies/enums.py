"""The codes of bodies: kinds, status and the roles of members; stored as text, labelled in labels.py."""

from enum import StrEnum


class BodyKind(StrEnum):
    watch_cell = "watch_cell"
    nightlife_copil = "nightlife_copil"
    crime_treatment_group = "crime_treatment_group"
    plenary = "plenary"
    partnership_committee = "partnership_committee"
    other = "other"


class BodyStatus(StrEnum):
    active = "active"
    closed = "closed"


class Cadence(StrEnum):
    monthly = "monthly"


class MemberRole(StrEnum):
    chair = "chair"
    secretary = "secretary"
    member = "member"
    guest = "guest"

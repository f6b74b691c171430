"""The codes of bodies: kinds, status and the roles of members; stored as text, labelled in labels.py."""

from enum import StrEnum


class BodyKind(StrEnum):
    watch_cell = "watch_cell"
    nightlife_copil = "nightlife_copil"
    crime_treatment_group = "crime_treatment_group"
    plenary = "plenary"
    partnership_committee = "partnership_committee"
    # A working group on a theme (domestic violence, school harassment, youth at risk…).
    thematic_group = "thematic_group"
    other = "other"


# The kinds of body an end date bounds: their actions are due by it (actions.rules.deadline).
TIME_BOUND = frozenset({BodyKind.crime_treatment_group, BodyKind.thematic_group})


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

"""The codes of reports: kinds, confidentiality, status; stored as text, labelled in labels.py."""

from enum import StrEnum


class SituationStatus(StrEnum):
    open = "open"
    monitoring = "monitoring"
    resolved = "resolved"


# open → monitoring → resolved; a resolved report is reopened explicitly (back to open).
STATUS_MOVES: dict[SituationStatus, frozenset[SituationStatus]] = {
    SituationStatus.open: frozenset({SituationStatus.monitoring, SituationStatus.resolved}),
    SituationStatus.monitoring: frozenset({SituationStatus.open, SituationStatus.resolved}),
    SituationStatus.resolved: frozenset({SituationStatus.open}),
}


class Confidentiality(StrEnum):
    """docs/confidentiality.md, rule 3."""

    body = "body"
    restricted = "restricted"
    social = "social"


class ProblemStatus(StrEnum):
    """The problem-solving method of community policing: scan, analyse, respond, assess."""

    scanning = "scanning"
    analysis = "analysis"
    response = "response"
    assessment = "assessment"
    closed = "closed"


class NotificationMode(StrEnum):
    """What a member receives about new reports of a body."""

    each = "each"
    digest = "digest"
    none = "none"

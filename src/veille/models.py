"""Imports every domain's tables, so that relationships resolve and Alembic sees them all."""

from veille.audit.models import AuditEvent
from veille.auth.models import AuthToken, LoginAttempt
from veille.bodies.models import Body, BodySector, Charter, CharterAcceptance, Membership
from veille.directory.models import Organisation, Sector, User
from veille.meetings.models import (
    AgendaItem,
    CalendarFeed,
    Invitation,
    Meeting,
    RoundTableEntry,
)
from veille.notifications.models import OutboxAttachment, OutboxMail

__all__ = [
    "AgendaItem",
    "AuditEvent",
    "AuthToken",
    "Body",
    "BodySector",
    "CalendarFeed",
    "Charter",
    "CharterAcceptance",
    "Invitation",
    "LoginAttempt",
    "Meeting",
    "Membership",
    "Organisation",
    "OutboxAttachment",
    "OutboxMail",
    "RoundTableEntry",
    "Sector",
    "User",
]

"""Imports every domain's tables, so that relationships resolve and Alembic sees them all."""

from veille.audit.models import AuditEvent
from veille.auth.models import AuthToken, LoginAttempt
from veille.bodies.models import Body, BodySector, Charter, CharterAcceptance, Membership
from veille.directory.models import Organisation, Sector, User
from veille.notifications.models import OutboxAttachment, OutboxMail

__all__ = [
    "AuditEvent",
    "AuthToken",
    "Body",
    "BodySector",
    "Charter",
    "CharterAcceptance",
    "LoginAttempt",
    "Membership",
    "Organisation",
    "OutboxAttachment",
    "OutboxMail",
    "Sector",
    "User",
]

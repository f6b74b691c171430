"""Imports every domain's tables, so that relationships resolve and Alembic sees them all."""

from veille.actions.models import (
    Action,
    ActionEntry,
    ActionPartner,
    ActionReminder,
    ActionSituation,
    GroupReview,
)
from veille.activity.models import ActivityCount, ActivitySeries
from veille.audit.models import AuditEvent
from veille.auth.models import AuthToken, LoginAttempt, LoginRelease
from veille.bodies.models import Body, BodySector, Charter, CharterAcceptance, Membership
from veille.directory.models import Organisation, Sector, User
from veille.events import LiveEvent
from veille.home.models import HomeVisit
from veille.meetings.models import (
    AgendaItem,
    AgendaItemAction,
    AgendaItemSituation,
    CalendarFeed,
    Invitation,
    Meeting,
    RoundTableEntry,
)
from veille.meetings.presence import MeetingPresence, MeetingScreen
from veille.notifications.models import OutboxAttachment, OutboxMail
from veille.pagecache import DataVersion
from veille.situations import search
from veille.situations.models import (
    Attachment,
    Category,
    NotificationChoice,
    Problem,
    Situation,
    SituationReferral,
    SituationShare,
    SituationUpdateRecord,
)
from veille.stats.models import Diagnostic
from veille.strategy.models import (
    IndicatorValue,
    ObjectiveAction,
    ObjectiveBody,
    Strategy,
    StrategyAxis,
    StrategyIndicator,
    StrategyObjective,
)
from veille.venues.models import CharterArticle, Venue

__all__ = [
    "Action",
    "ActionEntry",
    "ActionPartner",
    "ActionReminder",
    "ActionSituation",
    "ActivityCount",
    "ActivitySeries",
    "AgendaItem",
    "AgendaItemAction",
    "AgendaItemSituation",
    "Attachment",
    "AuditEvent",
    "AuthToken",
    "Body",
    "BodySector",
    "CalendarFeed",
    "Category",
    "Charter",
    "CharterAcceptance",
    "CharterArticle",
    "DataVersion",
    "Diagnostic",
    "GroupReview",
    "HomeVisit",
    "IndicatorValue",
    "Invitation",
    "LiveEvent",
    "LoginAttempt",
    "LoginRelease",
    "Meeting",
    "MeetingPresence",
    "MeetingScreen",
    "Membership",
    "NotificationChoice",
    "ObjectiveAction",
    "ObjectiveBody",
    "Organisation",
    "OutboxAttachment",
    "OutboxMail",
    "Problem",
    "RoundTableEntry",
    "Sector",
    "Situation",
    "SituationReferral",
    "SituationShare",
    "SituationUpdateRecord",
    "Strategy",
    "StrategyAxis",
    "StrategyIndicator",
    "StrategyObjective",
    "User",
    "Venue",
]

# The indexes that serve ``db.contains_words`` on PostgreSQL (trigrams, migration 0018).
WORD_INDEX_SUFFIX = "_words"


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Alembic's filter: what migrations make with one engine's DDL and no model describes (the
    reports' search index, ``search.include_object``; the word indexes) is not compared."""
    if type_ == "index" and name is not None and name.endswith(WORD_INDEX_SUFFIX):
        return False
    return search.include_object(obj, name, type_, reflected, compare_to)

"""The demo's meeting rule and referred report (issue 18): the Nord watch cell meets the first
Tuesday of the month at 14:00 at the Mairie annexe Nord (its secretary plans the coming months
from its meetings page), and its report on the motorbike rodeos is referred, with a reason, to
the crime-treatment group of the same district by the cells' chair, who sits in both. Built
through the services, as the rest of the demo set."""

from __future__ import annotations

from datetime import time

from sqlmodel import Session

from veille.access import viewer_of
from veille.bodies import service as bodies
from veille.bodies.models import Body, BodyUpdate
from veille.config import Settings
from veille.directory.models import User
from veille.situations import referrals, visibility
from veille.situations.models import ReferralIn, Situation

RULE = {
    "rule_ordinal": 1,
    "rule_weekday": 1,
    "rule_start": time(14, 0),
    "rule_minutes": 120,
    "rule_location": "Mairie annexe Nord, salle du conseil de quartier",
}
REASON = (
    "Les motos tournent chaque dimanche et deux conducteurs sont identifiés par la police "
    "municipale : suivi judiciaire proposé au GLTD, qui traite déjà le quartier."
)


def set_rule(session: Session, secretary: User, body: Body) -> None:
    """The body's meeting rule, set by its secretary in the body's settings."""
    access = bodies.get_body_access(session, secretary, body.id or 0)
    current = access.body.model_dump() | {"sector_ids": bodies.sector_ids(access.body)}
    bodies.update_body(session, access=access, data=BodyUpdate.model_validate(current | RULE))


def refer(session: Session, chair: User, situation: Situation, to_body: Body, settings: Settings) -> None:
    """The report referred on its own by the chair of its body, who sits in the receiving one."""
    access = visibility.get_situation(session, viewer_of(session, chair), situation.id or 0)
    referrals.refer(
        session, access=access, data=ReferralIn(body_id=to_body.id or 0, reason=REASON), settings=settings
    )

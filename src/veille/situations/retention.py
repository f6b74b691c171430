"""The retention period of reports (docs/confidentiality.md, rule 7): ``veille purge`` anonymises the
reports resolved longer ago than ``Settings.retention_months``.

Their texts go (title, description, place and its point on the map, the updates' texts, the
reasons they were referred with (the referrals stay), the attachments and their files); what
statistics count stays (body, category, sector, venue, dates, severity, status, confidentiality
and shares, the updates' dates); the audit log keeps that it happened.
"""

from __future__ import annotations

from datetime import datetime

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, and_, update
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.config import Settings
from veille.situations import files, search
from veille.situations.enums import SituationStatus
from veille.situations.models import Situation, SituationReferral, SituationUpdateRecord

# Stored as is: the data is French, whatever the reader's language.
ANONYMISED_TITLE = "Signalement anonymisé"


def cutoff(settings: Settings, now: datetime) -> datetime:
    """Reports resolved before this moment are past their retention period."""
    return now - relativedelta(months=settings.retention_months)


def _expired(before: datetime) -> ColumnElement[bool]:
    return and_(
        col(Situation.status) == SituationStatus.resolved,
        col(Situation.resolved_at) < before,
        col(Situation.anonymised_at).is_(None),
    )


def purge(session: Session, settings: Settings, *, now: datetime) -> int:
    """Anonymises every report past its retention period, each in a transaction of its own
    (a report locked, checked again, changed, committed; its files deleted once committed).
    A second run finds nothing to do. Answers how many reports were anonymised."""
    before = cutoff(settings, now)
    ids = session.exec(select(Situation.id).where(_expired(before)).order_by(col(Situation.id))).all()
    session.commit()
    count = 0
    for situation_id in ids:
        situation = session.exec(
            select(Situation)
            .where(Situation.id == situation_id, _expired(before))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).first()
        if situation is None:  # reopened or anonymised in the meantime
            session.rollback()
            continue
        _anonymise(session, settings, situation, now)
        session.commit()
        count += 1
    return count


def _anonymise(session: Session, settings: Settings, situation: Situation, now: datetime) -> None:
    attachments = files.attachments_of(session, situation.id or 0)
    files.remove_after_commit(session, settings, attachments)
    updates = session.exec(
        update(SituationUpdateRecord)
        .where(col(SituationUpdateRecord.situation_id) == situation.id)
        .values(text="")
        .execution_options(synchronize_session=False)
    ).rowcount
    referrals = session.exec(
        update(SituationReferral)
        .where(
            col(SituationReferral.situation_id) == situation.id, col(SituationReferral.reason).is_not(None)
        )
        .values(reason="")
        .execution_options(synchronize_session=False)
    ).rowcount
    situation.title = ANONYMISED_TITLE
    situation.description = ""
    situation.place = ""
    situation.latitude = situation.longitude = None
    situation.names_person = False
    situation.anonymised_at = now
    situation.updated_at = now
    situation.version += 1
    session.add(situation)
    session.flush()
    search.index(session, situation)
    audit.record(
        session,
        user_id=None,
        verb="anonymise",
        entity="situation",
        entity_id=situation.id,
        retention_months=settings.retention_months,
        updates=updates,
        referrals=referrals,
        attachments=len(attachments),
    )

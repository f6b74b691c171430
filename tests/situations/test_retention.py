"""The retention period (docs/confidentiality.md, rule 7): reports resolved longer ago than
``retention_months`` lose their texts and attachments; counts stay; the audit log keeps it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta
from sqlalchemy import func
from sqlmodel import Session, col, select

from tests.factories import Factory, World
from veille.access import viewer_of
from veille.audit.models import AuditEvent
from veille.config import Settings
from veille.orm import utcnow
from veille.situations import feed, retention, search, visibility
from veille.situations.enums import Confidentiality, SituationStatus
from veille.situations.models import (
    Attachment,
    Situation,
    SituationReferral,
    SituationShare,
    SituationUpdateRecord,
)

NOW = utcnow().replace(microsecond=0)


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    return settings.model_copy(update={"data_dir": tmp_path / "files"})


def resolved(
    factory: Factory, world: World, at: datetime, title: str = "Squat du hall B", **values: object
) -> Situation:
    """A report of the body resolved at ``at``, with a place, an update and a photo on disk."""
    situation = factory.situation(
        world.body,
        world.member,
        title,
        description="Kevin D., 17 ans, occupe le hall avec deux amis.",
        place="4 allée des Tilleuls",
        status=SituationStatus.resolved,
        sector_id=world.sector.id,
        severity=3,
        **values,
    )
    situation.resolved_at = at
    factory._save(situation)
    factory._save(
        SituationUpdateRecord(situation_id=situation.id, text="Kevin D. relogé.", author_id=world.chair.id)
    )
    return situation


def photo(factory: Factory, settings: Settings, situation: Situation) -> Path:
    attachment = factory._save(
        Attachment(
            situation_id=situation.id,
            key=f"photo{situation.id}",
            filename="hall.jpg",
            content_type="image/jpeg",
            size=4,
            created_by=situation.created_by,
        )
    )
    path = settings.files_dir / attachment.key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8\xff\xd9")
    return path


def fresh(session: Session, situation: Situation) -> Situation:
    session.expire_all()
    found = session.get(Situation, situation.id)
    assert found is not None
    return found


def test_cutoff_counts_calendar_months(settings: Settings) -> None:
    now = datetime(2025, 3, 31, 12, tzinfo=NOW.tzinfo)
    assert retention.cutoff(settings, now) == datetime(2024, 3, 31, 12, tzinfo=NOW.tzinfo)
    one = settings.model_copy(update={"retention_months": 1})
    assert retention.cutoff(one, now) == datetime(2025, 2, 28, 12, tzinfo=NOW.tzinfo)


def test_a_report_resolved_past_the_retention_period_is_anonymised_and_counts_stay(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    limit = NOW - relativedelta(months=12)
    old = resolved(factory, world, limit - timedelta(minutes=1), confidentiality=Confidentiality.restricted)
    file = photo(factory, settings, old)
    recent = resolved(factory, world, limit + timedelta(minutes=1), title="Rodéos parking")
    recent_file = photo(factory, settings, recent)
    still_open = factory.situation(world.body, world.member, "Toujours ouvert", days_ago=800)
    before = fresh(session, old).model_dump()
    counts = session.exec(
        select(Situation.category_id, Situation.sector_id, Situation.severity, func.count()).group_by(
            col(Situation.category_id), col(Situation.sector_id), col(Situation.severity)
        )
    ).all()

    assert retention.purge(session, settings, now=NOW) == 1

    after = fresh(session, old)
    assert (after.title, after.description, after.place) == (retention.ANONYMISED_TITLE, "", "")
    assert after.names_person is False
    assert after.anonymised_at == NOW
    assert after.version == before["version"] + 1
    for kept in (
        "body_id",
        "category_id",
        "sector_id",
        "severity",
        "status",
        "confidentiality",
        "occurred_at",
        "created_at",
        "resolved_at",
        "created_by",
    ):
        assert getattr(after, kept) == before[kept], kept
    shares = session.exec(select(SituationShare.organisation_id).where(SituationShare.situation_id == old.id))
    assert list(shares) == [world.member.organisation_id]
    texts = session.exec(
        select(SituationUpdateRecord.text).where(SituationUpdateRecord.situation_id == old.id)
    ).all()
    assert texts == [""]
    assert session.exec(select(Attachment).where(Attachment.situation_id == old.id)).all() == []
    assert not file.exists()
    # The others are untouched.
    assert fresh(session, recent).title == "Rodéos parking" and recent_file.exists()
    assert fresh(session, still_open).title == "Toujours ouvert"
    # Statistics count the same reports.
    assert (
        session.exec(
            select(Situation.category_id, Situation.sector_id, Situation.severity, func.count()).group_by(
                col(Situation.category_id), col(Situation.sector_id), col(Situation.severity)
            )
        ).all()
        == counts
    )


def test_the_purge_is_audited_once_and_runs_once(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    first = resolved(factory, world, NOW - relativedelta(months=13))
    second = resolved(factory, world, NOW - relativedelta(years=3), title="Tags")
    assert retention.purge(session, settings, now=NOW) == 2
    assert retention.purge(session, settings, now=NOW) == 0
    assert retention.purge(session, settings, now=NOW + timedelta(days=30)) == 0
    events = session.exec(
        select(AuditEvent).where(AuditEvent.verb == "anonymise").order_by(col(AuditEvent.id))
    )
    assert [(e.user_id, e.entity, e.entity_id) for e in events] == [
        (None, "situation", first.id),
        (None, "situation", second.id),
    ]
    assert fresh(session, first).anonymised_at == NOW  # not moved by the later runs


def test_the_retention_period_is_a_setting(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    situation = resolved(factory, world, NOW - relativedelta(months=4))
    assert retention.purge(session, settings, now=NOW) == 0
    short = settings.model_copy(update={"retention_months": 3})
    assert retention.purge(session, short, now=NOW) == 1
    assert fresh(session, situation).title == retention.ANONYMISED_TITLE


def test_a_reopened_report_is_kept(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    situation = resolved(factory, world, NOW - relativedelta(months=20))
    situation.status, situation.resolved_at = SituationStatus.open, None
    factory._save(situation)
    assert retention.purge(session, settings, now=NOW) == 0


def test_search_no_longer_finds_the_anonymised_text(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    situation = resolved(factory, world, NOW - relativedelta(months=13), title="Squat Tilleuls")
    viewer = viewer_of(session, world.admin)

    def found(q: str) -> list[int | None]:
        return [s.id for s in session.exec(feed.feed_query(session, viewer, feed.Filters(q=q))).all()]

    search.index(session, situation)  # with its update
    session.commit()
    assert found("Tilleuls") == found("Kevin") == [situation.id]
    assert retention.purge(session, settings, now=NOW) == 1
    assert found("Tilleuls") == [] and found("Kevin") == []
    assert situation.id in found("anonymisé")


def test_an_anonymised_report_can_no_longer_be_edited(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    situation = resolved(factory, world, NOW - relativedelta(months=13))
    retention.purge(session, settings, now=NOW)
    access = visibility.get_situation(session, viewer_of(session, world.member), situation.id or 0)
    assert not access.can_edit


def test_the_reasons_a_report_was_referred_with_go_the_referrals_stay(
    world: World, factory: Factory, session: Session, settings: Settings
) -> None:
    old = resolved(factory, world, NOW - relativedelta(months=13))
    kept = resolved(factory, world, NOW - relativedelta(months=1), title="Récent")
    reason = "Kevin D. est connu du parquet."
    for situation in (old, kept):
        factory._save(
            SituationReferral(situation_id=situation.id, body_id=world.other_body.id, reason=reason)
        )
    # A hand-over with an action has no reason: it stays None.
    factory._save(SituationReferral(situation_id=old.id, body_id=world.body.id, reason=None))

    assert retention.purge(session, settings, now=NOW) == 1

    session.expire_all()
    rows = session.exec(
        select(SituationReferral.situation_id, SituationReferral.body_id, SituationReferral.reason).order_by(
            col(SituationReferral.situation_id), col(SituationReferral.body_id)
        )
    ).all()
    assert sorted(rows) == sorted(
        [
            (old.id, world.other_body.id, ""),
            (old.id, world.body.id, None),
            (kept.id, world.other_body.id, reason),
        ]
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.verb == "anonymise")).one()
    assert (event.entity_id, event.detail["referrals"], event.detail["updates"]) == (old.id, 1, 1)

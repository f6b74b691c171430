"""Monthly meetings planned from a body's rule (``bodies.meeting_rule``): by its managers from
the body's meetings page ("Plan the next months") and every day by ``veille plan``, which keeps
the coming months planned. The days come from ``rule_days`` (holidays moved, months that have
their meeting skipped); here a cancelled meeting also counts, so a month its managers cancelled
is not planned again. The meetings are made as the series form makes them (planned, with the
standing items) and the body's secretaries get one mail per run listing them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus, MemberRole
from veille.bodies.meeting_rule import MeetingRule, rule_of
from veille.bodies.models import Body, Membership
from veille.config import Settings
from veille.directory.models import User
from veille.errors import Conflict
from veille.i18n import N_, format_day, format_moment, translate
from veille.meetings import rule_days, scheduling
from veille.meetings.models import Meeting
from veille.notifications import service as outbox
from veille.web import render_text

# How many months ahead are kept planned (the current one included).
PLAN_MONTHS = 3
MAX_MONTHS = 24
PLANNED = "meetings_planned"
NO_RULE = N_("This body has no meeting rule: set one in its settings first.")


@dataclass(frozen=True)
class Planned:
    meeting: Meeting
    moved_from: date | None


def plan_body(
    session: Session,
    *,
    body: Body,
    actor: User | None,
    months: int,
    settings: Settings,
    today: date | None = None,
) -> list[Planned]:
    """Plans the body's meetings of ``months`` months from the current one (``today``'s, the
    city's by default), from its rule; tells its secretaries. Nothing for a closed body or one
    without a rule. No commit."""
    rule = rule_of(body)
    if rule is None or body.status != BodyStatus.active or body.id is None:
        return []
    # Two runs at once (the page and the job) plan a body one after the other.
    session.exec(select(Body.id).where(Body.id == body.id).with_for_update()).first()
    today = today or settings.today()
    first = today.replace(day=1)
    days = [
        d
        for d in rule_days.planned_days(
            ordinal=rule.ordinal,
            day_of_week=rule.weekday,
            first_month=first,
            months=months,
            taken=scheduling.taken_days(
                session, body.id, rule_days.span(first, months), settings, cancelled=True
            ),
            today=today,
        )
        if (body.starts_on is None or d.day >= body.starts_on)
        and (body.ends_on is None or d.day <= body.ends_on)
    ]
    if not days:
        return []
    meetings = scheduling.plan_days(
        session,
        body=body,
        actor=actor,
        days=[d.day for d in days],
        start=rule.start,
        minutes=rule.minutes,
        location=rule.location,
        settings=settings,
    )
    planned = [Planned(m, d.moved_from) for m, d in zip(meetings, days, strict=True)]
    audit.record(
        session,
        user_id=actor.id if actor else None,
        verb="plan_from_rule",
        entity="body",
        entity_id=body.id,
        meeting_ids=[m.id for m in meetings],
        moved=[d.moved_from.isoformat() for d in days if d.moved_from],
    )
    _tell_secretaries(session, body, rule, planned, settings)
    return planned


def plan_next_months(
    session: Session, *, access: bodies.BodyAccess, settings: Settings, months: int = PLAN_MONTHS
) -> list[Planned]:
    """ "Plan the next months" on the body's meetings page: its chair, secretaries and the staff.
    Commits."""
    access.require_manage()
    if rule_of(access.body) is None:
        raise Conflict(NO_RULE)
    planned = plan_body(session, body=access.body, actor=access.user, months=months, settings=settings)
    session.commit()
    return planned


def plan_ahead(session: Session, settings: Settings, *, months: int = PLAN_MONTHS) -> int:
    """``veille plan``: every open body with a rule, each committed on its own. Answers how many
    meetings were planned; a second run plans nothing more."""
    ids = session.exec(
        select(Body.id)
        .where(Body.status == BodyStatus.active, col(Body.rule_ordinal).is_not(None))
        .order_by(col(Body.id))
    ).all()
    session.rollback()
    count = 0
    for body_id in ids:
        body = session.get(Body, body_id)
        if body is None:
            continue
        count += len(plan_body(session, body=body, actor=None, months=months, settings=settings))
        session.commit()
    return count


def _tell_secretaries(
    session: Session, body: Body, rule: MeetingRule, planned: list[Planned], settings: Settings
) -> None:
    """One mail to each secretary who sees the body's content, in their language."""
    secretaries = set(
        session.exec(
            select(Membership.user_id).where(
                Membership.body_id == body.id,
                Membership.role == MemberRole.secretary,
                col(Membership.excluded_at).is_(None),
            )
        ).all()
    ) & bodies.content_member_ids(session, body)
    if not secretaries:
        return
    users = session.exec(
        select(User).where(col(User.id).in_(sorted(secretaries))).order_by(col(User.id))
    ).all()
    url = f"{settings.base_url.rstrip('/')}/bodies/{body.id}/meetings"
    for user in users:
        language = str(user.language)
        lines = [
            {
                "when": format_moment(p.meeting.starts_at, "EEEE d MMMM y, HH:mm", settings.tz, language),
                "place": p.meeting.location,
                "moved_from": format_day(p.moved_from, "EEEE d MMMM", language) if p.moved_from else "",
            }
            for p in planned
        ]
        outbox.enqueue(
            session,
            to=user.email,
            subject=translate(N_("Meetings planned: %(body)s"), language, body=body.name),
            text=render_text(
                "meetings/mail/planned.txt",
                {"user": user, "body": body, "rule": rule.describe(language), "lines": lines, "url": url},
                language,
            ),
            user_id=user.id,
            kind=PLANNED,
        )

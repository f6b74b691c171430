"""What happens around reports, outside their rules: the mails of a new report, of an update,
of a report referred to another body and of the daily digest, and each member's choice per body
(a mail for each new report, a daily digest, or nothing).

A mail leaves Veille and stays in mailboxes that no purge reaches (docs/confidentiality.md, rules 3 and 7):

- it goes only to people who still see the body's content and read the report whole (the rule
  of the pages, ``visibility.full_ids``);
- a ``restricted`` or ``social`` report's mail says only that a confidential report was posted
  in the body, with the link;
- a ``body`` report's mail carries what identifies it (title, category, sector, place, date,
  severity) and the link, never its free texts (description, updates): those stay in Veille,
  where the retention period applies to them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from veille.access import Viewer, viewer_of
from veille.audit import service as audit
from veille.bodies import service as bodies
from veille.bodies.enums import MemberRole
from veille.bodies.models import Body, Membership
from veille.config import Settings
from veille.directory.models import Organisation, Sector, User
from veille.errors import Forbidden
from veille.i18n import N_, format_moment, translate
from veille.notifications import service as outbox
from veille.orm import utcnow
from veille.situations.enums import Confidentiality, NotificationMode
from veille.situations.models import Category, NotificationChoice, Situation, SituationUpdateRecord
from veille.situations.visibility import full_ids, full_text, visible
from veille.web import render_text

REPORT_POSTED = "situation_posted"
UPDATE_POSTED = "situation_update"
DIGEST = "situation_digest"
REPORT_REFERRED = "situation_referred"
# The first digest of a member covers this much; the next ones start where the last one ended.
FIRST_DIGEST = timedelta(hours=24)
NOT_A_MEMBER = N_("Only the members of the body receive its reports by mail.")
WHEN_FORMAT = "d MMMM y, HH:mm"


def situation_url(settings: Settings, situation: Situation) -> str:
    return f"{settings.base_url.rstrip('/')}/situations/{situation.id}"


def body_url(settings: Settings, body: Body) -> str:
    return f"{settings.base_url.rstrip('/')}/bodies/{body.id}"


# Who may receive a report's mail


def _readers(session: Session, situation: Situation, body: Body, user_ids: Iterable[int]) -> list[User]:
    """Those of ``user_ids`` who see the body's content as members now (not a guest, not gone,
    not excluded, not deactivated, charter accepted) and read the report whole."""
    session.flush()  # the report's shares, for the visibility rule
    wanted = sorted(set(user_ids) & bodies.content_member_ids(session, body))
    if not wanted:
        return []
    users = session.exec(select(User).where(col(User.id).in_(wanted)).order_by(col(User.id))).all()
    assert situation.id is not None
    return [
        user for user in users if situation.id in full_ids(session, viewer_of(session, user), [situation.id])
    ]


@dataclass(frozen=True)
class Facts:
    """What a mail may say of a ``body`` report; None for a confidential one."""

    situation: Situation
    category: str
    sector: str

    def when(self, settings: Settings, language: str) -> str:
        return format_moment(self.situation.occurred_at, WHEN_FORMAT, settings.tz, language)


def _facts(session: Session, situation: Situation) -> Facts | None:
    if situation.confidentiality != Confidentiality.body:
        return None
    category = session.get(Category, situation.category_id)
    sector = session.get(Sector, situation.sector_id) if situation.sector_id else None
    return Facts(
        situation=situation, category=category.name if category else "", sector=sector.name if sector else ""
    )


def _mail(
    session: Session,
    settings: Settings,
    user: User,
    *,
    kind: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    **params: object,
) -> None:
    language = str(user.language)
    outbox.enqueue(
        session,
        to=user.email,
        subject=translate(subject, language, **params),
        text=render_text(template, {"user": user, "settings": settings} | context, language),
        user_id=user.id,
        kind=kind,
    )


# A new report


def report_posted(session: Session, *, situation: Situation, settings: Settings) -> None:
    """A mail to each member of the body who asked for one per report and reads it whole, in
    their language; not to its author. In the caller's transaction (no commit)."""
    body = session.get(Body, situation.body_id)
    assert body is not None
    wanted = session.exec(
        select(NotificationChoice.user_id).where(
            NotificationChoice.body_id == body.id, NotificationChoice.mode == NotificationMode.each
        )
    ).all()
    readers = _readers(session, situation, body, set(wanted) - {situation.created_by})
    facts = _facts(session, situation)
    subject = N_("New report in %(body)s: %(title)s") if facts else N_("New confidential report in %(body)s")
    for user in readers:
        _mail(
            session,
            settings,
            user,
            kind=REPORT_POSTED,
            subject=subject,
            template="situations/mail/report.txt",
            context={"body": body, "facts": facts, "url": situation_url(settings, situation)},
            body=body.name,
            title=situation.title if facts else "",
        )


# An update on a report


def _members_of(session: Session, body_id: int, roles: Sequence[MemberRole]) -> list[int]:
    """The body's members in these roles, not excluded: whom an update's mail may go to (then
    kept only if they still read the report, ``_readers``)."""
    return list(
        session.exec(
            select(Membership.user_id).where(
                Membership.body_id == body_id,
                col(Membership.role).in_(list(roles)),
                col(Membership.excluded_at).is_(None),
            )
        ).all()
    )


def update_posted(
    session: Session, *, situation: Situation, update: SituationUpdateRecord, settings: Settings
) -> None:
    """A mail to the report's author and to the body's secretaries, who follow reports between
    meetings (not to its chair, who hears of them at the meetings the secretaries prepare, nor
    to the update's author); only to those who still see the body and read the report whole.
    In the caller's transaction (no commit)."""
    body = session.get(Body, situation.body_id)
    assert body is not None
    secretaries = set(_members_of(session, body.id or 0, [MemberRole.secretary]))
    wanted = secretaries | ({situation.created_by} if situation.created_by else set())
    readers = _readers(session, situation, body, wanted - {update.author_id})
    if not readers:
        return
    facts = _facts(session, situation)
    author = session.get(User, update.author_id) if update.author_id and facts else None
    organisation = session.get(Organisation, author.organisation_id) if author else None
    subject = (
        N_("Update on a report in %(body)s: %(title)s")
        if facts
        else N_("Update on a confidential report in %(body)s")
    )
    for user in readers:
        _mail(
            session,
            settings,
            user,
            kind=UPDATE_POSTED,
            subject=subject,
            template="situations/mail/update.txt",
            context={
                "body": body,
                "facts": facts,
                "author": author,
                "organisation": organisation.name if organisation else "",
                "own_report": user.id == situation.created_by,
                "url": situation_url(settings, situation),
            },
            body=body.name,
            title=situation.title if facts else "",
        )


# A report referred to another body


def report_referred(session: Session, *, situation: Situation, to_body: Body, settings: Settings) -> None:
    """A mail to the receiving body's secretaries who read the report whole there (the referral
    is flushed first): what identifies a ``body`` report, only that a confidential one came, and
    never the reason, which stays in Veille. In the caller's transaction (no commit)."""
    origin = session.get(Body, situation.body_id)
    assert origin is not None
    secretaries = _members_of(session, to_body.id or 0, [MemberRole.secretary])
    readers = _readers(session, situation, to_body, secretaries)
    facts = _facts(session, situation)
    subject = (
        N_("Report referred to %(body)s: %(title)s")
        if facts
        else N_("Confidential report referred to %(body)s")
    )
    for user in readers:
        _mail(
            session,
            settings,
            user,
            kind=REPORT_REFERRED,
            subject=subject,
            template="situations/mail/referred.txt",
            context={
                "body": to_body,
                "origin": origin,
                "facts": facts,
                "url": situation_url(settings, situation),
            },
            body=to_body.name,
            title=situation.title if facts else "",
        )


# The daily digest


def send_digests(session: Session, settings: Settings, *, now: datetime) -> int:
    """One mail per member and body for those who chose the digest (the default): the titles of
    the ``body`` reports created since their last digest that they read whole, and only a count
    of the others they may see; nothing when nothing is new. Each member's digest is committed
    with the moment it covers up to, so a second run sends nothing twice. Answers how many
    mails were queued."""
    viewers: dict[int, Viewer] = {}
    sent = 0
    for body in session.exec(select(Body).order_by(col(Body.id))).all():
        for choice_id in _digest_choices(session, body):
            choice = session.exec(
                select(NotificationChoice)
                .where(NotificationChoice.id == choice_id)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).one()
            if choice.mode != NotificationMode.digest or (choice.digest_until or now - FIRST_DIGEST) >= now:
                session.rollback()
                continue
            user = session.get(User, choice.user_id)
            assert user is not None
            if user.id not in viewers:
                viewers[choice.user_id] = viewer_of(session, user)
            sent += _digest(session, settings, body, user, viewers[choice.user_id], choice, now)
            choice.digest_until = now
            session.add(choice)
            session.commit()
    return sent


def _digest_choices(session: Session, body: Body) -> list[int]:
    """The choice rows of the body's members who take the digest; a member who never chose gets
    a row (digest, nothing covered yet), so that the next digest starts where this one ends."""
    members = bodies.content_member_ids(session, body)
    if not members:
        return []
    have = set(
        session.exec(
            select(NotificationChoice.user_id).where(
                NotificationChoice.body_id == body.id, col(NotificationChoice.user_id).in_(sorted(members))
            )
        ).all()
    )
    missing = sorted(members - have)
    if missing:
        for user_id in missing:
            session.add(NotificationChoice(body_id=body.id or 0, user_id=user_id))
        try:
            session.commit()
        except IntegrityError:  # another run added them in the meantime: theirs will do
            session.rollback()
    ids = session.exec(
        select(NotificationChoice.id)
        .where(
            NotificationChoice.body_id == body.id,
            NotificationChoice.mode == NotificationMode.digest,
            col(NotificationChoice.user_id).in_(sorted(members)),
        )
        .order_by(col(NotificationChoice.user_id))
    ).all()
    session.commit()
    return [i for i in ids if i is not None]


def _digest(
    session: Session,
    settings: Settings,
    body: Body,
    user: User,
    viewer: Viewer,
    choice: NotificationChoice,
    now: datetime,
) -> int:
    """Queues one member's digest of one body; answers 1 if there was something to say."""
    since = choice.digest_until or now - FIRST_DIGEST
    rows = session.exec(
        select(Situation.id, Situation.title, Situation.confidentiality, full_text(viewer))
        .where(
            Situation.body_id == body.id,
            col(Situation.created_at) > since,
            col(Situation.created_at) <= now,
            visible(viewer),
            or_(col(Situation.created_by).is_(None), col(Situation.created_by) != user.id),
        )
        .order_by(col(Situation.created_at), col(Situation.id))
    ).all()
    if not rows:
        return 0
    base = settings.base_url.rstrip("/")
    titled = [
        (title, f"{base}/situations/{situation_id}")
        for situation_id, title, confidentiality, full in rows
        if full and confidentiality == Confidentiality.body
    ]
    language = str(user.language)
    _mail(
        session,
        settings,
        user,
        kind=DIGEST,
        subject=N_("New reports in %(body)s"),
        template="situations/mail/digest.txt",
        context={
            "body": body,
            "reports": titled,
            "confidential": len(rows) - len(titled),
            "since": format_moment(since, WHEN_FORMAT, settings.tz, language),
            "url": body_url(settings, body),
        },
        body=body.name,
    )
    return 1


# Each member's choice


def choice_access(session: Session, user: User, body_id: int) -> bodies.BodyAccess:
    """A member who sees the body's content chooses; 404 for outsiders, 403 for its guests, for
    a member with the charter to accept, and for the staff who do not sit in the body (they
    receive none of its mail)."""
    access = bodies.get_body_access(session, user, body_id)
    access.require_members()
    if access.role is None:
        raise Forbidden(NOT_A_MEMBER)
    return access


def _choice(session: Session, access: bodies.BodyAccess) -> NotificationChoice | None:
    return session.exec(
        select(NotificationChoice).where(
            NotificationChoice.body_id == access.body.id, NotificationChoice.user_id == access.user.id
        )
    ).first()


def current_mode(session: Session, access: bodies.BodyAccess) -> NotificationMode:
    choice = _choice(session, access)
    return NotificationMode(choice.mode) if choice else NotificationMode.digest


def set_mode(session: Session, *, access: bodies.BodyAccess, mode: NotificationMode) -> NotificationMode:
    """Records the choice (audited). Coming to the digest, it starts now: what came before was
    mailed one by one, or not wanted."""
    choice = _choice(session, access) or NotificationChoice(
        body_id=access.body.id or 0, user_id=access.user.id or 0
    )
    if choice.id is not None and choice.mode == mode:
        return mode
    if mode == NotificationMode.digest and choice.id is not None:
        choice.digest_until = utcnow()
    choice.mode = mode
    session.add(choice)
    audit.record(
        session,
        user_id=access.user.id,
        verb="notifications",
        entity="body",
        entity_id=access.body.id,
        mode=str(mode),
    )
    session.commit()
    return mode

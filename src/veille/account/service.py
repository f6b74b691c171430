"""The account's rules that need mail or other domains: a forgotten password's link, a
newcomer's invitation, a password set from either, and what "Mon compte" gathers (each body's
choice of mail, API tokens)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, select

from veille.access import Viewer
from veille.audit import service as audit
from veille.auth import resets
from veille.auth import service as auth
from veille.auth.models import PasswordReset
from veille.bodies import service as bodies
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory import profile
from veille.directory import service as directory
from veille.directory.models import User, UserCreate
from veille.errors import Conflict, Forbidden, InvalidInput
from veille.i18n import N_, translate
from veille.notifications import service as outbox
from veille.orm import utcnow
from veille.situations import flows
from veille.situations.enums import NotificationMode
from veille.web import render_text

# The request for a link answers no sooner than this, whether a mail leaves or not: the time it
# takes tells nothing of whether the address has an account.
ANSWER_FLOOR_SECONDS = 0.4
LINK_SPENT = N_("This link is no longer valid: it was used, or its time is over. Ask for a new one.")


def request_reset(session: Session, settings: Settings, *, email: str, ip: str) -> None:
    """Counts the request (refused when too many: 429), and queues a link for the active
    account of this address if there is one; the answer is the same, and as long, either way.
    The link is due when the answer has waited out its floor: delivered meanwhile, it would
    slow the answer on a busy server. The caller wakes the sender once it has answered
    (``notifications.service.wake_sender``)."""
    started, due = time.monotonic(), utcnow() + timedelta(seconds=ANSWER_FLOOR_SECONDS)
    email, ip = email.strip().lower()[:254], ip[:64]
    resets.record_request(session, settings, email=email, ip=ip)
    user = session.exec(select(User).where(User.email == email)).first()
    if user is not None and user.active and user.id is not None:
        _mail_link(session, settings, user, RESET_MAIL, lifetime=resets.LIFETIME, due=due)
        audit.record(
            session, user_id=user.id, verb="password_reset_requested", entity="user", entity_id=user.id
        )
    session.commit()
    time.sleep(max(0.0, ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))


@dataclass(frozen=True)
class LinkMail:
    """A mail that carries a link to set a password: its subject and its text's template."""

    subject: str
    template: str


RESET_MAIL = LinkMail(N_("Veille: set a new password"), "account/mail/reset.txt")
INVITATION_MAIL = LinkMail(
    N_("Veille: your account is open, choose your password"), "account/mail/invitation.txt"
)


def _mail_link(
    session: Session,
    settings: Settings,
    user: User,
    mail: LinkMail,
    *,
    lifetime: timedelta,
    due: datetime | None = None,
) -> None:
    """Issues a link for the account and queues its mail, in the person's language (in the
    caller's transaction). The outbox shows no admin its text: the link is a key."""
    assert user.id is not None
    raw = resets.issue(session, user_id=user.id, lifetime=lifetime)
    language = str(user.language)
    context = {
        "user": user,
        "url": f"{settings.base_url.rstrip('/')}/password/reset/{raw}",
        "minutes": int(lifetime.total_seconds() // 60),
        "days": lifetime.days,
    }
    outbox.enqueue(
        session,
        to=user.email,
        subject=translate(mail.subject, language),
        text=render_text(mail.template, context, language),
        user_id=user.id,
        kind=outbox.RESET_LINK,
        due=due,
    )


# A newcomer's invitation

HAS_PASSWORD = N_(
    "This account already has a password: its holder asks for a new one from the login page if need be."
)
INACTIVE = N_("This account is deactivated: reactivate it before inviting its holder.")


def create_account(session: Session, settings: Settings, *, actor: User, data: UserCreate) -> User:
    """A new account (admins): with the password the admin typed, or without one, its holder
    then invited by mail to choose it (one transaction: no account is left without its mail)."""
    user = directory.add_user(session, actor=actor, data=data)
    if data.password is None:
        _invite(session, settings, actor=actor, user=user)
    session.commit()
    return user


def invite(session: Session, settings: Settings, *, actor: User, user_id: int) -> User:
    """Sends again the invitation of an account that has no password yet (admins): a new link,
    valid 7 days; the older ones end (sent again, the first mail most likely went astray)."""
    user = directory.get_user(session, actor=actor, user_id=user_id)
    _invite(session, settings, actor=actor, user=user)
    session.commit()
    return user


def _invite(session: Session, settings: Settings, *, actor: User, user: User) -> None:
    if user.password_hash is not None:
        raise Conflict(HAS_PASSWORD)
    if not user.active:
        raise Conflict(INACTIVE)
    assert user.id is not None
    resets.end_open(session, user.id)
    _mail_link(session, settings, user, INVITATION_MAIL, lifetime=resets.INVITATION_LIFETIME)
    audit.record(session, user_id=actor.id, verb="invite", entity="user", entity_id=user.id)


def link_account(session: Session, raw: str) -> User | None:
    """The active account whose password the link still sets (unused, within its time)."""
    found = _link(session, raw)
    return found[1] if found else None


def _link(session: Session, raw: str) -> tuple[PasswordReset, User] | None:
    reset = resets.valid(session, raw)
    user = session.get(User, reset.user_id) if reset else None
    return (reset, user) if reset is not None and user is not None and user.active else None


def reset_password(session: Session, *, raw: str, password: str) -> User:
    """Sets the new password from a link, once: every session and API token of the account ends
    (whoever knew the old password is out). Audited."""
    found = _link(session, raw)
    if found is None:
        raise InvalidInput({"__all__": LINK_SPENT})
    reset, user = found
    profile.set_password(session, user=user, password=password)
    if not resets.use(session, reset):
        session.rollback()
        raise InvalidInput({"__all__": LINK_SPENT})
    assert user.id is not None
    auth.revoke_all(session, user_id=user.id)
    audit.record(session, user_id=user.id, verb="password_reset", entity="user", entity_id=user.id)
    session.commit()
    return user


# Mon compte


@dataclass(frozen=True)
class MailChoice:
    """A body of the person's and what they receive about its new reports."""

    body: Body
    mode: NotificationMode


def mail_choices(session: Session, viewer: Viewer) -> list[MailChoice]:
    """The person's choice for each body they sit in and may choose for (a guest, or a member
    with the charter still to accept, receives no report mail: left out)."""
    choices = []
    for body in bodies.visible_bodies(session, viewer.user, member_only=True):
        assert body.id is not None
        try:
            access = flows.choice_access(session, viewer.user, body.id)
        except Forbidden:
            continue
        choices.append(MailChoice(body=body, mode=flows.current_mode(session, access)))
    return choices


def set_mail_choices(session: Session, viewer: Viewer, modes: dict[int, str]) -> None:
    """Every body's choice at once; a value that is not a choice refuses the whole form."""
    current = {c.body.id: c for c in mail_choices(session, viewer)}
    wanted: dict[int, NotificationMode] = {}
    for body_id, value in modes.items():
        if body_id not in current or value not in NotificationMode.__members__:
            raise InvalidInput({f"mode-{body_id}": N_("Choose one of the proposed values.")})
        wanted[body_id] = NotificationMode(value)
    for body_id, mode in wanted.items():
        if current[body_id].mode != mode:
            flows.set_mode(session, access=flows.choice_access(session, viewer.user, body_id), mode=mode)

"""The account's rules that need mail or other domains: a forgotten password's link, a new
password set from it, and what "Mon compte" gathers (each body's choice of mail, API tokens)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from veille.access import Viewer
from veille.audit import service as audit
from veille.auth import resets
from veille.auth import service as auth
from veille.bodies import service as bodies
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory import profile
from veille.directory.models import User
from veille.errors import Forbidden, InvalidInput
from veille.i18n import N_, translate
from veille.notifications import service as outbox
from veille.orm import utcnow
from veille.situations import flows
from veille.situations.enums import NotificationMode
from veille.web import render_text

# The request for a link answers no sooner than this, whether a mail leaves or not: the time it
# takes tells nothing of whether the address has an account.
ANSWER_FLOOR_SECONDS = 0.4
LINK_SPENT = N_(
    "This link is no longer valid: it was used, or it is more than 30 minutes old. Ask for a new one."
)


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
        raw = resets.issue(session, user_id=user.id)
        language = str(user.language)
        url = f"{settings.base_url.rstrip('/')}/password/reset/{raw}"
        outbox.enqueue(
            session,
            to=user.email,
            subject=translate(N_("Veille: set a new password"), language),
            text=render_text(
                "account/mail/reset.txt",
                {"user": user, "url": url, "minutes": int(resets.LIFETIME.total_seconds() // 60)},
                language,
            ),
            user_id=user.id,
            kind=outbox.RESET_LINK,
            due=due,
        )
        audit.record(
            session, user_id=user.id, verb="password_reset_requested", entity="user", entity_id=user.id
        )
    session.commit()
    time.sleep(max(0.0, ANSWER_FLOOR_SECONDS - (time.monotonic() - started)))


def reset_valid(session: Session, raw: str) -> bool:
    """Whether the link still sets a password (unused, within its 30 minutes)."""
    return resets.valid(session, raw) is not None


def reset_password(session: Session, *, raw: str, password: str) -> User:
    """Sets the new password from a link, once: every session and API token of the account ends
    (whoever knew the old password is out). Audited."""
    reset = resets.valid(session, raw)
    user = session.get(User, reset.user_id) if reset else None
    if reset is None or user is None or not user.active:
        raise InvalidInput({"__all__": LINK_SPENT})
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

"""The mails of actions: to the owner an action is given to, and each week to every owner
with overdue or soon-due actions. Through the outbox, in the caller's transaction.

An action's mail names it (title, body, due date) and links to it; its description and
updates stay in Veille. It goes only to people who still see the body's content.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlmodel import Session, col, select

from veille.actions.enums import OPEN_STATUSES
from veille.actions.models import Action, ActionReminder
from veille.actions.rules import DUE_SOON
from veille.bodies import service as bodies
from veille.bodies.enums import BodyStatus
from veille.bodies.models import Body
from veille.config import Settings
from veille.directory.models import User
from veille.i18n import N_, format_day, translate
from veille.notifications import service as outbox
from veille.web import render_text

ASSIGNED = "action_assigned"
REMINDER = "action_reminder"
# Run daily, ``veille remind`` mails each owner at most once in this period.
REMINDER_EVERY = timedelta(days=7)


def action_url(settings: Settings, action: Action) -> str:
    return f"{settings.base_url.rstrip('/')}/actions/{action.id}"


def _due(action: Action, settings: Settings, language: str) -> str:
    return format_day(action.due_on, "d MMMM y", language) if action.due_on else ""  # day first, as pages


def assigned(session: Session, *, action: Action, actor: User, settings: Settings) -> None:
    """A mail to the action's new owner, unless they gave it to themselves."""
    if action.owner_id is None or action.owner_id == actor.id:
        return
    body = session.get(Body, action.body_id)
    owner = session.get(User, action.owner_id)
    if body is None or owner is None or owner.id not in bodies.content_member_ids(session, body):
        return
    language = str(owner.language)
    outbox.enqueue(
        session,
        to=owner.email,
        subject=translate(
            N_("An action is given to you in %(body)s: %(title)s"),
            language,
            body=body.name,
            title=action.title,
        ),
        text=render_text(
            "actions/mail/assigned.txt",
            {
                "user": owner,
                "actor": actor,
                "body": body,
                "action": action,
                "due": _due(action, settings, language),
                "url": action_url(settings, action),
            },
            language,
        ),
        user_id=owner.id,
        kind=ASSIGNED,
    )


def remind_owners(session: Session, settings: Settings, *, today: date | None = None) -> int:
    """Once a week, a mail to each owner listing their overdue and soon-due open actions (in
    the open bodies they still see: a closed body's actions can no longer be updated). Answers
    the number of mails queued; commits."""
    today = today or settings.today()
    due = session.exec(
        select(Action)
        .join(Body, col(Body.id) == Action.body_id)
        .where(
            Body.status == BodyStatus.active,
            col(Action.owner_id).is_not(None),
            col(Action.status).in_(OPEN_STATUSES),
            col(Action.due_on) <= today + DUE_SOON,
        )
        .order_by(col(Action.due_on), col(Action.id))
    ).all()
    by_owner: dict[int, list[Action]] = defaultdict(list)
    for action in due:
        by_owner[action.owner_id or 0].append(action)
    if not by_owner:
        return 0
    sent_on = {
        r.user_id: r.sent_on
        for r in session.exec(
            select(ActionReminder).where(col(ActionReminder.user_id).in_(sorted(by_owner)))
        ).all()
    }
    owners = session.exec(select(User).where(col(User.id).in_(sorted(by_owner)), col(User.active))).all()
    body_by_id = {b.id: b for b in session.exec(select(Body)).all()}
    members: dict[int, set[int]] = {}
    sent = 0
    for owner in owners:
        last = sent_on.get(owner.id or 0)
        if last is not None and today - last < REMINDER_EVERY:
            continue
        mine = []
        for action in by_owner[owner.id or 0]:
            if action.body_id not in members:
                members[action.body_id] = bodies.content_member_ids(session, body_by_id[action.body_id])
            if owner.id in members[action.body_id]:
                mine.append(action)
        if not mine:
            continue
        language = str(owner.language)
        overdue = [a for a in mine if a.due_on and a.due_on < today]
        soon = [a for a in mine if a not in overdue]
        lines = {
            a.id: (body_by_id[a.body_id].name, _due(a, settings, language), action_url(settings, a))
            for a in mine
        }
        outbox.enqueue(
            session,
            to=owner.email,
            subject=translate(
                N_("Your actions: %(overdue)s overdue, %(soon)s due soon"),
                language,
                overdue=len(overdue),
                soon=len(soon),
            ),
            text=render_text(
                "actions/mail/reminder.txt",
                {"user": owner, "overdue": overdue, "soon": soon, "lines": lines, "settings": settings},
                language,
            ),
            user_id=owner.id,
            kind=REMINDER,
        )
        reminder = session.get(ActionReminder, owner.id) or ActionReminder(
            user_id=owner.id or 0, sent_on=today
        )
        reminder.sent_on = today
        session.add(reminder)
        sent += 1
    session.commit()
    return sent

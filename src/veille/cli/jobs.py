"""The daily jobs run from cron: ``outbox flush``, ``remind``, ``digest``, ``plan`` and ``purge``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from sqlmodel import Session

from veille.actions import flows as action_flows
from veille.cli.common import CliError, open_engine, read_settings, require_migrated
from veille.config import Settings
from veille.db import open_session
from veille.meetings import attendance as meetings
from veille.meetings import planning
from veille.notifications import service as notifications
from veille.orm import utcnow
from veille.situations import flows, retention

if TYPE_CHECKING:
    from veille.cli.common import Commands

FLUSH_BATCH = 200


def add_outbox(commands: Commands) -> None:
    outbox = commands.add_parser(
        "outbox",
        help="mail waiting to be delivered",
        description="Mail goes through an outbox: it is delivered over SMTP (VEILLE_SMTP_*) "
        "after the request that wrote it, or by 'veille outbox flush'.",
    )
    outbox_commands = outbox.add_subparsers(title="commands", metavar="COMMAND", required=True)
    flush = outbox_commands.add_parser(
        "flush",
        help="deliver pending mail now",
        description="Deliver the pending mail that is due, over SMTP, and print how many were "
        "sent, failed and left pending. A failed attempt is tried again later (after 1 min, "
        "5 min, 30 min, 2 h, then 12 h); mail that waits for its next attempt stays pending. "
        "Exits 1 when SMTP is not configured or the server cannot be reached.",
    )
    flush.set_defaults(handler=cmd_outbox_flush)


def add_remind(commands: Commands) -> None:
    remind = commands.add_parser(
        "remind",
        help="send the reminders that are due",
        description="Queue the reminders that are due and deliver them when SMTP is configured: "
        "two days before a convened meeting, the invitees whose organisation has not posted its "
        "round-table update; once a week, each owner of overdue or soon-due actions. Each is "
        "sent once; run it daily (cron or a systemd timer).",
    )
    remind.set_defaults(handler=cmd_remind)


def add_digest(commands: Commands) -> None:
    digest = commands.add_parser(
        "digest",
        help="send the daily digests of new reports",
        description="Queue the daily digests and deliver them when SMTP is configured: to each "
        "member of a body who chose the digest (the default), one mail listing the reports "
        "posted in that body since their last digest (titles of the reports they read whole, a "
        "count of the confidential ones); nothing when nothing is new. Run it once a day (cron "
        "or a systemd timer); a second run the same day sends nothing twice.",
    )
    digest.set_defaults(handler=cmd_digest)


def add_plan(commands: Commands) -> None:
    plan = commands.add_parser(
        "plan",
        help="plan the coming months' meetings from each body's rule",
        description="For each open body with a meeting rule (e.g. the first Tuesday of the month "
        "at 14:00), plan its meetings of the coming months, the current one included: a French "
        "public holiday moves a meeting to the next working day; a month that already has its "
        "meeting (or had it cancelled) is left as it is, so a second run plans nothing twice. "
        "Each body's secretaries get one mail listing what was planned. Run it daily.",
    )
    plan.add_argument(
        "--months",
        type=int,
        default=planning.PLAN_MONTHS,
        choices=range(1, planning.MAX_MONTHS + 1),
        metavar="N",
        help=f"how many months to keep planned, 1 to {planning.MAX_MONTHS} (default {planning.PLAN_MONTHS})",
    )
    plan.set_defaults(handler=cmd_plan)


def add_purge(commands: Commands) -> None:
    purge = commands.add_parser(
        "purge",
        help="anonymise reports past their retention period",
        description="Anonymise the reports resolved more than VEILLE_RETENTION_MONTHS months ago "
        "(default 12): their title, description, place, update texts and attachments go; "
        "category, sector, dates, severity and status stay for statistics; the audit log "
        "records each one. It also deletes the mail of the outbox sent or given up more than "
        "30 days ago, copies of what they told. Run it daily; a report is anonymised once.",
    )
    purge.set_defaults(handler=cmd_purge)


def cmd_outbox_flush(args: argparse.Namespace) -> int:
    settings = read_settings()
    if not settings.smtp_host:
        raise CliError("mail delivery is not configured: set VEILLE_SMTP_HOST (mail waits in the outbox)")
    with open_engine(settings) as engine:
        require_migrated(engine)
        sent = failed = 0
        while True:  # in batches, until a run finds less than a batch of due mail
            result = notifications.deliver_pending(engine, settings, limit=FLUSH_BATCH)
            sent, failed = sent + result.sent, failed + result.failed
            if result.error or result.attempted < FLUSH_BATCH:
                break
    print(f"Sent {sent}, failed {failed}, left pending {result.pending}.")
    if result.error:
        raise CliError(f"the SMTP server could not be reached, try again later: {result.error}")
    return 0


def _queue_and_deliver(queue: Callable[[Session, Settings], int], done: str) -> int:
    """Runs a command that queues mail, then delivers it at once when SMTP is configured."""
    settings = read_settings()
    with open_engine(settings) as engine:
        require_migrated(engine)
        with open_session(engine, write=True) as session:
            queued = queue(session, settings)
        if queued and settings.smtp_host:
            notifications.deliver_pending(engine, settings)
    print(done.format(queued))
    return 0


def _reminders(session: Session, settings: Settings) -> int:
    return meetings.remind_round_table(session, settings) + action_flows.remind_owners(session, settings)


def cmd_remind(args: argparse.Namespace) -> int:
    return _queue_and_deliver(_reminders, "Queued {} reminder(s).")


def cmd_digest(args: argparse.Namespace) -> int:
    return _queue_and_deliver(
        lambda session, settings: flows.send_digests(session, settings, now=utcnow()),
        "Queued {} digest(s) of new reports.",
    )


def cmd_plan(args: argparse.Namespace) -> int:
    return _queue_and_deliver(
        lambda session, settings: planning.plan_ahead(session, settings, months=args.months),
        "Planned {} meeting(s).",
    )


def cmd_purge(args: argparse.Namespace) -> int:
    settings = read_settings()
    with open_engine(settings) as engine:
        require_migrated(engine)
        with open_session(engine, write=True) as session:
            count = retention.purge(session, settings, now=utcnow())
            forgotten = notifications.forget_delivered(session, now=utcnow())
    print(f"Anonymised {count} report(s) resolved more than {settings.retention_months} month(s) ago.")
    kept = notifications.KEPT_DAYS
    print(f"Deleted {forgotten} mail(s) of the outbox sent or given up more than {kept} days ago.")
    return 0

"""The generator's actions: decided by bodies (half of them at a held meeting, on one of its
topics), with their partners, the reports they answer, their history and evaluation; the
follow-up of each at the body's next meeting; the reviews of the crime-treatment groups.

As ``actions.service`` leaves them: a new action is proposed, planned or in progress, with a
``created`` line; each move along proposed → planned → in progress → done (or abandoned before
done) adds a ``status`` line, each note a ``note`` line with its progress, an evaluation an
``evaluated`` line, and every one of these raises the version; a done action is at 100 % with
``done_at`` set; the owner is a member of the body from the lead organisation (or its chair or
secretary); its reports are body-wide reports of the body posted before it; a group's actions
are due before the group ends, and a closed group's actions are all finished.
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta
from typing import Any

from veille.actions.enums import ActionKind, ActionStatus, Effect, Event, ReviewKind
from veille.actions.models import Action, ActionEntry, ActionPartner, ActionSituation, GroupReview
from veille.audit.models import AuditEvent
from veille.bench import texts
from veille.bench.meetings import Meetings
from veille.bench.reports import Reports
from veille.bench.world import BodyPlan, World
from veille.bench.writer import Writer
from veille.bodies.enums import BodyKind, MemberRole
from veille.meetings.models import AgendaItemAction

CHUNK = 5_000
PATH = (ActionStatus.proposed, ActionStatus.planned, ActionStatus.in_progress, ActionStatus.done)
OLD = (
    (ActionStatus.done, 65),
    (ActionStatus.abandoned, 10),
    (ActionStatus.in_progress, 15),
    (ActionStatus.planned, 5),
    (ActionStatus.proposed, 5),
)
RECENT = (
    (ActionStatus.proposed, 20),
    (ActionStatus.planned, 30),
    (ActionStatus.in_progress, 40),
    (ActionStatus.done, 10),
)
FINISHED = ((ActionStatus.done, 85), (ActionStatus.abandoned, 15))


def write_actions(world: World, writer: Writer, reports: Reports, meetings: Meetings) -> None:
    bodies = [b for b in world.bodies if b.kind != BodyKind.plenary]
    weights = [b.reports_weight for b in bodies]
    total = world.scale.actions
    ids = writer.ids(Action, total)
    for first in range(0, total, CHUNK):
        batch = _Batch()
        for action_id in ids[first : first + CHUNK]:
            body = world.rng.choices(bodies, weights)[0]
            _one(world, writer, batch, action_id, body, reports, meetings)
        batch.write(writer)
    _write_reviews(world, writer)


class _Batch:
    def __init__(self) -> None:
        self.actions: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.partners: list[dict[str, Any]] = []
        self.situations: list[dict[str, Any]] = []
        self.follow_ups: list[dict[str, Any]] = []
        self.audit: list[dict[str, Any]] = []

    def write(self, writer: Writer) -> None:
        writer.insert(Action, self.actions, step="actions")
        writer.insert(ActionEntry, self.entries, step="actions")
        writer.insert(ActionPartner, self.partners, step="actions")
        writer.insert(ActionSituation, self.situations, step="actions")
        writer.insert(AgendaItemAction, self.follow_ups, step="actions")
        writer.insert(AuditEvent, self.audit, step="actions")


def _final(world: World, body: BodyPlan, created: datetime) -> ActionStatus:
    table: tuple[tuple[ActionStatus, int], ...]
    if body.closed:
        table = FINISHED
    elif world.now - created > timedelta(days=180):
        table = OLD
    else:
        table = RECENT
    return world.rng.choices([s for s, _ in table], [w for _, w in table])[0]


def _one(
    world: World,
    writer: Writer,
    batch: _Batch,
    action_id: int,
    body: BodyPlan,
    reports: Reports,
    meetings: Meetings,
) -> None:
    rng = world.rng
    end = world.moment(body.ends_on, 12) if body.ends_on else world.now
    end = min(end, world.now)
    created = world.between(world.moment(body.starts_on, 9), end)
    held = meetings.held[body.id]
    meeting_id = item_id = None
    at = bisect.bisect_left(held, (created,))
    if at and rng.random() < 0.5:
        starts, meeting_id, item_id, _ = held[at - 1]
        created = starts + timedelta(hours=3)
    managers = body.with_role(MemberRole.chair, MemberRole.secretary)
    lead = rng.choice(body.contributors)
    creator = lead if rng.random() < 0.6 else rng.choice(managers)
    owner = lead if rng.random() < 0.9 else None
    due = (created + timedelta(days=rng.randint(30, 180))).date()
    if body.ends_on is not None:
        due = min(due, body.ends_on)
    final = _final(world, body, created)
    start = PATH.index(final) if final != ActionStatus.abandoned else rng.randint(0, 2)
    first = PATH[min(rng.choice((0, 0, 1, 2)), start)]
    steps = list(PATH[PATH.index(first) + 1 : start + 1]) + (
        [final] if final == ActionStatus.abandoned else []
    )
    notes = rng.randint(0, 3) if final != ActionStatus.proposed else 0
    evaluated = final == ActionStatus.done and rng.random() < 0.5
    count = len(steps) + notes + evaluated
    latest = min(world.now, max(created + timedelta(days=1), world.moment(due, 12) + timedelta(days=30)))
    moments = sorted(world.between(created, latest) for _ in range(count))
    progress = 0
    done_at: datetime | None = None
    batch.entries.append(_entry(action_id, Event.created, creator.id, created, status=first, progress=0))
    events = [("status", s) for s in steps] + [("note", None)] * notes
    rng.shuffle(events)
    # Notes while the action runs, status moves in order, the evaluation last.
    moves = iter(steps)
    when = iter(moments)
    for kind, _ in events:
        moment = next(when)
        if kind == "status":
            status = next(moves)
            if status == ActionStatus.done:
                progress, done_at = 100, moment
            batch.entries.append(
                _entry(action_id, Event.status, creator.id, moment, status=status, progress=progress)
            )
        else:
            progress = min(95, progress + rng.randint(10, 40)) if progress < 100 else progress
            note_progress = progress if progress < 100 else None
            batch.entries.append(
                _entry(
                    action_id,
                    Event.note,
                    lead.id,
                    moment,
                    text=rng.choice(texts.ACTION_NOTES),
                    progress=note_progress,
                )
            )
    evaluation: dict[str, Any] = {
        "evaluation": "",
        "effect": None,
        "indicator": "",
        "evaluated_at": None,
        "evaluated_by": None,
    }
    if evaluated:
        moment = next(when)
        summary = rng.choice(texts.EVALUATIONS)
        evaluation = {
            "evaluation": summary,
            "effect": rng.choice(list(Effect)),
            "indicator": "Nombre de signalements sur le secteur",
            "evaluated_at": moment,
            "evaluated_by": managers[0].id,
        }
        batch.entries.append(_entry(action_id, Event.evaluated, managers[0].id, moment, text=summary))
    updated = moments[-1] if moments else created
    batch.actions.append(
        {
            "id": action_id,
            "body_id": body.id,
            "title": texts.action_title(rng),
            "description": " ".join(rng.sample(texts.DETAILS, 2)),
            "kind": rng.choice(list(ActionKind)),
            "lead_organisation_id": lead.org.id,
            "owner_id": owner.id if owner else None,
            "due_on": due,
            "status": final,
            "progress": progress if final != ActionStatus.proposed else 0,
            "problem_id": None,
            "meeting_id": meeting_id,
            "agenda_item_id": item_id,
            "created_by": creator.id,
            "created_at": created,
            "updated_at": updated,
            "done_at": done_at,
            "version": 1 + count,
            **evaluation,
        }
    )
    orgs = sorted({p.org.id for p, r in body.members if r != MemberRole.guest} - {lead.org.id})
    for org_id in rng.sample(orgs, min(len(orgs), rng.randint(0, 2))):
        batch.partners.append({"action_id": action_id, "organisation_id": org_id})
    public = reports.public[body.id]
    before = bisect.bisect_left(public, created, key=lambda r: r[1])
    for situation_id, _ in rng.sample(public[max(0, before - 30) : before], min(before, rng.randint(0, 2))):
        batch.situations.append({"action_id": action_id, "situation_id": situation_id})
    following = bisect.bisect_right(held, (created,))
    if following < len(held) and rng.random() < 0.6:
        batch.follow_ups.append({"agenda_item_id": held[following][3], "action_id": action_id})
    batch.audit.append(
        {
            "at": created,
            "user_id": creator.id,
            "verb": "create",
            "entity": "action",
            "entity_id": action_id,
            "detail": {"body_id": body.id},
        }
    )


def _entry(action_id: int, event: Event, author: int, at: datetime, **values: Any) -> dict[str, Any]:
    row = {
        "action_id": action_id,
        "event": event,
        "text": "",
        "progress": None,
        "status": None,
        "from_body_id": None,
        "to_body_id": None,
        "author_id": author,
        "created_at": at,
    }
    row.update(values)
    return row


def _write_reviews(world: World, writer: Writer) -> None:
    """A closed group's final conclusions; a running group's mid-term review once half-way."""
    rows = []
    for body in world.bodies:
        if body.kind != BodyKind.crime_treatment_group or body.ends_on is None:
            continue
        middle = body.starts_on + (body.ends_on - body.starts_on) / 2
        if body.closed:
            kind, day = ReviewKind.final, body.ends_on
        elif middle <= world.today:
            kind, day = ReviewKind.mid_term, middle
        else:
            continue
        rows.append(
            {
                "body_id": body.id,
                "kind": kind,
                "text": " ".join(world.rng.sample(texts.EVALUATIONS, 2)),
                "previous_ends_on": None,
                "ends_on": None,
                "created_by": body.chair.id,
                "created_at": world.moment(day, 17),
            }
        )
    writer.insert(GroupReview, rows, step="bilans")

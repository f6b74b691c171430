"""The generator's meetings: each body's calendar over the years (monthly for watch cells,
COPILs and GLTDs, quarterly for committees, twice a year for the plenary), each with the three
standing agenda items and a few topics, and, once held, attendance and minutes.

As the meeting services leave them: a meeting passes planned → convened → held → minutes
approved, its version raised at each step; convening invites every member who sees the body's
content (its guests are invited meeting by meeting, ``guest`` set); recording presence marks it
held; approving sets who approved and when. Past meetings are approved except the last one
(held, minutes still open); the next ones are convened or planned.
"""

from __future__ import annotations

import bisect
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from veille.audit.models import AuditEvent
from veille.bench import texts
from veille.bench.reports import Reports
from veille.bench.world import BodyPlan, World
from veille.bench.writer import Writer
from veille.bodies.enums import BodyKind, MemberRole
from veille.meetings.enums import AttendanceStatus, MeetingStatus, StandingItem
from veille.meetings.models import AgendaItem, AgendaItemSituation, Invitation, Meeting

# The titles a French-speaking secretary's new meeting gets (meetings' STANDING_ITEMS in French).
STANDING = (
    (StandingItem.round_table, "Tour de table des partenaires"),
    (StandingItem.actions_follow_up, "Suivi des actions"),
    (StandingItem.new_reports, "Nouveaux signalements depuis la dernière réunion"),
)
EVERY_MONTHS = {
    BodyKind.watch_cell: 1,
    BodyKind.nightlife_copil: 1,
    BodyKind.crime_treatment_group: 1,
    BodyKind.partnership_committee: 3,
    BodyKind.other: 2,
    BodyKind.plenary: 6,
}
PRESENCE = (
    (AttendanceStatus.present, 70),
    (AttendanceStatus.absent, 8),
    (AttendanceStatus.excused, 17),
    (AttendanceStatus.represented, 5),
)
ANSWERS = ((AttendanceStatus.invited, 4), (AttendanceStatus.confirmed, 5), (AttendanceStatus.excused, 1))


@dataclass
class Meetings:
    """Per body, its held meetings (start, meeting id, a topical item, the follow-up item),
    in time order: actions are decided at them and followed up at the next."""

    held: dict[int, list[tuple[datetime, int, int, int]]] = field(default_factory=dict)
    count: int = 0


def _days(world: World, body: BodyPlan) -> list[date]:
    """The meeting days: the body's first Tuesday (or Thursday) of every n-th month, from its
    start to two months ahead (to its end for a time-bound group)."""
    step = EVERY_MONTHS[body.kind]
    last = body.ends_on or (world.today + timedelta(days=62))
    weekday = 1 if body.id % 2 else 3
    month = body.starts_on.replace(day=1) + timedelta(days=32 * world.rng.randint(0, step - 1))
    month = month.replace(day=1)
    days = []
    while month <= last:
        first = month + timedelta(days=(weekday - month.weekday()) % 7)
        if body.starts_on <= first <= last:
            days.append(first)
        for _ in range(step):
            month = (month + timedelta(days=32)).replace(day=1)
    return days


def write_meetings(world: World, writer: Writer, reports: Reports) -> Meetings:
    found = Meetings()
    for body in world.bodies:
        found.held[body.id] = []
        _write_body(world, writer, body, reports.public[body.id], found)
    return found


def _write_body(
    world: World,
    writer: Writer,
    body: BodyPlan,
    public: list[tuple[int, datetime]],
    found: Meetings,
) -> None:
    rng = world.rng
    days = _days(world, body)
    past = [d for d in days if d < world.today]
    ids = writer.ids(Meeting, len(days))
    meetings: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    links: list[dict[str, Any]] = []
    invitations: list[dict[str, Any]] = []
    audit: list[dict[str, Any]] = []
    secretary = body.secretary
    content = [p for p, r in body.members if r != MemberRole.guest]
    guests = body.with_role(MemberRole.guest)
    posted = [at for _, at in public]
    for meeting_id, day in zip(ids, days, strict=True):
        starts = world.moment(day, 14)
        is_past = day < world.today
        status, version = MeetingStatus.planned, 1
        if is_past:
            cancelled = rng.random() < 0.03 and day != past[-1]
            status, version = (
                (MeetingStatus.cancelled, 2)
                if cancelled
                else (MeetingStatus.held, 3)
                if day == past[-1]
                else (MeetingStatus.minutes_approved, 4)
            )
        elif day - world.today <= timedelta(days=21):
            status, version = MeetingStatus.convened, 2
        convened = status not in (MeetingStatus.planned, MeetingStatus.cancelled)
        approved = status == MeetingStatus.minutes_approved
        meetings.append(
            {
                "id": meeting_id,
                "body_id": body.id,
                "starts_at": starts,
                "ends_at": starts + timedelta(hours=2),
                "location": f"Mairie annexe, salle {rng.randint(1, 12)}",
                "status": status,
                "version": version,
                "uid": f"{uuid.UUID(int=rng.getrandbits(128), version=4)}@veille",
                "sequence": 0,
                "convened_at": starts - timedelta(days=14) if convened else None,
                "approved_at": starts + timedelta(days=10) if approved else None,
                "approved_by": secretary.id if approved else None,
                "round_table_reminded_at": None,
                "created_at": starts - timedelta(days=30),
                "created_by": secretary.id,
            }
        )
        audit.append(
            {
                "at": starts - timedelta(days=30),
                "user_id": secretary.id,
                "verb": "create",
                "entity": "meeting",
                "entity_id": meeting_id,
                "detail": {},
            }
        )
        held = status in (MeetingStatus.held, MeetingStatus.minutes_approved)
        topics = rng.randint(1, 3)
        item_ids = writer.ids(AgendaItem, len(STANDING) + topics)
        for position, item_id in enumerate(item_ids, start=1):
            standing, title = STANDING[position - 1] if position <= len(STANDING) else (None, "")
            notes = held and (standing is None or rng.random() < 0.6)
            items.append(
                {
                    "id": item_id,
                    "meeting_id": meeting_id,
                    "position": position,
                    "title": title or texts.agenda_title(rng),
                    "description": "",
                    "presenter": "",
                    "standing": standing,
                    "notes": " ".join(rng.sample(texts.MINUTES, 2)) if notes else "",
                    "decisions": rng.choice(texts.DECISIONS) if notes and standing is None else "",
                    "confidential": notes and standing is None and rng.random() < 0.2,
                    "carried_over": False,
                    "carried_from_id": None,
                    "version": 2 if notes else 1,
                    "updated_at": starts + timedelta(days=1) if notes else starts - timedelta(days=30),
                    "updated_by": secretary.id if notes else None,
                }
            )
        # The topics discuss a few reports of the month before.
        recent = bisect.bisect_left(posted, starts - timedelta(days=31)), bisect.bisect_left(posted, starts)
        for item_id in item_ids[len(STANDING) :]:
            pool = public[recent[0] : recent[1]]
            for situation_id, _ in rng.sample(pool, min(len(pool), rng.randint(0, 2))):
                links.append({"agenda_item_id": item_id, "situation_id": situation_id})
        if held:
            found.held[body.id].append((starts, meeting_id, item_ids[len(STANDING)], item_ids[1]))
        if not convened:
            continue
        invited = [(p, False) for p in content]
        invited += [(p, True) for p in guests if rng.random() < 0.3]
        invitation_ids = writer.ids(Invitation, len(invited))
        for invitation_id, (person, guest) in zip(invitation_ids, invited, strict=True):
            answers = PRESENCE if held else ANSWERS
            answer = rng.choices([a for a, _ in answers], [w for _, w in answers])[0]
            invitations.append(
                {
                    "id": invitation_id,
                    "meeting_id": meeting_id,
                    "user_id": person.id,
                    "status": answer,
                    "represented_by": texts.person_name(rng)
                    if answer == AttendanceStatus.represented
                    else "",
                    "guest": guest,
                    "answered_at": None if answer == AttendanceStatus.invited else starts - timedelta(days=3),
                }
            )
    found.count += len(meetings)
    writer.insert(Meeting, meetings, step="réunions")
    writer.insert(AgendaItem, items, step="réunions")
    writer.insert(AgendaItemSituation, links, step="réunions")
    writer.insert(Invitation, invitations, step="réunions")
    writer.insert(AuditEvent, audit, step="réunions")

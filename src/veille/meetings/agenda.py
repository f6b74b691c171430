"""The agenda of a meeting: its items, their order, the reports and actions they link, the
notes and decisions typed into them (the minutes' text), and carrying an item over."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, literal, union_all
from sqlmodel import Session, col, select

from veille.audit import service as audit
from veille.directory.models import User
from veille.errors import Conflict, InvalidInput
from veille.i18n import N_
from veille.meetings import extensions
from veille.meetings.access import MeetingAccess, seen_in_full
from veille.meetings.enums import MeetingStatus
from veille.meetings.models import (
    AgendaItem,
    AgendaItemAction,
    AgendaItemIn,
    AgendaItemSituation,
    Meeting,
    NotesIn,
)
from veille.orm import utcnow
from veille.situations import visibility as situations
from veille.versions import bump, lock_version

NOTES_CONFLICT = N_(
    "Someone else saved this item in the meantime: your text was not saved. Copy it, reload and try again."
)


def agenda(session: Session, *, access: MeetingAccess) -> list[AgendaItem]:
    """The agenda; a guest, who is not of the body, does not see its confidential items."""
    return _agenda(session, access.meeting.id or 0, full=access.full)


def _agenda(session: Session, meeting_id: int, *, full: bool) -> list[AgendaItem]:
    stmt = select(AgendaItem).where(AgendaItem.meeting_id == meeting_id)
    if not full:
        stmt = stmt.where(col(AgendaItem.confidential).is_(False))
    return list(session.exec(stmt.order_by(col(AgendaItem.position), col(AgendaItem.id))).all())


def agenda_seen_by(session: Session, meeting: Meeting, user: User) -> list[AgendaItem]:
    """The agenda as this person sees it on the meeting's page (:func:`agenda` under their own
    access), for what is mailed to them: a guest's mail lists no confidential item. Nothing for
    someone who may not see the meeting."""
    assert meeting.id is not None
    full = seen_in_full(session, user, meeting.id)
    return [] if full is None else _agenda(session, meeting.id, full=full)


def add_item(session: Session, *, access: MeetingAccess, data: AgendaItemIn) -> AgendaItem:
    access.require_editable()
    assert access.meeting.id is not None
    last = session.exec(
        select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == access.meeting.id)
    ).one()
    item = AgendaItem(
        meeting_id=access.meeting.id, position=(last or 0) + 1, updated_by=access.user.id, **data.fields()
    )
    session.add(item)
    session.flush()
    _set_links(session, access, item, data)
    audit.record(session, user_id=access.user.id, verb="create", entity="agenda_item", entity_id=item.id)
    session.commit()
    return item


def update_item(
    session: Session, *, access: MeetingAccess, item: AgendaItem, data: AgendaItemIn, version: int | None
) -> AgendaItem:
    access.require_editable()
    lock_version(session, item, version, NOTES_CONFLICT)
    item.sqlmodel_update(data.fields())
    _set_links(session, access, item, data)
    _touch(item, access)
    session.add(item)
    audit.record(session, user_id=access.user.id, verb="update", entity="agenda_item", entity_id=item.id)
    session.commit()
    return item


def item_links(session: Session, item_ids: Sequence[int]) -> dict[int, tuple[list[int], list[int]]]:
    """The reports and actions linked to each item (one query whatever their number)."""
    links: dict[int, tuple[list[int], list[int]]] = {i: ([], []) for i in item_ids}
    if not links:
        return links
    reports = select(
        col(AgendaItemSituation.agenda_item_id), col(AgendaItemSituation.situation_id), literal(0)
    ).where(col(AgendaItemSituation.agenda_item_id).in_(sorted(links)))
    actions = select(col(AgendaItemAction.agenda_item_id), col(AgendaItemAction.action_id), literal(1)).where(
        col(AgendaItemAction.agenda_item_id).in_(sorted(links))
    )
    for item_id, linked_id, kind in session.execute(union_all(reports, actions)).all():
        links[item_id][kind].append(linked_id)
    for reports_ids, action_ids in links.values():
        reports_ids.sort()
        action_ids.sort()
    return links


def links_seen_by(
    session: Session, access: MeetingAccess, item_ids: Sequence[int]
) -> dict[int, tuple[list[int], list[int]]]:
    """The reports and actions linked to each item as this person may name them: none for a
    guest (docs/confidentiality.md, rule 4), and only the reports the visibility rule lets them open
    (``situations.visible_ids``), never one that would answer them 404."""
    if not access.full:
        return {i: ([], []) for i in item_ids}
    links = item_links(session, item_ids)
    opened = situations.visible_ids(
        session, access.viewer, {s for reports, _ in links.values() for s in reports}
    )
    return {i: ([s for s in reports if s in opened], found) for i, (reports, found) in links.items()}


def _set_links(session: Session, access: MeetingAccess, item: AgendaItem, data: AgendaItemIn) -> None:
    """Links the reports and actions the person chose, among those of the body they read; links
    to reports they cannot read stay (someone who could read them put them there)."""
    viewer = access.viewer
    body_id = access.meeting.body_id
    current_reports, current_actions = item_links(session, [item.id or 0])[item.id or 0]
    if data.situation_ids is not None:
        kept = set(current_reports) - situations.full_ids(session, viewer, current_reports)
        wanted = set(data.situation_ids) - kept
        if wanted != situations.readable_in_body(session, viewer, wanted, body_id):
            raise InvalidInput({"situation_ids": N_("Choose reports of this body that you can read.")})
        _replace(session, AgendaItemSituation, item, "situation_id", current_reports, wanted | kept)
    if data.action_ids is not None:
        wanted = set(data.action_ids)
        # Actions are another domain's: the registered extension tells which may be linked.
        if wanted != extensions.linkable(session, viewer, wanted, body_id):
            raise InvalidInput({"action_ids": N_("Choose actions of this body.")})
        _replace(session, AgendaItemAction, item, "action_id", current_actions, wanted)


def _replace(
    session: Session,
    model: type[AgendaItemSituation] | type[AgendaItemAction],
    item: AgendaItem,
    column: str,
    current: list[int],
    wanted: set[int],
) -> None:
    for other in set(current) - wanted:
        row = session.get(model, (item.id, other))
        if row is not None:
            session.delete(row)
    for other in sorted(wanted - set(current)):
        session.add(model(agenda_item_id=item.id or 0, **{column: other}))


def save_notes(session: Session, *, access: MeetingAccess, item: AgendaItem, data: NotesIn) -> AgendaItem:
    """Notes are saved as they are typed; a save based on an older version is refused (409), never
    written over someone else's text."""
    access.require_editable()
    lock_version(session, item, data.version, NOTES_CONFLICT)
    if (item.notes, item.decisions, item.confidential) == (data.notes, data.decisions, data.confidential):
        return item
    item.notes, item.decisions, item.confidential = data.notes, data.decisions, data.confidential
    _touch(item, access)
    session.add(item)
    audit.record(session, user_id=access.user.id, verb="notes", entity="agenda_item", entity_id=item.id)
    session.commit()
    return item


def _touch(item: AgendaItem, access: MeetingAccess) -> None:
    bump(item)
    item.updated_at = utcnow()
    item.updated_by = access.user.id


def delete_item(session: Session, *, access: MeetingAccess, item: AgendaItem) -> None:
    access.require_editable()
    session.delete(item)
    audit.record(session, user_id=access.user.id, verb="delete", entity="agenda_item", entity_id=item.id)
    session.commit()


def reorder(session: Session, *, access: MeetingAccess, ids: Sequence[int]) -> list[AgendaItem]:
    """``ids`` must name every item of the agenda once, in the new order."""
    access.require_editable()
    items = {item.id: item for item in agenda(session, access=access) if item.id is not None}
    if sorted(ids) != sorted(items) or len(set(ids)) != len(ids):
        raise InvalidInput({"ids": N_("Give every item of the agenda once.")})
    for position, item_id in enumerate(ids, start=1):
        items[item_id].position = position
        session.add(items[item_id])
    audit.record(
        session, user_id=access.user.id, verb="reorder", entity="meeting", entity_id=access.meeting.id
    )
    session.commit()
    return sorted(items.values(), key=lambda i: i.position)


def move(session: Session, *, access: MeetingAccess, item: AgendaItem, offset: int) -> list[AgendaItem]:
    """One place up (-1) or down (+1): the keyboard's way of reordering."""
    ids = [i.id for i in agenda(session, access=access) if i.id is not None]
    index = ids.index(item.id) if item.id in ids else -1
    target = index + offset
    if index >= 0 and 0 <= target < len(ids):
        ids[index], ids[target] = ids[target], ids[index]
    return reorder(session, access=access, ids=ids)


def next_meeting(session: Session, meeting: Meeting) -> Meeting | None:
    return session.exec(
        select(Meeting)
        .where(
            Meeting.body_id == meeting.body_id,
            Meeting.starts_at > meeting.starts_at,
            col(Meeting.status).in_([MeetingStatus.planned, MeetingStatus.convened]),
        )
        .order_by(col(Meeting.starts_at))
    ).first()


def carry_over(session: Session, *, access: MeetingAccess, item: AgendaItem) -> Meeting:
    """An item not dealt with goes to the body's next meeting, with its notes."""
    access.require_editable()
    session.refresh(item, with_for_update=True)
    if item.carried_over:
        raise Conflict(N_("This item has already been carried over."))
    target = next_meeting(session, access.meeting)
    if target is None:
        raise Conflict(N_("Plan the body's next meeting first: the item will be carried over to it."))
    assert target.id is not None
    last = session.exec(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == target.id)).one()
    session.add(
        AgendaItem(
            meeting_id=target.id,
            position=(last or 0) + 1,
            title=item.title,
            description=item.description,
            presenter=item.presenter,
            notes=item.notes,
            confidential=item.confidential,
            carried_from_id=item.id,
            updated_by=access.user.id,
        )
    )
    item.carried_over = True
    _touch(item, access)
    session.add(item)
    audit.record(
        session,
        user_id=access.user.id,
        verb="carry_over",
        entity="agenda_item",
        entity_id=item.id,
        to_meeting=target.id,
    )
    session.commit()
    return target

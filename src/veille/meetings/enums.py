"""The codes of meetings: status, invitation answers, presence; stored as text, labelled in labels.py."""

from enum import StrEnum


class MeetingStatus(StrEnum):
    planned = "planned"
    convened = "convened"
    held = "held"
    minutes_approved = "minutes_approved"
    cancelled = "cancelled"


class AttendanceStatus(StrEnum):
    invited = "invited"
    confirmed = "confirmed"
    excused = "excused"
    represented = "represented"
    present = "present"
    absent = "absent"


# What an invitee answers before the meeting; presence is recorded by the secretary during it.
ANSWERS = (AttendanceStatus.confirmed, AttendanceStatus.excused, AttendanceStatus.represented)
PRESENCE = (AttendanceStatus.present, AttendanceStatus.absent)


class StandingItem(StrEnum):
    """Agenda items a new meeting is proposed with; their content is compiled from the body."""

    round_table = "round_table"
    actions_follow_up = "actions_follow_up"
    new_reports = "new_reports"

"""HTML pages of meetings, one router made of the pages of each part: scheduling, the meeting
page, attendance and round table, agenda and notes, documents and calendars."""

from __future__ import annotations

from fastapi import APIRouter

from veille.meetings import agenda_pages, attendance_pages, document_pages, meeting_page, schedule_pages

router = APIRouter()
for part in (schedule_pages, meeting_page, attendance_pages, agenda_pages, document_pages):
    router.include_router(part.router)

"""Meetings of a body: scheduling, convening, attendance, round table, agenda, minutes, calendar."""

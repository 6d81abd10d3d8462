"""Meetings: references, deterministic event ids, labels and the statuses of the Meetings tab."""

from __future__ import annotations

import base64
import hashlib

NEEDS_SCHEDULING = "Needs scheduling"
INVITED = "Invited"
RESCHEDULED = "Rescheduled"
CANCELLED = "Cancelled"
HELD = "Held"
STATUSES = (NEEDS_SCHEDULING, INVITED, RESCHEDULED, CANCELLED, HELD)
OUTCOMES = (
    "Child protection",
    "Child in need",
    "Criminal justice",
    "Both",
    "Early help",
    "Out of court disposal",
    "No further action",
)
LABELS = {
    "strategy_discussion": "Strategy discussion",
    "multi_agency_planning": "Multi-agency planning meeting",
}


def meeting_reference(case_id: str, number: int) -> str:
    """The Meetings tab's key for a case's n-th meeting: HSB-2026-0042-1."""
    return f"{case_id}-{number}"


def event_id(case_id: str, number: int) -> str:
    """A calendar event id derived from the case and meeting number, so a rerun finds the same event.

    Google Calendar ids use base32hex characters (a-v, 0-9); the iCalendar UID is built from it too.
    """
    digest = hashlib.sha256(f"{case_id}|meeting|{number}".encode()).digest()
    return "hsb" + base64.b32hexencode(digest).decode().lower().rstrip("=")[:40]


def label(meeting_type: str) -> str:
    """The words people read for a meeting type."""
    return LABELS.get(meeting_type, meeting_type.replace("_", " ").capitalize())

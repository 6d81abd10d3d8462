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


def event_id(case_id: str, number: int, register: str) -> str:
    """A calendar event id derived from the register, the case and the meeting number.

    A rerun finds the same event, and a second register (a trial run, a copy) never reuses the first
    one's ids: Google keeps even deleted events' ids for good. ``register`` is the register's
    identity (the spreadsheet id on Google, the Settings tab's Register ID locally); a register set up
    before it had one passes '' and keeps the ids it always made.
    Google Calendar ids use base32hex characters (a-v, 0-9); the iCalendar UID is built from it too.
    """
    seed = f"{case_id}|meeting|{number}" if not register else f"{register}|{case_id}|meeting|{number}"
    digest = hashlib.sha256(seed.encode()).digest()
    return "hsb" + base64.b32hexencode(digest).decode().lower().rstrip("=")[:40]


def free_busy_unknown(addresses: tuple[str, ...]) -> str:
    """The Reason of a time proposed without seeing some invitees' free/busy ('' if every one was seen)."""
    if not addresses:
        return ""
    return (
        f"free/busy unknown for {', '.join(addresses)} (their calendar could not be read): "
        "check they can attend"
    )


def label(meeting_type: str) -> str:
    """The words people read for a meeting type."""
    return LABELS.get(meeting_type, meeting_type.replace("_", " ").capitalize())

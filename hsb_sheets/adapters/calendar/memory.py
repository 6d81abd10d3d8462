"""A calendar for unit tests that records every invitation it would have sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from hsb_sheets.adapters.calendar.base import FreeBusy, MeetingEvent


class MemoryCalendar:
    """Events by id, and the list of (method, event id, sequence) messages sent to attendees."""

    def __init__(self) -> None:
        self.events: dict[str, MeetingEvent] = {}
        self.sent: list[tuple[str, str, int]] = []
        self.busy_times: dict[str, list[tuple[datetime, datetime]]] = {}

    def get(self, event_id: str) -> MeetingEvent | None:
        """The stored event."""
        return self.events.get(event_id)

    def ensure(self, event: MeetingEvent) -> MeetingEvent:
        """Store and 'send' unless already there."""
        if event.event_id in self.events:
            return self.events[event.event_id]
        self.sent.append(("REQUEST", event.event_id, event.sequence))
        self.events[event.event_id] = event
        return event

    def move(self, event: MeetingEvent) -> MeetingEvent:
        """Move unless already at that time."""
        stored = self.events[event.event_id]
        if stored.already_at(event):
            return stored
        moved = replace(event, sequence=max(event.sequence, stored.sequence + 1))
        self.sent.append(("REQUEST", moved.event_id, moved.sequence))
        self.events[event.event_id] = moved
        return moved

    def cancel(self, event: MeetingEvent) -> MeetingEvent:
        """Cancel unless already cancelled."""
        stored = self.events.get(event.event_id, event)
        if stored.cancelled:
            return stored
        cancelled = replace(stored, cancelled=True, sequence=stored.sequence + 1)
        self.sent.append(("CANCEL", cancelled.event_id, cancelled.sequence))
        self.events[event.event_id] = cancelled
        return cancelled

    def busy(self, attendees: Sequence[str], start: datetime, end: datetime) -> FreeBusy:
        """Busy times set by the test."""
        return FreeBusy({a: self.busy_times.get(a, []) for a in attendees})

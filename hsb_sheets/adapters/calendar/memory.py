"""A calendar for unit tests that records every invitation it would have sent."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from hsb_sheets.adapters.calendar.base import FreeBusy, MeetingEvent


class MemoryCalendar:
    """Events by id, and the messages sent to attendees: (method, event id, sequence), and in full."""

    def __init__(self) -> None:
        self.events: dict[str, MeetingEvent] = {}
        self.sent: list[tuple[str, str, int]] = []
        self.received: list[tuple[str, MeetingEvent]] = []  # what attendees' mailboxes hold, in order
        self.busy_times: dict[str, list[tuple[datetime, datetime]]] = {}

    def _send(self, method: str, event: MeetingEvent) -> None:
        self.sent.append((method, event.event_id, event.sequence))
        self.received.append((method, event))
        self.events[event.event_id] = event

    def get(self, event_id: str) -> MeetingEvent | None:
        """The stored event."""
        return self.events.get(event_id)

    def ensure(self, event: MeetingEvent) -> MeetingEvent:
        """Store and 'send' unless already there."""
        if event.event_id in self.events:
            return self.events[event.event_id]
        self._send("REQUEST", event)
        return event

    def move(self, event: MeetingEvent) -> MeetingEvent:
        """Move unless already at that time."""
        stored = self.events.get(event.event_id)
        if stored is not None and stored.already_at(event):
            return stored
        moved = replace(
            event, sequence=max(event.sequence, stored.sequence + 1) if stored else event.sequence
        )
        self._send("REQUEST", moved)
        return moved

    def cancel(self, event: MeetingEvent) -> MeetingEvent:
        """Cancel the event as given (a higher sequence) unless already cancelled."""
        stored = self.events.get(event.event_id)
        if stored is not None and stored.cancelled:
            return stored
        revision = max(event.sequence, stored.sequence + 1) if stored else event.sequence
        cancelled = replace(event, cancelled=True, sequence=revision)
        self._send("CANCEL", cancelled)
        return cancelled

    def busy(self, attendees: Sequence[str], start: datetime, end: datetime) -> FreeBusy:
        """Busy times set by the test."""
        return FreeBusy({a: self.busy_times.get(a, []) for a in attendees})

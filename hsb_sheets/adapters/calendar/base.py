"""The calendar port: make, move and cancel a meeting exactly once, and ask who is busy.

Every operation is idempotent by construction: an event is named by a deterministic id, ``ensure``
returns the event already there instead of making a second one, and ``move`` / ``cancel`` do
nothing when the calendar already holds that state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from hsb_sheets.errors import HsbError


@dataclass(frozen=True)
class MeetingEvent:
    """A meeting as calendars see it. It carries no personal data: only the case id and type."""

    event_id: str
    summary: str
    description: str
    start: datetime
    end: datetime
    attendees: tuple[str, ...]
    sequence: int = 0
    cancelled: bool = False

    def already_at(self, other: MeetingEvent) -> bool:
        """Whether this (stored) event is live and at the other's time: nothing to move."""
        return not self.cancelled and (self.start, self.end) == (other.start, other.end)

    def moved(self, start: datetime, end: datetime) -> MeetingEvent:
        """The same meeting at another time, one revision later."""
        return replace(self, start=start, end=end, sequence=self.sequence + 1)


class FreeBusy(dict[str, list[tuple[datetime, datetime]]]):
    """Busy times by attendee, and the attendees whose calendar could not be read (``unknown``).

    An unknown calendar is not a free one: the scheduler still proposes a time, and says whose
    free/busy it could not see.
    """

    def __init__(
        self, busy: Mapping[str, list[tuple[datetime, datetime]]] | None = None, unknown: Sequence[str] = ()
    ) -> None:
        super().__init__(busy or {})
        self.unknown = tuple(unknown)


class CalendarError(HsbError):
    """A calendar operation failed; ``transient`` says whether a later run may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class Calendar(Protocol):
    """Implementations: ``ics`` (iCalendar invites by mail), ``google`` (Calendar API v3), ``memory``."""

    def get(self, event_id: str) -> MeetingEvent | None:
        """The event as the calendar holds it, or None if it was never made."""
        ...

    def ensure(self, event: MeetingEvent) -> MeetingEvent:
        """Make the event and invite its attendees, unless it exists; return what the calendar holds."""
        ...

    def move(self, event: MeetingEvent) -> MeetingEvent:
        """Move the event to ``event.start``/``end`` and tell attendees, unless it is already there."""
        ...

    def cancel(self, event: MeetingEvent) -> MeetingEvent:
        """Cancel the event and tell attendees, unless it is already cancelled."""
        ...

    def busy(self, attendees: Sequence[str], start: datetime, end: datetime) -> FreeBusy:
        """Busy times the calendar can see for these attendees; ``unknown`` names those it could not read."""
        ...

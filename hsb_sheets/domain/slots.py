"""Finding the earliest meeting slot that every invitee has free.

Busy times are kept per attendee as merged, sorted intervals, so checking a slot is a binary search
and a run can plan many meetings against a large calendar quickly. Each booked slot is added, so
two meetings planned in one run never clash for the same person.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from hsb_sheets.domain.working_days import WorkingCalendar

STEP = timedelta(minutes=30)


class BusyIndex:
    """Busy intervals per attendee (addresses compared case-insensitively)."""

    def __init__(self) -> None:
        self._starts: dict[str, list[float]] = {}
        self._ends: dict[str, list[float]] = {}

    def add(self, attendee: str, start: datetime, end: datetime) -> None:
        """Mark an attendee busy; overlapping or touching intervals are merged."""
        key = attendee.casefold()
        starts = self._starts.setdefault(key, [])
        ends = self._ends.setdefault(key, [])
        s, e = start.timestamp(), end.timestamp()
        lo = bisect_left(ends, s)  # first interval that ends at or after our start
        hi = bisect_right(starts, e)  # intervals from lo to hi overlap or touch
        if lo < hi:
            s = min(s, starts[lo])
            e = max(e, ends[hi - 1])
        starts[lo:hi] = [s]
        ends[lo:hi] = [e]

    def clash(self, attendees: Iterable[str], start: datetime, end: datetime) -> float | None:
        """The latest end of any busy interval overlapping [start, end) for these attendees, or None."""
        s, e = start.timestamp(), end.timestamp()
        latest: float | None = None
        for attendee in attendees:
            key = attendee.casefold()
            starts = self._starts.get(key)
            if not starts:
                continue
            i = bisect_left(starts, e) - 1  # the last interval starting before our end
            if i >= 0 and self._ends[key][i] > s:
                latest = max(latest or 0.0, self._ends[key][i])
        return latest


@dataclass(frozen=True)
class SlotRequest:
    """A meeting to place: who, how long, and the window it must fall in."""

    attendees: tuple[str, ...]
    earliest: datetime
    latest_end: datetime
    length: timedelta


def find_slot(calendar: WorkingCalendar, request: SlotRequest, busy: BusyIndex) -> datetime | None:
    """The earliest start in office hours on a working day, free for all attendees, inside the window."""
    skip_until: float | None = None
    for start in calendar.candidate_starts(request.earliest, request.latest_end, request.length, STEP):
        if skip_until is not None and start.timestamp() < skip_until:
            continue
        end = start + request.length
        blocked_until = busy.clash(request.attendees, start, end)
        if blocked_until is None:
            return start
        skip_until = blocked_until
    return None


def book(busy: BusyIndex, attendees: Iterable[str], start: datetime, length: timedelta) -> None:
    """Record a booked meeting in the index."""
    for attendee in attendees:
        busy.add(attendee, start, start + length)

"""One contract for every calendar adapter: memory, iCalendar by mail, and Google Calendar (fake server)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from google.auth.credentials import AnonymousCredentials

from hsb_sheets.adapters.calendar.base import Calendar, MeetingEvent
from hsb_sheets.adapters.calendar.google import GoogleCalendar, calendar_service
from hsb_sheets.adapters.calendar.ics import IcsCalendar
from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.mail.memory import MemoryMailer
from tests.fakes.google_calendar import FakeCalendar

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 3, 30, 10, 0, tzinfo=LONDON)  # the Monday after the clocks go forward


def meeting(event_id: str = "hsbevent0001", start: datetime = START) -> MeetingEvent:
    return MeetingEvent(
        event_id,
        "Strategy discussion: HSB-2026-0001",
        "Case HSB-2026-0001",
        start,
        start + timedelta(hours=1),
        ("police@example.gov.uk", "csc@example.gov.uk"),
    )


@dataclass
class Harness:
    calendar: Calendar
    notices: Callable[[], int]  # how many messages attendees have been sent


@pytest.fixture(params=["memory", "ics", "google"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    if request.param == "memory":
        memory = MemoryCalendar()
        yield Harness(memory, lambda: len(memory.sent))
    elif request.param == "ics":
        mailer = MemoryMailer()
        yield Harness(
            IcsCalendar(tmp_path / "invites", mailer, "hsb@example.gov.uk", "HSB Service", LONDON),
            lambda: len(mailer.sent),
        )
    else:
        fake = FakeCalendar()
        url = fake.start()
        service = calendar_service(AnonymousCredentials(), endpoint=url)

        def notices() -> int:
            return sum(
                1
                for r in fake.server.requests
                if r.query.get("sendUpdates") == ["all"] and r.status in (200, 204)
            )

        try:
            yield Harness(GoogleCalendar(service, "primary", LONDON, retries=2), notices)
        finally:
            fake.stop()


def test_unknown_events_are_none(harness: Harness) -> None:
    assert harness.calendar.get("hsbnothinghere") is None


def test_ensure_makes_the_event_once(harness: Harness) -> None:
    made = harness.calendar.ensure(meeting())
    again = harness.calendar.ensure(meeting(start=START + timedelta(days=1)))  # a rerun with another slot
    assert harness.notices() == 1
    assert made.start == again.start == START  # the event already there wins
    stored = harness.calendar.get("hsbevent0001")
    assert stored is not None and stored.start == START and not stored.cancelled
    assert set(stored.attendees) == {"police@example.gov.uk", "csc@example.gov.uk"}


def test_move_once_and_raise_the_sequence(harness: Harness) -> None:
    first = harness.calendar.ensure(meeting())
    later = START + timedelta(days=1, hours=4)
    moved = harness.calendar.move(first.moved(later, later + timedelta(hours=1)))
    harness.calendar.move(first.moved(later, later + timedelta(hours=1)))
    assert harness.notices() == 2
    stored = harness.calendar.get("hsbevent0001")
    assert stored is not None and stored.start == later and stored.sequence > first.sequence
    assert moved.sequence == stored.sequence


def test_cancel_once(harness: Harness) -> None:
    made = harness.calendar.ensure(meeting())
    harness.calendar.cancel(made)
    harness.calendar.cancel(made)
    assert harness.notices() == 2
    stored = harness.calendar.get("hsbevent0001")
    assert stored is None or stored.cancelled


def test_times_keep_their_zone_across_the_clock_change(harness: Harness) -> None:
    winter = datetime(2026, 3, 27, 10, 0, tzinfo=LONDON)  # Friday, GMT
    harness.calendar.ensure(meeting("hsbgmt000001", winter))
    harness.calendar.ensure(meeting("hsbbst000001", START))
    w, s = harness.calendar.get("hsbgmt000001"), harness.calendar.get("hsbbst000001")
    assert w is not None and s is not None
    assert w.start.utcoffset() == timedelta(0) and w.start.astimezone(LONDON).hour == 10
    assert (
        s.start.astimezone(LONDON).utcoffset() == timedelta(hours=1) and s.start.astimezone(LONDON).hour == 10
    )


def test_a_copy_left_by_a_killed_ics_write_is_removed_when_that_event_is_written(tmp_path: Path) -> None:
    """A run killed between writing an invitation's temporary .ics and renaming it leaves a copy; the
    rerun that writes the same event removes it, and leaves only that event's .ics."""
    folder = tmp_path / "invites"
    folder.mkdir()
    calendar = IcsCalendar(folder, MemoryMailer(), "hsb@example.gov.uk", "HSB Service", LONDON)
    leftover = folder / ".ics-hsbevent0001-abc123"
    leftover.write_bytes(b"half an invitation")
    other = folder / ".ics-hsbevent0002-def456"  # another event's: kept until that event is written
    other.write_bytes(b"half another invitation")
    calendar.ensure(meeting())
    assert not leftover.exists() and other.exists()
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".ics-")) == [
        calendar.path("hsbevent0001").name
    ]

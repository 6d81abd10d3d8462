"""Working days, office hours and slot finding across weekends, bank holidays and the clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from hsb_sheets.domain.slots import BusyIndex, SlotRequest, book, find_slot
from hsb_sheets.domain.working_days import WorkingCalendar

LONDON = ZoneInfo("Europe/London")
HOUR = timedelta(hours=1)


@pytest.fixture
def work() -> WorkingCalendar:
    return WorkingCalendar(LONDON, time(9, 0), time(17, 0))


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 24), True),  # Thursday
        (date(2026, 12, 25), False),  # Christmas Day
        (date(2026, 12, 26), False),  # Saturday (Boxing Day)
        (date(2026, 12, 28), False),  # Boxing Day, observed on Monday
        (date(2026, 12, 29), True),
        (date(2026, 8, 31), False),  # summer bank holiday (England and Wales)
        (date(2026, 8, 3), True),  # Scotland's summer holiday is not ours
        (date(2026, 3, 28), False),  # Saturday
    ],
)
def test_working_days(work: WorkingCalendar, day: date, working: bool) -> None:
    assert work.is_working_day(day) is working


@pytest.mark.parametrize(
    ("requested", "days", "ends"),
    [
        (
            datetime(2026, 3, 23, 11, 0, tzinfo=LONDON),
            2,
            datetime(2026, 3, 25, 17, 0, tzinfo=LONDON),
        ),  # Mon -> Wed
        (
            datetime(2026, 3, 27, 16, 0, tzinfo=LONDON),
            2,
            datetime(2026, 3, 31, 17, 0, tzinfo=LONDON),
        ),  # Fri -> Tue
        (
            datetime(2026, 3, 28, 10, 0, tzinfo=LONDON),
            2,
            datetime(2026, 3, 31, 17, 0, tzinfo=LONDON),
        ),  # Sat -> Tue
        (
            datetime(2026, 12, 23, 10, 0, tzinfo=LONDON),
            2,
            datetime(2026, 12, 29, 17, 0, tzinfo=LONDON),
        ),  # Christmas
        (
            datetime(2026, 3, 23, 11, 0, tzinfo=LONDON),
            10,
            datetime(2026, 4, 8, 17, 0, tzinfo=LONDON),
        ),  # Easter
    ],
)
def test_window_end(work: WorkingCalendar, requested: datetime, days: int, ends: datetime) -> None:
    assert work.window_end(requested, days) == ends


def test_office_hours_are_local_across_the_spring_change(work: WorkingCalendar) -> None:
    earliest = datetime(2026, 3, 27, 15, 40, tzinfo=UTC)  # Friday 15:40 GMT
    starts = list(work.candidate_starts(earliest, work.window_end(earliest, 2), HOUR, timedelta(minutes=30)))
    assert starts[0] == datetime(2026, 3, 27, 16, 0, tzinfo=LONDON)
    monday = [s for s in starts if s.date() == date(2026, 3, 30)]
    assert monday[0].utcoffset() == HOUR and monday[0].hour == 9  # 09:00 BST is 08:00 UTC
    assert monday[0].astimezone(UTC).hour == 8
    assert all(s.astimezone(LONDON).time() <= time(16, 0) for s in starts)


def test_office_hours_after_the_autumn_change(work: WorkingCalendar) -> None:
    earliest = datetime(2026, 10, 23, 18, 0, tzinfo=LONDON)  # Friday evening, BST
    first = next(work.candidate_starts(earliest, work.window_end(earliest, 2), HOUR, timedelta(minutes=30)))
    assert first == datetime(2026, 10, 26, 9, 0, tzinfo=LONDON) and first.utcoffset() == timedelta(0)


def test_the_earliest_free_slot_for_everyone(work: WorkingCalendar) -> None:
    busy = BusyIndex()
    monday = datetime(2026, 3, 23, 8, 0, tzinfo=LONDON)
    request = SlotRequest(
        ("police@example.gov.uk", "csc@example.gov.uk"), monday, work.window_end(monday, 2), HOUR
    )
    busy.add(
        "POLICE@example.gov.uk",
        datetime(2026, 3, 23, 9, 0, tzinfo=LONDON),
        datetime(2026, 3, 23, 10, 30, tzinfo=LONDON),
    )
    busy.add(
        "csc@example.gov.uk",
        datetime(2026, 3, 23, 10, 30, tzinfo=LONDON),
        datetime(2026, 3, 23, 12, 0, tzinfo=LONDON),
    )
    slot = find_slot(work, request, busy)
    assert slot == datetime(2026, 3, 23, 12, 0, tzinfo=LONDON)
    book(busy, request.attendees, slot, HOUR)
    assert find_slot(work, request, busy) == datetime(2026, 3, 23, 13, 0, tzinfo=LONDON)


def test_no_slot_inside_the_window_is_none(work: WorkingCalendar) -> None:
    busy = BusyIndex()
    monday = datetime(2026, 3, 23, 8, 0, tzinfo=LONDON)
    busy.add("police@example.gov.uk", monday, monday + timedelta(days=3))
    request = SlotRequest(("police@example.gov.uk",), monday, work.window_end(monday, 2), HOUR)
    assert find_slot(work, request, busy) is None


def test_busy_intervals_merge() -> None:
    busy = BusyIndex()
    t = datetime(2026, 3, 23, 9, 0, tzinfo=LONDON)
    busy.add("a@example.gov.uk", t, t + HOUR)
    busy.add("a@example.gov.uk", t + 2 * HOUR, t + 3 * HOUR)
    busy.add("a@example.gov.uk", t + HOUR / 2, t + 2 * HOUR)  # bridges both
    assert busy.clash(["a@example.gov.uk"], t + 2.5 * HOUR, t + 4 * HOUR) == (t + 3 * HOUR).timestamp()
    assert busy.clash(["a@example.gov.uk"], t + 3 * HOUR, t + 4 * HOUR) is None
    assert busy.clash(["b@example.gov.uk"], t, t + HOUR) is None

"""The reminder plan: end date, 3 working days before, due date, weekly escalation; across holidays."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest

from hsb_sheets.domain.reminders import (
    COMPLETE,
    OPEN,
    OVERDUE,
    SUMMARY_DUE,
    intervention_status,
    recorded_late,
    reminders_due,
    summary_due,
)
from hsb_sheets.domain.working_days import WorkingCalendar

WORK = WorkingCalendar(ZoneInfo("Europe/London"))


def due_on(today: date, end: date, reviews: tuple[date, ...] = (), recorded: date | None = None) -> list[str]:
    return [f"{r.kind}:{r.recipient_role}" for r in reminders_due(WORK, today, end, reviews, recorded)]


def test_due_date_is_fourteen_calendar_days_after_the_end() -> None:
    assert summary_due(date(2026, 3, 6)) == date(2026, 3, 20)


# End Friday 6 March 2026: due Friday 20 March; 3 working days before is Tuesday 17 March.
@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 3, 5), []),
        (date(2026, 3, 6), ["end_date:worker"]),
        (date(2026, 3, 9), ["end_date:worker"]),  # still the one that applies (sent once by the ledger)
        (date(2026, 3, 17), ["due_soon:worker"]),
        (date(2026, 3, 20), ["due_today:worker"]),
        (date(2026, 3, 21), ["due_today:worker"]),  # weekend: escalation starts the next working day
        (date(2026, 3, 23), ["escalation:service_manager"]),
        (date(2026, 3, 29), ["escalation:service_manager"]),
        (date(2026, 3, 30), ["escalation:service_manager"]),  # the weekly repeat, over the BST change
    ],
)
def test_plan_for_an_ordinary_fortnight(today: date, expected: list[str]) -> None:
    assert due_on(today, date(2026, 3, 6)) == expected


def test_weekly_escalations_are_distinct_reminders() -> None:
    first = reminders_due(WORK, date(2026, 3, 23), date(2026, 3, 6), (), None)
    second = reminders_due(WORK, date(2026, 3, 30), date(2026, 3, 6), (), None)
    assert first[0].send_on == date(2026, 3, 23) and second[0].send_on == date(2026, 3, 30)


def test_bank_holidays_move_the_working_day_reminders() -> None:
    # Ends 11 Dec 2026; due Friday 25 Dec (Christmas). 3 working days before: Tuesday 22 Dec.
    # Escalation from the next working day after the due date: Tuesday 29 Dec (28th is a bank holiday).
    end = date(2026, 12, 11)
    assert due_on(date(2026, 12, 21), end) == ["end_date:worker"]
    assert due_on(date(2026, 12, 22), end) == ["due_soon:worker"]
    assert due_on(date(2026, 12, 25), end) == ["due_today:worker"]
    assert due_on(date(2026, 12, 28), end) == ["due_today:worker"]
    assert due_on(date(2026, 12, 29), end) == ["escalation:service_manager"]


def test_easter_counts_in_working_days() -> None:
    # Ends 27 March 2026, due Friday 10 April; Good Friday 3 April and Easter Monday 6 April are holidays,
    # so 3 working days before the 10th is Tuesday 7 April.
    reminders = reminders_due(WORK, date(2026, 4, 7), date(2026, 3, 27), (), None)
    assert [(r.kind, r.send_on) for r in reminders] == [("due_soon", date(2026, 4, 7))]


def test_a_missed_week_sends_only_what_still_applies() -> None:
    # The server was down from the end date until well after the due date.
    assert due_on(date(2026, 3, 24), date(2026, 3, 6)) == ["escalation:service_manager"]


def test_recording_the_summary_stops_everything() -> None:
    assert due_on(date(2026, 3, 23), date(2026, 3, 6), (date(2026, 3, 25),), recorded=date(2026, 3, 22)) == []


def test_a_future_review_is_reminded_one_working_day_before() -> None:
    reviews = (date(2026, 3, 30),)  # a Monday: reminded on Friday 27 March
    assert due_on(date(2026, 3, 27), date(2026, 5, 1), reviews) == ["review:worker"]
    assert due_on(date(2026, 3, 28), date(2026, 5, 1), reviews) == ["review:worker"]
    assert due_on(date(2026, 3, 30), date(2026, 5, 1), reviews) == []


@pytest.mark.parametrize(
    ("today", "recorded", "status"),
    [
        (date(2026, 3, 1), None, OPEN),
        (date(2026, 3, 6), None, SUMMARY_DUE),
        (date(2026, 3, 20), None, SUMMARY_DUE),
        (date(2026, 3, 21), None, OVERDUE),
        (date(2026, 3, 21), date(2026, 3, 21), COMPLETE),
    ],
)
def test_status(today: date, recorded: date | None, status: str) -> None:
    assert intervention_status(today, date(2026, 3, 6), recorded) == status


def test_late_recording() -> None:
    end = date(2026, 3, 6)
    assert recorded_late(end, date(2026, 3, 21)) and not recorded_late(end, date(2026, 3, 20))
    assert not recorded_late(None, date(2026, 3, 21)) and not recorded_late(end, None)


def test_an_open_intervention_without_an_end_date_has_no_summary_reminders() -> None:
    assert due_on(date(2026, 3, 6) + timedelta(days=40), None) == []  # type: ignore[arg-type]

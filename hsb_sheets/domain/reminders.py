"""End summaries: when they are due, and which reminders are due on a given day.

The protocol: every intervention is followed by an end summary recorded within two weeks of it
ending. The summary is due 14 calendar days after the end date. The worker is reminded on the end
date, 3 working days before the due date and on the due date; from the next working day after the
due date the area's service manager gets an escalation, repeated weekly. A future review date gets a
reminder one working day before. Recording the summary stops everything.

Each reminder is relevant only until the next one takes over, so a run that missed days sends the
one reminder that still applies, not a backlog.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hsb_sheets.domain.working_days import WorkingCalendar

SUMMARY_WITHIN = timedelta(days=14)
END_DATE, DUE_SOON, DUE_TODAY, ESCALATION, REVIEW = (
    "end_date",
    "due_soon",
    "due_today",
    "escalation",
    "review",
)
OPEN, SUMMARY_DUE, OVERDUE, COMPLETE = "Open", "Summary due", "Overdue", "Complete"
INTERVENTION_TYPES = (
    "AIM3 assessment",
    "AIM Under 12s",
    "TA-HSB work",
    "Safety planning",
    "Psychosexual education",
    "Other",
)


@dataclass(frozen=True)
class Reminder:
    """One reminder: what, to whom, the day it is first sent and the day it goes stale."""

    kind: str
    send_on: date
    until: date  # exclusive
    due: date  # the end summary's due date (for a review reminder, the review date)
    recipient_role: str  # "worker" (copied to the lead professional) or "service_manager"


def summary_due(end: date) -> date:
    """The end summary is due 14 calendar days after the intervention ends."""
    return end + SUMMARY_WITHIN


def subtract_working_days(work: WorkingCalendar, day: date, count: int) -> date:
    """The working day ``count`` working days before ``day``."""
    current = day
    for _ in range(count):
        current -= timedelta(days=1)
        while not work.is_working_day(current):
            current -= timedelta(days=1)
    return current


def reminder_plan(
    work: WorkingCalendar, end: date | None, reviews: tuple[date, ...], until: date
) -> list[Reminder]:
    """Every reminder an intervention gets, escalations generated up to ``until``."""
    plan = [
        Reminder(REVIEW, subtract_working_days(work, review, 1), review, review, "worker")
        for review in reviews
    ]
    if end is None:
        return plan
    due = summary_due(end)
    soon = subtract_working_days(work, due, 3)
    escalate_from = work.next_working_day(due)
    plan += [
        Reminder(END_DATE, end, max(soon, end + timedelta(days=1)), due, "worker"),
        Reminder(DUE_SOON, soon, due, due, "worker"),
        Reminder(DUE_TODAY, due, escalate_from, due, "worker"),
    ]
    send = escalate_from
    while send <= until:
        plan.append(Reminder(ESCALATION, send, send + timedelta(days=7), due, "service_manager"))
        send += timedelta(days=7)
    return plan


def reminders_due(
    work: WorkingCalendar, today: date, end: date | None, reviews: tuple[date, ...], recorded: date | None
) -> list[Reminder]:
    """The reminders that apply today (none once the summary is recorded)."""
    if recorded is not None:
        return []
    return [r for r in reminder_plan(work, end, reviews, today) if r.send_on <= today < r.until]


def intervention_status(today: date, end: date | None, recorded: date | None) -> str:
    """Open, Summary due, Overdue or Complete."""
    if recorded is not None:
        return COMPLETE
    if end is None or today < end:
        return OPEN
    return SUMMARY_DUE if today <= summary_due(end) else OVERDUE


def recorded_late(end: date | None, recorded: date | None) -> bool:
    """Whether the summary was recorded after its due date."""
    return end is not None and recorded is not None and recorded > summary_due(end)

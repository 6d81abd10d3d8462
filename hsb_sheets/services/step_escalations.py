"""Overdue next steps escalated to the area's service managers, once, then weekly (the reminders job).

Like an end summary's escalation (:mod:`hsb_sheets.domain.reminders`): from the working day after a
step was due, then every 7 days while it is not done, one email per step to the area's service
managers, its Outbox key naming the step, its due date and the day of that escalation, so a rerun
(or a crash and a retry) never sends it twice. Each step's Status is brought up to date as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hsb_sheets.adapters.workbook.base import Update, WriteBatch
from hsb_sheets.domain.directory import Directory
from hsb_sheets.domain.next_steps import OVERDUE, escalation_day
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import NEXT_STEPS, NextStepsTab
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.audit import audit
from hsb_sheets.services.next_steps import current_status, step_dates
from hsb_sheets.services.notifications import queue_key

ROLE = "service_manager"


@dataclass
class Escalations:
    """What escalating the overdue steps writes, and what it queued or could not."""

    batch: WriteBatch = field(default_factory=WriteBatch)
    queued: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def plan_escalations(
    steps: Iterable[Mapping[str, str]],
    meetings: Iterable[Mapping[str, str]],
    directory: Directory,
    work: WorkingCalendar,
    now: datetime,
    queued: set[str],
    *,
    locale: str,
    job: str,
) -> Escalations:
    """Each step's Status, and today's escalation of each overdue step unless it is queued already.

    ``now`` is the local time, naive; ``queued`` the Outbox keys already there (added to as it goes).
    """
    plan = Escalations()
    meeting_rows = list(meetings)
    today = now.date()
    for step in steps:
        key_text = step.get(NextStepsTab.STEP_ID, "").strip()
        if not key_text:
            continue
        status = current_status(step, meeting_rows, today, locale)
        values: dict[str, str] = {}
        if status != step.get(NextStepsTab.STATUS, ""):
            values[NextStepsTab.STATUS] = status
        if status == OVERDUE and _escalate(step, key_text, directory, work, now, queued, job, plan):
            values[NextStepsTab.LAST_ESCALATED] = format_time(now)
        if values:
            plan.batch.updates.append(Update(NEXT_STEPS, NextStepsTab.STEP_ID, key_text, values))
    return plan


def _escalate(
    step: Mapping[str, str],
    key_text: str,
    directory: Directory,
    work: WorkingCalendar,
    now: datetime,
    queued: set[str],
    job: str,
    plan: Escalations,
) -> bool:
    """Queue today's escalation of an overdue step; whether one was queued."""
    due, _ = step_dates({**step, NextStepsTab.DONE_ON: ""}, "en-GB")
    send_on = escalation_day(work, due, now.date()) if due is not None else None
    if due is None or send_on is None:
        return False
    case_id, name, source = key_text.split("|", 2) if key_text.count("|") >= 2 else (key_text, "", "")
    key = OutboxKey.step_escalation(case_id, name, source, due, send_on)
    if str(key) in queued:
        return False
    area = step.get(NextStepsTab.AREA, "")
    managers = [c.email for c in directory.lookup(area, ROLE)]
    if not managers:
        plan.problems.append(f"{case_id}: no service manager in the Directory for {area or 'its area'}")
        return False
    queued.add(str(key))
    plan.batch.appends.append(queue_key(key, case_id, ROLE, ", ".join(managers), now))
    detail = f"{name} due {due.isoformat()}"
    plan.batch.appends.append(audit(now, job, "next step escalated", case_id, detail=detail))
    plan.queued.append(str(key))
    return True

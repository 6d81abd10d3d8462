"""Printing job reports without personal data: counts, case ids, routes.

Every number printed about a run comes from its counts (``JobOutcome.counts``, the report's
``counts()``), the same numbers its log line and the Job status tab show.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.cli.common import console
from hsb_sheets.cli.layout import show
from hsb_sheets.domain.tabs import OUTBOX, OutboxTab
from hsb_sheets.services.digest import DigestReport
from hsb_sheets.services.intake import IntakeReport
from hsb_sheets.services.meetings import MeetingsReport
from hsb_sheets.services.notifications import DeliveryReport
from hsb_sheets.services.reminders import RemindersReport
from hsb_sheets.services.retention import RetentionReport
from hsb_sheets.services.runner import JobOutcome

Counts = Mapping[str, int]


class Printer:
    """A watcher of a run that prints each job's summary as it finishes.

    With ``spinner``, a spinner shows while a job works on a terminal (plain output otherwise).
    """

    def __init__(self, *, spinner: bool = False) -> None:
        self.spinner = spinner

    def running(self, job: str) -> AbstractContextManager[object]:
        """A spinner on a terminal, when asked for."""
        return console.status(f"Running {job}...") if self.spinner and console.is_terminal else nullcontext()

    def finished(self, outcome: JobOutcome) -> None:
        """Print the job's summary."""
        print_outcome(outcome)


def print_outcome(outcome: JobOutcome) -> None:
    """The summary of one job run, by the job's printer."""
    PRINTERS[outcome.job](outcome.report, outcome.counts)


def print_intake(report: IntakeReport, counts: Counts) -> None:
    """One summary of an intake run."""
    verb = "would register" if report.dry_run else "registered"
    console.print(
        f"intake: {verb} {counts['registered']} referral(s), {counts['issues']} intake issue(s); "
        f"{counts['already_ingested']} response(s) already ingested."
    )
    if report.routes:
        routes = ", ".join(f"{route} {count}" for route, count in sorted(report.routes.items()))
        console.print(f"  routes: {routes}")
    if counts["possible_duplicates"]:
        console.print(f"  possible duplicates flagged for a coordinator: {counts['possible_duplicates']}")
    if report.dry_run:
        print_planned(report.planned)
        return
    print_delivery(counts, report.delivery)


def print_delivery(counts: Counts, delivery: DeliveryReport) -> None:
    """How the emails of a run went (those waiting to retry are not a count of the run's)."""
    sent, failed = counts["emails_sent"], counts["emails_failed"]
    console.print(f"  emails: {sent} sent, {failed} failed, {len(delivery.waiting)} waiting to retry")


def print_planned(batch: WriteBatch) -> None:
    """What a dry run would write, per tab, and which notifications it would queue; or that there is none."""
    if not batch:
        console.print("  dry run: nothing to do (nothing would be written or sent).")
        return
    appends = Counter(a.tab for a in batch.appends)
    updates = Counter(u.tab for u in batch.updates)
    rows = [(tab, str(appends[tab]), str(updates[tab])) for tab in sorted(set(appends) | set(updates))]
    show("Dry run: nothing was written or sent", ("Tab", "New rows", "Updated rows"), rows)
    for append in batch.appends:
        if append.tab == OUTBOX:
            kind, role = append.values[OutboxTab.KIND], append.values[OutboxTab.RECIPIENT_ROLE]
            console.print(
                f"  would send: {kind} to the {role} {append.values.get(OutboxTab.CASE_ID) or ''}".rstrip()
            )


def print_meetings(report: MeetingsReport, counts: Counts) -> None:
    """One summary of a meetings run (meeting references only)."""
    verb = "would" if report.dry_run else "did"
    console.print(
        f"meetings ({verb}): {counts['created']} new, {counts['invited']} invited, "
        f"{counts['rescheduled']} rescheduled, {counts['cancelled']} cancelled, "
        f"{counts['needs_scheduling']} need scheduling by a coordinator."
    )
    if report.decided:
        console.print(f"  decided again (route override, facts now): {', '.join(report.decided)}")
    if report.waiting:
        console.print(f"  calendar unavailable, will retry: {', '.join(report.waiting)}")
    if report.dry_run:
        print_planned(report.planned)
    elif counts["emails_sent"] or counts["emails_failed"]:
        sent, failed = counts["emails_sent"], counts["emails_failed"]
        console.print(f"  notes to coordinators: {sent} sent, {failed} failed")


def print_reminders(report: RemindersReport, counts: Counts) -> None:
    """One summary of a reminders run."""
    verb = "would queue" if report.dry_run else "queued"
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(report.statuses.items()))
    console.print(f"reminders: {verb} {counts['queued']} reminder(s); interventions: {statuses or 'none'}.")
    if report.late:
        console.print(f"  end summaries recorded late (audited): {', '.join(report.late)}")
    for problem in report.problems:
        console.print(f"  [yellow]check[/yellow] {problem}")
    if report.dry_run:
        print_planned(report.planned)
    else:
        print_delivery(counts, report.delivery)


def print_digest(report: DigestReport, counts: Counts) -> None:
    """One summary of a digest run."""
    if report.skipped:
        console.print(f"digest: skipped ({report.skipped}).")
        return
    verb = "would queue" if report.dry_run else "queued"
    console.print(f"digest: {verb} {counts['queued']} digest email(s) to coordinators.")
    if report.dry_run:
        print_planned(report.planned)
    else:
        print_delivery(counts, report.delivery)


def print_retention(report: RetentionReport, counts: Counts) -> None:
    """One summary of a retention run: case ids, and for each erasure the columns and rows it clears."""
    listed, erased = ("would list", "would erase") if report.dry_run else ("listed", "erased")
    console.print(
        f"retention: {listed} {counts['listed']} case(s) for review, {erased} {counts['erased']}; "
        f"{counts['awaiting_confirmation']} await a coordinator's confirmation."
    )
    for case_id in report.listed:
        console.print(f"  {listed}: {case_id}")
    for erasure in report.erased:
        console.print(f"  {erased} {erasure.case_id}: {erasure.describe()}")
    for problem in report.problems:
        console.print(f"  [yellow]check[/yellow] {problem}")
    if report.dry_run:
        print_planned(report.planned)


PRINTERS: dict[str, Callable[[Any, Counts], None]] = {
    "intake": print_intake,
    "meetings": print_meetings,
    "reminders": print_reminders,
    "digest": print_digest,
    "retention": print_retention,
}

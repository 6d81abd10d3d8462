"""Printing job reports without personal data: counts, case ids, routes."""

from __future__ import annotations

from collections import Counter

from rich.table import Table

from hsb_sheets.adapters.workbook.base import WriteBatch
from hsb_sheets.cli.common import console
from hsb_sheets.domain.tabs import OUTBOX, OutboxTab
from hsb_sheets.services.digest import DigestReport
from hsb_sheets.services.intake import IntakeReport
from hsb_sheets.services.meetings import MeetingsReport
from hsb_sheets.services.notifications import DeliveryReport
from hsb_sheets.services.reminders import RemindersReport


def print_intake(report: IntakeReport) -> None:
    """One summary of an intake run."""
    verb = "would register" if report.dry_run else "registered"
    console.print(
        f"intake: {verb} {len(report.registered)} referral(s), {report.issues} intake issue(s); "
        f"{report.already_ingested} response(s) already ingested."
    )
    if report.routes:
        routes = ", ".join(f"{route} {count}" for route, count in sorted(report.routes.items()))
        console.print(f"  routes: {routes}")
    if report.possible_duplicates:
        console.print(f"  possible duplicates flagged for a coordinator: {report.possible_duplicates}")
    if report.dry_run:
        print_planned(report.planned)
        return
    print_delivery(report.delivery)


def print_delivery(delivery: DeliveryReport) -> None:
    """How the emails of a run went."""
    sent, failed, waiting = len(delivery.sent), len(delivery.failed), len(delivery.waiting)
    console.print(f"  emails: {sent} sent, {failed} failed, {waiting} waiting to retry")


def print_planned(batch: WriteBatch) -> None:
    """What a dry run would write, per tab, and which notifications it would queue."""
    table = Table(title="Dry run: nothing was written or sent")
    table.add_column("Tab")
    table.add_column("New rows", justify="right")
    table.add_column("Updated rows", justify="right")
    appends = Counter(a.tab for a in batch.appends)
    updates = Counter(u.tab for u in batch.updates)
    for tab in sorted(set(appends) | set(updates)):
        table.add_row(tab, str(appends[tab]), str(updates[tab]))
    console.print(table)
    for append in batch.appends:
        if append.tab == OUTBOX:
            kind, role = append.values[OutboxTab.KIND], append.values[OutboxTab.RECIPIENT_ROLE]
            console.print(
                f"  would send: {kind} to the {role} {append.values.get(OutboxTab.CASE_ID) or ''}".rstrip()
            )


def print_meetings(report: MeetingsReport) -> None:
    """One summary of a meetings run (meeting references only)."""
    verb = "would" if report.dry_run else "did"
    console.print(
        f"meetings ({verb}): {len(report.created)} new, {len(report.invited)} invited, "
        f"{len(report.rescheduled)} rescheduled, {len(report.cancelled)} cancelled, "
        f"{len(report.needs_scheduling)} need scheduling by a coordinator."
    )
    if report.waiting:
        console.print(f"  calendar unavailable, will retry: {', '.join(report.waiting)}")
    if report.dry_run:
        print_planned(report.planned)
    elif report.delivery.sent or report.delivery.failed:
        d = report.delivery
        console.print(f"  notes to coordinators: {len(d.sent)} sent, {len(d.failed)} failed")


def print_reminders(report: RemindersReport) -> None:
    """One summary of a reminders run."""
    verb = "would queue" if report.dry_run else "queued"
    statuses = ", ".join(f"{status} {count}" for status, count in sorted(report.statuses.items()))
    console.print(f"reminders: {verb} {len(report.queued)} reminder(s); interventions: {statuses or 'none'}.")
    if report.late:
        console.print(f"  end summaries recorded late (audited): {', '.join(report.late)}")
    for problem in report.problems:
        console.print(f"  [yellow]check[/yellow] {problem}")
    if report.dry_run:
        print_planned(report.planned)
    else:
        print_delivery(report.delivery)


def print_digest(report: DigestReport) -> None:
    """One summary of a digest run."""
    if report.skipped:
        console.print(f"digest: skipped ({report.skipped}).")
        return
    verb = "would queue" if report.dry_run else "queued"
    console.print(f"digest: {verb} {len(report.queued)} digest email(s) to coordinators.")
    if report.dry_run:
        print_planned(report.planned)
    else:
        print_delivery(report.delivery)

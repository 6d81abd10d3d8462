"""Counts once: a run's log line, its Job status row and its command-line summary show report.counts()."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime

import pytest

from hsb_sheets.adapters.calendar.base import CalendarError, FreeBusy
from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.cli.common import console
from hsb_sheets.cli.report import print_outcome
from hsb_sheets.domain.tabs import JOB_STATUS
from hsb_sheets.logs import LOGGER
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.demo_data import demo_responses
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.runner import JobOutcome, counts_of, run_jobs, watch_job
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import add_demo_interventions, import_responses

# What each job's summary prints, and which count each number is.
SUMMARY_NUMBERS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "intake": [
        (
            r"registered (\d+) referral\(s\), (\d+) intake issue\(s\); (\d+) response\(s\) already",
            ("registered", "issues", "already_ingested"),
        ),
        (r"possible duplicates flagged for a coordinator: (\d+)", ("possible_duplicates",)),
        (r"emails: (\d+) sent, (\d+) failed", ("emails_sent", "emails_failed")),
    ],
    "meetings": [
        (
            r"(\d+) new, (\d+) invited, (\d+) rescheduled, (\d+) cancelled, (\d+) need scheduling",
            ("created", "invited", "rescheduled", "cancelled", "needs_scheduling"),
        ),
        (r"notes to coordinators: (\d+) sent, (\d+) failed", ("emails_sent", "emails_failed")),
    ],
    "reminders": [
        (r"queued (\d+) reminder\(s\)", ("queued",)),
        (r"emails: (\d+) sent, (\d+) failed", ("emails_sent", "emails_failed")),
    ],
    "digest": [
        (r"queued (\d+) digest email\(s\)", ("queued",)),
        (r"emails: (\d+) sent, (\d+) failed", ("emails_sent", "emails_failed")),
    ],
}


class FlakyCalendar(MemoryCalendar):
    """A calendar whose free/busy lookups fail the first few times (the meetings wait for a later run)."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    def busy(self, attendees: Sequence[str], start: datetime, end: datetime) -> FreeBusy:
        if self.failures:
            self.failures -= 1
            raise CalendarError("free/busy is unavailable", transient=True)
        return super().busy(attendees, start, end)


class Summaries:
    """A watcher that keeps what the command line prints for each job."""

    def __init__(self) -> None:
        self.text: dict[str, str] = {}

    def running(self, job: str) -> AbstractContextManager[object]:
        return nullcontext()

    def finished(self, outcome: JobOutcome) -> None:
        with console.capture() as captured:
            print_outcome(outcome)
        self.text[outcome.job] = captured.get()


class LogLines(logging.Handler):
    """The fields of every 'job finished' line, by job."""

    def __init__(self) -> None:
        super().__init__()
        self.finished: dict[str, dict[str, object]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage() == "job finished":
            fields = dict(getattr(record, "hsb_fields", {}))
            self.finished[str(fields.pop("job"))] = fields


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    handler = LogLines()
    logger = logging.getLogger(LOGGER + ".jobs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def ctx(memory_context: Context) -> Context:
    """The demo's Directory and fictional responses; a calendar that cannot say who is free, twice."""
    memory_context.calendar = FlakyCalendar(failures=2)
    setup_register(memory_context, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
    header, rows = demo_responses(memory_context.form, memory_context.now())
    import_responses(memory_context, header, rows)
    return memory_context


def summary_numbers(job: str, text: str) -> dict[str, int]:
    numbers: dict[str, int] = {}
    for pattern, keys in SUMMARY_NUMBERS[job]:
        match = re.search(pattern, text)
        if match:
            numbers.update(zip(keys, map(int, match.groups()), strict=True))
    return numbers


def job_status_counts(ctx: Context) -> dict[str, dict[str, int]]:
    rows = ctx.workbook.read([JOB_STATUS])[JOB_STATUS].records()
    return {
        r["Job"]: {k: int(v) for k, _, v in (w.partition("=") for w in r["Counts"].split())} for r in rows
    }


def test_log_line_job_status_and_summary_show_the_reports_counts(ctx: Context, log_lines: LogLines) -> None:
    summaries = Summaries()
    outcomes = [watch_job(ctx, "intake", summaries)]
    add_demo_interventions(ctx)
    outcomes += run_jobs(ctx, ["meetings", "reminders", "digest"], watcher=summaries)

    status = job_status_counts(ctx)
    for outcome in outcomes:
        counts = counts_of(outcome.report)  # report.counts(), once every report has it (issue 9)
        job = outcome.job
        assert outcome.counts == counts, job
        assert {k: v for k, v in log_lines.finished[job].items() if k not in ("seconds", "dry_run")} == counts
        assert status[job] == counts, job
        shown = summary_numbers(job, summaries.text[job])
        assert shown == {k: counts[k] for k in shown}, job
        assert len(shown) >= 3, (job, summaries.text[job])  # the summary's numbers were found
    by_job = {o.job: o.counts for o in outcomes}
    assert by_job["meetings"]["calendar_waiting"] == 2  # written to Job status and logged alike
    assert by_job["intake"]["registered"] > 0 and by_job["intake"]["emails_sent"] > 0
    assert by_job["reminders"]["queued"] > 0 and by_job["digest"]["queued"] > 0

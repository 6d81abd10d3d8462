"""Sheets API requests per ``run`` of all jobs, against the fake Sheets server, as the register grows.

Prints one JSON line per register size (100, 5,000 and 50,000 referrals) with requests, wall time and
peak Python memory of three runs, each holding the lease as on Google: the register's first run (it
anchors the rows coordinators typed and adds the Job status rows, once), a busy run (20 new
responses, their meetings to invite, a review reminder due) and an idle one (nothing to do). The
whole is done ``--repeat`` times (3) from a new register, and each run is shown as its median,
with every repetition's seconds beside it (so one slow moment of a shared machine shows). Target:
the same request count at every size, at most 3 idle and 12 busy, and under 10 seconds per busy run
at 50,000. Beside each size it prints the naive figure: the same new rows written one request per
row (gspread's append_row, measured at 100 rows) plus one request per referral read row by row.
Run by hand: ``python benchmarks/sheets_calls.py`` (``--sizes 100 5000`` for a quick run).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hsb_sheets.adapters.calendar.memory import MemoryCalendar
from hsb_sheets.adapters.lease.workbook import WorkbookLease
from hsb_sheets.adapters.mail.memory import MemoryMailer
from hsb_sheets.adapters.workbook.google_dates import number_of
from hsb_sheets.adapters.workbook.google_sheets import SheetsHTTPClient, SheetsWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings
from hsb_sheets.domain.next_steps import routing_steps
from hsb_sheets.domain.tabs import (
    CASE_ID,
    FORM_RESPONSES,
    INTERVENTIONS,
    REFERRALS,
    RESPONSE_ID,
    InterventionsTab,
    ReferralsTab,
)
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.next_steps import decision_now
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.runner import run_jobs
from hsb_sheets.services.setup import setup_register
from tests.conftest import FixedClock, valid_answers
from tests.fakes.google_sheets import FakeSheets, Value

SHEET = "benchmark"
FIRST_RECEIVED = datetime(2025, 1, 6, 9, 0)  # the register's oldest case (naive local time)
NEW_ROWS = 20 * 3 + 20 * 2 + 2  # a busy run's rows: per response a case, an outbox and an audit row;
# per meeting its row and the invitation's; a reminder's outbox and audit rows


def fill(ctx: Context, fake: FakeSheets, size: int) -> None:
    """A register of ``size`` referrals, copied from a few real ones straight into the fake's grid."""
    book = fake.spreadsheets[SHEET]
    responses = book.sheet(FORM_RESPONSES)
    for n, light in enumerate(("Red", "Amber", "Green")):
        answers = valid_answers(traffic_light=light, referrer_email=f"seed{n}@example.org")
        responses.cells.append([f"01/03/2026 09:0{n}:00", *(answers[f.id] for f in ctx.form.fields)])
    run_intake(ctx)
    referrals = book.sheet(REFERRALS)
    header = referrals.cells[0]
    seeds = [list(r) for r in referrals.cells[1:4]]
    case, response, first = (
        header.index(CASE_ID),
        header.index(RESPONSE_ID),
        header.index(ctx.form.field("child_first_name").column),
    )
    made, received = header.index(ReferralsTab.STEPS_MADE), header.index(ReferralsTab.RECEIVED)
    steps = [steps_made(dict(zip(header, r, strict=False))) for r in seeds]
    referrals.cells = [header]
    for n in range(size):
        row = list(seeds[n % 3]) + [""] * (len(header) - len(seeds[n % 3]))
        row[case], row[response], row[first] = f"HSB-2025-{n + 1:05d}", f"RB{n:014d}", f"Child{n}"
        row[header.index(ReferralsTab.MEETING)] = ""  # old cases: their meetings are long done
        row[received] = received_cell(row[received], n)
        row[made] = steps[n % 3]  # and their next steps made long ago (done and tidied away)
        referrals.cells.append(row)
    referrals.rows = size + 6000
    interventions = book.sheet(INTERVENTIONS)
    columns = interventions.cells[0]
    for n in range(min(size, 2000)):
        row = [""] * len(columns)
        row[columns.index(CASE_ID)] = f"HSB-2025-{n + 1:05d}"
        row[columns.index(InterventionsTab.INTERVENTION)] = "Safety planning"
        row[columns.index(InterventionsTab.WORKER_EMAIL)] = "worker@example.gov.uk"
        row[columns.index(InterventionsTab.END_DATE)] = "01/01/2026"
        row[columns.index(InterventionsTab.END_SUMMARY_RECORDED)] = "10/01/2026"
        interventions.cells.append(row)
    interventions.cells.append(open_intervention(columns))


def received_cell(seed: str, n: int) -> str:
    """Case n's *Received*, a date cell as the jobs write it: each case its own minute, so that no
    run reads two cases' times as one (a register's are all different)."""
    assert isinstance(seed, Value) and seed.pattern
    moment = FIRST_RECEIVED + timedelta(minutes=n)
    number = number_of(moment.isoformat(sep=" "), "date-time")
    assert number is not None
    return Value(number, seed.pattern)


def steps_made(referral: Mapping[str, str]) -> str:
    """The *Next steps made* of a case whose steps were made (and are done) long ago."""
    decision = decision_now(referral)
    return ", ".join(routing_steps(decision.actions, decision.flags))


def open_intervention(columns: list[str]) -> list[str]:
    """An intervention still running (its review date is set later, by a coordinator)."""
    row = [""] * len(columns)
    row[columns.index(CASE_ID)] = "HSB-2025-00001"
    row[columns.index(InterventionsTab.INTERVENTION)] = "Family work"
    row[columns.index(InterventionsTab.WORKER_EMAIL)] = "worker@example.gov.uk"
    row[columns.index(InterventionsTab.START_DATE)] = "01/03/2026"
    row[columns.index(InterventionsTab.END_DATE)] = "30/06/2026"
    return row


def arrive(ctx: Context, fake: FakeSheets) -> None:
    """Between runs: 20 new submissions, and a coordinator sets a review date for tomorrow."""
    book = fake.spreadsheets[SHEET]
    responses = book.sheet(FORM_RESPONSES)
    for n in range(20):
        answers = valid_answers(
            traffic_light=("Red", "Amber")[n % 2],
            referrer_email=f"new{n}@example.org",
            child_first_name=f"New{n}",
        )
        responses.cells.append([f"11/03/2026 10:{n:02d}:00", *(answers[f.id] for f in ctx.form.fields)])
    responses.rows = len(responses.cells) + 100
    interventions = book.sheet(INTERVENTIONS)
    row = next(r for r in interventions.cells if "Family work" in r)
    row[interventions.cells[0].index(InterventionsTab.REVIEW_DATES)] = "12/03/2026"


def measure(fake: FakeSheets, job: Callable[[], object]) -> dict[str, float]:
    """Requests and wall time of one run; peak memory is the process's (the fake server's included)."""
    before = len(fake.sheet_requests)
    started = time.perf_counter()
    job()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "requests": len(fake.sheet_requests) - before,
        "seconds": round(elapsed, 2),
        "peak_rss_mb": round(peak),
    }


def run_size(size: int) -> dict[str, object]:
    fake = FakeSheets()
    url = fake.start()
    fake.create(SHEET)
    try:
        http = SheetsHTTPClient(requests.Session(), endpoint=url, retries=2)
        ctx = build_context(
            Settings(base_dir=Path(tempfile.mkdtemp())),
            workbook=SheetsWorkbook(http, SHEET),
            mailer=MemoryMailer(),
            calendar=MemoryCalendar(),
            clock=FixedClock(datetime(2026, 3, 11, 11, 0, tzinfo=UTC)),
        )
        setup_register(ctx, directory_seed=read_rule_csv(shipped("config/directory.example.csv")))
        fill(ctx, fake, size)
        ctx.lease = WorkbookLease(ctx.workbook, ctx.clock)  # as on Google: a lease row in the register
        first = measure(fake, lambda: run_jobs(ctx))
        arrive(ctx, fake)
        busy = measure(fake, lambda: run_jobs(ctx))
        assert isinstance(ctx.mailer, MemoryMailer)
        reminders = sum("review" in m.subject.lower() for m in ctx.mailer.sent)
        return {
            "benchmark": "sheets_requests_per_run",
            "referrals": size,
            "first_run": first,
            "busy_run": {**busy, "reminders_sent": reminders},  # 20 new responses, meetings, a reminder
            "idle_run": measure(fake, lambda: run_jobs(ctx)),
            "naive_busy_requests": NEW_ROWS + size,
            "target": {"idle_at_most": 3, "busy_at_most": 12, "seconds_at_50000": 10},
        }
    finally:
        fake.stop()


def median_of(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """One size's figures: each run's median repetition, with every repetition's seconds beside it."""
    figures = dict(repeats[0])
    for run in ("first_run", "busy_run", "idle_run"):
        runs = sorted((r[run] for r in repeats), key=lambda r: r["seconds"])
        figures[run] = {**runs[len(runs) // 2], "seconds_each": [r[run]["seconds"] for r in repeats]}
        if len({r["requests"] for r in runs}) > 1:  # never seen: the count is the same every time
            figures[run]["requests_each"] = [r[run]["requests"] for r in repeats]
    return figures


def naive(count: int) -> dict[str, object]:
    """The row-by-row way: gspread's append_row per referral."""
    import gspread
    from gspread.utils import ValueInputOption

    fake = FakeSheets()
    url = fake.start()
    fake.create(SHEET)
    try:
        client = gspread.Client(None, session=requests.Session())  # type: ignore[arg-type]
        http = SheetsHTTPClient(requests.Session(), endpoint=url, retries=2)
        client.http_client = http
        sheet = client.open_by_key(SHEET).sheet1
        before = len(fake.sheet_requests)
        for n in range(count):
            sheet.append_row(
                [f"HSB-2026-{n + 1:04d}", "strategy_discussion", "hsb"],
                value_input_option=ValueInputOption.raw,
            )
        return {
            "benchmark": "naive_row_by_row_gspread",
            "referrals": count,
            "requests": len(fake.sheet_requests) - before,
        }
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 5_000, 50_000])
    parser.add_argument("--repeat", type=int, default=3, help="times to measure each size (median shown)")
    args = parser.parse_args()
    for size in args.sizes:
        print(json.dumps(median_of([run_size(size) for _ in range(args.repeat)])), flush=True)
    print(json.dumps(naive(100)), flush=True)


if __name__ == "__main__":
    main()

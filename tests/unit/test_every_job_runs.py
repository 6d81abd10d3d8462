"""Every job runs: one job's failure never stops the others, and each failure is logged and recorded."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from hsb_sheets.adapters.lease.base import Lease, LeaseBusy
from hsb_sheets.adapters.workbook.base import Table, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.tabs import JOB_STATUS, JobStatusTab
from hsb_sheets.errors import WorkbookError
from hsb_sheets.logs import LOGGER
from hsb_sheets.services import runner
from hsb_sheets.services.context import Context
from hsb_sheets.services.runner import JobsFailed, hold_waiting, run_jobs

CHILD = "Robin Testwood"  # a fictional name: must never reach a log line or a message


@dataclass
class FakeReport:
    """What a job's report offers the runner."""

    ran: str

    def counts(self) -> dict[str, int]:
        return {"done": 1}


class Lines(logging.Handler):
    """Every job log line: its message and fields."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, dict[str, object]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), dict(getattr(record, "hsb_fields", {}))))

    def text(self) -> str:
        return repr(self.lines)


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger(LOGGER + ".jobs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def fake_jobs(monkeypatch: pytest.MonkeyPatch, ran: list[str], failing: Mapping[str, BaseException]) -> None:
    """Replace the four jobs by fakes that record that they ran, or raise."""

    def job(name: str) -> Callable[..., Any]:
        def run(ctx: Context, *, dry_run: bool = False) -> FakeReport:
            ran.append(name)
            if name in failing:
                raise failing[name]
            return FakeReport(name)

        return run

    for name in list(runner.JOBS):
        monkeypatch.setitem(runner.JOBS, name, job(name))


def job_status(ctx: Context) -> dict[str, dict[str, str]]:
    return {r[JobStatusTab.JOB]: r for r in ctx.workbook.read([JOB_STATUS])[JOB_STATUS].records()}


def test_a_failed_job_does_not_stop_the_others(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch, lines: Lines
) -> None:
    ran: list[str] = []
    failing = {
        "meetings": WorkbookError("The 'Meetings' tab has no row with Meeting ''."),
        "reminders": KeyError(CHILD),  # a fault: its text may quote the register
    }
    fake_jobs(monkeypatch, ran, failing)
    with pytest.raises(JobsFailed) as raised:
        run_jobs(memory_context)
    assert ran == ["intake", "meetings", "reminders", "digest", "retention"]
    failed = raised.value
    assert [o.job for o in failed.outcomes] == ["intake", "digest", "retention"]
    assert [f.job for f in failed.failures] == ["meetings", "reminders"]
    message = str(failed)
    assert message.startswith("2 of 5 job(s) failed, the others ran:")
    assert "\n  meetings: The 'Meetings' tab has no row with Meeting ''." in message
    assert "\n  reminders: internal error KeyError at test_every_job_runs.py:" in message
    logged = [fields for text, fields in lines.lines if text == "job failed"]
    assert [f["job"] for f in logged] == ["meetings", "reminders"]
    assert CHILD not in message + lines.text()
    finished = [fields["job"] for text, fields in lines.lines if text == "job finished"]
    assert finished == ["intake", "digest", "retention"]


def test_a_failed_job_is_recorded_on_the_job_status_tab(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_jobs(monkeypatch, [], {"meetings": WorkbookError("The 'Meetings' tab has no row with Meeting ''.")})
    with pytest.raises(JobsFailed):
        run_jobs(memory_context, ["meetings"])
    row = job_status(memory_context)["meetings"]
    assert row[JobStatusTab.OUTCOME] == "failed: The 'Meetings' tab has no row with Meeting ''."
    assert row[JobStatusTab.LAST_RUN] == "2026-03-12 10:00:00"  # the clock, in Europe/London
    assert float(row[JobStatusTab.DURATION]) >= 0 and row[JobStatusTab.COUNTS] == ""
    memory_context.clock.now = memory_context.clock.now.replace(hour=11)  # type: ignore[attr-defined]
    with pytest.raises(JobsFailed):  # a second failure updates the same row
        run_jobs(memory_context, ["meetings"])
    rows = memory_context.workbook.read([JOB_STATUS])[JOB_STATUS].column(JobStatusTab.JOB)
    assert rows.count("meetings") == 1
    assert job_status(memory_context)["meetings"][JobStatusTab.LAST_RUN] == "2026-03-12 11:00:00"


def test_a_dry_run_that_fails_records_nothing(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_jobs(monkeypatch, [], {"digest": WorkbookError("no")})
    with pytest.raises(JobsFailed):
        run_jobs(memory_context, ["digest"], dry_run=True)
    assert "digest" not in job_status(memory_context)


class BrokenRegister(MemoryWorkbook):
    """A register that cannot be read once ``broken`` is set."""

    broken = False

    def read(self, tabs: Sequence[str]) -> dict[str, Table]:
        if self.broken:
            raise WorkbookError("The register cannot be reached.")
        return super().read(tabs)

    def write(self, batch: WriteBatch) -> None:
        if self.broken:
            raise WorkbookError("The register cannot be reached.")
        super().write(batch)


def test_when_the_register_is_what_fails_the_job_error_is_kept(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch, lines: Lines
) -> None:
    register = BrokenRegister()
    register.tables = memory_context.workbook.tables  # type: ignore[attr-defined]
    memory_context.workbook = register
    register.broken = True
    fake_jobs(monkeypatch, [], {"intake": WorkbookError("The register cannot be reached, intake.")})
    with pytest.raises(JobsFailed) as raised:
        run_jobs(memory_context, ["intake"])
    assert "intake: The register cannot be reached, intake." in str(raised.value)
    assert ("job status not recorded", {"job": "intake", "reason": "The register cannot be reached."}) in (
        lines.lines
    )


def test_an_interrupt_still_stops_the_run(memory_context: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    fake_jobs(monkeypatch, ran, {"meetings": KeyboardInterrupt()})
    with pytest.raises(KeyboardInterrupt):
        run_jobs(memory_context)
    assert ran == ["intake", "meetings"]


class CountingLease:
    """A lease that counts its holds and knows whether one is open; busy for the first ``busy`` tries."""

    def __init__(self, busy: int = 0) -> None:
        self.busy = busy
        self.holds = 0
        self.held = False

    @contextlib.contextmanager
    def hold(self) -> Iterator[None]:
        if self.busy:
            self.busy -= 1
            raise LeaseBusy("Another run of the jobs is in progress.")
        self.holds += 1
        self.held = True
        try:
            yield
        finally:
            self.held = False


def test_the_lease_is_held_once_for_the_whole_run(
    memory_context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    lease = CountingLease()
    memory_context.lease = lease
    seen: list[bool] = []
    fake_jobs(monkeypatch, [], {"intake": WorkbookError("no")})
    real = runner.JOBS["digest"]

    def digest(ctx: Context, *, dry_run: bool = False) -> Any:
        seen.append(lease.held)
        return real(ctx)

    monkeypatch.setitem(runner.JOBS, "digest", digest)
    with pytest.raises(JobsFailed):
        run_jobs(memory_context)
    assert lease.holds == 1 and seen == [True] and not lease.held


def test_waiting_for_another_process_is_bounded() -> None:
    naps: list[float] = []
    lease: Lease = CountingLease(busy=2)
    with hold_waiting(lease, wait=60, sleep=naps.append):  # free on the third try
        pass
    assert len(naps) == 2 and all(0 < nap <= runner.LEASE_POLL_SECONDS for nap in naps)
    with pytest.raises(LeaseBusy), hold_waiting(CountingLease(busy=1), wait=0, sleep=naps.append):
        pass
    assert len(naps) == 2  # no wait asked for: no nap, busy at once

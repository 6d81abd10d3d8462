"""The worker: jobs whose times coincide run one after another, each once; only another process's run
keeps a job out, and only for a bounded time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from hsb_sheets.adapters.lease.file import FileLease
from hsb_sheets.bootstrap import build_context
from hsb_sheets.cli import cli
from hsb_sheets.config import ScheduleSettings, Settings, load_settings
from hsb_sheets.domain.tabs import JOB_NAMES, JOB_STATUS, JobStatusTab
from hsb_sheets.logs import LOGGER
from hsb_sheets.scheduler import Turns, build_scheduler
from hsb_sheets.services import runner

NEXT_YEAR = "0 3 1 1 *"  # after the instant the test sets, no job is due again while it runs


class Lines(logging.Handler):
    """Every job log line: its message and fields, as they come (from the scheduler's threads)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[str, dict[str, object]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), dict(getattr(record, "hsb_fields", {}))))

    def jobs(self, message: str) -> list[str]:
        return [str(fields.get("job")) for text, fields in list(self.lines) if text == message]


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    logger = logging.getLogger(LOGGER + ".jobs")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


def workspace(tmp_path: Path) -> Settings:
    """A fresh workspace whose jobs are all scheduled for next year."""
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    settings = load_settings(tmp_path / "ws" / "hsb-sheets.toml")
    later = ScheduleSettings(intake=NEXT_YEAR, meetings=NEXT_YEAR, reminders=NEXT_YEAR, digest=NEXT_YEAR)
    return settings.model_copy(update={"schedule": later})


def test_jobs_due_at_the_same_instant_each_run_once(tmp_path: Path, lines: Lines) -> None:
    settings = workspace(tmp_path)
    scheduler = build_scheduler(settings, build_context(settings))
    instant = datetime.now(UTC) + timedelta(seconds=1)
    for job in scheduler.get_jobs():
        job.modify(next_run_time=instant)  # every job due at once: the pool starts them together
    worker = threading.Thread(target=scheduler.start, daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(
            lines.jobs("job finished") + lines.jobs("job skipped")
        ) < len(JOB_NAMES):
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
        worker.join(timeout=30)
    assert lines.jobs("job skipped") == [] and lines.jobs("job failed") == []
    assert lines.jobs("job finished") == list(JOB_NAMES)  # each once, one after another, intake first
    book = openpyxl.load_workbook(settings.resolve(settings.workbook.path), read_only=True)
    rows = list(book[JOB_STATUS].iter_rows(values_only=True))
    outcome = {r[0]: r[rows[0].index(JobStatusTab.OUTCOME)] for r in rows[1:]}
    assert outcome == dict.fromkeys(JOB_NAMES, "ok")


def test_another_process_holding_the_lease_is_waited_for_then_skipped(
    tmp_path: Path, lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = workspace(tmp_path)
    monkeypatch.setattr(runner, "LEASE_POLL_SECONDS", 0.05)
    other = FileLease(settings.resolve(".hsb-state/run.lock"))  # another process's run
    with other.hold():
        started = time.monotonic()
        Turns(build_context(settings), lease_wait=0.5, gather=0).tick("digest")
        waited = time.monotonic() - started
    assert waited >= 0.5
    skipped = [fields for text, fields in lines.lines if text == "job skipped"]
    assert [f["job"] for f in skipped] == ["digest"]
    assert str(skipped[0]["reason"]).startswith("Another run of the jobs is in progress")
    assert lines.jobs("job finished") == []

    tick = threading.Thread(
        target=Turns(build_context(settings), lease_wait=30, gather=0).tick, args=("digest",)
    )
    with other.hold():
        tick.start()
        time.sleep(0.3)  # the other run ends while the job waits
    tick.join(timeout=30)
    assert lines.jobs("job finished") == ["digest"] and len(lines.jobs("job skipped")) == 1


def test_a_stopping_worker_leaves_queued_jobs_for_their_next_time(tmp_path: Path, lines: Lines) -> None:
    turns = Turns(build_context(workspace(tmp_path)), gather=0)
    turns.stopping.set()
    turns.tick("meetings")
    assert lines.jobs("job skipped") == ["meetings"] and lines.jobs("job finished") == []

"""Operations: JSON log lines without personal data, one run at a time, status, and the worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from hsb_sheets.adapters.lease.base import LeaseBusy
from hsb_sheets.adapters.lease.file import FileLease
from hsb_sheets.adapters.lease.workbook import WorkbookLease, read_time
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.bootstrap import build_context
from hsb_sheets.cli import cli
from hsb_sheets.config import load_settings
from hsb_sheets.domain.dates import parse_date
from hsb_sheets.domain.tabs import LEASE, LEASE_SPEC, REFERRALS, LeaseTab
from hsb_sheets.scheduler import build_scheduler
from tests.conftest import ROOT, FixedClock, form_column


def hsb(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hsb_sheets", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=180,
        check=False,
    )


def demo_children(register: Path) -> set[str]:
    rows = list(openpyxl.load_workbook(register, read_only=True)[REFERRALS].iter_rows(values_only=True))
    header = list(rows[0])
    secrets: set[str] = set()
    for row in rows[1:]:
        record = dict(zip(header, row, strict=False))
        first, last = form_column("child_first_name"), form_column("child_last_name")
        secrets |= {str(record[first]), str(record[last])}
        born = parse_date(str(record[form_column("child_dob")]))
        secrets |= {born.isoformat(), born.strftime("%d/%m/%Y")}
    return secrets


def test_the_demo_logs_json_lines_per_job_without_personal_data(tmp_path: Path) -> None:
    result = hsb("demo", str(tmp_path / "ws"), cwd=tmp_path, env={"HSB_SHEETS_LOGGING_FORMAT": "json"})
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    finished = {line["job"]: line for line in lines if line["message"] == "job finished"}
    assert set(finished) == {"intake", "meetings", "reminders", "digest"}
    assert finished["intake"]["registered"] == 21 and finished["intake"]["issues"] == 4
    assert all(isinstance(line["seconds"], float | int) for line in finished.values())
    logs = result.stderr + result.stdout
    leaks = {s for s in demo_children(tmp_path / "ws" / "register.xlsx") if s in logs}
    assert leaks == set()


def test_status_after_the_demo(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")]).exit_code == 0
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "ws" / "hsb-sheets.toml"), "status"])
    assert result.exit_code == 0, result.output
    assert "registered=21" in result.output.replace("\n", "")
    assert "meeting(s) need scheduling: HSB-2026-0013-1, HSB-2026-0020-1" in result.output
    assert "end summary(ies) overdue" in result.output


def test_a_second_run_while_one_holds_the_lease_does_nothing(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")]).exit_code == 0
    lease = FileLease(tmp_path / "ws" / ".hsb-state" / "run.lock")
    with lease.hold():
        result = CliRunner().invoke(
            cli, ["--config", str(tmp_path / "ws" / "hsb-sheets.toml"), "run", "--once"]
        )
    assert result.exit_code == 1 and "Another run of the jobs is in progress" in result.output
    after = CliRunner().invoke(cli, ["--config", str(tmp_path / "ws" / "hsb-sheets.toml"), "run", "--once"])
    assert after.exit_code == 0 and "registered 0 referral(s)" in after.output


def test_a_lease_row_is_exclusive_and_expires(tmp_path: Path) -> None:
    workbook = MemoryWorkbook()
    workbook.ensure_tabs([LEASE_SPEC])
    clock = FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    first, second = WorkbookLease(workbook, clock), WorkbookLease(workbook, clock)
    with (
        first.hold(),
        pytest.raises(LeaseBusy, match="holds the lease until 2026-03-12 10:20:00"),
        second.hold(),
    ):
        pass
    with second.hold():  # released: the next run takes it
        pass
    crashed = WorkbookLease(workbook, clock)
    crashed_hold = crashed.hold()
    crashed_hold.__enter__()  # a run that dies without releasing
    with pytest.raises(LeaseBusy), first.hold():
        pass
    clock.now += timedelta(minutes=21)
    with first.hold():  # the crashed run's lease has expired
        assert workbook.tables[LEASE].rows


def test_the_worker_schedules_every_job(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    settings = load_settings(tmp_path / "ws" / "hsb-sheets.toml")
    scheduler = build_scheduler(settings, build_context(settings))
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {
        "hsb-sheets-intake",
        "hsb-sheets-meetings",
        "hsb-sheets-reminders",
        "hsb-sheets-digest",
        "hsb-sheets-retention",
    }
    assert all(job.coalesce and job.max_instances == 1 for job in jobs.values())
    digest = jobs["hsb-sheets-digest"].trigger
    assert str(digest.timezone) == "Europe/London"
    fields = {f.name: str(f) for f in digest.fields}
    assert (fields["hour"], fields["minute"], fields["day_of_week"]) == ("8", "30", "mon-fri")


def test_bad_cron_settings_are_a_clear_error(tmp_path: Path) -> None:
    settings = tmp_path / "hsb-sheets.toml"
    settings.write_text('[schedule]\nintake = "every five minutes"\n')
    result = CliRunner().invoke(cli, ["--config", str(settings), "worker"])
    assert result.exit_code == 1 and "schedule.intake: is not a cron expression" in result.output


def test_the_worker_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "hsb_sheets", "--config", str(tmp_path / "ws" / "hsb-sheets.toml"), "worker"],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stderr is not None
        started = process.stderr.readline()
        assert "worker started" in started
        time.sleep(0.3)
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert "worker stopping signal=SIGTERM" in rest and "worker stopped" in rest


def test_the_lease_tab_stays_one_row_and_a_lost_race_lets_go(tmp_path: Path) -> None:
    workbook = MemoryWorkbook()
    workbook.ensure_tabs([LEASE_SPEC])
    clock = FixedClock(datetime(2026, 3, 12, 10, 0, tzinfo=UTC))
    lease = WorkbookLease(workbook, clock)
    for _ in range(3):
        with lease.hold():
            pass
        clock.now += timedelta(minutes=5)
    assert len(workbook.tables[LEASE].rows) == 1
    # Two runs that both found the lease free: both appended; the one not first must let go.
    other = WorkbookLease(workbook, clock)
    workbook.tables[LEASE].rows.clear()

    workbook.write(
        WriteBatch(
            appends=[
                Append(
                    LEASE,
                    {LeaseTab.HOLDER: "rival", LeaseTab.TAKEN: "x", LeaseTab.EXPIRES: "2026-03-12 10:30:00"},
                )
            ]
        )
    )
    original = other._rows
    calls = {"n": 0}

    def first_sees_nothing() -> list[dict[str, str]]:
        calls["n"] += 1
        return [] if calls["n"] == 1 else original()

    other._rows = first_sees_nothing  # type: ignore[method-assign]
    with pytest.raises(LeaseBusy, match="at the same moment"), other.hold():
        pass
    live = [r for r in workbook.tables[LEASE].rows if (read_time(r[2]) or clock.now) > clock.now]
    assert [r[0] for r in live] == ["rival"]  # the loser's own row was expired, the winner's kept

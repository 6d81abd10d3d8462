"""A job that fails on the register: the others run, and `run`, `status` and `doctor` each name it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import JOB_STATUS, MEETINGS, ROUTING_RULES, JobStatusTab, MeetingsTab

BROKEN_RULE = "Routing rules, row 3 (rule SVC-2), column 'age'"


def hsb(ws: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(ws / "hsb-sheets.toml"), *args])


def demo(tmp_path: Path) -> Path:
    assert CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")]).exit_code == 0
    return tmp_path / "ws"


def break_a_rule(ws: Path) -> None:
    """A coordinator's typo in the Routing rules tab: intake cannot route, the other jobs can run."""
    book = openpyxl.load_workbook(ws / "register.xlsx")
    sheet = book[ROUTING_RULES]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("age") + 1).value = "eight to seventeen"
    book.save(ws / "register.xlsx")


def job_outcomes(ws: Path) -> dict[str, str]:
    book = openpyxl.load_workbook(ws / "register.xlsx", read_only=True)
    rows = book[JOB_STATUS].iter_rows(values_only=True)
    header = list(next(rows))
    job, outcome = header.index(JobStatusTab.JOB), header.index(JobStatusTab.OUTCOME)
    return {str(r[job]): str(r[outcome]) for r in rows if r[job]}


def test_a_failing_job_is_named_by_run_status_and_doctor(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    break_a_rule(ws)

    run = hsb(ws, "run")
    assert run.exit_code == 1
    assert f"1 of 5 job(s) failed, the others ran:\n  intake: {BROKEN_RULE}" in run.output
    assert "meetings (did)" in run.output and "reminders: queued" in run.output  # they ran after it
    assert "digest: queued" in run.output and "Traceback" not in run.output
    outcomes = job_outcomes(ws)
    assert outcomes["intake"].startswith(f"failed: {BROKEN_RULE}")
    assert (
        outcomes["meetings"] == outcomes["reminders"] == outcomes["digest"] == outcomes["retention"] == "ok"
    )

    status = hsb(ws, "status")
    assert status.exit_code == 0  # status reports; it is not a check that fails
    assert f"attention intake: last run failed: {BROKEN_RULE}" in status.output

    doctor = hsb(ws, "doctor")
    assert doctor.exit_code == 1
    assert "Last runs: intake failed at " in doctor.output
    assert f"Jobs (dry run): intake: {BROKEN_RULE}" in doctor.output
    assert "hsb-sheets run --job intake" in doctor.output
    assert "Everything the jobs need is in place" not in doctor.output


def add_meetings_row(ws: Path, values: dict[str, str]) -> int:
    """A row typed below the Meetings tab's last; its sheet row."""
    book = openpyxl.load_workbook(ws / "register.xlsx")
    sheet = book[MEETINGS]
    header = [c.value for c in sheet[1]]
    row = sheet.max_row + 1
    for column, value in values.items():
        sheet.cell(row=row, column=header.index(column) + 1, value=value)
    book.save(ws / "register.xlsx")
    return row


def first_meeting(ws: Path) -> dict[str, str]:
    rows = openpyxl.load_workbook(ws / "register.xlsx", read_only=True)[MEETINGS].iter_rows(values_only=True)
    header = [str(c) for c in next(rows)]
    return {c: str(v or "") for c, v in zip(header, next(rows), strict=False)}


def test_doctor_names_rows_without_a_key_and_keys_on_two_rows(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    assert hsb(ws, "doctor").exit_code == 0
    first = first_meeting(ws)
    blank = add_meetings_row(ws, {MeetingsTab.CASE_ID: first[MeetingsTab.CASE_ID]})  # no Meeting
    twice = add_meetings_row(ws, {MeetingsTab.MEETING: first[MeetingsTab.MEETING]})
    doctor = hsb(ws, "doctor")
    assert doctor.exit_code == 1
    assert f"Row keys: 'Meetings' rows {blank} have values but no Meeting" in doctor.output
    assert f"'Meetings' has Meeting '{first[MeetingsTab.MEETING]}' on rows 2, {twice}" in doctor.output
    assert "Everything the jobs need is in place" not in doctor.output

"""The command line at 80 columns, dry runs with nothing to do, doctor listing every problem, and setup
naming a renamed header instead of adding a second, empty column."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from hsb_sheets.cli import cli
from hsb_sheets.config import Settings, WorkbookSettings
from hsb_sheets.domain.tabs import DIRECTORY, JOB_NAMES, OUTBOX, REFERRALS, ReferralsTab
from hsb_sheets.services.doctor import register_fix
from tests.conftest import valid_answers


def invoke(*args: str, columns: int = 80) -> Result:
    return CliRunner().invoke(cli, list(args), env={"COLUMNS": str(columns)}, terminal_width=columns)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("narrow") / "ws"
    assert invoke("demo", str(folder)).exit_code == 0
    return folder


def copy_of(demo: Path, tmp_path: Path) -> Path:
    """A workspace of its own: the demo's settings file, pointed at a copy of its register."""
    (tmp_path / "register.xlsx").write_bytes((demo / "register.xlsx").read_bytes())
    settings = (demo / "hsb-sheets.toml").read_text(encoding="utf-8")
    (tmp_path / "hsb-sheets.toml").write_text(settings, encoding="utf-8")
    (tmp_path / "outbox" / "invites").mkdir(parents=True, exist_ok=True)
    return tmp_path


def test_triage_at_80_columns_cuts_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = list(valid_answers())
    rows = [
        [valid_answers(traffic_light="Red")[i] for i in ids],
        [valid_answers(referrer_email="x")[i] for i in ids],
    ]
    with (tmp_path / "r.csv").open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([ids, *rows])
    monkeypatch.chdir(tmp_path)  # no workspace: shipped rules
    narrow = invoke("triage", "r.csv", "--today", "2026-03-10")
    assert narrow.exit_code == 0, narrow.output
    assert "…" not in narrow.output and max(len(line) for line in narrow.output.splitlines()) <= 80
    assert "  Route:            strategy_discussion" in narrow.output  # one record per row
    assert "Row 3\n  Valid:            no\n" in narrow.output
    wide = invoke("triage", "r.csv", "--today", "2026-03-10", columns=200)
    assert "┃ Row ┃ Valid ┃" in wide.output and "│ strategy_discussion │" in wide.output


def test_a_dry_run_with_nothing_to_do_says_so(demo: Path) -> None:
    result = invoke("--config", str(demo / "hsb-sheets.toml"), "run", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.count("dry run: nothing to do") == len(JOB_NAMES)  # one per job, no empty tables
    assert "Tab" not in result.output and "┏" not in result.output


def test_doctor_lists_every_problem_with_a_local_hint(demo: Path, tmp_path: Path) -> None:
    ws = copy_of(demo, tmp_path)
    book = openpyxl.load_workbook(ws / "register.xlsx")
    for row in book[DIRECTORY].iter_rows(min_row=2):
        if row[1].value == "police":
            row[3].value = "not-an-address"
    del book[OUTBOX]  # a missing tab no longer hides the other problems
    book.save(ws / "register.xlsx")
    (ws / "register.xlsx").chmod(0o600)  # openpyxl saves it world-readable, itself a doctor finding
    result = invoke("--config", str(ws / "hsb-sheets.toml"), "doctor")
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.output.splitlines()
    assert "fix  Register: The register has no 'Outbox' tab. Run 'hsb-sheets setup' to create it." in lines
    for area in ("Cambridgeshire", "Peterborough"):
        assert any(
            line.startswith("fix  Directory: ") and f"police address for {area}" in line for line in lines
        )
        assert f"fix  Directory: {area} has no police contact" in lines
    assert "skip Jobs (dry run): not checked: the 'Outbox' tab could not be read" in lines
    assert "service account" not in result.output  # a local register is never shared with one
    assert "5 problem(s) in 2 check(s) need attention: Register, Directory." in result.output


def test_doctor_lists_each_invalid_setting(tmp_path: Path) -> None:
    settings = tmp_path / "hsb-sheets.toml"
    settings.write_text('[workbook]\nbackend = "paper"\n[mail]\nbackend = "pigeon"\n', encoding="utf-8")
    result = invoke("--config", str(settings), "doctor")
    assert result.exit_code == 1
    problems = [line for line in result.output.splitlines() if line.startswith("fix  Settings: ")]
    assert len(problems) == 2 and "workbook.backend" in problems[0] and "mail.backend" in problems[1]


def test_the_register_hint_fits_the_backend() -> None:
    assert "service account" in register_fix(Settings(workbook=WorkbookSettings(backend="google")))
    local = register_fix(Settings())
    assert "service account" not in local and "hsb-sheets setup" in local


def test_setup_names_a_renamed_header_and_writes_nothing(demo: Path, tmp_path: Path) -> None:
    ws = copy_of(demo, tmp_path)
    book = openpyxl.load_workbook(ws / "register.xlsx")
    header = book[REFERRALS][1]
    next(c for c in header if c.value == ReferralsTab.WORKER).value = "Case worker"
    book.save(ws / "register.xlsx")
    before = (ws / "register.xlsx").read_bytes()
    result = invoke("--config", str(ws / "hsb-sheets.toml"), "setup")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "the Referrals column 'Worker' seems renamed to 'Case worker'; rename it back" in result.output
    assert (ws / "register.xlsx").read_bytes() == before  # no second, empty Worker column
    doctor = invoke("--config", str(ws / "hsb-sheets.toml"), "doctor")
    assert "fix  Headers: the Referrals column 'Worker' seems renamed to 'Case worker'" in doctor.output

"""`hsb-sheets doctor` on a healthy workspace and on the usual mistakes, each with a way to fix it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import DIRECTORY, REFERRALS


def doctor(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(config), "doctor"])
    return result.exit_code, result.output


def demo(tmp_path: Path) -> Path:
    assert CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")]).exit_code == 0
    return tmp_path / "ws"


def test_a_healthy_workspace_passes(tmp_path: Path) -> None:
    code, output = doctor(demo(tmp_path) / "hsb-sheets.toml")
    assert code == 0 and "Everything the jobs need is in place." in output


def test_problems_are_named_with_a_fix(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    book = openpyxl.load_workbook(ws / "register.xlsx")
    directory = book[DIRECTORY]
    for row in directory.iter_rows(min_row=2):
        if row[1].value == "police" and row[0].value == "Peterborough":
            row[3].value = "not-an-address"
    referrals = book[REFERRALS]
    referrals.delete_cols([c.value for c in referrals[1]].index("Flags") + 1)
    book.save(ws / "register.xlsx")
    code, output = doctor(ws / "hsb-sheets.toml")
    assert code == 1
    assert "the police address for Peterborough is not a valid email" in output
    assert "'Referrals': Flags" in output and "hsb-sheets setup" in output
    assert "Traceback" not in output


def test_missing_settings(tmp_path: Path) -> None:
    code, output = doctor(tmp_path / "nowhere.toml")
    assert code == 1 and "No settings file" in output


def test_a_google_register_without_credentials_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "hsb-sheets.toml"
    settings.write_text('[workbook]\nbackend = "google"\nspreadsheet_id = "abc"\n')
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    code, output = doctor(settings)
    assert code == 1 and "No service-account key" in output

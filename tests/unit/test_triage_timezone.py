"""`triage` reckons "today" in the service's time zone ([service] timezone), not the server's."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from hsb_sheets.cli import cli
from hsb_sheets.cli.common import AppState
from hsb_sheets.services.rules_in_use import shipped_rules
from hsb_sheets.services.triage import triage_file
from tests.conftest import valid_answers

# 23:30 UTC on 30 June is 00:30 on 1 July in London (BST) and 19:30 on 30 June in New York.
LATE_EVENING_UTC = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)


@pytest.fixture
def eighth_birthday(tmp_path: Path) -> Path:
    """A response without a Timestamp for a child who turns 8 on 1 July 2026 (at 7: signposted)."""
    answers = valid_answers(child_dob="01/07/2018", incident_date="01/06/2026")
    path = tmp_path / "responses.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(list(answers))
        writer.writerow(list(answers.values()))
    return path


def service_on(output: str) -> str:
    results = json.loads(output)
    assert results[0]["valid"], results
    return str(results[0]["decision"]["service"])


def test_today_is_the_day_it_is_in_london(eighth_birthday: Path) -> None:
    [result] = triage_file(shipped_rules(), eighth_birthday, LATE_EVENING_UTC)
    assert result["decision"]["service"] == "hsb"  # 8 today in London, though still 30 June in UTC


def test_the_command_uses_the_default_zone_without_a_workspace(
    eighth_birthday: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no workspace here: shipped rules, Europe/London
    monkeypatch.setattr(AppState, "clock", staticmethod(lambda: LATE_EVENING_UTC))
    result = CliRunner().invoke(cli, ["triage", str(eighth_birthday), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert service_on(result.output) == "hsb"


def test_the_command_uses_the_workspaces_zone(
    eighth_birthday: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    monkeypatch.setenv("HSB_SHEETS_SERVICE_TIMEZONE", "America/New_York")
    monkeypatch.setattr(AppState, "clock", staticmethod(lambda: LATE_EVENING_UTC))
    config = str(tmp_path / "ws" / "hsb-sheets.toml")
    result = CliRunner().invoke(cli, ["--config", config, "triage", str(eighth_birthday), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert service_on(result.output) == "advice_signpost"  # still 30 June, and 7, in New York

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


def test_google_access_is_checked_per_api_with_the_delegation_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hsb_sheets.adapters.calendar.google import SCOPES as CALENDAR
    from tests.fakes.google_token import CLIENT_ID, FakeTokenEndpoint, write_key

    ws = demo(tmp_path)
    from hsb_sheets.adapters.mail.gmail import SCOPES as GMAIL

    token = FakeTokenEndpoint(users={"hsb-service@example.gov.uk"}, delegated={CALENDAR[0], *GMAIL})
    key = write_key(tmp_path / "key.json", token.start())
    for name, value in {
        "CALENDAR_BACKEND": "google",
        "CALENDAR_DELEGATED_USER": "hsb-service@example.gov.uk",
        "CALENDAR_KEY_FILE": str(key),
        "MAIL_BACKEND": "gmail",
        "MAIL_GMAIL_MAILBOX": "hsb-team@example.gov.uk",  # a group, not a user
        "MAIL_GMAIL_KEY_FILE": str(key),
    }.items():
        monkeypatch.setenv(f"HSB_SHEETS_{name}", value)
    try:
        code, output = doctor(ws / "hsb-sheets.toml")
    finally:
        token.stop()
    assert code == 1 and "Traceback" not in output
    assert "Google access: Google Calendar: Google refused an access token" in output
    assert "unauthorized_client" in output and CLIENT_ID in output and CALENDAR[1] in output
    assert "Google access: Gmail: Google refused an access token (invalid_grant)" in output

"""Hygiene through the command line: the demo keeps to its own folder and mail, and bad configuration
is one clear message and exit 1, never a traceback, with nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result

from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.services.demo import DEMO_MARKER
from tests.integration.test_smtp import Recorder, free_port


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def fails_clearly(result: Result, *phrases: str) -> None:
    """Exit 1 with one message holding every phrase, and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a ClickException, not a crash
    assert "Traceback" not in result.output
    assert result.output.startswith("Error: ") and result.output.count("Error: ") == 1, result.output
    text = " ".join(result.output.split())
    for phrase in phrases:
        assert phrase in text, result.output


def responses_in(register: Path) -> int:
    rows = openpyxl.load_workbook(register, read_only=True)[FORM_RESPONSES].iter_rows(min_row=2)
    return sum(1 for row in rows if any(cell.value for cell in row))


@pytest.fixture
def smtp_server() -> Iterator[tuple[Recorder, int]]:
    recorder, port = Recorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    yield recorder, port
    controller.stop()


# The demo: never into a real workspace, never through real mail.


def test_the_demo_refuses_a_workspace_it_did_not_make(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path / "real")).exit_code == 0
    fails_clearly(invoke("demo", str(tmp_path / "real")), "holds a workspace the demo did not make")
    assert responses_in(tmp_path / "real" / "register.xlsx") == 0  # no fictional referral added
    assert list((tmp_path / "real" / "outbox").iterdir()) == []
    assert not (tmp_path / "real" / DEMO_MARKER).exists()


def test_the_demo_refuses_a_folder_holding_only_a_register(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path / "real")).exit_code == 0
    (tmp_path / "real" / "hsb-sheets.toml").unlink()
    before = (tmp_path / "real" / "register.xlsx").read_bytes()
    fails_clearly(invoke("demo", str(tmp_path / "real")), "register.xlsx", "Run it in a new folder")
    assert (tmp_path / "real" / "register.xlsx").read_bytes() == before
    assert not (tmp_path / "real" / "hsb-sheets.toml").exists()


def test_the_demo_mails_only_to_its_outbox_whatever_the_environment_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, port = smtp_server
    for name, value in {
        "MAIL_BACKEND": "smtp",
        "MAIL_SMTP_HOST": "127.0.0.1",
        "MAIL_SMTP_PORT": str(port),
        "WORKBOOK_PATH": str(tmp_path / "real.xlsx"),
    }.items():
        monkeypatch.setenv(f"HSB_SHEETS_{name}", value)
    result = invoke("demo", str(tmp_path / "ws"))
    assert result.exit_code == 0, result.output
    assert recorder.messages == []
    assert list((tmp_path / "ws" / "outbox").glob("*.eml"))
    assert not (tmp_path / "real.xlsx").exists() and (tmp_path / "ws" / "register.xlsx").exists()


def test_the_demo_mails_only_to_its_outbox_whatever_its_settings_file_says(
    tmp_path: Path, smtp_server: tuple[Recorder, int]
) -> None:
    recorder, port = smtp_server
    assert invoke("demo", str(tmp_path / "ws")).exit_code == 0  # its own workspace: it may reopen it
    settings = tmp_path / "ws" / "hsb-sheets.toml"
    text = settings.read_text().replace('backend = "eml"', 'backend = "smtp"')
    settings.write_text(
        text.replace('smtp_host = "localhost"', 'smtp_host = "127.0.0.1"').replace(
            "smtp_port = 25", f"smtp_port = {port}"
        )
    )
    for eml in (tmp_path / "ws" / "outbox").glob("*.eml"):
        eml.unlink()  # were the demo to send again, it would be through SMTP now
    (tmp_path / "ws" / "register.xlsx").unlink()
    result = invoke("demo", str(tmp_path / "ws"))
    assert result.exit_code == 0, result.output
    assert recorder.messages == []
    assert list((tmp_path / "ws" / "outbox").glob("*.eml"))

"""Hygiene through the command line: the demo keeps to its own folder and mail, and bad configuration
is one clear message and exit 1, never a traceback, with nothing half-written."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result

from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import (
    DIRECTORY,
    FORM_RESPONSES,
    MEETINGS,
    OUTBOX,
    SETTINGS,
    DirectoryTab,
    OutboxTab,
)
from hsb_sheets.resources import shipped
from hsb_sheets.services.demo import DEMO_MARKER, prepare_demo
from hsb_sheets.services.notifications import PENDING, SENT
from hsb_sheets.services.policy import MEETING_LENGTH, OFFICE_OPENS
from tests.integration.test_smtp import Recorder, free_port


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def fails_clearly(result: Result, *phrases: str) -> None:
    """Exit 1 with one message holding every phrase, and no traceback.

    The message is one line, or for `run` one line naming the failed jobs and one line per job.
    """
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a ClickException, not a crash
    assert "Traceback" not in result.output
    lines = result.output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("Error: ")]
    assert len(starts) == 1, result.output
    message = "\n".join(
        [lines[starts[0]], *(line for line in lines[starts[0] + 1 :] if line.startswith("  "))]
    )
    for phrase in phrases:
        assert phrase in message, result.output


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


# Bad configuration: one message naming what to fix, exit 1, nothing half-written.


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A local workspace holding fictional responses that no job has handled yet: its settings file."""
    prepare_demo(tmp_path / "ws")
    return tmp_path / "ws" / "hsb-sheets.toml"


def set_setting(settings: Path, key: str, value: str) -> None:
    text, count = re.subn(rf"(?m)^{key} = .*$", f"{key} = {value}", settings.read_text())
    assert count == 1, key
    settings.write_text(text)


def run(settings: Path, *args: str) -> Result:
    return invoke("--config", str(settings), *args)


def rows_of(register: Path, tab: str) -> list[dict[str, object]]:
    rows = list(openpyxl.load_workbook(register, read_only=True)[tab].iter_rows(values_only=True))
    header = [str(cell) for cell in rows[0]]
    return [dict(zip(header, row, strict=False)) for row in rows[1:] if any(row)]


def emails(folder: Path, kind: str = "") -> set[str]:
    return {p.name for p in folder.glob(f"{kind}*.eml")}


def test_a_settings_file_that_is_not_utf8(tmp_path: Path) -> None:
    settings = tmp_path / "hsb-sheets.toml"
    settings.write_bytes('[mail]\nsender = "caf\u00e9@example.gov.uk"\n'.encode("latin-1"))
    fails_clearly(run(settings, "run"), str(settings), "is not UTF-8 text")


def set_service(settings: Path, line: str) -> None:
    """Add a line to the [service] section of a settings file, wherever that section is."""
    text = settings.read_text()
    assert "[service]\n" in text
    settings.write_text(text.replace("[service]\n", f"[service]\n{line}\n", 1))


def test_a_rule_file_that_is_not_utf8(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path / "ws")).exit_code == 0
    settings = tmp_path / "ws" / "hsb-sheets.toml"
    rules = (shipped("config/routing_rules.csv")).read_bytes()
    (tmp_path / "ws" / "rules.csv").write_bytes(rules.replace(b",", b",caf\xe9 ", 1))  # Latin-1
    set_service(settings, 'routing_seed = "rules.csv"')
    fails_clearly(run(settings, "run"), "rules.csv is not UTF-8 text")
    examples = tmp_path / "examples.csv"
    examples.write_bytes(b"case,\xe9\n")
    fails_clearly(invoke("rules", "check", "--examples", str(examples)), "examples.csv is not UTF-8 text")


def test_a_form_definition_that_is_not_utf8(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path / "ws")).exit_code == 0
    settings = tmp_path / "ws" / "hsb-sheets.toml"
    form = (shipped("config/referral_form.yaml")).read_text(encoding="utf-8")
    (tmp_path / "ws" / "form.yaml").write_bytes(("# caf\u00e9\n" + form).encode("latin-1", "replace"))
    set_service(settings, 'form_definition = "form.yaml"')
    fails_clearly(run(settings, "run"), "form.yaml is not UTF-8 text")


def test_a_key_file_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    settings = tmp_path / "hsb-sheets.toml"
    settings.write_text(
        f'[workbook]\nbackend = "google"\nspreadsheet_id = "1AbCdEf"\nkey_file = "{tmp_path / "keys"}"\n'
    )
    fails_clearly(run(settings, "run"), "key file", "is a folder", "name the JSON key file itself")


@pytest.mark.parametrize(
    ("setting", "expects"),
    [(MEETING_LENGTH, "give a whole number from 15 to 480"), (OFFICE_OPENS, "give a time such as 09:00")],
)
def test_a_settings_tab_value_of_superscript_two(workspace: Path, setting: str, expects: str) -> None:
    register = workspace.parent / "register.xlsx"
    book = openpyxl.load_workbook(register)
    for row in book[SETTINGS].iter_rows(min_row=2):
        if row[0].value == setting:
            row[1].value = "\u00b2"
    book.save(register)
    fails_clearly(run(workspace, "run", "--job", "meetings"), f"Settings tab, '{setting}': {expects}")
    assert rows_of(register, MEETINGS) == []


def test_an_ics_folder_that_is_a_file_stops_before_any_invitation_is_sent(workspace: Path) -> None:
    folder = workspace.parent
    (folder / "invites.txt").write_text("not a folder")
    set_setting(workspace, "ics_folder", '"invites.txt"')
    assert run(workspace, "run", "--job", "intake").exit_code == 0
    fails_clearly(run(workspace, "run", "--job", "meetings"), "[calendar] ics_folder", "invites.txt")
    assert emails(folder / "outbox", "invite") == set()  # no invitation left while it could not be kept
    recorded = rows_of(folder / "register.xlsx", MEETINGS)  # recorded before sending, never as sent
    assert recorded and not [r for r in recorded if r["Status"] in ("Invited", "Rescheduled")]
    set_setting(workspace, "ics_folder", '"outbox/invites"')
    assert run(workspace, "run", "--job", "meetings").exit_code == 0
    invitations = emails(folder / "outbox", "invite")
    assert invitations and len(invitations) == len(list((folder / "outbox" / "invites").glob("*.ics")))


def test_an_outbox_that_is_a_file_stops_the_run_and_loses_no_email(workspace: Path) -> None:
    folder = workspace.parent
    (folder / "outbox.txt").write_text("not a folder")
    set_setting(workspace, "outbox", '"outbox.txt"')
    fails_clearly(run(workspace, "run", "--job", "intake"), "[mail] outbox", "outbox.txt")
    states = {row[OutboxTab.STATE] for row in rows_of(folder / "register.xlsx", OUTBOX)}
    assert states == {PENDING}  # not "waiting to retry" for ever, not failed: unsent until it is fixed
    set_setting(workspace, "outbox", '"outbox"')
    assert run(workspace, "run", "--job", "intake").exit_code == 0
    outbox = rows_of(folder / "register.xlsx", OUTBOX)
    assert {row[OutboxTab.STATE] for row in outbox} == {SENT}
    assert len(emails(folder / "outbox")) == len(outbox)  # each sent once


def test_a_renamed_directory_email_header_is_named(workspace: Path) -> None:
    register = workspace.parent / "register.xlsx"
    book = openpyxl.load_workbook(register)
    for cell in book[DIRECTORY][1]:
        if cell.value == DirectoryTab.EMAIL:
            cell.value = "E-mail address"
    book.save(register)
    assert run(workspace, "run", "--job", "intake").exit_code == 0
    expected = (f"The '{DIRECTORY}' tab has no 'Email' column", "rename it back or run 'hsb-sheets setup'")
    fails_clearly(run(workspace, "run", "--job", "meetings"), *expected)
    assert rows_of(register, MEETINGS) == []  # not every meeting silently "Needs scheduling"
    doctor = run(workspace, "doctor")
    assert doctor.exit_code == 1 and "Traceback" not in doctor.output
    assert f"Directory: The '{DIRECTORY}' tab has no 'Email' column" in doctor.output

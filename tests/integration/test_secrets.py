"""Secrets: the SMTP password and key files never reach the logs or doctor's output; a key file or
register readable by other users of the machine is named by doctor, with the chmod that fixes it."""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from click.testing import CliRunner

from hsb_sheets.bootstrap import build_context
from hsb_sheets.cli import cli
from hsb_sheets.config import load_settings
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.tabs import OUTBOX, OutboxTab
from hsb_sheets.logs import LOGGER, JsonLines, configure
from hsb_sheets.services.runner import run_job
from hsb_sheets.services.setup import setup_register
from hsb_sheets.services.workspace import create_workspace, import_responses
from tests.conftest import valid_answers
from tests.fakes.google_token import write_key
from tests.integration.test_smtp import Recorder, free_port

PASSWORD = "Tr0ub4dor&3-not-for-logs"


@pytest.fixture
def refusing_smtp() -> Iterator[int]:
    """An SMTP server offering AUTH without TLS, refusing every login (535)."""
    port = free_port()

    def refuse(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        return AuthResult(success=False, handled=False)

    controller = Controller(
        Recorder(), hostname="127.0.0.1", port=port, authenticator=refuse, auth_require_tls=False
    )
    controller.start()
    try:
        yield port
    finally:
        controller.stop()


def test_a_failing_smtp_login_logs_no_password(
    refusing_smtp: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "HSB_SHEETS_MAIL_BACKEND": "smtp",
        "HSB_SHEETS_MAIL_SMTP_HOST": "127.0.0.1",
        "HSB_SHEETS_MAIL_SMTP_PORT": str(refusing_smtp),
        "HSB_SHEETS_MAIL_SMTP_USERNAME": "hsb-service",
        "HSB_SHEETS_SMTP_PASSWORD": PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(logging.DEBUG)
    configure("json", "DEBUG")  # everything the system logs, at its most talkative
    ours, root = logging.getLogger(LOGGER), logging.getLogger()
    before = root.level
    ours.addHandler(keep)
    root.addHandler(keep)
    root.setLevel(logging.DEBUG)  # and every library's debug lines (urllib3, filelock) as well
    try:
        settings = load_settings(create_workspace(tmp_path / "ws"))
        assert settings.smtp_password == PASSWORD
        ctx = build_context(settings)
        setup_register(ctx)
        header = [TIMESTAMP, *(f.title for f in ctx.form.fields)]
        row = ["10/03/2026 09:00:00", *(valid_answers()[f.id] for f in ctx.form.fields)]
        import_responses(ctx, header, [row])
        run_job(ctx, "intake")
    finally:
        root.setLevel(before)
        root.removeHandler(keep)
        configure()
    outbox = ctx.workbook.read([OUTBOX])[OUTBOX]
    assert outbox.rows and all(s == "failed" for s in outbox.column("State"))
    assert all("rejected the login" in e for e in outbox.column(OutboxTab.ERROR))  # the login failed
    client = [r for r in records if not r.name.startswith("mail.log")]  # not the test server's own
    logged = capsys.readouterr().err + "\n".join(JsonLines().format(r) for r in client)
    assert "job finished" in logged and "emails_failed" in logged
    assert PASSWORD not in logged
    assert base64.b64encode(PASSWORD.encode()).decode() not in logged
    register = ctx.workbook.read([OUTBOX])[OUTBOX]
    assert all(PASSWORD not in cell for row in register.rows for cell in row)


def demo(tmp_path: Path) -> Path:
    assert CliRunner().invoke(cli, ["demo", str(tmp_path / "ws")]).exit_code == 0
    return tmp_path / "ws"


def doctor(ws: Path, env: dict[str, str] | None = None) -> tuple[int, str]:
    wide = {"COLUMNS": "1000", **(env or {})}  # each table cell on one line
    result = CliRunner().invoke(cli, ["--config", str(ws / "hsb-sheets.toml"), "doctor"], env=wide)
    return result.exit_code, result.output


def test_a_new_register_is_not_readable_by_every_user_and_doctor_says_so(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        ws = demo(tmp_path)
    finally:
        os.umask(old)
    assert (ws / "register.xlsx").stat().st_mode & 0o777 == 0o640
    code, output = doctor(ws)
    assert code == 0, output
    assert "readable by its group's members" in output  # said, not an error


def test_a_register_readable_by_every_user_is_an_error_with_the_chmod(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    os.chmod(ws / "register.xlsx", 0o644)
    outbox = sorted((ws / "outbox").glob("*.eml"))
    os.chmod(outbox[0], 0o644)
    code, output = doctor(ws)
    assert code == 1
    flat = " ".join(output.split())
    assert f"error: The register {ws / 'register.xlsx'} is readable by every user of this machine." in flat
    assert f"Run: chmod go-rwx '{ws / 'register.xlsx'}'" in flat
    assert f"The outbox {outbox[0]} is readable by every user" in flat


def test_a_key_file_readable_by_others_is_a_warning_and_no_secret_is_printed(tmp_path: Path) -> None:
    ws = demo(tmp_path)
    key = write_key(tmp_path / "key.json", "http://127.0.0.1:9/token")
    os.chmod(key, 0o644)
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key), "HSB_SHEETS_SMTP_PASSWORD": PASSWORD}
    code, output = doctor(ws, env)
    flat = " ".join(output.split())
    assert code == 0, output  # a warning, not a failure
    assert f"warning: The key file {key} is readable by every user of this machine." in flat
    assert f"chmod go-rwx '{key}'" in flat
    private = key.read_text()
    assert PASSWORD not in output and "PRIVATE KEY" not in output
    assert not any(line in output for line in private.split("\\n")[1:3])
    os.chmod(key, 0o600)
    (secrets,) = [line for line in doctor(ws, env)[1].splitlines() if "Secrets:" in line]
    assert "readable by every user" not in secrets and "owner only" in secrets


def test_doctor_names_the_audit_log_row_edited_in_the_register_file(tmp_path: Path) -> None:
    import openpyxl

    from hsb_sheets.domain.tabs import AUDIT_LOG, AuditLogTab

    ws = demo(tmp_path)
    code, output = doctor(ws)
    assert code == 0 and "row(s) chained, each linked to the one before" in output
    book = openpyxl.load_workbook(ws / "register.xlsx")
    sheet = book[AUDIT_LOG]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=7, column=header.index(AuditLogTab.DETAIL) + 1).value = "quietly changed"
    book.save(ws / "register.xlsx")
    code, output = doctor(ws)
    flat = " ".join(output.split())
    assert code == 1
    assert "Audit log chain: " in flat and "row 7 (Sequence 6) does not match its hash" in flat

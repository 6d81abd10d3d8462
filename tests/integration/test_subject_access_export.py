"""`hsb-sheets export CASE_ID`: everything held about one child, redactions marked, audited, mode 0600."""

from __future__ import annotations

import csv
import io
import stat
from datetime import timedelta
from pathlib import Path

import pypdf
import pytest
from click.testing import CliRunner

from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import AUDIT_LOG, INTERVENTIONS, REFERRALS, AuditLogTab
from hsb_sheets.errors import WorkbookError
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from hsb_sheets.services.subject_access import OTHER_CASE, THIRD_PARTY, export_case
from hsb_sheets.services.submissions import submission_for
from tests.conftest import valid_answers
from tests.integration.test_journaled_register import NOW, CountingMailer, context, workspace

__all__ = ["workspace"]  # the fixture
FIRST, SECOND = "HSB-2026-0001", "HSB-2026-0002"
FIRST_ACCOUNT = "A fictional first account of the behaviour, for testing."


@pytest.fixture
def ctx(workspace: Path) -> Context:
    ctx = context(workspace, CountingMailer())
    first = valid_answers(referrer_email="first.referrer@example.org", behaviour_description=FIRST_ACCOUNT)
    second = valid_answers(referrer_email="second.referrer@example.org")  # the same child: a duplicate
    ctx.journal.add_submission(submission_for(ctx, "S1", NOW, first))
    ctx.journal.add_submission(submission_for(ctx, "S2", NOW + timedelta(seconds=5), second))
    assert run_intake(ctx).registered == [FIRST, SECOND]
    ctx.workbook.write(
        WriteBatch(
            appends=[
                Append(
                    INTERVENTIONS,
                    {
                        "Case ID": SECOND,
                        "Intervention": "Safety planning",
                        "Start date": "01/04/2026",
                        "Worker email": "worker@example.gov.uk",
                    },
                )
            ],
            updates=[Update(REFERRALS, "Case ID", SECOND, {"Notes": "Met the family."})],
        )
    )
    return ctx


def export(workspace: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["--config", str(workspace / "hsb-sheets.toml"), "export", *args])
    return result.exit_code, result.output


def test_the_csv_holds_everything_about_the_child_and_marks_what_is_not_theirs(
    ctx: Context, workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "case.csv"
    code, output = export(
        workspace, SECOND, "--format", "csv", "--output", str(out), "--requested-by", "Dee Pio"
    )
    assert code == 0, output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    by_field = {(r["Section"], r["Field"]): r for r in rows}
    assert by_field[("Referrals", "Child first name")]["Value"] == "Robin"
    assert by_field[("Referrals", "Child first name")]["Redaction"] == ""
    assert by_field[("Referrals", "Referrer email")]["Redaction"] == THIRD_PARTY
    assert by_field[("Form responses 1", "Your email address")]["Redaction"] == THIRD_PARTY
    assert by_field[("Referrals", "Possible duplicate of")]["Value"] == FIRST
    assert by_field[("Referrals", "Possible duplicate of")]["Redaction"] == OTHER_CASE
    assert by_field[("Interventions", "Worker email")]["Redaction"] == THIRD_PARTY
    assert "free text" in by_field[("Referrals", "Notes")]["Redaction"]
    assert {r["Section"] for r in rows} >= {
        "Referrals",
        "Form responses 1",
        "Outbox",
        "Interventions",
        "Audit log",
    }
    text = out.read_text(encoding="utf-8-sig")
    assert "first.referrer@example.org" not in text and FIRST_ACCOUNT not in text  # the other case's
    [entry] = [
        r for r in ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].records() if r[AuditLogTab.JOB] == "export"
    ]
    assert entry[AuditLogTab.CASE_ID] == SECOND and "requested by Dee Pio; csv" in entry[AuditLogTab.DETAIL]


def test_the_pdf_reads_back_with_the_case_and_the_redaction_marks(
    ctx: Context, workspace: Path, tmp_path: Path
) -> None:
    out = tmp_path / "case.pdf"
    code, output = export(workspace, FIRST, "--output", str(out))
    assert code == 0, output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    reader = pypdf.PdfReader(out, strict=True)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Subject access export: case {FIRST}" in text
    assert "Child first name: Robin" in text and f"Behaviour description: {FIRST_ACCOUNT}" in text
    assert "Referrer email: first.referrer@example.org\n    [REDACT] third party" in text
    assert "second.referrer@example.org" not in text
    details = [r[AuditLogTab.DETAIL] for r in ctx.workbook.read([AUDIT_LOG])[AUDIT_LOG].records()]
    assert any(d.startswith("subject access export requested by ") and "; pdf;" in d for d in details)


def test_no_file_is_left_when_the_export_cannot_be_audited(
    ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(batch: WriteBatch) -> None:
        raise WorkbookError("The register cannot be written.")

    folder = tmp_path / "exports"
    folder.mkdir()
    monkeypatch.setattr(ctx.workbook, "write", refuse)
    with pytest.raises(WorkbookError):
        export_case(ctx, FIRST, "pdf", folder / "case.pdf", "Dee Pio")
    assert list(folder.iterdir()) == []  # neither the export nor its temporary file


def test_an_unknown_case_or_an_existing_file_is_one_clear_message(
    ctx: Context, workspace: Path, tmp_path: Path
) -> None:
    code, output = export(workspace, "HSB-2026-0099", "--output", str(tmp_path / "x.pdf"))
    assert code == 1 and "no case HSB-2026-0099" in output and "Traceback" not in output
    there = tmp_path / "there.csv"
    there.write_text("keep me", encoding="utf-8")
    code, output = export(workspace, FIRST, "--format", "csv", "--output", str(there))
    assert code == 1 and "exists already" in output and there.read_text(encoding="utf-8") == "keep me"

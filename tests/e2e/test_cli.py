"""The command line, end to end through click's CliRunner on real workspaces."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import (
    INTAKE_ISSUES,
    INTERVENTIONS,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    ROUTING_RULES,
    InterventionsTab,
    ReferralsTab,
)
from tests.conftest import ROOT, form_column, valid_answers

EXPECTED_KEYS = [
    "service",
    "route",
    "meeting",
    "invitees",
    "pathways",
    "actions",
    "assessment_tools",
    "flags",
    "recording_system",
    "rules_fired",
]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def row_counts(workbook: Path) -> dict[str, int]:
    book = openpyxl.load_workbook(workbook, read_only=True)
    return {
        name: sum(1 for row in book[name].iter_rows(min_row=2, values_only=True) if any(row))
        for name in (REFERRALS, INTAKE_ISSUES, OUTBOX, MEETINGS)
    }


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    result = invoke("demo", str(tmp_path / "demo"))
    assert result.exit_code == 0, result.output
    return tmp_path / "demo"


def test_demo_builds_a_register_and_a_rerun_duplicates_nothing(demo_dir: Path) -> None:
    counts = row_counts(demo_dir / "register.xlsx")
    assert counts[REFERRALS] >= 20 and counts[INTAKE_ISSUES] >= 3 and counts[MEETINGS] >= 10
    emails = sorted(p.name for p in (demo_dir / "outbox").glob("*.eml"))
    invites = sorted(p.name for p in (demo_dir / "outbox" / "invites").glob("*.ics"))
    assert len(emails) == counts[OUTBOX] and invites

    result = invoke("--config", str(demo_dir / "hsb-sheets.toml"), "run")
    assert result.exit_code == 0, result.output
    assert "registered 0 referral(s), 0 intake issue(s)" in result.output
    assert "0 new, 0 invited" in result.output
    assert row_counts(demo_dir / "register.xlsx") == counts
    assert sorted(p.name for p in (demo_dir / "outbox" / "invites").glob("*.ics")) == invites
    assert sorted(p.name for p in (demo_dir / "outbox").glob("*.eml")) == emails

    for job in ("reminders", "digest"):
        rerun = invoke("--config", str(demo_dir / "hsb-sheets.toml"), "run", "--job", job)
        assert rerun.exit_code == 0, rerun.output
    assert (
        "queued 0 reminder(s)"
        in invoke("--config", str(demo_dir / "hsb-sheets.toml"), "run", "--job", "reminders").output
    )
    assert sorted(p.name for p in (demo_dir / "outbox").glob("*.eml")) == emails
    assert row_counts(demo_dir / "register.xlsx") == counts

    again = invoke("demo", str(demo_dir))  # the demo itself is safe to rerun
    assert again.exit_code == 0 and row_counts(demo_dir / "register.xlsx") == counts


def test_demo_exercises_every_route_and_service(demo_dir: Path) -> None:
    book = openpyxl.load_workbook(demo_dir / "register.xlsx", read_only=True)
    rows = list(book[REFERRALS].iter_rows(values_only=True))
    header = list(rows[0])
    column = {
        name: {r[header.index(name)] for r in rows[1:]}
        for name in (ReferralsTab.ROUTE, ReferralsTab.SERVICE, ReferralsTab.RECORDING_SYSTEM)
    }
    assert column[ReferralsTab.ROUTE] == {"strategy_discussion", "early_help", "universal", "adult_services"}
    assert column[ReferralsTab.SERVICE] == {"hsb", "advice_signpost", "out_of_scope"}
    assert column[ReferralsTab.RECORDING_SYSTEM] == {"ChildView", "CAPITA"}
    flags = ",".join(str(r[header.index(ReferralsTab.FLAGS)] or "") for r in rows[1:])
    assert "possible_duplicate" in flags and "aim_deferred_until_responsibility" in flags


def test_demo_has_interventions_in_every_state_and_their_emails(demo_dir: Path) -> None:
    book = openpyxl.load_workbook(demo_dir / "register.xlsx", read_only=True)
    rows = list(book[INTERVENTIONS].iter_rows(values_only=True))
    statuses = {r[rows[0].index(InterventionsTab.STATUS)] for r in rows[1:]}
    assert statuses == {"Open", "Summary due", "Overdue", "Complete"}
    kinds = {p.name.split("-")[0] for p in (demo_dir / "outbox").glob("*.eml")}
    assert {"acknowledgement", "intake_issue", "invite", "needs_scheduling", "reminder", "digest"} <= kinds


def test_demo_stores_a_formula_answer_as_text(demo_dir: Path) -> None:
    sheet = openpyxl.load_workbook(demo_dir / "register.xlsx")[REFERRALS]
    header = [c.value for c in sheet[1]]
    cells = [row[header.index(form_column("school_or_setting"))] for row in sheet.iter_rows(min_row=2)]
    formula = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=HYPERLINK")]
    assert formula and all(c.data_type == "s" for c in formula)


def test_dry_run_changes_nothing(demo_dir: Path) -> None:
    register = demo_dir / "register.xlsx"
    book = openpyxl.load_workbook(register)
    sheet = book["Form responses 1"]
    first = [c.value for c in sheet[2]]
    first[0] = datetime.now().strftime("%d/%m/%Y %H:%M:%S")
    first[2] = "new-referrer@example.org"
    sheet.append(first)
    book.save(register)
    before = register.read_bytes()
    result = invoke("--config", str(demo_dir / "hsb-sheets.toml"), "run", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "would register 1 referral(s)" in result.output
    assert "Dry run: nothing was written or sent" in result.output
    assert register.read_bytes() == before


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_triage_json_has_the_documented_shape(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = list(valid_answers())
    rows = [
        [valid_answers(traffic_light="Red")[i] for i in ids],
        [""] * len(ids),  # a blank line keeps the spreadsheet's row numbering
        [valid_answers(child_dob="31/02/2014", referrer_email="nope")[i] for i in ids],
    ]
    source = write_csv(tmp_path / "responses.csv", ids, rows)
    monkeypatch.chdir(tmp_path)  # no workspace here: shipped rules
    result = invoke("triage", str(source), "--format", "json", "--today", "2026-03-10")
    assert result.exit_code == 0, result.output
    output = json.loads(result.output)
    assert [r["row"] for r in output] == [2, 4]
    valid, invalid = output
    assert (
        set(valid) == {"row", "valid", "errors", "decision"}
        and valid["valid"] is True
        and valid["errors"] == []
    )
    assert list(valid["decision"]) == EXPECTED_KEYS
    assert valid["decision"]["route"] == "strategy_discussion"
    assert set(invalid) == {"row", "valid", "errors"} and invalid["valid"] is False
    assert {e["field"] for e in invalid["errors"]} == {"child_dob", "referrer_email"}


def test_triage_accepts_question_titles_and_uses_today_for_age(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hsb_sheets.bootstrap import load_form

    form = load_form()
    answers = valid_answers(child_dob="11/03/2018", incident_date="01/03/2026")
    source = write_csv(
        tmp_path / "titles.csv", [f.title for f in form.fields], [[answers[f.id] for f in form.fields]]
    )
    monkeypatch.chdir(tmp_path)  # no workspace here: shipped rules
    day_before = json.loads(invoke("triage", str(source), "--format", "json", "--today", "2026-03-10").output)
    birthday = json.loads(invoke("triage", str(source), "--format", "json", "--today", "2026-03-11").output)
    table = invoke("triage", str(source), "--today", "2026-03-11")
    assert day_before[0]["decision"]["service"] == "advice_signpost"  # still 7
    assert birthday[0]["decision"]["service"] == "hsb"  # 8 on the day
    assert table.exit_code == 0 and "universal" in table.output


def test_triage_of_a_form_that_does_not_match_is_one_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(tmp_path / "bad.csv", ["Timestamp", "Favourite colour"], [["01/03/2026", "blue"]])
    monkeypatch.chdir(tmp_path)  # no workspace here: shipped rules
    result = CliRunner().invoke(cli, ["triage", str(source)])
    assert result.exit_code == 1
    assert "columns not in the form definition: 'Favourite colour'" in result.output
    assert "Traceback" not in result.output


def test_rules_check_passes_on_the_shipped_table(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no workspace here: shipped rules
    result = invoke("rules", "check")
    assert result.exit_code == 0, result.output
    assert "worked examples pass" in result.output


def test_rules_check_names_a_broken_row_in_the_workspace(demo_dir: Path) -> None:
    register = demo_dir / "register.xlsx"
    book = openpyxl.load_workbook(register)
    sheet = book[ROUTING_RULES]
    header = [c.value for c in sheet[1]]
    sheet.cell(row=3, column=header.index("age") + 1).value = "eight to seventeen"
    book.save(register)
    result = CliRunner().invoke(cli, ["--config", str(demo_dir / "hsb-sheets.toml"), "rules", "check"])
    assert result.exit_code == 1
    assert "Routing rules, row 3 (rule SVC-2), column 'age'" in result.output
    assert "Traceback" not in result.output
    run = CliRunner().invoke(cli, ["--config", str(demo_dir / "hsb-sheets.toml"), "run"])
    assert run.exit_code == 1 and "row 3 (rule SVC-2)" in run.output


def test_bad_settings_are_one_message_and_a_nonzero_exit(tmp_path: Path) -> None:
    settings = tmp_path / "hsb-sheets.toml"
    settings.write_text('[mail]\nsmtp_port = "many"\nbackend = "pigeon"\n')
    result = CliRunner().invoke(cli, ["--config", str(settings), "run"])
    assert result.exit_code == 1
    assert "mail.smtp_port" in result.output and "mail.backend" in result.output
    assert "Traceback" not in result.output


def test_running_without_a_workspace_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no workspace here: shipped rules
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 1
    assert "Run 'hsb-sheets init DIR'" in result.output


def test_init_then_setup_is_idempotent(tmp_path: Path) -> None:
    assert invoke("init", str(tmp_path / "ws")).exit_code == 0
    result = invoke("--config", str(tmp_path / "ws" / "hsb-sheets.toml"), "setup")
    assert "nothing changed" in result.output


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hsb_sheets", "--help"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0 and "triage" in result.stdout

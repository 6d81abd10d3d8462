"""A register seeded with the earlier routing table: `rules check` says how it differs, and
`setup --update-rules` replaces it, keeping the old rows in the Audit log (CliRunner, real .xlsx)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result

from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import AUDIT_LOG, ROUTING_RULES, AuditLogTab
from hsb_sheets.resources import shipped
from tests.conftest import ROOT

EARLIER = ROOT / "tests" / "data" / "routing_rules_before_2026-12-01.csv"


def invoke(settings: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(settings), *args], catch_exceptions=False)


def tab(register: Path, name: str) -> list[dict[str, str]]:
    """A tab's rows holding anything, as text by header."""
    sheet = openpyxl.load_workbook(register, read_only=True)[name]
    rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:] if any(row)]


def csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture
def earlier(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A workspace whose register an earlier version seeded: the settings of that time named no seed."""
    monkeypatch.setenv("HSB_SHEETS_SERVICE_ROUTING_SEED", str(EARLIER))
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "ws")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    monkeypatch.delenv("HSB_SHEETS_SERVICE_ROUTING_SEED")
    return tmp_path / "ws" / "hsb-sheets.toml"


def test_rules_check_says_how_the_tab_differs_and_what_to_run(earlier: Path) -> None:
    result = invoke(earlier, "rules", "check")
    out = " ".join(result.output.split())
    assert "differs from the shipped table (11 added, 0 removed, 11 changed, the order differs)" in out
    assert "Added (in the shipped table only): RTE-4 (18 and over: adult services" in out
    assert "Added (in the shipped table only): FLG-8 (HSB service without a lead professional" in out
    assert (
        "Changed: ACT-2 (A lead professional is given: notify them): Description is 'Open to a service: "
        "notify the lead professional' in the register, 'A lead professional is given: notify them' "
        "shipped; not_open is 'false' in the register, blank shipped; lead_professional_given is blank "
        "in the register, 'true' shipped" in out
    )
    assert "Run 'hsb-sheets setup --update-rules'" in out
    # The earlier table still parses; the revised worked examples show what it decides otherwise.
    assert "31 rules from the 'Routing rules' tab" in out
    assert result.exit_code == 1 and "Adult, 18, healthy" in out


def test_update_rules_replaces_the_tab_and_keeps_the_old_rows(earlier: Path) -> None:
    register = earlier.parent / "register.xlsx"
    before = tab(register, ROUTING_RULES)
    result = invoke(earlier, "setup", "--update-rules")
    assert result.exit_code == 0, result.output
    assert (
        "replaced the routing rules with the shipped table (11 added, 0 removed, 11 changed" in result.output
    )

    header, rows = csv_rows(shipped("config/routing_rules.csv"))
    after = tab(register, ROUTING_RULES)
    assert [{c: r.get(c, "") for c in header} for r in after] == [
        dict(zip(header, r, strict=True)) for r in rows
    ]
    audit = tab(register, AUDIT_LOG)
    kept = [a for a in audit if a[AuditLogTab.ACTION] == "old routing rule kept"]
    assert [a[AuditLogTab.RULE_IDS] for a in kept] == [r["Rule"] for r in before]
    old_header, old_rows = csv_rows(EARLIER)
    first = next(csv.reader([kept[0][AuditLogTab.DETAIL]]))
    assert first[: len(old_header)] == old_rows[0]
    assert any(a[AuditLogTab.ACTION] == "routing rules replaced" for a in audit)

    check = invoke(earlier, "rules", "check")
    assert check.exit_code == 0, check.output
    assert "holds the shipped table" in check.output and "All 19 worked examples pass" in check.output

    again = invoke(earlier, "setup", "--update-rules")
    assert "nothing changed" in again.output
    assert tab(register, ROUTING_RULES) == after and len(tab(register, AUDIT_LOG)) == len(audit)


def test_setup_without_the_flag_keeps_the_registers_own_rules(earlier: Path) -> None:
    register = earlier.parent / "register.xlsx"
    before = tab(register, ROUTING_RULES)
    assert invoke(earlier, "setup").exit_code == 0
    assert [r["Rule"] for r in tab(register, ROUTING_RULES)] == [r["Rule"] for r in before]
    assert "differs from the shipped table" in invoke(earlier, "rules", "check").output


def test_a_row_without_a_rule_id_is_named_and_nothing_is_replaced(earlier: Path) -> None:
    register = earlier.parent / "register.xlsx"
    book = openpyxl.load_workbook(register)
    sheet = book[ROUTING_RULES]
    sheet.cell(row=5, column=1).value = None  # rule RTE-1 loses its id
    book.save(register)
    before = tab(register, ROUTING_RULES)
    result = CliRunner().invoke(cli, ["--config", str(earlier), "setup", "--update-rules"])
    assert result.exit_code == 1
    assert "Routing rules, row 5: it has no rule id, so its row cannot be replaced" in result.output
    assert "Traceback" not in result.output
    assert [r["Rule"] for r in tab(register, ROUTING_RULES)] == [r["Rule"] for r in before]

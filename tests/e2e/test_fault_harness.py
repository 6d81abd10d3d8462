"""The fault harness's checker, tested: a clean workspace passes, and each planted fault is found.

The workspace is made by the real CLI (init, the example Directory, three fictional responses pasted
into "Form responses 1", one run); the faults are then planted by hand in its files. The full
harness (benchmarks/fault_harness.py) is run by hand only.
"""

from __future__ import annotations

import random
import shutil
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from benchmarks import fault_actions as act
from benchmarks.fault_checks import (
    LONDON,
    Edit,
    Ledger,
    Problem,
    Response,
    canonical,
    check_workspace,
    counts,
    read_register,
)
from benchmarks.fault_data import directory_rows, make_referral, paste_timestamp, read_form
from hsb_sheets.cli import cli


def _paste(register: Path, ledger: Ledger) -> None:
    form, rng = read_form(), random.Random(5)
    now = datetime.now(LONDON).replace(tzinfo=None)
    records = []
    for number, valid in ((1, True), (2, True), (3, False)):
        referral = make_referral(rng, 0, number, now.date(), valid)
        # A strategy discussion in Cambridgeshire, whose invitees the Directory all has.
        referral.answers.update(
            traffic_light="Red",
            harm_caused="Yes",
            child_area="Cambridgeshire",
            school_or_setting="",
            lead_professional_email="",
            open_to_services="None of these",
        )
        instant = paste_timestamp(now, number)
        records.append({"Timestamp": instant, **{form.titles[f]: referral.answers[f] for f in form.ids}})
        ledger.responses[referral.tag] = Response(referral.tag, valid, canonical(instant))
    act.append_rows(register, "Form responses 1", records)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Ledger]:
    workspace = tmp_path_factory.mktemp("harness") / "ws"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(workspace)]).exit_code == 0
    register = workspace / "register.xlsx"
    head, *body = directory_rows()
    act.append_rows(register, "Directory", [dict(zip(head, row, strict=True)) for row in body])
    ledger = Ledger()
    _paste(register, ledger)
    result = runner.invoke(cli, ["--config", str(workspace / "hsb-sheets.toml"), "run"])
    assert result.exit_code == 0, result.output
    case = read_register(register)["Referrals"][0]["Case ID"]
    assert act.type_values(register, "Referrals", (("Case ID", case),), {"Notes": "Call the school"})
    ledger.edits.append(Edit("Referrals", (("Case ID", case),), "Notes", "Call the school"))
    return workspace, ledger


@pytest.fixture
def workspace(made: tuple[Path, Ledger], tmp_path: Path) -> tuple[Path, Ledger]:
    original, ledger = made
    copy = tmp_path / "ws"
    shutil.copytree(original, copy)
    return copy, Ledger(responses=dict(ledger.responses), edits=list(ledger.edits))


def _kinds(problems: list[Problem]) -> set[str]:
    return {p.kind for p in problems}


def _set_cell(register: Path, tab: str, column: str, row: int, value: str | None) -> None:
    book = openpyxl.load_workbook(register)
    sheet = book[tab]
    names = [c.value for c in sheet[1]]
    sheet.cell(row, names.index(column) + 1).value = value
    book.save(register)


def test_a_clean_workspace_has_no_problems(workspace: tuple[Path, Ledger]) -> None:
    folder, ledger = workspace
    tables = read_register(folder / "register.xlsx")
    assert len(tables["Referrals"]) == 2 and len(tables["Intake issues"]) == 1
    assert [m for m in tables["Meetings"] if m.get("Event ID")], "the fixture needs an invited meeting"
    problems = check_workspace(folder, ledger)
    assert problems == []
    assert set(counts(problems).values()) == {0}


def test_a_duplicate_email_is_found(workspace: tuple[Path, Ledger]) -> None:
    folder, ledger = workspace
    first = sorted((folder / "outbox").glob("acknowledgement-*.eml"))[0]
    shutil.copyfile(first, folder / "outbox" / "acknowledgement-again.eml")
    problems = check_workspace(folder, ledger)
    assert _kinds(problems) == {"duplicate_notification"}
    assert counts(problems)["duplicated"] == 2  # the key in two files, and the referrer told twice
    assert any("identical copies" in p.detail for p in problems)


def test_a_reused_case_id_is_found(workspace: tuple[Path, Ledger]) -> None:
    folder, ledger = workspace
    register = folder / "register.xlsx"
    check_workspace(folder, ledger)  # the ledger sees each case id with its response
    first = read_register(register)["Referrals"][0]["Case ID"]
    _set_cell(register, "Referrals", "Case ID", 3, first)  # the second referral now claims the first's id
    problems = check_workspace(folder, ledger)
    reused = {p.detail for p in problems if p.kind == "reused_id"}
    assert f"{first} is on 2 Referrals rows" in reused
    assert f"{first} named n01, then n02" in reused  # the id the first response was given, now another's
    assert "changed_id" in _kinds(problems)  # and the second response's own id changed
    assert "mismatched_acknowledgement" in _kinds(problems)  # its referrer was told another id


def test_a_lost_edit_is_found(workspace: tuple[Path, Ledger]) -> None:
    folder, ledger = workspace
    _set_cell(folder / "register.xlsx", "Referrals", "Notes", 2, None)
    problems = check_workspace(folder, ledger)
    assert _kinds(problems) == {"lost_edit"} and counts(problems)["lost_edits"] == 1


def test_an_edit_is_found_by_key_after_a_sort_and_an_inserted_row(workspace: tuple[Path, Ledger]) -> None:
    folder, ledger = workspace
    register = folder / "register.xlsx"
    assert act.sort_tab(register, "Referrals", "Case ID", descending=True)
    assert act.insert_blank_row(register, "Referrals")
    assert check_workspace(folder, ledger) == []


def test_a_mismatched_invitation_is_found(workspace: tuple[Path, Ledger]) -> None:
    folder, ledger = workspace
    register = folder / "register.xlsx"
    meetings = read_register(register)["Meetings"]
    row = next(n for n, m in enumerate(meetings, start=2) if m.get("Event ID"))
    _set_cell(register, "Meetings", "Event start", row, "2030-01-07 10:00")  # not the time that was sent
    problems = check_workspace(folder, ledger)
    assert _kinds(problems) == {"mismatched_invitation"}
    assert counts(problems)["mismatched_invitations"] == 1


def test_a_lost_response_and_its_lost_email_are_found(workspace: tuple[Path, Ledger]) -> None:
    folder, ledger = workspace
    register = folder / "register.xlsx"
    gone = act.delete_row(register, "Intake issues", lambda records: 0)
    assert gone
    for mail in (folder / "outbox").glob("intake_issue-*.eml"):
        mail.unlink()
    problems = check_workspace(folder, ledger)
    assert _kinds(problems) == {"lost", "lost_notification"}
    assert counts(problems)["lost"] == 2

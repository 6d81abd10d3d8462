"""The demo shows every path of the revised protocol (issue 12) and what coordinators and jobs did."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from hsb_sheets.cli import cli
from hsb_sheets.domain.tabs import AUDIT_LOG, MEETINGS, NEXT_STEPS, REFERRALS, ReferralsTab
from tests.conftest import form_column

Records = list[dict[str, str]]


def read(register: Path, tab: str) -> Records:
    rows = list(openpyxl.load_workbook(register, read_only=True)[tab].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [
        {h: "" if v is None else str(v) for h, v in zip(header, r, strict=False)} for r in rows[1:] if any(r)
    ]


def description(path: Path) -> str:
    [event] = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return str(event["description"])


def by_case(rows: Records) -> dict[str, dict[str, str]]:
    return {r[ReferralsTab.CASE_ID]: r for r in rows}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    folder = tmp_path_factory.mktemp("paths") / "ws"
    result = CliRunner().invoke(cli, ["demo", str(folder)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return folder, result


def test_intake_paths_an_adult_a_green_risk_to_self_yos_and_no_lead_professional(
    demo: tuple[Path, Result],
) -> None:
    register = demo[0] / "register.xlsx"
    referrals = read(register, REFERRALS)
    steps = read(register, NEXT_STEPS)
    [adult] = [r for r in referrals if r[ReferralsTab.SERVICE] == "out_of_scope"]
    assert (adult[ReferralsTab.ROUTE], adult[ReferralsTab.MEETING]) == ("adult_services", "")
    assert adult[ReferralsTab.ACTIONS] == "signpost_adult_services"
    green = [
        r
        for r in referrals
        if r[form_column("traffic_light")] == "Green"
        and r[form_column("risk_to_self")] == "Yes"
        and r[ReferralsTab.ROUTE] == "universal"
    ]
    assert green
    made = {(s[ReferralsTab.CASE_ID], s["Step"]) for s in steps}
    for row in green:
        assert {"refer_customer_service_centre", "safeguard_child"} <= set(
            row[ReferralsTab.ACTIONS].split(", ")
        )
        assert (row[ReferralsTab.CASE_ID], "safeguard_child") in made
    yos = [r for r in referrals if "youth_offending_service" in r[ReferralsTab.INVITEES]]
    assert yos
    attendees = set()
    for path in (demo[0] / "outbox" / "invites").glob("*.ics"):
        [event] = Calendar.from_ical(path.read_bytes()).walk("VEVENT")
        found = event["attendee"] if isinstance(event["attendee"], list) else [event["attendee"]]
        attendees |= {str(a).removeprefix("mailto:") for a in found}
    assert attendees & {"yos.cambs@example.gov.uk", "yos.pboro@example.gov.uk"}
    needing = [r for r in referrals if "lead_professional_needed" in r[ReferralsTab.FLAGS]]
    assert needing and all((r[ReferralsTab.CASE_ID], "identify_lead_professional") in made for r in needing)


def test_a_held_strategy_discussion_has_its_decisions_acted_on(demo: tuple[Path, Result]) -> None:
    register = demo[0] / "register.xlsx"
    [held] = [m for m in read(register, MEETINGS) if m["Status"] == "Held"]
    assert held["Type"] == "strategy_discussion"
    assert held["Decisions acted on"] == "child_protection, criminal_justice"
    steps = [s for s in read(register, NEXT_STEPS) if s["Step ID"].endswith("|" + held["Meeting"])]
    assert [s["Step"] for s in steps] == ["initial_child_protection_conference"]
    acted = [a for a in read(register, AUDIT_LOG) if a["Action"] == "meeting decision acted on"]
    assert {a["Detail"] for a in acted} == {
        f"{held['Meeting']}: child_protection",
        f"{held['Meeting']}: criminal_justice",
    }


def test_an_override_a_link_and_a_criminal_status_now_are_acted_on_and_audited(
    demo: tuple[Path, Result],
) -> None:
    folder = demo[0]
    referrals = by_case(read(folder / "register.xlsx", REFERRALS))
    audit = read(folder / "register.xlsx", AUDIT_LOG)
    [overridden] = [c for c, r in referrals.items() if r[ReferralsTab.ROUTE_OVERRIDE]]
    assert referrals[overridden][ReferralsTab.ROUTE] == "early_help"
    assert any(a["Action"] == "route overridden" and a["Case ID"] == overridden for a in audit)
    meetings = [m for m in read(folder / "register.xlsx", MEETINGS) if m["Case ID"] == overridden]
    assert [(m["Type"], m["Status"]) for m in meetings] == [("multi_agency_planning", "Invited")]

    other = referrals[overridden][ReferralsTab.LINKED_CASES]
    assert referrals[overridden][ReferralsTab.LINKED_WITH] == other
    assert referrals[other][ReferralsTab.LINKED_WITH] == overridden  # mirrored
    descriptions = [description(p) for p in (folder / "outbox" / "invites").glob("*.ics")]
    listing = [d for d in descriptions if "Linked cases" in d]
    assert listing and all(other in d for d in listing)

    [moved] = [c for c, r in referrals.items() if r[ReferralsTab.CRIMINAL_STATUS_NOW]]
    assert referrals[moved][form_column("criminal_status")] == "Under investigation"
    assert referrals[moved][ReferralsTab.CRIMINAL_STATUS_NOW] == "Convicted"
    assert "ERASOR" in referrals[moved][ReferralsTab.ASSESSMENT_TOOLS]
    decided = [a for a in audit if a["Action"] == "case decided again" and a["Case ID"] == moved]
    assert len(decided) == 1 and "Convicted" in decided[0]["Detail"]


def test_next_steps_are_open_done_and_overdue_and_overdue_ones_escalated(demo: tuple[Path, Result]) -> None:
    steps = read(demo[0] / "register.xlsx", NEXT_STEPS)
    statuses = {s["Status"] for s in steps}
    assert {"Open", "Done", "Overdue"} <= statuses
    [done] = [s for s in steps if s["Done on"]]
    assert done["Status"] == "Done" and not done["Last escalated"]
    assert all(s["Last escalated"] for s in steps if s["Status"] == "Overdue")


def test_the_demo_prints_what_coordinators_and_jobs_did_by_case_id(demo: tuple[Path, Result]) -> None:
    folder, result = demo
    output = result.output
    referrals = by_case(read(folder / "register.xlsx", REFERRALS))
    [overridden] = [c for c, r in referrals.items() if r[ReferralsTab.ROUTE_OVERRIDE]]
    assert "What coordinators did:" in output and "What the jobs did:" in output
    assert f"{overridden}: Route override early_help" in output
    assert "decisions child_protection, criminal_justice acted on" in output
    assert "initial_child_protection_conference due" in output
    names = {r[form_column(f)] for r in referrals.values() for f in ("child_first_name", "child_last_name")}
    assert not {n for n in names if n and n in output}


def test_a_rerun_types_acts_and_sends_nothing_more(demo: tuple[Path, Result], tmp_path: Path) -> None:
    folder = demo[0]
    register = folder / "register.xlsx"
    tabs = (REFERRALS, MEETINGS, NEXT_STEPS)
    before = {tab: read(register, tab) for tab in tabs}
    audit = len(read(register, AUDIT_LOG))
    files = sorted(p.name for p in (folder / "outbox").rglob("*") if p.is_file())
    assert CliRunner().invoke(cli, ["demo", str(folder)]).exit_code == 0
    assert CliRunner().invoke(cli, ["--config", str(folder / "hsb-sheets.toml"), "run"]).exit_code == 0
    assert {tab: read(register, tab) for tab in tabs} == before
    assert sorted(p.name for p in (folder / "outbox").rglob("*") if p.is_file()) == files
    added = [a["Action"] for a in read(register, AUDIT_LOG)[audit:]]
    assert not {
        "route overridden",
        "case decided again",
        "meeting decision acted on",
        "next step created",
    } & set(added)

"""The Overview's lines: per area, the service and per worker, from the tabs' rows and today."""

from __future__ import annotations

from datetime import date

from hsb_sheets.domain.overview import overview

TODAY = date(2026, 12, 1)  # a Tuesday
REFERRALS = [
    {
        "Case ID": "HSB-2026-0001",
        "Area": "Peterborough",
        "Route": "strategy_discussion",
        "Status": "Allocated",
        "Worker": "A Worker",
    },
    {
        "Case ID": "HSB-2026-0002",
        "Area": "Peterborough",
        "Route": "early_help",
        "Route override": "strategy_discussion",
        "Status": "",
        "Worker": "",
    },
    {
        "Case ID": "HSB-2026-0003",
        "Area": "Cambridgeshire",
        "Route": "universal",
        "Status": "Closed",
        "Worker": "A Worker",
    },
]
MEETINGS = [
    {"Case ID": "HSB-2026-0002", "Status": "Needs scheduling"},
    {"Case ID": "HSB-2026-0001", "Status": "Invited"},
]
INTERVENTIONS = [
    {"Case ID": "HSB-2026-0001", "End summary due": "2026-11-30", "End summary recorded": ""},
    {"Case ID": "HSB-2026-0001", "End summary due": "2026-12-08", "End summary recorded": ""},  # a week today
    {"Case ID": "HSB-2026-0002", "End summary due": "2026-11-01", "End summary recorded": "2026-11-02"},
]
ISSUES = [{"Form row": "7", "Resolution": ""}, {"Form row": "8", "Resolution": "Duplicate"}]
STEPS = [
    {"Case ID": "HSB-2026-0001", "Due": "2026-12-04", "Status": "Open", "Done on": ""},
    {"Case ID": "HSB-2026-0002", "Due": "2026-11-20", "Status": "Overdue", "Done on": ""},
    {"Case ID": "HSB-2026-0002", "Due": "2026-11-20", "Status": "Open", "Done on": "21/11/2026"},
]


def _lines(steps: list[dict[str, str]] | None) -> dict[tuple[str, str, str], tuple[str, ...]]:
    found = overview(REFERRALS, MEETINGS, INTERVENTIONS, ISSUES, steps, TODAY)
    return {(line.section, line.name, line.measure): line.cases for line in found}


def test_each_area_has_its_open_cases_by_route_and_status_and_what_is_due() -> None:
    lines = _lines(STEPS)
    assert lines[("Area", "Peterborough", "Open: strategy_discussion, Allocated")] == ("HSB-2026-0001",)
    assert lines[("Area", "Peterborough", "Open: strategy_discussion, New")] == ("HSB-2026-0002",)  # override
    assert not any(name == "Cambridgeshire" for _, name, _ in lines)  # its one case is closed
    assert lines[("Area", "Peterborough", "Meetings needing scheduling")] == ("HSB-2026-0002",)
    assert lines[("Area", "Peterborough", "Next steps due this week")] == ("HSB-2026-0001",)
    assert lines[("Area", "Peterborough", "Next steps overdue")] == ("HSB-2026-0002",)
    assert lines[("Area", "Peterborough", "End summaries overdue")] == ("HSB-2026-0001",)
    assert ("Area", "Peterborough", "End summaries due this week") not in lines  # due next week
    assert lines[("Service", "All areas", "Intake issues waiting (form rows)")] == ("7",)


def test_each_worker_has_their_open_cases_and_what_is_due() -> None:
    lines = _lines(STEPS)
    assert lines[("Worker", "A Worker", "Open cases")] == ("HSB-2026-0001",)
    assert lines[("Worker", "A Worker", "Next steps due this week")] == ("HSB-2026-0001",)
    assert lines[("Worker", "(no worker yet)", "Open cases")] == ("HSB-2026-0002",)


def test_without_a_next_steps_tab_there_is_no_line_about_next_steps() -> None:
    lines = _lines(None)
    assert not any(measure.startswith("Next steps") for _, _, measure in lines)
    assert ("Area", "Peterborough", "Meetings needing scheduling") in lines

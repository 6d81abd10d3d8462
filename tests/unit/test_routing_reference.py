"""An independent reference for DESIGN section 4, and a property test that the decision table agrees.

``reference_decision`` is written from the words of section 4 (revised 2026-12-01) alone, reading
the form's answers directly: it shares no code with ``domain/facts.py``, ``domain/rules.py`` or
``config/routing_rules.csv``. Hypothesis then generates valid responses (every answer combination,
ages 3 to 24, 29 February birthdays, police and criminal status as the form allows) and checks that
the table-driven decision equals the reference in every output, lists in the same order.

The order of every list is the order in which section 4 names its values; for invitees, the
meeting's own roles as section 4 lists them, then ``school``, ``lead_professional`` and the open
services (``early_help``, ``childrens_social_care``, ``youth_offending_service``), each role once.
"""

from __future__ import annotations

import calendar
import csv
import json
import tempfile
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hsb_sheets.cli import cli
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.intake import Assessment, DuplicateIndex, KnownChild, assess
from hsb_sheets.domain.rules import RuleTable
from tests.conftest import valid_answers

OPEN_SERVICE_ROLES = (
    ("Early Help", "early_help"),
    ("Children's Social Care", "childrens_social_care"),
    ("Youth Offending Service", "youth_offending_service"),
)
STATUSES = ("Under investigation", "Out of Court Disposal accepted", "Charged", "Pleaded guilty", "Convicted")


def reference_age(born: date, on: date) -> int:
    """Whole years on a day; a 29 February birthday counts on 1 March in other years."""
    if (born.month, born.day) == (2, 29) and not calendar.isleap(on.year):
        birthday = date(on.year, 3, 1)
    else:
        birthday = born.replace(year=on.year)
    return on.year - born.year - (1 if on < birthday else 0)


def _once(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def reference_decision(answers: Mapping[str, str], received: date, duplicate: bool) -> dict[str, Any]:
    """Section 4, read word by word, over the raw answers of one valid response."""
    age = reference_age(date.fromisoformat(answers["child_dob"]), received)
    light = "Amber" if answers["traffic_light"] == "Orange" else answers["traffic_light"]
    if light == "Red" or answers["harm_caused"] == "Yes":
        level = "significant"
    elif light == "Amber":
        level = "complex"
    else:
        level = "healthy"
    open_to = [s.strip() for s in answers["open_to_services"].split(",")]
    not_open = open_to == ["None of these"]
    police = answers["police_involved"] == "Yes"
    criminal_process = answers["criminal_status"] in ("Under investigation", "Charged")
    lead_given = bool(answers["lead_professional_email"].strip())
    risk = answers["risk_to_self"] == "Yes"
    service = "advice_signpost" if age < 8 else "hsb" if age <= 17 else "out_of_scope"
    adult = service == "out_of_scope"

    if adult:
        route = "adult_services"
    else:
        route = {"significant": "strategy_discussion", "complex": "early_help"}.get(level, "universal")
    meeting = {"strategy_discussion": "strategy_discussion", "early_help": "multi_agency_planning"}.get(route)

    invitees: list[str] = []
    if meeting == "strategy_discussion":
        invitees = ["childrens_social_care", "police", "hsb_service"]
    elif meeting == "multi_agency_planning":
        invitees = ["early_help", "hsb_service"] + (["police"] if police else [])
    if meeting:
        invitees += ["school"] if answers["school_or_setting"].strip() else []
        invitees += ["lead_professional"] if lead_given else []
        invitees += [role for service_name, role in OPEN_SERVICE_ROLES if service_name in open_to]
    invitees = _once(invitees)

    if adult:
        pathways = ["criminal_justice"] if police else []
    else:
        pathways = [
            p
            for p, holds in (
                ("child_protection", level == "significant"),
                ("criminal_justice", police),
                ("early_help", level == "complex"),
                ("out_of_court_disposal", level == "complex" and police),
            )
            if holds
        ]

    actions = [
        a
        for a, holds in (
            ("refer_customer_service_centre", not adult and (level in ("complex", "significant") or risk)),
            ("child_and_family_assessment", not adult and level == "significant" and not_open),
            ("notify_lead_professional", lead_given),
            ("safeguard_child", not adult and risk),
            ("record_voluntary_intervention", service == "hsb"),
            ("signpost_adult_services", adult),
        )
        if holds
    ]

    tools: list[str] = []
    if service == "hsb" and (
        level == "significant" or (level == "complex" and answers["persistent"] == "Yes")
    ):
        tools.append("AIM_UNDER_12" if age < 12 else "AIM3")
        if answers["online_element"] == "Yes":
            tools.append("TA_HSB")
        if answers["child_gender"] == "Male" and 12 <= age <= 17:
            tools.append("JSOAP")
            if answers["criminal_status"] == "Convicted":
                tools.append("ERASOR")

    deferred = "AIM3" in tools and (
        criminal_process or answers["accepted_responsibility"] in ("No", "Not known")
    )
    flags = [
        f
        for f, holds in (
            ("aim_deferred_until_responsibility", deferred),
            ("learning_needs", answers["learning_needs"] == "Yes"),
            ("formal_assessment", answers["persistent"] == "Yes"),
            ("lead_professional_needed", service == "hsb" and not lead_given),
            ("possible_duplicate", duplicate),
        )
        if holds
    ]
    return {
        "service": service,
        "route": route,
        "meeting": meeting,
        "invitees": invitees,
        "pathways": pathways,
        "actions": actions,
        "assessment_tools": tools,
        "flags": flags,
        "recording_system": {"Cambridgeshire": "ChildView", "Peterborough": "CAPITA"}[answers["child_area"]],
    }


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return date(day.year - years, 2, 28)


LAST_RECEIVED = date(2026, 11, 30)


@st.composite
def birth_and_receipt(draw: st.DrawFn) -> tuple[date, date]:
    """A received date and a date of birth 3 to 24 years before it, often a 29 February."""
    if draw(st.booleans()):
        born = date(draw(st.sampled_from([2004, 2008, 2012, 2016, 2020])), 2, 29)
        year = born.year + draw(st.integers(4, min(24, LAST_RECEIVED.year - born.year)))
        month, day = draw(st.sampled_from([(2, 28), (2, 29), (3, 1)]))
        if (month, day) == (2, 29) and not calendar.isleap(year):
            month, day = 3, 1
        return born, date(year, month, day)
    received = draw(st.dates(date(2024, 1, 1), LAST_RECEIVED))
    earliest = _years_before(received, 25) + timedelta(days=1)
    latest = _years_before(received, 3)
    return draw(st.dates(earliest, latest)), received


@st.composite
def responses(draw: st.DrawFn) -> tuple[dict[str, str], date, bool]:
    """A valid response's raw answers (ISO dates), its received date, and whether it is a duplicate."""
    born, received = draw(birth_and_receipt())
    police = draw(st.sampled_from(["Yes", "No"]))
    services = draw(st.lists(st.sampled_from([s for s, _ in OPEN_SERVICE_ROLES]), unique=True, max_size=3))
    answers = valid_answers(
        child_dob=born.isoformat(),
        incident_date=max(born, received - timedelta(days=draw(st.integers(0, 40)))).isoformat(),
        referrer_agency=draw(st.sampled_from(["School or college", "Youth Offending Service", "Police"])),
        lead_professional_email=draw(st.sampled_from(["", "lead.worker@example.gov.uk"])),
        child_gender=draw(st.sampled_from(["Male", "Female", "Non-binary or other", "Not known"])),
        child_area=draw(st.sampled_from(["Cambridgeshire", "Peterborough"])),
        school_or_setting=draw(st.sampled_from(["", "  ", "Example Academy"])),
        learning_needs=draw(st.sampled_from(["Yes", "No", "Not known"])),
        open_to_services=", ".join(services) if services else "None of these",
        traffic_light=draw(st.sampled_from(["Green", "Amber", "Orange", "Red"])),
        online_element=draw(st.sampled_from(["Yes", "No"])),
        harm_caused=draw(st.sampled_from(["Yes", "No", "Not known"])),
        persistent=draw(st.sampled_from(["Yes", "No", "Not known"])),
        risk_to_self=draw(st.sampled_from(["Yes", "No", "Not known"])),
        police_involved=police,
        criminal_status=draw(st.sampled_from(["None", *STATUSES])) if police == "Yes" else "None",
        accepted_responsibility=draw(st.sampled_from(["Yes", "Partly", "No", "Not known"])),
    )
    return answers, received, draw(st.booleans())


def table_decision(
    form: FormDefinition, table: RuleTable, answers: dict[str, str], received: date, duplicate: bool
) -> dict[str, Any]:
    """The decision the shipped table gives, through intake's own assessment."""
    index = DuplicateIndex()
    if duplicate:
        dob = date.fromisoformat(answers["child_dob"])
        earlier = KnownChild(
            "HSB-2026-0001", answers["child_first_name"], answers["child_last_name"], dob, received
        )
        index.add(earlier)
    when = datetime.combine(received, time(12, 0))
    result = assess(form, table, answers, when, index, "test")
    assert isinstance(result, Assessment), result
    decision = result.decision.to_json()
    del decision["rules_fired"]
    return decision


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=responses())
def test_the_table_decides_as_section_4_says(
    form: FormDefinition, table: RuleTable, case: tuple[dict[str, str], date, bool]
) -> None:
    answers, received, duplicate = case
    assert table_decision(form, table, answers, received, duplicate) == reference_decision(
        answers, received, duplicate
    )


def test_the_reference_reads_29_february_birthdays_on_1_march() -> None:
    born = date(2012, 2, 29)
    assert reference_age(born, date(2026, 2, 28)) == 13
    assert reference_age(born, date(2026, 3, 1)) == 14
    assert reference_age(born, date(2028, 2, 29)) == 16


@settings(max_examples=4, deadline=None)
@given(cases=st.lists(responses(), min_size=12, max_size=12))
def test_triage_json_follows_the_reference(cases: list[tuple[dict[str, str], date, bool]]) -> None:
    """The command itself: `triage --format json` with the shipped rules, one file of varied rows."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "responses.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["Timestamp", *cases[0][0]])
            for n, (answers, received, _) in enumerate(cases):
                answers["child_last_name"] = f"Testwood {chr(65 + n)}"  # no duplicates within the file
                writer.writerow([f"{received.isoformat()} 12:00:00", *answers.values()])
        # No --config and no settings file in the folder the tests run from: the shipped rules.
        result = CliRunner().invoke(cli, ["triage", str(path), "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert [r["row"] for r in printed] == list(range(2, len(cases) + 2))
    for row, (answers, received, _) in zip(printed, cases, strict=True):
        assert row["valid"], row["errors"]
        decision = row["decision"]
        assert decision.pop("rules_fired")
        assert decision == reference_decision(answers, received, duplicate=False)

"""Fictional referrals for the demo: every route, service and tool, and a few invalid submissions.

All names are invented and all addresses use example.org / example.gov.uk. Dates are set relative
to the day the demo runs, so ages are always the ones the scenario intends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hsb_sheets.domain.dates import format_uk
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.domain.tabs import InterventionsTab


@dataclass(frozen=True)
class Scenario:
    """One fictional referral, described by what matters for routing."""

    first: str
    last: str
    age: int
    gender: str
    area: str
    traffic: str
    harm: str = "No"
    persistent: str = "No"
    online: str = "No"
    risk_to_self: str = "No"
    police: str = "No"
    criminal_status: str = "None"
    open_to: str = "None of these"
    school: str = ""
    lead: str = ""
    learning: str = "No"
    agency: str = "School or college"


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "Ashby",
        "Fenwold",
        14,
        "Male",
        "Cambridgeshire",
        "Red",
        harm="Yes",
        police="Yes",
        criminal_status="Under investigation",
        school="Fenwold Academy",
        online="Yes",
    ),
    Scenario(
        "Bryony",
        "Castlemere",
        15,
        "Female",
        "Peterborough",
        "Red",
        police="Yes",
        criminal_status="Charged",
        open_to="Children's Social Care",
        lead="lead.castlemere@example.gov.uk",
        agency="Children's Social Care",
    ),
    Scenario("Corin", "Dunmarsh", 10, "Male", "Cambridgeshire", "Red", school="Willowbrook Primary"),
    Scenario(
        "Della",
        "Eastwick",
        16,
        "Female",
        "Peterborough",
        "Orange",
        persistent="Yes",
        online="Yes",
        open_to="Early Help",
        agency="Early Help",
    ),
    Scenario(
        "Eamon",
        "Fallowfield",
        13,
        "Male",
        "Cambridgeshire",
        "Amber",
        police="Yes",
        criminal_status="Out of Court Disposal accepted",
        agency="Police",
    ),
    Scenario(
        "Fern",
        "Gildersleeve",
        9,
        "Female",
        "Cambridgeshire",
        "Amber",
        persistent="Yes",
        school="Marshgate Primary",
        learning="Yes",
    ),
    Scenario(
        "Gideon",
        "Harrowden",
        17,
        "Male",
        "Peterborough",
        "Red",
        police="Yes",
        criminal_status="Convicted",
        open_to="Youth Offending Service",
        agency="Youth Offending Service",
        lead="yos.harrowden@example.gov.uk",
    ),
    Scenario("Hattie", "Ivesdale", 6, "Female", "Cambridgeshire", "Amber", agency="Health"),
    Scenario("Idris", "Jarrowby", 7, "Male", "Peterborough", "Red", risk_to_self="Yes"),
    Scenario(
        "Juno",
        "Kettleby",
        19,
        "Non-binary or other",
        "Cambridgeshire",
        "Amber",
        agency="Voluntary or community sector",
    ),
    Scenario("Kit", "Larkspur", 12, "Not known", "Peterborough", "Green", open_to="Early Help"),
    Scenario("Linnet", "Morrow", 11, "Female", "Cambridgeshire", "Green", risk_to_self="Yes"),
    Scenario(
        "Milo",
        "Nettlebed",
        8,
        "Male",
        "Peterborough",
        "Amber",
        online="Yes",
        persistent="Yes",
        school="Riverside Juniors",
    ),
    Scenario(
        "Nell",
        "Oakhurst",
        14,
        "Female",
        "Cambridgeshire",
        "Green",
        harm="Yes",
        risk_to_self="Yes",
        open_to="Children's Social Care, Early Help",
    ),
    Scenario("Orrin", "Pembury", 15, "Male", "Peterborough", "Amber", persistent="Not known"),
    Scenario(
        "Pia",
        "Quenby",
        16,
        "Female",
        "Cambridgeshire",
        "Red",
        online="Yes",
        learning="Yes",
        school="Northfen College",
    ),
    Scenario(
        "Quill",
        "Rushmere",
        13,
        "Male",
        "Cambridgeshire",
        "Amber",
        persistent="Yes",
        police="Yes",
        criminal_status="Pleaded guilty",
        lead="lead.rushmere@example.gov.uk",
        open_to="Youth Offending Service",
    ),
    Scenario("Rosalind", "Saltash", 10, "Female", "Peterborough", "Green", agency="Other"),
    Scenario("Silas", "Thornbury", 17, "Male", "Cambridgeshire", "Green", agency="Health"),
    Scenario(
        "Tamsin",
        "Upwood",
        12,
        "Female",
        "Peterborough",
        "Red",
        harm="Yes",
        school='=HYPERLINK("https://example.org")',
    ),
    Scenario(
        "Ashby",
        "Fenwold",
        14,
        "Male",
        "Cambridgeshire",
        "Red",
        harm="Yes",
        police="Yes",
        criminal_status="Under investigation",
        school="Fenwold Academy",
        agency="Police",
    ),
)

BEHAVIOUR = (
    "Fictional demo text: staff observed behaviour that they rated with the traffic light tool and "
    "discussed with the designated safeguarding lead before making this referral."
)


def _birthday(age: int, on: date, salt: int) -> date:
    """A date of birth giving exactly ``age`` on ``on`` (birthday a few weeks before)."""
    before = on - timedelta(days=20 + salt % 200)
    try:
        return before.replace(year=before.year - age)
    except ValueError:  # 29 February
        return (before - timedelta(days=1)).replace(year=before.year - age)


def _answers(s: Scenario, received: datetime, n: int, anchor: date) -> dict[str, str]:
    # Keyed by name so the same child referred twice has the same date of birth.
    born = _birthday(s.age, anchor, sum(map(ord, s.first + s.last)))
    return {
        "referrer_name": f"Demo Referrer {n:02d}",
        "referrer_email": f"referrer{n:02d}@example.org",
        "referrer_phone": f"01632 960 0{n:02d}",
        "referrer_agency": s.agency,
        "lead_professional_email": s.lead,
        "child_first_name": s.first,
        "child_last_name": s.last,
        "child_dob": format_uk(born),
        "child_gender": s.gender,
        "child_area": s.area,
        "child_postcode": "CB1 2AB" if s.area == "Cambridgeshire" else "PE1 1AA",
        "school_or_setting": s.school,
        "learning_needs": s.learning,
        "open_to_services": s.open_to,
        "parent_carer_aware": "Yes",
        "behaviour_description": BEHAVIOUR,
        "incident_date": format_uk(received.date() - timedelta(days=3)),
        "traffic_light": s.traffic,
        "online_element": s.online,
        "harm_caused": s.harm,
        "persistent": s.persistent,
        "risk_to_self": s.risk_to_self,
        "police_involved": s.police,
        "criminal_status": s.criminal_status,
        "accepted_responsibility": "Not known",
    }


def _invalid(received: datetime, anchor: date) -> list[dict[str, str]]:
    good = _answers(SCENARIOS[2], received, 90, anchor)
    impossible_date = dict(
        good,
        referrer_email="referrer91@example.org",
        child_first_name="Uma",
        child_last_name="Vantage",
        child_dob="31/02/2014",
    )
    missing = dict(
        good,
        referrer_email="referrer92@example.org",
        child_first_name="Vance",
        child_last_name="",
        behaviour_description="Too short.",
    )
    status_without_police = dict(
        good,
        referrer_email="referrer93@example.org",
        child_first_name="Wren",
        child_last_name="Yelverton",
        police_involved="No",
        criminal_status="Charged",
        referrer_phone="12345",
    )
    no_address = dict(
        good,
        referrer_email="not an address",
        child_first_name="Xan",
        child_last_name="Zeal",
        incident_date=format_uk(received.date() + timedelta(days=5)),
    )
    return [impossible_date, missing, status_without_police, no_address]


def demo_responses(form: FormDefinition, now: datetime) -> tuple[list[str], list[list[str]]]:
    """A "Form responses 1" header and about 25 rows, submitted over the past days."""
    header = [TIMESTAMP, *(f.title for f in form.fields)]
    answers: list[dict[str, str]] = []
    start = now - timedelta(days=6, hours=2)
    times = [start + timedelta(hours=5 * i, minutes=7 * i) for i in range(len(SCENARIOS) + 4)]
    for n, scenario in enumerate(SCENARIOS, start=1):
        answers.append(_answers(scenario, times[n - 1], n, start.date()))
    answers.extend(_invalid(times[-1], start.date()))
    rows = []
    for stamp, values in zip(times, answers, strict=True):
        rows.append([stamp.strftime("%d/%m/%Y %H:%M:%S"), *(values.get(f.id, "") for f in form.fields)])
    return header, rows


def demo_interventions(case_ids: list[str], today: date) -> list[dict[str, str]]:
    """Interventions in every state, on the first fictional cases (dates relative to today)."""
    day = timedelta(days=1)
    plans = [
        (
            "Safety planning",
            today - 40 * day,
            today + 14 * day,
            "",
            f"{format_uk(today + day)}",
        ),  # open, review
        ("AIM3 assessment", today - 60 * day, today, "", ""),  # ends today: first reminder
        ("TA-HSB work", today - 50 * day, today - 10 * day, "", ""),  # summary due in a few days
        ("Psychosexual education", today - 80 * day, today - 22 * day, "", ""),  # overdue: escalated
        ("AIM Under 12s", today - 90 * day, today - 30 * day, format_uk(today - 20 * day), ""),  # complete
        ("Other", today - 90 * day, today - 40 * day, format_uk(today - 5 * day), ""),  # recorded late
    ]
    rows: list[dict[str, str]] = []
    for case_id, (kind, start, end, recorded, reviews) in zip(case_ids, plans, strict=False):
        rows.append(
            {
                InterventionsTab.CASE_ID: case_id,
                InterventionsTab.INTERVENTION: kind,
                InterventionsTab.WORKER_EMAIL: "hsb.worker@example.gov.uk",
                InterventionsTab.START_DATE: format_uk(start),
                InterventionsTab.END_DATE: format_uk(end),
                InterventionsTab.SESSIONS_AGREED: "8",
                InterventionsTab.REVIEW_DATES: reviews,
                InterventionsTab.END_SUMMARY_RECORDED: recorded,
            }
        )
    return rows

"""Fictional referrals for the fault-injection harness, and the form's titles read from its YAML.

Each response has its own referrer address (``referrer.tTTT.nNN@example.org``), so that every row
and every email the jobs produce can be traced back to the one response it is about. Names are
invented; addresses use example.org and example.gov.uk only.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

FORM_YAML = Path(__file__).resolve().parent.parent / "hsb_sheets" / "config" / "referral_form.yaml"
DIRECTORY_CSV = Path(__file__).resolve().parent.parent / "hsb_sheets" / "config" / "directory.example.csv"
FIRST = ("Arlo", "Briar", "Cass", "Dory", "Ember", "Flint", "Gale", "Hollis", "Ivo", "Juniper", "Kestrel")
LAST = ("Ashgrove", "Brackenby", "Coldharbour", "Dunwold", "Eldermere", "Foxley", "Greywater", "Hartsell")
BEHAVIOUR = (
    "Fictional harness text: staff observed behaviour that they rated with the traffic light tool and "
    "discussed with the designated safeguarding lead."
)
# (traffic light, harm caused, police involved, criminal status): a strategy discussion, a planning
# meeting, no meeting.
PROFILES = (
    ("Red", "Yes", "Yes", "Under investigation"),
    ("Red", "No", "No", "None"),
    ("Amber", "No", "Yes", "None"),
    ("Amber", "No", "No", "None"),
    ("Green", "No", "No", "None"),
)


@dataclass(frozen=True)
class FormFields:
    """The form's field ids in order, with each one's question title and Referrals column."""

    ids: tuple[str, ...]
    titles: dict[str, str]
    columns: dict[str, str]
    types: dict[str, str]

    @property
    def header(self) -> list[str]:
        """The header of "Form responses 1": Timestamp, then one column per question title."""
        return ["Timestamp", *(self.titles[f] for f in self.ids)]


def read_form(path: Path = FORM_YAML) -> FormFields:
    """The form's fields as hsb_sheets/config/referral_form.yaml defines them."""
    fields = yaml.safe_load(path.read_text(encoding="utf-8"))["fields"]
    return FormFields(
        ids=tuple(f["id"] for f in fields),
        titles={f["id"]: f["title"] for f in fields},
        columns={f["id"]: f.get("column", f["title"]) for f in fields},
        types={f["id"]: f["type"] for f in fields},
    )


@dataclass(frozen=True)
class Referral:
    """One fictional response: its referrer's address (its tag), answers, and whether it is valid."""

    tag: str
    answers: dict[str, str]
    valid: bool


def _birthday(age: int, today: date, rng: random.Random) -> date:
    before = today - timedelta(days=rng.randint(20, 300))
    try:
        return before.replace(year=before.year - age)
    except ValueError:  # 29 February
        return (before - timedelta(days=1)).replace(year=before.year - age)


def make_referral(rng: random.Random, trial: int, number: int, today: date, valid: bool) -> Referral:
    """A fictional referral; an invalid one has an impossible date of birth."""
    tag = f"referrer.t{trial:03d}.n{number:02d}@example.org"
    light, harm, police, status = rng.choice(PROFILES)
    area = rng.choice(("Cambridgeshire", "Peterborough"))
    answers = {
        "referrer_name": f"Harness Referrer {number:02d}",
        "referrer_email": tag,
        "referrer_phone": f"01632 960 {rng.randint(100, 999)}",
        "referrer_agency": rng.choice(("School or college", "Early Help", "Health", "Police")),
        "lead_professional_email": rng.choice(("", "", "lead.harness@example.gov.uk")),
        "child_first_name": rng.choice(FIRST),
        "child_last_name": rng.choice(LAST),
        "child_dob": _birthday(rng.randint(8, 17), today, rng).strftime("%d/%m/%Y"),
        "child_gender": rng.choice(("Male", "Female", "Not known")),
        "child_area": area,
        "child_postcode": "CB1 2AB" if area == "Cambridgeshire" else "PE1 1AA",
        "school_or_setting": rng.choice(("", "Fenwold Academy", "Marshgate Primary")),
        "learning_needs": rng.choice(("No", "Yes", "Not known")),
        "open_to_services": rng.choice(("None of these", "Early Help", "Children's Social Care")),
        "parent_carer_aware": "Yes",
        "behaviour_description": BEHAVIOUR,
        "incident_date": (today - timedelta(days=rng.randint(3, 20))).strftime("%d/%m/%Y"),
        "traffic_light": light,
        "online_element": rng.choice(("No", "Yes")),
        "harm_caused": harm,
        "persistent": rng.choice(("No", "Yes", "Not known")),
        "risk_to_self": rng.choice(("No", "No", "Yes")),
        "police_involved": police,
        "criminal_status": status,
        "accepted_responsibility": rng.choice(("Yes", "Partly", "No", "Not known")),
    }
    if not valid:
        answers["child_dob"] = "31/02/2014"
    return Referral(tag, answers, valid)


def paste_timestamp(now: datetime, number: int) -> datetime:
    """A distinct past instant, to the second, for a response pasted into "Form responses 1"."""
    return (now - timedelta(days=2, hours=3) + timedelta(minutes=7 * number, seconds=number)).replace(
        microsecond=0
    )


def directory_rows(path: Path = DIRECTORY_CSV) -> list[list[str]]:
    """The example Directory (fictional agency contacts), header first."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh) if row]

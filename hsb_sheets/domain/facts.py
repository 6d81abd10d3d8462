"""Derived facts: what the routing rules decide on.

Every choice question of the form is a fact under its field id; on top of those the protocol's
derived facts (DESIGN section 4): ``age``, ``level``, ``not_open``, ``criminal_process``,
``school_named``, ``lead_professional_given``, ``possible_duplicate``, and one ``open_to_...`` fact
per service the child may be open to (the agencies with significant contact that a meeting invites).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hsb_sheets.domain.dates import age_on
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.validation import ValidResponse

FactValue = int | str | bool

MAX_AGE = 24  # validation admits children under 25
LEVELS = ("significant", "complex", "healthy")
CRIMINAL_PROCESS = ("Under investigation", "Charged")
NOT_OPEN = "None of these"
# Each service of open_to_services (its answer) as a true/false fact of its own.
OPEN_SERVICE_FACTS = {
    "open_to_early_help": "Early Help",
    "open_to_childrens_social_care": "Children's Social Care",
    "open_to_youth_offending_service": "Youth Offending Service",
}


@dataclass(frozen=True)
class FactKind:
    """The values a fact can take: whole years, true/false, or one of a list."""

    kind: str  # "int" | "bool" | "enum"
    values: tuple[str, ...] = ()


def fact_catalogue(form: FormDefinition) -> dict[str, FactKind]:
    """Every fact a rule may test, with its possible values."""
    catalogue: dict[str, FactKind] = {
        "age": FactKind("int"),
        "level": FactKind("enum", LEVELS),
        "not_open": FactKind("bool"),
        "criminal_process": FactKind("bool"),
        "school_named": FactKind("bool"),
        "lead_professional_given": FactKind("bool"),
        "possible_duplicate": FactKind("bool"),
        **{name: FactKind("bool") for name in OPEN_SERVICE_FACTS},
    }
    for f in form.fields:
        if f.type == "choice":
            catalogue[f.id] = FactKind("enum", f.choices)
    return catalogue


def behaviour_level(traffic_light: str, harm_caused: str) -> str:
    """``significant`` when Red or harm already caused, ``complex`` when Amber, else ``healthy``."""
    if traffic_light == "Red" or harm_caused == "Yes":
        return "significant"
    if traffic_light == "Amber":
        return "complex"
    return "healthy"


def derive_facts(
    form: FormDefinition, response: ValidResponse, possible_duplicate: bool
) -> dict[str, FactValue]:
    """The facts of one valid response, on the day it was received."""
    age = age_on(response.date("child_dob"), response.received.date())
    return facts_of_answers(form, response.text, response.choices, age, possible_duplicate)


def facts_of_answers(
    form: FormDefinition,
    text: Callable[[str], str],
    choices: Callable[[str], tuple[str, ...]],
    age: int,
    possible_duplicate: bool,
) -> dict[str, FactValue]:
    """The facts of a case's answers (read by field id), its age on receipt and its duplicate flag.

    Intake reads the answers from the validated response; a later run reads them back from the
    case's Referrals row (:mod:`hsb_sheets.domain.case_now`).
    """
    facts: dict[str, FactValue] = {f.id: text(f.id) for f in form.fields if f.type == "choice"}
    facts["age"] = age
    facts["level"] = behaviour_level(text("traffic_light"), text("harm_caused"))
    open_to = choices("open_to_services")
    facts["not_open"] = open_to == (NOT_OPEN,)
    for name, service in OPEN_SERVICE_FACTS.items():
        facts[name] = service in open_to
    facts["criminal_process"] = text("criminal_status") in CRIMINAL_PROCESS
    facts["school_named"] = bool(text("school_or_setting").strip())
    facts["lead_professional_given"] = bool(text("lead_professional_email").strip())
    facts["possible_duplicate"] = possible_duplicate
    return facts

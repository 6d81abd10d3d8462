"""Derived facts: what the routing rules decide on.

Every choice question of the form is a fact under its field id; on top of those the protocol's
derived facts (DESIGN section 4): ``age``, ``level``, ``not_open``, ``criminal_process``,
``school_named``, ``lead_professional_given`` and ``possible_duplicate``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hsb_sheets.domain.dates import age_on
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.validation import ValidResponse

FactValue = int | str | bool

MAX_AGE = 24  # validation admits children under 25
LEVELS = ("significant", "complex", "healthy")
CRIMINAL_PROCESS = ("Under investigation", "Charged")
NOT_OPEN = "None of these"


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
    facts: dict[str, FactValue] = {f.id: response.text(f.id) for f in form.fields if f.type == "choice"}
    facts["age"] = age_on(response.date("child_dob"), response.received.date())
    facts["level"] = behaviour_level(response.text("traffic_light"), response.text("harm_caused"))
    facts["not_open"] = response.choices("open_to_services") == (NOT_OPEN,)
    facts["criminal_process"] = response.text("criminal_status") in CRIMINAL_PROCESS
    facts["school_named"] = bool(response.text("school_or_setting"))
    facts["lead_professional_given"] = bool(response.text("lead_professional_email"))
    facts["possible_duplicate"] = possible_duplicate
    return facts

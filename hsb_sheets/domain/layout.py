"""How the register looks to coordinators: dropdowns, highlighted rows and protected system columns.

Pure data; each backend applies it its own way (openpyxl for the .xlsx, spreadsheets.batchUpdate
for Google).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from hsb_sheets.domain.decision import OUTPUTS
from hsb_sheets.domain.directory import ROLES
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.meetings import OUTCOMES, STATUSES
from hsb_sheets.domain.reminders import INTERVENTION_TYPES, OVERDUE
from hsb_sheets.domain.tabs import (
    DIRECTORY,
    FORM_RESPONSES,
    INTAKE_ISSUES,
    INTERVENTIONS,
    MEETINGS,
    REFERRALS,
    TabSpec,
)

REFERRAL_STATUSES = ("New", "Allocated", "In progress", "Closed")
RESOLUTIONS = ("Referrer resubmitted", "Contacted referrer", "Not a referral", "Duplicate")
HIGHLIGHT = "#F4CCCC"  # a pale red
PROTECTION_NOTE = "hsb-sheets: system columns, written by the jobs"


@dataclass(frozen=True)
class Dropdown:
    """A list a coordinator picks from, on one column (header row excluded)."""

    tab: str
    column: str
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Highlight:
    """Rows turned red while a column holds a value (overdue, needs scheduling)."""

    tab: str
    column: str
    equals: str


@dataclass(frozen=True)
class Layout:
    """Everything setup applies besides tabs and headers."""

    dropdowns: tuple[Dropdown, ...]
    highlights: tuple[Highlight, ...]
    protected: tuple[TabSpec, ...]  # tabs whose system columns are protected

    def fingerprint(self) -> str:
        """Changes when the layout changes, so setup can tell it already applied this one."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()[:16]


def register_layout(form: FormDefinition, specs: tuple[TabSpec, ...]) -> Layout:
    """The dropdowns and highlights of DESIGN sections 2, 5 and 6."""
    dropdowns = (
        Dropdown(REFERRALS, "Status", REFERRAL_STATUSES),
        Dropdown(REFERRALS, "Route override", OUTPUTS["route"][1]),
        Dropdown(INTAKE_ISSUES, "Resolution", RESOLUTIONS),
        Dropdown(MEETINGS, "Status", STATUSES),
        Dropdown(MEETINGS, "Outcome", OUTCOMES),
        Dropdown(INTERVENTIONS, "Intervention", INTERVENTION_TYPES),
        Dropdown(DIRECTORY, "Area", form.field("child_area").choices),
        Dropdown(DIRECTORY, "Role", ROLES),
        Dropdown(DIRECTORY, "Secure", ("Yes", "No")),
    )
    highlights = (
        Highlight(INTERVENTIONS, "Status", OVERDUE),
        Highlight(MEETINGS, "Status", STATUSES[0]),
    )
    # Form responses 1 belongs to the form itself; every other tab's system columns are protected.
    protected = tuple(spec for spec in specs if spec.system and spec.name != FORM_RESPONSES)
    return Layout(dropdowns, highlights, protected)

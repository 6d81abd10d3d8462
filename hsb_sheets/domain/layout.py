"""How the register looks to coordinators: dropdowns, highlighted rows, protected system columns, and
each tab's view (column order, frozen columns, widths, filters, grouped technical columns, date cells:
:mod:`presentation`).

Pure data; each backend applies it its own way (openpyxl for the .xlsx, spreadsheets.batchUpdate
for Google).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.meetings import STATUSES
from hsb_sheets.domain.next_steps import OVERDUE as STEP_OVERDUE
from hsb_sheets.domain.presentation import TabView, tab_view
from hsb_sheets.domain.reminders import OVERDUE
from hsb_sheets.domain.tabs import (
    AUDIT_LOG_SPEC,
    DIRECTORY,
    FORM_RESPONSES,
    INTAKE_ISSUES,
    INTAKE_ISSUES_SPEC,
    INTERVENTIONS,
    INTERVENTIONS_SPEC,
    JOB_STATUS_SPEC,
    MEETINGS,
    MEETINGS_SPEC,
    NEXT_STEPS,
    NEXT_STEPS_SPEC,
    OUTBOX_SPEC,
    OVERVIEW,
    OVERVIEW_SPEC,
    REFERRAL_STATUSES,
    REFERRALS,
    RESOLUTIONS,
    RETENTION_REVIEW_SPEC,
    DirectoryTab,
    IntakeIssuesTab,
    InterventionsTab,
    MeetingsTab,
    NextStepsTab,
    ReferralsTab,
    TabSpec,
    columns_of,
)

__all__ = ["REFERRAL_STATUSES", "RESOLUTIONS", "Dropdown", "Highlight", "Layout", "register_layout"]
HIGHLIGHT = "#F4CCCC"  # a pale red
# Raised when what a layout does changes beyond its shape (2: the register for people, DESIGN 11),
# so registers laid out by an earlier version are laid out, and their columns moved, once more
# (3: the jobs' dates as real date cells on Google, the Overview tab first).
LAYOUT_VERSION = 3
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
    views: tuple[TabView, ...] = ()  # every tab's order, frozen columns, widths, groups and dates
    first: str = ""  # the tab a coordinator sees first (leftmost and open), if it exists

    def written_dates(self) -> dict[str, dict[str, str]]:
        """Per tab, each date column the jobs write and how (:meth:`TabView.written_kind`)."""
        return {
            view.tab: {c: kind for c in view.written_dates if (kind := view.written_kind(c))}
            for view in self.views
            if view.written_dates
        }

    def view(self, tab: str) -> TabView | None:
        """How one tab is shown, if the layout covers it."""
        return next((v for v in self.views if v.tab == tab), None)

    def fingerprint(self) -> str:
        """Changes when the layout changes, so setup can tell it already applied this one."""
        shape = {
            "dropdowns": [asdict(d) for d in self.dropdowns],
            "highlights": [asdict(h) for h in self.highlights],
            "protected": [_spec_shape(spec) for spec in self.protected],
            "views": [asdict(v) for v in self.views],
            "first": self.first,
            "version": LAYOUT_VERSION,
        }
        return hashlib.sha256(json.dumps(shape, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _spec_shape(spec: TabSpec) -> dict[str, object]:
    # The shape earlier versions hashed (an explicit order only for tabs not system-columns-first),
    # so a register set up by them is not laid out again for nothing.
    system_first = spec.header == spec.system + spec.coordinator
    return {
        "name": spec.name,
        "system": list(spec.system),
        "coordinator": list(spec.coordinator),
        "key": spec.key,
        "order": [] if system_first else list(spec.header),
    }


def register_layout(form: FormDefinition, specs: tuple[TabSpec, ...]) -> Layout:
    """The dropdowns and highlights of DESIGN sections 2, 5 and 6, from the column declarations."""
    declared = (
        Dropdown(spec.name, column, column.choices)
        for spec in specs
        if spec.name != FORM_RESPONSES
        for column in spec.columns
        if column.choices and not column.is_system
    )
    dropdowns = (*declared, Dropdown(DIRECTORY, DirectoryTab.AREA, form.field("child_area").choices))
    highlights = (
        Highlight(INTERVENTIONS, InterventionsTab.STATUS, OVERDUE),
        Highlight(MEETINGS, MeetingsTab.STATUS, STATUSES[0]),
        Highlight(NEXT_STEPS, NextStepsTab.STATUS, STEP_OVERDUE),
    )
    # Form responses 1 belongs to the form itself; every other tab's system columns are protected.
    protected = tuple(spec for spec in specs if spec.system and spec.name != FORM_RESPONSES)
    answers = frozenset(f.column for f in form.fields)
    views = tuple(tab_view(spec, answers) for spec in specs)
    return Layout(_in_shown_order(dropdowns), highlights, protected, views, first=OVERVIEW)


def written_dates() -> dict[str, dict[str, str]]:
    """Per tab, the date columns the jobs write and how (:meth:`Layout.written_dates`): the same
    whatever the form, since the form's answers stay text. The Lease tab's times are claimed as text
    (:mod:`~hsb_sheets.adapters.workbook.google_claim`), and stay so."""
    specs = (
        TabSpec(REFERRALS, columns_of(ReferralsTab)),
        INTAKE_ISSUES_SPEC,
        MEETINGS_SPEC,
        INTERVENTIONS_SPEC,
        NEXT_STEPS_SPEC,
        OUTBOX_SPEC,
        AUDIT_LOG_SPEC,
        RETENTION_REVIEW_SPEC,
        JOB_STATUS_SPEC,
        OVERVIEW_SPEC,
    )
    return Layout((), (), (), tuple(tab_view(spec) for spec in specs)).written_dates()


def _in_shown_order(dropdowns: tuple[Dropdown, ...]) -> tuple[Dropdown, ...]:
    """Dropdowns in the order earlier versions applied them, so the layout fingerprint stays put."""
    shown = (
        (REFERRALS, ReferralsTab.STATUS),
        (REFERRALS, ReferralsTab.ROUTE_OVERRIDE),
        (INTAKE_ISSUES, IntakeIssuesTab.RESOLUTION),
        (MEETINGS, MeetingsTab.STATUS),
        (INTERVENTIONS, InterventionsTab.INTERVENTION),
        (DIRECTORY, DirectoryTab.AREA),
        (DIRECTORY, DirectoryTab.ROLE),
        (DIRECTORY, DirectoryTab.SECURE),
    )
    order: dict[tuple[str, str], int] = {place: n for n, place in enumerate(shown)}
    return tuple(sorted(dropdowns, key=lambda d: order.get((d.tab, d.column), len(order))))

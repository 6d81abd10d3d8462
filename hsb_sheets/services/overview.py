"""The Overview tab's lines for the run's last write (no request of its own: the tabs come from the
run's snapshot on Google, from the file read once locally)."""

from __future__ import annotations

import logging

from hsb_sheets.adapters.workbook.base import Append, Table, Update, WriteBatch
from hsb_sheets.domain.overview import NEXT_STEPS, REFERRAL_COLUMNS, Line, overview
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import (
    INTAKE_ISSUES,
    INTERVENTIONS,
    MEETINGS,
    OVERVIEW,
    REFERRALS,
    SETTINGS,
    OverviewTab,
    all_tab_specs,
)
from hsb_sheets.errors import HsbError
from hsb_sheets.logs import log
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import read_policy

READ = (REFERRALS, MEETINGS, INTERVENTIONS, INTAKE_ISSUES, SETTINGS, OVERVIEW)
SLOTS = 60  # rows setup gives the Overview: lines beyond them are appended
OVERVIEW_VALUES = (
    OverviewTab.SECTION,
    OverviewTab.NAME,
    OverviewTab.MEASURE,
    OverviewTab.COUNT,
    OverviewTab.CASES,
    OverviewTab.UPDATED,
)


def overview_batch(ctx: Context) -> WriteBatch:
    """The Overview brought up to date: line n on the row keyed n (rows setup made, see
    :func:`overview_slots`), rows past the last line blanked.

    Nothing (and a warning in the log) if the register cannot give the tabs: the run's own work is
    done already, and the next run writes the Overview.
    """
    declared = {spec.name for spec in all_tab_specs(ctx.form, ())}
    wanted = READ + ((NEXT_STEPS,) if NEXT_STEPS in declared else ())
    try:
        tables = ctx.workbook.read(wanted)
        policy = read_policy(tables[SETTINGS])
    except HsbError as problem:
        log("overview not written", logging.WARNING, reason=str(problem))
        return WriteBatch()
    now = ctx.now()
    lines = overview(
        list(tables[REFERRALS].records(REFERRAL_COLUMNS)),
        tables[MEETINGS].records(),
        tables[INTERVENTIONS].records(),
        tables[INTAKE_ISSUES].records(),
        tables[NEXT_STEPS].records() if NEXT_STEPS in tables else None,
        now.date(),
        policy.date_locale,
    )
    return _slot_writes(lines, tables[OVERVIEW], format_time(now))


def _slot_writes(lines: list[Line], table: Table, stamp: str) -> WriteBatch:
    """Line n written on the row keyed n (appended only past the rows there), the rest blanked."""
    batch = WriteBatch()
    records = [dict(r) for r in table.records()]
    there = {r[OverviewTab.KEY].strip() for r in records if r[OverviewTab.KEY].strip()}
    used = {r[OverviewTab.KEY].strip() for r in records if any(r.get(c, "") for c in OVERVIEW_VALUES)}
    for number, line in enumerate(lines, start=1):
        values: dict[str, str] = {
            OverviewTab.SECTION: line.section,
            OverviewTab.NAME: line.name,
            OverviewTab.MEASURE: line.measure,
            OverviewTab.COUNT: str(line.count),
            OverviewTab.CASES: ", ".join(line.cases),
            OverviewTab.UPDATED: stamp,
        }
        if str(number) in there:
            batch.updates.append(Update(OVERVIEW, OverviewTab.KEY, str(number), values))
        else:
            batch.appends.append(Append(OVERVIEW, {OverviewTab.KEY: str(number), **values}))
    spare = sorted((s for s in used if not (s.isdigit() and int(s) <= len(lines))), key=_slot_order)
    blank: dict[str, str] = {column: "" for column in OVERVIEW_VALUES}
    batch.updates.extend(Update(OVERVIEW, OverviewTab.KEY, slot, blank) for slot in spare)
    return batch


def _slot_order(slot: str) -> tuple[int, str]:
    return (int(slot), "") if slot.isdigit() else (0, slot)


def overview_slots(table: Table) -> list[Append]:
    """Blank Overview rows for setup to give an empty tab, so a run's lines are updates of rows there
    (an append would cost the run's last write a request of its own on Google)."""
    if any(any(cell.strip() for cell in row) for row in table.rows):
        return []
    return [Append(OVERVIEW, {OverviewTab.KEY: str(n)}) for n in range(1, SLOTS + 1)]

"""The demo's coordinators: what they type after the first meetings, and what the jobs then did.

After the demo's first meetings run, a coordinator would record what happened and what they know
now: a strategy discussion *Held* with its *Decisions*, a *Route override*, two cases in one incident
*Linked*, a *Criminal status now* that moved on, and a next step *Done on*. The demo types these once
(cases are chosen by their route and facts on the Referrals tab, never by row), then runs the jobs
again so that each is acted on in the same demo. A workspace whose coordinators have typed any of
them is left alone, so a second ``demo`` or ``run`` adds and sends nothing more.

The summaries name case ids and register values (routes, steps, decisions), never a child's name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from hsb_sheets.adapters.workbook.base import Table, Update, WriteBatch
from hsb_sheets.domain.dates import format_uk
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.meetings import HELD, INVITED
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    MEETINGS,
    NEXT_STEPS,
    REFERRALS,
    AuditLogTab,
    MeetingsTab,
    NextStepsTab,
    ReferralsTab,
)
from hsb_sheets.services.context import Context

TABS = [REFERRALS, MEETINGS, NEXT_STEPS, AUDIT_LOG]
HELD_DECISIONS = "child_protection, criminal_justice"
OVERRIDE_ROUTE = "early_help"  # a case the table called universal, which the coordinator thinks complex
STATUS_NOW = "Convicted"
DONE_STEP = "refer_customer_service_centre"
CASE_COLUMNS = (ReferralsTab.ROUTE_OVERRIDE, ReferralsTab.CRIMINAL_STATUS_NOW, ReferralsTab.LINKED_CASES)


@dataclass(frozen=True)
class DemoCases:
    """The cases the demo's coordinators work on: each chosen by its route and facts."""

    held: str  # a strategy discussion (police involved) held, with decisions
    meeting: str  # its meeting reference
    override: str  # a universal case routed to early help; linked with ``held``
    facts: str  # a case under investigation, now convicted


def _rows(tables: Mapping[str, Table], tab: str) -> list[dict[str, str]]:
    return list(tables[tab].records())


def _first(rows: list[dict[str, str]], taken: set[str], **where: str) -> dict[str, str] | None:
    """The first row (by case id) whose named columns hold the given values, not yet taken."""
    for row in sorted(rows, key=lambda r: r.get(ReferralsTab.CASE_ID, "")):
        if row.get(ReferralsTab.CASE_ID) not in taken and all(row.get(k, "") == v for k, v in where.items()):
            return row
    return None


def choose_cases(form: FormDefinition, tables: Mapping[str, Table]) -> DemoCases | None:
    """The demo's cases, or None if the register has none fitting (or they are not yet invited)."""
    referrals = [
        r for r in _rows(tables, REFERRALS) if "possible_duplicate" not in r.get(ReferralsTab.FLAGS, "")
    ]
    status, police = form.field("criminal_status").column, form.field("police_involved").column
    risk = form.field("risk_to_self").column
    facts = _first(referrals, set(), **{ReferralsTab.SERVICE: "hsb", status: "Under investigation"})
    if facts is None:
        return None
    taken = {facts[ReferralsTab.CASE_ID]}
    invited = {
        m[MeetingsTab.CASE_ID]: m[MeetingsTab.MEETING]
        for m in _rows(tables, MEETINGS)
        if m.get(MeetingsTab.STATUS) == INVITED and m.get(MeetingsTab.TYPE) == "strategy_discussion"
    }
    candidates = [r for r in referrals if r.get(ReferralsTab.CASE_ID) in invited]
    held = _first(candidates, taken, **{ReferralsTab.SERVICE: "hsb", police: "Yes"})
    universal = {ReferralsTab.SERVICE: "hsb", ReferralsTab.ROUTE: "universal", risk: "No"}
    override = _first(referrals, taken, **universal)
    if held is None or override is None:
        return None
    case = held[ReferralsTab.CASE_ID]
    return DemoCases(case, invited[case], override[ReferralsTab.CASE_ID], facts[ReferralsTab.CASE_ID])


def already_edited(tables: Mapping[str, Table]) -> bool:
    """Whether coordinators have typed any of the values the demo types (so it types none)."""
    referrals = _rows(tables, REFERRALS)
    return (
        any(r.get(c, "").strip() for r in referrals for c in CASE_COLUMNS)
        or any(m.get(MeetingsTab.DECISIONS, "").strip() for m in _rows(tables, MEETINGS))
        or any(s.get(NextStepsTab.DONE_ON, "").strip() for s in _rows(tables, NEXT_STEPS))
    )


def plan_coordinator_edits(form: FormDefinition, tables: Mapping[str, Table], today: date) -> WriteBatch:
    """The coordinators' edits, as Updates by key; an empty batch if they were typed already."""
    if already_edited(tables):
        return WriteBatch()
    cases = choose_cases(form, tables)
    if cases is None:
        return WriteBatch()
    batch = WriteBatch()
    meeting: dict[str, str] = {MeetingsTab.STATUS: HELD, MeetingsTab.DECISIONS: HELD_DECISIONS}
    batch.updates.append(Update(MEETINGS, MeetingsTab.MEETING, cases.meeting, meeting))
    override: dict[str, str] = {
        ReferralsTab.ROUTE_OVERRIDE: OVERRIDE_ROUTE,
        ReferralsTab.LINKED_CASES: cases.held,
    }
    batch.updates.append(Update(REFERRALS, ReferralsTab.CASE_ID, cases.override, override))
    facts: dict[str, str] = {ReferralsTab.CRIMINAL_STATUS_NOW: STATUS_NOW}
    batch.updates.append(Update(REFERRALS, ReferralsTab.CASE_ID, cases.facts, facts))
    for step in _rows(tables, NEXT_STEPS):
        if step.get(NextStepsTab.CASE_ID) == cases.held and step.get(NextStepsTab.STEP) == DONE_STEP:
            done: dict[str, str] = {NextStepsTab.DONE_ON: format_uk(today)}
            batch.updates.append(Update(NEXT_STEPS, NextStepsTab.STEP_ID, step[NextStepsTab.STEP_ID], done))
    return batch


def add_coordinator_edits(ctx: Context) -> int:
    """Type the demo coordinators' edits into the register, once; how many rows they changed."""
    with ctx.workbook.session():
        batch = plan_coordinator_edits(ctx.form, ctx.workbook.read(TABS), ctx.now().date())
        if batch:
            ctx.workbook.write(batch)
    return len(batch.updates)


def coordinators_did(form: FormDefinition, tables: Mapping[str, Table]) -> list[str]:
    """What coordinators typed, as the register shows it (case ids and values, no names)."""
    status = form.field("criminal_status").column
    lines = [
        f"{m[MeetingsTab.MEETING]}: {m.get(MeetingsTab.TYPE, '')} marked Held, decisions "
        f"{m[MeetingsTab.DECISIONS]}"
        for m in _rows(tables, MEETINGS)
        if m.get(MeetingsTab.STATUS) == HELD and m.get(MeetingsTab.DECISIONS, "").strip()
    ]
    for row in _rows(tables, REFERRALS):
        case = row.get(ReferralsTab.CASE_ID, "")
        if row.get(ReferralsTab.ROUTE_OVERRIDE):
            lines.append(f"{case}: Route override {row[ReferralsTab.ROUTE_OVERRIDE]}")
        if row.get(ReferralsTab.LINKED_CASES):
            lines.append(f"{case}: Linked cases {row[ReferralsTab.LINKED_CASES]}")
        if row.get(ReferralsTab.CRIMINAL_STATUS_NOW):
            now = row[ReferralsTab.CRIMINAL_STATUS_NOW]
            lines.append(f"{case}: Criminal status now {now} (the form said {row.get(status) or 'none'})")
    for step in _rows(tables, NEXT_STEPS):
        if step.get(NextStepsTab.DONE_ON, "").strip():
            case, name = step[NextStepsTab.CASE_ID], step[NextStepsTab.STEP]
            lines.append(f"{case}: {name} Done on {step[NextStepsTab.DONE_ON]}")
    return lines


def jobs_did(form: FormDefinition, tables: Mapping[str, Table]) -> list[str]:
    """What the jobs made of the new paths and the coordinators' edits, as the register shows it."""
    referrals = _rows(tables, REFERRALS)
    steps = _rows(tables, NEXT_STEPS)
    return [
        *_intake_paths(form, referrals, steps),
        *_decisions_acted_on(_rows(tables, MEETINGS), steps),
        *_cases_changed(referrals, _rows(tables, MEETINGS), _rows(tables, AUDIT_LOG)),
        _step_statuses(steps),
    ]


def _ids(rows: list[dict[str, str]]) -> str:
    return ", ".join(sorted(r[ReferralsTab.CASE_ID] for r in rows)) or "none"


def _intake_paths(
    form: FormDefinition, referrals: list[dict[str, str]], steps: list[dict[str, str]]
) -> list[str]:
    """The routing paths intake took: an adult, a Green risk to self, YOS invited, no lead professional."""
    traffic, risk = form.field("traffic_light").column, form.field("risk_to_self").column
    adults = [r for r in referrals if r.get(ReferralsTab.SERVICE) == "out_of_scope"]
    green = [
        r
        for r in referrals
        if r.get(traffic) == "Green" and r.get(risk) == "Yes" and r.get(ReferralsTab.LEVEL) != "significant"
    ]
    yos = [r for r in referrals if "youth_offending_service" in r.get(ReferralsTab.INVITEES, "")]
    lead = [s for s in steps if s.get(NextStepsTab.STEP) == "identify_lead_professional"]
    lines = [
        f"{r[ReferralsTab.CASE_ID]}: aged 18 or over → {r.get(ReferralsTab.ROUTE)}, "
        f"{r.get(ReferralsTab.ACTIONS)}"
        for r in adults
    ]
    lines += [
        f"{r[ReferralsTab.CASE_ID]}: Green with a risk to self → route {r.get(ReferralsTab.ROUTE)}, "
        f"actions {r.get(ReferralsTab.ACTIONS)}"
        for r in green
    ]
    lines.append(f"{_ids(yos)}: open to the Youth Offending Service → youth_offending_service invited")
    lines.append(f"{len(lead)} case(s) with no lead professional → an identify_lead_professional step each")
    return lines


def _decisions_acted_on(meetings: list[dict[str, str]], steps: list[dict[str, str]]) -> list[str]:
    """Each held meeting's decisions acted on, and the next steps they made."""
    lines = []
    for meeting in meetings:
        acted = meeting.get(MeetingsTab.DECISIONS_ACTED_ON, "").strip()
        if not acted:
            continue
        reference = meeting[MeetingsTab.MEETING]
        made = [
            f"{s[NextStepsTab.STEP]} due {s[NextStepsTab.DUE]}"
            for s in steps
            if s.get(NextStepsTab.STEP_ID, "").rpartition("|")[2] == reference
        ]
        lines.append(
            f"{reference}: decisions {acted} acted on (audited) → {len(made)} next step(s)"
            + (f": {', '.join(made)}" if made else "")
        )
    return lines


def _cases_changed(
    referrals: list[dict[str, str]], meetings: list[dict[str, str]], audit_rows: list[dict[str, str]]
) -> list[str]:
    """Overridden and re-decided cases (their audit lines), their meetings, and mirrored links."""
    lines = []
    audited = {
        (a.get(AuditLogTab.CASE_ID, ""), a.get(AuditLogTab.ACTION, "")): a.get(AuditLogTab.DETAIL, "")
        for a in audit_rows
    }
    for row in referrals:
        case = row[ReferralsTab.CASE_ID]
        if (case, "route overridden") in audited:
            held = [
                f"{m[MeetingsTab.MEETING]} {m.get(MeetingsTab.TYPE)} {m.get(MeetingsTab.STATUS)}"
                for m in meetings
                if m.get(MeetingsTab.CASE_ID) == case
            ]
            linked = row.get(ReferralsTab.LINKED_WITH)
            route = row.get(ReferralsTab.ROUTE)
            lines.append(
                f"{case}: route now {route} (audited) → {', '.join(held) or 'no meeting'}"
                + (f", its invitation listing linked case {linked}" if linked else "")
            )
        if (case, "case decided again") in audited:
            lines.append(f"{case}: decided again (audited) {audited[(case, 'case decided again')]}")
        if row.get(ReferralsTab.LINKED_WITH):
            how = "" if row.get(ReferralsTab.LINKED_CASES) else " (mirrored)"
            lines.append(f"{case}: Linked with {row[ReferralsTab.LINKED_WITH]}{how}")
    return lines


def _step_statuses(steps: list[dict[str, str]]) -> str:
    """How many next steps are in each status, and how many overdue ones were escalated."""
    statuses = Counter(s.get(NextStepsTab.STATUS, "") for s in steps)
    escalated = sum(1 for s in steps if s.get(NextStepsTab.LAST_ESCALATED, "").strip())
    counts = ", ".join(f"{statuses[s]} {s}" for s in ("Open", "Overdue", "Done") if statuses[s])
    return f"Next steps: {counts}; {escalated} overdue step(s) escalated to the service manager"

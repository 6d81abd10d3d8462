"""What each notification says: one builder per kind, rendering Jinja2 templates from the register.

Emails are built when they are sent, from what the register holds then. Mail to an address outside
the secure domains (Settings) or not marked Secure in the Directory carries only the case id, what is
due and the register link. A calendar invitation (``invite_text``) never carries the child's details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hsb_sheets.adapters.mail.base import Attachment, Email
from hsb_sheets.adapters.workbook.base import Keyed, Table
from hsb_sheets.domain.dates import DateFormatError, day_named, format_uk, moment_named, parse_timestamp
from hsb_sheets.domain.digest import build_digest
from hsb_sheets.domain.meetings import label
from hsb_sheets.domain.outbox_keys import (
    ACKNOWLEDGEMENT,
    DIGEST,
    INTAKE_ISSUE,
    REMINDER,
    STEP_ESCALATION,
    DigestKey,
    OutboxKey,
    ReminderKey,
    StepEscalationKey,
)
from hsb_sheets.domain.outbox_keys import NEEDS_SCHEDULING as NEEDS_SCHEDULING_KIND
from hsb_sheets.domain.tabs import (
    CASE_ID,
    DIRECTORY,
    INTAKE_ISSUES,
    INTERVENTION_KEY,
    INTERVENTIONS,
    JOB_STATUS,
    MEETING,
    MEETINGS,
    NEXT_STEPS,
    OUTBOX,
    REFERRALS,
    RESPONSE_ID,
    DirectoryTab,
    IntakeIssuesTab,
    InterventionsTab,
    MeetingsTab,
    NextStepsTab,
    OutboxTab,
    ReferralsTab,
)
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.context import Context
from hsb_sheets.services.meetings_cells import INVITATION
from hsb_sheets.services.policy import Policy
from hsb_sheets.services.status import held_open_notice

READS = (REFERRALS, INTAKE_ISSUES, MEETINGS, DIRECTORY, INTERVENTIONS, OUTBOX, JOB_STATUS, NEXT_STEPS)


@dataclass(frozen=True)
class Lookup:
    """Register rows a notification may draw on, by key."""

    referrals: Mapping[str, Mapping[str, str]]
    issues: Mapping[str, Mapping[str, str]]
    meetings: Mapping[str, Mapping[str, str]]
    secure_addresses: frozenset[str]
    interventions: Mapping[tuple[str, ...], Mapping[str, str]]
    tables: Mapping[str, Table]
    # Indexes made once, when a builder first needs them (a run may send thousands of emails).
    _made: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict, compare=False, repr=False)

    def steps(self) -> Mapping[str, Mapping[str, str]]:
        """Next steps rows by Step ID."""
        if NEXT_STEPS not in self._made:
            self._made[NEXT_STEPS] = _index(self.tables[NEXT_STEPS], NextStepsTab.STEP_ID)
        return self._made[NEXT_STEPS]

    def all_secure(self, policy: Policy, addresses: tuple[str, ...]) -> bool:
        """Whether every address may receive personal details."""
        return all(policy.is_secure(a) or a.casefold() in self.secure_addresses for a in addresses)


# A builder reads its key's parts (OutboxKeyError if they are malformed) and the register rows they name.
Builder = Callable[[Context, Policy, OutboxKey, Mapping[str, str], Lookup], Email | None]


def _acknowledgement(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> Email | None:
    referral = lookup.referrals.get(entry[OutboxTab.CASE_ID])
    if referral is None:
        return None
    context = {
        "referrer_name": referral.get(ctx.form.field("referrer_name").column, ""),
        "case_id": entry[OutboxTab.CASE_ID],
        "service_name": policy.service_name,
        "contact_line": policy.contact_line,
    }
    return Email(
        key=str(key),
        sender=ctx.sender,
        to=(entry[OutboxTab.RECIPIENT],),
        subject=ctx.templates.render("email/acknowledgement.subject.j2", **context).strip(),
        text=ctx.templates.render("email/acknowledgement.txt.j2", **context),
        html=ctx.templates.render("email/acknowledgement.html.j2", **context),
    )


def _intake_issue(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> Email | None:
    issue = lookup.issues.get(key.subject)
    if issue is None:
        return None
    received = issue.get(IntakeIssuesTab.RECEIVED, "").strip()
    try:
        moment = parse_timestamp(received, policy.date_locale) if received else None
    except DateFormatError:
        moment = None
    context = {
        "reasons": [line for line in issue.get(IntakeIssuesTab.REASONS, "").splitlines() if line.strip()],
        # The referrer tells their submissions apart by when they sent each, and the form row names it.
        "submitted": moment_named(moment) if moment else received,
        "submitted_short": moment.strftime("%d/%m/%Y %H:%M") if moment else received,
        "form_row": issue.get(IntakeIssuesTab.FORM_ROW, "").strip(),
        "service_name": policy.service_name,
        "contact_line": policy.contact_line,
    }
    return Email(
        key=str(key),
        sender=ctx.sender,
        to=(entry[OutboxTab.RECIPIENT],),
        subject=ctx.templates.render("email/intake_issue.subject.j2", **context).strip(),
        text=ctx.templates.render("email/intake_issue.txt.j2", **context),
        html=ctx.templates.render("email/intake_issue.html.j2", **context),
    )


def _needs_scheduling(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> Email | None:
    meeting = lookup.meetings.get(key.subject)
    if meeting is None:
        return None
    context = {
        "case_id": meeting.get(MeetingsTab.CASE_ID, ""),
        "label": label(meeting.get(MeetingsTab.TYPE, "")),
        "reason": meeting.get(MeetingsTab.REASON, "") or "see the Meetings tab",
        "register_link": policy.register_link,
        "service_name": policy.service_name,
        "contact_line": policy.contact_line,
    }
    return Email(
        key=str(key),
        sender=ctx.sender,
        to=(entry[OutboxTab.RECIPIENT],),
        subject=ctx.templates.render("email/needs_scheduling.subject.j2", **context).strip(),
        text=ctx.templates.render("email/needs_scheduling.txt.j2", **context),
        html=ctx.templates.render("email/needs_scheduling.html.j2", **context),
    )


def _index(table: Table, key: str) -> dict[str, dict[str, str]]:
    return {record[key]: record for record in table.records() if record.get(key)}


def _by(table: Table, *columns: str, strip: bool = False) -> Keyed:
    """A tab's rows keyed by one column's value (as it is), or by several columns' stripped values."""
    at = [table.header.index(c) if c in table.header else None for c in columns]
    if not strip:
        [i] = at
        return Keyed(table, (lambda row: "") if i is None else (lambda row: row[i]))
    return Keyed(table, lambda row: tuple("" if i is None else row[i].strip() for i in at))


def lookup_from(tables: Mapping[str, Table]) -> Lookup:
    """Indexes of the tabs builders draw on."""
    secure = frozenset(
        r.get(DirectoryTab.EMAIL, "").strip().casefold()
        for r in tables[DIRECTORY].records()
        if r.get(DirectoryTab.SECURE, "").strip().casefold() in ("yes", "y", "true")
    )
    return Lookup(
        _by(tables[REFERRALS], CASE_ID),
        _by(tables[INTAKE_ISSUES], RESPONSE_ID),
        _by(tables[MEETINGS], MEETING),
        secure,
        _by(tables[INTERVENTIONS], *INTERVENTION_KEY, strip=True),
        tables,
    )


def _child_name(ctx: Context, referral: Mapping[str, str]) -> str:
    first, last = (ctx.form.field(f).column for f in ("child_first_name", "child_last_name"))
    return f"{referral.get(first, '')} {referral.get(last, '')}".strip()


def _addresses(entry: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(a.strip() for a in entry[OutboxTab.RECIPIENT].split(",") if a.strip())


def reminder_context(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> dict[str, object]:
    """What a reminder's templates are given: the child's details only if every recipient is secure."""
    reminder = ReminderKey.of(key)
    addresses = _addresses(entry)
    referral = lookup.referrals.get(reminder.case_id, {})
    row = lookup.interventions.get((reminder.case_id, reminder.intervention, reminder.start), {})
    secure = bool(addresses) and lookup.all_secure(policy, addresses)
    return {
        "kind": reminder.kind,
        "case_id": reminder.case_id,
        "due": format_uk(reminder.due),
        "register_link": policy.register_link,
        "service_name": policy.service_name,
        "contact_line": policy.contact_line,
        "recording_system": referral.get(ReferralsTab.RECORDING_SYSTEM, "") or "case recording",
        "secure": secure,
        # Only for recipients trusted with personal details; the templates show them only then.
        "child_name": _child_name(ctx, referral) if secure else "",
        "intervention": reminder.intervention if secure else "",
        "worker": row.get(InterventionsTab.WORKER_EMAIL, "") if secure else "",
    }


def _reminder(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> Email | None:
    addresses = _addresses(entry)
    if not addresses:
        return None
    context = reminder_context(ctx, policy, key, entry, lookup)
    return Email(
        key=str(key),
        sender=ctx.sender,
        to=addresses[:1],
        cc=addresses[1:],
        subject=ctx.templates.render("email/reminder.subject.j2", **context).strip(),
        text=ctx.templates.render("email/reminder.txt.j2", **context),
        html=ctx.templates.render("email/reminder.html.j2", **context),
    )


def invite_text(
    ctx: Context,
    policy: Policy,
    row: Mapping[str, str],
    start: datetime,
    *,
    change: str = INVITATION,
    was: datetime | None = None,
    linked: tuple[str, ...] = (),
) -> tuple[str, str]:
    """An invitation's summary and description for a Meetings row: case id, meeting type, time, link.

    ``change`` is what is being sent (an invitation, an update or a cancellation): an update says
    first that the meeting has moved, from ``was`` (when known) to ``start``; a cancellation says
    first that the meeting is cancelled, and when it was to be (``start``). ``linked`` are the ids
    of the cases linked with this one (DESIGN section 6): ids, never names.
    """

    def when(moment: datetime) -> str:
        return moment.astimezone(ctx.timezone).strftime("%A %d %B %Y, %H:%M")

    context = {
        "label": label(row[MeetingsTab.TYPE]),
        "case_id": row[MeetingsTab.CASE_ID],
        "when": when(start),
        "change": change,
        "was": when(was) if was is not None and was != start else "",
        "linked": linked,
        "register_link": policy.register_link,
        "service_name": policy.service_name,
        "contact_line": policy.contact_line,
    }
    summary = ctx.templates.render("invite/summary.j2", **context).strip()
    return summary, ctx.templates.render("invite/description.j2", **context)


def _digest(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> Email | None:
    from hsb_sheets.services.digest_chart import referrals_chart
    from hsb_sheets.services.sharing import sharing_notice

    area = DigestKey.of(key).area
    t = lookup.tables
    digest = build_digest(
        area,
        DigestKey.of(key).day,
        WorkingCalendar(ctx.timezone, policy.office_opens, policy.office_closes),
        t[REFERRALS].records(),
        t[INTAKE_ISSUES].records(),
        t[MEETINGS].records(),
        t[INTERVENTIONS].records(),
        t[OUTBOX].records(),
        area_column=ctx.form.field("child_area").column,
        next_steps=t[NEXT_STEPS].records(),
    )
    since = day_named(digest.since or digest.day)
    sections = [
        (f"New referrals since {since}", digest.new_referrals),
        ("Intake issues waiting (all areas)", digest.intake_issues),
        ("Meetings needing scheduling", digest.needs_scheduling),
        ("End summaries due this week", digest.due_this_week),
        ("End summaries overdue", digest.overdue),
        ("Notifications that failed", digest.failed),
        ("Next steps due this week", digest.steps_due_this_week),
        ("Next steps overdue", digest.steps_overdue),
    ]
    context = {
        "sharing": sharing_notice(ctx, policy),  # first of all: a public or external share, every day
        "held_open": held_open_notice(ctx),  # the first line, when the register has been open for long
        "area": area,
        "day": format_uk(digest.day),
        "since": since,
        "new_referrals": digest.new_referrals,
        "intake_issues": digest.intake_issues,
        "needs_scheduling": digest.needs_scheduling,
        "due_this_week": digest.due_this_week,
        "overdue": digest.overdue,
        "failed": digest.failed,
        "steps_due_this_week": digest.steps_due_this_week,
        "steps_overdue": digest.steps_overdue,
        "sections": sections,
        "register_link": policy.register_link,
        "service_name": policy.service_name,
        "contact_line": policy.contact_line,
    }
    chart = Attachment("referrals-by-route.png", "image", "png", referrals_chart(digest))
    return Email(
        key=str(key),
        sender=ctx.sender,
        to=(entry[OutboxTab.RECIPIENT],),
        subject=ctx.templates.render("email/digest.subject.j2", **context).strip(),
        text=ctx.templates.render("email/digest.txt.j2", **context),
        html=ctx.templates.render("email/digest.html.j2", **context),
        attachments=(chart,),
    )


def _step_escalation(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> Email | None:
    """An overdue next step, told to the area's service managers: the case id and the step, nothing more."""
    escalation = StepEscalationKey.of(key)
    addresses = _addresses(entry)
    if not addresses:
        return None
    step = lookup.steps().get(escalation.step_id, {})
    context = {
        "case_id": escalation.case_id,
        "step": escalation.step.replace("_", " "),
        "due": format_uk(escalation.due),
        "owner_role": (step.get(NextStepsTab.OWNER_ROLE, "") or "coordinator").replace("_", " "),
        "register_link": policy.register_link,
        "service_name": policy.service_name,
        "contact_line": policy.contact_line,
    }
    return Email(
        key=str(key),
        sender=ctx.sender,
        to=addresses,
        subject=ctx.templates.render("email/step_escalation.subject.j2", **context).strip(),
        text=ctx.templates.render("email/step_escalation.txt.j2", **context),
        html=ctx.templates.render("email/step_escalation.html.j2", **context),
    )


BUILDERS: dict[str, Builder] = {
    ACKNOWLEDGEMENT: _acknowledgement,
    INTAKE_ISSUE: _intake_issue,
    NEEDS_SCHEDULING_KIND: _needs_scheduling,
    REMINDER: _reminder,
    DIGEST: _digest,
    STEP_ESCALATION: _step_escalation,
}

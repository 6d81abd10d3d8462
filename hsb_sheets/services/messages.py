"""What each notification says: one builder per kind, rendering Jinja2 templates from the register.

Emails are built when they are sent, from what the register holds then. Mail to an address outside
the secure domains (Settings) or not marked Secure in the Directory carries only the case id, what is
due and the register link. A calendar invitation (``invite_text``) never carries the child's details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from hsb_sheets.adapters.mail.base import Attachment, Email
from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.domain.dates import format_uk
from hsb_sheets.domain.digest import build_digest
from hsb_sheets.domain.meetings import label
from hsb_sheets.domain.outbox_keys import (
    ACKNOWLEDGEMENT,
    DIGEST,
    INTAKE_ISSUE,
    REMINDER,
    DigestKey,
    OutboxKey,
    ReminderKey,
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
    OUTBOX,
    REFERRALS,
    RESPONSE_ID,
    DirectoryTab,
    IntakeIssuesTab,
    InterventionsTab,
    MeetingsTab,
    OutboxTab,
    ReferralsTab,
)
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import Policy
from hsb_sheets.services.status import held_open_notice

READS = (REFERRALS, INTAKE_ISSUES, MEETINGS, DIRECTORY, INTERVENTIONS, OUTBOX, JOB_STATUS)


@dataclass(frozen=True)
class Lookup:
    """Register rows a notification may draw on, by key."""

    referrals: Mapping[str, Mapping[str, str]]
    issues: Mapping[str, Mapping[str, str]]
    meetings: Mapping[str, Mapping[str, str]]
    secure_addresses: frozenset[str]
    interventions: Mapping[tuple[str, ...], Mapping[str, str]]
    tables: Mapping[str, Table]

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
    context = {
        "reasons": [line for line in issue.get(IntakeIssuesTab.REASONS, "").splitlines() if line.strip()],
        "submitted": issue.get(IntakeIssuesTab.RECEIVED, ""),
        "service_name": policy.service_name,
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


def lookup_from(tables: Mapping[str, Table]) -> Lookup:
    """Indexes of the tabs builders draw on."""
    secure = frozenset(
        r.get(DirectoryTab.EMAIL, "").strip().casefold()
        for r in tables[DIRECTORY].records()
        if r.get(DirectoryTab.SECURE, "").strip().casefold() in ("yes", "y", "true")
    )
    return Lookup(
        _index(tables[REFERRALS], CASE_ID),
        _index(tables[INTAKE_ISSUES], RESPONSE_ID),
        _index(tables[MEETINGS], MEETING),
        secure,
        {tuple(r.get(c, "").strip() for c in INTERVENTION_KEY): r for r in tables[INTERVENTIONS].records()},
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
    linked: tuple[str, ...] = (),
) -> tuple[str, str]:
    """An invitation's summary and description for a Meetings row: case id, meeting type, time, link.

    ``linked`` are the ids of the cases linked with this one (DESIGN section 6): ids, never names.
    """
    context = {
        "label": label(row[MeetingsTab.TYPE]),
        "case_id": row[MeetingsTab.CASE_ID],
        "linked": linked,
        "when": start.astimezone(ctx.timezone).strftime("%A %d %B %Y, %H:%M"),
        "register_link": policy.register_link,
        "service_name": policy.service_name,
    }
    summary = ctx.templates.render("invite/summary.j2", **context).strip()
    return summary, ctx.templates.render("invite/description.j2", **context)


def _digest(
    ctx: Context, policy: Policy, key: OutboxKey, entry: Mapping[str, str], lookup: Lookup
) -> Email | None:
    from hsb_sheets.services.digest_chart import referrals_chart

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
    )
    sections = [
        ("New referrals", digest.new_referrals),
        ("Intake issues waiting (all areas)", digest.intake_issues),
        ("Meetings needing scheduling", digest.needs_scheduling),
        ("End summaries due this week", digest.due_this_week),
        ("End summaries overdue", digest.overdue),
        ("Notifications that failed", digest.failed),
    ]
    context = {
        "held_open": held_open_notice(ctx),  # the first line, when the register has been open for long
        "area": area,
        "day": format_uk(digest.day),
        "new_referrals": digest.new_referrals,
        "intake_issues": digest.intake_issues,
        "needs_scheduling": digest.needs_scheduling,
        "due_this_week": digest.due_this_week,
        "overdue": digest.overdue,
        "failed": digest.failed,
        "sections": sections,
        "register_link": policy.register_link,
        "service_name": policy.service_name,
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


BUILDERS: dict[str, Builder] = {
    ACKNOWLEDGEMENT: _acknowledgement,
    INTAKE_ISSUE: _intake_issue,
    NEEDS_SCHEDULING_KIND: _needs_scheduling,
    REMINDER: _reminder,
    DIGEST: _digest,
}

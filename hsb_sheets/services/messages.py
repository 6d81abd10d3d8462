"""What each notification says: one builder per kind, rendering Jinja2 templates from the register.

Emails are built when they are sent, from what the register holds then. Mail to an address outside
the secure domains (Settings) or not marked Secure in the Directory carries only the case id, what is
due and the register link. A calendar invitation (``invite_text``) never carries the child's details.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from hsb_sheets.adapters.mail.base import Attachment, Email
from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.domain.dates import format_uk
from hsb_sheets.domain.digest import build_digest
from hsb_sheets.domain.meetings import label
from hsb_sheets.domain.tabs import (
    CASE_ID,
    DIRECTORY,
    INTAKE_ISSUES,
    INTERVENTIONS,
    JOB_STATUS,
    MEETING,
    MEETINGS,
    OUTBOX,
    REFERRALS,
    RESPONSE_ID,
)
from hsb_sheets.domain.working_days import WorkingCalendar
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import Policy

ACKNOWLEDGEMENT = "acknowledgement"
INTAKE_ISSUE = "intake_issue"
NEEDS_SCHEDULING_KIND = "needs_scheduling"
REMINDER = "reminder"
DIGEST = "digest"
READS = (REFERRALS, INTAKE_ISSUES, MEETINGS, DIRECTORY, INTERVENTIONS, OUTBOX, JOB_STATUS)
INTERVENTION_KEY = (CASE_ID, "Intervention", "Start date")


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


Builder = Callable[[Context, Policy, Mapping[str, str], Lookup], Email | None]


def _acknowledgement(ctx: Context, policy: Policy, entry: Mapping[str, str], lookup: Lookup) -> Email | None:
    referral = lookup.referrals.get(entry[CASE_ID])
    if referral is None:
        return None
    context = {
        "referrer_name": referral.get("Referrer name", ""),
        "case_id": entry[CASE_ID],
        "service_name": policy.service_name,
    }
    return Email(
        key=entry["Key"],
        sender=ctx.sender,
        to=(entry["Recipient"],),
        subject=ctx.templates.render("email/acknowledgement.subject.j2", **context).strip(),
        text=ctx.templates.render("email/acknowledgement.txt.j2", **context),
        html=ctx.templates.render("email/acknowledgement.html.j2", **context),
    )


def _intake_issue(ctx: Context, policy: Policy, entry: Mapping[str, str], lookup: Lookup) -> Email | None:
    response_id = entry["Key"].split("|", 1)[1]
    issue = lookup.issues.get(response_id)
    if issue is None:
        return None
    context = {
        "reasons": [line for line in issue.get("Reasons", "").splitlines() if line.strip()],
        "submitted": issue.get("Received", ""),
        "service_name": policy.service_name,
    }
    return Email(
        key=entry["Key"],
        sender=ctx.sender,
        to=(entry["Recipient"],),
        subject=ctx.templates.render("email/intake_issue.subject.j2", **context).strip(),
        text=ctx.templates.render("email/intake_issue.txt.j2", **context),
        html=ctx.templates.render("email/intake_issue.html.j2", **context),
    )


def _needs_scheduling(ctx: Context, policy: Policy, entry: Mapping[str, str], lookup: Lookup) -> Email | None:
    meeting = lookup.meetings.get(entry["Key"].split("|")[1])
    if meeting is None:
        return None
    context = {
        "case_id": meeting.get(CASE_ID, ""),
        "label": label(meeting.get("Type", "")),
        "reason": meeting.get("Reason", "") or "see the Meetings tab",
        "register_link": policy.register_link,
        "service_name": policy.service_name,
    }
    return Email(
        key=entry["Key"],
        sender=ctx.sender,
        to=(entry["Recipient"],),
        subject=ctx.templates.render("email/needs_scheduling.subject.j2", **context).strip(),
        text=ctx.templates.render("email/needs_scheduling.txt.j2", **context),
        html=ctx.templates.render("email/needs_scheduling.html.j2", **context),
    )


def invite_text(ctx: Context, policy: Policy, row: Mapping[str, str], start: datetime) -> tuple[str, str]:
    """An invitation's summary and description for a Meetings row: case id, meeting type, time, link."""
    context = {
        "label": label(row["Type"]),
        "case_id": row[CASE_ID],
        "when": start.astimezone(ctx.timezone).strftime("%A %d %B %Y, %H:%M"),
        "register_link": policy.register_link,
        "service_name": policy.service_name,
    }
    summary = ctx.templates.render("invite/summary.j2", **context).strip()
    return summary, ctx.templates.render("invite/description.j2", **context)


def _index(table: Table, key: str) -> dict[str, dict[str, str]]:
    return {record[key]: record for record in table.records() if record.get(key)}


def lookup_from(tables: Mapping[str, Table]) -> Lookup:
    """Indexes of the tabs builders draw on."""
    secure = frozenset(
        r.get("Email", "").strip().casefold()
        for r in tables[DIRECTORY].records()
        if r.get("Secure", "").strip().casefold() in ("yes", "y", "true")
    )
    return Lookup(
        _index(tables[REFERRALS], CASE_ID),
        _index(tables[INTAKE_ISSUES], RESPONSE_ID),
        _index(tables[MEETINGS], MEETING),
        secure,
        {tuple(r.get(c, "").strip() for c in INTERVENTION_KEY): r for r in tables[INTERVENTIONS].records()},
        tables,
    )


def reminder_key(
    kind: str, case_id: str, intervention: str, start: str, due: date, role: str, send_on: date
) -> str:
    """The idempotency key of one reminder: case, intervention, kind, due date, recipient role, day."""
    parts = (kind, case_id, intervention, start, due.isoformat(), role, send_on.isoformat())
    return "|".join([REMINDER, *(p.replace("|", "/") for p in parts)])


def _addresses(entry: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(a.strip() for a in entry["Recipient"].split(",") if a.strip())


def reminder_context(policy: Policy, entry: Mapping[str, str], lookup: Lookup) -> dict[str, object]:
    """What a reminder's templates are given: the child's details only if every recipient is secure."""
    _, kind, case_id, intervention, start, due, _role, _day = entry["Key"].split("|")
    addresses = _addresses(entry)
    referral = lookup.referrals.get(case_id, {})
    row = lookup.interventions.get((case_id, intervention, start), {})
    secure = bool(addresses) and lookup.all_secure(policy, addresses)
    return {
        "kind": kind,
        "case_id": case_id,
        "due": format_uk(date.fromisoformat(due)),
        "register_link": policy.register_link,
        "service_name": policy.service_name,
        "recording_system": referral.get("Recording system", "") or "case recording",
        "secure": secure,
        # Only for recipients trusted with personal details; the templates show them only then.
        "child_name": f"{referral.get('Child first name', '')} {referral.get('Child last name', '')}".strip()
        if secure
        else "",
        "intervention": intervention if secure else "",
        "worker": row.get("Worker email", "") if secure else "",
    }


def _reminder(ctx: Context, policy: Policy, entry: Mapping[str, str], lookup: Lookup) -> Email | None:
    addresses = _addresses(entry)
    if not addresses:
        return None
    context = reminder_context(policy, entry, lookup)
    return Email(
        key=entry["Key"],
        sender=ctx.sender,
        to=addresses[:1],
        cc=addresses[1:],
        subject=ctx.templates.render("email/reminder.subject.j2", **context).strip(),
        text=ctx.templates.render("email/reminder.txt.j2", **context),
        html=ctx.templates.render("email/reminder.html.j2", **context),
    )


def _digest(ctx: Context, policy: Policy, entry: Mapping[str, str], lookup: Lookup) -> Email | None:
    from hsb_sheets.services.digest_chart import referrals_chart

    _, area, day, _recipient = entry["Key"].split("|")
    t = lookup.tables
    digest = build_digest(
        area,
        date.fromisoformat(day),
        WorkingCalendar(ctx.timezone, policy.office_opens, policy.office_closes),
        t[REFERRALS].records(),
        t[INTAKE_ISSUES].records(),
        t[MEETINGS].records(),
        t[INTERVENTIONS].records(),
        t[OUTBOX].records(),
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
        key=entry["Key"],
        sender=ctx.sender,
        to=(entry["Recipient"],),
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

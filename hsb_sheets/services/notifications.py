"""The Outbox tab as a ledger: notifications are queued as ``pending`` rows, then sent once.

A job queues a notification in the same write as the change that causes it. Delivery sends each
pending row and marks it ``sent`` (with the provider's message id) or ``failed`` (with the reason).
The ledger is written once, after the sends, so a run costs the same few register requests
whatever it sends. In a run of several jobs each send's Audit log line joins the run's last write;
should the run stop before it, the next run writes the line for any Outbox row sent without one
(:func:`unaudited_sends`). A crash between sending and marking leaves rows pending, and every mail adapter
recognises a resend: the ``.eml`` outbox finds the file it wrote, SMTP its journal of accepted
messages, Gmail the Message-ID in the mailbox. Each send is also recorded in the journal with a
digest of exactly what was sent, and a key the journal records as sent is never sent again, even if
a stale copy of the register saved over it shows it pending.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hsb_sheets.adapters.journal.base import OutboxEntry, content_digest
from hsb_sheets.adapters.mail.base import Email, Mailer
from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.domain.outbox_keys import INTAKE_ISSUE, OutboxKey, OutboxKeyError
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    INTAKE_ISSUES,
    JOB_STATUS,
    OUTBOX,
    AuditLogTab,
    IntakeIssuesTab,
    JobStatusTab,
    OutboxTab,
)
from hsb_sheets.errors import MailError
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.messages import BUILDERS, READS, Lookup, lookup_from
from hsb_sheets.services.policy import Policy
from hsb_sheets.services.reports import DeliveringReport

PENDING, SENT, FAILED = "pending", "sent", "failed"
EMAIL_SENT = "email sent"
RECOVERING_JOB = "run"  # the Job of an Audit log line a later run wrote for a send (its job is not known)
UNREADABLE_KEY = "the Key is not one this version can read (kind and parts); nothing was sent"
NOTHING_TO_BUILD = "nothing on the register to build it from"


def queue_key(key: OutboxKey, case_id: str, role: str, recipient: str, now: datetime) -> Append:
    """An Outbox row for a notification to send; its key makes it unique."""
    return Append(
        OUTBOX,
        {
            OutboxTab.KEY: str(key),
            OutboxTab.CASE_ID: case_id,
            OutboxTab.KIND: key.kind,
            OutboxTab.RECIPIENT_ROLE: role,
            OutboxTab.RECIPIENT: recipient,
            OutboxTab.STATE: PENDING,
            OutboxTab.CREATED_AT: format_time(now),
        },
    )


@dataclass
class DeliveryReport:
    """What a delivery pass did."""

    sent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


def send_with_retry(
    mailer: Mailer,
    email: Email,
    attempts: int = 3,
    base_delay: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Send, retrying transient failures with exponential backoff and full jitter."""
    for attempt in range(1, attempts + 1):
        try:
            return mailer.send(email)
        except MailError as problem:
            if not problem.transient or attempt == attempts:
                raise
            sleep(random.uniform(0, base_delay * 2 ** (attempt - 1)))
    raise AssertionError("unreachable")


def deliver_pending(
    ctx: Context,
    policy: Policy,
    job: str,
    sleep: Callable[[float], None] = time.sleep,
    started: float | None = None,
    job_report: DeliveringReport | None = None,
) -> DeliveryReport:
    """Send every pending notification once and record the outcome in the Outbox.

    With ``job_report``, the delivery is recorded on it and the same write records the job's run in
    the Job status tab (for ``status``) with ``job_report.counts()``: the numbers of its log line.
    During a run of several jobs (``ctx.deferred`` set) that row joins the run's last write instead.
    """
    tables = ctx.workbook.read(list(READS))
    lookup = lookup_from(tables)
    report = DeliveryReport()
    batch = WriteBatch()
    recorded = ctx.journal.outbox()
    for entry in tables[OUTBOX].records():
        if entry.get(OutboxTab.STATE) != PENDING:
            continue
        key = entry[OutboxTab.KEY]
        if (sent := recorded.get(key)) is not None and sent.state == SENT:  # a run stopped before recording
            _record(batch, ctx, job, entry, lookup, SENT, message_id=sent.message_id)
            report.sent.append(key)
            continue
        try:
            email = _build(ctx, policy, entry, lookup)
        except OutboxKeyError:
            _record(batch, ctx, job, entry, lookup, FAILED, error=UNREADABLE_KEY)
            report.failed.append(key)
            continue
        if email is None:
            _record(batch, ctx, job, entry, lookup, FAILED, error=NOTHING_TO_BUILD)
            report.failed.append(key)
            continue
        try:
            message_id = send_with_retry(ctx.mailer, email, sleep=sleep)
        except MailError as problem:
            state = PENDING if problem.transient else FAILED
            _record(batch, ctx, job, entry, lookup, state, error=str(problem))
            (report.waiting if problem.transient else report.failed).append(key)
        else:
            ctx.journal.record_outbox([OutboxEntry(key, "sent", message_id, ctx.clock(), sent_digest(email))])
            _record(batch, ctx, job, entry, lookup, SENT, message_id=message_id)
            report.sent.append(key)
    if job_report is not None:
        job_report.delivery = report
        summary = job_report.counts()
        values: dict[str, str] = {
            JobStatusTab.LAST_RUN: format_time(ctx.now()),
            JobStatusTab.OUTCOME: "ok" if not report.failed else "ok; some notifications failed",
            JobStatusTab.DURATION: f"{time.monotonic() - (started or time.monotonic()):.1f}",
            JobStatusTab.COUNTS: " ".join(f"{k}={v}" for k, v in summary.items()),
        }
        status = WriteBatch() if ctx.deferred is None else ctx.deferred  # a run writes them as it ends
        if job in tables[JOB_STATUS].column(JobStatusTab.JOB):
            status.updates.append(Update(JOB_STATUS, JobStatusTab.JOB, job, values))
        else:
            status.appends.append(Append(JOB_STATUS, {JobStatusTab.JOB: job, **values}))
        if ctx.deferred is None:
            batch.extend(status)
    ctx.workbook.write(batch)
    return report


def sent_digest(email: Email) -> str:
    """The digest the journal records of what was sent: recipients, subject, every part's content."""
    parts = [email.text, email.html or "", *(content_digest(a.content) for a in email.attachments)]
    calendar = [email.calendar[0], content_digest(email.calendar[1])] if email.calendar else []
    content = {"to": email.to, "cc": email.cc, "subject": email.subject, "parts": parts, "calendar": calendar}
    return content_digest(json.dumps(content, sort_keys=True))


def _build(ctx: Context, policy: Policy, entry: Mapping[str, str], lookup: Lookup) -> Email | None:
    """The email for an Outbox row, or None if there is no builder for its kind or nothing to build from.

    OutboxKeyError if the row's key cannot be read: a coordinator edited it, or a newer version wrote it.
    """
    key = OutboxKey.parse(entry[OutboxTab.KEY])
    builder = BUILDERS.get(key.kind)
    return builder(ctx, policy, key, entry, lookup) if builder else None


def _record(
    batch: WriteBatch,
    ctx: Context,
    job: str,
    entry: Mapping[str, str],
    lookup: Lookup,
    state: str,
    *,
    message_id: str = "",
    error: str = "",
) -> None:
    now = ctx.now()
    values: dict[str, str] = {OutboxTab.STATE: state, OutboxTab.ERROR: error}
    if state == SENT:
        values.update({OutboxTab.SENT_AT: format_time(now), OutboxTab.MESSAGE_ID: message_id})
    batch.updates.append(Update(OUTBOX, OutboxTab.KEY, entry[OutboxTab.KEY], values))
    response_id = _intake_issue_of(entry[OutboxTab.KEY])
    # Only while the issue is still on the register: a coordinator may have removed it.
    if response_id and state != PENDING and response_id in lookup.issues:
        told = f"Yes, {format_time(now)}" if state == SENT else f"No: {error}"
        batch.updates.append(
            Update(
                INTAKE_ISSUES, IntakeIssuesTab.RESPONSE_ID, response_id, {IntakeIssuesTab.REFERRER_TOLD: told}
            )
        )
    action = {SENT: EMAIL_SENT, FAILED: "email failed", PENDING: "email will be retried"}[state]
    kind = entry.get(OutboxTab.KIND, "")
    # In a run of several jobs the audit line joins the run's last write (the Outbox row says at
    # once what happened), so recording a delivery costs one request on Google, not two.
    lines = batch if ctx.deferred is None else ctx.deferred
    lines.appends.append(audit(now, job, action, entry.get(OutboxTab.CASE_ID, ""), detail=kind))


def unaudited_sends(ctx: Context, coming: WriteBatch) -> list[Append]:
    """The "email sent" Audit log lines missing for Outbox rows marked sent (a run stopped before its
    last write, which holds them): one per row, at the row's *Sent at*, so writing them is done once.

    A send's line is the one with its case, kind and time (delivery stamps both with the same
    instant); lines in ``coming`` (the run's last write, about to be made) count as written.
    """
    tables = ctx.workbook.read([OUTBOX, AUDIT_LOG])
    outbox, log_tab = tables[OUTBOX], tables[AUDIT_LOG]
    at = [log_tab.index(c) for c in (AuditLogTab.ACTION, CASE_ID, AuditLogTab.DETAIL, AuditLogTab.TIME)]
    written = Counter(
        tuple(row[i].strip() for i in at[1:]) for row in log_tab.rows if row[at[0]].strip() == EMAIL_SENT
    )
    written.update(
        tuple(a.values.get(c, "").strip() for c in (CASE_ID, AuditLogTab.DETAIL, AuditLogTab.TIME))
        for a in coming.appends
        if a.tab == AUDIT_LOG and a.values.get(AuditLogTab.ACTION) == EMAIL_SENT
    )
    columns = [outbox.index(c) for c in (OutboxTab.CASE_ID, OutboxTab.KIND, OutboxTab.SENT_AT)]
    state = outbox.index(OutboxTab.STATE)
    missing: list[Append] = []
    for row in outbox.rows:
        send = tuple(row[i].strip() for i in columns)
        if row[state].strip() != SENT or not send[2]:
            continue
        if written[send] > 0:
            written[send] -= 1
            continue
        line = audit(ctx.now(), RECOVERING_JOB, EMAIL_SENT, send[0], detail=send[1])
        missing.append(Append(AUDIT_LOG, {**line.values, AuditLogTab.TIME: send[2]}))
    return missing


def _intake_issue_of(text: str) -> str:
    """The response id an intake-issue key is about; empty for any other (or unreadable) key."""
    try:
        key = OutboxKey.parse(text)
    except OutboxKeyError:
        return ""
    return key.subject if key.kind == INTAKE_ISSUE else ""

"""The intake job: ingest each new form response once, as a case or as an intake issue."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from hsb_sheets.adapters.journal.base import case_ids_given
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.domain.intake import CaseNumbers, DuplicateIndex, IntakePlan, plan_intake
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.domain.register_rows import duplicate_columns, issue_row, known_children, referral_row
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    FORM_RESPONSES,
    INTAKE_ISSUES,
    REFERRALS,
    RESPONSE_ID,
    ROUTING_RULES,
    SETTINGS,
)
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.notifications import DeliveryReport, deliver_pending, queue_key
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.reports import delivery_counts
from hsb_sheets.services.rule_source import rules_from_tab
from hsb_sheets.services.submissions import copy_submissions

JOB = "intake"


@dataclass
class IntakeReport:
    """What one intake run did (or, in a dry run, would do)."""

    registered: list[str] = field(default_factory=list)
    routes: Counter[str] = field(default_factory=Counter)
    issues: int = 0
    already_ingested: int = 0
    possible_duplicates: int = 0
    delivery: DeliveryReport = field(default_factory=DeliveryReport)
    planned: WriteBatch = field(default_factory=WriteBatch)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        """The numbers this run is summarised by (the log line, Job status and the command line)."""
        return {
            "registered": len(self.registered),
            "issues": self.issues,
            "already_ingested": self.already_ingested,
            "possible_duplicates": self.possible_duplicates,
            **delivery_counts(self.delivery),
        }


def intake_batch(ctx: Context, plan: IntakePlan) -> WriteBatch:
    """The register writes for a plan: rows, queued notifications and audit entries, in one batch."""
    now = ctx.now()
    batch = WriteBatch()
    for referral in plan.referrals:
        decision = referral.assessment.decision
        batch.appends.append(Append(REFERRALS, referral_row(ctx.form, referral)))
        batch.appends.append(
            audit(
                now,
                JOB,
                "referral registered",
                referral.case_id,
                decision.rules_fired,
                f"route {decision.route}; service {decision.service}",
                response_id=referral.row.response_id,
            )
        )
        if referral.assessment.duplicate_of:
            batch.appends.append(
                audit(
                    now,
                    JOB,
                    "possible duplicate flagged",
                    referral.case_id,
                    detail="same child as " + ", ".join(referral.assessment.duplicate_of),
                )
            )
        referrer = referral.assessment.response.text("referrer_email")
        key = OutboxKey.acknowledgement(referral.case_id)
        batch.appends.append(queue_key(key, referral.case_id, "referrer", referrer, now))
    for row in plan.recognised:
        batch.appends.append(
            audit(
                now,
                JOB,
                "response id recorded",
                detail=f"form row {row.sheet_row}: registered earlier as {row.legacy_id}",
                response_id=row.response_id,
            )
        )
    for issue in plan.issues:
        batch.appends.append(Append(INTAKE_ISSUES, issue_row(issue)))
        batch.appends.append(
            audit(
                now,
                JOB,
                "intake issue recorded",
                detail=f"form row {issue.row.sheet_row}: {len(issue.errors)} problem(s)",
                response_id=issue.row.response_id,
            )
        )
        if issue.tell:
            key = OutboxKey.intake_issue(issue.row.response_id)
            batch.appends.append(queue_key(key, "", "referrer", issue.tell, now))
    return batch


def run_intake(
    ctx: Context, *, dry_run: bool = False, sleep: Callable[[float], None] = time.sleep
) -> IntakeReport:
    """Read the register, plan, write everything in one batch, then deliver queued emails.

    Nothing is written if the form columns or the routing rules are broken: both are checked, and
    every decision is made, before the first write.
    """
    started = time.monotonic()
    copy_submissions(ctx, None if dry_run else ctx.journal)  # the web form's, into Form responses 1
    with ctx.workbook.session():
        tables = ctx.workbook.read(
            [FORM_RESPONSES, REFERRALS, INTAKE_ISSUES, ROUTING_RULES, SETTINGS, AUDIT_LOG]
        )
        policy = read_policy(tables[SETTINGS])
        table = rules_from_tab(ctx.form, tables[ROUTING_RULES])
        responses_tab, referrals, issues = tables[FORM_RESPONSES], tables[REFERRALS], tables[INTAKE_ISSUES]
        columns = map_columns(ctx.form, responses_tab.header, timestamp_required=True)
        # The Timestamp's values, not its display, identify responses (on Google: read with the tab).
        stamps = (
            ctx.workbook.read_values(FORM_RESPONSES, responses_tab.header[columns.timestamp])
            if responses_tab.rows and columns.timestamp is not None
            else None
        )
        responses = read_responses(columns, responses_tab.rows, policy.date_locale, stamps)
        # The Audit log is append-only: a response stays ingested even if a coordinator deletes its row.
        ingested = (
            set(referrals.column(RESPONSE_ID))
            | set(issues.column(RESPONSE_ID))
            | set(tables[AUDIT_LOG].column(RESPONSE_ID))
        )
        known = referrals.records(duplicate_columns(ctx.form))
        plan = plan_intake(
            ctx.form,
            table,
            responses,
            ingested - {""},
            DuplicateIndex(unread=known_children(known, ctx.form, policy.date_locale)),
            CaseNumbers(
                referrals.column(CASE_ID)
                + tables[AUDIT_LOG].column(CASE_ID)
                + case_ids_given(ctx.journal, ctx.now().year)
            ),
            policy.date_locale,
        )
        report = IntakeReport(
            registered=[r.case_id for r in plan.referrals],
            routes=Counter(r.assessment.decision.route for r in plan.referrals),
            issues=len(plan.issues),
            already_ingested=plan.already_ingested,
            possible_duplicates=sum(1 for r in plan.referrals if r.assessment.duplicate_of),
            planned=intake_batch(ctx, plan),
            dry_run=dry_run,
        )
        if dry_run:
            return report
        if report.planned:
            ctx.workbook.write(report.planned)
        deliver_pending(ctx, policy, JOB, sleep=sleep, job_report=report, started=started)
        return report

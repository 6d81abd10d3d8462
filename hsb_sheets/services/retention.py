"""The retention job: list the cases past the retention rule, erase those a coordinator confirmed.

Weekly (in ``run`` and the worker). A closed case past the rule (:mod:`hsb_sheets.domain.retention`)
is listed on the *Retention review* tab with why and a date to review it by, and an audit entry.
Nothing more happens until a coordinator fills in its *Confirmed by* and *Confirmed on*: the next run
then clears the case's personal data from every tab (:mod:`hsb_sheets.services.erasure`), keeping the
case id, its dates and its route, records *Erased on*, and audits what was cleared, when and on whose
confirmation. On the local backend the journal's copies are cleared too (its remembered rows by the
same write, its web-form submissions explicitly) and the journal's file compacted, so nothing erased
can be restored. A dry run plans all of it and writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from hsb_sheets.adapters.workbook.base import Append, Table, Update, WriteBatch
from hsb_sheets.domain.cells import CellProblem, read_date, read_date_time
from hsb_sheets.domain.form import TIMESTAMP, AgeUnder, FormDefinition
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.retention import CaseDates, Due, RetentionRule, judge_all
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    FORM_RESPONSES,
    INTERVENTIONS,
    JOB_STATUS,
    MEETINGS,
    REFERRALS,
    RETENTION_REVIEW,
    SETTINGS,
    AuditLogTab,
    InterventionsTab,
    JobStatusTab,
    MeetingsTab,
    ReferralsTab,
    RetentionReviewTab,
    TabSpec,
    all_tab_specs,
)
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.erasure import Erasure, erasable_specs, plan_erasure
from hsb_sheets.services.policy import read_policy
from hsb_sheets.services.retention_rule import read_rule

JOB = "retention"
ERASED = "personal data erased"
ERASED_AGAIN = "personal data erased again"
LISTED = "listed for retention review"
CAME_BACK = "personal data came back (a stale copy or an older version saved over the register)"
WAITS = "erasure waits for the next run"


@dataclass
class RetentionReport:
    """What one retention run did (or, in a dry run, would do)."""

    listed: list[str] = field(default_factory=list)
    erased: list[Erasure] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # listed, not yet confirmed
    problems: list[str] = field(default_factory=list)  # ids and reasons, never personal data
    planned: WriteBatch = field(default_factory=WriteBatch)
    dry_run: bool = False

    def counts(self) -> dict[str, int]:
        """The numbers this run is summarised by (the log line, Job status and the command line)."""
        return {
            "listed": len(self.listed),
            "erased": len(self.erased),
            "awaiting_confirmation": len(self.waiting),
            "problems": len(self.problems),
        }


def run_retention(ctx: Context, *, dry_run: bool = False) -> RetentionReport:
    """List the cases past retention; erase the personal data of those a coordinator confirmed.

    A case erased before whose personal data is back (a stale copy of the register saved over it, a
    restored version of the sheet) is erased again, and audited as such, without a new confirmation.
    """
    started = time.monotonic()
    report = RetentionReport(dry_run=dry_run)
    specs = all_tab_specs(ctx.form, tuple(ctx.routing_seed[0]))
    with ctx.workbook.session():
        names = [REFERRALS, MEETINGS, INTERVENTIONS, SETTINGS, RETENTION_REVIEW, AUDIT_LOG, FORM_RESPONSES]
        names.append(JOB_STATUS)
        tables = ctx.workbook.read(list(dict.fromkeys([*names, *(s.name for s in erasable_specs(specs))])))
        seen = _Seen(ctx, tables, specs, report)
        batch = WriteBatch()
        for case in seen.due.values():
            if case.case_id not in seen.reviewed:
                batch.appends.extend(_listing(ctx, case, seen.rule, seen.today))
                report.listed.append(case.case_id)
        for case_id, row in seen.reviewed.items():
            if case_id and case_id not in seen.erased:
                batch.extend(_confirmed(ctx, seen, case_id, row))
        for case_id in sorted(seen.erased):
            batch.extend(_erase_again(ctx, seen, case_id))
        report.planned = batch
        if not dry_run:
            _write(ctx, report, batch)
            _record_run(ctx, report, tables[JOB_STATUS], started)
    return report


def _record_run(ctx: Context, report: RetentionReport, status: Table, started: float) -> None:
    """The job's row on the Job status tab: now, or with the run's last write (``ctx.deferred``)."""
    values: dict[str, str] = {
        JobStatusTab.LAST_RUN: format_time(ctx.now()),
        JobStatusTab.OUTCOME: "ok",
        JobStatusTab.DURATION: f"{time.monotonic() - started:.1f}",
        JobStatusTab.COUNTS: " ".join(f"{k}={v}" for k, v in report.counts().items()),
    }
    batch = WriteBatch() if ctx.deferred is None else ctx.deferred
    if JOB in (name.strip() for name in status.column(JobStatusTab.JOB)):
        batch.updates.append(Update(JOB_STATUS, JobStatusTab.JOB, JOB, values))
    else:
        batch.appends.append(Append(JOB_STATUS, {JobStatusTab.JOB: JOB, **values}))
    if ctx.deferred is None:
        ctx.workbook.write(batch)


class _Seen:
    """What one run read and judged: the rule, today, the review list, erased and due cases."""

    def __init__(
        self, ctx: Context, tables: Mapping[str, Table], specs: Sequence[TabSpec], report: RetentionReport
    ) -> None:
        self.tables, self.specs, self.report = tables, specs, report
        self.rule = read_rule(tables[SETTINGS])
        self.locale = read_policy(tables[SETTINGS]).date_locale
        self.today = ctx.now().date()
        self.reviewed = {r.get(CASE_ID, "").strip(): r for r in tables[RETENTION_REVIEW].records()}
        self.erased = set(reviewed_erased(self.reviewed)) | {
            r.get(CASE_ID, "").strip()
            for r in tables[AUDIT_LOG].records()
            if r.get(AuditLogTab.ACTION) in (ERASED, ERASED_AGAIN)
        }
        cases = [c for c in case_dates(ctx.form, tables, self.locale, report) if c.case_id not in self.erased]
        verdicts = judge_all(cases, self.rule, self.today)
        report.problems.extend(f"{case_id}: {reason}" for case_id, reason in verdicts.unknown)
        self.due = {d.case_id: d for d in verdicts.due}
        self.stamps = _stamps(ctx, tables[FORM_RESPONSES])

    def erasure(self, ctx: Context, case_id: str) -> Erasure | None:
        """The case's erasure; None (and the reasons reported) when something blocks it."""
        erasure = plan_erasure(case_id, self.specs, self.tables, ctx.form, self.stamps, ctx.journal)
        if erasure.blocked:
            self.report.problems.extend(f"{case_id}: {reason}" for reason in erasure.blocked)
            return None
        return erasure


def _confirmed(ctx: Context, seen: _Seen, case_id: str, row: Mapping[str, str]) -> WriteBatch:
    """A listed case's erasure once a coordinator confirmed it (else nothing, and why reported)."""
    report = seen.report
    confirmation = _confirmation(row, seen.today, seen.locale, report)
    if confirmation is None:
        report.waiting.append(case_id)
        return WriteBatch()
    if case_id not in seen.due:
        report.problems.append(f"{case_id}: confirmed, but no longer past retention: not erased")
        return WriteBatch()
    erasure = seen.erasure(ctx, case_id)
    if erasure is None:
        return WriteBatch()
    report.erased.append(erasure)
    by, on = confirmation
    detail = f"confirmed by {by} on {on.isoformat()}; cleared {erasure.describe()}"
    stamp = format_time(ctx.now())
    done = Update(RETENTION_REVIEW, CASE_ID, case_id, {RetentionReviewTab.ERASED_ON: stamp})
    return WriteBatch(
        appends=[audit(ctx.now(), JOB, ERASED, case_id, detail=detail)],
        updates=[*erasure.updates, done],
    )


def _erase_again(ctx: Context, seen: _Seen, case_id: str) -> WriteBatch:
    """An erased case's personal data cleared again if any of it came back (else nothing)."""
    erasure = seen.erasure(ctx, case_id)
    if erasure is None or not (erasure.updates or erasure.submissions):
        return WriteBatch()
    seen.report.erased.append(erasure)
    detail = f"{CAME_BACK}; cleared {erasure.describe()}"
    return WriteBatch(
        appends=[audit(ctx.now(), JOB, ERASED_AGAIN, case_id, detail=detail)], updates=list(erasure.updates)
    )


def _write(ctx: Context, report: RetentionReport, batch: WriteBatch) -> None:
    """Write a run's batch: the journal's submissions first (a failed register write is retried in
    full next run), then the register, then the journal compacted. While a desktop program holds the
    register, only the listing is written (queued): erasure waits, so the journal keeps no copy of it."""
    if report.erased and ctx.workbook.held_open() is not None:
        report.problems.append(f"the register is open in a desktop program: {WAITS}")
        report.erased = []
        batch = WriteBatch(appends=[a for a in batch.appends if _is_listing(a)])
    for erasure in report.erased:
        for submission in erasure.submissions:
            ctx.journal.erase_submission(submission.id, submission.row)
    if batch:
        ctx.workbook.write(batch)
    if report.erased:
        ctx.journal.compact()


def reviewed_erased(reviewed: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The case ids the Retention review tab records as erased."""
    return [case_id for case_id, row in reviewed.items() if row.get(RetentionReviewTab.ERASED_ON, "").strip()]


def _is_listing(append: Append) -> bool:
    return append.tab == RETENTION_REVIEW or append.values.get(AuditLogTab.ACTION) == LISTED


def _listing(ctx: Context, case: Due, rule: RetentionRule, today: date) -> list[Append]:
    """The Retention review row of a case newly past retention, and its audit entry."""
    review_by = today + timedelta(days=rule.review_days)
    row: dict[str, str] = {
        RetentionReviewTab.CASE_ID: case.case_id,
        RetentionReviewTab.LISTED_ON: today.isoformat(),
        RetentionReviewTab.WHY: case.why,
        RetentionReviewTab.REVIEW_BY: review_by.isoformat(),
    }
    return [
        Append(RETENTION_REVIEW, row),
        audit(ctx.now(), JOB, LISTED, case.case_id, detail=f"review by {review_by.isoformat()}"),
    ]


def _confirmation(
    row: Mapping[str, str], today: date, locale: str, report: RetentionReport
) -> tuple[str, date] | None:
    """Who confirmed a listed case's erasure, and on what day (None: not confirmed, or not readably)."""
    case_id = row.get(CASE_ID, "").strip()
    by = " ".join(row.get(RetentionReviewTab.CONFIRMED_BY, "").split())
    text = row.get(RetentionReviewTab.CONFIRMED_ON, "")
    if not by and not text.strip():
        return None
    try:
        on = read_date(RetentionReviewTab.CONFIRMED_ON, text, locale)
    except CellProblem as problem:
        report.problems.append(f"{case_id}: {problem.reason}")
        return None
    if not by or on is None:
        missing = RetentionReviewTab.CONFIRMED_BY if not by else RetentionReviewTab.CONFIRMED_ON
        report.problems.append(f"{case_id}: fill in {missing} too to confirm its erasure")
        return None
    if on > today:
        report.problems.append(f"{case_id}: {RetentionReviewTab.CONFIRMED_ON} is in the future")
        return None
    return by, on


def _stamps(ctx: Context, table: Table) -> list[str] | None:
    """The Timestamp cells' values as stored (they, not their display, give response ids)."""
    if not table.rows or TIMESTAMP not in table.header:
        return None
    return ctx.workbook.read_values(FORM_RESPONSES, TIMESTAMP)


def birth_column(form: FormDefinition) -> str | None:
    """The Referrals column holding the child's date of birth: the date answer with an age rule."""
    for f in form.fields:
        if f.type == "date" and any(isinstance(r, AgeUnder) for r in f.rules):
            return f.column
    return None


def case_dates(
    form: FormDefinition, tables: Mapping[str, Table], locale: str, report: RetentionReport
) -> list[CaseDates]:
    """Each case's status and dates, from Referrals, Interventions and Meetings (unreadable: a problem)."""
    activity: dict[str, list[date]] = {}
    open_count: dict[str, int] = {}
    unreadable: set[str] = set()
    for record in tables[INTERVENTIONS].records():
        case_id = record.get(InterventionsTab.CASE_ID, "").strip()
        try:
            ends = [
                read_date(c, record.get(c, ""), locale)
                for c in (InterventionsTab.END_DATE, InterventionsTab.END_SUMMARY_RECORDED)
            ]
        except CellProblem:
            unreadable.add(case_id)
            continue
        found = [d for d in ends if d is not None]
        activity.setdefault(case_id, []).extend(found)
        open_count[case_id] = open_count.get(case_id, 0) + (not found)
    for record in tables[MEETINGS].records():
        case_id = record.get(CASE_ID, "").strip()
        for column in (MeetingsTab.EVENT_START, MeetingsTab.AGREED_START):
            try:
                moment = read_date_time(column, record.get(column, ""), locale)
            except CellProblem:
                unreadable.add(case_id)
                continue
            if moment is not None:
                activity.setdefault(case_id, []).append(moment.date())
    born_at = birth_column(form)
    cases = []
    read = (CASE_ID, ReferralsTab.STATUS, ReferralsTab.RECEIVED, *((born_at,) if born_at else ()))
    for record in tables[REFERRALS].records(read):
        case_id = record.get(CASE_ID, "").strip()
        if not case_id:
            continue
        if case_id in unreadable:
            report.problems.append(f"{case_id}: a date on its Meetings or Interventions rows cannot be read")
            continue
        cases.append(
            CaseDates(
                case_id,
                record.get(ReferralsTab.STATUS, ""),
                _day(record.get(ReferralsTab.RECEIVED, ""), locale),
                _day(record.get(born_at, ""), locale) if born_at else None,
                tuple(activity.get(case_id, ())),
                open_count.get(case_id, 0),
            )
        )
    return cases


def _day(text: str, locale: str) -> date | None:
    """A date or date-time cell's day; None when blank or unreadable (never echoed: it may be personal)."""
    try:
        moment = read_date_time("", text, locale) if ":" in text else None
        return moment.date() if moment else read_date("", text, locale)
    except CellProblem:
        return None

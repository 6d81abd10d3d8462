"""How referrals and intake issues are written as register rows, and read back for duplicates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from hsb_sheets.domain.dates import DateFormatError, parse_date, parse_timestamp
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.intake import KnownChild, NewIssue, NewReferral
from hsb_sheets.domain.tabs import (
    CASE_ID,
    DECISION_COLUMNS,
    POSSIBLE_DUPLICATE_OF,
    RECEIVED,
    RESPONSE_ID,
    IntakeIssuesTab,
    ReferralsTab,
)
from hsb_sheets.domain.validation import Answer

NEW_STATUS = "New"


def format_answer(value: Answer) -> str:
    """An answer as register text: ISO dates, comma-separated ticks."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ", ".join(value)
    return value


def format_time(moment: datetime) -> str:
    """A local time as register text."""
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _yes_no(flag: object) -> str:
    return "Yes" if flag else "No"


def referral_row(form: FormDefinition, referral: NewReferral) -> dict[str, str]:
    """The Referrals row of a new case (system columns, plus the initial status)."""
    assessment = referral.assessment
    response = assessment.response
    decision = assessment.decision.to_json()
    row: dict[str, str] = {
        CASE_ID: referral.case_id,
        RESPONSE_ID: referral.row.response_id,
        RECEIVED: format_time(response.received),
    }
    for f in form.fields:
        row[f.column] = format_answer(response.answers.get(f.id, ""))
    row[ReferralsTab.AGE] = str(assessment.facts["age"])
    row[ReferralsTab.LEVEL] = str(assessment.facts["level"])
    row[ReferralsTab.NOT_OPEN] = _yes_no(assessment.facts["not_open"])
    row[ReferralsTab.CRIMINAL_PROCESS] = _yes_no(assessment.facts["criminal_process"])
    for key, column in DECISION_COLUMNS.items():
        value = decision[key]
        row[column] = ", ".join(value) if isinstance(value, list) else (value or "")
    row[POSSIBLE_DUPLICATE_OF] = ", ".join(assessment.duplicate_of)
    row[ReferralsTab.STATUS] = NEW_STATUS
    return row


def issue_row(issue: NewIssue) -> dict[str, str]:
    """The Intake issues row of an invalid response."""
    return {
        RESPONSE_ID: issue.row.response_id,
        IntakeIssuesTab.FORM_ROW: str(issue.row.sheet_row),
        RECEIVED: format_time(issue.received) if issue.received else issue.row.timestamp.strip(),
        IntakeIssuesTab.REASONS: "\n".join(e.message for e in issue.errors),
        IntakeIssuesTab.REFERRER_TOLD: "Pending" if issue.tell else "No: no valid email address to tell",
    }


def known_children(
    records: Iterable[Mapping[str, str]], form: FormDefinition, locale: str
) -> list[KnownChild]:
    """Referrals on the register, for duplicate detection (rows that cannot be read are skipped)."""
    first = form.field("child_first_name").column
    last = form.field("child_last_name").column
    dob = form.field("child_dob").column
    known = []
    for record in records:
        try:
            born = parse_date(record.get(dob, ""), locale)
            received = parse_timestamp(record.get(RECEIVED, ""), locale).date()
        except DateFormatError:
            continue
        known.append(
            KnownChild(record.get(CASE_ID, ""), record.get(first, ""), record.get(last, ""), born, received)
        )
    return known

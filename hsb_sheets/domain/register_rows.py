"""How referrals and intake issues are written as register rows, and read back for duplicates."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.intake import NewIssue, NewReferral, UnreadChild
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


def duplicate_columns(form: FormDefinition) -> tuple[str, ...]:
    """The Referrals columns :func:`known_children` reads."""
    fields = ("child_first_name", "child_last_name", "child_dob")
    return (CASE_ID, RECEIVED, *(form.field(f).column for f in fields))


def known_children(
    records: Iterable[Mapping[str, str]], form: FormDefinition, locale: str
) -> list[UnreadChild]:
    """Referrals on the register, for duplicate detection (their dates are read only when needed, and
    rows whose dates cannot be read are then skipped)."""
    first = form.field("child_first_name").column
    last = form.field("child_last_name").column
    dob = form.field("child_dob").column
    return [
        UnreadChild(
            record.get(CASE_ID, ""),
            record.get(first, ""),
            record.get(last, ""),
            record.get(dob, ""),
            record.get(RECEIVED, ""),
            locale,
        )
        for record in records
    ]

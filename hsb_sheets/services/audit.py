"""Audit log rows: what a job did, when, to which case, by which rules. Never personal data."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from hsb_sheets.adapters.workbook.base import Append
from hsb_sheets.domain.register_rows import format_time
from hsb_sheets.domain.tabs import AUDIT_LOG, CASE_ID, RESPONSE_ID, AuditLogTab


def audit(
    when: datetime,
    job: str,
    action: str,
    case_id: str = "",
    rule_ids: Iterable[str] = (),
    detail: str = "",
    response_id: str = "",
) -> Append:
    """One append to the Audit log (the response id is a fingerprint, never the response itself)."""
    return Append(
        AUDIT_LOG,
        {
            AuditLogTab.TIME: format_time(when),
            AuditLogTab.JOB: job,
            AuditLogTab.ACTION: action,
            CASE_ID: case_id,
            RESPONSE_ID: response_id,
            AuditLogTab.RULE_IDS: ", ".join(rule_ids),
            AuditLogTab.DETAIL: detail,
        },
    )

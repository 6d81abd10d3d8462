"""Doctor's data protection checks: who can open the register, the Audit log's hash chain, and the
key files' modes. Each gives (name, ok, detail, fix) for doctor's Check; none prints a secret."""

from __future__ import annotations

import os

from hsb_sheets.adapters.sharing.local import key_file_modes
from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.config import Settings
from hsb_sheets.domain import audit_chain
from hsb_sheets.domain.sharing import Finding, Level, judge_modes
from hsb_sheets.errors import HsbError
from hsb_sheets.services.context import Context
from hsb_sheets.services.policy import read_policy

Line = tuple[str, bool, str, str]
SHARING = "Who can open the register"
CHAIN = "Audit log chain"
SECRETS = "Secrets"


def sharing_check(ctx: Context, settings_tab: Table) -> Line:
    """Public or external shares fail; wider-than-needed ones are warnings; the rest is said as notes."""
    if ctx.sharing is None:
        return SHARING, True, "not checked (the register was given, not built from settings)", ""
    try:
        findings = ctx.sharing.findings(read_policy(settings_tab).secure_domains)
    except HsbError as problem:  # the Settings tab check names a bad setting
        fix = "As the detail says; then run 'hsb-sheets doctor' again."
        return SHARING, False, str(problem), fix
    return _line(SHARING, findings)


def _line(name: str, findings: list[Finding]) -> Line:
    errors = [f for f in findings if f.level is Level.ERROR]
    shown = [f"{f.level.value}: {f.text}" if f.level is not Level.NOTE else f.text for f in findings]
    fixes = " ".join(dict.fromkeys(f.fix for f in findings if f.fix and f.level is not Level.NOTE))
    return name, not errors, " ".join(shown), fixes


def audit_chain_check(table: Table) -> Line:
    """Walk the Audit log's hash chain in Sequence order and name the first row that breaks it."""
    if any(column not in table.header for column in audit_chain.CHAIN_COLUMNS):
        return CHAIN, True, "not chained yet: the Audit log has no Sequence and Hash columns", ""
    report = audit_chain.verify([(number + 2, record) for number, record in enumerate(table.records())])
    before = (
        f"; {report.unhashed} row(s) from before the chain began carry no hash (its unhashed prefix)"
        if report.unhashed
        else ""
    )
    detail = f"{report.chained} row(s) chained{before}"
    if report.ok:
        return CHAIN, True, detail + ", each linked to the one before", ""
    fix = (
        "Someone changed the Audit log: find what in the tab's version history (File ▸ Version history, "
        "or a backup of the file) and put the row back as it was. Do not renumber or re-hash rows."
    )
    return CHAIN, False, f"{detail}; broken: {report.problem}", fix


def key_files_check(settings: Settings) -> Line:
    """Service-account key files readable by other users are a warning (never their contents)."""
    paths = [
        settings.workbook.key_file,
        settings.mail.gmail_key_file,
        settings.calendar.key_file,
        settings.forms.key_file,
        os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", ""),
    ]
    files = key_file_modes(str(settings.resolve(p)) for p in paths if p)
    password = "the SMTP password comes from HSB_SHEETS_SMTP_PASSWORD" if settings.smtp_password else ""
    if not files:
        return SECRETS, True, "no key files in use" + (f"; {password}" if password else ""), ""
    name, _, detail, fix = _line(SECRETS, judge_modes(files))
    return name, True, detail + (f"; {password}" if password else ""), fix

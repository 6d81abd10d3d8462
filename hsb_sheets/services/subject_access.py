"""`hsb-sheets export CASE_ID`: everything the register holds about one child, for a subject access request.

It gathers the case's rows from every tab that has a Case ID column (the referral and its decision,
meetings, next steps, interventions, the notifications sent, the retention review, the audit entries)
and the form response it came from, into one file for the data protection officer, with each value
that is not the child's own marked for redaction: third parties (the referrer, professionals), free
text that may name other people, and other children's case ids (given as ids only, never their
content). Every export is audited: who asked, when, in which format. The file is created mode 0600
under a temporary name and renamed into place only once written, so no half-written copy is left.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hsb_sheets.adapters.workbook.base import Table, WriteBatch
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    FORM_RESPONSES,
    REFERRALS,
    RESPONSE_ID,
    InterventionsTab,
    MeetingsTab,
    OutboxTab,
    ReferralsTab,
    RetentionReviewTab,
    TabSpec,
    all_tab_specs,
)
from hsb_sheets.errors import HsbError
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context

JOB = "export"
FORMATS = ("pdf", "csv")
THIRD_PARTY = "third party: redact before disclosure unless they agree or it is reasonable to disclose"
FREE_TEXT = "free text: check for other people's names before disclosure"
OTHER_CASE = "names another child's case: disclose the id only, never that case's content"
FREE_TEXT_COLUMNS = ("Notes", "Reasons")
_CASE_IDS = re.compile(r"HSB-\d{4}-\d{4,}")
# Columns about people other than the child (the form's own third-party answers come from the form).
_THIRD_PARTY_COLUMNS = {
    ReferralsTab.WORKER,
    InterventionsTab.WORKER_EMAIL,
    MeetingsTab.INVITEES,
    MeetingsTab.ATTENDEES,
    OutboxTab.RECIPIENT,
    RetentionReviewTab.CONFIRMED_BY,
}


class ExportError(HsbError):
    """The export cannot be made (no such case, the file exists or cannot be written)."""


@dataclass(frozen=True)
class Item:
    """One value held: where (section, row), which column, the value, and why to redact it (if so)."""

    section: str
    row: str
    field: str
    value: str
    redact: str = ""


@dataclass
class Dossier:
    """Everything held about one case, in the order the file shows it."""

    case_id: str
    items: list[Item] = field(default_factory=list)

    @property
    def marked(self) -> int:
        """How many values are marked for redaction."""
        return sum(1 for item in self.items if item.redact)


def gather(ctx: Context, case_id: str) -> Dossier:
    """Every value the register holds about the case; ExportError if the register has no such case."""
    case_id = case_id.strip()
    specs = [s for s in all_tab_specs(ctx.form, tuple(ctx.routing_seed[0])) if CASE_ID in s.columns]
    with ctx.workbook.session():
        tables = ctx.workbook.read([*(s.name for s in specs), FORM_RESPONSES])
    referrals = [r for r in tables[REFERRALS].records() if r.get(CASE_ID, "").strip() == case_id]
    if not referrals:
        raise ExportError(f"The register has no case {case_id} (check the case id on the Referrals tab).")
    dossier = Dossier(case_id)
    third = _third_party_columns(ctx.form)
    for spec in specs:
        if spec.name == AUDIT_LOG:
            continue
        _section(dossier, ctx.form, spec, tables[spec.name], third)
        if spec.name == REFERRALS:
            response_ids = {r.get(RESPONSE_ID, "").strip() for r in referrals} - {""}
            _form_section(dossier, ctx.form, tables[FORM_RESPONSES], response_ids, third)
    audit_spec = next(s for s in specs if s.name == AUDIT_LOG)
    _section(dossier, ctx.form, audit_spec, tables[AUDIT_LOG], third)
    return dossier


def _third_party_columns(form: FormDefinition) -> set[str]:
    answers = {f.column for f in form.fields if f.third_party} | {
        f.title for f in form.fields if f.third_party
    }
    return answers | set(_THIRD_PARTY_COLUMNS)


def _free_text(form: FormDefinition) -> set[str]:
    return {name for f in form.fields if f.type == "paragraph" for name in (f.column, f.title)}


def _redaction(case_id: str, column: str, value: str, third: set[str], free: set[str]) -> str:
    if column in third:
        return THIRD_PARTY
    if set(_CASE_IDS.findall(value)) - {case_id}:
        return OTHER_CASE
    if column in free:
        return FREE_TEXT
    return ""


def _section(dossier: Dossier, form: FormDefinition, spec: TabSpec, table: Table, third: set[str]) -> None:
    """The case's rows of one tab, each non-blank value an item."""
    free = _free_text(form) | {c for c in table.header if c in FREE_TEXT_COLUMNS}
    number = 0
    for record in table.records():
        if record.get(CASE_ID, "").strip() != dossier.case_id:
            continue
        number += 1
        for column in table.header:
            value = record.get(column, "").strip()
            if column and value:
                redact = _redaction(dossier.case_id, column, value, third, free)
                dossier.items.append(Item(spec.name, str(number), column, value, redact))


def _form_section(
    dossier: Dossier, form: FormDefinition, table: Table, response_ids: set[str], third: set[str]
) -> None:
    """The form response the case came from, as "Form responses 1" holds it."""
    if not table.rows or not response_ids:
        return
    columns = map_columns(form, table.header, timestamp_required=True)
    free = _free_text(form)
    for response in read_responses(columns, table.rows):
        if not {response.response_id, response.legacy_id} & response_ids:
            continue
        row = table.rows[response.sheet_row - 2]
        for column, value in zip(table.header, row, strict=False):
            if column and value.strip():
                redact = _redaction(dossier.case_id, column, value.strip(), third, free)
                dossier.items.append(
                    Item(FORM_RESPONSES, str(response.sheet_row), column, value.strip(), redact)
                )


def render_csv(dossier: Dossier) -> bytes:
    """The export as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read it right)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Section", "Row", "Field", "Value", "Redaction"])
    for item in dossier.items:
        writer.writerow([item.section, item.row, item.field, _defused(item.value), item.redact])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _defused(value: str) -> str:
    """A cell a spreadsheet program would take for a formula, kept as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def render_lines(dossier: Dossier, service: str, when: str, requested_by: str) -> list[str]:
    """The export as text lines (for the PDF): a heading, then section by section."""
    lines = [
        f"Subject access export: case {dossier.case_id}",
        f"{service}. Made {when} for {requested_by}.",
        f"{len(dossier.items)} value(s) held; {dossier.marked} marked [REDACT] for the data protection "
        "officer to review before anything is disclosed.",
        "",
    ]
    section = row = ""
    for item in dossier.items:
        if (item.section, item.row) != (section, row):
            section, row = item.section, item.row
            lines += ["", f"{section}, row {row}"]
        lines.append(f"  {item.field}: {item.value}")
        if item.redact:
            lines.append(f"    [REDACT] {item.redact}")
    return lines


def write_private(path: Path, content: bytes, before_rename: Callable[[], object] = lambda: None) -> None:
    """Write ``content`` to ``path`` (which must not exist) as mode 0600, never leaving half a file.

    ``before_rename`` runs once the content is safely on disk under a temporary name; if it raises,
    the temporary file is removed and nothing is left. ExportError if the file exists or cannot be
    written.
    """
    if path.exists():
        raise ExportError(f"{path} exists already; give another --output, or move it aside.")
    temporary = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)  # whatever the umask
        before_rename()
        os.replace(temporary, path)
    except OSError as problem:
        _remove(temporary)
        raise ExportError(f"The export could not be written to {path} ({problem.strerror}).") from None
    except BaseException:
        _remove(temporary)
        raise


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def export_case(
    ctx: Context, case_id: str, fmt: str, output: Path, requested_by: str, service: str = ""
) -> Dossier:
    """Gather the case and write the file, audited before it is renamed into place (no file if the
    audit cannot be written)."""
    from hsb_sheets.services.textpdf import text_pdf

    if fmt not in FORMATS:
        raise ExportError(f"Choose a format from {', '.join(FORMATS)}.")
    dossier = gather(ctx, case_id)
    when = ctx.now().strftime("%Y-%m-%d %H:%M")
    if fmt == "csv":
        content = render_csv(dossier)
    else:
        lines = render_lines(dossier, service or "Harmful Sexual Behaviour Service", when, requested_by)
        content = text_pdf(lines, title=f"Subject access export: case {dossier.case_id}")
    detail = (
        f"subject access export requested by {requested_by}; {fmt}; {len(dossier.items)} value(s), "
        f"{dossier.marked} marked for redaction"
    )
    entry = audit(ctx.now(), JOB, "subject access export", dossier.case_id, detail=detail)
    write_private(output, content, lambda: ctx.workbook.write(WriteBatch(appends=[entry])))
    return dossier


def default_output(case_id: str, fmt: str, day: str) -> Path:
    """The file name an export gets when --output is not given."""
    safe = re.sub(r"[^A-Za-z0-9-]", "_", case_id.strip())
    return Path(f"subject-access-{safe}-{day}.{fmt}")

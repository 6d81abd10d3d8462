"""What erasing one case's personal data clears: every personal cell of its rows, on every tab.

A column is personal when its declaration says so (``Column.personal``; the form's answers from the
form definition). Erasing a case clears those cells on each tab that has a Case ID column (Referrals,
Meetings, Interventions, Outbox, and any tab added since, such as Next steps), and the personal answers
of its row on "Form responses 1" and of its web-form submission in the journal. The case id, its
dates, its route and every other column stay. Nothing here writes: it plans updates and says, in
words without personal data, exactly what they clear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hsb_sheets.adapters.journal.base import Journal, Submission
from hsb_sheets.adapters.workbook.base import Key, Table, Update
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    CASE_ID,
    FORM_RESPONSES,
    INTERVENTION_KEY,
    INTERVENTIONS,
    REFERRALS,
    RESPONSE_ID,
    TabSpec,
)

# Tabs whose rows are addressed by columns other than their spec's key (as the journal remembers them).
_KEYS: dict[str, Key] = {INTERVENTIONS: INTERVENTION_KEY}


@dataclass
class Erasure:
    """One case's erasure: the updates that clear its cells, what they clear, and what blocks it."""

    case_id: str
    updates: list[Update] = field(default_factory=list)
    cleared: dict[str, dict[str, int]] = field(default_factory=dict)  # tab -> column -> rows cleared
    submissions: list[Submission] = field(default_factory=list)  # journal submissions, as they become
    blocked: list[str] = field(default_factory=list)  # why it cannot be done now (no personal data)

    def cells(self) -> int:
        """How many cells the erasure clears (journal submissions not counted)."""
        return sum(sum(columns.values()) for columns in self.cleared.values())

    def describe(self) -> str:
        """What is cleared, tab by tab: column names and row counts only."""
        parts = []
        for tab, columns in self.cleared.items():
            listed = ", ".join(f"{column} ({rows} row(s))" for column, rows in columns.items())
            parts.append(f"{tab}: {listed}")
        if self.submissions:
            parts.append(f"journal: {len(self.submissions)} web-form submission(s)")
        return "; ".join(parts) or "no personal data left to clear"

    def _clear(self, tab: str, key_column: Key, key: Key, columns: Sequence[str]) -> None:
        self.updates.append(Update(tab, key_column, key, dict.fromkeys(columns, "")))
        counts = self.cleared.setdefault(tab, {})
        for column in columns:
            counts[column] = counts.get(column, 0) + 1


def erasable_specs(specs: Sequence[TabSpec]) -> list[TabSpec]:
    """The tabs holding cases' personal data in their own rows: a Case ID column and personal columns."""
    return [
        spec
        for spec in specs
        if spec.name not in (FORM_RESPONSES, AUDIT_LOG)
        and CASE_ID in spec.columns
        and any(c.personal for c in spec.columns)
    ]


def plan_erasure(
    case_id: str,
    specs: Sequence[TabSpec],
    tables: Mapping[str, Table],
    form: FormDefinition,
    stamps: Sequence[str] | None,
    journal: Journal,
) -> Erasure:
    """Every update that clears the case's personal cells in ``tables`` (read from the register)."""
    erasure = Erasure(case_id)
    for spec in erasable_specs(specs):
        table = tables.get(spec.name)
        if table is None:
            continue
        _clear_rows(erasure, spec, table)
    response_ids = {
        r.get(RESPONSE_ID, "").strip()
        for r in tables[REFERRALS].records()
        if r.get(CASE_ID, "").strip() == case_id
    } - {""}
    _clear_form_row(erasure, form, tables[FORM_RESPONSES], stamps, response_ids)
    erasure.submissions = _erased_submissions(form, journal, response_ids)
    return erasure


def _clear_rows(erasure: Erasure, spec: TabSpec, table: Table) -> None:
    """The case's rows on one tab: their personal cells that hold anything."""
    key_column = _KEYS.get(spec.name, spec.key)
    personal = [c for c in spec.columns if c.personal and c in table.header]
    for record in table.records():
        if record.get(CASE_ID, "").strip() != erasure.case_id:
            continue
        filled = [c for c in personal if record.get(c, "").strip()]
        if not filled:
            continue
        if key_column is None:
            erasure.blocked.append(f"the {spec.name} tab has no key to address its rows by")
            return
        key: Key = (
            record.get(key_column, "").strip()
            if isinstance(key_column, str)
            else tuple(record.get(c, "").strip() for c in key_column)
        )
        erasure._clear(spec.name, key_column, key, filled)


def _clear_form_row(
    erasure: Erasure,
    form: FormDefinition,
    table: Table,
    stamps: Sequence[str] | None,
    response_ids: set[str],
) -> None:
    """The case's row on "Form responses 1", addressed by its Timestamp (which keeps its response id)."""
    if not table.rows or not response_ids:
        return
    columns = map_columns(form, table.header, timestamp_required=True)
    if columns.timestamp is None:  # map_columns insists on one; this keeps the type checker told
        return
    stamp_column = table.header[columns.timestamp]
    stamp_texts = [row[columns.timestamp].strip() for row in table.rows]
    personal = [table.header[i] for field_id, i in columns.fields.items() if form.field(field_id).personal]
    for response in read_responses(columns, table.rows, values=stamps):
        if not {response.response_id, response.legacy_id} & response_ids:
            continue
        row = table.rows[response.sheet_row - 2]
        filled = [c for c in personal if row[table.index(c)].strip()]
        if not filled:
            continue
        if stamp_texts.count(response.timestamp.strip()) != 1:
            erasure.blocked.append(
                f"{FORM_RESPONSES} row {response.sheet_row} shares its {stamp_column} with another row: "
                "clear its answers by hand, then run the retention job again"
            )
            continue
        erasure._clear(FORM_RESPONSES, stamp_column, response.timestamp.strip(), filled)


def _erased_submissions(form: FormDefinition, journal: Journal, response_ids: set[str]) -> list[Submission]:
    """The case's web-form submissions in the journal, as they become: the personal answers blanked."""
    result = []
    for submission in journal.submissions():
        columns = map_columns(form, submission.header, timestamp_required=True)
        [response] = read_responses(columns, [list(submission.row)])
        if response.response_id not in response_ids:
            continue
        personal = {i for field_id, i in columns.fields.items() if form.field(field_id).personal}
        row = tuple("" if i in personal else cell for i, cell in enumerate(submission.row))
        if row != submission.row:
            result.append(Submission(submission.id, submission.received, submission.header, row))
    return result

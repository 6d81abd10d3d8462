"""Web-form submissions: kept in the journal first, then copied into "Form responses 1" exactly once.

The web form stores an accepted submission in the journal before it answers the browser, so neither a
busy register nor a desktop program's stale save can lose it. Copying is idempotent: a submission the
tab already holds (a run that wrote the register but stopped before noting it in the journal) is only
marked copied, and one the tab has lost since it was copied (a stale copy of the register was saved
over it) is copied again.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from hsb_sheets.adapters.journal.base import Journal, Submission
from hsb_sheets.adapters.workbook.base import Append, RegisterHeldOpen, WriteBatch
from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.responses import ColumnMap, ResponseRow, map_columns, read_responses
from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.logs import log
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context

JOB = "web form"
RESTORED = "restored after the register lost them: a stale copy was saved over them"
_FRACTION = re.compile(r":\d\d\.\d+\s*$")


def timestamp_text(moment: datetime) -> str:
    """The Timestamp cell for a local instant: ISO 8601 to the microsecond, read alike in every locale."""
    return moment.isoformat(sep=" ", timespec="microseconds")


def submission_for(
    ctx: Context, submission_id: str, received: datetime, answers: Mapping[str, str]
) -> Submission:
    """A submission as it goes into "Form responses 1": the Timestamp (local time), then every answer."""
    local = received.astimezone(ctx.timezone).replace(tzinfo=None)
    header = (TIMESTAMP, *(f.title for f in ctx.form.fields))
    row = (timestamp_text(local), *(answers.get(f.id, "") for f in ctx.form.fields))
    return Submission(submission_id, received, header, row)


def copy_submissions(ctx: Context, journal: Journal | None) -> int:
    """Copy every journal submission not in "Form responses 1" into it; return how many were added.

    Each submission reaches the tab exactly once: one the tab already holds is only marked copied,
    and one marked copied that the tab has lost is copied again. It is found by its exact instant
    or, if a desktop program turned the Timestamp cell into a date to the second, by that second
    and the same answers. Each row of the tab stands for one submission at most, so two submissions
    at one instant are both kept. While a desktop program holds a register that cannot queue the
    write, the submissions wait in the journal; WorkbookError (and nothing marked) if the register
    cannot be written.
    """
    if journal is None:
        return 0
    every = journal.submissions()
    if not every:
        return 0
    waiting = {s.id for s in journal.submissions_to_copy()}
    with ctx.workbook.session():
        tab = ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES]
        columns = map_columns(ctx.form, tab.header, timestamp_required=True)
        unclaimed = read_responses(columns, tab.rows)
        batch, restored = WriteBatch(), 0
        for submission in every:
            incoming = _as_response(ctx, submission)
            match = _find(unclaimed, incoming)
            if match is not None:
                unclaimed.remove(match)
                continue
            batch.appends.append(Append(FORM_RESPONSES, _values(tab.header, columns, incoming)))
            restored += submission.id not in waiting
        added = len(batch.appends)
        if added - restored:
            detail = f"{added - restored} submission(s)"
            batch.appends.append(audit(ctx.now(), JOB, "web-form submissions copied", detail=detail))
        if restored:
            detail = f"{restored} submission(s) {RESTORED}"
            batch.appends.append(audit(ctx.now(), JOB, "web-form submissions restored", detail=detail))
        if added:
            try:
                ctx.workbook.write(batch)
            except RegisterHeldOpen:
                log("web-form submissions wait in the journal: the register is open in a desktop program")
                return 0
        if waiting:
            journal.mark_copied(sorted(waiting))  # still in the session: nobody copies them meanwhile
    return added


def _as_response(ctx: Context, submission: Submission) -> ResponseRow:
    columns = map_columns(ctx.form, submission.header, timestamp_required=True)
    [response] = read_responses(columns, [list(submission.row)])
    return response


def _instant(response: ResponseRow) -> datetime | None:
    try:
        return parse_timestamp(response.timestamp)
    except DateFormatError:
        return None


def _find(rows: Sequence[ResponseRow], incoming: ResponseRow) -> ResponseRow | None:
    """The tab's row for a submission: the same instant; else a row whose Timestamp lost its fraction
    of a second (the web form always writes one), at the same second, with the same answers."""
    instant = _instant(incoming)
    if instant is None:
        return None
    second = instant.replace(microsecond=0)
    answers = _answered(incoming.answers)
    rough: ResponseRow | None = None
    for row in rows:
        there = _instant(row)
        if there == instant:
            return row
        degraded = there == second and not _FRACTION.search(row.timestamp)
        if rough is None and degraded and _answered(row.answers) == answers:
            rough = row
    return rough


def _answered(answers: Mapping[str, str]) -> dict[str, str]:
    return {k: v.strip() for k, v in answers.items() if v.strip()}


def _values(header: Sequence[str], columns: ColumnMap, response: ResponseRow) -> dict[str, str]:
    values = {header[columns.timestamp or 0]: response.timestamp}
    for field_id, text in response.answers.items():
        if field_id in columns.fields:
            values[header[columns.fields[field_id]]] = text
    return values

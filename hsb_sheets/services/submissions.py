"""Web-form submissions: kept in the journal first, then copied into "Form responses 1" exactly once.

The web form stores an accepted submission in the journal before it answers the browser, so neither a
busy register nor a desktop program's stale save can lose it. Copying is idempotent: a submission the
tab already holds (a run that wrote the register but stopped before noting it in the journal) is only
marked copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime

from hsb_sheets.adapters.journal.base import Journal, Submission
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.domain.dates import DateFormatError, parse_timestamp
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.responses import ColumnMap, ResponseRow, map_columns, read_responses
from hsb_sheets.domain.tabs import FORM_RESPONSES
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context

JOB = "web form"
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
    """Copy every journal submission not yet in "Form responses 1" into it; return how many were added.

    Each submission reaches the tab exactly once: one the tab already holds is only marked copied. It
    is found by its exact instant or, if a desktop program turned the Timestamp cell into a date
    to the second, by that second and the same answers. Each row of the tab stands for one submission
    at most, so two submissions at one instant are both kept. WorkbookError (and nothing marked) if
    the register cannot be written.
    """
    if journal is None:
        return 0
    pending = journal.submissions_to_copy()
    if not pending:
        return 0
    with ctx.workbook.session():
        tab = ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES]
        columns = map_columns(ctx.form, tab.header, timestamp_required=True)
        unclaimed = read_responses(columns, tab.rows)
        batch = WriteBatch()
        for submission in pending:
            incoming = _as_response(ctx, submission)
            match = _find(unclaimed, incoming)
            if match is not None:
                unclaimed.remove(match)
            else:
                batch.appends.append(Append(FORM_RESPONSES, _values(tab.header, columns, incoming)))
        added = len(batch.appends)
        if added:
            detail = f"{added} submission(s)"
            batch.appends.append(audit(ctx.now(), JOB, "web-form submissions copied", detail=detail))
            ctx.workbook.write(batch)
        journal.mark_copied([s.id for s in pending])  # still in the session: nobody copies them meanwhile
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

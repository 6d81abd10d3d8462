"""The Meetings row's cells as the meetings job reads them, and the invitation a row records.

A cell the job cannot use raises :class:`CellProblem` with the sentence for the row's *Reason*; the
job then leaves that row waiting and works every other row.

**Record before send.** Before the job asks the calendar to send an invitation, update or
cancellation, it writes what it is about to send onto the row (*Event start*, *Sequence*,
*Attendees*, *Duration*) with *Last sent* reading ``Pending send: invitation since …`` (or
``update from <the old start> since …`` / ``cancellation``). Only when the calendar has answered
does *Last sent* become the time it went. A row still pending (the run was stopped in between) is
resent from exactly those cells on the next run, whatever has changed since; the calendar's
idempotency makes a resend of an invitation that did go out a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping

from hsb_sheets.domain.cells import CellProblem, cannot_read, echo, read_whole_number
from hsb_sheets.domain.tabs import MeetingsTab

PENDING = "Pending send:"
INVITATION, UPDATE, CANCELLATION = "invitation", "update", "cancellation"
PENDING_KINDS = (INVITATION, UPDATE, CANCELLATION)
BLANK_CASE = "Cannot read Case ID: it is blank; enter the case id this meeting is for"
UNREADABLE = ("Cannot read ",)  # the start of every reason this module gives, so a fixed cell clears it
MAX_MINUTES = 8 * 60


def pending_marker(kind: str, since: str, was: str = "") -> str:
    """The *Last sent* text while an invitation is recorded but not yet confirmed as sent.

    An update names the time it moves the meeting from (``was``), since *Event start* already holds
    the new one: a resent update still tells attendees the old time.
    """
    moved = f" from {was}" if was else ""
    return f"{PENDING} {kind}{moved} since {since}"


def pending_was(row: Mapping[str, str]) -> str:
    """The time a pending update moves the meeting from, as the marker recorded it ('' if none)."""
    text = row.get(MeetingsTab.LAST_SENT, "").strip()
    if not text.startswith(PENDING):
        return ""
    _, found, rest = text.partition(" from ")
    return rest.rpartition(" since ")[0].strip() if found else ""


def pending_kind(row: Mapping[str, str]) -> str | None:
    """What the row recorded it was about to send (invitation, update, cancellation), if unconfirmed."""
    text = row.get(MeetingsTab.LAST_SENT, "").strip()
    if not text.startswith(PENDING):
        return None
    kind = text.removeprefix(PENDING).split()[:1]
    return kind[0] if kind and kind[0] in PENDING_KINDS else None


def case_of(row: Mapping[str, str]) -> str:
    """The row's case: its Case ID, or when that is blank the case its Meeting reference names."""
    case_id = row.get(MeetingsTab.CASE_ID, "").strip()
    if case_id:
        return case_id
    prefix, _, number = row.get(MeetingsTab.MEETING, "").strip().rpartition("-")
    return prefix if prefix and number.isascii() and number.isdigit() else ""


def meeting_number(row: Mapping[str, str]) -> int:
    """The n of the row's Meeting reference ``<case id>-<n>``; CellProblem if it lacks one."""
    reference = row.get(MeetingsTab.MEETING, "").strip()
    case_id = row.get(MeetingsTab.CASE_ID, "").strip()
    if not case_id:
        raise CellProblem(BLANK_CASE)
    prefix, _, number = reference.rpartition("-")
    if prefix != case_id or not (number.isascii() and number.isdigit()) or not 0 < int(number) < 1000:
        raise CellProblem(
            f"Cannot read Meeting '{echo(reference)}': it should be the case id and the meeting's "
            f"number, like {case_id}-1"
        )
    return int(number)


def sequence(row: Mapping[str, str]) -> int:
    """How many times the invitation was revised (0 for the first sending)."""
    return read_whole_number(
        MeetingsTab.SEQUENCE,
        row.get(MeetingsTab.SEQUENCE, ""),
        "enter the number of the last invitation sent (0 for the first)",
    )


def duration(row: Mapping[str, str], default: int) -> int:
    """The meeting's length in minutes (``default`` when the cell is blank)."""
    text = row.get(MeetingsTab.DURATION, "")
    hint = "enter the meeting's length in minutes, like 60"
    minutes = read_whole_number(MeetingsTab.DURATION, text, hint, default=default)
    if not 0 < minutes <= MAX_MINUTES:
        raise CellProblem(cannot_read(MeetingsTab.DURATION, text, hint))
    return minutes


def is_unreadable_reason(reason: str) -> bool:
    """Whether a row's *Reason* is one this module gave (and so clears once the cell is fixed)."""
    return reason.startswith(UNREADABLE)

"""How each tab is shown to people (DESIGN section 11): column order, frozen columns, widths, groups, dates.

Computed from each :class:`~hsb_sheets.domain.columns.Column`'s owner, kind and flags, never from
the order columns are declared in, so a column someone adds to a tab's declaration takes its place:
the case id (and the tab's own key) first, then the columns coordinators fill, then what the jobs
write, then the technical columns (ids, traces, sequences), grouped and collapsed at the right.
*Form responses 1* belongs to the form and keeps its order, as do the tabs only coordinators fill
(Directory, Routing rules, Settings: their order is theirs).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from hsb_sheets.domain.columns import Column, Kind, Owner
from hsb_sheets.domain.tabs import CASE_ID, FORM_RESPONSES, MEETINGS, MeetingsTab, TabSpec

DATE_FORMAT = "dd/mm/yyyy"
DATE_TIME_FORMAT = "dd/mm/yyyy hh:mm"
MAX_WIDTH = 50  # characters; longer text wraps out of sight rather than pushing every column right
FROZEN_BUDGET = 72  # characters of frozen columns at most, so the rest of the tab can still scroll
WIDE = 36  # a coordinator column this wide (notes) goes after the narrow ones, unfrozen
_DATE_KINDS = (Kind.DATE, Kind.DATE_TIME)
# The date-times the jobs write to the minute (a meeting's times, as invitations show them); every
# other date-time they write has its seconds. A backend that cannot tell the two from the cell (Google:
# both show as dd/mm/yyyy hh:mm) reads these back without seconds.
TO_THE_MINUTE = {
    MEETINGS: (
        MeetingsTab.REQUESTED,
        MeetingsTab.PROPOSED_START,
        MeetingsTab.EVENT_START,
        MeetingsTab.LAST_SENT,
    )
}
_KIND_WIDTH = {Kind.DATE: 12, Kind.DATE_TIME: 18, Kind.NUMBER: 8, Kind.LIST: 28, Kind.CHOICE: 12}


@dataclass(frozen=True)
class TabView:
    """One tab as people see it: ``order`` left to right, the first ``frozen`` columns kept in view,
    a width per column (characters), the technical columns grouped at the right, and the date
    columns the jobs write (header, ``"date"`` or ``"date-time"``) shown as real dates."""

    tab: str
    order: tuple[str, ...]
    frozen: int
    widths: tuple[int, ...]
    technical: tuple[str, ...]
    dates: tuple[tuple[str, str], ...]
    written_dates: tuple[str, ...] = ()  # the date columns only jobs write (their text becomes dates)
    reorder: bool = True
    minutes: tuple[str, ...] = ()  # the written date-times the jobs write to the minute

    def written_kind(self, column: str) -> str | None:
        """How the jobs write a date column's values: ``"date"``, ``"date-time"`` (to the second) or
        ``"minutes"``; None for a column whose text stays text."""
        if column not in self.written_dates:
            return None
        return "minutes" if column in self.minutes else dict(self.dates)[column]

    def width(self, column: str) -> int:
        """The width of one column (a column the tab does not declare gets a plain one)."""
        return self.widths[self.order.index(column)] if column in self.order else 14


def shown_order(spec: TabSpec) -> tuple[Column, ...]:
    """The columns as people see them, left to right."""
    if spec.name == FORM_RESPONSES:
        return spec.columns
    plain = [c for c in spec.columns if not c.technical]
    lead = _lead(spec, plain)
    people = [c for c in plain if c not in lead and not c.is_system]
    people.sort(key=lambda c: c.width >= WIDE)  # stable: notes after the narrow ones
    jobs = [c for c in plain if c not in lead and c.is_system]
    return (*lead, *people, *jobs, *(c for c in spec.columns if c.technical))


def _lead(spec: TabSpec, plain: Sequence[Column]) -> list[Column]:
    """What names a row for people: the case id and the tab's key, or else its first plain column
    (an intake issue's form row: its key, the response id, is technical)."""
    lead = [c for c in plain if c == CASE_ID] + [c for c in plain if c == spec.key and c != CASE_ID]
    return lead or list(plain[:1])


def arranged(header: Sequence[str], view: TabView) -> list[str]:
    """A tab's header as shown: its declared columns in the view's order, with any column people
    added of their own kept, after the declared ones and before the technical group."""
    if not view.reorder:
        return list(header)
    order = [c for c in view.order if c in header]
    own = [c for c in header if c not in order]
    plain = [c for c in order if c not in view.technical]
    return [*plain, *own, *(c for c in order if c in view.technical)]


def fitted(view: TabView, column: str, values: Iterable[str]) -> int:
    """A column's width once the tab holds values: the view's, or wider for the longest value."""
    longest = max((len(v) for v in values), default=0)
    return min(MAX_WIDTH, max(view.width(column), longest + 2))


def column_width(column: Column, values: Iterable[str] = ()) -> int:
    """Characters wide: room for the header and its filter button, the declared width or the kind's,
    and the longest value (or dropdown choice), at most :data:`MAX_WIDTH`."""
    longest = max((len(v) for v in (*values, *column.choices)), default=0)
    kind_width = _KIND_WIDTH.get(column.kind, 14)
    return min(MAX_WIDTH, max(len(column) + 4, column.width or kind_width, longest + 2))


def tab_view(
    spec: TabSpec, answers: frozenset[str] = frozenset(), rows: Sequence[dict[str, str]] = ()
) -> TabView:
    """How one tab is shown; ``answers`` are the form's answer columns (they stay text), ``rows``
    the tab's rows as read (for widths; none for a new tab)."""
    order = shown_order(spec)
    widths = tuple(column_width(c, (r.get(c, "") for r in rows)) for c in order)
    shows_dates = spec.name != FORM_RESPONSES  # the form's own tab keeps the form's formats
    date_columns = [c for c in order if c.kind in _DATE_KINDS and c not in answers and shows_dates]
    return TabView(
        spec.name,
        tuple(c.name for c in order),
        _frozen(spec, order, widths),
        widths,
        tuple(c.name for c in order if c.technical),
        tuple((c.name, c.kind.value) for c in date_columns),
        tuple(c.name for c in date_columns if c.owner is not Owner.COORDINATOR),
        reorder=spec.name != FORM_RESPONSES and bool(spec.system),  # coordinators own their tables
        minutes=tuple(c for c in TO_THE_MINUTE.get(spec.name, ()) if c in date_columns),
    )


def _frozen(spec: TabSpec, order: Sequence[Column], widths: Sequence[int]) -> int:
    """The key columns, then the narrow coordinator columns while they fit :data:`FROZEN_BUDGET`.

    A tab only coordinators fill (Directory, Settings) keeps just its first column in view.
    """
    if spec.name == FORM_RESPONSES:
        return 0
    if not spec.system:
        return 1
    frozen, used = 0, 0
    for column, width in zip(order, widths, strict=True):
        lead = column == CASE_ID or column == spec.key or frozen == 0
        if not lead and (column.is_system or column.width >= WIDE or used + width > FROZEN_BUDGET):
            break
        frozen, used = frozen + 1, used + width
    return frozen

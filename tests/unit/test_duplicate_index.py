"""Duplicate detection reads a register row's dates only when a response names the same child, and
finds exactly the referrals it found when every row was read up front."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hsb_sheets.domain.intake import DUPLICATE_WINDOW, DuplicateIndex, KnownChild, UnreadChild

FIRST = st.sampled_from(["Robin", "robin ", "Sam", "Alex"])
LAST = st.sampled_from(["Testwood", "TESTWOOD", "Example"])
DAY = st.dates(min_value=date(2010, 1, 1), max_value=date(2010, 3, 1))
ROW = st.tuples(FIRST, LAST, DAY, DAY, st.booleans())  # first, last, born, received, readable


def unread(n: int, first: str, last: str, born: date, received: date, readable: bool) -> UnreadChild:
    """A register row as text: ISO, slashed en-GB, or (unreadable) a date no one can read."""
    dob = born.isoformat() if n % 2 else born.strftime("%d/%m/%Y")
    return UnreadChild(
        f"HSB-2026-{n:04d}", first, last, dob if readable else "31/02/2012", f"{received} 10:00"
    )


def eager_matches(rows: list[UnreadChild], asked: list[tuple[str, str, date, date]]) -> list[tuple[str, ...]]:
    """What the index found before: every row read up front, each asked response added after."""
    known = [child for row in rows if (child := row.read()) is not None]

    def key(first: str, last: str) -> tuple[str, str]:
        return (" ".join(first.split()).casefold(), " ".join(last.split()).casefold())

    found = []
    for n, (first, last, born, received) in enumerate(asked):
        found.append(
            tuple(
                c.label
                for c in known
                if key(c.first_name, c.last_name) == key(first, last)
                and c.dob == born
                and abs(c.received - received) <= DUPLICATE_WINDOW
            )
        )
        known.append(KnownChild(f"response {n}", first, last, born, received))
    return found


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ROW, max_size=12), st.lists(st.tuples(FIRST, LAST, DAY, DAY), max_size=5))
def test_the_lazy_index_finds_what_reading_every_row_found(
    register: list[tuple[str, str, date, date, bool]], asked: list[tuple[str, str, date, date]]
) -> None:
    rows = [unread(n, *row) for n, row in enumerate(register)]
    index = DuplicateIndex(unread=rows)
    found = []
    for n, (first, last, born, received) in enumerate(asked):
        found.append(index.matches(first, last, born, received))
        index.add(KnownChild(f"response {n}", first, last, born, received))
    assert found == eager_matches(rows, asked)


class Counted(UnreadChild):
    """A register row that counts how often its dates are read."""

    reads: ClassVar[list[str]] = []

    def read(self) -> KnownChild | None:
        Counted.reads.append(self.label)
        return super().read()


def test_only_rows_naming_the_same_child_are_read_and_each_once() -> None:
    Counted.reads = []
    rows = [
        Counted("HSB-2026-0001", "Robin", "Testwood", "15/06/2012", "2026-03-01 10:00:00"),
        Counted("HSB-2026-0002", "Sam", "Example", "not a date", "2026-03-01 10:00:00"),
        Counted("HSB-2026-0003", " robin", "TESTWOOD ", "2012-06-15", "2026-02-20 09:00:00"),
    ]
    index = DuplicateIndex(unread=rows)
    received = date(2026, 3, 10)
    assert index.matches("Robin", "Testwood", date(2012, 6, 15), received) == (
        "HSB-2026-0001",
        "HSB-2026-0003",
    )
    assert index.matches("Robin", "Testwood", date(2012, 6, 15), received + timedelta(days=15)) == (
        "HSB-2026-0001",
    )
    assert Counted.reads == ["HSB-2026-0001", "HSB-2026-0003"]  # Sam's unreadable row was never read


def test_a_row_whose_dates_cannot_be_read_is_no_duplicate() -> None:
    rows = [UnreadChild("HSB-2026-0001", "Robin", "Testwood", "15/06/2012", "yesterday")]
    assert DuplicateIndex(unread=rows).matches("Robin", "Testwood", date(2012, 6, 15), date(2026, 3, 1)) == ()

"""Microseconds per call of the date readers a ``run`` calls most, before and after their fast paths.

"Before" is the verbatim copy of the exact code kept in ``tests/unit/test_fast_dates.py``; "after" is
the code as it is. The inputs are the forms a 50,000-referral run reads most (its profile: ISO and
en-GB dates, ISO timestamps to the second, and the numbers Google sends for the jobs' date cells).
Prints one JSON line per function. Run by hand: ``python benchmarks/date_reading.py``.
"""

from __future__ import annotations

import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hsb_sheets.adapters.workbook import google_dates, numfmt
from hsb_sheets.domain import dates
from tests.unit import test_fast_dates as reference

# The float nearest 2026-03-01 10:00:00, as the jobs write it and Google sends it back.
TEN_O_CLOCK = google_dates.number_of("2026-03-01 10:00:00", "date-time")
CASES: list[tuple[str, Callable[..., Any], Callable[..., Any], tuple[Any, ...]]] = [
    ("parse_date ISO", dates.parse_date, reference.parse_date, ("2026-03-01",)),
    ("parse_date en-GB", dates.parse_date, reference.parse_date, ("01/03/2026", "en-GB")),
    ("parse_timestamp ISO", dates.parse_timestamp, reference.parse_timestamp, ("2026-03-01 10:00:07",)),
    ("serial_microseconds float", dates.serial_microseconds, reference.serial_microseconds, (TEN_O_CLOCK,)),
    ("serial_text float", numfmt.serial_text, reference.serial_text, (TEN_O_CLOCK, numfmt.DateKind.DATETIME)),
    ("cell_text date-time", google_dates.cell_text, reference.cell_text, (TEN_O_CLOCK, "date-time")),
    ("cell_text date (int)", google_dates.cell_text, reference.cell_text, (46082, "date")),
]


def per_call(read: Callable[..., Any], args: tuple[Any, ...], number: int = 20_000) -> float:
    """The best of five timings, in microseconds per call."""
    return min(timeit.repeat(lambda: read(*args), number=number, repeat=5)) / number * 1e6


def main() -> None:
    for name, fast, exact, args in CASES:
        assert fast(*args) == exact(*args), name
        before, after = per_call(exact, args), per_call(fast, args)
        print(
            json.dumps(
                {
                    "benchmark": "date_reading",
                    "function": name,
                    "before_us": round(before, 2),
                    "after_us": round(after, 2),
                    "speedup": round(before / after, 1),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()

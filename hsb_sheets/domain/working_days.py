"""Working days and office hours in the service's time zone (Europe/London by default).

Weekends and England and Wales bank holidays (the ``holidays`` package, pure data) are not working
days. Local times are built with zoneinfo, so British Summer Time starts and ends correctly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays


@dataclass
class WorkingCalendar:
    """Which days are working days and when the office is open."""

    timezone: ZoneInfo
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    _bank_holidays: holidays.HolidayBase = field(init=False, repr=False)

    def __post_init__(self) -> None:
        # England and Wales share their bank holidays; "ENG" is that calendar.
        self._bank_holidays = holidays.country_holidays("GB", subdiv="ENG")

    def is_bank_holiday(self, day: date) -> bool:
        """Whether the day is an England and Wales bank holiday."""
        return day in self._bank_holidays

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday, not a bank holiday."""
        return day.weekday() < 5 and not self.is_bank_holiday(day)

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (0: the day itself, or the next working day)."""
        current = day
        while not self.is_working_day(current):
            current += timedelta(days=1)
        for _ in range(count):
            current += timedelta(days=1)
            while not self.is_working_day(current):
                current += timedelta(days=1)
        return current

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day``."""
        return self.add_working_days(day + timedelta(days=1), 0)

    def local(self, moment: datetime) -> datetime:
        """A moment in the service's time zone."""
        return moment.astimezone(self.timezone)

    def at(self, day: date, clock: time) -> datetime:
        """A wall-clock time on a day, in the service's time zone."""
        return datetime.combine(day, clock, tzinfo=self.timezone)

    def window_end(self, requested: datetime, working_days: int) -> datetime:
        """Close of office on the ``working_days``-th working day after the day of ``requested``.

        Requested on a Monday, "within 2 working days" ends on Wednesday at close; requested on a
        Saturday, on Tuesday.
        """
        day = self.local(requested).date()
        if working_days > 0:
            day = self.add_working_days(day + timedelta(days=1), working_days - 1)
        return self.at(day, self.closes)

    def candidate_starts(
        self, earliest: datetime, latest_end: datetime, length: timedelta, step: timedelta
    ) -> Iterator[datetime]:
        """Starts on the ``step`` grid, in office hours on working days, ending by ``latest_end``."""
        day = self.local(earliest).date()
        last_day = self.local(latest_end).date()
        while day <= last_day:
            if self.is_working_day(day):
                start = self.at(day, self.opens)
                close = self.at(day, self.closes)
                if start < earliest:
                    # round up to the grid, counted from opening time
                    steps = -(-(earliest - start) // step)
                    start = start + steps * step
                while start + length <= close and start + length <= latest_end:
                    yield start
                    start += step
            day += timedelta(days=1)

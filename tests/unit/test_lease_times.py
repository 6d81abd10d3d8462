"""The Google lease row's times are compared as times: whatever a spreadsheet or a person made of them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from hsb_sheets.adapters.lease.base import LeaseBusy
from hsb_sheets.adapters.lease.workbook import WorkbookLease, read_time
from hsb_sheets.adapters.workbook.base import Append, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.tabs import LEASE, LEASE_SPEC, LeaseTab
from tests.conftest import FixedClock

NOW = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)


class Lines(logging.Handler):
    """Records the messages logged (the hsb_sheets logger does not propagate once configured)."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler, logger = Lines(), logging.getLogger("hsb_sheets.jobs")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def held_by_another(expires: str) -> tuple[MemoryWorkbook, WorkbookLease]:
    workbook = MemoryWorkbook()
    workbook.ensure_tabs([LEASE_SPEC])
    row: dict[str, str] = {
        LeaseTab.HOLDER: "other-host:42:cafe",
        LeaseTab.TAKEN: "",
        LeaseTab.EXPIRES: expires,
    }
    workbook.write(WriteBatch(appends=[Append(LEASE, row)]))
    return workbook, WorkbookLease(workbook, FixedClock(NOW))


def expires_now(workbook: MemoryWorkbook) -> str:
    records = list(workbook.read([LEASE])[LEASE].records())
    assert len(records) == 1  # the one row is reused
    return records[0][LeaseTab.EXPIRES]


@pytest.mark.parametrize(
    "expires",
    [
        "12/03/2026 10:15:00",  # as an en-GB sheet shows a time (was read as expired: "1" < "2")
        "2026-03-12T10:15:00+00:00",
        "2026-03-12T11:15:00+01:00",  # the same moment, in another offset
        "2026-03-12 10:15:00",  # the old format, without an offset: UTC
        "46093.427083",  # a sheet serial number: 12/03/2026 10:15
    ],
)
def test_a_future_expiry_in_any_form_a_sheet_shows_keeps_the_lease(expires: str) -> None:
    _, lease = held_by_another(expires)
    with pytest.raises(LeaseBusy, match="holds the lease until 2026-03-12 10:15:00 UTC"), lease.hold():
        pass


@pytest.mark.parametrize("expires", ["12/03/2026 09:59:00", "2026-03-12T10:30:00+02:00"])
def test_a_past_expiry_in_any_form_lets_the_next_run_take_it(expires: str) -> None:
    workbook, lease = held_by_another(expires)
    with lease.hold():
        assert expires_now(workbook) == "2026-03-12T10:20:00+00:00"  # ISO 8601, UTC, with its offset


@pytest.mark.parametrize("expires", ["tomorrow", "", "31/02/2026 10:00:00"])
def test_an_unreadable_expiry_is_expired_after_a_clear_log_line(expires: str, lines: Lines) -> None:
    workbook, lease = held_by_another(expires)
    with lease.hold():  # "tomorrow" used to block every run for ever (text: "t" > "2")
        pass
    assert "lease expiry is not a time; treated as expired" in lines.messages
    assert expires_now(workbook) == "2026-03-12T10:00:00+00:00"  # released


def test_an_expiry_further_ahead_than_any_lease_lasts_is_stale(lines: Lines) -> None:
    far = (NOW + timedelta(days=365)).isoformat()
    _, lease = held_by_another(far)
    with lease.hold():
        pass
    assert "lease expiry is further ahead than a lease lasts; treated as stale" in lines.messages


def test_an_expiry_just_within_the_lease_length_and_margin_still_holds(lines: Lines) -> None:
    _, lease = held_by_another((NOW + timedelta(minutes=24)).isoformat())
    with pytest.raises(LeaseBusy), lease.hold():
        pass
    assert lines.messages == []


def test_read_time_gives_an_aware_utc_time_or_none() -> None:
    assert read_time("2026-03-12T10:20:00Z") == datetime(2026, 3, 12, 10, 20, tzinfo=UTC)
    assert read_time(" 12/03/2026 10:20 ") == datetime(2026, 3, 12, 10, 20, tzinfo=UTC)
    assert read_time("next week") is None

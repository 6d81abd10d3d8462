"""Dates in the forms Google Forms, Sheets and UK users produce; nothing guessed."""

from datetime import date, datetime

import pytest

from hsb_sheets.domain.dates import DateFormatError, age_on, parse_date, parse_timestamp


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("01/03/2026", date(2026, 3, 1)),  # en-GB: 1 March
        ("1/3/2026", date(2026, 3, 1)),
        (" 29/02/2024 ", date(2024, 2, 29)),
        ("46082", date(2026, 3, 1)),  # a sheet serial number
        ("46082.75", date(2026, 3, 1)),
    ],
)
def test_accepted_dates(text: str, expected: date) -> None:
    assert parse_date(text) == expected


def test_us_locale_reads_month_first() -> None:
    assert parse_date("01/03/2026", "en-US") == date(2026, 1, 3)


@pytest.mark.parametrize(
    "text",
    ["31/02/2026", "29/02/2025", "3/26", "01/03/26", "2026-13-01", "", "next tuesday", "0", "13/13/2026"],
)
def test_impossible_or_incomplete_dates_are_errors(text: str) -> None:
    with pytest.raises(DateFormatError):
        parse_date(text)


def test_error_message_does_not_echo_the_value() -> None:
    with pytest.raises(DateFormatError) as caught:
        parse_date("31/02/2026")
    assert "31" not in str(caught.value)


def test_timestamps_with_and_without_time() -> None:
    assert parse_timestamp("01/03/2026 14:05:33") == datetime(2026, 3, 1, 14, 5, 33)
    assert parse_timestamp("2026-03-01T14:05:33") == datetime(2026, 3, 1, 14, 5, 33)
    assert parse_timestamp("01/03/2026") == datetime(2026, 3, 1)
    assert parse_timestamp("46082.5") == datetime(2026, 3, 1, 12, 0)
    with pytest.raises(DateFormatError):
        parse_timestamp("01/03/2026 25:00:00")


@pytest.mark.parametrize("locale", ["en-GB", "en-US"])
def test_the_web_forms_timestamp_is_the_exact_instant_in_every_locale(locale: str) -> None:
    exact = datetime(2026, 12, 1, 14, 3, 7, 123456)
    assert parse_timestamp("2026-12-01 14:03:07.123456", locale) == exact
    assert parse_timestamp("2026-12-01T14:03:07.123456", locale) == exact
    assert parse_timestamp("2026-02-03 04:05:06.000001", locale) == datetime(2026, 2, 3, 4, 5, 6, 1)
    assert parse_timestamp("01/03/2026 14:05:33.5", "en-GB") == datetime(2026, 3, 1, 14, 5, 33, 500000)
    assert parse_timestamp("2026-12-01 14:03:07.1234569", locale) == exact  # beyond microseconds: dropped


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(2010, 3, 10), date(2026, 3, 10), 16),  # birthday on the day counts
        (date(2010, 3, 11), date(2026, 3, 10), 15),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
    ],
)
def test_age_in_whole_years(born: date, on: date, age: int) -> None:
    assert age_on(born, on) == age

"""A response is identified by the instant it was submitted, read as a value (DESIGN.md section 2.1).

Never by the Timestamp's displayed text, never by an answer: the Date locale, the Timestamp's number
format and corrected answers leave every id as it was; two responses in the same instant are both
kept; and the ids earlier versions gave are still recognised.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hsb_sheets.adapters.workbook.numfmt import DateKind, serial_text
from hsb_sheets.bootstrap import load_form
from hsb_sheets.domain.dates import parse_instant, serial_microseconds
from hsb_sheets.domain.form import TIMESTAMP
from hsb_sheets.domain.responses import legacy_fingerprint, map_columns, read_responses, response_id
from tests.conftest import valid_answers

FORM = load_form()
HEADER = [TIMESTAMP, *(f.title for f in FORM.fields)]
COLUMNS = map_columns(FORM, HEADER, timestamp_required=True)
EPOCH = datetime(1899, 12, 30)


def row(stamp: str, **changes: str) -> list[str]:
    answers = valid_answers(**changes)
    return [stamp, *(answers[f.id] for f in FORM.fields)]


def serial(moment: datetime) -> str:
    """A date-time as Google gives it unformatted: days since 30 December 1899, as JSON number text."""
    return str((moment - EPOCH) / timedelta(days=1))


def ids(rows: list[list[str]], locale: str = "en-GB", values: list[str] | None = None) -> list[str]:
    return [r.response_id for r in read_responses(COLUMNS, rows, locale, values)]


MOMENT = datetime(2026, 3, 10, 9, 5, 7, 123000)


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-10 09:05:07.123000",  # the web form's ISO local time
        "2026-03-10 09:05:07.123",
        "2026-03-10T09:05:07.123",
        " 2026-03-10  09:05:07.123000 ",
        serial(MOMENT),  # Google's unformatted serial number
        "46091.3785546644",  # the same serial to 15 significant digits, as LibreOffice writes it
    ],
)
def test_one_instant_written_any_unambiguous_way_is_one_id(value: str) -> None:
    assert response_id(value, []) == response_id("2026-03-10 09:05:07.123000", [])


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2026-03-10 09:05:07.123000", "2026-03-10 09:05:07.124000"),  # a millisecond apart
        ("2026-03-10 09:05:07.000001", "2026-03-10 09:05:07"),  # a microsecond apart
        ("2026-03-10 09:05:07", "2026-03-10 09:05:08"),
        ("10/03/2026 09:05:07", "03/10/2026 09:05:07"),  # text: two texts, two ids
    ],
)
def test_different_instants_are_different_ids(first: str, second: str) -> None:
    assert response_id(first, []) != response_id(second, [])


def test_a_whole_second_serial_is_that_second_however_many_digits_it_was_written_with() -> None:
    whole = datetime(2026, 3, 1, 10, 0)
    for text in ("46082.4166666667", "46082.416666666664", serial(whole)):
        assert parse_instant(text) == whole
    assert serial_microseconds("0.5") == 43_200_000_000
    # a short serial is not an imprecise one: this is exactly 02:01:14.016 on 1 January 2000
    assert parse_instant("36526.08419") == datetime(2000, 1, 1, 2, 1, 14, 16000)


@pytest.mark.parametrize(
    ("serial_number", "kind", "text"),
    [
        (serial(MOMENT), DateKind.DATETIME, "2026-03-10 09:05:07.123000"),
        (serial(MOMENT.replace(microsecond=654321)), DateKind.DATETIME, "2026-03-10 09:05:07.654321"),
        (serial(MOMENT.replace(microsecond=0)), DateKind.DATETIME, "2026-03-10 09:05:07"),
        ("46082.4166666667", DateKind.DATETIME, "2026-03-01 10:00:00"),  # LibreOffice's 15 digits
        (serial(MOMENT), DateKind.DATE, "2026-03-10 09:05:07.123000"),  # a date format hides a time
        ("0.25000289351851853", DateKind.TIME, "06:00:00.250000"),
    ],
)
def test_the_register_reader_keeps_the_fraction_of_a_second(serial_number: str, kind: int, text: str) -> None:
    assert serial_text(serial_number, kind) == text
    assert serial_text(float(serial_number), kind) == text


@pytest.mark.parametrize("locale", ["en-GB", "en-US"])
def test_the_date_locale_changes_no_id(locale: str) -> None:
    rows = [row("10/03/2026 09:00:00"), row("2026-03-10 09:05:00.250000"), row("46091.375")]
    assert ids(rows, locale) == ids(rows, "en-GB")


def test_the_timestamps_number_format_changes_no_id() -> None:
    """On Google the display changes with the number format; the serial (the value) does not."""
    values = [serial(MOMENT), serial(MOMENT + timedelta(minutes=1))]
    shown_with_seconds = [row("10/03/2026 09:05:07"), row("10/03/2026 09:06:07")]
    shown_without = [row("10/03/2026 09:05"), row("10/03/2026 09:06")]
    shown_long = [row("Tuesday, 10 March 2026 09:05"), row("Tuesday, 10 March 2026 09:06")]
    expected = ids(shown_with_seconds, values=values)
    assert ids(shown_without, values=values) == expected
    assert ids(shown_long, values=values) == expected
    assert len(set(expected)) == 2


ANSWER_FIELDS = [f.id for f in FORM.fields]


@settings(max_examples=150, deadline=None)
@given(
    stamp=st.sampled_from(["10/03/2026 09:00:00", "2026-03-10 09:00:00.5", "46091.375", "3 March, 9am"]),
    field_id=st.sampled_from(ANSWER_FIELDS),
    new_answer=st.text(max_size=40),
    locale=st.sampled_from(["en-GB", "en-US"]),
)
def test_correcting_any_answer_keeps_the_id(stamp: str, field_id: str, new_answer: str, locale: str) -> None:
    before = row(stamp)
    after = row(stamp, **{field_id: new_answer})
    assert ids([after], locale) == ids([before], "en-GB")


@settings(max_examples=150, deadline=None)
@given(
    moment=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
    shown=st.sampled_from(["", "10/03/2026 09:00", "anything at all"]),
)
def test_an_instant_read_as_iso_text_or_as_a_serial_is_one_id(moment: datetime, shown: str) -> None:
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)  # Google keeps milliseconds
    iso = moment.isoformat(sep=" ", timespec="microseconds")
    from_serial = ids([row(shown or iso)], values=[serial(moment)])
    assert from_serial == ids([row(iso)]) == [response_id(iso, [])]
    assert read_responses(COLUMNS, [row(shown or iso)], values=[serial(moment)])[0].instant == moment


@settings(max_examples=100, deadline=None)
@given(
    contents=st.lists(st.sampled_from(["Ash", "Birch", "Cedar", "Elm"]), min_size=1, max_size=6),
    stamp=st.sampled_from(["10/03/2026 09:00:00", "2026-03-10 09:00:00"]),
)
def test_rows_of_one_instant_are_one_response_per_distinct_content(contents: list[str], stamp: str) -> None:
    rows = [row(stamp, child_first_name=name) for name in contents]
    first = ids(rows)
    assert len(set(first)) == len(set(contents))  # different content kept apart, identical content one
    by_content = dict(zip(contents, first, strict=True))
    assert first == [by_content[name] for name in contents]
    assert ids(rows, "en-US") == first  # stable across reruns and locales
    base = response_id(stamp, [])
    assert sorted(set(first)) == sorted([base] + [f"{base}-{n}" for n in range(2, len(set(contents)) + 1)])


def test_the_legacy_id_is_the_one_earlier_versions_gave() -> None:
    rows = [row("10/03/2026 09:00:00"), row("10/03/2026 09:00:00", child_first_name="Sky")]
    legacy = [r.legacy_id for r in read_responses(COLUMNS, rows)]
    old = legacy_fingerprint("10/03/2026 09:00:00", "pat.example@example.org", rows[0])
    assert legacy == [old, f"{old}-2"]
    basis = b"2026-03-10T09:00:00|pat.example@example.org"  # the parsed time to the second, and the email
    assert old == "R" + hashlib.sha256(basis).hexdigest()[:15].upper()

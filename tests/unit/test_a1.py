"""A1 notation: column letters, cell and range references, and tab names quoted as Google needs."""

from __future__ import annotations

import pytest

from hsb_sheets.adapters.workbook import a1


@pytest.mark.parametrize(
    ("index", "letters"), [(1, "A"), (26, "Z"), (27, "AA"), (52, "AZ"), (702, "ZZ"), (703, "AAA")]
)
def test_column_letters(index: int, letters: str) -> None:
    assert a1.column_letters(index) == letters and a1.column_index(letters) == index


def test_column_letters_round_trip() -> None:
    assert all(a1.column_index(a1.column_letters(i)) == i for i in range(1, 20000))
    assert len({a1.column_letters(i) for i in range(1, 20000)}) == 19999


def test_cells_and_areas() -> None:
    assert a1.cell(2, 3) == "C2"
    assert a1.cell(12, 28, "Cases") == "'Cases'!AB12"
    assert a1.area(2, 1, 5000, 26) == "A2:Z5000"
    assert a1.area(7, 1, 7, 4, "Form responses 1") == "'Form responses 1'!A7:D7"


@pytest.mark.parametrize("title", ["Cases", "It's", "''", "Form responses 1", "a!b", "Ünïcode 'x' y"])
def test_tab_names_are_quoted_and_unquoted(title: str) -> None:
    quoted = a1.quote_tab(title)
    assert quoted.startswith("'") and quoted.endswith("'")
    assert a1.unquote_tab(quoted) == title
    assert a1.tab_of(a1.area(1, 1, 2, 2, title)) == title
    assert a1.tab_of(f" {quoted} ") == title


def test_quoting_doubles_apostrophes() -> None:
    assert a1.quote_tab("It's") == "'It''s'"
    assert a1.area(1, 1, 2, 2, "It's") == "'It''s'!A1:B2"
    assert a1.tab_of("Cases") == "Cases"


def test_column_of_a_reference() -> None:
    assert a1.column_of("C12") == 3
    assert a1.column_of("AB1") == 28
    assert a1.column_of("12") is None and a1.column_of("c1") is None and a1.column_of("") is None


@pytest.mark.parametrize(
    ("returned", "size"),
    [("'Cases'!A1:Z1000", (1000, 26)), ("'It''s'!A1:AB5000", (5000, 28)), ("Log!A1", (1, 1)), ("", (0, 0))],
)
def test_grid_size_from_a_returned_range(returned: str, size: tuple[int, int]) -> None:
    assert a1.grid_size(returned) == size

"""A1 notation, the one place the register's backends turn rows and columns into cell references.

Rows and columns are numbered from 1, as in the notation itself. Tab names are always quoted, as
Google accepts for every name and needs for most ('It''s'!A1:B2); xlsx formulas and areas within
one sheet carry no tab name.
"""

from __future__ import annotations

import re

_CELL = re.compile(r"([A-Z]+)(\d+)")
_QUOTED = re.compile(r"'(?:[^']|'')*'(?=!|$)")  # a quoted tab name, alone or before the cells


def column_letters(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """A -> 1, AA -> 27."""
    number = 0
    for char in letters:
        number = number * 26 + ord(char) - 64
    return number


def quote_tab(title: str) -> str:
    """A tab name quoted for A1 notation: It's -> 'It''s'."""
    return "'" + title.replace("'", "''") + "'"


def unquote_tab(text: str) -> str:
    """The tab name in a quoted or bare tab reference: 'It''s' -> It's."""
    if len(text) >= 2 and text.startswith("'") and text.endswith("'"):
        return text[1:-1].replace("''", "'")
    return text


def cell(row: int, column: int, tab: str | None = None) -> str:
    """One cell, optionally on a named tab: (2, 3) -> C2, or 'Cases'!C2."""
    ref = f"{column_letters(column)}{row}"
    return ref if tab is None else f"{quote_tab(tab)}!{ref}"


def area(first_row: int, first_column: int, last_row: int, last_column: int, tab: str | None = None) -> str:
    """A rectangle of cells, corners included: (2, 1, 9, 2) -> A2:B9, or 'Cases'!A2:B9."""
    ref = f"{cell(first_row, first_column)}:{cell(last_row, last_column)}"
    return ref if tab is None else f"{quote_tab(tab)}!{ref}"


def column_of(ref: str) -> int | None:
    """The column of a cell reference such as C12 (3); None if it is not one."""
    match = _CELL.fullmatch(ref)
    return None if match is None else column_index(match[1])


def tab_of(range_text: str) -> str:
    """The tab named in a range such as 'My tab'!A1, 'My tab' or Tab (a bare name is its own tab)."""
    text = range_text.strip()
    quoted = _QUOTED.match(text)
    if quoted is not None:
        return unquote_tab(quoted[0])
    return text.rpartition("!")[0] or text


def grid_size(range_text: str) -> tuple[int, int]:
    """Rows and columns covered by a whole-tab range as Google returns it ('Tab'!A1:Z1000 -> 1000, 26)."""
    cells = range_text.rpartition("!")[2]
    end = cells.partition(":")[2] or cells
    letters = "".join(ch for ch in end if ch.isalpha())
    digits = "".join(ch for ch in end if ch.isdigit())
    return int(digits or 0), column_index(letters)

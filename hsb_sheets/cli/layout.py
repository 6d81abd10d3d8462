"""Tables that read well at any terminal width: a table when it fits, one record per row when not.

A table that does not fit would be cut by the terminal (rich shortens cells to "strategy_…"), so a
narrow terminal (80 columns is the usual default) gets each row as a short block of ``Header: value``
lines instead, wrapped to the width, with nothing cut.
"""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Sequence

from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from hsb_sheets.cli.common import console

WIDEST = 10_000  # the width a table is measured at: as wide as its cells want


def terminal_width() -> int:
    """The terminal's width now (COLUMNS first, as set by a shell or a test), else the console's."""
    return shutil.get_terminal_size((console.width, 24)).columns


def show(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, width: int | None = None
) -> None:
    """Print rows as a table when it fits ``width`` (the terminal's), else as one record per row.

    Cells are plain text (never markup). In a record, the first column names the row and empty
    cells are left out.
    """
    width = width or terminal_width()
    table = Table(title=escape(title))
    for header in headers:
        table.add_column(escape(header))
    for row in rows:
        table.add_row(*(escape(cell) for cell in row))
    wanted = Measurement.get(console, console.options.update_width(WIDEST), table).maximum
    if wanted <= width:
        console.print(table, width=width)
        return
    console.print(escape(title), width=width)
    for row in rows:
        console.print(width=width)
        console.print(escape(f"{headers[0]} {row[0]}"), width=width)
        for line in record_lines(headers[1:], row[1:], width):
            console.print(escape(line), width=width, soft_wrap=True)


def record_lines(headers: Sequence[str], cells: Sequence[str], width: int) -> list[str]:
    """One row as indented ``Header: value`` lines, each wrapped to ``width``; empty cells left out."""
    named = [(header, cell) for header, cell in zip(headers, cells, strict=True) if cell.strip()]
    label = max((len(header) for header, _ in named), default=0) + 2  # the header and ": "
    lines: list[str] = []
    for header, cell in named:
        first = f"  {header + ':':<{label}}"
        indent = " " * len(first)
        for n, part in enumerate(cell.splitlines() or [""]):
            lines += textwrap.wrap(
                part,
                width=max(width, len(indent) + 20),
                initial_indent=first if n == 0 else indent,
                subsequent_indent=indent,
                break_on_hyphens=False,
            ) or [first.rstrip()]
    return lines

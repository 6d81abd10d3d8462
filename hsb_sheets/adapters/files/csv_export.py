"""Reading a CSV export (from Google Forms, a spreadsheet or by hand) as header and rows of text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hsb_sheets.adapters.files.base import ExportError


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV export, every cell as text, blank lines kept so row numbers hold."""
    try:
        frame = pd.read_csv(
            path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
        )
    except FileNotFoundError:
        raise ExportError(f"There is no file at {path}.") from None
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as problem:
        raise ExportError(f"{path} cannot be read as a CSV file ({type(problem).__name__}).") from None
    rows = [[str(cell) for cell in row] for row in frame.to_numpy().tolist()]
    if not rows:
        raise ExportError(f"{path} is empty; it needs a header row of question titles or field ids.")
    return rows[0], rows[1:]

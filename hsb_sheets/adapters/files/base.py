"""The files port: exports people hand the service (a CSV of responses), read as header and rows of text.

One backend (``csv_export``); the port exists so services never open files themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from hsb_sheets.errors import HsbError


class ExportError(HsbError):
    """An export cannot be read: the message names the file and what is wrong."""


class ReadRows(Protocol):
    """Read an export as its header and rows, every cell as text."""

    def __call__(self, path: Path) -> tuple[list[str], list[list[str]]]:
        """Header and rows; ExportError if the file is missing, empty or not readable."""
        ...

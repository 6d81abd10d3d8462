"""Folders the local backends write into (the .eml outbox, the .ics invitations), checked before use.

A setting that names a file, or a folder this process may not write, is a configuration error: no
retry can mend it. It stops the run with one message naming the setting, before anything is sent,
so that no email leaves while its record cannot be kept.
"""

from __future__ import annotations

import os
from pathlib import Path

from hsb_sheets.errors import ConfigError


def writable_folder(folder: Path, setting: str) -> Path:
    """Make ``folder`` if need be and check it can be written; ConfigError naming ``setting`` if not."""
    fix = f"set {setting} in hsb-sheets.toml to a folder"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):  # the path, or a folder on the way to it, is a file
        raise ConfigError(f"{setting} is {folder}, which is (or lies inside) a file: {fix}.") from None
    except OSError as problem:
        raise ConfigError(
            f"Cannot make the folder {folder} ({setting}): {problem.strerror}; {fix}."
        ) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"The folder {folder} ({setting}) cannot be written by this account: {fix} it can write."
        )
    return folder

"""Who can open a local register: the permission bits of the files that hold personal data.

The register (its target, if it is a symlink), the journal beside it (with SQLite's -wal and -shm
files) and the emails and invitations in the outbox. A file readable by every user of the machine is
an error; readable by its group, a note (a service may share the register with a group of
coordinators on purpose). Key files are checked by doctor's Secrets check, on every backend.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from hsb_sheets.domain.sharing import FileMode, Finding, judge_modes
from hsb_sheets.errors import SharingError

OUTBOX_FILES = ("*.eml", "*.ics")


class LocalSharing:
    """The modes of the register, the journal and the outbox's files."""

    def __init__(self, register: Path, journal: Path, outboxes: Sequence[Path]) -> None:
        self.register = register
        self.journal = journal
        self.outboxes = outboxes

    def findings(self, secure_domains: Sequence[str]) -> list[Finding]:
        """Files readable by others (secure domains do not apply to a machine's users)."""
        return judge_modes(self.files())

    def files(self) -> list[FileMode]:
        """Each file that exists, with its mode."""
        found = [*_modes("the register", [Path(os.path.realpath(self.register))])]
        journal = [self.journal, *(self.journal.with_name(self.journal.name + s) for s in ("-wal", "-shm"))]
        found += _modes("the journal", journal)
        for folder in dict.fromkeys(self.outboxes):
            found += _modes("the outbox", (p for pattern in OUTBOX_FILES for p in folder.rglob(pattern)))
        return found


def _modes(what: str, paths: Iterable[Path]) -> list[FileMode]:
    found = []
    for path in paths:
        try:
            found.append(FileMode(what, str(path), path.stat().st_mode))
        except FileNotFoundError:
            continue
        except OSError as problem:
            raise SharingError(f"Cannot see who can read {path}: {problem.strerror}.") from None
    return found


def key_file_modes(paths: Iterable[str]) -> list[FileMode]:
    """The modes of the service-account key files named (each once; missing ones are left out)."""
    return _modes_of_keys(dict.fromkeys(p for p in paths if p))


def _modes_of_keys(paths: Iterable[str]) -> list[FileMode]:
    found = []
    for path in paths:
        try:
            found.append(FileMode("the key file", path, Path(path).stat().st_mode, secret=True))
        except OSError:
            continue  # the Credentials check names a missing or unreadable key file
    return found

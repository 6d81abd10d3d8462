"""Whether Excel or LibreOffice has the register open: the owner lock files they keep beside it.

Neither program honours the jobs' own lock, and each saves the whole workbook as it loaded it, so
a job writing while one has the register open is undone by its next save. Both announce an open
file with a lock file in the same folder:

- Excel: ``~$register.xlsx`` (binary; it holds the user's name);
- LibreOffice: ``.~lock.register.xlsx#``, one line ``,user,host,DD.MM.YYYY HH:MM,profile-url;``
  (checked against LibreOffice 7.4 opening a file headless).

Only each file's name and modification time are used. The content is never read: it names the
person, and personal data stays out of messages and logs.

A lock file older than ``stale_after`` (12 hours by default) is reported as *stale*, since it may
have been left by a program that crashed, but it is **still respected**. A careful IT officer would
rather see "held open for a long time, check and delete the lock file if nobody has it open" in
``status`` and the digest than have a job guess: a coordinator who leaves the register open
overnight or over a weekend holds a lock just as old, and writing beside them would be silently
undone by their next save. Nothing is lost while a lock is respected (the jobs keep their work in
the journal); ignoring a live lock loses coordinators' or jobs' work without anyone knowing.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from hsb_sheets.adapters.workbook.base import HeldOpen

STALE_AFTER = dt.timedelta(hours=12)
# The lock file each program makes for a file it has open, by the file's name.
PROGRAMS = (("Excel", "~${name}"), ("LibreOffice", ".~lock.{name}#"))


def lock_files(register: Path) -> list[tuple[str, Path]]:
    """Where each program's lock file would be: beside the register as named, and beside its target."""
    places = [register]
    real = Path(os.path.realpath(register))
    if real != register:
        places.append(real)  # a symlinked register may be opened through the link or the target
    return [
        (program, place.parent / pattern.format(name=place.name))
        for place in places
        for program, pattern in PROGRAMS
    ]


def detect(register: Path, now: dt.datetime, stale_after: dt.timedelta = STALE_AFTER) -> HeldOpen | None:
    """The program holding the register open, the oldest lock first; None if no lock file is there."""
    found = []
    for program, lock in lock_files(register):
        try:
            status = lock.lstat()
        except OSError:  # no lock file (or a folder we cannot look into)
            continue
        since = dt.datetime.fromtimestamp(status.st_mtime, dt.UTC).astimezone()
        found.append(HeldOpen(program, since, lock.name, stale=now - since > stale_after))
    return min(found, key=lambda held: held.since, default=None)

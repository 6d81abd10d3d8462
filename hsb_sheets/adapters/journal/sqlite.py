"""The journal as an embedded SQLite file beside the register (``.hsb-state/journal.sqlite3``).

Stdlib sqlite3 in WAL mode with ``synchronous=FULL``: a call that returned is on disk, and a crash in
the middle of one leaves nothing of it. Each public call opens its own connection and makes one
transaction (writes take the write lock at the start, ``BEGIN IMMEDIATE``), so threads and processes
can share the file; a caller waits up to ``busy_timeout`` seconds for another's transaction. The
schema is created on first use and versioned with ``PRAGMA user_version``. The file holds personal
data: it is created with mode 0600 in a folder of mode 0700.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import sqlite3
import time
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from hsb_sheets.adapters.journal.base import (
    Ingestion,
    JournalError,
    OutboxEntry,
    QueuedWrite,
    Submission,
    SystemRow,
    batch_from_json,
    batch_to_json,
    ingestion_is_new,
    outbox_change_is_new,
    submission_is_new,
)
from hsb_sheets.adapters.workbook.base import WriteBatch

SCHEMA_VERSION = 1
_SCHEMA = (
    """CREATE TABLE submissions (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, received TEXT NOT NULL,
        header TEXT NOT NULL, row TEXT NOT NULL, copied INTEGER NOT NULL DEFAULT 0)""",
    "CREATE TABLE ingestions (response_id TEXT PRIMARY KEY, case_id TEXT NOT NULL)",
    "CREATE TABLE case_numbers (year INTEGER PRIMARY KEY, highest INTEGER NOT NULL)",
    """CREATE TABLE given_numbers (
        response_id TEXT NOT NULL, year INTEGER NOT NULL, number INTEGER NOT NULL,
        PRIMARY KEY (response_id, year))""",
    """CREATE TABLE outbox (
        key TEXT PRIMARY KEY, state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
        message_id TEXT NOT NULL, sent_at TEXT, digest TEXT NOT NULL)""",
    """CREATE TABLE system_rows (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, tab TEXT NOT NULL, key TEXT NOT NULL,
        vals TEXT NOT NULL, UNIQUE (tab, key))""",
    """CREATE TABLE queued_writes (
        id INTEGER PRIMARY KEY AUTOINCREMENT, queued_at TEXT NOT NULL, batch TEXT NOT NULL)""",
)


class SqliteJournal:
    """The journal in one SQLite file, created (with its folder) on first use."""

    def __init__(self, path: Path, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._ready = False

    # -- connections and transactions -------------------------------------------------------

    def _create_file(self) -> None:
        folder = self.path.parent
        if not folder.exists():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o077:
            os.chmod(folder, 0o700)  # it holds personal data
        if not self.path.exists():
            os.close(os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600))
            os.chmod(self.path, 0o600)  # whatever the umask; SQLite gives its -wal/-shm files this mode

    def _connect(self) -> sqlite3.Connection:
        try:
            if not self._ready or not self.path.exists():  # first use, or the file was removed
                self._ready = False
                self._create_file()
            connection = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
        except OSError as problem:
            raise JournalError(
                f"The journal {self.path} cannot be opened ({problem.strerror}); check its permissions."
            ) from None
        except sqlite3.Error:
            raise JournalError(f"The journal {self.path} cannot be opened.") from None
        try:
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute("PRAGMA secure_delete = ON")  # removed personal data is overwritten
            if not self._ready:
                self._prepare(connection)
        except sqlite3.OperationalError:  # held by another process beyond busy_timeout, or disk full
            connection.close()
            raise JournalError(f"The journal {self.path} is busy or cannot be written; try again.") from None
        except sqlite3.DatabaseError:
            connection.close()
            raise JournalError(
                f"{self.path} is not a journal this program can read; move it aside and run again."
            ) from None
        except BaseException:
            connection.close()
            raise
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        """Switch to WAL and create the schema if the file is new, once per object."""
        self._switch_to_wal(connection)
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            try:
                connection.execute("BEGIN IMMEDIATE")
                if connection.execute("PRAGMA user_version").fetchone()[0] == 0:  # nobody beat us to it
                    for statement in _SCHEMA:
                        connection.execute(statement)
                    connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                connection.execute("COMMIT")
            except BaseException:
                self._rollback(connection)
                raise
        elif version > SCHEMA_VERSION:
            raise JournalError(
                f"The journal {self.path} was made by a newer version of hsb-sheets; upgrade this one."
            )
        self._ready = True

    def _switch_to_wal(self, connection: sqlite3.Connection) -> None:
        # Changing the journal mode needs the file to itself, and SQLite answers "locked" at once
        # rather than waiting busy_timeout, so processes opening a new journal together retry here.
        deadline = time.monotonic() + self.busy_timeout
        while connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            try:
                connection.execute("PRAGMA journal_mode = WAL")
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01 + random.random() * 0.05)

    @contextlib.contextmanager
    def _transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        connection = self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            yield connection
            connection.execute("COMMIT")
        except sqlite3.Error as problem:
            self._rollback(connection)
            raise JournalError(
                f"The journal {self.path} could not be {'written' if write else 'read'} "
                f"({type(problem).__name__}); nothing was changed. Try again."
            ) from None
        except BaseException:
            self._rollback(connection)
            raise
        finally:
            connection.close()

    @staticmethod
    def _rollback(connection: sqlite3.Connection) -> None:
        if connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")

    # -- web-form submissions ---------------------------------------------------------------

    def add_submission(self, submission: Submission) -> None:
        """Store a submission (the same one again changes nothing)."""
        with self._transaction(write=True) as db:
            row = db.execute(
                "SELECT id, received, header, row FROM submissions WHERE id = ?", (submission.id,)
            ).fetchone()
            if submission_is_new(_submission(row) if row else None, submission):
                db.execute(
                    "INSERT INTO submissions (id, received, header, row) VALUES (?, ?, ?, ?)",
                    (
                        submission.id,
                        submission.received.isoformat(timespec="microseconds"),
                        _dump(list(submission.header)),
                        _dump(list(submission.row)),
                    ),
                )

    def submissions_to_copy(self) -> list[Submission]:
        """Submissions not yet copied, oldest first."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT id, received, header, row FROM submissions WHERE copied = 0 ORDER BY seq"
            ).fetchall()
        return [_submission(r) for r in rows]

    def submissions(self) -> list[Submission]:
        """Every submission, oldest first."""
        with self._transaction() as db:
            rows = db.execute("SELECT id, received, header, row FROM submissions ORDER BY seq").fetchall()
        return [_submission(r) for r in rows]

    def erase_submission(self, submission_id: str, row: Sequence[str]) -> None:
        """Replace a submission's cells, then compact the file so no page keeps the old ones."""
        with self._transaction(write=True) as db:
            present = db.execute("SELECT header FROM submissions WHERE id = ?", (submission_id,)).fetchone()
            if present is None or len(json.loads(present[0])) != len(row):
                raise JournalError("The journal has no submission with that id and width.")
            db.execute("UPDATE submissions SET row = ? WHERE id = ?", (_dump(list(row)), submission_id))
        self.compact()

    def compact(self) -> None:
        """Rewrite the file without free pages and empty the write-ahead log: what was removed before
        secure deletion was on (or in pages the log still held) leaves no trace in either file."""
        connection = self._connect()
        try:
            connection.execute("VACUUM")
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error:
            raise JournalError(f"The journal {self.path} is busy or cannot be written; try again.") from None
        finally:
            connection.close()

    def mark_copied(self, submission_ids: Sequence[str]) -> None:
        """Mark submissions as in "Form responses 1"."""
        with self._transaction(write=True) as db:
            for submission_id in submission_ids:
                marked = db.execute("UPDATE submissions SET copied = 1 WHERE id = ?", (submission_id,))
                if not marked.rowcount:
                    raise JournalError("The journal has no submission with that id.")

    # -- ingested responses -----------------------------------------------------------------

    def record_ingested(self, ingestions: Sequence[Ingestion]) -> None:
        """Remember what responses became (once each)."""
        with self._transaction(write=True) as db:
            for ingestion in ingestions:
                if ingestion_is_new(_ingestion_in(db, ingestion.response_id), ingestion):
                    db.execute(
                        "INSERT INTO ingestions (response_id, case_id) VALUES (?, ?)",
                        (ingestion.response_id, ingestion.case_id),
                    )

    def ingestion_of(self, response_id: str) -> Ingestion | None:
        """What the response became, if it was ingested."""
        with self._transaction() as db:
            return _ingestion_in(db, response_id)

    def ingested(self) -> dict[str, Ingestion]:
        """Every ingested response."""
        with self._transaction() as db:
            rows = db.execute("SELECT response_id, case_id FROM ingestions ORDER BY rowid").fetchall()
        return {r[0]: Ingestion(r[0], r[1]) for r in rows}

    # -- case numbers -----------------------------------------------------------------------

    def next_case_number(self, year: int, seen_in_register: int, response_id: str = "") -> int:
        """The next case number never given for the year."""
        with self._transaction(write=True) as db:
            if response_id:
                given = db.execute(
                    "SELECT number FROM given_numbers WHERE response_id = ? AND year = ?", (response_id, year)
                ).fetchone()
                if given:
                    return int(given[0])
            number = max(_highest_in(db, year), seen_in_register) + 1
            db.execute(
                "INSERT INTO case_numbers (year, highest) VALUES (?, ?) "
                "ON CONFLICT (year) DO UPDATE SET highest = excluded.highest",
                (year, number),
            )
            if response_id:
                db.execute(
                    "INSERT INTO given_numbers (response_id, year, number) VALUES (?, ?, ?)",
                    (response_id, year, number),
                )
            return number

    def highest_case_number(self, year: int) -> int:
        """The highest number given for the year."""
        with self._transaction() as db:
            return _highest_in(db, year)

    # -- the Outbox -------------------------------------------------------------------------

    def record_outbox(self, entries: Sequence[OutboxEntry]) -> None:
        """Record Outbox states (sent is final)."""
        with self._transaction(write=True) as db:
            for entry in entries:
                row = db.execute(
                    "SELECT key, state, message_id, sent_at, digest FROM outbox WHERE key = ?", (entry.key,)
                ).fetchone()
                if outbox_change_is_new(_outbox_entry(row) if row else None, entry):
                    db.execute(
                        "INSERT OR REPLACE INTO outbox (key, state, message_id, sent_at, digest) "
                        "VALUES (?, ?, ?, ?, ?)",
                        (
                            entry.key,
                            entry.state,
                            entry.message_id,
                            entry.sent_at.isoformat(timespec="microseconds") if entry.sent_at else None,
                            entry.digest,
                        ),
                    )

    def outbox(self) -> dict[str, OutboxEntry]:
        """Every Outbox key recorded."""
        with self._transaction() as db:
            rows = db.execute("SELECT key, state, message_id, sent_at, digest FROM outbox").fetchall()
        return {r[0]: _outbox_entry(r) for r in rows}

    # -- system rows the jobs wrote ---------------------------------------------------------

    def remember_rows(self, rows: Sequence[SystemRow]) -> None:
        """Remember rows the jobs wrote."""
        with self._transaction(write=True) as db:
            for row in rows:
                db.execute(
                    "INSERT INTO system_rows (tab, key, vals) VALUES (?, ?, ?) "
                    "ON CONFLICT (tab, key) DO UPDATE SET vals = excluded.vals",
                    (row.tab, row.key, _dump(dict(row.values))),
                )

    def remembered_rows(self, tab: str) -> dict[str, dict[str, str]]:
        """The rows remembered for a tab."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT key, vals FROM system_rows WHERE tab = ? ORDER BY seq", (tab,)
            ).fetchall()
        return {r[0]: json.loads(r[1]) for r in rows}

    def forget_rows(self, tab: str, keys: Sequence[str]) -> None:
        """Forget some rows of a tab."""
        with self._transaction(write=True) as db:
            db.executemany("DELETE FROM system_rows WHERE tab = ? AND key = ?", [(tab, k) for k in keys])

    # -- register writes still to make ------------------------------------------------------

    def queue_write(self, batch: WriteBatch, queued_at: datetime) -> int:
        """Queue a register write."""
        with self._transaction(write=True) as db:
            cursor = db.execute(
                "INSERT INTO queued_writes (queued_at, batch) VALUES (?, ?)",
                (queued_at.isoformat(timespec="microseconds"), batch_to_json(batch)),
            )
            return int(cursor.lastrowid or 0)

    def queued_writes(self) -> list[QueuedWrite]:
        """The writes still to make, in order."""
        with self._transaction() as db:
            rows = db.execute("SELECT id, queued_at, batch FROM queued_writes ORDER BY id").fetchall()
        return [QueuedWrite(r[0], datetime.fromisoformat(r[1]), batch_from_json(r[2])) for r in rows]

    def clear_writes(self, ids: Sequence[int]) -> None:
        """Drop applied writes."""
        with self._transaction(write=True) as db:
            db.executemany("DELETE FROM queued_writes WHERE id = ?", [(i,) for i in ids])


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _submission(row: Sequence[Any]) -> Submission:
    return Submission(
        row[0], datetime.fromisoformat(row[1]), tuple(json.loads(row[2])), tuple(json.loads(row[3]))
    )


def _ingestion_in(db: sqlite3.Connection, response_id: str) -> Ingestion | None:
    row = db.execute("SELECT case_id FROM ingestions WHERE response_id = ?", (response_id,)).fetchone()
    return Ingestion(response_id, row[0]) if row else None


def _highest_in(db: sqlite3.Connection, year: int) -> int:
    row = db.execute("SELECT highest FROM case_numbers WHERE year = ?", (year,)).fetchone()
    return int(row[0]) if row else 0


def _outbox_entry(row: Sequence[Any]) -> OutboxEntry:
    sent_at = datetime.fromisoformat(row[3]) if row[3] else None
    return OutboxEntry(row[0], row[1], row[2], sent_at, row[4])

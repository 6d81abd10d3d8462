"""One contract for every journal: the SQLite file and the in-memory journal behave alike.

The SQLite journal is also reopened (it must persist), shared by two processes (case numbers never
repeat), and killed in the middle of a transaction (nothing of it remains).
"""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from hsb_sheets.adapters.journal import sqlite as sqlite_module
from hsb_sheets.adapters.journal.base import (
    Ingestion,
    Journal,
    JournalError,
    OutboxEntry,
    Submission,
    SystemRow,
    batch_from_json,
    batch_to_json,
    content_digest,
)
from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.journal.sqlite import SqliteJournal
from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.errors import HsbError

WHEN = datetime(2026, 12, 1, 14, 3, 7, 123456, tzinfo=UTC)
HEADER = ("Timestamp", "Your name", "Your email address")


@dataclass
class Harness:
    journal: Journal
    reopen: Callable[[], Journal]  # the same journal as another process would see it


@pytest.fixture(params=["sqlite", "memory"])
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Harness:
    if request.param == "sqlite":
        path = tmp_path / ".hsb-state" / "journal.sqlite3"
        return Harness(SqliteJournal(path, busy_timeout=5), lambda: SqliteJournal(path, busy_timeout=5))
    memory = MemoryJournal()
    return Harness(memory, lambda: memory)


def submission(number: int, when: datetime = WHEN) -> Submission:
    stamp = when.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return Submission(f"S{number}", when, HEADER, (stamp, f"Pat Example {number}", "pat@example.org"))


def sample_batch() -> WriteBatch:
    return WriteBatch(
        appends=[Append("Audit log", {"Time": "2026-12-01 14:03:07", "Detail": "“quoted” =SUM(1)"})],
        updates=[
            Update("Referrals", "Case ID", "HSB-2026-0001", {"Status": "Open"}),
            Update("Interventions", ("Case ID", "Start"), ("HSB-2026-0001", "2026-12-01"), {"End": ""}),
        ],
    )


def test_submissions_wait_to_be_copied_in_the_order_received(harness: Harness) -> None:
    journal = harness.journal
    assert journal.submissions_to_copy() == []
    first, second = submission(1), submission(2, WHEN + timedelta(microseconds=1))
    journal.add_submission(first)
    journal.add_submission(second)
    journal.add_submission(first)  # a retry of the same submission changes nothing
    assert harness.reopen().submissions_to_copy() == [first, second]
    [kept, _] = harness.reopen().submissions_to_copy()
    assert (
        kept.received == WHEN
        and kept.received.microsecond == 123456
        and kept.received.utcoffset() == timedelta(0)
    )
    journal.mark_copied(["S1"])
    assert harness.reopen().submissions_to_copy() == [second]
    assert harness.reopen().submissions() == [first, second]  # copied or not, to restore a lost row
    with pytest.raises(JournalError):
        journal.add_submission(Submission("S2", WHEN, HEADER, ("other", "cells", "here")))
    with pytest.raises(JournalError):
        journal.mark_copied(["S2", "no-such-id"])  # all or nothing: S2 stays to copy
    assert journal.submissions_to_copy() == [second]


def test_an_erased_submission_keeps_its_id_time_and_header_and_only_the_cells_given(harness: Harness) -> None:
    journal = harness.journal
    first, second = submission(1), submission(2, WHEN + timedelta(seconds=1))
    journal.add_submission(first)
    journal.add_submission(second)
    journal.mark_copied(["S1"])
    journal.erase_submission("S1", (first.row[0], "", ""))
    journal.erase_submission("S1", (first.row[0], "", ""))  # again: the same
    journal.compact()
    erased = Submission("S1", WHEN, HEADER, (first.row[0], "", ""))
    assert harness.reopen().submissions() == [erased, second]
    assert harness.reopen().submissions_to_copy() == [second]  # still copied: not copied again
    with pytest.raises(JournalError):
        journal.erase_submission("no-such-id", ("", "", ""))
    with pytest.raises(JournalError):
        journal.erase_submission("S2", ("only one cell",))
    assert harness.reopen().submissions() == [erased, second]


def test_a_submission_is_kept_as_utc_and_must_say_its_zone() -> None:
    local = datetime(2026, 7, 1, 15, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert Submission("S1", local, ("Timestamp",), ("x",)).received == datetime(
        2026, 7, 1, 14, 0, 0, 5, tzinfo=UTC
    )
    assert Submission("S1", local, ("Timestamp",), ("x",)).received.tzinfo == UTC
    with pytest.raises(JournalError):
        Submission("S1", datetime(2026, 7, 1), ("Timestamp",), ("x",))
    with pytest.raises(JournalError):
        Submission("S1", WHEN, ("Timestamp", "Your name"), ("x",))


def test_each_response_is_ingested_once_as_a_case_or_an_issue(harness: Harness) -> None:
    journal = harness.journal
    assert journal.ingestion_of("R1") is None
    journal.record_ingested([Ingestion("R1", "HSB-2026-0001"), Ingestion("R2")])
    journal.record_ingested([Ingestion("R1", "HSB-2026-0001")])  # a rerun records nothing new
    other = harness.reopen()
    assert other.ingestion_of("R1") == Ingestion("R1", "HSB-2026-0001")
    issue = other.ingestion_of("R2")
    assert issue is not None and issue.became_issue and not Ingestion("R1", "HSB-2026-0001").became_issue
    assert other.ingested() == {"R1": Ingestion("R1", "HSB-2026-0001"), "R2": Ingestion("R2")}
    with pytest.raises(JournalError):
        journal.record_ingested([Ingestion("R3", "HSB-2026-0003"), Ingestion("R1", "HSB-2026-0009")])
    assert journal.ingestion_of("R3") is None  # the whole call failed, R3 included


def test_case_numbers_are_never_given_twice_even_when_the_register_lost_them(harness: Harness) -> None:
    journal = harness.journal
    assert journal.highest_case_number(2026) == 0
    assert journal.next_case_number(2026, 0) == 1
    assert journal.next_case_number(2026, 0) == 2  # the register lost case 1 (a stale save): still 2
    assert harness.reopen().next_case_number(2026, 0) == 3
    assert journal.next_case_number(2026, 10) == 11  # the register shows more than the journal gave
    assert journal.next_case_number(2027, 0) == 1
    assert journal.highest_case_number(2026) == 11 and harness.reopen().highest_case_number(2027) == 1


def test_a_response_keeps_the_number_it_was_given(harness: Harness) -> None:
    journal = harness.journal
    assert journal.next_case_number(2026, 0, response_id="R1") == 1
    assert journal.next_case_number(2026, 0, response_id="R2") == 2
    assert harness.reopen().next_case_number(2026, 5, response_id="R1") == 1  # rerun after a crash
    assert journal.next_case_number(2026, 0) == 3


def test_sent_is_final_and_records_what_was_sent(harness: Harness) -> None:
    journal = harness.journal
    sent_at = datetime(2026, 12, 1, 14, 5, 0, 42, tzinfo=UTC)
    digest = content_digest("Subject: Referral received\n\nThank you.")
    assert digest == content_digest(b"Subject: Referral received\n\nThank you.")
    assert digest.startswith("sha256:") and digest != content_digest("Subject: Referral received")
    journal.record_outbox([OutboxEntry("ack|HSB-2026-0001", "pending"), OutboxEntry("issue|R2", "pending")])
    journal.record_outbox([OutboxEntry("issue|R2", "failed")])
    journal.record_outbox([OutboxEntry("issue|R2", "pending")])  # a failed send may be retried
    sent = OutboxEntry("ack|HSB-2026-0001", "sent", "<m1@example.gov.uk>", sent_at, digest)
    journal.record_outbox([sent])
    journal.record_outbox([sent])  # recording the same send again changes nothing
    assert harness.reopen().outbox() == {
        "ack|HSB-2026-0001": sent,
        "issue|R2": OutboxEntry("issue|R2", "pending"),
    }
    for changed in (
        OutboxEntry("ack|HSB-2026-0001", "pending"),
        OutboxEntry("ack|HSB-2026-0001", "failed"),
        OutboxEntry("ack|HSB-2026-0001", "sent", "<m1@example.gov.uk>", sent_at, content_digest("other")),
        OutboxEntry("ack|HSB-2026-0001", "sent", "<m2@example.gov.uk>", sent_at, digest),
    ):
        with pytest.raises(JournalError):
            journal.record_outbox([OutboxEntry("issue|R2", "sent", "<m3@example.gov.uk>", sent_at), changed])
    assert journal.outbox()["issue|R2"].state == "pending"  # nothing of the failed calls was kept
    with pytest.raises(JournalError):
        OutboxEntry("ack|HSB-2026-0002", "sent")  # sent needs its time
    with pytest.raises(JournalError):
        OutboxEntry("ack|HSB-2026-0002", "delivered")  # type: ignore[arg-type]


def test_rows_the_jobs_wrote_are_remembered_per_tab_and_key(harness: Harness) -> None:
    journal = harness.journal
    journal.remember_rows(
        [
            SystemRow("Referrals", "HSB-2026-0002", {"Case ID": "HSB-2026-0002", "Route": "early_help"}),
            SystemRow("Referrals", "HSB-2026-0001", {"Case ID": "HSB-2026-0001", "Route": "none"}),
            SystemRow("Outbox", "ack|HSB-2026-0001", {"Key": "ack|HSB-2026-0001"}),
        ]
    )
    journal.remember_rows(
        [SystemRow("Referrals", "HSB-2026-0002", {"Case ID": "HSB-2026-0002", "Route": "x"})]
    )
    other = harness.reopen()
    assert other.remembered_rows("Referrals") == {
        "HSB-2026-0002": {"Case ID": "HSB-2026-0002", "Route": "x"},
        "HSB-2026-0001": {"Case ID": "HSB-2026-0001", "Route": "none"},
    }
    assert list(other.remembered_rows("Referrals")) == ["HSB-2026-0002", "HSB-2026-0001"]
    assert other.remembered_rows("Meetings") == {}
    journal.forget_rows("Referrals", ["HSB-2026-0002", "HSB-2026-0404"])
    assert list(harness.reopen().remembered_rows("Referrals")) == ["HSB-2026-0001"]
    assert list(harness.reopen().remembered_rows("Outbox")) == ["ack|HSB-2026-0001"]
    with pytest.raises(JournalError):
        SystemRow("Referrals", "")


def test_register_writes_wait_in_order_until_cleared(harness: Harness) -> None:
    journal = harness.journal
    first, second = sample_batch(), WriteBatch(appends=[Append("Outbox", {"Key": "k"})])
    one = journal.queue_write(first, WHEN)
    two = journal.queue_write(second, WHEN + timedelta(seconds=1))
    queued = harness.reopen().queued_writes()
    assert [(w.id, w.batch, w.queued_at) for w in queued] == [
        (one, first, WHEN),
        (two, second, WHEN + timedelta(seconds=1)),
    ]
    assert one < two
    journal.clear_writes([one])
    assert [w.batch for w in harness.reopen().queued_writes()] == [second]
    journal.clear_writes([two, 999])
    assert journal.queued_writes() == []
    assert journal.queue_write(first, WHEN) > two  # a cleared place is never handed out again


def test_a_write_batch_survives_json_exactly() -> None:
    batch = sample_batch()
    back = batch_from_json(batch_to_json(batch))
    assert back == batch and back.updates[1].key == ("HSB-2026-0001", "2026-12-01")
    assert list(back.appends[0].values) == ["Time", "Detail"]  # column order kept
    for broken in ("not json", "{}", '{"format": 1, "appends": [{"tab": "x"}], "updates": []}', "[1]"):
        with pytest.raises(JournalError):
            batch_from_json(broken)
    assert issubclass(JournalError, HsbError)


def test_threads_taking_case_numbers_at_once_never_share_one(harness: Harness) -> None:
    numbers: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        journal = harness.reopen()
        for _ in range(15):
            number = journal.next_case_number(2026, 0)
            with lock:
                numbers.append(number)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(numbers) == list(range(1, 61))


# --- the SQLite file only ------------------------------------------------------------------------


def _take_numbers(path: str, start: Any, results: Any, count: int) -> None:
    journal = SqliteJournal(Path(path), busy_timeout=30)
    start.wait()
    results.put([journal.next_case_number(2026, 0) for _ in range(count)])


def test_two_processes_taking_case_numbers_at_once_never_share_one(tmp_path: Path) -> None:
    path = tmp_path / ".hsb-state" / "journal.sqlite3"
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(3), context.Queue()
    processes = [
        context.Process(target=_take_numbers, args=(str(path), start, results, 25)) for _ in range(3)
    ]
    for process in processes:
        process.start()
    numbers = [n for _ in processes for n in results.get(timeout=120)]
    for process in processes:
        process.join(30)
    assert sorted(numbers) == list(range(1, 76))
    assert SqliteJournal(path).highest_case_number(2026) == 75


def _crash_in_the_middle(path: str) -> None:
    calls = 0
    real_dump = sqlite_module._dump

    def dump_then_die(value: object) -> str:
        nonlocal calls
        calls += 1
        if calls == 2:
            os._exit(3)  # the process dies with its transaction open: no rollback, no commit
        return real_dump(value)

    sqlite_module._dump = dump_then_die
    SqliteJournal(Path(path)).remember_rows(
        [SystemRow("Referrals", "HSB-2026-0001", {"Route": "a"}), SystemRow("Referrals", "HSB-2026-0002", {})]
    )


def test_a_crash_in_the_middle_of_a_call_leaves_nothing_of_it(tmp_path: Path) -> None:
    path = tmp_path / ".hsb-state" / "journal.sqlite3"
    SqliteJournal(path).remember_rows([SystemRow("Meetings", "M1", {"Status": "Proposed"})])
    process = multiprocessing.get_context("spawn").Process(target=_crash_in_the_middle, args=(str(path),))
    process.start()
    process.join(60)
    assert process.exitcode == 3
    journal = SqliteJournal(path, busy_timeout=2)
    assert journal.remembered_rows("Referrals") == {}
    assert journal.remembered_rows("Meetings") == {"M1": {"Status": "Proposed"}}
    journal.remember_rows([SystemRow("Referrals", "HSB-2026-0003", {})])  # nobody still holds the lock
    assert list(journal.remembered_rows("Referrals")) == ["HSB-2026-0003"]


def test_the_file_is_private_in_a_private_folder_and_made_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / ".hsb-state" / "journal.sqlite3"
    journal = SqliteJournal(path)
    assert not path.parent.exists()  # built, not yet used: nothing on disk
    os.umask(old := os.umask(0o022))
    try:
        journal.add_submission(submission(1))
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for made in path.parent.glob("journal.sqlite3*"):  # the database and its -wal/-shm files
        assert stat.S_IMODE(made.stat().st_mode) == 0o600, made.name
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert db.execute("PRAGMA user_version").fetchone()[0] == sqlite_module.SCHEMA_VERSION
    db.close()


def test_a_folder_others_can_read_is_made_private(tmp_path: Path) -> None:
    folder = tmp_path / ".hsb-state"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    SqliteJournal(folder / "journal.sqlite3").ingested()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_journal_from_a_newer_version_or_not_a_journal_is_one_clear_error(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite3"
    with sqlite3.connect(newer) as db:
        db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(JournalError, match="newer version"):
        SqliteJournal(newer).ingested()
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database file, just some bytes" * 100)
    with pytest.raises(JournalError, match="not a journal"):
        SqliteJournal(garbage).ingested()


@pytest.fixture
def held(tmp_path: Path) -> Iterator[tuple[Path, sqlite3.Connection]]:
    path = tmp_path / "journal.sqlite3"
    SqliteJournal(path).ingested()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield path, holder
    holder.execute("ROLLBACK")
    holder.close()


def test_a_journal_held_too_long_by_another_writer_is_one_clear_error(
    held: tuple[Path, sqlite3.Connection],
) -> None:
    path, _ = held
    with pytest.raises(JournalError, match="nothing was changed"):
        SqliteJournal(path, busy_timeout=0.2).record_ingested([Ingestion("R1", "HSB-2026-0001")])
    assert SqliteJournal(path).ingested() == {}  # readers are not blocked by the writer

"""The journaled register's rules, over an in-memory register and journal: what comes back after a
stale save, what is never touched, and what a held-open register's queue does."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.workbook.base import Append, HeldOpen, Table, Update, WriteBatch
from hsb_sheets.adapters.workbook.journaled import JournaledWorkbook, previewing
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.columns import coordinator, shared, system
from hsb_sheets.domain.tabs import (
    AUDIT_LOG,
    AUDIT_LOG_SPEC,
    INTERVENTION_KEY,
    INTERVENTIONS,
    INTERVENTIONS_SPEC,
    AuditLogTab,
    InterventionsTab,
    TabSpec,
)
from hsb_sheets.services.context import Context
from hsb_sheets.services.intake import run_intake
from tests.conftest import valid_answers
from tests.unit.test_intake_service import submit

CASES = TabSpec("Cases", (system("Case ID"), system("State"), coordinator("Notes")), key="Case ID")
MEETINGS = TabSpec("Meets", (system("Meeting"), shared("Status"), system("Event")), key="Meeting")
RESPONSES = TabSpec("Responses", (system("Timestamp"), system("Answer")))  # no key: not remembered
SPECS = (CASES, MEETINGS, INTERVENTIONS_SPEC, AUDIT_LOG_SPEC, RESPONSES)
NOW = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)
HELD = HeldOpen("Excel", datetime(2026, 3, 12, 9, 0, tzinfo=UTC), "~$register.xlsx")
INTERVENTION: dict[str, str] = {
    InterventionsTab.CASE_ID: "HSB-2026-0001",
    InterventionsTab.INTERVENTION: "Safety planning",
    InterventionsTab.START_DATE: "2026-01-05",
}


@pytest.fixture
def store() -> MemoryWorkbook:
    register = MemoryWorkbook()
    register.ensure_tabs(SPECS)
    return register


@pytest.fixture
def journal() -> MemoryJournal:
    return MemoryJournal()


@pytest.fixture
def register(store: MemoryWorkbook, journal: MemoryJournal) -> JournaledWorkbook:
    return JournaledWorkbook(store, journal, SPECS, lambda: NOW, ZoneInfo("Europe/London"))


def case(n: int, state: str = "new") -> Append:
    return Append("Cases", {"Case ID": f"HSB-2026-000{n}", "State": state})


def rows(store: MemoryWorkbook, tab: str = "Cases") -> list[list[str]]:
    return [r[:] for r in store.tables[tab].rows]


def typed(store: MemoryWorkbook, tab: str, key: str, column: str, value: str) -> None:
    """A coordinator typing into a cell (straight into the register, as Excel would)."""
    table = store.tables[tab]
    [row] = [r for r in table.rows if r[0] == key]
    row[table.index(column)] = value


def audit_actions(store: MemoryWorkbook) -> list[str]:
    return [r[AuditLogTab.ACTION] for r in store.tables[AUDIT_LOG].records()]


def test_a_lost_row_comes_back_with_the_coordinators_cells_last_seen(
    register: JournaledWorkbook, store: MemoryWorkbook
) -> None:
    register.write(WriteBatch(appends=[case(1), case(2)]))
    typed(store, "Cases", "HSB-2026-0001", "Notes", "called the school")
    register.read(["Cases"])  # the jobs see the note
    store.tables["Cases"].rows = [["HSB-2026-0002", "new", ""]]  # a copy saved over it lost case 1
    assert register.read(["Cases"])["Cases"].rows[-1] == ["HSB-2026-0001", "new", "called the school"]
    assert rows(store) == [["HSB-2026-0002", "new", ""], ["HSB-2026-0001", "new", "called the school"]]
    assert audit_actions(store) == ["row restored"]
    assert register.read(["Cases"])["Cases"].rows == rows(store) and audit_actions(store) == ["row restored"]


def test_the_jobs_cells_are_put_back_and_the_coordinators_never_touched(
    register: JournaledWorkbook, store: MemoryWorkbook
) -> None:
    register.write(WriteBatch(appends=[case(1)]))
    register.write(WriteBatch(updates=[Update("Cases", "Case ID", "HSB-2026-0001", {"State": "sent"})]))
    stale = [["HSB-2026-0001", "new", "an older note"]]  # the jobs' State and a coordinator's Notes
    store.tables["Cases"].rows = copy.deepcopy(stale)
    assert register.read(["Cases"])["Cases"].rows == [["HSB-2026-0001", "sent", "an older note"]]
    assert rows(store) == [["HSB-2026-0001", "sent", "an older note"]]
    assert audit_actions(store) == ["cells restored"]


def test_a_shared_cell_a_coordinator_changed_is_kept(
    register: JournaledWorkbook, store: MemoryWorkbook
) -> None:
    register.write(
        WriteBatch(appends=[Append("Meets", {"Meeting": "M1", "Status": "Invited", "Event": "e1"})])
    )
    typed(store, "Meets", "M1", "Status", "Cancelled")
    typed(store, "Meets", "M1", "Event", "")
    register.read(["Meets"])
    assert rows(store, "Meets") == [["M1", "Cancelled", "e1"]]


def test_a_row_coordinators_made_is_never_recreated_but_its_system_cells_come_back(
    register: JournaledWorkbook, store: MemoryWorkbook
) -> None:
    store.write(WriteBatch(appends=[Append(INTERVENTIONS, INTERVENTION)]))  # typed by a coordinator
    key = tuple(INTERVENTION[c] for c in INTERVENTION_KEY)
    update = Update(INTERVENTIONS, INTERVENTION_KEY, key, {InterventionsTab.STATUS: "Overdue"})
    register.write(WriteBatch(updates=[update]))
    typed(store, INTERVENTIONS, "HSB-2026-0001", InterventionsTab.STATUS, "")
    register.read([INTERVENTIONS])
    assert [r[InterventionsTab.STATUS] for r in store.tables[INTERVENTIONS].records()] == ["Overdue"]
    store.tables[INTERVENTIONS].rows = []  # deleted (or re-keyed) on purpose, most likely
    assert register.read([INTERVENTIONS])[INTERVENTIONS].rows == [] and rows(store, INTERVENTIONS) == []


def test_audit_lines_come_back_as_many_times_as_written(
    register: JournaledWorkbook, store: MemoryWorkbook
) -> None:
    line: dict[str, str] = {
        AuditLogTab.TIME: "2026-03-12 10:00:00",
        AuditLogTab.ACTION: "email sent",
        AuditLogTab.DETAIL: "digest",
    }
    register.write(WriteBatch(appends=[Append(AUDIT_LOG, line), Append(AUDIT_LOG, line)]))
    register.write(WriteBatch(appends=[Append(AUDIT_LOG, line)]))
    store.tables[AUDIT_LOG].rows = store.tables[AUDIT_LOG].rows[:1]
    register.read([AUDIT_LOG])
    assert audit_actions(store) == ["email sent"] * 3 + ["lines restored"]
    details = [r[AuditLogTab.DETAIL] for r in store.tables[AUDIT_LOG].records()]
    assert (
        details[-1]
        == "2 Audit log line(s) restored after the register lost them: a stale copy was saved over them"
    )
    register.read([AUDIT_LOG])
    assert len(audit_actions(store)) == 4


def test_while_held_open_writes_wait_in_the_journal_and_reads_show_them(
    register: JournaledWorkbook, store: MemoryWorkbook, journal: MemoryJournal
) -> None:
    register.write(WriteBatch(appends=[case(1)]))
    store.held = HELD
    before = copy.deepcopy(store.tables)
    register.write(WriteBatch(appends=[case(2), Append("Responses", {"Timestamp": "t1", "Answer": "a"})]))
    register.write(WriteBatch(updates=[Update("Cases", "Case ID", "HSB-2026-0002", {"State": "sent"})]))
    assert store.tables == before and len(journal.queued_writes()) == 2
    seen = register.read(["Cases", "Responses"])
    assert seen["Cases"].rows == [["HSB-2026-0001", "new", ""], ["HSB-2026-0002", "sent", ""]]
    assert seen["Responses"].rows == [["t1", "a"]]  # from the queue: the tab is not remembered
    assert store.tables == before
    store.held = None
    register.read(["Cases"])
    assert rows(store) == [["HSB-2026-0001", "new", ""], ["HSB-2026-0002", "sent", ""]]
    assert rows(store, "Responses") == [["t1", "a"]]
    assert journal.queued_writes() == [] and audit_actions(store) == []  # written, not "restored"


def test_a_queued_write_made_before_a_crash_is_not_made_twice(
    register: JournaledWorkbook, store: MemoryWorkbook, journal: MemoryJournal
) -> None:
    line = Append(
        AUDIT_LOG, {AuditLogTab.TIME: "2026-03-12 10:00:00", AuditLogTab.ACTION: "referral registered"}
    )
    store.held = HELD
    register.write(WriteBatch(appends=[case(1), line]))
    store.held = None
    store.write(journal.queued_writes()[0].batch)  # applied, then the run stopped before clearing it
    register.read(["Cases", AUDIT_LOG])
    assert rows(store) == [["HSB-2026-0001", "new", ""]] and audit_actions(store) == ["referral registered"]
    assert journal.queued_writes() == []


def test_an_update_of_a_lost_row_restores_it_first(
    register: JournaledWorkbook, store: MemoryWorkbook, journal: MemoryJournal
) -> None:
    register.write(WriteBatch(appends=[case(1)]))
    store.held = HELD
    register.write(WriteBatch(updates=[Update("Cases", "Case ID", "HSB-2026-0001", {"State": "sent"})]))
    store.tables["Cases"].rows = []  # and the program saved a copy without it
    store.held = None
    register.read(["Cases"])
    assert rows(store) == [["HSB-2026-0001", "sent", ""]] and audit_actions(store) == ["row restored"]


def test_a_preview_shows_what_would_be_restored_and_writes_nothing(
    register: JournaledWorkbook, store: MemoryWorkbook
) -> None:
    register.write(WriteBatch(appends=[case(1)]))
    store.tables["Cases"].rows = []
    writes = store.writes
    with previewing(register):
        assert register.read(["Cases"])["Cases"].rows == [["HSB-2026-0001", "new", ""]]
    assert store.writes == writes and rows(store) == []
    with previewing(store):  # any other register: nothing changes
        assert store.read(["Cases"])["Cases"] == Table("Cases", ["Case ID", "State", "Notes"], [])


def test_intake_never_gives_a_case_id_the_journal_gave_even_if_the_register_lost_every_trace(
    memory_context: Context,
) -> None:
    memory_context.journal.next_case_number(2026, 6)  # case 7 was given; its row and audit lines are gone
    submit(memory_context, ("10/03/2026 09:30:00", valid_answers()))
    assert run_intake(memory_context).registered == ["HSB-2026-0008"]
    assert memory_context.journal.highest_case_number(2026) == 7  # an unwrapped register records nothing

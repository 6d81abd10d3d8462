"""The Audit log's hash chain: every writer's rows chained, and a chain broken on purpose named by row."""

from __future__ import annotations

from datetime import datetime

from hsb_sheets.adapters.workbook.audit_chained import AuditChained
from hsb_sheets.adapters.workbook.base import Table, WriteBatch
from hsb_sheets.adapters.workbook.memory import MemoryWorkbook
from hsb_sheets.domain.audit_chain import verify
from hsb_sheets.domain.tabs import AUDIT_LOG, AUDIT_LOG_SPEC, AuditLogTab
from hsb_sheets.services.audit import audit
from hsb_sheets.services.doctor_protection import audit_chain_check

SEQ, HASH, DETAIL = AuditLogTab.SEQUENCE, AuditLogTab.HASH, AuditLogTab.DETAIL


def chained_log(lines: int = 5) -> MemoryWorkbook:
    store = MemoryWorkbook()
    store.ensure_tabs([AUDIT_LOG_SPEC])
    register = AuditChained(store)
    for n in range(lines):  # one write per line, and a batch of two: both chain
        register.write(
            WriteBatch([audit(datetime(2026, 3, 2, 9, n), "intake", "referral registered", f"C-{n}")])
        )
    register.write(
        WriteBatch(
            [audit(datetime(2026, 3, 2, 10), "digest", "a"), audit(datetime(2026, 3, 2, 10), "digest", "b")]
        )
    )
    return store


def check(table: Table) -> tuple[bool, str]:
    _, ok, detail, _ = audit_chain_check(table)
    return ok, detail


def test_every_row_written_is_chained_in_order() -> None:
    table = chained_log().tables[AUDIT_LOG]
    assert table.column(SEQ) == [str(n) for n in range(1, 8)]
    assert len(set(table.column(HASH))) == 7
    assert check(table) == (True, "7 row(s) chained, each linked to the one before")


def test_a_row_already_carrying_a_hash_is_written_as_it_was() -> None:
    store = chained_log(1)
    row = dict(zip(store.tables[AUDIT_LOG].header, store.tables[AUDIT_LOG].rows[0], strict=True))
    store.tables[AUDIT_LOG].rows.pop(0)  # lost, then put back (as the journal does) with its hash
    from hsb_sheets.adapters.workbook.base import Append

    AuditChained(store).write(WriteBatch([Append(AUDIT_LOG, row)]))
    assert check(store.tables[AUDIT_LOG])[0]


def test_an_edited_row_is_named() -> None:
    table = chained_log().tables[AUDIT_LOG]
    table.rows[2][table.index(DETAIL)] = "changed"
    assert check(table) == (
        False,
        "7 row(s) chained; broken: row 4 (Sequence 3) does not match its hash: "
        "its values were changed after it was written",
    )


def test_a_deleted_row_is_named() -> None:
    table = chained_log().tables[AUDIT_LOG]
    del table.rows[3]
    ok, detail = check(table)
    assert not ok and detail.endswith("Sequence 4 is missing before row 5 (Sequence 5): deleted")


def test_renumbered_rows_are_named_but_a_sort_is_not_a_break() -> None:
    table = chained_log().tables[AUDIT_LOG]
    table.rows.reverse()  # a coordinator sorted the tab newest first: the chain reads by Sequence
    assert check(table)[0]
    table.rows.reverse()
    seq = table.index(SEQ)
    table.rows[1][seq], table.rows[2][seq] = table.rows[2][seq], table.rows[1][seq]  # reordered
    ok, detail = check(table)
    assert not ok and "row 4 (Sequence 2) does not match its hash" in detail
    table.rows[1][seq], table.rows[2][seq] = table.rows[2][seq], table.rows[1][seq]
    table.rows[3][seq] = "3"  # a row copied over the next one's number
    ok, detail = check(table)
    assert not ok and "rows 4 and 5 both have Sequence 3" in detail
    table.rows[2][seq] = ""
    assert "row 4 has a Sequence or Hash that was changed or cleared" in check(table)[1]


def test_rows_from_before_the_chain_are_its_unhashed_prefix() -> None:
    store = MemoryWorkbook()
    old_header = [c for c in AUDIT_LOG_SPEC.header if c not in (SEQ, HASH)]
    old = [["2025-01-06 09:00:00", "intake", "referral registered", "C-1", "", "", ""]] * 3
    store.tables[AUDIT_LOG] = Table(AUDIT_LOG, old_header, [list(r) for r in old])
    register = AuditChained(store)
    register.write(WriteBatch([audit(datetime(2026, 1, 1), "intake", "written before setup")]))
    assert store.tables[AUDIT_LOG].header == old_header  # an old register is written as before
    assert check(store.tables[AUDIT_LOG]) == (
        True,
        "not chained yet: the Audit log has no Sequence and Hash columns",
    )
    store.ensure_tabs([AUDIT_LOG_SPEC])  # setup adds the columns
    register.write(
        WriteBatch(
            [audit(datetime(2026, 3, 2), "intake", "x"), audit(datetime(2026, 3, 2, 0, 1), "intake", "y")]
        )
    )
    table = store.tables[AUDIT_LOG]
    assert table.column(SEQ) == ["", "", "", "", "1", "2"]
    assert check(table) == (
        True,
        "2 row(s) chained; 4 row(s) from before the chain began carry no hash (its unhashed prefix), "
        "each linked to the one before",
    )
    table.rows[5][table.index(SEQ)] = table.rows[5][table.index(HASH)] = ""  # stripped of its hash
    report = verify([(n + 2, r) for n, r in enumerate(table.records())])
    assert report.problem == "row 7 has no hash but is dated after the chain began (2026-03-02 00:00:00)"


def test_every_audit_writer_uses_the_one_function() -> None:
    """Rows are made by services/audit.py (and the journal's restorer); none is chained elsewhere."""
    from pathlib import Path

    import hsb_sheets

    root = Path(hsb_sheets.__file__).parent
    makers = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "AuditLogTab.ACTION:" in p.read_text(encoding="utf-8")
    )
    assert makers == ["adapters/workbook/restoring.py", "services/audit.py"]
    stampers = sorted(
        str(p.relative_to(root)) for p in root.rglob("*.py") if "audit_chain.extend(" in p.read_text()
    )
    assert stampers == ["adapters/workbook/audit_chained.py"]

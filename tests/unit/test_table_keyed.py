"""Rows by a column's value, made mappings only when looked up, are the rows a dict of them gives."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hsb_sheets.adapters.workbook.base import Table

KEYS = st.sampled_from(["", " ", "HSB-2026-0001", "HSB-2026-0002", "HSB-2026-0003"])


@given(st.lists(st.tuples(KEYS, st.text(max_size=3)), max_size=8))
def test_keyed_rows_are_the_rows_a_dict_of_the_records_gives(rows: list[tuple[str, str]]) -> None:
    table = Table("Referrals", ["Case ID", "Status"], [list(row) for row in rows])
    expected = {r["Case ID"]: r for r in table.records() if r.get("Case ID")}
    keyed = table.keyed("Case ID")
    assert dict(keyed) == expected
    assert len(keyed) == len(expected) and list(keyed) == list(expected)
    assert all(key in keyed for key in expected) and "HSB-2026-0009" not in keyed
    assert keyed.get("HSB-2026-0009", {}) == {}


def test_a_lookup_is_a_fresh_mapping_and_a_tab_without_the_column_has_no_rows_by_it() -> None:
    table = Table("Referrals", ["Case ID", "Status"], [["HSB-2026-0001", "New"]])
    keyed = table.keyed("Case ID")
    keyed["HSB-2026-0001"]["Status"] = "Closed"  # a caller's change stays its own
    assert keyed["HSB-2026-0001"] == {"Case ID": "HSB-2026-0001", "Status": "New"}
    assert table.rows == [["HSB-2026-0001", "New"]]
    assert dict(table.keyed("Lead professional")) == {}


def test_a_column_named_twice_reads_as_its_last_as_every_row_mapping_has_it() -> None:
    header = ["Case ID", "Status", "Area", "Status", "Case ID"]
    table = Table("Referrals", header, [["HSB-2026-0001", "Closed", "North", "Open", "HSB-2026-0002"]])
    [full] = table.records()
    [some] = table.records(["Status", "Case ID"])
    assert (
        some
        == {"Status": full["Status"], "Case ID": full["Case ID"]}
        == {
            "Status": "Open",
            "Case ID": "HSB-2026-0002",
        }
    )
    assert dict(table.keyed("Case ID")) == {"HSB-2026-0002": full}

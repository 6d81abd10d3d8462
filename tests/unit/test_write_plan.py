"""The one write path: a batch resolved against tabs as read, before any backend writes a cell."""

from __future__ import annotations

import copy

import pytest

from hsb_sheets.adapters.workbook.base import Append, Table, Update, WriteBatch
from hsb_sheets.adapters.workbook.plan import (
    apply_plan,
    check_unique_keys,
    plan_writes,
    table_from_values,
    trim_header,
)
from hsb_sheets.errors import WorkbookError

HEADER = ["Case ID", "Intervention", "Start", "Notes"]


def tables(*rows: list[str]) -> dict[str, Table]:
    return {
        "Interventions": Table("Interventions", list(HEADER), [list(r) for r in rows]),
        "Log": Table("Log", ["Time", "Action"], [["t0", "a0"]]),
    }


def test_updates_find_their_row_by_key_whatever_the_order() -> None:
    read = tables(["HSB-2", "AIM", "", ""], ["HSB-1", "AIM", "", ""], [" HSB-3 ", "", "", ""])
    plans = plan_writes(
        read,
        WriteBatch(
            updates=[
                Update("Interventions", "Case ID", "HSB-1", {"Notes": "one", "Start": "2026-03-02"}),
                Update("Interventions", "Case ID", "HSB-3", {"Notes": "three"}),  # keys are stripped
            ]
        ),
    )
    assert list(plans) == ["Interventions"]
    assert plans["Interventions"].cells() == {(3, 4): "one", (3, 3): "2026-03-02", (4, 4): "three"}
    assert plans["Interventions"].appends == []


def test_a_key_of_several_columns_picks_the_one_matching_row() -> None:
    read = tables(["HSB-1", "AIM", "2026-03-02", ""], ["HSB-1", "AIM", "2026-04-06", ""])
    plans = plan_writes(
        read,
        WriteBatch(
            updates=[Update("Interventions", ("Case ID", "Start"), ("HSB-1", "2026-04-06"), {"Notes": "2nd"})]
        ),
    )
    assert plans["Interventions"].cells() == {(3, 4): "2nd"}
    with pytest.raises(WorkbookError, match="on two rows"):
        plan_writes(
            read,
            WriteBatch(updates=[Update("Interventions", ("Case ID", "Intervention"), ("HSB-1", "AIM"), {})]),
        )
    with pytest.raises(WorkbookError) as missing:
        plan_writes(
            read,
            WriteBatch(updates=[Update("Interventions", ("Case ID", "Start"), ("HSB-1", "2027-01-01"), {})]),
        )
    assert str(missing.value) == (
        "The 'Interventions' tab has no row with ('Case ID', 'Start') 'HSB-1 / 2027-01-01'."
    )


def test_a_repeated_key_is_refused_even_if_another_key_is_fine() -> None:
    read = tables(["HSB-1", "", "", ""], ["HSB-2", "", "", ""], ["HSB-1", "", "", ""])
    assert plan_writes(
        read, WriteBatch(updates=[Update("Interventions", "Case ID", "HSB-2", {"Notes": "x"})])
    )
    with pytest.raises(WorkbookError) as refused:
        plan_writes(
            read,
            WriteBatch(
                updates=[
                    Update("Interventions", "Case ID", "HSB-2", {"Notes": "x"}),
                    Update("Interventions", "Case ID", "HSB-1", {"Notes": "x"}),
                ]
            ),
        )
    assert str(refused.value) == (
        "The 'Interventions' tab has 'HSB-1' on two rows; remove one so jobs know which to update."
    )


def test_a_repeated_key_is_refused_beside_rows_without_a_key_of_one_column_or_several() -> None:
    read = tables(["HSB-1", "AIM", "", ""], ["", "", "", ""], [" ", "", "", ""], ["HSB-1 ", "AIM", "", ""])
    for key_column, key in (("Case ID", "HSB-1"), (("Case ID", "Intervention"), ("HSB-1", "AIM"))):
        with pytest.raises(WorkbookError, match="on two rows"):
            plan_writes(read, WriteBatch(updates=[Update("Interventions", key_column, key, {"Notes": "x"})]))
        index = check_unique_keys(read["Interventions"], key_column)
        assert list(index.positions) == [key] and index.repeated == {key}  # rows without a key: no keyed rows


def test_appends_reuse_blank_rows_at_the_bottom_only() -> None:
    read = tables(["HSB-1", "", "", ""], ["", "", "", ""], ["HSB-3", "", "", ""], ["", "", "", ""], [""] * 4)
    batch = WriteBatch(
        appends=[
            Append("Interventions", {"Notes": "n", "Case ID": "HSB-4"}),
            Append("Interventions", {"Case ID": "HSB-5"}),
            Append("Interventions", {"Case ID": "HSB-6"}),
            Append("Log", {"Action": "a1"}),
        ]
    )
    plans = plan_writes(read, batch)
    rows = [(new.row, new.values) for new in plans["Interventions"].appends]
    assert rows == [
        (5, ["HSB-4", "", "", "n"]),  # sheet row 5 was the first blank row after the last used one
        (6, ["HSB-5", "", "", ""]),
        (7, ["HSB-6", "", "", ""]),  # past the rows read: the tab grows
    ]
    assert plans["Interventions"].cells() == {(5, 4): "n", (5, 1): "HSB-4", (6, 1): "HSB-5", (7, 1): "HSB-6"}
    assert plans["Interventions"].end_row == 7 and plans["Log"].end_row == 3
    apply_plan(read, plans)
    assert read["Interventions"].column("Case ID") == ["HSB-1", "", "HSB-3", "HSB-4", "HSB-5", "HSB-6"]
    assert read["Log"].rows == [["t0", "a0"], ["", "a1"]]


def test_applying_a_plan_updates_and_appends_in_memory() -> None:
    read = tables(["HSB-1", "", "", ""])
    batch = WriteBatch(
        updates=[
            Update("Interventions", "Case ID", "HSB-1", {"Notes": "first"}),
            Update("Interventions", "Case ID", "HSB-1", {"Notes": "last wins"}),
        ],
        appends=[Append("Interventions", {"Case ID": "HSB-2"})],
    )
    apply_plan(read, plan_writes(read, batch))
    assert read["Interventions"].rows == [["HSB-1", "", "", "last wins"], ["HSB-2", "", "", ""]]


@pytest.mark.parametrize(
    ("batch", "message"),
    [
        (
            WriteBatch(
                updates=[Update("Interventions", "Case ID", "HSB-1", {"Notes": "ok"})],
                appends=[Append("Interventions", {"Case ID": "HSB-2", "No such column": "x"})],
            ),
            "The 'Interventions' tab has no 'No such column' column. Run 'hsb-sheets setup' to repair it.",
        ),
        (
            WriteBatch(updates=[Update("Interventions", "Case ID", "HSB-1", {"Nope": "x"})]),
            "The 'Interventions' tab has no 'Nope' column. Run 'hsb-sheets setup' to repair it.",
        ),
        (
            WriteBatch(updates=[Update("Interventions", "Worker", "HSB-1", {"Notes": "x"})]),
            "The 'Interventions' tab has no 'Worker' column. Run 'hsb-sheets setup' to repair it.",
        ),
        (
            WriteBatch(
                appends=[Append("Log", {"Action": "ok"})],
                updates=[Update("Interventions", "Case ID", "HSB-9", {"Notes": "x"})],
            ),
            "The 'Interventions' tab has no row with Case ID 'HSB-9'.",
        ),
        (
            WriteBatch(appends=[Append("Log", {"Action": "ok"}), Append("Missing", {"Action": "x"})]),
            "The register has no 'Missing' tab. Run 'hsb-sheets setup' to create it.",
        ),
    ],
)
def test_anything_wrong_gives_no_plan_and_changes_nothing(batch: WriteBatch, message: str) -> None:
    read = tables(["HSB-1", "", "", ""])
    before = copy.deepcopy(read)
    with pytest.raises(WorkbookError) as refused:
        plan_writes(read, batch)
    assert str(refused.value) == message
    assert read == before


def test_trim_header_and_table_from_values() -> None:
    assert trim_header(["Case ID", "", "Notes", "", ""]) == ["Case ID", "", "Notes"]
    assert trim_header(["", ""]) == [] and trim_header([]) == []
    table = table_from_values(
        "Cases", [["Case ID", "Notes", ""], ["HSB-1"], [], ["HSB-2", "n", "stray", "x"], [], ["", ""], []]
    )
    assert table.header == ["Case ID", "Notes"]
    # an empty row between values stays (row numbers hold); empty rows after the last value are no rows
    assert table.rows == [["HSB-1", ""], ["", ""], ["HSB-2", "n"]]
    assert table_from_values("Empty", []) == Table("Empty", [], [])


def test_a_row_whose_key_cell_is_empty_is_not_a_keyed_row() -> None:
    # A coordinator's row without a case id (or a formatted empty row): an update echoing its empty
    # key addresses nothing, and the batch's other writes still go where they belong.
    read = tables(["", "AIM", "", "typed by hand"], ["HSB-1", "AIM", "", ""], ["", "", "", ""])
    batch = WriteBatch(
        updates=[
            Update("Interventions", "Case ID", " ", {"Notes": "lost"}),
            Update("Interventions", ("Case ID", "Start"), ("", ""), {"Notes": "lost"}),
            Update("Interventions", "Case ID", "HSB-1", {"Notes": "one"}),
        ],
        appends=[Append("Interventions", {"Case ID": "HSB-2"})],
    )
    plans = plan_writes(read, batch)
    assert plans["Interventions"].cells() == {(3, 4): "one", (4, 1): "HSB-2"}

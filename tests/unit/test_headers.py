"""Renamed headers are told apart from columns a new version adds and from a coordinator's own columns."""

from __future__ import annotations

from hsb_sheets.domain.headers import Rename, check_header

EXPECTED = ("Case ID", "Received", "Status", "Worker", "Route override", "Notes")


def test_a_renamed_header_is_named_with_its_new_name() -> None:
    found = check_header("Referrals", EXPECTED, ["Case ID", "Received", "Status", "Case worker", "Notes"])
    assert found.renamed == (Rename("Referrals", "Worker", "Case worker"),)
    assert found.missing == ("Route override",)  # a column this version adds: simply missing
    assert (
        found.renamed[0]
        .sentence()
        .startswith("the Referrals column 'Worker' seems renamed to 'Case worker'; rename it back")
    )


def test_case_punctuation_and_misspellings_are_renames() -> None:
    header = ["case-id", "Recieved", "Status", "Worker", "Route override", "Notes"]
    found = check_header("Referrals", EXPECTED, header)
    assert {(r.expected, r.found) for r in found.renamed} == {
        ("Case ID", "case-id"),
        ("Received", "Recieved"),
    }
    assert found.missing == ()


def test_a_coordinators_own_column_is_not_taken_for_a_new_one() -> None:
    header = ["Case ID", "Received", "Status", "Worker", "Notes", "Phone log", "Route notes"]
    found = check_header("Referrals", EXPECTED, header)
    assert found.renamed == () and found.missing == ("Route override",)


def test_each_missing_column_takes_the_likeliest_extra_once() -> None:
    header = ["Case ID", "Received", "Status", "worker", "Worker name", "Notes", "Route override"]
    found = check_header("Referrals", EXPECTED, header)
    assert found.renamed == (Rename("Referrals", "Worker", "worker"),) and found.missing == ()


def test_a_complete_header_has_nothing_to_say() -> None:
    found = check_header("Referrals", EXPECTED, [*EXPECTED, "My column", ""])
    assert found.renamed == () and found.missing == ()

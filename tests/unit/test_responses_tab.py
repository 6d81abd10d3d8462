"""Finding the form's responses tab by its header: Timestamp, then the question titles exactly."""

from __future__ import annotations

import pytest

from hsb_sheets.adapters.workbook.responses_tab import responses_tab
from hsb_sheets.errors import WorkbookError

QUESTIONS = ["Child's first name", "Age", "School or setting"]
FORM = ["Timestamp", *QUESTIONS]


def test_the_one_tab_with_the_forms_header_is_the_responses_tab_whatever_its_name() -> None:
    headers = {
        "Form responses 1": ["Timestamp", "Old question"],
        "Antworten 2": [*FORM, "", ""],
        "Referrals": [],
    }
    assert responses_tab(headers, QUESTIONS) == "Antworten 2"


def test_form_responses_1_is_preferred_when_several_tabs_match() -> None:
    headers = {"Form responses 2": FORM, "Form responses 1": FORM}
    assert responses_tab(headers, QUESTIONS) == "Form responses 1"


def test_several_matches_without_form_responses_1_name_the_candidates() -> None:
    with pytest.raises(WorkbookError, match=r"Several tabs.*'Form responses 2', 'Copy of responses'"):
        responses_tab({"Form responses 2": FORM, "Copy of responses": FORM}, QUESTIONS)


@pytest.mark.parametrize(
    "header",
    [
        ["Timestamp", "Email address", *QUESTIONS],  # the form collects emails
        [*FORM, "A question added later"],
        ["Timestamp", *reversed(QUESTIONS)],
        ["timestamp", *QUESTIONS],
    ],
)
def test_a_header_that_is_not_exactly_the_forms_does_not_match(header: list[str]) -> None:
    with pytest.raises(WorkbookError, match=r"No tab has the form's header \(Timestamp, then its 3"):
        responses_tab({"Form responses 1": header, "Referrals": ["Case ID"]}, QUESTIONS)


def test_no_match_names_the_tabs_that_start_with_timestamp() -> None:
    headers = {
        "Form responses 1": ["Timestamp", "Old question"],
        "Referrals": ["Case ID"],
        "Copy": ["Timestamp"],
    }
    with pytest.raises(WorkbookError, match="Tabs starting with Timestamp: 'Form responses 1', 'Copy'"):
        responses_tab(headers, QUESTIONS)


def test_of_several_matches_the_one_holding_responses_is_the_forms() -> None:
    # An earlier version's setup made an empty 'Form responses 1'; the form, linked later, fills another.
    headers = {"Form responses 1": FORM, "Form responses 2": FORM}
    assert responses_tab(headers, QUESTIONS, filled={"Form responses 2"}) == "Form responses 2"
    with pytest.raises(WorkbookError, match=r"Several tabs.*'Form responses 1', 'Form responses 2'"):
        responses_tab(headers, QUESTIONS, filled=set(headers))

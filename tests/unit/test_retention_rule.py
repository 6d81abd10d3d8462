"""The retention rule: the later of the child's 25th birthday and 6 years after closing, 29 February too."""

from __future__ import annotations

from datetime import date

from hsb_sheets.domain.retention import CaseDates, Due, RetentionRule, closed_on, judge, years_after

RULE = RetentionRule()


def case(born: date | None = date(2000, 5, 1), status: str = "Closed", **changes: object) -> CaseDates:
    values: dict[str, object] = {
        "case_id": "HSB-2010-0001",
        "status": status,
        "received": date(2010, 1, 4),
        "born": born,
        "activity": (date(2011, 7, 1),),
        "open_interventions": 0,
    }
    values.update(changes)
    return CaseDates(**values)  # type: ignore[arg-type]


def test_kept_until_the_25th_birthday_when_that_is_later() -> None:
    # Closed 1 July 2011: six years after is 2017; the child turns 25 on 1 May 2025.
    assert judge(case(), RULE, date(2025, 4, 30)) is None
    due = judge(case(), RULE, date(2025, 5, 1))
    assert isinstance(due, Due) and due.kept_until == date(2025, 5, 1)
    assert "25th birthday" in due.why and "closed on 2011-07-01" in due.why
    assert "2000" not in due.why  # the date of birth is not recoverable from the review list


def test_kept_six_years_after_closing_when_that_is_later() -> None:
    young = case(born=date(2000, 5, 1), activity=(date(2022, 3, 10),))
    assert judge(young, RULE, date(2028, 3, 9)) is None
    due = judge(young, RULE, date(2028, 3, 10))
    assert isinstance(due, Due) and due.kept_until == date(2028, 3, 10)
    assert "6 years after it closed (2022-03-10)" in due.why


def test_born_on_29_february_turns_25_on_1_march_in_a_common_year() -> None:
    leapling = case(born=date(2004, 2, 29))  # 2029 has no 29 February
    assert years_after(date(2004, 2, 29), 25) == date(2029, 3, 1)
    assert judge(leapling, RULE, date(2029, 2, 28)) is None
    assert isinstance(judge(leapling, RULE, date(2029, 3, 1)), Due)
    assert years_after(date(2004, 2, 29), 24) == date(2028, 2, 29)  # a leap year keeps the day


def test_closed_on_29_february_is_kept_until_1_march_six_years_on() -> None:
    closing = case(born=date(1990, 1, 1), activity=(date(2024, 2, 29),))
    assert judge(closing, RULE, date(2030, 2, 28)) is None
    due = judge(closing, RULE, date(2030, 3, 1))
    assert isinstance(due, Due) and due.kept_until == date(2030, 3, 1)


def test_an_open_case_is_never_due_however_old() -> None:
    assert judge(case(status="In progress"), RULE, date(2099, 1, 1)) is None
    assert judge(case(open_interventions=1), RULE, date(2099, 1, 1)) is None  # an intervention still open


def test_a_case_closes_on_the_latest_date_the_register_records_for_it() -> None:
    assert closed_on(case(activity=(date(2012, 1, 1), date(2013, 9, 9), date(2011, 1, 1)))) == date(
        2013, 9, 9
    )
    assert closed_on(case(activity=())) == date(2010, 1, 4)  # nothing after it: the day it was received
    assert closed_on(case(status="closed")) is not None


def test_without_a_readable_date_of_birth_the_case_is_left_to_a_person() -> None:
    assert judge(case(born=None), RULE, date(2099, 1, 1)) == "no readable date of birth: review it by hand"


def test_the_settings_change_the_rule() -> None:
    rule = RetentionRule(until_age=21, years_after_closing=10)
    assert isinstance(judge(case(activity=()), rule, date(2021, 5, 1)), Due)  # 21st birthday, 2010 + 10
    assert judge(case(activity=()), rule, date(2021, 4, 30)) is None

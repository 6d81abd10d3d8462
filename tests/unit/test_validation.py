"""Every validation rule of DESIGN section 3, each reported in plain words naming the question."""

from __future__ import annotations

from datetime import date

import pytest

from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.domain.validation import FieldError, ValidResponse, validate_response
from tests.conftest import RECEIVED, valid_answers


def check(form: FormDefinition, **changes: str) -> ValidResponse | list[FieldError]:
    return validate_response(form, valid_answers(**changes), RECEIVED)


def errors_for(form: FormDefinition, **changes: str) -> dict[str, str]:
    result = check(form, **changes)
    assert isinstance(result, list), "expected the response to be invalid"
    return {e.field: e.message for e in result}


def test_a_complete_response_is_valid(form: FormDefinition) -> None:
    result = check(form)
    assert isinstance(result, ValidResponse)
    assert result.date("child_dob") == date(2012, 6, 15)
    assert result.choices("open_to_services") == ("None of these",)


@pytest.mark.parametrize(
    "field_id",
    [
        f
        for f in valid_answers()
        if f not in ("referrer_phone", "lead_professional_email", "child_postcode", "school_or_setting")
    ],
)
def test_required_questions_need_an_answer(form: FormDefinition, field_id: str) -> None:
    errors = errors_for(form, **{field_id: "   "})
    title = form.field(field_id).title
    assert errors[field_id] == f"“{title}”: this question needs an answer."


@pytest.mark.parametrize(
    "field_id", ["referrer_phone", "lead_professional_email", "child_postcode", "school_or_setting"]
)
def test_optional_questions_may_be_blank(form: FormDefinition, field_id: str) -> None:
    assert isinstance(check(form, **{field_id: ""}), ValidResponse)


@pytest.mark.parametrize("address", ["not an address", "a@", "@example.org", "two@@example.org"])
def test_email_addresses_must_be_valid(form: FormDefinition, address: str) -> None:
    assert "not a valid email address" in errors_for(form, referrer_email=address)["referrer_email"]
    assert "lead_professional_email" in errors_for(form, lead_professional_email=address)


# DESIGN section 3: 8 to 11 digits starting 0, or +44 then 9 or 10 digits; spaces, brackets, hyphens.
UK_PHONES = [
    "0800 1111",  # 8 digits, the shortest
    "01632 960 001",
    "07700 900123",
    "01632 960123",
    "016329601",  # 9 digits
    "(01632) 960-123",
    "0800-1111",
    "  07700 900123  ",
    "+44 1632 960123",  # +44 and 10 digits
    "+44 800 111 111",  # +44 and 9 digits
    "+447700900123",
    "+44 (0)7700 900123",  # the trunk 0 in brackets is not counted
    "(+44) 1632 960123",
    "+44-1632-960123",
]
NOT_UK_PHONES = [
    "12345",
    "0800 111",  # 7 digits
    "1632 960123",  # no leading 0
    "01632 96012345",  # 13 digits
    "016329601234",  # 12 digits
    "+44 800 1111",  # +44 and 7 digits
    "+44 1632 9601",  # +44 and 8 digits
    "+44 01632 960123",  # +44 and 11 digits
    "+44",
    "+1 202 555 0100",
    "0044 1632 960123",  # 14 digits, whatever the prefix means
    "01632.960.123",  # dots are not allowed
    "07700 9001x3",
    "01632 960123 ext 4",
    "٠١٦٣٢٩٦٠١٢٣",  # digits, but not 0-9
    "phone me",
]


@pytest.mark.parametrize("phone", UK_PHONES)
def test_uk_phone_numbers_are_accepted(form: FormDefinition, phone: str) -> None:
    assert isinstance(check(form, referrer_phone=phone), ValidResponse)


@pytest.mark.parametrize("phone", NOT_UK_PHONES)
def test_other_phone_numbers_are_errors(form: FormDefinition, phone: str) -> None:
    assert errors_for(form, referrer_phone=phone)["referrer_phone"].endswith("this is not a UK phone number.")


def test_postcodes_are_checked_and_normalised(form: FormDefinition) -> None:
    result = check(form, child_postcode="pe11aa")
    assert isinstance(result, ValidResponse)
    assert result.text("child_postcode") == "PE1 1AA"
    assert "not a UK postcode" in errors_for(form, child_postcode="12345")["child_postcode"]


def test_choices_must_be_listed_and_are_normalised(form: FormDefinition) -> None:
    result = check(form, child_area="  peterborough ")
    assert isinstance(result, ValidResponse) and result.text("child_area") == "Peterborough"
    message = errors_for(form, child_area="Norfolk")["child_area"]
    assert "choose one of: Cambridgeshire; Peterborough" in message


def test_orange_means_amber(form: FormDefinition) -> None:
    result = check(form, traffic_light="Orange")
    assert isinstance(result, ValidResponse) and result.text("traffic_light") == "Amber"


def test_checkboxes_as_google_forms_joins_them(form: FormDefinition) -> None:
    result = check(form, open_to_services="Children's Social Care, Early Help")
    assert isinstance(result, ValidResponse)
    assert result.choices("open_to_services") == ("Early Help", "Children's Social Care")


def test_none_of_these_excludes_the_others(form: FormDefinition) -> None:
    message = errors_for(form, open_to_services="Early Help, None of these")["open_to_services"]
    assert "“None of these” cannot be ticked together" in message


def test_unknown_checkbox_is_an_error(form: FormDefinition) -> None:
    assert "open_to_services" in errors_for(form, open_to_services="Early Help, CAMHS")


@pytest.mark.parametrize(("length", "ok"), [(19, False), (20, True), (5000, True), (5001, False)])
def test_behaviour_description_length(form: FormDefinition, length: int, ok: bool) -> None:
    result = check(form, behaviour_description="x" * length)
    assert isinstance(result, ValidResponse) is ok


def test_date_of_birth_rules(form: FormDefinition) -> None:
    assert "is not a real date" in errors_for(form, child_dob="31/02/2014")["child_dob"]
    assert "in the future" in errors_for(form, child_dob="11/03/2026")["child_dob"]
    # under 25 on the day received (10 March 2026): 25th birthday on the day is too old
    assert (
        "must be under 25"
        in errors_for(form, child_dob="10/03/2001", incident_date="01/03/2026")["child_dob"]
    )
    assert isinstance(check(form, child_dob="11/03/2001"), ValidResponse)


def test_incident_date_rules(form: FormDefinition) -> None:
    assert "in the future" in errors_for(form, incident_date="11/03/2026")["incident_date"]
    message = errors_for(form, incident_date="14/06/2012")["incident_date"]
    assert message == "“Date of the most recent incident”: the date cannot be before “Child's date of birth”."
    assert isinstance(check(form, incident_date="15/06/2012"), ValidResponse)


def test_dates_accept_iso_and_sheet_serials(form: FormDefinition) -> None:
    result = check(form, child_dob="2012-06-15", incident_date="46082")
    assert isinstance(result, ValidResponse)
    assert result.date("incident_date") == date(2026, 3, 1)


@pytest.mark.parametrize(
    "status",
    ["Under investigation", "Out of Court Disposal accepted", "Charged", "Pleaded guilty", "Convicted"],
)
def test_criminal_status_needs_police_involved(form: FormDefinition, status: str) -> None:
    message = errors_for(form, criminal_status=status, police_involved="No")["criminal_status"]
    assert "needs “Are the police involved?” to be Yes" in message
    assert isinstance(check(form, criminal_status=status, police_involved="Yes"), ValidResponse)


def test_every_problem_is_reported_at_once(form: FormDefinition) -> None:
    errors = errors_for(
        form, referrer_email="nope", child_last_name="", traffic_light="Purple", child_dob="3/26"
    )
    assert set(errors) == {"referrer_email", "child_last_name", "traffic_light", "child_dob"}


def test_messages_never_repeat_the_answer(form: FormDefinition) -> None:
    secret = "Zebedee-Quartermaine"
    errors = errors_for(
        form,
        referrer_email=secret,
        child_dob=secret,
        child_area=secret,
        referrer_phone=secret,
        child_postcode=secret,
        open_to_services=secret,
    )
    assert len(errors) == 6
    assert all(secret not in message for message in errors.values())

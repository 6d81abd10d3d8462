"""Every bad value in the Settings tab is one ConfigError naming the setting and what it expects."""

from __future__ import annotations

import pytest

from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.domain.tabs import SETTINGS, SettingsTab
from hsb_sheets.errors import ConfigError
from hsb_sheets.services import policy
from hsb_sheets.services.policy import read_policy

NUMBERS = (policy.STRATEGY_WINDOW, policy.PLANNING_WINDOW, policy.MEETING_LENGTH, policy.LEAD_TIME)
TIMES = (policy.OFFICE_OPENS, policy.OFFICE_CLOSES)
# "²" (and "½", "①") are digits to str.isdigit() but not numbers to int(); nor are 5000 digits.
ODD_NUMBERS = ("\u00b2", "\u00bd", "\u2460", "1\u00b2", "-1", "1e3", "12.5", "2 days", "0x10", "9" * 5000)
ODD_TIMES = ("\u00b2", "0\u00b2:00", "9", "25:00", "09:60", "9.30", "noon")


def settings_with(name: str, value: str) -> Table:
    return Table(SETTINGS, [SettingsTab.SETTING, SettingsTab.VALUE, SettingsTab.NOTES], [[name, value, ""]])


@pytest.mark.parametrize("name", NUMBERS)
@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_a_number_setting_that_is_not_a_plain_whole_number(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_policy(settings_with(name, value))
    assert f"Settings tab, '{name}': give a whole number from" in str(raised.value)


@pytest.mark.parametrize("name", TIMES)
@pytest.mark.parametrize("value", ODD_TIMES)
def test_a_time_setting_that_is_not_a_24_hour_time(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_policy(settings_with(name, value))
    assert f"Settings tab, '{name}': give a time such as 09:00" in str(raised.value)


@pytest.mark.parametrize(
    ("name", "value", "expects"),
    [
        (policy.DATE_LOCALE, "\u00b2", "use one of en-GB, en-US"),
        (policy.REGISTER_LINK, "\u00b2", "give a web address starting https://"),
        (policy.SECURE_DOMAINS, "\u00b2", "is not an email domain"),
    ],
)
def test_every_other_setting_names_itself_and_what_it_expects(name: str, value: str, expects: str) -> None:
    with pytest.raises(ConfigError) as raised:
        read_policy(settings_with(name, value))
    assert f"Settings tab, '{name}'" in str(raised.value) and expects in str(raised.value)


def test_plain_values_still_read() -> None:
    read = read_policy(settings_with(policy.MEETING_LENGTH, "45"))
    assert read.meeting_minutes == 45
    assert read_policy(settings_with(policy.OFFICE_OPENS, "8:30")).office_opens.hour == 8


def test_the_contact_line_is_left_out_when_blanked_and_defaults_when_absent() -> None:
    assert read_policy(settings_with(policy.CONTACT_LINE, "")).contact_line == ""
    assert read_policy(settings_with(policy.CONTACT_LINE, " Team A, 01234 ")).contact_line == "Team A, 01234"
    absent = read_policy(settings_with(policy.SERVICE_NAME, "HSB"))  # a register set up before the row
    assert absent.contact_line == policy.DEFAULTS[policy.CONTACT_LINE][0]

"""Service settings that coordinators own, read from the register's Settings tab and checked."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time

from hsb_sheets.adapters.workbook.base import Append, Table
from hsb_sheets.domain.dates import LOCALES
from hsb_sheets.domain.next_steps import RULES as STEP_RULES
from hsb_sheets.domain.next_steps import step_settings
from hsb_sheets.domain.tabs import SETTINGS, SettingsTab
from hsb_sheets.errors import ConfigError

DATE_LOCALE = "Date locale"
REGISTER_LINK = "Register link"
SERVICE_NAME = "Service name"
OFFICE_OPENS = "Office hours start"
OFFICE_CLOSES = "Office hours end"
STRATEGY_WINDOW = "Strategy discussion within (working days)"
PLANNING_WINDOW = "Planning meeting within (working days)"
MEETING_LENGTH = "Meeting length (minutes)"
LEAD_TIME = "Lead time (hours)"
SECURE_DOMAINS = "Secure domains"
REGISTER_ID = "Register ID"
CONTACT_LINE = "Contact line"
TEAM_WINDOW = "Team around the child within (working days)"
KEEP_UNTIL_AGE = "Keep a closed case until the child is (years old)"
KEEP_AFTER_CLOSING = "Keep a closed case after it closed (years)"
RETENTION_REVIEW_DAYS = "Retention review within (days)"

# Setting -> (default value, note shown to coordinators)
DEFAULTS: dict[str, tuple[str, str]] = {
    DATE_LOCALE: (
        "en-GB",
        "How dates such as 01/03/2026 are read: en-GB (day first) or en-US (month first).",
    ),
    REGISTER_LINK: (
        "https://register.example.gov.uk/hsb",
        "Link to this register, put in invites and emails.",
    ),
    SERVICE_NAME: ("Harmful Sexual Behaviour Service", "How emails sign off."),
    OFFICE_OPENS: ("09:00", "Meetings are proposed between these times on working days (24-hour clock)."),
    OFFICE_CLOSES: ("17:00", "No meeting is proposed to end after this time."),
    STRATEGY_WINDOW: ("2", "A strategy discussion is proposed within this many working days."),
    PLANNING_WINDOW: ("10", "A multi-agency planning meeting is proposed within this many working days."),
    MEETING_LENGTH: ("60", "How long a proposed meeting lasts."),
    LEAD_TIME: ("2", "The least notice, in hours, between sending an invite and the meeting."),
    SECURE_DOMAINS: (
        "",
        "Email domains trusted with personal details, separated by commas (for example nhs.net). "
        "Mail to any other address carries only the case id, what is due and the register link.",
    ),
    REGISTER_ID: (
        "",  # setup writes a new random one for each register (see missing_settings)
        "Identifies this register in calendar event ids, so a trial register never clashes with this "
        "one. Set by setup: do not change it. (A Google register uses its spreadsheet id instead.)",
    ),
    CONTACT_LINE: (
        "HSB coordinator, hsb@example.gov.uk, 01234 567890",
        "Who to contact, shown at the end of every email (a placeholder: put your own). Blank: no line.",
    ),
    KEEP_UNTIL_AGE: (
        "25",
        "A placeholder the service must review and set as its own retention schedule says. A closed case "
        "is kept until the child reaches this age or for the years after closing below, whichever is "
        "later; then the retention job lists it on the Retention review tab.",
    ),
    KEEP_AFTER_CLOSING: (
        "6",
        "A placeholder the service must review (published schedules differ, for example for child in "
        "need and looked-after children's records).",
    ),
    RETENTION_REVIEW_DAYS: (
        "30",
        "A case listed on the Retention review tab is due for a coordinator's review within this many "
        "days. Nothing is erased until a coordinator fills in Confirmed by and Confirmed on.",
    ),
}
DEFAULTS[TEAM_WINDOW] = ("10", "A team around the child meeting is proposed within this many working days.")
DEFAULTS.update(step_settings())  # each next step's due date (DESIGN section 6)
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True)
class Policy:
    """The checked values of the Settings tab."""

    date_locale: str = DEFAULTS[DATE_LOCALE][0]
    register_link: str = DEFAULTS[REGISTER_LINK][0]
    service_name: str = DEFAULTS[SERVICE_NAME][0]
    office_opens: time = time(9, 0)
    office_closes: time = time(17, 0)
    strategy_window: int = 2
    planning_window: int = 10
    meeting_minutes: int = 60
    lead_hours: int = 2
    secure_domains: tuple[str, ...] = ()
    register_id: str = ""
    contact_line: str = ""  # blank: emails end without one
    team_window: int = 10
    step_days: Mapping[str, int] = field(default_factory=lambda: _default_step_days())

    def window(self, meeting_type: str) -> int:
        """The working days a meeting of this type is proposed within."""
        if meeting_type == "strategy_discussion":
            return self.strategy_window
        return self.team_window if meeting_type == "team_around_the_child" else self.planning_window

    def is_secure(self, address: str) -> bool:
        """Whether an address is in a domain trusted with personal details (or a subdomain of one)."""
        domain = address.rpartition("@")[2].strip().casefold()
        return any(domain == d or domain.endswith("." + d) for d in self.secure_domains)


def _default_step_days() -> dict[str, int]:
    return {rule.step: rule.days for rule in STEP_RULES.values()}


def _clock(name: str, text: str) -> time:
    m = _CLOCK.fullmatch(text)
    if m is None:
        raise ConfigError(f"Settings tab, '{name}': give a time such as 09:00.")
    return time(int(m[1]), int(m[2]))


def _whole(name: str, text: str, low: int, high: int) -> int:
    # isdecimal, not isdigit: "²" is a digit to str.isdigit() but not a number to int(); and int()
    # refuses thousands of digits.
    if not text.isdecimal() or len(text) > 6 or not low <= int(text) <= high:
        raise ConfigError(f"Settings tab, '{name}': give a whole number from {low} to {high}.")
    return int(text)


def read_policy(table: Table) -> Policy:
    """Read the Settings tab; blank or missing settings take their defaults."""
    values = dict.fromkeys(DEFAULTS, "")
    name_at, value_at = table.index(SettingsTab.SETTING), table.index(SettingsTab.VALUE)
    for row in table.rows:
        name = row[name_at].strip()
        if name in values:
            values[name] = row[value_at].strip()
    locale = values[DATE_LOCALE] or DEFAULTS[DATE_LOCALE][0]
    if locale not in LOCALES:
        raise ConfigError(f"Settings tab, '{DATE_LOCALE}': use one of {', '.join(LOCALES)}.")
    link = values[REGISTER_LINK] or DEFAULTS[REGISTER_LINK][0]
    if not link.startswith(("https://", "http://")):
        raise ConfigError(f"Settings tab, '{REGISTER_LINK}': give a web address starting https://.")

    def get(name: str) -> str:
        return values[name] or DEFAULTS[name][0]

    opens, closes = _clock(OFFICE_OPENS, get(OFFICE_OPENS)), _clock(OFFICE_CLOSES, get(OFFICE_CLOSES))
    if closes <= opens:
        raise ConfigError(f"Settings tab, '{OFFICE_CLOSES}': must be after '{OFFICE_OPENS}'.")
    return Policy(
        date_locale=locale,
        register_link=link,
        service_name=get(SERVICE_NAME),
        office_opens=opens,
        office_closes=closes,
        strategy_window=_whole(STRATEGY_WINDOW, get(STRATEGY_WINDOW), 1, 30),
        planning_window=_whole(PLANNING_WINDOW, get(PLANNING_WINDOW), 1, 60),
        meeting_minutes=_whole(MEETING_LENGTH, get(MEETING_LENGTH), 15, 480),
        lead_hours=_whole(LEAD_TIME, get(LEAD_TIME), 0, 72),
        secure_domains=_domains(values[SECURE_DOMAINS]),
        register_id=values[REGISTER_ID],
        contact_line=_contact_line(table, values[CONTACT_LINE]),
        team_window=_whole(TEAM_WINDOW, get(TEAM_WINDOW), 1, 60),
        step_days={r.step: _whole(r.setting, get(r.setting), 0, 250) for r in STEP_RULES.values()},
    )


def _contact_line(table: Table, value: str) -> str:
    """The Contact line: blank when a coordinator blanked it, the default when the row is absent."""
    name_at = table.index(SettingsTab.SETTING)
    present = any(row[name_at].strip() == CONTACT_LINE for row in table.rows)
    return value if present else DEFAULTS[CONTACT_LINE][0]


def _domains(text: str) -> tuple[str, ...]:
    domains = tuple(d.strip().casefold().lstrip("@") for d in text.replace(";", ",").split(",") if d.strip())
    for domain in domains:
        if "." not in domain or " " in domain:
            raise ConfigError(f"Settings tab, '{SECURE_DOMAINS}': '{domain}' is not an email domain.")
    return domains


def missing_settings(table: Table) -> list[Append]:
    """Rows to add so every setting appears in the tab with its default and note."""
    present = {row[table.index(SettingsTab.SETTING)].strip() for row in table.rows}
    fresh = {REGISTER_ID: uuid.uuid4().hex[:16]}  # one register's identity, made when its setup first runs
    return [
        Append(
            SETTINGS,
            {SettingsTab.SETTING: name, SettingsTab.VALUE: fresh.get(name, value), SettingsTab.NOTES: note},
        )
        for name, (value, note) in DEFAULTS.items()
        if name not in present
    ]

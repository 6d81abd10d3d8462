"""Service settings that coordinators own, read from the register's Settings tab and checked."""

from __future__ import annotations

from dataclasses import dataclass

from hsb_sheets.adapters.workbook.base import Append, Table
from hsb_sheets.domain.dates import LOCALES
from hsb_sheets.domain.tabs import SETTINGS
from hsb_sheets.errors import ConfigError

DATE_LOCALE = "Date locale"
REGISTER_LINK = "Register link"
SERVICE_NAME = "Service name"

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
}


@dataclass(frozen=True)
class Policy:
    """The checked values of the Settings tab."""

    date_locale: str = DEFAULTS[DATE_LOCALE][0]
    register_link: str = DEFAULTS[REGISTER_LINK][0]
    service_name: str = DEFAULTS[SERVICE_NAME][0]


def read_policy(table: Table) -> Policy:
    """Read the Settings tab; blank or missing settings take their defaults."""
    values = {DATE_LOCALE: "", REGISTER_LINK: "", SERVICE_NAME: ""}
    name_at, value_at = table.index("Setting"), table.index("Value")
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
    return Policy(locale, link, values[SERVICE_NAME] or DEFAULTS[SERVICE_NAME][0])


def missing_settings(table: Table) -> list[Append]:
    """Rows to add so every setting appears in the tab with its default and note."""
    present = {row[table.index("Setting")].strip() for row in table.rows}
    return [
        Append(SETTINGS, {"Setting": name, "Value": value, "Notes": note})
        for name, (value, note) in DEFAULTS.items()
        if name not in present
    ]

"""The retention rule as the Settings tab gives it (blank settings take their placeholder defaults)."""

from __future__ import annotations

from hsb_sheets.adapters.workbook.base import Table
from hsb_sheets.domain.retention import RetentionRule
from hsb_sheets.domain.tabs import SettingsTab
from hsb_sheets.errors import ConfigError
from hsb_sheets.services.policy import DEFAULTS, KEEP_AFTER_CLOSING, KEEP_UNTIL_AGE, RETENTION_REVIEW_DAYS

_LIMITS = {KEEP_UNTIL_AGE: (18, 120), KEEP_AFTER_CLOSING: (0, 100), RETENTION_REVIEW_DAYS: (1, 365)}


def read_rule(table: Table) -> RetentionRule:
    """The retention rule; ConfigError naming the setting when one is not a whole number in range."""
    values = {name: DEFAULTS[name][0] for name in _LIMITS}
    name_at, value_at = table.index(SettingsTab.SETTING), table.index(SettingsTab.VALUE)
    for row in table.rows:
        name = row[name_at].strip()
        if name in values and row[value_at].strip():
            values[name] = row[value_at].strip()
    numbers = {}
    for name, (low, high) in _LIMITS.items():
        text = values[name]
        if not text.isdecimal() or len(text) > 4 or not low <= int(text) <= high:
            raise ConfigError(f"Settings tab, '{name}': give a whole number from {low} to {high}.")
        numbers[name] = int(text)
    return RetentionRule(numbers[KEEP_UNTIL_AGE], numbers[KEEP_AFTER_CLOSING], numbers[RETENTION_REVIEW_DAYS])

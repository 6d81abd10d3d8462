"""The shipped configuration and templates are package data, found through importlib.resources."""

from __future__ import annotations

import pytest

from hsb_sheets.errors import ConfigError
from hsb_sheets.resources import shipped


def test_shipped_files_and_folders_are_inside_the_package() -> None:
    rules = shipped("config/routing_rules.csv")
    templates = shipped("templates")
    assert rules.is_file() and rules.parent.parent.name == "hsb_sheets"
    assert (templates / "email" / "acknowledgement.txt.j2").is_file()


def test_a_missing_shipped_file_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"lacks its shipped config/nothing\.csv; reinstall it"):
        shipped("config/nothing.csv")

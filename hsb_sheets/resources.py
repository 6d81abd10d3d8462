"""Where the shipped configuration and templates live (``config/`` and ``templates/``)."""

from __future__ import annotations

from pathlib import Path

from hsb_sheets.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def shipped(relative: str) -> Path:
    """A file shipped with the project, e.g. ``config/routing_rules.csv``."""
    path = PROJECT_ROOT / relative
    if not path.exists():
        raise ConfigError(
            f"The shipped file {relative} is missing; install hsb-sheets from its source folder "
            "(pip install -e .) so config/ and templates/ are found."
        )
    return path

"""What every command shares: finding the settings (read once), building the context, printing."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import SETTINGS_FILE, Settings, load_settings
from hsb_sheets.errors import ConfigError
from hsb_sheets.services.context import Context
from hsb_sheets.services.rules_in_use import RuleSource, shipped_rules, workspace_rules

console = Console(highlight=False, soft_wrap=True)


class AppState:
    """The --config choice, and the settings and context built from it on first use (once each)."""

    def __init__(self, config_path: str | None) -> None:
        self.explicit = config_path is not None
        self.config_path = Path(config_path) if config_path else Path(SETTINGS_FILE)
        self._settings: Settings | None = None
        self._context: Context | None = None

    def has_workspace(self) -> bool:
        """Whether a settings file was named or is in the current folder."""
        return self.explicit or self.config_path.exists()

    def configure_logging(self) -> None:
        """Log as the settings say (text to standard error when there are no settings yet)."""
        from hsb_sheets.logs import configure

        try:
            logging = self.settings().logging if self.config_path.exists() else None
        except ConfigError:
            logging = None  # the command itself reports the bad settings
        style = logging.format if logging else os.environ.get("HSB_SHEETS_LOGGING_FORMAT", "text")
        configure(style, logging.level if logging else "INFO")

    def settings(self) -> Settings:
        """The checked settings, read once per command (ConfigError if missing or invalid)."""
        if self._settings is None:
            self._settings = load_settings(self.config_path)
        return self._settings

    def context(self) -> Context:
        """The wired application, built once per command."""
        if self._context is None:
            self._context = build_context(self.settings())
        return self._context

    def rule_source(self) -> RuleSource:
        """The workspace's Routing rules tab when there is a workspace, else config/routing_rules.csv."""
        return workspace_rules(self.context()) if self.has_workspace() else shipped_rules()

    @staticmethod
    def clock() -> datetime:
        """The time now (UTC); commands turn it into the service's time zone."""
        return datetime.now(UTC)

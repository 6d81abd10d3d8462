"""What every command shares: finding the settings, building the context, printing."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console

from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import SETTINGS_FILE, Settings, load_settings
from hsb_sheets.services.context import Context

console = Console(highlight=False, soft_wrap=True)


class AppState:
    """The --config choice, and the settings and context built from it on first use."""

    def __init__(self, config_path: str | None) -> None:
        self.explicit = config_path is not None
        self.config_path = Path(config_path) if config_path else Path(SETTINGS_FILE)

    def has_workspace(self) -> bool:
        """Whether a settings file was named or is in the current folder."""
        return self.explicit or self.config_path.exists()

    def configure_logging(self) -> None:
        """Log as the settings say (text to standard error when there are no settings yet)."""
        from hsb_sheets.config import ConfigError
        from hsb_sheets.logs import configure

        try:
            logging = load_settings(self.config_path).logging if self.config_path.exists() else None
        except ConfigError:
            logging = None  # the command itself reports the bad settings
        style = logging.format if logging else os.environ.get("HSB_SHEETS_LOGGING_FORMAT", "text")
        configure(style, logging.level if logging else "INFO")

    def settings(self) -> Settings:
        """The checked settings (ConfigError if missing or invalid)."""
        return load_settings(self.config_path)

    def context(self) -> Context:
        """The wired application."""
        return build_context(self.settings())

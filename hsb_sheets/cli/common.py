"""What every command shares: finding the settings, building the context, printing."""

from __future__ import annotations

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

    def settings(self) -> Settings:
        """The checked settings (ConfigError if missing or invalid)."""
        return load_settings(self.config_path)

    def context(self) -> Context:
        """The wired application."""
        return build_context(self.settings())

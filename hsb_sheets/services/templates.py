"""Jinja2 templates from ``hsb_sheets/templates/``, with StrictUndefined so a missing value fails loudly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
    UndefinedError,
    select_autoescape,
)

from hsb_sheets.errors import ConfigError


class Templates:
    """Renders named templates; HTML templates are autoescaped."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._env = Environment(
            loader=FileSystemLoader(str(folder)),
            undefined=StrictUndefined,
            autoescape=select_autoescape(["html", "html.j2"]),
            keep_trailing_newline=True,
        )

    def render(self, name: str, **context: Any) -> str:
        """Render one template; ConfigError names a missing template or value."""
        try:
            return self._env.get_template(name).render(**context)
        except TemplateNotFound:
            raise ConfigError(f"The template {name} is missing from {self.folder}.") from None
        except UndefinedError as problem:
            raise ConfigError(
                f"The template {name} uses a value it is not given: {problem.message}."
            ) from None

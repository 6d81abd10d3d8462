"""The configuration and templates shipped inside the package: ``hsb_sheets/config/`` and ``templates/``.

They are package data, read through importlib.resources, so an installed wheel finds them as well as
a source checkout does.
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from importlib.resources import as_file, files
from pathlib import Path

from hsb_sheets.errors import ConfigError

_EXTRACTED = ExitStack()  # files extracted from a zipped install, removed when the process ends
atexit.register(_EXTRACTED.close)


def shipped(relative: str) -> Path:
    """A file or folder shipped with the package, e.g. ``config/routing_rules.csv`` or ``templates``."""
    resource = files("hsb_sheets").joinpath(*relative.split("/"))
    if not (resource.is_file() or resource.is_dir()):
        raise ConfigError(f"The installed hsb-sheets package lacks its shipped {relative}; reinstall it.")
    if isinstance(resource, Path):  # an ordinary install: the package data is already on disk
        return resource
    return _EXTRACTED.enter_context(as_file(resource))

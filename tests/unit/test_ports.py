"""Every port has its contract (adapters/<port>/base.py), and every error a port raises is an HsbError,
so the command line shows it as one message, never a traceback."""

from __future__ import annotations

import importlib
from pathlib import Path

import hsb_sheets.adapters
from hsb_sheets.errors import HsbError

ADAPTERS = Path(hsb_sheets.adapters.__file__).parent
PORTS = sorted(p.name for p in ADAPTERS.iterdir() if p.is_dir() and (p / "__init__.py").exists())


def test_every_port_has_a_base_module_with_a_contract() -> None:
    assert {"calendar", "forms", "lease", "mail", "workbook"} <= set(PORTS)
    for port in PORTS:
        assert (ADAPTERS / port / "base.py").exists(), port


def test_every_port_error_is_an_hsb_error() -> None:
    found = []
    for port in PORTS:
        base = importlib.import_module(f"hsb_sheets.adapters.{port}.base")
        errors = [v for v in vars(base).values() if isinstance(v, type) and issubclass(v, Exception)]
        assert errors, f"adapters/{port}/base.py names no error"
        found += [(port, e.__name__) for e in errors if not issubclass(e, HsbError)]
    assert found == []

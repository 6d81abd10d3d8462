"""Logging: plain text or JSON lines (a setting), one summary line per job run, never personal data.

Only counts, durations, job names and case ids are ever logged: the register is the place for
everything else.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

LOGGER = "hsb_sheets"
_FIELDS = "hsb_fields"


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the record's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(getattr(record, _FIELDS, {}))
        return json.dumps(line, sort_keys=False)


class Text(logging.Formatter):
    """time level message key=value ..."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in getattr(record, _FIELDS, {}).items())
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{stamp} {record.levelname.lower()} {record.getMessage()}" + (f" {fields}" if fields else "")


def configure(style: str = "text", level: str = "INFO") -> None:
    """Send hsb_sheets logs to stderr in the chosen style (idempotent)."""
    logger = logging.getLogger(LOGGER)
    logger.setLevel(level.upper())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if style == "json" else Text())
    logger.handlers = [handler]
    logger.propagate = False


def log(message: str, level: int = logging.INFO, **fields: Any) -> None:
    """A log line with structured fields (counts, durations, ids: never personal data)."""
    logging.getLogger(LOGGER + ".jobs").log(level, message, extra={_FIELDS: fields})

"""Queueing a notification by its :class:`OutboxKey`, in one place until ``queue`` takes the key itself."""

from __future__ import annotations

from datetime import datetime

from hsb_sheets.adapters.workbook.base import Append
from hsb_sheets.domain.outbox_keys import OutboxKey
from hsb_sheets.services.notifications import queue


def _subject(key: OutboxKey) -> str:
    """The key's text after its kind: its parts joined by ``|``, a ``|`` inside a part written ``/``."""
    return "|".join(part.replace("|", "/") for part in key.parts)


def queue_key(key: OutboxKey, case_id: str, role: str, recipient: str, now: datetime) -> Append:
    """An Outbox row for a notification to send, its Key column ``str(key)``."""
    return queue(key.kind, _subject(key), case_id, role, recipient, now)

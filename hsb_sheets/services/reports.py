"""The convention every job report follows: ``counts()`` is the one source of a run's numbers.

The log line, the Job status tab's Counts cell, the command line's summary and anything else that
shows how a run went all take their numbers from ``report.counts()``; none counts for itself.
Counts are numbers only, never personal data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from hsb_sheets.services.notifications import DeliveryReport


class JobReport(Protocol):
    """What one job run did, summarised by its counts."""

    def counts(self) -> dict[str, int]:
        """The numbers the run is summarised by, in the order they are shown."""
        ...


class DeliveringReport(JobReport, Protocol):
    """A report of a job that sends the Outbox: its delivery is part of its counts."""

    delivery: DeliveryReport


def delivery_counts(delivery: DeliveryReport) -> dict[str, int]:
    """The emails a delivery pass sent and failed to send."""
    return {"emails_sent": len(delivery.sent), "emails_failed": len(delivery.failed)}


def format_counts(counts: Mapping[str, int]) -> str:
    """Counts as ``key=value`` words: the Job status tab's Counts cell and the text log line."""
    return " ".join(f"{key}={value}" for key, value in counts.items())

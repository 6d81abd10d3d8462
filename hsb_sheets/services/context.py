"""What a use case needs, handed over by bootstrap: ports, the form, templates and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from hsb_sheets.adapters.calendar.base import Calendar
from hsb_sheets.adapters.journal.base import Journal
from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.lease.base import Lease
from hsb_sheets.adapters.mail.base import Mailer
from hsb_sheets.adapters.sharing.base import Sharing
from hsb_sheets.adapters.workbook.base import Workbook, WriteBatch
from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.services.templates import Templates


@dataclass
class Context:
    """The wired application for one command."""

    form: FormDefinition
    workbook: Workbook
    mailer: Mailer
    calendar: Calendar
    lease: Lease
    templates: Templates
    sender: str
    timezone: ZoneInfo
    routing_seed: tuple[list[str], list[list[str]]]
    clock: Callable[[], datetime]
    pull_responses: Callable[[Context], int] | None = None  # set when intake reads the Forms API
    register_id: str = ""  # the register's identity in event ids: the spreadsheet id on Google, else blank
    journal: Journal = field(default_factory=MemoryJournal)  # local: the SQLite file beside the register
    sharing: Sharing | None = None  # who can open the register (doctor, the digest); None: not checked
    # Set while a run of several jobs goes on: each job's Job status row, written once as the run ends.
    deferred: WriteBatch | None = None

    def now(self) -> datetime:
        """The local time now, naive, in the service's time zone."""
        return self.clock().astimezone(self.timezone).replace(tzinfo=None)

"""What a register column is: its header text, who owns it, what kind of value it holds, how it shows.

A :class:`Column` *is* its header text (a ``str``), so it can be used wherever a header is, as a key
of a row mapping or an argument to ``Table.index``; it also carries what setup, layout, doctor and
the jobs need to know about it. Each tab's columns are declared once, in :mod:`hsb_sheets.domain.tabs`.
"""

from __future__ import annotations

from enum import StrEnum


class Owner(StrEnum):
    """Who writes a column."""

    SYSTEM = "system"  # written only by jobs; protected on Google
    COORDINATOR = "coordinator"  # typed by coordinators; never overwritten by a job
    SHARED = "shared"  # jobs set it, coordinators may set it too (a meeting's Status)


class Kind(StrEnum):
    """What a column holds, for display and for reading a coordinator's value."""

    TEXT = "text"
    DATE = "date"
    DATE_TIME = "date-time"
    CHOICE = "choice"
    NUMBER = "number"
    LIST = "list"  # several values, comma-separated


class Column(str):
    """A column's header text, with its owner, kind, dropdown choices and display hints.

    ``width`` is a display hint in characters (0: size to content); ``technical`` columns (keys,
    traces, sequences) are the ones people rarely need, shown last. A ``personal`` column holds
    personal data (a name, a date of birth, an address, a description, free text): retention clears it
    when a case is erased, and a subject access export gathers it.
    """

    owner: Owner
    kind: Kind
    choices: tuple[str, ...]
    width: int
    technical: bool
    personal: bool

    def __new__(
        cls,
        name: str,
        kind: Kind = Kind.TEXT,
        *,
        owner: Owner = Owner.SYSTEM,
        choices: tuple[str, ...] = (),
        width: int = 0,
        technical: bool = False,
        personal: bool = False,
    ) -> Column:
        """Declare a column; ``choices`` make it a dropdown."""
        column = super().__new__(cls, name)
        column.owner = owner
        column.kind = Kind.CHOICE if choices and kind is Kind.TEXT else kind
        column.choices = choices
        column.width = width
        column.technical = technical
        column.personal = personal
        return column

    def __getnewargs__(self) -> tuple[str]:
        # copy and pickle rebuild the str from this; the attributes follow in __dict__.
        return (str(self),)

    @property
    def name(self) -> str:
        """The header text as a plain string."""
        return str(self)

    @property
    def is_system(self) -> bool:
        """Written only by jobs (and so protected)."""
        return self.owner is Owner.SYSTEM


def system(
    name: str, kind: Kind = Kind.TEXT, *, width: int = 0, technical: bool = False, personal: bool = False
) -> Column:
    """A column only jobs write."""
    return Column(name, kind, width=width, technical=technical, personal=personal)


def coordinator(
    name: str,
    kind: Kind = Kind.TEXT,
    *,
    choices: tuple[str, ...] = (),
    width: int = 0,
    personal: bool = False,
) -> Column:
    """A column coordinators type in; jobs never overwrite it."""
    return Column(name, kind, owner=Owner.COORDINATOR, choices=choices, width=width, personal=personal)


def shared(
    name: str,
    kind: Kind = Kind.TEXT,
    *,
    choices: tuple[str, ...] = (),
    width: int = 0,
    personal: bool = False,
) -> Column:
    """A column jobs set and coordinators may change."""
    return Column(name, kind, owner=Owner.SHARED, choices=choices, width=width, personal=personal)

"""The Audit log's hash chain: each row carries a hash over the previous row's hash and its own values.

A row's *Sequence* numbers it along the chain (1, 2, 3 ...), so coordinators may sort or filter the
tab and the chain is still read in order. Its *Hash* is the SHA-256 of the previous row's hash and
the row's canonical values (its sequence and the columns in :data:`HASHED`, as JSON), so changing,
deleting or renumbering a row breaks the link to every row after it. Rows written before the chain
began (registers made by earlier versions) have neither: they are the chain's unhashed prefix, and a
row without a hash dated after the chain began is a break.

Limits: the chain proves that rows were not changed *quietly*; someone who can edit the tab and
recompute every later hash can still rewrite it, and deleting the newest rows leaves no gap.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from hsb_sheets.domain.tabs import AuditLogTab

# The columns a hash covers, fixed here so that a column added to the tab later changes no old hash.
HASHED = (
    AuditLogTab.TIME,
    AuditLogTab.JOB,
    AuditLogTab.ACTION,
    AuditLogTab.CASE_ID,
    AuditLogTab.RESPONSE_ID,
    AuditLogTab.RULE_IDS,
    AuditLogTab.DETAIL,
)
CHAIN_COLUMNS = (AuditLogTab.SEQUENCE, AuditLogTab.HASH)
GENESIS = ""  # the "previous hash" of the chain's first row


@dataclass(frozen=True)
class Tail:
    """The chain's last row: its sequence number (0 before the first) and its hash."""

    sequence: int = 0
    digest: str = GENESIS


def link(previous: str, sequence: int, values: Mapping[str, str]) -> str:
    """The hash of one row: SHA-256 over the previous row's hash and this row's canonical values."""
    canonical = json.dumps(
        [previous, str(sequence), *(values.get(column, "").strip() for column in HASHED)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def extend(tail: Tail, rows: Iterable[Mapping[str, str]]) -> tuple[list[dict[str, str]], Tail]:
    """The rows with their Sequence and Hash, chained after ``tail``, and the new tail."""
    chained = []
    for values in rows:
        sequence = tail.sequence + 1
        digest = link(tail.digest, sequence, values)
        chained.append({**values, AuditLogTab.SEQUENCE: str(sequence), AuditLogTab.HASH: digest})
        tail = Tail(sequence, digest)
    return chained, tail


def _sequence(text: str) -> int | None:
    try:
        value = float(text.strip())  # a spreadsheet may show 7 as "7.0"
        number = int(value)
    except (ValueError, OverflowError):
        return None
    return number if number > 0 and value == number else None


def tail_of(records: Iterable[Mapping[str, str]]) -> Tail:
    """The row with the highest sequence number (wherever a sort put it); Tail() before the chain."""
    best = Tail()
    for record in records:
        sequence = _sequence(record.get(AuditLogTab.SEQUENCE, ""))
        if sequence is not None and sequence > best.sequence:
            best = Tail(sequence, record.get(AuditLogTab.HASH, "").strip())
    return best


@dataclass(frozen=True)
class ChainReport:
    """What verifying the chain found: rows chained, rows before it, and the first break (if any)."""

    chained: int
    unhashed: int
    problem: str = ""  # names the first row (its row number in the tab) that breaks the chain

    @property
    def ok(self) -> bool:
        """Whether every hashed row links to the one before it."""
        return not self.problem


Row = tuple[int, Mapping[str, str]]  # (row number in the tab, the row's values)


def verify(rows: Sequence[Row]) -> ChainReport:
    """Walk the chain in sequence order and name the first row that breaks it."""
    hashed: list[tuple[int, int, Mapping[str, str]]] = []
    unhashed: list[Row] = []
    for number, values in rows:
        text, digest = values.get(AuditLogTab.SEQUENCE, "").strip(), values.get(AuditLogTab.HASH, "").strip()
        if not text and not digest:
            unhashed.append((number, values))
            continue
        sequence = _sequence(text)
        if sequence is None or not digest:
            problem = f"row {number} has a Sequence or Hash that was changed or cleared"
            return ChainReport(len(hashed), len(unhashed), problem)
        hashed.append((sequence, number, values))
    hashed.sort(key=lambda item: (item[0], item[1]))
    problem = _first_break(hashed) or _late_unhashed(hashed, unhashed)
    return ChainReport(len(hashed), len(unhashed), problem)


def _first_break(hashed: Sequence[tuple[int, int, Mapping[str, str]]]) -> str:
    previous, expected, seen_at = GENESIS, 1, 0
    for sequence, number, values in hashed:
        if sequence < expected:
            return (
                f"rows {seen_at} and {number} both have Sequence {sequence}: a row was copied or renumbered"
            )
        if sequence > expected:
            missing = str(expected) if sequence == expected + 1 else f"{expected} to {sequence - 1}"
            return f"Sequence {missing} is missing before row {number} (Sequence {sequence}): deleted"
        if link(previous, sequence, values) != values.get(AuditLogTab.HASH, "").strip():
            return (
                f"row {number} (Sequence {sequence}) does not match its hash: "
                "its values were changed after it was written"
            )
        previous, expected, seen_at = values.get(AuditLogTab.HASH, "").strip(), sequence + 1, number
    return ""


def _late_unhashed(hashed: Sequence[tuple[int, int, Mapping[str, str]]], unhashed: Sequence[Row]) -> str:
    """An unhashed row dated after the chain's first row was added (or stripped of its hash) since."""
    if not hashed:
        return ""
    began = hashed[0][2].get(AuditLogTab.TIME, "").strip()
    for number, values in unhashed:
        if values.get(AuditLogTab.TIME, "").strip() > began:
            return f"row {number} has no hash but is dated after the chain began ({began})"
    return ""

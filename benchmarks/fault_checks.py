"""The fault-injection harness's checker: the invariants of DESIGN 2.1 and 9, read from a workspace's files.

It reads only what people and programs see: the register (openpyxl, by header names), the ``.eml``
outbox (one file per email) and the ``.ics`` files, so it keeps working whatever the jobs do inside.
A :class:`Ledger` carries what the harness did (responses submitted, rows deleted, edits typed) and
what it saw (which response each case id named), across the rounds of a trial.

Problems name a response by its number in the trial (``n07``) and a case by its id, never by any
answer, so the harness's output carries no personal data, fictional or not.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import openpyxl
from icalendar import Calendar

LONDON = ZoneInfo("Europe/London")
CASE_ID = re.compile(r"\bHSB-\d{4}-\d{4,}\b")
TAG = re.compile(r"referrer\.t\d+\.n(\d+)@example\.org")
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
)
DATEISH = re.compile(r"\d{1,4}[-/]\d{1,2}[-/]\d{1,4}([ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?)?")
# Tabs no invariant reads (the larger ones cost the harness most of its time).
UNREAD = frozenset({"Audit log", "Routing rules", "Settings", "Directory", "Job status", "Lease"})
REFERRER_EMAIL = "Referrer email"
# Each fine-grained kind of problem, and the summary count it adds to.
CATEGORIES = {
    "lost": "lost",
    "lost_notification": "lost",
    "duplicated": "duplicated",
    "duplicate_notification": "duplicated",
    "duplicate_invitation": "duplicated",
    "reused_id": "reused_ids",
    "changed_id": "reused_ids",
    "mismatched_invitation": "mismatched_invitations",
    "mismatched_acknowledgement": "mismatched_acknowledgements",
    "lost_edit": "lost_edits",
    "leftover_temp_file": "leftover_temp_files",
    "unreadable": "errors",
}
Tables = dict[str, list[dict[str, str]]]


def canonical(value: Any) -> str:
    """A cell's value as comparable text: dates and times in one ISO form, numbers without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LONDON).replace(tzinfo=None)
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M" if value.second == 0 else "%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if not DATEISH.fullmatch(text):
        return text
    for fmt in DATE_FORMATS:
        try:
            return canonical(datetime.strptime(text, fmt).replace(microsecond=0))
        except ValueError:
            continue
    return text


def read_register(path: Path, skip: frozenset[str] = UNREAD) -> Tables:
    """The tabs as records by header (blank rows skipped), values made :func:`canonical`."""
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        tables: Tables = {}
        for sheet in book.worksheets:
            if sheet.title in skip:
                continue
            rows = sheet.iter_rows(values_only=True)
            header = [canonical(h) for h in next(rows, ())]
            records = []
            for row in rows:
                values = [canonical(v) for v in row]
                if any(values):
                    records.append(dict(zip(header, values, strict=False)))
            tables[sheet.title] = records
        return tables
    finally:
        book.close()


@dataclass(frozen=True)
class Invite:
    """One invitation email's calendar part."""

    event_id: str
    sequence: int
    method: str
    start: str  # local time, to the minute
    attendees: frozenset[str]


@dataclass(frozen=True)
class Mail:
    """One ``.eml`` file of the outbox."""

    name: str
    message_id: str
    key_hash: str
    to: tuple[str, ...]
    subject: str
    content: bytes
    invite: Invite | None


def _invite(message: EmailMessage) -> Invite | None:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            calendar = Calendar.from_ical(cast(bytes, part.get_payload(decode=True)))
            method = str(calendar.get("method", "")).upper()
            event = next(iter(calendar.walk("VEVENT")))
            attendees = event.get("attendee", [])
            attendees = attendees if isinstance(attendees, list) else [attendees]
            start = event.decoded("dtstart")
            return Invite(
                event_id=str(event["uid"]).split("@", 1)[0],
                sequence=int(event.get("sequence", 0)),
                method=method,
                start=canonical(start.astimezone(LONDON).replace(tzinfo=None, second=0)),
                attendees=frozenset(str(a).lower().removeprefix("mailto:") for a in attendees),
            )
    return None


def read_outbox(folder: Path) -> list[Mail]:
    """Every email the ``.eml`` outbox holds (its invites folder is read by :func:`read_ics`)."""
    mails = []
    for path in sorted(folder.glob("*.eml")):
        content = path.read_bytes()
        message = BytesParser(policy=policy.default).parsebytes(content)
        to = tuple(a.lower() for _, a in getaddresses([str(message.get("To", ""))]) if a)
        mails.append(
            Mail(
                name=path.name,
                message_id=str(message.get("Message-ID", "")).strip(),
                key_hash=str(message.get("X-HSB-Key", "")).strip(),
                to=to,
                subject=str(message.get("Subject", "")),
                content=content,
                invite=_invite(message),
            )
        )
    return mails


def read_ics(folder: Path) -> dict[str, Invite]:
    """The latest state of each meeting, as its ``.ics`` file holds it, by event id."""
    found = {}
    for path in sorted(folder.glob("*.ics")):
        message = EmailMessage()
        message.add_alternative(path.read_bytes(), maintype="text", subtype="calendar")
        invite = _invite(message)
        if invite is not None:
            found[invite.event_id] = invite
    return found


@dataclass(frozen=True)
class Problem:
    """One broken invariant, in words that carry no personal data."""

    kind: str
    detail: str


@dataclass
class Response:
    """A response the harness submitted: its tag (referrer address), validity and, if pasted, its instant."""

    tag: str
    valid: bool
    received: str = ""  # canonical; blank for web-form submissions (the form picks the instant)
    deleted: bool = False  # a coordinator deleted its Referrals or Intake issues row


@dataclass(frozen=True)
class Edit:
    """A value a coordinator typed, found again by its row's key columns."""

    tab: str
    key: tuple[tuple[str, str], ...]
    column: str
    value: str


@dataclass
class Ledger:
    """What a trial did and saw: responses, coordinators' edits, and the case id each response was given."""

    responses: dict[str, Response] = field(default_factory=dict)
    edits: list[Edit] = field(default_factory=list)
    case_of: dict[str, str] = field(default_factory=dict)  # tag -> case id, the first seen
    named: dict[str, str] = field(default_factory=dict)  # case id -> tag, the first seen
    seen: set[Problem] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)  # a corrected referrer address -> the tag

    def tag_of(self, address: str) -> str:
        """The response an address stands for (a referrer's corrected address stands for the original)."""
        address = address.strip().lower()
        return self.aliases.get(address, address)

    def observe(self, tables: Tables, mails: Iterable[Mail]) -> list[Problem]:
        """Note which response each case id names (register rows, acknowledgements); new problems only."""
        pairs = [
            (r.get("Case ID", ""), self.tag_of(r.get(REFERRER_EMAIL, "")))
            for r in tables.get("Referrals", [])
        ]
        for mail in mails:
            if mail.name.startswith("acknowledgement"):
                found = CASE_ID.search(mail.subject)
                tags = [self.tag_of(to) for to in mail.to]
                pairs.extend((found.group(0), tag) for tag in tags if found and tag in self.responses)
        problems = []
        for case_id, tag in pairs:
            if not case_id or tag not in self.responses:
                continue
            first = self.named.setdefault(case_id, tag)
            if first != tag:
                problems.append(Problem("reused_id", f"{case_id} named {name(first)}, then {name(tag)}"))
            given = self.case_of.setdefault(tag, case_id)
            if given != case_id:
                problems.append(Problem("changed_id", f"{name(tag)} was {given}, then {case_id}"))
        return self._new(problems)

    def _new(self, problems: list[Problem]) -> list[Problem]:
        fresh = [p for p in dict.fromkeys(problems) if p not in self.seen]
        self.seen.update(fresh)
        return fresh


def name(tag: str) -> str:
    """A response's number in its trial (``n07``), never its address."""
    found = TAG.fullmatch(tag)
    return f"n{found.group(1)}" if found else "an unknown response"


def check_responses(tables: Tables, ledger: Ledger) -> list[Problem]:
    """Each response on exactly one Referrals or Intake issues row.

    A row a coordinator deleted may stay deleted or come back: the local register's journal restores
    rows the jobs wrote and the register lost (DESIGN 2.2), and it cannot tell a deletion from a stale
    copy saved over the register. Either way the response is on at most one row, under one case id.
    """
    rows: Counter[str] = Counter(
        ledger.tag_of(r.get(REFERRER_EMAIL, "")) for r in tables.get("Referrals", [])
    )
    issues: Counter[str] = Counter(r.get("Received", "") for r in tables.get("Intake issues", []))
    ids: Counter[str] = Counter(r.get("Case ID", "") for r in tables.get("Referrals", []))
    problems = [Problem("reused_id", f"{c} is on {n} Referrals rows") for c, n in ids.items() if c and n > 1]
    for tag, response in ledger.responses.items():
        count = rows[tag] + (issues[response.received] if response.received else 0)
        least, most = (0, 1) if response.deleted else (1, 1)
        if count < least:
            problems.append(Problem("lost", f"{name(tag)} is on no Referrals or Intake issues row"))
        elif count > most:
            problems.append(Problem("duplicated", f"{name(tag)} is on {count} rows (at most {most})"))
    return problems


def check_notifications(mails: list[Mail], tables: Tables, ledger: Ledger) -> list[Problem]:
    """Each email once per key; each response acknowledged (or asked to correct) once, with its case id."""
    problems = []
    by_id: defaultdict[str, list[Mail]] = defaultdict(list)
    for mail in mails:
        by_id[mail.message_id or mail.key_hash or mail.name].append(mail)
    for group in by_id.values():
        if len(group) > 1:
            same = len({m.content for m in group}) == 1
            kind = group[0].name.split("-", 1)[0]
            what = "identical copies" if same else "different emails"
            problems.append(Problem("duplicate_notification", f"one {kind} key in {len(group)} {what}"))
    case_of = {
        ledger.tag_of(r.get(REFERRER_EMAIL, "")): r.get("Case ID", "") for r in tables.get("Referrals", [])
    }
    for tag, response in ledger.responses.items():
        kind = "acknowledgement" if response.valid else "intake_issue"
        mine = [m for m in mails if m.name.startswith(kind) and tag in map(ledger.tag_of, m.to)]
        if len(mine) > 1:
            problems.append(Problem("duplicate_notification", f"{name(tag)} got {len(mine)} {kind} emails"))
        elif not mine and not response.deleted:
            problems.append(Problem("lost_notification", f"{name(tag)} got no {kind} email"))
        for mail in mine if response.valid and tag in case_of else []:
            found = CASE_ID.search(mail.subject)
            if found is None or found.group(0) != case_of[tag]:
                told = found.group(0) if found else "no case id"
                problems.append(
                    Problem(
                        "mismatched_acknowledgement",
                        f"{name(tag)} was told {told}, registered {case_of[tag]}",
                    )
                )
    return problems


def _last(invites: list[Invite]) -> Invite:
    return max(invites, key=lambda i: (i.sequence, i.method == "CANCEL"))


def check_invitations(mails: list[Mail], ics: dict[str, Invite], tables: Tables) -> list[Problem]:
    """What the invitees received last (per event) is what the Meetings row records, and the .ics agrees."""
    problems = []
    sent: defaultdict[str, list[Invite]] = defaultdict(list)
    for mail in mails:
        if mail.invite is not None:
            sent[mail.invite.event_id].append(mail.invite)
    rows: defaultdict[str, list[dict[str, str]]] = defaultdict(list)
    for row in tables.get("Meetings", []):
        if row.get("Event ID"):
            rows[row["Event ID"]].append(row)
    for event_id in sorted(set(sent) | set(rows)):
        meeting = rows[event_id][0].get("Meeting", "?") if rows[event_id] else "a meeting"
        if len(rows[event_id]) > 1:
            problems.append(
                Problem("duplicated", f"{meeting}'s event is on {len(rows[event_id])} Meetings rows")
            )
        if not sent[event_id]:
            problems.append(Problem("mismatched_invitation", f"{meeting}: recorded but never sent"))
            continue
        if not rows[event_id]:
            problems.append(Problem("mismatched_invitation", "an invitation was sent for no Meetings row"))
            continue
        problems.extend(_compare(meeting, _last(sent[event_id]), rows[event_id][0], ics.get(event_id)))
        ordered = sorted(sent[event_id], key=lambda i: i.sequence)
        for before, after in itertools.pairwise(ordered):
            same = (before.method, before.start, before.attendees) == (
                after.method,
                after.start,
                after.attendees,
            )
            if same:
                problems.append(
                    Problem(
                        "duplicate_invitation", f"{meeting}: sequences {before.sequence} and {after.sequence}"
                    )
                )
    return problems


def _compare(meeting: str, last: Invite, row: dict[str, str], stored: Invite | None) -> list[Problem]:
    problems = []
    attendees = frozenset(a.strip().lower() for a in row.get("Attendees", "").split(",") if a.strip())
    recorded = {
        "sequence": row.get("Sequence", ""),
        "start": row.get("Event start", ""),
        "attendees": attendees,
    }
    mailed = {"sequence": str(last.sequence), "start": last.start, "attendees": last.attendees}
    if row.get("Status") == "Cancelled" or last.method == "CANCEL":
        recorded.pop("start"), mailed.pop("start")
        if (row.get("Status") == "Cancelled") != (last.method == "CANCEL"):
            problems.append(
                Problem(
                    "mismatched_invitation", f"{meeting}: Status {row.get('Status')}, last sent {last.method}"
                )
            )
    for what in sorted(k for k in recorded if recorded[k] != mailed[k]):
        problems.append(
            Problem("mismatched_invitation", f"{meeting}: the {what} sent differs from the one recorded")
        )
    if stored is not None and (stored.sequence, stored.start) != (last.sequence, last.start):
        problems.append(
            Problem("mismatched_invitation", f"{meeting}: the .ics file differs from the last invitation")
        )
    return problems


def check_edits(tables: Tables, ledger: Ledger) -> list[Problem]:
    """Every value a coordinator typed is still in its cell, its row found by key."""
    problems = []
    for edit in ledger.edits:
        rows = [r for r in tables.get(edit.tab, []) if all(r.get(c, "") == v for c, v in edit.key)]
        where = f"{edit.tab} {' / '.join(v for _, v in edit.key)}"
        if not rows:
            problems.append(Problem("lost_edit", f"{where}: the row of a {edit.column} edit is gone"))
        elif all(r.get(edit.column, "") != edit.value for r in rows):
            problems.append(Problem("lost_edit", f"{where}: {edit.column} no longer holds what was typed"))
    return problems


def check_leftovers(workspace: Path) -> list[Problem]:
    """No temporary copy of the register, an email or an invite left in the workspace's folders."""
    patterns = (".register-*", ".mail-*", ".ics-*", "*.tmp")
    left = {
        p
        for folder in (workspace, workspace / "outbox", workspace / "outbox" / "invites")
        for pattern in patterns
        for p in folder.glob(pattern)
    }
    return [Problem("leftover_temp_file", f"{p.name[:9]}... left in {p.parent.name}") for p in sorted(left)]


def check_workspace(workspace: Path, ledger: Ledger) -> list[Problem]:
    """Every invariant over a workspace after its final clean run (also notes what the ledger sees)."""
    register = workspace / "register.xlsx"
    try:
        tables = read_register(register)
        mails = read_outbox(workspace / "outbox")
        ics = read_ics(workspace / "outbox" / "invites")
    except Exception as problem:  # a register or email no program can read is itself a finding
        return [Problem("unreadable", f"{type(problem).__name__} reading the workspace")]
    problems = ledger.observe(tables, mails)
    problems += check_responses(tables, ledger)
    problems += check_notifications(mails, tables, ledger)
    problems += check_invitations(mails, ics, tables)
    problems += check_edits(tables, ledger)
    problems += check_leftovers(workspace)
    return problems


def counts(problems: Iterable[Problem]) -> dict[str, int]:
    """The summary counts (lost, duplicated, reused_ids, ...) of some problems."""
    totals = dict.fromkeys(dict.fromkeys(CATEGORIES.values()), 0)
    for problem in problems:
        totals[CATEGORIES[problem.kind]] += 1
    return totals

"""Planning intake: which responses are new, valid or not, their decisions and case ids.

Pure: it takes what the register holds and returns what should be added to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from hsb_sheets.domain.dates import DateFormatError, parse_date, parse_timestamp
from hsb_sheets.domain.decision import Decision
from hsb_sheets.domain.facts import FactValue, derive_facts
from hsb_sheets.domain.form import TIMESTAMP, FormDefinition
from hsb_sheets.domain.responses import ResponseRow
from hsb_sheets.domain.rules import RuleTable
from hsb_sheets.domain.validation import FieldError, ValidResponse, is_valid_email, validate_response

DUPLICATE_WINDOW = timedelta(days=30)
_CASE_ID = re.compile(r"HSB-(\d{4})-(\d{4,})")


@dataclass(frozen=True)
class KnownChild:
    """A referral already on the register, as far as duplicate detection needs it."""

    label: str
    first_name: str
    last_name: str
    dob: date
    received: date


@dataclass(frozen=True)
class UnreadChild:
    """A referral on the register as its row holds it: its dates are read only when a response names
    the same child, since a register holds every case and a run brings a handful of responses."""

    label: str
    first_name: str
    last_name: str
    dob: str
    received: str
    locale: str = "en-GB"

    def read(self) -> KnownChild | None:
        """The referral with its dates read; None when either cannot be read (it is then skipped)."""
        try:
            born = parse_date(self.dob, self.locale)
            received = parse_timestamp(self.received, self.locale).date()
        except DateFormatError:
            return None
        return KnownChild(self.label, self.first_name, self.last_name, born, received)


def _name(first: str, last: str) -> tuple[str, str]:
    return (" ".join(first.split()).casefold(), " ".join(last.split()).casefold())


class DuplicateIndex:
    """Finds referrals of the same child (name and date of birth) received within 30 days.

    ``unread`` referrals (the register's) have their dates read the first time a response names the
    same child; until then only their names are held.
    """

    def __init__(self, known: Iterable[KnownChild] = (), unread: Iterable[UnreadChild] = ()) -> None:
        self._by_name: dict[tuple[str, str], list[KnownChild]] = {}
        self._unread: dict[tuple[str, str], list[UnreadChild]] = {}
        for waiting in unread:
            self._unread.setdefault(_name(waiting.first_name, waiting.last_name), []).append(waiting)
        for child in known:
            self.add(child)

    def _named(self, name: tuple[str, str]) -> list[KnownChild]:
        """The referrals of a name, the register's read first (so they keep coming first)."""
        known = self._by_name.setdefault(name, [])
        for child in self._unread.pop(name, ()):
            if (read := child.read()) is not None:
                known.append(read)
        return known

    def add(self, child: KnownChild) -> None:
        """Remember a referral."""
        self._named(_name(child.first_name, child.last_name)).append(child)

    def matches(self, first: str, last: str, dob: date, received: date) -> tuple[str, ...]:
        """Labels of earlier referrals of this child within the window."""
        found = self._named(_name(first, last))
        near = [c for c in found if c.dob == dob and abs(c.received - received) <= DUPLICATE_WINDOW]
        return tuple(c.label for c in near)


@dataclass(frozen=True)
class Assessment:
    """A valid response with its facts and decision."""

    response: ValidResponse
    facts: Mapping[str, FactValue]
    decision: Decision
    duplicate_of: tuple[str, ...]


def assess(
    form: FormDefinition,
    table: RuleTable,
    answers: Mapping[str, str],
    received: datetime,
    duplicates: DuplicateIndex,
    label: str,
    locale: str = "en-GB",
) -> Assessment | list[FieldError]:
    """Validate and route one response, and remember it for duplicate detection under ``label``."""
    checked = validate_response(form, answers, received, locale)
    if isinstance(checked, list):
        return checked
    first, last = checked.text("child_first_name"), checked.text("child_last_name")
    dob = checked.date("child_dob")
    duplicate_of = duplicates.matches(first, last, dob, received.date())
    duplicates.add(KnownChild(label, first, last, dob, received.date()))
    facts = derive_facts(form, checked, possible_duplicate=bool(duplicate_of))
    return Assessment(checked, facts, table.decide(facts), duplicate_of)


class CaseNumbers:
    """Allocates case ids HSB-YYYY-NNNN: a sequence per year, never reusing one already seen."""

    def __init__(self, used_ids: Iterable[str]) -> None:
        self._last: dict[int, int] = {}
        for case_id in used_ids:
            m = _CASE_ID.fullmatch(case_id.strip())
            if m:
                year, number = int(m[1]), int(m[2])
                self._last[year] = max(self._last.get(year, 0), number)

    def next(self, year: int) -> str:
        """The next unused case id for the year."""
        number = self._last.get(year, 0) + 1
        self._last[year] = number
        return f"HSB-{year}-{number:04d}"


@dataclass(frozen=True)
class NewReferral:
    """A valid response that becomes a case."""

    case_id: str
    row: ResponseRow
    assessment: Assessment


@dataclass(frozen=True)
class NewIssue:
    """A response that failed validation, with every reason and whom to tell."""

    row: ResponseRow
    received: datetime | None
    errors: tuple[FieldError, ...]
    tell: str | None


@dataclass
class IntakePlan:
    """What one intake run adds to the register."""

    referrals: list[NewReferral] = field(default_factory=list)
    issues: list[NewIssue] = field(default_factory=list)
    already_ingested: int = 0
    # Ingested by an earlier version, known only by its legacy id: its current id is to be recorded.
    recognised: list[ResponseRow] = field(default_factory=list)


def plan_intake(
    form: FormDefinition,
    table: RuleTable,
    responses: Sequence[ResponseRow],
    ingested: set[str],
    duplicates: DuplicateIndex,
    case_numbers: CaseNumbers,
    locale: str = "en-GB",
) -> IntakePlan:
    """Decide every response not yet ingested; each response id is planned at most once.

    A response is ingested if its id is in ``ingested``, or its legacy id is (a register made by an
    earlier version): those are listed in ``recognised`` so that their current id can be recorded.
    """
    plan = IntakePlan()
    planned: set[str] = set()
    case_of_response: dict[str, str] = {}
    for row in responses:
        if row.response_id in ingested or row.response_id in planned:
            plan.already_ingested += 1
            continue
        planned.add(row.response_id)
        if row.legacy_id in ingested:
            plan.already_ingested += 1
            plan.recognised.append(row)
            continue
        try:
            received: datetime | None = row.instant or parse_timestamp(row.timestamp, locale)
        except DateFormatError as problem:
            received = None
            timestamp_error = FieldError("timestamp", f"“{TIMESTAMP}”: the submission time {problem}.")
        email = row.answers.get("referrer_email", "").strip()
        tell = email if is_valid_email(email) else None
        if received is None:
            plan.issues.append(NewIssue(row, None, (timestamp_error,), tell))
            continue
        result = assess(form, table, row.answers, received, duplicates, row.response_id, locale)
        if isinstance(result, list):
            plan.issues.append(NewIssue(row, received, tuple(result), tell))
            continue
        case_id = case_numbers.next(received.year)
        case_of_response[row.response_id] = case_id
        # Duplicates within this run were remembered by response id; name them by case id.
        duplicate_of = tuple(case_of_response.get(label, label) for label in result.duplicate_of)
        plan.referrals.append(NewReferral(case_id, row, replace(result, duplicate_of=duplicate_of)))
    return plan

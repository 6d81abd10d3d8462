"""Validation of one form response against the form definition.

Every problem is reported, each as a (field id, message) pair in plain words that name the question.
Messages never repeat the answer given, so they are safe to send to a referrer or write to a log.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from hsb_sheets.domain.dates import DateFormatError, age_on, parse_date
from hsb_sheets.domain.form import (
    AgeUnder,
    FormDefinition,
    FormField,
    NeedsAnswer,
    NotBefore,
    NotInFuture,
    UkPhone,
    UkPostcode,
)

Answer = str | date | tuple[str, ...]

_UK_POSTCODE = re.compile(r"(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})")
# DESIGN section 3: a UK number is 8 to 11 digits starting 0, or +44 then 9 or 10 digits; spaces,
# brackets and hyphens may stand anywhere. "+44 (0)1632 ..." writes the dropped trunk 0 in brackets.
_PHONE_SEPARATORS = re.compile(r"[\s()-]")
_PHONE_TRUNK_ZERO = re.compile(r"^\s*\(?\+44\)?[\s-]*\(0\)")
_UK_NATIONAL = re.compile(r"0[0-9]{7,10}")
_UK_INTERNATIONAL = re.compile(r"\+44[0-9]{9,10}")


@dataclass(frozen=True)
class FieldError:
    """One reason a response is invalid."""

    field: str
    message: str


@dataclass(frozen=True)
class ValidResponse:
    """A response that passed every rule, with normalised answers (dates as dates, choices canonical)."""

    received: datetime
    answers: Mapping[str, Answer]

    def text(self, field_id: str) -> str:
        """A text answer ('' when the optional question was not answered)."""
        value = self.answers.get(field_id, "")
        return value if isinstance(value, str) else ""

    def date(self, field_id: str) -> date:
        """A date answer."""
        value = self.answers[field_id]
        assert isinstance(value, date)
        return value

    def choices(self, field_id: str) -> tuple[str, ...]:
        """A checkboxes answer."""
        value = self.answers.get(field_id, ())
        return value if isinstance(value, tuple) else ()


@lru_cache(maxsize=4096)
def _email_ok(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def is_valid_email(address: str) -> bool:
    """Whether an address is syntactically valid (no network look-up)."""
    return _email_ok(address.strip())


def _uk_phone_ok(text: str) -> bool:
    compact = _PHONE_SEPARATORS.sub("", _PHONE_TRUNK_ZERO.sub("+44", text))
    return bool(_UK_NATIONAL.fullmatch(compact) or _UK_INTERNATIONAL.fullmatch(compact))


def _normalise_choice(f: FormField, text: str) -> str | None:
    wanted = " ".join(text.split()).casefold()
    for choice in f.choices:
        if choice.casefold() == wanted:
            return choice
    for alias, target in f.aliases.items():
        if alias.casefold() == wanted:
            return target
    return None


def _split_checkboxes(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", text) if part.strip()]


class _Check:
    """Validates one response; collects errors rather than stopping at the first."""

    def __init__(self, form: FormDefinition, received: datetime, locale: str) -> None:
        self.form = form
        self.received = received
        self.locale = locale
        self.errors: list[FieldError] = []
        self.answers: dict[str, Answer] = {}

    def fail(self, f: FormField, message: str) -> None:
        self.errors.append(FieldError(f.id, f"“{f.title}”: {message}."))

    def field(self, f: FormField, raw: str) -> None:
        text = raw.strip()
        if not text:
            if f.required:
                self.fail(f, "this question needs an answer")
            return
        if f.type in ("text", "paragraph"):
            self.text(f, text)
        elif f.type == "email":
            if is_valid_email(text):
                self.answers[f.id] = text
            else:
                self.fail(f, "this is not a valid email address")
        elif f.type == "date":
            try:
                self.answers[f.id] = parse_date(text, self.locale)
            except DateFormatError as problem:
                self.fail(f, f"the answer {problem}")
        elif f.type == "choice":
            choice = _normalise_choice(f, text)
            if choice is None:
                self.fail(f, "choose one of: " + "; ".join(f.choices))
            else:
                self.answers[f.id] = choice
        else:
            self.checkboxes(f, text)

    def text(self, f: FormField, text: str) -> None:
        if f.min_length is not None and len(text) < f.min_length:
            self.fail(f, f"please write at least {f.min_length} characters")
            return
        if f.max_length is not None and len(text) > f.max_length:
            self.fail(f, f"please keep this to {f.max_length} characters or fewer")
            return
        if UkPhone() in f.rules and not _uk_phone_ok(text):
            self.fail(f, "this is not a UK phone number")
            return
        if UkPostcode() in f.rules:
            postcode = " ".join(text.upper().split())
            if not _UK_POSTCODE.fullmatch(postcode):
                self.fail(f, "this is not a UK postcode")
                return
            text = postcode if " " in postcode else f"{postcode[:-3]} {postcode[-3:]}"
        self.answers[f.id] = text

    def checkboxes(self, f: FormField, text: str) -> None:
        picked: list[str] = []
        for part in _split_checkboxes(text):
            choice = _normalise_choice(f, part)
            if choice is None:
                self.fail(f, "tick only the listed options: " + "; ".join(f.choices))
                return
            if choice not in picked:
                picked.append(choice)
        if f.exclusive and f.exclusive in picked and len(picked) > 1:
            self.fail(f, f"“{f.exclusive}” cannot be ticked together with another option")
            return
        self.answers[f.id] = tuple(c for c in f.choices if c in picked)

    def cross_field(self, f: FormField) -> None:
        value = self.answers.get(f.id)
        if value is None:
            return
        for rule in f.rules:
            if isinstance(rule, NotInFuture) and isinstance(value, date) and value > self.received.date():
                self.fail(f, "the date is in the future")
            elif isinstance(rule, AgeUnder) and isinstance(value, date):
                if value <= self.received.date() and age_on(value, self.received.date()) >= rule.years:
                    self.fail(f, f"the child must be under {rule.years} years old")
            elif isinstance(rule, NotBefore) and isinstance(value, date):
                other = self.answers.get(rule.field_id)
                if isinstance(other, date) and value < other:
                    title = self.form.field(rule.field_id).title
                    self.fail(f, f"the date cannot be before “{title}”")
            elif (
                isinstance(rule, NeedsAnswer)
                and value != rule.unless
                and self.answers.get(rule.field_id) not in (None, rule.answer)
            ):
                title = self.form.field(rule.field_id).title
                self.fail(f, f"any answer but “{rule.unless}” needs “{title}” to be {rule.answer}")


def validate_response(
    form: FormDefinition,
    raw_answers: Mapping[str, str],
    received: datetime,
    locale: str = "en-GB",
) -> ValidResponse | list[FieldError]:
    """Check one response. ``raw_answers`` maps field id to the text given (missing = unanswered)."""
    check = _Check(form, received, locale)
    for f in form.fields:
        check.field(f, raw_answers.get(f.id, "") or "")
    for f in form.fields:
        check.cross_field(f)
    if check.errors:
        return check.errors
    return ValidResponse(received=received, answers=check.answers)

"""The referral form definition: fields, their types, choices and rules.

Built from the parsed contents of ``hsb_sheets/config/referral_form.yaml``; reading the file is the
caller's job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from hsb_sheets.errors import FormDefinitionError

FieldType = Literal["text", "email", "choice", "checkboxes", "paragraph", "date"]
FIELD_TYPES: tuple[FieldType, ...] = ("text", "email", "choice", "checkboxes", "paragraph", "date")
TIMESTAMP = "Timestamp"


@dataclass(frozen=True)
class NotInFuture:
    """The date may not be after the day the response was received."""


@dataclass(frozen=True)
class AgeUnder:
    """A date of birth: the child must be younger than ``years`` on the day received."""

    years: int


@dataclass(frozen=True)
class NotBefore:
    """The date may not be before the date answered in ``field_id``."""

    field_id: str


@dataclass(frozen=True)
class NeedsAnswer:
    """Any answer but ``unless`` needs ``field_id`` to be answered ``answer``."""

    field_id: str
    answer: str
    unless: str


@dataclass(frozen=True)
class UkPhone:
    """A UK phone number."""


@dataclass(frozen=True)
class UkPostcode:
    """A UK postcode."""


Rule = NotInFuture | AgeUnder | NotBefore | NeedsAnswer | UkPhone | UkPostcode


@dataclass(frozen=True)
class FormField:
    """One question of the referral form."""

    id: str
    title: str
    column: str
    type: FieldType
    required: bool
    help: str = ""
    choices: tuple[str, ...] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    exclusive: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    rules: tuple[Rule, ...] = ()
    error: str = ""  # the instruction when unanswered, as GOV.UK words it ("Enter your name")
    subject: str = ""  # how other instructions name the answer ("The child's date of birth")
    autocomplete: str = ""  # the web form's HTML autocomplete token ("name", "email", "tel", "off")
    # Personal data (retention clears it, an export gathers it): `personal:` in the YAML, else free
    # text, emails and a date of birth. `third_party:` answers are about someone other than the child
    # (the referrer, other professionals): an export marks them for redaction.
    personal: bool = False
    third_party: bool = False

    @property
    def instruction(self) -> str:
        """What to do when the question is unanswered: the form's own wording, else one from the title."""
        if self.error:
            return self.error
        if self.type in ("choice", "checkboxes"):
            return f"Select an answer to “{self.title}”"
        return f"Answer “{self.title}”"

    @property
    def is_phone(self) -> bool:
        """Whether the answer is a phone number (a web form shows a telephone keypad for it)."""
        return UkPhone() in self.rules

    @property
    def named(self) -> str:
        """The answer as instructions name it at the start of a sentence."""
        return self.subject or self.title


@dataclass(frozen=True)
class FormDefinition:
    """The whole form, in question order."""

    title: str
    description: str
    fields: tuple[FormField, ...]

    def field(self, field_id: str) -> FormField:
        """The field with this id (KeyError if there is none)."""
        for f in self.fields:
            if f.id == field_id:
                return f
        raise KeyError(field_id)

    @property
    def ids(self) -> tuple[str, ...]:
        """Field ids in question order."""
        return tuple(f.id for f in self.fields)


def _parse_rule(field_id: str, raw: Any) -> Rule:
    if raw == "not_in_future":
        return NotInFuture()
    if raw == "uk_phone":
        return UkPhone()
    if raw == "uk_postcode":
        return UkPostcode()
    if isinstance(raw, Mapping) and len(raw) == 1:
        ((name, arg),) = raw.items()
        if name == "age_under" and isinstance(arg, int):
            return AgeUnder(arg)
        if name == "not_before" and isinstance(arg, str):
            return NotBefore(arg)
        if name == "needs_answer" and isinstance(arg, Mapping):
            try:
                return NeedsAnswer(str(arg["field"]), str(arg["answer"]), str(arg["unless"]))
            except KeyError as missing:
                raise FormDefinitionError(
                    f"Field '{field_id}': rule needs_answer is missing '{missing.args[0]}'."
                ) from None
    raise FormDefinitionError(f"Field '{field_id}': unknown rule {raw!r}.")


def _parse_field(raw: Any, position: int) -> FormField:
    if not isinstance(raw, Mapping):
        raise FormDefinitionError(f"Field number {position} is not a mapping of id, title, type.")
    field_id = raw.get("id")
    if not isinstance(field_id, str) or not field_id.isidentifier():
        raise FormDefinitionError(f"Field number {position} needs an 'id' made of letters, digits and _.")
    kind = raw.get("type")
    if kind not in FIELD_TYPES:
        raise FormDefinitionError(f"Field '{field_id}': type must be one of {', '.join(FIELD_TYPES)}.")
    title = raw.get("title")
    if not isinstance(title, str) or not title.strip():
        raise FormDefinitionError(f"Field '{field_id}' needs a question 'title'.")
    choices = tuple(str(c) for c in raw.get("choices") or ())
    if kind in ("choice", "checkboxes") and not choices:
        raise FormDefinitionError(f"Field '{field_id}' is a {kind} question and needs 'choices'.")
    aliases = {str(k): str(v) for k, v in (raw.get("aliases") or {}).items()}
    for target in aliases.values():
        if target not in choices:
            raise FormDefinitionError(f"Field '{field_id}': alias target '{target}' is not a choice.")
    exclusive = raw.get("exclusive")
    if exclusive is not None and str(exclusive) not in choices:
        raise FormDefinitionError(f"Field '{field_id}': exclusive '{exclusive}' is not a choice.")
    return FormField(
        id=field_id,
        title=" ".join(title.split()),
        column=str(raw.get("column") or title),
        type=kind,
        required=bool(raw.get("required", False)),
        help=str(raw.get("help") or ""),
        choices=choices,
        aliases=aliases,
        exclusive=None if exclusive is None else str(exclusive),
        min_length=raw.get("min_length"),
        max_length=raw.get("max_length"),
        rules=tuple(_parse_rule(field_id, r) for r in raw.get("rules") or ()),
        error=" ".join(str(raw.get("error") or "").split()),
        subject=" ".join(str(raw.get("subject") or "").split()),
        autocomplete=_autocomplete(field_id, raw.get("autocomplete")),
        personal=_flag(raw, "personal", _personal_by_default(kind, raw.get("rules") or ())),
        third_party=_flag(raw, "third_party", field_id.startswith(THIRD_PARTY_PREFIXES)),
    )


THIRD_PARTY_PREFIXES = ("referrer_", "lead_professional")


def _personal_by_default(kind: str, rules: Any) -> bool:
    """Free text, emails and dates of birth hold personal data; choices and other dates do not."""
    is_birth_date = any(isinstance(r, Mapping) and "age_under" in r for r in rules)
    return kind in ("text", "email", "paragraph") or (kind == "date" and is_birth_date)


def _flag(raw: Mapping[str, Any], name: str, default: bool) -> bool:
    value = raw.get(name, default)
    if not isinstance(value, bool):
        raise FormDefinitionError(f"Field '{raw.get('id')}': {name} must be true or false.")
    return value


def _autocomplete(field_id: str, raw: Any) -> str:
    token = " ".join(str(raw or "").split())
    if token and not all(part.replace("-", "").isalnum() for part in token.split()):
        raise FormDefinitionError(f"Field '{field_id}': autocomplete must be a token such as name or email.")
    return token


def parse_form_definition(data: Any) -> FormDefinition:
    """Build and check a FormDefinition from the parsed YAML document."""
    if not isinstance(data, Mapping) or not isinstance(data.get("fields"), list):
        raise FormDefinitionError("The form definition needs a 'fields' list.")
    fields = tuple(_parse_field(raw, n) for n, raw in enumerate(data["fields"], start=1))
    ids = [f.id for f in fields]
    titles = [f.title.casefold() for f in fields]
    for label, values in (("id", ids), ("title", titles)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            raise FormDefinitionError(f"Field {label}s must be unique; repeated: {', '.join(repeated)}.")
    for f in fields:
        for rule in f.rules:
            other = rule.field_id if isinstance(rule, NotBefore | NeedsAnswer) else None
            if other is not None and other not in ids:
                raise FormDefinitionError(f"Field '{f.id}': rule refers to unknown field '{other}'.")
    return FormDefinition(
        title=str(data.get("title") or "Referral"),
        description=str(data.get("description") or ""),
        fields=fields,
    )

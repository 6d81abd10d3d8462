"""The forms port: publish the referral form (create it, bring it in line with its definition) and
read its responses.

A published question keeps its identity across updates: ``update`` is given the item id each field
was published as, so a renamed or moved question is changed in place rather than replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from hsb_sheets.domain.form import FormDefinition
from hsb_sheets.errors import HsbError


class FormsError(HsbError):
    """The forms service refused or could not be reached."""


@dataclass(frozen=True)
class Question:
    """One item of a published form: its item id, its question id ('' for an item that asks nothing)."""

    item_id: str
    question_id: str
    title: str


@dataclass(frozen=True)
class PublishedForm:
    """A form as the service holds it."""

    form_id: str
    questions: tuple[Question, ...]
    responder_uri: str = ""


@dataclass(frozen=True)
class FormResponse:
    """One submission: when it was made (aware), and the answers by question id."""

    submitted: datetime
    answers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


class Forms(Protocol):
    """Implementations: ``google`` (Forms API v1). The local web form writes responses directly."""

    def create(self, title: str) -> str:
        """Make a new, empty form; its id."""
        ...

    def get(self, form_id: str) -> PublishedForm:
        """The form with its questions."""
        ...

    def update(self, form_id: str, form: FormDefinition, known: Mapping[str, str]) -> PublishedForm:
        """Bring the form in line with the definition in one update; the form as it now is.

        ``known`` maps field id to the item id it was published as.
        """
        ...

    def publish(self, form_id: str) -> bool:
        """Publish the form and open it to responses unless it already is; whether anything changed."""
        ...

    def responses(self, form_id: str) -> list[FormResponse]:
        """Every response to the form."""
        ...

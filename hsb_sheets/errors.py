"""Errors that end a run with one clear message (never a traceback).

Each carries text a coordinator or IT officer can act on. None of them may contain personal data.
"""


class HsbError(Exception):
    """An expected failure: the message names what is wrong and what to fix."""


class ConfigError(HsbError):
    """Settings are missing or invalid."""


class FormDefinitionError(HsbError):
    """hsb_sheets/config/referral_form.yaml does not describe a usable form."""


class FormMismatchError(HsbError):
    """The columns of the responses tab no longer match the form definition."""


class RuleTableError(HsbError):
    """The routing decision table does not parse, or leaves a case undecided."""


class WorkbookError(HsbError):
    """The register cannot be read or written as expected."""


class MailError(HsbError):
    """An email could not be sent. ``transient`` says whether retrying may help."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


class SharingError(HsbError):
    """Who can open the register could not be found out (the Drive API refused, a file is unreadable)."""

"""Doctor's Google checks: an access token for each Google API the settings use, so a domain-wide
delegation the Workspace admin has not finished shows in `doctor`, not in the first run; which tab
holds the form's responses; and whether the spreadsheet's own locale and time zone (in which Google
Forms writes each Timestamp) agree with the Settings tab's date locale and the service's time zone."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from hsb_sheets.adapters.workbook.base import Workbook
from hsb_sheets.bootstrap import delegation, google_credentials
from hsb_sheets.config import Settings
from hsb_sheets.errors import HsbError

T = TypeVar("T")


def google_apis(settings: Settings) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(API, key file, delegated user, scopes) of each Google API the settings use."""
    apis: list[tuple[str, str, str, Sequence[str]]] = []
    if settings.workbook.backend == "google":
        from hsb_sheets.adapters.workbook.google_sheets import SCOPES

        apis.append(("Google Sheets", settings.workbook.key_file, settings.workbook.delegated_user, SCOPES))
    if settings.calendar.backend == "google":
        from hsb_sheets.adapters.calendar.google import SCOPES as CALENDAR

        apis.append(
            ("Google Calendar", settings.calendar.key_file, settings.calendar.delegated_user, CALENDAR)
        )
    if settings.mail.backend == "gmail":
        from hsb_sheets.adapters.mail.gmail import SCOPES as GMAIL

        apis.append(("Gmail", settings.mail.gmail_key_file, settings.mail.gmail_mailbox, GMAIL))
    if settings.forms.source == "api" or settings.forms.form_id:
        from hsb_sheets.adapters.forms.google import SCOPES as FORMS

        apis.append(("Google Forms", settings.forms.key_file, settings.forms.delegated_user, FORMS))
    return [(api, key, user, tuple(scopes)) for api, key, user, scopes in apis]


def token_check(
    attempt: Callable[[str, str, Callable[[], str]], T],
    api: str,
    key_file: str,
    subject: str,
    scopes: tuple[str, ...],
) -> T:
    """Whether Google issues this API's access token (domain-wide delegation set up as the settings say)."""
    from hsb_sheets.adapters.google_api import fetch_token
    from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, explain_token_error

    def fetch() -> str:
        try:
            fetch_token(google_credentials(key_file, subject, scopes))
        except TOKEN_ERRORS as problem:
            explained = str(explain_token_error(problem, delegation(key_file, subject, scopes), api))
            raise HsbError(explained.removeprefix(f"{api}: ")) from None  # the check's name says which API
        return f"a token for {subject or 'the service account itself'} with {len(scopes)} scope(s)"

    return attempt(f"Google access: {api}", "As the detail says (README, 'Connect to Google').", fetch)


def responses_check(attempt: Callable[[str, str, Callable[[], str]], T], workbook: Workbook) -> list[T]:
    """Which tab the jobs read the form's responses from (Google, form linked: found by its header)."""
    from hsb_sheets.adapters.workbook.google_sheets import SheetsWorkbook

    if not isinstance(workbook, SheetsWorkbook) or workbook.form_questions is None:
        return []
    count = len(workbook.form_questions)

    def find() -> str:
        name = workbook.responses_tab_name()
        return (
            f"the jobs read the form's responses from '{name}' (Timestamp, then the form's {count} questions)"
        )

    fix = (
        "Link the form to the register (Google Forms: Responses, Link to Sheets, Select existing "
        "spreadsheet), or make the tab's header match the form definition; keep one such tab."
    )
    return [attempt("Responses tab", fix, find)]


def spreadsheet_settings_check(
    attempt: Callable[[str, str, Callable[[], str]], T], workbook: Workbook, date_locale: str, time_zone: str
) -> list[T]:
    """The spreadsheet's locale and time zone against Settings' date locale and the service's zone."""
    from hsb_sheets.adapters.workbook.google_sheets import SheetsWorkbook

    if not isinstance(workbook, SheetsWorkbook):
        return []

    def compare() -> str:
        info = workbook.describe()
        problems = []
        if info.locale.replace("_", "-").casefold() != date_locale.casefold():
            problems.append(
                f"the spreadsheet's locale is {info.locale or 'not set'} but the Settings tab's date "
                f"locale is {date_locale}, so form timestamps and dates typed in the register are "
                "written in another order than the jobs read them"
            )
        if info.time_zone != time_zone:
            problems.append(
                f"the spreadsheet's time zone is {info.time_zone or 'not set'}, not {time_zone}, so "
                "Google Forms stamps responses in another time zone than the jobs' own"
            )
        if problems:
            raise HsbError("; ".join(problems) + ".")
        return f"locale {info.locale} and time zone {info.time_zone}, as Settings say"

    fix = (
        "In the spreadsheet choose File, Settings and set Locale and Time zone to match (for en-GB: "
        "United Kingdom; Europe/London is '(GMT+00:00) London'), or change the Settings tab's "
        "'Date locale' / [service] timezone to the spreadsheet's."
    )
    return [attempt("Spreadsheet locale", fix, compare)]

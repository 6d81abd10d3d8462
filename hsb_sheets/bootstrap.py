"""The composition root: the one place that builds adapters from settings. Nothing runs at import."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from google.auth.credentials import Credentials

from hsb_sheets.adapters.calendar.base import Calendar
from hsb_sheets.adapters.calendar.ics import IcsCalendar
from hsb_sheets.adapters.forms.google import GoogleForms as GoogleFormsAdapter
from hsb_sheets.adapters.google_auth_errors import Delegation
from hsb_sheets.adapters.journal.base import Journal
from hsb_sheets.adapters.journal.memory import MemoryJournal
from hsb_sheets.adapters.journal.sqlite import SqliteJournal
from hsb_sheets.adapters.lease.base import Lease
from hsb_sheets.adapters.lease.file import FileLease
from hsb_sheets.adapters.lease.workbook import WorkbookLease
from hsb_sheets.adapters.mail.base import Mailer
from hsb_sheets.adapters.mail.eml import EmlOutbox
from hsb_sheets.adapters.mail.smtp import SmtpMailer, SmtpSettings
from hsb_sheets.adapters.sharing.base import Remembered, Sharing
from hsb_sheets.adapters.sharing.local import LocalSharing
from hsb_sheets.adapters.workbook.audit_chained import AuditChained, unchained
from hsb_sheets.adapters.workbook.base import Workbook
from hsb_sheets.adapters.workbook.journaled import JournaledWorkbook
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.config import Settings
from hsb_sheets.domain.form import FormDefinition, parse_form_definition
from hsb_sheets.domain.tabs import all_tab_specs
from hsb_sheets.errors import ConfigError, FormDefinitionError
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.templates import Templates

FORM_FILE = "config/referral_form.yaml"
RULES_FILE = "config/routing_rules.csv"
EXAMPLES_FILE = "config/routing_examples.csv"
DIRECTORY_EXAMPLE = "config/directory.example.csv"


def load_form(path: Path | None = None) -> FormDefinition:
    """Read and check the form definition (the shipped one unless a path is given)."""
    source = path or shipped(FORM_FILE)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as problem:
        raise FormDefinitionError(f"Cannot read the form definition {source}: {problem.strerror}.") from None
    except UnicodeDecodeError:
        raise FormDefinitionError(f"{source} is not UTF-8 text: save the form definition as UTF-8.") from None
    except yaml.YAMLError as problem:
        raise FormDefinitionError(f"The form definition {source} is not valid YAML: {problem}.") from None
    return parse_form_definition(data)


def build_workbook(settings: Settings, form: FormDefinition | None = None) -> Workbook:
    """The register adapter the settings name.

    On Google, with the form linked to the spreadsheet (``[forms] source = "sheet"``), the responses
    tab is found by the form's header; responses pulled by API go to *Form responses 1*, made by setup.
    """
    workbook = settings.workbook
    if workbook.backend == "google":
        from google.auth.transport.requests import AuthorizedSession

        from hsb_sheets.adapters.workbook.google_sheets import SCOPES, SheetsHTTPClient, SheetsWorkbook

        if not workbook.spreadsheet_id:
            raise ConfigError(
                "[workbook] spreadsheet_id is empty: copy it from the register's address (/d/<id>/edit)."
            )
        credentials = google_credentials(workbook.key_file, workbook.delegated_user, SCOPES)
        http = SheetsHTTPClient(
            AuthorizedSession(credentials), endpoint=workbook.endpoint or None, retries=workbook.retries
        )
        linked = form is not None and settings.forms.source == "sheet"
        return SheetsWorkbook(
            http,
            workbook.spreadsheet_id,
            getattr(credentials, "service_account_email", None),
            form_questions=[f.title for f in form.fields] if linked and form else None,
        )
    return XlsxWorkbook(settings.resolve(workbook.path), workbook.lock_timeout_seconds)


def journaled(
    settings: Settings,
    register: Workbook,
    journal: Journal,
    form: FormDefinition,
    rules_header: Sequence[str],
    clock: Callable[[], datetime],
) -> Workbook:
    """A local register wrapped so the journal remembers what the jobs write and restores what a
    stale save loses (Google's register is returned as it is: its protected tabs play that part)."""
    if settings.workbook.backend == "google":
        return register
    specs = all_tab_specs(form, tuple(rules_header))
    return JournaledWorkbook(register, journal, specs, clock, ZoneInfo(settings.service.timezone))


def build_mailer(settings: Settings) -> Mailer:
    """The mail adapter the settings name."""
    mail = settings.mail
    if mail.backend == "gmail":
        from hsb_sheets.adapters.mail.gmail import SCOPES, GmailMailer, gmail_service

        if not mail.gmail_mailbox:
            raise ConfigError("[mail] gmail_mailbox is empty: name the shared mailbox the service sends as.")
        credentials = google_credentials(mail.gmail_key_file, mail.gmail_mailbox, SCOPES)
        return GmailMailer(
            gmail_service(credentials, mail.gmail_endpoint or None),
            "me",
            mail.gmail_retries,
            drafts=settings.resolve(mail.gmail_drafts),
            delegation=delegation(mail.gmail_key_file, mail.gmail_mailbox, SCOPES),
        )
    if mail.backend == "smtp":
        return SmtpMailer(
            SmtpSettings(
                host=mail.smtp_host,
                port=mail.smtp_port,
                security=mail.smtp_security,
                username=mail.smtp_username or None,
                password=settings.smtp_password,
                timeout=mail.smtp_timeout_seconds,
            ),
            journal=settings.resolve(mail.smtp_journal),
        )
    return EmlOutbox(settings.resolve(mail.outbox))


def google_credentials(key_file: str, delegated_user: str, scopes: Sequence[str]) -> Credentials:
    """Service-account credentials, acting for ``delegated_user`` by domain-wide delegation."""
    from google.oauth2 import service_account

    path = key_file or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    if not path:
        raise ConfigError(
            "No service-account key: set key_file in hsb-sheets.toml or GOOGLE_APPLICATION_CREDENTIALS."
        )
    named_by = "key_file in hsb-sheets.toml" if key_file else "GOOGLE_APPLICATION_CREDENTIALS"
    try:
        credentials = service_account.Credentials.from_service_account_file(path, scopes=list(scopes))
    except FileNotFoundError:
        raise ConfigError(f"The service-account key file {path} does not exist ({named_by}).") from None
    except IsADirectoryError:
        raise ConfigError(
            f"The service-account key file {path} is a folder: name the JSON key file itself ({named_by})."
        ) from None
    except OSError as problem:
        raise ConfigError(f"Cannot read the service-account key file {path}: {problem.strerror}.") from None
    except (ValueError, KeyError):  # not JSON (or not UTF-8), or JSON without a key's fields
        raise ConfigError(f"{path} is not a service-account key file (download a JSON key).") from None
    scoped: Credentials = credentials.with_subject(delegated_user) if delegated_user else credentials
    return scoped


def delegation(key_file: str, delegated_user: str, scopes: Sequence[str]) -> Delegation:
    """What a token error's message names: the key's client id, the delegated user and the scopes."""
    import json

    path = key_file or os.environ.get("GOOGLE_APPLICATION_CREDENTIALS", "")
    try:
        client_id = str(json.loads(Path(path).read_text(encoding="utf-8")).get("client_id", ""))
    except (OSError, ValueError, AttributeError):
        client_id = ""
    return Delegation(client_id, delegated_user, tuple(scopes))


def build_sharing(settings: Settings) -> Sharing:
    """Who can open the register: the Drive permissions of a Google one, the file modes of a local one."""
    workbook = settings.workbook
    if workbook.backend == "google":
        from hsb_sheets.adapters.sharing.google import SCOPES, DriveSharing, drive_service

        credentials = google_credentials(workbook.key_file, workbook.delegated_user, SCOPES)
        return Remembered(
            DriveSharing(
                drive_service(credentials, workbook.drive_endpoint or workbook.endpoint or None),
                workbook.spreadsheet_id,
                str(getattr(credentials, "service_account_email", "") or ""),
                workbook.retries,
                delegation=delegation(workbook.key_file, workbook.delegated_user, SCOPES),
            )
        )
    outboxes = [settings.resolve(settings.mail.outbox)] if settings.mail.backend == "eml" else []
    if settings.calendar.backend == "ics":
        outboxes.append(settings.resolve(settings.calendar.ics_folder))
    return LocalSharing(settings.resolve(workbook.path), settings.resolve(JOURNAL_FILE), outboxes)


def build_calendar(settings: Settings, mailer: Mailer) -> Calendar:
    """The calendar adapter the settings name."""
    calendar = settings.calendar
    timezone = ZoneInfo(settings.service.timezone)
    if calendar.backend == "google":
        from hsb_sheets.adapters.calendar.google import SCOPES, GoogleCalendar, calendar_service

        credentials = google_credentials(calendar.key_file, calendar.delegated_user, SCOPES)
        service = calendar_service(credentials, calendar.endpoint or None)
        return GoogleCalendar(
            service,
            calendar.calendar_id,
            timezone,
            calendar.retries,
            delegation=delegation(calendar.key_file, calendar.delegated_user, SCOPES),
        )
    return IcsCalendar(
        settings.resolve(calendar.ics_folder), mailer, settings.mail.sender, calendar.organizer_name, timezone
    )


def build_lease(settings: Settings, workbook: Workbook, clock: Callable[[], datetime]) -> Lease:
    """One run at a time: a file lock beside a local register, a lease row in a Google one."""
    if settings.workbook.backend == "google":
        return WorkbookLease(unchained(workbook), lambda: clock().astimezone(UTC))
    return FileLease(settings.resolve(".hsb-state/run.lock"))


def build_journal(settings: Settings) -> Journal:
    """The journal beside a local register (made on first use); Google's protected tabs play its part."""
    if settings.workbook.backend == "google":
        return MemoryJournal()
    return SqliteJournal(settings.resolve(JOURNAL_FILE))


JOURNAL_FILE = ".hsb-state/journal.sqlite3"
FORM_STATE = ".hsb-state/google-form.json"


def build_forms(settings: Settings) -> GoogleFormsAdapter:
    """The Forms API adapter (for `form publish`, and intake when [forms] source = "api")."""
    from hsb_sheets.adapters.forms.google import SCOPES, GoogleForms, forms_service

    forms = settings.forms
    if not forms.delegated_user.strip():
        raise ConfigError(
            "[forms] delegated_user is empty: name the user mailbox (not a group) who will own the form; "
            "the service account acts for them by domain-wide delegation."
        )
    credentials = google_credentials(forms.key_file, forms.delegated_user, SCOPES)
    return GoogleForms(
        forms_service(credentials, forms.endpoint or None),
        forms.retries,
        delegation=delegation(forms.key_file, forms.delegated_user, SCOPES),
    )


def form_id_of(settings: Settings) -> str:
    """The published form's id: from the settings, else from the state `form publish` kept."""
    if settings.forms.form_id:
        return settings.forms.form_id
    state = settings.resolve(FORM_STATE)
    if state.exists():
        import json

        return str(json.loads(state.read_text()).get("form_id", ""))
    raise ConfigError("No Google Form yet: run 'hsb-sheets form publish', or set [forms] form_id.")


def build_context(
    settings: Settings,
    *,
    workbook: Workbook | None = None,
    mailer: Mailer | None = None,
    calendar: Calendar | None = None,
    clock: Callable[[], datetime] | None = None,
    journal: Journal | None = None,
) -> Context:
    """Wire a Context from settings; tests pass fakes for any port."""
    service = settings.service
    form = load_form(settings.resolve(service.form_definition) if service.form_definition else None)
    seed_path = settings.resolve(service.routing_seed) if service.routing_seed else shipped(RULES_FILE)
    mailer = mailer or build_mailer(settings)
    clock = clock or (lambda: datetime.now(UTC))
    journal = journal if journal is not None else build_journal(settings)
    routing_seed = read_rule_csv(seed_path)
    sharing = None
    if workbook is None:  # every write's Audit log rows are chained, the journal's own lines too
        register = AuditChained(build_workbook(settings, form))
        workbook = journaled(settings, register, journal, form, routing_seed[0], clock)
        sharing = build_sharing(settings)
    pull = None
    if settings.forms.source == "api":
        from hsb_sheets.services.google_form import pull_responses

        forms, form_id = build_forms(settings), form_id_of(settings)
        pull = lambda ctx: pull_responses(ctx, forms, form_id)  # noqa: E731
    return Context(
        form=form,
        workbook=workbook,
        mailer=mailer,
        lease=build_lease(settings, workbook, clock),
        calendar=calendar or build_calendar(settings, mailer),
        templates=Templates(shipped("templates")),
        sender=settings.mail.sender,
        timezone=ZoneInfo(service.timezone),
        routing_seed=routing_seed,
        clock=clock,
        pull_responses=pull,
        register_id=settings.workbook.spreadsheet_id if settings.workbook.backend == "google" else "",
        journal=journal,
        sharing=sharing,
    )

"""Settings: a TOML file in the workspace plus environment overrides, checked with clear errors.

Deployment settings live here (backends, paths, mail transport). Service policy that coordinators
own (date locale, register link, and later office hours) lives in the register's Settings tab.

Environment overrides take the form ``HSB_SHEETS_<SECTION>_<KEY>``, for example
``HSB_SHEETS_MAIL_SMTP_PORT=2525``; the SMTP password is only ever read from
``HSB_SHEETS_SMTP_PASSWORD``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hsb_sheets.errors import ConfigError

SETTINGS_FILE = "hsb-sheets.toml"
ENV_PREFIX = "HSB_SHEETS_"


DELEGATION_NEEDED = (
    "delegated_user is empty: name the user mailbox (not a group) the service account acts for by "
    "domain-wide delegation; without it Google will not let it {what} ([{section}] delegated_user)"
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WorkbookSettings(_Section):
    """Where the register is."""

    backend: Literal["local", "google"] = "local"
    path: str = "register.xlsx"
    spreadsheet_id: str = ""  # Google: from the spreadsheet's address, /d/<id>/edit
    key_file: str = ""  # Google: service-account key; blank: GOOGLE_APPLICATION_CREDENTIALS
    delegated_user: str = ""  # Google: optional; the user the service account acts for
    endpoint: str = ""  # Google: blank for Google's; tests point it at a local fake server
    drive_endpoint: str = ""  # Google Drive (who can open the register); blank: as endpoint
    retries: Annotated[int, Field(ge=0, le=10)] = 5
    lock_timeout_seconds: Annotated[float, Field(gt=0)] = 60.0


class MailSettings(_Section):
    """How notifications leave."""

    backend: Literal["eml", "smtp", "gmail"] = "eml"
    sender: str = "hsb-service@example.gov.uk"
    outbox: str = "outbox"
    smtp_host: str = "localhost"
    smtp_port: Annotated[int, Field(ge=1, le=65535)] = 25
    smtp_security: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str = ""
    smtp_timeout_seconds: Annotated[float, Field(gt=0)] = 30.0
    smtp_journal: str = ".hsb-state/smtp-sent.log"
    gmail_key_file: str = ""  # blank: GOOGLE_APPLICATION_CREDENTIALS
    gmail_mailbox: str = ""  # the shared mailbox the service account sends as (delegation)
    gmail_endpoint: str = ""  # blank: Google's; tests point it at a local fake server
    gmail_retries: Annotated[int, Field(ge=0, le=10)] = 5
    gmail_drafts: str = ".hsb-state/gmail-drafts.json"  # the draft made for each email, kept until sent

    @field_validator("sender")
    @classmethod
    def _sender_is_address(cls, value: str) -> str:
        if "@" not in value or value.startswith("@") or value.endswith("@"):
            raise ValueError("must be an email address")
        return value


class CalendarSettings(_Section):
    """Where meeting invitations go."""

    backend: Literal["ics", "google"] = "ics"
    ics_folder: str = "outbox/invites"
    organizer_name: str = "HSB Service"
    calendar_id: str = "primary"
    key_file: str = ""  # service-account key; blank: GOOGLE_APPLICATION_CREDENTIALS
    delegated_user: str = ""  # the calendar owner the service account acts for
    endpoint: str = ""  # blank: Google's; tests point it at a local fake server
    retries: Annotated[int, Field(ge=0, le=10)] = 5

    @model_validator(mode="after")
    def _delegated(self) -> CalendarSettings:
        # Google refuses a service account acting as itself to invite attendees (forbiddenForServiceAccounts).
        if self.backend == "google" and not self.delegated_user.strip():
            raise ValueError(DELEGATION_NEEDED.format(section="calendar", what="invite attendees"))
        return self


class FormsSettings(_Section):
    """The referral form in Google Forms (optional)."""

    source: Literal["sheet", "api"] = "sheet"  # "api": intake pulls responses with forms.responses.list
    form_id: str = ""  # blank: the one `hsb-sheets form publish` made (kept in .hsb-state/)
    key_file: str = ""  # blank: GOOGLE_APPLICATION_CREDENTIALS
    delegated_user: str = ""  # the form's owner, by domain-wide delegation
    endpoint: str = ""  # blank: Google's; tests point it at a local fake server
    retries: Annotated[int, Field(ge=0, le=10)] = 5

    @model_validator(mode="after")
    def _delegated(self) -> FormsSettings:
        if self.source == "api" and not self.delegated_user.strip():
            raise ValueError(DELEGATION_NEEDED.format(section="forms", what="read the form's responses"))
        return self


class LoggingSettings(_Section):
    """How runs are logged (to standard error)."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class ScheduleSettings(_Section):
    """When `hsb-sheets worker` runs each job: cron expressions in the service's time zone."""

    intake: str = "*/5 * * * *"
    meetings: str = "*/15 * * * mon-fri"
    reminders: str = "0 8 * * *"
    digest: str = "30 8 * * mon-fri"
    retention: str = "0 7 * * mon"  # weekly

    @field_validator("intake", "meetings", "reminders", "digest", "retention")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value)
        except ValueError:
            raise ValueError("is not a cron expression such as '*/5 * * * *'") from None
        return value


class WebSettings(_Section):
    """The local web form's limits, and the reverse proxy it may trust (`hsb-sheets form serve`)."""

    trusted_proxy: str = ""  # the proxy's address: only its X-Forwarded-For/-Proto are believed
    max_body_bytes: Annotated[int, Field(ge=10_000)] = 100_000
    submissions_per_window: Annotated[int, Field(ge=1)] = 5  # accepted referrals per client address
    window_seconds: Annotated[float, Field(gt=0)] = 600.0
    posts_per_minute: Annotated[int, Field(ge=1)] = 30  # every POST, accepted or not, per address

    @field_validator("trusted_proxy")
    @classmethod
    def _address(cls, value: str) -> str:
        if value.strip():
            try:
                return str(ipaddress.ip_address(value.strip()))
            except ValueError:
                raise ValueError("is not an IP address such as 127.0.0.1") from None
        return ""


class ServiceSettings(_Section):
    """The service's own choices that IT sets once."""

    timezone: str = "Europe/London"
    form_definition: str = ""
    routing_seed: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not a time zone name such as Europe/London") from None
        return value


class Settings(_Section):
    """All settings of one workspace."""

    workbook: WorkbookSettings = WorkbookSettings()
    mail: MailSettings = MailSettings()
    calendar: CalendarSettings = CalendarSettings()
    logging: LoggingSettings = LoggingSettings()
    forms: FormsSettings = FormsSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    service: ServiceSettings = ServiceSettings()
    web: WebSettings = WebSettings()
    base_dir: Path = Path(".")

    def resolve(self, relative: str) -> Path:
        """A path from the settings, relative to the settings file's folder."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    @property
    def smtp_password(self) -> str | None:
        """The SMTP password, from the environment only (never from a file in the workspace)."""
        return os.environ.get(ENV_PREFIX + "SMTP_PASSWORD") or None


def _environment_overrides(environ: Mapping[str, str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    sections = {
        "WORKBOOK": "workbook",
        "MAIL": "mail",
        "CALENDAR": "calendar",
        "SERVICE": "service",
        "LOGGING": "logging",
        "SCHEDULE": "schedule",
        "FORMS": "forms",
        "WEB": "web",
    }
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :]
        section, _, key = rest.partition("_")
        if section in sections and key:
            overrides.setdefault(sections[section], {})[key.lower()] = value
    return overrides


class InvalidSettings(ConfigError):
    """Settings that fail their checks; ``problems`` names each (doctor lists them one by one)."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"Settings in {source} are not valid: " + "; ".join(problems) + ".")
        self.problems = tuple(problems)


def _describe(error: ValidationError, source: str) -> InvalidSettings:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}")
    return InvalidSettings(source, parts)


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check a settings file; ConfigError names what to fix."""
    environ = os.environ if environ is None else environ
    if not path.exists():
        raise ConfigError(
            f"No settings file at {path}. Run 'hsb-sheets init DIR' to make a workspace, "
            f"or pass --config PATH."
        )
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text: save it as UTF-8 (it is a TOML file).") from None
    except OSError as problem:
        raise ConfigError(f"Cannot read the settings file {path}: {problem.strerror}.") from None
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(f"{path} is not valid TOML: {problem}.") from None
    for section, values in _environment_overrides(environ).items():
        data.setdefault(section, {})
        if isinstance(data[section], dict):
            data[section].update(values)
    data["base_dir"] = path.resolve().parent
    try:
        return Settings.model_validate(data)
    except ValidationError as problem:
        raise _describe(problem, str(path)) from None


def create_workspace(directory: Path) -> Path:
    """Make a local workspace folder with its settings file (kept if already there) and outbox.

    Returns the settings file's path.
    """
    settings_file = directory / SETTINGS_FILE
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if not settings_file.exists():
            settings_file.write_text(DEFAULT_SETTINGS_TOML, encoding="utf-8")
        (directory / "outbox").mkdir(exist_ok=True)
    except OSError as problem:
        raise ConfigError(f"Cannot make a workspace in {directory}: {problem.strerror}.") from None
    return settings_file


DEFAULT_SETTINGS_TOML = """\
# hsb-sheets workspace settings. Paths are relative to this file.
# Every key can be overridden from the environment: HSB_SHEETS_<SECTION>_<KEY>.

[workbook]
backend = "local"                # "local": an .xlsx workbook on disk; "google": a Google spreadsheet
path = "register.xlsx"
spreadsheet_id = ""              # Google: the id in the spreadsheet's address (/d/<id>/edit)
key_file = ""                    # Google: service-account key (blank: GOOGLE_APPLICATION_CREDENTIALS)
delegated_user = ""              # Google: optional, a user the service account acts for

[mail]
backend = "eml"                  # "eml": .eml files in the outbox folder; "smtp"; or "gmail"
sender = "hsb-service@example.gov.uk"
outbox = "outbox"
smtp_host = "localhost"
smtp_port = 25
smtp_security = "none"           # "none", "starttls" or "tls"
smtp_username = ""               # the password is read from HSB_SHEETS_SMTP_PASSWORD only
gmail_mailbox = ""               # Gmail: the shared mailbox a service account sends as
gmail_key_file = ""              # Gmail: service-account key (blank: GOOGLE_APPLICATION_CREDENTIALS)

[calendar]
backend = "ics"                  # "ics": iCalendar invitations by mail; "google": Google Calendar
ics_folder = "outbox/invites"    # the latest .ics of every meeting
organizer_name = "HSB Service"
# For Google Calendar: a service account with domain-wide delegation acting for the calendar owner.
calendar_id = "primary"
key_file = ""                    # blank: the GOOGLE_APPLICATION_CREDENTIALS file
delegated_user = ""              # required for "google": the calendar owner's mailbox (a user, not a group)

[logging]
format = "text"                  # "text", or "json" for one JSON object per line
level = "INFO"

[schedule]                       # `hsb-sheets worker`: cron expressions, in the service's time zone
intake = "*/5 * * * *"
meetings = "*/15 * * * mon-fri"
reminders = "0 8 * * *"
digest = "30 8 * * mon-fri"
retention = "0 7 * * mon"         # weekly; erases only what a coordinator confirmed

[service]
timezone = "Europe/London"

[web]                            # `hsb-sheets form serve` (it listens on 127.0.0.1 unless told otherwise)
trusted_proxy = ""               # the TLS reverse proxy's address, e.g. "127.0.0.1"; blank: no proxy trusted
max_body_bytes = 100000          # a larger submission is refused unread
submissions_per_window = 5       # accepted referrals per client address per window
window_seconds = 600
posts_per_minute = 30            # any submission attempt, per client address
"""

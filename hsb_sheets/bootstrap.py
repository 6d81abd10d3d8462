"""The composition root: the one place that builds adapters from settings. Nothing runs at import."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from hsb_sheets.adapters.mail.base import Mailer
from hsb_sheets.adapters.mail.eml import EmlOutbox
from hsb_sheets.adapters.mail.smtp import SmtpMailer, SmtpSettings
from hsb_sheets.adapters.workbook.base import Workbook
from hsb_sheets.adapters.workbook.xlsx import XlsxWorkbook
from hsb_sheets.config import Settings
from hsb_sheets.domain.form import FormDefinition, parse_form_definition
from hsb_sheets.errors import FormDefinitionError
from hsb_sheets.resources import shipped
from hsb_sheets.services.context import Context
from hsb_sheets.services.rule_source import read_rule_csv
from hsb_sheets.services.templates import Templates

FORM_FILE = "config/referral_form.yaml"
RULES_FILE = "config/routing_rules.csv"
EXAMPLES_FILE = "config/routing_examples.csv"


def load_form(path: Path | None = None) -> FormDefinition:
    """Read and check the form definition (the shipped one unless a path is given)."""
    source = path or shipped(FORM_FILE)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as problem:
        raise FormDefinitionError(f"Cannot read the form definition {source}: {problem.strerror}.") from None
    except yaml.YAMLError as problem:
        raise FormDefinitionError(f"The form definition {source} is not valid YAML: {problem}.") from None
    return parse_form_definition(data)


def build_workbook(settings: Settings) -> Workbook:
    """The register adapter the settings name."""
    return XlsxWorkbook(settings.resolve(settings.workbook.path), settings.workbook.lock_timeout_seconds)


def build_mailer(settings: Settings) -> Mailer:
    """The mail adapter the settings name."""
    mail = settings.mail
    if mail.backend == "smtp":
        return SmtpMailer(
            SmtpSettings(
                host=mail.smtp_host,
                port=mail.smtp_port,
                security=mail.smtp_security,
                username=mail.smtp_username or None,
                password=settings.smtp_password,
                timeout=mail.smtp_timeout_seconds,
            )
        )
    return EmlOutbox(settings.resolve(mail.outbox))


def build_context(
    settings: Settings,
    *,
    workbook: Workbook | None = None,
    mailer: Mailer | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Context:
    """Wire a Context from settings; tests pass fakes for any port."""
    service = settings.service
    form = load_form(settings.resolve(service.form_definition) if service.form_definition else None)
    seed_path = settings.resolve(service.routing_seed) if service.routing_seed else shipped(RULES_FILE)
    return Context(
        form=form,
        workbook=workbook or build_workbook(settings),
        mailer=mailer or build_mailer(settings),
        templates=Templates(shipped("templates")),
        sender=settings.mail.sender,
        timezone=ZoneInfo(service.timezone),
        routing_seed=read_rule_csv(seed_path),
        clock=clock or (lambda: datetime.now(UTC)),
    )

"""Settings are checked with clear messages; templates fail loudly on a missing value and escape HTML."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsb_sheets.config import DEFAULT_SETTINGS_TOML, load_settings
from hsb_sheets.errors import ConfigError
from hsb_sheets.resources import shipped
from hsb_sheets.services.templates import Templates


def test_defaults_load_and_paths_resolve_beside_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hsb-sheets.toml"
    path.write_text(DEFAULT_SETTINGS_TOML)
    settings = load_settings(path, environ={})
    assert settings.resolve(settings.workbook.path) == tmp_path / "register.xlsx"
    assert settings.mail.backend == "eml"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = tmp_path / "hsb-sheets.toml"
    path.write_text(DEFAULT_SETTINGS_TOML)
    settings = load_settings(
        path, environ={"HSB_SHEETS_MAIL_SMTP_PORT": "2525", "HSB_SHEETS_MAIL_BACKEND": "smtp"}
    )
    assert (settings.mail.backend, settings.mail.smtp_port) == ("smtp", 2525)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[mail]\nsmtp_port = 0\n", "mail.smtp_port"),
        ('[mail]\nsender = "nobody"\n', "mail.sender: must be an email address"),
        ('[service]\ntimezone = "Mars/Olympus"\n', "service.timezone: is not a time zone name"),
        ('[mail]\nsmtp_hots = "x"\n', "mail.smtp_hots"),
        ("[mail\n", "is not valid TOML"),
    ],
)
def test_bad_settings_name_what_to_fix(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "hsb-sheets.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert named in str(caught.value)


def test_a_template_missing_a_value_is_a_clear_error() -> None:
    templates = Templates(shipped("templates"))
    with pytest.raises(ConfigError, match="uses a value it is not given"):
        templates.render("email/acknowledgement.txt.j2", case_id="HSB-2026-0001")


def test_html_templates_escape_what_they_are_given() -> None:
    templates = Templates(shipped("templates"))
    issue = {"reasons": ["<script>x</script>"], "submitted": "", "service_name": "HSB Service"}
    issue |= {"form_row": "", "contact_line": "<b>HSB</b>"}
    html = templates.render("email/intake_issue.html.j2", **issue)
    assert "&lt;script&gt;x&lt;/script&gt;" in html and "<script>" not in html and "<b>" not in html
    assert "<script>x</script>" in templates.render("email/intake_issue.txt.j2", **issue)


# Every email and invitation template is rendered, for secure and insecure recipients, through the
# builders the jobs use in tests/unit/test_message_privacy.py; the web pages through the form app in
# tests/integration/test_web_form.py.

"""Settings are checked with clear messages; templates fail loudly on a missing value."""

from __future__ import annotations

from pathlib import Path

import pytest

from hsb_sheets.bootstrap import load_form
from hsb_sheets.config import DEFAULT_SETTINGS_TOML, load_settings
from hsb_sheets.errors import ConfigError
from hsb_sheets.services.templates import Templates
from hsb_sheets.web.form_app import Values
from tests.conftest import ROOT


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
    templates = Templates(ROOT / "templates")
    with pytest.raises(ConfigError, match="uses a value it is not given"):
        templates.render("email/acknowledgement.txt.j2", case_id="HSB-2026-0001")


def test_every_email_template_renders_with_realistic_context() -> None:
    templates = Templates(ROOT / "templates")
    ack = {"referrer_name": "Pat Example", "case_id": "HSB-2026-0001", "service_name": "HSB Service"}
    issue = {
        "reasons": ["“Child's last name”: this question needs an answer."],
        "submitted": "2026-03-10 09:00:00",
        "service_name": "HSB Service",
    }
    for name, context in (("acknowledgement", ack), ("intake_issue", issue)):
        for part in ("subject", "txt", "html"):
            assert templates.render(f"email/{name}.{part}.j2", **context).strip()
    html = templates.render("email/intake_issue.html.j2", **issue | {"reasons": ["<script>x</script>"]})
    assert "<script>" not in html  # HTML templates are escaped


REMINDER_KINDS = ("end_date", "due_soon", "due_today", "escalation", "review")


def realistic_context(family: str, **overrides: object) -> dict[str, object]:
    common = {
        "case_id": "HSB-2026-0042",
        "service_name": "HSB Service",
        "register_link": "https://register.example.gov.uk/hsb",
    }
    contexts: dict[str, dict[str, object]] = {
        "acknowledgement": {"referrer_name": "Pat Example"},
        "intake_issue": {
            "reasons": ["“Child's last name”: this question needs an answer."],
            "submitted": "2026-03-10 09:00:00",
        },
        "needs_scheduling": {
            "label": "Strategy discussion",
            "reason": "the Directory has no usable police contact for Peterborough",
        },
        "reminder": {
            "kind": "due_soon",
            "due": "20/03/2026",
            "secure": True,
            "child_name": "Robin Testwood",
            "intervention": "Safety planning",
            "worker": "w@example.gov.uk",
            "recording_system": "ChildView",
        },
        "digest": {
            "held_open": "",
            "area": "Peterborough",
            "day": "12/03/2026",
            "new_referrals": ["HSB-2026-0042"],
            "intake_issues": [],
            "needs_scheduling": ["HSB-2026-0040-1"],
            "due_this_week": [],
            "overdue": ["HSB-2026-0001"],
            "failed": [],
            "sections": [("New referrals", ["HSB-2026-0042"])],
        },
        "invite": {"label": "Strategy discussion", "when": "Monday 30 March 2026, 10:00"},
        "web": {"form": load_form(), "values": Values({}), "errors": {}, "csrf_token": "t"},
    }
    return common | contexts[family] | overrides


def test_every_template_in_the_folder_renders() -> None:
    templates = Templates(ROOT / "templates")
    names = sorted(str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*.j2"))
    assert len(names) >= 17
    for name in names:
        family = (
            name.split("/")[0] if name.startswith(("invite/", "web/")) else name.split("/")[1].split(".")[0]
        )
        assert templates.render(name, **realistic_context(family)).strip(), name


@pytest.mark.parametrize("kind", REMINDER_KINDS)
def test_reminders_to_insecure_addresses_carry_no_personal_details(kind: str) -> None:
    templates = Templates(ROOT / "templates")
    insecure = realistic_context(
        "reminder", kind=kind, secure=False, child_name="", intervention="", worker=""
    )
    secure = realistic_context("reminder", kind=kind)
    for part in ("subject", "txt", "html"):
        text = templates.render(f"email/reminder.{part}.j2", **insecure)
        assert "Robin" not in text and "Safety planning" not in text
        assert "HSB-2026-0042" in text or (part == "html" and "HSB-2026-0042" in text)
    assert "Robin Testwood" in templates.render("email/reminder.txt.j2", **secure)
    assert "20/03/2026" in templates.render("email/reminder.txt.j2", **insecure)

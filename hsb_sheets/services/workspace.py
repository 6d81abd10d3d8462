"""Local workspaces: a folder with settings, the register workbook and an outbox; responses coming in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hsb_sheets.adapters.workbook.base import Append, Update, WriteBatch
from hsb_sheets.bootstrap import build_context
from hsb_sheets.config import Settings, create_workspace, load_settings
from hsb_sheets.domain.responses import map_columns, read_responses
from hsb_sheets.domain.tabs import (
    CASE_ID,
    FORM_RESPONSES,
    INTERVENTIONS,
    REFERRALS,
    SETTINGS,
    ReferralsTab,
    SettingsTab,
)
from hsb_sheets.services.audit import audit
from hsb_sheets.services.context import Context
from hsb_sheets.services.demo_data import demo_interventions
from hsb_sheets.services.policy import SECURE_DOMAINS
from hsb_sheets.services.setup import setup_register


@dataclass
class Workspace:
    """A local workspace made ready: its settings file, settings, wired context and what setup changed."""

    settings_file: Path
    settings: Settings
    ctx: Context
    changes: list[str] = field(default_factory=list)


def init_workspace(
    directory: Path,
    directory_seed: tuple[list[str], list[list[str]]] | None = None,
    load: Callable[[Path], Settings] = load_settings,
) -> Workspace:
    """Make (or reopen) a workspace in ``directory`` and set its register up; safe to rerun.

    ``load`` reads the settings file (the demo's keeps everything local, whatever the file says).
    """
    settings_file = create_workspace(directory)
    settings = load(settings_file)
    ctx = build_context(settings)
    changes = setup_register(ctx, directory_seed=directory_seed)
    return Workspace(settings_file, settings, ctx, changes)


def import_responses(
    ctx: Context, header: list[str], rows: list[list[str]], locale: str = "en-GB"
) -> tuple[int, int]:
    """Append responses (a CSV export, the web form, demo data) to "Form responses 1" as Google Forms would.

    Headers may be question titles or field ids. A response already in the tab (the same time and
    answers) is not added again. Returns (added, already there).
    """
    columns = map_columns(ctx.form, header, timestamp_required=True)
    incoming = read_responses(columns, rows, locale)
    with ctx.workbook.session():
        tab = ctx.workbook.read([FORM_RESPONSES])[FORM_RESPONSES]
        present_columns = map_columns(ctx.form, tab.header, timestamp_required=True)
        present = {
            _content(r.timestamp, r.answers) for r in read_responses(present_columns, tab.rows, locale)
        }
        batch = WriteBatch()
        added = 0
        for response in incoming:
            content = _content(response.timestamp, response.answers)
            if content in present:  # the very same submission is already there
                continue
            present.add(content)
            values = {tab.header[present_columns.timestamp or 0]: response.timestamp}
            for field_id, text in response.answers.items():
                if field_id in present_columns.fields:
                    values[tab.header[present_columns.fields[field_id]]] = text
            batch.appends.append(Append(FORM_RESPONSES, values))
            added += 1
        if added:
            batch.appends.append(
                audit(ctx.now(), "import", "responses imported", detail=f"{added} response(s)")
            )
            ctx.workbook.write(batch)
    return added, len(incoming) - added


def _content(timestamp: str, answers: dict[str, str]) -> tuple[str, ...]:
    return (timestamp.strip(), *(f"{k}={v.strip()}" for k, v in sorted(answers.items()) if v.strip()))


def add_demo_interventions(ctx: Context) -> int:
    """Give the demo's first cases interventions in every state, once; mark example.gov.uk secure."""
    with ctx.workbook.session():
        tables = ctx.workbook.read([INTERVENTIONS, REFERRALS])
        if tables[INTERVENTIONS].rows:
            return 0
        cases = [r[CASE_ID] for r in tables[REFERRALS].records() if r.get(ReferralsTab.SERVICE) == "hsb"]
        rows = demo_interventions(cases, ctx.now().date())
        batch = WriteBatch(appends=[Append(INTERVENTIONS, row) for row in rows])
        batch.updates.append(
            Update(SETTINGS, SettingsTab.SETTING, SECURE_DOMAINS, {SettingsTab.VALUE: "example.gov.uk"})
        )
        ctx.workbook.write(batch)
        return len(rows)

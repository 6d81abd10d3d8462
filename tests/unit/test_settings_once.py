"""Settings are read once per command, however many parts of it need them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from hsb_sheets.cli import cli, common
from hsb_sheets.config import Settings, load_settings


@pytest.mark.parametrize("command", [["status"], ["rules", "check"], ["setup"]])
def test_a_command_reads_its_settings_file_once(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path / "ws")]).exit_code == 0
    reads: list[Path] = []

    def reading(path: Path) -> Settings:
        reads.append(path)
        return load_settings(path)

    monkeypatch.setattr(common, "load_settings", reading)
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "ws" / "hsb-sheets.toml"), *command])
    assert result.exit_code == 0, result.output
    assert len(reads) == 1  # logging, the context and the command share one Settings

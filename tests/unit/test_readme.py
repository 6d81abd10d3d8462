"""The README, CONTRIBUTING and CHANGELOG stay true: the paths, modules and commands they name exist.

Checked: every entry of the development map (and the backend modules it lists per port), every
backticked repository path, every ``python -m`` module and every ``hsb-sheets`` command and
subcommand. Paths inside a workspace (the demo's, ``.hsb-state/``) are not the repository's.
"""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from hsb_sheets.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")
WORKSPACE_PATHS = ("demo-workspace/", ".hsb-state/", "./", "outbox/")
PATH = re.compile(r"[A-Za-z_.][\w.-]*(?:/[\w.*-]+)*/?")
MODULE = re.compile(r"\bhsb_sheets(?:\.\w+)+")
RUN_MODULE = re.compile(r"\bpython -m (\w+(?:\.\w+)*)")
FOLDER = re.compile(r"(?<![\w.])[a-z][\w.-]*/(?:[\w.-]+/)*")
FILE = re.compile(r"\b[a-z][\w-]*(?:\.[a-z][\w-]*)*\.(?:py|yaml|csv|j2|json)\b")
COMMAND = re.compile(r"\bhsb-sheets ([a-z][\w-]*)(?: ([a-z][\w-]*))?")


def development_map(text: str) -> list[tuple[str, str]]:
    """(path, description) for each entry of the tree under '## Development'."""
    block = text.split("## Development", 1)[1].split("```", 2)[1]
    entries: list[tuple[str, str]] = []
    top = ""
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        if not line.strip() or indent > 2:  # a description's continuation belongs to the entry above
            if entries and line.strip():
                entries[-1] = (entries[-1][0], entries[-1][1] + " " + line.strip())
            continue
        name, _, description = line.strip().partition(" ")
        if indent == 0:
            top = name
        entries.append((name if indent == 0 else top + name, description.strip()))
    return entries


def repository_paths(text: str) -> set[str]:
    """Backticked names that are paths in the repository (not in a workspace, not a URL)."""
    found = set()
    for span in re.findall(r"`([^`\n]+)`", text):
        if not PATH.fullmatch(span) or span.startswith(WORKSPACE_PATHS) or span.startswith("/"):
            continue
        if "/" in span or span.endswith(".md"):
            found.add(span.rstrip("/"))
    return found


def test_the_development_map_names_only_what_exists() -> None:
    entries = development_map(README)
    assert {"hsb_sheets/", "hsb_sheets/domain/", "hsb_sheets/config/", "tests/fidelity/"} <= {
        path for path, _ in entries
    }
    missing = [path for path, _ in entries if not (ROOT / path).exists()]
    for path, description in entries:
        folder = ROOT / path
        # folders a description names are inside its entry; files are somewhere below it
        missing += [f"{path}{sub}" for sub in FOLDER.findall(description) if not (folder / sub).is_dir()]
        missing += [f"{path}…/{name}" for name in FILE.findall(description) if not any(folder.rglob(name))]
    assert missing == []


def test_the_backends_listed_for_each_port_exist() -> None:
    adapters = dict(development_map(README))["hsb_sheets/adapters/"]
    ports = re.findall(r"(\w+)/ \(([^)]*)\)", adapters)
    assert len(ports) >= 5
    for port, backends in ports:
        for backend in re.findall(r"\w+", backends.split(":")[0]):
            assert (ROOT / "hsb_sheets" / "adapters" / port / f"{backend}.py").is_file(), (port, backend)


def test_every_file_folder_and_module_the_docs_name_exists() -> None:
    for doc in DOCS:
        text = (ROOT / doc).read_text(encoding="utf-8")
        for path in sorted(repository_paths(text)):  # always from the repository's root
            assert list(ROOT.glob(path)), f"{doc}: {path}"
        for module in sorted(set(MODULE.findall(text)) | set(RUN_MODULE.findall(text))):
            as_path = ROOT / Path(*module.split("."))
            assert as_path.with_suffix(".py").is_file() or (as_path / "__init__.py").is_file(), (
                f"{doc}: {module}"
            )


@pytest.mark.parametrize("doc", DOCS)
def test_every_command_the_docs_name_is_a_real_command(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    named = COMMAND.findall(text)
    assert doc != "README.md" or len({name for name, _ in named}) >= 10
    for name, sub in named:
        command = cli.commands.get(name)
        assert command is not None, f"{doc}: hsb-sheets {name}"
        if isinstance(command, click.Group) and sub:
            assert sub in command.commands, f"{doc}: hsb-sheets {name} {sub}"

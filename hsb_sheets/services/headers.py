"""The register's header rows against the tab specs, for setup (which refuses a renamed header) and doctor."""

from __future__ import annotations

from collections.abc import Sequence

from hsb_sheets.adapters.workbook.base import Workbook
from hsb_sheets.domain.headers import HeaderCheck, Rename, check_header
from hsb_sheets.domain.tabs import TabSpec
from hsb_sheets.errors import HsbError, WorkbookError


class RenamedHeaders(HsbError):
    """Setup found headers that seem renamed, and changed nothing: rename them back first."""

    def __init__(self, renames: Sequence[Rename]) -> None:
        sentences = "; ".join(rename.sentence() for rename in renames)
        super().__init__(
            f"Setup changed nothing: {sentences}. Then run 'hsb-sheets setup' again "
            "(adding the column again would leave its values under the new name)."
        )
        self.renames = tuple(renames)


def read_headers(workbook: Workbook, names: Sequence[str]) -> dict[str, list[str]]:
    """The header row of each named tab the register has (a tab it lacks, or no register, is left out)."""
    with workbook.session():
        try:
            return {name: table.header for name, table in workbook.read(list(names)).items()}
        except WorkbookError:
            pass  # some tab is missing: read those there are, one by one
        headers: dict[str, list[str]] = {}
        for name in names:
            try:
                headers[name] = workbook.read([name])[name].header
            except WorkbookError:
                continue
        return headers


def check_headers(specs: Sequence[TabSpec], headers: dict[str, list[str]]) -> list[HeaderCheck]:
    """Each present tab whose header lacks a column, with the columns that seem renamed named."""
    checks = [
        check_header(spec.name, spec.header, headers[spec.name]) for spec in specs if spec.name in headers
    ]
    return [check for check in checks if check.renamed or check.missing]


def refuse_renamed_headers(workbook: Workbook, specs: Sequence[TabSpec]) -> None:
    """RenamedHeaders, before anything is written, if a tab's header seems renamed."""
    found = check_headers(specs, read_headers(workbook, [spec.name for spec in specs]))
    renames = [rename for check in found for rename in check.renamed]
    if renames:
        raise RenamedHeaders(renames)

"""A tab of the ``.xlsx`` register laid out for people (DESIGN section 11), with openpyxl.

Columns in the view's order (a register laid out by an earlier version has whole columns moved:
every cell with its value and style, so no value and no coordinator's edit is lost, and the jobs,
which find columns by header, read it as before), the key and coordinator columns frozen with the
header, widths fitted to the content, a filter over the tab, technical columns grouped and
collapsed, and the date columns given the one date format. Dropdowns and red rows are put back
by the caller after columns move (they are tied to column letters).
"""

from __future__ import annotations

from collections.abc import Sequence
from copy import copy

from openpyxl import Workbook
from openpyxl.formatting.formatting import ConditionalFormattingList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from hsb_sheets.adapters.workbook import a1
from hsb_sheets.adapters.workbook.numfmt import DATE_CODE, DATE_TIME_CODE
from hsb_sheets.domain.layout import HIGHLIGHT, Dropdown, Highlight
from hsb_sheets.domain.presentation import TabView, arranged, fitted
from hsb_sheets.errors import WorkbookError

HEADER_FILL = PatternFill(start_color="DDE4EE", end_color="DDE4EE", fill_type="solid")
_HEADER_FONT = Font(bold=True)
_HEADER_ALIGNMENT = Alignment(vertical="center", wrap_text=False)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def header_of(sheet: Worksheet) -> list[str]:
    """The header row's names, without the blank cells after the last."""
    header = [_text(c.value) for c in sheet[1]]
    while header and not header[-1]:
        header.pop()
    return header


def lay_out_tabs(book: Workbook, views: Sequence[TabView], rows: int) -> tuple[list[str], bool]:
    """Every tab the views cover in its order and laid out: what moved, and whether anything changed."""
    changes, laid_out = [], False
    for view in views:
        if view.tab not in book.sheetnames:
            continue
        sheet = book[view.tab]
        header = header_of(sheet)
        target = arranged(header, view)
        if target != header:
            rearrange(sheet, header, target)
            sheet.data_validations.dataValidation = []  # tied to the old column letters: added again
            sheet.conditional_formatting = ConditionalFormattingList()
            changes.append(f"moved the columns of '{view.tab}' into the order people work in")
        laid_out = lay_out(sheet, view, rows) or laid_out
    return changes, laid_out


def put_first(book: Workbook, tab: str) -> list[str]:
    """Make ``tab`` the leftmost tab and the one the workbook opens on (if it exists and is not yet)."""
    if not tab or tab not in book.sheetnames:
        return []
    sheet = book[tab]
    at = book.sheetnames.index(tab)
    if (
        at == 0
        and book.active is sheet
        and all(s.sheet_view.tabSelected == (s is sheet) for s in book.worksheets)
    ):
        return []
    book.move_sheet(sheet, offset=-at)
    for other in book.worksheets:
        other.sheet_view.tabSelected = other is sheet  # one selected tab, or they are grouped
    book.active = 0
    return [f"made '{tab}' the first tab"]


def rearrange(sheet: Worksheet, header: Sequence[str], target: Sequence[str]) -> None:
    """Move whole columns so the header reads ``target`` (a permutation of ``header``).

    Every cell of a column moves with it, value and style; rows below the last value are not
    touched. Column widths and groups are set afresh by :func:`lay_out`.
    """
    source = [header.index(name) + 1 for name in target]
    width = len(header)
    for row in sheet.iter_rows(min_row=1, max_row=sheet.max_row, max_col=width):
        kept = [(cell.value, copy(cell._style), cell.data_type) for cell in row]  # type: ignore[union-attr]
        for column, cell in enumerate(row, start=1):
            value, style, data_type = kept[source[column - 1] - 1]
            cell.value = value
            cell._style = style  # type: ignore[union-attr]
            if value is not None:
                cell.data_type = data_type
    for letter in list(sheet.column_dimensions):
        del sheet.column_dimensions[letter]


def lay_out(sheet: Worksheet, view: TabView, rows: int) -> bool:
    """Freeze, widths, filter, group and date formats on a tab in the view's order; True if any changed.

    ``rows`` is how far down the filter reaches (appends extend it, see :mod:`ooxml`).
    """
    before = _shape(sheet)
    header = header_of(sheet)
    frozen = sum(1 for name in header[: view.frozen] if name in view.order[: view.frozen])
    sheet.freeze_panes = sheet.cell(row=2, column=frozen + 1).coordinate
    dates = dict(view.dates)
    for column, name in enumerate(header, start=1):
        dimension = sheet.column_dimensions[get_column_letter(column)]
        values = (_text(c.value) for (c,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column))
        dimension.width = fitted(view, name, values) + 1
        if name in dates:
            dimension.number_format = DATE_CODE if dates[name] == "date" else DATE_TIME_CODE
        cell = sheet.cell(row=1, column=column)
        cell.font, cell.fill, cell.alignment = _HEADER_FONT, HEADER_FILL, _HEADER_ALIGNMENT
    technical = [i for i, name in enumerate(header, start=1) if name in view.technical]
    if technical:
        first, last = min(technical), max(technical)
        sheet.column_dimensions.group(get_column_letter(first), get_column_letter(last), hidden=True)
        sheet.column_dimensions[get_column_letter(last + 1)].collapsed = True
    if header:
        sheet.auto_filter.ref = a1.area(1, 1, max(rows, sheet.max_row), len(header))
    return _shape(sheet) != before


def _shape(sheet: Worksheet) -> tuple[object, ...]:
    """What :func:`lay_out` sets, to tell whether it changed anything."""
    columns = tuple(
        (letter, round(d.width or 0, 2), d.number_format, d.outline_level, d.hidden, d.collapsed)
        for letter, d in sorted(sheet.column_dimensions.items())
    )
    header = tuple((c.font.b, c.fill.fgColor.rgb) for c in sheet[1])
    return (sheet.freeze_panes, sheet.auto_filter.ref, columns, header)


def _column(sheet: Worksheet, column: str) -> int:
    """The sheet column (from 1) of a header name; WorkbookError if the header lacks it."""
    header = [_text(c.value) for c in sheet[1]]
    if column not in header:
        raise WorkbookError(
            f"The '{sheet.title}' tab has no '{column}' column. Run 'hsb-sheets setup' to repair it."
        )
    return header.index(column) + 1


def add_dropdown(sheet: Worksheet, dropdown: Dropdown, rows: int) -> str | None:
    """A list validation on one column below the header, unless it is there already."""
    column = _column(sheet, dropdown.column)
    area = a1.area(2, column, rows, column)
    if any(str(dv.sqref) == area for dv in sheet.data_validations.dataValidation):
        return None
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(dropdown.choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Not in the list",
        error=f"Choose a value for {dropdown.column} from the list.",
    )
    validation.add(area)
    sheet.add_data_validation(validation)
    return f"dropdown on '{dropdown.tab}' {dropdown.column}"


def add_highlight(sheet: Worksheet, highlight: Highlight, rows: int) -> str | None:
    """Red rows where one column holds a value, unless the rule is there already."""
    letter = a1.column_letters(_column(sheet, highlight.column))
    area = a1.area(2, 1, rows, max(sheet.max_column, 1))
    if any(str(rule.sqref) == area for rule in sheet.conditional_formatting):
        return None
    fill = PatternFill(start_color=HIGHLIGHT[1:], end_color=HIGHLIGHT[1:], fill_type="solid")
    sheet.conditional_formatting.add(
        area, FormulaRule(formula=[f'${letter}2="{highlight.equals}"'], fill=fill)
    )
    return f"red rows on '{highlight.tab}' when {highlight.column} is {highlight.equals}"

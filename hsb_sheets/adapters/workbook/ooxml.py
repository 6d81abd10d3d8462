"""A fast reader and patcher for the cell data of an ``.xlsx`` package (lxml over the sheet XML).

openpyxl rebuilds a whole workbook on every load and save, which takes seconds for a register of a
few thousand cases. Jobs only read values, append rows and change a few cells, so this module reads
the sheet XML directly and, on save, rewrites only the sheets that changed, copying every other
part (styles, dropdowns, conditional formats, other tabs) unchanged. Values are written as inline
strings: text, never formulas.

Registers saved by Excel or LibreOffice read like the jobs' own: shared or inline strings and rich
text read as their text, a formula as its cached result, a number with a date format as ISO text
(see :mod:`numfmt`), booleans as TRUE/FALSE. Damaged XML raises :class:`PackageError`.

A column whose default style (``<col style>``, set by the layout) shows dates is a date column: a
date or time written there as ISO text is stored as a real date cell that reads back as the same
text (:func:`~numfmt.date_serial`); anything else is still a text cell. The filter's range is kept
over every row.
"""

from __future__ import annotations

import copy
import io
import posixpath
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

from lxml import etree

from hsb_sheets.adapters.workbook.a1 import area, column_of
from hsb_sheets.adapters.workbook.a1 import cell as cell_ref
from hsb_sheets.adapters.workbook.numfmt import (
    DateKind,
    date_serial,
    format_kind,
    serial_text,
    style_kinds,
    uses_1904,
)

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_N = {"m": MAIN}
_C, _ROW, _V, _IS, _T = (f"{{{MAIN}}}{tag}" for tag in ("c", "row", "v", "is", "t"))
_RUNS = etree.XPath("m:t | m:r/m:t", namespaces=_N)  # text and rich-text runs, not phonetic hints
# Characters XML 1.0 cannot hold (a pasted control character must not break the register).
LINE_HEIGHT = 15  # points: one line of the default 11 pt font
MAX_LINES = 10  # a row grows for this many lines at most; a longer text scrolls within its cell
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class PackageError(Exception):
    """The file is not an xlsx package this module can read."""


def _text(element: etree._Element) -> str:
    """The text of a string item: its <t>, or the <t> of each rich-text run (phonetic hints left out)."""
    return "".join(t.text or "" for t in cast("list[etree._Element]", _RUNS(element)))


def _number_text(raw: str) -> str:
    try:
        value = float(raw)
    except ValueError:
        return raw
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _parse(xml: bytes) -> etree._Element:
    """One XML part; PackageError if it is not well-formed."""
    try:
        return etree.fromstring(xml, etree.XMLParser(huge_tree=True))
    except etree.XMLSyntaxError:
        raise PackageError("XMLSyntaxError") from None


def _whole(text: str | None) -> int | None:
    """A row number or index as stored; None if it is not a whole number."""
    return int(text) if text is not None and text.isascii() and text.isdigit() else None


@dataclass
class Sheet:
    """One worksheet's XML tree, with an index of its row elements by row number."""

    part: str
    root: etree._Element
    data: etree._Element
    rows: dict[int, etree._Element] = field(default_factory=dict)
    changed: bool = False
    column_styles: dict[int, int] = field(default_factory=dict)  # a column's default style, by column


class Package:
    """An opened .xlsx: every part as bytes, and worksheets parsed on demand."""

    def __init__(self, content: bytes) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                self.parts = {info.filename: archive.read(info) for info in archive.infolist()}
            self.sheet_parts = self._sheet_parts()
            self._kinds = style_kinds(self.parts.get("xl/styles.xml"))
            self._date1904 = uses_1904(self.parts["xl/workbook.xml"])
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            KeyError,
            ValueError,
            etree.XMLSyntaxError,
        ) as problem:
            raise PackageError(type(problem).__name__) from None
        self._sheets: dict[str, Sheet] = {}
        self._shared: list[str] | None = None
        self._styles: etree._Element | None = None  # parsed once a date style is looked up
        self._date_styles: dict[str, int] = {}
        self._wrap_styles: dict[int, int] = {}  # a cell style -> the same style wrapping text

    def _sheet_parts(self) -> dict[str, str]:
        workbook = etree.fromstring(self.parts["xl/workbook.xml"])
        rels = etree.fromstring(self.parts["xl/_rels/workbook.xml.rels"])
        targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{PKG_REL}}}Relationship")}
        result = {}
        for sheet in workbook.iterfind("m:sheets/m:sheet", _N):
            target = targets.get(sheet.get(f"{{{REL}}}id"), "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
            result[sheet.get("name", "")] = part
        return result

    def _shared_strings(self) -> list[str]:
        if self._shared is None:
            raw = self.parts.get("xl/sharedStrings.xml")
            root = _parse(raw) if raw else None
            self._shared = [] if root is None else [_text(si) for si in root.iterfind("m:si", _N)]
        return self._shared

    def sheet(self, name: str) -> Sheet:
        """The parsed worksheet (KeyError if there is no such tab)."""
        if name not in self._sheets:
            part = self.sheet_parts[name]
            if part not in self.parts:
                raise PackageError("a sheet part is missing")
            root = _parse(self.parts[part])
            data = root.find("m:sheetData", _N)
            if data is None:
                raise PackageError("sheetData missing")
            sheet = Sheet(part, root, data, column_styles=_column_styles(root))
            position = 0
            for row in data.iterchildren(_ROW):
                position = _whole(row.get("r")) or position + 1
                sheet.rows[position] = row
            self._sheets[name] = sheet
        return self._sheets[name]

    def _value(self, cell: etree._Element) -> str:
        kind = cell.get("t", "n")
        if kind == "inlineStr":
            inline = cell.find(_IS)
            return "" if inline is None else _text(inline)
        v = cell.find(_V)
        raw = "" if v is None or v.text is None else v.text
        if kind == "s":
            shared = self._shared_strings()
            index = _whole(raw)
            if index is None or index >= len(shared):
                raise PackageError("a shared string is missing")
            return shared[index]
        if kind == "b":
            return "TRUE" if raw == "1" else "FALSE"
        if kind in ("str", "e", "d"):
            return raw  # a formula's text result, an error such as #N/A, or an ISO date (t="d")
        return self._number(raw, cell.get("s")) if raw else ""

    def _number(self, raw: str, style: str | None) -> str:
        """A number cell as text: ISO text if its style shows a date or time, else the number."""
        index = _whole(style) if style else 0
        kind = self._kinds[index] if index is not None and index < len(self._kinds) else DateKind.NONE
        if kind != DateKind.NONE:
            try:
                shown = serial_text(raw, kind, self._date1904)
            except ValueError:
                shown = None
            if shown is not None:
                return shown
        return _number_text(raw)

    def values(self, name: str) -> list[list[str]]:
        """Every row of a tab as text, from row 1 to the last row holding a value; gaps become empty rows.

        Rows below the last value (Excel and LibreOffice save thousands of empty formatted rows)
        are not read at all.
        """
        sheet = self.sheet(name)
        found: dict[int, list[str]] = {}
        for number, row in sheet.rows.items():
            cells: list[str] = []
            column = 0
            for cell in row.iterchildren(_C):
                column = column_of(cell.get("r") or "") or column + 1
                if column > len(cells):
                    cells.extend([""] * (column - len(cells)))
                cells[column - 1] = self._value(cell)
            if any(cells):
                found[number] = cells
        result: list[list[str]] = [[] for _ in range(max(found, default=0))]
        for number, cells in found.items():
            result[number - 1] = cells
        return result

    def set_cells(self, name: str, cells: Mapping[tuple[int, int], str]) -> None:
        """Write text into cells by (row, column), creating rows and cells in order as needed."""
        sheet = self.sheet(name)
        by_row: dict[int, dict[int, str]] = {}
        for (row_number, column), value in cells.items():
            by_row.setdefault(row_number, {})[column] = value
        for number in sorted(by_row):
            element = sheet.rows.get(number)
            if element is None:
                element = self._new_row(sheet, number)
            for column, value in sorted(by_row[number].items()):
                self._write_cell(element, number, column, value, self._is_date_column(sheet, column))
        sheet.changed = bool(cells) or sheet.changed

    def _new_row(self, sheet: Sheet, number: int) -> etree._Element:
        row = etree.Element(_ROW, r=str(number))
        later = [n for n in sheet.rows if n > number]
        if later:
            sheet.rows[min(later)].addprevious(row)
        else:
            sheet.data.append(row)
        sheet.rows[number] = row
        return row

    def _is_date_column(self, sheet: Sheet, column: int) -> bool:
        style = sheet.column_styles.get(column)
        return style is not None and style < len(self._kinds) and self._kinds[style] != DateKind.NONE

    def _date_style(self, code: str) -> int | None:
        """The cell style (index into cellXfs) showing ``code``, added to the styles if missing."""
        if code in self._date_styles:
            return self._date_styles[code]
        raw = self.parts.get("xl/styles.xml")
        if raw is None:
            return None
        if self._styles is None:
            self._styles = _parse(raw)
        found = _find_or_add_style(self._styles, code)
        if found >= len(self._kinds):
            self._kinds.append(format_kind(code))
        self._date_styles[code] = found
        return found

    def _wrap_style(self, base: int) -> int | None:
        """The cell style that is ``base`` with text wrapped, added to the styles if missing."""
        if base not in self._wrap_styles:
            raw = self.parts.get("xl/styles.xml")
            if raw is None:
                return None
            if self._styles is None:
                self._styles = _parse(raw)
            found = _find_or_add_wrapping(self._styles, base)
            while found >= len(self._kinds):
                self._kinds.append(self._kinds[base] if base < len(self._kinds) else DateKind.NONE)
            self._wrap_styles[base] = found
        return self._wrap_styles[base]

    def _write_cell(self, row: etree._Element, number: int, column: int, value: str, dates: bool) -> None:
        cell = None
        following = None
        for existing in row.iterchildren(_C):
            at = column_of(existing.get("r", ""))
            if at is None:
                continue
            if at == column:
                cell = existing
                break
            if at > column:
                following = existing
                break
        if cell is None:
            cell = etree.Element(_C, r=cell_ref(number, column))
            if following is not None:
                following.addprevious(cell)
            else:
                row.append(cell)
        style = cell.get("s")
        for child in list(cell):
            cell.remove(child)
        for attribute in list(cell.attrib):
            if attribute not in ("r", "s"):
                del cell.attrib[attribute]
        if style is not None:
            cell.set("s", style)
        text = _ILLEGAL.sub("", value)
        if not text:
            return
        stored = date_serial(text) if dates else None
        style_index = self._date_style(stored[1]) if stored else None
        if stored and style_index is not None:
            cell.set("s", str(style_index))
            etree.SubElement(cell, _V).text = stored[0]
            return
        cell.set("t", "inlineStr")
        t = etree.SubElement(etree.SubElement(cell, _IS), _T)
        t.text = text
        if text != text.strip() or "\n" in text:
            t.set(XML_SPACE, "preserve")
        if "\n" in text:  # lines of their own, not one line running over the cells beside it
            wrapping = self._wrap_style((_whole(style) or 0) if style else 0)
            if wrapping is not None:
                cell.set("s", str(wrapping))
            _fit_lines(row, text.count("\n") + 1)

    def to_bytes(self) -> bytes:
        """The package with changed sheets re-serialised and every other part as it was."""
        if self._styles is not None:
            self.parts["xl/styles.xml"] = etree.tostring(
                self._styles, xml_declaration=True, encoding="UTF-8", standalone=True
            )
        for sheet in self._sheets.values():
            if sheet.changed:
                self._fix_dimension(sheet)
                _fix_filter(sheet)
                self.parts[sheet.part] = etree.tostring(
                    sheet.root, xml_declaration=True, encoding="UTF-8", standalone=True
                )
                sheet.changed = False
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, content in self.parts.items():
                archive.writestr(name, content)
        return buffer.getvalue()

    @staticmethod
    def _fix_dimension(sheet: Sheet) -> None:
        dimension = sheet.root.find("m:dimension", _N)
        if dimension is None or not sheet.rows:
            return
        widest = 1
        for row in sheet.rows.values():
            last = row[-1] if len(row) else None
            at = column_of(last.get("r", "")) if last is not None else None
            if at:
                widest = max(widest, at)
        dimension.set("ref", area(1, 1, max(sheet.rows), widest))


def _column_styles(root: etree._Element) -> dict[int, int]:
    """Each column's default style from ``<cols>`` (the style an empty cell there shows)."""
    styles: dict[int, int] = {}
    for col in root.iterfind("m:cols/m:col", _N):
        style, low, high = _whole(col.get("style")), _whole(col.get("min")), _whole(col.get("max"))
        if style is not None and low is not None and high is not None and high - low < 1000:
            styles.update(dict.fromkeys(range(low, high + 1), style))
    return styles


def _find_or_add_style(styles: etree._Element, code: str) -> int:
    """The index of a cellXfs entry with this number format code, adding the format and entry if none."""
    formats = styles.find("m:numFmts", _N)
    if formats is None:
        formats = etree.Element(f"{{{MAIN}}}numFmts", count="0")
        styles.insert(0, formats)
    codes = {int(f.get("numFmtId", "0")): f.get("formatCode", "") for f in formats.iterfind("m:numFmt", _N)}
    wanted = code.lower()
    format_id = next((i for i, c in codes.items() if c.replace("\\", "").lower() == wanted), None)
    cell_formats = styles.find("m:cellXfs", _N)
    if cell_formats is None:
        raise PackageError("cellXfs missing")
    entries = list(cell_formats.iterfind("m:xf", _N))
    if format_id is not None:
        for index, xf in enumerate(entries):
            if _whole(xf.get("numFmtId")) == format_id:
                return index
    else:
        format_id = max((*codes, 163)) + 1
        etree.SubElement(formats, f"{{{MAIN}}}numFmt", numFmtId=str(format_id), formatCode=code)
        formats.set("count", str(len(formats)))
    etree.SubElement(
        cell_formats,
        f"{{{MAIN}}}xf",
        numFmtId=str(format_id),
        fontId="0",
        fillId="0",
        borderId="0",
        xfId="0",
        applyNumberFormat="1",
    )
    cell_formats.set("count", str(len(entries) + 1))
    return len(entries)


def _find_or_add_wrapping(styles: etree._Element, base: int) -> int:
    """The index of a cellXfs entry like entry ``base`` but wrapping text, adding it if there is none."""
    cell_formats = styles.find("m:cellXfs", _N)
    if cell_formats is None:
        raise PackageError("cellXfs missing")
    entries = list(cell_formats.iterfind("m:xf", _N))
    if base < len(entries) and _wraps(entries[base]):
        return base
    wanted = copy.deepcopy(entries[base]) if base < len(entries) else etree.Element(f"{{{MAIN}}}xf")
    alignment = wanted.find("m:alignment", _N)
    if alignment is None:
        alignment = etree.SubElement(wanted, f"{{{MAIN}}}alignment")
    alignment.set("wrapText", "1")
    alignment.set("vertical", alignment.get("vertical", "top"))
    wanted.set("applyAlignment", "1")
    wanted.tail = None
    shape = etree.tostring(wanted, with_tail=False)
    for index, xf in enumerate(entries):
        if etree.tostring(xf, with_tail=False) == shape:
            return index
    cell_formats.append(wanted)
    cell_formats.set("count", str(len(entries) + 1))
    return len(entries)


def _fit_lines(row: etree._Element, lines: int) -> None:
    """A row tall enough for a cell of ``lines`` lines: LibreOffice and Excel keep a row's height as
    saved (they do not grow it on opening), so text wrapped in a row of one line would run under the
    rows below."""
    try:
        height = float(row.get("ht", "0"))
    except ValueError:
        height = 0.0
    wanted = LINE_HEIGHT * min(lines, MAX_LINES)
    if wanted > height:
        row.set("ht", f"{wanted:g}")
        row.set("customHeight", "1")


def _wraps(xf: etree._Element) -> bool:
    alignment = xf.find("m:alignment", _N)
    return alignment is not None and alignment.get("wrapText") in ("1", "true")


def _fix_filter(sheet: Sheet) -> None:
    """Keep the filter (set by the layout) over every row, appended ones too."""
    found = sheet.root.find("m:autoFilter", _N)
    if found is None or not sheet.rows:
        return
    last = found.get("ref", "").split(":")[-1]
    width, reach = column_of(last), _whole(last.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    if width and reach is not None and reach < max(sheet.rows):
        found.set("ref", area(1, 1, max(sheet.rows), width))

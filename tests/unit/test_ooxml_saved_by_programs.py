"""Registers saved by Excel or LibreOffice read like the jobs' own (hand-made sheet XML, as they write it)."""

from __future__ import annotations

import io
import zipfile

import pytest

from hsb_sheets.adapters.workbook.numfmt import DateKind, format_kind, serial_text
from hsb_sheets.adapters.workbook.ooxml import Package, PackageError
from tests.unit.test_ooxml import MAIN, RELS, ROOT_RELS, TYPES

SHARED = f"""<sst xmlns="{MAIN}"><si><t>Case ID</t></si><si><t>When</t></si><si><t></t></si>
<si><r><rPr><b/></rPr><t xml:space="preserve">Rich </t></r><r><t>text</t></r>
<rPh sb="0" eb="1"><t>HINT</t></rPh></si>
</sst>"""
# LibreOffice-like styles: custom formats, and the cell styles in an order the jobs never wrote.
STYLES = f"""<styleSheet xmlns="{MAIN}"><numFmts count="6">
<numFmt numFmtId="164" formatCode="General"/><numFmt numFmtId="165" formatCode="DD/MM/YYYY"/>
<numFmt numFmtId="166" formatCode="YYYY\\-MM\\-DD HH:MM:SS"/>
<numFmt numFmtId="167" formatCode="[$-809]D MMMM YYYY;@"/>
<numFmt numFmtId="168" formatCode="[H]:MM"/>
<numFmt numFmtId="169" formatCode="&quot;Day &quot;0.00;[Red]-0.00"/>
</numFmts><cellXfs count="10">
<xf numFmtId="164"/><xf numFmtId="166"/><xf numFmtId="165"/><xf numFmtId="14"/><xf numFmtId="22"/>
<xf numFmtId="20"/><xf numFmtId="167"/><xf numFmtId="168"/><xf numFmtId="169"/><xf numFmtId="2"/>
</cellXfs></styleSheet>"""


def workbook(date1904: bool = False) -> str:
    flag = '<workbookPr date1904="true"/>' if date1904 else '<workbookPr date1904="false"/>'
    return (
        f'<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'{flag}<sheets><sheet name="Cases" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def saved(sheet_data: str, *, date1904: bool = False, sheet_xml: str | None = None) -> bytes:
    sheet = sheet_xml or f'<worksheet xmlns="{MAIN}"><sheetData>{sheet_data}</sheetData></worksheet>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook(date1904))
        archive.writestr("xl/_rels/workbook.xml.rels", RELS)
        archive.writestr("xl/sharedStrings.xml", SHARED)
        archive.writestr("xl/styles.xml", STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


HEADER = '<row r="1"><c r="A1" s="0" t="s"><v>0</v></c><c r="B1" s="0" t="s"><v>1</v></c></row>'


def cell_values(*cells: str, date1904: bool = False) -> list[str]:
    """The B column of rows 2.. holding one cell each."""
    rows = "".join(f'<row r="{n}">{c.replace("@", f"B{n}")}</row>' for n, c in enumerate(cells, start=2))
    return [
        row[1] if len(row) > 1 else ""
        for row in Package(saved(HEADER + rows, date1904=date1904)).values("Cases")[1:]
    ]


def test_real_date_and_date_time_cells_read_as_iso_text() -> None:
    assert cell_values(
        '<c r="@" s="2"><v>46082</v></c>',  # DD/MM/YYYY
        '<c r="@" s="1"><v>46082.4166666667</v></c>',  # YYYY-MM-DD HH:MM:SS
        '<c r="@" s="3"><v>46082</v></c>',  # built-in 14 (Excel's short date)
        '<c r="@" s="4"><v>46082.75</v></c>',  # built-in 22 (date and time)
        '<c r="@" s="6"><v>46082</v></c>',  # a locale-tagged long date
        '<c r="@" s="2"><v>46082.5</v></c>',  # a date format hiding a time: the time is kept
        '<c r="@" s="5"><v>0.4375</v></c>',  # a time of day alone
    ) == [
        "2026-03-01",
        "2026-03-01 10:00:00",
        "2026-03-01",
        "2026-03-01 18:00:00",
        "2026-03-01",
        "2026-03-01 12:00:00",
        "10:30:00",
    ]


def test_numbers_stay_numbers_whatever_their_style() -> None:
    assert cell_values(
        '<c r="@" s="0"><v>46082</v></c>',  # General
        '<c r="@" s="7"><v>1.5</v></c>',  # [H]:MM is a duration, not a time of day
        '<c r="@" s="8"><v>3</v></c>',  # quoted "Day " text is not a date token
        '<c r="@" s="9"><v>2.50</v></c>',  # built-in 0.00
        '<c r="@" s="42"><v>7</v></c>',  # a style index the file does not have
        '<c r="@"><v>46082</v></c>',  # no style at all
    ) == ["46082", "1.5", "3", "2.5", "7", "46082"]


def test_the_1904_date_system() -> None:
    assert cell_values('<c r="@" s="2"><v>44620</v></c>', date1904=True) == ["2026-03-01"]


def test_formula_results_booleans_errors_and_strings() -> None:
    assert cell_values(
        '<c r="@" s="2"><f>TODAY()</f><v>46082</v></c>',  # a formula's cached date result
        '<c r="@" t="str"><f>A2&amp;"x"</f><v>HSB-1x</v></c>',
        '<c r="@" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        '<c r="@"><f>A1</f></c>',  # never calculated: no cached value
        '<c r="@" t="b"><v>0</v></c>',
        '<c r="@" t="s"><v>3</v></c>',  # shared rich text, its phonetic hint left out
        '<c r="@" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r></is></c>',
        '<c r="@" t="d"><v>2026-03-01T10:00:00</v></c>',
    ) == ["2026-03-01", "HSB-1x", "#DIV/0!", "", "FALSE", "Rich text", "inline", "2026-03-01T10:00:00"]


def test_empty_formatted_rows_read_as_no_rows() -> None:
    data = HEADER + '<row r="2"><c r="A2" t="inlineStr"><is><t>HSB-1</t></is></c></row>'
    data += '<row r="3" s="2" customFormat="1"><c r="A3" s="2"/><c r="B3" s="2"/></row>'
    data += '<row r="4"><c r="A4" t="inlineStr"><is><t>HSB-2</t></is></c></row>'
    data += "".join(
        f'<row r="{n}" customFormat="false" ht="15"><c r="A{n}" s="2"/>'
        f'<c r="B{n}" s="2" t="s"><v>2</v></c></row>'  # an empty shared string is no value either
        for n in range(5, 1025)
    )
    values = Package(saved(data)).values("Cases")
    assert values == [["Case ID", "When"], ["HSB-1"], [], ["HSB-2"]]


def test_appending_into_an_empty_formatted_row_keeps_its_style() -> None:
    data = HEADER + '<row r="2" customFormat="1" s="2"><c r="A2" s="2"/><c r="B2" s="1"/></row>'
    package = Package(saved(data))
    package.set_cells("Cases", {(2, 1): "HSB-1", (2, 2): "2026-03-01 10:00"})
    reopened = Package(package.to_bytes())
    assert reopened.values("Cases")[1] == ["HSB-1", "2026-03-01 10:00"]
    xml = reopened.parts["xl/worksheets/sheet1.xml"].decode()
    assert '<c r="A2" s="2" t="inlineStr">' in xml and '<c r="B2" s="1" t="inlineStr">' in xml
    assert xml.count('<row r="2"') == 1


@pytest.mark.parametrize(
    "sheet_xml",
    [
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></sheetData></worksheet>',
        f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1" t="s"><v>99</v></c></row></sheetData>'
        "</worksheet>",
        f'<worksheet xmlns="{MAIN}"></worksheet>',
        "",
    ],
    ids=["unclosed-row", "missing-shared-string", "no-sheet-data", "empty-part"],
)
def test_damaged_sheet_xml_is_a_package_error(sheet_xml: str) -> None:
    package = Package(saved("", sheet_xml=sheet_xml or " "))
    with pytest.raises(PackageError):
        package.values("Cases")


def test_format_kinds_and_serials() -> None:
    assert format_kind("dd/mm/yyyy hh:mm") == DateKind.DATETIME
    assert format_kind("h:mm AM/PM") == DateKind.TIME
    assert format_kind("mmm") == DateKind.DATE
    assert format_kind("[Red]0.00;[Blue]-0.00") == DateKind.NONE
    assert format_kind('"days: "0') == DateKind.NONE
    assert format_kind("@") == DateKind.NONE
    assert serial_text(61, DateKind.DATE) == "1900-03-01"
    assert serial_text(1, DateKind.DATE) == "1900-01-01"
    assert serial_text(-1, DateKind.DATE) is None and serial_text(3e6, DateKind.DATE) is None
    assert serial_text(46082.99999999999, DateKind.DATETIME) == "2026-03-02 00:00:00"  # float noise
    assert serial_text(46082.99999999, DateKind.DATETIME) == "2026-03-01 23:59:59.999136"

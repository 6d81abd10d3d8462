"""The sheet-XML reader and patcher, on packages written the way other spreadsheet programs write them."""

from __future__ import annotations

import io
import zipfile

import pytest

from hsb_sheets.adapters.workbook.ooxml import Package, PackageError

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
WORKBOOK = f"""<workbook xmlns="{MAIN}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Cases" sheetId="1" r:id="rId1"/></sheets></workbook>"""
RELS = """<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
 Target="worksheets/sheet1.xml"/></Relationships>"""
SHARED = f"""<sst xmlns="{MAIN}"><si><t>Case ID</t></si><si><r><t>Rich </t></r><r><t>text</t></r></si>
<si><t>HSB-2026-0001</t></si></sst>"""
TYPES = """<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
</Types>"""
ROOT_RELS = """<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="xl/workbook.xml"/></Relationships>"""


def package(sheet_data: str, extra: str = "") -> bytes:
    sheet = f'<worksheet xmlns="{MAIN}"><dimension ref="A1"/><sheetData>{sheet_data}</sheetData>{extra}</worksheet>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", RELS)
        archive.writestr("xl/sharedStrings.xml", SHARED)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


EXCEL_LIKE = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="D1" t="inlineStr"><is><t>Notes</t></is></c></row>'
    '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>46082.5</v></c><c r="C2" t="b"><v>1</v></c>'
    '<c r="D2" t="str"><f>A2</f><v>HSB-2026-0001</v></c></row>'
    '<row r="4" s="3"><c t="inlineStr"><is><t>no refs</t></is></c><c><v>3.0</v></c></row>'
)


def test_values_from_shared_rich_inline_number_boolean_and_formula_cells() -> None:
    values = Package(package(EXCEL_LIKE)).values("Cases")
    assert values == [
        ["Case ID", "Rich text", "", "Notes"],
        ["HSB-2026-0001", "46082.5", "TRUE", "HSB-2026-0001"],
        [],
        ["no refs", "3"],
    ]


def test_patching_keeps_styles_and_other_parts_and_orders_cells() -> None:
    validation = '<dataValidations count="1"><dataValidation type="list" sqref="B2:B9"><formula1>"a,b"</formula1></dataValidation></dataValidations>'
    pkg = Package(
        package('<row r="1"><c r="A1" s="5" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>', validation)
    )
    pkg.set_cells(
        "Cases", {(1, 2): "middle", (1, 1): "=SUM(1,2)", (3, 1): "third", (2, 3): "second", (1, 3): ""}
    )
    content = pkg.to_bytes()
    reopened = Package(content)
    assert reopened.values("Cases") == [["=SUM(1,2)", "middle", ""], ["", "", "second"], ["third"]]
    sheet = zipfile.ZipFile(io.BytesIO(content)).read("xl/worksheets/sheet1.xml").decode()
    assert 's="5"' in sheet and "<dataValidation " in sheet and "<f>" not in sheet
    assert sheet.index('r="A1"') < sheet.index('r="B1"') < sheet.index('r="C1"')
    assert '<dimension ref="A1:C3"/>' in sheet


def test_text_with_spaces_newlines_and_control_characters() -> None:
    pkg = Package(package(""))
    pkg.set_cells("Cases", {(1, 1): "  padded\nline two ", (1, 2): "bell\x07 and nul\x00 removed"})
    assert Package(pkg.to_bytes()).values("Cases") == [["  padded\nline two ", "bell and nul removed"]]


def test_not_a_package() -> None:
    with pytest.raises(PackageError):
        Package(b"plain text")

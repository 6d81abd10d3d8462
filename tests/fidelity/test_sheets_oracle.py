"""The fake Sheets server against recorded real traffic (oracles/sheets-v4-recorded beside this file).

Each cassette's requests are replayed against the fake, in order, and every answer is compared with
the recorded one: status codes, and the parts of the JSON the register adapter relies on (returned
ranges, values present or absent, updated ranges and counts, appended table ranges, sheet
properties, reply shapes), ignoring identifiers, timestamps and formatting blobs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.fakes.google_sheets import FakeSheets

# Recorded by gspread for its own tests (MIT); see the README there for where from and how to refresh.
ORACLES = Path(__file__).resolve().parent / "oracles" / "sheets-v4-recorded"
# Cassettes that exercise the endpoints the register adapter uses: spreadsheets.get,
# values.batchGet, values.batchUpdate, values.append, values.get/update/clear, and
# spreadsheets.batchUpdate (add/delete sheet, frozen rows, validation, protected ranges).
CASSETTES = [
    "SpreadsheetTest.test_values_batch_get.json",
    "SpreadsheetTest.test_values_get.json",
    "SpreadsheetTest.test_add_del_worksheet.json",
    "SpreadsheetTest.test_sheet1.json",
    "WorksheetTest.test_batch_get.json",
    "WorksheetTest.test_batch_update.json",
    "WorksheetTest.test_append_row.json",
    "WorksheetTest.test_append_row_with_empty_value.json",
    "WorksheetTest.test_append_row_with_empty_value_and_table_range.json",
    "WorksheetTest.test_get_all_values.json",
    "WorksheetTest.test_freeze.json",
    "WorksheetTest.test_add_validation.json",
    "WorksheetTest.test_add_protected_range_normal.json",
    "WorksheetTest.test_update_cell_multiline.json",
    "WorksheetTest.test_update_cells_unicode.json",
    "WorksheetTest.test_clear.json",
]
# Replayed by test_sheets_render_options.py (reads under every value and date-time render option).
RENDER_CASSETTE = "WorksheetTest.test_get_all_values_date_time_render_options.json"


@pytest.fixture
def fake() -> Iterator[tuple[FakeSheets, str]]:
    server = FakeSheets()
    url = server.start()
    yield server, url
    server.stop()


def compare(kind: str, recorded: Any, ours: Any, where: str) -> None:
    if "error" in recorded:
        assert ours["error"]["code"] == recorded["error"]["code"], where
        return
    if kind in ("values.get",):
        _ranges(recorded, ours, where)
    elif kind == "values.batchGet":
        assert len(ours["valueRanges"]) == len(recorded["valueRanges"]), where
        for r, o in zip(recorded["valueRanges"], ours["valueRanges"], strict=True):
            _ranges(r, o, where)
    elif kind in ("values.update",):
        for key in ("updatedRange", "updatedRows", "updatedColumns", "updatedCells"):
            assert ours.get(key) == recorded.get(key), f"{where}: {key}"
    elif kind == "values.batchUpdate":
        assert ours["totalUpdatedCells"] == recorded["totalUpdatedCells"], where
        assert [r["updatedRange"] for r in ours["responses"]] == [
            r["updatedRange"] for r in recorded["responses"]
        ], where
    elif kind == "values.append":
        assert ("tableRange" in ours) == ("tableRange" in recorded), f"{where}: tableRange presence"
        assert ours.get("tableRange") == recorded.get("tableRange"), where
        assert ours["updates"]["updatedRange"] == recorded["updates"]["updatedRange"], where
    elif kind == "values.clear":
        assert ours["clearedRange"] == recorded["clearedRange"], where
    elif kind == "get":
        assert [s["properties"]["title"] for s in ours["sheets"]] == [
            s["properties"]["title"] for s in recorded["sheets"]
        ], where
        for r, o in zip(recorded["sheets"], ours["sheets"], strict=True):
            for key in ("rowCount", "columnCount", "frozenRowCount"):
                assert o["properties"]["gridProperties"].get(key) == r["properties"]["gridProperties"].get(
                    key
                ), where
    elif kind == "batchUpdate":
        assert [sorted(r) for r in ours["replies"]] == [sorted(r) for r in recorded["replies"]], where
        for r, o in zip(recorded["replies"], ours["replies"], strict=True):
            if "addSheet" in r:
                for key in ("title", "index", "gridProperties"):
                    assert o["addSheet"]["properties"][key] == r["addSheet"]["properties"][key], where


def _ranges(recorded: dict[str, Any], ours: dict[str, Any], where: str) -> None:
    assert ours["range"] == recorded["range"], f"{where}: range"
    assert ("values" in ours) == ("values" in recorded), f"{where}: values presence"
    assert ours.get("values") == recorded.get("values"), f"{where}: values"


def kind_of(method: str, path: str) -> str:
    if path.endswith(":batchGet"):
        return "values.batchGet"
    if path.endswith("values:batchUpdate"):
        return "values.batchUpdate"
    if path.endswith(":batchUpdate"):
        return "batchUpdate"
    if ":append" in path:
        return "values.append"
    if path.endswith(":clear"):
        return "values.clear"
    if "/values/" in path:
        return "values.update" if method == "PUT" else "values.get"
    return "get"


@pytest.mark.parametrize("cassette", CASSETTES)
def test_the_fake_answers_as_google_did(fake: tuple[FakeSheets, str], cassette: str) -> None:
    _server, url = fake
    recording = json.loads((ORACLES / cassette).read_text())
    ids: dict[str, str] = {}
    compared = 0
    for number, interaction in enumerate(recording["interactions"]):
        request, response = interaction["request"], interaction["response"]
        parts = urlsplit(request["uri"])
        path = parts.path
        for recorded_id, fake_id in ids.items():
            path = path.replace(recorded_id, fake_id)
        body = request.get("body")
        if isinstance(body, str):
            for recorded_id, fake_id in ids.items():
                body = body.replace(recorded_id, fake_id)
        answer = requests.request(
            request["method"],
            url.rstrip("/") + path + ("?" + parts.query if parts.query else ""),
            data=body.encode() if isinstance(body, str) else body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        where = f"{cassette} #{number} {request['method']} {path}"
        assert answer.status_code == response["status"]["code"], f"{where}: {answer.text[:300]}"
        text = response["body"]["string"]
        if not text:
            continue
        recorded = json.loads(text)
        if path == "/drive/v3/files" and request["method"] == "POST":
            ids[recorded["id"]] = answer.json()["id"]
            continue
        if path.startswith("/v4/"):
            ours = answer.json()
            compare(kind_of(request["method"], path), recorded, ours, where)
            compared += 1
            for r, o in zip(recorded.get("replies", []), ours.get("replies", []), strict=False):
                if "addSheet" in r:  # later requests name the sheet by the id Google gave it
                    ids[str(r["addSheet"]["properties"]["sheetId"])] = str(
                        o["addSheet"]["properties"]["sheetId"]
                    )
    assert compared > 0


def test_the_repository_keeps_only_the_recordings_it_replays() -> None:
    kept = {path.name for path in ORACLES.iterdir()}
    assert kept == {*CASSETTES, RENDER_CASSETTE, "README.md", "LICENSE-gspread.txt"}

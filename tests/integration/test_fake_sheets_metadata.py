"""The fake Sheets server keeps row developer metadata with its row, as Google documents, over HTTP.

"Developer metadata ... will remain associated at those locations as they move around and the
spreadsheet is edited ... If the associated object is deleted then its metadata is deleted too."
(https://developers.google.com/workspace/sheets/api/reference/rest/v4/spreadsheets.developerMetadata)
A position remembered from before the edit would point at another row; these tests fail if the fake
kept metadata at a row number.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.fakes.google_sheets import FakeSheets

SHEET = "metadata-under-test"


@pytest.fixture
def fake() -> Iterator[tuple[FakeSheets, str]]:
    server = FakeSheets()
    url = server.start().rstrip("/") + f"/v4/spreadsheets/{SHEET}"
    server.create(SHEET).sheets[0].cells = [["Key", "Value"], ["a", ""], ["b", ""], ["c", ""]]
    yield server, url
    server.stop()


def anchor(url: str, row: int) -> int:
    span: dict[str, Any] = {"sheetId": 0, "dimension": "ROWS", "startIndex": row, "endIndex": row + 1}
    metadata: dict[str, Any] = {
        "metadataKey": "hsb-row",
        "location": {"dimensionRange": span},
        "visibility": "DOCUMENT",
    }
    answer = requests.post(
        url + ":batchUpdate",
        json={"requests": [{"createDeveloperMetadata": {"developerMetadata": metadata}}]},
        timeout=5,
    ).json()
    return int(answer["replies"][0]["createDeveloperMetadata"]["developerMetadata"]["metadataId"])


def write_by(url: str, metadata_id: int, value: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "valueInputOption": "RAW",
        "includeValuesInResponse": True,
        "data": [
            {
                "dataFilter": {"developerMetadataLookup": {"metadataId": metadata_id}},
                "values": [[None, value]],
            }
        ],
    }
    answer: dict[str, Any] = requests.post(
        url + "/values:batchUpdateByDataFilter", json=body, timeout=5
    ).json()
    return answer


def test_row_metadata_moves_with_its_row_through_sorts_inserts_and_deletes(
    fake: tuple[FakeSheets, str],
) -> None:
    server, url = fake
    b = anchor(url, 2)  # the row holding "b"
    server.insert_row(SHEET, "Sheet1", 1, ["new"])
    server.sort(SHEET, "Sheet1", "Key", reverse=True)  # new, c, b, a
    server.delete_row(SHEET, "Sheet1", 4)  # a
    answer = write_by(url, b, "for b")
    cells = server.spreadsheets[SHEET].sheets[0].cells
    assert [r[:2] for r in cells[1:]] == [["new"], ["c", ""], ["b", "for b"]]
    assert answer["responses"][0]["updatedData"]["values"] == [["b", "for b"]]  # the whole row, as left
    grid = requests.get(url, params={"ranges": "Sheet1", "includeGridData": "true"}, timeout=5).json()
    rows = grid["sheets"][0]["data"][0]["rowMetadata"]
    assert [i for i, r in enumerate(rows) if r.get("developerMetadata")] == [3]


def test_a_deleted_rows_metadata_goes_with_it_and_matches_nothing(fake: tuple[FakeSheets, str]) -> None:
    server, url = fake
    b = anchor(url, 2)
    server.delete_row(SHEET, "Sheet1", 2)
    answer = write_by(url, b, "for b")
    assert answer.get("responses", []) == []
    assert all("for b" not in r for r in server.spreadsheets[SHEET].sheets[0].cells)

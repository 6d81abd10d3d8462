"""The fake Sheets server renders values as Google did in the recorded traffic, for each render option.

``WorksheetTest.test_get_all_values_date_time_render_options`` writes dates, numbers, text and
formulas with USER_ENTERED and reads them back under every valueRenderOption and
dateTimeRenderOption. Intake identifies a response by its Timestamp's unformatted serial number, so
the fake must answer these reads as Google does. Formula cells are left out of the comparison: the
fake stores a formula without computing it, and the register never holds one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.fakes.google_sheets import FakeSheets
from tests.fidelity.test_sheets_oracle import ORACLES, RENDER_CASSETTE

CASSETTE = RENDER_CASSETTE


@pytest.fixture
def url() -> Iterator[str]:
    server = FakeSheets()
    address = server.start()
    yield address
    server.stop()


def _without(rows: list[list[Any]], formulas: set[tuple[int, int]]) -> list[list[Any]]:
    return [[v for c, v in enumerate(row) if (r, c) not in formulas] for r, row in enumerate(rows)]


def test_each_render_option_reads_dates_numbers_and_text_as_google_did(url: str) -> None:
    recording = json.loads((ORACLES / CASSETTE).read_text())
    ids: dict[str, str] = {}
    formulas: set[tuple[int, int]] = set()
    compared: set[str] = set()
    for number, interaction in enumerate(recording["interactions"]):
        request, response = interaction["request"], interaction["response"]
        parts = urlsplit(request["uri"])
        path, body = parts.path, request.get("body")
        for recorded_id, fake_id in ids.items():
            path = path.replace(recorded_id, fake_id)
            body = body.replace(recorded_id, fake_id) if isinstance(body, str) else body
        if request["method"] == "PUT" and isinstance(body, str):
            written = json.loads(body)["values"]
            formulas |= {
                (r, c)
                for r, row in enumerate(written)
                for c, v in enumerate(row)
                if isinstance(v, str) and v.startswith("=")
            }
        answer = requests.request(
            request["method"],
            url.rstrip("/") + path + ("?" + parts.query if parts.query else ""),
            data=body.encode() if isinstance(body, str) else body,
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        where = f"#{number} {request['method']} {path}?{parts.query}"
        assert answer.status_code == response["status"]["code"], where
        text = response["body"]["string"]
        if not text:
            continue
        recorded = json.loads(text)
        if path == "/drive/v3/files" and request["method"] == "POST":
            ids[recorded["id"]] = answer.json()["id"]
        elif request["method"] == "GET" and "/values/" in path:
            ours = answer.json()
            assert ours["range"] == recorded["range"], where
            assert _without(ours.get("values", []), formulas) == _without(
                recorded.get("values", []), formulas
            ), where
            compared.add(parts.query)
    assert {
        "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER",
        "valueRenderOption=UNFORMATTED_VALUE&dateTimeRenderOption=FORMATTED_STRING",
        "valueRenderOption=FORMATTED_VALUE&dateTimeRenderOption=SERIAL_NUMBER",
    } <= compared

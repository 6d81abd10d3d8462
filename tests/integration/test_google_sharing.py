"""Who can open a Google register, read through the real Drive client from a fake that speaks Drive's
JSON (its answers checked against the bundled discovery document), with the narrowest scope."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hsb_sheets.adapters.sharing.google import FIELDS, SCOPES, DriveSharing, drive_service
from hsb_sheets.bootstrap import google_credentials
from hsb_sheets.domain.sharing import Level
from hsb_sheets.errors import SharingError
from tests.fakes.google_drive import SERVICE_ACCOUNT, DriveFile, FakeDrive, permission
from tests.fakes.google_http import DOCUMENTS
from tests.fakes.google_token import FakeTokenEndpoint, write_key

SECURE = ("example.gov.uk", "nhs.net")
FILE = "register-under-test"


@pytest.fixture
def drive(tmp_path: Path) -> Iterator[tuple[FakeDrive, DriveSharing, FakeTokenEndpoint]]:
    fake, token = FakeDrive(), FakeTokenEndpoint(users={"hsb-service@example.gov.uk"})
    url = fake.start()
    key = write_key(tmp_path / "key.json", token.start())
    credentials = google_credentials(str(key), "", SCOPES)
    yield fake, DriveSharing(drive_service(credentials, url), FILE, SERVICE_ACCOUNT, retries=0), token
    fake.stop()
    token.stop()


def shared(*permissions: dict[str, object], shared_drive: bool = False) -> DriveFile:
    return DriveFile([permission("user", "owner", "lead@example.gov.uk"), *permissions], shared_drive)


def test_the_scope_is_the_narrowest_permissions_list_accepts_that_reads_any_file() -> None:
    drive = json.loads((DOCUMENTS / "drive.v3.json").read_text())
    accepted = drive["resources"]["permissions"]["methods"]["list"]["scopes"]
    assert SCOPES == ("https://www.googleapis.com/auth/drive.metadata.readonly",)
    assert SCOPES[0] in accepted
    # the only narrower ones cover other files: the app's own (drive.file), Meet's, Photos'
    narrower = {s.rsplit("/", 1)[1] for s in accepted} - {"drive", "drive.metadata", "drive.readonly"}
    assert narrower == {
        "drive.file",
        "drive.meet.readonly",
        "drive.photos.readonly",
        "drive.metadata.readonly",
    }


def test_every_answer_fits_the_discovery_documents_permission_schema(
    drive: tuple[FakeDrive, DriveSharing, FakeTokenEndpoint],
) -> None:
    fake, sharing, _ = drive
    people = [permission("user", "writer", f"worker{n}@example.gov.uk") for n in range(230)]
    fake.files[FILE] = shared(permission("anyone", "reader", discoverable=True), *people)
    assert len(sharing.grants()) == 232  # three pages of 100: every page read
    lists = [r for r in fake.server.requests if r.path.endswith("/permissions")]
    assert len(lists) == 3 and all(r.status == 200 for r in lists)
    assert all(r.query["supportsAllDrives"] == ["true"] and r.query["fields"] == [FIELDS] for r in lists)
    # the answers as sent, replayed, against the PermissionList schema (unknown fields are refused)
    for start in ("0", "100", "200"):
        _, answer = fake.handle(
            fake.discovery.match("GET", f"/drive/v3/files/{FILE}/permissions")[0],
            {"fileId": FILE},
            {"pageSize": ["100"], "pageToken": [start], "supportsAllDrives": ["true"]},
            None,
        )
        fake.discovery._check({"$ref": "PermissionList"}, answer, "PermissionList")
    with pytest.raises(Exception, match="Unknown name"):
        fake.discovery._check({"$ref": "Permission"}, {"type": "user", "email": "x"}, "Permission")


def test_link_sharing_outside_people_and_domains_are_errors(
    drive: tuple[FakeDrive, DriveSharing, FakeTokenEndpoint],
) -> None:
    fake, sharing, token = drive
    fake.files[FILE] = shared(
        permission("anyone", "reader", discoverable=False),
        permission("user", "commenter", "someone@gmail.example.org"),
        permission("domain", "reader", domain="partner.example.org"),
        permission("domain", "reader", domain="example.gov.uk"),
        permission("group", "writer", "hsb-team@example.gov.uk"),
        permission("user", "writer", SERVICE_ACCOUNT),
    )
    findings = sharing.findings(SECURE)
    errors = [f.text for f in findings if f.level is Level.ERROR]
    assert errors[0] == "Anyone with the link can open the register (as reader)."
    assert "someone@gmail.example.org, outside the secure domains, has commenter access" in errors[1]
    assert "Everyone at partner.example.org, outside the secure domains" in errors[2]
    assert [f.level for f in findings][:3] == [Level.ERROR] * 3
    assert next(f for f in findings if f.level is Level.ERROR).fix.startswith(
        "Remove the link sharing in Share ▸ General access"
    )
    warnings = [f.text for f in findings if f.level is Level.WARNING]
    assert warnings == [
        "Everyone at example.gov.uk can open the register (as reader), not only those who need it."
    ]
    notes = [f.text for f in findings if f.level is Level.NOTE]
    assert f"The service account {SERVICE_ACCOUNT} is an editor, as the jobs need." in notes
    assert "2 people or groups in the secure domains can open it." in notes
    assert {c["scope"] for c in token.grants} == set(SCOPES)  # only the narrow scope was asked for


def test_a_register_shared_only_within_the_secure_domains_has_no_error(
    drive: tuple[FakeDrive, DriveSharing, FakeTokenEndpoint],
) -> None:
    fake, sharing, _ = drive
    fake.files[FILE] = shared(
        permission("user", "writer", "worker@nhs.net"), permission("user", "owner", SERVICE_ACCOUNT)
    )
    levels = {f.level for f in sharing.findings(SECURE)}
    assert Level.ERROR not in levels and Level.WARNING in levels  # the service account owns it: a warning


def test_a_shared_drive_register_is_read_because_all_drives_are_supported(
    drive: tuple[FakeDrive, DriveSharing, FakeTokenEndpoint],
) -> None:
    fake, sharing, _ = drive
    fake.files[FILE] = shared(permission("anyone", "writer", discoverable=True), shared_drive=True)
    first = sharing.findings(SECURE)[0]
    assert first.text == "Anyone with the link can open the register and find it by searching (as writer)."


def test_drive_refusing_says_how_to_let_the_service_read_the_sharing(
    drive: tuple[FakeDrive, DriveSharing, FakeTokenEndpoint],
) -> None:
    fake, sharing, _ = drive
    with pytest.raises(SharingError, match=r"HTTP 404 notFound.*spreadsheet_id"):
        sharing.findings(SECURE)
    fake.files[FILE] = DriveFile(readable=False)
    with pytest.raises(SharingError, match=r"insufficientFilePermissions.*as an editor"):
        sharing.findings(SECURE)

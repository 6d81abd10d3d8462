"""A fake of the Drive API v3 ``permissions.list``, over HTTP, for who can open the register.

Behaviours of the real Drive reproduced here:

- Answers are a ``PermissionList`` (kind ``drive#permissionList``, ``permissions``, and
  ``nextPageToken`` while more remain), each permission a ``drive#permission`` with the fields the
  Drive v3 discovery document declares; tests check every answer against that document's schema.
- ``pageSize`` is at most 100 ("values above 100 will be coerced to 100"); with none given a My Drive
  file gets the whole list, and a shared drive's at most 100 (the discovery text of ``pageSize``).
- A file in a shared drive is "File not found" (404 notFound) unless the request says
  ``supportsAllDrives=true`` (developers.google.com/workspace/drive/api/guides/enable-shareddrives).
- An unknown file is 404 notFound; a caller the file is not shared with as an editor is answered
  403 insufficientFilePermissions ("The user does not have sufficient permissions for this file.").
- ``fields`` selects the permission fields returned (``permissions(type,role)``), as a partial response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.google_http import ApiError, Discovery, FakeGoogleServer, Method

SERVICE_ACCOUNT = "hsb-sheets@example.iam.gserviceaccount.com"


@dataclass
class DriveFile:
    """A file's permissions, and whether it lives in a shared drive."""

    permissions: list[dict[str, Any]] = field(default_factory=list)
    shared_drive: bool = False
    readable: bool = True  # False: the caller may not list its permissions (not an editor)


def permission(
    kind: str, role: str, email: str = "", domain: str = "", discoverable: bool = False
) -> dict[str, Any]:
    """One stored permission in Drive's shape (an id, a display name for people, as Drive gives)."""
    stored: dict[str, Any] = {
        "kind": "drive#permission",
        "id": f"p{abs(hash((kind, role, email, domain))) % 10**9}",
    }
    stored.update({"type": kind, "role": role})
    if email:
        stored.update({"emailAddress": email, "displayName": email.split("@")[0]})
    if domain:
        stored["domain"] = domain
    if kind in ("anyone", "domain"):
        stored["allowFileDiscovery"] = discoverable
    return stored


def _selected(fields: str) -> set[str] | None:
    """The permission fields a ``fields`` parameter asks for; None: all of them."""
    match = re.search(r"permissions\(([^)]*)\)", fields)
    return {f.strip() for f in match[1].split(",")} if match else None


class FakeDrive:
    """Files by id, each with its permissions."""

    def __init__(self) -> None:
        self.files: dict[str, DriveFile] = {}
        self.discovery = Discovery("drive.v3")
        self.server = FakeGoogleServer(self.discovery, self.handle)

    def start(self) -> str:
        return self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def handle(
        self, method: Method, params: dict[str, str], query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any]:
        if method.id != "drive.permissions.list":
            raise ApiError(501, f"{method.id} is not faked")
        file = self.files.get(params["fileId"])
        all_drives = query.get("supportsAllDrives", ["false"])[0] == "true"
        if file is None or (file.shared_drive and not all_drives):
            raise ApiError(404, f"File not found: {params['fileId']}.", "notFound")
        if not file.readable:
            raise ApiError(
                403,
                "The user does not have sufficient permissions for this file.",
                "insufficientFilePermissions",
            )
        default = 100 if file.shared_drive else len(file.permissions) or 1
        size = min(100, int(query.get("pageSize", [str(default)])[0]))
        start = int(query.get("pageToken", ["0"])[0] or 0)
        chosen = _selected(query.get("fields", [""])[0])
        page = [
            {k: v for k, v in p.items() if chosen is None or k in chosen}
            for p in file.permissions[start : start + size]
        ]
        answer: dict[str, Any] = {"kind": "drive#permissionList", "permissions": page}
        if chosen is not None:
            answer.pop("kind")
        if start + size < len(file.permissions):
            answer["nextPageToken"] = str(start + size)
        return 200, answer

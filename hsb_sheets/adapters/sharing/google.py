"""Who can open a Google register: the Drive API v3 permissions of its one file.

``permissions.list`` of the spreadsheet's file, every page (``nextPageToken``), with
``supportsAllDrives`` so a register in a shared drive is read too, asking only for the fields judged
(type, role, emailAddress, domain, allowFileDiscovery). The scope is ``drive.metadata.readonly``:
of the scopes the bundled discovery document lets ``permissions.list`` use, the narrowest that reads
the permissions of a file the service did not create (``drive.file`` covers only files the app made
or was handed by a picker; ``drive.readonly`` and ``drive`` would also let it read every file's
content). It can see, never change, the metadata of the files of the account it acts as.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from googleapiclient.errors import HttpError

from hsb_sheets.adapters.google_api import CONNECTION_ERRORS, build_service, execute, failure, status
from hsb_sheets.adapters.google_auth_errors import TOKEN_ERRORS, Delegation, explain_token_error
from hsb_sheets.domain.sharing import Finding, Grant, judge_grants
from hsb_sheets.errors import SharingError

SCOPES = ("https://www.googleapis.com/auth/drive.metadata.readonly",)
SERVICE_PATH = "drive/v3/"
API = "Google Drive"
FIELDS = "nextPageToken,permissions(type,role,emailAddress,domain,allowFileDiscovery)"
PAGES = 50  # 100 permissions a page: more than any register is shared with
FIXES = {
    "insufficientFilePermissions": "share the register with the service account as an editor",
    "insufficientPermissions": "the Workspace admin must delegate the drive.metadata.readonly scope "
    "to the service account's client id (README, 'Who can open the register')",
    "notFound": "check [workbook] spreadsheet_id, and that the register is shared with the service account",
}


def drive_service(credentials: Any, endpoint: str | None = None, timeout: float = 30.0) -> Any:
    """A Drive v3 client; ``endpoint`` replaces https://www.googleapis.com/ (tests: a local fake)."""
    return build_service("drive", "v3", credentials, endpoint, SERVICE_PATH, timeout)


class DriveSharing:
    """The permissions of the register's file, judged against the secure domains."""

    def __init__(
        self,
        service: Any,
        file_id: str,
        service_account: str,
        retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        delegation: Delegation | None = None,
    ) -> None:
        self.service = service
        self.file_id = file_id
        self.service_account = service_account
        self.retries = retries
        self.sleep = sleep
        self.delegation = delegation

    def findings(self, secure_domains: Sequence[str]) -> list[Finding]:
        """Every permission of the register's file, judged; SharingError if Drive will not say."""
        return judge_grants(self.grants(), secure_domains, self.service_account)

    def grants(self) -> list[Grant]:
        """Every permission of the file, page after page."""
        grants: list[Grant] = []
        token = ""
        for _page in range(PAGES):
            answer = self._page(token)
            grants += [_grant(p) for p in answer.get("permissions", []) if isinstance(p, dict)]
            token = str(answer.get("nextPageToken", ""))
            if not token:
                return grants
        raise SharingError(f"{API} kept answering with more pages of permissions ({PAGES}); try again later.")

    def _page(self, token: str) -> dict[str, Any]:
        parameters: dict[str, Any] = {
            "fileId": self.file_id,
            "fields": FIELDS,
            "pageSize": 100,
            "supportsAllDrives": True,
        }
        if token:
            parameters["pageToken"] = token
        request = self.service.permissions().list(**parameters)
        try:
            answer = execute(
                request,
                api=API,
                doing="list who can open the register",
                retries=self.retries,
                sleep=self.sleep,
            )
        except HttpError as problem:
            message, _ = failure(problem, api=API, doing="list who can open the register", fixes=FIXES)
            if status(problem) == 404 and "notFound" not in message:
                message = message.rstrip(".") + ": " + FIXES["notFound"] + "."
            raise SharingError(message) from None
        except CONNECTION_ERRORS as problem:
            raise SharingError(f"{API} could not be reached ({type(problem).__name__}).") from None
        except TOKEN_ERRORS as problem:
            raise SharingError(str(explain_token_error(problem, self.delegation, API))) from None
        return answer if isinstance(answer, dict) else {}


def _grant(permission: dict[str, Any]) -> Grant:
    return Grant(
        type=str(permission.get("type", "")),
        role=str(permission.get("role", "")),
        email=str(permission.get("emailAddress", "")),
        domain=str(permission.get("domain", "")),
        discoverable=bool(permission.get("allowFileDiscovery", False)),
    )

"""A fake of Google's OAuth 2.0 token endpoint for service accounts, and keys that point at it.

A service account asks https://oauth2.googleapis.com/token for an access token with a signed JWT
whose ``sub`` is the delegated user and whose ``scope`` lists the scopes. Google answers 400 with an
OAuth error code when it will not issue one; google-auth raises RefreshError with that answer:

- ``unauthorized_client`` "Client is unauthorized to retrieve access tokens using this method, or
  client not authorized for any of the scopes requested.": the Workspace admin has not delegated
  these scopes to the client id (github.com/googleapis/google-auth-library-ruby/issues/210,
  googleapis/google-api-php-client/issues/2214, googleapis/google-api-python-client/issues/611).
- ``invalid_grant`` "Invalid email or User ID": the subject is not a user of the domain, e.g. a group
  address (googleapis/google-api-php-client/issues/1207, SCRT-HQ/PSGSuite/issues/267).

The access token issued names its subject, so an API fake can tell a delegated request from the
service account acting as itself (see :func:`subject_of`).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TOKEN_PREFIX = "fake-token."
UNAUTHORIZED = {
    "error": "unauthorized_client",
    "error_description": "Client is unauthorized to retrieve access tokens using this method, or client "
    "not authorized for any of the scopes requested.",
}
INVALID_GRANT = {"error": "invalid_grant", "error_description": "Invalid email or User ID"}
CLIENT_ID = "104729000000000000001"


def subject_of(authorization: str | None) -> str | None:
    """The delegated user an access token from this fake was issued for; '' for none; None if no token."""
    if not authorization or not authorization.startswith("Bearer " + TOKEN_PREFIX):
        return None
    return authorization.removeprefix("Bearer " + TOKEN_PREFIX)


def _claims(assertion: str) -> dict[str, Any]:
    payload = assertion.split(".")[1]
    claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims


@dataclass
class FakeTokenEndpoint:
    """Issues tokens for the users of the domain and the scopes delegated to the client id."""

    users: set[str] = field(default_factory=set)  # user mailboxes; any other subject is not a user
    delegated: set[str] | None = None  # scopes the admin delegated; None: every scope asked for
    grants: list[dict[str, Any]] = field(default_factory=list)  # the claims of every request

    def answer(self, claims: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        subject = claims.get("sub", "")
        scopes = set(str(claims.get("scope", "")).split())
        if subject and self.delegated is not None and not scopes <= self.delegated:
            return 400, UNAUTHORIZED
        if subject and subject not in self.users:
            return 400, INVALID_GRANT
        return 200, {"access_token": TOKEN_PREFIX + subject, "expires_in": 3599, "token_type": "Bearer"}

    def start(self) -> str:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                claims = _claims(form["assertion"][0])
                endpoint.grants.append(claims)
                code, answer = endpoint.answer(claims)
                payload = json.dumps(answer).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True).start()
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}/token"

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()


_KEY: list[bytes] = []


def write_key(path: Path, token_uri: str) -> Path:
    """A service-account JSON key file (a fresh RSA key, made once per test session)."""
    if not _KEY:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        _KEY.append(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "example",
                "private_key_id": "1",
                "private_key": _KEY[0].decode(),
                "client_email": "hsb-sheets@example.iam.gserviceaccount.com",
                "client_id": CLIENT_ID,
                "token_uri": token_uri,
            }
        )
    )
    return path

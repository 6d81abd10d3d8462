"""Building Google API clients from the discovery documents bundled with google-api-python-client.

One place decides the transport (httplib2 with a timeout, authorised by google-auth credentials)
and how an endpoint override replaces https://...googleapis.com/ so tests can point an adapter at a
local fake server.
"""

from __future__ import annotations

from typing import Any

import google_auth_httplib2
import httplib2
from google.api_core.client_options import ClientOptions
from google.auth.credentials import Credentials
from googleapiclient.discovery import build


def build_service(
    api: str,
    version: str,
    credentials: Credentials,
    endpoint: str | None,
    service_path: str,
    timeout: float = 30.0,
) -> Any:
    """A client for one API; ``endpoint`` is the root URL to use instead of Google's."""
    options = ClientOptions(api_endpoint=endpoint.rstrip("/") + "/" + service_path) if endpoint else None
    http = google_auth_httplib2.AuthorizedHttp(credentials, http=httplib2.Http(timeout=timeout))
    return build(
        api, version, http=http, client_options=options, static_discovery=True, cache_discovery=False
    )

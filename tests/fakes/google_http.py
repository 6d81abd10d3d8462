"""A base for local fake Google API servers over real HTTP, checked against discovery documents.

Requests are matched to a method of the discovery document bundled with google-api-python-client;
unknown query parameters, bad enum values and request bodies that do not fit the method's schema
are answered 400 as Google would, so the adapter under test is held to the real API.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import googleapiclient

DOCUMENTS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"
STANDARD_PARAMETERS = {
    "alt",
    "fields",
    "key",
    "oauth_token",
    "prettyPrint",
    "quotaUser",
    "userIp",
    "$.xgafv",
    "access_token",
    "callback",
    "upload_protocol",
    "uploadType",
}
STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    410: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class ApiError(Exception):
    """An error answer in Google's JSON shape."""

    def __init__(self, code: int, message: str, reason: str = "invalid") -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"domain": "global", "reason": self.reason, "message": self.message}],
                "status": STATUS_NAMES.get(self.code, "UNKNOWN"),
            }
        }


@dataclass
class Method:
    """One discovery method and the regex of its path."""

    id: str
    http_method: str
    pattern: re.Pattern[str]
    description: dict[str, Any]


class Discovery:
    """A discovery document: finds the method for a request and validates it."""

    def __init__(self, name: str) -> None:
        self.doc = json.loads((DOCUMENTS / f"{name}.json").read_text())
        self.service_path = "/" + self.doc["servicePath"]
        self.methods: list[Method] = []
        self._collect(self.doc.get("resources", {}))

    def _collect(self, resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for method in resource.get("methods", {}).values():
                template = re.escape(method["path"])
                template = re.sub(r"\\\{(?:\\\+)?(\w+)\\\}", r"(?P<\1>[^/]+)", template)
                self.methods.append(
                    Method(method["id"], method["httpMethod"], re.compile(template + "$"), method)
                )
            self._collect(resource.get("resources", {}))

    def match(self, http_method: str, path: str) -> tuple[Method, dict[str, str]]:
        if not path.startswith(self.service_path):
            raise ApiError(404, f"No such path {path}", "notFound")
        rest = path[len(self.service_path) :]
        for method in self.methods:
            m = method.pattern.match(rest)
            if m and method.http_method == http_method:
                return method, {k: unquote(v) for k, v in m.groupdict().items()}
        raise ApiError(404, f"No method for {http_method} {path}", "notFound")

    def check_query(self, method: Method, query: dict[str, list[str]]) -> None:
        parameters = method.description.get("parameters", {})
        for name, values in query.items():
            if name in STANDARD_PARAMETERS:
                continue
            spec = parameters.get(name)
            if spec is None or spec.get("location") != "query":
                raise ApiError(400, f"Invalid parameter: {name}")
            if "enum" in spec and values[0] not in spec["enum"]:
                raise ApiError(400, f"Invalid value for {name}: {values[0]}")

    def check_body(self, method: Method, body: Any) -> None:
        request = method.description.get("request")
        if request is None:
            if body not in (None, {}):
                raise ApiError(400, f"{method.id} takes no request body")
            return
        if body is None:  # Google accepts a missing body as an empty request object
            return
        self._check({"$ref": request["$ref"]}, body, request["$ref"])

    def _check(self, schema: dict[str, Any], value: Any, where: str) -> None:
        if value is None:  # JSON null leaves a field unset, as Google reads it
            return
        if "$ref" in schema:
            schema = self.doc["schemas"][schema["$ref"]]
        kind = schema.get("type")
        if kind == "object":
            if not isinstance(value, dict):
                raise ApiError(400, f"Invalid JSON payload received. {where} must be an object.")
            properties = schema.get("properties", {})
            extra = schema.get("additionalProperties")
            for key, item in value.items():
                if key in properties:
                    self._check(properties[key], item, f"{where}.{key}")
                elif extra is not None:
                    self._check(extra, item, f"{where}.{key}")
                else:
                    raise ApiError(
                        400, f"Invalid JSON payload received. Unknown name \"{key}\" at '{where}'."
                    )
        elif kind == "array":
            if not isinstance(value, list):
                raise ApiError(400, f"Invalid JSON payload received. {where} must be a list.")
            for index, item in enumerate(value):
                self._check(schema.get("items", {}), item, f"{where}[{index}]")
        elif kind == "string":
            if not isinstance(value, str):
                raise ApiError(400, f"Invalid value at '{where}': a string is required.")
            if schema.get("format") == "date-time":
                try:
                    datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    raise ApiError(400, f"Invalid value at '{where}': not an RFC 3339 time.") from None
            if "enum" in schema and value not in schema["enum"]:
                raise ApiError(400, f"Invalid value at '{where}': {value}.")
        elif kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int | str):
                raise ApiError(400, f"Invalid value at '{where}': an integer is required.")
        elif kind == "boolean" and not isinstance(value, bool):
            raise ApiError(400, f"Invalid value at '{where}': true or false is required.")


class RawJSON:
    """Part of an answer already encoded as JSON text, written into the answer as it is.

    A fake's largest answers (a 50,000-row grid) are mostly rows that did not change since the last
    answer: encoding each row once, not every cell of it for every request, keeps the fake's answer
    as quick as Google's while its JSON stays the same.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def encode_answer(answer: Any) -> bytes:
    """An answer as JSON bytes, with each :class:`RawJSON` part spliced in as its text."""
    raws: list[str] = []
    nonce = secrets.token_hex(8)  # no string in the answer can look like a placeholder

    def placeholder(part: Any) -> str:
        if not isinstance(part, RawJSON):
            raise TypeError(f"Object of type {type(part).__name__} is not JSON serializable")
        raws.append(part.text)
        return f"\x00{nonce}:{len(raws) - 1}\x00"

    text = json.dumps(answer, default=placeholder)
    if not raws:
        return text.encode()
    pattern = re.compile(r'"\\u0000' + nonce + r':(\d+)\\u0000"')
    return pattern.sub(lambda m: raws[int(m[1])], text).encode()


class _Handled(Exception):
    def __init__(self, status: int, answer: Any) -> None:
        self.status, self.answer = status, answer


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    status: int


@dataclass
class FakeGoogleServer:
    """A threaded HTTP server answering one API through ``handle``; records every request."""

    discovery: Discovery
    handle: Callable[[Method, dict[str, str], dict[str, list[str]], Any], tuple[int, Any]]
    requests: list[Recorded] = field(default_factory=list)
    faults: list[int] = field(default_factory=list)  # statuses to answer before handling anything
    lock: threading.RLock = field(default_factory=threading.RLock)
    # Paths outside the discovery document (e.g. Drive, for replaying recorded traffic): return an
    # answer, or None to fall through to the discovery-checked handler.
    extra: Callable[[str, str, dict[str, list[str]], Any], tuple[int, Any] | None] | None = None
    retry_after: str | None = None  # a Retry-After header sent with injected 429/503 answers
    fault_reason: str | None = None  # the reason of injected answers (else backendError or rateLimitExceeded)
    headers: dict[str, str] = field(default_factory=dict)  # the request being handled (under ``lock``)

    def start(self) -> str:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query, keep_blank_values=True)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                body: Any = None
                status: int
                answer: Any
                headers: dict[str, str] = {}
                try:
                    body = json.loads(raw) if raw else None
                    with server.lock:
                        server.headers = {k.lower(): v for k, v in self.headers.items()}
                        if server.faults:
                            fault = server.faults.pop(0)
                            if server.retry_after is not None:
                                headers["Retry-After"] = server.retry_after
                            reason = server.fault_reason or (
                                "backendError" if fault >= 500 else "rateLimitExceeded"
                            )
                            raise ApiError(fault, "Injected failure", reason)
                        handled = (
                            server.extra(self.command, unquote(parts.path), query, body)
                            if server.extra
                            else None
                        )
                        if handled is not None:
                            raise _Handled(*handled)
                        method, params = server.discovery.match(self.command, parts.path)
                        server.discovery.check_query(method, query)
                        server.discovery.check_body(method, body)
                        status, answer = server.handle(method, params, query, body)
                except _Handled as done:
                    status, answer = done.status, done.answer
                except ApiError as problem:
                    status, answer = problem.code, problem.body()
                except json.JSONDecodeError:
                    status, answer = 400, ApiError(400, "Invalid JSON payload received.").body()
                server.requests.append(Recorded(self.command, parts.path, query, body, status))
                payload = b"" if answer is None else encode_answer(answer)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if payload:
                    self.send_header("Content-Type", "application/json; charset=UTF-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self._thread = threading.Thread(target=self._http.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        host, port = self._http.server_address[:2]
        return f"http://{host!s}:{port}/"

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

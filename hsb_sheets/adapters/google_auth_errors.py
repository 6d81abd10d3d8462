"""Token errors from google-auth as one clear message that names the fix.

A service account gets an access token for each API by signing a grant for the delegated user
(domain-wide delegation). Google's token endpoint refuses it with an OAuth error code when the
Workspace admin has not delegated the scopes (``unauthorized_client``) or the delegated user is not
a user mailbox, for example a group (``invalid_grant``); google-auth raises ``RefreshError`` with
the answer. ``TransportError`` (or a plain connection error) means the endpoint could not be
reached at all. Every Google adapter turns these into a :class:`TokenError` with
:func:`explain_token_error`, so no command shows a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from google.auth.exceptions import RefreshError, TransportError

from hsb_sheets.errors import HsbError

TOKEN_ERRORS: tuple[type[Exception], ...] = (RefreshError, TransportError)
DELEGATION_PAGE = (
    "the Google Admin console, Security > Access and data control > API controls > "
    "Manage Domain Wide Delegation"
)
_CODE = re.compile(r"[a-z_]{1,40}")
_DESCRIPTION = re.compile(r"[A-Za-z0-9 .,:;'()_-]{1,160}")  # Google's own wording, never request data


@dataclass(frozen=True)
class Delegation:
    """What the messages name: the key's client id, the delegated user and the scopes asked for."""

    client_id: str = ""
    subject: str = ""
    scopes: tuple[str, ...] = ()


class TokenError(HsbError):
    """Google issued no access token; ``transient`` says whether a later run may succeed unchanged."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.transient = transient


def _answer(problem: Exception) -> Mapping[str, Any]:
    """The token endpoint's JSON answer as google-auth keeps it (RefreshError's second argument)."""
    for argument in problem.args[1:]:
        if isinstance(argument, Mapping):
            return argument
    return {}


def token_error_code(problem: Exception) -> str:
    """The OAuth error code (unauthorized_client, invalid_grant, ...), or ''."""
    code = _answer(problem).get("error")
    if isinstance(code, str) and _CODE.fullmatch(code):
        return code
    text = str(problem.args[0]) if problem.args else ""
    found = _CODE.match(text.split(":", 1)[0].strip())
    return found.group(0) if found and ":" in text else ""


def is_transient_token_error(problem: Exception) -> bool:
    """Whether trying again later may help: the endpoint unreachable or answering 5xx."""
    if isinstance(problem, TransportError):
        return True
    return isinstance(problem, RefreshError) and bool(getattr(problem, "retryable", False))


def _description(problem: Exception) -> str:
    text = _answer(problem).get("error_description")
    return f" ('{text}')" if isinstance(text, str) and _DESCRIPTION.fullmatch(text) else ""


def _scopes(scopes: Sequence[str]) -> str:
    return ", ".join(scopes) if scopes else "the scopes listed in the README's 'Connect to Google'"


def explain_token_error(
    problem: Exception, delegation: Delegation | None = None, api: str = "Google"
) -> TokenError:
    """The HsbError for a google-auth token failure, naming what to change and where."""
    who = delegation or Delegation()
    client = f"client ID {who.client_id}" if who.client_id else "the client_id from the key file"
    subject = who.subject or "(none set)"
    if is_transient_token_error(problem):
        return TokenError(
            f"{api}: Google's token endpoint could not be reached ({type(problem).__name__}); check the "
            "network, proxy and firewall (oauth2.googleapis.com). Nothing was changed; the next run "
            "tries again.",
            transient=True,
        )
    code = token_error_code(problem)
    if code == "unauthorized_client":
        fix = (
            f"the service account is not allowed these scopes for the delegated user. In {DELEGATION_PAGE}, "
            f"add {client} with the scopes {_scopes(who.scopes)} (a change can take a few minutes "
            "to apply)."
        )
    elif code == "invalid_grant":
        fix = (
            f"Google would not act as the delegated user {subject}: it must be an existing user mailbox "
            "in your Workspace domain, not a group, an alias or a suspended account. Set "
            "delegated_user (gmail_mailbox for mail) to such a user. If it is one, the key may have "
            "been deleted, or this machine's clock is wrong."
        )
    elif code in ("invalid_client", "disabled_client"):
        fix = (
            "the service-account key is not valid (deleted, or the service account is disabled): "
            "create a new JSON key in the Cloud console and point key_file at it."
        )
    else:
        fix = (
            f"check that domain-wide delegation is set up: in {DELEGATION_PAGE}, {client} with the "
            f"scopes {_scopes(who.scopes)}, and that delegated_user is a user mailbox."
        )
    shown = code or type(problem).__name__
    return TokenError(
        f"{api}: Google refused an access token ({shown}){_description(problem)}: {fix}", transient=False
    )

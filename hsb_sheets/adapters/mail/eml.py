"""Emails written as ``.eml`` files in an outbox folder, one file per idempotency key.

An outbox setting that names a file (or a folder that cannot be written) stops the run with a
ConfigError naming ``[mail] outbox``: retrying could never succeed, so the emails stay waiting in the
Outbox tab, unsent, until the setting is put right. Other write failures (a full disk) are transient.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

from hsb_sheets.adapters.folders import writable_folder
from hsb_sheets.adapters.mail.base import Email
from hsb_sheets.errors import MailError


class EmlOutbox:
    """Writes each email once: a file already there for the key means it was sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def path_for(self, email: Email) -> Path:
        """Where this email's file lives (named by a hash of the key: keys hold case ids)."""
        digest = hashlib.sha256(email.key.encode("utf-8")).hexdigest()[:20]
        kind = email.key.split("|", 1)[0]
        return self.folder / f"{kind}-{digest}.eml"

    def send(self, email: Email) -> str:
        """Write the message atomically unless it is already there."""
        target = self.path_for(email)
        if target.exists():
            return email.message_id
        writable_folder(self.folder, "[mail] outbox")
        prefix = f".mail-{target.stem}-"
        for leftover in self.folder.glob(f"{prefix}*"):  # a killed earlier attempt at this same email
            with contextlib.suppress(OSError):
                leftover.unlink()
        temporary = ""
        try:
            fd, temporary = tempfile.mkstemp(prefix=prefix, dir=self.folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(email.to_mime().as_bytes())
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(temporary, target)
        except OSError as problem:
            if temporary:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
            raise MailError(
                f"Could not write to the outbox folder {self.folder}: {problem.strerror}.", transient=True
            ) from None
        return email.message_id

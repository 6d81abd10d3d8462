"""Replacing the register on disk safely: atomic, keeping its mode, owner and symlink, leaving no copy.

The new content goes to a temporary file beside the register (named ``.register-<name>-*.xlsx``, so
a person or the next run recognises it), is flushed to disk, takes the register's mode and owner,
and is renamed over the register. A symlinked register is replaced at its target, so the link
stays a link. The temporary file holds personal data: it is removed on any failure, and a run that
was killed before it could remove one leaves it to the next session, which deletes the register's
own temporary files once it holds the register's lock (so no live writer can still be using them).

Excel and LibreOffice ignore the jobs' lock, so a coordinator's save may land between a writer's last
check and its rename. Where the system can swap two files atomically (Linux ``renameat2`` with
``RENAME_EXCHANGE``), a writer may ask to see the file its rename replaced and refuse it: the swap is
then undone, putting the coordinator's file back, and the writer can try again.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TEMPORARY = ".register-*.xlsx"
STALE_SECONDS = 60.0


def target_of(path: Path) -> Path:
    """The file a register path names: the path itself, or a symlink's final target."""
    return Path(os.path.realpath(path))


def replace_file(
    path: Path,
    content: bytes,
    before_rename: Callable[[], None] = lambda: None,
    replaced: Callable[[os.stat_result], None] | None = None,
) -> os.stat_result:
    """Write ``content`` over the register at ``path`` and return the new file's status.

    ``before_rename`` may still refuse (and raise). ``replaced`` is shown the status of the file
    the new one replaced, where files can be swapped atomically; if it raises, that file is put
    back and nothing is changed.
    """
    target = target_of(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(prefix=f".register-{target.stem}-", suffix=".xlsx", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            _copy_ownership(fh.fileno(), target)
            os.fsync(fh.fileno())
            written = os.fstat(fh.fileno())
        before_rename()
        if replaced is not None and exchange(temporary, target):
            try:
                replaced(os.lstat(temporary))  # the temporary name now holds the file that was there
            except BaseException:
                _put_back(temporary, target)
                raise
        else:
            os.replace(temporary, target)
        _sync_folder(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)  # the new content on failure, or the file it replaced
    return written


def _put_back(temporary: str, target: Path) -> None:
    """Undo a swap: the file that was at ``target`` (now at ``temporary``) goes back."""
    try:
        if exchange(temporary, target):
            return
    except OSError:
        pass
    os.replace(temporary, target)


_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@functools.cache
def _renameat2() -> Any:
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):  # not Linux, or a C library without it
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    function.restype = ctypes.c_int
    return function


def exchange(first: str | Path, second: str | Path) -> bool:
    """Swap two files atomically; False (nothing done) where the system or file system cannot."""
    function = _renameat2()
    if function is None:
        return False
    if function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOENT):
        return False  # a kernel or file system without exchange, or no file there yet
    raise OSError(code, os.strerror(code))


def _copy_ownership(fd: int, target: Path) -> None:
    """Give the new file the register's mode and owner (a new register: the usual mode under umask,
    but never readable by every user of the machine: it holds children's personal data)."""
    try:
        status = os.stat(target)
    except FileNotFoundError:
        os.fchmod(fd, 0o660 & ~_umask())
        return
    os.fchmod(fd, stat.S_IMODE(status.st_mode))
    if (status.st_uid, status.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.fchown(fd, status.st_uid, status.st_gid)
    except PermissionError:  # only root may give a file away; keep at least the group if we are in it
        with contextlib.suppress(PermissionError):
            os.fchown(fd, -1, status.st_gid)


def _umask() -> int:
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable (where the platform allows opening a folder)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temporaries(path: Path, older_than: float = STALE_SECONDS) -> list[str]:
    """Delete temporary copies left beside the register by a killed run; return their names.

    Call only while holding the register's lock. This register's own copies go at once: every
    writer of it holds that lock, so none can still be in use. Another register's copies in the
    same folder are left alone until they are ``older_than`` seconds old.
    """
    removed = []
    now = time.time()
    target = target_of(path)
    own = re.compile(rf"\.register-{re.escape(target.stem)}-[A-Za-z0-9_]{{8}}\.xlsx")
    with contextlib.suppress(OSError):
        for candidate in target.parent.glob(TEMPORARY):
            with contextlib.suppress(OSError):
                status = candidate.lstat()
                old_enough = own.fullmatch(candidate.name) or now - status.st_mtime > older_than
                if stat.S_ISREG(status.st_mode) and old_enough:
                    candidate.unlink()
                    removed.append(candidate.name)
    return removed

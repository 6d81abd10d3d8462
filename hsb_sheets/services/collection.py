"""Python's cyclic garbage collector held off while a run builds its large tables.

A run reads every referral: on Google that is one answer of several million small objects (a cell is
a JSON object), and each job then builds a row mapping per referral. CPython starts a collection
each time allocations outnumber deallocations by a threshold (700 by default), and a full one scans
every object alive, so building one large structure is slowed by repeated scans of itself: at 50,000
referrals a run spent about a third of its time collecting (``benchmarks/sheets_calls.py``). A ``run``
and each of the worker's turns hold it (``run_jobs``, ``scheduler.Turns``). Almost nothing a run
builds forms a cycle, so reference counting frees it as ever; collection resumes as
the outermost run ends, and its next pass takes whatever cycles the run left. Mercurial does the same
while it builds large containers (``util.nogc``, mercurial/util.py: "disable garbage collector
[...] while building complex (huge) containers").
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextlib.contextmanager
def collection_held() -> Iterator[None]:
    """Hold off cyclic garbage collection until the outermost of any overlapping holds ends.

    Overlapping holds (a worker thread's run beside another's) count: collection resumes, if it was
    on when the first began, only when the last ends.
    """
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            resume = _depth == 0 and _was_enabled
            if resume:
                gc.enable()

"""A hang guard for the tests of super-linear inputs (not a timing: the guard is thousands of
times what the work costs, so it only fails when the cost is effectively unbounded).

The call runs in a forked child, so a regular expression stuck in C code, which no signal or
thread can interrupt, is killed instead of freezing the suite.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

HANG_SECONDS = 10.0


def returns(fn: Callable[[], object], seconds: float = HANG_SECONDS) -> bool:
    """Whether fn() returns (or raises) within `seconds`; a child still busy then is killed."""
    child = multiprocessing.get_context("fork").Process(target=fn, daemon=True)
    child.start()
    child.join(seconds)
    if child.is_alive():
        child.kill()
        child.join()
        return False
    return True

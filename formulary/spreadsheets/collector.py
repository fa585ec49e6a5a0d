"""The cyclic garbage collector paused while a large sheet's rows are built and checked."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for the block, and resume it after if it was running.

    Tens of thousands of new rows, lines and changes would make it rescan all of them again
    and again (a third of a large import's time); none of them holds a reference cycle.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

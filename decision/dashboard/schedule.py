"""When the dashboard updates: at once, or folded on the kernel's asyncio loop.

:class:`Throttle` runs a callback for a change after a quiet spell at once (leading edge); changes arriving within
``wait`` seconds of the last run are folded into one run at the end of that window (trailing edge), so a held arrow
key or a burst of widget messages costs one update per window and the final state is always drawn. Without a
running loop (plain Python, tests) or with ``wait`` 0, every change runs at once.
"""
from __future__ import annotations

import asyncio
import time


def running_loop():
    """The running asyncio loop (a Jupyter kernel's), or None."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Throttle:
    """Leading- and trailing-edge throttle of ``callback`` (see the module docstring)."""

    def __init__(self, callback, wait: float):
        self.callback, self.wait = callback, float(wait)
        self.pending = None
        self.last = -1e9

    def __call__(self) -> None:
        """A change: run now, or once at the end of the current window."""
        loop = running_loop()
        if loop is None or self.wait <= 0:
            self.callback()
            return
        if self.pending is not None:                         # folded into the run already scheduled
            return
        delay = self.last + self.wait - time.monotonic()
        self.pending = loop.call_soon(self._run) if delay <= 0 else loop.call_later(delay, self._run)

    def ran(self) -> None:
        """The callback has just run (from here or directly): cancel a scheduled run, start a new window."""
        self.cancel()
        self.last = time.monotonic()

    def cancel(self) -> None:
        if self.pending is not None:
            self.pending.cancel()
        self.pending = None

    def _run(self) -> None:
        self.pending = None
        self.callback()


__all__ = ["Throttle", "running_loop"]

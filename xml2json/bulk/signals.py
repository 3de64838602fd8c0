"""Stopping a bulk run on a signal: SIGTERM and SIGHUP become an :class:`Interrupted` exception
(a :class:`KeyboardInterrupt`, as SIGINT is), so that the run stops its workers, removes their
temporary files and leaves a manifest that a resumed run continues — instead of the process dying
at once and leaving its workers running."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals :func:`stop_on_signals` turns into :class:`Interrupted` (SIGINT already is one).
SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; ``signum`` is its number (exit code 128 + signum)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextmanager
def stop_on_signals(signums: tuple[int, ...] = SIGNALS) -> Iterator[None]:
    """While active, the first of *signums* raises :class:`Interrupted` in the main thread; later
    ones are ignored, so that stopping the workers is not itself interrupted. Outside the main
    thread (where Python cannot handle signals) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        if fired:
            return
        fired.append(signum)
        raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)

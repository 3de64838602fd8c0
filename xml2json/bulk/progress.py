"""Progress display: a tqdm bar on a terminal, plain periodic lines otherwise, or nothing."""

from __future__ import annotations

import importlib
import io
import os
import sys
import time
from typing import IO, Any

#: Seconds between two plain progress lines when stderr is not a terminal.
LOG_EVERY = 30.0
#: Seconds between two redraws of the bar, at least (tqdm's ``mininterval``).
REDRAW_EVERY = 0.25
#: The bar's width when the stream has no size (not a terminal, or a terminal of 0 columns as
#: under ``script``).
FALLBACK_COLUMNS = 100
MODES = ("auto", "bar", "log", "none")


def _columns(stream: IO[str]) -> int:
    """The width of the terminal *stream* is on; 0 when it is not one or has no size."""
    try:
        return os.get_terminal_size(stream.fileno()).columns
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return 0


def _rate(n: float, seconds: float) -> float:
    return n / seconds if seconds > 0 else 0.0


class Progress:
    """Documents done out of the total, records, records/s and MB/s of XML read."""

    def __init__(self, mode: str, *, total_docs: int, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stderr
        if mode == "auto":
            mode = "bar" if self.stream.isatty() else "log"
        self.mode = mode
        self.total = total_docs
        self.docs = self.records = self.bytes = 0
        self.start = time.monotonic()
        self._last_log = self._drawn = self.start
        self._bar: Any = None
        if mode == "bar":
            try:
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:  # pragma: no cover - tqdm is a dependency
                self.mode = "log"
            else:
                sized = _columns(self.stream) > 0
                self._bar = tqdm(
                    total=total_docs,
                    unit="doc",
                    file=self.stream,
                    dynamic_ncols=sized,
                    ncols=None if sized else FALLBACK_COLUMNS,
                    mininterval=REDRAW_EVERY,
                    miniters=1,
                    smoothing=0.1,
                    desc="bulk",
                )

    def _postfix(self) -> str:
        dt = time.monotonic() - self.start
        return f"{self.records:,} records, {_rate(self.records, dt):,.0f} rec/s, {_rate(self.bytes, dt) / 1e6:.1f} MB/s"

    def update(self, docs: int = 0, records: int = 0, nbytes: int = 0) -> None:
        self.docs += docs
        self.records += records
        self.bytes += nbytes
        if self._bar is not None:  # redrawn at most every REDRAW_EVERY seconds
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            drawn = self._bar.last_print_n
            if docs:
                self._bar.update(docs)  # tqdm redraws when mininterval has passed
            now = time.monotonic()
            if self._bar.last_print_n != drawn:
                self._drawn = now
            elif now - self._drawn >= REDRAW_EVERY:  # records and bytes move within one large file
                self._drawn = now
                self._bar.refresh()
        elif self.mode == "log":
            now = time.monotonic()
            if now - self._last_log >= LOG_EVERY:
                self._last_log = now
                print(f"bulk: {self.docs:,}/{self.total:,} documents, {self._postfix()}", file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(self._postfix(), refresh=False)
            self._bar.close()
            self._bar = None

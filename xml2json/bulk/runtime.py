"""What every task runner of a bulk run shares, in whichever process it runs: the run's settings
(:class:`RunConfig`), a task's result (:class:`TaskResult`), progress counting (:class:`Reporter`),
this process's converter (:func:`converter_for`, plans loaded once per process) and the issues of a
failure (:func:`issues_of`). The XML → JSON runner is :mod:`.worker`, the JSON → XML one
:mod:`.reverse`; both import this module, neither imports the other's runner.
"""

from __future__ import annotations

import gc
import os
import threading
import time
import traceback
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import Converter
from ..config import Options
from ..errors import Issue, OutputError, SchemaError, Xml2JsonError
from .inputs import Task
from .quality import QualityCounter

#: The hidden folder inside the output folder for the run's own bookkeeping.
STATE_DIR = ".xml2json"
#: Where the chunks of a split file keep their parts until they are joined (:mod:`.chunks`).
CHUNK_DIR = "chunks"
#: Seconds between two progress messages from a worker.
PROGRESS_EVERY = 0.5


@dataclass(frozen=True, slots=True)
class RunConfig:
    """What every task of one run needs to know (small and picklable)."""

    out_dir: str  # absolute
    records: bool = False
    pretty: bool = False
    options: Options = field(default_factory=Options)
    durable: bool = False  # fsync every output before renaming it into place (see docs/bulk.md)
    validate: tuple[str, ...] = ()  # "json", "xsd": the data-quality checks (docs/bulk.md)
    strict_valid: bool = False  # a unit with validation issues is a reject
    check_roundtrip: bool = False
    to_xml: bool = False  # JSON → XML (:mod:`.reverse`)
    #: The ``XML2JSON_*`` environment variables of the process that started the run (where the
    #: XSDs, the cache of compiled versions are): a local pool worker comes from a fork server
    #: that kept the environment of the first run in this process, so it takes these instead
    #: (:func:`apply_environment`).
    environment: tuple[tuple[str, str], ...] = ()

    @property
    def checks(self) -> bool:
        """Whether units are checked (and quality.json written)."""
        return bool(self.validate) or self.check_roundtrip


#: The prefix of the environment variables a run passes on to its local workers.
ENV_PREFIX = "XML2JSON_"


def run_environment() -> tuple[tuple[str, str], ...]:
    """This process's ``XML2JSON_*`` environment variables, for :attr:`RunConfig.environment`."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX)))


def apply_environment(cfg: RunConfig) -> None:
    """In a local pool worker: the run's ``XML2JSON_*`` variables replace this process's own."""
    wanted = dict(cfg.environment)
    for k in [k for k in os.environ if k.startswith(ENV_PREFIX) and k not in wanted]:
        del os.environ[k]
    os.environ.update(wanted)


@dataclass(slots=True)
class TaskResult:
    index: int
    key: str
    outputs: list[tuple[str, int]] = field(default_factory=list)  # (path relative to out_dir, bytes)
    docs: int = 0
    records: int = 0
    rejects: int = 0
    reject_codes: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    bytes: int = 0
    schema_missing: bool = False
    fallback: str | None = None  # a chunk that could not be converted on its own: why (:mod:`.chunks`)
    notices: list[str] = field(default_factory=list)  # how the run treated this input (not split, …)
    quality: QualityCounter | None = None  # what the data-quality checks found (:mod:`.quality`)

    def manifest_entry(self, task: Task) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "key": self.key,
            "source": task.source,
            "identity": list(task.identity) if task.identity else None,
            "outputs": [list(o) for o in self.outputs],
            "docs": self.docs,
            "records": self.records,
            "rejects": self.rejects,
            "rejectCodes": dict(sorted(self.reject_codes.items())),
            "warnings": dict(sorted(self.warnings.items())),
            "bytes": self.bytes,
            "schemaMissing": self.schema_missing,
        }
        if self.notices:
            entry["notices"] = list(self.notices)
        if self.quality is not None:  # kept here so that a resumed run still reports this task
            entry["quality"] = self.quality.to_dict()
        return entry


def rejects_path(out_dir: Path, key: str) -> Path:
    return out_dir / STATE_DIR / "rejects" / (key + ".jsonl")


# -- writing -----------------------------------------------------------------------------------


# Outputs are written with :class:`xml2json.io.AtomicFile` / :func:`~xml2json.io.atomic_write`,
# whose failures are already :class:`~xml2json.errors.OutputError` naming the path (never a
# reject: they stop the run).


# -- progress ----------------------------------------------------------------------------------


class Reporter:
    """Counts what a task has done and passes it on at most every :data:`PROGRESS_EVERY` seconds."""

    def __init__(self, sink: Callable[[tuple[int, int, int]], None] | None) -> None:
        self.sink = sink
        self.docs = self.records = self.bytes = 0
        self._next = time.monotonic() + PROGRESS_EVERY

    def read(self, n: int) -> None:
        self.bytes += n

    def tick(self) -> None:
        if self.sink is not None and time.monotonic() >= self._next:
            self.flush()

    def flush(self) -> None:
        if self.sink is not None and (self.docs or self.records or self.bytes):
            self.sink((self.docs, self.records, self.bytes))
        self.docs = self.records = self.bytes = 0
        self._next = time.monotonic() + PROGRESS_EVERY


# -- per-process state -------------------------------------------------------------------------

_LOCK = threading.Lock()
_CONVERTERS: dict[RunConfig, Converter] = {}


#: Set in processes the bulk engine owns (pool workers; the command line while it runs, see
#: :func:`frozen_plans`): once a plan is loaded, everything alive is moved out of the cyclic
#: garbage collector's sight (``gc.freeze``). The plan is hundreds of thousands of long-lived
#: objects that every full collection would otherwise traverse again while records are
#: converted (about 6 % of a run, docs/performance.md). Never set for a library caller's
#: process: freezing is process-wide.
FREEZE_AFTER_LOAD = False


def freeze_after_load() -> None:
    """In a process the bulk engine owns for good (a pool worker): :data:`FREEZE_AFTER_LOAD` from
    now on."""
    global FREEZE_AFTER_LOAD
    FREEZE_AFTER_LOAD = True


@contextmanager
def frozen_plans() -> Iterator[None]:
    """For the command line: plans loaded in this process while the block runs are frozen
    (:data:`FREEZE_AFTER_LOAD`); afterwards the collector sees everything again, unless
    something else had frozen objects before (the command may run inside another program, or
    a test)."""
    global FREEZE_AFTER_LOAD
    before = gc.get_freeze_count()
    FREEZE_AFTER_LOAD = True
    try:
        yield
    finally:
        FREEZE_AFTER_LOAD = False
        if not before and gc.get_freeze_count():
            gc.unfreeze()


def converter_for(cfg: RunConfig) -> Converter:
    """This process's converter for *cfg*; the compiled plan is loaded the first time."""
    with _LOCK:
        conv = _CONVERTERS.get(cfg)
        if conv is None:
            conv = Converter(options=cfg.options)
            reg = conv.registry
            reg.plan(cfg.options.st96_version or reg.newest())  # load the plan now, once
            _CONVERTERS[cfg] = conv
            if FREEZE_AFTER_LOAD:
                gc.freeze()
        return conv


def issues_of(exc: BaseException) -> tuple[tuple[Issue, ...], bool]:
    """Issues for any failure while converting a document, and whether it was a schema problem.
    An output that cannot be written is not the document's fault: it is raised again."""
    if isinstance(exc, OutputError):
        raise exc
    if isinstance(exc, Xml2JsonError):
        return exc.issues, isinstance(exc, SchemaError)
    if isinstance(exc, (zipfile.BadZipFile, zlib.error, EOFError)) or type(exc).__name__ == "BadGzipFile":
        return (Issue("bad-compression", f"the compressed data is damaged: {exc}"),), False
    if isinstance(exc, OSError):
        return (Issue("io", f"cannot read: {exc.strerror or exc}"),), False
    if isinstance(exc, MemoryError):
        return (Issue("out-of-memory", "ran out of memory converting this input"),), False
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    loc = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
    return (Issue("internal-error", f"{type(exc).__name__}: {exc}{loc} (please report this)"),), False

"""Running one task: the code every engine runs, in whichever process it runs.

A worker process (a local pool process or a Dask worker) keeps one
:class:`~xml2json.Converter` per :class:`RunConfig`, so compiled plans load once
per process. A task writes its outputs itself, each to a temporary file in the
destination folder that is renamed into place when complete (:class:`xml2json.io.AtomicFile`), and reports a
small :class:`TaskResult` back; nothing large travels between processes.
"""

from __future__ import annotations

import os
import queue
import signal
import sys
import threading
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, cast

from ..api import Converter
from ..errors import ConfigError, InputError, Issue, OutputError
from ..io import AtomicFile, atomic_write, dumps_json
from ..safe import parse_document
from .checks import VALIDATIONS, RecordChecker, checker_for, warning_findings
from .documents import DocumentSplitter, Piece, split_documents
from .inputs import Chunk, Task, open_file, open_member
from .quality import QualityCounter
from .records import Record, in_document, reject_line, renumber, stream_document, stream_piece
from .runtime import (
    CHUNK_DIR,
    STATE_DIR,
    Reporter,
    RunConfig,
    TaskResult,
    apply_environment,
    converter_for,
    freeze_after_load,
    rejects_path,
)
from .runtime import issues_of as _issues_of

_PROGRESS: Any = None  # a multiprocessing queue in pool workers


def task_checker(cfg: RunConfig, res: TaskResult) -> RecordChecker | None:
    """This process's checker for *cfg* (None when nothing is checked); gives *res* its quality
    counter."""
    if not cfg.checks:
        return None
    res.quality = QualityCounter(strict=cfg.strict_valid)
    return checker_for(converter_for(cfg), cfg.validate, cfg.check_roundtrip)


#: True in a local pool worker once it has started (set by :func:`init_pool_worker`).
IN_WORKER = False
#: The file a worker leaves in the output folder's state folder when a run was started in it.
IN_WORKER_MARK = "bulk-in-worker"


#: The exit code of a worker that ended because the run's main process was gone.
ORPHAN_EXIT = 75


def watch_parent() -> bool:
    """In a local pool worker: a daemon thread waits for the run's main process to end (EOF on
    the pipe multiprocessing keeps open from it, :func:`multiprocessing.parent_process`; with
    ``forkserver`` the process that forked this one is the server, so ``PR_SET_PDEATHSIG`` would not
    do). It then removes this process's temporary files, keeps every output from being renamed
    into place (:class:`xml2json.io.TempGuard`) and ends the process, also when the converting
    thread is inside one long record. Once the workers are gone, the server and the resource
    tracker see their pipes closed and end too. Returns whether the watch runs."""
    import multiprocessing

    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:
        return False
    from multiprocessing.connection import wait

    from .. import io as xio

    guard = xio.TEMP_GUARD = xio.TempGuard()

    def watch() -> None:
        wait([sentinel])
        guard.close()  # holds the lock for good: no rename after this point
        os._exit(ORPHAN_EXIT)

    threading.Thread(target=watch, name="xml2json-parent-watch", daemon=True).start()
    return True


def init_pool_worker(cfg: RunConfig, progress: Any) -> None:
    """Initializer of local pool processes: Ctrl-C is the parent's business; end when the run's
    main process is gone (:func:`watch_parent`); load the plan once."""
    global _PROGRESS, IN_WORKER
    IN_WORKER = True
    apply_environment(cfg)  # the fork server may hold the environment of an earlier run
    freeze_after_load()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch_parent()
    _PROGRESS = progress
    converter_for(cfg)


def starting_worker() -> bool:
    """True inside a worker process: one that is still starting (it imports the main module of
    the program again, as every ``spawn`` and ``forkserver`` child does) or a pool worker.
    A child that multiprocessing starts has imported it before the main module; a process that
    has not imported it is no such child (and is spared the import: a sixth of a small run's
    start-up)."""
    if IN_WORKER:
        return True
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return False
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def in_worker_error() -> ConfigError:
    return ConfigError(
        "a bulk run was started inside a worker process of a bulk run: every worker imports the "
        "program's main module again, and that module starts a run when it is imported; start it "
        'under `if __name__ == "__main__":`',
        code="bulk-in-worker",
    )


def refuse_in_worker(out_dir: str | os.PathLike[str]) -> None:
    """Raise ``bulk-in-worker`` inside a worker, and leave a mark in *out_dir* for the parent run
    (which then reports the same error instead of workers that crash)."""
    if not starting_worker():
        return
    with suppress(OSError):
        mark = Path(out_dir).resolve() / STATE_DIR / IN_WORKER_MARK
        if mark.parent.is_dir():
            mark.touch()
    raise in_worker_error()


def _queue_sink(q: Any) -> Callable[[tuple[int, int, int]], None]:
    def put(item: tuple[int, int, int]) -> None:
        with suppress(queue.Full, OSError, ValueError):
            q.put_nowait(item)

    return put


def run_pool_task(task: Task, cfg: RunConfig) -> TaskResult:
    """Entry point in a local pool worker."""
    return run_task(task, cfg, progress=_queue_sink(_PROGRESS) if _PROGRESS is not None else None)


def run_dask_task(task: Task, cfg: RunConfig) -> TaskResult:
    """Entry point on a Dask worker (the converter is cached in the worker process)."""
    return run_task(task, cfg)


# -- the task itself ---------------------------------------------------------------------------


@contextmanager
def _documents(
    task: Task, cfg: RunConfig, on_read: Callable[[int], None]
) -> Iterator[Iterator[tuple[str, str, Callable[[], Any]]]]:
    """(source, output path without extension, opener) for each document of *task*."""
    limits = cfg.options.limits
    if task.kind == "zip":
        try:
            zf = zipfile.ZipFile(task.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise InputError(f"cannot open the zip: {exc}", code="malformed-zip") from None
        with zf:
            infos = {i.header_offset: i for i in zf.infolist()}
            yield (
                (m.source, m.out, (lambda m=m: open_member(zf, m, limits, infos, on_read)))  # type: ignore[misc]
                for m in task.members
            )
    else:
        yield iter([(task.source, task.key, lambda: open_file(task.path, limits, on_read))])


def run_task(
    task: Task, cfg: RunConfig, *, progress: Callable[[tuple[int, int, int]], None] | None = None
) -> TaskResult:
    """Convert every document of *task*, write its outputs and rejects atomically, and count."""
    if task.chunk is not None:
        return run_chunk(task, cfg, progress)
    if cfg.to_xml:
        from .reverse import run_reverse_task

        return run_reverse_task(task, cfg, progress=progress)
    conv = converter_for(cfg)
    out_dir = Path(cfg.out_dir)
    res = TaskResult(task.index, task.key)
    checker = task_checker(cfg, res)
    warnings: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    rep = Reporter(progress)
    meter_bytes = [0]

    def on_read(n: int) -> None:
        meter_bytes[0] += n
        rep.read(n)

    rejects = AtomicFile(rejects_path(out_dir, task.key), durable=cfg.durable)
    part = AtomicFile(out_dir / (task.key + ".jsonl"), durable=cfg.durable) if cfg.records else None

    def reject(line: dict[str, Any]) -> None:
        rejects.write(dumps_json(line) + b"\n")
        res.rejects += 1
        codes[line["code"]] += 1

    try:
        try:
            with _documents(task, cfg, on_read) as docs:
                for source, out_rel, opener in docs:
                    if part is not None:
                        res.docs += _records_of(source, opener, conv, part, res, warnings, reject, rep, checker)
                    else:
                        res.docs += _document_of(source, out_rel, opener, conv, cfg, res, warnings, reject)
                    rep.docs += 1  # progress counts inputs (its total is known before reading)
                    rep.tick()
        except Exception as exc:  # the task's container itself (a zip that cannot be opened)
            issues, schema = _issues_of(exc)
            res.schema_missing |= schema
            reject(reject_line(task.source, None, issues))
        if part is not None:
            size = part.commit()
            if size is not None:
                res.outputs.append((task.key + ".jsonl", size))
        rejects.commit()
    except BaseException:
        if part is not None:
            part.abort()
        rejects.abort()
        raise
    rep.flush()
    res.bytes = meter_bytes[0]
    res.warnings = dict(warnings)
    res.reject_codes = dict(codes)
    return res


def _records_of(
    source: str,
    opener: Callable[[], Any],
    conv: Converter,
    part: AtomicFile,
    res: TaskResult,
    warnings: Counter[str],
    reject: Callable[[dict[str, Any]], None],
    rep: Reporter,
    checker: RecordChecker | None = None,
) -> int:
    """The records of every document of one input (a file may hold several one after another,
    :mod:`.documents`), each document converted or rejected on its own; ``index`` counts over the
    whole input. Returns the number of documents found."""
    count = 0
    try:
        with opener() as stream:
            pieces = split_documents(stream, limit=conv.options.limits.max_document_bytes)
            base, failed = 0, False
            while True:
                try:
                    piece = next(pieces)
                except StopIteration:
                    break
                except Exception:
                    if failed:  # the stream itself broke while the failed document was skipped
                        break
                    raise
                count += 1
                started = Started()
                recs = stream_piece(piece, source, conv, rest=True, on_start=started, checker=checker)
                base, failed = _document_records(
                    source, renumber(recs, base), base, part, res, warnings, reject, rep, piece=piece, started=started
                )
                if failed:  # the reject holds index `base`: the next document numbers on after it
                    base += 1
    except Exception as exc:
        issues, schema = _issues_of(exc)
        res.schema_missing |= schema
        reject(reject_line(source, None, issues))
    return max(count, 1)


class Started:
    """The document type and version of a document once its root is read (``on_start`` of
    :func:`.records.stream_document`): a failure before its first record can name them."""

    __slots__ = ("document", "version")

    def __init__(self) -> None:
        self.document: str | None = None
        self.version: str | None = None

    def __call__(self, document: str, version: str) -> None:
        self.document, self.version = document, version


def _document_records(
    source: str,
    records: Iterator[Record],
    index: int,
    part: AtomicFile,
    res: TaskResult,
    warnings: Counter[str],
    reject: Callable[[dict[str, Any]], None],
    rep: Reporter,
    *,
    piece: Piece | None = None,
    started: Started | None = None,
    catch: bool = True,
) -> tuple[int, bool]:
    """Write the records of one document (its lines, and its rejects); returns the next record
    index and whether the document could not be read to its end (then rejected from that point,
    with ``index`` the first record not converted — so lines and rejects together number 0, 1,
    2, … — or raised when not *catch*: a chunk falls back to the serial path instead,
    :mod:`.chunks`)."""
    first_index = index
    document = started.document if started is not None else None
    version = started.version if started is not None else None
    try:
        for rec in records:
            document, version = rec.document, rec.st96_version
            for w in rec.warnings:
                warnings[w.code] += 1
            if rec.index is not None:
                index = rec.index + 1
            if rec.ok and res.quality is not None and rec.record is not None:
                if res.quality.rejects(rec.issues):  # strict: a record with validation issues
                    # checked and failed: counted in the report (and as rejected as invalid)
                    res.quality.add(rec.issues, rec.data, rec.source, rec.index, rejected=True)
                    invalid = [f for f in rec.issues if f.check in VALIDATIONS]
                    out = replace(rec, errors=tuple(f.issue for f in invalid)).reject()
                    out["issues"] = [f.to_dict() for f in invalid]
                    reject(out)
                    rep.tick()
                    continue
                res.quality.add(rec.issues, rec.data, rec.source, rec.index)
            if rec.ok:
                part.write(dumps_json(rec.envelope(), newline=True))
                if rec.record is not None:
                    res.records += 1
                    rep.records += 1
            else:
                reject(rec.reject())
            rep.tick()
    except Exception as exc:
        if not catch:
            raise
        issues, schema = _issues_of(exc)
        res.schema_missing |= schema
        if res.quality is not None:  # the records after the break are not checked: said in the report
            res.quality.documents_cut += 1
        done = index - first_index
        if document is None and started is not None:
            document, version = started.document, started.version  # the root was read after all
        issues = in_document(issues, piece)
        if done and issues:
            first = issues[0]
            said = first.message + (
                f"; the {done} record(s) before this point were processed (their lines and rejects "
                "are written), the rest of the document could not be read"
            )
            issues = (replace(first, message=said), *issues[1:])
        line = piece.line if piece is not None and piece.number > 1 else None
        reject(reject_line(source, index, issues, line=line, document=document, version=version))
        return index, True
    return index, False


def _document_of(
    source: str,
    out_rel: str,
    opener: Callable[[], Any],
    conv: Converter,
    cfg: RunConfig,
    res: TaskResult,
    warnings: Counter[str],
    reject: Callable[[dict[str, Any]], None],
) -> int:
    """Convert the (first) document of one input to its JSON file; returns the number of
    documents found (each further one is a reject)."""
    out = Path(cfg.out_dir) / (out_rel + ".json")
    count = 1
    try:
        with opener() as stream:
            pieces = split_documents(stream, limit=cfg.options.limits.max_document_bytes)
            root = parse_document(cast(IO[bytes], next(pieces)), cfg.options.limits)
            for piece in pieces:
                count += 1  # one output file holds one document: the others are rejected
                reject(
                    reject_line(
                        source,
                        None,
                        [
                            Issue(
                                "several-documents",
                                f"document {piece.number} of the input (from line {piece.line}) is not converted: "
                                "without records mode each input is one document, one JSON file; convert a file "
                                "of concatenated documents with records (--records)",
                                line=piece.line,
                            )
                        ],
                        line=piece.line,
                    )
                )
        result = conv.convert_element(root)
    except Exception as exc:
        issues, schema = _issues_of(exc)
        res.schema_missing |= schema
        reject(reject_line(source, None, issues))
        out.unlink(missing_ok=True)  # a stale output of an earlier run must not survive a failure
        return count
    q = res.quality
    if q is not None:
        checker = checker_for(conv, cfg.validate, cfg.check_roundtrip)
        assert checker is not None
        plan = conv.registry.plan(result.version)
        doc = plan.document(result.document)
        found = warning_findings(result.warnings, 0)
        found += checker.check(root, result.data, plan, doc.name, doc.type, type_key=None, json_name=doc.json_root)
        if q.rejects(found):  # strict: the document goes to the rejects instead
            for w in result.warnings:  # its conversion warnings still count (as in records mode)
                warnings[w.code] += 1
            q.add(found, result.data, source, None, rejected=True)  # checked and failed: in the report
            invalid = [f for f in found if f.check in VALIDATIONS]
            line = reject_line(
                source, None, [f.issue for f in invalid], document=result.document, version=result.version
            )
            line["issues"] = [f.to_dict() for f in invalid]
            reject(line)
            out.unlink(missing_ok=True)
            return count
        q.add(found, result.data, source, None)
    for w in result.warnings:
        warnings[w.code] += 1
    size = atomic_write(out, dumps_json(result.data, pretty=cfg.pretty) + b"\n", durable=cfg.durable)
    res.outputs.append((out_rel + ".json", size))
    return count


class NotSplittable(Exception):
    """A chunk that is not a clean sequence of records: the document is converted serially."""


def chunk_dir(out_dir: Path, key: str) -> Path:
    return out_dir / STATE_DIR / CHUNK_DIR / key


# -- a chunk, in a worker --------------------------------------------------------------------------


class ChunkStream:
    """Head bytes, newlines, the stand-in, the chunk's bytes, end tags: what the worker parses."""

    def __init__(self, fh: Any, chunk: Chunk, on_read: Callable[[int], None]) -> None:
        self._fh = fh
        self._parts: list[tuple[str, Any]] = [("file", (0, chunk.head))]
        if chunk.pad:
            self._parts.append(("pad", chunk.pad))
        if chunk.previous:
            self._parts.append(("bytes", chunk.previous))
        self._parts.append(("file", (chunk.start, chunk.end)))
        if chunk.closers:
            self._parts.append(("bytes", chunk.closers))
        self._on_read = on_read
        self._cur: tuple[str, Any] | None = None
        self._left = 0

    def read(self, n: int = -1, /) -> bytes:
        if n is None or n < 0:
            n = 1 << 20
        while True:
            if self._cur is None:
                if not self._parts:
                    return b""
                kind, arg = self._cur = self._parts.pop(0)
                if kind == "file":
                    start, end = arg
                    self._fh.seek(start)
                    self._left = -1 if end < 0 else end - start
                elif kind == "pad":
                    self._left = arg
                else:
                    self._left = len(arg)
            kind, arg = self._cur
            if self._left == 0:
                self._cur = None
                continue
            k = n if self._left < 0 else min(n, self._left)
            if kind == "file":
                data = self._fh.read(k)
                if not data:
                    self._cur = None
                    continue
                self._on_read(len(data))
            elif kind == "pad":
                data = b"\n" * k
            else:
                data = arg[len(arg) - self._left : len(arg) - self._left + k]
            if self._left > 0:
                self._left -= len(data)
            return data


def _clean_end(chunk: Chunk) -> Callable[[Any], None]:
    """Checks, once the records are out, that the chunk added nothing to the document but records:
    the ancestors of the container hold as many children as before the first record (no second
    bag, no comment or other element), and so does the container (its records all removed)."""

    def check(root: Any) -> None:
        node = root
        for level, size in enumerate(chunk.sizes):
            if node is None or node.tag != chunk.container[level]:
                raise NotSplittable("the chunk did not end inside the records' container")
            if len(node) != size:
                raise NotSplittable("content that is not a record between records")
            node = node[-1] if len(node) and level + 1 < len(chunk.sizes) else None

    return check


def run_chunk(task: Task, cfg: RunConfig, progress: Callable[[tuple[int, int, int]], None] | None = None) -> TaskResult:
    """Convert one chunk into its part files; a chunk that is not a clean sequence of records
    returns a result with ``fallback`` set and writes nothing."""
    chunk = task.chunk
    assert chunk is not None
    conv = converter_for(cfg)
    folder = chunk_dir(Path(cfg.out_dir), task.key)
    res = TaskResult(task.index, task.key)
    checker = task_checker(cfg, res)
    warnings: Counter[str] = Counter()
    codes: Counter[str] = Counter()
    rep = Reporter(progress)
    nbytes = [0]

    def on_read(n: int) -> None:
        nbytes[0] += n
        rep.read(n)

    part = AtomicFile(folder / f"{chunk.number:05d}.jsonl")
    rejects = AtomicFile(folder / f"{chunk.number:05d}.rejects.jsonl")

    def reject(line: dict[str, Any]) -> None:
        rejects.write(dumps_json(line) + b"\n")
        res.rejects += 1
        codes[line["code"]] += 1

    try:
        if chunk.documents >= 0:
            nxt, res.docs = _run_documents(task, chunk, conv, part, res, warnings, reject, rep, on_read, checker)
        else:
            nxt = _run_records(task, chunk, conv, part, res, warnings, reject, rep, on_read, checker)
            res.docs = 1 if chunk.number == 0 else 0  # one document, counted once
        if nxt - chunk.base != chunk.expect:
            raise NotSplittable(f"{nxt - chunk.base} records where the bytes show {chunk.expect}")
        part.write(b"")
        part.commit()
        rejects.write(b"")
        rejects.commit()
    except BaseException as exc:
        part.abort()
        rejects.abort()
        if not isinstance(exc, Exception) or isinstance(exc, OutputError):
            raise  # an interruption, or an output that cannot be written: the run stops
        why = str(exc) if isinstance(exc, NotSplittable) else f"chunk {chunk.number + 1}: {exc}"
        return TaskResult(task.index, task.key, fallback=why)
    rep.docs = 1 if chunk.number == 0 else 0  # progress counts the input once
    rep.flush()
    res.bytes = nbytes[0]
    res.warnings = dict(warnings)
    res.reject_codes = dict(codes)
    return res


def _run_records(
    task: Task,
    chunk: Chunk,
    conv: Converter,
    part: AtomicFile,
    res: TaskResult,
    warnings: Counter[str],
    reject: Callable[[dict[str, Any]], None],
    rep: Reporter,
    on_read: Callable[[int], None],
    checker: RecordChecker | None = None,
) -> int:
    """A record-aligned chunk; returns the index after its last record."""
    with open(task.path, "rb") as fh:
        stream = ChunkStream(fh, chunk, on_read)
        tail = chunk.last or chunk.to_end  # up to the document's end: with the rest, no closers
        check = None if tail else _clean_end(chunk)
        recs = stream_document(stream, task.source, conv, rest=tail, check_end=check, checker=checker)
        if chunk.previous:  # the stand-in for the record before the chunk: not converted here
            first = next(recs, None)
            if first is None or first.index != 0:
                raise NotSplittable("the record before the chunk was not where the bytes show it")
        nxt, _failed = _document_records(
            task.source,
            renumber(recs, chunk.base - (1 if chunk.previous else 0)),
            chunk.base,
            part,
            res,
            warnings,
            reject,
            rep,
            catch=False,
        )
    return nxt


def _run_documents(
    task: Task,
    chunk: Chunk,
    conv: Converter,
    part: AtomicFile,
    res: TaskResult,
    warnings: Counter[str],
    reject: Callable[[dict[str, Any]], None],
    rep: Reporter,
    on_read: Callable[[int], None],
    checker: RecordChecker | None = None,
) -> tuple[int, int]:
    """A run of whole documents of a file of several, as the serial path reads them (numbered on
    from the documents, lines and records before it); returns the index after its last record
    and the number of documents."""

    nxt = chunk.base
    count = 0
    limit = conv.options.limits.max_document_bytes
    with open(task.path, "rb") as fh:
        stream = ChunkStream(fh, chunk, on_read)
        for piece in DocumentSplitter(stream, lines=chunk.lines, number=chunk.documents, limit=limit).documents():
            count += 1
            recs = stream_piece(piece, task.source, conv, rest=True, checker=checker)
            nxt, _failed = _document_records(
                task.source, renumber(recs, nxt), nxt, part, res, warnings, reject, rep, piece=piece, catch=False
            )
    return nxt, count

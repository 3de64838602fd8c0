"""The bulk run: plan the inputs, skip what a previous run finished, run the tasks on an engine
(in-process, a local process pool, or a Dask cluster), keep the manifest, merge the rejects and
write the summary. docs/bulk.md describes the output folder this produces."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import shutil
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from .. import __version__
from ..config import Options
from ..errors import ConfigError, Issue
from ..io import dumps_json
from ..registry import default_registry
from .inputs import InputPlan, Task, plan_inputs
from .progress import MODES, Progress
from .records import reject_line
from .worker import (
    PART_SUFFIX,
    STATE_DIR,
    RunConfig,
    TaskResult,
    init_pool_worker,
    rejects_path,
    run_pool_task,
    run_task,
    write_atomic,
)

MANIFEST = "manifest.jsonl"
REJECTS = "rejects.jsonl"
SUMMARY = "summary.json"
MANIFEST_FORMAT = 1
ENGINES = ("local", "dask")

EXIT_OK, EXIT_REJECTS, EXIT_USAGE, EXIT_SCHEMA = 0, 1, 2, 3


@dataclass(frozen=True)
class BulkSummary:
    """What a bulk run did. Totals cover the whole output folder (earlier runs included when
    resuming); ``run_*`` fields and throughput cover this run only."""

    out_dir: str
    engine: str
    mode: str  # "records" or "documents"
    tasks: int  # units of work in the plan (files, batches of zip members)
    documents: int  # input documents in the plan (files and zip members)
    resumed: int  # tasks skipped because a previous run completed them
    skipped: int  # files in folders and zip members that are not XML
    records: int
    rejects: int
    reject_codes: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, int] = field(default_factory=dict)
    run_tasks: int = 0
    run_documents: int = 0
    run_records: int = 0
    run_bytes: int = 0
    seconds: float = 0.0
    schema_missing: bool = False

    @property
    def mb_per_second(self) -> float:
        return self.run_bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    @property
    def records_per_second(self) -> float:
        return self.run_records / self.seconds if self.seconds > 0 else 0.0

    @property
    def exit_code(self) -> int:
        """0: everything converted; 1: some records or inputs were rejected; 3: some input needs an
        ST.96 version that is not compiled here (docs/bulk.md, "Exit codes")."""
        if self.schema_missing:
            return EXIT_SCHEMA
        return EXIT_REJECTS if self.rejects else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "outDir": self.out_dir,
            "engine": self.engine,
            "mode": self.mode,
            "inputs": {
                "tasks": self.tasks,
                "documents": self.documents,
                "resumed": self.resumed,
                "skipped": self.skipped,
            },
            "records": self.records,
            "rejects": self.rejects,
            "rejectCodes": self.reject_codes,
            "warnings": self.warnings,
            "run": {
                "tasks": self.run_tasks,
                "documents": self.run_documents,
                "records": self.run_records,
                "bytes": self.run_bytes,
                "seconds": round(self.seconds, 3),
                "mbPerSecond": round(self.mb_per_second, 2),
                "recordsPerSecond": round(self.records_per_second, 1),
            },
            "exitCode": self.exit_code,
        }


# -- the output folder -------------------------------------------------------------------------


class _Lock:
    """An exclusive lock on the output folder, so that two runs never write into one folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> _Lock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "ab")
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory lock
            return self
        try:
            fcntl.flock(self._fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._fh.close()
            raise ConfigError(f"another bulk run is writing into {self.path.parent.parent}", code="usage") from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fh is not None:
            self._fh.close()


def _header(cfg: RunConfig) -> dict[str, Any]:
    o = cfg.options
    return {
        "xml2jsonBulk": MANIFEST_FORMAT,
        "xml2json": __version__,
        "records": cfg.records,
        "pretty": cfg.pretty,
        "strict": o.strict,
        "st96Version": o.st96_version,
    }


def _read_manifest(path: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The header and the complete entries; a torn last line (a crash while appending) is dropped."""
    header: dict[str, Any] | None = None
    entries: list[dict[str, Any]] = []
    with open(path, "rb") as fh:
        for raw in fh:
            if not raw.endswith(b"\n"):
                break
            try:
                obj = orjson.loads(raw)
            except orjson.JSONDecodeError:
                break
            if header is None:
                header = obj
            elif isinstance(obj, dict) and "key" in obj:
                entries.append(obj)
    return header, entries


def _remove_previous(out: Path, entries: list[dict[str, Any]]) -> None:
    """--overwrite: delete exactly what the previous run wrote, nothing else."""
    for e in entries:
        for rel, _size in e.get("outputs", []):
            with contextlib.suppress(FileNotFoundError):
                (out / rel).unlink()
    for name in (REJECTS, SUMMARY, MANIFEST):
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    shutil.rmtree(out / STATE_DIR / "rejects", ignore_errors=True)


def _clean_parts(out: Path) -> None:
    """Temporary files left by a run that was killed (never under a final name)."""
    for dirpath, _dirs, files in os.walk(out):
        for name in files:
            if name.startswith(".") and name.endswith(PART_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, name))


def _spool_stdin(stream: IO[bytes], path: Path, limit: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with open(path, "wb") as fh:
        while True:
            chunk = stream.read(1024 * 1024)
            if not chunk:
                break
            n += len(chunk)
            if n > limit:
                break  # keep one byte too many: the worker reports the size limit as a reject
            fh.write(chunk)


def _is_done(task: Task, entry: dict[str, Any] | None, out: Path) -> bool:
    if entry is None or task.identity is None or entry.get("identity") != list(task.identity):
        return False
    for rel, size in entry.get("outputs", []):  # present, and as large as when it was completed
        try:
            if (out / rel).stat().st_size != size:
                return False
        except OSError:
            return False
    return not entry.get("rejects") or rejects_path(out, task.key).is_file()


# -- engines -----------------------------------------------------------------------------------

Results = Iterator[tuple[Task, TaskResult]]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _mp_context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        # workers fork from a server that has imported the converter already (if it is not running yet)
        ctx.set_forkserver_preload(["xml2json.bulk.worker"])
        return ctx
    return multiprocessing.get_context("spawn")


def crashed_result(task: Task, cfg: RunConfig, why: str) -> TaskResult:
    """The result of a task whose worker process died (or whose Dask task failed) on it."""
    res = TaskResult(task.index, task.key, docs=task.docs, rejects=1, reject_codes={"worker-crashed": 1})
    line = reject_line(
        task.source,
        None,
        [Issue("worker-crashed", f"the worker converting this input died ({why}); none of its records were written")],
    )
    write_atomic(rejects_path(Path(cfg.out_dir), task.key), dumps_json(line) + b"\n", durable=cfg.durable)
    with contextlib.suppress(FileNotFoundError):
        (Path(cfg.out_dir) / (task.key + ".jsonl")).unlink()
    return res


def _stop(pool: ProcessPoolExecutor, *, kill: bool) -> None:
    if kill:  # interrupted or broken: do not wait for running tasks
        procs = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            proc.terminate()
    pool.shutdown(wait=True, cancel_futures=True)


def run_local(tasks: list[Task], cfg: RunConfig, jobs: int, progress: Progress) -> Results:
    """In this process when there is one job (or one task), else on a process pool; results in
    task order. A worker that dies is replaced; the tasks it may have been running are retried one
    by one in a pool of their own, and the one that kills its worker again is rejected."""
    if jobs <= 1 or len(tasks) <= 1:
        sink: Callable[[tuple[int, int, int]], None] = lambda d: progress.update(*d)  # noqa: E731
        for t in tasks:
            yield t, run_task(t, cfg, progress=sink)
        return
    ctx = _mp_context()
    q = ctx.Queue()

    def drain() -> None:
        while True:
            try:
                progress.update(*q.get_nowait())
            except queue.Empty:
                return
            except (OSError, ValueError, EOFError):  # pragma: no cover - the queue went away
                return

    def wait(fut: Any) -> TaskResult:
        while True:
            try:
                res: TaskResult = fut.result(timeout=0.2)
                return res
            except FutureTimeout:
                drain()

    pending = deque(tasks)
    window = max(2, jobs * 4)
    try:
        while pending:
            pool = ProcessPoolExecutor(
                max_workers=jobs, mp_context=ctx, initializer=init_pool_worker, initargs=(cfg, q)
            )
            inflight: deque[tuple[Task, Any]] = deque()
            broken, why = False, ""
            try:
                while pending or inflight:
                    while pending and len(inflight) < window:
                        t = pending.popleft()
                        inflight.append((t, pool.submit(run_pool_task, t, cfg)))
                    t, fut = inflight[0]
                    try:
                        res = wait(fut)
                    except BrokenProcessPool as exc:
                        broken, why = True, str(exc)
                        break
                    inflight.popleft()
                    drain()
                    yield t, res
            finally:
                _stop(pool, kill=broken or bool(inflight))
            if broken:
                _clean_parts(Path(cfg.out_dir))  # every worker of the broken pool is gone: their temp files too
                for t, _fut in inflight:  # isolate: one task per fresh single-worker pool
                    solo = ProcessPoolExecutor(
                        max_workers=1, mp_context=ctx, initializer=init_pool_worker, initargs=(cfg, q)
                    )
                    try:
                        res = wait(solo.submit(run_pool_task, t, cfg))
                    except BrokenProcessPool as exc:
                        res = crashed_result(t, cfg, f"{exc}; the pool had broken with: {why}")
                    finally:
                        _stop(solo, kill=False)
                    drain()
                    yield t, res
    finally:
        drain()
        q.close()
        q.join_thread()


# -- the run -----------------------------------------------------------------------------------


def run_bulk(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    records: bool = False,
    resume: bool = False,
    overwrite: bool = False,
    options: Options | None = None,
    pretty: bool = False,
    engine: str = "local",
    scheduler: str | None = None,
    client: Any = None,
    progress: str = "none",
    durable: bool = False,
    stdin: IO[bytes] | None = None,
) -> BulkSummary:
    """Convert many ST.96 inputs into *out_dir*; see docs/bulk.md.

    *inputs*: files, folders, glob patterns, zips, gzip files and ``-`` (read from *stdin*, by
    default the process's standard input). *records*: one JSON Lines partition per input (or per
    batch of zip members) with one line per record, instead of one JSON file per document.
    *resume*: skip inputs the manifest of an earlier run in *out_dir* lists as complete.
    *overwrite*: start over in an *out_dir* that holds an earlier run (deletes its outputs).
    *engine* ``"dask"`` runs the tasks on the Dask cluster at *scheduler* (or on *client*).

    Raises :class:`~xml2json.errors.ConfigError` for unusable arguments and
    :class:`~xml2json.errors.SchemaNotAvailableError` when no compiled schema can be used;
    every problem with the data itself is a reject, counted in the summary.
    """
    t0 = time.monotonic()
    options = options or Options()
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    if not inputs:
        raise ConfigError("no inputs given", code="usage")
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r} (choose from {', '.join(ENGINES)})", code="usage")
    if progress not in MODES:
        raise ConfigError(f"unknown progress mode {progress!r} (choose from {', '.join(MODES)})", code="usage")
    if records and pretty:
        raise ConfigError("--pretty does not apply to --records: JSON Lines hold one object per line", code="usage")
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite exclude each other", code="usage")
    if jobs is not None and jobs < 1:
        raise ConfigError("--jobs must be at least 1", code="usage")
    has_stdin = any(os.fspath(i) == "-" for i in inputs)
    if has_stdin and engine == "dask":
        raise ConfigError("standard input (-) cannot be distributed; save it to a shared file first", code="usage")
    reg = default_registry()
    reg.plan(options.st96_version or reg.newest())  # SchemaNotAvailableError here: nothing can convert

    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    cfg = RunConfig(str(out), records=records, pretty=pretty, options=options, durable=durable)
    header = _header(cfg)
    state = out / STATE_DIR
    with _Lock(state / "lock"):
        manifest = out / MANIFEST
        previous: list[dict[str, Any]] = []
        if manifest.is_file():
            old_header, old_entries = _read_manifest(manifest)
            if resume:
                if old_header != header:
                    old = old_header or {}
                    diff = ", ".join(f"{k} {old.get(k)!r} → {v!r}" for k, v in header.items() if old.get(k) != v)
                    raise ConfigError(
                        f"{out} was written with other settings ({diff}); resume with the same "
                        "options, or use --overwrite or another output folder",
                        code="usage",
                    )
                previous = old_entries
            elif overwrite:
                _remove_previous(out, old_entries)
            else:
                raise ConfigError(
                    f"{out} holds the output of an earlier bulk run; use --resume to complete it "
                    "or --overwrite to start over",
                    code="usage",
                )
        _clean_parts(out)
        stdin_path = None
        if has_stdin:
            stdin_path = state / "stdin.xml"
            _spool_stdin(stdin if stdin is not None else _std_in(), stdin_path, options.limits.max_document_bytes)
        plan = plan_inputs(inputs, out, records=records, limits=options.limits, stdin_path=stdin_path)
        if not plan.tasks and not plan.rejects:
            raise ConfigError("the inputs hold no XML documents", code="no-input")

        done = {e["key"]: e for e in previous}
        todo = [t for t in plan.tasks if not _is_done(t, done.get(t.key), out)]
        redo = {t.key for t in todo}
        kept = [e for e in previous if e["key"] not in redo]
        lines = [dumps_json(header)] + [dumps_json(e) for e in kept]
        write_atomic(manifest, b"".join(x + b"\n" for x in lines), durable=durable)

        bar = Progress(progress, total_docs=sum(t.docs for t in todo))
        new_entries: list[dict[str, Any]] = []
        run_docs = run_records = run_bytes = 0
        if todo:
            eff_jobs = min(jobs or default_jobs(), len(todo))
            results: Results
            if engine == "dask":
                from .dask_engine import run_dask

                results = run_dask(todo, cfg, scheduler=scheduler, client=client, progress=bar)
            else:
                results = run_local(todo, cfg, eff_jobs, bar)
            try:
                with open(manifest, "ab") as mf:
                    for task, res in results:
                        entry = res.manifest_entry(task)
                        mf.write(dumps_json(entry) + b"\n")
                        mf.flush()
                        if durable:
                            os.fsync(mf.fileno())
                        new_entries.append(entry)
                        run_docs += res.docs
                        run_records += res.records
                        run_bytes += res.bytes
            except BaseException:  # Ctrl-C, or a failure of the engine itself
                if hasattr(results, "close"):
                    results.close()  # stops the workers first
                _clean_parts(out)  # what they were writing; the manifest says what is complete
                raise
            finally:
                bar.close()
        else:
            bar.close()

        entries = kept + new_entries
        _merge_rejects(out, plan, entries, durable)
        summary = _summarise(
            out,
            engine,
            cfg,
            plan,
            entries,
            len(plan.tasks) - len(todo),
            run=(len(new_entries), run_docs, run_records, run_bytes),
            seconds=time.monotonic() - t0,
        )
        write_atomic(out / SUMMARY, dumps_json(summary.to_dict(), pretty=True) + b"\n", durable=durable)
        if stdin_path is not None:
            stdin_path.unlink(missing_ok=True)
        return summary


def _std_in() -> IO[bytes]:
    import sys

    return sys.stdin.buffer


def _merge_rejects(out: Path, plan: InputPlan, entries: list[dict[str, Any]], durable: bool) -> None:
    """rejects.jsonl: problems found while planning, then each task's rejects in manifest order."""
    tmp = out / (REJECTS + ".tmp" + PART_SUFFIX)
    try:
        with open(tmp, "wb") as fh:
            for line in plan.rejects:
                fh.write(dumps_json(line) + b"\n")
            for e in entries:
                if e.get("rejects"):
                    try:
                        with open(rejects_path(out, e["key"]), "rb") as src:
                            shutil.copyfileobj(src, fh)
                    except FileNotFoundError:
                        pass
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, out / REJECTS)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _summarise(
    out: Path,
    engine: str,
    cfg: RunConfig,
    plan: InputPlan,
    entries: list[dict[str, Any]],
    resumed: int,
    *,
    run: tuple[int, int, int, int],
    seconds: float,
) -> BulkSummary:
    codes: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    for line in plan.rejects:
        codes[line["code"]] += 1
    records = 0
    schema_missing = False
    for e in entries:
        records += e.get("records", 0)
        codes.update(e.get("rejectCodes", {}))
        warnings.update(e.get("warnings", {}))
        schema_missing |= bool(e.get("schemaMissing"))
    return BulkSummary(
        out_dir=str(out),
        engine=engine,
        mode="records" if cfg.records else "documents",
        tasks=len(plan.tasks),
        documents=sum(t.docs for t in plan.tasks),
        resumed=resumed,
        skipped=plan.skipped,
        records=records,
        rejects=sum(codes.values()),
        reject_codes=dict(sorted(codes.items())),
        warnings=dict(sorted(warnings.items())),
        run_tasks=run[0],
        run_documents=run[1],
        run_records=run[2],
        run_bytes=run[3],
        seconds=seconds,
        schema_missing=schema_missing,
    )

"""The engines that run the tasks of a bulk run on this machine — in this process, or on a local
process pool whose dead workers are replaced — and the pieces every engine shares (the result
of a task whose worker died, the removal of temporary files). The Dask engine is in
:mod:`.dask_engine`; the run itself, which picks an engine, in :mod:`.engine`."""

from __future__ import annotations

import contextlib
import os
import queue
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, Issue
from ..io import PART_SUFFIX, atomic_write, dumps_json
from .inputs import Task
from .progress import Progress
from .records import reject_line
from .runtime import STATE_DIR, RunConfig, TaskResult, rejects_path
from .worker import (
    IN_WORKER_MARK,
    in_worker_error,
    init_pool_worker,
    run_pool_task,
    run_task,
)

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

# multiprocessing and concurrent.futures are imported where a pool is started: a run with one
# job (the command line's --jobs 1) never needs them, and they are a fifth of its start-up.


def clean_parts(out: Path) -> None:
    """Temporary files left by a run that was killed (never under a final name)."""
    for dirpath, _dirs, files in os.walk(out):
        for name in files:
            if name.startswith(".") and name.endswith(PART_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(os.path.join(dirpath, name))


Results = Iterator[tuple[Task, TaskResult]]


def default_jobs() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _mp_context() -> Any:
    import multiprocessing

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
    atomic_write(rejects_path(Path(cfg.out_dir), task.key), dumps_json(line) + b"\n", durable=cfg.durable)
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


def _check_in_worker_mark(out: Path) -> None:
    """A worker that started a run of its own while starting (a script without a main guard) left
    a mark: report that, not a crash."""
    mark = out / STATE_DIR / IN_WORKER_MARK
    if mark.exists():
        mark.unlink(missing_ok=True)
        raise in_worker_error() from None


def check_main_importable() -> None:
    """Worker processes (forkserver, spawn) import the caller's main module again from its file:
    a script read from standard input (``python - <<EOF``) has none, and every worker would
    crash. Refuse that before any worker starts, with a clear error."""
    main = sys.modules.get("__main__")
    if main is None or getattr(getattr(main, "__spec__", None), "name", None) is not None:
        return  # ``python -m``: imported by name
    path = getattr(main, "__file__", None)
    if path is None or os.path.isfile(path):
        return  # ``python -c``, an interactive session, or a script file
    raise ConfigError(
        f"worker processes import the main module again, and its file {path!r} does not exist (a script "
        "read from standard input?); save the script to a file, or convert with one job (jobs=1)",
        code="bulk-main-not-a-file",
    )


def run_local(tasks: Iterable[Task], cfg: RunConfig, jobs: int, progress: Progress) -> Results:
    """In this process when there is one job (or one task), else on a process pool; results in
    task order. A worker that dies is replaced; the tasks it may have been running are retried one
    by one in a pool of their own, and the one that kills its worker again is rejected. *tasks* may
    be made while the run goes on (the chunks of a large file, :mod:`.chunks`): it is read as the
    pool has room."""
    if jobs <= 1 or (isinstance(tasks, Sized) and len(tasks) <= 1):
        sink: Callable[[tuple[int, int, int]], None] = lambda d: progress.update(*d)  # noqa: E731
        for t in tasks:
            yield t, run_task(t, cfg, progress=sink)
        return
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures import TimeoutError as FutureTimeout
    from concurrent.futures.process import BrokenProcessPool

    source = iter(tasks)
    pending: deque[Task] = deque()
    check_main_importable()
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

    def more() -> bool:
        if not pending:
            nxt = next(source, None)
            if nxt is not None:
                pending.append(nxt)
        return bool(pending)

    window = max(2, jobs * 4)
    try:
        while more():
            pool = ProcessPoolExecutor(
                max_workers=jobs, mp_context=ctx, initializer=init_pool_worker, initargs=(cfg, q)
            )
            inflight: deque[tuple[Task, Any]] = deque()
            broken, why = False, ""
            try:
                while more() or inflight:
                    while more() and len(inflight) < window:
                        t = pending.popleft()
                        inflight.append((t, pool.submit(run_pool_task, t, cfg)))
                    t, fut = inflight[0]
                    try:
                        res = wait(fut)
                    except BrokenProcessPool as exc:
                        broken, why = True, str(exc)
                        _check_in_worker_mark(Path(cfg.out_dir))
                        break
                    inflight.popleft()
                    drain()
                    yield t, res
            finally:
                _stop(pool, kill=broken or bool(inflight))
            if broken:
                clean_parts(Path(cfg.out_dir))  # every worker of the broken pool is gone: their temp files too
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

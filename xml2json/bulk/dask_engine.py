"""The Dask engine: the same tasks as the local engine, run on a Dask cluster.

Every worker runs :func:`xml2json.bulk.worker.run_dask_task`, which writes the
task's outputs straight into the output folder, exactly as a local pool
worker does, so the layout (partitions, rejects, manifest) is identical. The
inputs and the output folder must therefore be visible to every worker under
the same paths (a shared file system); this is checked before anything runs.
Each worker process loads the compiled plan once: it is preloaded on the
workers present at the start and loaded lazily by workers that join later.
Install with ``pip install "xml2json[dask]"``.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from ..errors import ConfigError
from .executors import Results, crashed_result
from .inputs import Task
from .progress import Progress
from .runtime import RunConfig, converter_for
from .worker import run_dask_task

#: How many input paths are checked on each worker before the run starts.
PROBE_PATHS = 50
#: Seconds to wait for the scheduler to answer before giving up (``dask-connect``).
CONNECT_TIMEOUT = 20.0


def _probe(out_dir: str, paths: list[str]) -> list[str]:
    """Runs on each worker: what it cannot see or write."""
    problems = []
    if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        problems.append(f"cannot write the output folder {out_dir}")
    problems.extend(f"cannot read {p}" for p in paths if not os.access(p, os.R_OK))
    return problems


def _preload(cfg: RunConfig) -> bool:
    converter_for(cfg)
    return True


def connect(scheduler: str | None) -> Any:
    try:  # imported by name: the extra is optional, and type checking must not need it
        client_class = importlib.import_module("distributed").Client
    except ImportError:
        raise ConfigError(
            'the Dask engine needs the optional extra: pip install "xml2json[dask]"', code="dask-missing"
        ) from None
    if not scheduler:
        raise ConfigError(
            "the Dask engine needs the address of a scheduler (for example tcp://10.0.0.5:8786) or a client",
            code="dask-scheduler",
        )
    try:
        return client_class(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:  # refused, unreachable, not an address
        raise ConfigError(f"cannot reach the Dask scheduler at {scheduler}: {exc}", code="dask-connect") from None


def run_dask(
    tasks: list[Task], cfg: RunConfig, *, scheduler: str | None = None, client: Any = None, progress: Progress
) -> Results:
    """Submit every task to the cluster and yield the results in task order."""
    own = client is None
    if own:
        client = connect(scheduler)
    futures: list[Any] = []
    try:
        paths = sorted({t.path for t in tasks})[:PROBE_PATHS]
        problems = {w: p for w, p in client.run(_probe, cfg.out_dir, paths).items() if p}
        if problems:
            worker, what = next(iter(problems.items()))
            raise ConfigError(
                f"Dask worker {worker} {what[0]} (and {len(problems) - 1} other worker(s) have "
                "problems): the Dask engine needs the inputs and the output folder on a file "
                "system shared by all workers, under the same paths",
                code="dask-shared-fs",
            )
        client.run(_preload, cfg)
        futures = client.map(run_dask_task, tasks, cfg=cfg, pure=False)
        for task, fut in zip(tasks, futures, strict=True):
            try:
                res = fut.result()
            except Exception as exc:  # KilledWorker and the like: the task is rejected, the run goes on
                res = crashed_result(task, cfg, f"{type(exc).__name__}: {exc}")
            fut.release()
            progress.update(task.docs, res.records, res.bytes)  # progress counts inputs
            yield task, res
    finally:
        if futures:
            client.cancel(futures)
        if own:
            client.close()

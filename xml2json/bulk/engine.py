"""The bulk run, in named steps: check that a schema can be used, open the output folder (lock it,
resume or overwrite an earlier run), plan the inputs and skip what an earlier run finished,
execute the tasks on an engine (in-process, a local process pool — :mod:`.executors` — or a Dask
cluster — :mod:`.dask_engine`), then summarise: merge the rejects and write the summary. Its
settings are a :class:`~xml2json.bulk.config.BulkConfig`; docs/bulk.md describes the output folder
this produces."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import orjson

from .._version import __version__
from ..errors import ConfigError, OutputError
from ..io import AtomicFile, atomic_write, dumps_json, output_error
from ..registry import default_registry
from .chunks import CHUNKS_PER_JOB, chunk_threshold, join, prune_chunks, remove_chunks, split_task
from .config import BulkConfig
from .dask_engine import run_dask
from .executors import Results, clean_parts, crashed_result, default_jobs, run_local
from .inputs import InputPlan, Task, named_base, plan_inputs
from .progress import Progress
from .report import QUALITY_HTML, QUALITY_JSON
from .runtime import STATE_DIR, RunConfig, TaskResult, converter_for, rejects_path, run_environment
from .worker import refuse_in_worker, run_task

MANIFEST = "manifest.jsonl"
REJECTS = "rejects.jsonl"
SUMMARY = "summary.json"
MANIFEST_FORMAT = 1

#: How a run ended (:attr:`BulkSummary.outcome`) and the number summary.json records for it as
#: ``exitCode``: the exit code of ``xml2json bulk`` (docs/bulk.md, "Exit codes"). The process exit
#: code itself is the command line's business (``xml2json/cli/bulk.py``).
OUTCOMES = {"ok": 0, "rejects": 1, "schema-missing": 3}


@dataclass(frozen=True)
class BulkSummary:
    """What a bulk run did. Totals cover the whole output folder (earlier runs included when
    resuming); ``run_*`` fields and throughput cover this run only."""

    out_dir: str
    engine: str
    mode: str  # "records", "documents" or "to-xml"
    tasks: int  # units of work in the plan (files, batches of zip members)
    documents: int  # input documents in the plan (files and zip members)
    resumed: int  # tasks skipped because a previous run completed them
    skipped: int  # files in folders and zip members that are not inputs
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
    notices: tuple[dict[str, str], ...] = ()  # how inputs were treated: a large file not split, …
    #: With validate / check_roundtrip: checks, checked, clean, withIssues and the path of
    #: quality.json (:func:`.quality.summary_part`); None otherwise.
    quality: dict[str, Any] | None = None
    skipped_names: tuple[str, ...] = ()  # the first few skipped files

    @property
    def mb_per_second(self) -> float:
        return self.run_bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0

    @property
    def records_per_second(self) -> float:
        return self.run_records / self.seconds if self.seconds > 0 else 0.0

    @property
    def outcome(self) -> str:
        """``"ok"``: everything converted; ``"rejects"``: some records or inputs were rejected;
        ``"schema-missing"``: some input needs an ST.96 version that is not compiled here."""
        if self.schema_missing:
            return "schema-missing"
        return "rejects" if self.rejects else "ok"

    @property
    def exit_code(self) -> int:
        """The ``exitCode`` of summary.json for :attr:`outcome` (:data:`OUTCOMES`): 0, 1 or 3."""
        return OUTCOMES[self.outcome]

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
                **({"skippedNames": list(self.skipped_names)} if self.skipped_names else {}),
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
            **({"notices": list(self.notices)} if self.notices else {}),
            **({"quality": self.quality} if self.quality is not None else {}),
        }


# -- the output folder -------------------------------------------------------------------------


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """An operating-system error while writing *path* is an :class:`OutputError` naming it."""
    try:
        yield
    except OSError as exc:
        raise output_error(path, exc) from exc


class _Lock:
    """An exclusive lock on the output folder, so that two runs never write into one folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def __enter__(self) -> _Lock:
        with _writing(self.path):
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
            raise ConfigError(
                f"another bulk run is writing into {self.path.parent.parent}", code="bulk-locked"
            ) from None
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
        # the data-quality settings, only when set (manifests of runs without them stay as they were)
        **({"validate": list(cfg.validate)} if cfg.validate else {}),
        **({"strictValid": True} if cfg.strict_valid else {}),
        **({"checkRoundtrip": True} if cfg.check_roundtrip else {}),
        **({"toXml": True} if cfg.to_xml else {}),
    }


def _setting(key: str, value: Any) -> str:
    """A run setting of the manifest's header, for people: ``on``/``off``, ``json, xsd``, ``not set``
    (a flag the header leaves out when it is off: ``off``)."""
    if value is None and key in ("strictValid", "checkRoundtrip"):
        return "off"
    if value is None or value == [] or value == "":
        return "not set"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


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
    """Overwrite: delete exactly what the previous run wrote, nothing else."""
    for e in entries:
        for rel, _size in e.get("outputs", []):
            with contextlib.suppress(FileNotFoundError):
                (out / rel).unlink()
    for name in (REJECTS, SUMMARY, MANIFEST, QUALITY_JSON, QUALITY_HTML):
        with contextlib.suppress(FileNotFoundError):
            (out / name).unlink()
    shutil.rmtree(out / STATE_DIR / "rejects", ignore_errors=True)


def _refuse_inputs_among_outputs(config: BulkConfig, out: Path, entries: list[dict[str, Any]]) -> None:
    """An input that is (or holds) an output of the earlier run in *out* — ``bulk out -o out
    --to-xml``: the partitions of a records run converted in their own folder — would be deleted
    by starting over; refused before anything is touched, whatever the flags."""
    earlier = [out / rel for e in entries for rel, _size in e.get("outputs", [])]
    if not earlier:
        return
    for given in config.inputs:
        text = os.fspath(given)
        if text == "-":
            continue
        base = named_base(text).resolve()
        hit = next((p for p in earlier if p == base or base in p.parents), None)
        if hit is not None:
            raise ConfigError(
                f"the input {text} is or holds {hit}, an output of the earlier bulk run in {out}: starting "
                "over there would delete it, so this run cannot write into that folder",
                code="bulk-input-is-output",
            )


def _spool_stdin(stream: IO[bytes], path: Path, limit: int) -> None:
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "wb")  # noqa: SIM115 - closed by the with below
    n = 0
    with fh:
        while True:
            chunk = stream.read(1024 * 1024)
            if not chunk:
                break
            n += len(chunk)
            if n > limit:
                break  # keep one byte too many: the worker reports the size limit as a reject
            with _writing(path):
                fh.write(chunk)


def _is_done(task: Task, entry: dict[str, Any] | None, out: Path) -> bool:
    if entry is None or task.identity is None or entry.get("identity") != list(task.identity):
        return False
    if entry.get("schemaMissing"):  # needed a version that was not compiled: it may be by now
        return False
    if entry.get("rejectCodes", {}).get("worker-crashed"):  # not the data's fault: try again
        return False
    for rel, size in entry.get("outputs", []):  # present, and as large as when it was completed
        try:
            if (out / rel).stat().st_size != size:
                return False
        except OSError:
            return False
    return not entry.get("rejects") or rejects_path(out, task.key).is_file()


# -- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutputFolder:
    """The output folder, locked, with what an earlier run left in it (the open-output step)."""

    path: Path
    task_cfg: RunConfig  # what every task needs (small and picklable)
    header: dict[str, Any]  # the manifest's first line
    previous: list[dict[str, Any]]  # manifest entries of an earlier run, when resuming
    created: bool = False  # this run made the folder

    @property
    def state(self) -> Path:
        return self.path / STATE_DIR

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST


@dataclass(frozen=True)
class WorkPlan:
    """The inputs as tasks, and which of them this run does (the plan step)."""

    plan: InputPlan
    todo: list[Task]
    kept: list[dict[str, Any]]  # manifest entries of the earlier run that stay valid
    stdin_path: Path | None
    manifest_size: int = 0  # the manifest's size before the first task of this run


@dataclass
class RunResults:
    """What the tasks of this run did (the execute step)."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    docs: int = 0
    records: int = 0
    bytes: int = 0


def run_bulk(
    inputs: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    **settings: Any,
) -> BulkSummary:
    """Convert many ST.96 inputs into *out_dir*; see docs/bulk.md.

    The keyword arguments are the fields of :class:`~xml2json.bulk.config.BulkConfig` (*jobs*,
    *records*, *resume*, *overwrite*, *options*, *pretty*, *engine*, *scheduler*, *client*,
    *progress*, *durable*, *stdin*, *validate*, *strict_valid*, *check_roundtrip*); this is
    ``run(BulkConfig(inputs, out_dir, **settings))``. With *validate* or *check_roundtrip* the run
    also writes ``quality.json`` (:mod:`.quality`; ``BulkSummary.quality``).

    Raises :class:`~xml2json.errors.ConfigError` (with a stable code, see
    :mod:`xml2json.bulk.config`) for unusable settings or an unusable output folder and
    :class:`~xml2json.errors.SchemaNotAvailableError` when no compiled schema can be used;
    every problem with the data itself is a reject, counted in the summary.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    return run(BulkConfig(tuple(inputs), out_dir, **settings))


def run(config: BulkConfig) -> BulkSummary:
    """The run, step by step: check that a schema can be used, open the output folder, plan the
    inputs, execute the tasks on the engine, summarise."""
    refuse_in_worker(config.out_dir)
    t0 = time.monotonic()
    check_schema(config)
    created = False
    try:
        with open_output(config) as output:
            created = output.created
            work = plan_work(config, output)
            try:
                done = execute(config, output, work)
                summary = summarise(config, output, work, done, seconds=time.monotonic() - t0)
            except Exception:  # not an interruption: undo this run, so that it can simply be run again
                roll_back(output, work)
                raise
            if work.stdin_path is not None:
                work.stdin_path.unlink(missing_ok=True)
            return summary
    except Exception as exc:
        if created:
            _prune(Path(config.out_dir).resolve())
        if isinstance(exc, OSError):  # an output problem no step named (a worker's, the engine's)
            raise output_error(exc.filename or config.out_dir, exc) from exc
        raise


def roll_back(output: OutputFolder, work: WorkPlan) -> None:
    """Undo a run that failed (an output that cannot be written, an engine that cannot start): remove
    the outputs of the tasks it was to do, complete or not, and their rejects, put the manifest
    back as it was before the first task (removed when it lists nothing), and remove temporary
    files. An interrupted run is not rolled back: its manifest lets a resumed run go on."""
    out = output.path
    clean_parts(out)
    remove_chunks(out)
    for task in work.todo:
        names = [task.key + ".jsonl", task.key + ".json", *(m.out + ".json" for m in task.members)]
        names += [task.key + ".xml", *(m.out + ".xml" for m in task.members)]  # JSON → XML
        for name in names:
            with contextlib.suppress(OSError):
                (out / name).unlink()
        with contextlib.suppress(OSError):
            rejects_path(out, task.key).unlink()
    with contextlib.suppress(OSError):
        if work.kept:
            os.truncate(output.manifest, work.manifest_size)
        else:  # nothing of an earlier run stays: neither do the run's own files
            for name in (MANIFEST, REJECTS, SUMMARY, QUALITY_JSON, QUALITY_HTML):
                with contextlib.suppress(FileNotFoundError):
                    (out / name).unlink()
    if work.stdin_path is not None:
        work.stdin_path.unlink(missing_ok=True)


def _prune(out: Path) -> None:
    """Remove the folders a failed run made in the output folder it created, and the folder itself,
    when they hold nothing else (the lock is released by then)."""
    with contextlib.suppress(OSError):
        (out / STATE_DIR / "lock").unlink()
    for dirpath, _dirs, _files in sorted(os.walk(out), key=lambda w: -len(w[0])):
        with contextlib.suppress(OSError):
            os.rmdir(dirpath)  # only when empty


def check_schema(config: BulkConfig) -> None:
    """Raise :class:`~xml2json.errors.SchemaNotAvailableError` now if nothing can convert."""
    reg = default_registry()
    version = config.options.st96_version or reg.newest()
    reg.plan(version)
    if "xsd" in config.checks:
        from ..validate import default_validators
        from .checks import require_xsd

        require_xsd(version, default_validators())


@contextlib.contextmanager
def open_output(config: BulkConfig) -> Iterator[OutputFolder]:
    """Create and lock the output folder; read what an earlier run left in it (kept to resume,
    deleted to overwrite, else refused); remove the temporary files of a killed run."""
    out = Path(config.out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise OutputError(f"cannot write into {out}: it is a file, not a folder", code="output-not-folder")
    created = not out.exists()
    with _writing(out):
        out.mkdir(parents=True, exist_ok=True)
    cfg = RunConfig(
        str(out),
        records=config.records,
        pretty=config.pretty,
        options=config.options,
        durable=config.durable,
        validate=config.checks,
        strict_valid=config.strict_valid,
        check_roundtrip=config.check_roundtrip,
        to_xml=config.to_xml,
        environment=run_environment(),
    )
    header = _header(cfg)
    with _Lock(out / STATE_DIR / "lock"):
        manifest = out / MANIFEST
        previous: list[dict[str, Any]] = []
        old_header, old_entries = _read_manifest(manifest) if manifest.is_file() else (None, [])
        if old_entries or (out / SUMMARY).is_file():  # else nothing of an earlier run to keep or protect
            if config.resume:
                if old_header != header:
                    old = old_header or {}
                    keys = [*header, *(k for k in old if k not in header)]
                    diff = "; ".join(
                        f"{k} was {_setting(k, old.get(k))}, is {_setting(k, header.get(k))}"
                        for k in keys
                        if old.get(k) != header.get(k)
                    )
                    raise ConfigError(f"{out} was written with other settings ({diff})", code="bulk-settings-differ")
                previous = old_entries
            else:
                _refuse_inputs_among_outputs(config, out, old_entries)
                if config.overwrite:
                    _remove_previous(out, old_entries)
                else:
                    raise ConfigError(f"{out} holds the output of an earlier bulk run", code="bulk-earlier-run")
        clean_parts(out)
        remove_chunks(out)  # parts of a file that a killed run had split: the file is done again
        yield OutputFolder(out, cfg, header, previous, created)


def plan_work(config: BulkConfig, output: OutputFolder) -> WorkPlan:
    """Spool standard input, expand the inputs into tasks, keep the tasks an earlier run
    completed, and rewrite the manifest with the entries that stay."""
    out = output.path
    stdin_path = None
    if config.has_stdin:
        stdin_path = output.state / "stdin.xml"
        stream = config.stdin if config.stdin is not None else _std_in()
        _spool_stdin(stream, stdin_path, config.options.limits.max_document_bytes)
    plan = plan_inputs(
        config.inputs,
        out,
        records=config.records,
        limits=config.options.limits,
        stdin_path=stdin_path,
        to_xml=config.to_xml,
    )
    if not plan.tasks and not plan.rejects:
        what = "JSON documents or partitions" if config.to_xml else "XML documents"
        skipped = ""
        if plan.skipped:
            more = ", …" if plan.skipped > len(plan.skipped_names) else ""
            skipped = f" ({plan.skipped} file(s) skipped: {', '.join(plan.skipped_names)}{more})"
        raise ConfigError(f"the inputs hold no {what}{skipped}", code="no-input")
    done = {e["key"]: e for e in output.previous}
    todo = [t for t in plan.tasks if not _is_done(t, done.get(t.key), out)]
    redo = {t.key for t in todo}
    kept = [e for e in output.previous if e["key"] not in redo]
    lines = [dumps_json(output.header)] + [dumps_json(e) for e in kept]
    size = atomic_write(output.manifest, b"".join(x + b"\n" for x in lines), durable=config.durable)
    return WorkPlan(plan, todo, kept, stdin_path, size)


def _results(config: BulkConfig, output: OutputFolder, todo: list[Task], bar: Progress) -> Results:
    cfg = output.task_cfg
    jobs = config.jobs or default_jobs()
    notes: dict[str, str] = {}
    tasks, split = _split(config, output, todo, jobs, notes)
    if config.engine == "dask":
        inner = run_dask(list(tasks), cfg, scheduler=config.scheduler, client=config.client, progress=bar)
    else:
        inner = run_local(tasks, cfg, jobs if split else min(jobs, len(todo)), bar)
    return _joined(inner, cfg, todo, notes, bar)


def _split(
    config: BulkConfig, output: OutputFolder, todo: list[Task], jobs: int, notes: dict[str, str]
) -> tuple[Iterator[Task], bool]:
    """Large files in records mode become record-aligned chunks when several workers (or a Dask
    cluster) are there to convert them (:mod:`.chunks`), made while the engine runs the first
    ones; why a large file is not split goes to *notes*. Returns the tasks and whether any file
    is split."""
    dask = config.engine == "dask"
    if not config.records or (jobs < 2 and not dask):
        return iter(todo), False
    threshold = chunk_threshold()
    if not dask:  # files that are not much larger than a worker's share stay whole: enough tasks already
        threshold = max(threshold, sum(t.size for t in todo) // (2 * jobs))
    conv = converter_for(output.task_cfg)
    plans: list[Iterator[Task] | None] = []
    for t in todo:
        parts = max(2, 2 * t.size // threshold) if dask else jobs * CHUNKS_PER_JOB

        def note(why: str, key: str = t.key) -> None:
            notes[key] = f"not split into chunks for several workers: {why}"

        chunks = split_task(t, conv, parts, threshold, note)
        if chunks is not None:
            remove_chunks(output.path, t.key)
        plans.append(chunks)

    def tasks() -> Iterator[Task]:
        for t, chunks in zip(todo, plans, strict=True):
            if chunks is None:
                yield t
            else:
                yield from chunks

    return tasks(), any(p is not None for p in plans)


def _joined(results: Results, cfg: RunConfig, todo: list[Task], notes: dict[str, str], bar: Progress) -> Results:
    """The engine's results with the chunks of each split file joined into the file's result
    (in order: the chunks of one file are consecutive tasks)."""
    parents = {t.key: t for t in todo}
    pending: list[TaskResult] = []
    for task, res in results:
        chunk = task.chunk
        if chunk is None:
            if task.key in notes:
                res.notices.append(notes[task.key])
            yield task, res
            continue
        pending.append(res)
        if not chunk.last:
            continue
        parent = parents[task.key]
        done, pending = pending, []
        yield parent, _finish(parent, done, cfg, bar)


def _finish(parent: Task, done: list[TaskResult], cfg: RunConfig, bar: Progress) -> TaskResult:
    out = Path(cfg.out_dir)
    if any(r.reject_codes.get("worker-crashed") for r in done):
        remove_chunks(out, parent.key)
        return crashed_result(parent, cfg, "while converting a chunk of it")
    why = next((r.fallback for r in done if r.fallback), None)
    if why is None:
        joined: TaskResult = join(parent, done, cfg)
        return joined
    remove_chunks(out, parent.key)
    res = run_task(parent, cfg, progress=lambda d: bar.update(*d))
    res.notices.append(f"converted by one worker, not in chunks: {why}")
    return res


def execute(config: BulkConfig, output: OutputFolder, work: WorkPlan) -> RunResults:
    """Run the tasks to do on the engine, appending each result to the manifest as it comes."""
    done = RunResults()
    bar = Progress(config.progress, total_docs=sum(t.docs for t in work.todo))
    if not work.todo:
        bar.close()
        return done
    results = _results(config, output, work.todo, bar)
    try:
        with _writing(output.manifest):
            mf = open(output.manifest, "ab")  # noqa: SIM115 - closed by the with below
        with mf:
            for task, res in results:
                entry = res.manifest_entry(task)
                with _writing(output.manifest):
                    mf.write(dumps_json(entry) + b"\n")
                    mf.flush()
                    if config.durable:
                        os.fsync(mf.fileno())
                done.entries.append(entry)
                done.docs += res.docs
                done.records += res.records
                done.bytes += res.bytes
        prune_chunks(output.path)
    except BaseException:  # Ctrl-C, or a failure of the engine itself
        if hasattr(results, "close"):
            results.close()  # stops the workers first
        clean_parts(output.path)  # what they were writing; the manifest says what is complete
        raise
    finally:
        bar.close()
    return done


def summarise(
    config: BulkConfig, output: OutputFolder, work: WorkPlan, done: RunResults, *, seconds: float
) -> BulkSummary:
    """Merge the rejects into rejects.jsonl, count, and write summary.json."""
    out = output.path
    entries = work.kept + done.entries
    _merge_rejects(out, work.plan, entries, config.durable)
    summary = _summarise(
        out,
        config.engine,
        output.task_cfg,
        work.plan,
        entries,
        len(work.plan.tasks) - len(work.todo),
        run=(len(done.entries), done.docs, done.records, done.bytes),
        seconds=seconds,
    )
    if output.task_cfg.checks:
        summary = replace(summary, quality=_quality(config, output, work, entries, summary.rejects))
    atomic_write(out / SUMMARY, dumps_json(summary.to_dict(), pretty=True) + b"\n", durable=config.durable)
    return summary


def _quality(
    config: BulkConfig, output: OutputFolder, work: WorkPlan, entries: list[dict[str, Any]], rejected: int
) -> dict[str, Any]:
    """Merge the tasks' quality counters in input order, write quality.json, and return the
    summary's part of it (:mod:`.quality`)."""
    from .checks import checker_for
    from .quality import merged, report, summary_part, write_quality

    cfg = output.task_cfg
    order = {t.key: n for n, t in enumerate(work.plan.tasks)}
    ranked = sorted(entries, key=lambda e: order.get(e["key"], len(order)))
    checker = checker_for(converter_for(cfg), cfg.validate, cfg.check_roundtrip)
    assert checker is not None
    q = report(
        merged(e.get("quality") for e in ranked),
        out_dir=str(output.path),
        inputs=[os.fspath(i) for i in config.inputs],
        unit="record" if cfg.records else "document",
        checks=checker.checks,
        json_backend=checker.json_backend,
        rejected=rejected,
    )
    path = write_quality(output.path, q, durable=config.durable)
    return summary_part(q, path)


def _std_in() -> IO[bytes]:
    import sys

    return sys.stdin.buffer


def _merge_rejects(out: Path, plan: InputPlan, entries: list[dict[str, Any]], durable: bool) -> None:
    """rejects.jsonl: problems found while planning, then each task's rejects in manifest order."""
    dest = AtomicFile(out / REJECTS, durable=durable)
    try:
        dest.write(b"")  # the file exists even without rejects
        for line in plan.rejects:
            dest.write(dumps_json(line) + b"\n")
        for e in entries:
            if e.get("rejects"):
                try:
                    with open(rejects_path(out, e["key"]), "rb") as src:
                        while chunk := src.read(1024 * 1024):
                            dest.write(chunk)
                except FileNotFoundError:
                    pass
        dest.commit()
    except BaseException:
        dest.abort()
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
    notices: list[dict[str, str]] = []
    for e in entries:
        notices.extend({"source": e.get("source", e["key"]), "notice": n} for n in e.get("notices", ()))
        records += e.get("records", 0)
        codes.update(e.get("rejectCodes", {}))
        warnings.update(e.get("warnings", {}))
        schema_missing |= bool(e.get("schemaMissing"))
    return BulkSummary(
        out_dir=str(out),
        engine=engine,
        mode="to-xml" if cfg.to_xml else "records" if cfg.records else "documents",
        tasks=len(plan.tasks),
        documents=sum(e.get("docs", 0) for e in entries),  # as read: a file may hold several
        resumed=resumed,
        skipped=plan.skipped,
        skipped_names=tuple(plan.skipped_names),
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
        notices=tuple(notices),
    )

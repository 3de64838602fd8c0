"""Benchmarks of the product as users run it, and against the peers, in the same run on the same data.

    python benchmarks/run.py --quick          # a few minutes; results/quick.json, tables on stdout
    python benchmarks/run.py                  # the full run; results/latest.json and the results
                                              # section of docs/performance.md
    python benchmarks/run.py --only product   # the product figures alone

The report leads with the *product* group: the ``xml2json`` command line run as a subprocess,
timed from outside (interpreter start-up, plan load, reading, conversion and writing the
output files included), on a big bag of real trademark records (``bulk --records`` with one
job and with one job per core, and the whole document with ``convert``), on a file of
concatenated TSDR documents and on a zip of one-record documents; the peers (lxml's parse-only
floor, xmltodict streaming + orjson) run in the same group on the same bag, also timed as whole
processes. The peak memory of a command is the largest sum of the resident sets of its process
tree (the command and every process under it: the fork server and the workers of ``--jobs N``),
sampled from /proc every 0.1 s — an upper bound, since a page the processes share counts once
per process; beside it the same with shared pages counted once (private pages summed, plus the
largest shared set of one process), and ``ru_maxrss`` from ``os.wait4`` (the largest single
process it waited for). The inner-loop figures follow as secondary tables.

Corpora are built at run time under ``benchmarks/_corpus/`` from the shared reference samples
(``$XML2JSON_SHARED``, default ``<repo>/../shared``); see :mod:`benchmarks.corpus`. Every
measurement runs in its own process (``benchmarks/scenarios.py``); its peak RSS is the
``ru_maxrss`` of that process, from ``os.wait4``. Each figure is the median over repeated
processes, and the repeats of the tools compared in one group are interleaved, so that the
load of a shared machine falls on all of them alike. Nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from benchmarks import corpus  # noqa: E402

PY = sys.executable
DOC = REPO / "docs" / "performance.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
#: Where product runs write (XML2JSON_BENCH_OUT: elsewhere, e.g. a scratch disk).
OUT_DIRS = Path(os.environ.get("XML2JSON_BENCH_OUT") or corpus.CORPUS / "out")


@dataclass
class Spec:
    """One row of the results: a scenario, a tool, a data set, how many processes."""

    id: str
    group: str
    tool: str
    data: str
    argv: list[str]
    bytes: int = 0  # for commands (scenarios report their own)
    items: int = 0
    unit: str = "records"
    repeats: int = 3
    timeout: float = 1800
    before: Any = None  # called before each run (untimed), e.g. to empty an output folder
    after: Any = None  # called after each run (untimed): extra figures, e.g. from summary.json
    tree: bool = False  # sample the resident set of the whole process tree
    runs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def py(name: str, **params: Any) -> list[str]:
    return [PY, str(HERE / "scenarios.py"), name, json.dumps(params)]


def cli(*args: str) -> list[str]:
    return [PY, "-m", "xml2json", *args]


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("XML2JSON_XSD_PATH", str(corpus.xsd_dir()))
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _memory_kb(pid: int) -> tuple[int, int, int]:
    """(resident, private, shared) KiB of *pid*, from ``/proc/PID/smaps_rollup`` (private: pages
    only this process maps; shared: pages it maps with others — the interpreter, libraries, and
    for a forked worker the pages it still shares with its parent); from ``/proc/PID/statm``
    where that is missing."""
    fields: dict[bytes, int] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                key, _, rest = line.partition(b":")
                if key in (b"Rss", b"Private_Clean", b"Private_Dirty", b"Shared_Clean", b"Shared_Dirty"):
                    fields[key] = int(rest.split()[0])
    except (OSError, ValueError, IndexError):
        fields = {}
    if b"Rss" in fields:
        private = fields.get(b"Private_Clean", 0) + fields.get(b"Private_Dirty", 0)
        return fields[b"Rss"], private, fields[b"Rss"] - private
    with open(f"/proc/{pid}/statm", "rb") as fh:
        size = fh.read().split()
    rss, shared = int(size[1]) * _PAGE_KB, int(size[2]) * _PAGE_KB
    return rss, rss - shared, shared


def tree_memory_kb(root: int) -> tuple[int, int] | None:
    """The memory (KiB) of process *root* and all its descendants: (the sum of their resident
    sets — an upper bound, a page shared by several processes counting once per process —, the
    sum of their private pages plus the largest shared set of any one of them — an estimate
    counting the shared pages once). ``None`` where there is no /proc."""
    if not os.path.isdir("/proc"):
        return None
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        ppid = int(stat[stat.rfind(b")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(name))
    rss = private = shared = 0
    stack = [root]
    while stack:
        pid = stack.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):  # it ended since the listing
            r, p, s = _memory_kb(pid)
            rss, private, shared = rss + r, private + p, max(shared, s)
        stack.extend(children.get(pid, ()))
    return rss, private + shared


class TreeSampler(threading.Thread):
    """Samples :func:`tree_memory_kb` of a process every *interval* seconds until stopped; the
    peaks of both figures in ``peak_rss_kb`` and ``peak_estimate_kb``."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_rss_kb: int | None = None
        self.peak_estimate_kb: int | None = None
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            kb = tree_memory_kb(self.pid)
            if kb is not None:
                self.peak_rss_kb = max(self.peak_rss_kb or 0, kb[0])
                self.peak_estimate_kb = max(self.peak_estimate_kb or 0, kb[1])
                self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_once(spec: Spec) -> dict[str, Any]:
    if spec.before is not None:
        spec.before()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(spec.argv, stdout=out, stderr=err, env=_env(), cwd=REPO)
        timer = threading.Timer(spec.timeout, proc.kill)
        timer.start()
        sampler = TreeSampler(proc.pid) if spec.tree else None
        if sampler is not None:
            sampler.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
            if sampler is not None:
                sampler.stop()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    # ru_maxrss is in KiB on Linux; wait4 covers the child and the descendants it waited for
    res: dict[str, Any] = {
        "rss_mb": usage.ru_maxrss / 1024,
        "process_s": wall,
        "exit": proc.returncode,
        "loadavg_before": load,
    }
    if sampler is not None and sampler.peak_rss_kb is not None and sampler.peak_estimate_kb is not None:
        res["tree_rss_mb"] = sampler.peak_rss_kb / 1024
        res["tree_shared_once_mb"] = sampler.peak_estimate_kb / 1024
        res["tree_samples"] = sampler.samples
    if spec.argv[1:2] == [str(HERE / "scenarios.py")]:
        if proc.returncode != 0:
            raise RuntimeError(f"{spec.id} failed ({proc.returncode}):\n{stderr[-3000:]}")
        res.update(json.loads(stdout.strip().splitlines()[-1]))
    else:
        if proc.returncode not in (0, 1):  # bulk exits 1 when records were rejected
            raise RuntimeError(f"{spec.id} failed ({proc.returncode}):\n{stderr[-3000:]}")
        res.update({"seconds": wall, "bytes": spec.bytes, "items": spec.items})
    res["stderr_tail"] = stderr[-500:] if proc.returncode else ""
    if spec.after is not None:
        res.update(spec.after())
    return res


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def summarise(spec: Spec) -> dict[str, Any]:
    runs = spec.runs
    out: dict[str, Any] = {
        "id": spec.id,
        "group": spec.group,
        "tool": spec.tool,
        "data": spec.data,
        "unit": spec.unit,
        "processes": len(runs),
    }
    if spec.error:
        out["error"] = spec.error
    if not runs:
        return out
    secs = median([r["seconds"] for r in runs])
    nbytes, items = runs[0]["bytes"], runs[0]["items"]
    out.update(
        {
            "seconds": secs,
            "cpu_seconds": median([r.get("cpu", r["seconds"]) for r in runs]),
            "bytes": nbytes,
            "items": items,
            "mb_per_s": nbytes / 1e6 / secs if secs else None,
            "items_per_s": items / secs if secs else None,
            "process_s": median([r["process_s"] for r in runs]),
            "rss_mb": median([r["rss_mb"] for r in runs]),
            "rss_mb_max": max(r["rss_mb"] for r in runs),
            "loadavg_before": median([r["loadavg_before"] for r in runs if r.get("loadavg_before") is not None]),
            "runs": runs,
        }
    )
    trees = [r["tree_rss_mb"] for r in runs if r.get("tree_rss_mb") is not None]
    if trees:
        out["tree_rss_mb"] = median(trees)
        out["tree_rss_mb_max"] = max(trees)
        out["tree_shared_once_mb_max"] = max(r["tree_shared_once_mb"] for r in runs if "tree_shared_once_mb" in r)
    for k in (
        "records_out",
        "rejects",
        "reject_codes",
        "exit",
        "documents",
        "tasks",
        "expected_records",
        "errors",
        "valid",
        "ok",
        "schema_load_s",
        "compile_s",
        "first_load_s",
        "import_s",
        "json_bytes",
        "xml_bytes",
        "verdicts",
        "per_doc",
        "timings",
    ):
        if k in runs[-1]:
            out[k] = runs[-1][k]
    return out


# -- the plan of a run ------------------------------------------------------------------------


def _empty(path: Path) -> Any:
    def clean() -> None:
        shutil.rmtree(path, ignore_errors=True)

    return clean


def _summary(out: Path, expected: int) -> Any:
    """After a bulk run: what its summary.json says (records converted, rejects and their codes)."""

    def read() -> dict[str, Any]:
        try:
            data = json.loads((out / "summary.json").read_text())
        except (OSError, ValueError) as exc:
            return {"summary_error": str(exc)[:200], "expected_records": expected}
        return {
            "records_out": data.get("records"),
            "rejects": data.get("rejects"),
            "reject_codes": data.get("rejectCodes", {}),
            "documents": data.get("inputs", {}).get("documents"),
            "tasks": data.get("inputs", {}).get("tasks"),
            "notices": data.get("notices", []),
            "expected_records": expected,
        }

    return read


def _mem_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


#: A whole-document conversion holds the parsed tree and the JSON: it is run on the bag only when
#: this many times the file's size is free (else the row says why it is missing).
WHOLE_DOCUMENT_MEMORY_FACTOR = 30


def product_specs(c: corpus.Corpus, quick: bool) -> list[Spec]:
    """The product as users run it: the CLI as a subprocess, and the peers on the same bag."""
    OUT_DIRS.mkdir(parents=True, exist_ok=True)
    cores = os.cpu_count() or 1
    rb = 1 if quick else 3
    bag_bytes = c.size("bulk")
    bag = f"bag: TrademarkTransaction, {bag_bytes // 1_000_000} MB, {c.bulk_records} records"

    def bulk(
        id_: str, label: str, target: Path, nbytes: int, records: int, jobs: int, extra: tuple[str, ...] = ()
    ) -> Spec:
        out = OUT_DIRS / id_
        argv = cli(
            "bulk", str(target), "-o", str(out), "--records", "--jobs", str(jobs), *extra, "--progress", "none", "-q"
        )
        return Spec(
            id_,
            "product",
            " ".join(["xml2json bulk --records", *extra, f"--jobs {jobs}"]),
            label,
            argv,
            bytes=nbytes,
            items=records,
            repeats=rb,
            before=_empty(out),
            after=_summary(out, records),
            tree=True,
        )

    specs = [
        Spec(
            "product.bag.floor",
            "product",
            "peer: lxml iterparse, parse only, clearing (floor)",
            bag,
            py("bulk.lxml-floor", path=str(c.bulk)),
            repeats=rb,
            tree=True,
        ),
        Spec(
            "product.bag.xmltodict",
            "product",
            "peer: xmltodict streaming + orjson, a line per record",
            bag,
            py("bulk.xmltodict", path=str(c.bulk)),
            repeats=rb,
            tree=True,
        ),
        bulk("product.bag.j1", bag, c.bulk, bag_bytes, c.bulk_records, 1),
        # data quality (docs/bulk.md, "Checking data quality"): every record checked on the same bag
        bulk("product.bag.validate-json.j1", bag, c.bulk, bag_bytes, c.bulk_records, 1, ("--validate", "json")),
        bulk("product.bag.validate-xsd.j1", bag, c.bulk, bag_bytes, c.bulk_records, 1, ("--validate", "xsd")),
        bulk("product.bag.roundtrip.j1", bag, c.bulk, bag_bytes, c.bulk_records, 1, ("--check-roundtrip",)),
    ]
    if cores > 1:
        specs.append(bulk(f"product.bag.j{cores}", bag, c.bulk, bag_bytes, c.bulk_records, cores))
    whole = OUT_DIRS / "product.bag.convert.json"
    free = _mem_available()
    convert = Spec(
        "product.bag.convert",
        "product",
        "xml2json convert (whole document) --max-elements 1000000000",
        bag,
        cli("convert", str(c.bulk), "-o", str(whole), "-q", "--max-elements", "1000000000"),
        bytes=bag_bytes,
        items=c.bulk_records,
        repeats=1,
        before=lambda: whole.unlink(missing_ok=True),
        tree=True,
    )
    if free is not None and free < WHOLE_DOCUMENT_MEMORY_FACTOR * bag_bytes:
        convert.error = (
            f"not run: {free // 2**20} MB free, a whole-document conversion of {bag_bytes // 2**20} MB "
            f"is given {WHOLE_DOCUMENT_MEMORY_FACTOR}× that"
        )
    specs.append(convert)
    specs.extend(reverse_specs(c, bag_bytes, rb))
    concat = f"{c.concat_documents} TSDR documents concatenated, {c.size('concat') // 1_000_000} MB"
    specs.append(bulk("product.concat.j1", concat, c.concat, c.size("concat"), c.concat_documents, 1))
    zl = f"zip of {c.zip_members} one-record documents, {c.size('zip') // 1_000_000} MB"
    specs.append(bulk("product.zip.j1", zl, c.zip, c.size("zip"), c.zip_members, 1))
    if cores > 1:
        specs.append(bulk(f"product.zip.j{cores}", zl, c.zip, c.size("zip"), c.zip_members, cores))
    return specs


def reverse_specs(c: corpus.Corpus, bag_bytes: int, repeats: int) -> list[Spec]:
    """JSON → XML in bulk: the JSON Lines partition a forward run makes of the bag, back to the bag
    (``bulk --to-xml --jobs 1``), and the peer: xmltodict ``unparse`` of the JSON Lines xmltodict's
    own parse makes of the same records, streamed into a bag. Both inputs are made once, untimed
    (before the first run); both rows count the bag's bytes, so that their rates compare times."""
    rev_dir = OUT_DIRS / "reverse-input"
    partition = rev_dir / "fwd" / (c.bulk.stem + ".jsonl")
    peer_lines = rev_dir / "xmltodict.jsonl"
    label = f"the {bag_bytes // 1_000_000} MB bag's {c.bulk_records} records as JSON Lines, back to a bag"

    def make_inputs() -> None:
        if not partition.is_file():
            shutil.rmtree(rev_dir / "fwd", ignore_errors=True)
            argv = cli("bulk", str(c.bulk), "-o", str(rev_dir / "fwd"), "--records", "--jobs", "1", "-q")
            subprocess.run([*argv, "--progress", "none"], env=_env(), cwd=REPO, check=False, timeout=1800)
        if not peer_lines.is_file():
            tmp = peer_lines.with_suffix(".part")
            argv = py("bulk.xmltodict-lines", path=str(c.bulk), out=str(tmp))
            subprocess.run(argv, env=_env(), cwd=REPO, check=True, timeout=1800, capture_output=True)
            tmp.replace(peer_lines)

    out = OUT_DIRS / "product.reverse.j1"

    def before() -> None:
        make_inputs()
        _empty(out)()

    return [
        Spec(
            "product.reverse.xmltodict",
            "product",
            "peer: xmltodict unparse, a record per JSON line, streamed into a bag",
            label,
            py("bulk.xmltodict-unparse", lines=str(peer_lines), bytes=bag_bytes),
            repeats=repeats,
            before=make_inputs,
            tree=True,
        ),
        Spec(
            "product.reverse.j1",
            "product",
            "xml2json bulk --to-xml --jobs 1",
            label,
            cli("bulk", str(partition), "-o", str(out), "--to-xml", "--jobs", "1", "--progress", "none", "-q"),
            bytes=bag_bytes,
            items=c.bulk_records,
            repeats=repeats,
            before=before,
            after=_summary(out, c.bulk_records),
            tree=True,
        ),
    ]


def bulk_cli_available() -> bool:
    try:
        r = subprocess.run(cli("bulk", "--help"), env=_env(), cwd=REPO, capture_output=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def records_api_available() -> bool:
    r = subprocess.run(
        [PY, "-c", "import xml2json.bulk.records as r; r.stream_document"],
        env=_env(),
        cwd=REPO,
        capture_output=True,
        timeout=120,
    )
    return r.returncode == 0


def plan_specs(c: corpus.Corpus, quick: bool, only: set[str] | None) -> list[list[Spec]]:
    """Groups of specs; the repeats of a group are interleaved."""
    R = 3
    groups: list[list[Spec]] = []
    mb = c.size("bulk") // 1_000_000
    bulk_label = f"bulk TrademarkTransaction, {mb} MB, {c.bulk_records} records"
    slice_label = f"slice, {c.size('slice') / 1e6:.1f} MB, {c.slice_records} records"
    docs = {k: str(v) for k, v in corpus.single_documents().items()}
    min_time = 0.3 if quick else 1.5

    def want(g: str) -> bool:
        return only is None or g in only

    if want("product"):
        groups.append(product_specs(c, quick))
    if want("bulk"):
        g = [
            Spec(
                "bulk.floor",
                "bulk",
                "lxml iterparse, parse only (floor)",
                bulk_label,
                py("bulk.lxml-floor", path=str(c.bulk)),
            ),
            Spec(
                "bulk.xml2json",
                "bulk",
                "xml2json streaming converter",
                bulk_label,
                py("bulk.xml2json", path=str(c.bulk)),
            ),
            Spec(
                "bulk.xmltodict",
                "bulk",
                "xmltodict streaming + orjson",
                bulk_label,
                py("bulk.xmltodict", path=str(c.bulk)),
            ),
        ]
        if records_api_available():
            g.insert(
                2,
                Spec(
                    "bulk.records-api",
                    "bulk",
                    "xml2json bulk record stream (envelopes)",
                    bulk_label,
                    py("bulk.xml2json-records-api", path=str(c.bulk)),
                ),
            )
        for s in g:
            s.repeats = R
        groups.append(g)
    if want("bulk-slice"):
        g = [
            Spec(
                "slice.floor",
                "bulk-slice",
                "lxml iterparse, parse only (floor)",
                slice_label,
                py("bulk.lxml-floor", path=str(c.slice)),
            ),
            Spec(
                "slice.xml2json",
                "bulk-slice",
                "xml2json streaming converter",
                slice_label,
                py("bulk.xml2json", path=str(c.slice)),
            ),
            Spec(
                "slice.xmltodict",
                "bulk-slice",
                "xmltodict streaming + orjson",
                slice_label,
                py("bulk.xmltodict", path=str(c.slice)),
            ),
            Spec(
                "slice.xmlschema",
                "bulk-slice",
                "xmlschema to_dict (lax) + orjson",
                slice_label,
                py("bulk.xmlschema", path=str(c.slice), records=c.slice_records),
            ),
            Spec(
                "slice.xmlschema-lazy",
                "bulk-slice",
                "xmlschema lazy iter_decode (lax) + orjson",
                slice_label,
                py("bulk.xmlschema-lazy", path=str(c.slice), records=c.slice_records),
            ),
        ]
        for s in g:
            s.repeats = 1 if quick else R
        groups.append(g)
    if want("bulk-2x") and c.bulk2 is not None:
        label = f"bulk TrademarkTransaction, {c.size('bulk2') // 1_000_000} MB, {c.bulk2_records} records"
        g = [
            Spec(
                "bulk2.floor",
                "bulk-2x",
                "lxml iterparse, parse only (floor)",
                label,
                py("bulk.lxml-floor", path=str(c.bulk2)),
                repeats=2,
            ),
            Spec(
                "bulk2.xml2json",
                "bulk-2x",
                "xml2json streaming converter",
                label,
                py("bulk.xml2json", path=str(c.bulk2)),
                repeats=2,
            ),
        ]
        groups.append(g)
    if want("single"):
        label = "WIPO V6_0 examples: " + ", ".join(f"{k} {Path(v).stat().st_size // 1000} KB" for k, v in docs.items())
        xs_docs = {k: v for k, v in docs.items() if k == "TrademarkApplication"} if quick else docs
        g = [
            Spec(
                "single.floor",
                "single",
                "lxml parse only (floor)",
                label,
                py("single.lxml-floor", docs=docs, min_time=min_time),
                unit="docs",
            ),
            Spec(
                "single.xml2json",
                "single",
                "xml2json Converter.xml_to_json + orjson",
                label,
                py("single.xml2json", docs=docs, min_time=min_time),
                unit="docs",
            ),
            Spec(
                "single.xmltodict",
                "single",
                "xmltodict.parse + orjson",
                label,
                py("single.xmltodict", docs=docs, min_time=min_time),
                unit="docs",
            ),
            Spec(
                "single.xmlschema",
                "single",
                "xmlschema to_dict (lax) + orjson",
                label if not quick else "TrademarkApplication example",
                py("single.xmlschema", docs=xs_docs, min_time=min_time),
                unit="docs",
            ),
        ]
        for s in g:
            s.repeats = 1 if quick else R
        groups.append(g)
    extra = [] if quick else list(docs.values())
    n_zip = 100 if quick else 300
    zip_label = f"{n_zip} one-record TrademarkTransaction documents" + ("" if quick else " + the 4 WIPO examples")
    if want("j2x"):
        g = [
            Spec(
                "j2x.xml2json",
                "j2x",
                "xml2json Converter.json_to_xml",
                zip_label,
                py("j2x.xml2json", zip=str(c.zip), limit=n_zip, extra=extra, min_time=min_time),
                unit="docs",
            ),
            Spec(
                "j2x.xmltodict",
                "j2x",
                "xmltodict.unparse (its own dicts)",
                zip_label,
                py("j2x.xmltodict", zip=str(c.zip), limit=n_zip, extra=extra, min_time=min_time),
                unit="docs",
            ),
        ]
        for s in g:
            s.repeats = 1 if quick else R
        groups.append(g)
    if want("xsd"):
        n_xs = 10 if quick else 40
        g = [
            Spec(
                "xsd.lxml",
                "xsd",
                "xml2json validate_xml (lxml XMLSchema), parse included",
                zip_label,
                py("xsd.lxml", zip=str(c.zip), limit=n_zip, extra=extra, min_time=min_time),
                unit="docs",
            ),
            Spec(
                "xsd.xmlschema",
                "xsd",
                "xmlschema is_valid, parse included",
                f"{n_xs} one-record TrademarkTransaction documents",
                py("xsd.xmlschema", zip=str(c.zip), limit=n_xs, min_time=0),
                unit="docs",
            ),
        ]
        for s in g:
            s.repeats = 1 if quick else 2
        groups.append(g)
    if want("jsonschema"):
        n_js = 40 if quick else 200
        backends = [
            ("jsonschema", "jsonschema Draft202012Validator, all errors (Validators.check_json)"),
            ("jsonschema-is_valid", "jsonschema Draft202012Validator.is_valid"),
            ("fast", "xml2json.fastvalidate check_json (jsonschema-rs + reference)"),
            ("fast-is_valid", "xml2json.fastvalidate is_valid"),
            ("jsonschema-rs-raw", "jsonschema-rs alone (its verdicts differ in places)"),
            ("fastjsonschema", "fastjsonschema (draft-07 rewrite of the schema)"),
        ]
        if quick:  # fastjsonschema compiles each schema for seconds, in gigabytes
            backends = backends[:-1]
        for subset, label, muts in (
            ("all", f"JSON of {n_js} one-record documents and 3 broken variants of each", 3),
            ("valid", f"the valid ones among {n_js} one-record documents (JSON)", 0),
        ):
            group = "jsonschema" if subset == "all" else "jsonschema-valid"
            if not want(group) and only is not None and "jsonschema" not in only:
                continue
            groups.append(
                [
                    Spec(
                        f"{group}.{b}",
                        group,
                        t,
                        label,
                        py(
                            "jsonschema",
                            backend=b,
                            zip=str(c.zip),
                            limit=n_js,
                            mutations=muts,
                            subset=subset,
                            min_time=min_time,
                        ),
                        unit="docs",
                        repeats=1 if quick else 2,
                    )
                    for b, t in backends
                ]
            )
    if want("roundtrip"):
        n_rt = 20 if quick else 100
        label = f"{n_rt} one-record documents" + ("" if quick else " + the 4 WIPO examples")
        groups.append(
            [
                Spec(
                    "roundtrip",
                    "roundtrip",
                    "xml2json roundtrip (XML→JSON→XML→JSON, both validated)",
                    label,
                    py("roundtrip", zip=str(c.zip), limit=n_rt, extra=extra, min_time=0),
                    unit="docs",
                    repeats=1 if quick else 2,
                )
            ]
        )
    if want("plan"):
        g = [
            Spec(
                "plan.load",
                "plan",
                "xml2json.plan.load_plan (compiled V6_0)",
                "V6_0.plan.json.gz",
                py("plan.load"),
                unit="plans",
                repeats=R,
            )
        ]
        if not quick:
            g.append(
                Spec(
                    "schema.compile",
                    "plan",
                    "compile_bundle (XSD → plan + 28 JSON Schemas)",
                    "st96/V6_0_Flattened (69 XSD files)",
                    py("schema.compile"),
                    unit="schemas",
                    repeats=1,
                )
            )
        groups.append(g)
    if want("cli"):
        example = corpus.single_documents()["TrademarkApplication"]
        n = 5 if quick else 9
        size = example.stat().st_size
        g = [
            Spec("cli.python", "cli", "python -c pass", "", [PY, "-c", "pass"], unit="runs", repeats=n),
            Spec(
                "cli.deps",
                "cli",
                "python -c 'import lxml.etree, orjson'",
                "",
                [PY, "-c", "import lxml.etree, orjson"],
                unit="runs",
                repeats=n,
            ),
            Spec(
                "cli.import",
                "cli",
                "python -c 'import xml2json'",
                "",
                [PY, "-c", "import xml2json"],
                unit="runs",
                repeats=n,
            ),
            Spec("cli.version", "cli", "xml2json --version", "", cli("--version"), unit="runs", repeats=n),
            Spec(
                "cli.convert",
                "cli",
                "xml2json convert FILE",
                f"TrademarkApplication example, {size // 1000} KB",
                cli("convert", str(example), "-q"),
                bytes=size,
                items=1,
                unit="docs",
                repeats=n,
            ),
        ]
        groups.append(g)
    if want("bulk-cli") and bulk_cli_available():
        OUT_DIRS.mkdir(parents=True, exist_ok=True)
        g = []

        def bulk(id_: str, label: str, target: Path, nbytes: int, records: int, jobs: int, repeats: int) -> Spec:
            out = OUT_DIRS / id_
            return Spec(
                id_,
                "bulk-cli",
                f"xml2json bulk --records --jobs {jobs}",
                label,
                cli("bulk", str(target), "-o", str(out), "--records", "--jobs", str(jobs), "--progress", "none", "-q"),
                bytes=nbytes,
                items=records,
                repeats=repeats,
                before=_empty(out),
                after=_summary(out, records),
                tree=True,
            )

        rb = 1 if quick else 3
        parts_label = f"4 bulk files, {c.size('parts') // 1_000_000} MB, {c.parts_records} records"
        g.append(bulk("bulkcli.parts.j1", parts_label, c.parts, c.size("parts"), c.parts_records, 1, rb))
        g.append(bulk("bulkcli.parts.j2", parts_label, c.parts, c.size("parts"), c.parts_records, 2, rb))
        if c.bulk2 is not None:
            label = f"bulk TrademarkTransaction, {c.size('bulk2') // 1_000_000} MB, {c.bulk2_records} records"
            g.append(bulk("bulkcli.file2x.j1", label, c.bulk2, c.size("bulk2"), c.bulk2_records, 1, 1))
        groups.append(g)
    return groups


def execute(groups: list[list[Spec]], *, verbose: bool = True) -> None:
    for g in groups:
        rounds = max(s.repeats for s in g)
        for r in range(rounds):
            for s in g:
                if r >= s.repeats or s.error:
                    continue
                try:
                    res = run_once(s)
                except Exception as exc:  # keep going: one broken scenario must not lose the run
                    s.error = str(exc).splitlines()[0][:300]
                    if verbose:
                        print(f"  {s.id}: FAILED {str(exc)[:2000]}", file=sys.stderr)
                    continue
                s.runs.append(res)
                if verbose:
                    rate = res["bytes"] / 1e6 / res["seconds"] if res.get("bytes") and res["seconds"] else 0
                    print(
                        f"  {s.id:26s} run {r + 1}: {res['seconds']:.3f} s  {rate:7.1f} MB/s  "
                        f"rss {res['rss_mb']:.0f} MB",
                        file=sys.stderr,
                        flush=True,
                    )


# -- targets -------------------------------------------------------------------------------------


def _target(
    name: str,
    value: float | None,
    goal: float,
    *,
    le: bool = False,
    fmt: str = "{:.2f}×",
    note: str = "",
    display: str | None = None,
    met: bool | None = None,
) -> dict[str, Any]:
    if met is None and value is not None:
        met = value <= goal if le else value >= goal
    if display is None:
        display = "n/a" if value is None else fmt.format(value)
    return {"target": name, "value": value, "goal": goal, "met": met, "display": display, "note": note}


def accelerators() -> list[str]:
    """Compiled extension modules inside the package (an accelerator), by file name."""
    pkg = REPO / "xml2json"
    return sorted(str(p.relative_to(pkg)) for ext in ("*.so", "*.pyd") for p in pkg.rglob(ext))


def whole_process_rate(row: dict[str, Any] | None) -> float | None:
    """MB/s of a row timed as a whole process (start-up, imports and set-up included)."""
    if not row or not row.get("process_s") or not row.get("bytes"):
        return None
    return float(row["bytes"]) / 1e6 / float(row["process_s"])


def product_targets(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets for the product, from the product group's rows (whole processes)."""
    cores = os.cpu_count() or 1
    out: list[dict[str, Any]] = []
    j1, jn = rows.get("product.bag.j1"), rows.get(f"product.bag.j{cores}")
    floor, xtd = rows.get("product.bag.floor"), rows.get("product.bag.xmltodict")

    def ratio(a: dict[str, Any] | None, b: dict[str, Any] | None) -> float | None:
        ra, rb = whole_process_rate(a), whole_process_rate(b)
        return ra / rb if ra and rb else None

    mb = (j1 or {}).get("bytes", 0) // 1_000_000
    out.append(_target(f"bulk --records --jobs 1 ≥ 2× xmltodict streaming + orjson ({mb} MB bag)", ratio(j1, xtd), 2))
    acc = accelerators()
    goal = 0.5 if acc else 0.35
    out.append(
        _target(
            f"bulk --records --jobs 1 ≥ {goal}× the lxml parse-only floor "
            f"({'with' if acc else 'without'} an accelerator)",
            ratio(j1, floor),
            goal,
            note=("accelerator: " + ", ".join(acc)) if acc else "no compiled extension module in the package",
        )
    )
    if jn is not None:
        notices = jn.get("notices") or []
        note = (
            f"the file fell back to one worker: {notices[0].get('notice', notices[0])}"
            if notices
            else f"the file was split into record-aligned chunks for the {cores} workers"
        )
        if j1 and j1.get("runs") and jn.get("runs"):
            best = min(r["seconds"] for r in j1["runs"]) / min(r["seconds"] for r in jn["runs"])
            note += f"; best run of each {best:.2f}×; load average before {jn.get('loadavg_before', float('nan')):.1f}"
        out.append(
            _target(
                f"bulk --records --jobs {cores} ≥ 1.7× --jobs 1 (one {mb} MB bag file)", ratio(jn, j1), 1.7, note=note
            )
        )
    for row, what in ((j1, "--jobs 1"), (jn, f"--jobs {cores}")):
        if row is not None and row.get("tree_rss_mb_max") is not None:
            out.append(
                _target(
                    f"peak RSS of the whole bulk run ≤ 150 MB ({mb} MB bag, {what})",
                    row["tree_rss_mb_max"],
                    150,
                    le=True,
                    fmt="{:.0f} MB",
                    note="resident sets summed over the process tree, sampled every 0.1 s (an upper bound: "
                    "shared pages count once per process); counting them once "
                    f"{row.get('tree_shared_once_mb_max', 0):.0f} MB; largest single process (ru_maxrss) "
                    f"{row.get('rss_mb_max', 0):.0f} MB",
                )
            )
    vj = rows.get("product.bag.validate-json.j1")
    if vj is not None:
        import importlib.util

        fast = importlib.util.find_spec("jsonschema_rs") is not None
        backend = "jsonschema-rs" if fast else "jsonschema (jsonschema-rs not installed)"
        extra = [
            f"{name} {r:.2f}×"
            for name, r in (
                ("--validate xsd", ratio(rows.get("product.bag.validate-xsd.j1"), j1)),
                ("--check-roundtrip", ratio(rows.get("product.bag.roundtrip.j1"), j1)),
            )
            if r is not None
        ]
        out.append(
            _target(
                f"bulk --records --validate json ≥ 0.6× plain bulk --records (--jobs 1, {mb} MB bag)",
                ratio(vj, j1),
                0.6,
                note=f"JSON Schema backend: {backend}" + ("; " + ", ".join(extra) if extra else ""),
            )
        )
        for row, what in ((vj, "--validate json"), (rows.get("product.bag.validate-xsd.j1"), "--validate xsd")):
            if row is not None and row.get("tree_rss_mb_max") is not None:
                out.append(
                    _target(
                        f"peak RSS of bulk --records {what} ≤ 150 MB ({mb} MB bag, --jobs 1)",
                        row["tree_rss_mb_max"],
                        150,
                        le=True,
                        fmt="{:.0f} MB",
                        note=f"largest single process (ru_maxrss) {row.get('rss_mb_max', 0):.0f} MB",
                    )
                )
    rv, rvx = rows.get("product.reverse.j1"), rows.get("product.reverse.xmltodict")
    rmb = (rv or rvx or {}).get("bytes", 0) // 1_000_000
    if rv is not None or rvx is not None:
        out.append(
            _target(
                f"bulk --to-xml --jobs 1 ≥ 1.5× xmltodict unparse on the same records ({rmb} MB bag)",
                ratio(rv, rvx),
                1.5,
            )
        )
    if rv is not None and rv.get("tree_rss_mb_max") is not None:
        out.append(
            _target(
                f"peak RSS of bulk --to-xml ≤ 150 MB (the {rmb} MB bag's partition, --jobs 1)",
                rv["tree_rss_mb_max"],
                150,
                le=True,
                fmt="{:.0f} MB",
                note=f"largest single process (ru_maxrss) {rv.get('rss_mb_max', 0):.0f} MB",
            )
        )
    cc = rows.get("product.concat.j1")
    if cc is not None:
        got, want, rejects = cc.get("records_out"), cc.get("expected_records"), cc.get("rejects")
        complete = got is not None and got == want and rejects == 0
        codes = ", ".join(f"{k} {v}" for k, v in (cc.get("reject_codes") or {}).items())
        out.append(
            _target(
                f"concatenated file of {want} TSDR documents: every record converted, 0 rejects",
                got,
                want or 0,
                display=f"{got} of {want} records, {rejects} rejects" + (f" ({codes})" if codes else ""),
                met=complete if got is not None else None,
                note=""
                if complete
                else f"{(want or 0) - (got or 0)} record(s) not converted (the reject codes say why)",
            )
        )
        same = ratio(cc, j1)
        out.append(
            _target(
                "concatenated file: same throughput class as the bag (≥ 0.5× its --jobs 1 MB/s)",
                same if complete else None,
                0.5,
                note=""
                if complete
                else "not comparable: the run stopped early ("
                + (f"{same:.2f}× as measured" if same else "no figure")
                + ")",
            )
        )
    zj1, zjn = rows.get("product.zip.j1"), rows.get(f"product.zip.j{cores}")
    if zj1 is not None and zjn is not None:
        out.append(
            _target(
                f"bulk --records --jobs {cores} ≥ 1.6× --jobs 1 (zip of one-record documents)",
                ratio(zjn, zj1),
                1.6,
                note=f"{zjn.get('tasks', '?')} task(s) in the --jobs {cores} run",
            )
        )
    return out


def targets(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    def rate(key: str, field_: str = "mb_per_s") -> float | None:
        r = rows.get(key)
        return r.get(field_) if r else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return a / b if a and b else None

    out: list[dict[str, Any]] = []

    def add(
        name: str, value: float | None, goal: float, *, le: bool = False, fmt: str = "{:.2f}×", note: str = ""
    ) -> None:
        out.append(_target(name, value, goal, le=le, fmt=fmt, note=note))

    ours = rate("bulk.xml2json")
    add("XML → JSON bulk ≥ 2× xmltodict + orjson (streaming)", ratio(ours, rate("bulk.xmltodict")), 2)
    add(
        "XML → JSON bulk ≥ 15× xmlschema to_dict",
        ratio(rate("slice.xml2json"), rate("slice.xmlschema")),
        15,
        note="same slice; xmlschema's lazy mode: "
        + (
            "n/a"
            if ratio(rate("slice.xml2json"), rate("slice.xmlschema-lazy")) is None
            else f"{ratio(rate('slice.xml2json'), rate('slice.xmlschema-lazy')):.1f}×"
        ),
    )
    add("XML → JSON bulk ≥ 0.5× the lxml parse-only floor", ratio(ours, rate("bulk.floor")), 0.5)
    for key, what in (("bulk.xml2json", "streaming converter"), ("product.bag.j1", "bulk CLI")):
        r = rows.get(key)
        if r and r.get("rss_mb") is not None:
            add(
                f"peak RSS ≤ 100 MB on the {r['bytes'] // 1_000_000} MB bulk file ({what})",
                r["rss_mb"],
                100,
                le=True,
                fmt="{:.0f} MB",
            )
    for key, what in (("bulk2.xml2json", "streaming converter"), ("bulkcli.file2x.j1", "bulk CLI")):
        r = rows.get(key)
        if r and r.get("rss_mb") is not None:
            add(
                f"peak RSS ≤ 100 MB on the {r['bytes'] // 1_000_000} MB bulk file, 2× ({what})",
                r["rss_mb"],
                100,
                le=True,
                fmt="{:.0f} MB",
            )
    for key, label in (("parts", "4 bulk files"),):
        j1, j2 = rows.get(f"bulkcli.{key}.j1"), rows.get(f"bulkcli.{key}.j2")
        if j1 and j2 and j1.get("runs") and j2.get("runs"):
            best = min(r["seconds"] for r in j1["runs"]) / min(r["seconds"] for r in j2["runs"])
            add(
                f"bulk --jobs 2 ≥ 1.6× --jobs 1 ({label})",
                ratio(j2.get("mb_per_s"), j1.get("mb_per_s")),
                1.6,
                note=f"medians; best run of each: {best:.2f}×; load average before the --jobs 2 runs "
                f"{j2.get('loadavg_before', float('nan')):.1f} (2 cores)",
            )
    add("JSON → XML ≥ xmltodict.unparse", ratio(rate("j2x.xml2json"), rate("j2x.xmltodict")), 1)
    pl = rows.get("plan.load")
    add(
        "compiled version load ≤ 0.3 s",
        pl.get("seconds") if pl else None,
        0.3,
        le=True,
        fmt="{:.3f} s",
        note="" if not pl else f"first load in a fresh process {pl.get('first_load_s', 0):.3f} s",
    )
    conv, base, ver = rows.get("cli.convert"), rows.get("cli.python"), rows.get("cli.version")
    deps, imp = rows.get("cli.deps"), rows.get("cli.import")
    if conv and base and ver and deps and imp:
        share = ver["seconds"] / conv["seconds"]
        add(
            "one-file CLI conversion dominated by Python start-up",
            share,
            0.5,
            fmt="{:.0%}",
            note=f"start-up (`xml2json --version`: interpreter and imports, {ver['seconds']:.3f} s) in "
            f"`xml2json convert` ({conv['seconds']:.3f} s); of it `python -c pass` {base['seconds']:.3f} s, "
            f"lxml + orjson imports {deps['seconds'] - base['seconds']:.3f} s, xml2json imports "
            f"{imp['seconds'] - deps['seconds']:.3f} s; plan load and conversion "
            f"{conv['seconds'] - ver['seconds']:.3f} s",
        )
    for group, what in (("jsonschema-valid", "valid documents"), ("jsonschema", "valid and broken documents")):
        js, fast = rows.get(f"{group}.jsonschema"), rows.get(f"{group}.fast")
        if js and fast:
            add(
                f"JSON Schema check_json: faster backend, same verdicts ({what})",
                ratio(fast.get("mb_per_s"), js.get("mb_per_s")),
                1,
                note="verdicts identical to jsonschema: " + str(fast.get("verdicts") == js.get("verdicts")),
            )
    return out


# -- output -------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("lxml", "orjson", "jsonschema", "xmlschema", "xmltodict", "jsonschema-rs", "fastjsonschema"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def machine() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"nproc": os.cpu_count(), "cpu": cpu, "platform": platform.platform(), "loadavg_at_start": load}


def _fmt(v: float | None, spec: str) -> str:
    return "–" if v is None else format(v, spec)


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | tool | data | MB/s | items/s | peak RSS MB | median s | notes |",
        "|---|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        notes = []
        if "error" in r:
            notes.append("FAILED: " + r["error"][:80])
        if "rejects" in r:
            notes.append(f"{r['records_out']} records out, {r['rejects']} rejects")
        elif "records_out" in r:
            notes.append(f"{r['records_out']} records out, {r.get('errors', 0)} errors")
        if "schema_load_s" in r:
            notes.append(f"schema load {r['schema_load_s']:.1f} s (untimed)")
        if "compile_s" in r:
            notes.append(f"compile {r['compile_s']:.2f} s (untimed)")
        if "valid" in r:
            notes.append(f"{r['valid']}/{r.get('items')} valid")
        if "ok" in r:
            notes.append(f"{r['ok']}/{r.get('items')} round-trip OK")
        if r.get("same_verdicts_as_jsonschema") is not None:
            notes.append(
                "same verdicts as jsonschema"
                if r["same_verdicts_as_jsonschema"]
                else f"**{r['verdict_differences']} verdicts differ** from jsonschema"
            )
        if "first_load_s" in r:
            notes.append(f"first load {r['first_load_s']:.3f} s")
        if r.get("group") == "bulk-cli" and r.get("loadavg_before") is not None:
            notes.append(f"load average {r['loadavg_before']:.1f} before")
        if r.get("unit") == "runs":
            mbs, ips = "", ""
        else:
            mbs = _fmt(r.get("mb_per_s"), ".1f")
            v = r.get("items_per_s")
            ips = _fmt(v, ",.0f" if v is None or v >= 10 else ".2f") + (f" {r['unit']}" if v is not None else "")
        lines.append(
            f"| {r['group']} | {r['tool']} | {r['data']} | {mbs} | {ips} | {_fmt(r.get('rss_mb'), '.0f')} | "
            f"{_fmt(r.get('seconds'), '.3f')} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def targets_table(ts: list[dict[str, Any]]) -> str:
    lines = ["| target | measured | met | notes |", "|---|---:|:---:|---|"]
    for t in ts:
        met = {True: "met", False: "**missed**", None: "n/a"}[t["met"]]
        lines.append(f"| {t['target']} | {t['display']} | {met} | {t['note']} |")
    return "\n".join(lines)


def product_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| command | data | MB/s | records/s | records out | rejects | peak RSS MB (tree) "
        "| shared counted once MB | largest process MB | median s | notes |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        if r.get("group") != "product":
            continue
        notes = []
        if "error" in r:
            notes.append(("" if r["error"].startswith("not run") else "FAILED: ") + r["error"][:160])
        rate = whole_process_rate(r)
        secs = r.get("process_s")
        per_s = r["items"] / secs if secs and r.get("items") else None
        if r["id"].endswith((".floor", ".xmltodict")) and r.get("mb_per_s"):
            notes.append(f"timed loop alone {r['mb_per_s']:.1f} MB/s")
        codes = r.get("reject_codes")
        if codes:
            notes.append(", ".join(f"{k} {v}" for k, v in codes.items()))
        if r.get("tasks") is not None:
            notes.append(f"{r['tasks']} task(s)")
        if r.get("exit") not in (None, 0):
            notes.append(f"exit {r['exit']}")
        out_n = r.get("records_out")
        want = r.get("expected_records")
        rec = "–" if out_n is None else (f"{out_n:,}" + (f" of {want:,}" if want is not None and want != out_n else ""))
        lines.append(
            f"| {r['tool']} | {r['data']} | {_fmt(rate, '.1f')} | {_fmt(per_s, ',.0f')} | {rec} | "
            f"{_fmt(r.get('rejects'), ',')} | {_fmt(r.get('tree_rss_mb_max'), '.0f')} | "
            f"{_fmt(r.get('tree_shared_once_mb_max'), '.0f')} | {_fmt(r.get('rss_mb_max'), '.0f')} | "
            f"{_fmt(secs, '.2f')} | {'; '.join(notes)} |"
        )
    return "\n".join(lines)


def render(result: dict[str, Any]) -> str:
    m, v = result["machine"], result["versions"]
    ver = ", ".join(f"{k} {val}" for k, val in v.items())
    head = (
        f"Run of {result['date']} ({'quick' if result['quick'] else 'full'}): {m['nproc']} CPUs ({m['cpu']}), "
        f"{m['platform']}; {ver}. Load average at start: {m['loadavg_at_start']}. Medians over "
        f"{'repeated processes' if not result['quick'] else 'one to five processes'}; peak RSS is ru_maxrss of "
        "the process (and of the workers it waited for)."
    )
    text = head + "\n\n"
    if any(r["group"] == "product" for r in result["rows"]):
        text += (
            "### The product, as users run it\n\n"
            "Whole processes timed from outside (start-up, plan load, reading, converting and writing "
            "the output files); the peers in the same run on the same bag, also whole processes.\n\n"
            f"{targets_table(result['product_targets'])}\n\n{product_table(result['rows'])}\n\n"
        )
    return (
        text + f"### Inner loop and components: targets\n\n{targets_table(result['targets'])}\n\n"
        f"### All measurements\n\n{table(result['rows'])}\n"
    )


def write_docs(text: str) -> None:
    if DOC.exists():
        doc = DOC.read_text()
        if START in doc and END in doc:
            pre, rest = doc.split(START, 1)
            _, post = rest.split(END, 1)
            DOC.write_text(f"{pre}{START}\n{text}\n{END}{post}")
            return
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text(f"# Performance\n\n{START}\n{text}\n{END}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small corpora, fewer repeats (a few minutes)")
    ap.add_argument(
        "--out", type=Path, help="results JSON (default: benchmarks/results/latest.json, or quick.json with --quick)"
    )
    ap.add_argument(
        "--only",
        help="comma-separated groups: product, bulk, bulk-slice, bulk-2x, single, j2x, xsd, "
        "jsonschema, roundtrip, plan, cli, bulk-cli",
    )
    ap.add_argument(
        "--ids",
        help="comma-separated prefixes of row ids: run only those rows of the selected groups "
        "(e.g. --only product --ids product.reverse); results then go to --out, not the docs",
    )
    ap.add_argument(
        "--docs",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="write the results section of docs/performance.md (default: only for a full run)",
    )
    args = ap.parse_args(argv)
    shared = corpus.shared_dir()
    if not (shared / "st96-samples").is_dir():
        print(f"error: the shared reference data is not at {shared} (set XML2JSON_SHARED)", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    print("building corpora ...", file=sys.stderr, flush=True)
    c = corpus.build(quick=args.quick)
    only = set(args.only.split(",")) if args.only else None
    groups = plan_specs(c, args.quick, only)
    if args.ids:
        prefixes = tuple(p for p in args.ids.split(",") if p)
        groups = [kept for g in groups if (kept := [s for s in g if s.id.startswith(prefixes)])]
    execute(groups)
    rows = [summarise(s) for g in groups for s in g]
    by_id = {r["id"]: r for r in rows}
    result = {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "machine": machine(),
        "versions": versions(),
        "corpus": c.to_dict(),
        "product_targets": product_targets(by_id),
        "targets": targets(by_id),
        "rows": rows,
        "wall_seconds": time.perf_counter() - t0,
    }
    for group in ("jsonschema", "jsonschema-valid"):
        js = [r for r in rows if r["group"] == group and "verdicts" in r]
        ref = next((r["verdicts"] for r in js if r["id"] == f"{group}.jsonschema"), None)
        for r in js:
            r["same_verdicts_as_jsonschema"] = r["verdicts"] == ref if ref else None
            r["verdict_differences"] = sum(a != b for a, b in zip(r["verdicts"], ref, strict=False)) if ref else None
    out = args.out or HERE / "results" / ("quick.json" if args.quick else "latest.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str) + "\n")
    text = render(result)
    print(text)
    if args.docs or (args.docs is None and not args.quick and only is None and not args.ids):
        write_docs(text)
    print(f"results: {out} ({result['wall_seconds']:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

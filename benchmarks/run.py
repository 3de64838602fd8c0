"""Benchmarks against the peers, measured in the same run on the same data.

    python benchmarks/run.py --quick          # about a minute; results/quick.json, table on stdout
    python benchmarks/run.py                  # the full run (several minutes); results/latest.json
                                              # and the results section of docs/performance.md

Corpora are built at run time under ``benchmarks/_corpus/`` from the shared reference samples
(``$XML2JSON_SHARED``, default ``<repo>/../shared``); see :mod:`benchmarks.corpus`. Every
measurement runs in its own process (``benchmarks/scenarios.py``); its peak RSS is the
``ru_maxrss`` of that process, from ``os.wait4``. Each figure is the median over repeated
processes, and the repeats of the tools compared in one group are interleaved, so that the
load of a shared machine falls on all of them alike. Nothing here is part of the test suite.
"""

from __future__ import annotations

import argparse
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
OUT_DIRS = corpus.CORPUS / "out"


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


def run_once(spec: Spec) -> dict[str, Any]:
    if spec.before is not None:
        spec.before()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(spec.argv, stdout=out, stderr=err, env=_env(), cwd=REPO)
        timer = threading.Timer(spec.timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
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
    if spec.argv[1:2] == [str(HERE / "scenarios.py")]:
        if proc.returncode != 0:
            raise RuntimeError(f"{spec.id} failed ({proc.returncode}):\n{stderr[-3000:]}")
        res.update(json.loads(stdout.strip().splitlines()[-1]))
    else:
        if proc.returncode not in (0, 1):  # bulk exits 1 when records were rejected
            raise RuntimeError(f"{spec.id} failed ({proc.returncode}):\n{stderr[-3000:]}")
        res.update({"seconds": wall, "bytes": spec.bytes, "items": spec.items})
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
            "rss_mb": median([r["rss_mb"] for r in runs]),
            "rss_mb_max": max(r["rss_mb"] for r in runs),
            "loadavg_before": median([r["loadavg_before"] for r in runs if r.get("loadavg_before") is not None]),
            "runs": runs,
        }
    )
    for k in (
        "records_out",
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
            )

        rb = 1 if quick else 3
        g.append(bulk("bulkcli.file.j1", bulk_label, c.bulk, c.size("bulk"), c.bulk_records, 1, rb))
        g.append(bulk("bulkcli.file.j2", bulk_label, c.bulk, c.size("bulk"), c.bulk_records, 2, rb))
        parts_label = f"4 bulk files, {c.size('parts') // 1_000_000} MB, {c.parts_records} records"
        g.append(bulk("bulkcli.parts.j1", parts_label, c.parts, c.size("parts"), c.parts_records, 1, rb))
        g.append(bulk("bulkcli.parts.j2", parts_label, c.parts, c.size("parts"), c.parts_records, 2, rb))
        zl = f"zip of {c.zip_members} one-record documents, {c.size('zip') // 1_000_000} MB"
        g.append(bulk("bulkcli.zip.j1", zl, c.zip, c.size("zip"), c.zip_members, 1, rb))
        g.append(bulk("bulkcli.zip.j2", zl, c.zip, c.size("zip"), c.zip_members, 2, rb))
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
        met = None if value is None else (value <= goal if le else value >= goal)
        out.append(
            {
                "target": name,
                "value": value,
                "goal": goal,
                "met": met,
                "display": "n/a" if value is None else fmt.format(value),
                "note": note,
            }
        )

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
    for key, what in (("bulk.xml2json", "streaming converter"), ("bulkcli.file.j1", "bulk CLI")):
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
    for key, label, want in (
        ("parts", "4 bulk files", 1.6),
        ("zip", "zip of one-record files", 1.6),
        ("file", "one bulk file, in chunks", 1.7),
    ):
        j1, j2 = rows.get(f"bulkcli.{key}.j1"), rows.get(f"bulkcli.{key}.j2")
        if j1 and j2 and j1.get("runs") and j2.get("runs"):
            best = min(r["seconds"] for r in j1["runs"]) / min(r["seconds"] for r in j2["runs"])
            add(
                f"bulk --jobs 2 ≥ {want}× --jobs 1 ({label})",
                ratio(j2.get("mb_per_s"), j1.get("mb_per_s")),
                want,
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
        if "records_out" in r:
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


def render(result: dict[str, Any]) -> str:
    m, v = result["machine"], result["versions"]
    ver = ", ".join(f"{k} {val}" for k, val in v.items())
    head = (
        f"Run of {result['date']} ({'quick' if result['quick'] else 'full'}): {m['nproc']} CPUs ({m['cpu']}), "
        f"{m['platform']}; {ver}. Load average at start: {m['loadavg_at_start']}. Medians over "
        f"{'repeated processes' if not result['quick'] else 'one to five processes'}; peak RSS is ru_maxrss of "
        "the process (and of the workers it waited for)."
    )
    return (
        f"{head}\n\n### Targets\n\n{targets_table(result['targets'])}\n\n"
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
    ap.add_argument("--quick", action="store_true", help="small corpora, fewer repeats (about a minute)")
    ap.add_argument(
        "--out", type=Path, help="results JSON (default: benchmarks/results/latest.json, or quick.json with --quick)"
    )
    ap.add_argument(
        "--only",
        help="comma-separated groups: bulk, bulk-slice, bulk-2x, single, j2x, xsd, "
        "jsonschema, roundtrip, plan, cli, bulk-cli",
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
    execute(groups)
    rows = [summarise(s) for g in groups for s in g]
    by_id = {r["id"]: r for r in rows}
    result = {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "machine": machine(),
        "versions": versions(),
        "corpus": c.to_dict(),
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
    if args.docs or (args.docs is None and not args.quick and only is None):
        write_docs(text)
    print(f"results: {out} ({result['wall_seconds']:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One benchmark scenario per process: ``python benchmarks/scenarios.py NAME 'JSON-PARAMS'``.

The child does its untimed set-up (imports, schema or plan loading, reading the input into
memory where the scenario says so), runs the timed work, and prints one JSON object on its
last line of stdout: ``bytes`` and ``items`` processed per pass, ``seconds`` (wall, median of
the passes run in this process), ``cpu`` (process CPU seconds of the same pass) and scenario
extras. The parent (``run.py``) takes the peak RSS of the child from ``os.wait4``.

Scenarios never write into the repository except under ``benchmarks/_corpus/``.
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import orjson  # noqa: E402

from benchmarks import corpus  # noqa: E402

SCENARIOS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}  # filled by @scenario
PLAN = HERE.parent / "xml2json" / "_plans" / "V6_0.plan.json.gz"
RECORD_PATH = ("TrademarkTransactionBody", "TransactionContentBag", "TransactionData", "TrademarkBag", "Trademark")


Scenario = Callable[[dict[str, Any]], dict[str, Any]]


def scenario(name: str) -> Callable[[Scenario], Scenario]:
    def deco(fn: Scenario) -> Scenario:
        SCENARIOS[name] = fn
        return fn

    return deco


def timed(work: Callable[[], Any], *, repeat: int = 1, min_time: float = 0.0) -> tuple[float, float, Any]:
    """Run *work* at least *repeat* times and for at least *min_time* seconds in all;
    median wall and CPU seconds of one call, and the last result."""
    walls: list[float] = []
    cpus: list[float] = []
    result = None
    start = time.perf_counter()
    while len(walls) < repeat or time.perf_counter() - start < min_time:
        c0, w0 = time.process_time(), time.perf_counter()
        result = work()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        if len(walls) >= 1000:
            break
    return statistics.median(walls), statistics.median(cpus), result


def record_type(plan: Any) -> Any:
    tp = plan.documents["TrademarkTransaction"].type
    for name in RECORD_PATH:
        tp = tp.children[f"{{{corpus.TMK}}}{name}"].type
    return tp


def _devnull() -> Any:
    return open(os.devnull, "wb")


# -- XML → JSON, bulk (streaming) ----------------------------------------------------------


@scenario("bulk.lxml-floor")
def bulk_floor(p: dict[str, Any]) -> dict[str, Any]:
    from lxml import etree

    from xml2json.config import Limits
    from xml2json.safe import parser_options

    path = p["path"]
    opts = parser_options(Limits())

    def work() -> int:
        n = 0
        for _ev, el in etree.iterparse(path, tag=corpus.RECORD_TAG, **opts):
            n += 1
            el.clear()
            while el.getprevious() is not None:
                del el.getparent()[0]
        return n

    wall, cpu, n = timed(work)
    return {"bytes": os.path.getsize(path), "items": n, "seconds": wall, "cpu": cpu}


@scenario("bulk.xml2json")
def bulk_xml2json(p: dict[str, Any]) -> dict[str, Any]:
    """The converter's own streaming loop: iterparse on the record tag (through the package's
    safe parser), convert, write JSON Lines, clear, drop earlier siblings."""
    from xml2json.config import Options
    from xml2json.convert.xml_to_json import XmlToJson
    from xml2json.io import dumps_json
    from xml2json.plan import load_plan
    from xml2json.safe import iterparse

    path = p["path"]
    plan = load_plan(PLAN)
    tp = record_type(plan)
    options = Options()

    def work() -> tuple[int, int]:
        conv = XmlToJson(plan, options)
        n = out_bytes = 0
        with _devnull() as out:
            for _ev, el in iterparse(path, options.limits, tag=corpus.RECORD_TAG):
                line = dumps_json(conv.element(el, tp, len(RECORD_PATH), []))
                out.write(line)
                out.write(b"\n")
                out_bytes += len(line) + 1
                n += 1
                el.clear()
                while el.getprevious() is not None:
                    del el.getparent()[0]
        return n, out_bytes

    wall, cpu, (n, out_bytes) = timed(work)
    return {"bytes": os.path.getsize(path), "items": n, "seconds": wall, "cpu": cpu, "json_bytes": out_bytes}


@scenario("bulk.xml2json-records-api")
def bulk_records_api(p: dict[str, Any]) -> dict[str, Any]:
    """The bulk engine's in-process record stream (``xml2json.bulk.records.stream_document``),
    one JSON Lines envelope per record, without the engine's files, manifest and workers."""
    from xml2json.api import Converter
    from xml2json.bulk.records import stream_document
    from xml2json.io import dumps_json

    path = p["path"]
    conv = Converter()
    conv.registry.plan("V6_0")

    def work() -> int:
        n = 0
        with open(path, "rb") as fh, _devnull() as out:
            for rec in stream_document(fh, path, conv, rest=False):
                out.write(dumps_json(rec.envelope()))
                out.write(b"\n")
                n += 1
        return n

    wall, cpu, n = timed(work)
    return {"bytes": os.path.getsize(path), "items": n, "seconds": wall, "cpu": cpu}


@scenario("bulk.xmltodict")
def bulk_xmltodict(p: dict[str, Any]) -> dict[str, Any]:
    import xmltodict

    path = p["path"]

    def work() -> int:
        count = [0]
        with open(path, "rb") as fh, _devnull() as out:

            def cb(_path: Any, item: Any) -> bool:
                out.write(orjson.dumps(item))
                out.write(b"\n")
                count[0] += 1
                return True

            xmltodict.parse(fh, item_depth=corpus.RECORD_DEPTH, item_callback=cb, disable_entities=True)
        return count[0]

    wall, cpu, n = timed(work)
    return {"bytes": os.path.getsize(path), "items": n, "seconds": wall, "cpu": cpu}


@scenario("bulk.xmltodict-lines")
def bulk_xmltodict_lines(p: dict[str, Any]) -> dict[str, Any]:
    """Set-up of the unparse peer (untimed, run once): the records of the bag as xmltodict's own
    parse gives them, ``{tag: item}``, one JSON line each."""
    import xmltodict

    n = [0]
    with open(p["path"], "rb") as fh, open(p["out"], "wb") as out:

        def cb(path: Any, item: Any) -> bool:
            out.write(orjson.dumps({path[-1][0]: item}))
            out.write(b"\n")
            n[0] += 1
            return True

        xmltodict.parse(fh, item_depth=corpus.RECORD_DEPTH, item_callback=cb, disable_entities=True)
    return {"bytes": os.path.getsize(p["path"]), "items": n[0], "seconds": 0.0, "cpu": 0.0}


#: The bag around the records the unparse peer writes (its records carry their own namespaces).
_PEER_HEAD = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<tmk:TrademarkTransaction xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark">'
    "<tmk:TrademarkTransactionBody><tmk:TransactionContentBag><tmk:TransactionData><tmk:TrademarkBag>"
)
_PEER_TAIL = (
    "</tmk:TrademarkBag></tmk:TransactionData></tmk:TransactionContentBag></tmk:TrademarkTransactionBody>"
    "</tmk:TrademarkTransaction>\n"
)


@scenario("bulk.xmltodict-unparse")
def bulk_xmltodict_unparse(p: dict[str, Any]) -> dict[str, Any]:
    """The peer of ``bulk --to-xml``: each JSON line (xmltodict's form of a record) parsed with
    orjson and ``unparse``-d into one streamed bag (to the null device: no file system cost)."""
    import xmltodict

    def work() -> int:
        n = 0
        with open(p["lines"], "rb") as fh, open(os.devnull, "w", encoding="utf-8") as out:
            out.write(_PEER_HEAD)
            for line in fh:
                xmltodict.unparse(orjson.loads(line), output=out, full_document=False)
                n += 1
            out.write(_PEER_TAIL)
        return n

    wall, cpu, n = timed(work)
    return {"bytes": p["bytes"], "items": n, "seconds": wall, "cpu": cpu}


def _xmlschema(name: str) -> tuple[Any, float]:
    import xmlschema

    t = time.perf_counter()
    xs = xmlschema.XMLSchema(str(corpus.xsd_dir() / f"{name}_V6_0.xsd"))
    return xs, time.perf_counter() - t


def _count_records(data: Any) -> int:
    """Records in an xmlschema to_dict result (prefixed keys, lists or single values)."""
    stack = [data]
    while stack:
        o = stack.pop()
        if isinstance(o, dict):
            for k, v in o.items():
                if k.endswith(":TrademarkBag") or k == "TrademarkBag":
                    recs = next(
                        (vv for kk, vv in (v[0] if isinstance(v, list) else v).items() if kk.endswith("Trademark")), []
                    )
                    return len(recs) if isinstance(recs, list) else 1
                stack.append(v)
        elif isinstance(o, list):
            stack.extend(o)
    return 0


@scenario("bulk.xmlschema")
def bulk_xmlschema(p: dict[str, Any]) -> dict[str, Any]:
    path = p["path"]
    xs, load_s = _xmlschema("TrademarkTransaction")

    def work() -> tuple[int, int]:
        data, errors = xs.to_dict(path, validation="lax")
        with _devnull() as out:
            out.write(orjson.dumps(data, default=str))  # xmlschema's Decimals are not JSON types
        return _count_records(data), len(errors)

    wall, cpu, (n, errors) = timed(work)
    return {
        "bytes": os.path.getsize(path),
        "items": p["records"],
        "seconds": wall,
        "cpu": cpu,
        "records_out": n,
        "errors": errors,
        "schema_load_s": load_s,
    }


@scenario("bulk.xmlschema-lazy")
def bulk_xmlschema_lazy(p: dict[str, Any]) -> dict[str, Any]:
    import xmlschema

    path = p["path"]
    xs, load_s = _xmlschema("TrademarkTransaction")
    xpath = "/" + "/".join(f"tmk:{n}" for n in ("TrademarkTransaction", *RECORD_PATH))

    def work() -> tuple[int, int]:
        res = xmlschema.XMLResource(path, lazy=True)
        n = errors = 0
        with _devnull() as out:
            for item in xs.iter_decode(res, path=xpath, validation="lax", namespaces={"tmk": corpus.TMK}):
                if isinstance(item, xmlschema.XMLSchemaValidationError):
                    errors += 1
                    continue
                out.write(orjson.dumps(item, default=str))
                n += 1
        return n, errors

    wall, cpu, (n, errors) = timed(work)
    return {
        "bytes": os.path.getsize(path),
        "items": p["records"],
        "seconds": wall,
        "cpu": cpu,
        "records_out": n,
        "errors": errors,
        "schema_load_s": load_s,
    }


# -- XML → JSON, single documents ------------------------------------------------------------


def _single(p: dict[str, Any], convert: Callable[[str, bytes], Any]) -> dict[str, Any]:
    docs = {name: Path(path).read_bytes() for name, path in p["docs"].items()}
    per_doc = {}
    for name, data in docs.items():
        convert(name, data)  # warm-up: plans, schemas, caches
        wall, cpu, _ = timed(lambda data=data, name=name: convert(name, data), repeat=3, min_time=p["min_time"])
        per_doc[name] = {"bytes": len(data), "items": 1, "seconds": wall, "cpu": cpu}
    return {
        "bytes": sum(d["bytes"] for d in per_doc.values()),
        "items": len(per_doc),
        "seconds": sum(d["seconds"] for d in per_doc.values()),
        "cpu": sum(d["cpu"] for d in per_doc.values()),
        "per_doc": per_doc,
    }


@scenario("single.xml2json")
def single_xml2json(p: dict[str, Any]) -> dict[str, Any]:
    from xml2json import Converter
    from xml2json.io import dumps_json

    conv = Converter()
    return _single(p, lambda _n, data: dumps_json(conv.xml_to_json(data).data))


@scenario("single.lxml-floor")
def single_floor(p: dict[str, Any]) -> dict[str, Any]:
    from lxml import etree

    from xml2json.config import Limits
    from xml2json.safe import make_parser

    parser = make_parser(Limits())
    return _single(p, lambda _n, data: etree.fromstring(data, parser))


@scenario("single.xmltodict")
def single_xmltodict(p: dict[str, Any]) -> dict[str, Any]:
    import xmltodict

    return _single(p, lambda _n, data: orjson.dumps(xmltodict.parse(data, disable_entities=True)))


@scenario("single.xmlschema")
def single_xmlschema(p: dict[str, Any]) -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    load = 0.0
    for name in p["docs"]:
        schemas[name], s = _xmlschema(name)
        load += s

    def convert(name: str, data: bytes) -> bytes:
        out, _errors = schemas[name].to_dict(io.BytesIO(data), validation="lax")
        return orjson.dumps(out, default=str)

    res = _single(p, convert)
    res["schema_load_s"] = load
    return res


# -- JSON → XML ---------------------------------------------------------------------------------


def _documents(p: dict[str, Any]) -> list[bytes]:
    docs = corpus.zip_documents(Path(p["zip"]))[: p.get("limit")]
    return docs + [Path(x).read_bytes() for x in p.get("extra", [])]


@scenario("j2x.xml2json")
def j2x_xml2json(p: dict[str, Any]) -> dict[str, Any]:
    from xml2json import Converter, Options
    from xml2json.io import dumps_json, loads_json

    conv = Converter()
    docs = _documents(p)
    limits = Options().limits
    data = [loads_json(dumps_json(conv.xml_to_json(d).data), limits) for d in docs]

    def work() -> int:
        return sum(len(conv.json_to_xml(d).xml) for d in data)

    work()
    wall, cpu, out = timed(work, repeat=3, min_time=p["min_time"])
    return {"bytes": sum(map(len, docs)), "items": len(docs), "seconds": wall, "cpu": cpu, "xml_bytes": out}


@scenario("j2x.xmltodict")
def j2x_xmltodict(p: dict[str, Any]) -> dict[str, Any]:
    import xmltodict

    docs = _documents(p)
    data = [xmltodict.parse(d, disable_entities=True) for d in docs]

    def work() -> int:
        return sum(len(xmltodict.unparse(d).encode()) for d in data)

    work()
    wall, cpu, out = timed(work, repeat=3, min_time=p["min_time"])
    return {"bytes": sum(map(len, docs)), "items": len(docs), "seconds": wall, "cpu": cpu, "xml_bytes": out}


# -- validation -------------------------------------------------------------------------------


@scenario("xsd.lxml")
def xsd_lxml(p: dict[str, Any]) -> dict[str, Any]:
    from xml2json import Converter
    from xml2json.policy import VERSION_ATTRIBUTE
    from xml2json.safe import parse_document
    from xml2json.validate import Validators

    conv = Converter()
    v = Validators(xsd_dirs=[corpus.xsd_dir()])
    docs = _documents(p)
    limits = conv.options.limits

    def work() -> int:
        valid = 0
        for d in docs:
            root = parse_document(d, limits)
            _plan, doc, _ = conv.select(root.tag, root.get(VERSION_ATTRIBUTE))
            valid += not v.check_xml(root, "V6_0", doc.name)
        return valid

    t = time.perf_counter()
    work()  # compiles the XSDs
    load_s = time.perf_counter() - t
    wall, cpu, valid = timed(work, repeat=3, min_time=p["min_time"])
    return {
        "bytes": sum(map(len, docs)),
        "items": len(docs),
        "seconds": wall,
        "cpu": cpu,
        "valid": valid,
        "schema_load_s": load_s,
    }


@scenario("xsd.xmlschema")
def xsd_xmlschema(p: dict[str, Any]) -> dict[str, Any]:
    from lxml import etree

    docs = _documents(p)
    schemas: dict[str, Any] = {}
    load = 0.0
    names = []
    for d in docs:
        name = etree.QName(etree.fromstring(d)).localname
        if name not in schemas:
            schemas[name], s = _xmlschema(name)
            load += s
        names.append(name)

    def work() -> int:
        return sum(schemas[n].is_valid(io.BytesIO(d)) for n, d in zip(names, docs, strict=True))

    wall, cpu, valid = timed(work, repeat=1, min_time=p["min_time"])
    return {
        "bytes": sum(map(len, docs)),
        "items": len(docs),
        "seconds": wall,
        "cpu": cpu,
        "valid": valid,
        "schema_load_s": load,
    }


def json_corpus(p: dict[str, Any]) -> list[tuple[str, Any]]:
    """(document name, JSON value) for every document, plus deliberately invalid variants."""
    from xml2json import Converter
    from xml2json.io import dumps_json, loads_json

    conv = Converter()
    limits = conv.options.limits
    out = []
    for d in _documents(p):
        r = conv.xml_to_json(d)
        out.append((r.document, loads_json(dumps_json(r.data), limits)))
    import random

    from benchmarks.mutate import mutations

    rnd = random.Random(7)
    for name, value in list(out):
        for m in mutations(value, rnd, p.get("mutations", 3)):
            out.append((name, m))
    if p.get("subset") == "valid":  # only what the reference validator accepts (decided untimed)
        from xml2json.validate import Validators

        ref = Validators()
        out = [(n, v) for n, v in out if ref.json_schema("V6_0", n).is_valid(v)]
    return out


def _fastjsonschema_schema(schema: Any) -> Any:
    """The schema for fastjsonschema (drafts 4-7): ``$ref`` siblings moved into an ``allOf``
    (2020-12 evaluates them, draft 7 ignores them), ``$schema`` set to draft 7."""

    def fix(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: fix(v) for k, v in node.items()}
            if "$ref" in node and len(node) > 1:
                ref = node.pop("$ref")
                node = {"allOf": [{"$ref": ref}], **node}
            return node
        if isinstance(node, list):
            return [fix(v) for v in node]
        return node

    out = fix(schema)
    out["$schema"] = "http://json-schema.org/draft-07/schema#"
    return out


@scenario("jsonschema")
def jsonschema_backend(p: dict[str, Any]) -> dict[str, Any]:
    """JSON Schema validation of converted documents (valid and deliberately invalid ones)."""
    from xml2json.io import dumps_json
    from xml2json.validate import Validators

    backend = p["backend"]
    items = json_corpus(p)
    names = sorted({n for n, _ in items})
    nbytes = sum(len(dumps_json(v)) for _, v in items)
    ref = Validators(fast=False)  # jsonschema alone: the reference the fast path is measured against
    t = time.perf_counter()
    check: dict[str, Callable[[Any], bool]]
    if backend == "jsonschema":  # what Validators.check_json does: every error, sorted
        check = {n: (lambda v, n=n: not ref.check_json(v, "V6_0", n)) for n in names}
        for n in names:
            ref.json_schema("V6_0", n)
    elif backend == "jsonschema-is_valid":
        check = {n: ref.json_schema("V6_0", n).is_valid for n in names}
    elif backend in ("fast", "fast-is_valid"):
        fv = Validators(registry=ref.registry)  # jsonschema-rs first, jsonschema's verdicts and issues
        assert fv.fast_checker is not None
        for n in names:
            fv.fast_checker.validator("V6_0", n)
            fv.json_schema("V6_0", n)
        if backend == "fast":
            check = {n: (lambda v, n=n: not fv.check_json(v, "V6_0", n)) for n in names}
        else:
            check = {n: (lambda v, n=n: fv.is_valid(v, "V6_0", n)) for n in names}
    elif backend == "jsonschema-rs-raw":  # jsonschema-rs alone (its verdicts differ in places)
        import jsonschema_rs

        from xml2json.fastvalidate import _rust_schema

        check = {
            n: jsonschema_rs.Draft202012Validator(_rust_schema(ref.registry.schema("V6_0", n))).is_valid for n in names
        }
    elif backend == "fastjsonschema":
        import fastjsonschema

        def wrap(f: Any) -> Callable[[Any], bool]:
            def ok(v: Any) -> bool:
                try:
                    f(v)
                except fastjsonschema.JsonSchemaValueException:
                    return False
                return True

            return ok

        check = {n: wrap(fastjsonschema.compile(_fastjsonschema_schema(ref.registry.schema("V6_0", n)))) for n in names}
    else:
        raise SystemExit(f"unknown backend {backend}")
    compile_s = time.perf_counter() - t

    def work() -> list[bool]:
        return [check[n](v) for n, v in items]

    wall, cpu, verdicts = timed(work, repeat=3, min_time=p["min_time"])
    return {
        "bytes": nbytes,
        "items": len(items),
        "seconds": wall,
        "cpu": cpu,
        "compile_s": compile_s,
        "valid": sum(verdicts),
        "verdicts": "".join("1" if x else "0" for x in verdicts),
    }


# -- round trip, schemas, plans -------------------------------------------------------------------


@scenario("roundtrip")
def roundtrip_all(p: dict[str, Any]) -> dict[str, Any]:
    from xml2json import roundtrip
    from xml2json.validate import Validators

    v = Validators(xsd_dirs=[corpus.xsd_dir()])
    docs = _documents(p)

    def work() -> int:
        return sum(roundtrip(d, validators=v).ok for d in docs)

    work()
    wall, cpu, ok = timed(work, repeat=1, min_time=p["min_time"])
    return {"bytes": sum(map(len, docs)), "items": len(docs), "seconds": wall, "cpu": cpu, "ok": ok}


@scenario("schema.compile")
def schema_compile(p: dict[str, Any]) -> dict[str, Any]:
    from xml2json.compiler.pipeline import compile_bundle

    src = corpus.xsd_dir()
    nbytes = sum(f.stat().st_size for f in src.glob("*.xsd"))
    wall, cpu, compiled = timed(lambda: compile_bundle(src))
    return {"bytes": nbytes, "items": len(compiled.schemas), "seconds": wall, "cpu": cpu, "timings": compiled.timings}


@scenario("plan.load")
def plan_load(p: dict[str, Any]) -> dict[str, Any]:
    t0 = time.perf_counter()
    from xml2json.plan import load_plan

    import_s = time.perf_counter() - t0
    t = time.perf_counter()
    plan = load_plan(PLAN)
    first = time.perf_counter() - t
    wall, cpu, plan = timed(lambda: load_plan(PLAN), repeat=5)
    return {
        "bytes": PLAN.stat().st_size,
        "items": len(plan.types),
        "seconds": wall,
        "cpu": cpu,
        "first_load_s": first,
        "import_s": import_s,
    }


def main() -> None:
    name = sys.argv[1]
    params = orjson.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    result = SCENARIOS[name](params)
    sys.stdout.write("\n" + orjson.dumps(result).decode() + "\n")


if __name__ == "__main__":
    main()

"""The schema compiler: bundle → IR → passes → (plan, JSON Schemas).

load     (load.py)            find document schemas and the version, offline
extract  (extract.py)         xmlschema components → IR, one document at a time
dedupe   (dedupe.py)          identical anonymous types become one
shape    (shape.py)           codecs, flattened particles, arrays, ordered groups
name     (naming.py)          JSON names, collision resolution
emit     (emit_plan.py, emit_jsonschema.py)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from ..plan import dump_plan
from .dedupe import dedupe_anonymous
from .emit_jsonschema import emit_json_schemas
from .emit_plan import emit_plan
from .extract import extract_bundle
from .ir import BundleIR
from .load import open_bundle
from .naming import name_bundle
from .shape import shape_bundle


@dataclass
class CompiledBundle:
    version: str
    ir: BundleIR
    plan: dict[str, Any]
    schemas: dict[str, dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def compile_bundle(source: str | Path) -> CompiledBundle:
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    with open_bundle(source) as bundle:
        ir = extract_bundle(bundle)
    t1 = time.perf_counter()
    timings["extract"] = t1 - t0
    dedupe_anonymous(ir)
    shape_bundle(ir)
    name_bundle(ir)
    t2 = time.perf_counter()
    timings["passes"] = t2 - t1
    plan = emit_plan(ir)
    schemas, notes = emit_json_schemas(ir)
    timings["emit"] = time.perf_counter() - t2
    return CompiledBundle(ir.version, ir, plan, schemas, notes=ir.notes + notes, timings=timings)


def schema_bytes(schema: dict[str, Any]) -> bytes:
    """Deterministic, diff-friendly serialisation of a generated JSON Schema."""
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2) + b"\n"


def write_schemas(compiled: CompiledBundle, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in compiled.schemas.items():
        p = out_dir / f"{name}.json"
        tmp = p.with_suffix(".json.tmp")
        tmp.write_bytes(schema_bytes(schema))
        tmp.replace(p)
        written.append(p)
    return written


def write_plan(compiled: CompiledBundle, path: Path) -> Path:
    dump_plan(compiled.plan, path)
    return path

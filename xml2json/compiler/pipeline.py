"""The schema compiler: bundle → IR → passes → (plan, JSON Schemas).

load     (load.py)      find document schemas and the version, offline
extract  (extract.py)   xmlschema components → IR, one document at a time
passes   (passes/)      the table ``PASSES`` below, in order, each ``run(ir) -> None``
emit     (emit_plan.py, emit_jsonschema.py)
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..artifacts import schema_bytes
from ..io import atomic_write
from ..plan import dump_plan
from .emit_jsonschema import emit_json_schemas
from .emit_plan import emit_plan
from .extract import extract_bundle
from .ir import BundleIR
from .load import open_bundle
from .passes import assign_names, decide_arrays, decide_codecs, decide_order, dedupe, flatten

Pass = Callable[[BundleIR], None]

#: The compiler's passes, in the order they run. Each decides one thing from the schema
#: and writes it onto the IR; a later pass may read what an earlier one decided.
PASSES: tuple[tuple[str, Pass], ...] = (
    # identical anonymous types become one (before any decision is written onto them)
    ("dedupe", dedupe.run),
    # simple types: string, boolean, decimal, integer or list
    ("decide_codecs", decide_codecs.run),
    # content models: one member per element, effective occurrence bounds, wildcards
    ("flatten", flatten.run),
    # members kept in document order (``content``) and why
    ("decide_order", decide_order.run),
    # members that are arrays, members that are required (needs the order)
    ("decide_arrays", decide_arrays.run),
    # JSON names and collisions (ordered members take names from their own pool)
    ("assign_names", assign_names.run),
)


def run_passes(ir: BundleIR) -> BundleIR:
    """Run every pass of ``PASSES`` on *ir*, in order; returns *ir*."""
    for _name, run in PASSES:
        run(ir)
    return ir


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
    run_passes(ir)
    t2 = time.perf_counter()
    timings["passes"] = t2 - t1
    plan = emit_plan(ir)
    schemas, notes = emit_json_schemas(ir)
    timings["emit"] = time.perf_counter() - t2
    return CompiledBundle(ir.version, ir, plan, schemas, notes=ir.notes + notes, timings=timings)


def write_schemas(compiled: CompiledBundle, out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in compiled.schemas.items():
        p = out_dir / f"{name}.json"
        atomic_write(p, schema_bytes(schema))
        written.append(p)
    return written


def write_plan(compiled: CompiledBundle, path: Path) -> Path:
    dump_plan(compiled.plan, path)
    return path

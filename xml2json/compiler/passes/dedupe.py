"""Pass dedupe: structurally identical anonymous types become one.

MathML declares the same anonymous content model and attribute types on
hundreds of elements; sharing them keeps the plan and the JSON Schemas small.
Named types are never merged (their keys are part of the published schema).
Runs first, before any pass has written its decisions onto the types.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..ir import BundleIR, TypeIR, refs, renamed


def _signature(t: Any) -> str:
    d = dataclasses.asdict(t)
    d["key"] = ""
    d["qname"] = None
    return repr(d)


def merge_identical(ir: BundleIR) -> int:
    """Merge identical anonymous types; returns how many were removed.

    Repeats until nothing merges (a merge can make two referring types identical). Only the
    types that refer to a merged key are rewritten, and only their signatures recomputed.
    """
    removed = 0
    signatures: dict[str, str] = {}
    while True:
        rename: dict[str, str] = {}
        for table in (ir.simple_types, ir.complex_types):
            by_sig: dict[str, str] = {}
            for key in sorted(table):
                if "__" not in key:
                    continue
                sig = signatures.get(key)
                if sig is None:
                    sig = signatures[key] = _signature(table[key])
                first = by_sig.setdefault(sig, key)
                if first != key:
                    rename[key] = first
        if not rename:
            return removed
        removed += len(rename)
        ir.simple_types = {k: _follow(t, rename, signatures) for k, t in ir.simple_types.items() if k not in rename}
        ir.complex_types = {k: _follow(t, rename, signatures) for k, t in ir.complex_types.items() if k not in rename}
        ir.elements = {k: rename.get(v, v) for k, v in ir.elements.items()}
        for doc in ir.documents.values():
            doc.root_type = rename.get(doc.root_type, doc.root_type)
            doc.types = sorted({rename.get(t, t) for t in doc.types})


def _follow(t: TypeIR, rename: dict[str, str], signatures: dict[str, str]) -> TypeIR:
    """*t* with its references to merged types renamed (a new object only when it has any)."""
    if not any(r in rename for r in refs(t)):
        return t
    signatures.pop(t.key, None)
    return renamed(t, rename)


def run(ir: BundleIR) -> None:
    merge_identical(ir)

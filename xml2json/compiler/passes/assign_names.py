"""Pass assign_names: JSON names for attributes, members and document roots, with collision resolution (rule 4).

Runs last: whether a member is ordered (:mod:`.decide_order`) decides which pool its name
is taken from (the object's members, or the single-member objects of ``content``).
"""

from __future__ import annotations

from ...policy import (
    CONTENT_KEY,
    VALUE_KEY,
    attribute_json_name,
    collision_name,
    json_name,
    prefix_for,
)
from ..ir import BundleIR, ComplexTypeIR


def _split(clark: str) -> tuple[str, str]:
    if clark.startswith("{"):
        ns, local = clark[1:].split("}")
        return ns, local
    return "", clark


def name_complex(ir: BundleIR, ct: ComplexTypeIR, extra: dict[str, str]) -> None:
    taken: dict[str, str] = {}  # json name -> xml name that holds it
    if ct.content == "simple":
        taken[VALUE_KEY] = "(simple content)"
    if ct.has_ordered:
        taken[CONTENT_KEY] = "(ordered content)"

    def assign(clark: str, base: str, pool: dict[str, str]) -> str:
        if base not in pool:
            pool[base] = clark
            return base
        ns, _ = _split(clark)
        new = collision_name(base, prefix_for(ns, extra) if ns else "local", set(pool))
        ir.collisions.append({"type": ct.key, "xml": clark, "json": base, "resolved": new, "with": pool[base]})
        pool[new] = clark
        return new

    for a in ct.attributes:
        a.json = assign(a.qname, attribute_json_name(_split(a.qname)[1]), taken)
    ordered_pool: dict[str, str] = {}
    for p in ct.particles:
        local = _split(p.qname)[1]
        p.json = assign(p.qname, json_name(local), ordered_pool if p.ordered else taken)


def run(ir: BundleIR) -> None:
    extra: dict[str, str] = {}
    for ct in ir.complex_types.values():
        name_complex(ir, ct, extra)
    for doc in ir.documents.values():
        doc.json_root = json_name(_split(doc.root)[1])

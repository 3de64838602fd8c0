"""Pass flatten: a complex type's nested groups become one list of members.

Every element of the content model becomes one member of ``ComplexTypeIR.particles``,
in document order, with its effective occurrence bounds (``eff_min``/``eff_max``: the
bounds of the enclosing groups multiplied in, a choice branch optional). An element
that occurs at two positions of one model is one member, with the widest bounds of
its occurrences; every occurrence keeps its own bounds. An element wildcard becomes
``any_element``; element content without members or wildcard becomes ``empty``.
"""

from __future__ import annotations

from ..ir import BundleIR, ComplexTypeIR, ParticleIR, WildcardIR, walk


def flatten(ct: ComplexTypeIR) -> None:
    flat: list[ParticleIR] = []
    first: dict[str, ParticleIR] = {}
    if ct.model is not None:
        for step in walk(ct.model):
            p = step.item
            if isinstance(p, WildcardIR):
                ct.any_element = p
                continue
            if not isinstance(p, ParticleIR):
                continue
            p.eff_min, p.eff_max = step.min, step.max
            prev = first.get(p.qname)
            if prev is None:
                first[p.qname] = p
                flat.append(p)
                continue
            # the same element in two particles of one content model: one member
            prev.eff_min = min(prev.eff_min, p.eff_min)
            prev.eff_max = None if prev.eff_max is None or p.eff_max is None else max(prev.eff_max, p.eff_max)
    ct.particles = flat
    if ct.content == "element" and not flat and ct.any_element is None:
        ct.content = "empty"


def run(ir: BundleIR) -> None:
    for ct in ir.complex_types.values():
        flatten(ct)

"""Pass decide_arrays: which members are JSON arrays and which are required (rule 10).

A member is an array when its effective maxOccurs (after :mod:`.flatten`) admits more
than one occurrence, whatever the instance holds: the schema decides the shape, never
the data. It is required when its effective minOccurs is at least one, unless it lives
in a ``content`` array (:mod:`.decide_order`), where presence is a matter of order.
"""

from __future__ import annotations

from ..ir import BundleIR, repeats


def run(ir: BundleIR) -> None:
    for ct in ir.complex_types.values():
        for p in ct.particles:
            p.array = repeats(p.eff_max)
            p.required = p.eff_min >= 1 and not p.ordered

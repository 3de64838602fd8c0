"""Pass decide_order: which members keep document order in a ``content`` array (rules 9, 13).

A group keeps the order of its items when it can repeat and policy says its order is
data (:func:`ordered_reason`); everything inside an ordered group, and every member of
mixed content, is ordered. An element at two positions of one content model that are
not alternatives of one choice (MathML's ``<mfrac>`` numerator and denominator) can only
be written back from document order: then the whole model is ordered. Runs after
:mod:`.flatten`; ``ordered_reason`` records why, for the tests and the docs.
"""

from __future__ import annotations

from ...policy import ORDERED_CHOICE_NAMESPACES, PARAGRAPH_LEVEL_TYPES, REPEATING_SEQUENCES_ORDERED
from ..ir import BundleIR, ComplexTypeIR, GroupIR, ParticleIR, Path, particles, repeats, walk


def _type_qname(ir: BundleIR, key: str) -> tuple[str, str] | None:
    t = ir.complex_types.get(key) or ir.simple_types.get(key)
    if t is None or t.qname is None:
        return None
    ns, local = t.qname[1:].split("}")
    return ns, local


def ordered_reason(ir: BundleIR, g: GroupIR, eff_max: int | None) -> str | None:
    """Why a group keeps document order as ``content`` (rule 13 and its documented extensions)."""
    if not repeats(eff_max):
        return None
    ps = particles(g)
    if g.model == "choice" and len(g.items) > 1:
        if any(_type_qname(ir, p.type) in PARAGRAPH_LEVEL_TYPES for p in ps):
            return "document-flow"
        if ps and all(p.qname[1:].split("}")[0] in ORDERED_CHOICE_NAMESPACES for p in ps):
            return "mathml-expression"
    if REPEATING_SEQUENCES_ORDERED and g.model == "sequence" and repeats(g.max) and len(ps) > 1:
        return "repeating-sequence"
    return None


def _alternatives_only(paths: list[Path]) -> bool:
    """True when every two occurrences of an element sit in different branches of one choice.

    Then they are the same position of the content model (``(A, B*) | B+``) and one
    merged array can be written back in any branch; otherwise (``A, B?, A``) their
    relative order is data.
    """
    for i, a in enumerate(paths):
        for b in paths[i + 1 :]:
            n = 0
            while n < min(len(a), len(b)) and a[n] == b[n]:
                n += 1
            # a[n] and b[n] are the first steps that differ: same group, different items
            if n >= min(len(a), len(b)) or a[n][0] != b[n][0] or a[n][1] != "choice":
                return False
    return True


def decide_order(ir: BundleIR, ct: ComplexTypeIR) -> None:
    reasons: set[str] = set()
    mixed = ct.content == "mixed"
    if ct.model is not None:
        member = {p.qname: p for p in ct.particles}
        paths: dict[str, list[Path]] = {}
        ordered_group: dict[int, bool] = {}  # by group number (the walk's order, see ir.Path)
        groups = 0
        for step in walk(ct.model):
            item = step.item
            inherited = bool(step.path) and ordered_group[step.path[-1][0]]
            if isinstance(item, GroupIR):
                # only the outermost ordered group gives the reason
                reason = None if inherited else ordered_reason(ir, item, step.max)
                if reason:
                    reasons.add(reason)
                ordered_group[groups] = inherited or reason is not None
                groups += 1
            elif isinstance(item, ParticleIR):
                item.ordered = inherited or mixed
                paths.setdefault(item.qname, []).append(step.path)
                m = member[item.qname]
                m.ordered = m.ordered or item.ordered
        repeated = [q for q, ps in paths.items() if len(ps) > 1 and not member[q].ordered]
        if any(not _alternatives_only(paths[q]) for q in repeated):
            reasons.add("repeated-particle")
            for p in ct.particles:
                p.ordered = True
    ct.has_ordered = mixed or any(p.ordered for p in ct.particles)
    if mixed:
        reasons.add("mixed")
    ct.ordered_reason = ",".join(sorted(reasons)) or None


def run(ir: BundleIR) -> None:
    for ct in ir.complex_types.values():
        decide_order(ir, ct)

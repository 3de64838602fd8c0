"""Pass decide_order: which members keep document order in a ``content`` array (rules 9, 13).

The writer writes every member's items together, members in schema order (the order of
``ComplexTypeIR.particles``), and an ordered ``content`` array at the place of its first
member. So a content model may stay per-name arrays only where that gives back every valid
input; everywhere else the compiler keeps document order, from the schema alone:

* a group that can repeat keeps its order when policy says its order is data
  (:func:`ordered_reason`: document flow, MathML expressions, repeating sequences) or when
  per-name arrays cannot give it back (rule 13's second exception, ``repeating-group``):
  it holds two or more element names and is not a choice each of whose branches is one
  element per occurrence (the one interleaving the round trip forgives);
* an element at two positions of one content model that are not alternatives of one
  choice (MathML's ``<mfrac>`` numerator and denominator) orders the whole model
  (``repeated-particle``);
* two element names that can occur in an order other than the writer's
  (``relative-order``: ``(A | (B, A?))`` has ``B`` before ``A``; or a member the writer
  would put after the ``content`` array although it can come before an ordered item)
  order the whole model.

Everything inside an ordered group, and every member of mixed content, is ordered. Runs
after :mod:`.flatten`; ``ordered_reason`` records why, for the tests and the docs.
"""

from __future__ import annotations

from ...policy import (
    INTERLEAVED_SINGLE_ELEMENT_CHOICES_AS_ARRAYS,
    ORDERED_CHOICE_NAMESPACES,
    PARAGRAPH_LEVEL_TYPES,
)
from ..ir import BundleIR, ComplexTypeIR, GroupIR, Item, ParticleIR, Path, particles, repeats, walk


def _type_qname(ir: BundleIR, key: str) -> tuple[str, str] | None:
    t = ir.complex_types.get(key) or ir.simple_types.get(key)
    if t is None or t.qname is None:
        return None
    ns, local = t.qname[1:].split("}")
    return ns, local


def one_element_per_occurrence(item: Item) -> bool:
    """True when every occurrence of *item* is exactly one element: a particle, a choice of
    such items, or a group around one such item (``(A | (B | C) | (D))``)."""
    if isinstance(item, ParticleIR):
        return True
    if not isinstance(item, GroupIR):
        return False  # a wildcard
    if len(item.items) == 1:
        return one_element_per_occurrence(item.items[0])
    return item.model == "choice" and all(one_element_per_occurrence(i) for i in item.items)


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
    if g.model == "sequence" and repeats(g.max) and len(ps) > 1:
        return "repeating-sequence"
    # a group around one item is that item, repeated: the item is judged on its own
    if (
        len(g.items) > 1
        and len({p.qname for p in ps}) > 1
        and not (INTERLEAVED_SINGLE_ELEMENT_CHOICES_AS_ARRAYS and one_element_per_occurrence(g))
    ):
        # occurrences of the group follow each other: which item belongs to which occurrence
        # (and in which order the names came) is lost in per-name arrays
        return "repeating-group"
    return None


def _alternatives_only(paths: list[Path]) -> bool:
    """True when every two occurrences of an element sit in different branches of one choice.

    Then they are the same position of the content model (``(A, B*) | B+``) and one
    merged array can be written back in any branch (if the order of the names around it
    allows, see :func:`_out_of_writer_order`); otherwise (``A, B?, A``) their relative
    order is data.
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


def _elements(item: Item) -> list[ParticleIR]:
    if isinstance(item, ParticleIR):
        return [item]
    return particles(item) if isinstance(item, GroupIR) else []


def _out_of_writer_order(ct: ComplexTypeIR) -> bool:
    """True when a valid instance can hold two different elements in an order other than the
    writer's: the writer writes members in the order of ``ct.particles``, all ordered
    members together at the place of the first one. In a sequence every element of an
    earlier item must come no later than every element of a later item; in an ``all``
    group the items may come in any order."""
    assert ct.model is not None
    rank: dict[str, int] = {}
    first_ordered: int | None = None
    for i, p in enumerate(ct.particles):
        if p.ordered:
            first_ordered = i if first_ordered is None else first_ordered
            rank[p.qname] = first_ordered
        else:
            rank[p.qname] = i
    for step in walk(ct.model):
        g = step.item
        if not isinstance(g, GroupIR) or g.model == "choice":
            continue
        # the writer's ranks of the elements of each item (a wildcard has none)
        ranks = [r for r in ([rank[p.qname] for p in _elements(i)] for i in g.items) if r]
        if g.model == "all":
            if len({x for r in ranks for x in r}) > 1 and len(ranks) > 1:
                return True
            continue
        # the same rank twice is one member or one content array: no order to lose
        latest = -1
        for r in ranks:
            if latest > min(r):
                return True
            latest = max(latest, *r)
    return False


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
        elif not all(p.ordered for p in ct.particles) and _out_of_writer_order(ct):
            reasons.add("relative-order")
        if reasons & {"repeated-particle", "relative-order"}:
            for p in ct.particles:
                p.ordered = True
    ct.has_ordered = mixed or any(p.ordered for p in ct.particles)
    if mixed:
        reasons.add("mixed")
    ct.ordered_reason = ",".join(sorted(reasons)) or None


def run(ir: BundleIR) -> None:
    for ct in ir.complex_types.values():
        decide_order(ir, ct)

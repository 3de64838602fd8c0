"""Pass 2 — shape: value codecs, flattened particles, arrays, required members, ordered groups.

Everything here is decided from the schema, never from instance data (rule 10).
"""

from __future__ import annotations

from ..policy import (
    BOOLEAN_PRIMITIVES,
    NUMERIC_PRIMITIVES,
    ORDERED_CHOICE_NAMESPACES,
    PARAGRAPH_LEVEL_TYPES,
)
from .ir import BundleIR, Codec, ComplexTypeIR, GroupIR, ParticleIR, WildcardIR

_INTEGER_BUILTINS = frozenset(
    {
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    }
)


def _mul(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a * b


def _repeats(n: int | None) -> bool:
    return n is None or n > 1


# -- codecs ---------------------------------------------------------------------------


def decide_codecs(ir: BundleIR) -> None:
    memo: dict[str, Codec] = {}

    def codec(key: str, stack: frozenset[str] = frozenset()) -> Codec:
        if key in memo:
            return memo[key]
        st = ir.simple_types[key]
        c: Codec
        if st.variety == "list":
            c = "list"
        elif st.variety == "union":
            if key in stack:  # pragma: no cover - unions cannot be recursive in XSD
                return "string"
            members = {codec(m, stack | {key}) for m in st.members}
            if members <= {"integer"}:
                c = "integer"
            elif members <= {"integer", "decimal"}:
                c = "decimal"
            elif members == {"boolean"}:
                c = "boolean"
            else:
                c = "string"  # a union that admits a string stays a string (rule 16)
        elif st.primitive in BOOLEAN_PRIMITIVES:
            c = "boolean"
        elif st.primitive in NUMERIC_PRIMITIVES:
            c = "integer" if st.builtin in _INTEGER_BUILTINS else "decimal"
        else:
            c = "string"
        memo[key] = c
        return c

    for key, st in ir.simple_types.items():
        st.codec = codec(key)
    for st in ir.simple_types.values():
        if st.variety == "list":
            assert st.item is not None
            st.item_codec = ir.simple_types[st.item].codec


# -- particles --------------------------------------------------------------------------


def _particles(g: GroupIR) -> list[ParticleIR]:
    out: list[ParticleIR] = []
    for i in g.items:
        if isinstance(i, GroupIR):
            out.extend(_particles(i))
        elif isinstance(i, ParticleIR):
            out.append(i)
    return out


def _type_qname(ir: BundleIR, key: str) -> tuple[str, str] | None:
    t = ir.complex_types.get(key) or ir.simple_types.get(key)
    if t is None or t.qname is None:
        return None
    ns, local = t.qname[1:].split("}")
    return ns, local


def _ordered_reason(ir: BundleIR, g: GroupIR, eff_max: int | None) -> str | None:
    """Why a group keeps document order as ``content`` (rule 13 and its documented extensions)."""
    if not _repeats(eff_max):
        return None
    ps = _particles(g)
    if g.model == "choice" and len(g.items) > 1:
        if any(_type_qname(ir, p.type) in PARAGRAPH_LEVEL_TYPES for p in ps):
            return "document-flow"
        if ps and all(p.qname[1:].split("}")[0] in ORDERED_CHOICE_NAMESPACES for p in ps):
            return "mathml-expression"
    if g.model == "sequence" and _repeats(g.max) and len(ps) > 1:
        return "repeating-sequence"
    return None


def _alternatives_only(paths: list[tuple[tuple[int, str, int], ...]]) -> bool:
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


def shape_complex(ir: BundleIR, ct: ComplexTypeIR) -> None:
    flat: list[ParticleIR] = []
    by_name: dict[str, ParticleIR] = {}
    paths: dict[str, list[tuple[tuple[int, str, int], ...]]] = {}
    reasons: set[str] = set()

    def walk(g: GroupIR, fmin: int, fmax: int | None, ordered: bool, path: tuple[tuple[int, str, int], ...]) -> None:
        gmax = _mul(fmax, g.max)
        gmin = fmin * g.min
        reason = None if ordered else _ordered_reason(ir, g, gmax)
        if reason:
            reasons.add(reason)
        ordered = ordered or reason is not None
        branchy = g.model == "choice" and len(g.items) > 1
        for idx, item in enumerate(g.items):
            step = (*path, (id(g), g.model, idx))
            if isinstance(item, WildcardIR):
                ct.any_element = item
                continue
            if isinstance(item, GroupIR):
                walk(item, 0 if branchy else gmin, gmax, ordered, step)
                continue
            p = item
            p.eff_min = (0 if branchy else gmin) * p.min
            p.eff_max = _mul(gmax, p.max)
            p.ordered = ordered or ct.content == "mixed"
            paths.setdefault(p.qname, []).append(step)
            prev = by_name.get(p.qname)
            if prev is not None:
                # the same element in two particles of one content model: one member
                prev.array = prev.array or _repeats(p.eff_max)
                prev.eff_max = None if prev.eff_max is None or p.eff_max is None else max(prev.eff_max, p.eff_max)
                prev.eff_min = min(prev.eff_min, p.eff_min)
                prev.ordered = prev.ordered or p.ordered
                prev.required = prev.eff_min >= 1 and not prev.ordered
                p.json = ""  # marker: merged into prev
                continue
            p.array = _repeats(p.eff_max)
            p.required = p.eff_min >= 1 and not p.ordered
            by_name[p.qname] = p
            flat.append(p)

    if ct.model is not None:
        walk(ct.model, 1, 1, False, ())
        repeated = [q for q, ps in paths.items() if len(ps) > 1 and not by_name[q].ordered]
        if any(not _alternatives_only(paths[q]) for q in repeated):
            # An element that occurs at two positions of one content model (MathML's
            # positional arguments: <mfrac> numerator, denominator) can only be written
            # back from document order: the whole content model keeps its order.
            reasons.add("repeated-particle")
            for p in flat:
                p.ordered = True
                p.required = False
    ct.particles = flat
    ct.has_ordered = ct.content == "mixed" or any(p.ordered for p in flat)
    if ct.content == "mixed":
        reasons.add("mixed")
    ct.ordered_reason = ",".join(sorted(reasons)) or None
    if ct.content == "element" and not flat and ct.any_element is None:
        ct.content = "empty"


def shape_bundle(ir: BundleIR) -> None:
    decide_codecs(ir)
    for ct in ir.complex_types.values():
        shape_complex(ir, ct)

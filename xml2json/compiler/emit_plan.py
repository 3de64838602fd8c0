"""Emitter (a): the runtime plan, a compact JSON document read by :mod:`xml2json.plan`.

Format (``format: 1``)::

    {"format": 1, "version": "V6_0", "namespaces": {prefix: uri},
     "documents": {name: [root_clark, type_key, json_root]},
     "elements": {clark: type_key},
     "types": {key: ["leaf", codec]                                    # simple types
                    | [kind, attrs, children, value_codec, any_attr, any_elem(, interleave)]}}

``codec`` is ``"s"``/``"b"``/``"d"``/``"i"`` or ``["l", item_codec]``; ``attrs`` are
``[clark, json, codec, required]``; ``children`` are
``[clark, json, type_key, array, ordered, required]`` in schema order. ``interleave``, present
only when not empty, lists the repeating choices whose every branch is one element (and not
ordered): one list of Clark names per such choice. Per-branch arrays (rule 13) do not keep the
interleaving between those branches, and the round-trip comparer forgives exactly that
(:mod:`xml2json.roundtrip`).
"""

from __future__ import annotations

from typing import Any

from .ir import BundleIR, ComplexTypeIR, GroupIR, ParticleIR, SimpleTypeIR, repeats, walk

PLAN_FORMAT = 1
_CODE = {"string": "s", "boolean": "b", "decimal": "d", "integer": "i"}


def codec_spec(st: SimpleTypeIR) -> Any:
    if st.codec == "list":
        assert st.item_codec is not None
        return ["l", _CODE.get(st.item_codec, "s")]
    return _CODE[st.codec]


def interleaving_choices(ct: ComplexTypeIR) -> list[list[str]]:
    """The repeating choices of *ct* (the choice or an enclosing group repeats) whose every
    branch is a single unordered element particle: Clark names per choice, in schema order."""
    if ct.model is None:
        return []
    out: list[list[str]] = []
    for step in walk(ct.model):
        g = step.item
        if not isinstance(g, GroupIR) or g.model != "choice" or len(g.items) < 2 or not repeats(step.max):
            continue
        if all(isinstance(i, ParticleIR) and not i.ordered for i in g.items):
            names = list(dict.fromkeys(i.qname for i in g.items if isinstance(i, ParticleIR)))
            if len(names) > 1:
                out.append(names)
    return out


def emit_plan(ir: BundleIR) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for key, st in sorted(ir.simple_types.items()):
        types[key] = ["leaf", codec_spec(st)]
    for key, ct in sorted(ir.complex_types.items()):
        attrs = [[a.qname, a.json, codec_spec(ir.simple_types[a.type]), a.required] for a in ct.attributes]
        children = [[p.qname, p.json, p.type, p.array, p.ordered, p.required] for p in ct.particles]
        value = codec_spec(ir.simple_types[ct.simple]) if ct.simple else None
        any_attr = ct.any_attribute.process_contents if ct.any_attribute else None
        any_elem = ct.any_element.process_contents if ct.any_element else None
        types[key] = [ct.content, attrs, children, value, any_attr, any_elem]
        interleave = interleaving_choices(ct)
        if interleave:
            types[key].append(interleave)
    return {
        "format": PLAN_FORMAT,
        "version": ir.version,
        "namespaces": dict(sorted(ir.namespaces.items())),
        "documents": {n: [d.root, d.root_type, d.json_root] for n, d in sorted(ir.documents.items())},
        "elements": dict(sorted(ir.elements.items())),
        "types": types,
    }

"""Emitter (a): the runtime plan, a compact JSON document read by :mod:`xml2json.plan`.

Format (``format: 1``)::

    {"format": 1, "version": "V6_0", "namespaces": {prefix: uri},
     "documents": {name: [root_clark, type_key, json_root]},
     "elements": {clark: type_key},
     "types": {key: ["leaf", codec]                                    # simple types
                    | [kind, attrs, children, value_codec, any_attr, any_elem]}}

``codec`` is ``"s"``/``"b"``/``"d"``/``"i"`` or ``["l", item_codec]``; ``attrs`` are
``[clark, json, codec, required]``; ``children`` are
``[clark, json, type_key, array, ordered, required]`` in schema order.
"""

from __future__ import annotations

from typing import Any

from .ir import BundleIR, SimpleTypeIR

PLAN_FORMAT = 1
_CODE = {"string": "s", "boolean": "b", "decimal": "d", "integer": "i"}


def codec_spec(st: SimpleTypeIR) -> Any:
    if st.codec == "list":
        assert st.item_codec is not None
        return ["l", _CODE.get(st.item_codec, "s")]
    return _CODE[st.codec]


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
    return {
        "format": PLAN_FORMAT,
        "version": ir.version,
        "namespaces": dict(sorted(ir.namespaces.items())),
        "documents": {n: [d.root, d.root_type, d.json_root] for n, d in sorted(ir.documents.items())},
        "elements": dict(sorted(ir.elements.items())),
        "types": types,
    }

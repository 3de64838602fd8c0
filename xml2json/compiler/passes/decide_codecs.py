"""Pass decide_codecs: the JSON value type of every simple type (rules 16-20).

``boolean``, ``integer`` and ``decimal`` become JSON booleans and numbers; every
other primitive stays a string, lexically unchanged. A list keeps its item type's
codec; a union is a number or a boolean only when every member is one, otherwise a
string. The choice of primitives and built-ins is :mod:`xml2json.policy`'s.
"""

from __future__ import annotations

from ...policy import BOOLEAN_PRIMITIVES, INTEGER_BUILTINS, NUMERIC_PRIMITIVES
from ..ir import BundleIR, Codec


def run(ir: BundleIR) -> None:
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
            c = "integer" if st.builtin in INTEGER_BUILTINS else "decimal"
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

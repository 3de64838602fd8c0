"""Pass decide_codecs: the JSON value type of the mini bundle's simple types."""

from __future__ import annotations

from mini_ir import extracted, run_before

from xml2json import policy
from xml2json.compiler.ir import BundleIR, SimpleTypeIR
from xml2json.compiler.passes import decide_codecs


def _ir() -> BundleIR:
    ir = run_before(extracted(), "decide_codecs")
    ir.simple_types["u_numbers"] = SimpleTypeIR(
        "u_numbers", None, "union", "anySimpleType", None, members=["xs_nonNegativeInteger", "xs_decimal"]
    )
    ir.simple_types["u_integers"] = SimpleTypeIR(
        "u_integers", None, "union", "anySimpleType", None, members=["xs_nonNegativeInteger"]
    )
    ir.simple_types["u_mixed"] = SimpleTypeIR(
        "u_mixed", None, "union", "anySimpleType", None, members=["xs_decimal", "com_CodeType"]
    )
    ir.simple_types["u_flags"] = SimpleTypeIR("u_flags", None, "union", "anySimpleType", None, members=["xs_boolean"])
    ir.simple_types["l_counts"] = SimpleTypeIR("l_counts", None, "list", "anySimpleType", None, item="u_integers")
    decide_codecs.run(ir)
    return ir


def test_atomic_types_of_the_mini_bundle() -> None:
    codecs = {k: st.codec for k, st in _ir().simple_types.items() if not k.startswith(("u_", "l_"))}
    assert codecs == {
        "com_CodeType": "string",  # a token with a pattern stays a string
        "xs_boolean": "boolean",
        "xs_decimal": "decimal",
        "xs_nonNegativeInteger": "integer",
        "xs_string": "string",
        "xs_token": "string",
    }


def test_integers_are_the_builtins_that_policy_lists() -> None:
    ir = _ir()
    st = ir.simple_types["xs_nonNegativeInteger"]
    assert (st.primitive, st.builtin) == ("decimal", "nonNegativeInteger")
    assert st.builtin in policy.INTEGER_BUILTINS
    assert ir.simple_types["xs_decimal"].builtin not in policy.INTEGER_BUILTINS


def test_unions_are_numbers_or_booleans_only_when_every_member_is_one() -> None:
    st = _ir().simple_types
    assert st["u_integers"].codec == "integer"
    assert st["u_numbers"].codec == "decimal"
    assert st["u_flags"].codec == "boolean"
    assert st["u_mixed"].codec == "string"  # rule 16: a union admitting a string stays a string


def test_a_list_is_a_list_of_its_item_codec() -> None:
    st = _ir().simple_types["l_counts"]
    assert (st.codec, st.item_codec) == ("list", "integer")
    assert _ir().simple_types["xs_string"].item_codec is None

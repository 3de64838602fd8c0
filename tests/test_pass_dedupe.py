"""Pass dedupe: identical anonymous types of the mini bundle become one; named types never do."""

from __future__ import annotations

import copy

from mini_ir import COM, extracted, root_model

from xml2json.compiler.ir import BundleIR, ParticleIR, particles
from xml2json.compiler.passes import dedupe


def _with_anonymous_copies(ir: BundleIR) -> BundleIR:
    """Beta's and Gamma's types replaced by anonymous copies: two of CodeType, one named copy."""
    code = ir.simple_types["com_CodeType"]
    for key, qname in (
        ("com_SampleType__Beta", None),
        ("com_SampleType__Gamma", None),
        ("com_OtherCodeType", COM + "OtherCodeType"),
    ):
        t = copy.deepcopy(code)
        t.key, t.qname = key, qname
        ir.simple_types[key] = t
    for p in _particles(ir):
        if p.qname == COM + "Beta":
            p.type = "com_SampleType__Gamma"
        elif p.qname == COM + "Gamma":
            p.type = "com_SampleType__Beta"
        elif p.qname == COM + "Image":
            p.type = "com_OtherCodeType"
    ir.elements[COM + "Beta"] = "com_SampleType__Gamma"
    ir.documents["Sample"].types += ["com_OtherCodeType", "com_SampleType__Beta", "com_SampleType__Gamma"]
    return ir


def _particles(ir: BundleIR) -> list[ParticleIR]:
    return particles(root_model(ir))


def test_the_mini_bundle_has_nothing_to_merge() -> None:
    ir = extracted()
    before = copy.deepcopy(ir)
    assert dedupe.merge_identical(ir) == 0
    assert ir == before


def test_identical_anonymous_types_merge_into_the_first_key_and_every_reference_follows() -> None:
    ir = _with_anonymous_copies(extracted())
    dedupe.run(ir)
    assert "com_SampleType__Gamma" not in ir.simple_types
    assert ir.simple_types["com_SampleType__Beta"].facets.patterns == [["[A-Z]{2}\\d{3}"]]
    types = {p.qname.removeprefix(COM): p.type for p in _particles(ir)}
    assert types["Beta"] == types["Gamma"] == "com_SampleType__Beta"
    assert ir.elements[COM + "Beta"] == "com_SampleType__Beta"
    assert "com_SampleType__Gamma" not in ir.documents["Sample"].types
    assert ir.documents["Sample"].types == sorted(ir.documents["Sample"].types)


def test_named_types_are_never_merged() -> None:
    ir = _with_anonymous_copies(extracted())
    assert dedupe.merge_identical(ir) == 1
    assert {"com_CodeType", "com_OtherCodeType"} <= set(ir.simple_types)
    assert {p.qname.removeprefix(COM): p.type for p in _particles(ir)}["Image"] == "com_OtherCodeType"

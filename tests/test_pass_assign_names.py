"""Pass assign_names: JSON names of the mini bundle, and the collision it is built for."""

from __future__ import annotations

from mini_ir import COM, extracted, member, run_before, sample

from xml2json.compiler.ir import BundleIR
from xml2json.compiler.passes import assign_names


def _named(ir: BundleIR | None = None) -> BundleIR:
    ir = run_before(ir or extracted(), "assign_names")
    assign_names.run(ir)
    return ir


def test_members_and_the_document_root_get_lower_camel_case_names() -> None:
    ir = _named()
    ct = sample(ir)
    assert [p.json for p in ct.particles] == ["image_com", "circle", "square", "alpha", "beta", "gamma", "amount"]
    assert [a.json for a in ct.attributes] == ["st96Version", "image"]
    assert [a.json for a in ir.complex_types["com_AmountType"].attributes] == ["currencyCode"]
    assert ir.documents["Sample"].json_root == "sample"


def test_the_attribute_keeps_the_plain_name_and_the_element_gets_its_prefix() -> None:
    ir = _named()
    assert ir.collisions == [
        {"type": "com_SampleType", "xml": COM + "Image", "json": "image", "resolved": "image_com", "with": "image"}
    ]


def test_ordered_members_take_names_from_their_own_pool() -> None:
    ir = extracted()
    sample(ir).content = "mixed"
    ir = _named(ir)
    assert member(sample(ir), "Image").json == "image"  # an item of content, no clash with @image
    assert ir.collisions == []

"""Pass flatten: the mini bundle's content models as flat member lists with effective bounds."""

from __future__ import annotations

from mini_ir import COM, extracted, member, root_model, run_before, sample

from xml2json.compiler.ir import BundleIR, GroupIR, ParticleIR, WildcardIR
from xml2json.compiler.passes import flatten


def _flattened(ir: BundleIR | None = None) -> BundleIR:
    ir = run_before(ir or extracted(), "flatten")
    flatten.run(ir)
    return ir


def test_members_in_document_order_with_the_substitution_group_expanded() -> None:
    ct = sample(_flattened())
    assert [p.qname.removeprefix(COM) for p in ct.particles] == [
        "Image",
        "Circle",  # Shape is abstract: its members take its place
        "Square",
        "Alpha",
        "Beta",
        "Gamma",
        "Amount",
    ]
    assert ct.content == "element"
    assert ct.any_element is None


def test_effective_bounds_multiply_the_enclosing_groups_in() -> None:
    ct = sample(_flattened())
    bounds = {p.qname.removeprefix(COM): (p.eff_min, p.eff_max) for p in ct.particles}
    assert bounds == {
        "Image": (0, 1),
        "Circle": (0, None),  # the substitution choice repeats; one branch of two is optional
        "Square": (0, None),
        "Alpha": (0, 1),  # a branch of a required choice
        "Beta": (0, 1),
        "Gamma": (0, 1),
        "Amount": (0, 1),
    }


def test_simple_content_has_no_members() -> None:
    ct = _flattened().complex_types["com_AmountType"]
    assert ct.content == "simple"
    assert ct.particles == []


def test_an_element_at_two_positions_is_one_member_with_the_widest_bounds() -> None:
    ir = extracted()
    second = ParticleIR(COM + "Image", "xs_string", 1, 3)
    root_model(ir).items.append(second)
    ct = sample(_flattened(ir))
    assert [p.qname for p in ct.particles].count(COM + "Image") == 1
    image = member(ct, "Image")
    assert image is not second
    assert (image.eff_min, image.eff_max) == (0, 3)
    assert (second.eff_min, second.eff_max) == (1, 3)  # each occurrence keeps its own bounds


def test_wildcard_and_empty_content() -> None:
    ir = extracted()
    wildcard = WildcardIR(["##other"], "lax", 0, None)
    root_model(ir).items.append(wildcard)
    sample(ir).content = "element"
    amount = ir.complex_types["com_AmountType"]
    amount.content, amount.simple, amount.model = "element", None, GroupIR("sequence", 1, 1, [])
    ir = _flattened(ir)
    assert sample(ir).any_element is wildcard
    assert ir.complex_types["com_AmountType"].content == "empty"

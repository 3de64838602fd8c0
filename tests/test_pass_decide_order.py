"""Pass decide_order: which members of the mini bundle keep document order, and why."""

from __future__ import annotations

import pytest
from mini_ir import COM, extracted, member, root_model, run_before, sample

from xml2json.compiler.ir import BundleIR, ComplexTypeIR, GroupIR, ParticleIR, particles
from xml2json.compiler.passes import decide_order


def _ordered(ir: BundleIR | None = None) -> BundleIR:
    ir = run_before(ir or extracted(), "decide_order")
    decide_order.run(ir)
    return ir


def _ordered_members(ct: ComplexTypeIR) -> list[str]:
    return [p.qname.removeprefix(COM) for p in ct.particles if p.ordered]


def test_the_mini_bundle_keeps_no_order() -> None:
    ir = _ordered()
    for ct in ir.complex_types.values():
        assert (ct.has_ordered, ct.ordered_reason, _ordered_members(ct)) == (False, None, [])


def test_a_repeating_choice_with_a_paragraph_level_branch_is_document_flow() -> None:
    ir = extracted()
    ir.complex_types["com_PType"] = ComplexTypeIR("com_PType", COM + "PType", "mixed")
    next(p for p in particles(root_model(ir)) if p.qname == COM + "Circle").type = "com_PType"
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "document-flow"
    assert _ordered_members(ct) == ["Circle", "Square"]  # the whole choice, not the other members
    assert ct.has_ordered


def test_a_choice_that_does_not_repeat_keeps_no_order() -> None:
    ir = extracted()
    ir.complex_types["com_PType"] = ComplexTypeIR("com_PType", COM + "PType", "mixed")
    choice = root_model(ir).items[1]
    assert isinstance(choice, GroupIR) and choice.max is None
    choice.max = 1
    next(p for p in particles(choice) if p.qname == COM + "Circle").type = "com_PType"
    assert sample(_ordered(ir)).ordered_reason is None


def test_a_repeating_sequence_is_ordered_as_policy_says(monkeypatch: pytest.MonkeyPatch) -> None:
    ir = extracted()
    root_model(ir).max = None
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "repeating-sequence"
    assert len(_ordered_members(ct)) == len(ct.particles) == 7
    monkeypatch.setattr(decide_order, "REPEATING_SEQUENCES_ORDERED", False)
    ir = extracted()
    root_model(ir).max = None
    assert sample(_ordered(ir)).ordered_reason is None


def test_an_element_at_two_positions_orders_the_whole_model() -> None:
    ir = extracted()
    root_model(ir).items.append(ParticleIR(COM + "Image", "xs_string", 0, 1))  # Image?, …, Amount?, Image?
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "repeated-particle"
    assert len(_ordered_members(ct)) == len(ct.particles) == 7


def test_an_element_in_two_branches_of_one_choice_needs_no_order() -> None:
    ir = extracted()
    choice = root_model(ir).items[2]  # Alpha | (Beta, Gamma?)
    assert isinstance(choice, GroupIR) and choice.model == "choice"
    branch = choice.items[1]
    assert isinstance(branch, GroupIR)
    branch.items.append(ParticleIR(COM + "Alpha", "xs_boolean", 0, 1))  # Alpha | (Beta, Gamma?, Alpha?)
    ct = sample(_ordered(ir))
    assert (ct.ordered_reason, _ordered_members(ct)) == (None, [])


def test_mixed_content_orders_every_member() -> None:
    ir = extracted()
    sample(ir).content = "mixed"
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "mixed"
    assert ct.has_ordered
    assert member(ct, "Amount").ordered
    assert len(_ordered_members(ct)) == 7

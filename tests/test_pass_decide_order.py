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


def test_a_repeating_sequence_is_ordered() -> None:
    ir = extracted()
    root_model(ir).max = None
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "repeating-sequence"
    assert len(_ordered_members(ct)) == len(ct.particles) == 7


def _branchy_choice(ir: BundleIR) -> GroupIR:
    choice = root_model(ir).items[2]  # Alpha | (Beta, Gamma?)
    assert isinstance(choice, GroupIR) and choice.model == "choice"
    return choice


# -- rule 13, second exception: what per-name arrays cannot give back ----------------------


def test_a_repeating_choice_with_a_sequence_branch_keeps_order() -> None:
    # (Alpha | (Beta, Gamma?))+ is LocarnoClassificationBag's (LocarnoClassification |
    # (SymbolPositionCode?, LocarnoClassificationText))+: arrays lose which Beta a Gamma follows
    ir = extracted()
    _branchy_choice(ir).max = None
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "repeating-group"
    assert _ordered_members(ct) == ["Alpha", "Beta", "Gamma"]  # the group only


def test_a_group_around_a_repeating_choice_is_judged_by_the_choice() -> None:
    ir = extracted()
    model = root_model(ir)
    model.items[2] = GroupIR("choice", 1, None, [_branchy_choice(ir)])  # ((Alpha | (Beta, Gamma?)))+
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "repeating-group"
    assert _ordered_members(ct) == ["Alpha", "Beta", "Gamma"]


def test_a_repeating_choice_of_single_elements_stays_arrays(monkeypatch: pytest.MonkeyPatch) -> None:
    # (Circle | (Square | Triangle) | (Hexagon))+: every branch is one element per occurrence;
    # only their interleaving is lost, the one loss the round trip forgives (rule 13 as written)
    def build() -> BundleIR:
        ir = extracted()
        choice = root_model(ir).items[1]
        assert isinstance(choice, GroupIR) and choice.max is None
        choice.items[1] = GroupIR("choice", 1, 1, [choice.items[1], ParticleIR(COM + "Triangle", "xs_string", 1, 1)])
        choice.items.append(GroupIR("sequence", 1, 1, [ParticleIR(COM + "Hexagon", "xs_string", 0, None)]))
        return ir

    ct = sample(_ordered(build()))
    assert (ct.ordered_reason, _ordered_members(ct)) == (None, [])
    monkeypatch.setattr(decide_order, "INTERLEAVED_SINGLE_ELEMENT_CHOICES_AS_ARRAYS", False)
    ct = sample(_ordered(build()))
    assert ct.ordered_reason == "repeating-group"
    assert _ordered_members(ct) == ["Circle", "Square", "Triangle", "Hexagon"]


def test_names_in_another_order_in_another_branch_order_the_whole_model() -> None:
    # Alpha | (Beta, Gamma?, Alpha?): the writer puts Alpha first, so Beta, Alpha came back as
    # Alpha, Beta (pat:StateDesignation: NationalDesignation | (RegionalDesignation+, NationalDesignation?))
    ir = extracted()
    branch = _branchy_choice(ir).items[1]
    assert isinstance(branch, GroupIR)
    branch.items.append(ParticleIR(COM + "Alpha", "xs_boolean", 0, 1))
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "relative-order"
    assert len(_ordered_members(ct)) == len(ct.particles) == 7


def test_a_member_between_two_parts_of_ordered_content_orders_the_whole_model() -> None:
    # (Circle | Square)+ is document flow; a Square after Amount would be written inside the
    # content array, before Alpha and Amount (MathML apply: bvar between two ordered groups)
    ir = extracted()
    ir.complex_types["com_PType"] = ComplexTypeIR("com_PType", COM + "PType", "mixed")
    next(p for p in particles(root_model(ir)) if p.qname == COM + "Circle").type = "com_PType"
    root_model(ir).items.append(ParticleIR(COM + "Square", "xs_string", 0, 1))
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "document-flow,relative-order"
    assert len(_ordered_members(ct)) == len(ct.particles) == 7


def test_an_all_group_of_two_elements_keeps_order() -> None:
    ir = extracted()
    beta_gamma = _branchy_choice(ir).items[1]
    assert isinstance(beta_gamma, GroupIR)
    beta_gamma.model = "all"
    assert sample(_ordered(ir)).ordered_reason == "relative-order"


def test_an_element_at_two_positions_orders_the_whole_model() -> None:
    ir = extracted()
    root_model(ir).items.append(ParticleIR(COM + "Image", "xs_string", 0, 1))  # Image?, …, Amount?, Image?
    ct = sample(_ordered(ir))
    assert ct.ordered_reason == "repeated-particle"
    assert len(_ordered_members(ct)) == len(ct.particles) == 7


def test_an_element_in_two_branches_of_one_choice_needs_no_order() -> None:
    ir = extracted()
    branch = _branchy_choice(ir).items[1]
    assert isinstance(branch, GroupIR)
    branch.items.insert(0, ParticleIR(COM + "Alpha", "xs_boolean", 0, 1))  # Alpha | (Alpha?, Beta, Gamma?)
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

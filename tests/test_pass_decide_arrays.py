"""Pass decide_arrays: which members of the mini bundle are arrays, which are required."""

from __future__ import annotations

from mini_ir import COM, extracted, member, root_model, run_before, sample

from xml2json.compiler.ir import BundleIR, ParticleIR
from xml2json.compiler.passes import decide_arrays


def _decided(ir: BundleIR | None = None) -> BundleIR:
    ir = run_before(ir or extracted(), "decide_arrays")
    decide_arrays.run(ir)
    return ir


def test_arrays_follow_the_effective_max_not_the_particle_alone() -> None:
    ct = sample(_decided())
    arrays = [p.qname.removeprefix(COM) for p in ct.particles if p.array]
    # Circle and Square have maxOccurs 1 themselves; the substitution choice repeats
    assert arrays == ["Circle", "Square"]


def test_nothing_is_required_where_a_choice_or_minoccurs_0_allows_absence() -> None:
    ct = sample(_decided())
    assert [p.qname for p in ct.particles if p.required] == []


def test_required_needs_effective_minoccurs_1() -> None:
    ir = extracted()
    image = root_model(ir).items[0]
    assert isinstance(image, ParticleIR) and image.qname == COM + "Image"
    image.min = 1
    ct = sample(_decided(ir))
    assert member(ct, "Image").required
    assert not member(ct, "Image").array


def test_an_element_at_two_positions_is_an_array_if_either_repeats_and_ordered_not_required() -> None:
    ir = extracted()
    image = root_model(ir).items[0]
    assert isinstance(image, ParticleIR)
    image.min = 1
    root_model(ir).items.append(ParticleIR(COM + "Image", "xs_string", 2, 2))  # Image, …, Image{2}
    ct = sample(_decided(ir))
    assert member(ct, "Image").array  # the wider occurrence decides
    assert member(ct, "Image").eff_min == 1
    assert not member(ct, "Image").required  # two positions: the model is ordered, presence is order


def test_ordered_members_are_never_required() -> None:
    ir = extracted()
    sample(ir).content = "mixed"
    image = root_model(ir).items[0]
    assert isinstance(image, ParticleIR)
    image.min = 1
    ct = sample(_decided(ir))
    assert member(ct, "Image").ordered
    assert not member(ct, "Image").required

"""The IR's one content-model walker and its helpers, on the mini bundle."""

from __future__ import annotations

from mini_ir import COM, extracted, root_model, sample

from xml2json.compiler.ir import GroupIR, ParticleIR, particles, refs, renamed, walk


def _label(item: object) -> str:
    if isinstance(item, GroupIR):
        return item.model
    assert isinstance(item, ParticleIR)
    return item.qname.removeprefix(COM)


def test_walk_visits_the_model_first_then_depth_first_in_document_order() -> None:
    model = root_model(extracted())
    steps = list(walk(model))
    assert [_label(s.item) for s in steps] == [
        "sequence",
        "Image",
        "choice",
        "Circle",
        "Square",
        "choice",
        "Alpha",
        "sequence",
        "Beta",
        "Gamma",
        "Amount",
    ]
    assert steps[0].path == ()
    beta = steps[8]
    assert [(model_, index) for _, model_, index in beta.path] == [("sequence", 2), ("choice", 1), ("sequence", 0)]
    assert [number for number, _, _ in beta.path] == [0, 2, 3]  # groups numbered in visiting order


def test_walk_gives_effective_bounds() -> None:
    bounds = {_label(s.item): (s.min, s.max) for s in walk(root_model(extracted())) if isinstance(s.item, ParticleIR)}
    assert bounds == {
        "Image": (0, 1),
        "Circle": (0, None),
        "Square": (0, None),
        "Alpha": (0, 1),
        "Beta": (0, 1),
        "Gamma": (0, 1),
        "Amount": (0, 1),
    }


def test_refs_lists_attribute_content_and_particle_types() -> None:
    ir = extracted()
    assert refs(sample(ir)) == [
        "xs_token",
        "xs_string",
        "xs_string",
        "xs_string",
        "xs_string",
        "xs_boolean",
        "com_CodeType",
        "xs_nonNegativeInteger",
        "com_AmountType",
    ]
    assert refs(ir.complex_types["com_AmountType"]) == ["xs_token", "xs_decimal"]
    assert refs(ir.simple_types["com_CodeType"]) == []


def test_particles_and_renamed() -> None:
    ir = extracted()
    ct = sample(ir)
    assert [_label(p) for p in particles(ct.model)] == ["Image", "Circle", "Square", "Alpha", "Beta", "Gamma", "Amount"]
    assert particles(None) == []
    new = renamed(ct, {"com_SampleType": "X", "xs_string": "S", "xs_token": "T"})
    assert new.key == "X"
    assert [a.type for a in new.attributes] == ["T", "S"]
    assert [p.type for p in particles(new.model)][:3] == ["S", "S", "S"]
    assert ct.key == "com_SampleType"  # a copy: the original is unchanged
    assert particles(ct.model)[0].type == "xs_string"

"""The round trip over the whole V6_0 schema: an instance of every complex type reachable from
the 28 document roots (tests/generator.py says how they are built), seeded, plus a Hypothesis
property over type, variant and seed.

Each instance must be XSD-valid (those with unknown elements must not be), convert without
warnings (with ``unknown-element`` warnings for the unknowns), validate against the generated
JSON Schema, write back XSD-valid, compare equal with the project's comparer *and* with the
strict ordered comparison of the generator, and give back the same JSON. Relaxations the
mapping rules forgive (boolean/decimal lexical forms, interleaving of single-element branches
of repeating choices) are counted and printed, never hidden; anything else fails the test.

The counts are printed to the terminal (with or without ``-s``) and are in the failure message;
``python tests/generator.py --report`` prints them without pytest.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from generator import FORGIVEN, Checker, Generator, Outcome, element_fixed_values, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xml2json.compiler.ir import ParticleIR, walk

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def generator(compiled_v6: Any, xsd_dir: Path) -> Generator:
    return Generator(compiled_v6.ir, fixed=element_fixed_values(xsd_dir))


@pytest.fixture(scope="module")
def checker(compiled_v6: Any, validators: Any) -> Checker:
    return Checker(compiled_v6.ir, validators)


def _failed(o: Outcome) -> str | None:
    i = o.instance
    if o.generator_invalid is not None:
        return f"{i.type_key} v{i.variant}: meant XSD-valid, is not: {o.generator_invalid}"
    if o.failures:
        kind, detail = o.failures[0]
        return f"{i.type_key} v{i.variant}{' (unknowns)' if i.unknown else ''} at {i.target}: {kind}: {detail}"
    return None


def test_generator_reaches_every_type_of_the_28_roots(compiled_v6: Any, generator: Generator) -> None:
    ir = compiled_v6.ir
    assert len(ir.documents) == 28
    reachable = {k for d in ir.documents.values() for k in d.types if k in ir.complex_types}
    assert set(generator.reachable()) == reachable


def test_generated_instances_are_rich(generator: Generator, checker: Checker) -> None:
    """What the generator promises, on the type that rule 13's second exception is about:
    ``(LocarnoClassification | (SymbolPositionCode?, LocarnoClassificationText))+``."""
    key = "com_LocarnoClassificationBagType"
    inst = generator.instance(key)
    el = inst.element
    branches = {"LocarnoClassification", "SymbolPositionCode", "LocarnoClassificationText"}
    tags = [c.tag.split("}")[1] for c in el if c.tag.split("}")[1] in branches]
    # the repeating choice takes each branch twice, interleaved, and the optional
    # SymbolPositionCode is present in one occurrence of the sequence branch, absent in the other
    assert tags == [
        "LocarnoClassification",
        "SymbolPositionCode",
        "LocarnoClassificationText",
        "LocarnoClassification",
        "LocarnoClassificationText",
    ], tags
    unknown = generator.instance(key, unknown=True)
    el = unknown.element
    names = [c.tag.split("}")[1] for c in el]
    assert names[0] == "AtStart" and names[-1] == "AtEnd" and "InMiddle" in names[1:-1]
    # every repeating particle of the rich element occurs at least twice
    t = checker.strict.ir.complex_types["com_EmailAddressBagType"]
    rep = [s.item.qname for s in walk(t.model) if isinstance(s.item, ParticleIR) and (s.max is None or s.max > 1)]
    inst = generator.instance("com_EmailAddressBagType")
    el = inst.element
    assert rep and all(len([c for c in el if c.tag == q]) >= 2 for q in rep)


def test_every_reachable_type_round_trips(
    compiled_v6: Any, validators: Any, xsd_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tally = run(compiled_v6.ir, validators, xsd_dir, seed=0)
    report = tally.report()
    with capsys.disabled():
        print("\n[generated round trip over V6_0]\n" + report)
    reachable = {k for d in compiled_v6.ir.documents.values() for k in d.types if k in compiled_v6.ir.complex_types}
    assert tally.types == reachable
    assert set(tally.relaxations) <= FORGIVEN
    assert not tally.generator_invalid, report
    assert not tally.failures, report


def test_unknown_elements_in_ordered_content(generator: Generator, checker: Checker) -> None:
    """Every reachable type with an ordered ``content`` array, wholly ordered (every child an
    item: ``com:CitationBag``, MathML) or partly (one group: ``com:NationalDesignClassificationBag``),
    with unknown elements at the start, in the middle and at the end: none lost, each back in its
    place (docs/mapping.md, "Unknown elements keep their place")."""
    types = checker.plan.types
    keys = [k for k in generator.reachable() if types[k].has_content and generator.takes_unknowns(k)]
    partly = [k for k in keys if types[k].children_json]
    assert "com_CitationBagType" in keys and "com_NationalDesignClassificationBagType" in partly
    assert len(partly) < len(keys)  # both kinds are covered
    problems = [_failed(checker.check(generator.instance(k, unknown=True))) for k in keys]
    assert not [p for p in problems if p is not None], [p for p in problems if p is not None][:10]


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(data=st.data())
def test_round_trip_property(generator: Generator, checker: Checker, data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(generator.reachable()), label="type")
    variant = data.draw(st.integers(0, generator.variants(key) - 1), label="variant")
    seed = data.draw(st.integers(0, 2**31), label="seed")
    unknown = generator.takes_unknowns(key) and data.draw(st.booleans(), label="unknown")
    outcome = checker.check(generator.instance(key, variant=variant, seed=seed, unknown=unknown))
    problem = _failed(outcome)
    assert problem is None, problem

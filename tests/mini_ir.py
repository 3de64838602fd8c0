"""The IR of the hand-written mini bundle (``tests/fixtures/mini-bundle``), for the pass tests.

``SampleType`` is ``(Image?, (Circle | Square)+, (Alpha | (Beta, Gamma?)), Amount?)`` with a
required fixed ``st96Version`` attribute and an unqualified ``image`` attribute; ``Shape`` is
an abstract substitution-group head (Circle, Square). ``AmountType`` is xs:decimal content
with a required ``currencyCode``.
"""

from __future__ import annotations

import copy
import functools

from conftest import ROOT

from xml2json.compiler.extract import extract_bundle
from xml2json.compiler.ir import BundleIR, ComplexTypeIR, GroupIR, ParticleIR
from xml2json.compiler.load import open_bundle
from xml2json.compiler.pipeline import PASSES

MINI = ROOT / "tests" / "fixtures" / "mini-bundle"
COM = "{http://www.wipo.int/standards/XMLSchema/ST96/Common}"


@functools.cache
def _extracted() -> BundleIR:
    with open_bundle(MINI) as bundle:
        return extract_bundle(bundle, jobs=1)


def extracted() -> BundleIR:
    """A fresh copy of the mini bundle's IR as the extractor leaves it (no pass run yet)."""
    return copy.deepcopy(_extracted())


def run_before(ir: BundleIR, name: str) -> BundleIR:
    """Run the passes of ``PASSES`` that come before *name*, in order."""
    names = [n for n, _ in PASSES]
    for _, run in PASSES[: names.index(name)]:
        run(ir)
    return ir


def sample(ir: BundleIR) -> ComplexTypeIR:
    return ir.complex_types["com_SampleType"]


def root_model(ir: BundleIR) -> GroupIR:
    model = sample(ir).model
    assert model is not None
    return model


def member(ct: ComplexTypeIR, local: str) -> ParticleIR:
    """The flattened member of *ct* for the Common element *local*."""
    (p,) = (p for p in ct.particles if p.qname == COM + local)
    return p

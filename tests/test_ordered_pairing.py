"""Rule 13, second exception: groups that per-name arrays cannot give back keep document order.

The golden cases ``locarno-pairing`` and ``goods-services-limitation`` (tests/test_cases.py runs
them through the golden-case checks); here their XML written back is compared element by
element with the input, with no canonical reordering at all, and the issue's repro runs on
WIPO's own DesignApplication example (changed in tmp_path, read in place).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, WIPO_V6, require_shared
from lxml import etree

from xml2json import Converter
from xml2json.cli import main
from xml2json.config import Limits
from xml2json.policy import XSI_NS
from xml2json.safe import parse_document

COM = "{http://www.wipo.int/standards/XMLSchema/ST96/Common}"


def _elements(root: Any) -> list[tuple[str, str, dict[str, str]]]:
    """Every element in document order with its text and attributes (xsi:* and whitespace-only
    text are not data, rule 15); nothing is sorted or forgiven."""
    return [
        (
            el.tag,
            (el.text or "").strip(),
            {k: v for k, v in el.attrib.items() if not k.startswith(f"{{{XSI_NS}}}")},
        )
        for el in root.iter()
        if isinstance(el.tag, str)
    ]


@pytest.mark.parametrize("case", ["locarno-pairing", "goods-services-limitation"])
def test_pairing_cases_are_written_back_in_document_order(case: str) -> None:
    xml = (CASES / case / "input.xml").read_bytes()
    conv = Converter()
    back = conv.json_to_xml(conv.xml_to_json(xml).data).xml
    assert _elements(parse_document(back, Limits())) == _elements(parse_document(xml, Limits()))


def _locarno_texts(root: Any) -> list[str]:
    (bag,) = root.iter(f"{COM}LocarnoClassificationBag")
    return [
        f"{etree.QName(el).localname}={el.text}"
        for el in bag
        if etree.QName(el).localname != "LocarnoClassificationEdition"
    ]


def test_issue_repro_locarno_symbol_stays_with_its_class(tmp_path: Path, validators: Any) -> None:
    sample = require_shared(WIPO_V6 / "DesignApplication_Example.xml")
    text = sample.read_text(encoding="utf-8")
    one = "<com:LocarnoClassificationText>06-01</com:LocarnoClassificationText>"
    assert text.count("<com:LocarnoClassificationText>") == 1 and one in text
    src = tmp_path / "DesignApplication_Locarno.xml"
    src.write_text(
        text.replace(
            one,
            one + "<com:SymbolPositionCode>F</com:SymbolPositionCode>"
            "<com:LocarnoClassificationText>06-02</com:LocarnoClassificationText>"
            "<com:LocarnoClassificationText>06-03</com:LocarnoClassificationText>",
        ),
        encoding="utf-8",
    )
    root_in = parse_document(src.read_bytes(), Limits())
    assert validators.check_xml(root_in, "V6_0", "DesignApplication") == []
    expected = [
        "LocarnoClassificationText=06-01",
        "SymbolPositionCode=F",
        "LocarnoClassificationText=06-02",
        "LocarnoClassificationText=06-03",
    ]
    assert _locarno_texts(root_in) == expected
    js, back = tmp_path / "d.json", tmp_path / "d.xml"
    assert main(["convert", str(src), "-o", str(js)]) == 0
    assert main(["to-xml", str(js), "-o", str(back)]) == 0
    root_out = parse_document(back.read_bytes(), Limits())
    assert _locarno_texts(root_out) == expected
    assert validators.check_xml(root_out, "V6_0", "DesignApplication") == []
    assert _elements(root_out) == _elements(root_in)


# -- the criterion against a simulation of the writer -------------------------------------


def _writer_losses(ir: Any, per_type: int, seed: int) -> dict[str, list[str]]:
    """Types whose per-name members the writer would not give back, found by simulation.

    For every complex type with members that are not ordered, random instances of its content
    model are generated as element names (wildcards left out); the writer's output is the
    same names stable-sorted by member position, ordered members all at the place of the
    first one (in document order). The input's canonical form sorts only each run of a
    repeating choice of single elements (the one forgiven interleaving). Returns the first
    lossy instance per type.
    """
    import random

    from xml2json.compiler.ir import GroupIR, ParticleIR, repeats
    from xml2json.compiler.passes.decide_order import one_element_per_occurrence

    rng = random.Random(seed)
    runs = iter(range(1, 1 << 62))

    def count(lo: int, hi: int | None) -> int:
        top = lo + 3 if hi is None else min(hi, lo + 3)
        return rng.randint(lo, max(lo, top)) if rng.random() < 0.8 else lo

    def gen(item: Any, run: int | None, out: list[tuple[str, int | None]]) -> None:
        if isinstance(item, ParticleIR):
            out.extend((item.qname, run) for _ in range(count(item.min, item.max)))
            return
        if not isinstance(item, GroupIR):
            return  # a wildcard
        n = count(item.min, item.max)
        if run is None and repeats(item.max) and len(item.items) > 1 and one_element_per_occurrence(item):
            run = next(runs)
        for _ in range(n):
            for i in [rng.choice(item.items)] if item.model == "choice" else item.items:
                gen(i, run, out)

    lost: dict[str, list[str]] = {}
    for key, ct in ir.complex_types.items():
        if ct.model is None or ct.content == "mixed" or all(p.ordered for p in ct.particles):
            continue
        ordered = [i for i, p in enumerate(ct.particles) if p.ordered]
        rank = {p.qname: ordered[0] if p.ordered else i for i, p in enumerate(ct.particles)}
        for _ in range(per_type):
            out: list[tuple[str, int | None]] = []
            gen(ct.model, None, out)
            written = [q for q, _ in sorted(out, key=lambda e: rank[e[0]])]
            canon: list[str] = []
            i = 0
            while i < len(out):
                j = i
                while out[i][1] is not None and j + 1 < len(out) and out[j + 1][1] == out[i][1]:
                    j += 1
                canon.extend(q for q, _ in sorted(out[i : j + 1], key=lambda e: rank[e[0]]))
                i = j + 1
            if canon != written:
                lost[key] = [q.split("}")[1] for q, _ in out]
                break
    return lost


def test_the_simulated_writer_loses_nothing_but_the_forgiven_interleaving_in_v6(compiled_v6: Any) -> None:
    assert _writer_losses(compiled_v6.ir, per_type=100, seed=1) == {}


def test_the_simulation_finds_the_groups_when_rule_13d_is_off() -> None:
    # the same check on the mini bundle, once with the criterion and once with its groups unordered
    from mini_ir import extracted, root_model, run_before, sample

    from xml2json.compiler.ir import GroupIR
    from xml2json.compiler.passes import decide_order

    ir = extracted()
    choice = root_model(ir).items[2]  # (Alpha | (Beta, Gamma?))+
    assert isinstance(choice, GroupIR)
    choice.max = None
    run_before(ir, "decide_order")
    decide_order.run(ir)
    assert sample(ir).ordered_reason == "repeating-group"
    assert _writer_losses(ir, per_type=200, seed=1) == {}
    for p in sample(ir).particles:
        p.ordered = False
    assert set(_writer_losses(ir, per_type=200, seed=1)) == {"com_SampleType"}

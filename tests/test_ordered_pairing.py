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

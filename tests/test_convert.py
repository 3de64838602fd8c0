"""Conversion of the real office documents in ../shared, and the errors of bad input."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, USPTO, WIPO_V6, WIPO_V8, require_shared
from lxml import etree

from xml2json import Converter, Options, convert, roundtrip, to_json, to_xml, validate_json
from xml2json.config import Limits
from xml2json.errors import (
    ConversionError,
    DocumentTypeError,
    MalformedJSONError,
    MalformedXMLError,
    SchemaNotAvailableError,
    UnknownContentError,
    Xml2JsonError,
)
from xml2json.io import loads_json

XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def _wipo() -> list[Path]:
    return sorted(require_shared(WIPO_V6).glob("*.xml"))


def _uspto_current() -> list[Path]:
    return sorted(p for p in require_shared(USPTO).glob("*.xml") if not p.name.endswith("-old.xml"))


@pytest.mark.parametrize("name", ["TrademarkApplication", "PatentPublication", "DesignApplication", "GIApplication"])
def test_wipo_v6_examples_round_trip_losslessly_and_validate(name: str, validators: Any) -> None:
    path = require_shared(WIPO_V6) / f"{name}_Example.xml"
    report = roundtrip(path, validators=validators)
    assert report.document == name
    assert report.version == "V6_0"
    assert report.warnings == []
    assert report.first_difference is None
    assert report.xml_equal and report.json_equal
    assert report.json_valid is True
    assert report.xml_valid is True
    assert report.ok


def _values(root: Any) -> list[str]:
    """Every non-blank text and attribute value of a document (xsi:* excepted)."""
    out = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        out.extend(v for k, v in el.attrib.items() if not k.startswith(XSI))
        for t in (el.text, el.tail):
            if t and t.strip():
                out.append(t)
    return out


def _json_strings(obj: Any) -> list[str]:
    if isinstance(obj, dict):
        return [s for k, v in obj.items() for s in ([k] if k == "$qname" else []) + _json_strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _json_strings(v)]
    if isinstance(obj, bool):
        return ["true" if obj else "false"]
    if isinstance(obj, str):
        return [obj]
    return [str(obj)]


@pytest.mark.parametrize("path", _uspto_current() if USPTO.exists() else [USPTO / "missing.xml"], ids=lambda p: p.name)
def test_uspto_records_convert_with_warnings_and_lose_no_value(path: Path) -> None:
    require_shared(USPTO)
    data = path.read_bytes()
    result = Converter().xml_to_json(data)
    assert result.document == "TrademarkTransaction"
    codes = {w.code for w in result.warnings}
    assert "no-version" in codes  # USPTO omits com:st96Version: newest compiled version, said so
    unknown = [w for w in result.warnings if w.code == "unknown-element"]
    assert unknown, "USPTO data carries elements V6_0 does not know"
    assert all(w.xml_path and w.line for w in unknown)
    # every unknown element of the input is named by a warning (once per path)
    root = etree.fromstring(data)
    plan = Converter().registry.plan("V6_0")
    named = {w.message.split(" is not")[0].removeprefix("element ") for w in unknown}
    doc = plan.by_root[root.tag]
    missing = set()

    def walk(el: Any, tp: Any) -> None:
        for ch in el:
            if not isinstance(ch.tag, str):
                continue
            c = tp.children.get(ch.tag) if tp is not None else None
            if c is None:
                if tp is not None:
                    missing.add(ch.tag)
                walk(ch, None)
            else:
                walk(ch, c.type)

    walk(root, doc.type)
    assert missing <= named and missing
    # every text and attribute value of the input appears in the output
    strings = _json_strings(result.data)
    joined = "\x00".join(strings)
    for v in _values(root):
        assert v in strings or v in joined, f"value {v!r} lost"
    # and the round trip (JSON Schema validity aside: the input is not V6_0-valid) is exact
    rt = roundtrip(data, check_xsd=False)
    assert rt.xml_equal and rt.json_equal, rt.first_difference


def test_uspto_records_are_rejected_in_strict_mode() -> None:
    path = _uspto_current()[0]
    with pytest.raises(UnknownContentError) as e:
        Converter(options=Options(strict=True)).xml_to_json(path)
    assert e.value.code == "unknown-element"
    assert e.value.issues[0].line is not None
    assert e.value.issues[0].xml_path.startswith("/tmk:TrademarkTransaction/")


def test_pre_release_namespace_is_a_clear_error() -> None:
    old = require_shared(USPTO) / "rn2178784-ST96-old.xml"
    with pytest.raises(DocumentTypeError) as e:
        convert(old)
    assert e.value.code == "unknown-root"
    assert "pre-release ST.96 namespace" in e.value.message


def test_v8_documents_need_a_v8_schema_or_an_explicit_version() -> None:
    path = require_shared(WIPO_V8) / "TrademarkApplication_Example.xml"
    with pytest.raises(SchemaNotAvailableError) as e:
        convert(path)
    assert e.value.code == "version-not-compiled"
    assert "V8_0" in e.value.message and "compiled: V6_0" in e.value.message
    result = Converter(options=Options(st96_version="V6_0")).xml_to_json(path)
    codes = [w.code for w in result.warnings]
    assert "version-override" in codes


# -- values ----------------------------------------------------------------------------


def test_values_follow_the_rules() -> None:
    data = convert(EXAMPLE)
    tm = data["trademarkApplication"]["trademarkBag"]["trademark"][0]
    classes = [
        c["classNumber"]
        for gs in tm["goodsServicesBag"]["goodsServices"]
        for c in gs["goodsServicesClassificationBag"]["goodsServicesClassification"]
    ]
    assert "009" in classes  # strings stay strings
    text = to_json(EXAMPLE).decode()
    assert '"applicationDate":"2021-03-04-05:00"' in text  # dates untouched, time zone included
    fees = [f for p in data["trademarkApplication"]["paymentBag"]["payment"] for f in p["paymentFeeBag"]["paymentFee"]]
    amounts = [f["basicFeeAmount"]["value"] for f in fees if "basicFeeAmount" in f]
    assert amounts and all(isinstance(a, Decimal) for a in amounts)
    assert '"value":500.00' in text  # decimals are written from their lexical form


def test_to_xml_accepts_json_text_and_keeps_decimals_exact() -> None:
    js = to_json(EXAMPLE)
    xml = to_xml(js)
    assert b"500.00" in xml
    assert convert(xml) == loads_json(js, Limits())


# -- bad input -----------------------------------------------------------------------------


def test_malformed_xml_names_the_line() -> None:
    with pytest.raises(MalformedXMLError) as e:
        convert(b"<a>\n<b>\n</a>")
    assert e.value.code == "malformed-xml"
    assert e.value.issues[0].line == 3


def test_wrong_root() -> None:
    with pytest.raises(DocumentTypeError) as e:
        convert(b'<x:Foo xmlns:x="http://www.wipo.int/standards/XMLSchema/ST96/Common"/>')
    assert e.value.code == "unknown-root"
    assert "TrademarkApplication" in e.value.message


def test_invalid_json() -> None:
    with pytest.raises(MalformedJSONError) as e:
        to_xml(b'{"trademarkApplication": {')
    assert e.value.code == "malformed-json"
    with pytest.raises(MalformedJSONError) as e:
        to_xml(b'{"a": 1, "a": 2}')
    assert e.value.code == "json-duplicate-key"
    with pytest.raises(MalformedJSONError):
        to_xml(b'{"a": NaN}')


def test_json_member_not_in_schema_names_its_pointer() -> None:
    data = convert(EXAMPLE)
    data["trademarkApplication"]["trademarkBag"]["trademark"][0]["markFeatureCategoryy"] = "Word"
    with pytest.raises(ConversionError) as e:
        to_xml(data)
    assert e.value.code == "unknown-member"
    assert e.value.issues[0].json_pointer == "/trademarkApplication/trademarkBag/trademark/0/markFeatureCategoryy"
    assert validate_json(data)  # the JSON Schema says so too (closed objects)


def test_json_wrong_value_type() -> None:
    data = convert(EXAMPLE)
    wm = data["trademarkApplication"]["trademarkBag"]["trademark"][0]["markRepresentation"]
    spec = wm["markReproduction"]["wordMarkSpecification"][0]
    spec["markStandardCharacterIndicator"] = "yes"
    with pytest.raises(ConversionError) as e:
        to_xml(data)
    assert e.value.code == "json-type"
    assert e.value.issues[0].json_pointer.endswith("/wordMarkSpecification/0/markStandardCharacterIndicator")


def test_json_unknown_root() -> None:
    with pytest.raises(DocumentTypeError):
        to_xml({"trademarkApplicationX": {}})
    with pytest.raises(ConversionError):
        to_xml({"a": 1, "b": 2})


def test_every_error_is_an_xml2json_error() -> None:
    for bad in (b"", b"<", b"\xff\xfe<", b"<a/>"):
        with pytest.raises(Xml2JsonError):
            convert(bad)


def test_ambiguous_json_root_is_resolved_by_content() -> None:
    """TMK_/DGN_/GIN_TransactionData share the root member transactionData."""
    data = {
        "transactionData": {"trademarkBag": {"trademark": [{"applicationNumber": [{"applicationNumberText": "1"}]}]}}
    }
    out = Converter().json_to_xml(data)
    assert out.document == "TMK_TransactionData"

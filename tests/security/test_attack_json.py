"""The JSON half of the attack corpus: hostile or broken ST.97 JSON and its exact outcome.

Entry points: ``xml2json.io.loads_json`` (the one JSON reader) and
``Converter().json_to_xml`` with JSON bytes or a dict. Wrong types are tried for every
value kind of the plan — string, boolean, decimal, integer, list-typed attribute, object,
array and content members — on documents from the golden cases.
"""

from __future__ import annotations

import copy
import importlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xml2json import Converter, Limits, Options
from xml2json.errors import (
    ConversionError,
    MalformedJSONError,
    SchemaNotAvailableError,
    UnsafeXMLError,
    Xml2JsonError,
)
from xml2json.io import dumps_json, loads_json

CASES = Path(__file__).resolve().parents[1] / "cases"


def case(name: str) -> dict[str, Any]:
    doc: dict[str, Any] = loads_json((CASES / name / "expected.json").read_bytes(), Limits())
    return doc


def pointer_get(doc: Any, pointer: str) -> Any:
    for part in pointer.split("/")[1:]:
        doc = doc[int(part)] if isinstance(doc, list) else doc[part]
    return doc


def pointer_set(doc: Any, pointer: str, value: Any) -> Any:
    doc = copy.deepcopy(doc)
    *parents, last = pointer.split("/")[1:]
    target = pointer_get(doc, "/" + "/".join(parents)) if parents else doc
    if value is _DELETE:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return doc


_DELETE = object()

# -- JSON text: the reader --------------------------------------------------------------------


def _nested(n: int) -> bytes:
    return b'{"a":' * n + b"1" + b"}" * n


READER_CASES: dict[str, tuple[bytes, str, str]] = {
    "deep-nesting-100000-arrays": (b"[" * 100_000 + b"]" * 100_000, "limit-json-depth", "nesting deeper than 256"),
    "deep-nesting-100000-unclosed": (b"[" * 100_000, "limit-json-depth", "nesting deeper than 256"),
    "deep-nesting-257-objects": (_nested(257), "limit-json-depth", "nesting deeper than 256"),
    "integer-of-5000-digits": (b'{"a": ' + b"7" * 5000 + b"}", "limit-json-number", "has 5000 characters"),
    "decimal-of-1001-digits": (b'{"a": 0.' + b"1" * 999 + b"}", "limit-json-number", "has 1001 characters"),
    "exponent-1e999999999": (b'{"a": 1e999999999}', "limit-json-number", "has 1000000000 digits written out"),
    "exponent-1e-999999": (b'{"a": 1.5e-999999}', "limit-json-number", "digits written out"),
    "nan": (b'{"a": NaN}', "json-nan", "NaN is not valid JSON"),
    "infinity": (b'{"a": Infinity}', "json-nan", "Infinity is not valid JSON"),
    "minus-infinity": (b"[-Infinity]", "json-nan", "-Infinity is not valid JSON"),
    "duplicate-key": (b'{"a": 1, "a": 2}', "json-duplicate-key", "duplicate member 'a'"),
    "duplicate-key-nested": (b'{"a": [{"b": 1, "c": 2, "b": 3}]}', "json-duplicate-key", "duplicate member 'b'"),
    "latin-1-bytes": ('{"a": "é"}'.encode("latin-1"), "json-encoding", "JSON input is not UTF-8 (byte 7)"),
    "invalid-utf-8": (b'{"a": "\xff\xfe"}', "json-encoding", "JSON input is not UTF-8"),
    "utf-16-with-bom": ('{"a": 1}'.encode("utf-16"), "json-encoding", "JSON input is not UTF-8 (byte 0)"),
    "lone-surrogate-escape": (b'{"a": "\\ud800"}', "json-encoding", "lone surrogate"),
    "lone-surrogate-key": (b'{"\\udfff": 1}', "json-encoding", "lone surrogate"),
    "truncated": (b'{"a": [1, 2', "malformed-json", "invalid JSON"),
    "empty": (b"", "malformed-json", "Expecting value (line 1, column 1)"),
    "trailing-garbage": (b'{"a": 1} x', "malformed-json", "Extra data"),
    "single-quotes": (b"{'a': 1}", "malformed-json", "Expecting property name enclosed in double quotes"),
    "trailing-comma": (b'{"a": 1,}', "malformed-json", "invalid JSON"),
}


@pytest.mark.parametrize(("data", "code", "fragment"), READER_CASES.values(), ids=READER_CASES.keys())
def test_reader_rejects(data: bytes, code: str, fragment: str) -> None:
    for entry in (lambda: loads_json(data, Limits()), lambda: Converter().json_to_xml(data)):
        with pytest.raises(MalformedJSONError) as info:
            entry()
        assert info.value.code == code, str(info.value)
        assert fragment in info.value.message, info.value.message
        assert len(info.value.message) < 300


def test_reader_accepts_its_boundaries() -> None:
    limits = Limits()
    assert loads_json(_nested(255), limits) is not None  # 256 levels with the outer object
    assert loads_json(b"[" * 256 + b"]" * 256, limits) is not None
    assert loads_json(b"[" + b"9" * 1000 + b"]", limits) == [int("9" * 1000)]
    assert loads_json(b"[1e400, -0.0, 1E-5, 123.4500]", limits) == [
        Decimal("1E+400"),
        Decimal("-0.0"),
        Decimal("0.00001"),
        Decimal("123.4500"),
    ]
    assert str(loads_json(b"[123.4500]", limits)[0]) == "123.4500"  # exact, not float
    assert loads_json(b'\xef\xbb\xbf{"a": "\\ud83d\\ude00"}', limits) == {"a": "😀"}  # BOM, surrogate pair
    assert loads_json('{"a": 1}', limits) == {"a": 1}


def test_reader_limits_are_configurable() -> None:
    limits = Limits(max_json_depth=3, max_json_number_chars=5, max_document_bytes=20)
    assert loads_json(b"[[[1]]]", limits) == [[[1]]]
    for data, code in (
        (b"[[[[1]]]]", "limit-json-depth"),
        (b"[123456]", "limit-json-number"),
        (b"[1e9]", "limit-json-number"),
    ):
        with pytest.raises(MalformedJSONError) as info:
            loads_json(data, limits)
        assert info.value.code == code
    with pytest.raises(UnsafeXMLError) as info2:
        loads_json(b"[" + b" " * 30 + b"]", limits)
    assert info2.value.code == "limit-document-size"


def test_str_input_with_lone_surrogate() -> None:
    with pytest.raises(MalformedJSONError) as info:
        loads_json('{"a": "\ud800"}', Limits())
    assert info.value.code == "json-encoding"


# -- huge numbers are kept exactly, within bounds ------------------------------------------------------

TM = "/trademarkApplication/trademarkBag/trademark/0"
QUANTITY = TM + "/markSeriesTotalQuantity"  # xs:integer element
HEIGHT = TM + "/markRepresentation/markReproduction/markImageBag/0/markImage/0/heightMeasure/value"  # xs:decimal


def _with_number(pointer: str, number: bytes) -> bytes:
    doc = pointer_set(case("booleans-decimals"), pointer, "@@NUMBER@@")
    return dumps_json(doc).replace(b'"@@NUMBER@@"', number)


@pytest.mark.parametrize(
    ("pointer", "number", "text"),
    [
        (QUANTITY, b"1e400", "1" + "0" * 400),
        (QUANTITY, b"9" * 1000, "9" * 1000),
        (QUANTITY, b"2.000", "2"),
        (HEIGHT, b"1e400", "1" + "0" * 400),
        (HEIGHT, b"-1.5e-3", "-0.0015"),
        (HEIGHT, b"0.1000", "0.1000"),
    ],
    ids=["int-1e400", "int-1000-digits", "int-2.000", "dec-1e400", "dec-exponent", "dec-trailing-zeros"],
)
def test_huge_and_exact_numbers_convert_exactly(pointer: str, number: bytes, text: str) -> None:
    conv = Converter()
    out = conv.json_to_xml(_with_number(pointer, number))
    assert f">{text}</".encode() in out.xml
    back = conv.xml_to_json(out.xml).data
    assert pointer_get(back, pointer) == Decimal(number.decode())
    dumps_json(back)  # integers beyond 64 bits serialise exactly


def test_fraction_in_an_integer_member_is_json_type() -> None:
    with pytest.raises(ConversionError) as info:
        Converter().json_to_xml(_with_number(QUANTITY, b"2.5"))
    assert (info.value.code, info.value.issues[0].json_pointer) == ("json-type", QUANTITY)
    assert "expected an integer, got a number" in info.value.message


# -- wrong types for every value kind ------------------------------------------------------------------------

BD = "booleans-decimals"
LT = "list-types"
SPEC = TM + "/markRepresentation/markReproduction/wordMarkSpecification/0"
PKCS7 = "/trademarkApplication/signatureBag/signature/0/electronicSignature/electronicEnhancedSignature/pkcs7Indicator"
APPNO = TM + "/applicationNumber"
P0 = "/patentPublication/description/0/content/0/p"
IDREFS = P0 + "/content/1/figureReference/idrefs"
TITLE = "/patentPublication/bibliographicData/inventionTitleBag/inventionTitle/0/content"

WRONG_TYPES: dict[str, tuple[str, str, Any, str, str | None, str]] = {
    # name: (case, pointer, value, code, pointer of the error (None: same), message fragment)
    "boolean-element-string": (
        BD,
        SPEC + "/markStandardCharacterIndicator",
        "true",
        "json-type",
        None,
        "expected a boolean, got a string",
    ),
    "boolean-element-number": (
        BD,
        SPEC + "/markStandardCharacterIndicator",
        1,
        "json-type",
        None,
        "expected a boolean, got a number",
    ),
    "boolean-element-object": (
        BD,
        SPEC + "/markStandardCharacterIndicator",
        {},
        "json-type",
        None,
        "expected a boolean, got an object",
    ),
    "boolean-element-array": (
        BD,
        SPEC + "/markStandardCharacterIndicator",
        [True],
        "json-type",
        None,
        "expected a single value, got an array",
    ),
    "boolean-element-null": (
        BD,
        SPEC + "/markStandardCharacterIndicator",
        None,
        "json-type",
        None,
        "null is not a value in ST.97",
    ),
    "boolean-attribute-string": (BD, PKCS7, "false", "json-type", None, "expected a boolean, got a string"),
    "integer-element-string": (BD, QUANTITY, "2", "json-type", None, "expected an integer, got a string"),
    "integer-element-boolean": (BD, QUANTITY, True, "json-type", None, "expected an integer, got a boolean"),
    "integer-element-fraction": (BD, QUANTITY, Decimal("2.5"), "json-type", None, "expected an integer, got a number"),
    "integer-element-array": (BD, QUANTITY, [2], "json-type", None, "expected a single value, got an array"),
    "decimal-value-string": (BD, HEIGHT, "2.50", "json-type", None, "expected a number, got a string"),
    "decimal-value-boolean": (BD, HEIGHT, False, "json-type", None, "expected a number, got a boolean"),
    "decimal-value-null": (BD, HEIGHT, None, "json-type", None, "expected a number, got null"),
    "decimal-value-object": (BD, HEIGHT, {"value": 1}, "json-type", None, "expected a number, got an object"),
    "decimal-value-missing": (
        BD,
        HEIGHT,
        _DELETE,
        "missing-value",
        HEIGHT.rsplit("/", 1)[0],
        "member 'value' is required here",
    ),
    "string-element-number": (
        BD,
        APPNO + "/0/applicationNumberText",
        99123456,
        "json-type",
        None,
        "expected a string, got a number",
    ),
    "string-element-boolean": (
        BD,
        APPNO + "/0/applicationNumberText",
        False,
        "json-type",
        None,
        "expected a string, got a boolean",
    ),
    "string-element-array": (
        BD,
        APPNO + "/0/applicationNumberText",
        ["x"],
        "json-type",
        None,
        "expected a single value, got an array",
    ),
    "string-attribute-number": (LT, P0 + "/id", 1, "json-type", None, "expected a string, got a number"),
    "list-attribute-string": (LT, IDREFS, "fig-1 fig-2", "json-type", None, "expected an array, got a string"),
    "list-attribute-number-item": (LT, IDREFS, ["fig-1", 2], "json-type", None, "expected a string, got a number"),
    "list-attribute-null-item": (LT, IDREFS, [None], "json-type", None, "expected a string, got null"),
    "list-attribute-nested": (LT, IDREFS, [["fig-1"]], "json-type", None, "expected a string, got an array"),
    "array-member-object": (
        BD,
        APPNO,
        {"applicationNumberText": "1"},
        "json-type",
        None,
        "expected an array, got an object",
    ),
    "array-member-string": (BD, APPNO, "99123456", "json-type", None, "expected an array, got a string"),
    "array-item-string": (BD, APPNO + "/0", "99123456", "json-type", None, "expected an object, got a string"),
    "object-member-string": (
        BD,
        TM + "/markRepresentation",
        "x",
        "json-type",
        None,
        "expected an object, got a string",
    ),
    "object-member-number": (BD, TM + "/markRepresentation", 1, "json-type", None, "expected an object, got a number"),
    "document-body-array": (BD, "/trademarkApplication", [], "json-type", None, "expected an object, got an array"),
    "content-string": (LT, TITLE, "Hinge", "json-type", None, "expected an array, got a string"),
    "content-item-two-members": (
        LT,
        TITLE + "/0",
        {"b": {}, "i": {}},
        "json-type",
        None,
        "a content item is a string or an object with one member",
    ),
    "content-item-number": (
        LT,
        TITLE + "/0",
        5,
        "json-type",
        None,
        "a content item is a string or an object with one member",
    ),
    "content-item-unknown": (
        LT,
        TITLE + "/0",
        {"bogus": {}},
        "unknown-member",
        TITLE + "/0/bogus",
        "'bogus' is not allowed in this content",
    ),
    "unknown-member": (
        BD,
        TM + "/bogusMember",
        1,
        "unknown-member",
        None,
        "member 'bogusMember' is not in the ST.97 schema of this object",
    ),
    "other-attributes-number": (BD, TM + "/$attributes", {"x": 1}, "json-type", None, "expected an object of strings"),
    "generic-without-qname": (
        BD,
        TM + "/ns:Other",
        {"value": "x"},
        "json-type",
        None,
        "content the schema does not know needs an object with '$qname'",
    ),
    "generic-bad-qname": (
        BD,
        TM + "/ns:Other",
        {"$qname": "1 bad", "value": "x"},
        "json-value",
        None,
        "invalid XML name",
    ),
}


@pytest.mark.parametrize(
    ("name", "pointer", "value", "code", "where", "fragment"), WRONG_TYPES.values(), ids=WRONG_TYPES.keys()
)
def test_wrong_types_for_every_value_kind(
    name: str, pointer: str, value: Any, code: str, where: str | None, fragment: str
) -> None:
    doc = pointer_set(case(name), pointer, value)
    for data in (doc, dumps_json(doc)):
        with pytest.raises(ConversionError) as info:
            Converter().json_to_xml(data)
        issue = info.value.issues[0]
        assert (issue.code, issue.json_pointer) == (code, where or pointer), str(info.value)
        assert fragment in issue.message, issue.message


def test_the_golden_documents_themselves_convert() -> None:
    for name in (BD, LT):
        Converter().json_to_xml(case(name))


@pytest.mark.parametrize(
    ("data", "code", "fragment"),
    [
        ({}, "json-root", "exactly one member"),
        ({"a": {}, "b": {}}, "json-root", "exactly one member"),
        ([], "json-root", "exactly one member"),
        ("x", "json-root", "exactly one member"),
        ({"noSuchDocument": {}}, "unknown-root", "'noSuchDocument' is not the root member"),
    ],
    ids=["empty-object", "two-roots", "array", "string", "unknown-root"],
)
def test_document_shape(data: Any, code: str, fragment: str) -> None:
    with pytest.raises(Xml2JsonError) as info:
        Converter().json_to_xml(data if not isinstance(data, str) else b'"x"')
    assert info.value.code == code
    assert fragment in info.value.message


def test_st96_version_values_are_never_paths() -> None:
    doc = case(BD)
    for version in ("../../../etc/passwd", "V6_0/../V6_0", "V999_0", "x" * 10_000):
        bad = pointer_set(doc, "/trademarkApplication/st96Version", version)
        with pytest.raises(SchemaNotAvailableError):
            Converter().json_to_xml(bad)


# -- writer hardening: text and names XML cannot hold, wrong shapes, linear text runs ----------------------


@pytest.mark.parametrize(
    "text", ["a\x00b", "a\x01b", "\ufffe", "\uffff", "\ud800"], ids=["nul", "control", "fffe", "ffff", "surrogate"]
)
def test_text_that_xml_cannot_carry_is_json_value(text: str) -> None:
    for pointer in (APPNO + "/0/applicationNumberText", P0 + "/id", TITLE + "/0"):
        doc = pointer_set(case(BD if pointer.startswith(TM) else LT), pointer, text)
        with pytest.raises(ConversionError) as info:
            Converter().json_to_xml(doc)
        assert info.value.code == "json-value"
        assert info.value.issues[0].json_pointer == pointer


def test_invalid_attribute_names_in_other_attributes_are_json_value() -> None:
    doc = pointer_set(case(BD), TM + "/$attributes", {"1bad name": "x"})
    with pytest.raises(ConversionError) as info:
        Converter().json_to_xml(doc)
    assert (info.value.code, info.value.issues[0].json_pointer) == ("json-value", TM + "/$attributes/1bad name")


def test_generic_content_that_is_not_an_array_is_json_type() -> None:
    doc = pointer_set(case(BD), TM + "/ns:Other", {"$qname": "Other", "content": 5})
    with pytest.raises(ConversionError) as info:
        Converter().json_to_xml(doc)
    assert (info.value.code, info.value.issues[0].json_pointer) == ("json-type", TM + "/ns:Other/content")


def test_many_content_strings_are_written_with_one_text_assignment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Consecutive strings in a mixed content array were each appended by re-setting the whole
    text (quadratic: 80 000 took 41 s). Counted, not timed: a run of n strings must reach lxml
    as one text assignment. (The time ratio is in benchmarks/linear_time.py.)"""
    writer = importlib.import_module("xml2json.convert.json_to_xml")  # the package attribute is convert()

    calls = {"text": 0, "tail": 0}
    set_text, set_tail = writer._set_text, writer._set_tail

    def count_text(el: Any, text: str) -> None:
        calls["text"] += 1
        set_text(el, text)

    def count_tail(el: Any, text: str) -> None:
        calls["tail"] += 1
        set_tail(el, text)

    monkeypatch.setattr(writer, "_set_text", count_text)
    monkeypatch.setattr(writer, "_set_tail", count_tail)
    doc = case(LT)
    n = 12_000
    doc["patentPublication"]["description"][0]["content"][0]["p"]["content"] = ["abcdefghij"] * n
    before = dict(calls)
    out = Converter().json_to_xml(doc).xml
    assert calls["text"] + calls["tail"] - sum(before.values()) < 50  # the rest of the document: a few dozen
    assert b"abcdefghij" * n in out
    calls.update(text=0, tail=0)
    doc["patentPublication"]["description"][0]["content"][0]["p"]["content"] = ["abcdefghij"] * (n * 4)
    Converter().json_to_xml(doc)
    small = calls["text"] + calls["tail"]
    assert small < 50  # independent of n


@pytest.mark.parametrize("value", [float("inf"), Decimal("Infinity"), Decimal("-Infinity")], ids=str)
def test_non_finite_python_numbers_in_an_integer_member(value: Any) -> None:
    """Python objects bypass loads_json: the writer must still refuse what JSON cannot hold."""
    with pytest.raises(ConversionError) as info:
        Converter().json_to_xml(pointer_set(case(BD), QUANTITY, value))
    assert (info.value.code, info.value.issues[0].json_pointer) == ("json-type", QUANTITY)


def test_huge_python_decimals_are_refused_in_bounded_time(isolated: Any) -> None:
    run = isolated(
        f"""
        from decimal import Decimal
        from xml2json import Converter
        from xml2json.io import loads_json
        from xml2json.config import Limits
        doc = loads_json(open({str(CASES / BD / "expected.json")!r}, "rb").read(), Limits())
        tm = doc["trademarkApplication"]["trademarkBag"]["trademark"][0]
        out = []
        for value in (Decimal("1e999999999"), Decimal("-1e-999999999")):
            tm["markSeriesTotalQuantity"] = value
            out.append(outcome(lambda: Converter().json_to_xml(doc) and None))
            del tm["markSeriesTotalQuantity"]
            tm["markRepresentation"]["markReproduction"]["markImageBag"][0]["markImage"][0]["heightMeasure"][
                "value"] = value
            out.append(outcome(lambda: Converter().json_to_xml(doc) and None))
        print(json.dumps(out))
    """,
        timeout=10,
    )
    assert [r.get("code") for r in run.result] == ["json-type"] * 4, run.result


def test_options_limits_reach_the_json_reader() -> None:
    conv = Converter(options=Options(limits=Limits(max_json_depth=4)))
    with pytest.raises(MalformedJSONError) as info:
        conv.json_to_xml(dumps_json(case(BD)))
    assert info.value.code == "limit-json-depth"

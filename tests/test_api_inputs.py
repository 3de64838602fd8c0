"""The one-shot functions take their inputs the same way (docs/usage.md, "Inputs"), return or hand
back their warnings, refuse wrong Python types with a TypeError that says what is accepted, and
pick the newest compiled version that has the document type when a document has no version."""

from __future__ import annotations

import inspect
import io
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT, XSD_V6, shared_available

import xml2json
from xml2json import api
from xml2json.api import Converter, convert, roundtrip, to_json, to_xml, validate_json, validate_xml
from xml2json.cli import main
from xml2json.compiler.pipeline import CompiledBundle, compile_bundle
from xml2json.errors import DocumentTypeError, InputError, Issue, MalformedJSONError, MalformedXMLError
from xml2json.io import dumps_json, is_document_text
from xml2json.registry import Registry

MINI = ROOT / "tests" / "fixtures" / "mini-bundle"
XML = EXAMPLE.read_bytes()
NO_VERSION_XML = XML.replace(b' com:st96Version="V6_0"', b"")


@pytest.fixture(scope="module")
def json_doc() -> dict[str, Any]:
    return convert(XML)


# -- one rule for every input ------------------------------------------------------------------


def test_every_function_reads_a_path_the_same_way(tmp_path: Path, json_doc: dict[str, Any]) -> None:
    xml_file = tmp_path / "a.xml"
    xml_file.write_bytes(XML)
    json_file = tmp_path / "a.json"
    json_file.write_bytes(dumps_json(json_doc))
    expected_xml = to_xml(json_doc)
    for given in (str(xml_file), xml_file):
        assert convert(given) == json_doc
        if shared_available(XSD_V6):  # XML validation needs WIPO's XSDs
            assert validate_xml(given) == []
    for given in (str(json_file), json_file):  # a path, not JSON text
        assert to_xml(given) == expected_xml
        assert validate_json(given) == []
        assert Converter().json_to_xml(given).xml == expected_xml


def test_every_function_reads_content_and_binary_files(tmp_path: Path, json_doc: dict[str, Any]) -> None:
    text = dumps_json(json_doc)
    expected_xml = to_xml(json_doc)
    for given in (XML, bytearray(XML), XML.decode(), io.BytesIO(XML)):
        assert convert(given) == json_doc
    assert is_document_text("\n  <a/>") and is_document_text(" [") and is_document_text("")
    assert not is_document_text("a.xml") and not is_document_text("./{x}.json")
    for jgiven in (text, text.decode(), " \n" + text.decode(), json_doc):
        assert to_xml(jgiven) == expected_xml
        assert validate_json(jgiven) == []
    assert to_xml(io.BytesIO(text)) == expected_xml and validate_json(io.BytesIO(text)) == []


def test_a_missing_path_is_an_io_error_for_every_function(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.json")
    for func in (convert, to_xml, validate_json, validate_xml):
        with pytest.raises(InputError) as ei:
            func(missing)  # type: ignore[operator]
        assert ei.value.code == "io" and missing in ei.value.message


# -- wrong types -------------------------------------------------------------------------------


@pytest.mark.parametrize("func", [convert, to_json, to_xml, validate_xml, validate_json])
def test_wrong_types_are_type_errors(func: Any, tmp_path: Path) -> None:
    f = tmp_path / "a.xml"
    f.write_bytes(XML)
    for bad in (None, 42, 1.5, object()):
        with pytest.raises(TypeError, match=r"file path .* binary file object"):
            func(bad)
    with open(f, encoding="utf-8") as text_mode, pytest.raises(TypeError, match="text mode; open it with 'rb'"):
        func(text_mode)


def test_empty_input_is_a_library_error() -> None:
    for empty in ("", "   ", b""):
        with pytest.raises(MalformedXMLError):
            convert(empty)
        with pytest.raises(MalformedJSONError):
            to_xml(empty)
    assert roundtrip("").issues[0].code == "malformed-xml"


# -- warnings ------------------------------------------------------------------------------------


def test_convert_hands_back_its_warnings() -> None:
    got: list[Issue] = []
    assert isinstance(convert(NO_VERSION_XML, warnings=got), dict)
    assert [w.code for w in got] == ["no-version"]
    got2: list[Issue] = []
    to_json(NO_VERSION_XML, warnings=got2)
    assert got2 == got
    assert isinstance(convert(XML), dict)  # existing callers: still the dict
    if not shared_available(XSD_V6):  # XML validation needs WIPO's XSDs
        return
    got3: list[Issue] = []
    issues = validate_xml(NO_VERSION_XML, warnings=got3)  # the XSD requires the version: one issue
    assert [i.code for i in issues] == ["xsd-invalid"] and [w.code for w in got3] == [
        "no-version"
    ]  # existing callers: still the dict


def test_to_xml_hands_back_its_warnings(json_doc: dict[str, Any]) -> None:
    body = dict(json_doc["trademarkApplication"])
    del body["st96Version"]
    got: list[Issue] = []
    to_xml({"trademarkApplication": body}, warnings=got)
    assert [w.code for w in got] == ["no-version"] and got[0].json_pointer == "/trademarkApplication"
    got.clear()
    to_xml(json_doc, warnings=got)
    assert got == []


# -- a newer version compiled in part ------------------------------------------------------------


@pytest.fixture(scope="module")
def mini() -> CompiledBundle:
    return compile_bundle(MINI)


@pytest.fixture
def partial_v8(mini: CompiledBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A cache with a 'V8_0' that has one document type only (the mini bundle's Sample)."""
    reg = Registry(cache=tmp_path / "cache")
    reg.install("V8_0", {**mini.plan, "version": "V8_0"}, mini.schemas, meta={"source": "test"})
    monkeypatch.setenv("XML2JSON_CACHE", str(reg.cache))
    assert reg.newest() == "V8_0"
    return reg


def test_no_version_uses_the_newest_version_that_has_the_document(partial_v8: Registry) -> None:
    result = Converter(registry=partial_v8).xml_to_json(NO_VERSION_XML)
    assert result.version == "V6_0" and result.document == "TrademarkApplication"
    (w,) = result.warnings
    assert w.code == "no-version"
    assert "converted with V6_0" in w.message and "V8_0" in w.message


def test_no_version_json_uses_the_newest_version_that_has_the_document(
    partial_v8: Registry, json_doc: dict[str, Any]
) -> None:
    body = dict(json_doc["trademarkApplication"])
    del body["st96Version"]
    out = Converter(registry=partial_v8).json_to_xml({"trademarkApplication": body})
    assert out.version == "V6_0"
    assert [w.code for w in out.warnings] == ["no-version"]


def test_no_version_through_the_cli(partial_v8: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "nov.xml"
    f.write_bytes(NO_VERSION_XML)
    assert main(["convert", str(f)]) == 0
    captured = capsys.readouterr()
    assert '"trademarkApplication"' in captured.out
    assert "[no-version]" in captured.err and "converted with V6_0" in captured.err


def test_an_unknown_root_still_names_the_newest_version(partial_v8: Registry) -> None:
    with pytest.raises(DocumentTypeError) as ei:
        Converter(registry=partial_v8).xml_to_json(b'<x:Nothing xmlns:x="urn:x"/>')
    assert "V8_0" in ei.value.message


# -- help(Converter) -----------------------------------------------------------------------------


def test_public_methods_have_docstrings_and_no_banner_comments() -> None:
    members = [m for n, m in vars(Converter).items() if callable(m) and not n.startswith("_")]
    functions = [getattr(api, n) for n in ("convert", "to_json", "to_xml", "validate_xml", "validate_json")]
    for obj in [*members, *functions, api.roundtrip]:
        assert inspect.getdoc(obj), obj.__name__
        assert inspect.getcomments(obj) is None, obj.__name__
    assert "select" in [m.__name__ for m in members] and "convert_element" in [m.__name__ for m in members]


def test_inputs_are_documented_in_usage() -> None:
    text = (ROOT / "docs" / "usage.md").read_text(encoding="utf-8")
    assert "warnings=" in text and "TypeError" in text
    assert xml2json.io.ACCEPTED  # the message the TypeError uses

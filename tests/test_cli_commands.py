"""What a new user met trying the README and docs on real files (issue 13): inputs of every kind,
verdicts per file, round trips that tell lossless from valid, messages that say things once."""

from __future__ import annotations

import gzip
import inspect
import io
import json
import re
import shlex
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLE, ROOT, USPTO, require_shared

import xml2json
from xml2json.cli import main
from xml2json.cli._common import format_issue
from xml2json.errors import Issue, MalformedXMLError, Xml2JsonError
from xml2json.safe import parse_document


def _stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))


# -- item 3: no doc example writes over its input ----------------------------------------------


def _sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, re.S)


@pytest.mark.parametrize("doc", ["README.md", "docs/cli.md", "docs/profile.md", "docs/usage.md", "docs/bulk.md"])
def test_doc_examples_never_overwrite_an_input(doc: str) -> None:
    for block in _sh_blocks((ROOT / doc).read_text()):
        inputs: set[str] = set()
        for line in block.splitlines():
            words = shlex.split(line.split("#", 1)[0])
            if not words or words[0] not in ("xml2json", "cat"):
                continue
            outs = {words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-o", "--output", ">")}
            reads = {w for w in words[1:] if re.search(r"\.(xml|json)(\.gz)?$", w)} - outs
            inputs |= reads
            assert not (outs & inputs), f"{doc}: {line!r} writes over an input of its example"


# -- item 10: roundtrip verdicts -----------------------------------------------------------------


def test_roundtrip_of_an_unconvertible_file_says_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<a><b></a>")
    assert main(["roundtrip", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "None" not in out and "INVALID" not in out
    assert "ERROR" in out and "not converted: [malformed-xml]" in out and "not checked" in out


def test_roundtrip_tells_lossless_from_valid(capsys: pytest.CaptureFixture[str]) -> None:
    uspto = [str(p) for p in sorted(require_shared(USPTO).glob("sn*.xml"))]
    assert main(["roundtrip", "--no-xsd", *uspto]) == 1
    out = capsys.readouterr().out
    assert out.count(": LOSSLESS, INVALID") == len(uspto)
    assert "XSD: not checked (--no-xsd)" in out
    assert "--lossless-only" in out.splitlines()[-1]  # the summary says how to check losslessness alone
    assert main(["roundtrip", "--lossless-only", *uspto]) == 0
    cap = capsys.readouterr()
    assert cap.out.count(": LOSSLESS  [") == len(uspto)
    assert "validity not checked" in cap.out.splitlines()[-1]
    assert "json-schema-invalid" not in cap.err  # validity issues are not printed in this mode


def test_roundtrip_ok_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["roundtrip", str(EXAMPLE), "--no-xsd", "--json"]) == 0
    cap = capsys.readouterr()
    rep = json.loads(cap.out)
    assert rep["summary"] == {"files": 1, "losslessOnly": False, "exact": False, "verdicts": {"OK": 1}, "exitCode": 0}
    (f,) = rep["files"]
    assert f["source"] == str(EXAMPLE) and f["verdict"] == "OK" and f["lossless"] is True
    assert f["xmlValid"] is None and f["jsonValid"] is True
    assert f["xmlExact"] is True and f["relaxations"] == [] and f["xmlEqualText"] == "XML equal: True"
    assert cap.err == ""


def test_roundtrip_report_verdicts() -> None:
    from xml2json.roundtrip import RoundTripReport

    not_converted = RoundTripReport("x", issues=[Issue("malformed-xml", "m")])
    assert not_converted.verdict() == "ERROR" and not_converted.lossless is None
    lossless = RoundTripReport("x", "D", "V6_0", True, True, False, False, issues=[Issue("xsd-invalid", "m")])
    assert lossless.verdict() == "LOSSLESS, INVALID" and lossless.lossless is True and lossless.valid is False
    assert lossless.verdict(lossless_only=True) == "LOSSLESS" and lossless.passed(lossless_only=True)
    changed = RoundTripReport("x", "D", "V6_0", False, True, True, True, first_difference="/a")
    assert changed.verdict() == "FAIL" and changed.verdict(lossless_only=True) == "FAIL"
    assert RoundTripReport("x", "D", "V6_0", True, True, None, True).verdict() == "OK"
    assert changed.to_dict()["firstDifference"] == "/a"


# -- item 11: validate gives a verdict per file --------------------------------------------------


def test_validate_reports_every_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "bad.xml").write_bytes(b"<a><b></a>")
    (tmp_path / "doc.json").write_bytes(b'{"trademarkApplication": {"st96Version": "V6_0"}}')
    (tmp_path / "noext").write_bytes(b'{"trademarkApplication": {}}')
    names = ["missing.xml", "empty.json", "bad.xml", "doc.json", "noext"]
    assert main(["validate", *(str(tmp_path / n) for n in names)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(names) + 1
    assert out[0].endswith("missing.xml: UNREADABLE ([io])")
    assert out[1].endswith("empty.json: MALFORMED (JSON by its name; [empty-input])")
    assert out[2].endswith("bad.xml: MALFORMED (XML by its name; [malformed-xml])")
    assert "doc.json: INVALID (JSON by its name;" in out[3]
    assert "noext: INVALID (JSON by its content;" in out[4]
    assert out[5] == "5 files: 2 INVALID, 2 MALFORMED, 1 UNREADABLE"


def test_validate_xml_valid_names_what_it_checked_against(capsys: pytest.CaptureFixture[str]) -> None:
    require_shared()
    assert main(["validate", str(EXAMPLE)]) == 0
    assert "valid (XML by its name; TrademarkApplication, ST.96 V6_0 XSD)" in capsys.readouterr().out


# -- item 12: gzip read, zip and JSON refused with a hint ---------------------------------------


def test_convert_reads_gzip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gz = tmp_path / "app.xml.gz"
    gz.write_bytes(gzip.compress(EXAMPLE.read_bytes()))
    assert main(["convert", str(gz)]) == 0
    assert "trademarkApplication" in json.loads(capsys.readouterr().out)


def test_gzip_goes_through_the_bounded_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gz = tmp_path / "bomb.xml.gz"
    gz.write_bytes(gzip.compress(b"<a>" + b" " * 50_000_000 + b"</a>"))
    assert main(["convert", str(gz)]) == 1
    assert "[limit-compression-ratio]" in capsys.readouterr().err
    (tmp_path / "broken.xml.gz").write_bytes(gzip.compress(EXAMPLE.read_bytes())[:200])
    assert main(["convert", str(tmp_path / "broken.xml.gz")]) == 1
    err = capsys.readouterr().err
    assert "[malformed-gzip]" in err and "broken.xml.gz" in err


def test_convert_refuses_zip_and_json_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    z = tmp_path / "batch.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.xml", EXAMPLE.read_bytes())
    assert main(["convert", str(z)]) == 2
    err = capsys.readouterr().err
    assert "[input-zip]" in err and "xml2json bulk" in err and "Start tag" not in err
    js = tmp_path / "app.json"
    assert main(["convert", str(EXAMPLE), "-o", str(js)]) == 0
    assert main(["convert", str(js)]) == 2
    err = capsys.readouterr().err
    assert "[input-json]" in err and "xml2json to-xml" in err and "xml2json validate" in err


# -- item 13: profile report reads -, one exit rule, 100 columns --------------------------------


def test_profile_report_reads_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _stdin(monkeypatch, EXAMPLE.read_bytes())
    assert main(["profile", "report", "-", "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["overall"]["records"] == 1 and rep["files"][0]["source"] == "-"


def test_profile_report_exits_1_when_any_input_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.xml").write_bytes(b"<a>")
    assert main(["profile", "report", str(EXAMPLE), str(tmp_path / "bad.xml")]) == 1
    cap = capsys.readouterr()
    assert "[malformed-xml]" in cap.err and "FAILED [malformed-xml]" in cap.out
    assert main(["profile", "report", str(EXAMPLE)]) == 0


def test_profile_report_text_within_100_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / "and-a-long-file-name-for-the-example.xml"
    deep.parent.mkdir(parents=True)
    deep.write_bytes(EXAMPLE.read_bytes())
    bad = deep.parent / "broken-with-a-name-that-is-long-enough.xml"
    bad.write_bytes(b"<a>" * 100)
    assert main(["profile", "report", str(deep), str(bad), str(EXAMPLE)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert max(len(line) for line in lines) <= 100, max(lines, key=len)
    assert any(line.startswith("…") and line.split()[0].endswith("for-the-example.xml") for line in lines)


# -- item 14 (exit codes) is tests/test_exit_codes.py -------------------------------------------

# -- item 15: each location once; patterns in words ---------------------------------------------


def test_malformed_xml_location_printed_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<a>\n" * 81 + b"<b>text</c>\n")
    assert main(["convert", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.count("line 82") == 2  # libxml2's "tag b line 82" (where b opened), and the location
    assert err.count("column") == 1
    assert "    line 82, column" in err and ", line 82, column" not in err.splitlines()[0]


def test_format_issue_keeps_messages_without_a_trailing_location() -> None:
    text = format_issue(Issue("xsd-invalid", "Element 'a': not expected.", xml_path="/a", line=3))
    assert text == "error: [xsd-invalid] Element 'a': not expected.\n    /a, line 3"
    try:
        parse_document(b"<a>\n<b></a>", xml2json.Limits())
    except MalformedXMLError as exc:
        text = format_issue(exc.issues[0])
    assert text.endswith("b line 2 and a\n    line 2, column 8"), text


def test_profile_expand_says_patterns_in_words(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {
        "profile": "trademark-application-simple/1.0",
        "applicationNumber": "1",
        "office": "usa",
        "language": "EN",
        "applicationDate": "2020-1-1",
        "mark": {"viennaClassification": ["26.01.03.04"], "imageFileName": "a.png"},
    }
    src = tmp_path / "simple.json"
    src.write_text(json.dumps(doc))
    assert main(["profile", "expand", str(src)]) == 1
    err = capsys.readouterr().err
    assert "(?!" not in err and "does not match" not in err
    assert "'usa' is not two capital letters" in err
    assert "'EN' is not two lower-case letters" in err
    assert "'26.01.03.04' is not a Vienna code" in err
    assert "'2020-1-1' is not a date" in err


# -- item 16: -o never creates folders for files -------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["convert", str(EXAMPLE)],
        ["schema", "show", "TrademarkApplication"],
        ["profile", "simplify", str(EXAMPLE)],
        ["profile", "report", str(EXAMPLE)],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_output_folder_is_not_created(argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "typo" / "out.json"
    assert main([*argv, "-o", str(out)]) == 4
    assert not (tmp_path / "typo").exists()
    assert "[output-folder-missing]" in capsys.readouterr().err


def test_output_folder_of_generate_is_created_but_plan_file_folder_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bundle = ROOT / "tests" / "fixtures" / "mini-bundle"
    plan = tmp_path / "typo" / "plan.json.gz"
    assert main(["schema", "generate", str(bundle), "-o", str(tmp_path / "new" / "dir"), "--plan", str(plan)]) == 4
    assert not (tmp_path / "new").exists()  # refused before the compile
    capsys.readouterr()
    assert main(["schema", "generate", str(bundle), "-o", str(tmp_path / "new" / "dir")]) == 0
    assert any((tmp_path / "new" / "dir").iterdir())


# -- item 18: the error tree from the package ---------------------------------------------------


def test_error_tree_is_exported_with_docstrings() -> None:
    classes = [c for c in vars(xml2json.errors).values() if inspect.isclass(c) and issubclass(c, Xml2JsonError)]
    assert len(classes) >= 14
    for cls in classes:
        assert getattr(xml2json, cls.__name__) is cls, cls.__name__
        assert cls.__name__ in xml2json.__all__
        assert "__doc__" in vars(cls) and cls.__doc__, f"{cls.__name__} has no docstring of its own"
        assert cls is Xml2JsonError or cls.__doc__ != Xml2JsonError.__doc__, cls.__name__
    from xml2json import MalformedXMLError as Exported

    assert Exported is MalformedXMLError
    assert "malformed-xml" in (MalformedXMLError.__doc__ or "")

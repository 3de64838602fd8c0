"""What the library says, so that Python callers get what the command line prints: positions in
the issue (not in the message), gzip inputs named, round-trip checks skipped with a reason."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import pytest
from conftest import EXAMPLE

from xml2json import convert, roundtrip
from xml2json.cli import main
from xml2json.cli._common import format_issue
from xml2json.config import Limits
from xml2json.errors import InputError, Issue, MalformedXMLError
from xml2json.roundtrip import SKIPPED_BY_CALLER
from xml2json.safe import bounded_gzip_reader

# -- L1: lxml's ", line N, column M" goes into the issue --------------------------------------------


def test_syntax_error_position_is_in_the_issue_not_the_message() -> None:
    with pytest.raises(MalformedXMLError) as ei:
        convert(b"<a><b></a>")
    issue = ei.value.issues[0]
    assert issue.message == "not well-formed XML: Opening and ending tag mismatch: b line 1 and a"
    assert (issue.line, issue.column) == (1, 11)
    assert issue.to_dict()["column"] == 11
    assert str(issue).endswith("[line 1, column 11]")
    text = format_issue(issue)
    assert text.splitlines() == [
        "error: [malformed-xml] not well-formed XML: Opening and ending tag mismatch: b line 1 and a",
        "    line 1, column 11",
    ]


def test_issue_without_column_has_no_column_member() -> None:
    assert "column" not in Issue("x", "y", line=3).to_dict()  # bulk outputs unchanged
    assert format_issue(Issue("x", "y", line=3)).endswith("\n    line 3")


# -- L2: a gzip input named by its caller --------------------------------------------------------


def test_gzip_reader_names_its_input() -> None:
    broken = gzip.compress(b"<a/>" * 100)[:20]
    with (
        bounded_gzip_reader(io.BytesIO(broken), Limits(), label="inbox/a.xml.gz") as gz,
        pytest.raises(InputError) as ei,
    ):
        gz.read()
    assert ei.value.code == "malformed-gzip" and ei.value.message.startswith("inbox/a.xml.gz: ")
    with bounded_gzip_reader(io.BytesIO(broken), Limits()) as gz, pytest.raises(InputError) as ei2:
        gz.read()
    assert ei2.value.message.startswith("gzip input: ")


def test_cli_names_a_broken_gzip_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "a.xml.gz"
    f.write_bytes(gzip.compress(EXAMPLE.read_bytes())[:50])
    assert main(["convert", str(f)]) == 1
    assert f"[malformed-gzip] {f}: not a readable gzip stream" in capsys.readouterr().err


# -- L5: roundtrip(check_json=False) and the reasons for skipped checks ------------------------------


def test_roundtrip_check_json_false_skips_the_json_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    import xml2json.validate as validate_mod

    calls: list[str] = []
    real = validate_mod.Validators.check_json

    def spy(self, *a, **k):  # type: ignore[no-untyped-def]
        calls.append("json")
        return real(self, *a, **k)

    monkeypatch.setattr(validate_mod.Validators, "check_json", spy)
    r = roundtrip(EXAMPLE, check_json=False, check_xsd=False)
    assert calls == [] and r.json_valid is None and r.lossless
    assert r.json_skipped == SKIPPED_BY_CALLER and r.xsd_skipped == SKIPPED_BY_CALLER
    assert r.to_dict()["jsonSkipped"] == SKIPPED_BY_CALLER
    r2 = roundtrip(EXAMPLE)
    assert calls == ["json"] and r2.json_valid is True and r2.json_skipped is None


def test_roundtrip_says_when_there_is_no_xsd(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XML2JSON_XSD_PATH", str(tmp_path))
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path))
    r = roundtrip(EXAMPLE)
    if r.xml_valid is None:
        assert r.xsd_skipped == "no XSD for ST.96 V6_0"


# -- L6: the profile schema's messages in words, from Python too ---------------------------------


def test_profile_validate_says_patterns_in_words() -> None:
    from xml2json.profiles.trademark import NAME, validate

    issues = validate({"profile": NAME, "applicationNumber": "1", "office": "usa"})
    assert [i.message for i in issues] == [
        "'usa' is not two capital letters (a WIPO ST.3 or ISO 3166 code, such as US)"
    ], issues
    assert issues[0].json_pointer == "/office"


# -- L7: one text formatter for the coverage report, within 100 columns ----------------------------


def test_coverage_report_text_stays_within_100_columns(tmp_path: Path) -> None:
    from xml2json.api import Converter
    from xml2json.cli.profile import cmd_report  # noqa: F401  (the CLI uses the same formatter)
    from xml2json.profiles.report import build_report, format_report

    deep = tmp_path / ("a-rather-long-folder-name-" * 4) / ("and-another-one-" * 4)
    deep.mkdir(parents=True)
    (deep / "application-with-a-long-name.xml").write_bytes(EXAMPLE.read_bytes())
    (deep / "broken-with-a-long-name.xml").write_bytes(b"<a><b></a>")
    report = build_report([str(deep)], converter=Converter())
    text = report.format_text()
    assert text == format_report(report, top=10)
    assert max(len(line) for line in text.splitlines()) <= 100, text
    assert "overall: 2 file(s) (1 failed" in text

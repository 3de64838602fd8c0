"""One exit-code rule for every command (docs/cli.md, "Exit codes"): each command on each kind of
failure gives the documented exit code, and the stable ``[code]`` on standard error."""

from __future__ import annotations

import argparse
import gzip
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLE

from xml2json.cli import main
from xml2json.cli._common import run_command

XML_V99 = EXAMPLE.read_bytes().replace(b'com:st96Version="V6_0"', b'com:st96Version="V9_9"')
JSON_V99 = b'{"trademarkApplication": {"st96Version": "V9_9"}}'


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    """One small input per kind of failure, written by the test (nothing from ../shared)."""
    (tmp_path / "bad.xml").write_bytes(b"<a><b></a>")
    (tmp_path / "bad.json").write_bytes(b'{"a": ')
    (tmp_path / "empty.xml").write_bytes(b"")
    (tmp_path / "empty.json").write_bytes(b"  \n")
    (tmp_path / "v99.xml").write_bytes(XML_V99)
    (tmp_path / "v99.json").write_bytes(JSON_V99)
    (tmp_path / "good.xml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "good.json").write_bytes(b'{"trademarkApplication": {"st96Version": "V6_0"}}')
    simple = {"profile": "trademark-application-simple/1.0", "applicationNumber": "1", "office": "US"}
    (tmp_path / "simple.json").write_text(json.dumps(simple))
    with zipfile.ZipFile(tmp_path / "docs.zip", "w") as zf:
        zf.writestr("a.xml", EXAMPLE.read_bytes())
    names = ["bad.xml", "bad.json", "empty.xml", "empty.json", "v99.xml", "v99.json", "good.xml", "good.json"]
    out = {n: str(tmp_path / n) for n in [*names, "simple.json", "docs.zip"]}
    out["missing"] = str(tmp_path / "missing.xml")
    out["no-folder"] = str(tmp_path / "no" / "such" / "folder" / "out.txt")
    out["a-folder"] = str(tmp_path)
    return out


# (command, failure) -> (argv with {placeholders}, exit code, [code] on stderr)
TABLE: list[tuple[str, str, list[str], int, str]] = [
    # convert
    ("convert", "missing input", ["convert", "{missing}"], 2, "io"),
    ("convert", "input is a folder", ["convert", "{a-folder}"], 2, "io"),
    ("convert", "malformed", ["convert", "{bad.xml}"], 1, "malformed-xml"),
    ("convert", "empty", ["convert", "{empty.xml}"], 1, "empty-input"),
    ("convert", "version not compiled", ["convert", "{v99.xml}"], 3, "version-not-compiled"),
    ("convert", "zip input", ["convert", "{docs.zip}"], 2, "input-zip"),
    ("convert", "JSON input", ["convert", "{good.json}"], 2, "input-json"),
    ("convert", "output folder missing", ["convert", "{good.xml}", "-o", "{no-folder}"], 4, "output-folder-missing"),
    ("convert", "output is a folder", ["convert", "{good.xml}", "-o", "{a-folder}"], 4, "output-is-folder"),
    # to-xml
    ("to-xml", "missing input", ["to-xml", "{missing}"], 2, "io"),
    ("to-xml", "malformed", ["to-xml", "{bad.json}"], 1, "malformed-json"),
    ("to-xml", "empty", ["to-xml", "{empty.json}"], 1, "empty-input"),
    ("to-xml", "version not compiled", ["to-xml", "{v99.json}"], 3, "version-not-compiled"),
    ("to-xml", "zip input", ["to-xml", "{docs.zip}"], 2, "input-zip"),
    ("to-xml", "XML input", ["to-xml", "{good.xml}"], 2, "input-xml"),
    ("to-xml", "output folder missing", ["to-xml", "{good.json}", "-o", "{no-folder}"], 4, "output-folder-missing"),
    # validate
    ("validate", "missing input", ["validate", "{missing}"], 2, "io"),
    ("validate", "malformed", ["validate", "{bad.xml}"], 1, "malformed-xml"),
    ("validate", "malformed JSON", ["validate", "{bad.json}"], 1, "malformed-json"),
    ("validate", "empty", ["validate", "{empty.json}"], 1, "empty-input"),
    ("validate", "version not compiled", ["validate", "{v99.xml}"], 3, "version-not-compiled"),
    ("validate", "version not compiled (JSON)", ["validate", "{v99.json}"], 3, "version-not-compiled"),
    ("validate", "zip input", ["validate", "{docs.zip}"], 2, "input-zip"),
    # roundtrip
    ("roundtrip", "missing input", ["roundtrip", "{missing}"], 2, "io"),
    ("roundtrip", "malformed", ["roundtrip", "{bad.xml}"], 1, "malformed-xml"),
    ("roundtrip", "empty", ["roundtrip", "{empty.xml}"], 1, "empty-input"),
    ("roundtrip", "version not compiled", ["roundtrip", "{v99.xml}"], 3, "version-not-compiled"),
    ("roundtrip", "zip input", ["roundtrip", "{docs.zip}"], 2, "input-zip"),
    ("roundtrip", "JSON input", ["roundtrip", "{good.json}"], 2, "input-json"),
    # schema
    (
        "schema show",
        "version not compiled",
        ["schema", "show", "TrademarkApplication", "--st96-version", "V9_9"],
        3,
        "version-not-compiled",
    ),
    ("schema show", "unknown document", ["schema", "show", "TrademarkApplicaton"], 3, "unknown-document"),
    (
        "schema show",
        "output folder missing",
        ["schema", "show", "TrademarkApplication", "-o", "{no-folder}"],
        4,
        "output-folder-missing",
    ),
    ("schema diff", "version not compiled", ["schema", "diff", "V6_0", "V9_9"], 3, "version-not-compiled"),
    ("schema diff", "bad version name", ["schema", "diff", "V6_0", "six"], 3, "bad-version"),
    (
        "schema diff",
        "output folder missing",
        ["schema", "diff", "V6_0", "V6_0", "-o", "{no-folder}"],
        4,
        "output-folder-missing",
    ),
    ("schema remove", "not in the cache", ["schema", "remove", "V9_9"], 3, "version-not-cached"),
    ("schema remove", "shipped", ["schema", "remove", "V6_0"], 3, "version-shipped"),
    ("schema generate", "missing bundle", ["schema", "generate", "{missing}", "-o", "{a-folder}"], 3, "bundle-missing"),
    (
        "schema generate",
        "plan folder missing",
        ["schema", "generate", "{missing}", "-o", "{a-folder}", "--plan", "{no-folder}"],
        4,
        "output-folder-missing",
    ),
    ("schema build", "missing bundle", ["schema", "build", "{missing}"], 3, "bundle-missing"),
    # profile
    ("profile simplify", "missing input", ["profile", "simplify", "{missing}"], 2, "io"),
    ("profile simplify", "malformed", ["profile", "simplify", "{bad.xml}"], 1, "malformed-xml"),
    ("profile simplify", "empty", ["profile", "simplify", "{empty.xml}"], 1, "empty-input"),
    ("profile simplify", "version not compiled", ["profile", "simplify", "{v99.xml}"], 3, "version-not-compiled"),
    ("profile simplify", "zip input", ["profile", "simplify", "{docs.zip}"], 2, "input-zip"),
    (
        "profile simplify",
        "output folder missing",
        ["profile", "simplify", "{good.xml}", "-o", "{no-folder}"],
        4,
        "output-folder-missing",
    ),
    ("profile expand", "missing input", ["profile", "expand", "{missing}"], 2, "io"),
    ("profile expand", "malformed", ["profile", "expand", "{bad.json}"], 1, "malformed-json"),
    ("profile expand", "empty", ["profile", "expand", "{empty.json}"], 1, "empty-input"),
    ("profile expand", "XML input", ["profile", "expand", "{good.xml}"], 2, "input-xml"),
    (
        "profile expand",
        "output folder missing",
        ["profile", "expand", "{simple.json}", "-o", "{no-folder}"],
        4,
        "output-folder-missing",
    ),
    ("profile report", "missing input", ["profile", "report", "{missing}"], 2, "io"),
    ("profile report", "malformed", ["profile", "report", "{bad.xml}"], 1, "malformed-xml"),
    ("profile report", "version not compiled", ["profile", "report", "{v99.xml}"], 3, "version-not-compiled"),
    (
        "profile report",
        "output folder missing",
        ["profile", "report", "{good.xml}", "-o", "{no-folder}"],
        4,
        "output-folder-missing",
    ),
    # bulk (cli/bulk.py is documented here, not changed): a missing input is a usage error
    ("bulk", "missing input", ["bulk", "{missing}", "-o", "{a-folder}/out", "-q"], 2, "no-input"),
    ("bulk", "OUTDIR is a file", ["bulk", "{good.xml}", "-o", "{good.json}", "-q"], 4, "output-not-folder"),
]


@pytest.mark.parametrize(
    ("argv", "code", "issue"),
    [pytest.param(argv, code, issue, id=f"{cmd}: {failure}") for cmd, failure, argv, code, issue in TABLE],
)
def test_exit_code_and_issue_code(
    argv: list[str], code: int, issue: str, files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = [re.sub(r"\{([^}]+)\}", lambda m: files[m.group(1)], a) for a in argv]
    assert main(args) == code
    err = capsys.readouterr().err
    assert f"[{issue}]" in err, err


@pytest.mark.parametrize(
    "argv",
    [
        ["convert", "--bogus"],
        ["to-xml"],
        ["validate"],
        ["roundtrip"],
        ["schema", "show"],
        ["schema", "diff", "V6_0"],
        ["schema", "remove"],
        ["profile", "report"],
        ["bulk", "x.xml"],
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2


def test_convert_without_input_is_usage(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert"]) == 2
    assert "[usage]" in capsys.readouterr().err
    assert main([]) == 2


def test_interrupted_is_130(capsys: pytest.CaptureFixture[str]) -> None:
    def func(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    assert run_command(argparse.Namespace(func=func)) == 130
    assert "interrupted" in capsys.readouterr().err


def test_several_inputs_exit_with_the_highest_code(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """Every input is handled (one bad file hides no verdict) and the highest code wins."""
    assert main(["validate", files["good.json"], files["bad.xml"], files["missing"]]) == 2
    out = capsys.readouterr().out
    assert "good.json: INVALID" in out and "bad.xml: MALFORMED" in out and "missing.xml: UNREADABLE" in out
    assert main(["roundtrip", "--no-xsd", files["bad.xml"], files["v99.xml"], files["missing"]]) == 3
    out = capsys.readouterr().out
    assert out.count(": ERROR") == 3


def test_schema_diff_hint_names_no_option_it_lacks(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "diff", "V6_0", "V9_9"]) == 3
    err = capsys.readouterr().err
    assert "schema fetch" in err and "--st96-version" not in err
    assert main(["convert", "--st96-version", "V9_9", "--example"]) == 3
    assert "--st96-version" in capsys.readouterr().err  # convert has it: the hint may name it


def test_missing_input_is_2_for_convert_and_bulk_alike(files: dict[str, str], tmp_path: Path) -> None:
    assert main(["convert", files["missing"]]) == main(["bulk", files["missing"], "-o", str(tmp_path / "o"), "-q"]) == 2


def test_version_not_compiled_is_3_for_convert_and_roundtrip_alike(files: dict[str, str]) -> None:
    assert main(["convert", files["v99.xml"]]) == main(["roundtrip", files["v99.xml"]]) == 3


def test_stdin_gzip(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    data = gzip.compress(EXAMPLE.read_bytes())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert main(["convert", "-"]) == 0
    assert "trademarkApplication" in json.loads(capsys.readouterr().out)

"""The limit flags of the command line (docs/cli.md, "Limits"): each one moves its limit both
ways, bad values are usage errors, and a limit error's hint names the flag that raises it —
for a bag document also ``bulk --records``. The library's own messages name no flag."""

from __future__ import annotations

import gzip
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import EXAMPLE
from test_bulk import HEAD, TAIL, trademarks

from xml2json import Converter, Limits, Options
from xml2json.cli import main
from xml2json.cli._limits import LIMIT_FLAGS, limit_hint, parse_size
from xml2json.config import LIBXML2_HUGE_MAX_DEPTH
from xml2json.errors import Issue, UnsafeXMLError
from xml2json.io import dumps_json

# -- small generated inputs -----------------------------------------------------------------------


def _deep(n: int) -> bytes:
    return b"<a>" * n + b"</a>" * n


def _many(n: int) -> bytes:
    return b"<r>" + b"<a/>" * (n - 1) + b"</r>"


def _bag(n: int) -> bytes:
    """A TrademarkTransaction whose TrademarkBag holds *n* copies of the example's trademark."""
    (rec,) = trademarks(EXAMPLE)
    return HEAD + rec * n + TAIL


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


# Each case: command, the input (written to a file named by its suffix), the flag, a value that
# makes the input fail with the code, a value that lets it past that limit (the input may then
# fail for another reason: these inputs are not ST.96 documents), the code.
Case = tuple[str, str, Callable[[], bytes], str, str, str, str]
CASES: list[Case] = [
    ("convert", "x.xml", lambda: EXAMPLE.read_bytes(), "--max-size", "1K", "1M", "limit-document-size"),
    ("convert", "x.xml", lambda: EXAMPLE.read_bytes(), "--max-elements", "10", "5000", "limit-elements"),
    ("convert", "x.xml", lambda: _many(1_000_001), "--max-elements", "1000000", "2000000", "limit-elements"),
    ("convert", "x.xml", lambda: _deep(300), "--max-depth", "256", "400", "limit-depth"),
    ("convert", "x.xml", lambda: _deep(30), "--max-depth", "20", "256", "limit-depth"),
    ("validate", "x.xml", lambda: _deep(300), "--max-depth", "256", "2048", "limit-depth"),
    ("roundtrip", "x.xml", lambda: _deep(300), "--max-depth", "256", "400", "limit-depth"),
    (
        "convert",
        "x.xml",
        lambda: b"<r>" + b"x" * 10_000_001 + b"</r>",
        "--max-text",
        "10000000",
        "20M",
        "limit-text-size",
    ),
    ("convert", "x.xml", lambda: b"<r>" + b"x" * 200 + b"</r>", "--max-text", "100", "1K", "limit-text-size"),
    (
        "convert",
        "x.xml",
        lambda: b"<r " + b" ".join(b'a%d="1"' % i for i in range(300)) + b"/>",
        "--max-attributes",
        "256",
        "400",
        "limit-attributes",
    ),
    (
        "convert",
        "x.xml.gz",
        lambda: gzip.compress(EXAMPLE.read_bytes()),
        "--max-decompressed",
        "1K",
        "1M",
        "limit-decompressed-size",
    ),
    (
        "convert",
        "x.xml.gz",
        lambda: gzip.compress(b"<r>" + b" " * 3_000_000 + b"</r>"),
        "--max-compression-ratio",
        "200",
        "100000",
        "limit-compression-ratio",
    ),
    ("to-xml", "x.json", lambda: b"[" * 300 + b"]" * 300, "--max-json-depth", "256", "400", "limit-json-depth"),
    ("validate", "x.json", lambda: b"[" * 300 + b"]" * 300, "--max-json-depth", "256", "400", "limit-json-depth"),
    (
        "to-xml",
        "x.json",
        lambda: b'{"a": ' + b"1" * 2000 + b"}",
        "--max-json-number",
        "1000",
        "3000",
        "limit-json-number",
    ),
]


@pytest.mark.parametrize(("command", "name", "make", "flag", "low", "high", "code"), CASES, ids=lambda v: str(v)[:20])
def test_each_flag_moves_its_limit(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    name: str,
    make: Callable[[], bytes],
    flag: str,
    low: str,
    high: str,
    code: str,
) -> None:
    path = tmp_path / name
    path.write_bytes(make())
    extra = ["--no-xsd"] if command == "roundtrip" else []
    failed, text = _run(capsys, command, str(path), *extra, flag, low)
    assert failed == 1, text
    assert f"[{code}]" in text
    now = parse_size(low)
    assert f"hint: raise it with {flag} " in text and f"(now {now})" in text, text
    _, text = _run(capsys, command, str(path), *extra, flag, high)
    assert f"[{code}]" not in text and "raise it with" not in text, text


def test_a_raised_limit_converts_what_the_default_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.xml"
    path.write_bytes(EXAMPLE.read_bytes())
    assert _run(capsys, "convert", str(path), "--max-size", "4K")[0] == 1
    code, text = _run(capsys, "convert", str(path), "--max-size", "4M")
    assert code == 0 and json.loads(text)


def test_defaults_are_the_library_defaults_and_the_hint_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.xml"
    path.write_bytes(_deep(300))
    code, text = _run(capsys, "convert", str(path))
    assert code == 1 and f"hint: raise it with --max-depth N (now {Limits().max_depth})" in text


# -- values -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1048576", 1 << 20),
        ("500M", 500 << 20),
        ("2G", 2 << 30),
        ("2g", 2 << 30),
        ("1.5K", 1536),
        ("64MiB", 64 << 20),
        ("1_000", 1000),
    ],
)
def test_sizes(text: str, value: int) -> None:
    assert parse_size(text) == value


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--max-size", "5X"], "is not a size"),
        (["--max-size", "0"], "at least 1 byte"),
        (["--max-size", ""], "is not a size"),
        (["--max-elements", "abc"], "not a whole number"),
        (["--max-elements", "-1"], "give 1 or more"),
        (["--max-elements", "1.5"], "not a whole number"),
        (["--max-depth", str(LIBXML2_HUGE_MAX_DEPTH + 1)], "libxml2 refuses deeper"),
        (["--max-text", "2G"], "libxml2 refuses longer"),
    ],
)
def test_bad_values_are_usage_errors(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    with pytest.raises(SystemExit) as ei:
        main(["convert", "--example", *argv])
    assert ei.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {argv[0]}:" in err and says in err


def test_max_depth_up_to_libxml2s_cap_is_taken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.xml"
    path.write_bytes(_deep(LIBXML2_HUGE_MAX_DEPTH))
    code, text = _run(capsys, "validate", str(path), "--max-depth", str(LIBXML2_HUGE_MAX_DEPTH))
    assert code == 1 and "limit-depth" not in text and "[unknown-root]" in text, text


@pytest.mark.parametrize("command", ["convert", "to-xml", "validate", "roundtrip", "bulk"])
def test_every_command_that_reads_input_has_the_size_flags(capsys: pytest.CaptureFixture[str], command: str) -> None:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    assert "--max-size SIZE" in out and "--max-decompressed SIZE" in out
    xml = command != "to-xml"
    assert ("--max-elements N" in out) == xml and ("--max-depth N" in out) == xml
    assert ("--max-json-depth N" in out) == (command in ("to-xml", "validate", "roundtrip"))
    assert ("--max-zip-members N" in out) == (command == "bulk")


@pytest.mark.parametrize(
    ("argv", "xml", "zip_"),
    [
        (["profile", "simplify"], True, False),
        (["profile", "expand"], False, False),
        (["profile", "report"], True, True),
    ],
)
def test_profile_commands_have_the_flags(
    capsys: pytest.CaptureFixture[str], argv: list[str], xml: bool, zip_: bool
) -> None:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    out = capsys.readouterr().out
    assert "--max-size SIZE" in out and ("--max-elements N" in out) == xml and ("--max-zip-members N" in out) == zip_


def test_profile_simplify_honours_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _run(capsys, "profile", "simplify", str(EXAMPLE), "--max-elements", "10", "-q")
    assert code == 1 and "[limit-elements]" in text and "raise it with --max-elements N (now 10)" in text
    code, text = _run(capsys, "profile", "simplify", str(EXAMPLE), "--max-elements", "1000", "-q")
    assert code == 0 and "limit-elements" not in text


# -- the hint ---------------------------------------------------------------------------------------


def test_the_library_names_no_flag() -> None:
    conv = Converter(options=Options(limits=Limits(max_elements_per_record=10)))
    with pytest.raises(UnsafeXMLError) as ei:
        conv.xml_to_json(EXAMPLE.read_bytes())
    assert ei.value.code == "limit-elements" and "--" not in str(ei.value)


def test_nesting_of_the_xml_writer_is_the_json_depth_flag() -> None:
    # JSON → XML reports its nesting as limit-depth at a JSON pointer; XML reading at an XML path
    json_side = limit_hint(Issue("limit-depth", "x", json_pointer="/a/b"), Limits(), None)
    xml_side = limit_hint(Issue("limit-depth", "x", xml_path="/a/b"), Limits(), None)
    assert json_side == "raise it with --max-json-depth N (now 256)"
    assert xml_side == "raise it with --max-depth N (now 256)"


def test_a_hint_names_only_flags_the_command_has() -> None:
    assert limit_hint(Issue("limit-zip-members", "x"), Limits(), {"max_size"}) is None
    assert limit_hint(Issue("limit-zip-members", "x"), Limits(max_zip_members=3), {"max_zip_members"}) == (
        "raise it with --max-zip-members N (now 3)"
    )
    assert {f.flag for f in LIMIT_FLAGS} >= {"--max-elements", "--max-depth", "--max-size"}


@pytest.mark.parametrize("command", ["convert", "validate", "roundtrip"])
def test_a_bag_document_over_the_limit_suggests_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    bag = tmp_path / "bag.xml"
    bag.write_bytes(_bag(3))
    app = tmp_path / "app.xml"
    app.write_bytes(EXAMPLE.read_bytes())
    extra = ["--no-xsd"] if command == "roundtrip" else []
    code, text = _run(capsys, command, str(bag), *extra, "--max-elements", "20")
    assert code == 1 and "[limit-elements]" in text
    assert f"`xml2json bulk {bag} -o OUTDIR --records`" in text, text
    code, text = _run(capsys, command, str(app), *extra, "--max-elements", "20")
    assert code == 1 and "[limit-elements]" in text and "--max-elements" in text
    assert "--records" not in text  # an application is one record: nothing to stream
    _, text = _run(capsys, command, str(bag), *extra, "--max-size", "1K")
    assert "[limit-document-size]" in text and "--records`" in text


def test_a_bag_over_the_depth_limit_is_not_sent_to_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bag = tmp_path / "bag.xml"
    bag.write_bytes(_bag(1))
    code, text = _run(capsys, "convert", str(bag), "--max-depth", "3")
    assert code == 1 and "[limit-depth]" in text and "--max-depth N (now 3)" in text and "--records" not in text


def test_bulk_whole_documents_of_a_bag_suggest_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bag = tmp_path / "bag.xml"
    bag.write_bytes(_bag(3))
    code, text = _run(capsys, "bulk", str(bag), "-o", str(tmp_path / "o1"), "-j", "1", "--max-elements", "20")
    assert code == 1 and "limit-elements" in text
    assert "hint: 1 rejected for [limit-elements]: raise it with --max-elements N (now 20)" in text
    assert f"`xml2json bulk {bag} -o OUTDIR --records`" in text
    # record by record, each record is under the limit
    code, text = _run(
        capsys, "bulk", str(bag), "-o", str(tmp_path / "o2"), "-j", "1", "--records", "--max-elements", "100"
    )
    assert code == 0, text
    assert json.loads((tmp_path / "o2" / "summary.json").read_text())["records"] == 3
    # a record over the limit: the flag, not --records again
    code, text = _run(
        capsys, "bulk", str(bag), "-o", str(tmp_path / "o3"), "-j", "1", "--records", "--max-elements", "20"
    )
    assert code == 1 and "raise it with --max-elements N (now 20)" in text and "-o OUTDIR --records" not in text


def test_bulk_zip_members_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    z = tmp_path / "in.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for i in range(3):
            zf.writestr(f"d{i}.xml", EXAMPLE.read_bytes())
    code, text = _run(capsys, "bulk", str(z), "-o", str(tmp_path / "o1"), "-j", "1", "--max-zip-members", "2")
    assert code == 1 and "raise it with --max-zip-members N (now 2)" in text
    code, text = _run(capsys, "bulk", str(z), "-o", str(tmp_path / "o2"), "-j", "1", "--max-zip-members", "3")
    assert code == 0, text


# -- a limit is not a verdict on the data ----------------------------------------------------------


def _xml_depth(el: object) -> int:
    kids = [c for c in el if isinstance(c.tag, str)]  # type: ignore[attr-defined]
    return 1 + max((_xml_depth(c) for c in kids), default=0)


def _json_depth(v: object) -> int:
    if isinstance(v, dict):
        return 1 + max((_json_depth(x) for x in v.values()), default=0)
    if isinstance(v, list):
        return 1 + max((_json_depth(x) for x in v), default=0)
    return 0


def test_roundtrip_refused_by_the_json_depth_is_an_error_not_a_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from lxml import etree

    import xml2json

    xml_depth = _xml_depth(etree.fromstring(EXAMPLE.read_bytes()))
    json_depth = _json_depth(xml2json.convert(EXAMPLE))
    assert json_depth > xml_depth  # the JSON nests deeper: equal limits refuse the way back
    d = str(xml_depth)
    report = xml2json.roundtrip(EXAMPLE, options=Options(limits=Limits(max_depth=xml_depth, max_json_depth=xml_depth)))
    assert report.converted and report.refused is not None and report.refused.code == "limit-json-depth"
    assert report.verdict() == "ERROR" and report.lossless is None
    code, text = _run(capsys, "roundtrip", str(EXAMPLE), "--no-xsd", "--max-depth", d, "--max-json-depth", d)
    assert code == 1, text
    assert "ERROR" in text and "FAIL" not in text and "not lossless" not in text
    assert "a limit refused the way back: [limit-json-depth]" in text
    assert f"raise it with --max-json-depth N (now {d})" in text and "nests deeper than its XML" in text
    code, text = _run(capsys, "roundtrip", str(EXAMPLE), "--no-xsd", "--max-depth", d, "--max-json-depth", d, "--json")
    assert code == 1
    (f,) = json.loads(text)["files"]
    assert (f["verdict"], f["lossless"], f["refusedBy"]) == ("ERROR", None, "limit-json-depth")
    # with room for the JSON's depth the same file passes
    code, text = _run(
        capsys, "roundtrip", str(EXAMPLE), "--no-xsd", "--max-depth", d, "--max-json-depth", str(json_depth)
    )
    assert code == 0, text


def test_validate_labels_a_limit_refusal_refused_not_malformed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    js = tmp_path / "x.json"
    js.write_bytes(dumps_json(Converter().xml_to_json(EXAMPLE).data))
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<r><a></r>")
    code, text = _run(capsys, "validate", str(EXAMPLE), "--max-elements", "10")
    assert code == 1
    assert f"{EXAMPLE}: REFUSED" in text and "MALFORMED" not in text
    assert "[limit-elements]" in text and "raise it with --max-elements N (now 10)" in text
    code, text = _run(capsys, "validate", str(js), str(bad), "--max-json-depth", "5")
    assert code == 1
    assert f"{js}: REFUSED" in text and "raise it with --max-json-depth N (now 5)" in text
    assert f"{bad}: MALFORMED" in text  # a file that is not well-formed still is
    assert "1 MALFORMED, 1 REFUSED" in text


def test_a_file_of_concatenated_documents_gets_the_bulk_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`convert` on `cat a.xml b.xml`: libxml2 stops at the second XML declaration; the CLI says
    what the file probably is and which command reads it (and no hint for other malformed XML)."""
    two = tmp_path / "day.xml"
    two.write_bytes(_bag(2) + b"\n" + _bag(3))
    code, err = _run(capsys, "convert", str(two), "-o", str(tmp_path / "day.json"))
    assert code == 1
    assert "[malformed-xml]" in err
    assert "several XML documents" in err and "xml2json bulk FILE -o OUTDIR --records" in err
    broken = tmp_path / "broken.xml"
    broken.write_bytes(_bag(2)[:-20])
    code, err = _run(capsys, "convert", str(broken), "-o", str(tmp_path / "broken.json"))
    assert code == 1 and "[malformed-xml]" in err and "several XML documents" not in err

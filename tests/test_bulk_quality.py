"""Data quality in bulk: ``--validate json|xsd|both``, ``--strict-valid``, ``--check-roundtrip``
and OUTDIR/quality.json (docs/bulk.md, "Checking data quality").

The real USPTO TSDR records in ../shared (read in place) do not conform to ST.96 V6_0: every one
must be converted all the same, and the report's counts by path must equal an independent
computation (``jsonschema`` on the record lines, libxml2 on the record elements parsed afresh).
WIPO's V6_0 examples conform: no issue. The round trip is checked on the real records (no
difference, where the document-level round trip finds none) and on a record written here with a
difference provoked on purpose.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, USPTO, WIPO_V6, XSD_V6, require_shared
from lxml import etree
from test_bulk import TMK, numbered, read_jsonl, record_lines, uspto_records, write_bulk
from test_bulk_memory import _can_reset_peak, _measure
from test_bulk_parallel import spy_on_splitting

from xml2json import fastvalidate
from xml2json.bulk import BulkConfig, iter_records, run_bulk
from xml2json.bulk.checks import json_schema_path, xml_schema_path
from xml2json.bulk.quality import MAX_ROWS, QualityCounter
from xml2json.errors import ConfigError
from xml2json.registry import default_registry

pytestmark = pytest.mark.shared


def tsdr_files() -> list[Path]:
    files = sorted(require_shared(USPTO).glob("*-ST96.xml"))  # not the -old (pre-release namespace) one
    assert len(files) == 4
    return files


def quality(out: Path) -> dict[str, Any]:
    q: dict[str, Any] = json.loads((out / "quality.json").read_text(encoding="utf-8"))
    return q


def rows(q: dict[str, Any], check: str) -> list[dict[str, Any]]:
    return [r for r in q["byPath"] if r["check"] == check]


def _type_validator(document: str, type_key: str) -> Any:
    from jsonschema import Draft202012Validator

    schema = default_registry().schema("V6_0", document)
    return Draft202012Validator({"$ref": "#/$defs/" + type_key, "$defs": schema["$defs"]})


# -- the fast backend's issue list -----------------------------------------------------------------


@pytest.mark.skipif(not fastvalidate.available(), reason="jsonschema-rs is not installed")
def test_fast_issue_list_equals_jsonschema_on_real_records() -> None:
    """jsonschema-rs's error iteration (what bulk uses for the issue list) finds the same
    (pointer, keyword) pairs as jsonschema on every real record."""
    from xml2json import Converter
    from xml2json.bulk.checks import RecordChecker

    checker = RecordChecker(Converter(), ("json",), False)
    seen = 0
    for f in tsdr_files():
        for rec in iter_records(f):
            if rec.record is None:
                continue
            jc = checker.json_check(rec.st96_version, rec.document, rec.type)
            assert jc.rs is not None
            value = rec.data[rec.record]  # type: ignore[index]
            fast = Counter((p, k) for p, k, _m in jc.errors(value))
            reference = Counter(
                ("".join(f"/{x}" for x in e.absolute_path), str(e.validator)) for e in jc.py().iter_errors(value)
            )
            assert fast and fast == reference, f.name
            seen += 1
    assert seen == 4


@pytest.mark.skipif(not fastvalidate.available(), reason="jsonschema-rs is not installed")
def test_undeclared_members_shortcut_keeps_the_issue_list() -> None:
    """A record with members its type does not declare is checked without them, its
    ``additionalProperties`` error added from a stand-in (checks.py, ``_root_unexpected``): the
    issue list — pointer, keyword, message, order — is jsonschema-rs's full iteration's, on the
    real records, on them with an undeclared member more, and where the record's root has other
    errors too (then the full iteration decides)."""
    from xml2json import Converter
    from xml2json.bulk.checks import MAX_PER_CHECK, RecordChecker, _keyword, _pointer

    def full(jc: Any, value: Any) -> list[tuple[str, str, str]]:
        errs = [(_pointer(e.instance_path), _keyword(e.schema_path), e.message) for e in jc.rs.iter_errors(value)]
        return errs[:MAX_PER_CHECK]

    checker = RecordChecker(Converter(), ("json",), False)
    shortcut = 0
    for f in tsdr_files():
        for rec in iter_records(f):
            if rec.record is None:
                continue
            jc = checker.json_check(rec.st96_version, rec.document, rec.type)
            value = rec.data[rec.record]  # type: ignore[index]
            extra = {**value, "x-undeclared": {"a": [1, "b"]}}
            rootless = {k: v for k, v in extra.items() if k not in ("applicationNumber", "registrationNumber")}
            declared = {k: v for k, v in value.items() if ":" not in k}
            for variant in (value, extra, rootless, declared):
                expected = full(jc, variant)
                assert jc.errors(variant) == expected, f.name
            last = full(jc, extra)[-1]
            assert last[:2] == ("", "additionalProperties") and "'x-undeclared'" in last[2]
            assert any(e[0] == "" and e[1] == "anyOf" for e in full(jc, rootless))
            assert jc._root_unexpected(rootless) is None  # an error at the root: the full iteration
            shortcut += jc._root_unexpected(extra) is not None
    assert shortcut == 4


# -- the real, non-conforming records --------------------------------------------------------------


@pytest.mark.slow
def test_tsdr_validate_both_converts_every_record_and_counts_by_path(tmp_path: Path, validators: Any) -> None:
    out = tmp_path / "out"
    summary = run_bulk(tsdr_files(), out, records=True, jobs=1, validate="both")
    assert (summary.records, summary.rejects) == (4, 0)  # every record converted
    q = quality(out)
    assert (q["unit"], q["checks"], q["checked"], q["withIssues"], q["clean"]) == (
        "record",
        ["convert", "json", "xsd"],
        4,
        4,
        0,
    )
    assert summary.quality is not None and summary.quality["withIssues"] == 4
    lines = [x for x in record_lines(out) if x["record"] is not None]
    assert len(lines) == 4 and all(x["issues"] for x in lines)
    assert all(list(x)[-2:] == ["issues", "data"] for x in lines)  # the issues come just before data

    # JSON Schema: jsonschema on the lines as written, positions removed, counted by path
    issues: Counter[str] = Counter()
    units: Counter[str] = Counter()
    for line in lines:
        v = _type_validator(line["document"], line["type"])
        paths = [
            json_schema_path("/" + line["record"] + "".join(f"/{p}" for p in e.absolute_path))
            for e in v.iter_errors(line["data"][line["record"]])
        ]
        issues.update(paths)
        units.update(set(paths))
    assert issues and {r["path"]: r["issues"] for r in rows(q, "json")} == dict(issues)
    assert {r["path"]: r["records"] for r in rows(q, "json")} == dict(units)

    # XSD: libxml2 on each record element of the documents parsed afresh
    xsd = validators.xsd("V6_0", "TrademarkTransaction")
    xsd_issues: Counter[str] = Counter()
    for f in tsdr_files():
        for el in etree.parse(str(f)).getroot().iter(f"{{{TMK}}}Trademark"):
            assert not xsd.validate(el)
            for e in xsd.error_log:  # the document's own prefixes: compare local names
                xsd_issues[_local(xml_schema_path(e.path))] += 1
    assert xsd_issues and Counter({_local(r["path"]): r["issues"] for r in rows(q, "xsd")}) == xsd_issues
    assert sum(r["issues"] for r in rows(q, "xsd")) == next(c["issues"] for c in q["byCheck"] if c["check"] == "xsd")

    # conversion warnings: the unknown elements of the envelopes
    unknown = sum(1 for x in lines for w in x.get("warnings", []) if w["code"] == "unknown-element")
    by_code = {(c["check"], c["code"]): c for c in q["byCode"]}
    assert unknown and by_code["convert", "unknown-element"]["issues"] == unknown
    assert {r["category"] for r in rows(q, "convert")} >= {"unknown-element", "wrong-version"}
    assert by_code["json", "json-schema-invalid"]["records"] == 4

    # examples name the records by application number, in input order
    numbers = {x["data"]["trademark"]["applicationNumber"][0]["applicationNumberText"] for x in lines}
    for r in q["byPath"]:
        assert 1 <= len(r["examples"]) <= 3 and r["share"] == round(r["records"] / 4, 4)
        for ex in r["examples"]:
            assert ex["id"].split(" ")[0] == "applicationNumberText" and ex["id"].split(" ")[1] in numbers
            assert ex["index"] == 0 and ex["source"].endswith("-ST96.xml")
    assert q["byPath"] == sorted(q["byPath"], key=lambda r: (-r["records"], r["check"], r["path"], r["code"]))


def _local(path: str) -> str:
    return "/".join(step.split(":")[-1] for step in path.split("/"))


@pytest.mark.slow
def test_wipo_v6_examples_have_no_issue(tmp_path: Path) -> None:
    files = sorted(require_shared(WIPO_V6).glob("*.xml"))
    for records in (True, False):
        out = tmp_path / f"out-{records}"
        summary = run_bulk(files, out, records=records, jobs=1, validate="both")
        assert summary.rejects == 0
        q = quality(out)
        assert q["unit"] == ("record" if records else "document")
        assert q["checked"] == len(files) and q["clean"] == len(files) and q["withIssues"] == 0
        assert q["byPath"] == [] and q["byCode"] == [] and q["omittedPaths"] == 0
        assert [c["issues"] for c in q["byCheck"]] == [0, 0, 0]


def test_strict_valid_moves_the_records_to_rejects(tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run_bulk(tsdr_files(), out, records=True, jobs=1, validate="json", strict_valid=True)
    assert (summary.records, summary.rejects) == (0, 4)
    assert summary.reject_codes == {"json-schema-invalid": 4}
    rejects = read_jsonl(out / "rejects.jsonl")
    assert all(r["record"] == "trademark" and len(r["issues"]) > 5 for r in rejects)
    assert all(i["code"] == "json-schema-invalid" and i["category"] for r in rejects for i in r["issues"])
    assert not [x for x in record_lines(out) if x["record"] is not None]
    q = quality(out)
    # checked and failed: counted in every total and row, and said to be rejected as invalid
    assert (q["checked"], q["withIssues"], q["clean"], q["rejected"], q["rejectedInvalid"]) == (4, 4, 0, 4, 4)
    run_bulk(tsdr_files(), tmp_path / "lax", records=True, jobs=1, validate="json")
    lax = quality(tmp_path / "lax")
    assert q["byPath"] and q["byPath"] == lax["byPath"] and q["byCode"] == lax["byCode"]
    assert q["byCheck"] == lax["byCheck"] and lax["rejectedInvalid"] == 0
    from xml2json.bulk.report import render_text, units_read

    assert units_read(q) == 4
    assert "rejected as invalid (--strict-valid)" in render_text(q)


def test_strict_valid_documents_keep_their_warnings(tmp_path: Path) -> None:
    """Document mode: a document rejected as invalid is in the report, and its conversion
    warnings stay in summary.json (as records mode keeps them)."""
    files = tsdr_files()
    strict = run_bulk(files, tmp_path / "strict", jobs=1, validate="json", strict_valid=True)
    lax = run_bulk(files, tmp_path / "lax", jobs=1, validate="json")
    assert strict.rejects == 4 and lax.warnings and strict.warnings == lax.warnings
    q, ql = quality(tmp_path / "strict"), quality(tmp_path / "lax")
    assert (q["checked"], q["withIssues"], q["rejectedInvalid"], q["rejected"]) == (4, 4, 4, 4)
    assert q["byPath"] == ql["byPath"]


def test_a_document_cut_short_is_said(tmp_path: Path) -> None:
    """A bag that breaks after some records: the records before the break are checked, and the
    report counts the document as cut (the records after it were never read)."""
    src = tmp_path / "bag.xml"
    write_bulk(src, [REC % n for n in range(6)])
    data = src.read_bytes()
    starts = [m.start() for m in re.finditer(rb"<tmk:Trademark>", data)]
    assert len(starts) == 6
    src.write_bytes(data[: starts[3]] + b"<tmk:Trademark><broken</tmk:Trademark>" + data[starts[3] :])
    summary = run_bulk([src], tmp_path / "out", records=True, jobs=1, validate="json")
    q = quality(tmp_path / "out")
    assert summary.records == 3 and q["checked"] == 3 and q["documentsCut"] == 1 and q["rejected"] == 1
    assert q["rejectedInvalid"] == 0
    from xml2json.bulk.report import render_text

    assert "WARNING: 1 document could not be read to the end (see rejects.jsonl)" in render_text(q)


def test_issues_beyond_the_cap_are_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validators: Any) -> None:
    """Each check lists at most MAX_PER_CHECK issues of a record; the others are counted in
    ``issuesOverCap`` (and said in the record's line), so that nothing is silently dropped."""
    from xml2json.bulk import checks

    full = tmp_path / "full"
    run_bulk(tsdr_files(), full, records=True, jobs=1, validate="both")
    monkeypatch.setattr(checks, "MAX_PER_CHECK", 2)
    capped = tmp_path / "capped"
    run_bulk(tsdr_files(), capped, records=True, jobs=1, validate="both")
    a, b = quality(full), quality(capped)
    for ra, rb in zip(a["byCheck"], b["byCheck"], strict=True):
        assert ra["issuesOverCap"] == 0
        assert rb["issues"] + rb["issuesOverCap"] == ra["issues"], ra["check"]
        assert rb["issues"] <= 2 * rb["records"] or ra["check"] not in ("json", "xsd")
    assert b["byCheck"][1]["issuesOverCap"] > 0  # json: every TSDR record has more than 2
    over = [
        (x["index"], c)
        for x in record_lines(full)
        if x["record"] is not None
        for c in ("json", "xsd")
        if sum(i["check"] == c for i in x["issues"]) > 2
    ]
    said = [
        (x["index"], i["check"])
        for x in record_lines(capped)
        if x["record"] is not None
        for i in x["issues"]
        if i["code"] == "issues-over-cap"
    ]
    assert over and said == over
    from xml2json.bulk.report import render_text

    assert "the issue counts are lower bounds" in render_text(b)


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError) as e:
        BulkConfig(("x.xml",), "out", validate="schema")
    assert e.value.code == "bulk-validate"
    with pytest.raises(ConfigError) as e:
        BulkConfig(("x.xml",), "out", strict_valid=True)
    assert e.value.code == "bulk-strict-valid"
    for wrong in (True, 1, ["json", None], b"json"):  # not a check: a ConfigError saying what is taken
        with pytest.raises(ConfigError) as e:
            BulkConfig(("x.xml",), "out", validate=wrong)  # type: ignore[arg-type]
        assert e.value.code == "bulk-validate" and '"json", "xsd", "both"' in e.value.message
        with pytest.raises(ConfigError) as e:
            next(iter_records(b"<x/>", validate=wrong))  # type: ignore[arg-type]
        assert e.value.code == "bulk-validate" and '"json", "xsd", "both"' in e.value.message
    assert BulkConfig(("x.xml",), "out", validate="both").validate == ("json", "xsd")
    assert BulkConfig(("x.xml",), "out", validate=["xsd", "json"]).validate == ("json", "xsd")


def test_resume_with_other_checks_says_settings_differ(tmp_path: Path) -> None:
    f = tsdr_files()[0]
    run_bulk([f], tmp_path / "out", records=True, jobs=1, validate="json")
    with pytest.raises(ConfigError) as e:
        run_bulk([f], tmp_path / "out", records=True, jobs=1, resume=True, check_roundtrip=True)
    assert e.value.code == "bulk-settings-differ"
    # worded for people, and a setting the new run lacks is named too
    assert "validate was json, is not set" in e.value.message and "checkRoundtrip was off, is on" in e.value.message


# -- the round trip --------------------------------------------------------------------------------


def test_roundtrip_on_real_records_agrees_with_the_document_round_trip(tmp_path: Path) -> None:
    from xml2json import roundtrip

    out = tmp_path / "out"
    run_bulk(tsdr_files(), out, records=True, jobs=1, check_roundtrip=True)
    q = quality(out)
    assert q["checks"] == ["convert", "roundtrip"] and q["jsonBackend"] is None
    reports = [roundtrip(f, check_json=False, check_xsd=False) for f in tsdr_files()]
    assert all(r.xml_equal for r in reports)  # the reference: no difference in these documents
    assert not [r for r in rows(q, "roundtrip") if r["category"] == "roundtrip-difference"]
    # the relaxations the document-level check needed under the records, by path
    expected = Counter(
        xml_schema_path("/tmk:Trademark/" + x.xml_path.split("/tmk:Trademark/", 1)[1])
        for r in reports
        for x in r.relaxations
        if "/tmk:Trademark/" in x.xml_path + "/"
    )
    got = Counter({r["path"]: r["records"] for r in rows(q, "roundtrip")})
    assert expected and got == expected


REC = (
    b"<tmk:Trademark><com:ApplicationNumber><com:ApplicationNumberText>%d</com:ApplicationNumberText>"
    b"</com:ApplicationNumber>\n<tmk:MarkCategory>Trademark</tmk:MarkCategory></tmk:Trademark>"
)


def test_roundtrip_difference_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "bag.xml"
    write_bulk(src, [REC % n for n in range(5)])
    run_bulk([src], tmp_path / "ok", records=True, jobs=1, check_roundtrip=True)
    q = quality(tmp_path / "ok")
    assert (q["checked"], q["clean"], q["byPath"]) == (5, 5, [])

    from xml2json.convert.json_to_xml import JsonToXml

    real = JsonToXml._enc

    def changed(codec: Any, v: Any) -> str:  # the writer changes one value on its way back
        s = real(codec, v)
        return s + "0" if s.isdigit() else s

    monkeypatch.setattr(JsonToXml, "_enc", staticmethod(changed))
    run_bulk([src], tmp_path / "bad", records=True, jobs=1, check_roundtrip=True)
    q = quality(tmp_path / "bad")
    assert (q["checked"], q["withIssues"]) == (5, 5)
    (row,) = q["byPath"]
    assert row["category"] == "roundtrip-difference" and row["code"] == "roundtrip-difference"
    assert row["path"] == "/tmk:Trademark/com:ApplicationNumber/com:ApplicationNumberText"
    assert row["records"] == 5 and "'0' became '00'" in row["message"]
    assert [e["id"] for e in row["examples"]] == [
        "applicationNumberText 0",
        "applicationNumberText 1",
        "applicationNumberText 2",
    ]
    lines = read_jsonl(tmp_path / "bad" / "bag.jsonl")
    assert lines[0]["issues"][0]["check"] == "roundtrip"


def test_the_converters_own_relaxation_leaves_a_document_clean(tmp_path: Path, validators: Any) -> None:
    """WIPO's PatentPublication example is XSD-valid; its round trip needs a "choice interleaving"
    relaxation (the converter's own: per-branch arrays do not keep the order between branches).
    The relaxation is listed, and the document counts as clean."""
    f = require_shared(WIPO_V6) / "PatentPublication_Example.xml"
    run_bulk([f], tmp_path / "out", jobs=1, validate="xsd", check_roundtrip=True)
    q = quality(tmp_path / "out")
    relaxed = rows(q, "roundtrip")
    assert relaxed and all(r["message"].startswith("choice interleaving at ") for r in relaxed)
    assert (q["checked"], q["clean"], q["withIssues"], q["cleanWithRelaxations"]) == (1, 1, 0, 1)
    assert not rows(q, "xsd")


def test_known_elements_out_of_schema_order_are_a_data_problem(tmp_path: Path) -> None:
    src = tmp_path / "bag.xml"
    swapped = (
        b"<tmk:Trademark><tmk:MarkCategory>Trademark</tmk:MarkCategory>\n<com:ApplicationNumber>"
        b"<com:ApplicationNumberText>%d</com:ApplicationNumberText></com:ApplicationNumber></tmk:Trademark>"
    )
    write_bulk(src, [swapped % n for n in range(3)])
    run_bulk([src], tmp_path / "out", records=True, jobs=1, check_roundtrip=True)
    q = quality(tmp_path / "out")
    (row,) = q["byPath"]
    assert row["message"].startswith("known elements out of schema order")
    assert (q["clean"], q["withIssues"], q["cleanWithRelaxations"]) == (0, 3, 0)


# -- several workers, resume, flat memory ------------------------------------------------------------


def _comparable(q: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in q.items() if k not in ("generated", "outDir")}


@pytest.mark.slow
def test_split_file_on_two_jobs_gives_the_same_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = uspto_records()
    src = tmp_path / "bag.xml"
    write_bulk(src, (numbered(recs[i % len(recs)], i) for i in range(24)))
    monkeypatch.setenv("XML2JSON_CHUNK_BYTES", "20000")
    split = spy_on_splitting(monkeypatch)
    kw: dict[str, Any] = {"records": True, "validate": "both", "check_roundtrip": True}
    one = run_bulk([src], tmp_path / "one", jobs=1, **kw)
    two = run_bulk([src], tmp_path / "two", jobs=2, **kw)
    assert split and split[0] > 1  # the file really was converted in chunks
    assert not any("not split" in n["notice"] or "not in chunks" in n["notice"] for n in two.notices)
    a, b = quality(tmp_path / "one"), quality(tmp_path / "two")
    assert a["checked"] == 24 and a["withIssues"] == 24
    assert _comparable(a) == _comparable(b)
    assert (tmp_path / "one" / "bag.jsonl").read_bytes() == (tmp_path / "two" / "bag.jsonl").read_bytes()
    assert one.quality is not None and two.quality is not None


def test_resume_keeps_the_counts_of_completed_tasks(tmp_path: Path) -> None:
    files = tsdr_files()
    out = tmp_path / "out"
    run_bulk(files, out, records=True, jobs=1, validate="json")
    first = quality(out)
    next(out.rglob(files[2].stem + ".jsonl")).unlink()  # one input to do again
    summary = run_bulk(files, out, records=True, jobs=1, validate="json", resume=True)
    assert (summary.resumed, summary.run_records) == (3, 1)
    again = quality(out)
    assert _comparable(again) == _comparable(first) and again["checked"] == 4


def test_counter_memory_is_capped() -> None:
    """Distinct paths beyond the cap are counted, not kept."""
    from xml2json.bulk.checks import Finding
    from xml2json.errors import Issue

    q = QualityCounter()
    for n in range(MAX_ROWS + 50):
        q.add([Finding("json", "other", f"/a{n}", Issue("json-schema-invalid", "m"))], {}, "s", n)
    assert len(q.rows) == MAX_ROWS and len(q.omitted) == 50
    assert q.by_check["json"] == [MAX_ROWS + 50, MAX_ROWS + 50]
    back = QualityCounter.from_dict(json.loads(json.dumps(q.to_dict())))
    assert back.to_dict() == q.to_dict()


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS reset needs Linux /proc")
def test_memory_stays_flat_while_checking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As tests/test_bulk_memory.py, with --validate json and --check-roundtrip on 20 MB of records."""
    if not _can_reset_peak():
        pytest.skip("/proc/self/clear_refs is not writable here: the peak RSS cannot be reset")
    import test_bulk_memory

    child = test_bulk_memory.CHILD.replace(
        "records=True, jobs=1, durable=False",
        "records=True, jobs=1, durable=False, validate='json', check_roundtrip=True",
    )
    assert child != test_bulk_memory.CHILD
    monkeypatch.setattr(test_bulk_memory, "CHILD", child)
    recs = uspto_records()
    n = int(20e6 / (sum(map(len, recs)) / len(recs)))
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    write_bulk(small, (numbered(recs[i % len(recs)], i) for i in range(n)))
    write_bulk(large, (numbered(recs[i % len(recs)], i) for i in range(2 * n)))
    a = _measure(small, tmp_path / "out-small")
    b = _measure(large, tmp_path / "out-large")
    assert (a["records"], b["records"]) == (n, 2 * n)
    grow_a, grow_b = a["growth_kb"] / 1024, b["growth_kb"] / 1024
    assert grow_a < 40, f"{grow_a:.1f} MB"
    assert grow_b - grow_a < 6, f"{grow_a:.1f} MB → {grow_b:.1f} MB when the file doubles"
    assert quality(tmp_path / "out-large")["checked"] == 2 * n


# -- the command line ------------------------------------------------------------------------------


def test_cli_prints_the_quality_line_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from xml2json.cli import main

    out = tmp_path / "out"
    code = main(["bulk", *map(str, tsdr_files()), "-o", str(out), "--records", "--validate", "json", "-j", "1"])
    printed = capsys.readouterr().out
    assert code == 0  # records with issues are converted: not rejects
    (line,) = [x for x in printed.splitlines() if x.startswith("quality:")]
    report, page = out.resolve() / "quality.json", out.resolve() / "quality.html"
    assert line == (
        f"quality: 4 record(s) checked (json): 4 with issues — {report}, {page} "
        f"(again: xml2json quality {out.resolve()})"
    )
    # the text summary of the report the run wrote follows the line, as `xml2json quality` prints it
    from xml2json.bulk.report import load_quality, render_text

    after = printed.split(line + "\n", 1)[1]
    assert after.rstrip("\n") == render_text(load_quality(out), top=5).rstrip("\n")
    assert page.is_file()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["quality"]["withIssues"] == 4 and summary["quality"]["checks"] == ["convert", "json"]

    code = main(["bulk", str(tsdr_files()[0]), "-o", str(tmp_path / "o2"), "--strict-valid"])
    err = capsys.readouterr().err
    assert code == 2 and "bulk-strict-valid" in err and "--validate" in err

    monkeypatch.setenv("XML2JSON_XSD_PATH", str(tmp_path / "no-xsd-here"))
    code = main(["bulk", str(tsdr_files()[0]), "-o", str(tmp_path / "o3"), "--validate", "xsd"])
    err = capsys.readouterr().err
    assert code == 3 and "xsd-not-available" in err
    assert not (tmp_path / "o3").exists()  # nothing converted, nothing left behind


def test_the_page_of_a_real_run_shows_the_totals_of_its_quality_json(tmp_path: Path, chromium: str) -> None:
    """The page a bulk run writes beside quality.json, opened in a headless browser, shows the
    same totals and rows as that quality.json (tests/browser.py reads what the page shows)."""
    from browser import check_quality_page

    from xml2json.bulk.report import load_quality

    out = tmp_path / "out"
    run_bulk(tsdr_files(), out, records=True, jobs=1, validate="both", check_roundtrip=True)
    q = load_quality(out)
    assert q["checked"] == 4 and q["byPath"], q  # a report with rows, not an empty page
    seen = check_quality_page(chromium, out / "quality.html", q)
    assert seen  # the probe ran in the browser


def test_workers_take_the_environment_of_the_run_not_of_the_fork_server(tmp_path: Path) -> None:
    """Pool workers come from a fork server started at the first run of a process, with that
    moment's environment; a later run with another $XML2JSON_XSD_PATH must still validate in its
    workers against the XSDs it names (the CI failure of a split-file test once other tests had
    started the server)."""
    import subprocess

    files = [str(f) for f in tsdr_files()]
    script = f"""
import os, sys
from xml2json.bulk import run_bulk
os.environ["XML2JSON_XSD_PATH"] = {str(tmp_path / "nowhere")!r}
run_bulk({files!r}, {str(tmp_path / "first")!r}, records=True, jobs=2)  # starts the fork server
os.environ["XML2JSON_XSD_PATH"] = {str(XSD_V6)!r}
s = run_bulk({files!r}, {str(tmp_path / "second")!r}, records=True, jobs=2, validate="xsd")
print(s.rejects, s.quality["checked"], s.schema_missing)
"""
    env = {k: v for k, v in os.environ.items() if k != "XML2JSON_XSD_PATH"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rejects, checked, missing = done.stdout.split()
    # the unknown-root TSDR file is the one reject of a forward run of these files
    expected = run_bulk(tsdr_files(), tmp_path / "here", records=True, jobs=1, validate="xsd")
    assert (int(rejects), int(checked), missing) == (expected.rejects, expected.quality["checked"], "False")

"""JSON → ST.96 XML in bulk (``bulk --to-xml``, :mod:`xml2json.bulk.reverse`; docs/bulk.md).

Forward (``bulk --records``) then reverse must give back the input documents. "Equal" is
:func:`xml2json.roundtrip.compare_xml` with no difference, and each reverse document is *exactly*
equal (no relaxation at all) to what the whole-document converter gives back for the same input
(``json_to_xml(xml_to_json(doc))``): the bulk way back adds nothing to the converter's own round
trip. Against the input itself, the only relaxations allowed are the ones the converter's round
trip of the real USPTO records has (listed in :data:`ALLOWED`, asserted by kind); the WIPO
records and documents come back with none. Inputs are built in ``tmp_path`` from the real USPTO
records and WIPO samples in ../shared (never copied into the repository) and from small
fixtures written here.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import EXAMPLE, ROOT, WIPO_V6, require_shared
from lxml import etree
from test_bulk import HEAD, TAIL, make_corpus, numbered, read_jsonl, tree_bytes, uspto_records, wipo_record, write_bulk
from test_bulk_memory import _can_reset_peak
from test_bulk_parallel import assert_same_output

from xml2json import Converter, Options
from xml2json.bulk import BulkConfig, iter_xml, run_bulk, write_documents
from xml2json.bulk.documents import split_documents
from xml2json.cli import main
from xml2json.errors import ConfigError, InputError
from xml2json.io import dumps_json, loads_json
from xml2json.registry import default_registry
from xml2json.roundtrip import compare_xml

#: The relaxations the converter's own XML → JSON → XML round trip needs on the USPTO records
#: (they are not V6_0-conforming: known elements out of schema order, interleaved choice
#: branches); the bulk way back must need no other, and none on WIPO's.
ALLOWED = {"known elements out of schema order", "choice interleaving"}


def _docs(data: bytes) -> list[bytes]:
    """The documents of a file of one or several concatenated documents."""
    return [piece.read() for piece in split_documents(io.BytesIO(data))]


def assert_comes_back(original: bytes, back: bytes, *, exact: bool = False) -> None:
    """*back* (the reverse run's document) is *original* again: no difference, only relaxations
    of :data:`ALLOWED` (none with *exact*), and exactly what the whole-document converter gives."""
    conv = Converter()
    plan = default_registry().plan("V6_0")
    a = etree.fromstring(original)
    b = etree.fromstring(back)
    cmp = compare_xml(plan, a, b)
    assert cmp.difference is None, cmp.difference
    kinds = {r.kind for r in cmp.relaxations}
    assert kinds <= (set() if exact else ALLOWED), cmp.relaxations
    whole = etree.fromstring(conv.json_to_xml(conv.xml_to_json(original).data).xml)
    same = compare_xml(plan, whole, b)
    assert same.exact, (same.difference, same.relaxations)


def bag(records: list[bytes]) -> bytes:
    return HEAD + b"".join(r + b"\n" for r in records) + TAIL


# -- (a) a bag file --------------------------------------------------------------------------------


@pytest.mark.shared
def test_bag_file_comes_back(tmp_path: Path) -> None:
    corpus = make_corpus(30)  # USPTO records and (every 5th) WIPO's
    src = tmp_path / "in" / "daily.xml"
    src.parent.mkdir()
    write_bulk(src, corpus.records)
    fwd = run_bulk([src], tmp_path / "fwd", records=True, jobs=1)
    assert (fwd.records, fwd.rejects) == (30, 0)
    rev = run_bulk([tmp_path / "fwd" / "daily.jsonl"], tmp_path / "rev", to_xml=True, jobs=1)
    assert (rev.mode, rev.records, rev.rejects, rev.documents) == ("to-xml", 30, 0, 1)
    out = tmp_path / "rev" / "daily.xml"  # a partition of one source file → <key>.xml
    assert sorted(p.name for p in (tmp_path / "rev").iterdir()) == [
        ".xml2json",
        "daily.xml",
        "manifest.jsonl",
        "rejects.jsonl",
        "summary.json",
    ]
    (back,) = _docs(out.read_bytes())
    assert_comes_back(src.read_bytes(), back)
    # the library API gives the same bytes, and WIPO's records alone come back exactly
    buf = io.BytesIO()
    assert write_documents(tmp_path / "fwd" / "daily.jsonl", buf) == []
    assert buf.getvalue() == out.read_bytes()
    wipo = tmp_path / "wipo.xml"
    write_bulk(wipo, [numbered(wipo_record(), i) for i in range(5)])
    run_bulk([wipo], tmp_path / "fwd-w", records=True, jobs=1)
    got = []
    for doc in iter_xml(tmp_path / "fwd-w" / "wipo.jsonl"):  # each document's pieces before the next one
        got.append((doc, b"".join(doc.pieces)))
    ((doc, data),) = got
    assert (doc.document, doc.st96_version, doc.written) == ("TrademarkTransaction", "V6_0", True)
    assert doc.records == 5 and doc.rejects == []
    assert_comes_back(wipo.read_bytes(), data, exact=True)


# -- (b) a zip of one-record files -----------------------------------------------------------------


@pytest.mark.shared
def test_zip_of_one_record_files_comes_back(tmp_path: Path) -> None:
    recs = uspto_records()
    n = 130  # two batches of members → two partitions
    members = {f"tm/{i:05d}.xml": bag([numbered(recs[i % len(recs)], i)]) for i in range(n)}
    members["apps/TrademarkApplication.xml"] = (
        require_shared(WIPO_V6) / "TrademarkApplication_Example.xml"
    ).read_bytes()
    zpath = tmp_path / "weekly.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    fwd = run_bulk([zpath], tmp_path / "fwd", records=True, jobs=2)
    assert (fwd.records, fwd.rejects) == (n + 1, 0)
    parts = sorted((tmp_path / "fwd" / "weekly").glob("*.jsonl"))
    assert [p.name for p in parts] == ["part-00000.jsonl", "part-00001.jsonl"]
    rev = run_bulk([tmp_path / "fwd"], tmp_path / "rev", to_xml=True, jobs=2)  # the forward folder itself
    assert (rev.records, rev.rejects, rev.documents) == (n + 1, 0, n + 1)
    assert rev.skipped == 3  # the forward run's manifest.jsonl, rejects.jsonl, summary.json
    # one file per source member, under a folder named after its partition
    got = {
        p.relative_to(tmp_path / "rev" / "fwd" / "weekly").as_posix(): p
        for p in (tmp_path / "rev" / "fwd" / "weekly").rglob("*.xml")
    }
    want = {}
    for part in parts:
        for line in read_jsonl(part):
            member = line["source"].split("!", 1)[1]
            want[f"{part.stem}/{member}"] = member
    assert sorted(got) == sorted(want) and len(got) == n + 1
    for rel, member in want.items():
        (back,) = _docs(got[rel].read_bytes())
        assert_comes_back(members[member], back, exact=member.startswith("apps/"))


# -- (c) a file of concatenated documents ------------------------------------------------------------


@pytest.mark.shared
def test_concatenated_documents_come_back_in_one_file(tmp_path: Path) -> None:
    recs = uspto_records()
    docs = [bag([numbered(recs[i % len(recs)], 100 * d + i) for i in range(k)]) for d, k in enumerate((3, 1, 5))]
    docs.insert(2, (require_shared(WIPO_V6) / "TrademarkApplication_Example.xml").read_bytes())  # one record
    src = tmp_path / "day.xml"
    src.write_bytes(b"".join(d if d.endswith(b"\n") else d + b"\n" for d in docs))
    fwd = run_bulk([src], tmp_path / "fwd", records=True, jobs=1)
    assert (fwd.documents, fwd.records, fwd.rejects) == (4, 10, 0)
    rev = run_bulk([tmp_path / "fwd" / "day.jsonl"], tmp_path / "rev", to_xml=True, jobs=1)
    assert (rev.documents, rev.records, rev.rejects) == (4, 10, 0)
    data = (tmp_path / "rev" / "day.xml").read_bytes()
    back = _docs(data)
    assert len(back) == 4 and data.count(b"<?xml ") == 4  # one after another, each with its declaration
    for original, again in zip(docs, back, strict=True):
        assert_comes_back(original, again, exact=original is docs[2])


# -- plain documents mode, and XSD validity ------------------------------------------------------------


@pytest.mark.shared
def test_documents_mode_back_and_xsd_valid(tmp_path: Path, validators: Any) -> None:
    src = require_shared(WIPO_V6)
    fwd = run_bulk([src], tmp_path / "fwd", jobs=1)  # one .json per document
    assert fwd.rejects == 0 and fwd.documents == 4
    rev = run_bulk([tmp_path / "fwd"], tmp_path / "rev", to_xml=True, jobs=1)
    assert (rev.documents, rev.records, rev.rejects) == (4, 4, 0)
    # and from records: each application is one record line, no rest line
    run_bulk([src], tmp_path / "fwd-r", records=True, jobs=1)
    rev_r = run_bulk([tmp_path / "fwd-r"], tmp_path / "rev-r", to_xml=True, jobs=1)
    assert (rev_r.documents, rev_r.records, rev_r.rejects) == (4, 4, 0)
    for xml in sorted(src.glob("*.xml")):
        original = xml.read_bytes()
        for back_path in (
            tmp_path / "rev" / "fwd" / src.name / xml.name,
            tmp_path / "rev-r" / "fwd-r" / src.name / xml.name,
        ):
            back = back_path.read_bytes()
            assert_comes_back(original, back, exact="PatentPublication" not in xml.name)
            root = etree.fromstring(back)
            doc = default_registry().plan("V6_0").by_root[root.tag]
            assert validators.check_xml(root, "V6_0", doc.name) == [], back_path
    # the PatentPublication's one relaxation is the converter's own (interleaved choice branches)
    pp = src / "PatentPublication_Example.xml"
    cmp = compare_xml(
        default_registry().plan("V6_0"),
        etree.fromstring(pp.read_bytes()),
        etree.fromstring((tmp_path / "rev" / "fwd" / src.name / pp.name).read_bytes()),
    )
    assert {r.kind for r in cmp.relaxations} == {"choice interleaving"}


# -- bad lines ---------------------------------------------------------------------------------------------


@pytest.mark.shared
def test_bad_lines_are_rejects_and_the_rest_is_written(tmp_path: Path) -> None:
    recs = uspto_records()
    src = tmp_path / "b.xml"
    write_bulk(src, [numbered(recs[i % len(recs)], i) for i in range(6)])
    run_bulk([src], tmp_path / "fwd", records=True, jobs=1)
    part = tmp_path / "fwd" / "b.jsonl"
    lines = part.read_bytes().splitlines()
    assert len(lines) == 7  # 6 records, then the rest
    lines[1] = lines[1][:-40]  # cut short: not JSON
    bad = orjson.loads(lines[3])
    bad["data"]["trademark"]["registrationOfficeCode"] = ["US"]  # an array where a string goes
    lines[3] = orjson.dumps(bad)
    (tmp_path / "p").mkdir()
    broken = tmp_path / "p" / "b.jsonl"
    broken.write_bytes(b"\n".join(lines) + b"\n")
    s = run_bulk([broken], tmp_path / "rev", to_xml=True, jobs=1)
    assert (s.records, s.rejects, s.exit_code) == (4, 2, 1)
    r1, r2 = read_jsonl(tmp_path / "rev" / "rejects.jsonl")
    assert (r1["source"], r1["line"], r1["code"]) == (str(broken), 2, "malformed-json")
    assert (r2["line"], r2["index"], r2["record"], r2["code"]) == (4, 3, "trademark", "json-type")
    assert r2["json_pointer"] == "/data/trademark/registrationOfficeCode"
    assert r2["recordSource"] == str(src)
    (back,) = _docs((tmp_path / "rev" / "b.xml").read_bytes())
    root = etree.fromstring(back)
    records = list(next(root.iter("{*}TrademarkBag")))
    numbers = [r.find(".//{*}ApplicationNumberText").text for r in records]  # type: ignore[union-attr]
    assert numbers == [str(70_000_000 + i) for i in (0, 2, 4, 5)]
    kept = [numbered(recs[i % len(recs)], i) for i in (0, 2, 4, 5)]
    assert_comes_back(bag(kept), back)
    # the rest line missing: the records cannot be placed, and say why
    (tmp_path / "q").mkdir()
    norest = tmp_path / "q" / "n.jsonl"
    norest.write_bytes(b"\n".join(part.read_bytes().splitlines()[:-1]) + b"\n")
    s2 = run_bulk([norest], tmp_path / "rev2", to_xml=True, jobs=1)
    assert (s2.records, s2.rejects) == (0, 6)
    assert {r["code"] for r in read_jsonl(tmp_path / "rev2" / "rejects.jsonl")} == {"bulk-no-rest"}
    # a rest line the writer refuses rejects its document, naming its records
    lines = part.read_bytes().splitlines()
    rest = orjson.loads(lines[-1])
    rest["data"]["trademarkTransaction"]["bogus"] = 1
    (tmp_path / "r").mkdir()
    badrest = tmp_path / "r" / "x.jsonl"
    badrest.write_bytes(b"\n".join([*lines[:-1], orjson.dumps(rest)]) + b"\n")
    s3 = run_bulk([badrest], tmp_path / "rev3", to_xml=True, jobs=1)
    (r,) = read_jsonl(tmp_path / "rev3" / "rejects.jsonl")
    assert (s3.records, r["code"], r["line"], r["json_pointer"]) == (
        0,
        "unknown-member",
        7,
        "/data/trademarkTransaction/bogus",
    )
    assert "6 record line(s) are not written" in r["message"]


# -- the order of the lines ----------------------------------------------------------------------------

_SMALL = (
    b"<tmk:Trademark><com:ApplicationNumber><com:ApplicationNumberText>%d</com:ApplicationNumberText>"
    b"</com:ApplicationNumber><tmk:MarkCategory>Trademark</tmk:MarkCategory></tmk:Trademark>"
)


def _forward_lines(tmp_path: Path, docs: list[list[int]]) -> list[bytes]:
    """The partition lines of one file of concatenated bags (one bag per list of numbers)."""
    src = tmp_path / "s.xml"
    src.write_bytes(b"".join(bag([_SMALL % n for n in numbers]) for numbers in docs))
    s = run_bulk([src], tmp_path / "fwd", records=True, jobs=1)
    assert s.rejects == 0
    return (tmp_path / "fwd" / "s.jsonl").read_bytes().splitlines()


def _reverse(tmp_path: Path, name: str, lines: list[bytes]) -> tuple[Any, list[dict[str, Any]], list[list[str]]]:
    """Run the way back on *lines*: (summary, rejects, the numbers of each output document)."""
    (tmp_path / name).mkdir()
    part = tmp_path / name / "p.jsonl"
    part.write_bytes(b"\n".join(lines) + b"\n")
    s = run_bulk([part], tmp_path / (name + "-out"), to_xml=True, jobs=1)
    rejects = read_jsonl(tmp_path / (name + "-out") / "rejects.jsonl")
    out = tmp_path / (name + "-out") / "p.xml"
    docs = _docs(out.read_bytes()) if out.exists() else []
    numbers = [[e.text or "" for e in etree.fromstring(d).iter("{*}ApplicationNumberText")] for d in docs]
    return s, rejects, numbers


def test_lines_out_of_index_order_are_rejects_naming_the_line(tmp_path: Path) -> None:
    lines = _forward_lines(tmp_path, [[10, 11, 12, 13, 14, 15]])
    assert len(lines) == 7
    recs, rest = lines[:6], lines[6]
    # two lines swapped: the first of them (greater than the next) is the reject
    s, rej, docs = _reverse(tmp_path, "swap", [recs[0], recs[2], recs[1], *recs[3:], rest])
    assert (s.records, s.exit_code) == (5, 1)
    (r,) = rej
    assert (r["code"], r["line"], r["index"]) == ("bulk-order", 2, 2)
    assert "index order" in r["message"] and "rest line" in r["message"]
    assert docs == [["10", "11", "13", "14", "15"]]
    # a line twice: the repeat is the reject
    s, rej, docs = _reverse(tmp_path, "dup", [*recs[:3], recs[2], *recs[3:], rest])
    assert [(r["code"], r["line"]) for r in rej] == [("bulk-order", 4)]
    assert "repeats the index of line 3" in rej[0]["message"]
    assert docs == [["10", "11", "12", "13", "14", "15"]]
    # an index edited to 99: that line, not every line after it
    odd = orjson.loads(recs[2])
    odd["index"] = 99
    s, rej, docs = _reverse(tmp_path, "idx", [*recs[:2], orjson.dumps(odd), *recs[3:], rest])
    assert [(r["code"], r["line"], r["index"]) for r in rej] == [("bulk-order", 3, 99)]
    assert docs == [["10", "11", "13", "14", "15"]]


def test_sorted_lines_of_several_documents_are_not_silently_merged(tmp_path: Path) -> None:
    lines = _forward_lines(tmp_path, [[100 + i for i in range(12)], [200, 201], [300 + i for i in range(3)]])
    assert len(lines) == 17 + 3
    s, rej, _ = _reverse(tmp_path, "sorted", sorted(lines))  # `sort`: 0, 1, 10, 11, …, 2, …; rests last
    assert s.exit_code == 1 and rej and {r["code"] for r in rej} == {"bulk-order"}
    assert all(r["line"] and "index order" in r["message"] for r in rej)


def test_rest_line_before_its_records(tmp_path: Path) -> None:
    lines = _forward_lines(tmp_path, [[1, 2, 3]])
    normal = _reverse(tmp_path, "normal", lines)
    # one document of that source: the rest line first is taken as theirs
    s, rej, docs = _reverse(tmp_path, "first", [lines[-1], *lines[:-1]])
    assert (s.records, s.rejects, docs) == (3, 0, normal[2])
    assert (tmp_path / "first-out" / "p.xml").read_bytes() == (tmp_path / "normal-out" / "p.xml").read_bytes()
    # two documents of one source, rests first: ambiguous, and the rejects say where the rest line is
    (tmp_path / "two-src").mkdir()
    two = _forward_lines(tmp_path / "two-src", [[1, 2], [3, 4]])
    assert len(two) == 6
    s, rej, docs = _reverse(tmp_path, "two", [two[2], two[0], two[1], two[5], two[3], two[4]])
    assert (s.records, docs) == (2, [[], ["1", "2"]])  # as the lines say: rest, records + rest, records
    assert [(r["code"], r["line"]) for r in rej] == [("bulk-no-rest", 5), ("bulk-no-rest", 6)]
    for r in rej:
        assert "the rest line of this source is before them (line 4)" in r["message"]
        assert "2 rest lines of this source (lines 1, 4)" in r["message"]
        assert "followed by its rest line" in r["message"]


def test_each_record_on_its_own_line_and_the_way_forward_ignores_the_newlines(tmp_path: Path) -> None:
    lines = _forward_lines(tmp_path, [[1, 2, 3, 4], [5, 6]])
    s, rej, docs = _reverse(tmp_path, "lines", lines)
    assert (s.records, rej, docs) == (6, [], [["1", "2", "3", "4"], ["5", "6"]])
    out = tmp_path / "lines-out" / "p.xml"
    text = out.read_bytes().splitlines()
    starts = [n for n, line in enumerate(text) if line.startswith(b"<tmk:Trademark>")]
    assert len(starts) == 6  # each record starts a line (an XSD error names its line) …
    assert all(line.endswith(b"</tmk:Trademark>") for line in (text[n] for n in starts))  # … and ends it
    assert text[starts[3] + 1].startswith(b"</tmk:TrademarkBag>")  # the bag's end tag on a line of its own
    # the newlines are whitespace in element-only content: the way forward gives the same records
    again = run_bulk([out], tmp_path / "again", records=True, jobs=1)
    assert again.rejects == 0
    after = (tmp_path / "again" / "p.jsonl").read_bytes().splitlines()
    assert [orjson.loads(x)["data"] for x in after] == [orjson.loads(x)["data"] for x in lines]
    assert [orjson.loads(x)["line"] for x in after if orjson.loads(x)["index"] is not None] == [n + 1 for n in starts]


def test_folder_walk_takes_gzip_partitions_and_names_what_it_skips(tmp_path: Path) -> None:
    lines = _forward_lines(tmp_path, [[1, 2, 3]])
    data = b"\n".join(lines) + b"\n"
    only = tmp_path / "only"
    only.mkdir()
    (only / "a.jsonl.gz").write_bytes(gzip.compress(data))
    s = run_bulk([only], tmp_path / "o1", to_xml=True, jobs=1)  # a folder of .gz only: was no-input
    assert (s.documents, s.records, s.rejects, s.skipped) == (1, 3, 0, 0)
    _reverse(tmp_path, "plain", lines)
    assert (tmp_path / "o1" / "only" / "a.xml").read_bytes() == (tmp_path / "plain-out" / "p.xml").read_bytes()
    mix = tmp_path / "mix"
    mix.mkdir()
    (mix / "b.ndjson.gz").write_bytes(gzip.compress(data))
    (mix / "notes.txt").write_text("not an input")
    (mix / "p.json").write_bytes(data)  # JSON Lines under a .json name
    s = run_bulk([mix], tmp_path / "o2", to_xml=True, jobs=1)
    assert (s.records, s.skipped, s.skipped_names) == (3, 1, (f"{mix}/notes.txt",))
    assert json.loads((tmp_path / "o2" / "summary.json").read_text())["inputs"]["skippedNames"] == [f"{mix}/notes.txt"]
    (r,) = read_jsonl(tmp_path / "o2" / "rejects.jsonl")
    assert r["code"] == "malformed-json" and "looks like JSON Lines" in r["message"] and ".jsonl" in r["message"]
    # nothing to convert: the message names what was skipped
    (tmp_path / "none").mkdir()
    (tmp_path / "none" / "x.csv").write_text("a,b")
    with pytest.raises(ConfigError, match=r"1 file\(s\) skipped: .*x\.csv"):
        run_bulk([tmp_path / "none"], tmp_path / "o3", to_xml=True, jobs=1)


def test_a_copied_or_zipped_forward_output_folder_skips_its_bookkeeping(tmp_path: Path) -> None:
    _forward_lines(tmp_path, [[1, 2], [3]])
    fwd = tmp_path / "fwd"
    assert {p.name for p in fwd.iterdir()} >= {"manifest.jsonl", "rejects.jsonl", "summary.json", "s.jsonl"}
    copy = tmp_path / "copy"
    shutil.copytree(fwd, copy, ignore=shutil.ignore_patterns(".xml2json"))  # no state folder
    s = run_bulk([copy], tmp_path / "o1", to_xml=True, jobs=1)
    assert (s.documents, s.records, s.rejects, s.skipped) == (2, 3, 0, 3)
    assert sorted(n.rsplit("/", 1)[1] for n in s.skipped_names) == ["manifest.jsonl", "rejects.jsonl", "summary.json"]
    zipped = tmp_path / "fwd.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        for p in sorted(copy.iterdir()):
            zf.write(p, p.name)
    s = run_bulk([zipped], tmp_path / "o2", to_xml=True, jobs=1)
    assert (s.documents, s.records, s.rejects, s.skipped) == (2, 3, 0, 3)
    # deeper down, those names are data (a forward run writes data/manifest.xml as data/manifest.jsonl)
    (copy / "data").mkdir()
    shutil.copy(copy / "s.jsonl", copy / "data" / "manifest.jsonl")
    s = run_bulk([copy], tmp_path / "o3", to_xml=True, jobs=1)
    assert (s.documents, s.records, s.skipped) == (4, 6, 3)


def test_library_says_what_it_cannot_read_and_the_one_at_a_time_rule(tmp_path: Path) -> None:
    lines = _forward_lines(tmp_path, [[1, 2], [3]])
    part = tmp_path / "fwd" / "s.jsonl"
    zipped = tmp_path / "week.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.write(part, "s.jsonl")
    (tmp_path / "p.jsonl.gz").write_bytes(gzip.compress(part.read_bytes()))
    for name, what in (("week.zip", "zip archive"), ("s.xml", "is XML"), ("p.jsonl.gz", "gzip-compressed")):
        with pytest.raises(InputError, match=what) as exc:
            write_documents(tmp_path / name, io.BytesIO())
        assert exc.value.code == "not-json"
    # a gzip JSON document is still read (as convert reads it)
    doc = Converter().xml_to_json(bag([_SMALL % 7])).data
    (tmp_path / "d.json.gz").write_bytes(gzip.compress(dumps_json(doc)))
    out = io.BytesIO()
    assert write_documents(tmp_path / "d.json.gz", out) == [] and b">7<" in out.getvalue()
    # pieces read after the next document was asked for: a clear error, not "seek of closed file"
    docs = list(iter_xml(part))
    assert len(docs) == 2 and len(lines) == 5
    with pytest.raises(ConfigError, match="before asking for the next one") as err:
        b"".join(docs[0].pieces)
    assert err.value.code == "usage"
    it = iter_xml(part)
    first = next(it)
    second = next(it)
    with pytest.raises(ConfigError):
        next(first.pieces)
    assert b">3<" in b"".join(second.pieces)  # the current one reads fine


# -- resume, jobs ----------------------------------------------------------------------------------------------


def _partitions(tmp_path: Path, n: int) -> Path:
    """A folder of *n* partitions of small bags (a fixture of this file, no shared data)."""
    rec = (
        b"<tmk:Trademark><com:ApplicationNumber><com:ApplicationNumberText>%d</com:ApplicationNumberText>"
        b"</com:ApplicationNumber><tmk:MarkCategory>Trademark</tmk:MarkCategory></tmk:Trademark>"
    )
    src = tmp_path / "src"
    src.mkdir()
    for k in range(n):
        write_bulk(src / f"f{k}.xml", [rec % (1000 * k + i) for i in range(20 + k)])
    run_bulk([src], tmp_path / "fwd", records=True, jobs=1)
    return tmp_path / "fwd" / "src"


def test_jobs_two_gives_the_same_output_as_one(tmp_path: Path) -> None:
    parts = _partitions(tmp_path, 5)
    a = run_bulk([parts], tmp_path / "one", to_xml=True, jobs=1)
    b = run_bulk([parts], tmp_path / "two", to_xml=True, jobs=2)
    assert (a.records, b.records, a.documents) == (sum(20 + k for k in range(5)),) * 2 + (5,)
    assert_same_output(tmp_path / "one", tmp_path / "two")


def test_resume_after_interruption(tmp_path: Path) -> None:
    parts = _partitions(tmp_path, 4)
    full = run_bulk([parts], tmp_path / "full", to_xml=True, jobs=1)
    out = tmp_path / "out"
    run_bulk([parts], out, to_xml=True, jobs=1)
    # as an interrupted run leaves it: two partitions complete in the manifest, the others not
    manifest = (out / "manifest.jsonl").read_bytes().splitlines()
    (out / "manifest.jsonl").write_bytes(b"\n".join(manifest[:3]) + b"\n")
    (out / "summary.json").unlink()
    done = [json.loads(x)["key"] for x in manifest[1:3]]
    for x in manifest[3:]:
        (out / (json.loads(x)["key"] + ".xml")).unlink()
    with pytest.raises(ConfigError) as exc:
        run_bulk([parts], out, to_xml=True, jobs=1)
    assert exc.value.code == "bulk-earlier-run"
    with pytest.raises(ConfigError) as exc:  # the other direction's settings are not these
        run_bulk([parts], out, jobs=1, resume=True)
    assert exc.value.code == "bulk-settings-differ"
    s = run_bulk([parts], out, to_xml=True, jobs=2, resume=True)
    assert (s.resumed, s.run_tasks) == (2, 2) and len(done) == 2
    assert s.records == full.records
    a, b = tree_bytes(tmp_path / "full"), tree_bytes(out)
    assert sorted(a) == sorted(b)
    assert all(a[k] == b[k] for k in a if k.endswith(".xml"))


def test_incompatible_settings_are_config_errors(tmp_path: Path) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"records": True}, "bulk-to-xml-records"),
        ({"pretty": True}, "bulk-to-xml-pretty"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ConfigError) as exc:
            BulkConfig(("x.jsonl",), tmp_path / "o", to_xml=True, **kwargs)
        assert exc.value.code == code
    with pytest.raises(ConfigError) as exc:
        BulkConfig(("-",), tmp_path / "o", to_xml=True)
    assert exc.value.code == "bulk-to-xml-stdin"
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "a.xml").write_bytes(b"<a/>")
    with pytest.raises(ConfigError) as exc:  # a folder of XML holds nothing to convert to XML
        run_bulk([tmp_path / "empty"], tmp_path / "o", to_xml=True)
    assert exc.value.code == "no-input"


def test_cli_to_xml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = _partitions(tmp_path, 2)
    rc = main(["bulk", str(parts), "-o", str(tmp_path / "rev"), "--to-xml", "--jobs", "1", "--progress", "none"])
    assert rc == 0
    assert "records: 41" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "rev" / "src").iterdir()) == ["f0.xml", "f1.xml"]
    assert main(["bulk", str(parts), "-o", str(tmp_path / "x"), "--to-xml", "--records"]) == 2
    assert "drop --records" in capsys.readouterr().err


# -- memory ------------------------------------------------------------------------------------------------------

CHILD = r"""
import gc, json, sys

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1])

from xml2json.bulk import run_bulk
from xml2json.bulk import runtime
runtime.converter_for(runtime.RunConfig(sys.argv[2], to_xml=True))  # the plan: loaded before the measurement
gc.collect()
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset VmHWM to the current RSS
before = status("VmRSS:")
summary = run_bulk([sys.argv[1]], sys.argv[2], to_xml=True, jobs=1)
print(json.dumps({"growth_kb": status("VmHWM:") - before, "records": summary.records,
                  "rejects": summary.rejects}))
"""

#: Peak RSS growth allowed while rebuilding a partition (see the measured values in docs/bulk.md).
CEILING_MB = 24
SIZE_DEPENDENCE_MB = 6


def _measure(src: Path, out: Path) -> dict[str, int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(out)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, int] = json.loads(proc.stdout)
    return result


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS reset needs Linux /proc")
def test_memory_stays_flat(tmp_path: Path) -> None:
    if not _can_reset_peak():
        pytest.skip("/proc/self/clear_refs is not writable here: the peak RSS cannot be reset")
    recs = uspto_records()
    seed = tmp_path / "seed.xml"
    write_bulk(seed, [numbered(r, i) for i, r in enumerate(recs)])
    run_bulk([seed], tmp_path / "fwd", records=True, jobs=1)
    *lines, rest = (tmp_path / "fwd" / "seed.jsonl").read_bytes().splitlines()
    avg = sum(map(len, lines)) / len(lines)
    n = int(40e6 / avg)

    def partition(path: Path, count: int) -> None:  # the seed's record lines, renumbered, then its rest
        with open(path, "wb") as fh:
            for i in range(count):
                env = orjson.loads(lines[i % len(lines)])
                env["index"] = i
                fh.write(orjson.dumps(env) + b"\n")
            fh.write(rest + b"\n")

    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    partition(small, n)
    partition(large, 2 * n)
    assert 36e6 < small.stat().st_size < 44e6
    a = _measure(small, tmp_path / "out-small")
    b = _measure(large, tmp_path / "out-large")
    assert (a["records"], b["records"], a["rejects"], b["rejects"]) == (n, 2 * n, 0, 0)
    grow_a, grow_b = a["growth_kb"] / 1024, b["growth_kb"] / 1024
    assert grow_a < CEILING_MB, f"{grow_a:.1f} MB for {n} records"
    assert grow_b < CEILING_MB, f"{grow_b:.1f} MB for {2 * n} records"
    assert grow_b - grow_a < SIZE_DEPENDENCE_MB, f"{grow_a:.1f} MB → {grow_b:.1f} MB when the partition doubles"


# -- the text writer ---------------------------------------------------------------------------------------------


def _text_and_tree(data: dict[str, Any]) -> tuple[bytes | None, bytes]:  # (None, b""): left to the tree
    """The document's root written by the text writer (inside an element declaring the plan's
    prefixes, as the skeleton's root does) and by the tree writer, both canonical (C14N 2.0)."""
    conv = Converter()
    ((json_root, body),) = data.items()
    plan = conv.json_plan(json_root, body)
    doc = next(d for d in plan.documents.values() if d.json_root == json_root)
    writer = conv.writer(plan)
    text = writer.fragment(doc.root, body, doc.type, 0)
    if text is None:
        return None, b""
    tree = writer.document(data, doc)
    decls = "".join(f' xmlns:{p}="{u}"' for p, u in writer.nsmap.items())
    wrapped = etree.fromstring(f"<wrap{decls}>{text}</wrap>".encode())
    (root,) = wrapped
    wrapped.remove(root)  # its own declarations, as the tree writer's root has them
    return etree.tostring(root, method="c14n2"), etree.tostring(tree, method="c14n2")


def test_text_writer_writes_what_the_tree_writer_writes() -> None:
    """Every golden case (tests/cases: unknown elements kept in place, mixed content, simple
    content with attributes, lists, booleans and decimals, …): where the text writer takes the
    document, its elements are the tree writer's, byte for byte once canonical; where it leaves
    it to the tree writer, that is said by None (and the bulk path then uses the tree writer)."""
    taken = 0
    cases = sorted((ROOT / "tests" / "cases").glob("*/expected.json"))
    assert len(cases) >= 10
    for case in cases:
        data = json.loads(case.read_text(), parse_float=__import__("decimal").Decimal)
        text, tree = _text_and_tree(data)
        if text is not None:
            taken += 1
            assert text == tree, case.parent.name
    assert taken >= len(cases) // 2  # most documents are written as text, not handed back


def test_text_writer_escapes_and_hands_odd_text_back() -> None:
    conv = Converter()
    text = dumps_json(conv.xml_to_json(EXAMPLE.read_bytes()).data).decode()
    assert text.count('"BFA-TM-0042"') == 1 and text.count('"TEAS Standard Application"') == 1

    def variant(reference: str, form: str) -> dict[str, Any]:
        changed = text.replace('"BFA-TM-0042"', reference).replace('"TEAS Standard Application"', form)
        return loads_json(changed, Options().limits)  # type: ignore[no-any-return]

    written, tree = _text_and_tree(variant('"A & B <c> ]]> d"', '"x\\ny\\tz"'))
    assert written is not None and written == tree
    assert b"A &amp; B &lt;c&gt; ]]&gt; d" in written
    written, tree = _text_and_tree(variant('"A\\r\\u0001 B"', '"plain"'))
    assert written is None  # a carriage return, a control character: left to the tree writer (which refuses)


@pytest.mark.shared
@pytest.mark.slow
def test_sigterm_stops_cleanly_and_resume_completes(tmp_path: Path) -> None:
    """A real interruption: SIGTERM to the command's process group once one partition is
    complete; exit 143, no temporary file left, and ``--resume`` ends with the uninterrupted
    run's outputs."""
    import signal
    import time

    recs = uspto_records()
    seed = tmp_path / "seed.xml"
    write_bulk(seed, [numbered(r, i) for i, r in enumerate(recs)])
    run_bulk([seed], tmp_path / "fwd", records=True, jobs=1)
    *lines, rest = (tmp_path / "fwd" / "seed.jsonl").read_bytes().splitlines()
    src = tmp_path / "parts"
    src.mkdir()
    for k in range(4):  # about 10 MB each: a second or two to rebuild
        with open(src / f"p{k}.jsonl", "wb") as fh:
            for i in range(400):
                env = orjson.loads(lines[i % len(lines)])
                env["index"] = i
                fh.write(orjson.dumps(env) + b"\n")
            fh.write(rest + b"\n")
    ref = tmp_path / "ref"
    run_bulk([src], ref, to_xml=True, jobs=2)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "xml2json", "bulk", str(src), "-o", str(out), "--to-xml", "--jobs", "2"]
    cmd += ["--progress", "none"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 120
    manifest = out / "manifest.jsonl"
    while proc.poll() is None and time.monotonic() < deadline:
        if manifest.is_file() and len(manifest.read_bytes().splitlines()) >= 2:
            break
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert b"--resume" in err
    assert not list(out.rglob("*.part"))
    done = len(manifest.read_bytes().splitlines()) - 1
    assert 1 <= done < 4, f"not interrupted midway ({done} of 4 complete)"
    again = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stderr
    assert f"{done} task(s) already complete" in again.stdout
    a, b = tree_bytes(ref), tree_bytes(out)
    assert sorted(a) == sorted(b)
    assert all(a[k] == b[k] for k in a if k != "manifest.jsonl")


def test_an_input_that_is_an_earlier_output_is_never_deleted(tmp_path: Path) -> None:
    """`bulk out -o out --to-xml [--overwrite]` on a records run's folder: the partitions are the
    earlier run's outputs; starting over would delete the input. Refused, nothing touched."""
    from xml2json.bulk import run_bulk
    from xml2json.errors import ConfigError

    out = tmp_path / "out"
    run_bulk([EXAMPLE], out, records=True, jobs=1)
    before = sorted(
        (p.relative_to(out), p.read_bytes()) for p in out.rglob("*") if p.is_file() and "lock" not in p.name
    )
    for given, overwrite in (([out], True), ([out], False), ([out / "TrademarkApplication_V6_0.jsonl"], True)):
        with pytest.raises(ConfigError) as err:
            run_bulk(given, out, to_xml=True, overwrite=overwrite, jobs=1)
        assert err.value.issues[0].code == "bulk-input-is-output"
    after = sorted((p.relative_to(out), p.read_bytes()) for p in out.rglob("*") if p.is_file() and "lock" not in p.name)
    assert after == before
    # into another folder it runs
    summary = run_bulk([out], tmp_path / "back", to_xml=True, jobs=1)
    assert summary.rejects == 0 and summary.documents == 1


def test_strict_does_not_apply_to_xml_output(tmp_path: Path) -> None:
    from xml2json.bulk import BulkConfig
    from xml2json.config import Options
    from xml2json.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        BulkConfig([tmp_path / "x.jsonl"], tmp_path / "o", to_xml=True, options=Options(strict=True))
    assert err.value.issues[0].code == "bulk-to-xml-strict"


def test_the_quality_report_of_a_to_xml_folder_says_why_there_is_none(tmp_path: Path) -> None:
    from xml2json.bulk import run_bulk
    from xml2json.bulk.report import load_quality
    from xml2json.errors import ConfigError

    run_bulk([EXAMPLE], tmp_path / "json", records=True, jobs=1)
    run_bulk([tmp_path / "json"], tmp_path / "xml", to_xml=True, jobs=1)
    with pytest.raises(ConfigError) as err:
        load_quality(tmp_path / "xml")
    assert err.value.issues[0].code == "no-quality-report"
    assert "JSON → XML" in err.value.issues[0].message  # not advice to validate a run that cannot

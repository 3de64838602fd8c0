"""Bulk conversion: record layout, streaming, inputs, rejects, resume, CLI.

Corpora are built at run time from the real records in ../shared (never copied
into the repository): the ``tmk:Trademark`` subtrees of the four USPTO ST96
files (not the ``-old`` one) and of WIPO's V6_0 trademark example, repeated with
a different application number each time.

Schema validity is asserted for every line without warnings. The USPTO records
carry content that is not in ST.96 V6_0 (USPTO extension elements, renamed
elements; every such record has ``unknown-element`` warnings in its envelope)
and violate the schema in other ways too (empty required bags), so they are
checked for count, order and placement only; the WIPO-derived records are
schema-valid XML and their lines must validate against the record type's
``$defs`` entry of the committed JSON Schema.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import EXAMPLE, ROOT, USPTO, WIPO_V6, require_shared
from lxml import etree

from xml2json import Converter, Limits, Options
from xml2json.bulk import iter_records, record_layout, run_bulk
from xml2json.bulk.inputs import safe_member_path, strip_suffix
from xml2json.bulk.layout import local_name
from xml2json.bulk.progress import Progress
from xml2json.cli import main
from xml2json.errors import ConfigError, SchemaNotAvailableError
from xml2json.io import dumps_json
from xml2json.registry import default_registry

TMK = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
SCHEMAS = ROOT / "schemas" / "st97" / "V6_0"

# -- corpus builders (shared with the other test_bulk_* modules) ------------------------------

HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<tmk:TrademarkTransaction xmlns:tmk="' + TMK.encode() + b'" xmlns:com="' + COM.encode() + b'"'
    b' com:st96Version="V6_0">\n'
    b"<tmk:TrademarkTransactionBody>\n<tmk:TransactionContentBag>\n"
    b"<com:TransactionIdentifier>BULK-1</com:TransactionIdentifier>\n"
    b"<tmk:TransactionData>\n<tmk:TrademarkBag>\n"
)
TAIL = (
    b"</tmk:TrademarkBag>\n</tmk:TransactionData>\n</tmk:TransactionContentBag>\n"
    b"</tmk:TrademarkTransactionBody>\n</tmk:TrademarkTransaction>\n"
)
_NUMBER = re.compile(rb"(ApplicationNumberText>)[^<]*(<)")


def trademarks(path: Path) -> list[bytes]:
    """The tmk:Trademark subtrees of a document, each serialised with its namespace declarations."""
    root = etree.parse(str(path)).getroot()
    return [etree.tostring(el) for el in root.iter(f"{{{TMK}}}Trademark")]


def uspto_records() -> list[bytes]:
    files = sorted(require_shared(USPTO).glob("*-ST96.xml"))  # not the -old (pre-release namespace) one
    assert len(files) == 4
    return [r for f in files for r in trademarks(f)]


def wipo_record() -> bytes:
    (rec,) = trademarks(require_shared(WIPO_V6) / "TrademarkApplication_Example.xml")
    return rec


def numbered(rec: bytes, n: int) -> bytes:
    """The record with its (first) application number replaced by a unique one."""
    out, k = _NUMBER.subn(rb"\g<1>%d\g<2>" % (70_000_000 + n), rec, count=1)
    assert k == 1
    return out


def application_number(rec: bytes) -> str:
    m = _NUMBER.search(rec)
    assert m is not None
    return m.group(0)[len(b"ApplicationNumberText>") : -1].decode()


@dataclass
class Corpus:
    records: list[bytes]
    kinds: list[str]  # "uspto" or "wipo"

    def __len__(self) -> int:
        return len(self.records)


def make_corpus(n: int, *, wipo_every: int = 5) -> Corpus:
    """n records: every *wipo_every*-th is WIPO's (schema-valid), the others USPTO's in turn."""
    uspto, wipo = uspto_records(), wipo_record()
    recs, kinds = [], []
    for i in range(n):
        if wipo_every and i % wipo_every == 0:
            recs.append(numbered(wipo, i))
            kinds.append("wipo")
        else:
            recs.append(numbered(uspto[i % len(uspto)], i))
            kinds.append("uspto")
    return Corpus(recs, kinds)


def write_bulk(path: Path, records: Iterable[bytes]) -> list[int]:
    """One TrademarkTransaction holding *records*; returns the line on which each record starts."""
    lines = []
    line = 1 + HEAD.count(b"\n")
    with open(path, "wb") as fh:
        fh.write(HEAD)
        for r in records:
            lines.append(line)
            fh.write(r)
            fh.write(b"\n")
            line += r.count(b"\n") + 1
        fh.write(TAIL)
    return lines


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in path.read_bytes().splitlines()]


def record_lines(out: Path) -> list[dict[str, Any]]:
    """Every line of every partition under *out*, partitions in name order."""
    lines: list[dict[str, Any]] = []
    for p in sorted(out.rglob("*.jsonl")):
        if p.name not in ("manifest.jsonl", "rejects.jsonl") and ".xml2json" not in p.parts:
            lines.extend(read_jsonl(p))
    return lines


def tree_bytes(out: Path, *, skip: tuple[str, ...] = ("summary.json", "lock")) -> dict[str, bytes]:
    """Every file under *out* (relative name → content), for byte-for-byte comparisons."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name not in skip
    }


class SchemaChecker:
    """Validates a record's value against ``$defs/<type key>`` of its document's JSON Schema."""

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        self._validators: dict[tuple[str, str], Any] = {}
        self._cls = Draft202012Validator

    def errors(self, line: dict[str, Any]) -> list[str]:
        key = (line["document"], line["type"])
        v = self._validators.get(key)
        if v is None:
            schema = orjson.loads((SCHEMAS / f"{line['document']}.json").read_bytes())
            v = self._cls({"$ref": f"#/$defs/{line['type']}", "$defs": schema["$defs"]})
            self._validators[key] = v
        (value,) = line["data"].values()
        # the line's JSON as a consumer reads it (decimals as floats do not matter for validity)
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in v.iter_errors(value)]


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk code uses the default registry; never let a user cache leak in."""
    import xml2json.registry as registry

    monkeypatch.setattr(registry, "_default", None)


# -- record layout -----------------------------------------------------------------------------


def _paths(document: str) -> dict[str, str]:
    plan = default_registry().plan("V6_0")
    layout = record_layout(plan, plan.document(document))
    return {"/".join(local_name(t) for t in path[1:]): spec.type.key for path, spec in layout.specs.items()}


def test_record_layout_comes_from_the_plan() -> None:
    tt = _paths("TrademarkTransaction")
    assert (
        tt["TrademarkTransactionBody/TransactionContentBag/TransactionData/TrademarkBag/Trademark"]
        == "tmk_TrademarkType"
    )
    assert (
        tt["TrademarkTransactionBody/TransactionContentBag/TransactionData/TrademarkApplication"]
        == "tmk_TrademarkApplicationType"
    )
    assert "TrademarkTransactionBody/TransactionContentBag/TransactionData/ApplicantBag/Applicant" in tt
    # bags inside a transaction's bags are not records; headers are not records
    assert not any(p.endswith("PartyIdentifierBag") for p in tt)
    assert not any("TransactionHeader" in p or "TransactionErrorBag" in p for p in tt)
    madrid = _paths("MadridIBToOfficeTransaction")
    assert madrid["MadridIBToOfficeBag/MadridDesignation"] == "tmk_MadridDesignationType"
    assert not any("Header" in p for p in madrid)
    hague = _paths("HagueIBToOfficeTransaction")
    assert (
        hague["HagueIBToOfficeBag/HagueOfficeCopyBag/HagueRegistrationBag/HagueRegistration"]
        == "dgn_HagueRegistrationType"
    )
    assert _paths("DesignApplicationBag") == {"DesignApplication": "dgn_DesignApplicationType"}
    for whole in ("TrademarkApplication", "PatentPublication", "DesignApplication", "GIApplication"):
        assert _paths(whole) == {}, whole
    # every record type is a $defs entry of its document's JSON Schema
    for doc in ("TrademarkTransaction", "MadridIBToOfficeTransaction", "HagueIBToOfficeTransaction"):
        defs = orjson.loads((SCHEMAS / f"{doc}.json").read_bytes())["$defs"]
        assert set(_paths(doc).values()) <= set(defs), doc


# -- a bulk document of several thousand records ------------------------------------------------

N_BULK = 3000
WIPO_EVERY = 10  # 300 schema-valid records: jsonschema takes about 10 ms for each
CORRUPT = 1501


@pytest.fixture(scope="module")
def bulk_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("bulkdoc")
    corpus = make_corpus(N_BULK, wipo_every=WIPO_EVERY)
    recs = list(corpus.records)
    assert corpus.kinds[CORRUPT] == "uspto"
    # a shape violation: a single element twice; the converter cannot map it, whatever the mode
    dup = re.compile(rb"(<(\w+):RegistrationOfficeCode>[^<]*</\2:RegistrationOfficeCode>)")
    recs[CORRUPT], k = dup.subn(rb"\1\1", recs[CORRUPT], count=1)
    assert k == 1
    src = tmp / "daily.xml"
    starts = write_bulk(src, recs)
    out = tmp / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XML2JSON_CACHE", str(tmp / "cache"))
        summary = run_bulk([src], out, records=True, jobs=2)
    return {"summary": summary, "out": out, "src": src, "corpus": corpus, "starts": starts}


@pytest.mark.shared
def test_bulk_document_converts_every_record(bulk_run: dict[str, Any]) -> None:
    s, out, corpus = bulk_run["summary"], bulk_run["out"], bulk_run["corpus"]
    assert s.records == N_BULK - 1
    assert s.rejects == 1 and s.reject_codes == {"too-many": 1}
    assert s.exit_code == 1
    lines = read_jsonl(out / "daily.jsonl")
    recs = [x for x in lines if x["record"] is not None]
    assert len(recs) == N_BULK - 1
    assert [x["index"] for x in recs] == [i for i in range(N_BULK) if i != CORRUPT]
    for x in recs:
        assert x["record"] == "trademark" and x["type"] == "tmk_TrademarkType"
        assert x["document"] == "TrademarkTransaction" and x["st96Version"] == "V6_0"
        assert x["source"] == str(bulk_run["src"])
        start = bulk_run["starts"][x["index"]]
        # libxml2 keeps element lines in 16 bits: past 65,535 it takes the line of the first child
        assert x["line"] == start or (start > 65535 and x["line"] == start + 1), (x["index"], start)
        (number,) = {a["applicationNumberText"] for a in x["data"]["trademark"]["applicationNumber"]}
        assert number == application_number(corpus.records[x["index"]])
    # the rest of the document comes last: everything outside the records, records removed
    rest = lines[-1]
    assert rest["record"] is None and rest["index"] is None and len(lines) == N_BULK
    body = rest["data"]["trademarkTransaction"]["trademarkTransactionBody"][0]["transactionContentBag"]
    assert body["transactionIdentifier"] == "BULK-1" or body["transactionIdentifier"]["value"] == "BULK-1"
    assert body["transactionData"]["trademarkBag"] == {}


@pytest.mark.shared
def test_bulk_document_corrupt_record_is_rejected_with_its_place(bulk_run: dict[str, Any]) -> None:
    (rej,) = read_jsonl(bulk_run["out"] / "rejects.jsonl")
    starts = bulk_run["starts"]
    assert rej["source"] == str(bulk_run["src"])
    assert rej["index"] == CORRUPT and rej["record"] == "trademark" and rej["code"] == "too-many"
    assert starts[CORRUPT] <= rej["line"] < starts[CORRUPT + 1]
    assert "RegistrationOfficeCode" in rej["message"] and rej["document"] == "TrademarkTransaction"
    manifest = read_jsonl(bulk_run["out"] / "manifest.jsonl")
    assert manifest[1]["records"] == N_BULK - 1 and manifest[1]["rejects"] == 1
    summary = orjson.loads((bulk_run["out"] / "summary.json").read_bytes())
    assert summary["records"] == N_BULK - 1 and summary["rejects"] == 1 and summary["exitCode"] == 1


@pytest.mark.shared
def test_bulk_document_lines_are_schema_valid(bulk_run: dict[str, Any]) -> None:
    corpus: Corpus = bulk_run["corpus"]
    checker = SchemaChecker()
    checked = 0
    for x in read_jsonl(bulk_run["out"] / "daily.jsonl"):
        if x["record"] is None:
            continue
        kind = corpus.kinds[x["index"]]
        if "warnings" in x:  # content V6_0 does not know: only the USPTO records have it
            assert kind == "uspto" and {w["code"] for w in x["warnings"]} == {"unknown-element"}
            continue
        assert kind == "wipo"
        assert checker.errors(x) == [], x["index"]
        checked += 1
    assert checked == corpus.kinds.count("wipo") == N_BULK // WIPO_EVERY


# -- a zip of hundreds of one-record files ----------------------------------------------------

N_ZIP = 300
BROKEN_MEMBER = 151


@pytest.mark.shared
def test_zip_of_one_record_files(tmp_path: Path) -> None:
    corpus = make_corpus(N_ZIP)
    zpath = tmp_path / "weekly.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, rec in enumerate(corpus.records):
            doc = HEAD + rec + b"\n" + TAIL
            if i == BROKEN_MEMBER:
                doc = doc[: len(doc) // 2]  # truncated in transit
            zf.writestr(f"tm/{i:05d}.xml", doc)
        zf.writestr("tm/images/00001.jpg", b"\xff\xd8 not xml")
    s = run_bulk([zpath], tmp_path / "out", records=True, jobs=2)
    assert (s.records, s.rejects, s.documents, s.skipped) == (N_ZIP - 1, 1, N_ZIP, 1)
    parts = sorted(p.name for p in (tmp_path / "out" / "weekly").iterdir())
    assert parts == ["part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl"]
    lines = record_lines(tmp_path / "out")
    recs = [x for x in lines if x["record"] is not None]
    assert len(recs) == N_ZIP - 1 and len(lines) == 2 * (N_ZIP - 1)  # each file: its record, then its rest
    assert [x["source"] for x in recs] == [f"{zpath}!tm/{i:05d}.xml" for i in range(N_ZIP) if i != BROKEN_MEMBER]
    assert all(x["index"] == 0 for x in recs)
    (rej,) = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert rej["source"] == f"{zpath}!tm/{BROKEN_MEMBER:05d}.xml" and rej["code"] == "malformed-xml"
    assert isinstance(rej["line"], int) and rej["line"] > 1
    checker = SchemaChecker()
    valid = 0
    for x in recs:
        i = int(x["source"][-9:-4])
        if corpus.kinds[i] == "wipo":
            assert "warnings" not in x and checker.errors(x) == []
            valid += 1
    assert valid == N_ZIP // 5


# -- failures inside a stream ---------------------------------------------------------------------


@pytest.mark.shared
def test_strict_invalid_boolean_rejects_only_that_record(tmp_path: Path) -> None:
    recs = [numbered(wipo_record(), i) for i in range(20)]
    recs[7], k = re.subn(rb"(MarkStandardCharacterIndicator>)false<", rb"\1maybe<", recs[7], count=1)
    assert k == 1
    src = tmp_path / "t.xml"
    write_bulk(src, recs)
    lax = list(iter_records(src))
    assert [r.index for r in lax] == list(range(20)) and all(r.ok for r in lax)
    assert [r.index for r in lax if r.warnings] == [7]
    assert {w.code for w in lax[7].warnings} == {"invalid-value"}
    s = run_bulk([src], tmp_path / "out", records=True, options=Options(strict=True))
    assert (s.records, s.rejects) == (19, 1)
    (rej,) = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert (rej["index"], rej["code"]) == (7, "invalid-value")
    assert "maybe" in rej["message"]


@pytest.mark.shared
def test_malformed_xml_mid_file_keeps_what_came_before(tmp_path: Path) -> None:
    recs = [numbered(r, i) for i, r in enumerate(uspto_records() * 10)][:40]
    recs[30] = re.sub(rb"</(\w+):RegistrationOfficeCode>", rb"</\1:Oops>", recs[30], count=1)
    src = tmp_path / "t.xml"
    starts = write_bulk(src, recs)
    s = run_bulk([src], tmp_path / "out", records=True)
    lines = read_jsonl(tmp_path / "out" / "t.jsonl")
    assert [x["index"] for x in lines] == list(range(30))  # no rest: the document never ended
    (rej,) = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert rej["code"] == "malformed-xml" and rej["index"] == 30
    assert starts[30] <= rej["line"] < starts[31]
    assert "30 record(s) before this point were processed" in rej["message"]
    assert (s.records, s.rejects, s.exit_code) == (30, 1, 1)
    with pytest.raises(Exception) as info:
        list(iter_records(src))
    assert getattr(info.value, "code", None) == "malformed-xml"


def test_doctype_and_unknown_root_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "laughs.xml").write_bytes(
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>'
    )
    (tmp_path / "in" / "other.xml").write_bytes(b"<a><b/></a>")
    (tmp_path / "in" / "ok.xml").write_bytes(EXAMPLE.read_bytes())
    for records in (True, False):
        out = tmp_path / f"out{records}"
        s = run_bulk([tmp_path / "in"], out, records=records)
        codes = {x["source"].rsplit("/", 1)[1]: x["code"] for x in read_jsonl(out / "rejects.jsonl")}
        assert codes == {"laughs.xml": "unsafe-doctype", "other.xml": "unknown-root"}
        assert s.exit_code == 1
        produced = {p.name for p in (out / "in").iterdir()}
        assert produced == {"ok.jsonl" if records else "ok.json"}


# -- inputs ----------------------------------------------------------------------------------------


@pytest.mark.shared
def test_mixed_inputs_mirror_the_input_tree(tmp_path: Path) -> None:
    wipo = require_shared(WIPO_V6)
    data = tmp_path / "data"
    (data / "2024" / "w01").mkdir(parents=True)
    (data / "2024" / "w01" / "tm.xml").write_bytes((wipo / "TrademarkApplication_Example.xml").read_bytes())
    (data / "2024" / "design.xml").write_bytes((wipo / "DesignApplication_Example.xml").read_bytes())
    (data / "2024" / "notes.txt").write_text("not an input")
    (data / "2024" / ".hidden.xml").write_text("<ignored/>")
    gl = tmp_path / "glob"
    gl.mkdir()
    (gl / "gi.xml").write_bytes((wipo / "GIApplication_Example.xml").read_bytes())
    (gl / "skip.dat").write_bytes(b"x")
    with gzip.open(tmp_path / "patent.xml.gz", "wb") as gz:
        gz.write((wipo / "PatentPublication_Example.xml").read_bytes())
    zpath = tmp_path / "office.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("a/one.xml", EXAMPLE.read_bytes())
        zf.writestr("a/b/two.XML", (wipo / "TrademarkApplication_Example.xml").read_bytes())
    stdin = io.BytesIO(EXAMPLE.read_bytes())
    out = tmp_path / "out"
    s = run_bulk([data, str(gl / "*.xml"), tmp_path / "patent.xml.gz", zpath, "-"], out, stdin=stdin, pretty=True)
    assert (s.exit_code, s.rejects, s.documents) == (0, 0, 7)
    assert s.skipped == 1  # notes.txt (hidden files are not counted, skip.dat was not matched)
    expected = {
        "data/2024/w01/tm.json": data / "2024" / "w01" / "tm.xml",
        "data/2024/design.json": data / "2024" / "design.xml",
        "gi.json": gl / "gi.xml",
        "patent.json": wipo / "PatentPublication_Example.xml",
        "office/a/one.json": EXAMPLE,
        "office/a/b/two.json": wipo / "TrademarkApplication_Example.xml",
        "stdin.json": EXAMPLE,
    }
    produced = {k for k in tree_bytes(out) if k.endswith(".json")}
    assert produced == set(expected)
    conv = Converter()
    for rel, src in expected.items():
        assert (out / rel).read_bytes() == dumps_json(conv.xml_to_json(src).data, pretty=True) + b"\n", rel
    assert not (out / ".xml2json" / "stdin.xml").exists()


def test_zip_member_safety(tmp_path: Path) -> None:
    good = EXAMPLE.read_bytes()
    zpath = tmp_path / "hostile.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("ok/good.xml", good)
        zf.writestr("../../escape.xml", good)
        zf.writestr("/etc/abs.xml", good)
        zf.writestr("C:/windows/drive.xml", good)
        link = zipfile.ZipInfo("ok/link.xml")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/etc/passwd")
        zf.writestr("ok/bomb.xml", good[:-30] + b"<!--" + b" " * (8 * 1024 * 1024) + b"-->" + good[-30:])
        zf.writestr("ok/picture.png", b"\x89PNG")
        zf.writestr("__MACOSX/ok/._good.xml", b"\x00\x05\x16\x07")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("ok/good.xml", b"<second/>")
    out = tmp_path / "out"
    s = run_bulk([zpath], out)
    codes = sorted(x["code"] for x in read_jsonl(out / "rejects.jsonl"))
    assert codes == sorted(
        ["unsafe-zip-path"] * 3 + ["unsafe-zip-symlink", "limit-compression-ratio", "unsafe-zip-duplicate"]
    )
    assert s.skipped == 2 and s.exit_code == 1
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to(tmp_path.resolve()) for p in files)
    assert sorted(k for k in tree_bytes(out) if k.endswith(".json")) == ["hostile/ok/good.json"]
    assert orjson.loads((out / "hostile/ok/good.json").read_bytes()) == Converter().xml_to_json(good).data
    # too many members: the whole zip is refused before anything is read
    s = run_bulk([zpath], tmp_path / "out2", options=Options(limits=Limits(max_zip_members=3)))
    (rej,) = read_jsonl(tmp_path / "out2" / "rejects.jsonl")
    assert rej["code"] == "limit-zip-members" and s.exit_code == 1


def test_member_names_and_suffixes() -> None:
    assert safe_member_path("a\\b/./c.xml") == "a/b/c.xml"
    for bad in ("../x.xml", "a/../../x.xml", "/x.xml", "C:x.xml", "a/\x01.xml", "", "./"):
        assert safe_member_path(bad) is None, bad
    assert strip_suffix("a/b.xml.gz") == "a/b" and strip_suffix("a/B.XML") == "a/B"
    assert strip_suffix("a/b.zip") == "a/b" and strip_suffix("a/b.txt") == "a/b.txt"


def test_gzip_bomb_is_stopped(tmp_path: Path) -> None:
    doc = EXAMPLE.read_bytes()
    with gzip.open(tmp_path / "bomb.xml.gz", "wb") as gz:
        gz.write(doc[:-30] + b"<!--" + b" " * (16 * 1024 * 1024) + b"-->" + doc[-30:])
    for records in (True, False):
        out = tmp_path / f"out{records}"
        s = run_bulk([tmp_path / "bomb.xml.gz"], out, records=records)
        (rej,) = read_jsonl(out / "rejects.jsonl")
        assert rej["code"] == "limit-compression-ratio" and s.exit_code == 1


def test_output_collisions_and_reserved_names(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    doc = EXAMPLE.read_bytes()
    (d / "a.xml").write_bytes(doc)
    with gzip.open(d / "a.xml.gz", "wb") as gz:
        gz.write(doc)
    (tmp_path / "rejects.xml").write_bytes(doc)
    s = run_bulk([d, tmp_path / "rejects.xml"], tmp_path / "out", records=True)
    rejects = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    assert sorted(x["code"] for x in rejects) == ["output-collision", "output-collision"]
    assert s.records == 1 and s.exit_code == 1
    assert read_jsonl(tmp_path / "out" / "in" / "a.jsonl")[0]["source"].endswith("a.xml")


def test_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        run_bulk([tmp_path / "missing.xml"], tmp_path / "out")
    with pytest.raises(ConfigError, match="no input matches"):
        run_bulk([str(tmp_path / "*.xml")], tmp_path / "out")
    with pytest.raises(ConfigError, match="pretty"):
        run_bulk([EXAMPLE], tmp_path / "out", records=True, pretty=True)
    with pytest.raises(ConfigError, match="standard input"):
        run_bulk(["-"], tmp_path / "out", engine="dask", scheduler="tcp://127.0.0.1:1")
    with pytest.raises(SchemaNotAvailableError):
        run_bulk([EXAMPLE], tmp_path / "out", options=Options(st96_version="V9_9"))


# -- manifest and resume ----------------------------------------------------------------------------


def test_resume_skips_complete_inputs_and_redoes_changed_ones(tmp_path: Path) -> None:
    d = tmp_path / "in"
    d.mkdir()
    doc = EXAMPLE.read_bytes()
    for name in ("a", "b", "c"):
        (d / f"{name}.xml").write_bytes(doc)
    out = tmp_path / "out"
    first = run_bulk([d], out, records=True)
    assert (first.run_tasks, first.resumed, first.records) == (3, 0, 3)
    before = tree_bytes(out)
    with pytest.raises(ConfigError, match="earlier bulk run") as earlier:
        run_bulk([d], out, records=True)
    assert earlier.value.code == "bulk-earlier-run" and "--" not in str(earlier.value)
    with pytest.raises(ConfigError, match="records was on, is off"):
        run_bulk([d], out, resume=True)
    again = run_bulk([d], out, records=True, resume=True)
    assert (again.run_tasks, again.resumed, again.records) == (0, 3, 3)
    assert tree_bytes(out) == before
    (d / "b.xml").write_bytes(doc.replace(b"<?xml", b"<?xml", 1) + b"\n")  # changed: size differs
    (out / "in" / "c.jsonl").unlink()  # an output lost since
    third = run_bulk([d], out, records=True, resume=True)
    assert (third.run_tasks, third.resumed, third.records) == (2, 1, 3)
    keys = [e["key"] for e in read_jsonl(out / "manifest.jsonl")[1:]]
    assert sorted(keys) == ["in/a", "in/b", "in/c"] and len(keys) == 3
    fresh = run_bulk([d], out, records=True, overwrite=True)
    assert (fresh.run_tasks, fresh.resumed) == (3, 0)


def test_no_partial_file_under_a_final_name_and_stale_parts_are_removed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "x").mkdir(parents=True)
    stale = out / "x" / ".a.jsonl.k3j2h1.part"
    stale.write_bytes(b'{"half": ')
    run_bulk([EXAMPLE], out, records=True)
    assert not stale.exists()
    assert not list(out.rglob("*.part"))


# -- the public API ---------------------------------------------------------------------------------


@pytest.mark.shared
def test_iter_records_sources(tmp_path: Path) -> None:
    recs = [numbered(wipo_record(), i) for i in range(5)]
    src = tmp_path / "t.xml"
    write_bulk(src, recs)
    data = src.read_bytes()
    with gzip.open(tmp_path / "t.xml.gz", "wb") as gz:
        gz.write(data)
    with zipfile.ZipFile(tmp_path / "t.zip", "w") as zf:
        zf.writestr("x/1.xml", data)
        zf.writestr("x/2.xml", data)
    expect = [r.data for r in iter_records(src)]
    assert len(expect) == 5
    assert [r.data for r in iter_records(data)] == expect
    assert [r.data for r in iter_records(data.decode())] == expect
    assert [r.data for r in iter_records(io.BytesIO(data))] == expect
    assert [r.data for r in iter_records(tmp_path / "t.xml.gz")] == expect
    assert [r.data for r in iter_records(io.BytesIO(gzip.compress(data)))] == expect
    from_zip = list(iter_records(tmp_path / "t.zip"))
    assert [r.data for r in from_zip] == expect * 2
    assert from_zip[5].source == f"{tmp_path / 't.zip'}!x/2.xml"
    with_rest = list(iter_records(data, rest=True, name="feed"))
    assert with_rest[-1].record is None and with_rest[-1].source == "feed" and len(with_rest) == 6
    patent = list(iter_records(require_shared(WIPO_V6) / "PatentPublication_Example.xml", rest=True))
    assert [(r.index, r.record, r.type) for r in patent] == [(0, "patentPublication", "pat_PatentPublicationType")]


def test_progress_modes() -> None:
    buf = io.StringIO()
    p = Progress("bar", total_docs=3, stream=buf)
    p.update(docs=2, records=10, nbytes=5_000_000)
    p.close()
    assert "2/3" in buf.getvalue() and "10 records" in buf.getvalue()
    buf = io.StringIO()
    p = Progress("auto", total_docs=3, stream=buf)  # StringIO is not a terminal: plain lines
    assert p.mode == "log"
    p._last_log -= 3600
    p.update(docs=1, records=4, nbytes=1)
    assert buf.getvalue().startswith("bulk: 1/3 documents, 4 records")


# -- the command line -------------------------------------------------------------------------------


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _cli(["bulk", str(EXAMPLE), "-o", str(tmp_path / "o0"), "--records"], capsys)
    assert code == 0 and "records: 1" in out and "rejects: 0" in out
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<tmk:TrademarkApplication xmlns:tmk='" + TMK.encode() + b"'><unclosed>")
    code, out, _ = _cli(["bulk", str(EXAMPLE), str(bad), "-o", str(tmp_path / "o1")], capsys)
    assert code == 1 and "malformed-xml 1" in out
    code, _, err = _cli(["bulk", str(tmp_path / "nope.xml"), "-o", str(tmp_path / "o2")], capsys)
    assert code == 2 and "no such file" in err
    code, _, err = _cli(["bulk", str(EXAMPLE), "-o", str(tmp_path / "o3"), "--records", "--pretty"], capsys)
    assert code == 2
    code, _, err = _cli(["bulk", str(EXAMPLE), "-o", str(tmp_path / "o4"), "--st96-version", "V9_9"], capsys)
    assert code == 3 and "V9_9" in err
    future = tmp_path / "future.xml"
    future.write_bytes(EXAMPLE.read_bytes().replace(b'st96Version="V6_0"', b'st96Version="V9_9"'))
    assert future.read_bytes() != EXAMPLE.read_bytes()
    code, out, _ = _cli(["bulk", str(EXAMPLE), str(future), "-o", str(tmp_path / "o5")], capsys)
    assert code == 3 and "version-not-compiled" in out
    assert (tmp_path / "o5" / "TrademarkApplication_V6_0.json").is_file()
    code, out, _ = _cli(["bulk", str(EXAMPLE), "-o", str(tmp_path / "o0"), "--records", "--resume", "-q"], capsys)
    assert code == 0 and out == ""


def test_envelope_keys_and_order(tmp_path: Path) -> None:
    run_bulk([EXAMPLE], tmp_path / "out", records=True)
    (line,) = (tmp_path / "out" / "TrademarkApplication_V6_0.jsonl").read_bytes().splitlines()
    env = orjson.loads(line)
    assert list(env) == ["source", "index", "line", "document", "st96Version", "record", "type", "data"]
    assert env["data"] == Converter().xml_to_json(EXAMPLE).data
    assert os.path.basename(env["source"]) == EXAMPLE.name


def test_rest_of_a_streamed_document_is_checked_like_a_record(tmp_path: Path) -> None:
    """The part of a bulk document outside its records is held to the same limits."""
    recs = [numbered(wipo_record(), i) for i in range(3)]
    attrs = b" ".join(b'x%d="1"' % i for i in range(10))
    head = HEAD.replace(b"<com:TransactionIdentifier>", b"<com:TransactionIdentifier " + attrs + b">")
    src = tmp_path / "t.xml"
    src.write_bytes(head + b"\n".join(recs) + b"\n" + TAIL)
    opts = Options(limits=Limits(max_attributes=8))
    out = list(iter_records(src, options=opts, rest=True))
    assert [r.index for r in out] == [0, 1, 2, None]
    assert all(r.ok for r in out[:3])
    assert out[3].data is None and [e.code for e in out[3].errors] == ["limit-attributes"]
    assert list(iter_records(src, options=Options(limits=Limits(max_attributes=10)), rest=True))[3].ok

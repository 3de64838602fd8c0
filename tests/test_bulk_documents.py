"""Files of many concatenated documents in bulk: the document size limit per document, record
numbering without gaps around a broken document, documents counted, one message prefix for bulk
and ``iter_records``, chunks cut where a later document starts (docs/bulk.md, "Files of
concatenated documents"). Inputs are built in ``tmp_path`` from the small record of
test_bulk_parallel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_bulk import HEAD, TAIL, read_jsonl, write_bulk
from test_bulk_parallel import convert_both, notices, small

from xml2json import Options
from xml2json.bulk import iter_records, run_bulk
from xml2json.config import Limits
from xml2json.errors import MalformedXMLError, UnsafeXMLError

N_DOCS = 600
BIG = range(7, N_DOCS, 50)  # 0-based documents with many records: over the limit below
BIG_RECORDS = 40


def _documents(tmp_path: Path, sizes: list[int], *, broken: dict[int, bytes] | None = None) -> tuple[Path, list[int]]:
    """One file of ``len(sizes)`` documents, document *d* holding ``sizes[d]`` records; a document
    in *broken* is replaced by those bytes. Returns the file and each document's first line."""
    one = tmp_path / "one.xml"
    parts, starts, line = [], [], 1
    for d, n in enumerate(sizes):
        if broken and d in broken:
            data = broken[d]
        else:
            write_bulk(one, small(n, start=1000 * d))
            data = one.read_bytes()
        parts.append(data)
        starts.append(line)
        line += data.count(b"\n")
    src = tmp_path / "many.xml"
    src.write_bytes(b"".join(parts))
    return src, starts


def _numbering(out: Path, name: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The record lines and rejects of one partition; asserts that their indices together are
    0, 1, 2, … with no gap and no repeat."""
    lines = [x for x in read_jsonl(out / name) if x["record"] is not None]
    rejects = read_jsonl(out / "rejects.jsonl")
    assert sorted([x["index"] for x in lines] + [r["index"] for r in rejects]) == list(range(len(lines) + len(rejects)))
    return lines, rejects


def test_max_size_applies_to_each_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes = [BIG_RECORDS if d in BIG else 1 for d in range(N_DOCS)]
    src, starts = _documents(tmp_path, sizes)
    write_bulk(tmp_path / "probe.xml", small(BIG_RECORDS))
    big = (tmp_path / "probe.xml").stat().st_size
    limit = big - 100  # the big documents are over it, the small ones far below, the file far above
    assert src.stat().st_size > 20 * limit
    options = Options(limits=Limits(max_document_bytes=limit))
    one, two, split = convert_both(tmp_path, monkeypatch, src, options=options)
    # cut between documents (the file is over the limit: never at records); a rejected document
    # makes the file fall back to one worker (docs/bulk.md), which says why
    (said,) = notices(two)
    assert split[0] >= 2 and said.startswith("converted by one worker, not in chunks: chunk ")
    assert said.endswith(f"limit-document-size: the document is larger than {limit} bytes")
    assert one.reject_codes == {"limit-document-size": len(BIG)}
    # the small documents convert; a big one's records before the limit too, then its reject
    assert N_DOCS - len(BIG) < one.records < N_DOCS - len(BIG) + len(BIG) * BIG_RECORDS
    assert one.documents == N_DOCS
    (entry,) = [e for e in read_jsonl(tmp_path / "one" / "manifest.jsonl") if "key" in e]
    assert entry["docs"] == N_DOCS
    _lines, rejects = _numbering(tmp_path / "one", "many.jsonl")
    assert [r["line"] for r in rejects] == [starts[d] for d in BIG]
    for d, r in zip(BIG, rejects, strict=True):
        where = f"document {d + 1} of the input (from line {starts[d]}): "
        assert r["message"].startswith(where + f"the document is larger than {limit} bytes; ")
        assert (r["document"], r["st96Version"]) == ("TrademarkTransaction", "V6_0")  # its root was read
    # iter_records: the same limit per document; the first document over it raises, with the prefix
    got = []
    with pytest.raises(UnsafeXMLError) as info:
        for rec in iter_records(src, options=options):
            got.append(rec.index)
    assert got == list(range(rejects[0]["index"])) and info.value.code == "limit-document-size"
    assert rejects[0]["message"].startswith(info.value.issues[0].message + "; ")


def test_one_document_over_max_size_keeps_the_records_before(tmp_path: Path) -> None:
    src = tmp_path / "bag.xml"
    write_bulk(src, small(100))
    options = Options(limits=Limits(max_document_bytes=src.stat().st_size // 2))
    s = run_bulk([src], tmp_path / "out", records=True, jobs=1, options=options)
    lines, (rej,) = _numbering(tmp_path / "out", "bag.jsonl")
    assert 0 < len(lines) < 100 and s.reject_codes == {"limit-document-size": 1}
    assert rej["index"] == len(lines) and rej["document"] == "TrademarkTransaction"
    assert "record(s) before this point were processed" in rej["message"]


def test_a_document_broken_in_its_first_record_keeps_the_numbering(tmp_path: Path) -> None:
    bad = HEAD + small(1, start=7)[0].replace(b"</com:ApplicationNumber>", b"</com:ApplicationNumbr>") + b"\n" + TAIL
    src, starts = _documents(tmp_path, [1] * N_DOCS, broken={300: bad, 450: b'<?xml version="1.0"?>\n<<garbage\n'})
    s = run_bulk([src], tmp_path / "out", records=True, jobs=1)
    lines, rejects = _numbering(tmp_path / "out", "many.jsonl")
    assert s.reject_codes == {"malformed-xml": 2} and s.records == N_DOCS - 2
    assert [r["index"] for r in rejects] == [300, 450]
    assert [x["index"] for x in lines][298:301] == [298, 299, 301]
    first, garbage = rejects
    assert (first["document"], first["st96Version"]) == ("TrademarkTransaction", "V6_0")
    assert first["message"].startswith(f"document 301 of the input (from line {starts[300]}): ")
    assert starts[300] < first["line"] < starts[301]
    assert garbage["document"] is None  # its root was never read: no type to name
    # a single document broken in its first record: index 0 (no record converted), type named
    (tmp_path / "single").mkdir()
    (tmp_path / "single" / "bad.xml").write_bytes(bad)
    run_bulk([tmp_path / "single"], tmp_path / "out2", records=True, jobs=1)
    (rej,) = read_jsonl(tmp_path / "out2" / "rejects.jsonl")
    assert (rej["index"], rej["document"], rej["code"]) == (0, "TrademarkTransaction", "malformed-xml")
    assert not rej["message"].startswith("document ")  # the prefix is for the 2nd document on


def test_iter_records_and_bulk_say_the_same(tmp_path: Path) -> None:
    bad = HEAD + small(1)[0].replace(b"</com:ApplicationNumber>", b"</com:ApplicationNumbr>") + b"\n" + TAIL
    src, starts = _documents(tmp_path, [2, 2, 2], broken={1: bad})
    with pytest.raises(MalformedXMLError) as info:
        list(iter_records(src))
    run_bulk([src], tmp_path / "out", records=True, jobs=1)
    (rej,) = read_jsonl(tmp_path / "out" / "rejects.jsonl")
    said = info.value.issues[0].message
    assert said.startswith(f"document 2 of the input (from line {starts[1]}): ")
    assert rej["message"] == said  # no record of document 2 was converted: nothing added
    assert said in str(info.value)


def test_a_later_document_after_record_chunks_is_cut_not_fallen_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two big bags one after another: the first is cut at records, its last chunk ends where the
    second starts, and the second is a run of whole documents — no fall-back, the same output."""
    src, _starts = _documents(tmp_path, [120, 120])
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split[0] >= 3 and notices(two) == []
    assert one.records == 240 and one.rejects == 0 and one.documents == 2
    out = read_jsonl(tmp_path / "two" / "many.jsonl")
    assert [x["index"] for x in out if x["record"]] == list(range(240))
    assert not (tmp_path / "two" / ".xml2json" / "chunks").exists()

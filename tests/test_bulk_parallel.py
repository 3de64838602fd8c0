"""One big file on all cores, and files of concatenated XML documents (docs/bulk.md).

Parallel output must equal serial output byte for byte: every test below converts the same input
with one job and with two (a tiny chunk threshold, ``XML2JSON_CHUNK_BYTES``, makes small files
split) and compares the output folders — partitions, rejects, the manifest (less the notices a
run with several workers adds) — and checks that the file really was split, or really fell back
to one worker and said so. Inputs are built in ``tmp_path`` at test time: bags of a small record
written here, and bags of the real USPTO records in ../shared (never copied into the repository).
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import ROOT
from test_bulk import make_corpus, numbered, read_jsonl, tree_bytes, uspto_records, write_bulk

from xml2json import Options
from xml2json.bulk import engine, iter_records, run_bulk
from xml2json.errors import MalformedXMLError

REC = (
    b"<tmk:Trademark><com:ApplicationNumber><com:ApplicationNumberText>%d</com:ApplicationNumberText>"
    b"</com:ApplicationNumber>\n<tmk:MarkCategory>Trademark</tmk:MarkCategory></tmk:Trademark>"
)


def small(n: int, start: int = 0) -> list[bytes]:
    return [REC % (start + i) for i in range(n)]


def _lines(data: bytes) -> list[dict[str, Any]]:
    out = []
    for raw in data.splitlines():
        obj = orjson.loads(raw)
        obj.pop("notices", None)
        out.append(obj)
    return out


def assert_same_output(one: Path, two: Path) -> None:
    """Byte for byte, except that the manifest of a run with several workers may carry notices."""
    a, b = tree_bytes(one), tree_bytes(two)
    assert sorted(a) == sorted(b)
    for name in a:
        if name == "manifest.jsonl":
            assert _lines(a[name]) == _lines(b[name])
        else:
            assert a[name] == b[name], name


def spy_on_splitting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Into how many chunks each large file was split (0: not split), in the order they end."""
    split: list[int] = []
    real = engine.split_task

    def spy(*args: Any, **kwargs: Any) -> Any:
        chunks = real(*args, **kwargs)
        if chunks is None:
            split.append(0)
            return None

        def counted() -> Any:
            n = 0
            for t in chunks:
                n += t.chunk is not None
                yield t
            split.append(n)

        return counted()

    monkeypatch.setattr(engine, "split_task", spy)
    return split


def convert_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, src: Path, **kw: Any) -> tuple[Any, Any, list[int]]:
    """The same run with one job and with two; returns both summaries and how many chunks each
    file was split into."""
    monkeypatch.setenv("XML2JSON_CHUNK_BYTES", "2000")
    split = spy_on_splitting(monkeypatch)
    one = run_bulk([src], tmp_path / "one", records=True, jobs=1, **kw)
    two = run_bulk([src], tmp_path / "two", records=True, jobs=2, **kw)
    assert_same_output(tmp_path / "one", tmp_path / "two")
    assert (one.records, one.rejects, one.reject_codes) == (two.records, two.rejects, two.reject_codes)
    assert not list((tmp_path / "two").rglob("*.part"))
    assert not list((tmp_path / "two" / ".xml2json").rglob("chunks/*/*"))  # the parts are joined and gone
    assert not (tmp_path / "two" / ".xml2json" / "chunks").exists()  # and their folder: the same folders
    return one, two, split


def notices(summary: Any) -> list[str]:
    return [n["notice"] for n in summary.to_dict().get("notices", [])]


def test_small_bag_split_equals_serial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "bag.xml"
    write_bulk(src, small(120))
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split == [6]  # 2 jobs x 3 chunks
    assert one.records == 120 and one.rejects == 0
    assert notices(two) == []
    lines = read_jsonl(tmp_path / "two" / "bag.jsonl")
    assert [x["index"] for x in lines] == [*range(120), None]  # the rest of the document last
    assert lines[-1]["data"]["trademarkTransaction"]["trademarkTransactionBody"]


@pytest.mark.shared
def test_real_records_bag_split_equals_serial_with_a_bad_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = make_corpus(40)
    recs = list(corpus.records)
    # a record with a value the plan rejects (too many), one with an element inside a text value
    recs[26] = recs[26].replace(
        b"</ns2:Trademark>", b"<ns1:RegistrationOfficeCode>US</ns1:RegistrationOfficeCode></ns2:Trademark>", 1
    )
    recs[17] = recs[17].replace(b"ApplicationNumberText>", b"ApplicationNumberText><oops/>", 1)
    src = tmp_path / "real.xml"
    write_bulk(src, recs)
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split[0] >= 2 and notices(two) == []
    assert (one.records, one.rejects) == (38, 2)
    assert [r["index"] for r in read_jsonl(tmp_path / "two" / "rejects.jsonl")] == [17, 26]
    assert one.warnings.get("unknown-element")  # the USPTO extension content, on records of every chunk


def test_strict_rejects_a_record_in_a_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = small(60)
    recs[37] = recs[37].replace(b"</tmk:MarkCategory>", b"</tmk:MarkCategory><tmk:Unknown>x</tmk:Unknown>")
    src = tmp_path / "s.xml"
    write_bulk(src, recs)
    one, two, split = convert_both(tmp_path, monkeypatch, src, options=Options(strict=True))
    assert split[0] >= 2 and notices(two) == []
    assert (one.records, one.rejects) == (59, 1)
    (rej,) = read_jsonl(tmp_path / "two" / "rejects.jsonl")
    assert rej["index"] == 37


def test_fake_record_tag_in_a_comment_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = small(60)
    recs[30] = b"<!-- was: <tmk:Trademark> <com:ApplicationNumberText>x -->\n" + recs[30]
    src = tmp_path / "c.xml"
    write_bulk(src, recs)
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split[0] >= 2 and one.records == 60
    (said,) = notices(two)
    assert "converted by one worker" in said


def test_cdata_hiding_a_record_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = small(60)
    # a record whose text holds a whole fake record in CDATA, on a split point or not
    recs[20] = recs[20].replace(b"Trademark</tmk:MarkCategory>", b"<![CDATA[ <tmk:Trademark> ]]></tmk:MarkCategory>")
    src = tmp_path / "d.xml"
    write_bulk(src, recs)
    one, two, _split = convert_both(tmp_path, monkeypatch, src)
    assert one.records + one.rejects == 60
    assert any("converted by one worker" in n for n in notices(two))


def test_prefixes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmk = b'xmlns:t2="http://www.wipo.int/standards/XMLSchema/ST96/Trademark"'
    recs = small(60)
    # records that bind their own prefix to the records' namespace split like the others
    for i in (5, 33, 47):
        recs[i] = (
            recs[i]
            .replace(b"<tmk:Trademark>", b"<t2:Trademark " + tmk + b">")
            .replace(b"</tmk:Trademark>", b"</t2:Trademark>")
        )
    src = tmp_path / "p.xml"
    write_bulk(src, recs)
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split[0] >= 2 and notices(two) == [] and one.records == 60

    # the usual prefix bound to another namespace on one element: not a record; the bytes lie
    recs[40] = recs[40].replace(b"<tmk:Trademark>", b'<tmk:Trademark xmlns:tmk="urn:other">')
    src2 = tmp_path / "q.xml"
    write_bulk(src2, recs)
    one, two, split = convert_both(tmp_path / "2", monkeypatch, src2)
    assert any("converted by one worker" in n for n in notices(two))


def test_non_record_content_between_records_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = small(60)
    recs[31] = b"<!-- a comment in the bag -->\n" + recs[31]
    src = tmp_path / "n.xml"
    write_bulk(src, recs)
    one, two, _split = convert_both(tmp_path, monkeypatch, src)
    assert one.records == 60
    assert any("not a record" in n for n in notices(two))


def test_a_second_bag_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = small(60)
    recs[29] += b"\n</tmk:TrademarkBag>\n<tmk:TrademarkBag>"  # the rest of the document holds two bags
    src = tmp_path / "b.xml"
    write_bulk(src, recs)
    one, two, _split = convert_both(tmp_path, monkeypatch, src)
    assert one.records == 60
    assert any("not a record" in n for n in notices(two))


def test_malformed_record_in_the_middle(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = small(60)
    recs[44] = recs[44].replace(b"</com:ApplicationNumber>", b"</com:ApplicationNumbr>")
    src = tmp_path / "m.xml"
    write_bulk(src, recs)
    one, two, _split = convert_both(tmp_path, monkeypatch, src)
    assert one.records == 44 and one.reject_codes == {"malformed-xml": 1}
    (rej,) = read_jsonl(tmp_path / "two" / "rejects.jsonl")
    assert rej["index"] == 44
    assert any("converted by one worker" in n for n in notices(two))


def test_gzip_and_small_files_are_not_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "in"
    src.mkdir()
    plain = tmp_path / "x.xml"
    write_bulk(plain, small(1000))
    (src / "z.xml.gz").write_bytes(gzip.compress(plain.read_bytes()))
    assert (src / "z.xml.gz").stat().st_size > 2000
    write_bulk(src / "tiny.xml", small(2))
    assert (src / "tiny.xml").stat().st_size < 2000
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split == [0, 0] and one.records == 1002
    (said,) = notices(two)
    assert "gzip" in said


# -- files of concatenated documents --------------------------------------------------------------


def _concatenated(tmp_path: Path, *, bad_middle: bool) -> tuple[Path, list[int]]:
    docs, first_lines, line = [], [], 1
    for d in range(3):
        path = tmp_path / f"doc{d}.xml"
        recs = small(4, start=10 * d)
        if bad_middle and d == 1:
            recs[2] = recs[2].replace(b"</com:ApplicationNumber>", b"</com:ApplicationNumbr>")
        rec_lines = write_bulk(path, recs)
        data = path.read_bytes()
        docs.append(data)
        first_lines.extend(line - 1 + n for n in rec_lines)
        line += data.count(b"\n")
    src = tmp_path / "day.xml"
    src.write_bytes(b"".join(docs))
    return src, first_lines


def test_iter_records_reads_concatenated_documents(tmp_path: Path) -> None:
    src, lines = _concatenated(tmp_path, bad_middle=False)
    recs = [r for r in iter_records(src) if r.record is not None]
    assert [r.index for r in recs] == list(range(12))
    assert [r.line for r in recs] == lines
    numbers = [r.data["trademark"]["applicationNumber"][0]["applicationNumberText"] for r in recs if r.data]
    assert numbers == [str(10 * d + i) for d in range(3) for i in range(4)]
    gz = tmp_path / "day.xml.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    assert [(r.index, r.line, r.data) for r in iter_records(gz, rest=True)] == [
        (r.index, r.line, r.data) for r in iter_records(src.read_bytes(), rest=True)
    ]
    # a fake boundary inside a comment is not one
    hidden = src.read_bytes().replace(b"<tmk:TrademarkBag>", b"<tmk:TrademarkBag><!-- <?xml version='1.0'?> -->", 1)
    assert len([r for r in iter_records(hidden) if r.record]) == 12


@pytest.mark.parametrize("block", [1, 5, 9, 64, 1000])
def test_document_boundaries_across_read_blocks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int) -> None:
    """Tokens cut by the read blocks (a declaration, a comment's end, a byte order mark) change
    nothing: the same documents, records and lines as when the whole input is one block."""
    from xml2json.bulk import documents

    src, _lines = _concatenated(tmp_path, bad_middle=False)
    data = src.read_bytes().replace(b"<tmk:TrademarkBag>", b"<tmk:TrademarkBag><!-- <?xml version='1.0'?> -->", 2)
    data = data.replace(b'<?xml version="1.0"', b'\xef\xbb\xbf<?xml version="1.0"')
    want = [(r.index, r.line, r.data) for r in iter_records(data, rest=True)]
    assert len(want) == 12 + 3
    monkeypatch.setattr(documents, "BLOCK", block)
    assert [(r.index, r.line, r.data) for r in iter_records(data, rest=True)] == want


def test_bulk_concatenated_with_a_malformed_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src, lines = _concatenated(tmp_path, bad_middle=True)
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split[0] >= 2 and any("converted by one worker" in n for n in notices(two))
    assert one.records == 4 + 2 + 4 and one.reject_codes == {"malformed-xml": 1}
    out = read_jsonl(tmp_path / "one" / "day.jsonl")
    got = [(x["index"], x["line"]) for x in out if x["record"]]
    # document 2 is cut at its record 6 (the reject's index); document 3 numbers on after it
    assert got == [(i, lines[i]) for i in (0, 1, 2, 3, 4, 5)] + [(i - 1, lines[i]) for i in (8, 9, 10, 11)]
    assert sum(1 for x in out if x["record"] is None) == 2  # the rest of documents 1 and 3
    (rej,) = read_jsonl(tmp_path / "one" / "rejects.jsonl")
    assert rej["index"] == 6 and rej["message"].startswith("document 2 of the input (from line ")
    assert lines[6] <= rej["line"] < lines[8]
    # gzip: the same records, the same reject
    gz = tmp_path / "gz"
    gz.mkdir()
    (gz / "day.xml.gz").write_bytes(gzip.compress(src.read_bytes()))
    s = run_bulk([gz / "day.xml.gz"], tmp_path / "three", records=True, jobs=1)

    def unsourced(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{k: v for k, v in x.items() if k != "source"} for x in lines]

    assert unsourced(read_jsonl(tmp_path / "three" / "day.jsonl")) == unsourced(out)
    assert s.reject_codes == {"malformed-xml": 1}


def test_concatenated_documents_split_between_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = []
    for d in range(12):
        path = tmp_path / f"doc{d}.xml"
        write_bulk(path, small(3 + d % 3, start=100 * d))
        docs.append(path.read_bytes())
    src = tmp_path / "week.xml"
    src.write_bytes(b"".join(docs[:6]) + b"\xef\xbb\xbf" + b"".join(docs[6:]))
    one, two, split = convert_both(tmp_path, monkeypatch, src)
    assert split[0] >= 2 and notices(two) == []
    assert one.records == sum(3 + d % 3 for d in range(12)) and one.rejects == 0
    out = read_jsonl(tmp_path / "two" / "week.jsonl")
    assert [x["index"] for x in out if x["record"]] == list(range(one.records))
    assert sum(1 for x in out if x["record"] is None) == 12


def test_concatenated_documents_without_records_mode(tmp_path: Path) -> None:
    src, _lines = _concatenated(tmp_path, bad_middle=False)
    s = run_bulk([src], tmp_path / "out", jobs=1)
    assert (tmp_path / "out" / "day.json").is_file()
    assert s.reject_codes == {"several-documents": 2}


def test_iter_records_raises_at_a_malformed_later_document(tmp_path: Path) -> None:
    src, lines = _concatenated(tmp_path, bad_middle=True)
    got = []
    with pytest.raises(MalformedXMLError) as info:
        for r in iter_records(src):
            got.append(r.index)
    assert got == [0, 1, 2, 3, 4, 5]  # document 1, then document 2 up to its malformed record
    assert lines[6] <= info.value.issues[0].line < lines[8]  # a line of the whole file


# -- kill and resume ------------------------------------------------------------------------------


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "XML2JSON_CHUNK_BYTES": "2000",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }


@pytest.mark.shared
@pytest.mark.slow
def test_kill_a_split_file_then_resume_equals_uninterrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    recs = uspto_records()
    batch = [numbered(recs[k % len(recs)], k) for k in range(600)]
    batch[300] = batch[300].replace(
        b"</ns2:Trademark>", b"<ns1:RegistrationOfficeCode>US</ns1:RegistrationOfficeCode></ns2:Trademark>", 1
    )
    src = tmp_path / "in"
    src.mkdir()
    write_bulk(src / "big.xml", batch)
    monkeypatch.setenv("XML2JSON_CHUNK_BYTES", "2000")
    ref = tmp_path / "ref"
    s = run_bulk([src], ref, records=True, jobs=2)
    assert s.rejects == 1
    reference = tree_bytes(ref)

    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "xml2json", "bulk", str(src), "-o", str(out), "--records"]
    cmd += ["--jobs", "2", "--progress", "none"]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        parts = out / ".xml2json" / "chunks" / "big"
        while proc.poll() is None and time.monotonic() < deadline:
            if parts.is_dir() and any(p.suffix == ".jsonl" for p in parts.iterdir()):
                break
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.communicate(timeout=30)
    assert not (out / "big.jsonl").exists(), "the run was not interrupted before the file was joined"
    again = subprocess.run([*cmd, "--resume"], env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 1, again.stderr
    assert tree_bytes(out) == reference
    assert not list(out.rglob("*.part"))


@pytest.mark.slow
def test_dask_engine_splits_a_big_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        pytest.skip('the Dask engine needs the optional extra: pip install "xml2json[dask]"')
    src = tmp_path / "bag.xml"
    write_bulk(src, small(200))
    monkeypatch.setenv("XML2JSON_CHUNK_BYTES", "4000")
    split = spy_on_splitting(monkeypatch)
    run_bulk([src], tmp_path / "local", records=True, jobs=1)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None) as c,
        Client(c) as client,
    ):
        s = run_bulk([src], tmp_path / "dask", records=True, engine="dask", client=client)
    assert split and split[0] >= 2 and s.records == 200
    assert tree_bytes(tmp_path / "dask") == tree_bytes(tmp_path / "local")

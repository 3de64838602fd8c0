"""Benchmark corpora, built at run time from the shared reference samples (never stored in the repo).

Everything is written under ``benchmarks/_corpus/`` (gitignored). The shared folder is
``$XML2JSON_SHARED`` or ``<repo>/../shared``.

* ``bulk-<MB>.xml`` — one ``tmk:TrademarkTransaction`` document whose ``TrademarkBag`` holds
  thousands of real trademark records: the ``Trademark`` subtrees of the four current USPTO
  TSDR files and of WIPO's V6_0 TrademarkApplication example, in turn, each copy with its own
  application number. Records keep the prefixes and the extension content of their producer.
* ``slice-<MB>.xml`` — the same kind of document, small, for the slow peers (xmlschema).
* ``records-<N>.zip`` — N one-record ``TrademarkTransaction`` documents.
* ``concat-<N>.xml`` — N whole USPTO TSDR documents (each a one-record
  ``TrademarkTransaction`` with its own ``<?xml …?>`` declaration, as the TSDR service returns
  them) written one after the other into one file, each with its own application number: what
  a crawler of the service typically saves.
* the single WIPO V6_0 example documents are read in place from the shared folder.
"""

from __future__ import annotations

import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
CORPUS = HERE / "_corpus"

TMK = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
RECORD_TAG = f"{{{TMK}}}Trademark"
#: Depth of the record element in the bulk document (the root is 1), for xmltodict's item_depth.
RECORD_DEPTH = 6

_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<tmk:TrademarkTransaction xmlns:tmk="' + TMK.encode() + b'" xmlns:com="' + COM.encode() + b'"'
    b' com:st96Version="V6_0">\n'
    b'<tmk:TrademarkTransactionBody com:st96Version="V6_0">\n'
    b'<tmk:TransactionContentBag com:st96Version="V6_0">\n'
    b"<com:TransactionIdentifier>xml2json-benchmark</com:TransactionIdentifier>\n"
    b"<com:TransactionCategory>Trademark list</com:TransactionCategory>\n"
    b"<com:TransactionSubCode>records</com:TransactionSubCode>\n"
    b'<tmk:TransactionData com:st96Version="V6_0">\n<tmk:TrademarkBag>\n'
)
_TAIL = (
    b"\n</tmk:TrademarkBag>\n</tmk:TransactionData>\n</tmk:TransactionContentBag>\n"
    b"</tmk:TrademarkTransactionBody>\n</tmk:TrademarkTransaction>\n"
)
_MARK = "@@APPNO@@"


def shared_dir() -> Path:
    return Path(os.environ.get("XML2JSON_SHARED") or REPO.parent / "shared").resolve()


def sample_files() -> list[Path]:
    base = shared_dir() / "st96-samples"
    uspto = sorted(p for p in (base / "uspto-tsdr-plumage").glob("*-ST96.xml") if not p.name.endswith("-old.xml"))
    return [*uspto, base / "wipo-annex-vii-V6_0" / "TrademarkApplication_Example.xml"]


def single_documents() -> dict[str, Path]:
    base = shared_dir() / "st96-samples" / "wipo-annex-vii-V6_0"
    return {p.stem.replace("_Example", ""): p for p in sorted(base.glob("*_Example.xml"))}


def xsd_dir() -> Path:
    return shared_dir() / "st96" / "V6_0_Flattened"


@dataclass
class Template:
    name: str
    head: bytes  # record text before the application number
    tail: bytes  # after it


def templates() -> list[Template]:
    """The ``Trademark`` record of each sample, split at its application number."""
    out = []
    for path in sample_files():
        root = etree.parse(str(path)).getroot()
        rec = root.find(f".//{{{TMK}}}TrademarkBag/{{{TMK}}}Trademark")
        if rec is None:
            raise SystemExit(f"no tmk:TrademarkBag/tmk:Trademark in {path}")
        num = rec.find(f"{{{COM}}}ApplicationNumber/{{{COM}}}ApplicationNumberText")
        if num is None:
            raise SystemExit(f"no com:ApplicationNumber/com:ApplicationNumberText in {path}")
        num.text = _MARK
        text = etree.tostring(rec, encoding="UTF-8", with_tail=False)
        if text.startswith(b"<?xml"):
            text = text.split(b"?>", 1)[1].lstrip()
        head, tail = text.split(_MARK.encode())
        out.append(Template(path.name, head, tail))
    return out


def _records(tps: list[Template], start: int = 0):  # type: ignore[no-untyped-def]
    i = start
    while True:
        t = tps[i % len(tps)]
        yield t.head + b"%08d" % (80000000 + i) + t.tail
        i += 1


def write_bulk(path: Path, target_bytes: int, *, start: int = 0) -> tuple[int, int]:
    """Write a bulk document of at least *target_bytes*; returns (bytes, records)."""
    if path.exists() and path.with_suffix(".count").exists():
        n = int(path.with_suffix(".count").read_text())
        return path.stat().st_size, n
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    n = size = 0
    with open(tmp, "wb") as fh:
        fh.write(_HEAD)
        size += len(_HEAD)
        for rec in _records(templates(), start):
            if size >= target_bytes:
                break
            if n:
                fh.write(b"\n")
            fh.write(rec)
            size += len(rec) + 1
            n += 1
        fh.write(_TAIL)
    tmp.replace(path)
    path.with_suffix(".count").write_text(str(n))
    return path.stat().st_size, n


def write_parts(folder: Path, parts: int, part_bytes: int) -> tuple[int, int]:
    """*parts* bulk documents of *part_bytes* each in *folder* (for ``--jobs`` scaling)."""
    total = records = 0
    for i in range(parts):
        b, n = write_bulk(folder / f"part-{i}.xml", part_bytes, start=(i + 1) * 10_000_000)
        total += b
        records += n
    return total, records


def one_record_document(rec: bytes) -> bytes:
    return _HEAD + rec + _TAIL


def write_zip(path: Path, members: int) -> tuple[int, int]:
    """A zip of *members* one-record documents; returns (uncompressed bytes, members)."""
    if path.exists():
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
        return sum(i.file_size for i in infos), len(infos)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    total = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        gen = _records(templates(), start=1_000_000)
        for i in range(members):
            doc = one_record_document(next(gen))
            zf.writestr(f"records/tm-{i:06d}.xml", doc)
            total += len(doc)
    tmp.replace(path)
    return total, members


_APPNO = re.compile(rb"(ApplicationNumberText>)[^<]*(<)")


def tsdr_documents() -> list[bytes]:
    """The current USPTO TSDR documents of the shared samples, whole (declaration included)."""
    return [p.read_bytes() for p in sample_files() if p.parent.name == "uspto-tsdr-plumage"]


def write_concatenated(path: Path, documents: int) -> tuple[int, int]:
    """*documents* whole TSDR documents, one after the other in one file (a newline between
    them), the first application number of each replaced by a unique one; returns (bytes,
    documents)."""
    if path.exists():
        return path.stat().st_size, documents
    path.parent.mkdir(parents=True, exist_ok=True)
    docs = tsdr_documents()
    if not docs:
        raise SystemExit("no USPTO TSDR documents in the shared samples")
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as fh:
        for i in range(documents):
            doc, k = _APPNO.subn(rb"\g<1>%08d\g<2>" % (90_000_000 + i), docs[i % len(docs)], count=1)
            if k != 1:
                raise SystemExit("a TSDR document without com:ApplicationNumberText")
            fh.write(doc.rstrip(b"\r\n") + b"\n")
    tmp.replace(path)
    return path.stat().st_size, documents


def zip_documents(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as zf:
        return [zf.read(i) for i in zf.infolist()]


@dataclass
class Corpus:
    bulk: Path
    bulk_records: int
    bulk2: Path | None
    bulk2_records: int
    slice: Path
    slice_records: int
    parts: Path
    parts_records: int
    zip: Path
    zip_members: int
    concat: Path
    concat_documents: int

    def size(self, name: str) -> int:
        p = getattr(self, name)
        if p is None:
            return 0
        if p.is_dir():
            return sum(f.stat().st_size for f in p.glob("*.xml"))
        if p.suffix == ".zip":
            return write_zip(p, 0)[0]
        return int(p.stat().st_size)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for k, v in self.__dict__.items():
            out[k] = str(v) if isinstance(v, Path) else v
        for k in ("bulk", "bulk2", "slice", "parts", "zip", "concat"):
            out[k + "_bytes"] = self.size(k)
        return out


def build(*, quick: bool) -> Corpus:
    CORPUS.mkdir(parents=True, exist_ok=True)
    mb = 1_000_000
    if quick:
        bulk, bulk2, slice_, parts, members, concat = 20 * mb, 0, 1 * mb, 5 * mb, 100, 200
    else:
        bulk, bulk2, slice_, parts, members, concat = 220 * mb, 440 * mb, 8 * mb, 40 * mb, 1000, 1000
    b = CORPUS / f"bulk-{bulk // mb}MB.xml"
    _, bn = write_bulk(b, bulk)
    b2 = None
    b2n = 0
    if bulk2:
        b2 = CORPUS / f"bulk-{bulk2 // mb}MB.xml"
        _, b2n = write_bulk(b2, bulk2)
    s = CORPUS / f"slice-{slice_ // mb}MB.xml"
    _, sn = write_bulk(s, slice_)
    pf = CORPUS / f"parts-4x{parts // mb}MB"
    _, pn = write_parts(pf, 4, parts)
    z = CORPUS / f"records-{members}.zip"
    _, zn = write_zip(z, members)
    cc = CORPUS / f"concat-{concat}.xml"
    _, cn = write_concatenated(cc, concat)
    return Corpus(b, bn, b2, b2n, s, sn, pf, pn, z, zn, cc, cn)


if __name__ == "__main__":
    import sys

    c = build(quick="--quick" in sys.argv)
    print(c.to_dict())

"""One big document on all cores: record-aligned chunks of a bag-style file (docs/bulk.md,
"One big file on all cores").

Planning (main process, :func:`split_task`): a large, uncompressed file in records mode is read
up to its first record with the library's DOCTYPE gate and a pull parser (which gives the plan,
the record layout, the records' parent — the *container* — and the end tags of its ancestors),
then its BYTES are scanned once (``bytes.find``, no parse) for the start tags of the container's
records as written (``<P:Name`` for every prefix P bound to the records' namespace so far),
counting records and newlines. A chunk is cut at the first record start after each of evenly
spaced offsets and handed to the engine as soon as the scan has passed its end
(:class:`Chunk`: byte range, the number of its first record, its record count, the newlines
before it).

A worker (:func:`.worker.run_chunk`, with the other worker-side code) parses the document's own
bytes up to the first record, newlines for the lines skipped, an empty copy of the record before the
chunk, the chunk's bytes and the end tags of the ancestors (the last chunk runs to the end of the
file instead and also yields the rest of the document) with the same safe parser and record loop as
the serial path. The real head bytes carry the exact namespace declarations and attributes; the
newlines make libxml2 count the same lines as in the whole file; the empty copy gives the first
record the same preceding sibling as in the serial run (issue paths count siblings). The chunk is
only accepted if it was a clean sequence of records: it parsed, it held exactly the records the byte
scan counted, and (except the last) nothing else in the container. Otherwise — a fake start tag in a
comment or CDATA section (the chunk that holds the comment's start then ends inside it), a prefix
bound to another namespace, non-record content between records, malformed XML — the whole document
is converted serially instead, and the run says so. The main process joins the chunks' parts in
order (:func:`join`), so the outputs equal those of one job, byte for byte."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from lxml import etree

from ..api import Converter
from ..errors import Xml2JsonError
from ..io import AtomicFile
from ..policy import VERSION_ATTRIBUTE
from ..safe import GZIP_MAGIC, _plain_prolog, parser_options, read_root
from .inputs import Chunk, Task
from .layout import local_name, record_layout
from .quality import merged
from .runtime import CHUNK_DIR, STATE_DIR, RunConfig, TaskResult, rejects_path
from .worker import chunk_dir

#: Files smaller than this are never split: a chunk must be large enough that its fixed costs (a
#: task, reading the head again, a part file joined by the main process) stay small against the
#: conversion of its records (~20 MB/s per core), and small files are quick anyway. The
#: environment variable ``XML2JSON_CHUNK_BYTES`` sets another value (tests use a tiny one).
CHUNK_BYTES = 24 * 1024 * 1024
#: Chunks per worker: a few, so that a slow chunk does not leave the other workers idle.
CHUNKS_PER_JOB = 3
#: The part before the first record is parsed again by every chunk: larger, the file is not split.
MAX_HEAD = 1024 * 1024
#: Bytes read at a time when scanning.
SCAN_BLOCK = 1024 * 1024
#: The folder (under the output folder's state folder) of the chunks' parts.

_BOM = b"\xef\xbb\xbf"
_BLANK_TO_SPACE = bytes.maketrans(b"\t\r\n", b"   ")
_DELIMS = frozenset(b" \t\r\n/>")
_OVERLAP = 512
_NAME_CHARS = re.compile(rb"[A-Za-z0-9._\-\x80-\xff]*$")
_START_TAG = re.compile(rb"""<[^\s/>]+(?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*\s*/?>""")


def chunk_threshold() -> int:
    value = os.environ.get("XML2JSON_CHUNK_BYTES")
    return int(value) if value and value.isdigit() else CHUNK_BYTES


# -- planning ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Head:
    container: tuple[str, ...]
    sizes: tuple[int, ...]  # children of each ancestor (root to container) before the first record
    closers: bytes
    ns: str  # the records' namespace
    names: frozenset[bytes]  # local names of the container's records in that namespace
    prefixes: frozenset[bytes]  # prefixes bound to ns in the head (b"" for a default namespace)


def _read_head(path: str, conv: Converter) -> _Head | str | None:
    """Parse up to the first record. None: not a case for splitting (the serial path reports
    any problem); a string: why this document cannot be split."""
    limits = conv.options.limits
    with open(path, "rb") as fh:
        try:
            tag, attrib, head = read_root(fh, limits)
            plan, doc, _warnings = conv.select(tag, attrib.get(VERSION_ATTRIBUTE))
        except Xml2JsonError:
            return None
        if not _plain_prolog(head):
            return "its encoding is not UTF-8"
        layout = record_layout(plan, doc)
        if not layout.streaming:
            return "the whole document is one record"
        fh.seek(0)
        parser = etree.XMLPullParser(events=("start", "end", "comment", "pi"), **parser_options(limits))
        stack: list[str] = []
        counts: list[int] = []
        read = 0
        broken = False
        try:
            while read < MAX_HEAD + 4096:
                block = fh.read(4096)  # small: a fault further on must not stop the search
                if not block:
                    return "it holds no record"
                read += len(block)
                try:
                    parser.feed(block)
                except etree.XMLSyntaxError:
                    broken = True  # the events before the fault still count
                for ev, found in parser.read_events():
                    el: Any = found
                    if ev == "end":
                        stack.pop()
                        counts.pop()
                        continue
                    if counts:  # the children of each open element so far (the tree runs ahead)
                        counts[-1] += 1
                    if ev != "start":
                        continue
                    stack.append(el.tag)
                    counts.append(0)
                    where = tuple(stack)
                    if where not in layout.specs:
                        continue
                    container = where[:-1]
                    ns = el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else ""
                    names = frozenset(
                        local_name(p[-1]).encode()
                        for p in layout.specs
                        if p[:-1] == container and p[-1].startswith("{" + ns + "}" if ns else "")
                    )
                    closers = b""
                    node = el.getparent()
                    while node is not None:
                        name = local_name(node.tag)
                        closers += f"</{node.prefix}:{name}>".encode() if node.prefix else f"</{name}>".encode()
                        node = node.getparent()
                    sizes = counts[:-1]
                    sizes[-1] -= 1  # the first record itself
                    prefixes = frozenset((p or "").encode() for p, uri in el.getparent().nsmap.items() if uri == ns) | {
                        (el.prefix or "").encode()
                    }
                    return _Head(container, tuple(sizes), closers, ns, names, prefixes)
                if broken:
                    return None
        except etree.XMLSyntaxError:
            return None
    return f"its part before the first record is larger than {MAX_HEAD} bytes"


def _scan(path: str, head: _Head) -> Iterator[tuple[int, int, bool]]:
    """One pass over the bytes, yielding ``(position, newlines before it, False)`` of every record
    start tag ``<P:Name`` in order, P a prefix bound to the records' namespace in a declaration
    seen so far (a declaration precedes, or is in, the start tag that uses it), and ``(position,
    newlines before it, True)`` of every XML declaration after the start (another document of a
    file of concatenated documents; one in a comment makes a chunk fail, and the file falls back)."""
    uri = head.ns.encode()
    declared: set[bytes] = set(head.prefixes)
    carry = b""
    base = 0  # file offset of carry[0]
    lo = 0  # hits before this index of buf were taken in the previous round
    lines = 0  # newlines before buf[lo]
    with open(path, "rb") as fh:
        while True:
            block = fh.read(SCAN_BLOCK)
            buf = carry + block
            # a hit is taken in the round where its "<" lies in [lo, limit); the bytes from
            # limit - _OVERLAP on are looked at again with the next block
            limit = len(buf) if not block else max(lo, len(buf) - _OVERLAP)
            i = buf.find(uri)
            while i >= 0:  # the prefixes bound to the records' namespace
                quote = buf[i - 1 : i]
                if quote in (b'"', b"'") and buf[i + len(uri) : i + len(uri) + 1] == quote:
                    eq = buf.rfind(b"xmlns", max(0, i - 200), i)
                    if eq >= 0:
                        decl = buf[eq : i - 1].rstrip(b" \t\r\n=")
                        declared.add(decl[6:] if decl.startswith(b"xmlns:") else b"")
                i = buf.find(uri, i + 1)
            hits: list[int] = []
            for name in head.names:  # the bare name: one pass finds it with any prefix
                k = len(name)
                i = buf.find(name, max(1, lo))
                while i >= 0:
                    after = buf[i + k : i + k + 1]
                    before = buf[i - 1]
                    if after and after[0] in _DELIMS and (before == 0x3A or before == 0x3C):  # ":" or "<"
                        if before == 0x3C:  # "<Name": no prefix
                            at, prefix = i - 1, b""
                        else:
                            at = buf.rfind(b"<", max(0, i - 128), i)
                            ok = at >= 0 and _NAME_CHARS.match(buf, at + 1, i - 1) and buf[at + 1 : at + 2] != b"/"
                            prefix = buf[at + 1 : i - 1] if ok else b"\0"
                        if lo <= at < limit and prefix in declared:
                            hits.append(at)
                    i = buf.find(name, i + 1)
            events = [(at, False) for at in hits]
            i = buf.find(b"<?xml", max(lo, 4 - base))
            while 0 <= i < limit:  # another document starts (at its byte order mark, if any)
                events.append((i - 3 if i >= 3 and buf[i - 3 : i] == _BOM else i, True))
                i = buf.find(b"<?xml", i + 5)
            events.sort()
            pos = lo
            for at, doc in events:
                lines += buf.count(b"\n", pos, at)
                pos = at
                yield base + at, lines, doc
            lines += buf.count(b"\n", pos, limit)
            if not block:
                return
            cut = max(0, limit - _OVERLAP)
            carry = buf[cut:]
            base += cut
            lo = limit - cut


def _stand_in(fh: Any, pos: int) -> bytes | None:
    """The start tag at *pos* as an empty element on one line (see :func:`run_chunk`)."""
    fh.seek(pos)
    m = _START_TAG.match(fh.read(65536))
    if m is None:
        return None
    tag = m.group(0)
    tag = tag[:-2] if tag.endswith(b"/>") else tag[:-1]
    return tag.translate(_BLANK_TO_SPACE) + b"/>"


def split_task(
    task: Task, conv: Converter, parts: int, threshold: int, note: Callable[[str], None]
) -> Iterator[Task] | None:
    """The chunks of *task*, made while the bytes are scanned (so that the workers start on the
    first chunks while the main process scans on), or None when it stays one task (*note* is told
    why, for a large file)."""
    if task.kind != "file" or task.size < threshold or parts < 2:
        return None
    try:
        with open(task.path, "rb") as fh:
            if fh.read(2) == GZIP_MAGIC:
                note("a gzip stream cannot be split (it is read from its start)")
                return None
        head = _read_head(task.path, conv)
    except OSError:
        return None
    if head is None or isinstance(head, str):
        if head:
            note(head)
        return None
    return _chunks(task, head, parts, note, conv.options.limits.max_document_bytes)


def _chunks(task: Task, head: _Head, parts: int, note: Callable[[str], None], limit: int) -> Iterator[Task]:
    """Cut at record starts; or, in a file of concatenated documents, at document starts: each
    chunk is then a run of whole documents (from the first document on when the second starts
    before the first cut; else the record-aligned chunks of the first document end where the
    second starts, and runs of whole documents follow). A file larger than the document size
    *limit* is only cut between documents (each is checked against the limit when read; one
    document over it is rejected by the serial path, as with one job)."""
    by_records = task.size <= limit
    targets = [task.size * k // parts for k in range(1, parts)]
    count = 0  # records so far
    number = 0  # chunks made so far
    first = head_lines = 0
    start = base = start_lines = 0
    previous = b""  # the stand-in for the record before the current chunk
    last_at = -1
    docs = -1  # in a file of several documents: the documents before the current chunk
    seen = 1  # documents started so far
    with open(task.path, "rb") as fh:
        for at, lines, doc in _scan(task.path, head):
            if doc:
                if not number and docs < 0:  # several documents: cut between them
                    docs, start, base, start_lines = 0, 0, 0, 0
                elif docs < 0:  # after record-aligned cuts: the last of them ends with the document
                    chunk = Chunk(
                        number,
                        False,
                        first,
                        start,
                        at,
                        start_lines - head_lines,
                        b"",
                        base,
                        count - base,
                        head.container,
                        head.sizes,
                        previous,
                        to_end=True,
                    )
                    yield replace(task, chunk=chunk, size=at - start)
                    number += 1
                    start, base, start_lines, docs = at, count, lines, seen
                    while targets and targets[0] <= at:
                        targets.pop(0)
                    seen += 1
                    continue
                if docs >= 0 and targets and at >= targets[0]:
                    chunk = Chunk(
                        number, False, 0, start, at, 0, b"", base, count - base, (), (), b"", docs, start_lines
                    )
                    yield replace(task, chunk=chunk, size=at - start)
                    number += 1
                    start, base, start_lines, docs = at, count, lines, seen
                    while targets and targets[0] <= at:
                        targets.pop(0)
                seen += 1
                continue
            if not count and docs < 0:
                first, head_lines, start, start_lines = at, lines, at, lines
                if first > MAX_HEAD:
                    note(f"its part before the first record is larger than {MAX_HEAD} bytes")
                    yield task
                    return
            elif docs < 0 and by_records and targets and at >= targets[0]:
                chunk = Chunk(
                    number,
                    False,
                    first,
                    start,
                    at,
                    start_lines - head_lines,
                    head.closers,
                    base,
                    count - base,
                    head.container,
                    head.sizes,
                    previous,
                )
                yield replace(task, chunk=chunk, size=at - start)
                number += 1
                stand_in = _stand_in(fh, last_at)
                if stand_in is None:  # cannot happen for a real start tag shorter than 64 KB
                    raise OSError("a record's start tag is longer than 64 KB")
                previous = stand_in
                start, base, start_lines = at, count, lines
                while targets and targets[0] <= at:
                    targets.pop(0)
            last_at = at
            count += 1
    if not count or not number:
        yield task  # no record found; several documents too few to cut between; or not cut at all
        return
    if docs >= 0:
        chunk = Chunk(number, True, 0, start, -1, 0, b"", base, count - base, (), (), b"", docs, start_lines)
    else:
        chunk = Chunk(
            number,
            True,
            first,
            start,
            -1,
            start_lines - head_lines,
            b"",
            base,
            count - base,
            head.container,
            head.sizes,
            previous,
        )
    yield replace(task, chunk=chunk, size=task.size - start)


# -- joining, in the main process ----------------------------------------------------------------


def join(task: Task, results: list[TaskResult], cfg: RunConfig) -> TaskResult:
    """The result of the whole file from its chunks' results: the parts joined in order into the
    final partition and rejects (atomically), the counts added up."""
    out = Path(cfg.out_dir)
    folder = chunk_dir(out, task.key)
    res = TaskResult(task.index, task.key, bytes=task.size)
    codes: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    part = AtomicFile(out / (task.key + ".jsonl"), durable=cfg.durable)
    rejects = AtomicFile(rejects_path(out, task.key), durable=cfg.durable)
    try:
        if any(r.quality is not None for r in results):  # in chunk order: examples as one worker finds them
            res.quality = merged(r.quality for r in results)
        for r in results:
            res.docs += r.docs
            res.records += r.records
            res.rejects += r.rejects
            codes.update(r.reject_codes)
            warnings.update(r.warnings)
        for n in range(len(results)):
            for name, dest in ((f"{n:05d}.jsonl", part), (f"{n:05d}.rejects.jsonl", rejects)):
                with open(folder / name, "rb") as src:
                    while data := src.read(1 << 20):
                        dest.write(data)
        size = part.commit()
        if size is not None:
            res.outputs.append((task.key + ".jsonl", size))
        rejects.commit()
    except BaseException:
        part.abort()
        rejects.abort()
        raise
    remove_chunks(out, task.key)
    res.reject_codes = dict(codes)
    res.warnings = dict(warnings)
    return res


def remove_chunks(out: Path, key: str | None = None) -> None:
    """The chunks' parts of one file (of every file without *key*)."""
    target = chunk_dir(out, key) if key is not None else out / STATE_DIR / CHUNK_DIR
    with contextlib.suppress(OSError):
        shutil.rmtree(target)


def prune_chunks(out: Path) -> None:
    """Remove the chunks' folder when it is empty (every split file joined), with the empty
    folders of nested keys in it: a run that split a file leaves the same output folder as one
    that did not. Called once the run's tasks are all done (a worker may otherwise be creating
    its file's folder in it)."""
    root = out / STATE_DIR / CHUNK_DIR
    if not root.is_dir():
        return
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty
    with contextlib.suppress(OSError):
        root.rmdir()

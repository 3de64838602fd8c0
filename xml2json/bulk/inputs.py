"""Turning command-line inputs into units of work, and opening them safely.

Inputs are files, folders (recursive), glob patterns, ``.zip`` files, ``.gz``
files and ``-`` (standard input), mixed freely. Each becomes one or more
:class:`Task` objects: a file is one task; the XML members of a zip are cut
into batches of consecutive members (:data:`BATCH_MEMBERS`, :data:`BATCH_BYTES`),
one task each, so that a zip of thousands of small files spreads over all
workers. Output names mirror the input tree (docs/bulk.md, "Output layout").

Safety: zip members are never extracted to disk. :func:`xml2json.safe.safe_zip_members`
checks every member before anything is decompressed (unsafe names, symlinks,
duplicates, overlapping data, encryption, member count, declared sizes and
compression ratios against :class:`~xml2json.config.Limits`); the names of the
members that pass name their outputs in the normalised form of the same check
(:func:`xml2json.safe.check_member_name`), so no output can land outside the
output folder. Folders are walked by :func:`xml2json.io.walk_folder`, as by
``profile report``. While
reading, :func:`xml2json.safe.open_zip_member` and
:func:`xml2json.safe.bounded_gzip_reader` count every decompressed byte, so a
lying header cannot expand beyond the limits; :class:`Meter` counts bytes for
progress and throughput; the document size limit applies to each document of a file
(:mod:`.documents`).
"""

from __future__ import annotations

import glob
import os
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Limits
from ..errors import ConfigError, InputError, Issue, UnsafeXMLError, Xml2JsonError
from ..io import FOLDER_SUFFIXES, walk_folder
from ..safe import GZIP_MAGIC, ZipMember, bounded_gzip_reader, open_zip_member, safe_zip_members
from ..safe import safe_member_path as safe_member_path  # re-exported: the one check, in safe.py
from .records import Readable, reject_line

#: Members of one zip per task (more when a zip would otherwise make more than MAX_BATCHES tasks).
BATCH_MEMBERS = 100
MAX_BATCHES = 64
#: Declared uncompressed bytes of one zip task, at most (a bigger member is a task on its own).
BATCH_BYTES = 32 * 1024 * 1024

#: Names the run itself writes at the top of the output folder.
#: (``quality.json``, ``quality.html``: the data-quality report, see report.py; an input
#: ``quality.xml`` in documents mode or a folder ``quality.html/`` would take their place.)
RESERVED = frozenset({"manifest.jsonl", "rejects.jsonl", "summary.json", ".xml2json", "quality.json", "quality.html"})

ZIP_MAGIC = b"PK\x03\x04"
#: How many names of skipped files the plan (and summary.json, ``skippedNames``) keeps.
SKIPPED_NAMES = 5

#: The JSON → XML direction (``to_xml``, :mod:`.reverse`): what a folder walk takes (JSON
#: documents, JSON Lines partitions of ``bulk --records``, zips of them), and the suffixes
#: dropped from a name to make its output name (``a/b.jsonl`` → ``a/b.xml``).
JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".zip", ".json.gz", ".jsonl.gz", ".ndjson.gz")
JSON_NAME_SUFFIXES = (".jsonl", ".ndjson", ".json")
_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True, slots=True)
class Member:
    """One XML member of a zip."""

    name: str  # the name inside the zip, as stored
    offset: int  # where its local header starts: identifies it even if a name occurs twice
    source: str  # "<zip source>!<name>"
    out: str  # output path (without extension) relative to the output folder, non-record mode
    size: int  # declared uncompressed size


@dataclass(frozen=True, slots=True)
class Chunk:
    """A record-aligned part of one document (see the module docstring)."""

    number: int  # 0-based
    last: bool  # the last chunk of the document: to the end of the file, with the rest
    head: int  # the document's bytes [0, head) come first: prolog and ancestors of the records
    start: int  # the chunk's bytes [start, end); end -1: to the end of the file
    end: int
    pad: int  # newlines between the head and the chunk (lines of the skipped chunks)
    closers: bytes  # end tags of the ancestors (every chunk but the last)
    base: int  # index of the chunk's first record
    expect: int  # records in the chunk, as counted in the bytes
    container: tuple[str, ...]  # Clark tags from the root to the records' parent
    sizes: tuple[int, ...]  # children of each of those before the first record (see _clean_end)
    previous: bytes = b""  # the start tag of the record before the chunk, made empty (see run_chunk)
    documents: int = -1  # a run of whole documents of a file of several: the documents before it
    lines: int = 0  # then: the newlines before it
    to_end: bool = False  # record-aligned, and runs to its document's end (another one follows)


@dataclass(frozen=True, slots=True)
class Task:
    """One unit of work: a file, a batch of zip members, or the standard input."""

    index: int
    key: str  # unique relative path without extension: manifest key and record-mode partition name
    kind: str  # "file", "zip" or "stdin"
    path: str  # absolute path of the file, the zip, or the spooled standard input
    source: str  # the input as the user named it (relative paths stay relative)
    identity: tuple[int, int] | None  # (size, mtime_ns) of the file or zip; None: never resumed
    members: tuple[Member, ...] = ()
    size: int = 0  # bytes to read (declared uncompressed size for zip members)
    chunk: Chunk | None = None  # one record-aligned part of a large file (:mod:`.chunks`)

    @property
    def docs(self) -> int:
        if self.chunk is not None:
            return 1 if self.chunk.number == 0 else 0
        return len(self.members) if self.kind == "zip" else 1


@dataclass(slots=True)
class InputPlan:
    tasks: list[Task] = field(default_factory=list)
    rejects: list[dict[str, Any]] = field(default_factory=list)  # problems found while planning
    skipped: int = 0  # files in folders and zip members that are not inputs
    skipped_names: list[str] = field(default_factory=list)  # the first SKIPPED_NAMES of them

    def skip(self, name: str) -> None:
        self.skipped += 1
        if len(self.skipped_names) < SKIPPED_NAMES:
            self.skipped_names.append(name)


def strip_suffix(rel: str, *, to_xml: bool = False) -> str:
    """``a/b.xml.gz`` → ``a/b``; ``a/b.zip`` → ``a/b``; ``a/b.txt`` → ``a/b.txt``; with *to_xml*
    (JSON inputs) ``a/b.jsonl`` → ``a/b`` and ``a/b.json.gz`` → ``a/b``."""
    low = rel.lower()
    for suf in (".gz", ".zip"):
        if low.endswith(suf):
            rel, low = rel[: -len(suf)], low[: -len(suf)]
            break
    for name in JSON_NAME_SUFFIXES if to_xml else (".xml",):
        if low.endswith(name):
            return rel[: -len(name)]
    return rel


def _is_junk_member(path: str) -> bool:
    """macOS resource forks and hidden files that zip tools add: not documents."""
    return any(p.startswith(".") or p == "__MACOSX" for p in path.split("/"))


def _sniff(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(4)
    except OSError:
        return b""


def _identity(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_size, st.st_mtime_ns


def named_base(text: str) -> Path:
    """The path an input names: the path itself, or for a glob pattern the folder before its
    first wildcard."""
    return _glob_base(text) if _MAGIC.search(text) else Path(text)


def _glob_base(pattern: str) -> Path:
    parts = Path(pattern).parts
    base: list[str] = []
    for p in parts:
        if _MAGIC.search(p):
            break
        base.append(p)
    return Path(*base) if base else Path(".")


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path  # absolute
    source: str  # as named
    rel: str  # output path relative to the output folder, POSIX, with the input's suffix
    stdin: bool = False
    top: bool = False  # a file at the top of a folder that is walked


def _walk(
    folder: Path, display: str, rel_prefix: str, out_dir: Path, plan: InputPlan, suffixes: tuple[str, ...]
) -> Iterator[_Entry]:
    def shown(full: Path) -> str:
        rel = full.relative_to(folder).as_posix()
        return f"{display.rstrip('/')}/{rel}" if display else rel

    def skip(path: Path) -> None:
        plan.skip(shown(path))

    for full in walk_folder(folder, exclude=out_dir, skipped=skip, suffixes=suffixes):
        rel = full.relative_to(folder).as_posix()
        yield _Entry(full.resolve(), shown(full), f"{rel_prefix}/{rel}" if rel_prefix else rel, top="/" not in rel)


def _expand(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: Path,
    stdin_path: Path | None,
    plan: InputPlan,
    suffixes: tuple[str, ...] = FOLDER_SUFFIXES,
) -> list[_Entry]:
    entries: list[_Entry] = []
    for arg in inputs:
        s = os.fspath(arg)
        if s == "-":
            if stdin_path is None:
                raise ConfigError("standard input (-) is not available here", code="usage")
            entries.append(_Entry(stdin_path, "-", "stdin", stdin=True))
            continue
        p = Path(s)
        if p.is_dir():
            name = p.resolve().name
            entries.extend(_walk(p, s, name, out_dir, plan, suffixes))
        elif p.is_file():
            entries.append(_Entry(p.resolve(), s, p.name))
        elif _MAGIC.search(s):
            matches = sorted(glob.glob(s, recursive=True))
            if not matches:
                raise ConfigError(f"no input matches {s!r}", code="no-input")
            base = _glob_base(s)
            for m in matches:
                mp = Path(m)
                rel = Path(os.path.relpath(mp, base)).as_posix()
                if mp.is_dir():
                    entries.extend(_walk(mp, m, rel if rel != "." else "", out_dir, plan, suffixes))
                elif mp.is_file() and not mp.name.startswith("."):
                    entries.append(_Entry(mp.resolve(), m, rel))
        else:
            raise ConfigError(f"no such file or folder: {s}", code="no-input")
    return entries


class _Outputs:
    """Output names handed out so far: two inputs never write the same file."""

    def __init__(self) -> None:
        self.taken: dict[str, str] = {}

    def claim(self, rel: str, source: str) -> str | None:
        """Returns the source that already holds *rel* (or a reserved name), else claims it."""
        top = rel.split("/", 1)[0]
        if top in RESERVED:
            return "the run's own files"
        prev = self.taken.get(rel)
        if prev is not None:
            return prev
        self.taken[rel] = source
        return None


def _collision(source: str, rel: str, holder: str) -> dict[str, Any]:
    return reject_line(
        source,
        None,
        [
            Issue(
                "output-collision",
                f"its output {rel} is already written for {holder}; rename the input or convert it separately",
            )
        ],
    )


def plan_inputs(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: Path,
    *,
    records: bool,
    limits: Limits,
    stdin_path: Path | None = None,
    to_xml: bool = False,
) -> InputPlan:
    """Expand *inputs* into tasks (in input order), rejecting what cannot be converted safely.
    With *to_xml* the inputs are ST.97 JSON documents and JSON Lines partitions (:mod:`.reverse`):
    folders are walked for :data:`JSON_SUFFIXES`, every output is ``.xml``, and the files a bulk
    run writes beside its data (``manifest.jsonl``, ``rejects.jsonl``, ``summary.json``,
    ``quality.json``: names a forward run never gives an output at the top of its folder) are
    skipped, counted and named (:attr:`InputPlan.skipped_names`) — at the top of a folder or a zip
    that is an input, or next to a ``.xml2json`` folder."""
    plan = InputPlan()
    out_dir = out_dir.resolve()
    seen: set[Path] = set()
    outputs = _Outputs()
    keys: set[str] = set()
    for e in _expand(inputs, out_dir, stdin_path, plan, JSON_SUFFIXES if to_xml else FOLDER_SUFFIXES):
        if to_xml and e.path.name in RESERVED and (e.top or (e.path.parent / ".xml2json").is_dir()):
            plan.skip(e.source)  # the bookkeeping of the bulk run that wrote this folder, not data
            continue
        if not e.stdin:
            if e.path in seen:
                continue  # named twice (a folder and a file in it): converted once
            seen.add(e.path)
        head = b"" if e.stdin else _sniff(e.path)
        is_zip = head == ZIP_MAGIC or (e.rel.lower().endswith(".zip") and not e.stdin)
        key = strip_suffix(e.rel, to_xml=to_xml)
        if key in keys:
            plan.rejects.append(_collision(e.source, key, "another input"))
            continue
        if is_zip:
            _plan_zip(e, key, records, limits, plan, outputs, keys, to_xml=to_xml)
            continue
        out = key + (".xml" if to_xml else ".jsonl" if records else ".json")
        holder = outputs.claim(out, e.source)
        if holder is not None:
            plan.rejects.append(_collision(e.source, out, holder))
            continue
        keys.add(key)
        try:
            ident = None if e.stdin else _identity(e.path)
            size = e.path.stat().st_size
        except OSError as exc:
            plan.rejects.append(reject_line(e.source, None, [Issue("io", f"cannot read: {exc.strerror or exc}")]))
            continue
        plan.tasks.append(
            Task(len(plan.tasks), key, "stdin" if e.stdin else "file", str(e.path), e.source, ident, size=size)
        )
    return plan


def _batches(members: list[Member]) -> list[list[Member]]:
    """Consecutive members, at least :data:`BATCH_MEMBERS` per batch (more for huge zips: at most
    :data:`MAX_BATCHES` batches, since every task reads the zip's central directory again), and at
    most :data:`BATCH_BYTES` declared bytes unless a single member is larger."""
    per = max(BATCH_MEMBERS, -(-len(members) // MAX_BATCHES))
    batches: list[list[Member]] = []
    size = 0
    for m in members:
        if not batches or len(batches[-1]) >= per or (size + m.size > BATCH_BYTES and batches[-1]):
            batches.append([])
            size = 0
        batches[-1].append(m)
        size += m.size
    return batches


def _plan_zip(
    e: _Entry,
    zkey: str,
    records: bool,
    limits: Limits,
    plan: InputPlan,
    outputs: _Outputs,
    keys: set[str],
    *,
    to_xml: bool = False,
) -> None:
    def reject(source: str, issue: Issue) -> None:
        plan.rejects.append(reject_line(source, None, [issue]))

    try:
        ident = _identity(e.path)
        with zipfile.ZipFile(e.path) as zf:
            checked = safe_zip_members(zf, limits)
    except Xml2JsonError as exc:
        reject(e.source, exc.issues[0])
        return
    except (OSError, zipfile.BadZipFile, EOFError, ValueError) as exc:
        reject(e.source, Issue("malformed-zip", f"not a readable zip archive: {exc}"))
        return
    members: list[Member] = []
    for zm in checked:
        info = zm.info
        src = f"{e.source}!{info.filename}"
        safe = zm.path
        if zm.issue is not None or safe is None:
            reject(src, zm.issue or Issue("unsafe-zip-path", f"zip member {info.filename!r}: unsafe name"))
            continue
        wanted = JSON_NAME_SUFFIXES if to_xml else (".xml",)
        if _is_junk_member(safe) or not safe.lower().endswith(wanted) or (to_xml and safe in RESERVED):
            plan.skip(src)  # (a forward run's bookkeeping at the top of a zip of its output folder)
            continue
        partition = to_xml and not safe.lower().endswith(".json")  # a JSON Lines partition: no document limit
        if not records and not partition and info.file_size > limits.max_document_bytes:  # records: when read
            reject(
                src,
                Issue(
                    "limit-document-size",
                    f"{info.file_size} bytes uncompressed, more than the limit of {limits.max_document_bytes}",
                ),
            )
            continue
        out = f"{zkey}/{strip_suffix(safe, to_xml=to_xml)}"
        if not records:
            ext = ".xml" if to_xml else ".json"
            holder = outputs.claim(out + ext, src)
            if holder is not None:
                plan.rejects.append(_collision(src, out + ext, holder))
                continue
        members.append(Member(info.filename, info.header_offset, src, out, info.file_size))
    for n, batch in enumerate(_batches(members)):
        key = f"{zkey}/part-{n:05d}"
        if records:
            holder = outputs.claim(key + ".jsonl", e.source)
            if holder is not None:
                plan.rejects.append(_collision(e.source, key + ".jsonl", holder))
                return
        keys.add(key)
        plan.tasks.append(
            Task(len(plan.tasks), key, "zip", str(e.path), e.source, ident, tuple(batch), sum(m.size for m in batch))
        )


# -- reading, with every byte counted -------------------------------------------------------


class Meter:
    """A read-only binary stream that counts what it returns (progress, throughput) and, with a
    *limit*, enforces a size limit on the whole stream. Bulk inputs are opened without one: a
    file may hold several documents, and the document size limit applies to each of them
    (:class:`.documents.DocumentSplitter`); decompression limits are enforced below it by
    :mod:`xml2json.safe`'s bounded readers."""

    def __init__(
        self, raw: Readable, *, limit: int | None = None, on_read: Callable[[int], None] | None = None
    ) -> None:
        self._raw = raw
        self._limit = limit
        self._on_read = on_read
        self.count = 0

    def read(self, n: int = -1) -> bytes:
        if (n is None or n < 0) and self._limit is not None:
            n = self._limit - self.count + 1
        data = self._raw.read(n)
        k = len(data)
        self.count += k
        if self._limit is not None and self.count > self._limit:
            raise UnsafeXMLError(f"the document is larger than {self._limit} bytes", code="limit-document-size")
        if k and self._on_read is not None:
            self._on_read(k)
        return data


@contextmanager
def open_file(
    path: str | os.PathLike[str], limits: Limits, on_read: Callable[[int], None] | None = None
) -> Iterator[Meter]:
    """A file — plain, or gzip (detected from its first bytes) — as a metered XML byte stream
    (the document size limit is applied per document by the reader, :mod:`.documents`)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", code="io") from None
    if head == GZIP_MAGIC:
        with bounded_gzip_reader(path, limits) as gz:
            yield Meter(gz, on_read=on_read)
        return
    with open(path, "rb") as raw:
        yield Meter(raw, on_read=on_read)


@contextmanager
def open_member(
    zf: zipfile.ZipFile,
    member: Member,
    limits: Limits,
    infos: dict[int, zipfile.ZipInfo],
    on_read: Callable[[int], None] | None = None,
) -> Iterator[Meter]:
    """A zip member (checked when planning) as a metered XML byte stream; *infos* maps local header
    offsets to the zip's entries."""
    info = infos.get(member.offset)
    if info is None or info.filename != member.name:
        raise InputError(
            f"zip member {member.name!r} is no longer in the zip (did the zip change?)", code="malformed-zip"
        )
    with open_zip_member(zf, ZipMember(info), limits) as fh:
        yield Meter(fh, on_read=on_read)

"""JSON → ST.96 XML in bulk: the way back from ``bulk --records`` (docs/bulk.md, "JSON → XML in bulk").

Inputs are ST.97 JSON documents (``.json``: one document each, converted whole like
:meth:`xml2json.Converter.json_to_xml`) and JSON Lines partitions written by ``bulk --records``
(``.jsonl``). A partition holds, for each source document, its record lines in index order and
then — for a bag-style document — one *rest* line (``"record": null``) with everything outside
the records (:func:`xml2json.bulk.iter_records` with ``rest=True``). A document that is one
record (an application) is a single line without a rest line.

A partition is rebuilt with flat memory, never as one tree:

1. **Scan** (:func:`scan_partition`): one pass over the lines notes where each source document's
   lines start and end and where its rest line is, from the first bytes of each line
   (``{"source":…,"index":null,`` is a rest line) without parsing the records. The rest line
   comes *after* the records in the file; the scan is what lets the rebuild read it first. The
   scan also checks the order (docs/bulk.md, "The order of the lines"): record indexes strictly
   increasing within a document (a line out of it is a reject ``bulk-order``), and a rest line
   written before its records is theirs only when it is the only one of its source.
2. **Skeleton**: the rest line is written as an XML tree by the same writer as ``convert``
   (:class:`~xml2json.convert.json_to_xml.JsonToXml`), keeping every standard prefix of the plan
   declared on the root. Into each record container of the document (``TrademarkBag`` …; the
   document's record layout, :func:`xml2json.bulk.record_layout`) a processing instruction marks
   the place the schema gives each record kind (before the first child of the container that
   the schema orders after it). The tree is serialised once and cut at the marks.
3. **Records**: the record lines are read again in file (= index) order; each is written as an
   element (:meth:`JsonToXml.element`), serialised on its own and written at its mark, with the
   namespace declarations the root already makes taken off its start tag. Only one record is in
   memory at a time.

A line that is not JSON, not an envelope of this document, or whose record the writer refuses is
a reject with the partition line and the JSON pointer inside the line (``/data/trademark/…``);
the rest of the document is still written. A rest line that cannot be written rejects its
document (its records are then not written). Records of a kind whose container occurs more than
once in the document cannot be placed (the envelope does not say which container a record came
from) and are rejected ``record-container``; ``bulk --records`` output of one-container bags
(every ST.96 transaction seen so far) never meets this.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import orjson
from lxml import etree

from ..api import Converter
from ..config import Options
from ..errors import ConfigError, ConversionError, InputError, Issue, SchemaError, Xml2JsonError
from ..io import AtomicFile, loads_json
from ..plan import ELEMENT, DocumentPlan, Plan, RecordSpec, TypePlan, schema_index
from ..registry import Registry
from ..safe import GZIP_MAGIC, check_member_name
from .inputs import ZIP_MAGIC, Task, open_file, open_member
from .layout import record_layout
from .records import reject_line
from .runtime import STATE_DIR, Reporter, RunConfig, TaskResult, converter_for, issues_of, rejects_path

__all__ = ["XmlDocument", "iter_xml", "scan_partition", "write_documents"]

#: What a rejected line, record or document is reported with (callers of :func:`iter_xml`).
Reject = Callable[[dict[str, Any]], None]

_HEAD = re.compile(
    rb'\{"source":("(?:[^"\\]|\\.)*"),"index":(null|-?\d+),"line":(?:null|-?\d+),'
    rb'"document":"([^"\\]*)","st96Version":"([^"\\]*)","record":(?:null|"([^"\\]*)")'
)
#: A JSON number with a fraction or an exponent after a delimiter: such a line is parsed by the
#: exact parser (decimals keep their lexical form); every other line by orjson.
_DECIMAL = re.compile(rb"[:,\[]\s*-?\d+[.eE]")
#: A line without these escapes has no string with a control character but tab and newline
#: (JSON writes them all as ``\r``, ``\b``, ``\f`` or ``\uXXXX``): the text writer then only
#: looks for ``&``, ``<`` and ``>`` (JsonToXml.fragment's *plain*).
_CONTROL = re.compile(rb"\\[bfru]")
_ZIP_SOURCE = re.compile(r"(?i)^(.*?\.zip)!(.+)$")
PARTITION_SUFFIXES = (".jsonl", ".ndjson")


# -- pass 1: where each document's lines are ----------------------------------------------------


@dataclass(slots=True)
class Group:
    """Consecutive lines of a partition from one source document: its records and, for a
    bag-style document, its rest line (byte offsets into the partition, lines 1-based)."""

    start: int  # offset of the first line
    line: int  # its line number
    source: bytes | None  # the envelope's "source", as raw JSON; None while unknown
    end: int = -1  # offset after the last record line
    lines: int = 0  # record lines (and lines that could not be read)
    rest: int = -1  # offset of the rest line; -1: none
    rest_line: int = 0
    alone: bool = False  # a document that is one record (one line, no rest line)
    #: record lines out of index order (line → why): rejected, not written
    order: dict[int, str] = field(default_factory=dict)
    #: without a rest line: the lines of the rest lines of the same source elsewhere in the partition
    rests_elsewhere: tuple[int, ...] = ()


ORDER_RULE = (
    "a document's record lines must be in index order, followed by its rest line "
    '("record": null) — the order bulk --records writes; the record is not written'
)


class _OrderCheck:
    """The record ``index`` sequence of one group: strictly increasing (gaps are records
    rejected when the XML was read). A line that breaks it is marked in ``Group.order``; a line
    whose index is greater than the next line's while the next one fits (``0, 1, 99, 3``, or two
    swapped lines) is the one marked, not every line after it."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.last: tuple[int, int] | None = None  # (index, line) of the last record kept
        self.pending: tuple[int, int] | None = None  # (index, line) awaiting the next line

    def add(self, index: int | None, line: int) -> None:
        if index is None:
            return  # not an envelope: rejected when it is read
        if self.pending is not None:
            self._decide(self.pending, (index, line))
        self.pending = (index, line)

    def close(self) -> None:
        if self.pending is not None:
            self._decide(self.pending, None)
            self.pending = None

    def _decide(self, cur: tuple[int, int], nxt: tuple[int, int] | None) -> None:
        index, line = cur
        last = self.last
        if last is not None and index <= last[0]:
            what = "repeats the index of" if index == last[0] else f"comes after index {last[0]} on"
            self.group.order[line] = f"record index {index} {what} line {last[1]}: {ORDER_RULE}"
            return
        if nxt is not None and (last is None or nxt[0] > last[0]) and nxt[0] < index:
            self.group.order[line] = (
                f"record index {index} is greater than the index {nxt[0]} of the next record line "
                f"{nxt[1]}: {ORDER_RULE}"
            )
            return
        self.last = cur


#: Whether a line is a whole document (a document that is one record): (document, version,
#: record) → bool.
Whole = Callable[[str, str, str], bool]


def _peek(body: bytes, whole: Whole | None) -> tuple[bytes | None, bool, bool, int | None]:
    """The raw ``source`` of a line, whether it is a rest line, whether it is a whole document
    and its record ``index``, from its first bytes (the envelope's fixed key order) or, for a line
    written otherwise, by parsing it."""
    m = _HEAD.match(body)
    if m is not None:
        record = m.group(5)
        alone = whole is not None and record is not None and whole(*(x.decode() for x in m.group(3, 4, 5)))
        index = m.group(2)
        return m.group(1), index == b"null", alone, None if index == b"null" else int(index)
    try:
        obj = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None, False, False, None
    if not isinstance(obj, dict):
        return None, False, False, None
    rest = obj.get("record", "") is None and obj.get("index", "") is None
    document, version, record = (obj.get(k) for k in ("document", "st96Version", "record"))
    alone = (
        whole is not None
        and isinstance(document, str)
        and isinstance(version, str)
        and isinstance(record, str)
        and whole(document, version, record)
    )
    index = obj.get("index")
    index = index if isinstance(index, int) and not isinstance(index, bool) else None
    return orjson.dumps(obj.get("source")), rest, alone, index


def whole_documents(conv: Converter) -> Whole:
    """The :data:`Whole` test of *conv*'s compiled plans: the record is its document's root
    and the document type has no records of its own (an application)."""
    cache: dict[tuple[str, str, str], bool] = {}

    def whole(document: str, version: str, record: str) -> bool:
        key = (document, version, record)
        found = cache.get(key)
        if found is None:
            try:
                plan = conv.registry.plan(conv.options.st96_version or version)
                doc = plan.document(document)
                found = record == doc.json_root and not record_layout(plan, doc).streaming
            except Xml2JsonError:
                found = False
            cache[key] = found
        return found

    return whole


def scan_partition(fh: IO[bytes], whole: Whole | None = None) -> list[Group]:
    """One pass over a partition (from the start of *fh*): its lines grouped by source document.
    A document ends at its rest line, where the source changes, or is a line of its own
    (*whole*: a document that is one record). Record lines out of index order are noted in each
    group's ``order``. A rest line *before* its records (no record line before it, then record
    lines of the same source without a rest line of their own) is taken as theirs when it is
    the only rest line of that source in the partition; otherwise which records belong to which
    document cannot be told and those records are rejected (``bulk-no-rest``)."""
    groups: list[Group] = []
    cur: Group | None = None
    check: _OrderCheck | None = None
    off = n = 0
    for raw in fh:
        n += 1
        here = off
        off += len(raw)
        body = raw.rstrip(b"\r\n")
        if not body.strip():
            continue
        source, rest, alone, index = _peek(body, whole)
        if alone:
            if check is not None:
                check.close()
            groups.append(Group(here, n, source, end=off, lines=1, alone=True))
            cur = check = None
            continue
        if cur is not None and source is not None and cur.source is not None and source != cur.source:
            cur = None
        if cur is None:
            if check is not None:
                check.close()
            cur = Group(here, n, source, end=here)
            check = _OrderCheck(cur)
            groups.append(cur)
        elif cur.source is None:
            cur.source = source
        if rest:
            cur.rest, cur.rest_line = here, n
            if check is not None:
                check.close()
            cur = check = None
        else:
            cur.lines += 1
            cur.end = off
            if check is not None:
                check.add(index, n)
    if check is not None:
        check.close()
    return _rest_first(groups)


def _rest_first(groups: list[Group]) -> list[Group]:
    """Join a rest line written before its records to them when that is unambiguous (see
    :func:`scan_partition`); note for the other groups without a rest line where the rest lines
    of their source are."""
    rests: dict[bytes, list[int]] = {}
    for g in groups:
        if g.rest >= 0 and g.source is not None:
            rests.setdefault(g.source, []).append(g.rest_line)
    out: list[Group] = []
    i = 0
    while i < len(groups):
        g = groups[i]
        nxt = groups[i + 1] if i + 1 < len(groups) else None
        if (
            nxt is not None
            and g.rest >= 0
            and not g.lines
            and g.source is not None
            and nxt.source == g.source
            and nxt.rest < 0
            and nxt.lines
            and not nxt.alone
            and len(rests[g.source]) == 1
        ):
            nxt.rest, nxt.rest_line = g.rest, g.rest_line
            out.append(nxt)
            i += 2
            continue
        if g.rest < 0 and not g.alone and g.source is not None:
            g.rests_elsewhere = tuple(rests.get(g.source, ()))
        out.append(g)
        i += 1
    return out


def _read(fh: IO[bytes], start: int, end: int, line: int) -> Iterator[tuple[int, bytes]]:
    """(line number, line) of the bytes [start, end) of *fh*, blank lines passed over."""
    fh.seek(start)
    off = start
    while off < end:
        raw = fh.readline()
        if not raw:
            return
        off += len(raw)
        body = raw.rstrip(b"\r\n")
        if body.strip():
            yield line, body
        line += 1


# -- pass 2: the documents ----------------------------------------------------------------------


@dataclass
class XmlDocument:
    """One ST.96 XML document rebuilt from a partition (or a JSON document). Consume
    :attr:`pieces` (its bytes, XML declaration first) before asking for the next document; the
    rejects of its lines are in :attr:`rejects` once the pieces are consumed. A document that
    could not be rebuilt at all has no pieces and its reject in :attr:`rejects`."""

    source: str  # the XML source it came from (the envelope's ``source``)
    document: str
    st96_version: str
    line: int  # line of the partition where its lines start (1 for a JSON document)
    pieces: Iterator[bytes]
    rejects: list[dict[str, Any]] = field(default_factory=list)
    written: bool = True  # False: rejected as a whole
    schema_missing: bool = False
    records: int = 0  # records written so far (a document that is one record counts one)
    warnings: tuple[Issue, ...] = ()  # of a JSON document (``no-version``)


def _esc(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _issue_reject(
    label: str, line: int, issues: tuple[Issue, ...], env: dict[str, Any] | None, prefix: str = ""
) -> dict[str, Any]:
    """A reject for a line of a partition: the partition as ``source``, the line, the JSON
    pointer inside the line, and the XML source of the record."""
    env = env or {}
    first = issues[0] if issues else Issue("error", "unknown failure")
    pointer = prefix + (first.json_pointer or "") if (prefix or first.json_pointer) else None
    issues = (replace(first, line=line, json_pointer=pointer), *issues[1:])
    index = env.get("index")
    out = reject_line(
        label,
        index if isinstance(index, int) else None,
        issues,
        line=line,
        document=env.get("document") if isinstance(env.get("document"), str) else None,
        version=env.get("st96Version") if isinstance(env.get("st96Version"), str) else None,
        record=env.get("record") if isinstance(env.get("record"), str) else None,
    )
    if pointer is not None:
        out["json_pointer"] = pointer
    source = env.get("source")
    if isinstance(source, str):
        out["recordSource"] = source
    return out


class _Bad(Exception):
    def __init__(self, issues: tuple[Issue, ...], prefix: str = "", schema: bool = False) -> None:
        super().__init__(issues[0].message if issues else "")
        self.issues = issues
        self.prefix = prefix
        self.schema = schema


def _loads(raw: bytes, conv: Converter) -> Any:
    """A line's JSON: orjson, or the exact parser (:func:`xml2json.io.loads_json`) for a line
    with a decimal number (its lexical form is kept) or one orjson refuses (its error is the
    exact parser's)."""
    if _DECIMAL.search(raw) is None:
        with suppress(orjson.JSONDecodeError):
            return orjson.loads(raw)
    return loads_json(raw, conv.options.limits)


def _envelope(raw: bytes, conv: Converter) -> dict[str, Any]:
    try:
        env = _loads(raw, conv)
    except Xml2JsonError as exc:
        raise _Bad(exc.issues) from None
    if not isinstance(env, dict):
        raise _Bad((Issue("bulk-envelope", "the line is not a JSON object"),))
    for key, kinds in (("document", str), ("st96Version", str), ("data", dict)):
        if not isinstance(env.get(key), kinds):
            what = "an object" if kinds is dict else "a string"
            raise _Bad(
                (Issue("bulk-envelope", f"the line has no member {key!r} holding {what} (not a bulk --records line)"),),
                "/" + key,
            )
    if len(env["data"]) != 1:
        raise _Bad((Issue("bulk-envelope", "'data' must have exactly one member"),), "/data")
    return env


def _plan_of(env: dict[str, Any], conv: Converter) -> tuple[Plan, DocumentPlan]:
    version = conv.options.st96_version or env["st96Version"]
    try:
        plan = conv.registry.plan(version)
        return plan, plan.document(env["document"])
    except Xml2JsonError as exc:
        raise _Bad(exc.issues, "/document", schema=isinstance(exc, SchemaError)) from None


def _container_type(plan: Plan, doc: DocumentPlan, path: tuple[str, ...]) -> TypePlan | None:
    tp = doc.type
    for tag in path[1:]:
        c = tp.children.get(tag)
        if c is None:
            return None
        tp = c.type
    return tp


def _find(root: Any, path: tuple[str, ...]) -> list[Any]:
    """The elements at *path* (Clark tags from the root) in the tree of *root*."""
    found = [root] if root.tag == path[0] else []
    for tag in path[1:]:
        found = [ch for el in found for ch in el if ch.tag == tag]
    return found


@dataclass
class _Skeleton:
    parts: list[bytes]  # the document cut at its marks: parts[i] comes before mark i
    slots: dict[tuple[str, ...], int]  # record path → its mark
    refused: dict[tuple[str, ...], str]  # record path → why its records cannot be placed
    by_name: dict[str, list[RecordSpec]]  # record JSON name → its kinds
    context: Any  # a parent with the root's namespace declarations, for writing records
    lines: set[int] = field(default_factory=set)  # marks in element-only content: a record per line
    starts: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)  # tag → (as written, as wanted)


def _skeleton(root: Any, plan: Plan, doc: DocumentPlan) -> _Skeleton:
    """Mark the place of every record kind in the rest of the document and cut it there."""
    layout = record_layout(plan, doc)
    target = "xml2json-slot-" + secrets.token_hex(6)
    refused: dict[tuple[str, ...], str] = {}
    marks: dict[tuple[str, ...], Any] = {}
    element_only: set[Any] = set()  # marks whose container has element-only content
    serial = itertools.count()  # each marker's text: tells the markers apart
    by_container: dict[tuple[str, ...], list[RecordSpec]] = {}
    by_name: dict[str, list[RecordSpec]] = {}
    for spec in layout.specs.values():
        by_container.setdefault(spec.path[:-1], []).append(spec)
        by_name.setdefault(spec.json_name, []).append(spec)
    for cpath, specs in by_container.items():
        found = _find(root, cpath)
        tp = _container_type(plan, doc, cpath)
        if len(found) != 1 or tp is None:
            why = (
                f"its container {cpath[-1]} is not in the rest of the document"
                if not found or tp is None
                else f"its container {cpath[-1]} occurs {len(found)} times in the document and the line does "
                "not say which one the record belongs to"
            )
            for spec in specs:
                refused[spec.path] = why
            continue
        (container,) = found
        index = schema_index(tp)
        known = -1
        positions = []  # schema position of each existing child (an unknown one: the one before it)
        for ch in container:
            known = index.get(ch.tag, known) if isinstance(ch.tag, str) else known
            positions.append(known)
        placed: dict[int, Any] = {}
        for spec in sorted(specs, key=lambda s: index.get(s.tag, len(index))):
            at = index.get(spec.tag, len(index))
            pi = placed.get(at)
            if pi is None:
                k = next((i for i, p in enumerate(positions) if p > at), len(positions))
                pi = placed[at] = etree.ProcessingInstruction(target, str(next(serial)))
                container.insert(k + len(placed) - 1, pi)
                if tp.kind == ELEMENT:
                    element_only.add(pi)
            marks[spec.path] = pi
    # the cut points in document order: marker serial → its place among the markers
    order = {pi.text: n for n, pi in enumerate(p for p in root.iter(etree.ProcessingInstruction) if p.target == target)}
    data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    parts = re.split(rb"<\?" + target.encode() + rb" \d+\?>", data)
    slots = {path: order[pi.text] for path, pi in marks.items()}
    context = etree.Element(root.tag, nsmap=root.nsmap)
    lines = {order[pi.text] for pi in element_only}
    return _Skeleton(parts, slots, refused, by_name, context, lines)


def _record_bytes(sk: _Skeleton, el: Any) -> bytes:
    """*el* (a child of the skeleton's context) serialised without the declarations the
    document's root already makes."""
    data: bytes = etree.tostring(el, encoding="utf-8")
    starts = sk.starts.get(el.tag)
    if starts is None:
        probe = etree.SubElement(sk.context, el.tag)
        plain = etree.tostring(probe, encoding="utf-8")
        sk.context.remove(probe)
        name_end = plain.find(b" ")
        wanted = plain[:name_end] if name_end > 0 else plain[:-2]
        as_written = plain[:-2] if plain.endswith(b"/>") else plain
        starts = sk.starts[el.tag] = (as_written, wanted)
    as_written, wanted = starts
    if data.startswith(as_written) and data[len(as_written) : len(as_written) + 1] in (b" ", b">", b"/"):
        return wanted + data[len(as_written) :]
    return data  # declarations of its own before the root's: kept whole (valid, only longer)


def _spec_for(sk: _Skeleton, env: dict[str, Any]) -> RecordSpec:
    name = env.get("record")
    specs = sk.by_name.get(name) if isinstance(name, str) else None
    if not specs:
        raise _Bad((Issue("bulk-envelope", f"{name!r} is not a record of this document type"),), "/record")
    if len(specs) > 1:  # the same element in several containers: the type may tell them apart
        typed = [s for s in specs if s.type.key == env.get("type")] or specs
        placeable = [s for s in typed if s.path in sk.slots]
        specs = placeable if len(placeable) == 1 else typed
    spec = specs[0]
    if len(specs) > 1:
        raise _Bad(
            (Issue("record-container", f"{name!r} records sit in several containers; the line does not say which"),),
            "/record",
        )
    why = sk.refused.get(spec.path)
    if why is not None:
        raise _Bad((Issue("record-container", f"the record cannot be placed: {why}"),), "/record")
    return spec


def _bag_document(
    fh: IO[bytes], g: Group, label: str, conv: Converter, env: dict[str, Any], plan: Plan, doc: DocumentPlan
) -> XmlDocument:
    writer = conv.writer(plan)
    root = writer.document(env["data"], doc, keep_namespaces=True)
    sk = _skeleton(root, plan, doc)
    del root
    xdoc = XmlDocument(env.get("source") or label, doc.name, plan.version, g.line, iter(()))

    def pieces() -> Iterator[bytes]:
        parts = sk.parts
        yield parts[0]
        cur = 0
        open_line = False  # records written at a mark in element-only content: a newline closes them
        for line, raw in _read(fh, g.start, g.end, g.line):
            rec: dict[str, Any] | None = None
            try:
                rec = _envelope(raw, conv)
                why = g.order.get(line)
                if why is not None:
                    raise _Bad((Issue("bulk-order", why),), "/index")
                if rec["document"] != doc.name:
                    raise _Bad((Issue("bulk-envelope", f"a {rec['document']} line among {doc.name} lines"),))
                spec = _spec_for(sk, rec)
                ((name, value),) = rec["data"].items()
                if name != spec.json_name:
                    raise _Bad((Issue("bulk-envelope", f"'data' holds {name!r}, the line says {spec.json_name!r}"),))
                depth = len(spec.path) - 1
                text = writer.fragment(spec.tag, value, spec.type, depth, plain=_CONTROL.search(raw) is None)
                if text is not None:
                    xml = text.encode("utf-8")
                else:  # left to the tree writer (and its errors, with their JSON pointer)
                    try:
                        el = writer.element(sk.context, spec.tag, value, spec.type, depth, "/data/" + _esc(name))
                    except ConversionError as exc:
                        raise _Bad(exc.issues) from None
                    xml = _record_bytes(sk, el)
                    sk.context.remove(el)
            except _Bad as bad:
                xdoc.rejects.append(_issue_reject(label, line, bad.issues, rec, bad.prefix))
                continue
            slot = sk.slots[spec.path]
            if slot > cur:
                yield (b"\n" if open_line else b"") + b"".join(parts[cur + 1 : slot + 1])
                cur = slot
            xdoc.records += 1
            open_line = slot in sk.lines
            yield b"\n" + xml if open_line else xml
        yield (b"\n" if open_line else b"") + b"".join(parts[cur + 1 :]) + b"\n"

    xdoc.pieces = pieces()
    return xdoc


def _whole(env: dict[str, Any], label: str, line: int, conv: Converter, plan: Plan, doc: DocumentPlan) -> XmlDocument:
    """A document that is one record (an application): its line is the whole document."""
    try:
        root = conv.writer(plan).document(env["data"], doc)
    except ConversionError as exc:
        raise _Bad(exc.issues, "/data") from None
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"
    return XmlDocument(env.get("source") or label, doc.name, plan.version, line, iter((xml,)), records=1)


def _failed(label: str, line: int, bad: _Bad, env: dict[str, Any] | None, note: str = "") -> XmlDocument:
    rej = _issue_reject(label, line, bad.issues, env, bad.prefix)
    if note:
        rej["message"] += note
    env = env or {}
    return XmlDocument(
        str(env.get("source") or label),
        str(env.get("document") or ""),
        str(env.get("st96Version") or ""),
        line,
        iter(()),
        [rej],
        written=False,
        schema_missing=bad.schema,
    )


def _group_documents(fh: IO[bytes], g: Group, label: str, conv: Converter) -> Iterator[XmlDocument]:
    if g.rest >= 0:
        env: dict[str, Any] | None = None
        _, raw = next(_read(fh, g.rest, g.rest + 1, g.rest_line))
        try:
            env = _envelope(raw, conv)
            plan, doc = _plan_of(env, conv)
            try:
                yield _bag_document(fh, g, label, conv, env, plan, doc)
            except ConversionError as exc:
                raise _Bad(exc.issues, "/data") from None
        except _Bad as bad:
            note = f"; the document's {g.lines} record line(s) are not written" if g.lines else ""
            yield _failed(label, g.rest_line, bad, env, note)
        return
    for line, raw in _read(fh, g.start, g.end, g.line):  # no rest line: documents that are one record
        env = None
        try:
            env = _envelope(raw, conv)
            plan, doc = _plan_of(env, conv)
            if record_layout(plan, doc).streaming:
                raise _Bad((Issue("bulk-no-rest", _no_rest(env["document"], g)),))
            if env.get("record") != doc.json_root:
                raise _Bad((Issue("bulk-envelope", f"'record' is not {doc.json_root!r}"),), "/record")
            yield _whole(env, label, line, conv, plan, doc)
        except _Bad as bad:
            yield _failed(label, line, bad, env)


def _no_rest(document: str, g: Group) -> str:
    what = f'a {document} record without the rest of its document after it (the line with "record": null)'
    if not g.rests_elsewhere:
        return what + "; was the document rejected when it was read?"
    where = ", ".join(str(n) for n in g.rests_elsewhere[:5]) + (" …" if len(g.rests_elsewhere) > 5 else "")
    before = [n for n in g.rests_elsewhere if n < g.line]
    placed = f"before them (line {before[-1]})" if before else f"elsewhere (line {where})"
    many = (
        f"; the partition holds {len(g.rests_elsewhere)} rest lines of this source (lines {where}), so which "
        "records belong to which document cannot be told"
        if len(g.rests_elsewhere) > 1
        else ""
    )
    return f"{what}: the rest line of this source is {placed}{many}; {ORDER_RULE.rsplit(';', 1)[0]}"


def partition_documents(fh: IO[bytes], label: str, conv: Converter) -> Iterator[XmlDocument]:
    """The documents of the partition *fh* (seekable, binary), in the order of their lines."""
    fh.seek(0)
    for g in scan_partition(fh, whole_documents(conv)):
        yield from _group_documents(fh, g, label, conv)


def json_document(data: bytes, label: str, conv: Converter) -> XmlDocument:
    """One ST.97 JSON document (a ``.json`` input) as an :class:`XmlDocument`."""
    try:
        out = conv.json_to_xml(data)
    except Xml2JsonError as exc:
        issues = exc.issues
        if issues and issues[0].code == "malformed-json" and _HEAD.match(data) is not None:
            hint = "; it looks like JSON Lines (a bulk --records partition): rename it to .jsonl"
            issues = (replace(issues[0], message=issues[0].message + hint), *issues[1:])
        return _failed(label, 1, _Bad(issues, schema=isinstance(exc, SchemaError)), None)
    return XmlDocument(label, out.document, out.version, 1, iter((out.xml + b"\n",)), records=1, warnings=out.warnings)


def is_partition(name: str, head: bytes = b"") -> bool:
    """A JSON Lines partition (``.jsonl``, ``.ndjson``), or — for any other name but ``.json`` —
    a file whose first line is an envelope of ``bulk --records``."""
    low = name.lower()
    if low.endswith(".gz"):
        low = low[:-3]
    if low.endswith(PARTITION_SUFFIXES):
        return True
    if low.endswith(".json"):
        return False
    return _HEAD.match(head) is not None


# -- the library API ----------------------------------------------------------------------------


def iter_xml(
    source: str | os.PathLike[str],
    *,
    options: Options | None = None,
    registry: Registry | None = None,
) -> Iterator[XmlDocument]:
    """The ST.96 XML documents of a JSON Lines partition written by ``bulk --records`` (or of one
    ST.97 JSON document, ``.json``), one at a time, each as pieces of bytes, with flat memory.

    Each bag document is rebuilt from its rest line and its record lines, records in index order
    at the place the schema gives them. Lines that cannot be written are in each document's
    ``rejects`` once its pieces are consumed; a document that cannot be rebuilt comes with
    ``written`` False and its reject.

    Raises :class:`~xml2json.errors.InputError` ``not-json`` for a zip, an XML file or a gzip
    partition (:func:`xml2json.bulk.run_bulk` with ``to_xml=True`` reads zips and gzip files), and
    :class:`~xml2json.errors.ConfigError` ``usage`` when a document's pieces are read after the
    next document was asked for (``list(iter_xml(p))``): the pieces are read from the partition
    as they are consumed."""
    conv = Converter(options=options, registry=registry)
    path = Path(source)
    label = os.fspath(source)
    with open(path, "rb") as fh:
        head = fh.readline(1 << 16)
        partition = is_partition(path.name, head)
        _check_json_input(label, head, partition)
        if not partition:
            docs: Iterator[XmlDocument] = iter([json_document(_read_limited(path, conv), label, conv)])
        else:
            docs = partition_documents(fh, label, conv)
        current = [0]
        for n, doc in enumerate(docs, 1):
            current[0] = n
            doc.pieces = _one_at_a_time(doc.pieces, n, current, fh)
            yield doc
        current[0] = 0


def _check_json_input(label: str, head: bytes, partition: bool) -> None:
    """Refuse what :func:`iter_xml` cannot read with a message that says what it is."""
    if head.startswith(ZIP_MAGIC):
        raise InputError(
            f"{label} is a zip archive: iter_xml and write_documents read one JSON Lines partition or one "
            "JSON document; convert zips with run_bulk(..., to_xml=True) (xml2json bulk --to-xml)",
            code="not-json",
        )
    if partition and head.startswith(GZIP_MAGIC):  # (a gzip JSON document is read as convert reads it)
        raise InputError(
            f"{label} is a gzip-compressed partition: iter_xml and write_documents read it twice, with seeks; "
            "decompress it, or use run_bulk(..., to_xml=True), which does",
            code="not-json",
        )
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        raise InputError(
            f"{label} is XML: iter_xml and write_documents read ST.97 JSON (a bulk --records partition or a "
            "JSON document) and give XML back; read XML with iter_records or Converter.xml_to_json",
            code="not-json",
        )


def _one_at_a_time(pieces: Iterator[bytes], n: int, current: list[int], fh: IO[bytes]) -> Iterator[bytes]:
    """*pieces* of the *n*-th document, refused once the next document was asked for or the
    partition closed (the pieces are read from the partition as they are consumed)."""
    while True:
        if current[0] != n or fh.closed:
            raise ConfigError(
                f"the pieces of document {n} were read after the next document was asked for (or after "
                "iter_xml finished, as list(iter_xml(...)) does): consume each document's pieces before "
                "asking for the next one",
                code="usage",
            )
        piece = next(pieces, None)
        if piece is None:
            return
        yield piece


def _read_limited(path: Path, conv: Converter) -> bytes:
    limits = conv.options.limits
    with open_file(path, limits) as stream:
        data = stream.read(limits.max_document_bytes + 1)
    return data  # one byte over the limit: loads_json reports limit-document-size


def write_documents(
    source: str | os.PathLike[str],
    out: IO[bytes],
    *,
    options: Options | None = None,
    registry: Registry | None = None,
) -> list[dict[str, Any]]:
    """Write every document of *source* (see :func:`iter_xml`) to *out*, one after another, each
    with its XML declaration; returns the rejects (the lines of rejects.jsonl)."""
    rejects: list[dict[str, Any]] = []
    for doc in iter_xml(source, options=options, registry=registry):
        for piece in doc.pieces:
            out.write(piece)
        rejects.extend(doc.rejects)
    return rejects


# -- a task of a bulk run -------------------------------------------------------------------------


def _member_path(source: str) -> str | None:
    """The member of a ``zip!member`` source, as a safe relative path without ``.xml``."""
    m = _ZIP_SOURCE.match(source)
    if m is None:
        return None
    safe, _issue = check_member_name(m.group(2))
    if safe is None:
        return None
    low = safe.lower()
    return safe[:-4] if low.endswith(".xml") else safe


class _Outputs:
    """The output files of one partition: ``<key>.xml`` for the documents from plain files (one
    after another, as they were read), ``<key>/<member>.xml`` for the documents of each zip member
    (a member's documents are consecutive in a partition)."""

    def __init__(self, out_dir: Path, key: str, durable: bool) -> None:
        self.out_dir = out_dir
        self.key = key
        self.durable = durable
        self.open: dict[str, AtomicFile] = {}
        self.sizes: dict[str, int | None] = {}  # closed ones
        self.order: list[str] = []
        self.member: str | None = None  # the member file being written

    def file_for(self, source: str) -> AtomicFile | None:
        """The file for a document from *source*; None when that member's file was already
        closed (its lines are not consecutive)."""
        member = _member_path(source)
        rel = f"{self.key}/{member}.xml" if member is not None else f"{self.key}.xml"
        f = self.open.get(rel)
        if f is not None:
            return f
        if rel in self.sizes:
            return None
        if member is not None:
            if self.member is not None:
                self.close(self.member)
            self.member = rel
        f = self.open[rel] = AtomicFile(self.out_dir / rel, durable=self.durable)
        self.order.append(rel)
        return f

    def close(self, rel: str) -> None:
        f = self.open.pop(rel, None)
        if f is not None:
            self.sizes[rel] = f.commit()

    def commit_all(self) -> list[tuple[str, int]]:
        for rel in list(self.open):
            self.close(rel)
        return [(rel, s) for rel in self.order if (s := self.sizes.get(rel)) is not None]

    def abort_all(self) -> None:
        for f in self.open.values():
            f.abort()
        self.open.clear()


def run_reverse_task(
    task: Task, cfg: RunConfig, *, progress: Callable[[tuple[int, int, int]], None] | None = None
) -> TaskResult:
    """Convert every JSON input of *task* (a file, or a batch of zip members) to XML in the
    output folder: the worker's JSON → XML branch (:func:`.worker.run_task`)."""

    conv = converter_for(cfg)
    out_dir = Path(cfg.out_dir)
    res = TaskResult(task.index, task.key)
    codes: Counter[str] = Counter()
    warnings: Counter[str] = Counter()
    rep = Reporter(progress)
    rejects = AtomicFile(rejects_path(out_dir, task.key), durable=cfg.durable)

    def reject(line: dict[str, Any]) -> None:
        rejects.write(orjson.dumps(line) + b"\n")
        res.rejects += 1
        codes[line["code"]] += 1

    outputs: list[_Outputs] = []
    try:
        try:
            for source, key, path, spool in _inputs(task, cfg, conv):
                outs = _Outputs(out_dir, key, cfg.durable)
                outputs.append(outs)
                try:
                    size = os.path.getsize(path)
                    res.bytes += size
                    rep.read(size)
                    with open(path, "rb") as fh:
                        head = fh.readline(1 << 16)
                        partition = is_partition(source if spool is None else spool, head)
                        if partition:
                            docs: Iterator[XmlDocument] = partition_documents(fh, source, conv)
                        else:
                            docs = iter([json_document(_read_limited(Path(path), conv), source, conv)])
                        for doc in docs:
                            res.docs += 1
                            rep.docs += 1
                            _write(doc, outs, reject, source if partition else "")
                            res.records += doc.records
                            rep.records += doc.records
                            res.schema_missing |= doc.schema_missing
                            for w in doc.warnings:
                                warnings[w.code] += 1
                            rep.tick()
                except Exception as exc:
                    issues, schema = issues_of(exc)
                    res.schema_missing |= schema
                    reject(reject_line(source, None, issues))
                finally:
                    if spool is not None:
                        with suppress(OSError):
                            os.unlink(path)
                res.outputs.extend(outs.commit_all())
        except Exception as exc:  # the task's container itself (a zip that cannot be opened)
            issues, schema = issues_of(exc)
            res.schema_missing |= schema
            reject(reject_line(task.source, None, issues))
        rejects.commit()
    except BaseException:
        for outs in outputs:
            outs.abort_all()
        rejects.abort()
        raise
    rep.flush()
    res.warnings = dict(warnings)
    res.reject_codes = dict(codes)
    return res


def _write(doc: XmlDocument, outs: _Outputs, reject: Reject, label: str) -> None:
    if doc.written:
        f = outs.file_for(doc.source if label else "")
        if f is None:
            issue = Issue("bulk-order", f"lines of {doc.source} after those of another source; not written")
            reject(_issue_reject(label, doc.line, (issue,), None))
            doc.written = False
        for piece in doc.pieces:
            if f is not None:
                f.write(piece)
    for r in doc.rejects:
        reject(r)


def _inputs(task: Task, cfg: RunConfig, conv: Converter) -> Iterator[tuple[str, str, str, str | None]]:
    """(source, output key, a file to read, the member name when spooled) for each input of *task*:
    a file as it is (a gzip file is spooled decompressed), a zip member spooled to the state folder
    (a partition is read twice, with seeks)."""
    limits = conv.options.limits
    spool_dir = Path(cfg.out_dir) / STATE_DIR / "spool"
    if task.kind != "zip":
        with open(task.path, "rb") as fh:
            gz = fh.read(2) == GZIP_MAGIC
        if not gz:
            yield task.source, task.key, task.path, None
            return
        with open_file(task.path, limits) as stream:
            yield task.source, task.key, _spool(stream, spool_dir, task.key), task.source[:-3]
        return
    with open(task.path, "rb") as fh:
        if fh.read(4) != ZIP_MAGIC:
            raise ConversionError("not a zip archive", code="malformed-zip")
    with zipfile.ZipFile(task.path) as zf:
        infos = {i.header_offset: i for i in zf.infolist()}
        for m in task.members:
            with open_member(zf, m, limits, infos) as stream:
                path = _spool(stream, spool_dir, m.out)
            yield m.source, m.out, path, m.name


def _spool(stream: Any, folder: Path, key: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (key.replace("/", "_") + f".{secrets.token_hex(4)}.part")
    with open(path, "wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    return str(path)

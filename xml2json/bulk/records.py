"""Streaming records out of one ST.96 document with flat memory.

:func:`stream_document` reads the start of the document with a pull parser
(root element, ``com:st96Version``, DOCTYPE check), selects the compiled plan
like :meth:`xml2json.Converter.select`, derives the record elements of the
document type (:mod:`.layout`) and then runs ``lxml.etree.iterparse`` filtered
on the record tags. Each finished record element whose ancestry matches a
record path is converted with :class:`~xml2json.convert.xml_to_json.XmlToJson`,
cleared, and removed from the tree once the next record has been seen, so only
the current record and the small rest of the document are ever in memory.

Failures are of two kinds. A record that cannot be converted (a value or a
shape the plan rejects, unknown content under ``strict``) is *data*: it is
yielded as a :class:`Record` with ``errors`` and no ``data``, and the stream
goes on. A stream that cannot be read on (malformed XML, a DOCTYPE, an unknown
root, a version that is not compiled, a size limit) raises the library's
:class:`~xml2json.errors.Xml2JsonError` after every record before that point
has been yielded; libxml2 cannot resynchronise after a well-formedness error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import IO, Any, cast

from ..api import Converter
from ..config import Limits
from ..errors import Issue, Xml2JsonError
from ..plan import DocumentPlan, Plan
from ..policy import VERSION_ATTRIBUTE
from ..safe import check_tree, iterparse, parse_document, read_root
from .checks import Finding, RecordChecker, warning_findings
from .documents import Piece, split_documents
from .documents import Readable as Readable  # the stream protocol lives in the leaf module
from .layout import RecordLayout, record_layout


@dataclass(frozen=True, slots=True)
class Record:
    """One record of a bulk document (or the rest of the document, when ``record`` is None).

    ``data`` is ``{record: value}`` — the record element as ST.97 JSON, keyed by its JSON
    name — or, for the rest and for a whole-document record, ``{documentRoot: value}``.
    A record that could not be converted has ``data`` None and its issues in ``errors``.
    ``issues``: what the data-quality checks found (``validate`` / ``check_roundtrip``, docs/bulk.md
    "Checking data quality"), conversion warnings included as ``convert`` findings; empty when
    nothing was checked.
    """

    source: str
    document: str
    st96_version: str
    index: int | None  # 0-based among the document's records; None for the rest of the document
    line: int | None  # where the record element starts
    record: str | None  # JSON name of the record element; None for the rest of the document
    type: str  # the $defs key of the record's type in the document's JSON Schema
    data: dict[str, Any] | None
    warnings: tuple[Issue, ...] = ()
    errors: tuple[Issue, ...] = ()
    issues: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def envelope(self) -> dict[str, Any]:
        """The JSON Lines object (docs/bulk.md, "The envelope")."""
        env: dict[str, Any] = {
            "source": self.source,
            "index": self.index,
            "line": self.line,
            "document": self.document,
            "st96Version": self.st96_version,
            "record": self.record,
            "type": self.type,
        }
        if self.warnings:
            env["warnings"] = [w.to_dict() for w in self.warnings]
        checked = [f.to_dict() for f in self.issues if f.check != "convert"]  # warnings are above
        if checked:
            env["issues"] = checked
        env["data"] = self.data
        return env

    def reject(self) -> dict[str, Any]:
        """The rejects.jsonl object of a record that failed."""
        return reject_line(
            self.source,
            self.index,
            self.errors,
            line=self.line,
            document=self.document,
            version=self.st96_version,
            record=self.record,
        )


def reject_line(
    source: str,
    index: int | None,
    issues: tuple[Issue, ...] | list[Issue],
    *,
    line: int | None = None,
    document: str | None = None,
    version: str | None = None,
    record: str | None = None,
) -> dict[str, Any]:
    """One line of rejects.jsonl: where, then the first issue flattened, then all issues if several."""
    first = issues[0] if issues else Issue("error", "unknown failure")
    out: dict[str, Any] = {
        "source": source,
        "index": index,
        "line": first.line if first.line is not None else line,
        "document": document,
        "st96Version": version,
        "record": record,
        "code": first.code,
        "message": first.message,
    }
    if first.xml_path:
        out["xml_path"] = first.xml_path
    if len(issues) > 1:
        out["issues"] = [i.to_dict() for i in issues]
    return out


class PeekedStream:
    """A binary stream with bytes pushed back in front (the bytes the root sniffing consumed)."""

    def __init__(self, raw: Readable, head: bytes) -> None:
        self._raw = raw
        self._head = head

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, n: int = -1) -> bytes:
        head = self._head
        if head:  # served alone (a short read): a failure of the stream comes with the next read
            if n is None or n < 0 or n >= len(head):
                self._head = b""
                return head
            self._head = head[n:]
            return head[:n]
        return self._raw.read(n)


@dataclass(frozen=True, slots=True)
class RootInfo:
    tag: str
    version: str | None


class _EndWatch:
    """A stream that notes when it has reached its end."""

    def __init__(self, raw: Readable) -> None:
        self._raw = raw
        self.ended = False

    def read(self, n: int = -1, /) -> bytes:
        data = self._raw.read(n)
        if not data:
            self.ended = True
        return data


def peek_root(stream: Readable, limits: Limits) -> tuple[RootInfo, PeekedStream, bool]:
    """Find the root element and its ``com:st96Version`` without building anything, through the
    library's one DOCTYPE gate (:func:`xml2json.safe.read_root`: a DOCTYPE is rejected before its
    internal subset is read). Returns the stream with the bytes read so far pushed back, and
    whether the input ended while the root was sought (then the whole input was read, and a
    start tag cut short may have been reported with a truncated name)."""
    watch = _EndWatch(stream)
    tag, attrib, head = read_root(watch, limits)
    return RootInfo(tag, attrib.get(VERSION_ATTRIBUTE)), PeekedStream(stream, head), watch.ended


def _ancestry(el: Any) -> tuple[str, ...]:
    tags = []
    while el is not None:
        tags.append(el.tag)
        el = el.getparent()
    tags.reverse()
    return tuple(tags)


def stream_document(
    stream: Readable,
    source: str,
    converter: Converter,
    *,
    rest: bool = True,
    check_end: Callable[[Any], None] | None = None,
    on_start: Callable[[str, str], None] | None = None,
    checker: RecordChecker | None = None,
) -> Iterator[Record]:
    """Yield the records of one document (see the module docstring); with *rest*, finish with
    the rest of the document (everything that is not inside a record) as a record of ``None``.
    *check_end* is called with the root element once the records are out (a chunk of a split
    document checks there that it held nothing but records, :mod:`.chunks`); *on_start* with the
    document type and ST.96 version once the root is read and its plan selected (a failure
    before the first record is out can still name them). With *checker*, every record converted
    is checked (:mod:`.checks`) while its element is still whole: its ``issues``."""
    limits = converter.options.limits
    info, body, ended = peek_root(stream, limits)
    try:
        plan, doc, doc_warnings = converter.select(info.tag, info.version)
    except Xml2JsonError:
        if ended:  # the input ended inside the root's start tag: malformed, as a full parse says
            parse_document(cast(IO[bytes], body), limits)
        raise
    if on_start is not None:
        on_start(doc.name, plan.version)
    layout = record_layout(plan, doc)
    if not layout.streaming:
        yield _whole_document(body, source, converter, plan, doc, doc_warnings, checker)
        return
    yield from _stream_records(
        body, source, converter, plan, layout, doc_warnings, rest=rest, check_end=check_end, checker=checker
    )


def _whole_document(
    body: Readable,
    source: str,
    converter: Converter,
    plan: Plan,
    doc: DocumentPlan,
    doc_warnings: list[Issue],
    checker: RecordChecker | None = None,
) -> Record:
    root = parse_document(cast(IO[bytes], body), converter.options.limits)
    warnings = list(doc_warnings)
    data: dict[str, Any] | None = None
    errors: tuple[Issue, ...] = ()
    try:
        data = converter.reader(plan).document(root, doc, warnings)
    except Xml2JsonError as exc:
        errors = exc.issues
    rec = Record(
        source, doc.name, plan.version, 0, root.sourceline, doc.json_root, doc.type.key, data, tuple(warnings), errors
    )
    if checker is not None and data is not None:
        found = warning_findings(rec.warnings, 0)
        found += checker.check(root, data, plan, doc.name, doc.type, type_key=None, json_name=doc.json_root)
        rec = replace(rec, issues=tuple(found))
    return rec


def _stream_records(
    body: Readable,
    source: str,
    converter: Converter,
    plan: Plan,
    layout: RecordLayout,
    doc_warnings: list[Issue],
    *,
    rest: bool,
    check_end: Callable[[Any], None] | None = None,
    checker: RecordChecker | None = None,
) -> Iterator[Record]:
    doc = layout.document
    options = converter.options
    specs = layout.specs
    version = plan.version
    limits = options.limits
    reader = converter.reader(plan)
    index = 0
    root: Any = None
    last: Any = None  # the previous record: cleared, removed once the parser has moved past it
    tags = sorted(layout.tags | {doc.root})  # the root's end event comes last, records or not
    for _event, el in iterparse(cast(IO[bytes], body), limits, events=("end",), tag=tags):
        if el.getparent() is None:
            root = el
            continue
        path = _ancestry(el)
        spec = specs.get(path)
        if spec is None:
            continue  # the same name elsewhere (for example inside a record): not a record
        warnings: list[Issue] = []
        line = el.sourceline
        try:
            check_tree(el, limits)
            value = reader.element(el, spec.type, len(path) - 1, warnings)
        except Xml2JsonError as exc:
            rec = Record(
                source,
                doc.name,
                version,
                index,
                line,
                spec.json_name,
                spec.type.key,
                None,
                tuple(warnings),
                exc.issues,
            )
        else:
            rec = Record(
                source,
                doc.name,
                version,
                index,
                line,
                spec.json_name,
                spec.type.key,
                {spec.json_name: value},
                tuple(warnings),
            )
            if checker is not None:  # before the element is cleared
                rec = _checked(rec, checker, el, value, plan, spec.type, len(path) - 1, doc_warnings)
        el.clear()
        if last is not None:
            parent = last.getparent()
            if parent is not None:
                parent.remove(last)
        last = el
        index += 1
        yield rec
    if last is not None:
        parent = last.getparent()
        if parent is not None:
            parent.remove(last)
    if check_end is not None:
        check_end(root)
    if rest and root is not None:
        warnings = list(doc_warnings)
        try:
            check_tree(root, limits)  # the records are gone: this is the small rest of the document
            data = reader.document(root, doc, warnings)
        except Xml2JsonError as exc:
            yield Record(
                source,
                doc.name,
                version,
                None,
                None,
                None,
                doc.type.key,
                None,
                tuple(warnings),
                exc.issues,
            )
        else:
            yield Record(source, doc.name, version, None, None, None, doc.type.key, data, tuple(warnings))


def _checked(
    rec: Record,
    checker: RecordChecker,
    el: Any,
    value: Any,
    plan: Plan,
    tp: Any,
    depth: int,
    doc_warnings: list[Issue],
) -> Record:
    """*rec* with the findings of *checker* on its element *el* (at *depth* below the root) and
    value; the document's version warnings (``no-version``, ``version-override``) concern
    every record of it and are counted with each, at the path ``/``."""
    found = warning_findings(rec.warnings, depth)
    found += [replace(f, path="/") for f in warning_findings(doc_warnings, 0) if f.category == "wrong-version"]
    found += checker.check(el, value, plan, rec.document, tp, type_key=rec.type, json_name=rec.record or "")
    return replace(rec, issues=tuple(found)) if found else rec


def renumber(records: Iterator[Record], base: int) -> Iterator[Record]:
    """*records* with ``index`` counted from *base* (the records of a later document of a file,
    or of a later chunk of a split document)."""
    if not base:
        yield from records
        return
    for rec in records:
        yield rec if rec.index is None else replace(rec, index=rec.index + base)


def in_document(issues: tuple[Issue, ...], piece: Piece | None) -> tuple[Issue, ...]:
    """*issues* of a failure of *piece*, the first message starting with :attr:`Piece.where`
    (the 2nd document of an input on)."""
    where = piece.where if piece is not None else ""
    if not where or not issues:
        return issues
    first = issues[0]
    return (replace(first, message=where + first.message), *issues[1:])


def stream_documents(
    stream: Readable, source: str, converter: Converter, *, rest: bool = True, checker: RecordChecker | None = None
) -> Iterator[Record]:
    """The records of every document of *stream* — one, or several one after another
    (:mod:`.documents`) — with ``index`` counted over the whole input and ``line`` the line in
    the whole input. A document that cannot be read on raises, as in :func:`stream_document`,
    its first message prefixed with the document's number and line from the 2nd document on
    (:attr:`.documents.Piece.where`, as in bulk's rejects); the document size limit applies to
    each document."""

    base = 0
    for piece in split_documents(stream, limit=converter.options.limits.max_document_bytes):
        nxt = base
        try:
            for rec in renumber(stream_piece(piece, source, converter, rest=rest, checker=checker), base):
                if rec.index is not None:
                    nxt = rec.index + 1
                yield rec
        except Xml2JsonError as exc:
            if piece.number > 1:
                exc.issues = in_document(exc.issues, piece)
                exc.message = exc.issues[0].message
                exc.args = (exc.message, *exc.args[1:])
            raise
        base = nxt


def _shifted(issues: tuple[Issue, ...], delta: int) -> tuple[Issue, ...]:
    return tuple(i if i.line is None else replace(i, line=i.line + delta) for i in issues)


def stream_piece(
    piece: Piece,
    source: str,
    converter: Converter,
    *,
    rest: bool = True,
    on_start: Callable[[str, str], None] | None = None,
    checker: RecordChecker | None = None,
) -> Iterator[Record]:
    """:func:`stream_document` of one document of a file of several, with every line (records,
    warnings, errors, and the issues of a failure it raises) a line of the whole input."""
    delta = piece.line - 1
    records = stream_document(piece, source, converter, rest=rest, on_start=on_start, checker=checker)
    if not delta:
        yield from records
        return
    try:
        for rec in records:
            yield replace(
                rec,
                line=None if rec.line is None else rec.line + delta,
                warnings=_shifted(rec.warnings, delta),
                errors=_shifted(rec.errors, delta),
                issues=tuple(
                    f if f.issue.line is None else replace(f, issue=_shifted((f.issue,), delta)[0]) for f in rec.issues
                ),
            )
    except Xml2JsonError as exc:
        exc.issues = _shifted(exc.issues, delta)
        raise

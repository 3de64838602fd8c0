"""The one factory for lxml parsers, and every guard against hostile input.

Every XML byte this library reads goes through :func:`make_parser` /
:func:`parse_document` / :func:`iterparse`; compressed inputs go through
:func:`bounded_gzip_reader` and :func:`safe_zip_members` / :func:`open_zip_member`.
What each guard does, and which limit it enforces, is in docs/security.md:

* **No DTD at all.** :func:`reject_doctype` reads the prolog only — with a linear byte
  pattern for the common UTF-8 prolog, else with libxml2, stopping at the first
  ``<!DOCTYPE`` before its internal subset is read — so entity declarations (billion
  laughs, quadratic blow-up, external general and parameter entities) and external DTDs
  are rejected, never expanded, opened or fetched.
  ``resolve_entities=False``, ``load_dtd=False`` and ``no_network=True`` stay on as
  a second line, and :func:`check_docinfo` as a third.
* **No XInclude, no schemaLocation.** Nothing here calls ``xinclude()`` or fetches
  ``xsi:schemaLocation``; such elements and attributes are plain content.
* **Bounded resources.** libxml2 without ``XML_PARSE_HUGE`` caps nesting at 256
  levels and one text node, attribute value, comment or processing instruction at
  10 000 000 bytes, and its entity-amplification guard stays on. The defaults of
  :class:`~xml2json.config.Limits` equal those caps; a smaller limit is enforced
  after parsing by :func:`check_tree`, and a larger one switches libxml2 to huge
  mode, in which :func:`check_tree` enforces the configured value. The element
  count of a document or record, and the attribute count of each element (lxml
  reads an element's attributes in quadratic time), are always checked by
  :func:`check_tree` (cheaply: skipped when the input is too small to exceed them).
* **Clear failures.** libxml2 errors become :class:`~xml2json.errors.MalformedXMLError`
  (not well-formed, encoding) or :class:`~xml2json.errors.UnsafeXMLError` (limits,
  entities, DTDs), each with a stable code; messages are cut at 300 characters.
"""

from __future__ import annotations

import gzip
import io
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any, BinaryIO

from lxml import etree

from .config import LIBXML2_MAX_DEPTH, LIBXML2_MAX_TEXT, Limits
from .errors import InputError, Issue, MalformedXMLError, UnsafeXMLError

_CHUNK = 64 * 1024
_MAX_MESSAGE = 300


# -- parsers ------------------------------------------------------------------------------


def huge_mode(limits: Limits) -> bool:
    """True when a limit is above libxml2's own guard, so libxml2 must run with ``XML_PARSE_HUGE``."""
    return limits.max_depth > LIBXML2_MAX_DEPTH or limits.max_text_bytes > LIBXML2_MAX_TEXT


def parser_options(limits: Limits) -> dict[str, Any]:
    """The keyword arguments of every lxml parser here (``XMLParser``, ``iterparse``)."""
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "attribute_defaults": False,
        "huge_tree": huge_mode(limits),
        "remove_blank_text": False,
        "remove_comments": False,
        "remove_pis": False,
        "recover": False,
        "collect_ids": False,
    }


def make_parser(limits: Limits, **extra: Any) -> etree.XMLParser:
    return etree.XMLParser(**parser_options(limits), **extra)


# -- errors -------------------------------------------------------------------------------


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _looks_like_utf16_without_bom(head: bytes) -> bool:
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or head[:3] == b"\xef\xbb\xbf":
        return False
    return b"\x00" in head[:4]


# lxml ends libxml2's messages with ", line N, column M"
_LXML_LOCATION = re.compile(r",? line (\d+), column (\d+)$")


def syntax_error(exc: etree.XMLSyntaxError, head: bytes = b"") -> MalformedXMLError | UnsafeXMLError:
    """Map a libxml2 error to the library's error tree (stable codes; the message is clipped).

    The position goes into the issue's ``line`` and ``column``; lxml's trailing ", line N,
    column M" is taken off the message, which says what is wrong only."""
    raw = str(exc.msg if getattr(exc, "msg", None) else exc)
    line = exc.lineno if getattr(exc, "lineno", None) else None
    column: int | None = None
    m = _LXML_LOCATION.search(raw)
    if m and (line is None or int(m.group(1)) == line):
        raw = raw[: m.start()]
        line, column = int(m.group(1)), int(m.group(2))
    msg = _clip(raw)
    at: dict[str, Any] = {"line": line, "column": column}
    low = raw.lower()
    if "entity" in low and ("not defined" in low or "loop" in low or "amplification" in low):
        return UnsafeXMLError(f"entity reference rejected: {msg}", code="unsafe-entity", **at)
    if "excessive depth" in low:
        return UnsafeXMLError(f"nesting deeper than libxml2 allows: {msg}", code="limit-depth", **at)
    if "name too long" in low:
        return UnsafeXMLError(
            f"name longer than libxml2 allows (50 000 characters): {msg}", code="limit-name-size", **at
        )
    if "huge" in low or "too long" in low or "too big" in low or "resource limit" in low:
        return UnsafeXMLError(
            f"text, attribute, comment or instruction larger than allowed: {msg}", code="limit-text-size", **at
        )
    if "encoding" in low or _looks_like_utf16_without_bom(head):
        hint = ""
        if _looks_like_utf16_without_bom(head):
            hint = " (the input looks like UTF-16 or UTF-32 without a byte order mark)"
        return MalformedXMLError(f"cannot decode the XML input{hint}: {msg}", code="xml-encoding", **at)
    return MalformedXMLError(f"not well-formed XML: {msg}", code="malformed-xml", **at)


def _doctype_error(name: str | None, public: str | None, system: str | None) -> UnsafeXMLError:
    what = f"<!DOCTYPE {name or ''}>"
    if system or public:
        what += " with an external DTD reference"
    return UnsafeXMLError(
        f"DOCTYPE declarations are not accepted (entities and DTDs are never processed): {_clip(what)}",
        code="unsafe-doctype",
        line=1,
    )


# -- the DOCTYPE gate -----------------------------------------------------------------------


class _PrologDone(Exception):
    pass


class _Doctype(Exception):
    def __init__(self, name: str | None, public: str | None, system: str | None) -> None:
        super().__init__(name)
        self.args3 = (name, public, system)


class _PrologTarget:
    """A parser target that stops at the first DOCTYPE or start tag, whichever comes first, and
    keeps the root's tag and attributes."""

    root: tuple[str, dict[str, str]] | None = None

    def doctype(self, name: str | None, public: str | None, system: str | None) -> None:
        raise _Doctype(name, public, system)  # called before the internal subset is parsed

    def start(self, tag: str, attrib: Any, nsmap: Any = None) -> None:
        self.root = (tag, dict(attrib))
        raise _PrologDone

    def close(self) -> None:
        return None


class _PrologScanner:
    """The DOCTYPE gate: feeds chunks to a target parser until the prolog is decided; raises on a
    DOCTYPE. A syntax error ends the scan too and is kept in ``syntax`` (the real parse reports
    it, with its full context); the root's tag and attributes are in ``target.root``."""

    def __init__(self, limits: Limits) -> None:
        self.target = _PrologTarget()
        target: Any = self.target
        self.parser = etree.XMLParser(target=target, **parser_options(limits))
        self.done = False
        self.syntax: etree.XMLSyntaxError | None = None

    def feed(self, chunk: bytes) -> None:
        if self.done or not chunk:
            return
        try:
            self.parser.feed(chunk)
        except _PrologDone:
            self.done = True
        except _Doctype as exc:
            self.done = True
            raise _doctype_error(*exc.args3) from None
        except etree.XMLSyntaxError as exc:
            self.done = True
            self.syntax = exc

    def close(self) -> None:
        if not self.done:
            self.done = True
            try:
                self.parser.close()
            except _Doctype as exc:
                raise _doctype_error(*exc.args3) from None
            except _PrologDone:
                pass
            except etree.XMLSyntaxError as exc:
                self.syntax = exc


# A prolog without DOCTYPE, in UTF-8/ASCII: BOM, XML declaration, comments, PIs and blanks, then
# the root's start tag. Possessive quantifiers keep the match linear. Any other shape (UTF-16,
# another declared encoding, a DOCTYPE, something odd) goes to libxml2.
_PLAIN_PROLOG = re.compile(
    rb"(?:\xef\xbb\xbf)?(<\?xml\s(?:[^?]++|\?(?!>))*+\?>)?"
    rb"(?:[ \t\r\n]++|<!--(?:[^-]++|-(?!-))*+-->|<\?(?!xml[\s?])(?:[^?]++|\?(?!>))*+\?>)*+"
    rb"<[A-Za-z_:\x80-\xff]"
)
_DECL_ENCODING = re.compile(rb"""\sencoding\s*=\s*["']([A-Za-z0-9._-]*)["']""")
_PLAIN_ENCODINGS = {b"utf-8", b"utf8", b"us-ascii", b"ascii"}


def _plain_prolog(data: bytes) -> bool:
    m = _PLAIN_PROLOG.match(data, 0, 1 << 20)
    if m is None:
        return False
    decl = m.group(1)
    enc = _DECL_ENCODING.search(decl) if decl else None
    return enc is None or enc.group(1).lower() in _PLAIN_ENCODINGS


def reject_doctype(data: bytes, limits: Limits) -> None:
    """Raise :class:`UnsafeXMLError` ``unsafe-doctype`` if the prolog of *data* has a DOCTYPE.

    The common UTF-8 prolog is recognised by a linear byte pattern; anything else is read
    by libxml2 itself (so every encoding it accepts is covered), which stops at the root
    start tag or the DOCTYPE: the cost is that of the prolog, not of the document.
    """
    if _plain_prolog(data):
        return
    scan = _PrologScanner(limits)
    for i in range(0, len(data), _CHUNK):
        scan.feed(data[i : i + _CHUNK])
        if scan.done:
            return
    scan.close()


def read_root(stream: Any, limits: Limits) -> tuple[str, dict[str, str], bytes]:
    """Read *stream* (anything with ``read(n)``) up to the root's start tag, through the same
    DOCTYPE gate as :func:`reject_doctype`, without building anything. Returns the root's tag
    (``{namespace}name``), its attributes and the bytes read so far (for the caller to push back).
    Raises :class:`UnsafeXMLError` ``unsafe-doctype``, or :class:`MalformedXMLError` when the
    prolog is not well-formed or there is no root element."""
    scan = _PrologScanner(limits)
    chunks: list[bytes] = []
    while not scan.done:
        chunk = stream.read(_CHUNK)
        if not chunk:
            scan.close()
            break
        chunks.append(chunk)
        scan.feed(chunk)
    head = b"".join(chunks)
    if scan.syntax is not None:
        raise syntax_error(scan.syntax, head[:4])
    if scan.target.root is None:
        raise MalformedXMLError("not well-formed XML: the input has no root element", code="malformed-xml", line=1)
    tag, attrib = scan.target.root
    return tag, attrib, head


def check_docinfo(tree: Any) -> None:
    """Reject documents that carry a DTD (internal subset or external reference)."""
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise _doctype_error(docinfo.root_name, docinfo.public_id, docinfo.system_url)


# -- limits after parsing ------------------------------------------------------------------


@lru_cache(maxsize=16)
def _too_deep(max_depth: int) -> etree.XPath:
    # elements at level max_depth + 1 below the context element (level 1); linear in the tree size
    return etree.XPath("boolean(." + "/*" * max_depth + ")")


_COUNT = etree.XPath("count(descendant-or-self::*)")
# every attribute of the tree: when there are no more than n in all, no element has more than n;
# a third of the price of _MANY_ATTRS, which counts the attributes of each element in a predicate
_ALL_ATTRS = etree.XPath("count(descendant-or-self::*/@*)")
_MANY_ATTRS = etree.XPath("boolean(descendant-or-self::*[count(@*) > $n])")
# text nodes, comments, PIs and attribute values of more than $n characters
_LONG_NODES = etree.XPath(
    "descendant-or-self::node()[not(self::*)][string-length(.) > $n] | descendant-or-self::*/@*[string-length(.) > $n]"
)


def _too_long(root: Any, max_bytes: int) -> bool:
    """A text node, attribute value, comment or PI longer than *max_bytes* bytes in UTF-8 (what
    libxml2 counts): only nodes of more than a quarter as many characters can be (a character
    takes at most 4 bytes), and only those are encoded."""
    nodes: Any = _LONG_NODES(root, n=max_bytes // 4)
    for node in nodes:
        text = node if isinstance(node, str) else (node.text or "")  # a comment's or PI's text
        if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
            return True
    return False


@lru_cache(maxsize=16)
def _long_run(n: int) -> re.Pattern[bytes]:
    # a '<' followed by enough bytes without '<' to hold n + 1 attributes (`` a=""`` each)
    return re.compile(rb"<[^<]{%d}" % (5 * (n + 1)))


def _may_have_many_attributes(data: bytes, n: int) -> bool:
    """False only if no start tag in *data* (UTF-8 or ASCII) can have more than *n* attributes.

    A start tag with more than n attributes lies between a '<' and the next '<' (attribute
    values cannot hold a literal '<') and has more than n '=' there; in UTF-8 these bytes are
    never part of another character. Long text runs qualify too; XPath then decides.
    """
    if data.count(b"=") <= n:
        return False
    find = data.find
    for m in _long_run(n).finditer(data):
        start = m.start()
        end = find(b"<", m.end())
        if data.count(b"=", start, len(data) if end < 0 else end) > n:
            return True
    return False


def check_tree(root: Any, limits: Limits, *, input_size: int | None = None, data: bytes | None = None) -> None:
    """Enforce the limits libxml2 does not enforce itself on a parsed document or record.

    *input_size* (bytes) lets cheap cases skip a check: an element takes at least 4
    bytes (``<a/>``), an attribute 5 (`` a=""``), a level of nesting 7 (``<a></a>``).
    With the raw *data*, byte counts decide more precisely whether the element and
    attribute checks can fail at all.
    """
    if data is not None:
        input_size = len(data)
    n = limits.max_elements_per_record
    # every element has a '<' of its own (a 0x3C byte in every encoding libxml2 reads here)
    if (input_size is None or input_size // 4 > n) and (data is None or data.count(b"<") > n):
        count = int(_COUNT(root))  # type: ignore[arg-type]
        if count > n:
            raise UnsafeXMLError(f"{count} elements; the limit is {n} per document or record", code="limit-elements")
    a = limits.max_attributes
    if data is not None and _plain_prolog(data):  # UTF-8/ASCII: '<' and '=' bytes are what they seem
        maybe = _may_have_many_attributes(data, a)
    else:
        maybe = input_size is None or input_size // 5 > a
    if maybe and _ALL_ATTRS(root) > a and _MANY_ATTRS(root, n=a):  # type: ignore[operator]
        raise UnsafeXMLError(f"an element with more than {a} attributes", code="limit-attributes")
    huge = huge_mode(limits)
    d = limits.max_depth
    if (huge or d < LIBXML2_MAX_DEPTH) and (input_size is None or input_size // 7 >= d) and _too_deep(d)(root):
        raise UnsafeXMLError(f"nesting deeper than {d} levels", code="limit-depth")
    t = limits.max_text_bytes
    # a character of the input takes at most 3 times its bytes in UTF-8 (a UTF-16 'あ': 2 → 3)
    if (huge or t < LIBXML2_MAX_TEXT) and (input_size is None or 3 * input_size > t) and _too_long(root, t):
        raise UnsafeXMLError(
            f"a text, attribute value, comment or instruction larger than {t} bytes (UTF-8)", code="limit-text-size"
        )


# -- whole documents ----------------------------------------------------------------------


def _read_up_to(stream: IO[bytes], n: int) -> bytes:
    """At most *n* bytes of *stream*: fewer only at its end (a stream may return short reads)."""
    parts: list[bytes] = []
    got = 0
    while got < n:
        chunk = stream.read(n - got)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def parse_document(data: bytes | bytearray | IO[bytes], limits: Limits) -> Any:
    """Parse one whole document safely and return its root element.

    Order: size limit, DOCTYPE gate, libxml2 parse (its own guards on), DTD check,
    :func:`check_tree`.
    """
    if not isinstance(data, (bytes, bytearray)):
        data = _read_up_to(data, limits.max_document_bytes + 1)
    if len(data) > limits.max_document_bytes:
        raise UnsafeXMLError(f"document larger than {limits.max_document_bytes} bytes", code="limit-document-size")
    data = bytes(data)
    reject_doctype(data, limits)
    try:
        root = etree.fromstring(data, make_parser(limits))
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, data[:4]) from None
    check_docinfo(root.getroottree())
    check_tree(root, limits, data=data)
    return root


# -- streams (bulk) -----------------------------------------------------------------------


class _GatedReader(io.RawIOBase):
    """Reads ahead until the prolog is decided (raising on a DOCTYPE), then serves the bytes unchanged."""

    def __init__(self, raw: IO[bytes], limits: Limits) -> None:
        super().__init__()
        self._raw = raw
        self._buf = bytearray()
        scan = _PrologScanner(limits)
        while not scan.done:
            chunk = raw.read(_CHUNK)
            if not chunk:
                scan.close()
                break
            self._buf += chunk
            if len(self._buf) == len(chunk) and _plain_prolog(chunk):
                break  # the common UTF-8 prolog, recognised without a parser
            scan.feed(chunk)
        self.head = bytes(self._buf[:4])

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        if self._buf:
            n = min(len(view), len(self._buf))
            view[:n] = self._buf[:n]
            del self._buf[:n]
            return n
        data = self._raw.read(len(view))
        n = len(data)
        view[:n] = data
        return n


def iterparse(
    source: str | os.PathLike[str] | IO[bytes], limits: Limits, *, events: tuple[str, ...] = ("end",), tag: Any = None
) -> Iterator[tuple[str, Any]]:
    """``lxml.etree.iterparse`` with this module's options, the DOCTYPE gate and mapped errors.

    For bulk files: the caller picks its record elements from the events and calls
    :func:`check_tree` on each record (element count, and depth/text limits that
    differ from libxml2's), then clears it. Errors raised by a bounded reader
    (:func:`bounded_gzip_reader`, :func:`open_zip_member`) pass through unchanged.
    """
    own = not hasattr(source, "read")
    raw: IO[bytes] = open(source, "rb") if own else source  # type: ignore[arg-type,assignment]  # noqa: SIM115
    try:
        gated = _GatedReader(raw, limits)
        it = etree.iterparse(gated, events=events, tag=tag, **parser_options(limits))
        first = True
        while True:
            try:
                ev = next(it)
            except StopIteration:
                return
            except etree.XMLSyntaxError as exc:
                raise syntax_error(exc, gated.head) from None
            if first:
                first = False
                check_docinfo(ev[1].getroottree())
            yield ev
    finally:
        if own:
            raw.close()


# -- compressed inputs ----------------------------------------------------------------------


class BoundedReader(io.RawIOBase):
    """A reader that stops a decompression bomb: at most *limit* bytes out, and — once past
    ``limits.compression_ratio_floor`` bytes — at most ``limits.max_compression_ratio`` times
    the compressed bytes consumed so far (as told by *consumed*)."""

    def __init__(
        self,
        inner: io.BufferedIOBase | IO[bytes],
        limits: Limits,
        *,
        limit: int,
        consumed: Callable[[], int] | None,
        label: str,
        on_error: Callable[[Exception], Exception] | None = None,
        also_close: IO[bytes] | None = None,
    ) -> None:
        super().__init__()
        self._inner = inner
        self._also_close = also_close
        self._limits = limits
        self._limit = limit
        self._consumed = consumed
        self._label = label
        self._on_error = on_error
        self.total = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        want = min(len(view), self._limit - self.total + 1)
        try:
            data = self._inner.read(max(want, 1))
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as exc:
            if self._on_error is None:
                raise
            raise self._on_error(exc) from None
        n = len(data)
        self.total += n
        if self.total > self._limit:
            raise UnsafeXMLError(
                f"{self._label}: expands to more than {self._limit} bytes", code="limit-decompressed-size"
            )
        lim = self._limits
        if self._consumed is not None and self.total > lim.compression_ratio_floor:
            packed = max(self._consumed(), 1)
            if self.total > packed * lim.max_compression_ratio:
                raise UnsafeXMLError(
                    f"{self._label}: compression ratio above {lim.max_compression_ratio} "
                    f"({self.total} bytes from {packed})",
                    code="limit-compression-ratio",
                )
        view[:n] = data
        return n

    def close(self) -> None:
        try:
            self._inner.close()
            if self._also_close is not None:
                self._also_close.close()
        finally:
            super().close()


def _gzip_error(label: str) -> Callable[[Exception], Exception]:
    def make(exc: Exception) -> Exception:
        return InputError(
            f"{label}: not a readable gzip stream ({_clip(str(exc)) or type(exc).__name__})", code="malformed-gzip"
        )

    return make


#: The first bytes of a gzip stream.
GZIP_MAGIC = b"\x1f\x8b"


def bounded_gzip_reader(
    source: str | os.PathLike[str] | IO[bytes], limits: Limits, *, label: str | None = None
) -> BinaryIO:
    """Open a gzip file (path or binary file object) for reading, bounded by
    ``limits.max_decompressed_bytes`` and ``limits.max_compression_ratio``.

    *label* names the input in error messages (default: the path, or "gzip input" for a file
    object).

    Returns a buffered binary reader; reading raises :class:`UnsafeXMLError`
    (``limit-decompressed-size``, ``limit-compression-ratio``) or
    :class:`InputError` ``malformed-gzip``. Closing it closes a file it opened.
    """
    own = not hasattr(source, "read")
    raw: IO[bytes] = open(source, "rb") if own else source  # type: ignore[arg-type,assignment]  # noqa: SIM115
    if label is None:
        label = str(source) if own else "gzip input"
    seekable = raw.seekable()
    start = raw.tell() if seekable else 0

    def consumed() -> int:
        return raw.tell() - start

    bounded = BoundedReader(
        gzip.GzipFile(fileobj=raw, mode="rb"),
        limits,
        limit=limits.max_decompressed_bytes,
        consumed=consumed if seekable else None,
        label=label,
        on_error=_gzip_error(label),
        also_close=raw if own else None,
    )
    return io.BufferedReader(bounded, buffer_size=_CHUNK)


_DRIVE = re.compile(r"^[A-Za-z]:")


def check_member_name(name: str) -> tuple[str | None, str | None]:
    """The one check of a zip member name: ``(relative POSIX path, None)`` for a name that stays
    inside any folder it is extracted to (backslashes as slashes, ``.`` and empty parts dropped),
    else ``(None, why)``: empty, NUL or another control character, absolute path or drive letter,
    ``..``."""
    if not name:
        return None, "empty name"
    if "\x00" in name:
        return None, "NUL in name"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or _DRIVE.match(norm):
        return None, "absolute path"
    parts = [p for p in norm.split("/") if p not in ("", ".")]
    if any(part == ".." for part in parts):
        return None, "'..' in path"
    if any(ord(ch) < 32 for ch in norm):
        return None, "control character in name"
    if not parts:
        return None, "empty name"
    return "/".join(parts), None


def safe_member_path(name: str) -> str | None:
    """A zip member name as a relative POSIX path that stays inside the output folder, or None
    (see :func:`check_member_name`)."""
    return check_member_name(name)[0]


def unsafe_member_name(name: str) -> str | None:
    """Why a zip member name is unsafe to use as a path (see :func:`check_member_name`), or None."""
    return check_member_name(name)[1]


@dataclass(frozen=True, slots=True)
class ZipMember:
    """A member of a zip archive: safe to open when ``issue`` is None, else a reject with its reason."""

    info: zipfile.ZipInfo
    issue: Issue | None = None

    @property
    def name(self) -> str:
        return self.info.filename

    @property
    def path(self) -> str | None:
        """The member's name as a safe relative POSIX path (:func:`safe_member_path`)."""
        return safe_member_path(self.info.filename)


def safe_zip_members(source: str | os.PathLike[str] | zipfile.ZipFile, limits: Limits) -> list[ZipMember]:
    """List the file members of a zip archive, each checked before anything is decompressed.

    Raises for the archive as a whole: :class:`InputError` ``malformed-zip`` (not a zip,
    broken central directory), :class:`UnsafeXMLError` ``limit-zip-members`` (more
    than ``limits.max_zip_members`` entries). Returns every non-directory member in
    archive order; a member that must not be read carries an :class:`Issue`:
    ``unsafe-zip-path`` (absolute, ``..``, drive letter, NUL), ``unsafe-zip-symlink``,
    ``unsafe-zip-duplicate`` (same name twice), ``unsafe-zip-overlap`` (its data
    overlaps another member's: the non-recursive zip bomb), ``unsafe-zip-method``
    (not stored/deflated, or encrypted), ``limit-compression-ratio``,
    ``limit-decompressed-size`` (alone, or with the members before it, above
    ``limits.max_decompressed_bytes``).
    """
    label = str(source.filename if isinstance(source, zipfile.ZipFile) else source)
    if isinstance(source, zipfile.ZipFile):
        infos = source.infolist()
    else:
        try:
            with zipfile.ZipFile(source) as zf:
                infos = zf.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            raise InputError(f"{label}: not a readable zip archive ({_clip(str(exc))})", code="malformed-zip") from None
    if len(infos) > limits.max_zip_members:
        raise UnsafeXMLError(
            f"{label}: {len(infos)} members; the limit is {limits.max_zip_members}", code="limit-zip-members"
        )
    # data extents, for the overlap check. The local header takes 30 bytes + name + extra; the
    # name's length in characters (never more than its bytes) and no extra give a lower bound,
    # so that legitimate archives never look overlapping.
    extents = sorted(
        (i.header_offset, i.header_offset + 30 + len(i.orig_filename) + i.compress_size, n) for n, i in enumerate(infos)
    )
    overlapping: set[int] = set()
    end, owner = -1, 0
    for s0, e0, i0 in extents:
        if s0 < end:
            overlapping.update((owner, i0))
        if e0 > end:
            end, owner = e0, i0
    seen: set[str] = set()
    budget = limits.max_decompressed_bytes
    out: list[ZipMember] = []
    for index, info in enumerate(infos):
        if info.is_dir():
            continue
        name = info.filename
        reason = unsafe_member_name(info.orig_filename)
        issue: Issue | None = None
        if reason:
            issue = Issue("unsafe-zip-path", f"zip member {_clip(name)!r}: {reason}")
        elif stat.S_ISLNK(info.external_attr >> 16):
            issue = Issue("unsafe-zip-symlink", f"zip member {_clip(name)!r} is a symbolic link")
        elif name in seen:
            issue = Issue("unsafe-zip-duplicate", f"zip member {_clip(name)!r} occurs more than once")
        elif index in overlapping:
            issue = Issue("unsafe-zip-overlap", f"zip member {_clip(name)!r} shares its data with another member")
        elif info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            issue = Issue(
                "unsafe-zip-method",
                f"zip member {_clip(name)!r} is encrypted or uses compression "
                f"method {info.compress_type} (only stored and deflated are read)",
            )
        elif (
            info.file_size > limits.compression_ratio_floor
            and info.file_size > max(info.compress_size, 1) * limits.max_compression_ratio
        ):
            issue = Issue(
                "limit-compression-ratio",
                f"zip member {_clip(name)!r}: compression ratio above "
                f"{limits.max_compression_ratio} ({info.file_size} bytes from {info.compress_size})",
            )
        elif info.file_size > budget:
            issue = Issue(
                "limit-decompressed-size",
                f"zip member {_clip(name)!r}: {info.file_size} bytes, "
                f"more than the {limits.max_decompressed_bytes} bytes allowed per archive",
            )
        seen.add(name)
        if issue is None:
            budget -= info.file_size
        out.append(ZipMember(info, issue))
    return out


def open_zip_member(zf: zipfile.ZipFile, member: ZipMember, limits: Limits) -> BinaryIO:
    """Open a member returned by :func:`safe_zip_members` (without an issue) for reading.

    The reader stops at the member's declared size (zipfile checks it and the CRC)
    and at ``limits.max_decompressed_bytes``; errors are :class:`UnsafeXMLError` /
    :class:`InputError` ``malformed-zip``.
    """
    if member.issue is not None:
        raise UnsafeXMLError(member.issue.message, code=member.issue.code)
    info = member.info
    label = f"zip member {_clip(info.filename)!r}"
    try:
        inner = zf.open(info, "r")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise InputError(f"{label}: cannot be read ({_clip(str(exc))})", code="malformed-zip") from None
    limit = min(info.file_size, limits.max_decompressed_bytes)

    def on_error(exc: Exception) -> Exception:
        return InputError(f"{label}: cannot be read ({_clip(str(exc))})", code="malformed-zip")

    # the ratio was checked on the declared sizes, and zipfile stops at the declared size
    bounded = BoundedReader(inner, limits, limit=limit, consumed=None, label=label, on_error=on_error)
    return io.BufferedReader(bounded, buffer_size=_CHUNK)


def member_path(base: Path, member: ZipMember) -> Path:
    """Where a member may be extracted below *base*; raises if it would leave *base*."""
    if member.issue is not None:
        raise UnsafeXMLError(member.issue.message, code=member.issue.code)
    target = (base / member.name.replace("\\", "/")).resolve()
    if not target.is_relative_to(base.resolve()):
        raise UnsafeXMLError(
            f"zip member {_clip(member.name)!r} would be written outside {base}", code="unsafe-zip-path"
        )
    return target

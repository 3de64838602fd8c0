"""Files of concatenated XML documents: one byte stream read as a sequence of documents.

Offices deliver bulk data as several XML documents one after another in one file (and
``cat *.xml > day.xml`` makes such a file): every document after the first starts with its own
XML declaration ``<?xml …?>``. An XML declaration may only stand at the very start of a document,
so inside a well-formed document the bytes ``<?xml`` followed by a blank can only occur inside a
comment, a CDATA section or a processing instruction (``<`` is not allowed raw in text or in
attribute values). :class:`DocumentSplitter` therefore scans the byte stream with a small state
machine that only looks at ``<!--`` … ``-->``, ``<![CDATA[`` … ``]]>`` and ``<?`` … ``?>`` (found
with ``bytes.find``, not a parse) and starts a new document at every XML declaration outside them
(and at a byte order mark just before it). It reads in blocks and keeps a carry of a few bytes, so
memory stays flat for a plain file, a gzip stream or standard input alike.

Each :class:`Piece` is a readable stream of one document, which knows the line where it starts
in the whole input (:attr:`Piece.line`). libxml2 counts lines from the start of the piece; the
reader adds ``line - 1`` to every line it reports (record ``line``\\ s, warnings, parse errors:
:func:`xml2json.bulk.records.stream_piece`). (Serving the document padded with ``line - 1``
newlines instead would make libxml2 parse the newlines of every document before it: quadratic
in the number of documents — 458 MB of padding for a 48 MB file of 1 000 documents.) A file
whose documents have no XML declarations is one document (and then not well-formed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from ..errors import UnsafeXMLError


class Readable(Protocol):
    """A binary input stream: lxml only ever calls ``read``."""

    def read(self, n: int = -1, /) -> bytes: ...


#: Bytes read from the underlying stream at a time.
BLOCK = 1 << 20
_BOM = b"\xef\xbb\xbf"
_BLANKS = b" \t\r\n"
#: The longest token the scanner must see whole (``<![CDATA[``), minus one: the carry.
_CARRY = 8


class DocumentSplitter:
    """Splits a byte stream into the XML documents it holds (see the module docstring)."""

    def __init__(self, raw: Readable, *, lines: int = 0, number: int = 0, limit: int | None = None) -> None:
        """*lines* and *number*: the newlines and documents before *raw* in the whole input (a
        run of documents cut out of a file, :mod:`.chunks`). *limit*: the most bytes one document
        may have (``Limits.max_document_bytes``); a larger document fails on its own with
        ``limit-document-size`` and the next one is read (the input as a whole is not limited
        here: a plain file is not, a compressed one is by the decompression limits)."""
        self._raw = raw
        self.limit = limit
        self._started = False
        self._buf = b""
        self._pos = 0  # start of the bytes not served yet
        self._scan = 0  # the scanner has decided everything before this index
        self._stop = -1  # index where the next document starts, once found
        self._state: bytes | None = None  # the end marker while inside a comment, CDATA or PI
        self._eof = False
        self._next_pi = -2  # cached positions of the next "<?" and "<!" (-2: unknown, -1: none)
        self._next_bang = -2
        self.lines = lines  # newlines served so far
        self.offset = 0  # bytes served so far
        self.count = number  # documents started so far

    # -- scanning ------------------------------------------------------------------------

    def _fill(self) -> bool:
        data = self._raw.read(BLOCK)
        if not data:
            self._eof = True
            return False
        drop = self._pos
        self._buf = self._buf[drop:] + data
        self._pos = 0
        self._scan -= drop
        if self._stop >= 0:
            self._stop -= drop
        self._own -= drop
        self._next_pi = self._next_pi - drop if self._next_pi >= drop else -2
        self._next_bang = self._next_bang - drop if self._next_bang >= drop else -2
        return True

    def _find(self, i: int) -> tuple[int, int]:
        buf = self._buf
        if self._next_pi == -2 or 0 <= self._next_pi < i:
            self._next_pi = buf.find(b"<?", i)
        if self._next_bang == -2 or 0 <= self._next_bang < i:
            self._next_bang = buf.find(b"<!", i)
        return self._next_pi, self._next_bang

    def _advance(self) -> None:
        buf = self._buf
        n = len(buf)
        i = self._scan
        eof = self._eof
        while self._stop < 0:
            end = self._state
            if end is not None:
                j = buf.find(end, i)
                if j < 0:
                    i = max(i, n - len(end) + 1)
                    break
                i = j + len(end)
                self._state = None
                continue
            pi, bang = self._find(i)
            if pi < 0 and bang < 0:
                i = max(i, n - 1)  # a '<' at the very end may start a token
                break
            j = pi if bang < 0 or (0 <= pi < bang) else bang
            if n - j < 9 and not eof:
                i = j  # too few bytes to tell the token apart: wait for more
                break
            if j == bang:
                if buf.startswith(b"<!--", j):
                    self._state, i = b"-->", j + 4
                elif buf.startswith(b"<![CDATA[", j):
                    self._state, i = b"]]>", j + 9
                else:
                    i = j + 2  # a DOCTYPE (the parser rejects it) or not well-formed
                continue
            if buf.startswith(b"<?xml", j) and j + 5 < n and buf[j + 5] in _BLANKS and j > self._own:
                start = j - 3 if j - 3 >= self._pos and buf[j - 3 : j] == _BOM else j
                self._stop = start
                i = j
                break
            self._state, i = b"?>", j + 2
        self._scan = i

    def _limit(self) -> int:
        if self._stop >= 0:
            return self._stop
        if self._eof:
            return len(self._buf)
        return max(self._pos, self._scan - 3)  # a byte order mark may belong to the next document

    def _read(self, n: int) -> bytes:
        while True:
            if self._stop < 0 and self._scan < len(self._buf):
                self._advance()  # a new document starts with bytes read already
            avail = self._limit() - self._pos
            if avail > 0:
                k = avail if n is None or n < 0 else min(n, avail)
                out = self._buf[self._pos : self._pos + k]
                self._pos += k
                self.lines += out.count(b"\n")
                self.offset += k
                return out
            if self._stop >= 0 or self._eof:
                return b""
            self._fill()
            self._advance()

    # -- documents -----------------------------------------------------------------------

    _own = -1  # index of the current document's own XML declaration (not a boundary)

    def documents(self) -> Iterator[Piece]:
        """The documents, in order; each must be read (or not) before the next is asked for —
        what is left of it is skipped."""
        while True:
            if self._started:
                while self._read(BLOCK):
                    pass  # the rest of the previous document (after a failure, or unread)
                if self._stop < 0:
                    return
                self._pos = self._stop
                self._stop = -1
                self._state = None
                self._own = self._pos + (3 if self._buf.startswith(_BOM, self._pos) else 0)
                self._scan = self._own
                self._next_pi = self._next_bang = -2
            else:
                self._started = True
                while len(self._buf) < 8 and self._fill():
                    pass  # enough to see a byte order mark and the declaration's start
                self._own = 3 if self._buf.startswith(_BOM) else 0
                self._advance()
            self.count += 1
            yield Piece(self, self.count, self.lines + 1, self.offset)
            if self._eof and self._stop < 0 and self._pos >= len(self._buf):
                return


@dataclass(eq=False)
class Piece:
    """One document of a split stream: *number* (1-based), the *line* and byte *offset* where it
    starts in the whole input. Reading it serves the document's bytes (lines count from 1 in it)."""

    splitter: DocumentSplitter
    number: int
    line: int
    offset: int

    @property
    def where(self) -> str:
        """``"document N of the input (from line L): "`` for the 2nd document on, else ``""``: the
        one prefix every message about a later document starts with (bulk's rejects and
        :func:`xml2json.bulk.iter_records`'s errors alike)."""
        return f"document {self.number} of the input (from line {self.line}): " if self.number > 1 else ""

    def read(self, n: int = -1, /) -> bytes:
        """Up to *n* bytes (all that is left with a negative *n*), fewer only at the document's end."""
        if n is not None and 0 <= n <= BLOCK:
            first = self._read1(n)
            if len(first) == n or not first or self._full():
                return first
            parts, got = [first], len(first)
        else:
            parts, got = [], 0
        while (n is None or n < 0 or got < n) and not self._full():
            more = self._read1(BLOCK if n is None or n < 0 else n - got)
            if not more:
                break
            parts.append(more)
            got += len(more)
        return b"".join(parts)

    def _full(self) -> bool:
        """More than the size limit has been served (the limit + 1 bytes: the document is too
        large): a read returns what it has, and the next one raises. So a reader that asks for the
        limit + 1 bytes at once sees them (and says the document is too large), and a parser gets
        everything before the limit (the root, and the records before it) before the error."""
        limit = self.splitter.limit
        return limit is not None and self.splitter.offset - self.offset > limit

    def _read1(self, n: int) -> bytes:
        limit = self.splitter.limit
        if limit is None:
            return self.splitter._read(n)
        left = limit + 1 - (self.splitter.offset - self.offset)
        if left <= 0:
            raise UnsafeXMLError(f"the document is larger than {limit} bytes", code="limit-document-size")
        return self.splitter._read(left if n is None or n < 0 else min(n, left))


def split_documents(raw: Readable, *, limit: int | None = None) -> Iterator[Piece]:
    """The XML documents of *raw*, one after another (see the module docstring); *limit*: the
    most bytes of one document (see :class:`DocumentSplitter`)."""
    return DocumentSplitter(raw, limit=limit).documents()

"""ST.97 JSON → ST.96 XML, by inverting the same compiled plan.

Element order comes from the XSD content model (the plan's ``order``), names
come from the plan's tables (never by re-capitalising a JSON name, rule 3),
namespaces get the standard prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from lxml import etree

from ..config import Options
from ..errors import ConversionError
from ..plan import LEAF, MIXED, SIMPLE, CodecError, DocumentPlan, Plan, TypePlan
from ..policy import (
    AFTER_KEY,
    CONTENT_KEY,
    OTHER_ATTRIBUTES_KEY,
    QNAME_KEY,
    STRAY_TEXT_KEY,
    VALUE_KEY,
    XSI_NS,
    schema_location,
)


class _PathError(Exception):
    """Internal: carries the JSON path outwards while the stack unwinds."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path: list[str] = []


class _Fallback(Exception):
    """Internal: the text writer (:meth:`JsonToXml.fragment`) meets something it leaves to the
    tree writer (content the schema does not know in odd places, mixed content, an error)."""


#: Characters the text writer leaves to lxml (which escapes or refuses them): C0 controls but tab
#: and newline, carriage return, lone surrogates, U+FFFE/U+FFFF; in attributes tab and newline too.
_TEXT_ODD = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_ATTR_ODD = re.compile("[\x00-\x1f\ud800-\udfff\ufffe\uffff]")
#: What the text writer escapes or leaves to lxml: a text without any of these is written as it is.
_TEXT_SPECIAL = re.compile("[&<>\\x00-\\x08\\x0b-\\x1f\\ud800-\\udfff\\ufffe\\uffff]")
_XMLNS = re.compile(r' xmlns:([^=\s]+)="([^"]*)"')


def _first(item: tuple[Any, ...]) -> Any:
    return item[0]


def _esc_text(s: str) -> str:
    if _TEXT_ODD.search(s) is not None:
        raise _Fallback
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    return s


def _esc_attr(s: str) -> str:
    if _ATTR_ODD.search(s) is not None:
        raise _Fallback
    return _esc_text(s).replace('"', "&quot;")


def _pointer(parts: list[str]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in reversed(parts))


def _kind(v: Any) -> str:
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, bool):
        return "a boolean"
    if v is None:
        return "null"
    return "a number"


def _set_text(el: Any, text: str) -> None:
    try:
        el.text = text
    except ValueError as exc:  # NUL, C0 controls, U+FFFE/U+FFFF, lone surrogates: XML cannot carry them
        raise _PathError("json-value", f"text that XML cannot hold: {exc}") from None


def _set_tail(el: Any, text: str) -> None:
    try:
        el.tail = text
    except ValueError as exc:
        raise _PathError("json-value", f"text that XML cannot hold: {exc}") from None


def _set_attr(el: Any, name: str, value: str) -> None:
    try:
        el.set(name, value)
    except ValueError as exc:  # an invalid attribute name or a value XML cannot hold
        raise _PathError("json-value", f"attribute that XML cannot hold: {exc}") from None


class _TextRun:
    """Adjacent strings of a content array, written as one text or tail when the run ends.

    Joining once keeps writing linear (re-setting a growing text per piece is quadratic), and
    a piece XML cannot hold is reported at its own index.
    """

    __slots__ = ("el", "indexes", "last", "pieces")

    def __init__(self, el: Any) -> None:
        self.el = el
        self.last: Any = None  # the element the next text follows (None: the parent's text)
        self.pieces: list[str] = []
        self.indexes: list[int] = []

    def add(self, piece: str, index: int) -> None:
        self.pieces.append(piece)
        self.indexes.append(index)

    def after(self, el: Any) -> None:
        self.last = el

    def flush(self) -> None:
        if not self.pieces:
            return
        joined = "".join(self.pieces)
        try:
            if self.last is None:
                _set_text(self.el, (self.el.text or "") + joined)
            else:
                _set_tail(self.last, joined)
        except _PathError as exc:
            for piece, index in zip(self.pieces, self.indexes, strict=True):  # name the piece at fault
                try:
                    _set_tail(etree.Element("probe"), piece)
                except _PathError:
                    exc.path.append(str(index))
                    break
            exc.path.append(CONTENT_KEY)
            raise
        self.pieces = []
        self.indexes = []


class JsonToXml:
    """Writes documents of one plan with one set of options. It holds no state of a call (errors
    carry their path outwards), so one instance serves every call — except that the text writer
    (:meth:`fragment`, bulk's JSON → XML) keeps one setting while it runs: one thread at a time."""

    def __init__(self, plan: Plan, options: Options) -> None:
        self.plan = plan
        self.options = options
        self.nsmap = dict(plan.namespaces)
        self.max_depth = options.limits.max_json_depth
        self._qnames: dict[str, str] = {}  # Clark tag -> prefix:local (the text writer)
        self._tables: dict[str, dict[str, tuple[Any, ...]]] = {}  # type key -> _table()
        self._special: re.Pattern[str] | None = _TEXT_SPECIAL  # what texts are checked for (fragment)
        self._scratch = etree.Element("scratch", nsmap=self.nsmap)  # parent of unknown elements written as text

    def document(self, data: Any, doc: DocumentPlan, *, keep_namespaces: bool = False) -> Any:
        """The root element of *doc* written from *data* (``{json_root: value}``). With
        *keep_namespaces* every standard prefix of the plan stays declared on the root, used or
        not (bulk's JSON → XML writes records into the document later, :mod:`xml2json.bulk.reverse`)."""
        if not isinstance(data, dict) or list(data) != [doc.json_root]:
            got = list(data) if isinstance(data, dict) else _kind(data)
            raise ConversionError(
                f"expected an object with the single member {doc.json_root!r}, got {got!r}",
                code="json-root",
                json_pointer="",
            )
        root = etree.Element(doc.root, nsmap=self.nsmap)
        try:
            self.fill(root, data[doc.json_root], doc.type, 0)
        except _PathError as exc:
            exc.path.append(doc.json_root)
            raise ConversionError(exc.message, code=exc.code, json_pointer=_pointer(exc.path)) from None
        if self.options.schema_location:
            ns = doc.root[1:].split("}")[0]
            root.set(f"{{{XSI_NS}}}schemaLocation", schema_location(ns, self.plan.version, doc.name))
            if not keep_namespaces:
                etree.cleanup_namespaces(root, top_nsmap={"xsi": XSI_NS})
        elif not keep_namespaces:
            etree.cleanup_namespaces(root)
        return root

    # -- the text writer -------------------------------------------------------------------
    # Bulk's JSON → XML (xml2json.bulk.reverse) writes each record as text: the same element as
    # fill() (the same children, order, attributes and unknown elements, kept after the element
    # they followed), written as a string without building a tree. Anything else — mixed or
    # ordered content, other attributes, characters lxml escapes or refuses, any error — is left
    # to fill(): fragment() then returns None and the caller writes the record with element().

    def fragment(self, tag: str, value: Any, tp: TypePlan, depth: int, *, plain: bool = False) -> str | None:
        """*value* (ST.97 JSON of type *tp*) as the XML text of element *tag*, for a document
        whose root declares every standard prefix of the plan (``document(...,
        keep_namespaces=True)``); None when it is left to :meth:`element`. *plain*: the caller
        knows that no string in *value* holds a control character other than tab and newline
        (the JSON text has no ``\\r``, ``\\b``, ``\\f`` or ``\\u`` escape), so texts are only
        looked at for ``&``, ``<`` and ``>``. Not for several threads at once on one writer."""
        self._special = None if plain else _TEXT_SPECIAL
        try:
            return self._frag(self._q(tag), value, tp, depth)
        except _Fallback:
            return None
        finally:
            self._special = _TEXT_SPECIAL

    def _escaped(self, text: str) -> str:
        special = self._special
        if special.search(text) if special is not None else ("&" in text or "<" in text or ">" in text):
            return _esc_text(text)
        return text

    def _q(self, tag: str) -> str:
        q = self._qnames.get(tag)
        if q is None:
            if tag.startswith("{"):
                ns, local = tag[1:].split("}", 1)
                prefix = self.plan.prefix_of.get(ns)
                if prefix is None or self.nsmap.get(prefix) != ns:
                    raise _Fallback
                q = f"{prefix}:{local}"
            else:
                q = tag
            self._qnames[tag] = q
        return q

    def _table(self, tp: TypePlan) -> dict[str, tuple[Any, ...]]:
        """JSON member → ``(None, qname, codec)`` for an attribute, ``(position, qname, child
        type, leaf codec or None, whether that codec keeps strings as they are, array)`` for a
        child element (its place in schema order), made once per type."""
        table = self._tables.get(tp.key)
        if table is None:
            table = {k: (None, self._q(a.tag), a.codec) for k, a in tp.attrs_json.items()}
            for pos, c in enumerate(tp.order):
                if not c.ordered:
                    leaf = c.type.value if c.type.kind == LEAF else None
                    as_is = leaf is not None and leaf.decode is None
                    table[c.json] = (pos, self._q(c.tag), c.type, leaf, as_is, c.array)
            self._tables[tp.key] = table
        return table

    def _frag(self, q: str, value: Any, tp: TypePlan, depth: int) -> str:
        if depth > self.max_depth:
            raise _Fallback
        kind = tp.kind
        if kind == LEAF:
            if isinstance(value, dict):
                raise _Fallback
            try:
                text = tp.value.encode(value)  # type: ignore[union-attr]
            except CodecError:
                raise _Fallback from None
            return f"<{q}>{self._escaped(text)}</{q}>"
        if not isinstance(value, dict):
            raise _Fallback
        if kind == MIXED:
            return self._frag_mixed(q, value, tp, depth)
        table = self._table(tp)
        head = "<" + q
        unknown = False
        items: list[tuple[int, str, Any, tuple[Any, ...]]] = []
        last = -1
        in_order = True
        for k, v in value.items():
            e = table.get(k)
            if e is None:
                if k == VALUE_KEY and kind == SIMPLE:
                    continue
                if ":" in k and kind != SIMPLE:
                    unknown = True
                    continue
                raise _Fallback
            pos = e[0]
            if pos is None:
                try:
                    text = e[2].encode(v)
                except CodecError:
                    raise _Fallback from None
                head += f' {e[1]}="{_esc_attr(text)}"'
                continue
            if v is None:
                raise _Fallback
            if pos < last:
                in_order = False
            last = pos
            items.append((pos, k, v, e))
        if kind == SIMPLE:
            if VALUE_KEY not in value:
                raise _Fallback
            try:
                text = tp.value.encode(value[VALUE_KEY])  # type: ignore[union-attr]
            except CodecError:
                raise _Fallback from None
            return f"{head}>{_esc_text(text)}</{q}>"
        if not in_order:
            items.sort(key=_first)  # schema order, as fill() writes them
        if depth + 1 > self.max_depth:
            raise _Fallback
        parts: list[str] = []
        written: dict[str, int] | None = {} if unknown else None  # anchor -> index in parts
        special = self._special
        for _pos, k, v, (_, cq, ctp, leaf, as_is, array) in items:
            if isinstance(v, list) is not array:  # an array member holds a list, any other member none
                raise _Fallback
            for i, item in enumerate(v if array else (v,)):
                if written is not None:
                    written[f"{k}/{i}" if array else k] = len(parts)
                if leaf is not None and not isinstance(item, dict):
                    if not as_is or type(item) is not str:
                        try:
                            item = leaf.encode(item)
                        except CodecError:
                            raise _Fallback from None
                    if special.search(item) if special is not None else ("&" in item or "<" in item or ">" in item):
                        item = _esc_text(item)
                    parts.append(f"<{cq}>{item}</{cq}>")
                else:
                    parts.append(self._frag(cq, item, ctp, depth + 1))
        if written is not None:
            parts = self._frag_unknowns(value, depth, parts, written, tp.children_json)
        if not parts:
            return head + "/>"
        return f"{head}>{''.join(parts)}</{q}>"

    def _frag_mixed(self, q: str, value: dict[str, Any], tp: TypePlan, depth: int) -> str:
        """Mixed content: attributes, and a ``content`` array of strings and known elements."""
        head = "<" + q
        attrs_json = tp.attrs_json
        for k, v in value.items():
            a = attrs_json.get(k)
            if a is not None:
                try:
                    text = a.codec.encode(v)
                except CodecError:
                    raise _Fallback from None
                head += f' {self._q(a.tag)}="{_esc_attr(text)}"'
            elif k != CONTENT_KEY:
                raise _Fallback
        content = value.get(CONTENT_KEY, [])
        if not isinstance(content, list):
            raise _Fallback
        ordered = tp.ordered_json
        parts: list[str] = []
        for item in content:
            if isinstance(item, str):
                parts.append(self._escaped(item))
                continue
            if not isinstance(item, dict) or len(item) != 1:
                raise _Fallback
            ((k, v),) = item.items()
            c = ordered.get(k)
            if c is None:
                raise _Fallback
            parts.append(self._frag(self._q(c.tag), v, c.type, depth + 1))
        if not parts:
            return head + "/>"
        return f"{head}>{''.join(parts)}</{q}>"

    def _frag_unknowns(
        self, value: dict[str, Any], depth: int, parts: list[str], written: dict[str, int], known: Mapping[str, Any]
    ) -> list[str]:
        """:meth:`_place_unknowns` on text: the same anchors, the same order."""
        nodes: list[list[str]] = [[p] for p in parts]  # one list per element: identity marks it
        by_anchor: dict[str, list[str]] = {a: nodes[i] for a, i in written.items()}
        pending: dict[str, list[tuple[list[str], str]]] = {}
        last = ""
        scratch = self._scratch
        for k, v in value.items():
            if ":" not in k:
                if k in known:
                    if not isinstance(v, list):
                        last = k
                    elif v:
                        last = f"{k}/{len(v) - 1}"
                continue
            array = isinstance(v, list)
            items = v if array else [v]
            for i, item in enumerate(items):
                try:
                    el = self._generic(scratch, item, depth + 1, k)
                except _PathError:
                    raise _Fallback from None
                scratch.remove(el)
                text = etree.tostring(el, encoding="unicode")
                end = text.find(">")
                start = _XMLNS.sub(lambda m: "" if self.nsmap.get(m.group(1)) == m.group(2) else m.group(0), text[:end])
                new = [start + text[end:]]
                after = item.get(AFTER_KEY, last) if i == 0 else item.get(AFTER_KEY, f"{k}/{i - 1}")
                if not isinstance(after, str):
                    raise _Fallback
                own = f"{k}/{i}" if array else k
                pending.setdefault(after, []).append((new, own))
                by_anchor[own] = new
            if items:
                last = f"{k}/{len(items) - 1}" if array else k
        if not pending:
            return parts
        seq = list(nodes)
        total = sum(len(p) for p in pending.values())
        placed = 0
        queue: list[tuple[list[str] | None, str]] = [(None, "")]
        queue.extend((n, a) for a, n in by_anchor.items() if ":" not in a)
        while queue:
            anchor_node, anchor = queue.pop()
            waiting = pending.pop(anchor, None)
            if not waiting:
                continue
            cursor = anchor_node
            for new, own in waiting:
                if cursor is None:
                    seq.insert(0, new)
                else:
                    at = next(i for i, n in enumerate(seq) if n is cursor)
                    seq.insert(at + 1, new)
                cursor = new
                placed += 1
                queue.append((new, own))
        if placed < total:
            raise _Fallback
        return [n[0] for n in seq]

    def element(self, parent: Any, tag: str, value: Any, tp: TypePlan, depth: int, pointer: str = "") -> Any:
        """Write *value* (ST.97 JSON of type *tp*) as a new child *tag* of *parent*, *depth*
        levels below the document root; a failure is a :class:`ConversionError` whose JSON
        pointer starts with *pointer* (where *value* sits in the caller's JSON)."""
        el = etree.SubElement(parent, tag)
        try:
            self.fill(el, value, tp, depth)
        except _PathError as exc:
            parent.remove(el)
            raise ConversionError(exc.message, code=exc.code, json_pointer=pointer + _pointer(exc.path)) from None
        return el

    # -- values ------------------------------------------------------------------------
    @staticmethod
    def _enc(codec: Any, v: Any) -> str:
        try:
            s: str = codec.encode(v)
        except CodecError as exc:
            raise _PathError("json-type", str(exc)) from None
        return s

    def fill(self, el: Any, value: Any, tp: TypePlan, depth: int) -> None:
        if depth > self.max_depth:
            raise _PathError("limit-depth", f"nesting deeper than {self.max_depth}")
        kind = tp.kind
        if kind == LEAF:
            if isinstance(value, dict) and VALUE_KEY in value:  # exception form with unknown attributes
                self._other_attrs(el, value)
                unexpected = set(value) - {VALUE_KEY, OTHER_ATTRIBUTES_KEY}
                if unexpected:
                    k = sorted(unexpected)[0]
                    err = _PathError("unknown-member", f"member {k!r} is not allowed here")
                    err.path.append(k)
                    raise err
                value = value[VALUE_KEY]
            _set_text(el, self._enc(tp.value, value))
            return
        if not isinstance(value, dict):
            raise _PathError("json-type", f"expected an object, got {_kind(value)}")
        attrs_json = tp.attrs_json
        children_json = tp.children_json
        unknown = False  # members of content the schema does not know (``prefix:name``)
        for k, v in value.items():
            a = attrs_json.get(k)
            if a is not None:
                try:
                    _set_attr(el, a.tag, self._enc(a.codec, v))
                except _PathError as exc:
                    exc.path.append(k)
                    raise
                continue
            if k in children_json:
                continue
            if k == VALUE_KEY and kind == SIMPLE:
                continue
            if k == CONTENT_KEY and tp.has_content:
                continue
            if ":" in k:
                unknown = True
                continue
            if k in (OTHER_ATTRIBUTES_KEY, QNAME_KEY, STRAY_TEXT_KEY):
                continue
            err = _PathError("unknown-member", f"member {k!r} is not in the ST.97 schema of this object")
            err.path.append(k)
            raise err
        self._other_attrs(el, value)
        if kind == SIMPLE:
            if VALUE_KEY not in value:
                raise _PathError("missing-value", f"member {VALUE_KEY!r} is required here")
            try:
                _set_text(el, self._enc(tp.value, value[VALUE_KEY]))
            except _PathError as exc:
                exc.path.append(VALUE_KEY)
                raise
            return
        stray = value.get(STRAY_TEXT_KEY)
        if stray is not None:
            if not isinstance(stray, str):
                err = _PathError("json-type", f"expected a string, got {_kind(stray)}")
                err.path.append(STRAY_TEXT_KEY)
                raise err
            try:
                _set_text(el, stray)
            except _PathError as exc:
                exc.path.append(STRAY_TEXT_KEY)
                raise
        if kind == MIXED:
            self._content(el, value.get(CONTENT_KEY, []), depth, tp.ordered_json, kind == MIXED)
            self._unknown_members(el, value, depth)
            return
        content_done = False
        # anchor ("name" or "name/i") -> the element written for it; kept only when the object
        # has unknown members to place among them
        written: dict[str, Any] | None = {} if unknown else None
        for c in tp.order:
            if c.ordered:
                if not content_done:
                    content_done = True
                    self._content(el, value.get(CONTENT_KEY, []), depth, tp.ordered_json, False, written)
                continue
            v = value.get(c.json)
            if v is None:
                if c.json in value:
                    err = _PathError("json-type", "null is not a value in ST.97 (omit the member)")
                    err.path.append(c.json)
                    raise err
                continue
            try:
                if c.array:
                    if not isinstance(v, list):
                        raise _PathError("json-type", f"expected an array, got {_kind(v)}")
                    for i, item in enumerate(v):
                        try:
                            child = etree.SubElement(el, c.tag)
                            if written is not None:
                                written[f"{c.json}/{i}"] = child
                            self.fill(child, item, c.type, depth + 1)
                        except _PathError as exc:
                            exc.path.append(str(i))
                            raise
                else:
                    if isinstance(v, list):
                        raise _PathError("json-type", "expected a single value, got an array")
                    child = etree.SubElement(el, c.tag)
                    if written is not None:
                        written[c.json] = child
                    self.fill(child, v, c.type, depth + 1)
            except _PathError as exc:
                exc.path.append(c.json)
                raise
        if written is not None:
            self._place_unknowns(el, value, depth, written, tp.children_json, tp.has_content)

    def _content(
        self,
        el: Any,
        content: Any,
        depth: int,
        ordered: Mapping[str, Any] | None,
        mixed: bool,
        written: dict[str, Any] | None = None,
    ) -> None:
        """Write a ``content`` array: strings as text (when *mixed*), one-member objects as
        elements — of the ordered group *ordered*, or, with ``prefix:name`` keys or under
        *ordered* None (content the schema does not know), by the generic rules. Each element
        written for item *i* is noted in *written* (when given) as the anchor ``content/i``."""
        if not isinstance(content, list):
            err = _PathError("json-type", f"expected an array, got {_kind(content)}")
            err.path.append(CONTENT_KEY)
            raise err
        text = _TextRun(el)
        for i, item in enumerate(content):
            if isinstance(item, dict):
                text.flush()
            try:
                if isinstance(item, str):
                    if not mixed:
                        raise _PathError("json-type", "text is not allowed in this content")
                    text.add(item, i)
                    continue
                if not isinstance(item, dict) or len(item) != 1:
                    raise _PathError("json-type", "a content item is a string or an object with one member")
                ((k, v),) = item.items()
                c = ordered.get(k) if ordered is not None else None
                try:
                    if c is not None:
                        last = etree.SubElement(el, c.tag)
                        text.after(last)
                        self.fill(last, v, c.type, depth + 1)
                    elif ordered is None or ":" in k:
                        last = self._generic(el, v, depth + 1, k)
                        text.after(last)
                    else:
                        raise _PathError("unknown-member", f"{k!r} is not allowed in this content")
                    if written is not None:
                        written[f"{CONTENT_KEY}/{i}"] = last
                except _PathError as exc:
                    exc.path.append(k)
                    raise
            except _PathError as exc:
                exc.path.append(str(i))
                exc.path.append(CONTENT_KEY)
                raise
        text.flush()

    def _other_attrs(self, el: Any, value: dict[str, Any]) -> None:
        other = value.get(OTHER_ATTRIBUTES_KEY)
        if other is None:
            return
        if not isinstance(other, dict) or not all(isinstance(v, str) for v in other.values()):
            err = _PathError("json-type", "expected an object of strings")
            err.path.append(OTHER_ATTRIBUTES_KEY)
            raise err
        for name, v in other.items():
            try:
                _set_attr(el, name, v)
            except _PathError as exc:
                exc.path.append(name)
                exc.path.append(OTHER_ATTRIBUTES_KEY)
                raise

    def _place_unknowns(
        self,
        el: Any,
        value: dict[str, Any],
        depth: int,
        written: dict[str, Any],
        known: Mapping[str, Any],
        ordered: bool,
    ) -> None:
        """Write the unknown members of an element-only object among the known children already
        in *el* (docs/mapping.md, "Unknown elements keep their place"): each item right after
        the element its ``$after`` names, by default after the last item of the element member
        before it in member order (none: first) or after the previous item of its own array.
        The items of an ordered ``content`` array (when *ordered*) are anchors ``content/i``.
        Items that follow the same element keep member order."""
        # anchor -> the items waiting to follow it: (element, its own anchor, JSON path)
        pending: dict[str, list[tuple[Any, str, list[str]]]] = {}
        last = ""
        for k, v in value.items():
            if ":" not in k:
                if k in known or (ordered and k == CONTENT_KEY):
                    if not isinstance(v, list):
                        last = k
                    elif v:
                        last = f"{k}/{len(v) - 1}"
                continue
            array = isinstance(v, list)
            items = v if array else [v]
            for i, item in enumerate(items):
                path = [str(i), k] if array else [k]
                try:
                    new = self._generic(el, item, depth + 1, k)
                except _PathError as exc:
                    exc.path.extend(path)
                    raise
                after = item.get(AFTER_KEY, last) if i == 0 else item.get(AFTER_KEY, f"{k}/{i - 1}")
                if not isinstance(after, str):
                    err = _PathError("json-type", f"expected a string, got {_kind(after)}")
                    err.path.extend([AFTER_KEY, *path])
                    raise err
                own = f"{k}/{i}" if array else k
                pending.setdefault(after, []).append((new, own, path))
                written[own] = new
            if items:
                last = f"{k}/{len(items) - 1}" if array else k
        if not pending:
            return
        placed = 0
        total = sum(len(p) for p in pending.values())
        # place what follows the start or a known element, then what follows each placed one
        queue: list[tuple[Any, str]] = [(None, "")]
        queue.extend((e, a) for a, e in written.items() if ":" not in a)
        while queue:
            anchor_el, anchor = queue.pop()
            waiting = pending.pop(anchor, None)
            if not waiting:
                continue
            cursor = anchor_el
            for new, own, _path in waiting:
                if cursor is None:
                    el.insert(0, new)
                else:
                    cursor.addnext(new)
                cursor = new
                placed += 1
                queue.append((new, own))
        if placed < total:
            anchor, ((_new, _own, path), *_) = next(iter(pending.items()))
            err = _PathError("json-value", f"{AFTER_KEY} {anchor!r} names no element of this object")
            err.path.extend([AFTER_KEY, *path])
            raise err

    def _unknown_members(self, el: Any, value: dict[str, Any], depth: int) -> None:
        for k, v in value.items():
            if ":" not in k:
                continue
            try:
                for item in v if isinstance(v, list) else [v]:
                    self._generic(el, item, depth + 1, k)
            except _PathError as exc:
                exc.path.append(k)
                raise

    def _generic(self, parent: Any, v: Any, depth: int, key: str) -> Any:
        if depth > self.max_depth:
            raise _PathError("limit-depth", f"nesting deeper than {self.max_depth}")
        if not isinstance(v, dict) or not isinstance(v.get(QNAME_KEY), str):
            raise _PathError("json-type", f"content the schema does not know needs an object with {QNAME_KEY!r}")
        qname = v[QNAME_KEY]
        nsmap = None
        if qname.startswith("{"):
            # keep the prefix of the JSON key, so that XML → JSON gives the same key again
            ns = qname[1:].split("}")[0]
            prefix = key.split(":", 1)[0]
            if parent.nsmap.get(prefix, ns) == ns and prefix not in self.plan.namespaces:
                nsmap = {prefix: ns}
        try:
            el = etree.SubElement(parent, qname, nsmap=nsmap)
        except ValueError as exc:
            raise _PathError("json-value", f"invalid XML name: {exc}") from None
        self._other_attrs(el, v)
        if VALUE_KEY in v:
            try:
                if not isinstance(v[VALUE_KEY], str):
                    raise _PathError("json-type", f"expected a string, got {_kind(v[VALUE_KEY])}")
                _set_text(el, v[VALUE_KEY])
            except _PathError as exc:
                exc.path.append(VALUE_KEY)
                raise
        if CONTENT_KEY in v:
            self._content(el, v[CONTENT_KEY], depth, None, True)
        self._unknown_members(el, v, depth)
        return el

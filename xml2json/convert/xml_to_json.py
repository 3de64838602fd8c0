"""ST.96 XML element trees → ST.97 JSON values, driven by a compiled :class:`~xml2json.plan.Plan`.

The hot loop (:meth:`XmlToJson.element`) does dictionary lookups in the plan
and nothing else; locations (XML path, line) are only computed when a warning
or an error is raised.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from ..config import Options
from ..errors import ConversionError, Issue, UnknownContentError
from ..plan import ARRAY, ELEMENT, LEAF, MIXED, ORDERED, SIMPLE, SINGLE, CodecError, DocumentPlan, Plan, TypePlan
from ..policy import (
    AFTER_KEY,
    CONTENT_KEY,
    OTHER_ATTRIBUTES_KEY,
    QNAME_KEY,
    STRAY_TEXT_KEY,
    VALUE_KEY,
    XSI_NS,
    unknown_element_key,
)

_XSI = f"{{{XSI_NS}}}"

# Placements of a child in its parent's object (plan.SINGLE, ARRAY, ORDERED), and the kinds
# tested in the hot loop; small ints are singletons, so the loop compares them with ``is``.
_SINGLE, _ARRAY, _ORDERED = SINGLE, ARRAY, ORDERED
_LEAF_KIND, _ELEMENT_KIND = LEAF, ELEMENT


def xml_path(el: Any, prefixes: Mapping[str, str]) -> str:
    """An XPath-like location with standard prefixes and 1-based positions among same-named siblings."""
    parts = []
    while el is not None:
        tag = el.tag
        if not isinstance(tag, str):
            el = el.getparent()
            continue
        if tag.startswith("{"):
            ns, local = tag[1:].split("}")
            name = f"{prefixes.get(ns) or el.prefix or 'ns'}:{local}"
        else:
            name = tag
        parent = el.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == tag]
            if len(same) > 1:
                name += f"[{same.index(el) + 1}]"
        parts.append(name)
        el = parent
    return "/" + "/".join(reversed(parts))


_MEMO_SIZE = 4096


def _add_generic(obj: dict[str, Any], key: str, v: dict[str, Any]) -> None:
    """Add the generic value *v* of an unknown element under *key*: the value alone, or an array
    once the name repeats (rule 21)."""
    prev = obj.get(key)
    if prev is None:
        obj[key] = v
    elif isinstance(prev, list):
        prev.append(v)
    else:
        obj[key] = [prev, v]


def _remember(memo: dict[Any, str], key: Any, value: str) -> None:
    """Memos keyed by names from the input stay bounded."""
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[key] = value


class XmlToJson:
    """Converts elements of one plan with one set of options.

    It holds no state of a call, so one instance serves every call (a
    :class:`~xml2json.Converter` keeps one per plan, and the bulk engine converts every record
    of a document with it): each call collects its own warnings, once per code and path, into
    the list it is given. What it keeps is derived from element names of the input — the JSON
    keys of unknown elements, the prefixed names used in locations — in bounded memos.
    """

    __slots__ = ("_names", "_unknown_keys", "max_depth", "options", "plan", "prefixes", "strict")

    def __init__(self, plan: Plan, options: Options) -> None:
        self.plan = plan
        self.options = options
        self.strict = options.strict
        self.prefixes = plan.prefix_of
        self.max_depth = options.limits.max_depth
        self._unknown_keys: dict[tuple[str, str | None], str] = {}  # (Clark tag, prefix) -> JSON key
        self._names: dict[str, str] = {}  # Clark tag -> prefixed name, for locations

    def document(self, root: Any, doc: DocumentPlan, warnings: list[Issue]) -> dict[str, Any]:
        """*root* as the document *doc*. The warnings of this call are appended to *warnings*
        (when it raises, those found before the error)."""
        return _Reading(self, warnings).document(root, doc)

    def element(self, el: Any, tp: TypePlan, depth: int, warnings: list[Issue]) -> Any:
        """*el* of type *tp*, *depth* levels below the document root; warnings as in :meth:`document`."""
        return _Reading(self, warnings).element(el, tp, depth)


class _Reading:
    """One call of an :class:`XmlToJson`: the hot loop, and the warnings of that call."""

    __slots__ = ("_names", "_seen", "_unknown_keys", "max_depth", "plan", "prefixes", "strict", "warnings")

    def __init__(self, reader: XmlToJson, warnings: list[Issue]) -> None:
        self.plan = reader.plan
        self.strict = reader.strict
        self.prefixes = reader.prefixes
        self.max_depth = reader.max_depth
        self._unknown_keys = reader._unknown_keys
        self._names = reader._names
        self.warnings = warnings
        self._seen: set[tuple[str, str]] = set()

    # -- reporting --------------------------------------------------------------------
    def _generic_path(self, el: Any) -> str:
        """Like :func:`xml_path` without positions: warnings are reported once per such path."""
        names = self._names
        parts = []
        while el is not None:
            tag = el.tag
            if tag.__class__ is str:
                name = names.get(tag)
                if name is None:
                    if tag.startswith("{"):
                        ns, local = tag[1:].split("}")
                        prefix = self.prefixes.get(ns)
                        name = f"{prefix or el.prefix or 'ns'}:{local}"
                        if prefix:  # else the name depends on the element's own prefix
                            _remember(names, tag, name)
                    else:
                        name = tag
                        _remember(names, tag, name)
                parts.append(name)
            el = el.getparent()
        return "/" + "/".join(reversed(parts))

    def _unknown(self, el: Any, code: str, what: str, allowed: bool) -> None:
        if allowed:
            return
        path = self._generic_path(el)
        if self.strict:
            raise UnknownContentError(
                f"{what} is not in the ST.96 {self.plan.version} schema",
                code=code,
                xml_path=xml_path(el, self.prefixes),
                line=el.sourceline,
            )
        key = (code, path + "|" + what)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(
                Issue(
                    code=code,
                    message=f"{what} is not in the ST.96 {self.plan.version} schema; converted by the generic rules",
                    xml_path=path,
                    line=el.sourceline,
                )
            )

    def _fail(self, el: Any, code: str, message: str) -> ConversionError:
        return ConversionError(message, code=code, xml_path=xml_path(el, self.prefixes), line=el.sourceline)

    def warn_value(self, el: Any, message: str) -> None:
        if self.strict:
            raise self._fail(el, "invalid-value", message)
        path = self._generic_path(el)
        key = ("invalid-value", path)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(
                Issue(code="invalid-value", message=message + "; kept as a string", xml_path=path, line=el.sourceline)
            )

    # -- documents ---------------------------------------------------------------------
    def document(self, root: Any, doc: DocumentPlan) -> dict[str, Any]:
        return {doc.json_root: self.element(root, doc.type, 0)}

    # -- the hot loop ---------------------------------------------------------------------
    def _decode(self, el: Any, codec: Any, text: str) -> Any:
        dec = codec.decode
        if dec is None:
            return text
        try:
            return dec(text)
        except CodecError as exc:
            self.warn_value(el, str(exc))
            return text

    def _attrs(self, el: Any, tp: TypePlan, obj: dict[str, Any]) -> None:
        attrs = tp.attrs
        other: dict[str, str] | None = None
        for name, v in el.attrib.items():
            a = attrs.get(name)
            if a is not None:
                dec = a.codec.decode
                if dec is None:
                    obj[a.json] = v
                else:
                    try:
                        obj[a.json] = dec(v)
                    except CodecError as exc:
                        self.warn_value(el, f"attribute {name}: {exc}")
                        obj[a.json] = v
                continue
            if name.startswith(_XSI):
                continue  # rule 2/15: xsi:* attributes are not data
            self._unknown(el, "unknown-attribute", f"attribute {name}", tp.any_attr is not None)
            if other is None:
                other = obj.setdefault(OTHER_ATTRIBUTES_KEY, {})
            other[name] = v

    def _text_of_leaf(self, el: Any) -> str:
        if len(el) == 0:
            return el.text or ""
        parts = [el.text or ""]
        for ch in el:
            if isinstance(ch.tag, str):
                raise self._fail(
                    el,
                    "unexpected-children",
                    f"element {ch.tag} inside an element of simple type cannot be represented",
                )
            parts.append(ch.tail or "")
        return "".join(parts)

    def element(self, el: Any, tp: TypePlan, depth: int) -> Any:
        """Convert *el* of type *tp*; *depth* is its nesting level below the converted root."""
        if depth > self.max_depth:
            raise self._fail(el, "limit-depth", f"nesting deeper than {self.max_depth}")
        kind = tp.kind
        if kind == LEAF:
            text = self._text_of_leaf(el)
            value = self._decode(el, tp.value, text)
            if el.attrib:
                extra: dict[str, str] = {}
                for name, v in el.attrib.items():
                    if not name.startswith(_XSI):
                        self._unknown(el, "unknown-attribute", f"attribute {name}", False)
                        extra[name] = v
                if extra:  # the documented exception form: {"value": …, "$attributes": {…}}
                    return {VALUE_KEY: value, OTHER_ATTRIBUTES_KEY: extra}
            return value
        if kind in (SIMPLE, MIXED):
            obj: dict[str, Any] = {}
            if el.attrib:
                self._attrs(el, tp, obj)
            if kind == SIMPLE:
                obj[VALUE_KEY] = self._decode(el, tp.value, self._text_of_leaf(el))
            else:
                obj[CONTENT_KEY] = self._mixed(el, tp, depth)
            return obj
        return self._complex(el, tp, depth)

    def _complex(self, el: Any, tp: TypePlan, depth: int) -> dict[str, Any]:
        """Element-only (or empty) content; *depth* is already checked.

        Profiled (docs/performance.md): per child, lxml's accessors (``tag``, ``text``,
        ``tail``, ``attrib``) and the bytecode around them are the whole cost, so the common
        child — a known leaf without attributes or children — is converted inline with the
        same steps :meth:`element` takes for it, from a per-type table of tuples; any other
        child goes through :meth:`element`; the tuples are the plan's :attr:`TypePlan.table`.
        ``getchildren()`` builds the child list in C, three times cheaper than iterating the element.
        """
        obj: dict[str, Any] = {}
        if el.attrib:
            self._attrs(el, tp, obj)
        text = el.text
        if text and not text.isspace():
            self._stray(el, obj, text)
        kids = el.getchildren()
        if not kids:
            if STRAY_TEXT_KEY in obj:
                obj[STRAY_TEXT_KEY] = "".join(obj[STRAY_TEXT_KEY])
            return obj
        get = tp.table.get
        content: list[Any] | None = None
        d1 = depth + 1
        inline = d1 <= self.max_depth  # else element() raises limit-depth for the child
        unknown = False
        for ch in kids:
            f = get(ch.tag)
            if f is None:
                if ch.tag.__class__ is str:  # else a comment or processing instruction: not data
                    item = self._unknown_child(ch, tp, obj, depth)
                    if item is not None:  # wholly ordered content: the item goes in at its place
                        if content is None:
                            content = obj[CONTENT_KEY] = []
                        content.append(item)
                    unknown = True
            else:
                key, place, dec, ctp, kind = f
                if kind is _LEAF_KIND and inline and not len(ch) and not ch.keys():
                    v = ch.text or ""
                    if dec is not None:
                        try:
                            v = dec(v)
                        except CodecError as exc:
                            self.warn_value(ch, str(exc))
                elif kind is _ELEMENT_KIND and inline:
                    v = self._complex(ch, ctp, d1)
                else:
                    v = self.element(ch, ctp, d1)
                if place is _SINGLE:
                    if key in obj:
                        raise self._fail(ch, "too-many", f"element {ch.tag} occurs more often than the schema allows")
                    obj[key] = v
                elif place is _ARRAY:
                    lst = obj.get(key)
                    if lst is None:
                        obj[key] = [v]
                    else:
                        lst.append(v)
                else:
                    if content is None:
                        content = obj[CONTENT_KEY] = []
                    content.append({key: v})
            tail = ch.tail
            if tail and not tail.isspace():
                self._stray(el, obj, tail)
        if STRAY_TEXT_KEY in obj:  # pieces were collected in a list: joining once keeps this linear
            obj[STRAY_TEXT_KEY] = "".join(obj[STRAY_TEXT_KEY])
        if unknown:
            if not tp.has_content:
                _anchor_unknowns(kids, tp, obj, self._unknown_key)
            elif tp.children_json:
                self._partly_ordered_unknowns(kids, tp, obj, depth)
        return obj

    def _stray(self, el: Any, obj: dict[str, Any], text: str) -> None:
        self._unknown(el, "unexpected-text", "text in element-only content", False)
        pieces = obj.get(STRAY_TEXT_KEY)
        if pieces is None:
            obj[STRAY_TEXT_KEY] = [text]
        else:
            pieces.append(text)

    def _mixed(self, el: Any, tp: TypePlan, depth: int) -> list[Any]:
        content: list[Any] = []
        # adjacent text pieces (split by comments or processing instructions) are collected and
        # joined once, when an element or the end follows: appending to a string kept in the
        # list would copy it each time (quadratic on hostile input)
        pending: list[str] = []
        text = el.text
        if text:
            pending.append(text)
        children = tp.children
        for ch in el.getchildren():
            tag = ch.tag
            if tag.__class__ is str:
                if pending:
                    content.append("".join(pending))
                    pending = []
                c = children.get(tag)
                if c is not None:
                    content.append({c.json: self.element(ch, c.type, depth + 1)})
                else:
                    self._unknown(ch, "unknown-element", f"element {tag}", tp.any_elem is not None)
                    content.append({self._unknown_key(ch): self.generic(ch, depth + 1)})
            tail = ch.tail
            if tail:
                pending.append(tail)
        if pending:
            content.append("".join(pending))
        return content

    # -- content the schema does not know (rule 21) -------------------------------------
    def _unknown_key(self, el: Any) -> str:
        tag = el.tag
        memo = (tag, el.prefix)
        key = self._unknown_keys.get(memo)
        if key is None:
            if tag.startswith("{"):
                ns, local = tag[1:].split("}")
                key = unknown_element_key(self.prefixes.get(ns) or el.prefix, local)
            else:
                key = unknown_element_key(None, tag)
            _remember(self._unknown_keys, memo, key)
        return key

    def _unknown_child(self, ch: Any, tp: TypePlan, obj: dict[str, Any], depth: int) -> dict[str, Any] | None:
        """Warn about the unknown child *ch* and place it (docs/mapping.md, "Unknown elements keep
        their place"): returned as a ``content`` item when every child of *tp* is ordered; left
        to :meth:`_partly_ordered_unknowns` when only a group is; else a member of *obj*."""
        self._unknown(ch, "unknown-element", f"element {ch.tag}", tp.any_elem is not None)
        if tp.has_content:
            if tp.children_json:
                return None
            return {self._unknown_key(ch): self.generic(ch, depth + 1)}
        key = self._unknown_key(ch)
        v = self.generic(ch, depth + 1)
        _add_generic(obj, key, v)
        return None

    def _partly_ordered_unknowns(self, kids: list[Any], tp: TypePlan, obj: dict[str, Any], depth: int) -> None:
        """Place the unknown children of a type of which one group is ordered ``content`` and the
        rest plain members; runs only for parents with unknown children. One between the first
        and the last item of the group becomes a ``content`` item at its place; any other one a
        member, as in unordered content: *obj* is rebuilt with its element members (``content``
        at its first item) in document order of first occurrence, after the attributes,
        ``$attributes`` and ``$text``, and ``$after`` where needed."""
        table = tp.table
        els = [ch for ch in kids if ch.tag.__class__ is str]
        entries = [table.get(ch.tag) for ch in els]
        items_at = [i for i, f in enumerate(entries) if f is not None and f[1] is _ORDERED]
        first, last = (items_at[0], items_at[-1]) if items_at else (0, 0)
        inside = [f is None and first < i < last for i, f in enumerate(entries)]
        known = tp.children_json
        items = iter(obj.get(CONTENT_KEY, ()))
        rebuilt = {k: v for k, v in obj.items() if k != CONTENT_KEY and k not in known}
        content: list[Any] = []
        for ch, f, into_content in zip(els, entries, inside, strict=True):
            if f is not None:
                if f[1] is _ORDERED:
                    if not content:
                        rebuilt[CONTENT_KEY] = content
                    content.append(next(items))
                elif f[0] not in rebuilt:
                    rebuilt[f[0]] = obj[f[0]]
                continue
            key = self._unknown_key(ch)
            v = self.generic(ch, depth + 1)
            if into_content:
                content.append({key: v})
                continue
            _add_generic(rebuilt, key, v)
        obj.clear()
        obj.update(rebuilt)
        _anchor_unknowns(els, tp, obj, self._unknown_key, inside)

    def generic(self, el: Any, depth: int) -> dict[str, Any]:
        """Schema-less conversion: exact name in ``$qname``, attributes verbatim, text as ``value``."""
        if depth > self.max_depth:
            raise self._fail(el, "limit-depth", f"nesting deeper than {self.max_depth}")
        obj: dict[str, Any] = {QNAME_KEY: el.tag}
        other: dict[str, str] = {}
        if el.attrib:
            for name, v in el.attrib.items():
                if not name.startswith(_XSI):
                    other[name] = v
            if other:
                obj[OTHER_ATTRIBUTES_KEY] = other
        text = el.text
        if not len(el):  # the common case: text only
            if (text and not text.isspace()) or not other:
                obj[VALUE_KEY] = text or ""
            return obj
        nodes = el.getchildren()
        kids = [c for c in nodes if c.tag.__class__ is str]
        tails = [c.tail for c in nodes]
        has_text = bool(text and not text.isspace()) or any(t and not t.isspace() for t in tails)
        if kids and not has_text and _repeats_apart(kids):  # keep order: no regrouping
            obj[CONTENT_KEY] = [{self._unknown_key(ch): self.generic(ch, depth + 1)} for ch in kids]
            return obj
        if kids and has_text:  # mixed: keep order
            content: list[Any] = []
            pending: list[str] = [text] if text else []
            for ch, tail in zip(nodes, tails, strict=True):
                if ch.tag.__class__ is str:
                    if pending:
                        content.append("".join(pending))
                        pending = []
                    content.append({self._unknown_key(ch): self.generic(ch, depth + 1)})
                if tail:
                    pending.append(tail)
            if pending:
                content.append("".join(pending))
            obj[CONTENT_KEY] = content
            return obj
        if not kids:
            if has_text or not other:
                obj[VALUE_KEY] = (text or "") + "".join([t or "" for t in tails])
            return obj
        for ch in kids:
            key = self._unknown_key(ch)
            v = self.generic(ch, depth + 1)
            _add_generic(obj, key, v)
        return obj


def _repeats_apart(kids: list[Any]) -> bool:
    """Some name occurs twice with another name between: per-name members would regroup them."""
    done: set[str] = set()
    last = None
    for ch in kids:
        tag = ch.tag
        if tag != last:
            if tag in done:
                return True
            if last is not None:
                done.add(last)
            last = tag
    return False


def _anchor(key: str, index: int, array: bool) -> str:
    return f"{key}/{index}" if array else key


def _writer_member_order(obj: dict[str, Any], lead: list[str], segments: list[tuple[int, list[str]]]) -> None:
    """Put the element members of *obj* (known ones and ``prefix:name`` ones) in the order of
    their first element in what the writer gives back for it (known elements in schema order,
    each unknown element after the element it followed): member order then says the same
    before and after a round trip, and ``$after`` is written only where it is needed in both.
    Used only when the known children were out of schema order (e.g. interleaved branches of
    a repeating choice) and unknown children are present."""
    segments.sort(key=lambda s: s[0])
    order = dict.fromkeys(lead + [k for _, seg in segments for k in seg])
    items = list(obj.items())
    values = dict(items)
    obj.clear()
    placed = False
    for k, v in items:
        if k not in order:
            obj[k] = v
        elif not placed:
            placed = True
            for m in order:
                obj[m] = values[m]


def _anchor_unknowns(
    kids: list[Any], tp: TypePlan, obj: dict[str, Any], unknown_key: Any, inside: list[bool] | None = None
) -> None:
    """Give each unknown element of element-only content that is a member of *obj* the
    ``$after`` member its place needs (policy.AFTER_KEY): only where the writer's default —
    after the last item of the element member before it in *obj*, or after the previous item
    of its own array — would put it elsewhere. Items of an ordered ``content`` array are
    anchors ``content/i``; *inside* (for a partly ordered type: per element child, whether it
    is such an item though unknown) tells them from members. Runs only for parents with
    unknown children."""
    table = tp.table
    seen: dict[str, int] = {}
    prev = ""
    actual: list[tuple[str, int, str]] = []  # (key, index, the element it follows)
    # the writer's order of the children by member keys: a leading run of unknown elements,
    # then per known element (its position in schema order) the element and the unknown
    # elements that follow it (they travel with it when the writer regroups)
    lead: list[str] = []
    segments: list[tuple[int, list[str]]] = []
    position = {c.json: n for n, c in enumerate(tp.order)} if inside is None else None
    j = -1
    for ch in kids:
        tag = ch.tag
        if tag.__class__ is not str:
            continue
        j += 1
        f = table.get(tag)
        if f is None and (inside is None or not inside[j]):
            key = unknown_key(ch)
            array = isinstance(obj[key], list)
            n = seen.get(key, 0)
            actual.append((key, n, prev))
            (segments[-1][1] if segments else lead).append(key)
        else:
            if f is None or f[1] is _ORDERED:  # an item of ordered content
                key, array = CONTENT_KEY, True
            else:
                key, array = f[0], f[1] is _ARRAY
            n = seen.get(key, 0)
            if position is not None:
                segments.append((position[key], [key]))
        seen[key] = n + 1
        prev = _anchor(key, n, array)
    if position is not None and any(x[0] > y[0] for x, y in pairwise(segments)):
        _writer_member_order(obj, lead, segments)
    children_json = tp.children_json
    ordered = tp.has_content
    default: dict[tuple[str, int], str] = {}
    last = ""
    for k, v in obj.items():
        is_unknown = ":" in k
        if not is_unknown and k not in children_json and not (ordered and k == CONTENT_KEY):
            continue  # an attribute, $attributes, $text
        array = isinstance(v, list)
        if is_unknown:
            for i in range(len(v) if array else 1):
                default[(k, i)] = last if i == 0 else _anchor(k, i - 1, True)
        if not array:
            last = k
        elif v:
            last = _anchor(k, len(v) - 1, True)
    for key, n, prev in actual:
        if default[(key, n)] != prev:
            v = obj[key]
            (v[n] if isinstance(v, list) else v)[AFTER_KEY] = prev

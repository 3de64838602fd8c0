"""ST.96 XML element trees → ST.97 JSON values, driven by a compiled :class:`~xml2json.plan.Plan`.

The hot loop (:meth:`XmlToJson.element`) does dictionary lookups in the plan
and nothing else; locations (XML path, line) are only computed when a warning
or an error is raised.
"""

from __future__ import annotations

from typing import Any

from ..config import Options
from ..errors import ConversionError, Issue, UnknownContentError
from ..plan import LEAF, MIXED, SIMPLE, CodecError, DocumentPlan, Plan, TypePlan
from ..policy import (
    CONTENT_KEY,
    OTHER_ATTRIBUTES_KEY,
    QNAME_KEY,
    STRAY_TEXT_KEY,
    VALUE_KEY,
    XSI_NS,
    unknown_element_key,
)

_XSI = f"{{{XSI_NS}}}"


def xml_path(el: Any, prefixes: dict[str, str]) -> str:
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


def _generic_path(el: Any, prefixes: dict[str, str]) -> str:
    """Like :func:`xml_path` without positions: warnings are reported once per such path."""
    parts = []
    while el is not None:
        tag = el.tag
        if isinstance(tag, str):
            if tag.startswith("{"):
                ns, local = tag[1:].split("}")
                parts.append(f"{prefixes.get(ns) or el.prefix or 'ns'}:{local}")
            else:
                parts.append(tag)
        el = el.getparent()
    return "/" + "/".join(reversed(parts))


class XmlToJson:
    """Converts elements of one plan; collects warnings (once per code and path)."""

    def __init__(self, plan: Plan, options: Options) -> None:
        self.plan = plan
        self.options = options
        self.strict = options.strict
        self.prefixes = plan.prefix_of
        self.max_depth = options.limits.max_depth
        self.warnings: list[Issue] = []
        self._seen: set[tuple[str, str]] = set()

    # -- reporting --------------------------------------------------------------------
    def _unknown(self, el: Any, code: str, what: str, allowed: bool) -> None:
        if allowed:
            return
        path = _generic_path(el, self.prefixes)
        if self.strict:
            raise UnknownContentError(f"{what} is not in the ST.96 {self.plan.version} schema",
                                      code=code, xml_path=xml_path(el, self.prefixes), line=el.sourceline)
        key = (code, path + "|" + what)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(Issue(code=code, message=f"{what} is not in the ST.96 {self.plan.version} "
                                       "schema; converted by the generic rules", xml_path=path,
                                       line=el.sourceline))

    def _fail(self, el: Any, code: str, message: str) -> ConversionError:
        return ConversionError(message, code=code, xml_path=xml_path(el, self.prefixes), line=el.sourceline)

    def warn_value(self, el: Any, message: str) -> None:
        if self.strict:
            raise self._fail(el, "invalid-value", message)
        path = _generic_path(el, self.prefixes)
        key = ("invalid-value", path)
        if key not in self._seen:
            self._seen.add(key)
            self.warnings.append(Issue(code="invalid-value", message=message + "; kept as a string",
                                       xml_path=path, line=el.sourceline))

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
                raise self._fail(el, "unexpected-children",
                                 f"element {ch.tag} inside an element of simple type cannot be represented")
            parts.append(ch.tail or "")
        return "".join(parts)

    def element(self, el: Any, tp: TypePlan, depth: int) -> Any:
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
        obj: dict[str, Any] = {}
        if el.attrib:
            self._attrs(el, tp, obj)
        if kind == SIMPLE:
            obj[VALUE_KEY] = self._decode(el, tp.value, self._text_of_leaf(el))
            return obj
        if kind == MIXED:
            obj[CONTENT_KEY] = self._mixed(el, tp, depth)
            return obj
        children = tp.children
        content: list[Any] | None = None
        text = el.text
        if text and not text.isspace():
            self._stray(el, obj, text)
        for ch in el:
            tag = ch.tag
            if tag.__class__ is not str:  # comment or processing instruction: not data
                tail = ch.tail
                if tail and not tail.isspace():
                    self._stray(el, obj, tail)
                continue
            c = children.get(tag)
            if c is not None:
                v = self.element(ch, c.type, depth + 1)
                if c.ordered:
                    if content is None:
                        content = obj[CONTENT_KEY] = []
                    content.append({c.json: v})
                elif c.array:
                    lst = obj.get(c.json)
                    if lst is None:
                        obj[c.json] = [v]
                    else:
                        lst.append(v)
                elif c.json in obj:
                    raise self._fail(ch, "too-many", f"element {tag} occurs more often than the schema allows")
                else:
                    obj[c.json] = v
            else:
                self._unknown_child(ch, tp, obj, depth)
            tail = ch.tail
            if tail and not tail.isspace():
                self._stray(el, obj, tail)
        return obj

    def _stray(self, el: Any, obj: dict[str, Any], text: str) -> None:
        self._unknown(el, "unexpected-text", "text in element-only content", False)
        prev = obj.get(STRAY_TEXT_KEY)
        obj[STRAY_TEXT_KEY] = text if prev is None else prev + text

    def _mixed(self, el: Any, tp: TypePlan, depth: int) -> list[Any]:
        content: list[Any] = []
        text = el.text
        if text:
            content.append(text)
        children = tp.children
        for ch in el:
            tag = ch.tag
            if tag.__class__ is str:
                c = children.get(tag)
                if c is not None:
                    content.append({c.json: self.element(ch, c.type, depth + 1)})
                else:
                    self._unknown(ch, "unknown-element", f"element {tag}", tp.any_elem is not None)
                    content.append({self._unknown_key(ch): self.generic(ch, depth + 1)})
            tail = ch.tail
            if tail:
                if content and content[-1].__class__ is str:
                    content[-1] += tail
                else:
                    content.append(tail)
        return content

    # -- content the schema does not know (rule 21) -------------------------------------
    def _unknown_key(self, el: Any) -> str:
        tag = el.tag
        if tag.startswith("{"):
            ns, local = tag[1:].split("}")
            return unknown_element_key(self.prefixes.get(ns) or el.prefix, local)
        return unknown_element_key(None, tag)

    def _unknown_child(self, ch: Any, tp: TypePlan, obj: dict[str, Any], depth: int) -> None:
        self._unknown(ch, "unknown-element", f"element {ch.tag}", tp.any_elem is not None)
        key = self._unknown_key(ch)
        v = self.generic(ch, depth + 1)
        if tp.has_content:
            obj.setdefault(CONTENT_KEY, []).append({key: v})
            return
        prev = obj.get(key)
        if prev is None:
            obj[key] = v
        elif isinstance(prev, list):
            prev.append(v)
        else:
            obj[key] = [prev, v]

    def generic(self, el: Any, depth: int) -> dict[str, Any]:
        """Schema-less conversion: exact name in ``$qname``, attributes verbatim, text as ``value``."""
        if depth > self.max_depth:
            raise self._fail(el, "limit-depth", f"nesting deeper than {self.max_depth}")
        obj: dict[str, Any] = {QNAME_KEY: el.tag}
        other: dict[str, str] = {}
        for name, v in el.attrib.items():
            if not name.startswith(_XSI):
                other[name] = v
        if other:
            obj[OTHER_ATTRIBUTES_KEY] = other
        kids = [c for c in el if c.tag.__class__ is str]
        texts = [el.text or ""] + [c.tail or "" for c in el]
        has_text = any(t and not t.isspace() for t in texts)
        if kids and has_text:  # mixed: keep order
            content: list[Any] = []
            if el.text:
                content.append(el.text)
            for ch in el:
                if ch.tag.__class__ is str:
                    content.append({self._unknown_key(ch): self.generic(ch, depth + 1)})
                if ch.tail:
                    if content and content[-1].__class__ is str:
                        content[-1] += ch.tail
                    else:
                        content.append(ch.tail)
            obj[CONTENT_KEY] = content
            return obj
        if not kids:
            if has_text or not other:
                obj[VALUE_KEY] = "".join(texts)
            return obj
        for ch in kids:
            key = self._unknown_key(ch)
            v = self.generic(ch, depth + 1)
            prev = obj.get(key)
            if prev is None:
                obj[key] = v
            elif isinstance(prev, list):
                prev.append(v)
            else:
                obj[key] = [prev, v]
        return obj

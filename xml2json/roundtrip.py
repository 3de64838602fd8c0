"""Round-trip checks, as defined at the end of the mapping rules.

* XML → JSON → XML: equal after a canonicalisation that ignores only what is
  not data (prefixes, comments, PIs, xsi:* attributes, whitespace between
  elements), boolean and decimal lexical forms, and the interleaving between
  branches of repeating choices that are not kept in order;
* JSON → XML → JSON: exactly equal;
* both outputs valid: XML against the XSD, JSON against the JSON Schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import Issue
from .plan import LEAF, MIXED, SIMPLE, CodecError, Plan, TypePlan
from .policy import XSI_NS

_XSI = f"{{{XSI_NS}}}"


@dataclass
class RoundTripReport:
    source: str
    document: str | None = None
    version: str | None = None
    xml_equal: bool | None = None
    json_equal: bool | None = None
    xml_valid: bool | None = None  # None: not checked (XSD not available)
    json_valid: bool | None = None
    first_difference: str | None = None
    issues: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(
            self.xml_equal
            and self.json_equal
            and self.json_valid is not False
            and self.xml_valid is not False
            and not self.issues
        )


def _decode(codec: Any, text: str) -> Any:
    if codec is None or codec.decode is None:
        return text
    try:
        return codec.decode(text)
    except CodecError:
        return text


def _text(el: Any) -> str:
    parts = [el.text or ""]
    for ch in el:
        if not isinstance(ch.tag, str):
            parts.append(ch.tail or "")
    return "".join(parts)


def _mixed_items(el: Any) -> list[Any]:
    items: list[Any] = []
    buf = el.text or ""
    for ch in el:
        if isinstance(ch.tag, str):
            if buf:
                items.append(buf)
            buf = ""
            items.append(ch)
        buf += ch.tail or ""
    if buf:
        items.append(buf)
    return items


def _stray(el: Any) -> str:
    parts = [el.text or ""] + [ch.tail or "" for ch in el]
    return "".join(p for p in parts if p and not p.isspace())


class CanonicalComparer:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.prefixes = plan.prefix_of

    def _name(self, tag: str) -> str:
        if tag.startswith("{"):
            ns, local = tag[1:].split("}")
            return f"{self.prefixes.get(ns, '?')}:{local}"
        return tag

    def first_difference(self, a: Any, b: Any, tp: TypePlan | None) -> str | None:
        return self._cmp(a, b, tp, "/" + self._name(a.tag))

    def _attrs(self, el: Any, tp: TypePlan | None) -> dict[str, Any]:
        out = {}
        for k, v in el.attrib.items():
            if k.startswith(_XSI):
                continue
            a = tp.attrs.get(k) if tp is not None else None
            out[k] = _decode(a.codec if a else None, v)
        return out

    def _cmp(self, a: Any, b: Any, tp: TypePlan | None, path: str) -> str | None:
        if a.tag != b.tag:
            return f"{path}: element {self._name(a.tag)} became {self._name(b.tag)}"
        aa, ba = self._attrs(a, tp), self._attrs(b, tp)
        if aa != ba:
            keys = sorted(set(aa) | set(ba))
            k = next(k for k in keys if aa.get(k) != ba.get(k))
            return f"{path}/@{self._name(k)}: {aa.get(k)!r} became {ba.get(k)!r}"
        if tp is not None and tp.kind in (LEAF, SIMPLE):
            va, vb = _decode(tp.value, _text(a)), _decode(tp.value, _text(b))
            if va != vb:
                return f"{path}: value {va!r} became {vb!r}"
            return None
        if tp is None or tp.kind == MIXED:
            ia, ib = _mixed_items(a), _mixed_items(b)
            if tp is None and not any(isinstance(i, str) and not i.isspace() for i in ia):
                ia = [i for i in ia if not isinstance(i, str)]
                ib = [i for i in ib if not isinstance(i, str)]
            return self._seq(ia, ib, tp, path)
        sa, sb = _stray(a), _stray(b)
        if sa != sb:
            return f"{path}: text {sa!r} became {sb!r}"
        return self._seq(self._sorted(a, tp), self._sorted(b, tp), tp, path)

    def _sorted(self, el: Any, tp: TypePlan) -> list[Any]:
        index: dict[str, int] = {}
        first_ordered = None
        for i, c in enumerate(tp.order):
            if c.ordered:
                if first_ordered is None:
                    first_ordered = i
                index[c.tag] = first_ordered
            else:
                index[c.tag] = i
        end = len(tp.order)
        kids = [ch for ch in el if isinstance(ch.tag, str)]
        return sorted(kids, key=lambda ch: index.get(ch.tag, end))

    def _seq(self, ia: list[Any], ib: list[Any], tp: TypePlan | None, path: str) -> str | None:
        counts: dict[str, int] = {}
        for n, (x, y) in enumerate(zip(ia, ib, strict=False)):
            if isinstance(x, str) or isinstance(y, str):
                if x != y:
                    return f"{path}: content item {n + 1}: {_short(x)} became {_short(y)}"
                continue
            counts[x.tag] = counts.get(x.tag, 0) + 1
            child = tp.children.get(x.tag) if tp is not None else None
            sub = f"{path}/{self._name(x.tag)}[{counts[x.tag]}]"
            d = self._cmp(x, y, child.type if child is not None else None, sub)
            if d:
                return d
        if len(ia) != len(ib):
            longer, which = (ia, "lost") if len(ia) > len(ib) else (ib, "added")
            extra = longer[min(len(ia), len(ib))]
            return f"{path}: {_short(extra)} {which}"
        return None


def _short(x: Any) -> str:
    if isinstance(x, str):
        return repr(x if len(x) < 60 else x[:57] + "...")
    return f"element {x.tag}"

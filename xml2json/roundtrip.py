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


#: Why a validity check was not made (``RoundTripReport.json_skipped`` / ``xsd_skipped``).
SKIPPED_BY_CALLER = "not asked for"


@dataclass
class RoundTripReport:
    """What :func:`xml2json.roundtrip` found for one document. ``None`` in a check's field means
    not checked; ``json_skipped`` / ``xsd_skipped`` then say why when the check was skipped on
    purpose (:data:`SKIPPED_BY_CALLER`, or ``"no XSD for ST.96 V8_0"``) rather than not reached
    because an earlier step failed."""

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
    json_skipped: str | None = None
    xsd_skipped: str | None = None

    @property
    def ok(self) -> bool:
        """Both round trips equal, both outputs valid (or the XSD not checked), no issue."""
        return bool(
            self.xml_equal
            and self.json_equal
            and self.json_valid is not False
            and self.xml_valid is not False
            and not self.issues
        )

    @property
    def converted(self) -> bool:
        """The first conversion (XML → JSON) succeeded; else nothing else was checked."""
        return self.document is not None

    @property
    def lossless(self) -> bool | None:
        """Both round trips gave back what they started from; ``None``: not converted at all.

        Independent of validity: office data that does not conform to its schema can still
        round-trip losslessly.
        """
        if not self.converted:
            return None
        return bool(self.xml_equal and self.json_equal)

    @property
    def valid(self) -> bool | None:
        """Both outputs valid (``None``: neither was checked; the XSD alone may be unchecked)."""
        if self.json_valid is None and self.xml_valid is None:
            return None
        return self.json_valid is not False and self.xml_valid is not False

    def verdict(self, *, lossless_only: bool = False) -> str:
        """One word (or two) for the report:

        * ``OK`` — lossless and valid (the XSD check may have been skipped or unavailable);
        * ``LOSSLESS, INVALID`` — both round trips equal, but an output is not valid against its
          schema (typical of office data that does not conform to the standard);
        * ``LOSSLESS`` — both round trips equal, validity not counted (``lossless_only``);
        * ``FAIL`` — a round trip changed the data or could not be completed;
        * ``ERROR`` — the input could not be converted (or a check broke), nothing else checked.
        """
        if not self.converted:
            return "ERROR"
        if not self.lossless:
            return "FAIL"
        if lossless_only:
            return "LOSSLESS"
        if self.json_valid is False or self.xml_valid is False:
            return "LOSSLESS, INVALID"
        if self.ok:
            return "OK"
        return "ERROR"

    def passed(self, *, lossless_only: bool = False) -> bool:
        return self.verdict(lossless_only=lossless_only) in ("OK", "LOSSLESS")

    def to_dict(self, *, lossless_only: bool = False) -> dict[str, Any]:
        """The report as plain JSON-ready data (``None`` stands for "not checked")."""
        return {
            "source": self.source,
            "verdict": self.verdict(lossless_only=lossless_only),
            "document": self.document,
            "version": self.version,
            "converted": self.converted,
            "lossless": self.lossless,
            "xmlEqual": self.xml_equal,
            "jsonEqual": self.json_equal,
            "jsonValid": self.json_valid,
            "xmlValid": self.xml_valid,
            "jsonSkipped": self.json_skipped,
            "xsdSkipped": self.xsd_skipped,
            "firstDifference": self.first_difference,
            "issues": [i.to_dict() for i in self.issues],
            "warnings": [w.to_dict() for w in self.warnings],
        }


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

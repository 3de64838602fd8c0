"""Round-trip checks, as defined at the end of the mapping rules (docs/fidelity.md).

* XML → JSON → XML: exactly equal after the canonicalisation of rule 15 (prefixes, comments,
  PIs, xsi:* attributes, whitespace-only text between elements) and the lexical forms of
  booleans and decimals. Element sequences are compared as they are, never sorted. The only
  other differences forgiven are the documented :class:`Relaxation` kinds, each reported with
  the path where it was needed: :data:`CHOICE_INTERLEAVING` (the interleaving between branches
  of a repeating choice whose every branch is one element, which per-branch arrays do not
  keep), :data:`KNOWN_OUT_OF_ORDER` (the input's known children were out of schema order; the
  writer writes schema order) and :data:`STRAY_TEXT_MOVED` (non-blank text in element-only
  content comes back as leading text);
* JSON → XML → JSON: equal;
* both outputs valid: XML against the XSD, JSON against the JSON Schema.

Entry points: :func:`compare_xml` compares two element trees under a plan and returns a
:class:`Comparison` (``difference``: the first difference by path or ``None``; ``relaxations``;
``exact``); :func:`xml2json.roundtrip` runs the whole check and returns a
:class:`RoundTripReport` (``xml_equal``, ``xml_exact``, ``relaxations``, ``verdict()``,
``to_dict()``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from .errors import Issue
from .plan import LEAF, MIXED, SIMPLE, CodecError, Plan, TypePlan, schema_index
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
    #: The documented relaxations "XML equal" needed (empty: exactly equal); see :class:`Relaxation`.
    relaxations: list[Relaxation] = field(default_factory=list)

    @property
    def xml_exact(self) -> bool | None:
        """XML → JSON → XML gave back exactly the input (rule 15 and lexical forms aside), with
        no relaxation; ``None``: not checked."""
        if self.xml_equal is None:
            return None
        return self.xml_equal and not self.relaxations

    def xml_equal_text(self) -> str:
        """``"XML equal: True"`` only when exactly equal; ``"XML equal: up to … at /path (n
        places)"`` when a relaxation was needed; ``"XML equal: False"``; ``"… not checked"``."""
        if self.xml_equal is None:
            return "XML equal: not checked"
        if not self.xml_equal:
            return "XML equal: False"
        if not self.relaxations:
            return "XML equal: True"
        return "XML equal: up to " + "; ".join(str(r) for r in self.relaxations)

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
    def refused(self) -> Issue | None:
        """The resource limit (an issue ``limit-*``: ``limit-json-depth``, ``limit-depth``, …) that
        refused a step of the check before both round trips were made, else ``None``. Then
        nothing is known about losslessness: the data was not changed, the check was not made.
        (ST.97 JSON nests deeper than its XML, so a JSON depth limit equal to the XML one can
        refuse JSON that the first conversion wrote.)"""
        if self.xml_equal is not None and self.json_equal is not None:
            return None
        return next((i for i in self.issues if i.code.startswith("limit-")), None)

    @property
    def lossless(self) -> bool | None:
        """Both round trips gave back what they started from; ``None``: not known (not
        converted at all, or a limit refused the way back: :attr:`refused`).

        Independent of validity: office data that does not conform to its schema can still
        round-trip losslessly.
        """
        if not self.converted or self.refused is not None:
            return None
        return bool(self.xml_equal and self.json_equal)

    @property
    def valid(self) -> bool | None:
        """Both outputs valid (``None``: neither was checked; the XSD alone may be unchecked)."""
        if self.json_valid is None and self.xml_valid is None:
            return None
        return self.json_valid is not False and self.xml_valid is not False

    def verdict(self, *, lossless_only: bool = False, exact: bool = False) -> str:
        """One word (or two) for the report:

        * ``OK`` — lossless and valid (the XSD check may have been skipped or unavailable);
        * ``LOSSLESS, INVALID`` — both round trips equal, but an output is not valid against its
          schema (typical of office data that does not conform to the standard);
        * ``LOSSLESS`` — both round trips equal, validity not counted (``lossless_only``);
        * ``FAIL`` — a round trip changed the data or could not be completed;
        * ``ERROR`` — the input could not be converted, a resource limit refused a step of the
          check (:attr:`refused`), or a check broke: losslessness not known.

        With *exact*, XML equality that needed a relaxation counts as a change (``FAIL``).
        """
        if not self.converted or self.refused is not None:
            return "ERROR"
        if not self.lossless or (exact and self.relaxations):
            return "FAIL"
        if lossless_only:
            return "LOSSLESS"
        if self.json_valid is False or self.xml_valid is False:
            return "LOSSLESS, INVALID"
        if self.ok:
            return "OK"
        return "ERROR"

    def passed(self, *, lossless_only: bool = False, exact: bool = False) -> bool:
        return self.verdict(lossless_only=lossless_only, exact=exact) in ("OK", "LOSSLESS")

    def to_dict(self, *, lossless_only: bool = False, exact: bool = False) -> dict[str, Any]:
        """The report as plain JSON-ready data (``None`` stands for "not checked")."""
        return {
            "source": self.source,
            "verdict": self.verdict(lossless_only=lossless_only, exact=exact),
            "document": self.document,
            "version": self.version,
            "converted": self.converted,
            "lossless": self.lossless,
            "refusedBy": self.refused.code if self.refused is not None else None,
            "xmlEqual": self.xml_equal,
            "xmlExact": self.xml_exact,
            "xmlEqualText": self.xml_equal_text(),
            "relaxations": [r.to_dict() for r in self.relaxations],
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


#: Relaxation kinds (:class:`Relaxation`): the only things "XML equal" may forgive beyond rule 15
#: and the lexical forms of booleans and decimals (docs/fidelity.md).
CHOICE_INTERLEAVING = "choice interleaving"
KNOWN_OUT_OF_ORDER = "known elements out of schema order"
STRAY_TEXT_MOVED = "stray text moved"
_POSITION = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class Relaxation:
    """A documented relaxation the comparison needed: its *kind*, the XML path of the parent
    element where it was needed (positions dropped, so one entry stands for every occurrence
    under that path) and *count*, the number of such parents."""

    kind: str
    xml_path: str
    count: int = 1

    def __str__(self) -> str:
        places = "place" if self.count == 1 else "places"
        return f"{self.kind} at {self.xml_path} ({self.count} {places})"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "xmlPath": self.xml_path, "count": self.count}


@dataclass
class Comparison:
    """What :func:`compare_xml` found: the first difference (``None``: equal) and the
    relaxations the equality needed (none: exactly equal)."""

    difference: str | None
    relaxations: list[Relaxation] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.difference is None

    @property
    def exact(self) -> bool:
        return self.difference is None and not self.relaxations


def compare_xml(plan: Plan, a: Any, b: Any, tp: TypePlan | None = None) -> Comparison:
    """Compare the element trees *a* (the input) and *b* (what came back) under *plan*; *tp* is
    the type of *a* (``None``: looked up as a document root or a global element of the plan,
    else compared by the generic rules)."""
    if tp is None:
        doc = plan.by_root.get(a.tag)
        tp = doc.type if doc is not None else plan.elements.get(a.tag)
    return CanonicalComparer(plan).compare(a, b, tp)


class CanonicalComparer:
    """Exact comparison of two element trees after the canonicalisation of rule 15 and the
    lexical forms of booleans and decimals; see :func:`compare_xml`."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.prefixes = plan.prefix_of
        self._found: dict[tuple[str, str], int] = {}

    def _name(self, tag: str, prefix: str | None = None) -> str:
        if tag.startswith("{"):
            ns, local = tag[1:].split("}")
            return f"{self.prefixes.get(ns) or prefix or '?'}:{local}"
        return tag

    def compare(self, a: Any, b: Any, tp: TypePlan | None) -> Comparison:
        self._found = {}
        diff = self._cmp(a, b, tp, "/" + self._name(a.tag))
        rel = [Relaxation(kind, path, n) for (kind, path), n in self._found.items()]
        return Comparison(diff, rel)

    def first_difference(self, a: Any, b: Any, tp: TypePlan | None) -> str | None:
        return self.compare(a, b, tp).difference

    def _relaxed(self, kind: str, path: str) -> None:
        key = (kind, _POSITION.sub("", path))
        self._found[key] = self._found.get(key, 0) + 1

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
            return f"{path}: element {self._name(a.tag, a.prefix)} became {self._name(b.tag, b.prefix)}"
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
        if sa and _stray_pieces(a) != _stray_pieces(b):
            self._relaxed(STRAY_TEXT_MOVED, path)
        ka = [ch for ch in a if isinstance(ch.tag, str)]
        kb = [ch for ch in b if isinstance(ch.tag, str)]
        if _tags(ka) != _tags(kb):
            index = schema_index(tp)
            written = _writer_order(ka, _group_index(tp, index), {c.tag for c in tp.order if c.ordered})
            if written is not None:
                # the input's known children were out of schema order: the writer writes schema
                # order, each unknown element after the element it followed
                ka = written
                self._relaxed(KNOWN_OUT_OF_ORDER, path)
            if _tags(ka) != _tags(kb) and tp.interleave:
                ca, cb = _uninterleave(ka, tp, index), _uninterleave(kb, tp, index)
                if _tags(ca) == _tags(cb):
                    ka, kb = ca, cb
                    self._relaxed(CHOICE_INTERLEAVING, path)
        return self._seq(ka, kb, tp, path)

    def _seq(self, ia: list[Any], ib: list[Any], tp: TypePlan | None, path: str) -> str | None:
        counts: dict[str, int] = {}
        for n, (x, y) in enumerate(zip(ia, ib, strict=False)):
            if isinstance(x, str) or isinstance(y, str):
                if x != y:
                    return f"{path}: content item {n + 1}: {_short(x)} became {_short(y)}"
                continue
            counts[x.tag] = counts.get(x.tag, 0) + 1
            child = tp.children.get(x.tag) if tp is not None else None
            sub = f"{path}/{self._name(x.tag, x.prefix)}[{counts[x.tag]}]"
            d = self._cmp(x, y, child.type if child is not None else None, sub)
            if d:
                return d
        if len(ia) != len(ib):
            longer, which = (ia, "lost") if len(ia) > len(ib) else (ib, "added")
            extra = longer[min(len(ia), len(ib))]
            return f"{path}: {_short(extra)} {which}"
        return None


def _tags(els: list[Any]) -> list[str]:
    return [e.tag for e in els]


def _stray_pieces(el: Any) -> list[str]:
    return [p if p and not p.isspace() else "" for p in [el.text, *(ch.tail for ch in el)]]


def _group_index(tp: TypePlan, index: dict[str, int]) -> dict[str, int]:
    """*index* with the branches of each repeating choice of single elements sharing the first
    branch's position: their interleaving is valid schema order (and a relaxation of its own)."""
    if not tp.interleave:
        return index
    first: dict[int, int] = {}
    for tag, g in tp.interleave.items():
        first[g] = min(first.get(g, index[tag]), index[tag])
    return {tag: first[tp.interleave[tag]] if tag in tp.interleave else i for tag, i in index.items()}


def _writer_order(kids: list[Any], index: dict[str, int], items: set[str]) -> list[Any] | None:
    """*kids* as the writer gives them back when the known ones are out of schema order (else
    ``None``): known elements in schema order (stable), each run of unknown elements right
    after the element it followed (a leading run first) — except that one between the first
    and the last item of the ordered group (tags *items*) is an item of that group, and
    follows the item before it."""
    positions = [index[ch.tag] for ch in kids if ch.tag in index]
    if all(x <= y for x, y in pairwise(positions)):
        return None
    at = [n for n, ch in enumerate(kids) if ch.tag in items]
    first, last = (at[0], at[-1]) if at else (0, 0)
    lead: list[Any] = []
    segments: list[tuple[int, list[Any]]] = []
    item: list[Any] = []  # the segment of the last item of the ordered group so far
    for n, ch in enumerate(kids):
        i = index.get(ch.tag)
        if i is not None:
            segments.append((i, [ch]))
            if ch.tag in items:
                item = segments[-1][1]
        elif first < n < last:
            item.append(ch)
        elif segments:
            segments[-1][1].append(ch)
        else:
            lead.append(ch)
    segments.sort(key=lambda s: s[0])
    return lead + [ch for _, seg in segments for ch in seg]


def _uninterleave(kids: list[Any], tp: TypePlan, index: dict[str, int]) -> list[Any]:
    """*kids* as the writer gives them back when branches of a repeating choice of single
    elements interleave: each run of such branches of one choice in schema order (stable), what
    per-branch arrays (rule 13) give back. An unknown element travels with the element right
    before it (it comes back right after that element; a leading run stays first) and does not
    end the run: nothing else moves."""
    out: list[Any] = []
    run: list[tuple[int, list[Any]]] = []  # (schema position, the element and its unknown followers)
    group = None
    for ch in kids:
        if ch.tag not in index:  # unknown: follows the element before it
            if run:
                run[-1][1].append(ch)
            else:
                out.append(ch)
            continue
        g = tp.interleave.get(ch.tag)
        if g is None or g != group:
            out.extend(e for _, seg in sorted(run, key=lambda s: s[0]) for e in seg)
            run = []
            group = g
        if g is None:
            out.append(ch)
        else:
            run.append((index[ch.tag], [ch]))
    out.extend(e for _, seg in sorted(run, key=lambda s: s[0]) for e in seg)
    return out


def _short(x: Any) -> str:
    if isinstance(x, str):
        return repr(x if len(x) < 60 else x[:57] + "...")
    return f"element {x.tag}"

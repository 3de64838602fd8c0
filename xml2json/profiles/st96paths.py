"""The ST.96 location of every value of an ST.97 document, and the records inside it.

Walks a full ST.97 value alongside the compiled plan, so that each leaf gets
the XPath-like ST.96 path of the element or attribute it came from
(``tmk:Trademark/com:ApplicantBag/com:Applicant/@com:sequenceNumber``, no
positions: a path names a *kind* of value, for counting). Paths inside a record
(``tmk:Trademark``, wherever it appears) start at the record, so the figures of
records in a ``TrademarkApplication`` and in a ``TrademarkTransaction`` add up.
Content the schema does not know (``$qname`` objects) is named from its
``$qname``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..plan import LEAF, Plan, TypePlan
from ..policy import (
    CONTENT_KEY,
    OTHER_ATTRIBUTES_KEY,
    PREFIX_BY_NAMESPACE,
    QNAME_KEY,
    STRAY_TEXT_KEY,
    VALUE_KEY,
)
from .pointer import escape


@dataclass(frozen=True, slots=True)
class Leaf:
    pointer: str  # absolute JSON Pointer in the document
    path: str  # ST.96 path, from the record element inside a record, else from the document element
    value: Any
    record: int | None  # the index of the record the leaf belongs to
    counted: bool  # a data value (not a structural marker such as ``$qname`` or an empty element)


def qualified(clark: str, fallback_prefix: str | None = None) -> str:
    if clark.startswith("{"):
        ns, local = clark[1:].split("}", 1)
        prefix = PREFIX_BY_NAMESPACE.get(ns) or fallback_prefix or "ns"
        return f"{prefix}:{local}"
    return clark


class DocumentWalker:
    """Collects the leaves and the records of one document."""

    def __init__(self, plan: Plan, record_tag: str) -> None:
        self.plan = plan
        self.record_type = plan.elements.get(record_tag)
        self.record_name = qualified(record_tag)
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.leaves: list[Leaf] = []

    def walk(self, data: dict[str, Any], root_tag: str, root_type: TypePlan, json_root: str) -> None:
        self.value(data[json_root], root_type, "/" + escape(json_root), qualified(root_tag), None)

    def leaf(self, pointer: str, path: str, value: Any, rec: int | None, counted: bool = True) -> None:
        if isinstance(value, (dict, list)):
            counted = False
        self.leaves.append(Leaf(pointer, path, value, rec, counted))

    def value(self, v: Any, tp: TypePlan | None, ptr: str, path: str, rec: int | None) -> None:
        if tp is not None and tp is self.record_type and rec is None and isinstance(v, dict):
            rec = len(self.records)
            self.records.append((ptr, v))
            path = self.record_name
        if isinstance(v, list):
            if not v:
                self.leaf(ptr, path, v, rec)
            for i, item in enumerate(v):  # an XSD list type
                self.leaf(f"{ptr}/{i}", path, item, rec)
            return
        if not isinstance(v, dict):
            self.leaf(ptr, path, v, rec)
            return
        if not v:
            self.leaf(ptr, path, v, rec)
            return
        for k, x in v.items():
            p = ptr + "/" + escape(k)
            if tp is None or tp.kind == LEAF:
                self.generic_member(k, x, p, path, rec)
                continue
            a = tp.attrs_json.get(k)
            if a is not None:
                self.value(x, None if isinstance(x, dict) else _SCALAR, p, f"{path}/@{qualified(a.tag)}", rec)
                continue
            c = tp.children_json.get(k) or tp.ordered_json.get(k)
            if c is not None:
                cpath = f"{path}/{qualified(c.tag)}"
                if isinstance(x, list) and c.array:
                    if not x:
                        self.leaf(p, cpath, x, rec)
                    for i, item in enumerate(x):
                        self.value(item, c.type, f"{p}/{i}", cpath, rec)
                else:
                    self.value(x, c.type, p, cpath, rec)
                continue
            if k == CONTENT_KEY and isinstance(x, list):
                self.content(x, tp, p, path, rec)
            else:
                self.generic_member(k, x, p, path, rec)

    def content(self, items: list[Any], tp: TypePlan | None, ptr: str, path: str, rec: int | None) -> None:
        if not items:
            self.leaf(ptr, path, items, rec)
        for i, item in enumerate(items):
            p = f"{ptr}/{i}"
            if isinstance(item, dict) and len(item) == 1:
                ((ck, cv),) = item.items()
                c = (tp.ordered_json.get(ck) or tp.children_json.get(ck)) if tp is not None else None
                if c is not None:
                    self.value(cv, c.type, f"{p}/{escape(ck)}", f"{path}/{qualified(c.tag)}", rec)
                else:
                    self.generic_child(ck, cv, f"{p}/{escape(ck)}", path, rec)
            else:
                self.leaf(p, path, item, rec)

    def generic_member(self, k: str, x: Any, p: str, path: str, rec: int | None) -> None:
        if k == QNAME_KEY:
            self.leaf(p, path, x, rec, counted=False)
        elif k in (VALUE_KEY, STRAY_TEXT_KEY):
            self.leaf(p, path, x, rec)
        elif k == OTHER_ATTRIBUTES_KEY and isinstance(x, dict):
            if not x:
                self.leaf(p, path, x, rec)
            for name, av in x.items():
                self.leaf(f"{p}/{escape(name)}", f"{path}/@{qualified(name)}", av, rec)
        elif k == CONTENT_KEY and isinstance(x, list):
            self.content(x, None, p, path, rec)
        else:
            self.generic_child(k, x, p, path, rec)

    def generic_child(self, k: str, x: Any, p: str, path: str, rec: int | None) -> None:
        prefix = k.split(":", 1)[0] if ":" in k else None
        for i, item in enumerate(x) if isinstance(x, list) else [(None, x)]:
            ip = p if i is None else f"{p}/{i}"
            qn = item.get(QNAME_KEY) if isinstance(item, dict) else None
            name = qualified(qn, prefix) if isinstance(qn, str) else k
            self.value(item, None, ip, f"{path}/{name}", rec)


#: A stand-in type for attribute values (scalars or XSD lists): walked as plain leaves.
_SCALAR = TypePlan("$scalar", LEAF)

"""Which elements of a document are its *records*, derived from the compiled plan.

Bulk files published by offices are transactions whose body carries many
business objects: a ``tmk:TrademarkTransaction`` whose ``tmk:TrademarkBag``
holds thousands of ``tmk:Trademark``; a ``tmk:MadridIBToOfficeTransaction``
whose ``tmk:MadridIBToOfficeBag`` holds designations, renewals, changes….

The rule (docs/bulk.md, "Record elements") is a small table of *containers*
applied to the compiled plan of the document, never to the data:

* an element named ``TransactionData`` (any ST.96 namespace) holds records:
  for each of its children, if the child is a ``…Bag``, the bag's repeating
  element children are records (``TrademarkBag/Trademark``,
  ``ApplicantBag/Applicant``, ``DesignApplicationBag/DesignApplication``…);
  otherwise the child itself is a record (a ``TrademarkApplication`` sent
  inside a transaction);
* the IB/office exchange bags of the Madrid and Hague systems
  (:data:`RECORD_BAGS`) hold records directly: their repeating element
  children, looking through the bags they contain (the Hague office-copy bags
  are bags of bags of records); a document whose root is itself a ``…Bag`` of
  repeating elements (``dgn:DesignApplicationBag``) likewise;
* a document with none of these (an application, a patent publication) is one
  record: the whole document.

The search walks the plan from the document root through element-only
children, at most :data:`MAX_CONTAINER_DEPTH` levels down, and never enters a
record. Record paths are tuples of Clark tags from the root, so a record is
recognised in a stream by its exact ancestry, not by its name alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..plan import ELEMENT, EMPTY, MIXED, Child, DocumentPlan, Plan, TypePlan

#: Local names of elements whose children hold the records of a transaction.
RECORD_CONTAINERS: frozenset[str] = frozenset({"TransactionData"})
#: Local names of bags whose repeating children are records wherever they occur.
RECORD_BAGS: frozenset[str] = frozenset(
    {
        "MadridIBToOfficeBag",
        "MadridOfficeToIBBag",
        "HagueIBToOfficeBag",
        "HagueOfficeToIBBag",
        "HagueBulletinTransactionBag",
    }
)
#: How deep below the root a container is looked for (TransactionData is at depth 3).
MAX_CONTAINER_DEPTH = 5

_STRUCTURED = (ELEMENT, MIXED, EMPTY)


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


@dataclass(frozen=True, slots=True)
class RecordSpec:
    """One kind of record: where it sits and how it converts."""

    path: tuple[str, ...]  # Clark tags from the document root to the record element
    child: Child  # the plan's particle for the record element (JSON name, type, …)

    @property
    def tag(self) -> str:
        return self.path[-1]

    @property
    def json_name(self) -> str:
        return self.child.json

    @property
    def type(self) -> TypePlan:
        return self.child.type


@dataclass(frozen=True, slots=True)
class RecordLayout:
    """The records of one document type of one compiled version."""

    document: DocumentPlan
    specs: dict[tuple[str, ...], RecordSpec]

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(s.tag for s in self.specs.values())

    @property
    def streaming(self) -> bool:
        """False when the whole document is the one record."""
        return bool(self.specs)


def _is_bag(tag: str) -> bool:
    return local_name(tag).endswith("Bag")


def _bag_records(
    bag: TypePlan,
    path: tuple[str, ...],
    out: dict[tuple[str, ...], RecordSpec],
    *,
    nested: bool,
    seen: frozenset[str] = frozenset(),
) -> None:
    """The repeating non-bag element children of *bag* are records; with *nested*, bags inside
    the bag are searched the same way (the Hague office-copy bags hold bags of records)."""
    for c in bag.order:
        if c.type.kind not in _STRUCTURED:
            continue
        p = (*path, c.tag)
        if _is_bag(c.tag):
            if nested and c.type.key not in seen:
                _bag_records(c.type, p, out, nested=True, seen=seen | {c.type.key})
        elif c.array:
            out.setdefault(p, RecordSpec(p, c))


def _container_records(tp: TypePlan, path: tuple[str, ...], out: dict[tuple[str, ...], RecordSpec]) -> None:
    for c in tp.order:
        if c.type.kind not in _STRUCTURED:
            continue
        p = (*path, c.tag)
        if _is_bag(c.tag):
            _bag_records(c.type, p, out, nested=False)
        else:
            out.setdefault(p, RecordSpec(p, c))


def _visit(
    tag: str,
    tp: TypePlan,
    path: tuple[str, ...],
    depth: int,
    seen: frozenset[str],
    out: dict[tuple[str, ...], RecordSpec],
) -> None:
    name = local_name(tag)
    if name in RECORD_CONTAINERS:
        _container_records(tp, path, out)
        return
    if name in RECORD_BAGS:
        _bag_records(tp, path, out, nested=True)
        return
    if depth >= MAX_CONTAINER_DEPTH:
        return
    for c in tp.order:
        if c.type.kind in _STRUCTURED and c.type.key not in seen:
            _visit(c.tag, c.type, (*path, c.tag), depth + 1, seen | {c.type.key}, out)


def derive_layout(doc: DocumentPlan) -> RecordLayout:
    """The record elements of *doc*, from its compiled plan (see the module docstring)."""
    specs: dict[tuple[str, ...], RecordSpec] = {}
    root = (doc.root,)
    tp = doc.type
    if (
        local_name(doc.root).endswith("Bag")
        and tp.order
        and local_name(doc.root) not in RECORD_CONTAINERS
        and all(c.array and c.type.kind in _STRUCTURED for c in tp.order)
    ):
        _bag_records(tp, root, specs, nested=False)  # a document that is itself a bag of records
    else:
        _visit(doc.root, tp, root, 0, frozenset({tp.key}), specs)
    return RecordLayout(doc, specs)


_CACHE: dict[tuple[int, str], tuple[Plan, RecordLayout]] = {}


def record_layout(plan: Plan, doc: DocumentPlan) -> RecordLayout:
    """:func:`derive_layout`, computed once per plan and document."""
    key = (id(plan), doc.name)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is plan:
        return hit[1]
    layout = derive_layout(doc)
    _CACHE[key] = (plan, layout)  # the plan is kept alive so that its id is not reused
    return layout

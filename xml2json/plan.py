"""The runtime plan: frozen tables keyed by Clark tag (XML side) and JSON name (JSON side).

A plan is compiled once per ST.96 version by :mod:`xml2json.compiler` and
loaded from its JSON form in milliseconds, without xmlschema. Loading builds
everything the runtime derives from it — the per-type child tables of the XML
reader's hot loop, the prefixes of the namespaces, the record layouts of the
bulk engine — so that a loaded plan is complete and immutable: nothing is
computed later, nothing is cached beside it. The converter's hot loop only does
dictionary lookups in these tables.
"""

from __future__ import annotations

import gc
import gzip
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import orjson

from .errors import SchemaError
from .policy import (
    BAG_SUFFIX,
    BOOLEAN_FALSE_FORMS,
    BOOLEAN_TRUE_FORMS,
    MAX_CONTAINER_DEPTH,
    MAX_NUMBER_DIGITS,
    NATIVE_INTEGER_BOUND,
    RECORD_BAGS,
    RECORD_CONTAINERS,
)

LEAF, EMPTY, SIMPLE, ELEMENT, MIXED = range(5)
_KINDS = {"leaf": LEAF, "empty": EMPTY, "simple": SIMPLE, "element": ELEMENT, "mixed": MIXED}
#: Where a child goes in its parent's JSON object: one member, an array member, or an item of
#: the ``content`` array (see :attr:`TypePlan.table`).
SINGLE, ARRAY, ORDERED = 0, 1, 2


class CodecError(ValueError):
    """A lexical value that does not fit its codec (raised by decoders/encoders)."""


# -- value codecs (rules 16-20) ---------------------------------------------------------


def _dec_bool(text: str) -> bool:
    t = text.strip()
    if t in BOOLEAN_TRUE_FORMS:
        return True
    if t in BOOLEAN_FALSE_FORMS:
        return False
    raise CodecError(f"not an xs:boolean: {text!r}")


def _dec_decimal(text: str) -> Decimal:
    t = text.strip()
    try:
        d = Decimal(t)
    except InvalidOperation:
        raise CodecError(f"not an xs:decimal: {text!r}") from None
    if not d.is_finite() or "e" in t.lower():
        raise CodecError(f"not an xs:decimal: {text!r}")
    return d


def _dec_integer(text: str) -> int | Decimal:
    t = text.strip()
    try:
        v = int(t, 10)
    except ValueError:
        raise CodecError(f"not an xs:integer: {text!r}") from None
    if "_" in t:
        raise CodecError(f"not an xs:integer: {text!r}")
    # orjson writes 64-bit integers natively; larger ones travel as exact decimals
    return v if -NATIVE_INTEGER_BOUND <= v < NATIVE_INTEGER_BOUND else Decimal(v)


def _enc_str(v: Any) -> str:
    if isinstance(v, str):
        return v
    raise CodecError(f"expected a string, got {_kind(v)}")


def _enc_bool(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    raise CodecError(f"expected a boolean, got {_kind(v)}")


# the bound on numbers written to XML is policy.MAX_NUMBER_DIGITS
_MAX_INT_BITS = math.ceil(MAX_NUMBER_DIGITS * math.log2(10))  # 3322: 10**1000 - 1 still fits


def _int_str(v: int) -> str:
    if v.bit_length() > _MAX_INT_BITS:
        raise CodecError(f"number too large: more than {MAX_NUMBER_DIGITS} digits")
    return str(v)


def _finite_decimal(v: Decimal | float) -> Decimal:
    d = v if isinstance(v, Decimal) else Decimal(repr(v))
    if not d.is_finite():
        raise CodecError(f"not a finite number: {v!r}")
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if not (exponent >= -MAX_NUMBER_DIGITS and d.adjusted() <= MAX_NUMBER_DIGITS):
        raise CodecError(f"number out of range: more than {MAX_NUMBER_DIGITS} digits in plain notation")
    return d


def _enc_decimal(v: Any) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal, float)):
        raise CodecError(f"expected a number, got {_kind(v)}")
    if isinstance(v, int):
        return _int_str(v)
    d = _finite_decimal(v)
    if len(d.as_tuple().digits) > MAX_NUMBER_DIGITS:
        raise CodecError(f"number too long: more than {MAX_NUMBER_DIGITS} digits")
    return format(d, "f")


def _enc_integer(v: Any) -> str:
    if isinstance(v, bool):
        raise CodecError("expected an integer, got a boolean")
    if isinstance(v, int):
        return _int_str(v)
    if isinstance(v, (Decimal, float)):
        d = _finite_decimal(v)
        if d == d.to_integral_value():
            return _int_str(int(d))
    raise CodecError(f"expected an integer, got {_kind(v)}")


def _kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, (int, float, Decimal)):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "an object"
    return type(v).__name__


Decoder = Callable[[str], Any] | None
Encoder = Callable[[Any], str]


@dataclass(frozen=True, slots=True)
class Codec:
    name: str  # "string", "boolean", "decimal", "integer", "list"
    decode: Decoder  # None means: keep the string as it is (the hot path)
    encode: Encoder
    item: Codec | None = None


_ATOMIC = {
    "s": Codec("string", None, _enc_str),
    "b": Codec("boolean", _dec_bool, _enc_bool),
    "d": Codec("decimal", _dec_decimal, _enc_decimal),
    "i": Codec("integer", _dec_integer, _enc_integer),
}


def _list_codec(item: Codec) -> Codec:
    idec = item.decode
    ienc = item.encode

    def dec(text: str) -> list[Any]:
        parts = text.split()
        return parts if idec is None else [idec(p) for p in parts]

    def enc(v: Any) -> str:
        if not isinstance(v, list):
            raise CodecError(f"expected an array, got {_kind(v)}")
        return " ".join(ienc(x) for x in v)

    return Codec("list", dec, enc, item)


_LISTS = {k: _list_codec(c) for k, c in _ATOMIC.items()}


def codec_from_spec(spec: Any) -> Codec:
    if isinstance(spec, list):
        return _LISTS[spec[1]]
    return _ATOMIC[spec]


# -- plan objects -------------------------------------------------------------------------
#
# Every plan object is frozen. Types are recursive, so :func:`plan_from_dict` builds them in
# two phases: each :class:`TypePlan` is created with its scalar fields and empty tables; once
# every type exists, the tables are filled and ``order`` (and ``has_content``) set with
# ``object.__setattr__`` — all inside the loader, before the plan is returned. The per-type
# tables stay plain dicts (typed read-only): the hot loops look them up, and a read-only proxy
# doubles the cost of ``get``. The plan's own mappings are read-only proxies.

#: One row of :attr:`TypePlan.table`: (JSON name, placement, leaf decoder, child type, kind).
ChildEntry = tuple[str, int, Decoder, "TypePlan", int]


class Attr(NamedTuple):
    """An attribute of a type. Immutable; a tuple because a plan holds tens of thousands of
    attributes and children and a tuple is built several times faster than a frozen dataclass."""

    tag: str
    json: str
    codec: Codec
    required: bool


class Child(NamedTuple):
    """A child element of a type (an element particle). Immutable, a tuple like :class:`Attr`."""

    tag: str
    json: str
    type: TypePlan
    array: bool
    ordered: bool
    required: bool


@dataclass(frozen=True, slots=True, eq=False)
class TypePlan:
    key: str
    kind: int
    attrs: Mapping[str, Attr] = field(default_factory=dict)  # by Clark tag
    attrs_json: Mapping[str, Attr] = field(default_factory=dict)
    children: Mapping[str, Child] = field(default_factory=dict)  # by Clark tag
    children_json: Mapping[str, Child] = field(default_factory=dict)  # non-ordered, by JSON name
    ordered_json: Mapping[str, Child] = field(default_factory=dict)  # ordered (content items)
    order: tuple[Child, ...] = ()  # schema order, for the XML writer
    value: Codec | None = None  # leaf value, or simple content
    any_attr: str | None = None  # wildcard processContents, if any
    any_elem: str | None = None
    has_content: bool = False
    #: Clark tag → :data:`ChildEntry`, for the XML reader's hot loop: one tuple per child
    #: instead of five attribute loads (docs/performance.md).
    table: Mapping[str, ChildEntry] = field(default_factory=dict)
    #: Clark tag → number of the repeating choice of single elements it is a branch of (the
    #: plan's ``interleave``): per-branch arrays do not keep the interleaving between the
    #: branches of one such choice, and the round-trip comparer forgives exactly that.
    interleave: Mapping[str, int] = field(default_factory=dict)


def schema_index(tp: TypePlan) -> dict[str, int]:
    """Clark tag → position of the child in *tp*'s schema order; the members of ordered content
    share the position of the first of them (the round-trip comparer, the bulk JSON → XML
    writer's record places)."""
    index: dict[str, int] = {}
    first_ordered = None
    for i, c in enumerate(tp.order):
        if c.ordered:
            if first_ordered is None:
                first_ordered = i
            index[c.tag] = first_ordered
        else:
            index[c.tag] = i
    return index


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    name: str
    root: str  # Clark tag
    type: TypePlan
    json_root: str


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
    """The records of one document type of one compiled version (docs/bulk.md)."""

    document: DocumentPlan
    specs: Mapping[tuple[str, ...], RecordSpec]

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(s.tag for s in self.specs.values())

    @property
    def streaming(self) -> bool:
        """False when the whole document is the one record."""
        return bool(self.specs)


@dataclass(frozen=True, slots=True, eq=False)
class Plan:
    version: str
    namespaces: Mapping[str, str]  # prefix -> uri
    documents: Mapping[str, DocumentPlan]
    by_root: Mapping[str, DocumentPlan]
    elements: Mapping[str, TypePlan]
    types: Mapping[str, TypePlan]
    prefix_of: Mapping[str, str]  # uri -> prefix
    layouts: Mapping[str, RecordLayout]  # by document name: which elements are records
    source: str = ""

    def document(self, name: str) -> DocumentPlan:
        try:
            return self.documents[name]
        except KeyError:
            raise SchemaError(
                f"no document {name!r} in ST.96 {self.version}; known: {', '.join(sorted(self.documents))}",
                code="unknown-document",
            ) from None


# -- record layouts (docs/bulk.md, "Which elements are records") ---------------------------
#
# Which elements of a document are its records, derived from the plan of the document type
# with the containers and bags of :mod:`xml2json.policy`, never from the data. The rules are
# spelled out in :mod:`xml2json.bulk.layout`. The search walks the plan from the document
# root through element-only children, at most MAX_CONTAINER_DEPTH levels down, and never
# enters a record; record paths are tuples of Clark tags from the root.

_STRUCTURED = (ELEMENT, MIXED, EMPTY)
_OUT_OF_REACH = MAX_CONTAINER_DEPTH + 1


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _is_bag(tag: str) -> bool:
    return local_name(tag).endswith(BAG_SUFFIX)


def _holds_records(tag: str) -> bool:
    name = local_name(tag)
    return name in RECORD_CONTAINERS or name in RECORD_BAGS


def _container_reach(parents: Mapping[str, list[str]], holders: list[str]) -> dict[str, int]:
    """Type key → the fewest levels below an element of that type at which a container or a
    record bag occurs, through structured children (cycles allowed); types with none within
    :data:`MAX_CONTAINER_DEPTH` levels are absent. *holders* are the types with such a child,
    *parents* maps a type to the types with a structured child of it (both gathered while
    loading). The search skips what cannot reach a container — most of a patent document —
    and finds exactly what the full walk would find."""
    reach = dict.fromkeys(holders, 1)
    frontier = list(reach)
    level = 1
    while frontier and level < MAX_CONTAINER_DEPTH:
        level += 1
        found = []
        for key in frontier:
            for parent in parents.get(key, ()):
                if parent not in reach:
                    reach[parent] = level
                    found.append(parent)
        frontier = found
    return reach


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
    reach: Mapping[str, int],
) -> None:
    name = local_name(tag)
    if name in RECORD_CONTAINERS:
        _container_records(tp, path, out)
        return
    if name in RECORD_BAGS:
        _bag_records(tp, path, out, nested=True)
        return
    if depth + reach.get(tp.key, _OUT_OF_REACH) > MAX_CONTAINER_DEPTH:
        return  # nothing that holds records within MAX_CONTAINER_DEPTH levels of the root
    for c in tp.order:
        if c.type.kind in _STRUCTURED and c.type.key not in seen:
            _visit(c.tag, c.type, (*path, c.tag), depth + 1, seen | {c.type.key}, out, reach)


def _derive_layout(doc: DocumentPlan, reach: Mapping[str, int]) -> RecordLayout:
    specs: dict[tuple[str, ...], RecordSpec] = {}
    root = (doc.root,)
    tp = doc.type
    if (
        _is_bag(doc.root)
        and tp.order
        and local_name(doc.root) not in RECORD_CONTAINERS
        and all(c.array and c.type.kind in _STRUCTURED for c in tp.order)
    ):
        _bag_records(tp, root, specs, nested=False)  # a document that is itself a bag of records
    else:
        _visit(doc.root, tp, root, 0, frozenset({tp.key}), specs, reach)
    return RecordLayout(doc, MappingProxyType(specs))


# -- loading ------------------------------------------------------------------------------


def plan_from_dict(data: dict[str, Any], *, source: str = "") -> Plan:
    """The complete, frozen plan of a plan dict (see the module docstring)."""
    if data.get("format") != 1:
        raise SchemaError(f"unsupported plan format {data.get('format')!r} in {source}", code="plan-format")
    raw = data["types"]
    # phase 1: every type, with its scalar fields and its (still empty) tables
    types: dict[str, TypePlan] = {}
    tables: dict[str, tuple[dict[str, Attr], dict[str, Attr], dict[str, Child], dict[str, Child], dict[str, Child]]]
    tables = {}
    entries: dict[str, dict[str, ChildEntry]] = {}
    for key, spec in raw.items():
        if spec[0] == "leaf":
            types[key] = TypePlan(key, LEAF, value=codec_from_spec(spec[1]))
            continue
        kind, _attrs, _children, value, any_attr, any_elem = spec[:6]
        choices = spec[6] if len(spec) > 6 else ()
        t = tables[key] = ({}, {}, {}, {}, {})
        e = entries[key] = {}
        types[key] = TypePlan(
            key,
            _KINDS[kind],
            attrs=t[0],
            attrs_json=t[1],
            children=t[2],
            children_json=t[3],
            ordered_json=t[4],
            value=codec_from_spec(value) if value is not None else None,
            any_attr=any_attr,
            any_elem=any_elem,
            has_content=kind == "mixed",  # or an ordered group: set in phase 2
            table=e,
            interleave={tag: n for n, names in enumerate(choices) for tag in names},
        )
    # the named tuples' own __new__ is a Python function; tuple.__new__ builds the same object
    new_attr, new_child = partial(tuple.__new__, Attr), partial(tuple.__new__, Child)
    # phase 2: the tables, which refer to other types (and to the type itself); and what the
    # record search needs: which types contain which, which contain a container
    parents: dict[str, list[str]] = {}
    holders: list[str] = []
    holds: dict[str, bool] = {}  # Clark tag -> names a container or a record bag
    for key, (attrs, attrs_json, children_by_tag, children_json, ordered_json) in tables.items():
        _kind, attr_specs, child_specs = raw[key][:3]
        for tag, js, codec, req in attr_specs:
            a = new_attr((tag, js, codec_from_spec(codec), req))
            attrs[tag] = a
            attrs_json[js] = a
        order = []
        table = entries[key]
        for tag, js, tkey, array, ordered, req in child_specs:
            ctp = types[tkey]
            c = new_child((tag, js, ctp, array, ordered, req))
            children_by_tag[tag] = c
            (ordered_json if ordered else children_json)[js] = c
            # the hot loop's row: a leaf's decoder is looked up here, not per element
            dec = ctp.value.decode if ctp.kind == LEAF and ctp.value is not None else None
            table[tag] = (js, ORDERED if ordered else ARRAY if array else SINGLE, dec, ctp, ctp.kind)
            order.append(c)
            if ctp.kind in _STRUCTURED:
                parents.setdefault(tkey, []).append(key)
                h = holds.get(tag)
                if h is None:
                    h = holds[tag] = _holds_records(tag)
                if h and (not holders or holders[-1] != key):
                    holders.append(key)
        tp = types[key]  # frozen: only the loader sets these, before anything can see the plan
        object.__setattr__(tp, "order", tuple(order))
        if ordered_json:
            object.__setattr__(tp, "has_content", True)
    docs = {n: DocumentPlan(n, root, types[tkey], js) for n, (root, tkey, js) in data["documents"].items()}
    reach = _container_reach(parents, holders)
    namespaces = dict(data["namespaces"])
    return Plan(
        version=data["version"],
        namespaces=MappingProxyType(namespaces),
        documents=MappingProxyType(docs),
        by_root=MappingProxyType({d.root: d for d in docs.values()}),
        elements=MappingProxyType({tag: types[k] for tag, k in data["elements"].items()}),
        types=MappingProxyType(types),
        prefix_of=MappingProxyType({u: p for p, u in namespaces.items()}),
        layouts=MappingProxyType({n: _derive_layout(d, reach) for n, d in docs.items()}),
        source=source,
    )


def dump_plan(data: dict[str, Any], path: Path) -> None:
    """Write a plan dict deterministically (gzip with a fixed mtime, sorted keys)."""
    from io import BytesIO  # here, not at the top: this function is the only user

    from .io import atomic_write

    raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
    buf = BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(raw)
    atomic_write(path, buf.getvalue())


def read_plan_dict(path: Path) -> dict[str, Any]:
    try:
        with gzip.open(path, "rb") as fh:
            data: dict[str, Any] = orjson.loads(fh.read())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise SchemaError(f"cannot read compiled plan {path}: {exc}", code="plan-unreadable") from exc
    return data


def load_plan(path: Path) -> Plan:
    # Loading allocates a few hundred thousand containers and frees none: the cyclic garbage
    # collector would traverse the growing plan again and again (a third of the load time,
    # docs/performance.md), so it is paused while the plan is built, and restored as it was.
    paused = gc.isenabled()
    gc.disable()
    try:
        return plan_from_dict(read_plan_dict(path), source=str(path))
    finally:
        if paused:
            gc.enable()

"""The runtime plan: frozen tables keyed by Clark tag (XML side) and JSON name (JSON side).

A plan is compiled once per ST.96 version by :mod:`xml2json.compiler` and
loaded from its JSON form in milliseconds, without xmlschema. The converter's
hot loop only does dictionary lookups in these tables.
"""

from __future__ import annotations

import gzip
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import orjson

from .errors import SchemaError

LEAF, EMPTY, SIMPLE, ELEMENT, MIXED = range(5)
_KINDS = {"leaf": LEAF, "empty": EMPTY, "simple": SIMPLE, "element": ELEMENT, "mixed": MIXED}
KIND_NAMES = {v: k for k, v in _KINDS.items()}


class CodecError(ValueError):
    """A lexical value that does not fit its codec (raised by decoders/encoders)."""


# -- value codecs (rules 16-20) ---------------------------------------------------------


def _dec_bool(text: str) -> bool:
    t = text.strip()
    if t in ("true", "1"):
        return True
    if t in ("false", "0"):
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


_INT64 = 1 << 63


def _dec_integer(text: str) -> int | Decimal:
    t = text.strip()
    try:
        v = int(t, 10)
    except ValueError:
        raise CodecError(f"not an xs:integer: {text!r}") from None
    if "_" in t:
        raise CodecError(f"not an xs:integer: {text!r}")
    # orjson writes 64-bit integers natively; larger ones travel as exact decimals
    return v if -_INT64 <= v < _INT64 else Decimal(v)


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


#: The most digits a number written to XML may have, before or after the decimal point. JSON
#: text is bounded by ``Limits.max_json_number_chars`` when it is read; this bound covers
#: Python objects handed to the writer directly (``Decimal("1e999999999")`` would otherwise
#: expand to a billion digits, and ``int`` refuses ``str()`` past 4 300 digits).
MAX_NUMBER_DIGITS = 1000
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


@dataclass(slots=True, eq=False)
class Attr:
    tag: str
    json: str
    codec: Codec
    required: bool


@dataclass(slots=True, eq=False)
class Child:
    tag: str
    json: str
    type: TypePlan
    array: bool
    ordered: bool
    required: bool


@dataclass(slots=True, eq=False)
class TypePlan:
    key: str
    kind: int
    attrs: dict[str, Attr] = field(default_factory=dict)  # by Clark tag
    attrs_json: dict[str, Attr] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)  # by Clark tag
    children_json: dict[str, Child] = field(default_factory=dict)  # non-ordered, by JSON name
    ordered_json: dict[str, Child] = field(default_factory=dict)  # ordered (content items)
    order: tuple[Child, ...] = ()  # schema order, for the XML writer
    value: Codec | None = None  # leaf value, or simple content
    any_attr: str | None = None  # wildcard processContents, if any
    any_elem: str | None = None
    has_content: bool = False

    @property
    def kind_name(self) -> str:
        return KIND_NAMES[self.kind]


@dataclass(frozen=True, slots=True)
class DocumentPlan:
    name: str
    root: str  # Clark tag
    type: TypePlan
    json_root: str


@dataclass(slots=True, eq=False)
class Plan:
    version: str
    namespaces: dict[str, str]  # prefix -> uri
    documents: dict[str, DocumentPlan]
    by_root: dict[str, DocumentPlan]
    elements: dict[str, TypePlan]
    types: dict[str, TypePlan]
    source: str = ""

    def document(self, name: str) -> DocumentPlan:
        try:
            return self.documents[name]
        except KeyError:
            raise SchemaError(
                f"no document {name!r} in ST.96 {self.version}; known: {', '.join(sorted(self.documents))}",
                code="unknown-document",
            ) from None

    @property
    def prefix_of(self) -> dict[str, str]:
        return {u: p for p, u in self.namespaces.items()}


def plan_from_dict(data: dict[str, Any], *, source: str = "") -> Plan:
    if data.get("format") != 1:
        raise SchemaError(f"unsupported plan format {data.get('format')!r} in {source}", code="plan-format")
    raw = data["types"]
    types: dict[str, TypePlan] = {}
    for key, spec in raw.items():
        if spec[0] == "leaf":
            types[key] = TypePlan(key, LEAF, value=codec_from_spec(spec[1]))
        else:
            types[key] = TypePlan(key, _KINDS[spec[0]])
    for key, spec in raw.items():
        if spec[0] == "leaf":
            continue
        kind, attrs, children, value, any_attr, any_elem = spec
        tp = types[key]
        for tag, js, codec, req in attrs:
            a = Attr(tag, js, codec_from_spec(codec), req)
            tp.attrs[tag] = a
            tp.attrs_json[js] = a
        order = []
        for tag, js, tkey, array, ordered, req in children:
            c = Child(tag, js, types[tkey], array, ordered, req)
            tp.children[tag] = c
            (tp.ordered_json if ordered else tp.children_json)[js] = c
            order.append(c)
        tp.order = tuple(order)
        tp.value = codec_from_spec(value) if value is not None else None
        tp.any_attr = any_attr
        tp.any_elem = any_elem
        tp.has_content = kind == "mixed" or any(c.ordered for c in order)
    docs = {n: DocumentPlan(n, root, types[tkey], js) for n, (root, tkey, js) in data["documents"].items()}
    return Plan(
        version=data["version"],
        namespaces=dict(data["namespaces"]),
        documents=docs,
        by_root={d.root: d for d in docs.values()},
        elements={tag: types[k] for tag, k in data["elements"].items()},
        types=types,
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
    return plan_from_dict(read_plan_dict(path), source=str(path))

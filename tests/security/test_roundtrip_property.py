"""Property: JSON → XML → JSON is the identity, and XML → JSON → XML too, for every instance a
generator derived from the compiled plan produces.

The generator walks the plan's TypePlan tables (kind, attributes, children in schema order,
value codecs) and draws values that fit the codecs: strings from an alphabet that includes
XML's special characters, whitespace and non-ASCII; booleans; exact decimals; integers
beyond 64 bits; list-typed values. It does not try to satisfy XSD patterns or enumerations:
the property is about the converter, not about XSD validity.
"""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xml2json import Converter, Limits
from xml2json.io import dumps_json, loads_json
from xml2json.plan import ELEMENT, EMPTY, LEAF, MIXED, SIMPLE, Codec, Plan, TypePlan
from xml2json.policy import CONTENT_KEY, VALUE_KEY
from xml2json.registry import default_registry

VERSION = "V6_0"
CI = os.environ.get("CI") == "true"  # fixed examples in CI, fresh ones elsewhere
ALPHABET = "aZ09 -_.,;:/<>&\"'=é中😀\t\n\r\x85\u2028]]>"
TOKEN = st.text(alphabet="aZ09-_.:é中", min_size=1, max_size=6)
MAX_DEPTH = 7


def plan() -> Plan:
    return default_registry().plan(VERSION)


def value_of(draw: Any, codec: Codec) -> Any:
    name = codec.name
    if name == "string":
        return draw(st.text(alphabet=ALPHABET, max_size=12))
    if name == "boolean":
        return draw(st.booleans())
    if name == "integer":
        return draw(st.integers(min_value=-(10**22), max_value=10**22))
    if name == "decimal":
        return draw(
            st.decimals(
                min_value=-(10**12),
                max_value=10**12,
                places=draw(st.integers(0, 4)),
                allow_nan=False,
                allow_infinity=False,
            )
        )
    assert name == "list" and codec.item is not None
    item = codec.item
    if item.name == "string":
        return draw(st.lists(TOKEN, max_size=3))
    return [value_of(draw, item) for _ in range(draw(st.integers(0, 3)))]


def include(draw: Any, required: bool, depth: int) -> bool:
    return required or draw(st.integers(0, depth + 1)) == 0


def instance(draw: Any, tp: TypePlan, depth: int) -> Any:
    kind = tp.kind
    if kind == LEAF:
        assert tp.value is not None
        return value_of(draw, tp.value)
    obj: dict[str, Any] = {}
    for a in tp.attrs_json.values():
        if include(draw, a.required, depth):
            obj[a.json] = value_of(draw, a.codec)
    if kind == EMPTY:
        return obj
    if kind == SIMPLE:
        assert tp.value is not None
        obj[VALUE_KEY] = value_of(draw, tp.value)
        return obj
    if kind == MIXED:
        content: list[Any] = []
        choices = list(tp.ordered_json.values())
        for _ in range(draw(st.integers(0, 3 if depth < MAX_DEPTH else 0))):
            if draw(st.booleans()) or not choices:
                text = draw(st.text(alphabet=ALPHABET, min_size=1, max_size=10))
                if content and isinstance(content[-1], str):
                    content[-1] += text  # adjacent strings are one text node in XML
                else:
                    content.append(text)
            else:
                c = draw(st.sampled_from(choices))
                content.append({c.json: instance(draw, c.type, depth + 1)})
        obj[CONTENT_KEY] = content
        return obj
    assert kind == ELEMENT
    ordered = [c for c in tp.order if c.ordered]
    for c in tp.order:
        if c.ordered or (depth >= MAX_DEPTH and not c.required):
            continue
        if not include(draw, c.required, depth):
            continue
        if c.array:
            obj[c.json] = [instance(draw, c.type, depth + 1) for _ in range(draw(st.integers(1, 2)))]
        else:
            obj[c.json] = instance(draw, c.type, depth + 1)
    if ordered and depth < MAX_DEPTH:
        items = []
        for _ in range(draw(st.integers(0, 2))):
            c = draw(st.sampled_from(ordered))
            items.append({c.json: instance(draw, c.type, depth + 1)})
        if items:
            obj[CONTENT_KEY] = items
    return obj


@st.composite
def documents(draw: Any, name: str) -> dict[str, Any]:
    doc = plan().documents[name]
    body = instance(draw, doc.type, 0)
    body["st96Version"] = VERSION
    return {doc.json_root: body}


def check_round_trip(name: str, data: dict[str, Any]) -> None:
    conv = Converter()
    first = conv.json_to_xml(data, document=name)
    back = conv.xml_to_json(first.xml)
    assert back.document == name
    assert back.warnings == ()
    assert back.data == data
    assert conv.json_to_xml(back.data, document=name).xml == first.xml
    text = dumps_json(back.data)
    assert loads_json(text, Limits()) == data


SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=CI,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)


@pytest.mark.parametrize(
    "name", ["TrademarkApplication", "PatentPublication", "DesignApplication", "GIApplication", "TrademarkTransaction"]
)
def test_round_trip_holds_for_generated_documents(name: str) -> None:
    @SETTINGS
    @given(documents(name))
    def run(data: dict[str, Any]) -> None:
        check_round_trip(name, data)

    run()


@settings(
    max_examples=60,
    deadline=None,
    derandomize=CI,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)
@given(st.data())
def test_round_trip_holds_for_every_document_type(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(plan().documents)))
    check_round_trip(name, data.draw(documents(name)))


def test_generator_reaches_every_value_kind() -> None:
    kinds = {t.value.name for t in plan().types.values() if t.value is not None}
    kinds |= {a.codec.name for t in plan().types.values() for a in t.attrs.values()}
    assert {"string", "boolean", "integer", "decimal", "list"} <= kinds
    assert isinstance(Decimal("1.50"), Decimal)

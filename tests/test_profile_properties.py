"""Property tests of the simplified trademark profile, on documents generated from its JSON Schema.

The strategy is built by walking the profile schema (types, enums, patterns,
required members, ``dependentRequired``) together with its ``$defs/complete``
rules, so a schema change changes what is generated. Code lists and dates come
from the committed ST.97 schema's own enumerations (the profile schema only
states their lexical shape), so that the generated values are valid ST.96.
"""

from __future__ import annotations

import datetime
import json
import string
from typing import Any

from conftest import ROOT, XSD_V6, require_shared
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xml2json.api import Converter
from xml2json.profiles.engine import UNMAPPED_KEY
from xml2json.profiles.pointer import flatten
from xml2json.profiles.trademark import checks, expand, expand_to_xml, profile, simplify, simplify_data
from xml2json.safe import parse_document

ST97 = json.loads((ROOT / "schemas" / "st97" / "V6_0" / "TrademarkApplication.json").read_text())["$defs"]
SCHEMA = checks().schema
_PLAIN = st.text(alphabet=string.ascii_letters + string.digits + " .,-'&/éß", min_size=1, max_size=12)
#: Free text, with the edge cases a lossy mapping would get wrong: padding, leading zeros, look-alikes.
TEXT = st.one_of(_PLAIN, _PLAIN.map(lambda s: f" {s} "), st.sampled_from(["009", "0", "true", "1.50", "a  b"]))


def _enum(*names: str) -> list[str]:
    return sorted({v for n in names for v in ST97[n]["enum"]})


#: Values for the profile's lexical types, from the ST.96 code lists they stand for.
OVERRIDES: dict[str, st.SearchStrategy[Any]] = {
    "text": TEXT,
    "date": st.dates(datetime.date(1900, 1, 1), datetime.date(2099, 12, 31)).map(datetime.date.isoformat),
    "st3Code": st.sampled_from(_enum("com_WIPOST3CodeType")),
    "countryCode": st.sampled_from(_enum("com_ISOCountryCodeType")),
    "languageCode": st.sampled_from(_enum("com_ISOLanguageCodeType")),
    "viennaCode": st.from_regex(r"\A[0-9]{2}(\.[0-9]{2}(\.[0-9]{2})?)?\Z"),
}


def _deref(node: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    name = None
    while "$ref" in node and len(node) <= 2:  # {"$ref": …} or {"$ref": …, "description": …}
        name = node["$ref"].rsplit("/", 1)[-1]
        node = SCHEMA["$defs"][name]
    return node, name


def strategy(node: dict[str, Any], extra: dict[str, Any] | None = None) -> st.SearchStrategy[Any]:
    node, name = _deref(node)
    extra = _deref(extra)[0] if extra else {}
    if name in OVERRIDES:
        return OVERRIDES[name]
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node and "type" not in node:
        return st.one_of([strategy(b) for b in node["anyOf"]])
    kind = node.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return TEXT
    if kind == "array":
        return st.lists(
            strategy(node["items"], extra.get("items")), min_size=max(1, node.get("minItems", 0)), max_size=3
        )
    if kind == "object":
        return _object(node, extra)
    raise AssertionError(f"no strategy for {node}")


def _object(node: dict[str, Any], extra: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    props = {k: v for k, v in node["properties"].items() if k != UNMAPPED_KEY}
    required = set(node.get("required", [])) | set(extra.get("required", []))
    deps: dict[str, set[str]] = {}
    for source in (node, extra):
        for k, v in source.get("dependentRequired", {}).items():
            deps.setdefault(k, set()).update(v)
    one_of_required = [b["required"] for b in extra.get("anyOf", []) if "required" in b]
    # "if any of these is present then one of those groups is required" (the mark's reproduction)
    if_keys = [b["required"] for b in extra.get("if", {}).get("anyOf", []) if "required" in b]
    then_groups = [b["required"] for b in extra.get("then", {}).get("anyOf", []) if "required" in b]
    sub_extra = extra.get("properties", {})
    minimum = node.get("minProperties", 0)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        keys = set(required)
        keys |= {k for k in props if draw(st.booleans())}
        if one_of_required:
            keys |= set(draw(st.sampled_from(one_of_required)))
        while len(keys) < minimum:
            keys.add(draw(st.sampled_from(sorted(props))))
        if any(set(g) <= keys for g in if_keys) and not any(set(g) <= keys for g in then_groups):
            keys |= set(draw(st.sampled_from(then_groups)))
        changed = True
        while changed:  # close over dependentRequired
            before = len(keys)
            for k in list(keys):
                keys |= deps.get(k, set())
            changed = len(keys) != before
        return {k: draw(strategy(props[k], sub_extra.get(k))) for k in props if k in keys}

    return build()


DOCS = strategy(SCHEMA, SCHEMA["$defs"]["complete"])
FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(DOCS)
def test_generated_documents_are_valid_profile_documents(doc: dict[str, Any]) -> None:
    assert checks().issues(doc) == []


@FAST
@given(DOCS)
def test_simplified_full_simplified_is_exactly_equal(doc: dict[str, Any]) -> None:
    full = expand(doc)
    assert simplify_data(full).documents[0] == doc
    # and the full form holds exactly the profile's values plus the derived ones, nothing else
    prof = profile()
    strong = prof.strong_leaves(doc)
    record = flatten(full["trademarkApplication"]["trademarkBag"]["trademark"][0])
    assert set(strong) <= set(record)
    derived = {p for p in prof.default_leaves(doc, strong) if not p.startswith("/..")}
    assert set(record) == set(strong) | derived


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=DOCS)
def test_expanded_xml_is_valid_and_simplifies_back(doc: dict[str, Any], validators: Any) -> None:
    require_shared(XSD_V6)
    conv = _CONV
    xml = expand_to_xml(doc, converter=conv)
    root = parse_document(xml, conv.options.limits)
    assert validators.check_xml(root, "V6_0", "TrademarkApplication") == []
    assert simplify(xml, converter=conv).documents[0] == doc


_CONV = Converter()

"""The loaded plan is complete and frozen; converters keep no state of a call (issue 11)."""

from __future__ import annotations

import dataclasses
import sys

import pytest
from conftest import EXAMPLE
from lxml import etree

from xml2json import Converter, Options, policy
from xml2json.bulk import iter_records, record_layout
from xml2json.convert.xml_to_json import XmlToJson
from xml2json.errors import Issue, UnknownContentError
from xml2json.plan import (
    ARRAY,
    ELEMENT,
    EMPTY,
    LEAF,
    MIXED,
    ORDERED,
    SINGLE,
    Child,
    DocumentPlan,
    Plan,
    RecordSpec,
    TypePlan,
    codec_from_spec,
    local_name,
    plan_from_dict,
    read_plan_dict,
)
from xml2json.registry import SHIPPED_PLANS

TMK = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"


def _plan() -> Plan:
    return plan_from_dict(read_plan_dict(SHIPPED_PLANS / "V6_0.plan.json.gz"))


# -- frozen ------------------------------------------------------------------------------------


def test_plan_objects_are_frozen() -> None:
    plan = _plan()
    doc = plan.document("TrademarkApplication")
    tp = doc.type
    child = tp.order[0]
    attr = next(t for t in plan.types.values() if t.attrs).attrs_json
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.version = "V9_9"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.type = tp  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tp.order = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        tp.kind = LEAF  # type: ignore[misc]
    with pytest.raises(AttributeError):  # children and attributes are named tuples
        child.json = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        next(iter(attr.values())).json = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.layouts[doc.name].specs = {}  # type: ignore[misc]
    # the plan's own mappings are read-only
    for mapping in (plan.documents, plan.by_root, plan.types, plan.elements, plan.namespaces, plan.prefix_of):
        with pytest.raises(TypeError):
            mapping["x"] = None  # type: ignore[index]
    with pytest.raises(TypeError):
        plan.layouts["x"] = None  # type: ignore[index]


# -- complete ----------------------------------------------------------------------------------


def test_the_loaded_plan_holds_every_table_the_runtime_uses() -> None:
    data = read_plan_dict(SHIPPED_PLANS / "V6_0.plan.json.gz")
    plan = plan_from_dict(data)
    assert dict(plan.prefix_of) == {u: p for p, u in data["namespaces"].items()}
    for key, spec in data["types"].items():
        tp = plan.types[key]
        if spec[0] == "leaf":
            assert tp.kind == LEAF and not tp.table and not tp.order
            continue
        children = spec[2]
        assert [c.tag for c in tp.order] == [c[0] for c in children]
        assert tp.has_content == (spec[0] == "mixed" or any(c[4] for c in children))
        assert set(tp.table) == set(tp.children)
        for tag, (json, place, dec, ctp, kind) in tp.table.items():
            c = tp.children[tag]
            assert (json, ctp, kind) == (c.json, c.type, c.type.kind)
            assert place == (ORDERED if c.ordered else ARRAY if c.array else SINGLE)
            assert dec is (ctp.value.decode if ctp.kind == LEAF and ctp.value is not None else None)
            assert (tp.ordered_json if c.ordered else tp.children_json)[c.json] is c
    assert set(plan.layouts) == set(plan.documents)
    doc = plan.document("TrademarkTransaction")
    assert record_layout(plan, doc) is plan.layouts[doc.name] is record_layout(plan, doc)
    assert plan.layouts[doc.name].document is doc


def _full_walk(doc: DocumentPlan) -> dict[tuple[str, ...], RecordSpec]:
    """The record search without pruning (the derivation before issue 11), as the reference."""

    def structured(c: Child) -> bool:
        return c.type.kind in (ELEMENT, MIXED, EMPTY)

    out: dict[tuple[str, ...], RecordSpec] = {}

    def bag(tp: TypePlan, path: tuple[str, ...], nested: bool, seen: frozenset[str] = frozenset()) -> None:
        for c in tp.order:
            if not structured(c):
                continue
            p = (*path, c.tag)
            if local_name(c.tag).endswith("Bag"):
                if nested and c.type.key not in seen:
                    bag(c.type, p, True, seen | {c.type.key})
            elif c.array:
                out.setdefault(p, RecordSpec(p, c))

    def visit(tag: str, tp: TypePlan, path: tuple[str, ...], depth: int, seen: frozenset[str]) -> None:
        name = local_name(tag)
        if name in policy.RECORD_CONTAINERS:
            for c in tp.order:
                if structured(c):
                    p = (*path, c.tag)
                    if local_name(c.tag).endswith("Bag"):
                        bag(c.type, p, False)
                    else:
                        out.setdefault(p, RecordSpec(p, c))
            return
        if name in policy.RECORD_BAGS:
            bag(tp, path, True)
            return
        if depth >= policy.MAX_CONTAINER_DEPTH:
            return
        for c in tp.order:
            if structured(c) and c.type.key not in seen:
                visit(c.tag, c.type, (*path, c.tag), depth + 1, seen | {c.type.key})

    tp = doc.type
    root = (doc.root,)
    if (
        local_name(doc.root).endswith("Bag")
        and tp.order
        and local_name(doc.root) not in policy.RECORD_CONTAINERS
        and all(c.array and structured(c) for c in tp.order)
    ):
        bag(tp, root, False)
    else:
        visit(doc.root, tp, root, 0, frozenset({tp.key}))
    return out


def test_record_layouts_are_those_of_the_full_search() -> None:
    """The loader skips subtrees that cannot reach a container; it must find exactly the same records."""
    plan = _plan()
    streaming = 0
    for doc in plan.documents.values():
        want = _full_walk(doc)
        got = plan.layouts[doc.name].specs
        assert [(p, s.child) for p, s in got.items()] == [(p, s.child) for p, s in want.items()], doc.name
        streaming += bool(got)
    assert streaming == 17  # every transaction and bag document of V6_0 has records


# -- no state beside the plan ----------------------------------------------------------------


def _module_state() -> dict[tuple[str, str], int]:
    out = {}
    for name, mod in list(sys.modules.items()):
        if not name.startswith("xml2json") or name.startswith("xml2json.compiler"):
            continue
        for attr, v in vars(mod).items():
            if isinstance(v, (dict, set, list)):
                out[(name, attr)] = len(v)
    return out


def _with_unknown(xml: bytes, count: int = 1) -> bytes:
    root = etree.fromstring(xml)
    for i in range(count):
        extra = etree.SubElement(root, "{urn:example:x}Extra", nsmap={"x": "urn:example:x"})
        extra.text = str(i)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_converting_leaves_no_module_state_behind() -> None:
    """Nothing derived from a plan (child tables, name memos, record layouts) is cached in a module."""
    xml = _with_unknown(EXAMPLE.read_bytes())
    Converter().xml_to_json(xml)  # imports everything the conversions below use
    before = _module_state()
    assert not hasattr(sys.modules["xml2json.convert.xml_to_json"], "_MEMOS")
    for _ in range(3):
        conv = Converter()
        fresh = plan_from_dict(read_plan_dict(SHIPPED_PLANS / "V6_0.plan.json.gz"))
        result = conv.xml_to_json(xml)
        conv.json_to_xml(result.data)
        root = etree.fromstring(xml)
        XmlToJson(fresh, conv.options).document(root, fresh.by_root[root.tag], [])  # a plan seen for the first time
        record_layout(fresh, fresh.document("TrademarkTransaction"))
        list(iter_records(xml))
    assert _module_state() == before


# -- warnings per call -------------------------------------------------------------------------


def test_each_conversion_returns_its_own_warnings() -> None:
    conv = Converter()
    clean = EXAMPLE.read_bytes()
    dirty = _with_unknown(clean)
    first = conv.xml_to_json(dirty)
    second = conv.xml_to_json(dirty)  # the same document again: its warnings again
    assert [w.code for w in first.warnings] == ["unknown-element"]
    assert second.warnings == first.warnings
    assert conv.xml_to_json(clean).warnings == ()
    assert first.warnings == Converter().xml_to_json(dirty).warnings
    # one reader and one writer per plan, reused
    plan = conv.registry.plan("V6_0")
    assert conv.reader(plan) is conv.reader(plan)
    assert conv.writer(plan) is conv.writer(plan)


def test_warnings_are_reported_once_per_path_within_a_call() -> None:
    conv = Converter()
    result = conv.xml_to_json(_with_unknown(EXAMPLE.read_bytes(), count=3))
    assert [w.code for w in result.warnings] == ["unknown-element"]


def test_a_call_that_fails_keeps_the_warnings_found_before() -> None:
    conv = Converter(options=Options(strict=False))
    plan = conv.registry.plan("V6_0")
    root = etree.fromstring(_with_unknown(EXAMPLE.read_bytes()))
    doc = plan.by_root[root.tag]
    reader = conv.reader(plan)
    warnings: list[Issue] = []
    reader.document(root, doc, warnings)
    assert [w.code for w in warnings] == ["unknown-element"]
    strict = XmlToJson(plan, Options(strict=True))
    before: list[Issue] = [Issue("mine", "kept")]
    with pytest.raises(UnknownContentError):
        strict.document(root, doc, before)
    assert [w.code for w in before] == ["mine"]


def test_bulk_records_each_get_their_warnings() -> None:
    from test_bulk import HEAD, TAIL

    trademark = etree.fromstring(EXAMPLE.read_bytes()).find(f"{{{TMK}}}TrademarkBag/{{{TMK}}}Trademark")
    assert trademark is not None
    rec = etree.tostring(trademark)
    bad = rec.replace(b"</tmk:Trademark>", b'<x:Extra xmlns:x="urn:example:x">1</x:Extra></tmk:Trademark>')
    assert bad != rec
    records = list(iter_records(HEAD + bad + bad + rec + bad + TAIL))
    assert [[w.code for w in r.warnings] for r in records] == [["unknown-element"]] * 2 + [[]] + [["unknown-element"]]


# -- policy --------------------------------------------------------------------------------


def test_boolean_forms_and_number_bounds_come_from_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    boolean = codec_from_spec("b")
    integer = codec_from_spec("i")
    assert boolean.decode is not None and integer.decode is not None
    assert boolean.decode(" 1 ") is True and boolean.decode("0") is False
    assert integer.decode(str(policy.NATIVE_INTEGER_BOUND - 1)).__class__ is int
    assert integer.decode(str(policy.NATIVE_INTEGER_BOUND)).__class__ is not int
    monkeypatch.setattr("xml2json.plan.BOOLEAN_TRUE_FORMS", ("true",))
    with pytest.raises(ValueError):
        boolean.decode("1")


def test_the_writer_sets_the_policy_schema_location() -> None:
    conv = Converter(options=Options(schema_location=True))
    result = conv.xml_to_json(EXAMPLE)
    xml = conv.json_to_xml(result.data).xml
    root = etree.fromstring(xml)
    want = policy.schema_location(
        "http://www.wipo.int/standards/XMLSchema/ST96/Trademark", "V6_0", "TrademarkApplication"
    )
    assert root.get(f"{{{policy.XSI_NS}}}schemaLocation") == want
    assert want.endswith(
        " https://www.wipo.int/standards/XMLSchema/ST96/V6_0/Trademark/Document/TrademarkApplication_V6_0.xsd"
    )


def test_dead_names_are_gone() -> None:
    import xml2json.plan as plan_module

    assert not hasattr(plan_module, "KIND_NAMES")
    assert not hasattr(TypePlan, "kind_name")
    assert not hasattr(policy, "RESERVED_KEYS")


def test_the_plan_records_the_repeating_choices_of_single_elements() -> None:
    """``interleave``: the choices whose branches' interleaving per-branch arrays do not keep
    (the round-trip comparer forgives exactly these, docs/fidelity.md)."""
    plan = Converter().registry.plan("V6_0")
    com = plan.namespaces["com"]
    name = plan.types["com_NameType"]
    branches = {f"{{{com}}}{n}" for n in ("PersonName", "OrganizationName", "EntityName")}
    assert set(name.interleave) == branches and len(set(name.interleave.values())) == 1
    # a choice with a sequence branch keeps document order instead (rule 13): not listed
    assert plan.types["com_LocarnoClassificationBagType"].interleave == {}
    # a type without a repeating choice lists none
    assert plan.types["com_ApplicationNumberType"].interleave == {}

"""The schema compiler: drift, meta-schema validity, plan ⇄ JSON Schema agreement, errors."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import ROOT, XSD_V6, require_shared
from jsonschema import Draft202012Validator

from xml2json.artifacts import schema_bytes
from xml2json.compiler.pipeline import compile_bundle
from xml2json.errors import BundleError
from xml2json.plan import ELEMENT, EMPTY, LEAF, MIXED, SIMPLE, Plan, TypePlan, plan_from_dict, read_plan_dict
from xml2json.registry import SHIPPED_PLANS

COMMITTED = ROOT / "schemas" / "st97" / "V6_0"
MINI = ROOT / "tests" / "fixtures" / "mini-bundle"

V6_DOCUMENTS = {
    "ApplicationBody",
    "BibliographicData",
    "CopyrightOrphanWork",
    "DGN_TransactionContentBag",
    "DGN_TransactionData",
    "DesignApplicationBag",
    "DesignApplication",
    "DesignTransactionBody",
    "DesignTransaction",
    "ExaminationReport",
    "GIApplication",
    "GIN_TransactionContentBag",
    "GIN_TransactionData",
    "GITransactionBody",
    "GITransaction",
    "HagueIBToOfficeTransaction",
    "HagueOfficeToIBTransaction",
    "MadridIBToOfficeTransaction",
    "MadridOfficeToIBTransaction",
    "PatentLegalStatusData",
    "PatentPublication",
    "SPCBibliographicData",
    "SearchReport",
    "TMK_TransactionContentBag",
    "TMK_TransactionData",
    "TrademarkApplication",
    "TrademarkTransactionBody",
    "TrademarkTransaction",
}


def test_all_28_document_schemas_are_committed() -> None:
    assert {p.stem for p in COMMITTED.glob("*.json")} == V6_DOCUMENTS


def test_no_drift_between_bundle_and_committed_files(compiled_v6: Any) -> None:
    """Regenerating from ../shared gives byte-identical schemas and plan: they cannot go stale."""
    assert set(compiled_v6.schemas) == V6_DOCUMENTS
    for name, schema in compiled_v6.schemas.items():
        assert schema_bytes(schema) == (COMMITTED / f"{name}.json").read_bytes(), f"{name}.json drifted"
    shipped = read_plan_dict(SHIPPED_PLANS / "V6_0.plan.json.gz")
    assert orjson.dumps(compiled_v6.plan, option=orjson.OPT_SORT_KEYS) == orjson.dumps(
        shipped, option=orjson.OPT_SORT_KEYS
    ), "the shipped plan drifted"


@pytest.mark.parametrize("name", sorted(V6_DOCUMENTS))
def test_committed_schema_passes_the_meta_schema(name: str) -> None:
    schema = orjson.loads((COMMITTED / f"{name}.json").read_bytes())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_no_annotation_prose_in_committed_schemas(xsd_dir: Path) -> None:
    """Rule 25: structure and facts only. No 'description' keyword, and no long XSD documentation text."""
    from lxml import etree

    docs = (
        etree.parse(str(xsd_dir / "Common_V6_0.xsd"))
        .getroot()
        .iterfind(".//{http://www.w3.org/2001/XMLSchema}documentation")
    )
    samples = [d.text.strip() for d in docs if d.text and len(d.text.strip()) > 40][:200]
    assert samples, "expected documentation text in the XSD to compare against"
    blob = (COMMITTED / "PatentPublication.json").read_text(encoding="utf-8")
    assert not [s for s in samples if s in blob]

    def prose_keywords(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [k for k in ("description", "title", "$comment") if isinstance(node.get(k), str)]
            return found + [f for v in node.values() for f in prose_keywords(v)]
        if isinstance(node, list):
            return [f for v in node for f in prose_keywords(v)]
        return []

    schema = orjson.loads(blob)
    assert prose_keywords(schema["$defs"]) == []


def _plan() -> Plan:
    return plan_from_dict(read_plan_dict(SHIPPED_PLANS / "V6_0.plan.json.gz"))


def _json_types(defs: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    """The JSON types a schema admits, following $ref and unions (anyOf)."""
    while "$ref" in schema and "type" not in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema and "type" not in schema:
        return {t for s in schema["anyOf"] for t in _json_types(defs, s)}
    t = schema.get("type")
    return {t} if isinstance(t, str) else set(t or ())


_CODEC_TYPES = {"string": "string", "boolean": "boolean", "decimal": "number", "integer": "integer", "list": "array"}


def _check_value(defs: dict[str, Any], codec: Any, schema: dict[str, Any], where: str) -> None:
    assert _json_types(defs, schema) == {_CODEC_TYPES[codec.name]}, f"{where}: plan codec {codec.name}"


@pytest.mark.parametrize("name", sorted(V6_DOCUMENTS))
def test_plan_and_json_schema_agree(name: str) -> None:
    """Arrays, required members, member sets and value types match between the plan and the schema."""
    plan = _plan()
    schema = orjson.loads((COMMITTED / f"{name}.json").read_bytes())
    defs = schema["$defs"]
    doc = plan.documents[name]
    assert schema["required"] == [doc.json_root]
    seen: set[str] = set()
    todo: list[TypePlan] = [doc.type]
    checked = 0
    while todo:
        tp = todo.pop()
        if tp.key in seen:
            continue
        seen.add(tp.key)
        d = defs[tp.key]
        if tp.kind == LEAF:
            assert tp.value is not None
            _check_value(defs, tp.value, d, tp.key)
            continue
        props = d["properties"]
        required = set(d.get("required", ()))
        expected_members = {a.json for a in tp.attrs.values()} | set(tp.children_json)
        if tp.kind == SIMPLE:
            expected_members.add("value")
            assert tp.value is not None
            _check_value(defs, tp.value, props["value"], tp.key + ".value")
        if tp.has_content:
            expected_members.add("content")
        if tp.any_attr:
            expected_members.add("$attributes")
        assert set(props) == expected_members, tp.key
        for a in tp.attrs.values():
            assert (a.json in required) == a.required, f"{tp.key}.{a.json}"
            _check_value(defs, a.codec, props[a.json], f"{tp.key}@{a.json}")
        for c in tp.children_json.values():
            p = props[c.json]
            assert (p.get("type") == "array") == c.array, f"{tp.key}.{c.json} array"
            assert (c.json in required) == c.required, f"{tp.key}.{c.json} required"
            ref = p["items"]["$ref"] if c.array else p["$ref"]
            assert ref == f"#/$defs/{c.type.key}"
            todo.append(c.type)
        if tp.has_content:
            items = props["content"]["items"]
            if "$ref" in items:
                items = defs[items["$ref"].rsplit("/", 1)[1]]
            assert set(items["properties"]) == set(tp.ordered_json), tp.key
            assert ("string" in items["type"]) == (tp.kind == MIXED)
            todo.extend(c.type for c in tp.ordered_json.values())
        assert tp.kind in (ELEMENT, EMPTY, MIXED, SIMPLE)
        checked += 1
    assert checked > 20


def test_document_flow_groups_are_the_nine_of_the_mapping_rules(compiled_v6: Any) -> None:
    flow = {
        k
        for k, ct in compiled_v6.ir.complex_types.items()
        if ct.ordered_reason and "document-flow" in ct.ordered_reason and ct.content != "mixed"
    }
    assert flow == {
        "pat_DescriptionType",
        "pat_DisclosureType",
        "pat_EmbodimentDescriptionType",
        "pat_EmbodimentExampleType",
        "pat_ClaimsType",
        "pat_InventionUnityIncomplianceReasonType",
        "com_ContentType",
        "com_CitationBagType",
        "com_DLType",
    }


def test_groups_that_per_name_arrays_cannot_give_back_are_the_published_ones(compiled_v6: Any) -> None:
    """Rule 13, second exception: the V6_0 list of docs/mapping.md (13d)."""
    found = {
        k: ",".join(r for r in ct.ordered_reason.split(",") if r in ("repeating-group", "relative-order"))
        for k, ct in compiled_v6.ir.complex_types.items()
        if ct.ordered_reason and {"repeating-group", "relative-order"} & set(ct.ordered_reason.split(","))
    }
    assert found == {
        # a repeating group with two or more names that is not a choice of single elements
        "com_LocarnoClassificationBagType": "repeating-group",
        "tmk_GoodsServicesLimitationType": "repeating-group",
        "pat_CorrectionEventDataType": "repeating-group",
        "pat_SearchReportType": "repeating-group",
        "pat_ExaminationReportType": "repeating-group",
        "gin_GIChangeRecordType": "repeating-group",  # ordered already as a repeated position (13c)
        # two names that can come in an order other than the writer's
        "com_MathType": "relative-order",
        "dgn_HagueIrregularityNotificationType": "relative-order",
        "pat_ReferenceCitationType": "relative-order",
        "pat_StateDesignationType": "relative-order",
        "m_apply__anon": "relative-order",
        "m_bind__anon": "relative-order",
        "m_mmultiscripts__anon": "relative-order",
    }
    locarno = compiled_v6.ir.complex_types["com_LocarnoClassificationBagType"]
    assert [p.json for p in locarno.particles if p.ordered] == [
        "locarnoClassification",
        "symbolPositionCode",
        "locarnoClassificationText",
    ]


def test_v6_has_no_name_collisions_and_mixed_types_are_found(compiled_v6: Any, xsd_dir: Path) -> None:
    from lxml import etree

    assert compiled_v6.ir.collisions == []
    st96 = {"com", "pat", "tmk", "dgn", "gin", "cpy"}
    mixed = {k for k, ct in compiled_v6.ir.complex_types.items() if ct.content == "mixed" and k.split("_")[0] in st96}
    declared = set()
    for f in ("Common", "Patent", "Trademark", "Design", "GeographicalIndication", "Copyright"):
        root = etree.parse(str(xsd_dir / f"{f}_V6_0.xsd")).getroot()
        prefix = {
            "Common": "com",
            "Patent": "pat",
            "Trademark": "tmk",
            "Design": "dgn",
            "GeographicalIndication": "gin",
            "Copyright": "cpy",
        }[f]
        declared |= {
            f"{prefix}_{t.get('name')}"
            for t in root.iterfind("{http://www.w3.org/2001/XMLSchema}complexType")
            if t.get("mixed") == "true"
        }
    assert len(declared) == 24  # the 24 of data.md, declared mixed="true" on the type itself
    used = declared & set(compiled_v6.ir.complex_types)
    assert used <= mixed
    # the others are mixed by derivation (complexContent of a mixed base), e.g. CrossReferenceType
    assert all(compiled_v6.ir.complex_types[k].has_ordered for k in mixed)


# -- the hand-written mini bundle: collisions, substitution groups, choices ----------------


def test_mini_bundle_collision_resolution_and_shapes() -> None:
    c = compile_bundle(MINI)
    assert c.version == "V9_9"
    assert c.ir.collisions == [
        {
            "type": "com_SampleType",
            "xml": "{http://www.wipo.int/standards/XMLSchema/ST96/Common}Image",
            "json": "image",
            "resolved": "image_com",
            "with": "image",
        }
    ]
    s = c.schemas["Sample"]["$defs"]["com_SampleType"]
    assert set(s["properties"]) == {
        "st96Version",
        "image",
        "image_com",
        "circle",
        "square",
        "alpha",
        "beta",
        "gamma",
        "amount",
    }
    assert s["properties"]["st96Version"]["const"] == "V9_9"
    v = Draft202012Validator(c.schemas["Sample"])
    ok = {"sample": {"st96Version": "V9_9", "circle": ["x"], "beta": "AB123", "gamma": 3}}
    assert not list(v.iter_errors(ok))
    # choice: alpha and beta together are not allowed; one of them is required
    assert list(v.iter_errors({"sample": {"st96Version": "V9_9", "circle": ["x"], "alpha": True, "beta": "AB123"}}))
    assert list(v.iter_errors({"sample": {"st96Version": "V9_9", "circle": ["x"]}}))
    # gamma belongs to beta's branch
    assert list(v.iter_errors({"sample": {"st96Version": "V9_9", "square": ["x"], "alpha": True, "gamma": 1}}))
    # substitution group: at least one shape
    assert list(v.iter_errors({"sample": {"st96Version": "V9_9", "alpha": False}}))
    assert list(v.iter_errors({"sample": {"st96Version": "V9_9", "circle": ["x"], "beta": "ab123"}}))
    assert list(v.iter_errors({"sample": {"st96Version": "V9_9", "circle": ["x"], "alpha": True, "typo": 1}}))


def test_missing_bundle_and_missing_import_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(BundleError) as e:
        compile_bundle(tmp_path / "nope")
    assert e.value.code == "bundle-missing"
    shutil.copy(MINI / "Sample_V9_9.xsd", tmp_path / "Sample_V9_9.xsd")
    with pytest.raises(BundleError) as e:
        compile_bundle(tmp_path)
    assert e.value.code == "bundle-missing-import"
    assert "Sample_V9_9_Common.xsd" in e.value.message


def test_zip_bundle_compiles_like_the_folder(tmp_path: Path) -> None:
    z = tmp_path / "mini.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for p in MINI.iterdir():
            zf.write(p, f"bundle/{p.name}")
    assert compile_bundle(z).schemas == compile_bundle(MINI).schemas


def test_zip_bundle_with_path_escape_is_refused(tmp_path: Path) -> None:
    z = tmp_path / "evil.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../evil.xsd", "<x/>")
    with pytest.raises(BundleError) as e:
        compile_bundle(z)
    assert e.value.code == "bundle-unsafe-path"


def test_shared_bundle_is_found() -> None:
    require_shared(XSD_V6)

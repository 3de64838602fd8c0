"""The simplified trademark profile: mapping table, simplify/expand, loss accounting, report, CLI, docs."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT, USPTO, WIPO_V6, XSD_V6, require_shared

from xml2json.api import Converter
from xml2json.cli import main
from xml2json.profiles import docgen
from xml2json.profiles.engine import (
    DOCUMENT_PREFIX,
    PROFILE_KEY,
    UNMAPPED_KEY,
    Choice,
    Default,
    Field,
    Group,
    Items,
    Node,
    ProfileError,
)
from xml2json.profiles.pointer import MISSING, PointerConflict, build, flatten, get, same
from xml2json.profiles.report import build_report
from xml2json.profiles.schema import profile_schema_dir
from xml2json.profiles.trademark import (
    NAME,
    SCHEMA_FILE,
    SimplifyResult,
    checks,
    expand,
    expand_to_xml,
    simplify,
    simplify_data,
    validate,
)
from xml2json.profiles.trademark.table import TABLE
from xml2json.safe import parse_document

WIPO_TM = WIPO_V6 / "TrademarkApplication_Example.xml"
USPTO_FILES = ["rn2178784-ST96.xml", "rn2713476-ST96.xml", "sn76044902-ST96.xml", "sn77478018-ST96.xml"]


@pytest.fixture(scope="module")
def conv() -> Converter:
    return Converter()


def _full(conv: Converter, path: Path) -> dict[str, Any]:
    return conv.xml_to_json(path).data


def _record(full: dict[str, Any]) -> dict[str, Any]:
    return full["trademarkApplication"]["trademarkBag"]["trademark"][0]


def check_carried(result: SimplifyResult, full: dict[str, Any]) -> int:
    """full → simplified → full keeps every value the profile carries, value by value (unmapped left out)."""
    checked = 0
    for rec in result.records:
        source = get(full, rec.pointer)
        expanded = expand(rec.document, include_unmapped=False)
        out_rec = _record(expanded)
        out_doc = expanded["trademarkApplication"]
        for p, claim in rec.result.claims.items():
            if p.endswith("/$qname"):
                continue
            if p.startswith(DOCUMENT_PREFIX + "/"):
                src = get(full, "/" + next(iter(full)) + p[len(DOCUMENT_PREFIX) :])
                got = get(out_doc, p[len(DOCUMENT_PREFIX) :])
            else:
                src = get(source, p)
                got = get(out_rec, claim.target or p)
            assert src is not MISSING, p
            assert same(src, got), f"{p} ({claim.label}): {src!r} came back as {got!r}"
            checked += 1
    return checked


def check_partition(result: SimplifyResult) -> None:
    """Loss accounting: every input leaf is carried (claimed) or kept in unmapped, never both, never neither."""
    for rec in result.records:
        res = rec.result
        for p, v in res.leaves.items():
            assert (p in res.claims) != (p in res.unmapped), p
            if p in res.unmapped:
                assert same(res.unmapped[p], v), p
        for p, v in res.unmapped.items():
            assert p in res.leaves or v is None, p


# -- the table, the schema and the plan agree ---------------------------------------------


def _table_fields(nodes: tuple[Node, ...], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    out: set[tuple[str, ...]] = set()
    for n in nodes:
        if isinstance(n, Field):
            out.add((*prefix, n.name))
        elif isinstance(n, Choice):
            out |= {(*prefix, n.name), (*prefix, n.kind_name)}
        elif isinstance(n, Group):
            out |= _table_fields(n.nodes, (*prefix, n.name))
        elif isinstance(n, Items):
            if n.item is not None:
                out.add((*prefix, n.name))
            else:
                out |= _table_fields(n.nodes, (*prefix, n.name, "[]"))
    return out


def _schema_fields(node: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    c = checks()
    node = c._deref(node)
    if node.get("type") == "array":
        item = c._deref(node["items"])
        return _schema_fields(item, (*prefix, "[]")) if item.get("type") == "object" else {prefix}
    if node.get("type") == "object" and "properties" in node:
        out: set[tuple[str, ...]] = set()
        for k, v in node["properties"].items():
            out |= _schema_fields(v, (*prefix, k))
        return out
    return {prefix}


def test_schema_and_table_have_the_same_fields() -> None:
    schema = checks().schema
    fields = _schema_fields(schema) - {(PROFILE_KEY,), (UNMAPPED_KEY,)}
    assert fields == _table_fields(TABLE)


def test_every_table_path_exists_in_st96() -> None:
    # KeyError if a path of the table is not a member of the compiled V6_0 plan (e.g. after a mapping change)
    table = docgen.mapping_table()
    assert "`tmk:Trademark/com:RegistrationOfficeCode`" in table
    assert "`tmk:TrademarkApplication/@com:st96Version`" in table


def test_profile_schema_is_found_relative_to_the_package() -> None:
    d = profile_schema_dir()
    assert d is not None and (d / SCHEMA_FILE).is_file()
    assert d.parent.name in ("schemas", "_schemas")
    schema = json.loads((d / SCHEMA_FILE).read_text())
    assert schema["properties"]["profile"]["const"] == NAME


def test_profile_schema_rejects_bad_documents() -> None:
    assert validate({"profile": NAME, "applicationNumber": "1"}) == []
    assert validate({"profile": NAME})  # neither application nor registration number
    assert validate({"profile": NAME, "applicationNumber": "1", "goodsServices": [{"classNumber": "009"}]})
    assert validate({"profile": NAME, "applicationNumber": "1", "colour": "red"})  # closed objects
    # with unmapped values, completeness is not required (they may hold what the profile lacks)
    assert validate({"profile": NAME, UNMAPPED_KEY: {"/registrationNumber/0": "1"}}) == []


# -- the built-in example: no reference data needed ------------------------------------------


def test_example_simplifies_to_the_expected_fields(conv: Converter) -> None:
    doc = simplify(EXAMPLE, converter=conv).documents[0]
    assert validate(doc) == []
    assert doc[PROFILE_KEY] == NAME
    assert doc["applicationNumber"] == "99123456"
    assert doc["applicationDate"] == "2021-03-04-05:00"
    assert doc["mark"]["verbalElement"] == "QUILLPINE"
    assert doc["mark"]["standardCharacters"] is True
    assert doc["mark"]["imageInColour"] is False
    assert [g["classNumber"] for g in doc["goodsServices"]] == ["009", "042"]
    assert doc["applicants"][0]["name"] == "Bluefinch Analytics LLC"
    assert doc["applicants"][0]["nameKind"] == "organization"
    assert doc["applicants"][0]["addressLines"] == ["1200 Larkspur Avenue", "Floor 4"]
    assert doc["representatives"][0]["nameKind"] == "person"
    # not carried, but kept: the line category, and the payment outside the record
    assert (
        doc[UNMAPPED_KEY][
            "/applicantBag/applicant/0/contact/0/postalAddressBag/postalAddress/0"
            "/postalStructuredAddress/addressLineText/1/addressLineCategory"
        ]
        == "Floor"
    )
    assert doc[UNMAPPED_KEY]["/../applicationFormName"] == "TEAS Standard Application"


def test_example_round_trips_exactly(conv: Converter) -> None:
    full = _full(conv, EXAMPLE)
    result = simplify_data(full)
    check_partition(result)
    doc = result.documents[0]
    assert expand(doc) == full  # with unmapped: exactly the input
    assert simplify_data(expand(doc)).documents[0] == doc  # simplified → full → simplified
    assert check_carried(result, full) > 40
    profile_only = expand(doc, include_unmapped=False)
    assert simplify_data(profile_only).documents[0] == {k: v for k, v in doc.items() if k != UNMAPPED_KEY}


def test_example_expands_to_valid_xml(conv: Converter, validators: Any) -> None:
    require_shared(XSD_V6)
    doc = simplify(EXAMPLE, converter=conv).documents[0]
    for include in (True, False):
        root = parse_document(expand_to_xml(doc, include_unmapped=include, converter=conv), conv.options.limits)
        assert validators.check_xml(root, "V6_0", "TrademarkApplication") == []


# -- the real documents in ../shared ---------------------------------------------------------


def test_wipo_example(conv: Converter, validators: Any) -> None:
    full = _full(conv, require_shared(WIPO_TM))
    result = simplify_data(full)
    check_partition(result)
    (doc,) = result.documents
    assert validate(doc) == []
    assert doc["mark"]["verbalElement"] == "LANYI"
    assert doc["goodsServices"][0]["classNumber"] == "009"
    assert doc["registrationNumber"] == "5169753"
    assert [a["nameKind"] for a in doc["applicants"]] == ["organization", "organization", "entity"]
    assert doc["correspondent"] == {"name": "IVY XU", "nameKind": "person"}
    assert len(doc["events"]) == 17
    assert expand(doc) == full
    assert simplify_data(expand(doc)).documents[0] == doc
    assert check_carried(result, full) > 90
    for include in (True, False):
        root = parse_document(expand_to_xml(doc, include_unmapped=include, converter=conv), conv.options.limits)
        assert validators.check_xml(root, "V6_0", "TrademarkApplication") == []


@pytest.mark.parametrize("name", USPTO_FILES)
def test_uspto_records(conv: Converter, validators: Any, name: str) -> None:
    path = require_shared(USPTO / name)
    full = _full(conv, path)
    result = simplify_data(full)
    check_partition(result)
    assert result.document == "TrademarkTransaction"
    (rec,) = result.records
    doc = rec.document
    assert validate(doc) == []
    assert doc["office"] == "US"
    assert doc["applicationDate"]  # read from the legacy tmk:ApplicationDate
    assert "/tmk:applicationDate/value" in rec.result.claims
    assert all(g["classNumber"].isdigit() and len(g["classNumber"]) == 3 for g in doc["goodsServices"])
    assert simplify_data(expand(doc)).documents[0] == doc
    assert check_carried(result, full) > 50
    # with unmapped, the record comes back exactly, but for the legacy date moved to com:ApplicationDate
    source = copy.deepcopy(get(full, rec.pointer))
    legacy = source.pop("tmk:applicationDate")
    assert _record(expand(doc)) == {**source, "applicationDate": legacy["value"]}
    # the envelope of the transaction is outside every record: reported, counted, not kept
    assert {x.path for x in result.loss() if x.outside} == {
        "tmk:TrademarkTransaction/tmk:TrademarkTransactionBody/tmk:TransactionContentBag/com:TransactionCategory"
    }
    root = parse_document(expand_to_xml(doc, include_unmapped=False, converter=conv), conv.options.limits)
    assert validators.check_xml(root, "V6_0", "TrademarkApplication") == []


def test_records_inside_a_transaction_are_found_wherever_they_are(conv: Converter) -> None:
    full = _full(conv, require_shared(USPTO / USPTO_FILES[0]))
    body = full["trademarkTransaction"]["trademarkTransactionBody"]
    body.append(copy.deepcopy(body[0]))
    result = simplify_data(full)
    assert [r.pointer.split("/")[3] for r in result.records] == ["0", "1"]
    assert result.documents[0] == result.documents[1]


# -- what the profile cannot carry stays exact -------------------------------------------------


def _example_full(conv: Converter) -> dict[str, Any]:
    return _full(conv, EXAMPLE)


def test_markup_in_a_name_is_not_carried_but_kept(conv: Converter) -> None:
    full = _example_full(conv)
    org = _record(full)["applicantBag"]["applicant"][0]["contact"][0]["name"]["organizationName"][0]
    org["organizationStandardName"] = {"content": ["Blue", {"b": {"content": ["finch"]}}, " LLC"]}
    doc = simplify_data(full).documents[0]
    assert "name" not in doc["applicants"][0]
    assert any("/organizationStandardName/content/1/b" in p for p in doc[UNMAPPED_KEY])
    assert validate(doc) == []
    assert expand(doc) == full


def test_goods_grouping_the_profile_cannot_rebuild_stays_in_unmapped(conv: Converter) -> None:
    full = _example_full(conv)
    groups = _record(full)["goodsServicesBag"]["goodsServices"]
    # both classes in ONE goods/services group: the layout (one group per class) cannot rebuild it
    groups[0]["classDescriptionBag"]["classDescription"].append(
        groups.pop()["classDescriptionBag"]["classDescription"][0]
    )
    groups[0]["goodsServicesClassificationBag"]["goodsServicesClassification"].append(
        {"classificationKindCode": "Nice", "classNumber": "042"}
    )
    doc = simplify_data(full).documents[0]
    assert [g["classNumber"] for g in doc["goodsServices"]] == ["009"]
    assert "/goodsServicesBag/goodsServices/0/classDescriptionBag/classDescription/1/classNumber" in doc[UNMAPPED_KEY]
    assert expand(doc) == full


def test_missing_default_is_recorded_as_null(conv: Converter) -> None:
    full = _example_full(conv)
    del _record(full)["markDisclaimerBag"]["markDisclaimerText"][0]["sequenceNumber"]
    doc = simplify_data(full).documents[0]
    assert doc[UNMAPPED_KEY]["/markDisclaimerBag/markDisclaimerText/0/sequenceNumber"] is None
    assert expand(doc) == full
    # without unmapped, expansion writes the conventional number
    assert _record(expand(doc, include_unmapped=False))["markDisclaimerBag"]["markDisclaimerText"][0] == {
        "sequenceNumber": "1",
        "value": doc["mark"]["disclaimers"][0],
    }


def test_a_different_default_value_wins_over_the_rule(conv: Converter) -> None:
    full = _example_full(conv)
    _record(full)["applicationNumber"][0]["ipOfficeCode"] = "CA"
    doc = simplify_data(full).documents[0]
    assert doc[UNMAPPED_KEY]["/applicationNumber/0/ipOfficeCode"] == "CA"
    assert expand(doc) == full


def test_value_invalid_for_its_field_is_not_carried(conv: Converter) -> None:
    full = _example_full(conv)
    _record(full)["applicationDate"] = "04/03/2021"  # not an ST.96 date: the profile field would be invalid
    doc = simplify_data(full).documents[0]
    assert "applicationDate" not in doc
    assert doc[UNMAPPED_KEY]["/applicationDate"] == "04/03/2021"
    assert validate(doc) == []
    assert expand(doc) == full


def test_expand_rejects_conflicts_and_stale_unmapped(conv: Converter) -> None:
    doc = simplify(EXAMPLE, converter=conv).documents[0]
    bad = copy.deepcopy(doc)
    bad[UNMAPPED_KEY]["/registrationOfficeCode"] = "CA"  # also given by "office"
    with pytest.raises(ProfileError) as exc:
        expand(bad)
    assert exc.value.code == "profile-unmapped-conflict"
    stale = copy.deepcopy(doc)
    del stale["applicants"]  # its unmapped details now point into a missing array position
    stale[UNMAPPED_KEY]["/applicantBag/applicant/1/sequenceNumber"] = "2"
    with pytest.raises(ProfileError) as exc:
        expand(stale)
    assert exc.value.code == "profile-conflict"
    with pytest.raises(ProfileError) as exc:
        expand({"profile": NAME, "applicants": [{"name": "x"}]})
    assert exc.value.code == "profile-schema-invalid"


def test_pointer_build_is_the_inverse_of_flatten() -> None:
    value = {"a": [{"b": 1}, {"c": []}], "x~/y": {}, "t": True, "n": [["p", "q"]]}
    assert build(flatten(value).items()) == value
    with pytest.raises(PointerConflict):
        build([("/a/1", "x")])  # gap
    with pytest.raises(PointerConflict):
        build([("/a", "x"), ("/a/b", "y")])  # inside a leaf
    with pytest.raises(PointerConflict):
        build([("/a/0", "x"), ("/a/b", "y")])  # array and object at once


# -- report ----------------------------------------------------------------------------------


def test_report_over_files_folders_and_zips(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.xml").write_bytes(EXAMPLE.read_bytes())
    (folder / "broken.xml").write_bytes(b"<tmk:TrademarkApplication")
    with zipfile.ZipFile(folder / "batch.zip", "w") as zf:
        zf.writestr("x/b.xml", EXAMPLE.read_bytes())
        zf.writestr("readme.txt", "not xml")
    report = build_report([str(folder)])
    assert [f.source[len(str(folder)) + 1 :] for f in report.files] == ["a.xml", "batch.zip!x/b.xml", "broken.xml"]
    assert report.files[2].error is not None and report.files[2].error.code == "malformed-xml"
    good = [f for f in report.files if f.error is None]
    assert good[0].occurred == good[1].occurred > 0
    assert report.occurred == sum(f.occurred for f in good)
    assert report.carried == sum(f.carried for f in good) <= report.occurred
    d = report.to_dict(top=3)
    assert d["overall"]["records"] == 2 and d["overall"]["failed"] == 1
    assert len(d["gaps"]) == 3
    by_path = {p["path"]: p for p in d["paths"]}
    verbal = by_path[
        "tmk:Trademark/tmk:MarkRepresentation/tmk:MarkReproduction/tmk:WordMarkSpecification/tmk:MarkVerbalElementText"
    ]
    assert verbal == {"path": verbal["path"], "values": 2, "carried": 2, "fields": {"mark.verbalElement": 2}}
    payment = by_path["tmk:TrademarkApplication/com:PaymentBag/com:Payment/com:PaymentDate"]
    assert payment["carried"] == 0
    assert "overall: 3 file(s) (1 failed" in report.format_text()


def test_report_over_the_shared_samples() -> None:
    report = build_report([str(require_shared(USPTO)), str(require_shared(WIPO_TM))])
    d = report.to_dict(top=5)
    assert d["overall"]["records"] == 5
    assert d["overall"]["failed"] == 1  # the 1.0-draft namespace document
    assert 0.3 < d["overall"]["coverage"] < 0.9
    gaps = [g["path"] for g in d["gaps"]]
    assert "tmk:Trademark/tmk:MarkEventBag/tmk:MarkEvent/tmk:NationalMarkEvent/tmk:MarkEventEntryNumber" in gaps


# -- CLI ---------------------------------------------------------------------------------------


def test_cli_simplify_expand_report_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    simple = tmp_path / "simple.json"
    assert main(["profile", "simplify", str(EXAMPLE), "-o", str(simple), "--pretty"]) == 0
    err = capsys.readouterr().err
    assert "kept in 'unmapped'" in err
    doc = json.loads(simple.read_text())
    assert doc["profile"] == NAME
    out_xml = tmp_path / "out.xml"
    assert main(["profile", "expand", str(simple), "-o", str(out_xml)]) == 0
    assert out_xml.read_bytes().startswith(b"<?xml")
    assert main(["profile", "simplify", str(out_xml), "--array", "-q"]) == 0
    assert json.loads(capsys.readouterr().out) == [doc]
    assert main(["profile", "expand", str(simple), "--json", "--drop-unmapped"]) == 0
    full = json.loads(capsys.readouterr().out)
    assert "paymentBag" not in full["trademarkApplication"]
    doc["mark"]["imageFormat"] = "BMP"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    assert main(["profile", "expand", str(bad)]) == 1
    assert "profile-schema-invalid" in capsys.readouterr().err
    assert main(["profile", "report", str(EXAMPLE), "--json", "--top", "2"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["overall"]["records"] == 1 and len(rep["gaps"]) == 2
    assert main(["profile", "report", str(EXAMPLE)]) == 0
    assert "largest gaps" in capsys.readouterr().out
    assert main(["profile", "table"]) == 0
    assert "| `mark.verbalElement` |" in capsys.readouterr().out
    assert main(["profile"]) == 2


def test_cli_simplify_full_json_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    full = tmp_path / "full.json"
    assert main(["convert", str(EXAMPLE), "-o", str(full), "-q"]) == 0
    assert main(["profile", "simplify", str(full), "-q"]) == 0
    assert json.loads(capsys.readouterr().out)["applicationNumber"] == "99123456"


def test_cli_expand_validates_against_the_xsd(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_shared(XSD_V6)
    simple = tmp_path / "simple.json"
    assert main(["profile", "simplify", str(EXAMPLE), "-o", str(simple), "-q"]) == 0
    assert main(["profile", "expand", str(simple), "--validate", "-o", str(tmp_path / "x.xml")]) == 0
    assert "valid against the ST.96 V6_0 XSD" in capsys.readouterr().err


# -- docs/profile.md -------------------------------------------------------------------------


def test_docs_generated_blocks_are_current() -> None:
    path = ROOT / "docs" / "profile.md"
    text = path.read_text(encoding="utf-8")
    assert docgen.render(text) == text, "run: python -m xml2json.profiles.docgen docs/profile.md"


def test_docs_render_replaces_only_generated_blocks() -> None:
    text = "intro\n<!-- BEGIN GENERATED: example -->\nold\n<!-- END GENERATED: example -->\noutro\n"
    out = docgen.render(text, {"example": "new\n"})
    assert out == "intro\n<!-- BEGIN GENERATED: example -->\nnew\n<!-- END GENERATED: example -->\noutro\n"
    with pytest.raises(ValueError):
        docgen.render("no blocks", {"example": "x"})


def test_defaults_of_the_table_are_written_under_mapped_values_only() -> None:
    doc = {"profile": NAME, "registrationNumber": "1"}
    rec = _record(expand(doc))
    assert rec == {"registrationNumber": ["1"]}  # no application number: no ipOfficeCode default
    assert isinstance(TABLE[2], Default)


def test_profile_patterns_refuse_a_final_newline() -> None:
    """Python's ``$`` matches before a final newline; the profile's patterns must not (ECMA-262)."""
    from jsonschema import Draft202012Validator

    schema = json.loads((profile_schema_dir() / "trademark-application-simple-1.0.json").read_text())
    defs = schema["$defs"]
    for name, good in (("countryCode", "US"), ("languageCode", "en"), ("st3Code", "EM")):
        v = Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{name}"})
        assert v.is_valid(good) and not v.is_valid(good + "\n"), name

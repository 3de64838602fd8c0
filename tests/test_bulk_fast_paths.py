"""The shortcuts of the bulk product path (docs/performance.md, "Where the time goes") give the
results of the plain forms they replace: the attribute-limit pre-check of ``check_tree``,
``Issue.to_dict``, ``dumps_json(newline=True)``, and the warnings of content the schema does not
know, which must be the same whether a record is converted in its document or streamed."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree
from test_bulk import HEAD, TAIL, wipo_record

from xml2json import Converter, Limits, Options
from xml2json.bulk import iter_records
from xml2json.errors import Issue, UnsafeXMLError
from xml2json.io import dumps_json
from xml2json.safe import check_tree


def _tree(attrs_per_element: list[int]) -> etree._Element:
    root = etree.Element("r")
    for i, n in enumerate(attrs_per_element):
        etree.SubElement(root, "e", {f"a{k}": str(i) for k in range(n)})
    return root


@pytest.mark.parametrize(
    ("per_element", "limit", "rejected"),
    [
        ([3, 3, 3, 3], 3, False),  # 12 attributes in all, none with more than 3: the pre-check passes it on
        ([3, 3, 4, 3], 3, True),  # one over, among many
        ([4], 3, True),  # one over, alone
        ([3], 3, False),  # at the limit
        ([2] * 50, 3, False),
        ([1, 0, 1], 1, False),
        ([0, 2, 0], 1, True),
    ],
)
def test_attribute_limit_per_element_not_per_tree(per_element: list[int], limit: int, rejected: bool) -> None:
    root = _tree(per_element)
    limits = Limits(max_attributes=limit)
    if rejected:
        with pytest.raises(UnsafeXMLError) as err:
            check_tree(root, limits)
        assert err.value.code == "limit-attributes"
    else:
        check_tree(root, limits)


def _reference_to_dict(issue: Issue) -> dict[str, object]:
    return {k: v for k, v in dataclasses.asdict(issue).items() if v is not None}


def test_issue_to_dict_is_asdict_without_nones() -> None:
    values = {
        "xml_path": (None, "/tmk:Trademark/x:Ext", ""),
        "line": (None, 0, 7),
        "json_pointer": (None, "", "/a/0"),
        "column": (None, 3),
    }
    for combo in itertools.product(*values.values()):
        issue = Issue("unknown-element", "a message", **dict(zip(values, combo, strict=True)))  # type: ignore[arg-type]
        got = issue.to_dict()
        assert got == _reference_to_dict(issue)
        assert list(got) == list(_reference_to_dict(issue))  # field order too: it is the JSON member order


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [True, None, "é"], "c": Decimal("1.50")},
        {"big": 1 << 70, "neg": -(1 << 65), "d": Decimal("-0.0")},  # past orjson's 64 bits: the fallback
        [],
        "x",
    ],
)
def test_dumps_json_newline_is_the_same_line(value: object) -> None:
    assert dumps_json(value, newline=True) == dumps_json(value) + b"\n"


# -- content the schema does not know, several times in one record ----------------------------

EXT = b'xmlns:x="urn:example:extension"'


def _record_with_unknowns() -> bytes:
    rec = wipo_record()
    start = rec.index(b">") + 1
    assert b"<tmk:ApplicantBag>" in rec and b"</tmk:Trademark>" in rec
    first = b"<x:Ext " + EXT + b"><x:A>1</x:A><x:A>2</x:A><x:B q='1'>t</x:B></x:Ext>"
    again = b"<x:Ext " + EXT + b"><x:A>3</x:A></x:Ext>"  # same path as the first: no second warning
    inner = b"<x:Deep " + EXT + b"><x:A>4</x:A>mixed</x:Deep>"  # under a known element further down
    rec = rec[:start] + first + rec[start:]
    rec = rec.replace(b"<tmk:ApplicantBag>", b"<tmk:ApplicantBag>" + inner, 1)
    rec = rec.replace(b"</tmk:Trademark>", again + b"</tmk:Trademark>")
    # an attribute the schema does not know, on the record element itself
    return rec.replace(b"<tmk:Trademark ", b'<tmk:Trademark x:flag="1" ' + EXT + b" ", 1)


def _key(w: Issue) -> tuple[object, ...]:
    return (w.code, w.message, w.xml_path, w.line, w.json_pointer, w.column)


def test_unknown_content_warnings_same_in_document_and_record_mode(tmp_path: Path) -> None:
    doc = HEAD + _record_with_unknowns() + b"\n" + TAIL
    src = tmp_path / "bag.xml"
    src.write_bytes(doc)
    whole = Converter().xml_to_json(doc)
    (rec,) = iter_records(src, rest=False)
    assert rec.ok and rec.data is not None
    (body,) = whole.data["trademarkTransaction"]["trademarkTransactionBody"]
    bag = body["transactionContentBag"]["transactionData"]["trademarkBag"]
    assert bag["trademark"] == [rec.data["trademark"]]
    assert [_key(w) for w in rec.warnings] == [_key(w) for w in whole.warnings]

    codes = [(w.code, w.xml_path) for w in rec.warnings]
    base = "/tmk:TrademarkTransaction/tmk:TrademarkTransactionBody/tmk:TransactionContentBag"
    tm = base + "/tmk:TransactionData/tmk:TrademarkBag/tmk:Trademark"
    # once per code and position-free path, in document order; nested unknowns are not warned about
    assert codes == [
        ("unknown-attribute", tm),
        ("unknown-element", tm + "/x:Ext"),
        ("unknown-element", tm + "/tmk:ApplicantBag/x:Deep"),
    ]
    lines = doc.decode().splitlines()
    for w in rec.warnings:
        assert w.line is not None
        tag = w.xml_path.rsplit("/", 1)[-1] if w.xml_path else ""
        assert "<" + tag in lines[w.line - 1]

    data = rec.data["trademark"]
    assert data["$attributes"] == {"{urn:example:extension}flag": "1"}
    ext = data["x:ext"]
    assert [e["$qname"] for e in ext] == ["{urn:example:extension}Ext"] * 2  # both occurrences, in order
    assert ext[0]["x:a"] == [{"$qname": "{urn:example:extension}A", "value": v} for v in ("1", "2")]
    assert ext[0]["x:b"] == {"$qname": "{urn:example:extension}B", "$attributes": {"q": "1"}, "value": "t"}
    assert ext[1]["x:a"] == {"$qname": "{urn:example:extension}A", "value": "3"}
    deep = data["applicantBag"]["x:deep"]
    assert deep["content"] == [{"x:a": {"$qname": "{urn:example:extension}A", "value": "4"}}, "mixed"]


def test_unknown_content_strict_rejects_the_record_with_a_positioned_path(tmp_path: Path) -> None:
    src = tmp_path / "bag.xml"
    src.write_bytes(HEAD + _record_with_unknowns() + b"\n" + TAIL)
    (rec,) = iter_records(src, options=Options(strict=True), rest=False)
    assert rec.data is None
    (err,) = rec.errors
    assert err.code == "unknown-attribute" and err.xml_path is not None
    assert err.xml_path.endswith("/tmk:TrademarkBag/tmk:Trademark")


# -- the garbage collector: the command freezes its loaded plan, a library caller's process never --


def test_plans_are_frozen_only_inside_the_command(tmp_path: Path) -> None:
    import gc

    from conftest import EXAMPLE

    from xml2json.bulk import run_bulk, runtime
    from xml2json.cli import main

    assert gc.get_freeze_count() == 0
    with runtime.frozen_plans():
        runtime.converter_for(runtime.RunConfig(out_dir=str(tmp_path / "fresh")))  # not cached yet: loads, freezes
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0 and not runtime.FREEZE_AFTER_LOAD

    run_bulk([EXAMPLE], tmp_path / "lib", records=True, jobs=1)  # a library caller
    assert gc.get_freeze_count() == 0
    assert main(["bulk", str(EXAMPLE), "-o", str(tmp_path / "cli"), "--records", "--jobs", "1", "-q"]) == 0
    assert gc.get_freeze_count() == 0 and not runtime.FREEZE_AFTER_LOAD
    lines = [(tmp_path / d / "TrademarkApplication_V6_0.jsonl").read_bytes() for d in ("lib", "cli")]
    assert lines[0] == lines[1]

"""Unknown elements keep their place, and the round-trip comparer is exact (docs/fidelity.md).

Fixtures are built here from the built-in example (our own file) by inserting elements the
schema does not know; the USPTO TSDR records are read in place from ``../shared``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, EXAMPLE, USPTO, require_shared
from lxml import etree

from xml2json import Converter, roundtrip
from xml2json.cli import main
from xml2json.errors import ConversionError
from xml2json.policy import AFTER_KEY
from xml2json.roundtrip import (
    CHOICE_INTERLEAVING,
    KNOWN_OUT_OF_ORDER,
    STRAY_TEXT_MOVED,
    Relaxation,
    RoundTripReport,
    compare_xml,
)

TMK = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
EXT = "urn:example:ext"
CONV = Converter()
PLAN = CONV.registry.plan("V6_0")


def _example() -> Any:
    return etree.fromstring(EXAMPLE.read_bytes())


def _unknown(name: str, text: str = "x") -> Any:
    el = etree.Element(f"{{{EXT}}}{name}", nsmap={"ext": EXT})
    el.text = text
    return el


def _back(root: Any) -> tuple[dict[str, Any], Any]:
    """XML → JSON → XML; the JSON and the XML that came back."""
    r = CONV.xml_to_json(etree.tostring(root))
    return r.data, etree.fromstring(CONV.json_to_xml(r.data).xml)


def _neighbours(el: Any) -> tuple[str | None, str | None]:
    """The nearest known siblings before and after *el*, as (tag, position among that tag)."""
    parent = el.getparent()
    kids = [c for c in parent if isinstance(c.tag, str)]
    i = kids.index(el)

    def name(c: Any) -> str:
        return f"{c.tag}[{[k for k in kids if k.tag == c.tag].index(c)}]"

    before = next((name(c) for c in reversed(kids[:i]) if not c.tag.startswith(f"{{{EXT}}}")), None)
    after = next((name(c) for c in kids[i + 1 :] if not c.tag.startswith(f"{{{EXT}}}")), None)
    return before, after


def _all_after(v: Any) -> list[str]:
    if isinstance(v, dict):
        return ([v[AFTER_KEY]] if AFTER_KEY in v else []) + [a for x in v.values() for a in _all_after(x)]
    if isinstance(v, list):
        return [a for x in v for a in _all_after(x)]
    return []


def _trademark(root: Any) -> Any:
    return root.find(f"{{{TMK}}}TrademarkBag/{{{TMK}}}Trademark")


def _goods_bag(root: Any) -> Any:
    return _trademark(root).find(f"{{{TMK}}}GoodsServicesBag")


# -- the writer puts unknown elements back in place ----------------------------------------


def _first(root: Any) -> list[Any]:
    tm = _trademark(root)
    tm.insert(0, u := _unknown("First"))
    return [u]


def _middle(root: Any) -> list[Any]:
    tm = _trademark(root)
    tm.find(f"{{{COM}}}ApplicationDate").addnext(u := _unknown("Middle"))
    return [u]


def _end(root: Any) -> list[Any]:
    tm = _trademark(root)
    tm.append(u := _unknown("End"))
    return [u]


def _between_repeated(root: Any) -> list[Any]:
    bag = _goods_bag(root)
    first = bag.find(f"{{{TMK}}}GoodsServices")
    first.addnext(u := _unknown("Between"))
    return [u]


def _adjacent_run(root: Any) -> list[Any]:
    tm = _trademark(root)
    anchor = tm.find(f"{{{COM}}}ApplicationDate")
    anchor.addnext(u1 := _unknown("RunA"))
    u1.addnext(u2 := _unknown("RunB"))
    return [u1, u2]


def _repeated_apart(root: Any) -> list[Any]:
    bag = _goods_bag(root)
    g1, g2 = bag.findall(f"{{{TMK}}}GoodsServices")
    bag.insert(0, u1 := _unknown("Note", "before"))
    g1.addnext(u2 := _unknown("Note", "between"))
    g2.addnext(u3 := _unknown("Note", "after"))
    return [u1, u2, u3]


PLACES = {
    "first": (_first, False),
    "middle": (_middle, False),
    "end": (_end, False),
    "between-repeated": (_between_repeated, True),
    "adjacent-run": (_adjacent_run, False),
    "repeated-apart": (_repeated_apart, True),
}


@pytest.mark.parametrize("place", list(PLACES))
def test_unknown_element_comes_back_in_place(place: str) -> None:
    insert, needs_hint = PLACES[place]
    root = _example()
    inserted = insert(root)
    data, back = _back(root)
    comparison = compare_xml(PLAN, root, back)
    assert comparison.exact, comparison
    came_back = [e for e in back.iter() if isinstance(e.tag, str) and e.tag.startswith(f"{{{EXT}}}")]
    assert [(e.tag, e.text) for e in came_back] == [(e.tag, e.text) for e in inserted]
    assert [_neighbours(e) for e in came_back] == [_neighbours(e) for e in inserted]
    # the member order says where it goes; "$after" only where it cannot
    assert bool(_all_after(data)) is needs_hint


def test_after_is_written_only_where_member_order_cannot_say_it() -> None:
    root = _example()
    _repeated_apart(root)
    data, _ = _back(root)
    bag = data["trademarkApplication"]["trademarkBag"]["trademark"][0]["goodsServicesBag"]
    notes = bag["ext:note"]
    assert list(bag) == ["ext:note", "goodsServices"]  # first occurrence first
    assert [n.get(AFTER_KEY) for n in notes] == [None, "goodsServices/0", "goodsServices/1"]


def test_unknown_element_regrouped_by_the_old_writer_is_a_difference() -> None:
    root = _example()
    _between_repeated(root)
    _, back = _back(root)
    moved = copy.deepcopy(back)
    bag = _goods_bag(moved)
    u = bag.find(f"{{{EXT}}}Between")
    bag.append(u)  # where a writer that ignores the position would put it
    comparison = compare_xml(PLAN, root, moved)
    assert comparison.difference is not None and "GoodsServicesBag" in comparison.difference
    assert "ext:Between" in comparison.difference


def test_writer_keeps_schema_order_from_members_in_any_order() -> None:
    root = _example()
    r = CONV.xml_to_json(etree.tostring(root))
    tm = r.data["trademarkApplication"]["trademarkBag"]["trademark"][0]
    shuffled = dict(reversed(list(tm.items())))
    r.data["trademarkApplication"]["trademarkBag"]["trademark"][0] = shuffled
    back = etree.fromstring(CONV.json_to_xml(r.data).xml)
    assert compare_xml(PLAN, root, back).exact


def test_after_naming_no_element_is_an_error() -> None:
    root = _example()
    _middle(root)
    data = CONV.xml_to_json(etree.tostring(root)).data
    tm = data["trademarkApplication"]["trademarkBag"]["trademark"][0]
    tm["ext:middle"][AFTER_KEY] = "applicationNumber/7"
    with pytest.raises(ConversionError) as exc:
        CONV.json_to_xml(data)
    issue = exc.value.issues[0]
    assert issue.code == "json-value" and "applicationNumber/7" in issue.message
    assert issue.json_pointer == "/trademarkApplication/trademarkBag/trademark/0/ext:middle/$after"


def test_unknown_children_repeating_apart_keep_their_order() -> None:
    root = _example()
    outer = _unknown("Outer", "")
    outer.text = None
    for name in ("A", "B", "A"):
        outer.append(_unknown(name, name.lower()))
    _trademark(root).append(outer)
    data, back = _back(root)
    assert compare_xml(PLAN, root, back).exact
    gen = data["trademarkApplication"]["trademarkBag"]["trademark"][0]["ext:outer"]
    assert [list(item) for item in gen["content"]] == [["ext:a"], ["ext:b"], ["ext:a"]]


# -- the comparer -----------------------------------------------------------------------------


def test_comparer_sees_a_moved_element() -> None:
    root = _example()
    moved = copy.deepcopy(root)
    tm = _trademark(moved)
    tm.find(f"{{{COM}}}FilingPlace").addprevious(tm.find(f"{{{COM}}}ApplicantFileReference"))
    comparison = compare_xml(PLAN, root, moved)
    assert comparison.difference is not None
    assert comparison.difference.startswith("/tmk:TrademarkApplication/tmk:TrademarkBag[1]/tmk:Trademark[1]/")


def test_comparer_sees_a_swapped_pair_inside_a_per_name_array() -> None:
    root = _example()
    swapped = copy.deepcopy(root)
    bag = _goods_bag(swapped)
    g1, g2 = bag.findall(f"{{{TMK}}}GoodsServices")
    g1.addprevious(g2)
    comparison = compare_xml(PLAN, root, swapped)
    assert comparison.difference is not None and "GoodsServices[1]" in comparison.difference


def test_choice_interleaving_is_reported_with_its_path() -> None:
    xml = (CASES / "repeating-choice" / "input.xml").read_bytes()
    report = roundtrip(xml, check_xsd=False, check_json=False)
    assert report.xml_equal is True and report.xml_exact is False
    name = (
        "/tmk:TrademarkApplication/tmk:TrademarkBag/tmk:Trademark/tmk:ApplicantBag/tmk:Applicant/com:Contact/com:Name"
    )
    assert Relaxation(CHOICE_INTERLEAVING, name, 1) in report.relaxations
    assert {r.kind for r in report.relaxations} == {CHOICE_INTERLEAVING}
    assert report.xml_equal_text().startswith("XML equal: up to choice interleaving at /")
    assert report.verdict(lossless_only=True) == "LOSSLESS"
    assert report.verdict(lossless_only=True, exact=True) == "FAIL"


def test_choice_interleaving_only_between_branches_of_one_choice() -> None:
    # com:Name's branches may interleave; swapping two OrganizationName items may not
    xml = (CASES / "repeating-choice" / "input.xml").read_bytes()
    root = etree.fromstring(xml)
    back = etree.fromstring(CONV.json_to_xml(CONV.xml_to_json(xml).data).xml)
    name = back.find(f".//{{{COM}}}Contact/{{{COM}}}Name")
    orgs = name.findall(f"{{{COM}}}OrganizationName")
    assert len(orgs) == 2
    orgs[0].addprevious(orgs[1])
    comparison = compare_xml(PLAN, root, back)
    assert comparison.difference is not None and "com:Name" in comparison.difference


def test_known_elements_out_of_schema_order_are_a_named_relaxation() -> None:
    root = _example()
    tm = _trademark(root)
    tm.find(f"{{{COM}}}RegistrationOfficeCode").addprevious(tm.find(f"{{{COM}}}FilingPlace"))
    tm.find(f"{{{COM}}}FilingPlace").addnext(u := _unknown("AfterFilingPlace"))
    _, back = _back(root)
    comparison = compare_xml(PLAN, root, back)
    assert comparison.difference is None
    assert comparison.relaxations == [
        Relaxation(KNOWN_OUT_OF_ORDER, "/tmk:TrademarkApplication/tmk:TrademarkBag/tmk:Trademark", 1)
    ]
    # the writer writes schema order; the unknown element follows the element it followed
    back_tm = _trademark(back)
    kids = [c.tag for c in back_tm]
    assert kids.index(u.tag) == kids.index(f"{{{COM}}}FilingPlace") + 1
    assert kids.index(f"{{{COM}}}RegistrationOfficeCode") < kids.index(f"{{{COM}}}FilingPlace")


def test_stray_text_that_moves_is_a_named_relaxation() -> None:
    root = _example()
    _trademark(root).find(f"{{{COM}}}FilingPlace").tail = "stray"
    _, back = _back(root)
    comparison = compare_xml(PLAN, root, back)
    assert comparison.difference is None
    assert comparison.relaxations == [
        Relaxation(STRAY_TEXT_MOVED, "/tmk:TrademarkApplication/tmk:TrademarkBag/tmk:Trademark")
    ]
    changed = copy.deepcopy(back)
    _trademark(changed).text = "other"
    assert "text 'stray' became 'other'" in (compare_xml(PLAN, root, changed).difference or "")


def test_report_verdicts_with_relaxations() -> None:
    r = RoundTripReport(
        "x", "D", "V6_0", True, True, None, True, relaxations=[Relaxation(CHOICE_INTERLEAVING, "/a/b", 2)]
    )
    assert r.verdict() == "OK" and r.verdict(exact=True) == "FAIL" and r.xml_exact is False
    assert r.xml_equal_text() == "XML equal: up to choice interleaving at /a/b (2 places)"
    d = r.to_dict(exact=True)
    assert d["verdict"] == "FAIL" and d["xmlExact"] is False
    assert d["relaxations"] == [{"kind": CHOICE_INTERLEAVING, "xmlPath": "/a/b", "count": 2}]
    exact = RoundTripReport("x", "D", "V6_0", True, True, None, True)
    assert exact.xml_equal_text() == "XML equal: True" and exact.verdict(exact=True) == "OK"


# -- the CLI ----------------------------------------------------------------------------------


def test_cli_exact_exit_codes_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    case = str(CASES / "repeating-choice" / "input.xml")
    assert main(["roundtrip", "--no-xsd", case]) == 0
    out = capsys.readouterr().out
    assert ": OK  [" in out and "XML → JSON → XML: equal up to choice interleaving at /" in out
    assert main(["roundtrip", "--no-xsd", "--exact", case]) == 1
    out = capsys.readouterr().out
    assert ": FAIL  [" in out and "(--exact)" in out
    assert main(["roundtrip", "--no-xsd", "--exact", str(EXAMPLE)]) == 0
    capsys.readouterr()
    assert main(["roundtrip", "--no-xsd", "--exact", "--json", case, str(EXAMPLE)]) == 1
    rep = json.loads(capsys.readouterr().out)
    assert rep["summary"]["exact"] is True and rep["summary"]["verdicts"] == {"FAIL": 1, "OK": 1}
    relaxed, exact = rep["files"]
    assert relaxed["xmlEqual"] is True and relaxed["xmlExact"] is False
    assert {r["kind"] for r in relaxed["relaxations"]} == {CHOICE_INTERLEAVING}
    assert all(
        r["xmlPath"].startswith("/tmk:TrademarkApplication/") and r["count"] >= 1 for r in relaxed["relaxations"]
    )
    assert exact["xmlExact"] is True and exact["relaxations"] == []


# -- the USPTO TSDR records -----------------------------------------------------------------


def _tsdr() -> list[Path]:
    return sorted(p for p in require_shared(USPTO).glob("*-ST96.xml") if not p.name.endswith("-old.xml"))


def _unknown_neighbours(root: Any, unknown_tags: set[str]) -> dict[str, tuple[str | None, str | None]]:
    """Each unknown element (by positional path) → its nearest known siblings (same form)."""

    def pos(c: Any) -> str:
        p = c.getparent()
        return f"{c.tag}[{[k for k in p if k.tag == c.tag].index(c)}]" if p is not None else c.tag

    def path(c: Any) -> str:
        return "/".join(pos(a) for a in reversed([c, *c.iterancestors()]))

    out = {}
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag in unknown_tags and el.getparent() is not None:
            kids = [c for c in el.getparent() if isinstance(c.tag, str)]
            i = kids.index(el)
            before = next((pos(c) for c in reversed(kids[:i]) if c.tag not in unknown_tags), None)
            after = next((pos(c) for c in kids[i + 1 :] if c.tag not in unknown_tags), None)
            out[path(el)] = (before, after)
    return out


@pytest.mark.parametrize("record", ["rn2178784", "rn2713476", "sn76044902", "sn77478018"])
def test_tsdr_unknown_elements_come_back_between_the_same_known_siblings(record: str) -> None:
    (path,) = [p for p in _tsdr() if p.name == f"{record}-ST96.xml"]
    data = path.read_bytes()
    r = CONV.xml_to_json(data)
    unknown = {w.message.split()[1] for w in r.warnings if w.code == "unknown-element"}
    assert unknown  # every record carries elements V6_0 does not know, each named by a warning
    root = etree.fromstring(data)
    back = etree.fromstring(CONV.json_to_xml(r.data).xml)
    before, after = _unknown_neighbours(root, unknown), _unknown_neighbours(back, unknown)
    assert before and after == before
    comparison = compare_xml(PLAN, root, back)
    assert comparison.difference is None
    # what is forgiven is named: the records' own known elements out of V6_0 order, choices
    assert {x.kind for x in comparison.relaxations} <= {KNOWN_OUT_OF_ORDER, CHOICE_INTERLEAVING}


# -- unknown elements among interleaved branches of a repeating choice ----------------------
# com:Name is (PersonName | OrganizationName | EntityName)+: per-branch arrays give the branches
# back grouped (rule 13). An unknown element travels with the element right before it (a leading
# one stays first): it comes back right after the same known element it followed.


def _name_with_unknown(at: int) -> tuple[Any, Any]:
    """The repeating-choice case with ext:U inserted as child *at* of its com:Name
    (OrganizationName, EntityName, OrganizationName, EntityName)."""
    root = etree.fromstring((CASES / "repeating-choice" / "input.xml").read_bytes())
    name = root.find(f".//{{{COM}}}Contact/{{{COM}}}Name")
    name.insert(at, _unknown("U"))
    return root, name


def _local(el: Any) -> list[str]:
    return [etree.QName(c).localname for c in el if isinstance(c.tag, str)]


# input position of ext:U -> the children of com:Name the writer gives back
INTERLEAVED = {
    "first": (0, ["U", "OrganizationName", "OrganizationName", "EntityName", "EntityName"]),
    "after-first-branch": (1, ["OrganizationName", "U", "OrganizationName", "EntityName", "EntityName"]),
    "between-branches": (2, ["OrganizationName", "OrganizationName", "EntityName", "U", "EntityName"]),
    "after-second-organisation": (3, ["OrganizationName", "OrganizationName", "U", "EntityName", "EntityName"]),
    "last": (4, ["OrganizationName", "OrganizationName", "EntityName", "EntityName", "U"]),
}


@pytest.mark.parametrize("place", list(INTERLEAVED))
def test_unknown_among_interleaved_branches_travels_with_the_element_before_it(place: str) -> None:
    at, expected = INTERLEAVED[place]
    root, name = _name_with_unknown(at)
    before = _neighbours(name.find(f"{{{EXT}}}U"))[0]
    data, back = _back(root)
    name_back = back.find(f".//{{{COM}}}Contact/{{{COM}}}Name")
    assert _local(name_back) == expected
    assert _neighbours(name_back.find(f"{{{EXT}}}U"))[0] == before  # right after the same element
    comparison = compare_xml(PLAN, root, back)
    assert comparison.difference is None, comparison.difference
    path = (
        "/tmk:TrademarkApplication/tmk:TrademarkBag/tmk:Trademark/tmk:ApplicantBag/tmk:Applicant/com:Contact/com:Name"
    )
    assert Relaxation(CHOICE_INTERLEAVING, path, 1) in comparison.relaxations
    assert KNOWN_OUT_OF_ORDER not in {r.kind for r in comparison.relaxations}
    # JSON -> XML -> JSON gives back the same JSON ($after included)
    again = CONV.xml_to_json(etree.tostring(back)).data
    assert again == data
    assert _all_after(again) == _all_after(data)


def test_unknown_moved_away_from_its_element_among_interleaved_branches_is_a_difference() -> None:
    root, _ = _name_with_unknown(2)  # after the first EntityName
    _, back = _back(root)
    name_back = back.find(f".//{{{COM}}}Contact/{{{COM}}}Name")
    u = name_back.find(f"{{{EXT}}}U")
    # the branches grouped as the writer groups them, but ext:U after the second
    # OrganizationName instead of the first EntityName: still a valid interleaving of the
    # known elements, the unknown element's place is not
    name_back.findall(f"{{{COM}}}OrganizationName")[1].addnext(u)
    comparison = compare_xml(PLAN, root, back)
    assert comparison.difference is not None and "com:Name" in comparison.difference


def test_unknown_before_interleaved_branches_moved_last_is_a_difference() -> None:
    root, _ = _name_with_unknown(0)
    _, back = _back(root)
    name_back = back.find(f".//{{{COM}}}Contact/{{{COM}}}Name")
    name_back.append(name_back.find(f"{{{EXT}}}U"))
    comparison = compare_xml(PLAN, root, back)
    assert comparison.difference is not None and "com:Name" in comparison.difference

"""Unknown elements in types with an ordered ``content`` array (docs/mapping.md, "Unknown
elements keep their place"): none is lost, each comes back exactly in its place.

Wholly ordered types (every child a ``content`` item) keep every unknown element as a
``content`` item; partly ordered types (one group ordered, the rest plain members) keep one
between the first and the last item of the group as a ``content`` item and every other one as a
member. The fixtures are small elements written here and converted element by element.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from lxml import etree

from xml2json import Converter
from xml2json.convert.json_to_xml import _PathError
from xml2json.errors import Issue
from xml2json.policy import AFTER_KEY, CONTENT_KEY, QNAME_KEY
from xml2json.roundtrip import KNOWN_OUT_OF_ORDER, compare_xml

COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
PAT = "http://www.wipo.int/standards/XMLSchema/ST96/Patent"
MATH = "http://www.w3.org/1998/Math/MathML3"
EXT = "urn:example:ext"
NS = f'xmlns:com="{COM}" xmlns:pat="{PAT}" xmlns:m="{MATH}" xmlns:ext="{EXT}"'
CONV = Converter()
PLAN = CONV.registry.plan("V6_0")

CITATION_BAG = "com_CitationBagType"  # (Heading | P | PatentCitationBag | NPLCitationBag)+, all ordered
MROW = "m_mrow__anon"  # MathML presentation row: every child ordered
NATIONAL_BAG = "com_NationalDesignClassificationBagType"  # IPOfficeCode?, Edition?, Date?, then the group
DESCRIPTION = "pat_DescriptionType"  # PageImage*, DocumentURI*, InventionTitle?, then the group


def _read(xml: str, type_key: str) -> tuple[Any, dict[str, Any], list[Issue]]:
    el = etree.fromstring(xml)
    warnings: list[Issue] = []
    data = CONV.reader(PLAN).element(el, PLAN.types[type_key], 0, warnings)
    return el, data, warnings


def _write(tag: str, data: dict[str, Any], type_key: str) -> Any:
    el = etree.Element(tag, nsmap={"com": COM, "pat": PAT, "m": MATH})
    CONV.writer(PLAN).fill(el, data, PLAN.types[type_key], 0)
    return el


def _round_trip(xml: str, type_key: str) -> tuple[dict[str, Any], Any]:
    """XML → JSON → XML, checked: no unknown element lost, XML back exactly equal, and JSON →
    XML → JSON equal. The JSON and the XML that came back."""
    el, data, warnings = _read(xml, type_key)
    inserted = [c.tag for c in el if isinstance(c.tag, str) and c.tag.startswith(f"{{{EXT}}}")]
    assert len([w for w in warnings if w.code == "unknown-element"]) == len(set(inserted))
    assert sorted(_qnames(data)) == sorted(inserted)  # none dropped
    back = _write(el.tag, data, type_key)
    comparison = compare_xml(PLAN, el, back, PLAN.types[type_key])
    assert comparison.exact, comparison
    _, again, _ = _read(etree.tostring(back).decode(), type_key)
    assert again == data
    return data, back


def _qnames(v: Any) -> list[str]:
    if isinstance(v, dict):
        own = [v[QNAME_KEY]] if QNAME_KEY in v else []
        return own + [q for x in v.values() for q in _qnames(x)]
    if isinstance(v, list):
        return [q for x in v for q in _qnames(x)]
    return []


def _items(data: dict[str, Any]) -> list[str]:
    return [next(iter(item)) for item in data[CONTENT_KEY]]


# -- wholly ordered ---------------------------------------------------------------------------


def _citation_bag(*where: str) -> str:
    kids = {
        "start": "<ext:AtStart>s</ext:AtStart>",
        "middle": "<ext:InMiddle>m</ext:InMiddle>",
        "end": "<ext:AtEnd>e</ext:AtEnd>",
    }
    pick = {w: kids[w] for w in where}
    return (
        f"<com:CitationBag {NS}>{pick.get('start', '')}<com:Heading>h</com:Heading>"
        f"<com:P>one</com:P>{pick.get('middle', '')}<com:P>two</com:P>{pick.get('end', '')}</com:CitationBag>"
    )


@pytest.mark.parametrize("where", [("start",), ("middle",), ("end",), ("start", "middle", "end")])
def test_wholly_ordered_keeps_each_unknown_as_a_content_item_in_place(where: tuple[str, ...]) -> None:
    data, _ = _round_trip(_citation_bag(*where), CITATION_BAG)
    expected = ["heading", "p", "p"]
    if "end" in where:
        expected.insert(3, "ext:atEnd")
    if "middle" in where:
        expected.insert(2, "ext:inMiddle")
    if "start" in where:
        expected.insert(0, "ext:atStart")
    assert list(data) == [CONTENT_KEY]
    assert _items(data) == expected


def test_wholly_ordered_mathml_row() -> None:
    xml = (
        f"<m:mrow {NS}><ext:A>1</ext:A><m:mi>x</m:mi><ext:B>2</ext:B><m:mo>+</m:mo>"
        f"<m:mn>1</m:mn><ext:A>3</ext:A></m:mrow>"
    )
    data, _ = _round_trip(xml, MROW)
    assert _items(data) == ["ext:a", "mi", "ext:b", "mo", "mn", "ext:a"]


def test_the_issue_snippet_keeps_all_three() -> None:
    """The report: only ``ext:atEnd`` was left of start, middle and end."""
    xml = (
        f"<com:NationalDesignClassificationBag {NS}><ext:AtStart/><com:IPOfficeCode>US</com:IPOfficeCode>"
        f"<ext:InMiddle/><com:NationalDesignClassification>0101</com:NationalDesignClassification>"
        f"<com:NationalDesignClassification>0102</com:NationalDesignClassification><ext:AtEnd/>"
        f"</com:NationalDesignClassificationBag>"
    )
    data, _ = _round_trip(xml, NATIONAL_BAG)
    assert list(data) == ["ext:atStart", "ipOfficeCode", "ext:inMiddle", CONTENT_KEY, "ext:atEnd"]
    assert _items(data) == ["nationalDesignClassification", "nationalDesignClassification"]
    assert AFTER_KEY not in str(data)  # the member order says every place


# -- partly ordered -----------------------------------------------------------------------------


def _national(*kids: str) -> str:
    names = {
        "office": "<com:IPOfficeCode>US</com:IPOfficeCode>",
        "edition": "<com:NationalClassificationEdition>7</com:NationalClassificationEdition>",
        "a": "<com:NationalDesignClassification>0101</com:NationalDesignClassification>",
        "b": "<com:NationalDesignClassification>0102</com:NationalDesignClassification>",
        "text": "<com:NationalDesignProductIndicationText>chairs</com:NationalDesignProductIndicationText>",
    }
    body = "".join(names.get(k) or f"<ext:{k}>{k.lower()}</ext:{k}>" for k in kids)
    return f"<com:NationalDesignClassificationBag {NS}>{body}</com:NationalDesignClassificationBag>"


PARTLY = {
    # inserted unknowns, where: the member order, the content items
    "start": (
        ("Start", "office", "a", "b"),
        ["ext:start", "ipOfficeCode", CONTENT_KEY],
        ["nationalDesignClassification"] * 2,
    ),
    "before-the-group": (
        ("office", "edition", "Before", "a", "text"),
        ["ipOfficeCode", "nationalClassificationEdition", "ext:before", CONTENT_KEY],
        ["nationalDesignClassification", "nationalDesignProductIndicationText"],
    ),
    "inside-the-group": (
        ("office", "a", "Inside", "Inside2", "text", "b"),
        ["ipOfficeCode", CONTENT_KEY],
        [
            "nationalDesignClassification",
            "ext:inside",
            "ext:inside2",
            "nationalDesignProductIndicationText",
            "nationalDesignClassification",
        ],
    ),
    "end": (
        ("office", "a", "b", "End"),
        ["ipOfficeCode", CONTENT_KEY, "ext:end"],
        ["nationalDesignClassification"] * 2,
    ),
    "no-item": (("Start", "office", "End"), ["ext:start", "ipOfficeCode", "ext:end"], None),
}


@pytest.mark.parametrize("case", list(PARTLY))
def test_partly_ordered_only_unknowns_inside_the_group_are_content_items(case: str) -> None:
    kids, members, items = PARTLY[case]
    data, _ = _round_trip(_national(*kids), NATIONAL_BAG)
    assert list(data) == members
    assert (_items(data) if items is not None else data.get(CONTENT_KEY)) == items
    assert AFTER_KEY not in str(data)


def test_partly_ordered_repeated_unknown_name_around_the_group_anchors_on_a_content_item() -> None:
    data, back = _round_trip(_national("Note", "office", "a", "b", "Note"), NATIONAL_BAG)
    notes = data["ext:note"]
    assert [n.get(AFTER_KEY) for n in notes] == [None, "content/1"]
    assert [c.tag.split("}")[1] for c in back][-2:] == ["NationalDesignClassification", "Note"]


def test_partly_ordered_type_with_a_wide_group() -> None:
    """pat:Description: plain PageImage/DocumentURI/InventionTitle, then a long ordered group."""
    xml = (
        f"<pat:Description {NS}><ext:A>a</ext:A><pat:InventionTitle>t</pat:InventionTitle><ext:B>b</ext:B>"
        f"<pat:TechnicalField><com:P>p</com:P></pat:TechnicalField><ext:C>c</ext:C>"
        f"<com:Heading>h</com:Heading><com:P>q</com:P><ext:D>d</ext:D></pat:Description>"
    )
    data, _ = _round_trip(xml, DESCRIPTION)
    assert list(data) == ["ext:a", "inventionTitle", "ext:b", CONTENT_KEY, "ext:d"]
    assert _items(data) == ["technicalField", "ext:c", "heading", "p"]


def test_after_naming_no_content_item_is_an_error() -> None:
    _, data, _ = _read(_national("Note", "office", "a", "b", "Note"), NATIONAL_BAG)
    data["ext:note"][1][AFTER_KEY] = "content/2"  # two items: content/0 and content/1
    with pytest.raises(_PathError) as exc:  # the writer's error inside a document (the path is added outside)
        _write(f"{{{COM}}}NationalDesignClassificationBag", data, NATIONAL_BAG)
    assert exc.value.code == "json-value" and "content/2" in exc.value.message
    assert exc.value.path[::-1] == ["ext:note", "1", AFTER_KEY]


# -- the comparer agrees with the writer ----------------------------------------------------------


def test_known_out_of_order_unknown_between_items_follows_the_item_before_it() -> None:
    """Non-conforming input: IPOfficeCode between two items of the group. The unknown element
    after it is inside the group (between its first and last item), so the writer puts it
    after the first item; the comparer expects exactly that, and the JSON reads back equal."""
    el, data, _ = _read(_national("a", "office", "X", "b"), NATIONAL_BAG)
    assert _items(data) == ["nationalDesignClassification", "ext:x", "nationalDesignClassification"]
    back = _write(el.tag, data, NATIONAL_BAG)
    assert [c.tag.split("}")[1] for c in back] == [
        "IPOfficeCode",
        "NationalDesignClassification",
        "X",
        "NationalDesignClassification",
    ]
    comparison = compare_xml(PLAN, el, back, PLAN.types[NATIONAL_BAG])
    assert comparison.difference is None
    assert [r.kind for r in comparison.relaxations] == [KNOWN_OUT_OF_ORDER]
    assert _read(etree.tostring(back).decode(), NATIONAL_BAG)[1] == data


def test_known_out_of_order_unknown_after_the_group_follows_its_element() -> None:
    el, data, _ = _read(_national("a", "office", "X"), NATIONAL_BAG)
    assert list(data) == [CONTENT_KEY, "ipOfficeCode", "ext:x"]
    back = _write(el.tag, data, NATIONAL_BAG)
    assert [c.tag.split("}")[1] for c in back] == ["IPOfficeCode", "X", "NationalDesignClassification"]
    comparison = compare_xml(PLAN, el, back, PLAN.types[NATIONAL_BAG])
    assert comparison.difference is None
    assert [r.kind for r in comparison.relaxations] == [KNOWN_OUT_OF_ORDER]


@pytest.mark.parametrize(
    "xml,key",
    [(_citation_bag("start", "middle", "end"), CITATION_BAG), (_national("office", "a", "Inside", "b"), NATIONAL_BAG)],
)
def test_comparer_sees_an_unknown_moved_out_of_its_place_in_ordered_content(xml: str, key: str) -> None:
    el, data, _ = _read(xml, key)
    back = _write(el.tag, data, key)
    moved = copy.deepcopy(back)
    unknown = next(c for c in moved if c.tag.startswith(f"{{{EXT}}}") and c.getprevious() is not None)
    if unknown.getnext() is not None:
        moved.append(unknown)
    else:
        moved.insert(0, unknown)
    comparison = compare_xml(PLAN, el, moved, PLAN.types[key])
    assert comparison.difference is not None and "ext:" in comparison.difference

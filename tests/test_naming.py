"""Rule 1 and 2: element names → lowerCamelCase with WIPO's acronym rule; attributes verbatim."""

from __future__ import annotations

import pytest

from xml2json.policy import attribute_json_name, collision_name, json_name, unknown_element_key


@pytest.mark.parametrize(
    ("xml", "json"),
    [
        ("IPOfficeCode", "ipOfficeCode"),
        ("ST13ApplicationNumber", "st13ApplicationNumber"),
        ("IPCRClassificationBag", "ipcrClassificationBag"),
        ("WIPOBasicNumber", "wipoBasicNumber"),
        ("DOI", "doi"),
        ("B", "b"),
        ("Br", "br"),
        ("OCRConfidenceData", "ocrConfidenceData"),
        ("PCTNationalPhaseEntryDate", "pctNationalPhaseEntryDate"),
        ("TrademarkBag", "trademarkBag"),
        ("ApplicationNumberText", "applicationNumberText"),
        ("P", "p"),
        ("URI", "uri"),
        ("EPOPatentFamily", "epoPatentFamily"),
        ("ISOCountryCode", "isoCountryCode"),
        ("math", "math"),  # MathML: already lower case
        ("annotation-xml", "annotation-xml"),
        ("tgroup", "tgroup"),
    ],
)
def test_element_names(xml: str, json: str) -> None:
    assert json_name(xml) == json


def test_attributes_verbatim() -> None:
    assert attribute_json_name("st96Version") == "st96Version"
    assert attribute_json_name("sequenceNumber") == "sequenceNumber"


def test_collision_names_are_deterministic_and_unique() -> None:
    taken = {"math", "math_m"}
    assert collision_name("math", "m", taken) == "math_m2"
    assert collision_name("image", "com", set()) == "image_com"


def test_unknown_keys_can_never_clash_with_schema_names() -> None:
    assert unknown_element_key("ns3", "FiledAsReducedFeeApplicationIndicator") == (
        "ns3:filedAsReducedFeeApplicationIndicator"
    )
    assert ":" not in json_name("FiledAsReducedFeeApplicationIndicator")

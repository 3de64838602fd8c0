"""THE mapping table of ``trademark-application-simple/1.0``: simplified field ↔ full ST.97 path.

Everything the profile does — simplify, expand, loss accounting, the coverage
report and the table published in docs/profile.md — is driven by :data:`TABLE`.
Paths are relative to one ``tmk:Trademark`` record in its full ST.97 form (ST.96
V6_0); ``scope="document"`` defaults are relative to the ``trademarkApplication``
object around it. The transforms, rules and layouts are named and described in
:mod:`xml2json.profiles.engine` and below.
"""

from __future__ import annotations

import re
from typing import Any, Final

from ..engine import (
    BOOLEAN,
    ORDINAL,
    PHRASE,
    SEQUENCE,
    TEXT,
    Alias,
    Choice,
    Default,
    Field,
    Group,
    Items,
    Node,
    NotCarried,
    Option,
    Transform,
    const,
    copy_of,
    grouped_by,
)

NAME: Final = "trademark-application-simple/1.0"
ST96_VERSION: Final = "V6_0"
TMK: Final = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"

_VIENNA_KEYS = ("viennaCategory", "viennaDivision", "viennaSection")
_VIENNA_PART = re.compile(r"[0-9A-Za-z]+")


def _vienna_simple(v: Any) -> str:
    if not isinstance(v, dict):
        raise NotCarried
    raw = [v.get(k) for k in _VIENNA_KEYS]
    while raw and raw[-1] is None:
        raw.pop()
    parts = [p for p in raw if isinstance(p, str) and _VIENNA_PART.fullmatch(p)]
    if not parts or len(parts) != len(raw):
        raise NotCarried
    return ".".join(parts)


def _vienna_full(v: Any) -> dict[str, str]:
    parts = v.split(".") if isinstance(v, str) else []
    if not 1 <= len(parts) <= 3 or not all(_VIENNA_PART.fullmatch(p) for p in parts):
        raise ValueError(f"not a Vienna code like 26.01.03: {v!r}")
    return dict(zip(_VIENNA_KEYS, parts, strict=False))


VIENNA: Final = Transform(
    "vienna",
    '`{viennaCategory, viennaDivision, viennaSection}` ↔ `"26.01.03"` (category, division, '
    "section joined by dots; trailing parts may be absent)",
    _vienna_simple,
    _vienna_full,
)

#: One scalar per item, from the item's ``value`` (ordered texts); the sequence number is derived.
_TEXT_ITEM = Field("", "value", TEXT)
_NUMBERED = (Default("sequenceNumber", ORDINAL),)

WORD = "markRepresentation.markReproduction.wordMarkSpecification[0]"
IMAGE = "markRepresentation.markReproduction.markImageBag[0].markImage[0]"


def party(*, legal: bool) -> tuple[Node, ...]:
    """A party (applicant, representative, correspondent) as one flat object; paths are relative to
    the party element. *legal* adds the legal-entity members, which correspondents do not have."""
    contact = "contact[0]"
    address = f"{contact}.postalAddressBag.postalAddress[0].postalStructuredAddress"
    nodes: list[Node] = [
        Choice(
            "name",
            "nameKind",
            (
                Option("organization", f"{contact}.name.organizationName[0].organizationStandardName", PHRASE),
                Option("person", f"{contact}.name.personName[0].personFullName", TEXT),
                Option("entity", f"{contact}.name.entityName[0]", PHRASE),
            ),
            note="the first of the contact's organisation, person and entity names; nameKind says which",
        ),
    ]
    if legal:
        nodes += [
            Field("legalEntity", "legalEntityName[0]", TEXT),
            Field("nationality", "nationalityCode", TEXT),
            Field("incorporationCountry", "incorporationCountryCode", TEXT),
            Field("incorporationState", "incorporationState", TEXT),
        ]
    nodes += [
        Items("addressLines", f"{address}.addressLineText[]", SEQUENCE, item=_TEXT_ITEM, defaults=_NUMBERED),
        Field("city", f"{address}.cityName", TEXT),
        Field("region", f"{address}.geographicRegionName[0].value", TEXT, note="state, province"),
        Field("postalCode", f"{address}.postalCode", TEXT),
        Field("country", f"{address}.countryCode", TEXT),
        Field("email", f"{contact}.emailAddressBag.emailAddressText[0].value", TEXT),
        Field("phone", f"{contact}.phoneNumberBag.phoneNumber[0].value", TEXT),
        Field("fax", f"{contact}.faxNumberBag.faxNumber[0].value", TEXT),
    ]
    return tuple(nodes)


#: Applicants and representatives.
PARTY: Final = party(legal=True)
#: Correspondents, which have no legal status in ST.96.
CONTACT_PARTY: Final = party(legal=False)


TABLE: Final[tuple[Node, ...]] = (
    Field("office", "registrationOfficeCode", TEXT, note="the office that registers the mark (WIPO ST.3)"),
    Field("applicationNumber", "applicationNumber[0].applicationNumberText", TEXT),
    Default(
        "applicationNumber[0].ipOfficeCode",
        copy_of("office"),
        anchor="applicationNumber[0]",
        note="the application number's office is the registration office",
    ),
    Field(
        "applicationDate",
        "applicationDate",
        TEXT,
        aliases=(
            Alias(
                "tmk:applicationDate",
                f"{{{TMK}}}ApplicationDate",
                note="tmk:ApplicationDate, which USPTO TSDR writes instead of com:ApplicationDate",
            ),
        ),
    ),
    Field("registrationNumber", "registrationNumber[0]", TEXT),
    Field("registrationDate", "registrationDate", TEXT),
    Field("expiryDate", "expiryDate", TEXT),
    Field("language", "applicationLanguageCode", TEXT),
    Field("status", "markCurrentStatusCode", TEXT),
    Field("statusDate", "markCurrentStatusDate", TEXT),
    Field("markCategory", "markCategory[0]", TEXT),
    Group(
        "mark",
        (
            Field("featureCategory", "markRepresentation.markFeatureCategory", TEXT),
            Field("verbalElement", f"{WORD}.markVerbalElementText.value", TEXT),
            Default(
                f"{WORD}.markSignificantVerbalElementText.value",
                copy_of("verbalElement"),
                anchor=WORD,
                note="the significant verbal element (required) is the verbal element",
            ),
            Field("standardCharacters", f"{WORD}.markStandardCharacterIndicator", BOOLEAN),
            Field("imageFileName", f"{IMAGE}.fileName", TEXT),
            Field("imageFormat", f"{IMAGE}.imageFormatCategory", TEXT),
            Field("imageInColour", f"{IMAGE}.colourIndicator", BOOLEAN),
            Items(
                "coloursClaimed", f"{IMAGE}.markImageColourClaimedText[]", SEQUENCE, item=_TEXT_ITEM, defaults=_NUMBERED
            ),
            Items(
                "viennaClassification",
                f"{IMAGE}.markImageClassification.figurativeElementClassificationBag"
                ".viennaClassificationBag[0].viennaClassification[]",
                SEQUENCE,
                item=Field("", "", VIENNA),
            ),
            Field("description", "markRepresentation.markDescriptionBag.markDescriptionText[0].value", TEXT),
            Items(
                "disclaimers", "markDisclaimerBag.markDisclaimerText[]", SEQUENCE, item=_TEXT_ITEM, defaults=_NUMBERED
            ),
        ),
    ),
    Items(
        "goodsServices",
        "goodsServicesBag.goodsServices[].classDescriptionBag.classDescription[]",
        grouped_by("classNumber"),
        nodes=(
            Field("classNumber", "classNumber", TEXT, note='a string, leading zeros kept ("009")'),
            Field("description", "goodsServicesDescriptionText[0].value", TEXT),
            Field("languageCode", "goodsServicesDescriptionText[0].languageCode", TEXT),
            Default(
                "goodsServicesDescriptionText[0].sequenceNumber", const("1"), anchor="goodsServicesDescriptionText[0]"
            ),
        ),
        group_defaults=(
            Default(
                "goodsServicesClassificationBag.goodsServicesClassification[0].classificationKindCode",
                const("Nice"),
                note="each goods/services group is classified in Nice",
            ),
            Default(
                "goodsServicesClassificationBag.goodsServicesClassification[0].classNumber",
                copy_of("classNumber"),
                note="… in the class of its first description",
            ),
        ),
        note="one goods/services group per class, as USPTO and WIPO's example write them",
    ),
    Items(
        "priorities",
        "priorityBag.priority[]",
        SEQUENCE,
        nodes=(
            Field("countryCode", "priorityCountryCode", TEXT),
            Field("applicationNumber", "applicationNumber.applicationNumberText", TEXT),
            Field("date", "priorityApplicationFilingDate", TEXT),
        ),
        keep_empty=True,
    ),
    Items(
        "publications",
        "publicationBag.publication[]",
        SEQUENCE,
        nodes=(
            Field("identifier", "publicationIdentifier.value", TEXT),
            Field("date", "publicationDate", TEXT),
        ),
        keep_empty=True,
    ),
    Items(
        "events",
        "markEventBag.markEvent[]",
        SEQUENCE,
        nodes=(
            Field("date", "markEventDate", TEXT),
            Field("category", "markEventCategory", TEXT),
            Field("code", "nationalMarkEvent.markEventCode", TEXT),
            Field("description", "nationalMarkEvent.markEventDescriptionText[0]", TEXT),
        ),
        keep_empty=True,
        note="the prosecution history, as the office records it",
    ),
    Items("applicants", "applicantBag.applicant[]", SEQUENCE, nodes=PARTY, keep_empty=True),
    Items("representatives", "representativeBag.representative[]", SEQUENCE, nodes=PARTY, keep_empty=True),
    Group("correspondent", CONTACT_PARTY, path="nationalCorrespondent"),
    Default("st96Version", const(ST96_VERSION), scope="document"),
)

"""The ST.97 mapping policy: every naming and shaping decision in one place.

The official ST.97 annexes are not available to this project, so the rules in
``docs/mapping.md`` are this project's profile. Every rule that is a *choice*
(rather than a consequence of the XSD) is a constant or a small function in
this module, so that aligning with the official annex is a one-place change.
The schema compiler and the runtime read these; nothing else hard-codes them.
"""

from __future__ import annotations

import re
from typing import Final

# --- Namespaces and standard prefixes (rule 15) ---------------------------------

XSD_NS: Final = "http://www.w3.org/2001/XMLSchema"
XSI_NS: Final = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS: Final = "http://www.w3.org/XML/1998/namespace"

#: Standard prefixes the XML writer re-creates, and the prefixes used to key
#: ``$defs`` entries (``com_ApplicationNumberType``). Namespaces not listed get
#: ``ns1``, ``ns2``… in order of first use. Project decision: the ST.96 namespaces
#: use the prefixes of WIPO's own schemas and examples (so GeographicalIndication is
#: ``gin``, not the ``gi`` of the mapping notes); MathML and OASIS tables use ``m``/``tbl``.
STANDARD_PREFIXES: Final[dict[str, str]] = {
    "com": "http://www.wipo.int/standards/XMLSchema/ST96/Common",
    "tmk": "http://www.wipo.int/standards/XMLSchema/ST96/Trademark",
    "pat": "http://www.wipo.int/standards/XMLSchema/ST96/Patent",
    "dgn": "http://www.wipo.int/standards/XMLSchema/ST96/Design",
    "gin": "http://www.wipo.int/standards/XMLSchema/ST96/GeographicalIndication",
    "cpy": "http://www.wipo.int/standards/XMLSchema/ST96/Copyright",
    "m": "http://www.w3.org/1998/Math/MathML3",
    "tbl": "http://www.oasis-open.org/tables/exchange/1.0",
}
PREFIX_BY_NAMESPACE: Final[dict[str, str]] = {v: k for k, v in STANDARD_PREFIXES.items()}
ST96_NAMESPACE_BASE: Final = "http://www.wipo.int/standards/XMLSchema/ST96/"

#: The attribute that carries the ST.96 version on a document root.
VERSION_ATTRIBUTE: Final = "{" + STANDARD_PREFIXES["com"] + "}st96Version"

# --- Reserved JSON keys (rules 8, 9, 21) -----------------------------------------

VALUE_KEY: Final = "value"  # simple content of an element that also has attributes
CONTENT_KEY: Final = "content"  # ordered mixed / document-flow content
#: Unknown element: its exact XML name in Clark notation, inside its object.
QNAME_KEY: Final = "$qname"
#: Unknown attributes of any element: Clark-notation name -> lexical value.
OTHER_ATTRIBUTES_KEY: Final = "$attributes"
#: Non-whitespace text found where the schema allows none (element-only content).
STRAY_TEXT_KEY: Final = "$text"
#: Where an unknown element of element-only content goes back (docs/mapping.md, "Unknown
#: elements keep their place"): the element it followed, as ``"name"`` (a single member),
#: ``"name/i"`` (item *i* of an array member, ``"content/i"`` for an ordered ``content`` array)
#: or ``""`` (first). Written only when the member order does not already say it: by default an
#: unknown member's first item follows the last item of the element member before it in the
#: object (none: first), and each further item follows the one before it. In ordered content,
#: unknown elements between the first and the last ordered item are ``content`` items instead.
AFTER_KEY: Final = "$after"

# --- Ordered groups (rule 13, document-flow exception) ---------------------------

#: A repeating choice with a branch of one of these types keeps document order as
#: a ``content`` array. (namespace, type local name)
PARAGRAPH_LEVEL_TYPES: Final[frozenset[tuple[str, str]]] = frozenset(
    (STANDARD_PREFIXES["com"], name) for name in ("PType", "HeadingType", "DTType", "DDType")
)

#: Project extension of rule 13 (documented in docs/mapping.md): a repeating choice
#: whose particles all belong to one of these namespaces also keeps document order.
#: MathML presentation markup (``<mi>a</mi><mo>-</mo><mi>b</mi>``) means nothing
#: once its children are regrouped by name.
ORDERED_CHOICE_NAMESPACES: Final = frozenset({STANDARD_PREFIXES["m"]})

#: Project extension of rule 13 (13b): a repeating *sequence* of more than one element
#: (``(NationalDesignClassification, NationalDesignProductIndicationText?)+``) keeps
#: document order as ``content`` too, since separate arrays could not tell which items
#: belong together. (Rule 13's second exception, below, would order them anyway; 13b
#: keeps its own reason so that the published lists stay stable.)
#:
#: Rule 13, second exception (13d): every content model whose input the writer could not
#: restore from per-name arrays keeps document order; the compiler decides it from the
#: schema (``compiler/passes/decide_order.py``). The writer writes each member's items
#: together, members in schema order, so it restores exactly what follows that order.
#: The one loss the round trip forgives (the comparer reports it) is the interleaving
#: between the branches of a repeating choice each of whose branches is one element per
#: occurrence: such a choice stays per-branch arrays when this is True (rule 13 as
#: written); False would order every repeating group of two or more element names.
INTERLEAVED_SINGLE_ELEMENT_CHOICES_AS_ARRAYS: Final = True

# --- Names (rules 1, 2, 4) ------------------------------------------------------

_LEADING_RUN = re.compile(r"[A-Z0-9]+")


def json_name(local_name: str) -> str:
    """lowerCamelCase with WIPO's acronym rule (rule 1).

    >>> json_name("IPOfficeCode"), json_name("DOI"), json_name("TrademarkBag")
    ('ipOfficeCode', 'doi', 'trademarkBag')
    """
    m = _LEADING_RUN.match(local_name)
    if m is None:
        return local_name
    run = m.group(0)
    if len(run) == len(local_name):
        return local_name.lower()
    if len(run) == 1:
        return run.lower() + local_name[1:]
    # Keep the run's last capital as the start of the next word, unless the run
    # ends in a digit (ST13ApplicationNumber: the run is "ST13A" -> "st13" + "ApplicationNumber").
    head = run[:-1]
    return head.lower() + local_name[len(head) :]


def attribute_json_name(local_name: str) -> str:
    """Attributes keep their ST.96 name verbatim (rule 2)."""
    return local_name


def collision_name(json: str, prefix: str, taken: set[str]) -> str:
    """Deterministic resolution of a JSON-name collision inside one object (rule 4).

    The first member in content-model order (attributes first, then particles)
    keeps the plain name; each later member that would get the same name is
    renamed ``<name>_<prefix>`` (its namespace prefix), then ``<name>_<prefix>2``…
    """
    candidate = f"{json}_{prefix}"
    n = 2
    while candidate in taken:
        candidate = f"{json}_{prefix}{n}"
        n += 1
    return candidate


def unknown_element_key(prefix: str | None, local_name: str) -> str:
    """JSON key for an element the schema does not know (rule 21).

    Known keys never contain ``:``, so an unknown element can never collide
    with a schema member; its exact name is kept in ``$qname``.
    """
    return f"{prefix or 'ns'}:{json_name(local_name)}"


def prefix_for(namespace: str, extra: dict[str, str]) -> str:
    """The standard prefix of a namespace, or a generated ``nsN`` recorded in *extra*."""
    p = PREFIX_BY_NAMESPACE.get(namespace)
    if p is not None:
        return p
    if namespace not in extra:
        extra[namespace] = f"ns{len(extra) + 1}"
    return extra[namespace]


# --- Compiler: builtins, lexical patterns, schema ids ---------------------------

#: XSD built-in types whose values (and those of types derived from them) are JSON
#: integers (rule 18); the other built-ins of a ``NUMERIC_PRIMITIVES`` primitive are
#: JSON numbers with a fraction.
INTEGER_BUILTINS: Final = frozenset(
    {
        "integer",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "long",
        "int",
        "short",
        "byte",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    }
)

#: Lexical forms (ECMA-262) the JSON Schema states for a numeric member of a union that
#: admits strings: there the value stays a JSON string (rules 16, 23). ``$(?!\n)`` as in
#: ``DATE_PATTERNS``.
INTEGER_LEXICAL_PATTERN: Final = r"^[+-]?[0-9]+$(?!\n)"
DECIMAL_LEXICAL_PATTERN: Final = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$(?!\n)"
#: Lexical forms of xs:boolean read as ``true`` / ``false`` (the XSD's canonical forms and
#: its ``1`` / ``0``); surrounding whitespace is ignored. The writer always writes
#: ``true`` / ``false``.
BOOLEAN_TRUE_FORMS: Final = ("true", "1")
BOOLEAN_FALSE_FORMS: Final = ("false", "0")
#: The lexical values of a boolean member of such a union: the same forms, ``true``,
#: ``false``, ``1``, ``0``.
BOOLEAN_LEXICAL_VALUES: Final = tuple(
    v for pair in zip(BOOLEAN_TRUE_FORMS, BOOLEAN_FALSE_FORMS, strict=True) for v in pair
)

#: The JSON Schema key pattern admitting content the schema does not describe where the
#: XSD has a wildcard (rule 24): the ``prefix:name`` keys of ``unknown_element_key``.
UNKNOWN_ELEMENT_KEY_PATTERN: Final = "^[^:]+:"

#: Base of the generated schemas' ``$id``: ``<base>:<version>:<document>`` (rule 22).
SCHEMA_ID_BASE: Final = "urn:xml2json:st97"


def schema_id(version: str, document: str) -> str:
    """The ``$id`` of the generated JSON Schema of one document type of one ST.96 version.

    >>> schema_id("V6_0", "TrademarkApplication")
    'urn:xml2json:st97:V6_0:TrademarkApplication'
    """
    return f"{SCHEMA_ID_BASE}:{version}:{document}"


# --- Values (rules 16-20) --------------------------------------------------------

#: XSD primitive -> codec. Anything not listed stays a string, lexically unchanged.
NUMERIC_PRIMITIVES: Final = frozenset({"decimal"})
BOOLEAN_PRIMITIVES: Final = frozenset({"boolean"})
#: Built-in list types (their item type is an NCName-like string).
BUILTIN_LIST_TYPES: Final = frozenset({"IDREFS", "NMTOKENS", "ENTITIES"})

#: Regex (ECMA-262) for the com:DateType-like union members (rule 23): dates stay strings.
#: ``$(?!\n)`` is ``$`` in ECMA-262; Python's ``re`` (used by jsonschema) needs the lookahead
#: not to accept a final newline, so that every validator gives the same verdict.
DATE_PATTERNS: Final[dict[str, str]] = {
    "date": r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$(?!\n)",
    "gYear": r"^-?[0-9]{4,}(Z|[+-][0-9]{2}:[0-9]{2})?$(?!\n)",
    "gYearMonth": r"^-?[0-9]{4,}-[0-9]{2}(Z|[+-][0-9]{2}:[0-9]{2})?$(?!\n)",
    "dateTime": (
        r"^-?[0-9]{4,}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
        r"(Z|[+-][0-9]{2}:[0-9]{2})?$(?!\n)"
    ),
    "time": r"^[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$(?!\n)",
}

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"


# --- Runtime: values, writer, bulk records ---------------------------------------

#: xs:boolean lexical forms: ``BOOLEAN_TRUE_FORMS`` / ``BOOLEAN_FALSE_FORMS`` above (one rule
#: for the JSON Schema and the reader).

#: xs:integer values in ``[-NATIVE_INTEGER_BOUND, NATIVE_INTEGER_BOUND)`` are read as JSON
#: integers (orjson writes 64-bit integers natively); larger ones travel as exact decimals.
NATIVE_INTEGER_BOUND: Final = 1 << 63

#: The most digits a number written to XML may have, before or after the decimal point. JSON
#: text is bounded by ``Limits.max_json_number_chars`` when it is read; this bound covers
#: Python objects handed to the writer directly (``Decimal("1e999999999")`` would otherwise
#: expand to a billion digits, and ``int`` refuses ``str()`` past 4 300 digits).
MAX_NUMBER_DIGITS: Final = 1000

#: Where the XML writer says a document's XSD is, when asked to (``Options.schema_location``):
#: WIPO's published location of the document schema.
SCHEMA_LOCATION_URL: Final = (
    "https://www.wipo.int/standards/XMLSchema/ST96/{version}/{domain}/Document/{document}_{version}.xsd"
)


def schema_location(namespace: str, version: str, document: str) -> str:
    """The ``xsi:schemaLocation`` value of a document whose root is in *namespace*.

    The domain folder is the namespace's last segment (``.../ST96/Trademark`` → ``Trademark``).
    """
    domain = namespace.rstrip("/").rsplit("/", 1)[-1]
    return f"{namespace} " + SCHEMA_LOCATION_URL.format(version=version, domain=domain, document=document)


#: Bulk records (docs/bulk.md, "Which elements are records"). Local names of elements whose
#: children hold the records of a transaction.
RECORD_CONTAINERS: Final[frozenset[str]] = frozenset({"TransactionData"})
#: Local names of bags whose repeating children are records wherever they occur.
RECORD_BAGS: Final[frozenset[str]] = frozenset(
    {
        "MadridIBToOfficeBag",
        "MadridOfficeToIBBag",
        "HagueIBToOfficeBag",
        "HagueOfficeToIBBag",
        "HagueBulletinTransactionBag",
    }
)
#: An element whose local name ends so is a bag (its repeating children may be records).
BAG_SUFFIX: Final = "Bag"
#: How deep below the root a container is looked for (TransactionData is at depth 3).
MAX_CONTAINER_DEPTH: Final = 5


# -- data quality (bulk --validate / --check-roundtrip, docs/bulk.md "Checking data quality") ------

#: The checks of a quality report, in report order; ``convert`` (conversion warnings) always runs.
QUALITY_CHECKS: Final = ("convert", "json", "xsd", "roundtrip")

#: The categories a quality issue falls in (the fixed vocabulary of quality.json).
QUALITY_CATEGORIES: Final = (
    "unknown-element",
    "missing-required",
    "unexpected-element",
    "pattern",
    "enumeration",
    "type",
    "length",
    "wrong-version",
    "roundtrip-difference",
    "roundtrip-relaxation",
    "other",
)

#: JSON Schema keyword that failed → category (any other keyword, e.g. ``oneOf``/``anyOf``: ``other``).
JSON_KEYWORD_CATEGORY: Final[dict[str, str]] = {
    "required": "missing-required",
    "dependentRequired": "missing-required",
    "additionalProperties": "unexpected-element",
    "unevaluatedProperties": "unexpected-element",
    "additionalItems": "unexpected-element",
    "unevaluatedItems": "unexpected-element",
    "propertyNames": "unexpected-element",
    "false": "unexpected-element",
    "pattern": "pattern",
    "enum": "enumeration",
    "const": "enumeration",
    "type": "type",
    "format": "type",
    "x-xml2json-py-integer": "type",  # xml2json.fastvalidate.PY_INTEGER_KEYWORD
    "maxLength": "length",
    "minLength": "length",
    "maxItems": "length",
    "minItems": "length",
    "maxProperties": "length",
    "minProperties": "length",
    "maximum": "length",
    "minimum": "length",
    "exclusiveMaximum": "length",
    "exclusiveMinimum": "length",
    "multipleOf": "length",
}

#: libxml2 schema-validation error type (``_LogEntry.type_name``) → category. The element-content
#: errors (``SCHEMAV_ELEMENT_CONTENT``) are told apart by their message: "Missing child element(s)"
#: is ``missing-required``, "This element is not expected" ``unexpected-element``
#: (:data:`XSD_MISSING_CHILD`). Any other type: ``other``; a message naming ``st96Version``:
#: ``wrong-version``.
XSD_ERROR_CATEGORY: Final[dict[str, str]] = {
    "SCHEMAV_ELEMENT_CONTENT": "unexpected-element",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_4": "unexpected-element",
    "SCHEMAV_CVC_COMPLEX_TYPE_2_3": "unexpected-element",  # text in element-only content
    "SCHEMAV_CVC_COMPLEX_TYPE_2_1": "unexpected-element",  # content in an empty type
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_1": "unexpected-element",  # an attribute not allowed
    "SCHEMAV_CVC_COMPLEX_TYPE_3_2_2": "unexpected-element",
    "SCHEMAV_CVC_COMPLEX_TYPE_4": "missing-required",  # a required attribute missing
    "SCHEMAV_CVC_ELT_1": "unexpected-element",  # no global declaration for the element
    "SCHEMAV_CVC_PATTERN_VALID": "pattern",
    "SCHEMAV_CVC_ENUMERATION_VALID": "enumeration",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_1": "type",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_2": "type",
    "SCHEMAV_CVC_DATATYPE_VALID_1_2_3": "type",
    "SCHEMAV_CVC_TYPE_1": "type",
    "SCHEMAV_CVC_TYPE_2": "type",
    "SCHEMAV_CVC_TYPE_3_1_1": "type",
    "SCHEMAV_CVC_TYPE_3_1_2": "type",
    "SCHEMAV_CVC_SIMPLE_TYPE": "type",
    "SCHEMAV_CVC_ATTRIBUTE_3": "type",
    "SCHEMAV_CVC_ELT_4_3": "type",
    "SCHEMAV_CVC_LENGTH_VALID": "length",
    "SCHEMAV_CVC_MINLENGTH_VALID": "length",
    "SCHEMAV_CVC_MAXLENGTH_VALID": "length",
    "SCHEMAV_CVC_MININCLUSIVE_VALID": "length",
    "SCHEMAV_CVC_MAXINCLUSIVE_VALID": "length",
    "SCHEMAV_CVC_MINEXCLUSIVE_VALID": "length",
    "SCHEMAV_CVC_MAXEXCLUSIVE_VALID": "length",
    "SCHEMAV_CVC_TOTALDIGITS_VALID": "length",
    "SCHEMAV_CVC_FRACTIONDIGITS_VALID": "length",
}
#: The start of libxml2's message for an element whose required children are missing.
XSD_MISSING_CHILD: Final = "Missing child element"

#: Round-trip relaxation kinds (:mod:`xml2json.roundtrip`) that are the converter's own and say
#: nothing about the data: listed in a quality report's rows, but a unit whose only findings are
#: these counts as clean. "choice interleaving": the order between the branches of a repeating
#: choice, which per-branch JSON arrays do not keep, of a document that may well be XSD-valid.
#: Not here, because they are data problems: "known elements out of schema order" (the input was
#: not in schema order) and "stray text moved" (text where the schema allows none).
QUALITY_CLEAN_RELAXATIONS: Final = ("choice interleaving",)

#: Conversion warning code → category (any other warning: ``other``).
WARNING_CATEGORY: Final[dict[str, str]] = {
    "unknown-element": "unknown-element",
    "unknown-attribute": "unknown-element",
    "no-version": "wrong-version",
    "version-override": "wrong-version",
}

#: The JSON keys whose value identifies a record in a quality report's examples (application,
#: registration, publication number), in order of preference; the shallowest occurrence wins.
RECORD_ID_KEYS: Final = (
    "applicationNumberText",
    "registrationNumber",
    "internationalRegistrationNumber",
    "publicationNumber",
    "patentNumber",
    "designIdentifier",
    "documentNumber",
)
#: How deep in a record's JSON its identifier is looked for.
RECORD_ID_DEPTH: Final = 5

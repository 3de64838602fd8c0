"""The compiler's intermediate model: small, explicit, serialisable.

Built from xmlschema by :mod:`.extract`, refined by the passes in
:mod:`.shape` and :mod:`.naming`, and read by the two emitters
(:mod:`.emit_plan`, :mod:`.emit_jsonschema`) so the runtime plan and the
JSON Schema cannot drift apart. XML identities (Clark names) and JSON names
sit side by side on every item.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Variety = Literal["atomic", "list", "union"]
ContentKind = Literal["empty", "simple", "element", "mixed"]
Codec = Literal["string", "boolean", "decimal", "integer", "list"]


@dataclass
class Facets:
    enumeration: list[str] | None = None
    #: One list per derivation step: alternatives within a step are ORed, steps are ANDed.
    patterns: list[list[str]] = field(default_factory=list)
    length: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    min_inclusive: str | None = None
    max_inclusive: str | None = None
    min_exclusive: str | None = None
    max_exclusive: str | None = None
    total_digits: int | None = None
    fraction_digits: int | None = None


@dataclass
class SimpleTypeIR:
    key: str
    qname: str | None
    variety: Variety
    #: nearest built-in ancestor's local name (``token``, ``nonNegativeInteger``…)
    builtin: str
    #: the XSD primitive's local name (``string``, ``decimal``, ``date``…); None for list/union
    primitive: str | None
    facets: Facets = field(default_factory=Facets)
    item: str | None = None  # list item type key
    members: list[str] = field(default_factory=list)  # union member keys
    # decided by the shape pass
    codec: Codec = "string"
    item_codec: Codec | None = None


@dataclass
class AttributeIR:
    qname: str
    type: str
    required: bool
    fixed: str | None = None
    json: str = ""


@dataclass
class WildcardIR:
    namespaces: list[str]
    process_contents: str
    min: int = 0
    max: int | None = 1


@dataclass
class ParticleIR:
    qname: str
    type: str
    min: int
    max: int | None
    # decided by passes
    json: str = ""
    array: bool = False
    ordered: bool = False
    required: bool = False
    eff_min: int = 0
    eff_max: int | None = 1


@dataclass
class GroupIR:
    model: Literal["sequence", "choice", "all"]
    min: int
    max: int | None
    items: list[ParticleIR | GroupIR | WildcardIR] = field(default_factory=list)


@dataclass
class ComplexTypeIR:
    key: str
    qname: str | None
    content: ContentKind
    attributes: list[AttributeIR] = field(default_factory=list)
    any_attribute: WildcardIR | None = None
    simple: str | None = None  # simple content type key
    model: GroupIR | None = None
    # decided by passes
    particles: list[ParticleIR] = field(default_factory=list)  # flattened, document order
    any_element: WildcardIR | None = None
    has_ordered: bool = False
    ordered_reason: str | None = None


@dataclass
class DocumentIR:
    name: str  # e.g. "TrademarkApplication", "TMK_TransactionData"
    root: str  # Clark name of the root element
    root_type: str
    json_root: str
    source: str  # file name of the document schema
    types: list[str] = field(default_factory=list)  # type keys reachable from the root


@dataclass
class BundleIR:
    version: str
    simple_types: dict[str, SimpleTypeIR] = field(default_factory=dict)
    complex_types: dict[str, ComplexTypeIR] = field(default_factory=dict)
    documents: dict[str, DocumentIR] = field(default_factory=dict)
    #: global elements (Clark -> type key), used to convert records and known elements
    elements: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)  # prefix -> uri
    collisions: list[dict[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

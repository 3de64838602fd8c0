"""The compiler's intermediate model: small, explicit, serialisable.

Built from xmlschema by :mod:`.extract`, refined by the passes in
:mod:`.passes` (run in order from :data:`.pipeline.PASSES`), and read by the two emitters
(:mod:`.emit_plan`, :mod:`.emit_jsonschema`) so the runtime plan and the
JSON Schema cannot drift apart. XML identities (Clark names) and JSON names
sit side by side on every item.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple, TypeVar

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


# -- walking a content model ---------------------------------------------------------

Item = ParticleIR | GroupIR | WildcardIR
#: Where an item sits in its content model: one ``(group number, group model, index in the
#: group)`` step per enclosing group, outermost first. Groups are numbered 0, 1, 2… in the
#: order :func:`walk` visits them, so a number names one group within one walk. Two occurrences of an element are
#: alternatives exactly when their paths first differ inside a choice.
Path = tuple[tuple[int, str, int], ...]


class Step(NamedTuple):
    """One item of a content model, as :func:`walk` visits it."""

    item: Item
    path: Path
    #: Effective occurrence bounds of the item in one instance of its complex type: the
    #: bounds of every enclosing group multiplied in, and 0 as the minimum inside a
    #: choice of more than one branch (another branch may be taken). ``None``: unbounded.
    min: int
    max: int | None


def mul_occurs(a: int | None, b: int | None) -> int | None:
    """Multiply two maxOccurs values (``None`` is unbounded)."""
    return None if a is None or b is None else a * b


def repeats(max_occurs: int | None) -> bool:
    """True when a maxOccurs value admits more than one occurrence."""
    return max_occurs is None or max_occurs > 1


def walk(model: GroupIR) -> Iterator[Step]:
    """Every item of a content model, the model itself first, then depth-first in document order.

    The one walker of the IR's content models: the passes, the extractor and the emitters
    read particles, wildcards and nested groups through it. (Only the JSON Schema
    emitter's choice constraints still recurse themselves: they build one result per
    branch, bottom-up, rather than visit items.)
    """
    stack = [Step(model, (), model.min, model.max)]
    groups = 0
    while stack:
        step = stack.pop()
        yield step
        g = step.item
        if not isinstance(g, GroupIR):
            continue
        number, groups = groups, groups + 1
        lo = 0 if g.model == "choice" and len(g.items) > 1 else step.min
        hi = step.max
        stack.extend(
            Step(item, (*step.path, (number, g.model, i)), lo * item.min, mul_occurs(hi, item.max))
            for i, item in reversed(list(enumerate(g.items)))
        )


def particles(model: GroupIR | None) -> list[ParticleIR]:
    """The element particles of a content model in document order (an element may occur twice)."""
    if model is None:
        return []
    return [s.item for s in walk(model) if isinstance(s.item, ParticleIR)]


TypeIR = TypeVar("TypeIR", SimpleTypeIR, ComplexTypeIR)


def refs(t: SimpleTypeIR | ComplexTypeIR) -> list[str]:
    """The type keys a type refers to: list item, union members, attributes, content, particles."""
    if isinstance(t, SimpleTypeIR):
        return ([t.item] if t.item else []) + t.members
    out = [a.type for a in t.attributes]
    if t.simple:
        out.append(t.simple)
    out.extend(p.type for p in particles(t.model))
    return out


def renamed(t: TypeIR, rename: dict[str, str]) -> TypeIR:
    """A copy of a type with its own key and every type key it refers to renamed."""
    new = copy.deepcopy(t)
    new.key = rename.get(new.key, new.key)
    if isinstance(new, SimpleTypeIR):
        if new.item:
            new.item = rename.get(new.item, new.item)
        new.members = [rename.get(m, m) for m in new.members]
        return new
    for a in new.attributes:
        a.type = rename.get(a.type, a.type)
    if new.simple:
        new.simple = rename.get(new.simple, new.simple)
    for p in particles(new.model):
        p.type = rename.get(p.type, p.type)
    return new

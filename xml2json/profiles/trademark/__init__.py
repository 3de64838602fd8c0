"""``trademark-application-simple/1.0``: one trademark as a flat JSON object, both ways.

>>> from xml2json.profiles.trademark import simplify, expand_to_xml
>>> result = simplify("TrademarkApplication.xml")      # doctest: +SKIP
>>> doc = result.documents[0]                          # doctest: +SKIP
>>> doc["mark"]["verbalElement"], doc["goodsServices"][0]["classNumber"]  # doctest: +SKIP
('QUILLPINE', '009')
>>> xml = expand_to_xml(doc)                           # doctest: +SKIP

The profile applies to a ``tmk:TrademarkApplication`` document and to every
``tmk:Trademark`` record wherever it appears (a ``TrademarkTransaction``, a
Madrid transaction …). It is driven by one table, :data:`.table.TABLE`; its
JSON Schema is ``schemas/profiles/trademark-application-simple-1.0.json``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final

from ...api import Converter
from ...errors import Issue
from ...io import XmlSource, loads_json, read_xml_source
from ...plan import DocumentPlan, Plan, TypePlan
from ...registry import Registry, default_registry
from ...safe import parse_document
from ..engine import DOCUMENT_PREFIX, UNMAPPED_KEY, Claim, Profile, ProfileError, RecordResult
from ..pointer import escape
from ..schema import SchemaChecks, load_schema
from ..st96paths import DocumentWalker, Leaf
from .table import NAME, ST96_VERSION, TABLE, TMK
from .words import in_words

__all__ = [
    "NAME",
    "RECORD_TAG",
    "SCHEMA_FILE",
    "Loss",
    "ProfileError",
    "Record",
    "SimplifyResult",
    "checks",
    "expand",
    "expand_to_xml",
    "profile",
    "simplify",
    "simplify_data",
    "validate",
]

SCHEMA_FILE: Final = "trademark-application-simple-1.0.json"
RECORD_TAG: Final = f"{{{TMK}}}Trademark"
DOCUMENT: Final = "TrademarkApplication"
JSON_ROOT: Final = "trademarkApplication"


@lru_cache(maxsize=1)
def checks() -> SchemaChecks:
    return SchemaChecks(load_schema(SCHEMA_FILE))


@lru_cache(maxsize=1)
def profile() -> Profile:
    return Profile(NAME, TABLE, accept=checks().accept)


def validate(doc: Any) -> list[Issue]:
    """Check a simplified document against the profile's JSON Schema (empty list: valid); the
    messages say what is expected in words (:mod:`.words`), not as a regular expression."""
    return [in_words(i) for i in checks().issues(doc)]


# -- simplify ---------------------------------------------------------------------------------


@dataclass
class Record:
    """One ``tmk:Trademark`` of the input, simplified."""

    pointer: str  # where the record is in the full ST.97 input
    result: RecordResult
    paths: dict[str, str]  # record-relative pointer ("/.." = document level) -> ST.96 path

    @property
    def document(self) -> dict[str, Any]:
        return self.result.document


@dataclass
class SimplifyResult:
    document: str  # the input's document type
    version: str
    records: list[Record]
    outside: list[Leaf]  # values outside every record (for a TrademarkApplication: none)
    leaves: list[Leaf]  # every value of the input, with its ST.96 path
    json_root: str = JSON_ROOT
    warnings: list[Issue] = field(default_factory=list)  # from the XML conversion

    @property
    def documents(self) -> list[dict[str, Any]]:
        return [r.document for r in self.records]

    def accounting(self) -> Iterator[tuple[Leaf, Claim | None]]:
        """Every value of the input with what carries it (``None``: not carried)."""
        application = self.document == DOCUMENT and bool(self.records)
        root_ptr = "/" + escape(self.json_root)
        for leaf in self.leaves:
            if not leaf.counted:
                continue
            if leaf.record is not None:
                r = self.records[leaf.record]
                yield leaf, r.result.claims.get(leaf.pointer[len(r.pointer) :])
            elif application:
                rel = DOCUMENT_PREFIX + leaf.pointer[len(root_ptr) :]
                yield leaf, self.records[0].result.claims.get(rel)
            else:
                yield leaf, None

    def loss(self) -> list[Loss]:
        """What the profile does not carry, per ST.96 path: kept in ``unmapped``, or (outside
        every record) only reported here."""
        counts: Counter[tuple[str, bool]] = Counter()
        for leaf, claim in self.accounting():
            if claim is None:
                counts[(leaf.path, leaf.record is None and bool(self.outside))] += 1
        return [Loss(path, n, outside) for (path, outside), n in counts.items()]

    def loss_issues(self) -> list[Issue]:
        return [
            Issue(
                "profile-outside-record",
                f"{x.count} value(s) outside every tmk:Trademark record; not part of any simplified document",
                xml_path=x.path,
            )
            if x.outside
            else Issue(
                "profile-unmapped",
                f"{x.count} value(s) not carried by the profile; kept in 'unmapped'",
                xml_path=x.path,
            )
            for x in self.loss()
        ]


@dataclass(frozen=True)
class Loss:
    path: str  # ST.96 path
    count: int  # values at that path that the profile does not carry
    outside: bool  # outside every record (not kept), rather than kept in a record's ``unmapped``


def simplify(source: XmlSource, *, converter: Converter | None = None) -> SimplifyResult:
    """ST.96 XML (bytes, text, a path or a file) → one simplified document per trademark record."""
    conv = converter or Converter()
    root = parse_document(read_xml_source(source, conv.options.limits), conv.options.limits)
    return simplify_element(root, converter=conv)


def simplify_element(root: Any, *, converter: Converter | None = None) -> SimplifyResult:
    conv = converter or Converter()
    result = conv.convert_element(root)
    plan = conv.registry.plan(result.version)
    out = simplify_data(result.data, plan=plan, document=result.document)
    out.warnings = list(result.warnings)
    return out


def simplify_data(
    data: Mapping[str, Any] | bytes | str,
    *,
    plan: Plan | None = None,
    document: str | None = None,
    registry: Registry | None = None,
) -> SimplifyResult:
    """Full ST.97 JSON (a dict, or JSON text) → one simplified document per trademark record."""
    if isinstance(data, (bytes, str)):
        data = loads_json(data, Converter().options.limits)
    if not isinstance(data, Mapping) or len(data) != 1:
        raise ProfileError(
            "an ST.97 document is a JSON object with exactly one member", code="json-root", json_pointer=""
        )
    ((json_root, body),) = data.items()
    if plan is None:
        reg = registry or default_registry()
        declared = body.get("st96Version") if isinstance(body, dict) else None
        plan = reg.plan(declared if isinstance(declared, str) and reg.has(declared) else ST96_VERSION)
    doc = _document_plan(plan, json_root, document)
    walker = DocumentWalker(plan, RECORD_TAG)
    walker.walk(dict(data), doc.root, doc.type, json_root)
    prof = profile()
    by_record: dict[int | None, list[Leaf]] = {}
    for leaf in walker.leaves:
        by_record.setdefault(leaf.record, []).append(leaf)
    top = by_record.get(None, [])
    application = doc.name == DOCUMENT and bool(walker.records)
    root_ptr = "/" + escape(json_root)
    records: list[Record] = []
    for i, (ptr, rec) in enumerate(walker.records):
        paths = {leaf.pointer[len(ptr) :]: leaf.path for leaf in by_record.get(i, [])}
        document_level = None
        if application and i == 0:
            document_level = {leaf.pointer[len(root_ptr) :]: leaf.value for leaf in top}
            paths.update({DOCUMENT_PREFIX + leaf.pointer[len(root_ptr) :]: leaf.path for leaf in top})
        records.append(Record(ptr, prof.simplify_record(rec, document_level), paths))
    outside = [] if application else top
    return SimplifyResult(doc.name, plan.version, records, outside, walker.leaves, json_root)


def _document_plan(plan: Plan, json_root: str, document: str | None) -> DocumentPlan:
    if document is not None:
        return plan.document(document)
    cands = [d for d in plan.documents.values() if d.json_root == json_root]
    if not cands:
        raise ProfileError(
            f"{json_root!r} is not the root member of any ST.97 document in {plan.version}",
            code="unknown-root",
            json_pointer="",
        )
    # several documents can share a root name (TransactionData …); their record types are the same
    return cands[0]


# -- expand -----------------------------------------------------------------------------------


def expand(
    doc: Mapping[str, Any], *, include_unmapped: bool = True, check: bool = True, registry: Registry | None = None
) -> dict[str, Any]:
    """A simplified document → a full ST.97 ``TrademarkApplication`` (ST.96 V6_0) as a dict.

    With *check*, the document is validated against the profile schema first.
    With ``include_unmapped=False`` the ``unmapped`` values are left out: the result
    then holds exactly what the profile carries.
    """
    if check:
        issues = validate(doc)
        if issues:
            raise ProfileError(
                f"not a valid {NAME} document ({len(issues)} issue(s); first: {issues[0].message})",
                code="profile-schema-invalid",
                issues=issues,
            )
    record, top = profile().expand_record(doc, include_unmapped=include_unmapped)
    if "trademarkBag" in top:
        raise ProfileError(
            "unmapped values may not address /../trademarkBag", code="profile-unmapped", json_pointer="/" + UNMAPPED_KEY
        )
    app = {**top, "trademarkBag": {"trademark": [record]}}
    plan = (registry or default_registry()).plan(ST96_VERSION)
    return {JSON_ROOT: _ordered(app, plan.document(DOCUMENT).type)}


def expand_to_xml(
    doc: Mapping[str, Any], *, include_unmapped: bool = True, converter: Converter | None = None, check: bool = True
) -> bytes:
    """A simplified document → ST.96 XML (a ``tmk:TrademarkApplication``), via :meth:`Converter.json_to_xml`."""
    conv = converter or Converter()
    full = expand(doc, include_unmapped=include_unmapped, check=check, registry=conv.registry)
    return conv.json_to_xml(full, document=DOCUMENT).xml


def _ordered(value: Any, tp: TypePlan | None) -> Any:
    """Members in ST.96 order (attributes, then the content model), for readable output."""
    if isinstance(value, list):
        return [_ordered(v, tp) for v in value]
    if not isinstance(value, dict) or tp is None:
        return value
    rank = {a.json: i for i, a in enumerate(tp.attrs.values())}
    base = len(rank)
    for i, c in enumerate(tp.order):
        rank.setdefault(c.json, base + i)
    out: dict[str, Any] = {}
    for k in sorted(value, key=lambda k: rank.get(k, 1 << 30)):
        child = tp.children_json.get(k)
        out[k] = _ordered(value[k], child.type if child is not None else None)
    return out

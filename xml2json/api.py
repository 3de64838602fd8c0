"""The public API: a reusable :class:`Converter` and one-shot functions on top of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .config import Options
from .convert.json_to_xml import JsonToXml
from .convert.xml_to_json import XmlToJson
from .errors import ConversionError, DocumentTypeError, Issue, SchemaNotAvailableError, Xml2JsonError
from .io import XmlSource, dumps_json, loads_json, read_xml_source
from .plan import DocumentPlan, Plan
from .policy import ST96_NAMESPACE_BASE, VERSION_ATTRIBUTE
from .registry import Registry, default_registry, not_available
from .roundtrip import CanonicalComparer, RoundTripReport
from .safe import parse_document
from .validate import Validators, default_validators


@dataclass(frozen=True)
class Conversion:
    """The result of one XML → JSON conversion."""

    data: dict[str, Any]
    document: str
    version: str
    warnings: tuple[Issue, ...] = ()


@dataclass(frozen=True)
class XmlOutput:
    """The result of one JSON → XML conversion."""

    xml: bytes
    document: str
    version: str
    warnings: tuple[Issue, ...] = field(default_factory=tuple)


class Converter:
    """Converts many documents with one configuration; compiled plans are loaded once.

    >>> conv = Converter()
    >>> result = conv.xml_to_json(b"<tmk:TrademarkApplication ...")  # doctest: +SKIP
    """

    def __init__(self, *, options: Options | None = None, registry: Registry | None = None) -> None:
        self.options = options or Options()
        self.registry = registry or default_registry()
        # one reader and one writer per version, made on first use (a registry that reloads a
        # version hands out a new plan: its reader and writer replace the old ones)
        self._readers: dict[str, XmlToJson] = {}
        self._writers: dict[str, JsonToXml] = {}

    def reader(self, plan: Plan) -> XmlToJson:
        """The XML → JSON converter of *plan* with this converter's options (made once per plan)."""
        r = self._readers.get(plan.version)
        if r is None or r.plan is not plan:
            r = self._readers[plan.version] = XmlToJson(plan, self.options)
        return r

    def writer(self, plan: Plan) -> JsonToXml:
        """The JSON → XML converter of *plan* with this converter's options (made once per plan)."""
        w = self._writers.get(plan.version)
        if w is None or w.plan is not plan:
            w = self._writers[plan.version] = JsonToXml(plan, self.options)
        return w

    # -- detection (version from com:st96Version, document from the root) -------------
    def select(self, root_tag: str, declared: str | None) -> tuple[Plan, DocumentPlan, list[Issue]]:
        warnings: list[Issue] = []
        forced = self.options.st96_version
        reg = self.registry
        if forced:
            plan = reg.plan(forced)
            if declared and declared != forced:
                warnings.append(
                    Issue(
                        "version-override",
                        f"document says {declared}; converted with {forced} as requested",
                        xml_path="/@com:st96Version",
                    )
                )
        elif declared:
            if not reg.has(declared):
                raise not_available(declared, reg.versions())
            plan = reg.plan(declared)
        else:
            version = reg.newest()
            plan = reg.plan(version)
            warnings.append(
                Issue(
                    "no-version",
                    f"the document has no com:st96Version; converted with the newest compiled version, {version}",
                    xml_path="/",
                )
            )
        doc = plan.by_root.get(root_tag)
        if doc is None:
            raise self._unknown_root(root_tag, plan)
        return plan, doc, warnings

    @staticmethod
    def _unknown_root(tag: str, plan: Plan) -> DocumentTypeError:
        ns = tag[1:].split("}")[0] if tag.startswith("{") else ""
        roots = ", ".join(sorted({d.root.split("}")[1] for d in plan.documents.values()}))
        if not ns.startswith(ST96_NAMESPACE_BASE):
            hint = f"its namespace {ns!r} is not an ST.96 namespace" if ns else "it has no namespace"
            if ns.startswith("http://www.wipo.int/standards/XMLSchema/"):
                hint += " (this looks like a pre-release ST.96 namespace, which is not supported)"
        else:
            hint = "it is not a document root"
        return DocumentTypeError(
            f"root element {tag} is not an ST.96 {plan.version} document: {hint}; document roots are: {roots}",
            code="unknown-root",
            xml_path="/",
            line=1,
        )

    # -- XML → JSON -------------------------------------------------------------------
    def xml_to_json(self, source: XmlSource) -> Conversion:
        data = read_xml_source(source, self.options.limits)
        root = parse_document(data, self.options.limits)
        return self.convert_element(root)

    def convert_element(self, root: Any) -> Conversion:
        plan, doc, warnings = self.select(root.tag, root.get(VERSION_ATTRIBUTE))
        out = self.reader(plan).document(root, doc, warnings)
        return Conversion(out, doc.name, plan.version, tuple(warnings))

    # -- JSON → XML -------------------------------------------------------------------
    def json_to_xml(self, data: Any, *, document: str | None = None) -> XmlOutput:
        if isinstance(data, (bytes, bytearray, str)):
            data = loads_json(data, self.options.limits)
        if not isinstance(data, dict) or len(data) != 1:
            raise ConversionError(
                "an ST.97 document is a JSON object with exactly one member, named after its root element",
                code="json-root",
                json_pointer="",
            )
        ((json_root, body),) = data.items()
        declared = body.get("st96Version") if isinstance(body, dict) else None
        version = self.options.st96_version or (declared if isinstance(declared, str) else None)
        if version is None:
            version = self.registry.newest()
        plan = self.registry.plan(version) if self.registry.has(version) else None
        if plan is None:
            raise not_available(version, self.registry.versions())
        if document is not None:
            candidates = [plan.document(document)]
        else:
            candidates = [d for d in plan.documents.values() if d.json_root == json_root]
        if not candidates:
            raise DocumentTypeError(
                f"{json_root!r} is not the root member of any ST.97 document in {plan.version}",
                code="unknown-root",
                json_pointer="",
            )
        writer = self.writer(plan)
        errors: list[Xml2JsonError] = []
        for doc in candidates:
            try:
                root = writer.document(data, doc)
            except ConversionError as exc:
                errors.append(exc)
                continue
            xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            return XmlOutput(xml, doc.name, plan.version)
        if len(errors) == 1:
            raise errors[0]
        raise ConversionError(
            f"{json_root!r} fits none of the documents {', '.join(d.name for d in candidates)}; pass document=…",
            code="json-ambiguous",
            json_pointer="",
            issues=[i for e in errors for i in e.issues],
        )


# -- one-shot functions ----------------------------------------------------------------


def convert(source: XmlSource, *, options: Options | None = None) -> dict[str, Any]:
    """ST.96 XML → ST.97 JSON as a Python dict (decimals as :class:`~decimal.Decimal`)."""
    return Converter(options=options).xml_to_json(source).data


def to_json(source: XmlSource, *, pretty: bool = False, options: Options | None = None) -> bytes:
    """ST.96 XML → ST.97 JSON bytes (UTF-8)."""
    return dumps_json(convert(source, options=options), pretty=pretty)


def to_xml(data: Any, *, document: str | None = None, options: Options | None = None) -> bytes:
    """ST.97 JSON (a dict, or JSON text/bytes) → ST.96 XML bytes."""
    return Converter(options=options).json_to_xml(data, document=document).xml


# -- validation and round trip ----------------------------------------------------------


def validate_xml(
    source: XmlSource, *, options: Options | None = None, validators: Validators | None = None
) -> list[Issue]:
    """Validate ST.96 XML against its XSD; returns the issues found (empty when valid)."""
    conv = Converter(options=options)
    data = read_xml_source(source, conv.options.limits)
    root = parse_document(data, conv.options.limits)
    plan, doc, _ = conv.select(root.tag, root.get(VERSION_ATTRIBUTE))
    return (validators or default_validators()).check_xml(root, plan.version, doc.name)


def validate_json(
    data: Any, *, document: str | None = None, options: Options | None = None, validators: Validators | None = None
) -> list[Issue]:
    """Validate ST.97 JSON (a dict, or JSON text/bytes) against the generated JSON Schema."""
    conv = Converter(options=options)
    if isinstance(data, (bytes, bytearray, str)):
        data = loads_json(data, conv.options.limits)
    if not isinstance(data, dict) or len(data) != 1:
        return [Issue("json-root", "an ST.97 document is a JSON object with exactly one member", json_pointer="")]
    ((json_root, body),) = data.items()
    declared = body.get("st96Version") if isinstance(body, dict) else None
    version = conv.options.st96_version or (declared if isinstance(declared, str) else None)
    version = version or conv.registry.newest()
    plan = conv.registry.plan(version)
    names = [document] if document else [d.name for d in plan.documents.values() if d.json_root == json_root]
    if not names:
        return [
            Issue(
                "unknown-root",
                f"{json_root!r} is not the root member of any ST.97 document in {plan.version}",
                json_pointer="",
            )
        ]
    v = validators or default_validators()
    best: list[Issue] | None = None
    for name in names:
        issues = v.check_json(data, plan.version, name)
        if not issues:
            return []
        if best is None or len(issues) < len(best):
            best = issues
    return best or []


def roundtrip(
    source: XmlSource, *, options: Options | None = None, validators: Validators | None = None, check_xsd: bool = True
) -> RoundTripReport:
    """XML → JSON → XML → JSON: canonical XML equality, exact JSON equality, both outputs valid."""
    conv = Converter(options=options)
    label = str(source) if not isinstance(source, (bytes, bytearray)) else "<bytes>"
    if isinstance(source, str) and source.lstrip().startswith("<"):
        label = "<string>"
    report = RoundTripReport(source=label)
    v = validators or default_validators()
    try:
        data = read_xml_source(source, conv.options.limits)
        root = parse_document(data, conv.options.limits)
        first = conv.convert_element(root)
        report.document, report.version = first.document, first.version
        report.warnings = list(first.warnings)
        text = dumps_json(first.data)
        reread = loads_json(text, conv.options.limits)
        xml_out = conv.json_to_xml(reread, document=first.document)
        root2 = parse_document(xml_out.xml, conv.options.limits)
        plan = conv.registry.plan(first.version)
        doc = plan.document(first.document)
        diff = CanonicalComparer(plan).first_difference(root, root2, doc.type)
        report.xml_equal = diff is None
        second = conv.convert_element(root2)
        report.json_equal = second.data == reread
        if diff is None and not report.json_equal:
            diff = "JSON → XML → JSON changed the JSON"
        report.first_difference = diff
        json_issues = v.check_json(reread, first.version, first.document)
        report.json_valid = not json_issues
        report.issues.extend(json_issues)
        if check_xsd:
            try:
                xml_issues = v.check_xml(root2, first.version, first.document)
                report.xml_valid = not xml_issues
                report.issues.extend(xml_issues)
            except SchemaNotAvailableError as exc:
                report.warnings.append(exc.issues[0])
    except Xml2JsonError as exc:
        report.issues.extend(exc.issues)
    return report

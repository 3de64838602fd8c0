"""The public API: a reusable :class:`Converter` and one-shot functions on top of it.

Every function that takes a document takes it the same way (:func:`xml2json.io.read_source`):
``bytes`` are the document; a ``str`` is the document when, after white space, it starts with
``<``, ``{`` or ``[`` (or is empty), else a file path; an ``os.PathLike`` (``pathlib.Path``) is a
file path; an object with ``read()`` is a binary file object. The JSON → XML functions also take
JSON already parsed (a ``dict``). Anything else is a :class:`TypeError` saying what is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .config import Options
from .convert.json_to_xml import JsonToXml
from .convert.xml_to_json import XmlToJson
from .errors import ConversionError, DocumentTypeError, Issue, SchemaNotAvailableError, Xml2JsonError
from .io import JsonSource, XmlSource, dumps_json, loads_json, read_json_source, read_xml_source, source_label
from .plan import DocumentPlan, Plan
from .policy import ST96_NAMESPACE_BASE, VERSION_ATTRIBUTE
from .registry import Registry, default_registry
from .roundtrip import SKIPPED_BY_CALLER, CanonicalComparer, RoundTripReport
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

    :meth:`xml_to_json` and :meth:`json_to_xml` return results with their warnings
    (:class:`Conversion`, :class:`XmlOutput`); :meth:`select` and :meth:`json_plan` say which
    compiled version and document type a document is converted with.

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

    # Detection: the version from com:st96Version, the document type from the root element.

    def select(self, root_tag: str, declared: str | None) -> tuple[Plan, DocumentPlan, list[Issue]]:
        """The compiled plan, the document type and the warnings for an XML document whose root
        element is *root_tag* (Clark notation, ``{namespace}Name``) and whose ``com:st96Version``
        is *declared* (``None`` when it has none).

        The version is the one forced by ``options.st96_version`` (a ``version-override``
        warning when the document says another), else the declared one (a
        :class:`SchemaNotAvailableError` ``version-not-compiled`` when it is not compiled), else
        the newest compiled version that has this document type, with a ``no-version`` warning
        naming it. An unknown root is a :class:`DocumentTypeError` ``unknown-root``.
        """
        plan, warnings = self._choose_version(
            declared or None,  # an empty com:st96Version says nothing
            lambda p: root_tag in p.by_root,
            "com:st96Version",
            ("/@com:st96Version", None),
            ("/", None),
        )
        doc = plan.by_root.get(root_tag)
        if doc is None:
            raise self._unknown_root(root_tag, plan)
        return plan, doc, warnings

    def _choose_version(
        self,
        declared: str | None,
        has_document: Callable[[Plan], bool],
        attribute: str,
        at_version: tuple[str | None, str | None],
        at_root: tuple[str | None, str | None],
    ) -> tuple[Plan, list[Issue]]:
        """The version rule, for XML and JSON alike: the version forced by the options (a
        ``version-override`` warning when the document says another), else the declared one
        (``version-not-compiled`` when it is not compiled), else the newest compiled version that
        has the document (*has_document*), with a ``no-version`` warning. *attribute* names the
        version's attribute or member, *at_version* / *at_root* locate the warnings (an XML path,
        a JSON pointer)."""
        forced = self.options.st96_version
        if forced:
            plan = self.registry.plan(forced)
            if declared is not None and declared != forced:
                text = f"document says {declared}; converted with {forced} as requested"
                return plan, [Issue("version-override", text, xml_path=at_version[0], json_pointer=at_version[1])]
            return plan, []
        if declared is not None:
            return self.registry.plan(declared), []
        plan = self._newest_with(has_document)
        text = self._no_version_text(plan, attribute)
        return plan, [Issue("no-version", text, xml_path=at_root[0], json_pointer=at_root[1])]

    def _newest_with(self, has_document: Callable[[Plan], bool]) -> Plan:
        """The plan of the newest compiled version that has the document (*has_document*), for a
        document that does not say its version; the newest version when none has it (its
        ``unknown-root`` error then names that version's document roots)."""
        reg = self.registry
        versions = reg.versions()
        if not versions:
            reg.newest()  # raises no-versions
        for version in reversed(versions):
            plan = reg.plan(version)
            if has_document(plan):
                return plan
        return reg.plan(versions[-1])

    def _no_version_text(self, plan: Plan, attribute: str) -> str:
        newest = self.registry.newest()
        if plan.version == newest:
            return f"the document has no {attribute}; converted with the newest compiled version, {newest}"
        return (
            f"the document has no {attribute}; converted with {plan.version}, the newest compiled version "
            f"that has this document type (the newest compiled version, {newest}, does not have it)"
        )

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

    # XML → JSON

    def xml_to_json(self, source: XmlSource) -> Conversion:
        """Convert one ST.96 XML document (bytes, text, a path or a binary file; see the module
        docstring) to ST.97 JSON; the :class:`Conversion` carries the data and the warnings
        (``no-version``, ``unknown-element``, …)."""
        data = read_xml_source(source, self.options.limits)
        root = parse_document(data, self.options.limits)
        return self.convert_element(root)

    def convert_element(self, root: Any) -> Conversion:
        """Convert an already parsed root element (an ``lxml`` element, e.g. from
        :func:`xml2json.safe.parse_document`) to ST.97 JSON, as :meth:`xml_to_json` does."""
        plan, doc, warnings = self.select(root.tag, root.get(VERSION_ATTRIBUTE))
        out = self.reader(plan).document(root, doc, warnings)
        return Conversion(out, doc.name, plan.version, tuple(warnings))

    def _json_version(self, json_root: str, body: Any) -> tuple[Plan, list[Issue]]:
        declared = body.get("st96Version") if isinstance(body, dict) else None
        return self._choose_version(
            declared if isinstance(declared, str) else None,
            lambda p: any(d.json_root == json_root for d in p.documents.values()),
            "st96Version",
            (None, f"/{json_root}/st96Version"),
            (None, f"/{json_root}"),
        )

    def json_plan(self, json_root: str, body: Any) -> Plan:
        """The plan for an ST.97 document whose one member is *json_root* with value *body*: the
        version forced by the options, else the document's ``st96Version``, else the newest
        compiled version that has a document with that root member."""
        return self._json_version(json_root, body)[0]

    # JSON → XML

    def json_to_xml(self, data: JsonSource, *, document: str | None = None) -> XmlOutput:
        """Convert one ST.97 JSON document — a ``dict``, or JSON bytes, text, a path or a binary
        file (see the module docstring) — to ST.96 XML. *document* names the document type when
        the root member is shared by several (``TMK_TransactionData``). The :class:`XmlOutput`
        carries the XML bytes and the warnings (``no-version`` when the JSON has no
        ``st96Version``)."""
        data = read_json_source(data, self.options.limits)
        if not isinstance(data, dict) or len(data) != 1:
            raise ConversionError(
                "an ST.97 document is a JSON object with exactly one member, named after its root element",
                code="json-root",
                json_pointer="",
            )
        ((json_root, body),) = data.items()
        plan, warnings = self._json_version(json_root, body)
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
            return XmlOutput(xml, doc.name, plan.version, tuple(warnings))
        if len(errors) == 1:
            raise errors[0]
        raise ConversionError(
            f"{json_root!r} fits none of the documents {', '.join(d.name for d in candidates)}; pass document=…",
            code="json-ambiguous",
            json_pointer="",
            issues=[i for e in errors for i in e.issues],
        )


# -- one-shot functions ----------------------------------------------------------------


def convert(
    source: XmlSource, *, options: Options | None = None, warnings: list[Issue] | None = None
) -> dict[str, Any]:
    """ST.96 XML → ST.97 JSON as a Python dict (decimals as :class:`~decimal.Decimal`).

    *source*: bytes, XML text, a file path (``str`` not starting with ``<``, or
    ``pathlib.Path``) or a binary file object (see the module docstring). Pass a list as
    *warnings* to receive the conversion's warnings (``no-version``, ``unknown-element``, …);
    :meth:`Converter.xml_to_json` returns them with the data.
    """
    result = Converter(options=options).xml_to_json(source)
    if warnings is not None:
        warnings.extend(result.warnings)
    return result.data


def to_json(
    source: XmlSource, *, pretty: bool = False, options: Options | None = None, warnings: list[Issue] | None = None
) -> bytes:
    """ST.96 XML → ST.97 JSON bytes (UTF-8); *source* and *warnings* as for :func:`convert`."""
    return dumps_json(convert(source, options=options, warnings=warnings), pretty=pretty)


def to_xml(
    data: JsonSource,
    *,
    document: str | None = None,
    options: Options | None = None,
    warnings: list[Issue] | None = None,
) -> bytes:
    """ST.97 JSON → ST.96 XML bytes.

    *data*: a ``dict``, JSON bytes, JSON text (a ``str`` starting with ``{`` or ``[``), a file
    path (another ``str``, or ``pathlib.Path``) or a binary file object. *warnings* as for
    :func:`convert`.
    """
    result = Converter(options=options).json_to_xml(data, document=document)
    if warnings is not None:
        warnings.extend(result.warnings)
    return result.xml


# -- validation and round trip ----------------------------------------------------------


def validate_xml(
    source: XmlSource,
    *,
    options: Options | None = None,
    validators: Validators | None = None,
    warnings: list[Issue] | None = None,
) -> list[Issue]:
    """Validate ST.96 XML against its XSD; returns the issues found (empty when valid).

    *source* and *warnings* as for :func:`convert`.
    """
    conv = Converter(options=options)
    data = read_xml_source(source, conv.options.limits)
    root = parse_document(data, conv.options.limits)
    plan, doc, found = conv.select(root.tag, root.get(VERSION_ATTRIBUTE))
    if warnings is not None:
        warnings.extend(found)
    return (validators or default_validators()).check_xml(root, plan.version, doc.name)


def validate_json(
    data: JsonSource,
    *,
    document: str | None = None,
    options: Options | None = None,
    validators: Validators | None = None,
) -> list[Issue]:
    """Validate ST.97 JSON against the generated JSON Schema; returns the issues found (empty
    when valid). *data* as for :func:`to_xml` (a dict, JSON bytes or text, a path, a binary
    file); JSON that cannot be read raises (:class:`MalformedJSONError`, …)."""
    conv = Converter(options=options)
    data = read_json_source(data, conv.options.limits)
    if not isinstance(data, dict) or len(data) != 1:
        return [Issue("json-root", "an ST.97 document is a JSON object with exactly one member", json_pointer="")]
    ((json_root, body),) = data.items()
    plan = conv.json_plan(json_root, body)
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
    source: XmlSource,
    *,
    options: Options | None = None,
    validators: Validators | None = None,
    check_xsd: bool = True,
    check_json: bool = True,
) -> RoundTripReport:
    """XML → JSON → XML → JSON: canonical XML equality, exact JSON equality, both outputs valid.

    *source* as for :func:`convert`; problems are in the report (not raised). *check_json* /
    *check_xsd* false skip the JSON Schema / XSD validation (losslessness alone); the report's
    ``json_skipped`` / ``xsd_skipped`` say why a check was skipped (asked, or no XSD)."""
    conv = Converter(options=options)
    report = RoundTripReport(source=source_label(source))
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
        comparison = CanonicalComparer(plan).compare(root, root2, doc.type)
        diff = comparison.difference
        report.xml_equal = diff is None
        report.relaxations = comparison.relaxations
        second = conv.convert_element(root2)
        report.json_equal = second.data == reread
        if diff is None and not report.json_equal:
            diff = "JSON → XML → JSON changed the JSON"
        report.first_difference = diff
        if check_json:
            json_issues = v.check_json(reread, first.version, first.document)
            report.json_valid = not json_issues
            report.issues.extend(json_issues)
        else:
            report.json_skipped = SKIPPED_BY_CALLER
        if check_xsd:
            try:
                xml_issues = v.check_xml(root2, first.version, first.document)
                report.xml_valid = not xml_issues
                report.issues.extend(xml_issues)
            except SchemaNotAvailableError as exc:
                report.warnings.append(exc.issues[0])
                report.xsd_skipped = f"no XSD for ST.96 {first.version}"
        else:
            report.xsd_skipped = SKIPPED_BY_CALLER
    except Xml2JsonError as exc:
        report.issues.extend(exc.issues)
    return report

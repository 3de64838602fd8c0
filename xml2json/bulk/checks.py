"""Per-record data-quality checks of a bulk run (docs/bulk.md, "Checking data quality").

A :class:`RecordChecker` checks one converted unit — a record element in records mode, the whole
document otherwise — while its XML element is still in memory (the streaming reader calls it
before it clears the element, :func:`.records.stream_document`):

* ``json``: the unit's JSON against the ST.97 JSON Schema of its type (``Record.type``, a
  ``$defs`` key of the document's schema). With jsonschema-rs installed its own error iteration
  writes the issue list (it finds the same (pointer, keyword) pairs as ``jsonschema``;
  tests/test_bulk_quality.py checks that on the real records); otherwise, and for a unit
  jsonschema-rs cannot take (non-JSON values, see :mod:`xml2json.fastvalidate`), ``jsonschema``;
* ``xsd``: the unit's element against its global declaration in the ST.96 XSD of the document
  (libxml2, via :class:`xml2json.validate.Validators`);
* ``roundtrip``: the unit's JSON written back to XML (:class:`~xml2json.convert.json_to_xml.JsonToXml`)
  and compared with the original element by :func:`xml2json.roundtrip.compare_xml` (the exact
  comparer: a difference, and each documented relaxation it needed, is an issue).

Each finding is a :class:`Finding`: the check, the category (:data:`xml2json.policy.QUALITY_CATEGORIES`,
told from the checker's own detail: the JSON Schema keyword, libxml2's error type, the
conversion warning's code), the schema path (positions removed) and the :class:`Issue`.
Validators are made once per process and settings (:func:`checker_for`).
"""

from __future__ import annotations

import re
import threading
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lxml import etree

from ..api import Converter
from ..errors import Issue, SchemaNotAvailableError, Xml2JsonError
from ..plan import Plan, TypePlan
from ..policy import (
    JSON_KEYWORD_CATEGORY,
    QUALITY_CHECKS,
    QUALITY_CLEAN_RELAXATIONS,
    RECORD_ID_DEPTH,
    RECORD_ID_KEYS,
    WARNING_CATEGORY,
    XSD_ERROR_CATEGORY,
    XSD_MISSING_CHILD,
)

#: Issue codes, one per check (the check is told by the code).
JSON_CODE = "json-schema-invalid"
XSD_CODE = "xsd-invalid"
ROUNDTRIP_DIFFERENCE = "roundtrip-difference"
ROUNDTRIP_RELAXATION = "roundtrip-relaxation"
#: The checks a run may ask for (``convert`` always runs).
VALIDATIONS = ("json", "xsd")
#: At most this many issues per check and unit are kept (the rest of a unit's issues of that
#: check are not listed: the unit is counted with issues all the same).
MAX_PER_CHECK = 100
#: The code of the finding that counts a unit's issues of one check beyond :data:`MAX_PER_CHECK`.
OVER_CAP = "issues-over-cap"
#: Messages longer than this are cut (quality.json keeps examples short).
MAX_MESSAGE = 300

_POSITION = re.compile(r"\[\d+\]")
_INDEX_STEP = re.compile(r"/\d+(?=/|$)")


def normalize_validate(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``"json"``, ``"xsd"``, ``"both"``, a sequence of them, or None/``()`` → the checks in
    report order. Raises ``ValueError`` with a message for people for anything else."""
    accepted = '"json", "xsd", "both", a list of them, or None'
    if value is None:
        return ()
    if isinstance(value, str):
        items = [value]
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, dict)):
        items = list(value)
    else:
        raise ValueError(f"validate takes {accepted}, not {type(value).__name__} {value!r}")
    out: set[str] = set()
    for item in items:
        if item == "both":
            out.update(VALIDATIONS)
        elif isinstance(item, str) and item in VALIDATIONS:
            out.add(item)
        else:
            raise ValueError(f"unknown check {item!r}: validate takes {accepted}")
    return tuple(c for c in VALIDATIONS if c in out)


def xml_schema_path(path: str | None) -> str:
    """An XML path with every position index removed."""
    return _POSITION.sub("", path or "")


def json_schema_path(pointer: str | None) -> str:
    """A JSON pointer with every array index removed (``/a/0/b`` → ``/a/b``)."""
    return _INDEX_STEP.sub("", pointer or "")


def _cut(message: str) -> str:
    return message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."


@dataclass(frozen=True, slots=True)
class Finding:
    """One issue a check found in a unit: the *check* (``convert``, ``json``, ``xsd``,
    ``roundtrip``), its *category* and *path* (a schema path from the unit's element or JSON
    member, positions removed) for the report, and the :class:`Issue` (paths with positions)."""

    check: str
    category: str
    path: str
    issue: Issue
    #: True for a finding that does not make its unit "with issues": a round-trip relaxation of
    #: a kind in :data:`~xml2json.policy.QUALITY_CLEAN_RELAXATIONS` (the converter's own)
    benign: bool = False
    #: > 0 for the one finding (code ``issues-over-cap``) that says how many issues of its check
    #: the unit had beyond :data:`MAX_PER_CHECK`: they are not listed, and counted only here
    more: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The envelope's form: the issue's fields with ``check`` and ``category``."""
        return {"check": self.check, "category": self.category, **self.issue.to_dict()}


def warning_findings(warnings: Iterable[Issue], depth: int) -> list[Finding]:
    """Conversion warnings as ``convert`` findings; *depth*: the number of leading steps of
    their XML paths (from the document root) above the unit's element."""
    out = []
    for w in warnings:
        path = xml_schema_path(w.xml_path)
        if depth and path:
            path = "/" + "/".join(path.split("/")[depth + 1 :])
        out.append(Finding("convert", WARNING_CATEGORY.get(w.code, "other"), path, w))
    return out


def record_id(data: Any) -> str | None:
    """``"<JSON key> <value>"`` for the first key of :data:`~xml2json.policy.RECORD_ID_KEYS`
    that *data* (a unit's JSON) holds within :data:`~xml2json.policy.RECORD_ID_DEPTH` levels
    (its shallowest occurrence; an array: its first item), else None."""
    found: dict[str, Any] = {}
    level = [data]
    for _ in range(RECORD_ID_DEPTH):
        nxt: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in RECORD_ID_KEYS and k not in found:
                        found[k] = v
                    if isinstance(v, (dict, list)):
                        nxt.append(v)
            elif isinstance(node, list):
                nxt.extend(v for v in node if isinstance(v, (dict, list)))
        if not nxt:
            break
        level = nxt
    for k in RECORD_ID_KEYS:
        v = found.get(k)
        while isinstance(v, list) and v:
            v = v[0]
        if isinstance(v, dict):
            v = v.get("value")
        if isinstance(v, (str, int)) and not isinstance(v, bool):
            return f"{k} {v}"
    return None


# -- JSON Schema ---------------------------------------------------------------------------------


class _JsonCheck:
    """The JSON Schema of one record type, compiled for jsonschema-rs (None when it is not
    installed or cannot compile it) and, lazily, for ``jsonschema``."""

    def __init__(self, schema: dict[str, Any], fast: bool) -> None:
        self.schema = schema
        self.rs: Any = None
        if fast:
            from .. import fastvalidate as fv

            rs = fv._jsonschema_rs()
            if rs is not None:
                try:
                    self.rs = rs.Draft202012Validator(
                        fv._mark_integers(fv._rust_schema(schema)), keywords={fv.PY_INTEGER_KEYWORD: fv._PyInteger}
                    )
                except (fv._Unsupported, ValueError, rs.ValidationError):
                    self.rs = None
        self._py: Any = None
        # the record's own properties when its type's root can be checked without the members
        # it does not declare (see _root_unexpected), else None
        self._known: frozenset[str] | None = None
        self._unexpected: Any = None
        if self.rs is not None:
            self._known = _known_members(schema)
            if self._known is not None:
                # with properties (any: the stand-in holds no declared member), as the record's
                # type: {"additionalProperties": false} alone rejects each member on its own
                stand_in = {"properties": dict.fromkeys(self._known, True), "additionalProperties": False}
                self._unexpected = rs.Draft202012Validator(stand_in)

    def count(self, value: Any) -> int:
        """The number of errors in *value*, all of them (for a unit with more than the cap)."""
        if self.rs is not None:
            try:
                return sum(1 for _ in self.rs.iter_errors(value))
            except (ValueError, TypeError, OverflowError, UnicodeError):
                pass
        return sum(1 for _ in self.py().iter_errors(value))

    def py(self) -> Any:
        if self._py is None:
            from jsonschema import Draft202012Validator

            self._py = Draft202012Validator(self.schema)
        return self._py

    def errors(self, value: Any) -> list[tuple[str, str, str]]:
        """(pointer, keyword, message) of every error, at most :data:`MAX_PER_CHECK`."""
        out: list[tuple[str, str, str]] = []
        # no plain_json pre-scan (fastvalidate): *value* is the converter's own output — string
        # keys, no lone surrogates (XML cannot carry them), numbers as int or finite Decimal —
        # and a value jsonschema-rs cannot take raises, which hands it to the reference below
        if self.rs is not None:
            try:
                if self._known is not None and isinstance(value, dict):
                    fast = self._root_unexpected(value)
                    if fast is not None:
                        return fast
                if self.rs.is_valid(value):
                    return out
                for err in self.rs.iter_errors(value):
                    out.append((_pointer(err.instance_path), _keyword(err.schema_path), err.message))
                    if len(out) >= MAX_PER_CHECK:
                        break
                return out
            except (ValueError, TypeError, OverflowError, UnicodeError):
                out = []  # the reference decides
        for e in self.py().iter_errors(value):
            out.append((_pointer(e.absolute_path), str(e.validator), e.message))
            if len(out) >= MAX_PER_CHECK:
                break
        return out

    def _root_unexpected(self, value: dict[str, Any]) -> list[tuple[str, str, str]] | None:
        """The errors of a record with members its type does not declare, or None: ask the
        validator as usual.

        jsonschema-rs reports those members in one ``additionalProperties`` error whose instance
        is the whole record, converted to a Rust value, written out and converted back to Python
        objects (a third of the error iteration of a real USPTO record). Its validator of
        ``properties`` with ``additionalProperties: false`` walks the members in order, collects
        their errors and adds that one last. So: the errors of the record without those members
        (the same members in the same order, so the same errors in the same order), then the
        ``additionalProperties`` error of a stand-in record holding only those members (the
        same message). Taken only where that order is certain: the type's other keywords look
        at declared members only (:func:`_known_members`), and the record without the undeclared
        members has no error at its root (else None: the full iteration decides)."""
        known = self._known
        assert known is not None
        if all(k in known for k in value):
            return None
        inner = {k: v for k, v in value.items() if k in known}
        out: list[tuple[str, str, str]] = []
        for err in self.rs.iter_errors(inner):
            if not err.instance_path:
                return None
            if len(out) < MAX_PER_CHECK:
                out.append((_pointer(err.instance_path), _keyword(err.schema_path), err.message))
        if len(out) < MAX_PER_CHECK:
            stand_in = {k: None for k in value if k not in known}
            for err in self._unexpected.iter_errors(stand_in):
                out.append(("", _keyword(err.schema_path), err.message))
        return out


#: Keywords that never fail.
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "deprecated"})


def _known_members(schema: dict[str, Any]) -> frozenset[str] | None:
    """The members a record type declares when its schema (``{"$ref": "#/$defs/<type>",
    "$defs": …}``) is an object with ``properties`` and ``additionalProperties: false`` whose
    other keywords only ask whether declared members are present — ``required``, ``allOf``
    of ``required``, ``anyOf``/``oneOf`` of ``required`` and ``properties`` of booleans: their
    errors are then at the record's root and do not change when undeclared members are left
    out. Else None."""
    ref, defs = schema.get("$ref"), schema.get("$defs")
    if set(schema) - {"$schema", "$ref", "$defs"} or not isinstance(defs, dict):
        return None
    if not isinstance(ref, str) or not ref.startswith("#/$defs/"):
        return None
    t = defs.get(ref[len("#/$defs/") :])
    if not isinstance(t, dict) or t.get("type") != "object" or t.get("additionalProperties") is not False:
        return None
    props = t.get("properties")
    if not isinstance(props, dict) or "patternProperties" in t:
        return None
    known = frozenset(props)
    for k, v in t.items():
        if k in ("type", "properties", "additionalProperties") or k in _ANNOTATIONS:
            continue
        if not _presence({k: v}, known, booleans=False):
            return None
    return known


def _declared(names: Any, known: frozenset[str]) -> bool:
    return isinstance(names, list) and all(isinstance(n, str) and n in known for n in names)


def _presence(node: Any, known: frozenset[str], *, booleans: bool) -> bool:
    """*node* only asks whether declared members are present (``required``, ``allOf``,
    ``anyOf``, ``oneOf`` of such; with *booleans* — inside an ``anyOf``/``oneOf``, whose errors
    are one error at the root — also ``properties`` of ``true``/``false``)."""
    if not isinstance(node, dict):
        return False
    for k, v in node.items():
        if k == "required":
            ok = _declared(v, known)
        elif k == "allOf":
            ok = isinstance(v, list) and all(_presence(x, known, booleans=booleans) for x in v)
        elif k in ("anyOf", "oneOf"):
            ok = isinstance(v, list) and all(_presence(x, known, booleans=True) for x in v)
        elif k == "properties" and booleans:
            ok = isinstance(v, dict) and all(n in known and isinstance(x, bool) for n, x in v.items())
        else:
            ok = k in _ANNOTATIONS
        if not ok:
            return False
    return True


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _keyword(schema_path: Sequence[Any]) -> str:
    for step in reversed(schema_path):
        if isinstance(step, str):
            return step
    return ""


# -- XSD -------------------------------------------------------------------------------------------


def xsd_category(type_name: str, message: str) -> str:
    """The category of one libxml2 schema-validation error."""
    if "st96Version" in message:
        return "wrong-version"
    if type_name in ("SCHEMAV_ELEMENT_CONTENT", "SCHEMAV_CVC_COMPLEX_TYPE_2_4") and XSD_MISSING_CHILD in message:
        return "missing-required"
    return XSD_ERROR_CATEGORY.get(type_name, "other")


def require_xsd(version: str, validators: Any) -> None:
    """Raise :class:`SchemaNotAvailableError` ``xsd-not-available`` now when no ST.96 *version*
    XSD can be found where :func:`xml2json.validate.find_xsd` looks (checked once, before a run
    that validates against the XSD)."""
    from ..validate import _xsd_dirs

    for d in _xsd_dirs(validators.xsd_dirs, validators.registry, version):
        if d.is_dir() and next(d.rglob(f"*_{version}.xsd"), None) is not None:
            return
    raise SchemaNotAvailableError(
        f"no ST.96 {version} XSD is available for XML validation; point $XML2JSON_XSD_PATH at an "
        f"ST.96 {version} bundle folder, or register the bundle in the user cache",
        code="xsd-not-available",
    )


class RecordChecker:
    """The checks of one run (or one :func:`~xml2json.bulk.iter_records` call) on each unit.
    Made once per process and settings (:func:`checker_for`); thread-safe caches."""

    def __init__(self, converter: Converter, validate: Sequence[str], roundtrip: bool) -> None:
        from ..fastvalidate import available
        from ..validate import default_validators

        self.converter = converter
        self.validate = tuple(validate)
        self.roundtrip = roundtrip
        self.validators = default_validators()
        self.fast = available()
        self._json: dict[tuple[str, str, str], _JsonCheck] = {}
        self._lock = threading.Lock()

    @property
    def checks(self) -> tuple[str, ...]:
        """The checks this checker runs, in report order (``convert`` always)."""
        asked = {"convert", *self.validate, *(("roundtrip",) if self.roundtrip else ())}
        return tuple(c for c in QUALITY_CHECKS if c in asked)

    @property
    def json_backend(self) -> str | None:
        if "json" not in self.validate:
            return None
        return "jsonschema-rs" if self.fast else "jsonschema"

    def json_check(self, version: str, document: str, type_key: str | None) -> _JsonCheck:
        key = (version, document, type_key or "")
        with self._lock:
            jc = self._json.get(key)
            if jc is None:
                schema = self.converter.registry.schema(version, document)
                if type_key:  # docs/bulk.md, "The envelope": the record's type under $defs
                    schema = {"$schema": schema.get("$schema"), "$ref": "#/$defs/" + type_key, "$defs": schema["$defs"]}
                jc = self._json[key] = _JsonCheck(schema, self.fast)
            return jc

    # -- the checks of one unit --------------------------------------------------------------

    def check(
        self,
        el: Any,
        value: Any,
        plan: Plan,
        document: str,
        tp: TypePlan,
        *,
        type_key: str | None,
        json_name: str,
    ) -> list[Finding]:
        """The findings of the validations and the round trip for one unit: *el* its XML
        element, *value* its JSON value (the member *json_name* of the record's data; for a
        whole document, *type_key* is None and *value* the document's JSON)."""
        out: list[Finding] = []
        if "json" in self.validate:
            jc = self.json_check(plan.version, document, type_key)
            errors = jc.errors(value)
            for ptr, kw, msg in errors:
                full = ptr if type_key is None else "/" + json_name + ptr
                out.append(
                    Finding(
                        "json",
                        JSON_KEYWORD_CATEGORY.get(kw, "other"),
                        json_schema_path(full),
                        Issue(JSON_CODE, _cut(msg), json_pointer=full),
                    )
                )
            if len(errors) >= MAX_PER_CHECK:  # count the ones not listed (a rare, costly case)
                more = jc.count(value) - len(errors)
                if more > 0:
                    out.append(over_cap("json", more))
        if "xsd" in self.validate:
            out.extend(self._xsd(el, plan, document))
        if self.roundtrip:
            out.extend(self._roundtrip(el, value, plan, tp, whole=type_key is None))
        return out

    def _xsd(self, el: Any, plan: Plan, document: str) -> list[Finding]:
        schema = self.validators.xsd(plan.version, document)
        with self._lock:  # one XMLSchema object: its error log is per call
            if schema.validate(el):
                return []
            every = list(schema.error_log)  # type: ignore[call-overload]
        errors = every[:MAX_PER_CHECK]
        nsmap = el.nsmap
        out = []
        for e in errors:
            path = _canonical_xpath(e.path or "", nsmap, plan)
            out.append(
                Finding(
                    "xsd",
                    xsd_category(e.type_name, e.message),
                    xml_schema_path(path),
                    Issue(XSD_CODE, _cut(e.message), xml_path=path or None, line=e.line or None),
                )
            )
        if len(every) > len(errors):
            out.append(over_cap("xsd", len(every) - len(errors)))
        return out

    def _roundtrip(self, el: Any, value: Any, plan: Plan, tp: TypePlan, *, whole: bool) -> list[Finding]:
        from ..convert.json_to_xml import _PathError
        from ..roundtrip import compare_xml

        writer = self.converter.writer(plan)
        try:
            if whole:
                doc = plan.by_root.get(el.tag)
                if doc is None:
                    raise _PathError("unknown-root", f"no document type for {el.tag}")
                back = writer.document(value, doc)
            else:
                back = etree.Element(el.tag, nsmap=writer.nsmap)
                writer.fill(back, value, tp, 1)
                etree.cleanup_namespaces(back)
        except _PathError as exc:
            name = "/" + _name(el.tag, plan)
            return [
                Finding(
                    "roundtrip",
                    "roundtrip-difference",
                    name,
                    Issue(ROUNDTRIP_DIFFERENCE, _cut(f"cannot be written back: {exc.message}"), xml_path=name),
                )
            ]
        except Xml2JsonError as exc:
            first = exc.issues[0]
            name = "/" + _name(el.tag, plan)
            return [
                Finding(
                    "roundtrip",
                    "roundtrip-difference",
                    name,
                    Issue(ROUNDTRIP_DIFFERENCE, _cut(f"cannot be written back: {first.message}"), xml_path=name),
                )
            ]
        cmp = compare_xml(plan, el, back, tp)
        out = []
        if cmp.difference is not None:
            where = _difference_path(cmp.difference)
            out.append(
                Finding(
                    "roundtrip",
                    "roundtrip-difference",
                    xml_schema_path(where),
                    Issue(ROUNDTRIP_DIFFERENCE, _cut(cmp.difference), xml_path=where or None),
                )
            )
        for r in cmp.relaxations:
            out.append(
                Finding(
                    "roundtrip",
                    "roundtrip-relaxation",
                    xml_schema_path(r.xml_path),
                    Issue(ROUNDTRIP_RELAXATION, _cut(str(r)), xml_path=r.xml_path),
                    benign=r.kind in QUALITY_CLEAN_RELAXATIONS,
                )
            )
        return out


def over_cap(check: str, more: int) -> Finding:
    """The finding that says a unit had *more* issues of *check* than are listed (see
    :attr:`Finding.more`)."""
    return Finding(
        check,
        "other",
        "",
        Issue(OVER_CAP, f"{more} more {check} issue(s) in this unit are not listed (at most {MAX_PER_CHECK} are)"),
        more=more,
    )


def _name(tag: str, plan: Plan) -> str:
    if tag.startswith("{"):
        ns, local = tag[1:].split("}")
        prefix = plan.prefix_of.get(ns)
        return f"{prefix}:{local}" if prefix else local
    return tag


_STEP = re.compile(r"^(?:([A-Za-z_][\w.-]*):)?([\w.-]+|\*)(.*)$")


def _canonical_xpath(path: str, nsmap: dict[str | None, str], plan: Plan) -> str:
    """libxml2's node path (the document's own prefixes) with the plan's prefixes, so that paths
    of documents that chose other prefixes aggregate."""
    if not path.startswith("/"):
        return path
    steps = []
    for step in path[1:].split("/"):
        m = _STEP.match(step)
        if m is None:
            steps.append(step)
            continue
        prefix, local, rest = m.groups()
        ns = nsmap.get(prefix) if prefix else None
        canon = plan.prefix_of.get(ns) if ns else None
        steps.append(f"{canon or prefix}:{local}{rest}" if (canon or prefix) else f"{local}{rest}")
    return "/" + "/".join(steps)


def _difference_path(difference: str) -> str:
    """The XML path a comparer's difference starts with (``/a:B/a:C[2]: …``), else ``""``."""
    head = difference.split(": ", 1)[0].split(" ", 1)[0]
    return head if head.startswith("/") else ""


def with_findings(rec: Any, findings: Sequence[Finding]) -> Any:
    """*rec* (a :class:`~.records.Record`) with *findings* added to its ``issues``."""
    return replace(rec, issues=(*rec.issues, *findings)) if findings else rec


_LOCK = threading.Lock()
#: Each converter's checkers by settings; a converter that is gone takes its checkers with it.
_CHECKERS: weakref.WeakKeyDictionary[Converter, dict[tuple[tuple[str, ...], bool], RecordChecker]] = (
    weakref.WeakKeyDictionary()
)


def checker_for(converter: Converter, validate: Sequence[str], roundtrip: bool) -> RecordChecker | None:
    """This process's checker for *converter* (a long-lived one: :func:`.runtime.converter_for`)
    and the settings (None when nothing is checked); validators are compiled once per process."""
    if not validate and not roundtrip:
        return None
    key = (tuple(validate), roundtrip)
    with _LOCK:
        mine = _CHECKERS.setdefault(converter, {})
        chk = mine.get(key)
        if chk is None:
            chk = mine[key] = RecordChecker(converter, validate, roundtrip)
        return chk


__all__ = [
    "JSON_CODE",
    "OVER_CAP",
    "ROUNDTRIP_DIFFERENCE",
    "ROUNDTRIP_RELAXATION",
    "XSD_CODE",
    "Finding",
    "RecordChecker",
    "checker_for",
    "json_schema_path",
    "normalize_validate",
    "record_id",
    "require_xsd",
    "warning_findings",
    "xml_schema_path",
    "xsd_category",
]

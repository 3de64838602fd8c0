"""One rooted exception tree with structured issue records.

Every error the library raises derives from :class:`Xml2JsonError`. Each error
carries one or more :class:`Issue` records (stable ``code``, ``xml_path``,
``line``, ``json_pointer``, ``message``) so that callers can act on them
programmatically; only the CLI formats them for humans.

Tree::

    Xml2JsonError
    ├── ConfigError                 bad option values, unknown document names
    ├── SchemaError                 anything about XSD bundles and compiled schemas
    │   ├── BundleError             missing/broken bundle, missing import, network attempt
    │   ├── SchemaCompileError      the compiler met something it cannot map
    │   │   └── PatternTranslationError
    │   └── SchemaNotAvailableError no compiled schema for a version / document
    ├── InputError                  the data given to a conversion (and unreadable input files)
    │   ├── UnsafeXMLError          entities, DTDs, external references, limits exceeded
    │   ├── MalformedXMLError       not well-formed XML
    │   ├── MalformedJSONError      not valid JSON
    │   ├── DocumentTypeError       wrong/unknown root element or version
    │   ├── UnknownContentError     (strict mode) content the schema does not know
    │   └── ConversionError         a value or structure that cannot be mapped
    └── OutputError                 a result cannot be written where it was asked for

Validation failures are not errors: ``validate_xml``/``validate_json``/``roundtrip`` return
:class:`Issue` lists and reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Issue:
    """One structured finding: an error, or a warning when returned in a result. *line* and
    *column* (1-based, when the parser knows it) locate it in the XML text; the message itself
    never repeats them."""

    code: str
    message: str
    xml_path: str | None = None
    line: int | None = None
    json_pointer: str | None = None
    column: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields that are set, in field order (as ``dataclasses.asdict`` without the Nones,
        built directly: a bulk run writes one per warning of every record)."""
        out: dict[str, Any] = {}
        for k, v in (
            ("code", self.code),
            ("message", self.message),
            ("xml_path", self.xml_path),
            ("line", self.line),
            ("json_pointer", self.json_pointer),
            ("column", self.column),
        ):
            if v is not None:
                out[k] = v
        return out

    def __str__(self) -> str:  # plain, for logs; the CLI has its own formatter
        where = []
        if self.xml_path:
            where.append(self.xml_path)
        if self.line is not None:
            where.append(f"line {self.line}" + (f", column {self.column}" if self.column is not None else ""))
        if self.json_pointer is not None:
            where.append(f"json {self.json_pointer or '/'}")
        loc = f" [{', '.join(where)}]" if where else ""
        return f"{self.code}: {self.message}{loc}"


class Xml2JsonError(Exception):
    """Base of every error raised by xml2json.

    ``issues`` holds one or more :class:`Issue` records; ``code`` is the first one's stable
    code. Catch this class to catch everything the library raises on purpose.
    """

    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        xml_path: str | None = None,
        line: int | None = None,
        json_pointer: str | None = None,
        issues: Sequence[Issue] | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        first = Issue(
            code=code or self.default_code,
            message=message,
            xml_path=xml_path,
            line=line,
            json_pointer=json_pointer,
            column=column,
        )
        self.issues: tuple[Issue, ...] = tuple(issues) if issues else (first,)

    @property
    def code(self) -> str:
        return self.issues[0].code

    def __str__(self) -> str:
        return (
            str(self.issues[0])
            if len(self.issues) == 1
            else (f"{self.message} ({len(self.issues)} issues; first: {self.issues[0]})")
        )


class ConfigError(Xml2JsonError):
    """An option or argument the library cannot use: a limit that is not a positive integer, an
    unknown engine, inputs that match nothing, a folder that holds no data-quality report.
    Codes: ``config-limits``, ``usage``, ``no-input``, ``not-bulk-output``, ``no-quality-report``,
    ``run-not-finished``.
    """

    default_code = "config"


class SchemaError(Xml2JsonError):
    """Base of every problem with schemas, bundles and compiled plans: there is nothing to
    convert or validate with. Codes of its own: ``plan-unreadable``, ``plan-format``,
    ``plan-version-mismatch``; see the subclasses.
    """

    default_code = "schema"


class BundleError(SchemaError):
    """An ST.96 XSD bundle (folder, zip or download) is missing, broken, unsafe or not what was
    asked for. Raised by ``schema build|fetch|generate``. Codes: ``bundle-missing``,
    ``bundle-format``, ``bundle-broken``, ``bundle-no-root``, ``bundle-limit``,
    ``bundle-unsafe-path``, ``fetch-failed``, ``fetch-not-found``, ``fetch-corrupt``,
    ``fetch-too-large``.
    """

    default_code = "bundle"


class SchemaCompileError(SchemaError):
    """The schema compiler met an XSD construct it cannot map to ST.97 JSON.
    Codes: ``compile``, ``compile-facet``.
    """

    default_code = "compile"


class PatternTranslationError(SchemaCompileError):
    """An XSD ``pattern`` facet that cannot be translated to ECMA-262."""

    default_code = "pattern-untranslatable"

    def __init__(self, message: str, *, pattern: str, code: str | None = None) -> None:
        super().__init__(f"{message}: {pattern!r}", code=code)
        self.pattern = pattern


class SchemaNotAvailableError(SchemaError):
    """No compiled schema (or no XSD) for the version or document asked for. Raised when
    a document's ``com:st96Version`` is not compiled, a document type is unknown, or XSD
    validation has no XSDs. Codes: ``version-not-compiled``, ``bad-version``, ``no-versions``,
    ``unknown-document``, ``xsd-not-available``, ``xsd-network``.
    """

    default_code = "schema-not-available"


class InputError(Xml2JsonError):
    """Base of every problem with the data given to a conversion or check. Raised directly
    for an input that cannot be read (code ``io``), a broken archive (``malformed-zip``,
    ``malformed-gzip``), a data-quality report that is not one (``quality-format``) or a file the
    JSON → XML reader cannot take (``not-json``: a zip, XML, a gzip partition); see the
    subclasses for the rest.
    """

    default_code = "input"


class UnsafeXMLError(InputError):
    """The input is refused for safety: a DOCTYPE or entity, or a resource limit exceeded.
    Codes: ``unsafe-doctype``, ``unsafe-entity``, ``limit-document-size``, ``limit-depth``,
    ``limit-elements``, ``limit-attributes``, ``limit-text-size``, ``limit-decompressed-size``,
    ``limit-compression-ratio``, ``unsafe-zip-*``.
    """

    default_code = "unsafe-xml"


class MalformedXMLError(InputError):
    """The input is not well-formed XML, or its encoding cannot be read.
    Codes: ``malformed-xml``, ``xml-encoding``.
    """

    default_code = "malformed-xml"


class MalformedJSONError(InputError):
    """The input is not JSON the library accepts: a syntax error, a duplicate member,
    NaN/Infinity, not UTF-8, too deep or a number too long. Codes: ``malformed-json``,
    ``json-duplicate-key``, ``json-nan``, ``json-encoding``, ``limit-json-depth``,
    ``limit-json-number``.
    """

    default_code = "malformed-json"


class DocumentTypeError(InputError):
    """The root is not a document type of the version: an unknown root element (XML) or root
    member (JSON). Code: ``unknown-root``.
    """

    default_code = "document-type"


class UnknownContentError(InputError):
    """Strict mode only: content the schema does not know (an office extension, an older
    name). Codes: ``unknown-element``, ``unknown-attribute``, ``unknown-member``.
    """

    default_code = "unknown-content"


class ConversionError(InputError):
    """A value or structure that cannot be mapped: a value that does not fit its type in
    strict mode, a JSON document that is not one object with one member, a member in the
    wrong shape. Codes: ``conversion``, ``json-root``, ``json-ambiguous``, ``invalid-value``.
    """

    default_code = "conversion"


class OutputError(Xml2JsonError):
    """A result cannot be written where it was asked for: the folder of an output file does not
    exist, the output names a folder, or the write itself failed (permissions, disk full).
    Codes: ``output-folder-missing``, ``output-is-folder``, ``output-write``, ``output-not-folder``
    (an output folder that is a file)."""

    default_code = "output"

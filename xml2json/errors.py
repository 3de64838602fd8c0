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
    ├── InputError                  the data given to a conversion
    │   ├── UnsafeXMLError          entities, DTDs, external references, limits exceeded
    │   ├── MalformedXMLError       not well-formed XML
    │   ├── MalformedJSONError      not valid JSON
    │   ├── DocumentTypeError       wrong/unknown root element or version
    │   ├── UnknownContentError     (strict mode) content the schema does not know
    │   └── ConversionError         a value or structure that cannot be mapped

Validation failures are not errors: ``validate_xml``/``validate_json``/``roundtrip`` return
:class:`Issue` lists and reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Issue:
    """One structured finding: an error, or a warning when returned in a result."""

    code: str
    message: str
    xml_path: str | None = None
    line: int | None = None
    json_pointer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    def __str__(self) -> str:  # plain, for logs; the CLI has its own formatter
        where = []
        if self.xml_path:
            where.append(self.xml_path)
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.json_pointer is not None:
            where.append(f"json {self.json_pointer or '/'}")
        loc = f" [{', '.join(where)}]" if where else ""
        return f"{self.code}: {self.message}{loc}"


class Xml2JsonError(Exception):
    """Base of every error raised by xml2json."""

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
    ) -> None:
        super().__init__(message)
        self.message = message
        first = Issue(
            code=code or self.default_code,
            message=message,
            xml_path=xml_path,
            line=line,
            json_pointer=json_pointer,
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
    default_code = "config"


class SchemaError(Xml2JsonError):
    default_code = "schema"


class BundleError(SchemaError):
    default_code = "bundle"


class SchemaCompileError(SchemaError):
    default_code = "compile"


class PatternTranslationError(SchemaCompileError):
    """An XSD ``pattern`` facet that cannot be translated to ECMA-262."""

    default_code = "pattern-untranslatable"

    def __init__(self, message: str, *, pattern: str, code: str | None = None) -> None:
        super().__init__(f"{message}: {pattern!r}", code=code)
        self.pattern = pattern


class SchemaNotAvailableError(SchemaError):
    default_code = "schema-not-available"


class InputError(Xml2JsonError):
    default_code = "input"


class UnsafeXMLError(InputError):
    default_code = "unsafe-xml"


class MalformedXMLError(InputError):
    default_code = "malformed-xml"


class MalformedJSONError(InputError):
    default_code = "malformed-json"


class DocumentTypeError(InputError):
    default_code = "document-type"


class UnknownContentError(InputError):
    default_code = "unknown-content"


class ConversionError(InputError):
    default_code = "conversion"

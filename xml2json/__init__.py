"""xml2json — WIPO ST.96 XML ⇄ ST.97 JSON, schema-driven, exact and safe.

The public surface is deliberately small:

* :class:`Converter` — reusable, loads compiled plans once; ``xml_to_json`` / ``json_to_xml``;
* :func:`convert`, :func:`to_json`, :func:`to_xml` — one-shot conversions;
* :func:`validate_xml`, :func:`validate_json`, :func:`roundtrip` — checks;
* :class:`Options`, :class:`Limits` — frozen configuration;
* :class:`Xml2JsonError` and :class:`Issue` — the rooted error tree and its records; every
  class of the tree is importable from here (``from xml2json import MalformedXMLError``).
"""

from ._version import __version__
from .api import (
    Conversion,
    Converter,
    XmlOutput,
    convert,
    roundtrip,
    to_json,
    to_xml,
    validate_json,
    validate_xml,
)
from .config import Limits, Options
from .errors import (
    BundleError,
    ConfigError,
    ConversionError,
    DocumentTypeError,
    InputError,
    Issue,
    MalformedJSONError,
    MalformedXMLError,
    OutputError,
    PatternTranslationError,
    SchemaCompileError,
    SchemaError,
    SchemaNotAvailableError,
    UnknownContentError,
    UnsafeXMLError,
    Xml2JsonError,
)

__all__ = [
    "BundleError",
    "ConfigError",
    "Conversion",
    "ConversionError",
    "Converter",
    "DocumentTypeError",
    "InputError",
    "Issue",
    "Limits",
    "MalformedJSONError",
    "MalformedXMLError",
    "Options",
    "OutputError",
    "PatternTranslationError",
    "SchemaCompileError",
    "SchemaError",
    "SchemaNotAvailableError",
    "UnknownContentError",
    "UnsafeXMLError",
    "Xml2JsonError",
    "XmlOutput",
    "__version__",
    "convert",
    "roundtrip",
    "to_json",
    "to_xml",
    "validate_json",
    "validate_xml",
]

"""xml2json — WIPO ST.96 XML ⇄ ST.97 JSON, schema-driven, exact and safe.

The public surface is deliberately small:

* :class:`Converter` — reusable, loads compiled plans once; ``xml_to_json`` / ``json_to_xml``;
* :func:`convert`, :func:`to_json`, :func:`to_xml` — one-shot conversions;
* :func:`validate_xml`, :func:`validate_json`, :func:`roundtrip` — checks;
* :class:`Options`, :class:`Limits` — frozen configuration;
* :class:`Xml2JsonError` and :class:`Issue` — the rooted error tree and its records.
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
from .errors import Issue, Xml2JsonError

__all__ = [
    "Conversion",
    "Converter",
    "Issue",
    "Limits",
    "Options",
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

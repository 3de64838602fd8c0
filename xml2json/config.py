"""Frozen configuration objects: limits and conversion options (no process-global state)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import ConfigError

#: libxml2's own guards without ``XML_PARSE_HUGE`` (lxml ``huge_tree=False``); see docs/security.md.
LIBXML2_MAX_DEPTH = 256
LIBXML2_MAX_TEXT = 10_000_000
#: libxml2's hard caps in huge mode: a larger ``max_depth`` / ``max_text_bytes`` cannot take effect.
LIBXML2_HUGE_MAX_DEPTH = 2048
LIBXML2_HUGE_MAX_TEXT = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for untrusted input. Every value can be overridden; see docs/security.md.

    The defaults equal libxml2's own guards where libxml2 has one, so that the fast
    path adds no checks of its own; raising ``max_depth`` above 256 or
    ``max_text_bytes`` above 10 000 000 switches libxml2 to its "huge" mode and
    the library then enforces the configured value itself.
    """

    max_depth: int = LIBXML2_MAX_DEPTH  # element nesting levels (the root is level 1)
    max_text_bytes: int = LIBXML2_MAX_TEXT  # one text node, attribute value, comment or PI
    max_document_bytes: int = 2 * 1024 * 1024 * 1024  # one input document (bulk files are large)
    max_elements_per_record: int = 1_000_000  # elements of one document, or one bulk record
    max_attributes: int = 256  # attributes of one element (lxml reads them in quadratic time)
    max_json_depth: int = 256  # nesting of JSON arrays and objects
    max_json_number_chars: int = 1000  # one JSON number: its text and its plain-decimal expansion
    max_decompressed_bytes: int = 8 * 1024 * 1024 * 1024  # gzip/zip expansion, per input
    max_zip_members: int = 1_000_000
    max_compression_ratio: int = 200  # uncompressed/compressed, per zip member and per gzip stream
    compression_ratio_floor: int = 1024 * 1024  # the ratio is checked only past this many output bytes

    def __post_init__(self) -> None:
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"Limits.{name} must be a positive integer, got {value!r}", code="config-limits")


@dataclass(frozen=True, slots=True)
class Options:
    """Options of one conversion. Build once, reuse for many documents."""

    strict: bool = False  # unknown content is an error instead of a warning
    st96_version: str | None = None  # force a compiled version instead of com:st96Version
    limits: Limits = field(default_factory=Limits)
    schema_location: bool = False  # JSON → XML: add xsi:schemaLocation

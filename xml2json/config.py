"""Frozen configuration objects: limits and conversion options (no process-global state)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Limits:
    """Resource limits for untrusted input. Every value can be overridden; see docs/security.md."""

    max_depth: int = 256  # element nesting depth
    max_text_bytes: int = 10 * 1024 * 1024  # one text node or attribute value
    max_document_bytes: int = 2 * 1024 * 1024 * 1024  # one input document (bulk files are large)
    max_elements_per_record: int = 1_000_000
    max_json_depth: int = 256
    max_decompressed_bytes: int = 8 * 1024 * 1024 * 1024  # gzip/zip expansion, per input
    max_zip_members: int = 1_000_000
    max_compression_ratio: int = 200  # zip member uncompressed/compressed


@dataclass(frozen=True, slots=True)
class Options:
    """Options of one conversion. Build once, reuse for many documents."""

    strict: bool = False  # unknown content is an error instead of a warning
    st96_version: str | None = None  # force a compiled version instead of com:st96Version
    limits: Limits = field(default_factory=Limits)
    schema_location: bool = False  # JSON → XML: add xsi:schemaLocation

"""The one factory for lxml parsers: no entities, no DTDs, no network, bounded input.

Every XML byte this library reads goes through :func:`make_parser` /
:func:`parse_document` / :func:`iterparse_records`. ``resolve_entities=False``
plus a DTD check after parsing means that entity declarations are rejected,
never expanded; ``no_network`` and ``load_dtd=False`` keep lxml from fetching
anything; ``huge_tree=False`` keeps libxml2's own text and depth guards on.
"""

from __future__ import annotations

from typing import IO, Any

from lxml import etree

from .config import Limits
from .errors import MalformedXMLError, UnsafeXMLError


def make_parser(limits: Limits, **extra: Any) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        recover=False,
        collect_ids=False,
        **extra,
    )


def check_docinfo(tree: Any) -> None:
    """Reject documents that carry a DTD (internal subset or external reference)."""
    docinfo = tree.docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise UnsafeXMLError("DOCTYPE declarations are not accepted (entity and DTD attacks)",
                             code="unsafe-doctype", line=1)


def _syntax_error(exc: etree.XMLSyntaxError) -> MalformedXMLError | UnsafeXMLError:
    msg = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc)
    line = exc.lineno if getattr(exc, "lineno", None) else None
    low = msg.lower()
    if "entity" in low and ("not defined" in low or "loop" in low or "amplification" in low):
        return UnsafeXMLError(f"entity reference rejected: {msg}", code="unsafe-entity", line=line)
    if "excessive depth" in low or "depth" in low and "huge" in low:
        return UnsafeXMLError(f"nesting too deep: {msg}", code="limit-depth", line=line)
    return MalformedXMLError(f"not well-formed XML: {msg}", code="malformed-xml", line=line)


def parse_document(data: bytes | IO[bytes], limits: Limits) -> Any:
    """Parse a whole (small) document safely and return its root element."""
    parser = make_parser(limits)
    try:
        if isinstance(data, (bytes, bytearray)):
            if len(data) > limits.max_document_bytes:
                raise UnsafeXMLError(f"document larger than {limits.max_document_bytes} bytes",
                                     code="limit-document-size")
            root = etree.fromstring(bytes(data), parser)
            tree = root.getroottree()
        else:
            tree = etree.parse(data, parser)
            root = tree.getroot()
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    check_docinfo(tree)
    return root

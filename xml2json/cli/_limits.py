"""The resource-limit flags of the commands (``--max-elements``, ``--max-size``, …): parsing
their values, building :class:`~xml2json.config.Limits` from them, and the hint that names the
flag raising a limit a document broke.

The library's messages say which limit was exceeded in its own terms; the command line maps
the error's code to its flag here (docs/cli.md, "Limits").
"""

from __future__ import annotations

import argparse
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from typing import Any

from ..config import LIBXML2_HUGE_MAX_DEPTH, LIBXML2_HUGE_MAX_TEXT, Limits
from ..errors import Issue, Xml2JsonError

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?", re.IGNORECASE)


def parse_size(text: str) -> int:
    """A size in bytes: plain bytes (``1048576``) or a number with a binary unit ``K``, ``M``,
    ``G``, ``T`` (``500M``, ``2G``, ``1.5G``; ``MB``/``MiB`` are read the same). An
    :class:`argparse.ArgumentTypeError` (a usage error, exit 2) otherwise."""
    m = _SIZE.fullmatch(text.strip().replace("_", ""))
    if not m:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a size: give bytes, or a number with K, M, G or T (500M, 2G)"
        )
    value = int(float(m.group(1)) * _UNITS[m.group(2).upper()])
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: the size must be at least 1 byte")
    return value


def parse_count(text: str) -> int:
    """A positive whole number (``1000000`` or ``1_000_000``)."""
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 or more")
    return value


def _at_most(cap: int, why: str, parse: Callable[[str], int]) -> Callable[[str], int]:
    def check(text: str) -> int:
        value = parse(text)
        if value > cap:
            raise argparse.ArgumentTypeError(f"{text!r} is above {cap:,}: {why}")
        return value

    check.__name__ = parse.__name__  # argparse names the type in its messages
    return check


@dataclass(frozen=True)
class LimitFlag:
    flag: str  # --max-elements
    field: str  # the Limits field it sets
    group: str  # "input" (every command), "xml", "json", "zip": which commands have it
    parse: Callable[[str], int]
    metavar: str
    help: str
    codes: tuple[str, ...]  # the error codes it raises the limit of

    @property
    def dest(self) -> str:
        return self.flag[2:].replace("-", "_")


_DEFAULT = Limits()

LIMIT_FLAGS: tuple[LimitFlag, ...] = (
    LimitFlag(
        "--max-size",
        "max_document_bytes",
        "input",
        parse_size,
        "SIZE",
        "largest input document (bytes, or 500M, 2G; default 2G)",
        ("limit-document-size",),
    ),
    LimitFlag(
        "--max-decompressed",
        "max_decompressed_bytes",
        "input",
        parse_size,
        "SIZE",
        "largest expansion of a gzip input or zip archive (default 8G)",
        ("limit-decompressed-size",),
    ),
    LimitFlag(
        "--max-compression-ratio",
        "max_compression_ratio",
        "input",
        parse_count,
        "N",
        f"largest uncompressed/compressed ratio of a gzip stream or zip member "
        f"(default {_DEFAULT.max_compression_ratio})",
        ("limit-compression-ratio",),
    ),
    LimitFlag(
        "--max-elements",
        "max_elements_per_record",
        "xml",
        parse_count,
        "N",
        f"most elements in one document, or in one record with bulk --records "
        f"(default {_DEFAULT.max_elements_per_record})",
        ("limit-elements",),
    ),
    LimitFlag(
        "--max-depth",
        "max_depth",
        "xml",
        _at_most(
            LIBXML2_HUGE_MAX_DEPTH, "libxml2 refuses deeper XML nesting whatever the limit (its huge mode)", parse_count
        ),
        "N",
        f"deepest XML element nesting (default {_DEFAULT.max_depth}; "
        f"at most {LIBXML2_HUGE_MAX_DEPTH}, libxml2's own cap)",
        ("limit-depth",),
    ),
    LimitFlag(
        "--max-text",
        "max_text_bytes",
        "xml",
        _at_most(
            LIBXML2_HUGE_MAX_TEXT, "libxml2 refuses longer text nodes whatever the limit (its huge mode)", parse_size
        ),
        "SIZE",
        f"largest text node, attribute value, comment or PI, in bytes of UTF-8 (or 500K, 10M; "
        f"default {_DEFAULT.max_text_bytes}; "
        f"at most {LIBXML2_HUGE_MAX_TEXT}, libxml2's own cap)",
        ("limit-text-size",),
    ),
    LimitFlag(
        "--max-attributes",
        "max_attributes",
        "xml",
        parse_count,
        "N",
        f"most attributes on one element (default {_DEFAULT.max_attributes})",
        ("limit-attributes",),
    ),
    LimitFlag(
        "--max-json-depth",
        "max_json_depth",
        "json",
        parse_count,
        "N",
        f"deepest nesting of JSON arrays and objects (default {_DEFAULT.max_json_depth})",
        ("limit-json-depth", "limit-depth"),
    ),
    LimitFlag(
        "--max-json-number",
        "max_json_number_chars",
        "json",
        parse_count,
        "N",
        f"longest JSON number, in characters (default {_DEFAULT.max_json_number_chars})",
        ("limit-json-number",),
    ),
    LimitFlag(
        "--max-zip-members",
        "max_zip_members",
        "zip",
        parse_count,
        "N",
        f"most entries in one zip archive (default {_DEFAULT.max_zip_members})",
        ("limit-zip-members",),
    ),
)

_BY_FIELD = {f.field: f for f in LIMIT_FLAGS}
assert set(_BY_FIELD) <= {f.name for f in fields(Limits)}


def add_limit_options(p: argparse.ArgumentParser, *groups: str) -> None:
    """Add the limit flags of *groups* (besides ``input``, which every command reading a file has)."""
    g = p.add_argument_group(
        "limits", "resource limits for untrusted input (docs/security.md); raise them for big trusted files"
    )
    for f in LIMIT_FLAGS:
        if f.group == "input" or f.group in groups:
            g.add_argument(f.flag, dest=f.dest, type=f.parse, metavar=f.metavar, help=f.help)


def limits_from(args: argparse.Namespace) -> Limits:
    """The :class:`Limits` of a command line: the defaults, with what its limit flags set."""
    given = {f.field: getattr(args, f.dest) for f in LIMIT_FLAGS if getattr(args, f.dest, None) is not None}
    return Limits(**given)


def _flag_for(issue: Issue, options: Iterable[str] | None) -> LimitFlag | None:
    code = issue.code
    flag: LimitFlag | None
    if code == "limit-depth":  # the XML reader's nesting, or the XML writer's (JSON → XML: a JSON pointer)
        flag = _BY_FIELD["max_json_depth" if issue.json_pointer is not None else "max_depth"]
    else:
        flag = next((f for f in LIMIT_FLAGS if code in f.codes), None)
    if flag is None or (options is not None and flag.dest not in options):
        return None
    return flag


def limit_hint(issue: Issue, limits: Limits | None, options: Iterable[str] | None) -> str | None:
    """``raise it with --max-elements N (now 1000000)`` for a limit error, when the command has the flag."""
    flag = _flag_for(issue, options)
    if flag is None:
        return None
    now = getattr(limits or _DEFAULT, flag.field)
    hint = f"raise it with {flag.flag} {flag.metavar} (now {now})"
    if flag.field == "max_json_depth" and options is not None and "max_depth" in options:  # both flags
        hint += (
            " — ST.97 JSON nests deeper than its XML (an object per element, an array per repeat), "
            "so the JSON of a document within --max-depth can need a larger --max-json-depth"
        )
    return hint


LIMIT_CODES = frozenset(c for f in LIMIT_FLAGS for c in f.codes)

#: The limits a record-by-record conversion keeps small: one record at a time, flat memory.
BAG_CODES = frozenset({"limit-elements", "limit-document-size"})


def bag_hint(path: str) -> str:
    name = "FILE" if path == "-" else path
    return f"or convert it record by record, with flat memory: `xml2json bulk {name} -o OUTDIR --records`"


def is_bag_document(data: bytes, select: Callable[[str, str | None], Any], limits: Limits) -> bool:
    """True when *data* (an XML document that broke a limit) is of a type whose records ``bulk
    --records`` converts one at a time (its plan's record layout streams). *select* is
    :meth:`Converter.select`. Only the prolog and the root's start tag are read; anything that
    cannot say (no root, an unknown type) is ``False``."""
    from ..policy import VERSION_ATTRIBUTE
    from ..safe import read_root

    try:
        tag, attrib, _ = read_root(io.BytesIO(data), limits)
        plan, doc, _ = select(tag, attrib.get(VERSION_ATTRIBUTE))
        return bool(plan.layouts[doc.name].streaming)
    except Xml2JsonError:
        return False

"""Reading inputs and writing outputs: one place for JSON parsing rules and atomic writes."""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson

from .config import Limits
from .errors import InputError, MalformedJSONError

XmlSource = bytes | bytearray | str | os.PathLike[str] | IO[bytes]


def read_xml_source(source: XmlSource, limits: Limits) -> bytes:
    """bytes → as is; a str that starts with ``<`` → XML text; other str / PathLike → a file path."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source)
    if isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith("<"):
        return source.encode("utf-8")
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limits.max_document_bytes:
                raise InputError(f"{path}: larger than the document size limit", code="limit-document-size")
            return path.read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}", code="io") from exc
    data = source.read(limits.max_document_bytes + 1)
    if len(data) > limits.max_document_bytes:
        raise InputError("input larger than the document size limit", code="limit-document-size")
    return bytes(data)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise MalformedJSONError(f"duplicate member {k!r}", code="json-duplicate-key")
        out[k] = v
    return out


def _no_constant(name: str) -> Any:
    raise MalformedJSONError(f"{name} is not valid JSON", code="json-nan")


def loads_json(data: bytes | str, limits: Limits) -> Any:
    """Parse JSON exactly: numbers with a fraction or exponent become ``Decimal`` (no float loss),
    duplicate keys, NaN/Infinity and invalid UTF-8 are errors; nesting is bounded by the
    parser's recursion guard here and by ``limits.max_json_depth`` in the XML writer."""
    if isinstance(data, (bytes, bytearray)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSONError(f"JSON input is not UTF-8 (byte {exc.start})", code="json-encoding") from None
    else:
        text = data
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constant,
                          object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise MalformedJSONError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                                 code="malformed-json", line=exc.lineno) from None
    except RecursionError:
        raise MalformedJSONError("JSON nesting too deep", code="limit-json-depth") from None


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return orjson.Fragment(str(obj))
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps_json(obj: Any, *, pretty: bool = False) -> bytes:
    """Serialise with orjson; exact decimals are written from their lexical form."""
    opt = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(obj, default=_default, option=opt)


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise

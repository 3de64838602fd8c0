"""A faster JSON Schema check with the verdicts of :mod:`xml2json.validate`.

:class:`FastChecker` is what :class:`~xml2json.validate.Validators` asks first (``fast=True``, the
default) in ``check_json`` and ``is_valid``. Its verdict comes from
`jsonschema-rs <https://pypi.org/project/jsonschema-rs/>`_ (Rust; an optional dependency) when
it is installed and can decide alone; everything else is decided by the reference validators
(``jsonschema``'s ``Draft202012Validator``), so that verdicts and issue lists are the
reference's:

* a document jsonschema-rs finds **invalid** is checked again by the reference, which also
  writes the issues (the messages and their order are the reference's);
* a document jsonschema-rs finds **valid** is valid for the reference too. The places where
  the two libraries differ by design are closed before compiling or asking jsonschema-rs:

  - ``integer``: jsonschema-rs counts an integral number (``5.0``, ``1E+3``) as an integer, as
    the JSON Schema specification says; ``jsonschema``'s type checker never counts a
    ``Decimal`` (what :func:`xml2json.io.loads_json` makes of a number with a fraction or an
    exponent) as one. A custom keyword next to every ``integer`` type rejects ``Decimal``
    instances there, with the original Python object in hand;
  - lone surrogates in strings (possible from JSON ``\\ud800`` escapes), dict keys that are
    not strings, integers beyond 64 bits and other non-JSON types: a C-speed pre-scan with
    orjson finds them and hands the document to the reference;
  - ``NaN``/``Infinity``: jsonschema-rs finds them invalid, so the reference decides;

* a schema jsonschema-rs cannot compile is checked by the reference alone.

Patterns: the generated schemas exclude the UTF-16 surrogate block in negated character
classes (``\\uD800-\\uF8FF``); Rust strings cannot hold surrogates and its regex parser refuses
such ranges, so they are clipped to what a Rust string can contain (the pre-scan keeps
surrogates away from jsonschema-rs). Patterns ending in a bare ``$`` match before a final
newline in Python's ``re`` but not in Rust; such documents are invalid for jsonschema-rs and
so decided by the reference.

One difference is not closed: a Python ``tuple`` is an array for jsonschema-rs (and for
orjson) but not for ``jsonschema``. Tuples are not JSON values; documents parsed from JSON text
or produced by the converter never hold them.

Measured (docs/performance.md): on valid documents ``check_json`` is hundreds of times faster
than the reference's; an invalid document costs the reference's time plus a few per cent.
"""

from __future__ import annotations

import re
import threading
from decimal import Decimal
from typing import Any

import orjson

from .registry import Registry

#: jsonschema-rs, imported on first use (it costs ~20 ms at start-up, which a command that never
#: validates JSON should not pay); None when it is not installed. Tests set it to None.
_UNLOADED: Any = object()
_rs: Any = _UNLOADED


def _jsonschema_rs() -> Any:
    global _rs
    if _rs is _UNLOADED:
        try:  # optional: pip install "xml2json[fast]"
            import jsonschema_rs
        except ImportError:  # pragma: no cover - exercised where jsonschema-rs is absent
            _rs = None
        else:
            _rs = jsonschema_rs
    return _rs


#: The custom keyword placed next to every ``"type": "integer"`` for jsonschema-rs.
PY_INTEGER_KEYWORD = "x-xml2json-py-integer"

_RANGE = re.compile(r"\\u([0-9A-Fa-f]{4})-\\u([0-9A-Fa-f]{4})")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_SUR_LO, _SUR_HI = 0xD800, 0xDFFF


def available() -> bool:
    """True when jsonschema-rs is installed (otherwise everything goes to the reference)."""
    return _jsonschema_rs() is not None


def _clip_range(m: re.Match[str]) -> str:
    lo, hi = int(m.group(1), 16), int(m.group(2), 16)
    if hi < _SUR_LO or lo > _SUR_HI:
        return m.group(0)
    if lo >= _SUR_LO and hi <= _SUR_HI:
        return m.group(0)  # all surrogates: left for the check below to refuse
    parts = []
    if lo < _SUR_LO:
        parts.append((lo, _SUR_LO - 1))
    if hi > _SUR_HI:
        parts.append((_SUR_HI + 1, hi))
    return "".join(f"\\u{a:04X}" if a == b else f"\\u{a:04X}-\\u{b:04X}" for a, b in parts)


def rust_pattern(pattern: str) -> str | None:
    """*pattern* with the surrogate code points taken out of its ``\\uXXXX-\\uXXXX`` ranges, or
    None when a surrogate escape remains (a lone one, or a range of surrogates only): the
    schema then goes to the reference."""
    out = _RANGE.sub(_clip_range, pattern)
    if _SURROGATE_ESCAPE.search(out):
        return None
    return out


class _Unsupported(Exception):
    pass


def _rust_schema(node: Any) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k == "pattern" and isinstance(v, str):
                p = rust_pattern(v)
                if p is None:
                    raise _Unsupported(v)
                out[k] = p
            elif k == "patternProperties" and isinstance(v, dict):
                props = {}
                for pk, pv in v.items():
                    p = rust_pattern(pk)
                    if p is None:
                        raise _Unsupported(pk)
                    props[p] = _rust_schema(pv)
                out[k] = props
            else:
                out[k] = _rust_schema(v)
        return out
    if isinstance(node, list):
        return [_rust_schema(v) for v in node]
    return node


def _mark_integers(node: Any) -> Any:
    """Add :data:`PY_INTEGER_KEYWORD` to every schema object whose ``type`` admits an integer
    but not a number (there a ``Decimal`` is an integer for jsonschema-rs only)."""
    if isinstance(node, dict):
        out = {k: _mark_integers(v) for k, v in node.items()}
        t = node.get("type")
        types = t if isinstance(t, list) else [t]
        if "integer" in types and "number" not in types:
            out[PY_INTEGER_KEYWORD] = True
        return out
    if isinstance(node, list):
        return [_mark_integers(v) for v in node]
    return node


class _PyInteger:
    """jsonschema-rs custom keyword: ``jsonschema``'s view of an integer (never a Decimal).

    jsonschema-rs hands the original Python object to custom keywords."""

    def __init__(self, parent_schema: Any, value: Any, schema_path: Any) -> None:
        pass

    def validate(self, instance: Any) -> None:
        if instance.__class__ is Decimal:
            raise ValueError(f"{instance} is not of type 'integer'")


def _scan_default(obj: Any) -> Any:
    if obj.__class__ is Decimal:
        return 0
    raise TypeError


def plain_json(value: Any) -> bool:
    """True when orjson can write *value* (with Decimals): no lone surrogates, no non-string
    keys, no integers beyond 64 bits, no other non-JSON types (tuples excepted, see above)."""
    try:
        orjson.dumps(value, default=_scan_default)
    except (TypeError, orjson.JSONEncodeError):
        return False
    return True


class FastChecker:
    """jsonschema-rs verdicts that the reference may rely on (see the module doc).

    :meth:`valid` returns True only where the reference validator (``jsonschema``) would say
    "valid" too; False means "ask the reference". It never calls the reference itself, so
    :class:`xml2json.validate.Validators` can own one without the two modules importing each
    other. Compiled validators are cached per (version, document).
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._entries: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def validator(self, version: str, document: str) -> Any:
        """The compiled jsonschema-rs validator, or None when the reference decides alone."""
        key = (version, document)
        try:
            return self._entries[key]
        except KeyError:
            pass
        with self._lock:
            if key not in self._entries:
                validator = None
                rs = _jsonschema_rs()
                if rs is not None:
                    schema = self.registry.schema(version, document)
                    try:
                        validator = rs.Draft202012Validator(
                            _mark_integers(_rust_schema(schema)), keywords={PY_INTEGER_KEYWORD: _PyInteger}
                        )
                    except (_Unsupported, ValueError, rs.ValidationError):
                        validator = None
                self._entries[key] = validator
            return self._entries[key]

    def valid(self, data: Any, version: str, document: str) -> bool:
        """True when jsonschema-rs alone may say that *data* is valid; False: ask the reference."""
        v = self.validator(version, document)
        if v is None or not plain_json(data):
            return False
        try:
            ok: bool = v.is_valid(data)
        except (ValueError, TypeError, OverflowError, UnicodeError):
            return False
        return ok


__all__ = [
    "PY_INTEGER_KEYWORD",
    "FastChecker",
    "available",
    "plain_json",
    "rust_pattern",
]

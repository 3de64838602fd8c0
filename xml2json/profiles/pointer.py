"""JSON Pointers (RFC 6901) over ST.97 values: flatten a value into its leaves, build it back.

A *leaf* is a scalar (string, number, boolean) or an empty object/array. Every
ST.97 value is exactly the set of its leaves, each at its pointer: that is how
the profile engine accounts for every input value, and how ``unmapped`` values
are put back on expansion. Member names of ST.97 objects are never all digits,
so a segment made of digits always denotes an array position.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any, Final


class _Missing:
    """The one sentinel for "no value here" (``None`` is not an ST.97 value, but stays distinct)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()


class PointerConflict(ValueError):
    """Two leaves that cannot live in one value (same pointer twice, a leaf inside a leaf, a gap in an array)."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(f"{pointer or '/'}: {message}")
        self.pointer = pointer
        self.message = message


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def unescape(segment: str) -> str:
    return segment.replace("~1", "/").replace("~0", "~")


def join(base: str, *segments: str | int) -> str:
    return base + "".join("/" + (str(s) if isinstance(s, int) else escape(s)) for s in segments)


def split(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PointerConflict(pointer, "a JSON Pointer starts with '/'")
    return [unescape(s) for s in pointer[1:].split("/")]


def is_index(segment: str) -> bool:
    return segment.isdigit() and (segment == "0" or not segment.startswith("0")) and segment.isascii()


def flatten(value: Any, base: str = "", out: dict[str, Any] | None = None) -> dict[str, Any]:
    """The leaves of *value*, in document order, keyed by pointer (prefixed with *base*)."""
    if out is None:
        out = {}
    if isinstance(value, dict):
        if not value:
            out[base] = {}
        for k, v in value.items():
            flatten(v, base + "/" + escape(k), out)
    elif isinstance(value, list):
        if not value:
            out[base] = []
        for i, v in enumerate(value):
            flatten(v, f"{base}/{i}", out)
    else:
        out[base] = value
    return out


def same(a: Any, b: Any) -> bool:
    """Exact equality of two leaves: ``True`` is not ``1``, ``Decimal('1')`` is not ``1``."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (dict, list)):
        return not a and not b
    if isinstance(a, Decimal):
        return a == b and str(a) == str(b)
    return bool(a == b)


def get(value: Any, pointer: str) -> Any:
    """The value at *pointer*, or :data:`MISSING`."""
    cur = value
    for seg in split(pointer):
        if isinstance(cur, dict):
            if seg not in cur:
                return MISSING
            cur = cur[seg]
        elif isinstance(cur, list) and is_index(seg) and int(seg) < len(cur):
            cur = cur[int(seg)]
        else:
            return MISSING
    return cur


class _Array(dict[int, Any]):
    """An array under construction: position -> item (positions may arrive in any order)."""


def _leaves_only(leaves: Iterable[tuple[str, Any]]) -> Iterable[tuple[str, Any]]:
    for pointer, value in leaves:
        if isinstance(value, (dict, list)) and value:
            yield from flatten(value, pointer).items()
        else:
            yield pointer, value


def build(leaves: Iterable[tuple[str, Any]]) -> Any:
    """The value made of *leaves* (the inverse of :func:`flatten`).

    Raises :class:`PointerConflict` when a pointer occurs twice, when one leaf lies
    inside another, when a segment is used both as a member name and as an array
    position, or when an array would have a gap.
    """
    root: Any = MISSING
    for pointer, value in _leaves_only(leaves):
        segs = split(pointer)
        if not segs:
            if root is not MISSING:
                raise PointerConflict(pointer, "the whole value is given twice")
            root = _Sealed(value) if isinstance(value, (dict, list)) else value
            continue
        if root is MISSING:
            root = _Array() if is_index(segs[0]) else {}
        elif not isinstance(root, dict):
            raise PointerConflict(pointer, "lies inside a value that is not an object or array")
        cur = root
        for i, seg in enumerate(segs):
            if isinstance(cur, _Array) != is_index(seg):
                where = join("", *segs[:i]) or "/"
                raise PointerConflict(pointer, f"{where} is used both as an array and as an object")
            key: str | int = int(seg) if isinstance(cur, _Array) else seg
            if i == len(segs) - 1:
                if key in cur:
                    raise PointerConflict(pointer, "is given twice, or holds other values inside it")
                cur[key] = _Sealed(value) if isinstance(value, (dict, list)) else value
                break
            nxt = cur.get(key, MISSING)
            if nxt is MISSING:
                nxt = _Array() if is_index(segs[i + 1]) else {}
                cur[key] = nxt
            elif not isinstance(nxt, dict):
                raise PointerConflict(pointer, f"lies inside the leaf at {join('', *segs[: i + 1])}")
            cur = nxt
    if root is MISSING:
        return MISSING
    return _finish(root, "")


class _Sealed:
    """An empty object/array given as a leaf: nothing may be added inside it."""

    __slots__ = ("empty",)

    def __init__(self, empty: dict[str, Any] | list[Any]) -> None:
        self.empty = empty


def _finish(node: Any, pointer: str) -> Any:
    if isinstance(node, _Sealed):
        return [] if isinstance(node.empty, list) else {}
    if isinstance(node, _Array):
        n = len(node)
        if sorted(node) != list(range(n)):
            missing = min(set(range(n)) - set(node))
            raise PointerConflict(f"{pointer}/{missing}", "an array would have a gap here")
        return [_finish(node[i], f"{pointer}/{i}") for i in range(n)]
    if isinstance(node, dict):
        return {k: _finish(v, f"{pointer}/{escape(k)}") for k, v in node.items()}
    return node

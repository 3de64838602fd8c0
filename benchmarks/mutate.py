"""Deliberately broken ST.97 JSON documents, for validator benchmarks and verdict comparisons.

Each variant applies one mutation to a deep copy of a converted document: a member removed,
an unknown member added, a value of the wrong JSON type, a string outside its pattern or
enumeration (including astral-plane characters and a trailing newline, where regex dialects
differ), an array emptied, a number out of range or with many digits. Most variants are
invalid; some stay valid (a string that had no constraint), which is fine: what matters is
that every backend gives the same verdict.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

Path = tuple[Any, ...]


def _walk(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))


def _set(doc: Any, path: Path, new: Any) -> None:
    for p in path[:-1]:
        doc = doc[p]
    doc[path[-1]] = new


def _get(doc: Any, path: Path) -> Any:
    for p in path:
        doc = doc[p]
    return doc


STRING_EDITS = [
    lambda s: s + "\n",  # `$` before a final newline: Python re accepts, ECMA-262 does not
    lambda s: "\U0001d11e" + s,  # an astral-plane character
    lambda s: s + "\u00a0",
    lambda s: "",
    lambda s: s * 40,  # past maxLength
    lambda s: "9999-99-99",
    lambda s: "not one of the codes",
    lambda s: s.upper(),
    lambda s: s.replace("-", "/"),
]

NUMBERS = [
    Decimal("-1"),
    Decimal("1E+3"),
    Decimal("0.5"),
    2**70,
    -(2**63),
    Decimal("12345678901234567890.123456789"),
    0,
]


def mutate_once(doc: Any, rnd: random.Random) -> Any:
    doc = copy.deepcopy(doc)
    nodes = list(_walk(doc))[1:]
    path, value = rnd.choice(nodes)
    op = rnd.randrange(8)
    if op == 0 and len(path) > 1:  # drop the member or item
        parent = _get(doc, path[:-1])
        del parent[path[-1]]
    elif op == 1:  # unknown member in the nearest object
        while path and not isinstance(_get(doc, path), dict):
            path = path[:-1]
        _get(doc, path)["bogusMember"] = "x"
    elif op == 2:  # wrong JSON type
        if isinstance(value, str):
            _set(doc, path, 1)
        elif isinstance(value, bool):
            _set(doc, path, "true")
        elif isinstance(value, (int, Decimal)):
            _set(doc, path, str(value))
        elif isinstance(value, list):
            _set(doc, path, {"0": value[0]} if value else {})
        else:
            _set(doc, path, [value])
    elif op == 3:  # a string edit
        strings = [(p, v) for p, v in nodes if isinstance(v, str)]
        if strings:
            p, v = rnd.choice(strings)
            _set(doc, p, rnd.choice(STRING_EDITS)(v))
    elif op == 4:  # an array emptied
        arrays = [p for p, v in nodes if isinstance(v, list)]
        if arrays:
            _set(doc, rnd.choice(arrays), [])
    elif op == 5:  # a number replaced
        numbers = [p for p, v in nodes if isinstance(v, (int, Decimal)) and not isinstance(v, bool)]
        if numbers:
            _set(doc, rnd.choice(numbers), rnd.choice(NUMBERS))
    elif op == 6:  # null
        _set(doc, path, None)
    else:  # duplicate an array item, or wrap a single value in an array
        if isinstance(value, list) and value:
            value.append(copy.deepcopy(value[0]))
        else:
            _set(doc, path, [value, value])
    return doc


def mutations(doc: Any, rnd: random.Random, n: int) -> list[Any]:
    return [mutate_once(doc, rnd) for _ in range(n)]

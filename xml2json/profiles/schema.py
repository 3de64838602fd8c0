"""Profile JSON Schemas: found beside the ST.97 schemas, in a checkout and in an installed wheel.

The hand-written schemas live in ``schemas/profiles/`` of the repository, which
the wheel ships as ``xml2json/_schemas/profiles/`` (the same force-include as the
ST.97 schemas; see :func:`xml2json.registry.shipped_schema_dir`).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

from ..errors import Issue, SchemaNotAvailableError
from ..registry import PACKAGE_DIR

MAX_REPORTED = 50


def profile_schema_dir() -> Path | None:
    for base in (PACKAGE_DIR / "_schemas", PACKAGE_DIR.parent / "schemas"):
        p = base / "profiles"
        if p.is_dir():
            return p
    return None


@lru_cache(maxsize=8)
def load_schema(filename: str) -> dict[str, Any]:
    d = profile_schema_dir()
    path = d / filename if d is not None else None
    if path is None or not path.is_file():
        raise SchemaNotAvailableError(
            f"the profile schema {filename} is not installed with xml2json", code="profile-schema-missing"
        )
    data: dict[str, Any] = orjson.loads(path.read_bytes())
    return data


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


class SchemaChecks:
    """Validates whole documents, and single field values against their field's sub-schema."""

    def __init__(self, schema: dict[str, Any]) -> None:
        from jsonschema import Draft202012Validator

        self.schema = schema
        self.validator = Draft202012Validator(schema)
        self._fields: dict[tuple[str, ...], Any] = {}
        self._memo: dict[tuple[tuple[str, ...], Hashable], bool] = {}
        self._lock = threading.Lock()

    def subschema(self, spath: tuple[str, ...]) -> dict[str, Any]:
        """The schema of a simplified field: ``("applicants", "[]", "name")``."""
        node = self.schema
        for part in spath:
            node = self._deref(node)
            if part == "[]":
                node = node["items"]
            else:
                node = node["properties"][part]
        return node

    def _deref(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node and "properties" not in node and "items" not in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local references are followed: {ref}")
            target: Any = self.schema
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
        return node

    def accept(self, spath: tuple[str, ...], value: Any) -> bool:
        key = (spath, value if isinstance(value, (str, bool, int)) else repr(value))
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        with self._lock:
            v = self._fields.get(spath)
            if v is None:
                v = self.validator.evolve(schema=self.subschema(spath))
                self._fields[spath] = v
        ok = bool(v.is_valid(value))
        if len(self._memo) < 100_000:
            self._memo[key] = ok
        return ok

    def issues(self, doc: Any) -> list[Issue]:
        out: list[Issue] = []
        for err in sorted(self.validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
            msg = err.message if len(err.message) < 300 else err.message[:297] + "..."
            out.append(Issue("profile-schema-invalid", msg, json_pointer=_pointer(err.absolute_path)))
            if len(out) >= MAX_REPORTED:
                break
        return out

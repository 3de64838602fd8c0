"""Where compiled ST.96 versions live: shipped with the package, or in the user's cache.

* shipped: ``xml2json/_plans/<V>.plan.json.gz`` and the JSON Schemas under
  ``schemas/st97/<V>/`` (a source checkout) or ``xml2json/_schemas/st97/<V>/``
  (an installed wheel);
* user cache: ``$XML2JSON_CACHE`` or ``$XDG_CACHE_HOME/xml2json`` or
  ``~/.cache/xml2json``, one folder per version with ``plan.json.gz``,
  ``schemas/*.json`` and ``meta.json``.

The default version (used when a document has no ``com:st96Version``) is the
newest one available; :data:`DEFAULT_VERSION` is only the documented
fall-back name of the version shipped with the package.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .errors import SchemaNotAvailableError
from .plan import Plan, load_plan

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_PLANS = PACKAGE_DIR / "_plans"
#: The version whose compiled plan and schemas ship inside the package (documented default).
DEFAULT_VERSION = "V6_0"

_VERSION_RE = re.compile(r"^V(\d+)_(\d+)$")


def version_key(v: str) -> tuple[int, int]:
    m = _VERSION_RE.match(v)
    if not m:
        raise SchemaNotAvailableError(f"not an ST.96 version name: {v!r} (expected like V6_0)",
                                      code="bad-version")
    return int(m.group(1)), int(m.group(2))


def cache_dir() -> Path:
    env = os.environ.get("XML2JSON_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "xml2json"


def shipped_schema_dir(version: str) -> Path | None:
    for base in (PACKAGE_DIR / "_schemas", PACKAGE_DIR.parent / "schemas"):
        p = base / "st97" / version
        if p.is_dir():
            return p
    return None


@dataclass(frozen=True)
class VersionEntry:
    version: str
    source: str  # "shipped" or "cache"
    plan_path: Path
    schema_dir: Path | None
    meta: dict[str, Any]


class Registry:
    """The compiled versions visible to this process. Plans load lazily, once."""

    def __init__(self, cache: Path | None = None) -> None:
        self.cache = cache if cache is not None else cache_dir()
        self._plans: dict[str, Plan] = {}
        self._entries: dict[str, VersionEntry] | None = None
        self._lock = threading.RLock()

    def refresh(self) -> None:
        """Forget what was scanned and loaded (after a version was built or fetched)."""
        with self._lock:
            self._entries = None
            self._plans.clear()

    def entries(self) -> dict[str, VersionEntry]:
        """The available versions (scanned once; a user-cache entry overrides a shipped one)."""
        if self._entries is None:
            self._entries = self._scan()
        return self._entries

    def _scan(self) -> dict[str, VersionEntry]:
        out: dict[str, VersionEntry] = {}
        if SHIPPED_PLANS.is_dir():
            for p in sorted(SHIPPED_PLANS.glob("*.plan.json.gz")):
                v = p.name.split(".", 1)[0]
                out[v] = VersionEntry(v, "shipped", p, shipped_schema_dir(v), {"source": "shipped with xml2json"})
        if self.cache.is_dir():
            for d in sorted(self.cache.iterdir()):
                plan = d / "plan.json.gz"
                if _VERSION_RE.match(d.name) and plan.is_file():
                    meta_p = d / "meta.json"
                    meta = orjson.loads(meta_p.read_bytes()) if meta_p.is_file() else {}
                    out[d.name] = VersionEntry(d.name, "cache", plan, d / "schemas", meta)
        return out

    def versions(self) -> list[str]:
        return sorted(self.entries(), key=version_key)

    def newest(self) -> str:
        vs = self.versions()
        if not vs:
            raise SchemaNotAvailableError("no compiled ST.96 version is available", code="no-versions")
        return vs[-1]

    def has(self, version: str) -> bool:
        return version in self.entries()

    def plan(self, version: str) -> Plan:
        with self._lock:
            p = self._plans.get(version)
            if p is not None:
                return p
            entry = self.entries().get(version)
            if entry is None:
                raise not_available(version, self.versions())
            p = load_plan(entry.plan_path)
            self._plans[version] = p
            return p

    def schema_path(self, version: str, document: str) -> Path:
        entry = self.entries().get(version)
        if entry is None:
            raise not_available(version, self.versions())
        if entry.schema_dir is None or not (entry.schema_dir / f"{document}.json").is_file():
            known = sorted(p.stem for p in entry.schema_dir.glob("*.json")) if entry.schema_dir else []
            raise SchemaNotAvailableError(
                f"no JSON Schema for document {document!r} in ST.96 {version}"
                + (f"; known documents: {', '.join(known)}" if known else ""),
                code="unknown-document",
            )
        return entry.schema_dir / f"{document}.json"

    def schema(self, version: str, document: str) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.schema_path(version, document).read_bytes())
        return data


def not_available(version: str, known: list[str]) -> SchemaNotAvailableError:
    return SchemaNotAvailableError(
        f"ST.96 {version} has no compiled schema here (compiled: {', '.join(known) or 'none'}). "
        f"Get it with `xml2json schema fetch {version}` or compile a local copy with "
        f"`xml2json schema build BUNDLE`, or convert with `--st96-version {known[-1] if known else 'Vx_y'}`.",
        code="version-not-compiled",
    )


_default: Registry | None = None


def default_registry() -> Registry:
    global _default
    if _default is None:
        _default = Registry()
    return _default

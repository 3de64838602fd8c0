"""Where compiled ST.96 versions live: shipped with the package, or in the user's cache.

* shipped: ``xml2json/_plans/<V>.plan.json.gz`` and the JSON Schemas under
  ``schemas/st97/<V>/`` (a source checkout) or ``xml2json/_schemas/st97/<V>/``
  (an installed wheel). WIPO's XSDs are never shipped.
* user cache: ``$XML2JSON_CACHE``, else ``$XDG_CACHE_HOME/xml2json``, else
  ``~/.cache/xml2json``; one folder per version::

      <cache>/<V>/plan.json.gz      the runtime plan
      <cache>/<V>/schemas/<Doc>.json the ST.97 JSON Schemas
      <cache>/<V>/xsd/...           a copy of the bundle's XSDs, in its own layout (for XML validation)
      <cache>/<V>/meta.json         where it came from, when and by which xml2json it was compiled

  ``xml2json schema build`` and ``schema fetch`` fill it through :meth:`Registry.install`,
  which writes into a staging folder (``<cache>/.staging-*``) and renames it into place, so
  a reader never sees a half-written version. A version in the cache overrides the
  shipped version of the same name (it carries the XSDs, which the shipped one lacks).

The default version (used when a document has no ``com:st96Version``) is the
newest one available; :data:`DEFAULT_VERSION` is only the documented name of the
version whose compiled schemas ship with the package.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from ._version import __version__
from .artifacts import schema_bytes
from .errors import SchemaError, SchemaNotAvailableError
from .plan import Plan, dump_plan, load_plan

PACKAGE_DIR = Path(__file__).resolve().parent
SHIPPED_PLANS = PACKAGE_DIR / "_plans"
#: The version whose compiled plan and schemas ship inside the package (documented default).
DEFAULT_VERSION = "V6_0"

_VERSION_RE = re.compile(r"^V(\d+)_(\d+)$")
META_FORMAT = 1


def is_version_name(v: str) -> bool:
    return bool(_VERSION_RE.match(v))


def version_key(v: str) -> tuple[int, int]:
    m = _VERSION_RE.match(v)
    if not m:
        raise SchemaNotAvailableError(
            f"not an ST.96 version name: {v!r} (expected like {DEFAULT_VERSION})", code="bad-version"
        )
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

    @property
    def xsd_dir(self) -> Path | None:
        """The copy of the bundle's XSDs (cache entries only)."""
        if self.source != "cache":
            return None
        d = self.plan_path.parent / "xsd"
        return d if d.is_dir() else None

    @property
    def documents(self) -> list[str]:
        if self.schema_dir is None or not self.schema_dir.is_dir():
            return []
        return sorted(p.stem for p in self.schema_dir.glob("*.json"))

    @property
    def compiled(self) -> str:
        """When the version was compiled (ISO 8601, UTC), if recorded."""
        return str(self.meta.get("compiled", ""))

    @property
    def origin(self) -> str:
        """Where it came from, for humans: ``shipped with xml2json``, ``built from …``, ``fetched from …``."""
        return str(self.meta.get("source", "shipped with xml2json" if self.source == "shipped" else ""))


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
        with self._lock:
            if self._entries is None:
                self._entries = self._scan()
            return self._entries

    def shipped(self) -> dict[str, VersionEntry]:
        """The versions shipped with the package, including any a cache entry overrides."""

        out: dict[str, VersionEntry] = {}
        if SHIPPED_PLANS.is_dir():
            for p in sorted(SHIPPED_PLANS.glob("*.plan.json.gz")):
                v = p.name.split(".", 1)[0]
                meta: dict[str, Any] = {"source": "shipped with xml2json", "xml2json": __version__}
                meta_p = SHIPPED_PLANS / f"{v}.meta.json"  # optional: written by the release process
                if meta_p.is_file():
                    with contextlib.suppress(OSError, orjson.JSONDecodeError):
                        loaded = orjson.loads(meta_p.read_bytes())
                        meta.update(loaded if isinstance(loaded, dict) else {})
                out[v] = VersionEntry(v, "shipped", p, shipped_schema_dir(v), meta)
        return out

    def _scan(self) -> dict[str, VersionEntry]:
        out = self.shipped()
        if self.cache.is_dir():
            for d in sorted(self.cache.iterdir()):
                plan = d / "plan.json.gz"
                if not (_VERSION_RE.match(d.name) and plan.is_file()):
                    continue
                meta: dict[str, Any] = {}
                meta_p = d / "meta.json"
                if meta_p.is_file():
                    with contextlib.suppress(OSError, orjson.JSONDecodeError):
                        loaded = orjson.loads(meta_p.read_bytes())
                        meta = loaded if isinstance(loaded, dict) else {}
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

    def entry(self, version: str) -> VersionEntry:
        e = self.entries().get(version)
        if e is None:
            raise not_available(version, self.versions())
        return e

    def documents(self, version: str) -> list[str]:
        return self.entry(version).documents

    def xsd_dir(self, version: str) -> Path | None:
        e = self.entries().get(version)
        return e.xsd_dir if e is not None else None

    def plan(self, version: str) -> Plan:
        with self._lock:
            p = self._plans.get(version)
            if p is not None:
                return p
            entry = self.entries().get(version)
            if entry is None:
                raise not_available(version, self.versions())
            p = load_plan(entry.plan_path)
            if p.version != version:
                raise SchemaError(
                    f"{entry.plan_path} holds ST.96 {p.version}, not {version}", code="plan-version-mismatch"
                )
            self._plans[version] = p
            return p

    def schema_path(self, version: str, document: str) -> Path:
        entry = self.entries().get(version)
        if entry is None:
            raise not_available(version, self.versions())
        if entry.schema_dir is None or not (entry.schema_dir / f"{document}.json").is_file():
            known = entry.documents
            raise SchemaNotAvailableError(
                f"no JSON Schema for document {document!r} in ST.96 {version}"
                + (f"; known documents: {', '.join(known)}" if known else ""),
                code="unknown-document",
            )
        return entry.schema_dir / f"{document}.json"

    def schema(self, version: str, document: str) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.schema_path(version, document).read_bytes())
        return data

    # -- writing the cache -------------------------------------------------------------
    def install(
        self,
        version: str,
        plan: Mapping[str, Any],
        schemas: Mapping[str, Mapping[str, Any]],
        *,
        meta: Mapping[str, Any],
        xsd_root: Path | None = None,
        xsd_files: Iterable[Path] = (),
    ) -> VersionEntry:
        """Register a compiled version in the user cache, atomically.

        Everything is written into a staging folder inside the cache and renamed into
        place at the end; a version being replaced is renamed aside first and deleted
        afterwards. On any error nothing is registered and the previous version (if any)
        stays. *xsd_files* (below *xsd_root*) are copied with their relative layout.
        """

        version_key(version)
        if plan.get("version") != version:
            raise SchemaError(f"the plan is for {plan.get('version')!r}, not {version}", code="plan-version-mismatch")
        self.cache.mkdir(parents=True, exist_ok=True)
        with _cache_lock(self.cache):
            staging = _new_dir(self.cache, f".staging-{version}-")
            try:
                dump_plan(dict(plan), staging / "plan.json.gz")
                sdir = staging / "schemas"
                sdir.mkdir()
                for name, schema in sorted(schemas.items()):
                    (sdir / f"{name}.json").write_bytes(schema_bytes(dict(schema)))
                n_xsd = 0
                if xsd_root is not None:
                    xroot = xsd_root.resolve()
                    for f in xsd_files:
                        rel = f.resolve().relative_to(xroot)
                        dest = staging / "xsd" / rel
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(f, dest)
                        n_xsd += 1
                full_meta = {
                    "format": META_FORMAT,
                    "version": version,
                    "compiled": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "xml2json": __version__,
                    "plan_format": plan.get("format"),
                    "documents": sorted(schemas),
                    "xsd_files": n_xsd,
                    **dict(meta),
                }
                (staging / "meta.json").write_bytes(orjson.dumps(full_meta, option=orjson.OPT_INDENT_2))
                _fsync_tree(staging)
                final = self.cache / version
                old: Path | None = None
                if final.exists():
                    old = _new_dir(self.cache, f".old-{version}-")
                    os.replace(final, old / version)
                try:
                    os.replace(staging, final)
                except BaseException:
                    if old is not None:  # put the previous version back
                        os.replace(old / version, final)
                    raise
                if old is not None:
                    shutil.rmtree(old, ignore_errors=True)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        self.refresh()
        return self.entry(version)

    def remove(self, version: str) -> bool:
        """Delete a version from the user cache (shipped versions cannot be removed)."""
        version_key(version)
        final = self.cache / version
        if not final.is_dir():
            return False
        with _cache_lock(self.cache):
            trash = _new_dir(self.cache, f".old-{version}-")
            os.replace(final, trash / version)
            shutil.rmtree(trash, ignore_errors=True)
        self.refresh()
        return True

    def clean(self) -> None:
        """Remove staging folders left behind by interrupted builds (older than an hour)."""
        if not self.cache.is_dir():
            return
        now = time.time()
        for d in self.cache.iterdir():
            if d.name.startswith((".staging-", ".old-", ".download-")) and now - d.stat().st_mtime > 3600:
                shutil.rmtree(d, ignore_errors=True)


def _new_dir(parent: Path, prefix: str) -> Path:
    """A new, uniquely named folder (created with the umask's permissions, unlike ``mkdtemp``)."""
    while True:
        p = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            p.mkdir()
            return p
        except FileExistsError:  # pragma: no cover
            continue


def _fsync_tree(root: Path) -> None:
    """Flush the staged files before the rename makes them visible (best effort)."""
    if sys.platform == "win32":  # pragma: no cover
        return
    for p in root.rglob("*"):
        if p.is_file():
            with contextlib.suppress(OSError):
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)


@contextlib.contextmanager
def _cache_lock(cache: Path) -> Iterator[None]:
    """An advisory lock so that two builds never swap the same version at once."""
    lock_path = cache / ".lock"
    fh = open(lock_path, "a+b")  # noqa: SIM115 - held for the duration of the block
    try:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: renames alone
            yield
            return
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
    finally:
        fh.close()


def not_available(version: str, known: list[str]) -> SchemaNotAvailableError:
    if not is_version_name(version):
        return SchemaNotAvailableError(
            f"{version!r} is not an ST.96 version name (expected like {DEFAULT_VERSION}); compiled versions here: "
            f"{', '.join(known) or 'none'}",
            code="bad-version",
        )
    return SchemaNotAvailableError(
        f"ST.96 {version} has no compiled schema here (compiled: {', '.join(known) or 'none'}); "
        f"compile or fetch {version} into the user cache, or convert with one of the compiled versions",
        code="version-not-compiled",
    )


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry for the current cache folder (a new one if ``$XML2JSON_CACHE`` changed)."""
    global _default
    with _default_lock:
        where = cache_dir()
        if _default is None or _default.cache != where:
            _default = Registry(where)
        return _default

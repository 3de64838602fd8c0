"""Validation: XML against the ST.96 XSD (lxml), JSON against the generated JSON Schema.

Validators are built once per (version, document) and cached on the
:class:`Validators` object. XSDs are never shipped with the package (they are
WIPO's); they are found in, in order: the ``xsd_dirs`` given, the folders in
``$XML2JSON_XSD_PATH`` (separated by ``os.pathsep``), and the user cache
(``<cache>/<version>/xsd``, filled by ``xml2json schema build``/``fetch``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lxml import etree

from .errors import Issue, SchemaNotAvailableError
from .fastvalidate import FastChecker
from .registry import Registry, default_registry

MAX_REPORTED = 50


def _xsd_dirs(extra: Sequence[str | Path], registry: Registry, version: str) -> list[Path]:
    dirs = [Path(p) for p in extra]
    env = os.environ.get("XML2JSON_XSD_PATH")
    if env:
        dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    dirs.append(registry.cache / version / "xsd")
    return dirs


def find_xsd(
    version: str, document: str, *, xsd_dirs: Sequence[str | Path] = (), registry: Registry | None = None
) -> Path:
    reg = registry or default_registry()
    name = f"{document}_{version}.xsd"
    for d in _xsd_dirs(xsd_dirs, reg, version):
        if not d.is_dir():
            continue
        direct = d / name
        if direct.is_file():
            return direct
        found = sorted(d.rglob(name))  # modular layout: <Domain>/Document/<Doc>_<V>.xsd
        if found:
            return found[0]
    raise SchemaNotAvailableError(
        f"the ST.96 XSD {name} is not available for XML validation; point $XML2JSON_XSD_PATH at an "
        f"ST.96 {version} bundle folder, or register the bundle in the user cache",
        code="xsd-not-available",
    )


class _NoNetworkResolver(etree.Resolver):
    """XSD imports may only be local files."""

    def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:  # type: ignore[override]
        if url and "://" in url and not url.startswith("file:"):
            raise SchemaNotAvailableError(f"XSD import from the network refused: {url}", code="xsd-network")
        return None


class Validators:
    """Caches compiled XSD and JSON Schema validators for one registry."""

    def __init__(
        self, *, registry: Registry | None = None, xsd_dirs: Sequence[str | Path] = (), fast: bool = True
    ) -> None:
        self.registry = registry or default_registry()
        self.xsd_dirs = tuple(xsd_dirs)
        #: jsonschema-rs verdicts asked first (xml2json.fastvalidate); None: jsonschema alone, the
        #: reference the fast path is tested against
        self.fast_checker: FastChecker | None = FastChecker(self.registry) if fast else None
        self._xsd: dict[tuple[str, str], etree.XMLSchema] = {}
        self._json: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def xsd(self, version: str, document: str) -> etree.XMLSchema:
        key = (version, document)
        with self._lock:
            v = self._xsd.get(key)
            if v is None:
                path = find_xsd(version, document, xsd_dirs=self.xsd_dirs, registry=self.registry)
                parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
                parser.resolvers.add(_NoNetworkResolver())
                v = etree.XMLSchema(etree.parse(str(path), parser))
                self._xsd[key] = v
            return v

    def json_schema(self, version: str, document: str) -> Any:
        key = (version, document)
        with self._lock:
            v = self._json.get(key)
            if v is None:
                from jsonschema import Draft202012Validator

                schema = self.registry.schema(version, document)
                v = Draft202012Validator(schema)
                self._json[key] = v
            return v

    def check_xml(self, root: Any, version: str, document: str) -> list[Issue]:
        schema = self.xsd(version, document)
        if schema.validate(root.getroottree() if hasattr(root, "getroottree") else root):
            return []
        out = []
        for e in list(schema.error_log)[:MAX_REPORTED]:  # type: ignore[call-overload]
            out.append(Issue("xsd-invalid", e.message, xml_path=e.path or None, line=e.line or None))
        return out

    @property
    def fast(self) -> bool:
        return self.fast_checker is not None

    def is_valid(self, data: Any, version: str, document: str) -> bool:
        """The verdict of :meth:`check_json` without the issues."""
        fast = self.fast_checker
        if fast is not None and fast.valid(data, version, document):
            return True
        ok: bool = self.json_schema(version, document).is_valid(data)
        return ok

    def check_json(self, data: Any, version: str, document: str) -> list[Issue]:
        """``[]`` when *data* is valid, else jsonschema's issues (at most ``MAX_REPORTED``)."""
        # jsonschema-rs (the optional "fast" extra) may confirm a valid document hundreds of times
        # faster; every other verdict, and every issue list, comes from jsonschema below
        fast = self.fast_checker
        if fast is not None and fast.valid(data, version, document):
            return []
        v = self.json_schema(version, document)
        out = []
        for err in sorted(v.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            ptr = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in err.absolute_path)
            out.append(
                Issue(
                    "json-schema-invalid",
                    err.message if len(err.message) < 500 else err.message[:497] + "...",
                    json_pointer=ptr,
                )
            )
            if len(out) >= MAX_REPORTED:
                break
        return out


_default: Validators | None = None
_default_lock = threading.Lock()


def default_validators() -> Validators:
    """The process-wide validators for the default registry (new ones if ``$XML2JSON_CACHE`` changed)."""
    global _default
    with _default_lock:
        registry = default_registry()
        if _default is None or _default.registry is not registry:
            _default = Validators(registry=registry)
        return _default


__all__ = ["Validators", "default_validators", "find_xsd"]

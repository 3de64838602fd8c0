"""``xml2json schema build BUNDLE``: compile any ST.96 bundle and register it in the user cache."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..compiler.load import open_bundle
from ..compiler.pipeline import compile_bundle
from ..errors import BundleError
from ..registry import Registry, VersionEntry, default_registry, version_key


@dataclass(frozen=True)
class BuildResult:
    version: str
    entry: VersionEntry
    documents: tuple[str, ...]
    layout: str  # "flattened" or "modular"
    seconds: float
    replaced: bool
    notes: tuple[str, ...] = ()
    collisions: tuple[dict[str, str], ...] = field(default_factory=tuple)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def build_bundle(
    source: str | Path,
    *,
    registry: Registry | None = None,
    expect_version: str | None = None,
    origin: Mapping[str, Any] | None = None,
) -> BuildResult:
    """Compile the bundle at *source* (folder or zip, flattened or modular) and register it.

    The version is read from the bundle (file names and the fixed ``com:st96Version``);
    *expect_version*, when given, must match it. *origin* adds to the version's
    ``meta.json`` (``fetch`` records the URL and checksum there). The cache is only
    written once everything has compiled: a failure leaves it as it was.
    """
    reg = registry or default_registry()
    if expect_version is not None:
        version_key(expect_version)
    path = Path(source)
    t0 = time.perf_counter()
    with open_bundle(path) as bundle:
        if expect_version is not None and bundle.version != expect_version:
            raise BundleError(
                f"{path.name} holds ST.96 {bundle.version}, not {expect_version}", code="bundle-version-mismatch"
            )
        compiled = compile_bundle(bundle.root)
        seconds = time.perf_counter() - t0
        layout = "flattened" if all(d.path.parent.name != "Document" for d in bundle.documents) else "modular"
        meta: dict[str, Any] = {
            "source": f"built from {path.resolve()}",
            "bundle": str(path.resolve()),
            "layout": layout,
            "compile_seconds": round(seconds, 2),
        }
        if path.is_file():
            meta["bundle_sha256"] = file_sha256(path)
        meta.update(origin or {})
        replaced = (reg.cache / bundle.version / "plan.json.gz").is_file()
        entry = reg.install(
            bundle.version, compiled.plan, compiled.schemas, meta=meta, xsd_root=bundle.root, xsd_files=bundle.files
        )
    return BuildResult(
        version=bundle.version,
        entry=entry,
        documents=tuple(sorted(compiled.schemas)),
        layout=layout,
        seconds=seconds,
        replaced=replaced,
        notes=tuple(compiled.notes),
        collisions=tuple(compiled.ir.collisions),
    )

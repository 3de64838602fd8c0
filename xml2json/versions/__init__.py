"""ST.96 versions: build any bundle into the registry, fetch WIPO's packages, diff two versions.

* :func:`~xml2json.versions.build.build_bundle` — compile a bundle (folder or zip, either
  layout) and register it in the user cache (:class:`~xml2json.registry.Registry`);
* :func:`~xml2json.versions.fetch.fetch_version` — download WIPO's package for a version
  (or from a mirror), verify it, then build it;
* :func:`~xml2json.versions.diff.diff_versions` — what changed between two compiled
  versions at the ST.97 level.

Names are imported lazily (the compiler pulls in xmlschema). See ``docs/versions.md``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .build import BuildResult, build_bundle
    from .diff import Change, VersionDiff, diff_schema_sets, diff_versions
    from .fetch import WIPO_BASE_URL, candidate_urls, fetch_version

_WHERE = {
    "BuildResult": "build",
    "build_bundle": "build",
    "Change": "diff",
    "VersionDiff": "diff",
    "diff_schema_sets": "diff",
    "diff_versions": "diff",
    "WIPO_BASE_URL": "fetch",
    "candidate_urls": "fetch",
    "fetch_version": "fetch",
}


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{mod}"), name)


__all__ = [
    "WIPO_BASE_URL",
    "BuildResult",
    "Change",
    "VersionDiff",
    "build_bundle",
    "candidate_urls",
    "diff_schema_sets",
    "diff_versions",
    "fetch_version",
]

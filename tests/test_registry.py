"""The schema registry and cache: locations, ordering, atomic installs, messages.

Uses the hand-written mini bundle (tests/fixtures/mini-bundle, version V9_9) and the
shipped V6_0; no reference data from ../shared is needed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import ROOT

import xml2json.registry as registry_mod
from xml2json.cli import main
from xml2json.cli._common import format_issue
from xml2json.compiler.pipeline import CompiledBundle, compile_bundle
from xml2json.errors import SchemaError, SchemaNotAvailableError
from xml2json.registry import (
    DEFAULT_VERSION,
    Registry,
    cache_dir,
    default_registry,
    not_available,
    version_key,
)
from xml2json.versions import build_bundle, diff_versions

MINI = ROOT / "tests" / "fixtures" / "mini-bundle"
MINI_VERSION = "V9_9"


@pytest.fixture(scope="module")
def mini() -> CompiledBundle:
    return compile_bundle(MINI)


def _install(reg: Registry, c: CompiledBundle, **meta: Any) -> None:
    reg.install(
        c.version,
        c.plan,
        c.schemas,
        meta={"source": "test", **meta},
        xsd_root=MINI,
        xsd_files=sorted(MINI.glob("*.xsd")),
    )


def test_cache_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "a"
    monkeypatch.delenv("XML2JSON_CACHE")
    assert cache_dir() == tmp_path / "xdg" / "xml2json"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "xml2json"


def test_default_registry_follows_the_cache_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path / "one"))
    r1 = default_registry()
    assert r1 is default_registry() and r1.cache == tmp_path / "one"
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path / "two"))
    assert default_registry().cache == tmp_path / "two"


def test_versions_sort_numerically() -> None:
    vs = ["V10_0", "V7_1", "V5_0", "V8_0", "V7_0", "V6_0"]
    assert sorted(vs, key=version_key) == ["V5_0", "V6_0", "V7_0", "V7_1", "V8_0", "V10_0"]
    with pytest.raises(SchemaNotAvailableError) as e:
        version_key("8.0")
    assert e.value.code == "bad-version"


def test_shipped_default_version_is_visible(tmp_path: Path) -> None:
    reg = Registry(cache=tmp_path / "none")
    assert reg.versions() == [DEFAULT_VERSION] and reg.newest() == DEFAULT_VERSION
    e = reg.entry(DEFAULT_VERSION)
    assert e.source == "shipped" and e.xsd_dir is None and len(e.documents) == 28
    assert e.origin == "shipped with xml2json"
    assert reg.plan(DEFAULT_VERSION) is reg.plan(DEFAULT_VERSION)  # loaded once


def test_install_registers_plan_schemas_xsds_and_meta(mini: CompiledBundle, tmp_path: Path) -> None:
    reg = Registry(cache=tmp_path / "cache")
    _install(reg, mini, url="http://example.invalid/x.zip")
    assert reg.versions() == [DEFAULT_VERSION, MINI_VERSION] and reg.newest() == MINI_VERSION
    e = reg.entry(MINI_VERSION)
    assert e.source == "cache" and e.documents == ["Sample"]
    assert e.xsd_dir is not None and sorted(p.name for p in e.xsd_dir.iterdir()) == [
        "Sample_V9_9.xsd",
        "Sample_V9_9_Common.xsd",
    ]
    assert reg.plan(MINI_VERSION).version == MINI_VERSION
    assert reg.schema(MINI_VERSION, "Sample") == orjson.loads(orjson.dumps(mini.schemas["Sample"]))
    assert e.meta["source"] == "test" and e.meta["url"] == "http://example.invalid/x.zip"
    assert e.meta["documents"] == ["Sample"] and e.meta["xml2json"] and e.meta["compiled"].endswith("Z")
    assert sorted(p.name for p in reg.cache.iterdir()) == [".lock", MINI_VERSION]


def test_a_failed_install_leaves_the_previous_version(
    mini: CompiledBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = Registry(cache=tmp_path / "cache")
    _install(reg, mini, source="first")

    def broken_copy(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(registry_mod.shutil, "copyfile", broken_copy)
    with pytest.raises(OSError):
        _install(reg, mini, source="second")
    monkeypatch.undo()
    assert reg.entry(MINI_VERSION).meta["source"] == "first"  # the previous version stays
    assert sorted(p.name for p in reg.cache.iterdir()) == [".lock", MINI_VERSION]
    # a plan of another version cannot be installed under this name
    with pytest.raises(SchemaError) as e:
        reg.install("V9_8", mini.plan, mini.schemas, meta={})
    assert e.value.code == "plan-version-mismatch"


def test_a_reader_never_sees_a_half_written_version(
    mini: CompiledBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While the staging folder is being written, the version is invisible to a new scan."""
    reg = Registry(cache=tmp_path / "cache")
    seen: list[bool] = []
    real = registry_mod._fsync_tree

    def spy(root: Path) -> None:
        seen.append(Registry(cache=reg.cache).has(MINI_VERSION))
        real(root)

    monkeypatch.setattr(registry_mod, "_fsync_tree", spy)
    _install(reg, mini)
    assert seen == [False] and Registry(cache=reg.cache).has(MINI_VERSION)


def test_remove_and_cli_remove(
    mini: CompiledBundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    reg = Registry(cache=tmp_path / "cache")
    _install(reg, mini)
    assert reg.remove(MINI_VERSION) and not reg.has(MINI_VERSION) and not reg.remove(MINI_VERSION)
    _install(reg, mini)
    monkeypatch.setenv("XML2JSON_CACHE", str(reg.cache))
    assert main(["schema", "remove", MINI_VERSION]) == 0
    assert main(["schema", "remove", DEFAULT_VERSION]) == 3  # a schema problem: shipped, cannot be removed
    assert "shipped with xml2json" in capsys.readouterr().err


def test_not_available_says_how_to_get_a_version() -> None:
    e = not_available("V8_0", [DEFAULT_VERSION])
    assert e.code == "version-not-compiled"
    assert "V8_0" in e.message and f"compiled: {DEFAULT_VERSION}" in e.message
    assert "--" not in e.message and "xml2json " not in e.message  # the library names no CLI flag or command
    text = format_issue(e.issues[0], kind="error")  # the CLI adds how to mend it
    assert "`xml2json schema fetch VERSION`" in text and "`xml2json schema build BUNDLE`" in text
    assert "--st96-version" in text
    assert not_available("2.2.1", [DEFAULT_VERSION]).code == "bad-version"


def test_build_and_list_through_the_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path / "cache"))
    assert main(["schema", "build", str(MINI), "--json"]) == 0
    out = orjson.loads(capsys.readouterr().out)
    assert out["version"] == MINI_VERSION and out["documents"] == ["Sample"] and out["replaced"] is False
    assert main(["schema", "build", str(MINI), "--st96-version", "V9_8"]) == 3
    assert "bundle-version-mismatch" in capsys.readouterr().err
    assert main(["schema", "list"]) == 0
    out_text = capsys.readouterr().out
    line = next(x for x in out_text.splitlines() if x.startswith(MINI_VERSION))
    assert "cache" in line and f"built from {MINI.resolve()}" in line and "yes" in line
    assert main(["schema", "show", "Sample", "--st96-version", MINI_VERSION]) == 0
    assert orjson.loads(capsys.readouterr().out)["$id"].endswith(f"{MINI_VERSION}:Sample")


def test_diff_of_a_version_with_itself_is_empty(tmp_path: Path) -> None:
    reg = Registry(cache=tmp_path / "cache")
    build_bundle(MINI, registry=reg)
    d = diff_versions(MINI_VERSION, MINI_VERSION, registry=reg)
    assert d.empty and d.documents_compared == ["Sample"]
    d2 = diff_versions(DEFAULT_VERSION, MINI_VERSION, registry=reg)
    assert d2.documents_added == ["Sample"] and len(d2.documents_removed) == 28 and d2.changes == []

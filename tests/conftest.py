"""Shared test setup.

Reference data (the WIPO XSDs and the real office documents) is read in place
from ``../shared`` — never copied into the repository. One setting locates it:
``XML2JSON_SHARED`` (default: the ``shared`` folder beside the checkout). Tests
that need it skip with a reason where it is missing, except under ``CI=true``,
where a missing ``../shared`` fails them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("XML2JSON_SHARED", ROOT.parent / "shared")).resolve()
XSD_V6 = SHARED / "st96" / "V6_0_Flattened"
SAMPLES = SHARED / "st96-samples"
WIPO_V6 = SAMPLES / "wipo-annex-vii-V6_0"
WIPO_V8 = SAMPLES / "wipo-example-instances-V8_0"
USPTO = SAMPLES / "uspto-tsdr-plumage"
CASES = ROOT / "tests" / "cases"
EXAMPLE = ROOT / "xml2json" / "examples" / "TrademarkApplication_V6_0.xml"


def require_shared(path: Path | None = None) -> Path:
    """Return *path* (default: the shared folder, which must hold the V6_0 XSDs and the sample
    documents) if the reference data is there; skip (or fail under CI=true) otherwise."""
    needed = [path] if path is not None else [XSD_V6, SAMPLES]
    missing = [p for p in needed if not p.exists()]
    if not missing:
        return path if path is not None else SHARED
    msg = f"reference data not found at {missing[0]} (set XML2JSON_SHARED to the shared folder)"
    if os.environ.get("CI") == "true":
        pytest.fail(msg + " — CI must have ../shared beside the checkout")
    pytest.skip(msg)


#: Session fixtures that compile or load schemas (seconds to half a minute), or start a headless
#: browser (seconds per page): every test that uses one is marked ``slow``, so that
#: ``pytest -m "not slow"`` is the quick loop.
SLOW_FIXTURES = frozenset({"compiled_v6", "validators", "v8_registry", "small_v6", "chromium"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def shared_available(path: Path = SAMPLES) -> bool:
    """For tests that also run on the repository's own fixtures: True when the reference data
    (*path*, by default the sample documents) is there; under ``CI=true`` its absence fails the
    test instead of quietly testing less."""
    if path.exists():
        return True
    if os.environ.get("CI") == "true":
        pytest.fail(f"reference data not found at {path} — CI must have ../shared beside the checkout")
    return False


@pytest.fixture(scope="session")
def xsd_dir() -> Path:
    return require_shared(XSD_V6)


@pytest.fixture(scope="session")
def samples() -> Path:
    return require_shared(SAMPLES)


@pytest.fixture(autouse=True)
def _xsd_path(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Point XML validation at the shared V6_0 bundle and keep the user cache out of tests."""
    if XSD_V6.exists():
        monkeypatch.setenv("XML2JSON_XSD_PATH", str(XSD_V6))
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path_factory.getbasetemp() / "xml2json-cache"))


@pytest.fixture(scope="session")
def validators():  # type: ignore[no-untyped-def]
    """One set of compiled validators for the whole session (XSDs take seconds to load)."""
    from xml2json.registry import Registry
    from xml2json.validate import Validators

    require_shared(XSD_V6)  # XSD validation needs WIPO's XSDs: skip (or fail under CI=true) without them
    os.environ.setdefault("XML2JSON_XSD_PATH", str(XSD_V6))
    return Validators(registry=Registry(cache=Path("/nonexistent-xml2json-cache")), xsd_dirs=[XSD_V6])


@pytest.fixture(scope="session")
def compiled_v6():  # type: ignore[no-untyped-def]
    """The full V6_0 bundle compiled from ../shared, once per session (about half a minute)."""
    from xml2json.compiler.pipeline import compile_bundle

    return compile_bundle(require_shared(XSD_V6))


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of a headless browser (Debian's chromium) for tests of HTML pages (tests/browser.py);
    skip without one, fail under CI=true (.ci/run installs it)."""
    from browser import require_chromium

    return require_chromium()

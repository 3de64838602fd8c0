"""``schema fetch``: against a loopback HTTP server only — no test touches the internet.

The server (``http.server`` on 127.0.0.1, an ephemeral port, in a thread) serves zips
built at test time from a DERIVED "V8_0" variant of ../shared/st96/V6_0_Flattened (see
``test_versions.py``; not an official WIPO package), and broken ones: truncated, with a
corrupted member, an HTML page instead of a zip, a package of the wrong version.
"""

from __future__ import annotations

import hashlib
import http.server
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import XSD_V6, require_shared
from test_versions import copy_subset, derive_v8, zip_folder

from xml2json.cli import main
from xml2json.errors import BundleError
from xml2json.registry import Registry
from xml2json.versions import candidate_urls, fetch_version
from xml2json.versions.fetch import WIPO_BASE_URL, download, verify_package

pytestmark = pytest.mark.shared

V8 = "V8_0"
PKG = f"ST96XMLSchema_{V8}_Flattened.zip"


class _Server:
    """Serves ``routes[path] = (status, content type, body, advertised length or None)``."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, str, bytes, int | None]] = {}
        self.requests: list[str] = []
        routes, requests = self.routes, self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                requests.append(self.path)
                status, ctype, body, length = routes.get(self.path, (404, "text/plain", b"not found", None))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body) if length is None else length))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def serve(
        self, path: str, body: bytes, *, status: int = 200, ctype: str = "application/zip", length: int | None = None
    ) -> str:
        self.routes[path] = (status, ctype, body, length)
        return self.base + path


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    s.thread.start()
    try:
        yield s
    finally:
        s.httpd.shutdown()
        s.httpd.server_close()


@pytest.fixture(scope="module")
def v8_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small DERIVED "V8_0" package (TrademarkApplication only), zipped like WIPO's, in memory."""
    base = tmp_path_factory.mktemp("fetch-pkg")
    flat = derive_v8(require_shared(XSD_V6), base / "v8", ["TrademarkApplication"])
    return zip_folder(flat, base / PKG, prefix=f"ST96XMLSchema_{V8}_Flattened/").read_bytes()


@pytest.fixture(scope="module")
def v6_zip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    base = tmp_path_factory.mktemp("fetch-v6")
    flat = copy_subset(require_shared(XSD_V6), base / "v6", ["TrademarkApplication"])
    return zip_folder(flat, base / "v6.zip").read_bytes()


def _nothing_registered(reg: Registry) -> None:
    reg.refresh()
    assert not reg.has(V8)
    leftovers = [p.name for p in reg.cache.iterdir() if p.name != ".lock"] if reg.cache.exists() else []
    assert leftovers == []


def test_candidate_urls_follow_the_documented_pattern() -> None:
    assert candidate_urls(V8) == [
        f"{WIPO_BASE_URL}/{V8}/ST96XMLSchema_{V8}_Flattened.zip",
        f"{WIPO_BASE_URL}/{V8}/ST96XMLSchema_{V8}.zip",
    ]
    assert candidate_urls(V8, mirrors=["http://m.example/st96/"], url_base="http://b.example")[:2] == [
        f"http://m.example/st96/{V8}/ST96XMLSchema_{V8}_Flattened.zip",
        f"http://m.example/st96/{V8}/ST96XMLSchema_{V8}.zip",
    ]
    assert candidate_urls(V8, url="http://x.example/p.zip") == ["http://x.example/p.zip"]
    with pytest.raises(Exception, match=r"not an ST\.96 version name"):
        candidate_urls("8.0")


def test_fetch_end_to_end_through_the_cli(
    server: _Server, v8_zip: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A dead mirror (404), then the package at <url-base>/<V>/ST96XMLSchema_<V>_Flattened.zip."""
    good = server.serve(f"/st96/{V8}/{PKG}", v8_zip)
    digest = hashlib.sha256(v8_zip).hexdigest()
    cache = tmp_path / "cache"
    monkeypatch.setenv("XML2JSON_CACHE", str(cache))
    code = main(
        [
            "schema",
            "fetch",
            V8,
            "--mirror",
            f"{server.base}/dead-mirror",
            "--url-base",
            f"{server.base}/st96",
            "--sha256",
            digest,
            "--timeout",
            "10",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert f"registered ST.96 {V8}" in err
    assert server.requests == [
        f"/dead-mirror/{V8}/{PKG}",
        f"/dead-mirror/{V8}/ST96XMLSchema_{V8}.zip",
        f"/st96/{V8}/{PKG}",
    ]
    reg = Registry(cache=cache)
    entry = reg.entry(V8)
    assert entry.meta["url"] == good and entry.meta["sha256"] == digest
    assert entry.meta["source"] == f"fetched from {good}"
    assert entry.documents == ["TrademarkApplication"]
    assert entry.xsd_dir is not None and any(entry.xsd_dir.rglob(f"TrademarkApplication_{V8}.xsd"))
    assert reg.plan(V8).version == V8
    assert main(["schema", "list"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(V8))
    assert f"fetched from {good}" in line


def _corrupt_member(data: bytes) -> bytes:
    """Flip bytes inside the first member's compressed data: the length stays, the CRC check fails."""
    with zipfile.ZipFile(__import__("io").BytesIO(data)) as zf:
        info = zf.infolist()[0]
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 50
    b = bytearray(data)
    for i in range(start, start + 64):
        b[i] ^= 0xFF
    return bytes(b)


@pytest.mark.parametrize("breakage", ["truncated", "short-body", "bit-flips", "checksum"])
def test_a_corrupted_download_is_a_clear_error_and_registers_nothing(
    server: _Server, v8_zip: bytes, tmp_path: Path, breakage: str
) -> None:
    reg = Registry(cache=tmp_path / "cache")
    path = f"/st96/{V8}/{PKG}"
    sha = None
    if breakage == "truncated":  # the server says so (Content-Length) but the connection ends early
        server.serve(path, v8_zip[: len(v8_zip) // 2], length=len(v8_zip))
        code, words = "fetch-incomplete", "incomplete"
    elif breakage == "short-body":  # a file cut short on the server: not a zip any more
        server.serve(path, v8_zip[: len(v8_zip) // 2])
        code, words = "fetch-corrupt", "not a valid zip"
    elif breakage == "bit-flips":
        server.serve(path, _corrupt_member(v8_zip))
        code, words = "fetch-corrupt", "corrupted"
    else:
        server.serve(path, v8_zip)
        sha = "0" * 64
        code, words = "fetch-checksum", "SHA-256"
    with pytest.raises(BundleError) as e:
        fetch_version(V8, registry=reg, url_base=f"{server.base}/st96", sha256=sha, timeout=10)
    assert e.value.code == code
    assert words in e.value.message and server.base in e.value.message
    _nothing_registered(reg)


def test_the_wrong_version_in_the_package_registers_nothing(server: _Server, v6_zip: bytes, tmp_path: Path) -> None:
    reg = Registry(cache=tmp_path / "cache")
    url = server.serve("/pkg/ST96.zip", v6_zip)
    with pytest.raises(BundleError) as e:
        fetch_version(V8, registry=reg, url=url, timeout=10)
    assert e.value.code == "bundle-version-mismatch"
    assert "not a usable ST.96 V8_0 bundle" in e.value.message
    _nothing_registered(reg)


def test_not_found_anywhere_lists_the_addresses_tried(
    server: _Server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server.serve(f"/st96/{V8}/{PKG}", b"<html><body>Page not found</body></html>", ctype="text/html")
    reg = Registry(cache=tmp_path / "cache")
    with pytest.raises(BundleError) as e:
        fetch_version(V8, registry=reg, url_base=f"{server.base}/st96", timeout=10)
    assert e.value.code == "fetch-not-found"
    assert f"/st96/{V8}/{PKG}" in e.value.message and f"/st96/{V8}/ST96XMLSchema_{V8}.zip" in e.value.message
    assert "--" not in e.value.message  # the library names no flag; the CLI adds the hint
    _nothing_registered(reg)
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path / "cache"))
    assert main(["schema", "fetch", V8, "--url-base", f"{server.base}/st96"]) == 3
    err = capsys.readouterr().err
    assert "fetch-not-found" in err and "hint:" in err and "--url" in err and "schema build" in err


def test_unreachable_server_and_bad_scheme(tmp_path: Path) -> None:
    reg = Registry(cache=tmp_path / "cache")
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(BundleError) as e:
        fetch_version(V8, registry=reg, url=f"http://127.0.0.1:{port}/x.zip", timeout=5)
    assert e.value.code == "fetch-failed" and "cannot download" in e.value.message
    with pytest.raises(BundleError) as e:
        fetch_version(V8, registry=reg, url="ftp://127.0.0.1/x.zip", timeout=5)
    assert e.value.code == "fetch-bad-url"
    _nothing_registered(reg)


def test_a_local_file_mirror_works(v8_zip: bytes, tmp_path: Path) -> None:
    """A file:// mirror is downloaded and verified like any other (the build itself is tested above)."""
    mirror = tmp_path / "mirror" / V8
    mirror.mkdir(parents=True)
    (mirror / PKG).write_bytes(v8_zip)
    url = candidate_urls(V8, mirrors=[(tmp_path / "mirror").as_uri()])[0]
    assert url == (mirror / PKG).as_uri()
    dest = tmp_path / "got.zip"
    digest = download(url, dest, timeout=5)
    verify_package(dest, url, sha256=hashlib.sha256(v8_zip).hexdigest(), digest=digest)
    assert dest.read_bytes() == v8_zip

"""``xml2json schema fetch Vx_y``: download WIPO's ST.96 package for a version, verify, build, register.

Addresses follow WIPO's documented pattern (Annex III of ST.96)::

    <base>/<V>/ST96XMLSchema_<V>_Flattened.zip     tried first
    <base>/<V>/ST96XMLSchema_<V>.zip               the modular package

with ``<base>`` = :data:`WIPO_BASE_URL` unless ``url_base`` is given. Offices behind a
firewall pass one or more ``mirrors`` (bases with the same layout, tried before WIPO),
an exact ``url``, or a ``proxy`` (the standard ``https_proxy``/``http_proxy`` variables
are honoured too). ``file:`` URLs work for a local mirror folder.

Verification before anything is compiled: the download is complete (``Content-Length``),
within :data:`MAX_DOWNLOAD_BYTES`, a readable zip whose members pass their CRC check,
matches ``sha256`` when one is given, and holds document schemas of the requested
version (checked by the build). Nothing is registered unless all of that holds.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import BundleError
from ..registry import Registry, default_registry, version_key

if TYPE_CHECKING:
    import urllib.request

    from .build import BuildResult

#: The documented root of WIPO's ST.96 schema addresses.
WIPO_BASE_URL = "https://www.wipo.int/standards/XMLSchema/ST96"
#: Package file names under ``<base>/<V>/``, in the order they are tried.
PACKAGE_NAMES = ("ST96XMLSchema_{v}_Flattened.zip", "ST96XMLSchema_{v}.zip")
#: An ST.96 package is ~5–40 MB; refuse anything far larger.
MAX_DOWNLOAD_BYTES = 256 * 1024 * 1024
DEFAULT_TIMEOUT = 60.0
_ALLOWED_SCHEMES = ("http", "https", "file")

Progress = Callable[[str, int, int | None], None]


def candidate_urls(
    version: str, *, url: str | None = None, url_base: str | None = None, mirrors: Sequence[str] = ()
) -> list[str]:
    """The addresses tried for *version*, in order."""
    version_key(version)
    if url:
        return [url]
    out: list[str] = []
    for base in [*mirrors, url_base or WIPO_BASE_URL]:
        b = base.rstrip("/")
        for name in PACKAGE_NAMES:
            u = f"{b}/{version}/{name.format(v=version)}"
            if u not in out:
                out.append(u)
    return out


class _NotThere(Exception):
    """The address does not hold the package (404, an HTML page…): try the next one."""


def _opener(proxy: str | None) -> urllib.request.OpenerDirector:
    import urllib.request

    handlers: list[urllib.request.BaseHandler] = []
    if proxy:
        handlers.append(urllib.request.ProxyHandler({"http": proxy, "https": proxy}))
    return urllib.request.build_opener(*handlers)


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    proxy: str | None = None,
    max_bytes: int = MAX_DOWNLOAD_BYTES,
    progress: Progress | None = None,
) -> str:
    """Download *url* into *dest*; return its SHA-256. Raises :class:`BundleError` or ``_NotThere``."""
    import http.client  # imported here: the network stack is only needed by `schema fetch`
    import urllib.error
    import urllib.request

    from .._version import __version__

    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in _ALLOWED_SCHEMES:
        raise BundleError(f"unsupported URL scheme {scheme!r} in {url} (use https, http or file)", code="fetch-bad-url")
    req = urllib.request.Request(url, headers={"User-Agent": f"xml2json/{__version__}"})
    h = hashlib.sha256()
    try:
        with _opener(proxy).open(req, timeout=timeout) as resp:
            ctype = (resp.headers.get("Content-Type") or "").lower()
            if ctype.startswith("text/html"):
                raise _NotThere(f"{url} is a web page ({ctype}), not a zip")
            length_h = resp.headers.get("Content-Length")
            total = int(length_h) if length_h and length_h.isdigit() else None
            if total is not None and total > max_bytes:
                raise BundleError(
                    f"{url} is {total} bytes, more than the {max_bytes}-byte limit", code="fetch-too-large"
                )
            got = 0
            with open(dest, "wb") as out:
                while chunk := resp.read(1 << 16):
                    got += len(chunk)
                    if got > max_bytes:
                        raise BundleError(f"{url} sends more than the {max_bytes}-byte limit", code="fetch-too-large")
                    h.update(chunk)
                    out.write(chunk)
                    if progress is not None:
                        progress(url, got, total)
            if total is not None and got != total:
                raise BundleError(
                    f"the download of {url} is incomplete: {got} of {total} bytes", code="fetch-incomplete"
                )
    except urllib.error.HTTPError as exc:
        if exc.code in (404, 410):
            raise _NotThere(f"{url}: HTTP {exc.code} {exc.reason}") from None
        raise BundleError(f"{url}: HTTP {exc.code} {exc.reason}", code="fetch-failed") from None
    except http.client.IncompleteRead as exc:
        raise BundleError(
            f"the download of {url} is incomplete ({len(exc.partial)} bytes received)", code="fetch-incomplete"
        ) from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise BundleError(f"cannot download {url}: {reason}", code="fetch-failed") from None
    return h.hexdigest()


def verify_package(path: Path, url: str, *, sha256: str | None, digest: str) -> None:
    """A complete, uncorrupted zip (and the expected checksum, when given)."""
    if sha256 is not None and digest.lower() != sha256.strip().lower():
        raise BundleError(
            f"the download of {url} has SHA-256 {digest}, not the expected {sha256.strip()}", code="fetch-checksum"
        )
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.lstrip()[:1] == b"<":
        raise _NotThere(f"{url} is a web page, not a zip")
    if not zipfile.is_zipfile(path):
        raise BundleError(
            f"the download of {url} is not a valid zip file ({path.stat().st_size} bytes); "
            "it may be truncated or corrupted",
            code="fetch-corrupt",
        )
    try:
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError) as exc:
        raise BundleError(f"the download of {url} is a corrupted zip: {exc}", code="fetch-corrupt") from None
    if bad is not None:
        raise BundleError(
            f"the download of {url} is a corrupted zip (member {bad!r} fails its CRC check)", code="fetch-corrupt"
        )


def fetch_version(
    version: str,
    *,
    registry: Registry | None = None,
    url: str | None = None,
    url_base: str | None = None,
    mirrors: Sequence[str] = (),
    sha256: str | None = None,
    proxy: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    keep: Path | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Download, verify, compile and register ST.96 *version*; see the module docstring."""
    from .build import build_bundle  # the compiler (xmlschema) only when it is needed

    reg = registry or default_registry()
    urls = candidate_urls(version, url=url, url_base=url_base, mirrors=mirrors)
    tmp = Path(tempfile.mkdtemp(prefix="xml2json-fetch-"))
    try:
        tried: list[str] = []
        for u in urls:
            name = Path(urllib.parse.unquote(urllib.parse.urlsplit(u).path)).name or f"ST96_{version}.zip"
            dest = tmp / name
            try:
                digest = download(u, dest, timeout=timeout, proxy=proxy, progress=progress)
                verify_package(dest, u, sha256=sha256, digest=digest)
            except _NotThere as exc:
                tried.append(str(exc))
                with contextlib.suppress(OSError):
                    dest.unlink()
                continue
            if keep is not None:
                keep.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(dest, keep)
            try:
                return build_bundle(
                    dest,
                    registry=reg,
                    expect_version=version,
                    origin={"source": f"fetched from {u}", "url": u, "sha256": digest},
                )
            except BundleError as exc:
                raise BundleError(
                    f"the package downloaded from {u} is not a usable ST.96 {version} bundle: {exc.message}",
                    code=exc.code,
                ) from exc
        raise BundleError(
            f"ST.96 {version} was not found at any address tried:\n  "
            + "\n  ".join(tried)
            + "\nthe package's address or a mirror can be given, or the package downloaded by other means "
            "and compiled as a local bundle",
            code="fetch-not-found",
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

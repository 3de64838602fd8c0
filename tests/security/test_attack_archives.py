"""Compressed inputs: zip bombs, overlapping members, path traversal, gzip bombs.

The helpers under test are the ones the bulk engine reads archives with:
``safe_zip_members`` / ``open_zip_member`` / ``member_path`` and ``bounded_gzip_reader``
(xml2json/safe.py). Bombs are generated at test time, a few MB at most on disk.
"""

from __future__ import annotations

import gzip
import io
import stat
import struct
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from xml2json import Limits
from xml2json.errors import InputError, UnsafeXMLError
from xml2json.safe import (
    bounded_gzip_reader,
    iterparse,
    member_path,
    open_zip_member,
    safe_zip_members,
    unsafe_member_name,
)

DOC = b"<r>" + b"<rec>x</rec>" * 100 + b"</r>"


def make_zip(
    path: Path, members: list[tuple[str | zipfile.ZipInfo, bytes]], method: int = zipfile.ZIP_DEFLATED
) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names
        with zipfile.ZipFile(path, "w", compression=method) as zf:
            for name, data in members:
                zf.writestr(name, data)
    return path


def issues(path: Path, limits: Limits | None = None) -> dict[str, str | None]:
    return {m.name: (m.issue.code if m.issue else None) for m in safe_zip_members(path, limits or Limits())}


# -- zip members -----------------------------------------------------------------------------------


def test_ordinary_archive_members_are_listed_and_readable(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "ok.zip", [("a.xml", DOC), ("dir/b.xml", DOC), ("dir/", b"")])
    members = safe_zip_members(path, Limits())
    assert [(m.name, m.issue) for m in members] == [("a.xml", None), ("dir/b.xml", None)]  # no directories
    with zipfile.ZipFile(path) as zf:
        for m in members:
            with open_zip_member(zf, m, Limits()) as fh:
                assert [el.tag for _, el in iterparse(fh, Limits(), tag="rec")] == ["rec"] * 100
    assert member_path(tmp_path / "out", members[1]) == (tmp_path / "out" / "dir" / "b.xml").resolve()


@pytest.mark.parametrize(
    "name",
    [
        "../evil.xml",
        "a/../../evil.xml",
        "/etc/passwd",
        "C:/Windows/evil.xml",
        "c:evil.xml",
        "..\\..\\evil.xml",
        "\\\\server\\share\\evil.xml",
        "a/..",
    ],
)
def test_traversal_and_absolute_member_names_are_rejected(name: str, tmp_path: Path) -> None:
    info = zipfile.ZipInfo(name)
    path = make_zip(tmp_path / "evil.zip", [(info, DOC), ("good.xml", DOC)])
    members = safe_zip_members(path, Limits())
    assert [m.issue.code if m.issue else None for m in members] == ["unsafe-zip-path", None]
    assert unsafe_member_name(name) is not None
    with zipfile.ZipFile(path) as zf, pytest.raises(UnsafeXMLError) as exc:
        open_zip_member(zf, members[0], Limits())
    assert exc.value.code == "unsafe-zip-path"
    with pytest.raises(UnsafeXMLError):
        member_path(tmp_path / "out", members[0])
    assert not (tmp_path / "evil.xml").exists()


def test_nul_in_a_member_name_is_rejected(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "nul.zip", [("evil.xml\x01.txt", DOC)])
    path.write_bytes(path.read_bytes().replace(b"evil.xml\x01.txt", b"evil.xml\x00.txt"))
    assert issues(path) == {"evil.xml": "unsafe-zip-path"}


def test_symlink_duplicate_and_method_members_are_rejected(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("link.xml")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bz = zipfile.ZipInfo("b.xml")
    bz.compress_type = zipfile.ZIP_BZIP2
    path = make_zip(tmp_path / "m.zip", [(link, b"/etc/passwd"), ("d.xml", DOC), ("d.xml", DOC), (bz, DOC)])
    members = safe_zip_members(path, Limits())
    assert [(m.name, m.issue.code if m.issue else None) for m in members] == [
        ("link.xml", "unsafe-zip-symlink"),
        ("d.xml", None),
        ("d.xml", "unsafe-zip-duplicate"),
        ("b.xml", "unsafe-zip-method"),
    ]


def test_zip_bomb_member_is_rejected_by_its_ratio_before_decompression(tmp_path: Path) -> None:
    bomb = b"<r>" + b"\x20" * 50_000_000 + b"</r>"  # 50 MB that deflate to ~50 KB (ratio ~1000)
    path = make_zip(tmp_path / "bomb.zip", [("bomb.xml", bomb), ("good.xml", DOC)])
    del bomb
    assert path.stat().st_size < 200_000
    members = safe_zip_members(path, Limits())
    assert [m.issue.code if m.issue else None for m in members] == ["limit-compression-ratio", None]
    assert members[0].issue is not None and "compression ratio above 200" in members[0].issue.message
    with zipfile.ZipFile(path) as zf, pytest.raises(UnsafeXMLError) as exc:
        open_zip_member(zf, members[0], Limits())
    assert exc.value.code == "limit-compression-ratio"


def test_zip_budget_and_member_count(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "many.zip", [(f"{i}.xml", DOC) for i in range(5)])
    with pytest.raises(UnsafeXMLError) as exc:
        safe_zip_members(path, Limits(max_zip_members=4))
    assert exc.value.code == "limit-zip-members"
    budget = Limits(max_decompressed_bytes=2 * len(DOC) + 10)
    assert list(issues(path, budget).values()) == [None, None] + ["limit-decompressed-size"] * 3


def _overlapping_zip(path: Path) -> Path:
    """A non-recursive zip bomb in miniature: two central-directory entries share one member's data."""
    make_zip(path, [("a.xml", DOC), ("b.xml", DOC)])
    raw = bytearray(path.read_bytes())
    second = raw.find(b"PK\x01\x02", raw.find(b"PK\x01\x02") + 4)
    struct.pack_into("<I", raw, second + 42, 0)  # b.xml's local header offset → a.xml's
    path.write_bytes(bytes(raw))
    return path


def test_overlapping_members_are_rejected(tmp_path: Path) -> None:
    path = _overlapping_zip(tmp_path / "overlap.zip")
    assert issues(path) == {"a.xml": "unsafe-zip-overlap", "b.xml": "unsafe-zip-overlap"}


def test_broken_archives_are_malformed_zip(tmp_path: Path) -> None:
    not_zip = tmp_path / "not.zip"
    not_zip.write_bytes(b"PK\x03\x04 this is not a zip")
    with pytest.raises(InputError) as exc:
        safe_zip_members(not_zip, Limits())
    assert exc.value.code == "malformed-zip"
    # a stored member whose data no longer matches its CRC
    path = make_zip(tmp_path / "crc.zip", [("a.xml", DOC)], method=zipfile.ZIP_STORED)
    raw = bytearray(path.read_bytes())
    raw[raw.find(b"<rec>") + 1] ^= 0x01
    path.write_bytes(bytes(raw))
    (member,) = safe_zip_members(path, Limits())
    with zipfile.ZipFile(path) as zf, open_zip_member(zf, member, Limits()) as fh, pytest.raises(InputError) as exc:
        fh.read()
    assert exc.value.code == "malformed-zip"
    assert "Bad CRC-32" in exc.value.message


# -- gzip ---------------------------------------------------------------------------------------


def test_gzip_bomb_stops_at_the_ratio_in_bounded_memory(isolated: Any, tmp_path: Path) -> None:
    path = tmp_path / "bomb.xml.gz"
    with gzip.open(path, "wb") as fh:
        fh.write(b"<r>")
        for _ in range(100):
            fh.write(b"<rec>" + b" " * 1_000_000 + b"</rec>")  # 100 MB, ~100 KB compressed
        fh.write(b"</r>")
    run = isolated(
        f"""
        from xml2json import Limits
        from xml2json.safe import bounded_gzip_reader, iterparse
        def go():
            with bounded_gzip_reader({str(path)!r}, Limits()) as fh:
                return sum(1 for _ in iterparse(fh, Limits(), tag="rec"))
        print(json.dumps(outcome(go)))
    """,
        mem_mb=1024,
        timeout=30,
    )
    assert run.result["error"] == "UnsafeXMLError"
    assert run.result["code"] == "limit-compression-ratio"
    assert "compression ratio above 200" in run.result["message"]
    assert run.peak_rss_mb < 200


def test_gzip_size_limit_and_ordinary_files(tmp_path: Path) -> None:
    data = gzip.compress(DOC)
    with bounded_gzip_reader(io.BytesIO(data), Limits()) as fh:
        assert fh.read() == DOC
    path = tmp_path / "doc.xml.gz"
    path.write_bytes(data)
    with bounded_gzip_reader(path, Limits()) as fh:
        assert [el.tag for _, el in iterparse(fh, Limits(), tag="rec")] == ["rec"] * 100
    with bounded_gzip_reader(path, Limits(max_decompressed_bytes=1000)) as fh, pytest.raises(UnsafeXMLError) as exc:
        fh.read()
    assert exc.value.code == "limit-decompressed-size"
    assert "expands to more than 1000 bytes" in exc.value.message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (gzip.compress(DOC)[:-12], "Compressed file ended before the end-of-stream marker was reached"),
        (b"not gzip at all", "Not a gzipped file"),
        (gzip.compress(DOC)[:10] + zlib.compress(b"junk")[2:] + b"\x00" * 8, "readable gzip stream"),
    ],
    ids=["truncated", "not-gzip", "corrupt"],
)
def test_broken_gzip_is_malformed_gzip(data: bytes, fragment: str) -> None:
    with bounded_gzip_reader(io.BytesIO(data), Limits()) as fh, pytest.raises(InputError) as exc:
        fh.read()
    assert exc.value.code == "malformed-gzip"
    assert fragment in exc.value.message


def test_gzip_member_with_doctype_is_rejected_when_parsed(trap: Any) -> None:
    data = gzip.compress(f'<!DOCTYPE r SYSTEM "{trap.url}/gz"><r><rec/></r>'.encode())
    with bounded_gzip_reader(io.BytesIO(data), Limits()) as fh, pytest.raises(UnsafeXMLError) as exc:
        list(iterparse(fh, Limits()))
    assert exc.value.code == "unsafe-doctype"

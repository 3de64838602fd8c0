"""Where an output goes (docs/cli.md, "Output files"): a regular file is replaced atomically, a
symlink is followed (its target replaced, the link kept), a FIFO or device is written through and
never replaced; every failure to write is one ``[output-…]`` line, exit 4, and nothing partial."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE

import xml2json
from xml2json.cli import main
from xml2json.errors import OutputError
from xml2json.io import PART_SUFFIX, AtomicFile, _writes_through, atomic_write

ROOT = Path(xml2json.__file__).resolve().parents[1]


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(PART_SUFFIX))


def _convert_to(out: Path | str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["convert", str(EXAMPLE), "-o", str(out), "-q"])
    return code, capsys.readouterr().err


# -- what is at the path ---------------------------------------------------------------------


def test_regular_file_is_replaced_atomically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out.json"
    out.write_bytes(b"old")
    code, err = _convert_to(out, capsys)
    assert (code, err) == (0, "")
    assert stat.S_ISREG(out.lstat().st_mode)
    assert out.read_bytes().startswith(b'{"trademarkApplication"')
    assert _leftovers(tmp_path) == []


def test_symlink_is_followed_and_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "real.json"
    target.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    code, _ = _convert_to(link, capsys)
    assert code == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert stat.S_ISREG(target.lstat().st_mode)
    assert target.read_bytes().startswith(b'{"trademarkApplication"')
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "sub") == []


def test_dangling_symlink_creates_its_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    link = tmp_path / "link.json"
    link.symlink_to("made.json")
    code, _ = _convert_to(link, capsys)
    assert code == 0
    assert link.is_symlink()
    assert (tmp_path / "made.json").read_bytes().startswith(b'{"trademarkApplication"')


def test_fifo_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as fh:
            got.append(fh.read())

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        code, err = _convert_to(fifo, capsys)
    finally:
        t.join(timeout=30)
        if t.is_alive():  # never leave a blocked reader behind
            with open(fifo, "wb"):
                pass
            t.join(timeout=5)
    assert (code, err) == (0, "")
    assert got and got[0].startswith(b'{"trademarkApplication"')
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert _leftovers(tmp_path) == []


def _char_device(tmp_path: Path) -> Path:
    """A character device like /dev/null, made in tmp (needs root). Never the system's own
    /dev/null: a broken writer would replace it for every process of the machine."""
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        with open(node, "wb") as fh:
            fh.write(b"")
    except OSError:
        with contextlib.suppress(OSError):
            node.unlink()
        pytest.skip("cannot make a device node here")
    return node


def test_character_device_is_written_through(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dev = _char_device(tmp_path)
    code, err = _convert_to(dev, capsys)
    assert (code, err) == (0, "")
    assert stat.S_ISCHR(dev.lstat().st_mode)
    assert _leftovers(dev.parent) == []


def test_atomic_write_to_a_device_returns_the_size(tmp_path: Path) -> None:
    dev = _char_device(tmp_path)
    assert atomic_write(dev, b"x" * 10) == 10
    assert stat.S_ISCHR(dev.lstat().st_mode)


def test_system_paths_are_written_through() -> None:
    """Decided without writing anything: /dev and /proc paths are never replaced."""
    for p in ("/dev/stdout", "/dev/stderr", "/dev/fd/1", "/proc/self/fd/1", os.devnull):
        assert _writes_through(Path(p)) is True


def test_stdout_by_its_proc_path_is_written_through_even_to_a_file(tmp_path: Path) -> None:
    # /proc/self/fd/1 rather than /dev/stdout: a writer that replaced instead of writing through
    # would replace the machine's /dev/stdout link (it cannot create anything in /proc)
    out = tmp_path / "captured.json"
    with open(out, "wb") as fh:
        proc = subprocess.run(
            [sys.executable, "-m", "xml2json", "convert", "--example", "-o", "/proc/self/fd/1"],
            stdout=fh,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
            timeout=120,
        )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes().startswith(b'{"trademarkApplication"')
    assert _leftovers(tmp_path) == []


# -- failures: one line, exit 4, nothing partial -------------------------------------------------


def test_output_is_a_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _convert_to(tmp_path, capsys)
    assert code == 4 and "[output-is-folder]" in err and str(tmp_path) in err
    with pytest.raises(OutputError) as ei:
        atomic_write(tmp_path, b"x")
    assert ei.value.code == "output-is-folder"


def test_symlink_to_a_folder_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "l").symlink_to("d")
    with pytest.raises(OutputError) as ei:
        atomic_write(tmp_path / "l", b"x")
    assert ei.value.code == "output-is-folder"


def test_proc_path(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _convert_to("/proc/x", capsys)
    assert code == 4
    assert "error: [output-write] cannot write /proc/x:" in err and "Traceback" not in err


def test_library_does_not_create_folders_when_told(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as ei:
        atomic_write(tmp_path / "no" / "x.json", b"x", parents=False)
    assert ei.value.code == "output-folder-missing"
    assert not (tmp_path / "no").exists()
    # the default (bulk outputs in subfolders) creates them
    atomic_write(tmp_path / "yes" / "x.json", b"x")
    assert (tmp_path / "yes" / "x.json").read_bytes() == b"x"


@pytest.mark.parametrize("err", [errno.ENOSPC, errno.EROFS, errno.EACCES])
def test_write_failure_is_an_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], err: int
) -> None:
    """The same failures as a full or read-only file system, without mounting anything."""

    def fail(*_a: object, **_k: object) -> None:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(os, "replace", fail)
    out = tmp_path / "out.json"
    code, text = _convert_to(out, capsys)
    assert code == 4
    assert text.startswith("error: [output-write] cannot write ") and os.strerror(err) in text
    assert "Traceback" not in text
    assert not out.exists() and _leftovers(tmp_path) == []


class _Full:
    """A file object on a full disk."""

    def __init__(self, fh: object) -> None:
        self.fh = fh

    def write(self, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def close(self) -> None:
        self.fh.close()  # type: ignore[attr-defined]


def test_atomic_file_abort_after_failed_write_leaves_nothing(tmp_path: Path) -> None:
    f = AtomicFile(tmp_path / "x.json")
    f.write(b"a")
    assert _leftovers(tmp_path)
    f._fh = _Full(f._fh)  # type: ignore[assignment]
    with pytest.raises(OutputError) as ei:
        f.write(b"b" * 10)
    assert ei.value.code == "output-write" and str(tmp_path / "x.json") in ei.value.message
    assert _leftovers(tmp_path) == [] and not (tmp_path / "x.json").exists()


@contextlib.contextmanager
def _tmpfs(folder: Path, size: str = "64k") -> Iterator[Path]:
    folder.mkdir()
    try:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
    except OSError:
        pytest.skip("cannot mount a tmpfs here")
    if r.returncode != 0:
        folder.rmdir()
        pytest.skip("cannot mount a tmpfs here (the monkeypatched tests cover the same paths)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def test_full_file_system(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _tmpfs(tmp_path / "mnt") as mnt:
        filler = mnt / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"x" * 1024)
        finally:
            os.close(fd)
        code, err = _convert_to(mnt / "out.json", capsys)
        assert code == 4
        assert f"error: [output-write] cannot write {mnt / 'out.json'}: No space left on device" in err
        assert sorted(p.name for p in mnt.iterdir()) == ["filler"]


def test_read_only_file_system(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _tmpfs(tmp_path / "mnt") as mnt:
        if subprocess.run(["mount", "-o", "remount,ro", str(mnt)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only")
        code, err = _convert_to(mnt / "out.json", capsys)
        assert code == 4
        assert f"error: [output-write] cannot write {mnt / 'out.json'}: Read-only file system" in err
        assert list(mnt.iterdir()) == []


# -- standard output that cannot be written ------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.parametrize(
    "argv",
    [
        ["convert", "--example"],
        ["to-xml", "{json}"],
        ["schema", "show", "TrademarkApplication"],
        ["schema", "list"],
        ["validate", str(EXAMPLE)],
    ],
    ids=["convert", "to-xml", "schema-show", "schema-list", "validate"],
)
def test_stdout_full(tmp_path: Path, argv: list[str]) -> None:
    j = tmp_path / "in.json"
    j.write_bytes(xml2json.to_json(EXAMPLE.read_bytes()))
    argv = [a.replace("{json}", str(j)) for a in argv]
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "xml2json", *argv],
            stdout=full,
            stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
            timeout=120,
        )
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert err.strip().endswith("error: [output-write] cannot write standard output: No space left on device"), err
    assert "Traceback" not in err and "Exception ignored" not in err

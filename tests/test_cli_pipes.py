"""A reader that goes away (``| head``, a closed stderr) never changes what a command does: its
``-o`` file is written and its exit code is its own verdict (found by a new user: with stderr's
reader gone, ``convert -o`` exited 0 without writing the file, and ``validate | head -1``
turned an invalid verdict into exit 0)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import EXAMPLE, USPTO, require_shared


def _run_with_closed(stream: str, *args: str, cwd: Path) -> int:
    """Run the CLI with *stream* ("stdout" or "stderr") connected to a pipe whose reader is closed."""
    r, w = os.pipe()
    os.close(r)
    try:
        kwargs = {stream: w}
        other = "stderr" if stream == "stdout" else "stdout"
        kwargs[other] = subprocess.DEVNULL
        proc = subprocess.run([sys.executable, "-m", "xml2json", *args], cwd=cwd, timeout=120, check=False, **kwargs)
    finally:
        os.close(w)
    return proc.returncode


def test_convert_writes_its_file_when_stderr_has_no_reader(tmp_path: Path) -> None:
    src = sorted(require_shared(USPTO).glob("sn*.xml"))[0]  # warns (unknown elements) before it writes
    out = tmp_path / "t.json"
    assert _run_with_closed("stderr", "convert", str(src), "-o", str(out), cwd=tmp_path) == 0
    assert out.exists() and out.stat().st_size > 1000


def test_profile_simplify_writes_its_file_when_stderr_has_no_reader(tmp_path: Path) -> None:
    src = sorted(require_shared(USPTO).glob("sn*.xml"))[0]
    out = tmp_path / "s.json"
    assert _run_with_closed("stderr", "profile", "simplify", str(src), "-o", str(out), cwd=tmp_path) == 0
    assert out.exists()


def test_validate_keeps_its_verdict_when_stdout_has_no_reader(tmp_path: Path) -> None:
    files = [str(p) for p in sorted(require_shared(USPTO).glob("*-ST96.xml"))]  # not V6_0-valid
    assert _run_with_closed("stdout", "validate", *files, cwd=tmp_path) == 1
    assert _run_with_closed("stdout", "validate", str(EXAMPLE), cwd=tmp_path) == 0


def test_an_output_that_is_the_input_is_refused(tmp_path: Path) -> None:
    """``convert a.xml -o a.xml`` replaced the input with its JSON (found by a new user)."""
    from xml2json.cli import main

    src = tmp_path / "a.xml"
    src.write_bytes(EXAMPLE.read_bytes())
    assert main(["convert", str(src), "-o", str(src)]) == 4
    assert src.read_bytes() == EXAMPLE.read_bytes()
    link = tmp_path / "link.xml"
    link.symlink_to(src)  # the same file by another name
    assert main(["convert", str(src), "-o", str(link)]) == 4
    assert src.read_bytes() == EXAMPLE.read_bytes()
    js = tmp_path / "a.json"
    assert main(["convert", str(src), "-o", str(js)]) == 0
    assert main(["to-xml", str(js), "-o", str(js)]) == 4

"""The command line: exit codes, stdin/stdout, -o, messages."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, USPTO, WIPO_V6, require_shared

from xml2json.cli import main


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "xml2json", *args], input=stdin, capture_output=True, timeout=120, check=False
    )


def test_convert_example_from_a_fresh_process() -> None:
    r = run("convert", "--example", "--pretty")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert "trademarkApplication" in data
    assert r.stdout.startswith(b'{\n  "trademarkApplication"')


def test_convert_stdin_to_file_and_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "x.json"
    assert main(["convert", str(EXAMPLE), "-o", str(out)]) == 0
    back = tmp_path / "x.xml"
    assert main(["to-xml", str(out), "-o", str(back), "--schema-location"]) == 0
    assert b"xsi:schemaLocation" in back.read_bytes()
    assert b"TrademarkApplication_V6_0.xsd" in back.read_bytes()
    r = run("convert", "-", stdin=EXAMPLE.read_bytes())
    assert r.returncode == 0 and json.loads(r.stdout) == json.loads(out.read_bytes())


def test_malformed_input_exit_code_and_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<a><b></a>")
    r = run("convert", str(bad))
    assert r.returncode == 1
    assert b"[malformed-xml]" in r.stderr and b"line 1" in r.stderr
    assert r.stdout == b""


def test_missing_file_and_usage_errors(tmp_path: Path) -> None:
    r = run("convert", str(tmp_path / "nope.xml"))
    assert r.returncode == 2 and b"[io] cannot read" in r.stderr  # an unreadable input is a usage error
    assert run("convert").returncode == 2
    assert run().returncode == 2


def test_warnings_go_to_stderr_and_strict_fails(tmp_path: Path) -> None:
    path = sorted(require_shared(USPTO).glob("sn*.xml"))[0]
    r = run("convert", str(path))
    assert r.returncode == 0
    assert b"warning: [unknown-element]" in r.stderr
    json.loads(r.stdout)
    r = run("convert", "--strict", str(path))
    assert r.returncode == 1 and b"[unknown-element]" in r.stderr


def test_validate_detects_kind_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    require_shared()
    js = tmp_path / "a.json"
    assert main(["convert", str(EXAMPLE), "-o", str(js)]) == 0
    assert main(["validate", str(EXAMPLE), str(js)]) == 0
    out = capsys.readouterr().out
    assert "valid (XML by its name;" in out and "valid (JSON by its name;" in out
    data: Any = json.loads(js.read_bytes())
    data["trademarkApplication"]["bogus"] = 1
    js.write_text(json.dumps(data))
    assert main(["validate", str(js)]) == 1
    assert "INVALID (JSON" in capsys.readouterr().out


def test_roundtrip_verdicts(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(p) for p in sorted(require_shared(WIPO_V6).glob("*.xml"))]
    assert main(["roundtrip", *files]) == 0
    out = capsys.readouterr().out
    assert out.count(": OK  [") == 4
    assert out.splitlines()[-1] == "4 file(s): 4 ok"
    uspto = str(sorted(require_shared(USPTO).glob("sn*.xml"))[0])
    assert main(["roundtrip", "--no-xsd", uspto]) == 1  # not V6_0-valid: st96Version missing etc.
    assert "LOSSLESS, INVALID" in capsys.readouterr().out  # but lossless


def test_schema_show_and_unknown_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "show", "TrademarkApplication"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert main(["schema", "show", "TrademarkApplicaton"]) == 3
    err = capsys.readouterr().err
    assert "[unknown-document]" in err and "TrademarkApplication" in err


def test_schema_generate_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "generate", str(tmp_path / "none"), "-o", str(tmp_path / "o")]) == 3
    assert "[bundle-missing]" in capsys.readouterr().err
    (tmp_path / "junk.zip").write_bytes(b"not a zip")
    assert main(["schema", "generate", str(tmp_path / "junk.zip"), "-o", str(tmp_path / "o")]) == 3
    assert "[bundle-format]" in capsys.readouterr().err


def test_output_files_get_ordinary_permissions(tmp_path: Path) -> None:
    """Files written with -o (atomically, through a private temporary file) and by bulk end up
    with the permissions of any new file under the umask, not mkstemp's 0600."""
    import os

    from xml2json.io import atomic_write

    mask = os.umask(0o022)
    os.umask(mask)
    atomic_write(tmp_path / "a.json", b"{}")
    assert main(["convert", "--example", "-o", str(tmp_path / "b.json")]) == 0
    assert main(["bulk", str(EXAMPLE), "-o", str(tmp_path / "out"), "-q", "--jobs", "1"]) == 0
    made = [tmp_path / "a.json", tmp_path / "b.json", *(tmp_path / "out").glob("*.json")]
    assert len(made) >= 3
    for path in made:
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask != 0o600, path

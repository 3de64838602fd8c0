"""A short, CI-sized run of each atheris harness (fuzz/fuzz_xml.py, fuzz/fuzz_json.py).

Each harness runs for a few seconds in a child process on its seed corpus; any exception
other than an ``Xml2JsonError`` makes libFuzzer exit non-zero and this test fail, with the
crash input left in the test's temporary directory. Long runs: see docs/security.md.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("XML2JSON_FUZZ_SECONDS", "4"))

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("atheris") is None, reason="atheris is not installed (pip install atheris)"
)


@pytest.mark.parametrize("harness", ["fuzz_xml.py", "fuzz_json.py"])
def test_harness_runs_clean_for_a_few_seconds(harness: str, tmp_path: Path) -> None:
    args = [
        sys.executable,
        str(ROOT / "fuzz" / harness),
        f"-max_total_time={SECONDS}",
        "-seed=1",
        "-rss_limit_mb=2048",
        "-timeout=20",
        f"-artifact_prefix={tmp_path}/",
    ]
    if harness == "fuzz_xml.py":
        args.append(f"-dict={ROOT / 'fuzz' / 'xml.dict'}")
    proc = subprocess.run(args, capture_output=True, text=True, timeout=SECONDS + 120, cwd=tmp_path, check=False)
    tail = "\n".join(proc.stderr.splitlines()[-40:])
    assert proc.returncode == 0, f"{harness} found a crash (inputs in {tmp_path}):\n{tail}"
    assert "Done" in proc.stderr, tail

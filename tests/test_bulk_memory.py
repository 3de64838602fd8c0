"""Streaming keeps memory flat: peak RSS growth is small and does not grow with the file.

A bulk TrademarkTransaction of about 50 MB and one of about 100 MB are generated
at run time from the real USPTO records (tests/test_bulk.py builders) and each
is converted with ``--records`` in a fresh Python process. That process loads
the plan first, resets its peak-RSS counter (Linux: ``/proc/self/clear_refs``)
and reports ``VmHWM`` after the run minus ``VmRSS`` before it: the extra memory
the conversion needed at its peak.

Measured on the development machine (2 cores, Python 3.11, lxml 5): 1.8–1.9 MB
for both sizes (the whole 50 MB document as a tree would need about 500 MB).
The ceiling below leaves room for allocator and platform differences while
staying far below what any non-streaming path needs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from test_bulk import numbered, uspto_records, write_bulk

#: Peak RSS growth allowed while converting a bulk file (measured: about 2 MB).
CEILING_MB = 24
#: How much more the 2× larger file may need (measured: under 0.1 MB).
SIZE_DEPENDENCE_MB = 6

CHILD = r"""
import gc, json, sys

def status(key):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(key):
                return int(line.split()[1])

from xml2json.bulk import run_bulk
from xml2json.bulk import runtime
runtime.converter_for(runtime.RunConfig(sys.argv[2]))  # the plan: loaded before the measurement
gc.collect()
with open("/proc/self/clear_refs", "w") as fh:
    fh.write("5")  # reset VmHWM to the current RSS
before = status("VmRSS:")
summary = run_bulk([sys.argv[1]], sys.argv[2], records=True, jobs=1, durable=False)
print(json.dumps({"growth_kb": status("VmHWM:") - before, "records": summary.records,
                  "rejects": summary.rejects}))
"""


def _can_reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _measure(src: Path, out: Path) -> dict[str, int]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, int] = json.loads(proc.stdout)
    return result


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="peak RSS reset needs Linux /proc")
def test_memory_stays_flat(tmp_path: Path) -> None:
    if not _can_reset_peak():
        pytest.skip("/proc/self/clear_refs is not writable here: the peak RSS cannot be reset")
    recs = uspto_records()
    avg = sum(map(len, recs)) / len(recs)
    n = int(50e6 / avg)
    small, large = tmp_path / "small.xml", tmp_path / "large.xml"
    write_bulk(small, (numbered(recs[i % len(recs)], i) for i in range(n)))
    write_bulk(large, (numbered(recs[i % len(recs)], i) for i in range(2 * n)))
    assert 45e6 < small.stat().st_size < 55e6
    a = _measure(small, tmp_path / "out-small")
    b = _measure(large, tmp_path / "out-large")
    assert (a["records"], b["records"], a["rejects"], b["rejects"]) == (n, 2 * n, 0, 0)
    grow_a, grow_b = a["growth_kb"] / 1024, b["growth_kb"] / 1024
    assert grow_a < CEILING_MB, f"{grow_a:.1f} MB for {n} records"
    assert grow_b < CEILING_MB, f"{grow_b:.1f} MB for {2 * n} records"
    assert grow_b - grow_a < SIZE_DEPENDENCE_MB, f"{grow_a:.1f} MB → {grow_b:.1f} MB when the file doubles"

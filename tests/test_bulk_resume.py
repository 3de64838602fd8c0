"""A bulk run killed midway and completed with --resume gives the same output as an uninterrupted run.

The run is a real ``xml2json bulk`` process with two workers on several files
(built at run time from the USPTO records). It is killed — SIGKILL to its whole
process group, workers included, so nothing gets to clean up — as soon as the
manifest lists a first completed input. At that moment every output under its
final name must already be complete (identical to the reference run's); after
``--resume`` the whole output folder must equal the reference byte for byte,
manifest and rejects included (only summary.json differs: it holds timings).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT
from test_bulk import numbered, tree_bytes, uspto_records, write_bulk

from xml2json.bulk import run_bulk

N_FILES = 6
RECORDS_PER_FILE = 250  # about 12 MB each


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def _inputs(tmp_path: Path) -> Path:
    recs = uspto_records()
    src = tmp_path / "in"
    src.mkdir()
    k = 0
    for f in range(N_FILES):
        batch = []
        for _ in range(RECORDS_PER_FILE):
            batch.append(numbered(recs[k % len(recs)], k))
            k += 1
        if f == 2:  # one rejected record, so that rejects.jsonl is compared too
            batch[5] = batch[5].replace(
                b"</ns2:Trademark>", b"<ns1:RegistrationOfficeCode>US</ns1:RegistrationOfficeCode></ns2:Trademark>", 1
            )
        write_bulk(src / f"day{f}.xml", batch)
    return src


def _manifest_entries(out: Path) -> int:
    try:
        return max(0, len((out / "manifest.jsonl").read_bytes().splitlines()) - 1)
    except FileNotFoundError:
        return 0


@pytest.mark.shared
@pytest.mark.slow
def test_kill_midway_then_resume_equals_uninterrupted(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    ref, out = tmp_path / "ref", tmp_path / "out"
    s = run_bulk([str(src)], ref, records=True, jobs=2)
    assert (s.records, s.rejects) == (N_FILES * RECORDS_PER_FILE - 1, 1)
    reference = tree_bytes(ref)

    cmd = [
        sys.executable,
        "-m",
        "xml2json",
        "bulk",
        str(src),
        "-o",
        str(out),
        "--records",
        "--jobs",
        "2",
        "--progress",
        "none",
    ]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while _manifest_entries(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.communicate(timeout=30)
    done = _manifest_entries(out)
    assert 1 <= done < N_FILES, f"the run was not interrupted midway ({done} of {N_FILES} complete)"
    # whatever is there under a final name is complete: identical to the uninterrupted run's file
    partial = tree_bytes(out)
    for rel, data in partial.items():
        if rel.endswith(".jsonl") and not rel.startswith(".xml2json") and rel != "manifest.jsonl":
            assert data == reference[rel], f"{rel} is incomplete or different after the kill"
    assert not (out / "summary.json").exists()

    again = subprocess.run([*cmd, "--resume"], env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 1, again.stderr  # 1: the one rejected record
    assert f"{done} task(s) already complete" in again.stdout
    assert tree_bytes(out) == reference
    assert not list(out.rglob("*.part"))


@pytest.mark.shared
@pytest.mark.slow
def test_ctrl_c_stops_cleanly(tmp_path: Path) -> None:
    src = _inputs(tmp_path)
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "xml2json",
        "bulk",
        str(src),
        "-o",
        str(out),
        "--records",
        "--jobs",
        "2",
        "--progress",
        "none",
    ]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while _manifest_entries(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends to the foreground process group
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err.decode()
    assert not list(out.rglob("*.part"))
    again = subprocess.run([*cmd, "--resume"], env=_env(), capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 1, again.stderr
    assert sum(1 for _ in (out / "in").glob("*.jsonl")) == N_FILES


def _children(pid: int) -> list[int]:
    kids = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(d.name))
    return kids


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the pool's workers in /proc")
def test_a_killed_worker_loses_nothing(tmp_path: Path) -> None:
    """A worker killed from outside (the OOM killer, an operator) breaks the pool; the tasks it may have
    been running are run again, each in a fresh worker, and the output is complete."""
    import threading

    src = _inputs(tmp_path)
    ref = tmp_path / "ref"
    run_bulk([str(src)], ref, records=True, jobs=1)
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            workers = [w for c in _children(os.getpid()) for w in _children(c)]  # forkserver → workers
            if workers and _manifest_entries(tmp_path / "out") >= 1:
                os.kill(workers[0], signal.SIGKILL)
                killed.append(workers[0])
            time.sleep(0.005)

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    s = run_bulk([str(src)], tmp_path / "out", records=True, jobs=2)
    t.join()
    assert killed, "no worker was killed"
    assert (s.records, s.rejects) == (N_FILES * RECORDS_PER_FILE - 1, 1)
    assert tree_bytes(tmp_path / "out") == tree_bytes(ref)

"""Bulk runs that meet trouble outside the data: an output that cannot be written, a scheduler that
cannot be reached, signals, a script that forgets its main guard, a version compiled after the run,
a progress bar without a terminal, a zip member cut short inside its root tag.

Inputs are built at run time (from the example shipped with the package, or from the USPTO records
in ../shared for the runs that must take a while)."""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import EXAMPLE

import xml2json
from xml2json.bulk import progress as progress_module
from xml2json.bulk import run_bulk
from xml2json.bulk.progress import Progress
from xml2json.cli import main


@pytest.fixture(autouse=True)
def _fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bulk code uses the default registry; never let a user cache leak in."""
    import xml2json.registry as registry

    monkeypatch.setattr(registry, "_default", None)


#: The checkout whose package this test imports: subprocesses run the same code.
PACKAGE_ROOT = Path(xml2json.__file__).resolve().parent.parent


def _env(**extra: str) -> dict[str, str]:
    path = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


def _rejects(out: Path) -> list[dict[str, Any]]:
    return [orjson.loads(x) for x in (out / "rejects.jsonl").read_bytes().splitlines()]


# -- item 8: one fault, one code ------------------------------------------------------------------


@pytest.mark.parametrize("records", [False, True], ids=["documents", "records"])
def test_a_member_cut_inside_its_root_tag_is_malformed_in_both_modes(tmp_path: Path, records: bool) -> None:
    doc = EXAMPLE.read_bytes()
    cut = doc.index(b"<tmk:TrademarkApplication") + len(b"<tmk:Trade")  # cut inside the root's name
    zpath = tmp_path / "feed.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/ok.xml", doc)
        zf.writestr("a/cut.xml", doc[:cut])
        zf.writestr("a/half.xml", doc[: len(doc) // 2])
    s = run_bulk([zpath], tmp_path / "out", records=records)
    codes = {r["source"].rsplit("!", 1)[1]: r["code"] for r in _rejects(tmp_path / "out")}
    assert codes == {"a/cut.xml": "malformed-xml", "a/half.xml": "malformed-xml"}
    assert s.reject_codes == {"malformed-xml": 2} and not s.schema_missing


# -- item 5: a version compiled after the run -------------------------------------------------------


def _register_copy_of_v6(cache: Path, version: str) -> None:
    """Register the shipped V6_0 plan under another version name in *cache* (no compiling)."""
    from xml2json.plan import read_plan_dict
    from xml2json.registry import SHIPPED_PLANS, Registry

    plan = read_plan_dict(SHIPPED_PLANS / "V6_0.plan.json.gz")
    plan["version"] = version
    Registry(cache).install(version, plan, {}, meta={"source": "test copy of V6_0"})


@pytest.mark.parametrize("records", [False, True], ids=["documents", "records"])
def test_resume_converts_what_needed_a_version_compiled_since(tmp_path: Path, records: bool) -> None:
    cache = tmp_path / "cache"
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.xml").write_bytes(EXAMPLE.read_bytes())
    future = EXAMPLE.read_bytes().replace(b'st96Version="V6_0"', b'st96Version="V9_7"')
    assert future != EXAMPLE.read_bytes()
    (src / "b.xml").write_bytes(future)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "xml2json", "bulk", str(src), "-o", str(out), "--progress", "none"]
    cmd += ["--records"] if records else []
    env = _env(XML2JSON_CACHE=str(cache))
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert first.returncode == 3, first.stderr
    assert [r["code"] for r in _rejects(out)] == ["version-not-compiled"]

    _register_copy_of_v6(cache, "V9_7")
    again = subprocess.run([*cmd, "--resume"], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 task(s) already complete" in again.stdout  # a.xml was not converted again
    assert _rejects(out) == []
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert summary["rejects"] == 0 and summary["exitCode"] == 0
    name = "in/b.jsonl" if records else "in/b.json"
    assert (out / name).is_file()


# -- item 7: the progress bar ----------------------------------------------------------------------

BAR = re.compile(r"\|[#█▏▎▍▌▋▊▉ 0-9]{5,}\|")


def test_the_bar_is_redrawn_a_few_times_a_second_not_per_document() -> None:
    buf = io.StringIO()
    p = Progress("bar", total_docs=2000, stream=buf)
    for _ in range(2000):
        p.update(docs=1, records=3, nbytes=1000)
    p.close()
    text = buf.getvalue()
    assert "2000/2000" in text and "6,000 records" in text
    assert text.count("\r") < 60, f"{text.count(chr(13))} redraws for 2000 documents"


def test_records_move_the_bar_within_one_document(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(progress_module.time, "monotonic", lambda: clock[0])
    buf = io.StringIO()
    p = Progress("bar", total_docs=1, stream=buf)
    p.update(records=5)
    clock[0] += 1.0  # a worker reports half a second later, and so on: no document is done yet
    p.update(records=7)
    assert "12 records" in buf.getvalue()
    p.close()


def test_bar_is_drawn_without_a_terminal_size(capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.StringIO()  # not a terminal
    p = Progress("bar", total_docs=4, stream=buf)
    p.update(docs=2)
    p.close()
    assert BAR.search(buf.getvalue()), buf.getvalue()
    import pty

    master, slave = pty.openpty()  # a terminal of 0 x 0, as under `script`
    try:
        assert os.get_terminal_size(slave).columns == 0
        with os.fdopen(os.dup(slave), "w", encoding="utf-8") as tty:
            p = Progress("bar", total_docs=4, stream=tty)
            p.update(docs=4)
            p.close()
            tty.flush()
        text = os.read(master, 65536).decode("utf-8", "replace")
    finally:
        os.close(master)
        os.close(slave)
    assert BAR.search(text), repr(text)


def test_cli_progress_bar_on_a_pipe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bulk", str(EXAMPLE), "-o", str(tmp_path / "out"), "--progress", "bar"])
    err = capsys.readouterr().err
    assert code == 0 and BAR.search(err), err


# -- item 2: outputs that cannot be written, a scheduler that cannot be reached -------------------


def _documents(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc = EXAMPLE.read_bytes()
    for i in range(n):
        (folder / f"d{i:03d}.xml").write_bytes(doc)
    return folder


@contextmanager
def _tmpfs(where: Path, *options: str) -> Iterator[Path]:
    """A small tmpfs mounted at *where* (skips the test where mounting is not allowed)."""
    where.mkdir(parents=True, exist_ok=True)
    if sys.platform != "linux" or shutil.which("mount") is None:
        pytest.skip("needs Linux mount")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(where)], capture_output=True, check=False
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _bulk_cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["bulk", *args, "--progress", "none"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize("records", [False, True], ids=["documents", "records"])
def test_a_full_file_system_is_exit_4_leaves_nothing_and_the_same_command_runs_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], records: bool
) -> None:
    src = _documents(tmp_path / "src", 300)  # about 300 × 4 KiB of output: more than 1 MiB
    with _tmpfs(tmp_path / "fs", "size=1m") as fs:
        out = fs / "out"
        args = [str(src), "-o", str(out), "--jobs", "2", *(["--records"] if records else [])]
        code, err = _bulk_cli(args, capsys)
        assert code == 4, err
        assert err.count("\n") == 1 and "[output-write]" in err and str(out) in err, err
        assert "No space left on device" in err and "Traceback" not in err
        assert not out.exists(), sorted(str(p) for p in out.rglob("*"))  # the run made it: all gone
        subprocess.run(["mount", "-o", "remount,size=16m", str(fs)], check=True)
        code, err = _bulk_cli(args, capsys)
        assert code == 0, err
        assert len(list((out / "src").glob("*.jsonl" if records else "*.json"))) == 300


def test_a_read_only_file_system_is_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with _tmpfs(tmp_path / "ro", "ro", "size=1m") as ro:
        code, err = _bulk_cli([str(EXAMPLE), "-o", str(ro / "out")], capsys)
        assert code == 4 and "[output-write]" in err and str(ro / "out") in err and "Read-only" in err, err
        code, err = _bulk_cli([str(EXAMPLE), "-o", str(ro)], capsys)  # the folder exists, read-only
        assert code == 4 and "[output-write]" in err and str(ro) in err, err
        assert list(ro.iterdir()) == []


def test_an_output_that_is_a_file_is_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "out"
    afile.write_bytes(b"keep me")
    code, err = _bulk_cli([str(EXAMPLE), "-o", str(afile)], capsys)
    assert code == 4 and "[output-not-folder]" in err and str(afile) in err and "Traceback" not in err, err
    assert afile.read_bytes() == b"keep me"


@pytest.mark.parametrize("records", [False, True], ids=["documents", "records"])
def test_a_write_that_fails_midway_is_rolled_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: bool
) -> None:
    """Without a mount: the fifth output commit fails with ENOSPC (one job: in this process)."""
    from xml2json.errors import OutputError
    from xml2json.io import AtomicFile

    src = _documents(tmp_path / "src", 8)
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_bytes(b"not the run's")  # a folder the user made, with a file of theirs
    real_commit = AtomicFile.commit
    count = [0]

    def commit(self: AtomicFile) -> int | None:
        count[0] += 1
        if count[0] == 5:
            self.abort()
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_commit(self)

    monkeypatch.setattr(AtomicFile, "commit", commit)
    with pytest.raises(OutputError) as info:
        run_bulk([src], out, records=records, jobs=1)
    assert info.value.code == "output-write" and str(out) in info.value.message
    left = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert left == [".xml2json/lock", "mine.txt"]
    monkeypatch.setattr(AtomicFile, "commit", real_commit)
    s = run_bulk([src], out, records=records, jobs=1)  # the same call again: not "an earlier run"
    assert s.exit_code == 0 and s.documents == 8


def test_an_unreachable_scheduler_is_exit_2_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("distributed")
    import xml2json.bulk.dask_engine as dask_engine

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT", 2.0)
    out = tmp_path / "out"
    args = [str(EXAMPLE), "-o", str(out), "--engine", "dask", "--scheduler", "tcp://127.0.0.1:1"]
    for _ in range(2):  # the same command again meets the same error, not "an earlier run"
        code, err = _bulk_cli(args, capsys)
        assert code == 2 and "[dask-connect]" in err and "tcp://127.0.0.1:1" in err and "Traceback" not in err, err
        assert not out.exists()


def test_a_manifest_without_entries_is_not_an_earlier_run(tmp_path: Path) -> None:
    """A run killed before its first task completed left only the manifest's first line."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.jsonl").write_bytes(b'{"xml2jsonBulk": 1, "records": true}\n')
    s = run_bulk([EXAMPLE], out)
    assert s.exit_code == 0


# -- item 4: SIGTERM, SIGHUP stop the workers too --------------------------------------------------


def _session_processes(sid: int) -> list[int]:
    """Processes of session *sid* (the run was started in a session of its own)."""
    pids = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[3]) == sid:  # state, ppid, pgrp, session
            pids.append(int(d.name))
    return pids


@pytest.fixture(scope="module")
def long_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes]]:
    """Inputs that take a while with two jobs, and the output of an uninterrupted run."""
    from test_bulk import tree_bytes
    from test_bulk_resume import _inputs

    base = tmp_path_factory.mktemp("long-run")
    src = _inputs(base)
    run_bulk([str(src)], base / "ref", records=True, jobs=2)
    return src, tree_bytes(base / "ref")


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the run's processes in /proc")
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP"])
def test_a_signal_stops_the_workers_and_resume_completes(
    tmp_path: Path, long_run: tuple[Path, dict[str, bytes]], signame: str
) -> None:
    from test_bulk import tree_bytes
    from test_bulk_resume import N_FILES, _manifest_entries

    src, reference = long_run
    signum = getattr(signal, signame)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "xml2json", "bulk", str(src), "-o", str(out), "--records", "--jobs", "2"]
    cmd += ["--progress", "none"]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while _manifest_entries(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before it could be interrupted"
        os.kill(proc.pid, signum)  # the main process only, as `kill PID` does
        _, err = proc.communicate(timeout=60)  # returns once nobody holds our pipes any more
        assert proc.returncode == 128 + signum, err
        assert "--resume" in err.decode()
        deadline = time.monotonic() + 20
        while _session_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session_processes(proc.pid) == [], "processes of the run are still there"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.returncode is None:
            proc.communicate(timeout=30)
    done = _manifest_entries(out)
    assert done < N_FILES, "the run was not interrupted midway"
    assert not list(out.rglob("*.part"))
    again = subprocess.run([*cmd, "--resume"], env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 1, again.stderr  # 1: the one rejected record
    assert tree_bytes(out) == reference


def _unlisted_outputs(out: Path) -> set[str]:
    """Outputs under a final name (outside the state folder) that the manifest does not list."""
    listed = {"manifest.jsonl", "rejects.jsonl", "summary.json"}
    with contextlib.suppress(FileNotFoundError):
        for line in (out / "manifest.jsonl").read_bytes().splitlines()[1:]:
            with contextlib.suppress(orjson.JSONDecodeError):  # a torn last line
                listed.update(rel for rel, _size in orjson.loads(line)["outputs"])
    found = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    return {
        rel for rel in found if rel not in listed and not rel.startswith(".xml2json/") and not rel.endswith(".part")
    }


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds the run's processes in /proc")
def test_sigkill_of_the_main_process_ends_the_workers_and_they_commit_nothing(
    tmp_path: Path, long_run: tuple[Path, dict[str, bytes]]
) -> None:
    """SIGKILL reaches the main process only (no handler runs): its workers must notice, end
    without renaming anything into place, and the forkserver and resource tracker must end too."""
    from test_bulk import tree_bytes
    from test_bulk_resume import N_FILES, _manifest_entries

    src, reference = long_run
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "xml2json", "bulk", str(src), "-o", str(out), "--records", "--jobs", "2"]
    cmd += ["--progress", "none"]
    proc = subprocess.Popen(
        cmd, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while _manifest_entries(out) < 1 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert proc.poll() is None, "the run ended before it could be killed"
        assert len(_session_processes(proc.pid)) >= 4, "expected the main process, the server, the tracker, workers"
        os.kill(proc.pid, signal.SIGKILL)  # the main process only
        proc.wait(timeout=30)
        # committed before the main process died (results are taken in task order): complete
        before = _unlisted_outputs(out)
        for rel in before:
            assert (out / rel).read_bytes() == reference[rel], f"{rel} is incomplete"
        deadline = time.monotonic() + 20
        while _session_processes(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _session_processes(proc.pid) == [], "processes of the killed run are still there"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert _manifest_entries(out) < N_FILES, "the run was not killed midway"
    assert _unlisted_outputs(out) == before, "a worker renamed an output into place after the run died"
    again = subprocess.run([*cmd, "--resume"], env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert again.returncode == 1, again.stderr  # 1: the one rejected record
    assert tree_bytes(out) == reference


# -- item 6: a script without a main guard ---------------------------------------------------------

SCRIPT = """\
import sys
from xml2json.bulk import run_bulk

{guard}summary = run_bulk(sys.argv[1:-1], sys.argv[-1], jobs=2)
{guard}print("exit code", summary.exit_code, summary.reject_codes)
"""


def test_a_script_without_main_guard_gets_a_clear_error(tmp_path: Path) -> None:
    inputs = [str(p) for p in sorted(_documents(tmp_path / "src", 3).iterdir())]
    script = tmp_path / "convert_all.py"
    script.write_text(SCRIPT.format(guard=""))
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, str(script), *inputs, str(out)], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("xml2json.errors.ConfigError: bulk-in-worker:") and "__main__" in last, done.stderr
    assert "worker-crashed" not in done.stdout + done.stderr
    assert not out.exists()

    guarded = SCRIPT.replace("{guard}summary", 'if __name__ == "__main__":\n    summary').replace("{guard}", "    ")
    script.write_text(guarded)
    done = subprocess.run(
        [sys.executable, str(script), *inputs, str(out)], env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and "exit code 0 {}" in done.stdout, done.stderr


def test_run_bulk_refuses_inside_a_pool_worker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from xml2json.bulk import worker
    from xml2json.errors import ConfigError

    monkeypatch.setattr(worker, "IN_WORKER", True)
    with pytest.raises(ConfigError) as info:
        run_bulk([EXAMPLE], tmp_path / "out")
    assert info.value.code == "bulk-in-worker" and "--" not in info.value.message


def test_a_script_read_from_standard_input_gets_a_clear_error(tmp_path: Path) -> None:
    """``python - <<EOF`` with the guard: workers cannot import a main module that has no file
    (found by a new user: every input was rejected as worker-crashed)."""
    inputs = [str(p) for p in sorted(_documents(tmp_path / "src", 3).iterdir())]
    out = tmp_path / "out"
    guarded = SCRIPT.replace("{guard}summary", 'if __name__ == "__main__":\n    summary').replace("{guard}", "    ")
    done = subprocess.run(
        [sys.executable, "-", *inputs, str(out)], input=guarded, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("xml2json.errors.ConfigError: bulk-main-not-a-file:") and "<stdin>" in last, done.stderr
    assert "worker-crashed" not in done.stdout + done.stderr
    assert not out.exists()
    one_job = guarded.replace("jobs=2", "jobs=1")  # in this process: no worker imports anything
    done = subprocess.run(
        [sys.executable, "-", *inputs, str(out)], input=one_job, env=_env(), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and "exit code 0" in done.stdout, done.stderr


def test_resume_retries_inputs_whose_worker_crashed(tmp_path: Path) -> None:
    """A crashed worker is not the data's fault: ``--resume`` converts those inputs again."""
    src = _documents(tmp_path / "src", 2)
    out = tmp_path / "out"
    assert main(["bulk", str(src), "-o", str(out), "--jobs", "1", "--progress", "none"]) == 0
    manifest = out / "manifest.jsonl"
    lines = manifest.read_bytes().splitlines()
    entry = orjson.loads(lines[-1])
    victim = out / entry["outputs"][0][0]
    entry["rejectCodes"] = {"worker-crashed": 1}  # as a run whose worker died on this input writes it
    lines[-1] = orjson.dumps(entry)
    manifest.write_bytes(b"\n".join(lines) + b"\n")
    good = victim.read_bytes()
    victim.write_bytes(b"x" * len(good))  # same size: only the crash can make the run redo it
    assert main(["bulk", str(src), "-o", str(out), "--jobs", "1", "--progress", "none", "--resume"]) == 0
    assert victim.read_bytes() == good

"""The Dask engine produces exactly the local engine's output, on a two-process LocalCluster.

Needs the optional extra (``pip install "xml2json[dask]"``); skipped with that
reason without it, except under CI=true, where a missing extra fails the test
(CI installs it so that this test always runs there).
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest
from conftest import EXAMPLE
from test_bulk import HEAD, TAIL, make_corpus, read_jsonl, record_lines, tree_bytes, write_bulk

from xml2json.bulk import run_bulk


def _require_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError:
        msg = 'the Dask engine needs the optional extra: pip install "xml2json[dask]"'
        if os.environ.get("CI") == "true":
            pytest.fail(msg + " — CI must install it")
        pytest.skip(msg)


@pytest.mark.shared
@pytest.mark.slow
def test_dask_output_equals_local_output(tmp_path: Path) -> None:
    _require_dask()
    from distributed import Client, LocalCluster

    corpus = make_corpus(240)
    src = tmp_path / "in"
    src.mkdir()
    write_bulk(src / "daily-1.xml", corpus.records[:80])
    broken = corpus.records[80:160]
    broken[40] = broken[40].replace(b"ApplicationNumberText>", b"ApplicationNumberText><oops/>", 1)
    write_bulk(src / "daily-2.xml", broken)
    with zipfile.ZipFile(src / "week.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for i, rec in enumerate(corpus.records[160:]):
            zf.writestr(f"tm/{i:04d}.xml", HEAD + rec + b"\n" + TAIL)
    (src / "app.xml").write_bytes(EXAMPLE.read_bytes())

    local = run_bulk([src], tmp_path / "local", records=True, jobs=2)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dist = run_bulk([src], tmp_path / "dask", records=True, engine="dask", client=client)
        # the same through a scheduler address, as the CLI does it
        again = run_bulk([src], tmp_path / "dask2", records=True, engine="dask", scheduler=cluster.scheduler_address)
    assert (dist.records, dist.rejects) == (local.records, local.rejects) == (240, 1)
    assert dist.engine == "dask" and again.records == 240
    assert record_lines(tmp_path / "dask") == record_lines(tmp_path / "local")  # record for record
    assert tree_bytes(tmp_path / "dask") == tree_bytes(tmp_path / "local")  # and byte for byte
    assert tree_bytes(tmp_path / "dask2") == tree_bytes(tmp_path / "local")
    (rej,) = read_jsonl(tmp_path / "dask" / "rejects.jsonl")
    assert rej["index"] == 40 and rej["source"].endswith("daily-2.xml")


def test_dask_engine_usage_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from xml2json.errors import ConfigError

    with monkeypatch.context() as mp:
        mp.setitem(__import__("sys").modules, "distributed", None)  # as if the extra were not installed
        with pytest.raises(ConfigError, match=r"xml2json\[dask\]"):
            run_bulk([EXAMPLE], tmp_path / "a", engine="dask", scheduler="tcp://127.0.0.1:1")
    try:
        import distributed  # noqa: F401
    except ImportError:
        return
    with pytest.raises(ConfigError, match="scheduler") as exc:
        run_bulk([EXAMPLE], tmp_path / "b", engine="dask")
    assert exc.value.code == "dask-scheduler" and "--" not in str(exc.value)

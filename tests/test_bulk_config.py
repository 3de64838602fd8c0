"""Issue 11 for bulk: one validated config, library errors with codes (the CLI adds the flags), one
folder walker for bulk and profile report, one DOCTYPE gate, one atomic writer, one zip-name check,
and no import cycle between the run and the Dask engine."""

from __future__ import annotations

import ast
import dataclasses
import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import EXAMPLE, ROOT

from xml2json import Converter, Limits, Options, safe
from xml2json import io as xio
from xml2json.bulk import BulkConfig, iter_records, run, run_bulk
from xml2json.bulk import inputs as bulk_inputs
from xml2json.bulk import worker as bulk_worker
from xml2json.bulk.inputs import plan_inputs
from xml2json.bulk.records import peek_root
from xml2json.cli import main
from xml2json.errors import ConfigError, UnsafeXMLError, Xml2JsonError
from xml2json.profiles.report import build_report, iter_documents

# -- the config ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "code"),
    [
        ({"inputs": ()}, "no-input"),
        ({"engine": "spark"}, "bulk-engine"),
        ({"progress": "loud"}, "bulk-progress"),
        ({"jobs": 0}, "bulk-jobs"),
        ({"jobs": True}, "bulk-jobs"),
        ({"jobs": 1.5}, "bulk-jobs"),
        ({"records": True, "pretty": True}, "bulk-pretty-records"),
        ({"resume": True, "overwrite": True}, "bulk-resume-overwrite"),
        ({"inputs": ("-",), "engine": "dask", "scheduler": "tcp://127.0.0.1:1"}, "bulk-stdin-dask"),
        ({"engine": "dask"}, "dask-scheduler"),
    ],
)
def test_bad_settings_are_library_errors_with_a_code_and_no_flag(
    settings: dict[str, Any], code: str, tmp_path: Path
) -> None:
    kw: dict[str, Any] = {"inputs": (str(EXAMPLE),), "out_dir": tmp_path / "out", **settings}
    with pytest.raises(ConfigError) as exc:
        BulkConfig(**kw)
    assert exc.value.code == code
    assert "--" not in str(exc.value)
    assert not (tmp_path / "out").exists()  # checked before anything is created


def test_config_is_frozen_and_normalised(tmp_path: Path) -> None:
    cfg = BulkConfig(str(EXAMPLE), tmp_path / "out", options=None)  # type: ignore[arg-type]
    assert cfg.inputs == (str(EXAMPLE),) and cfg.options == Options()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.jobs = 2  # type: ignore[misc]
    s = run(dataclasses.replace(cfg, records=True))
    assert s.records == 1 and s.outcome == "ok" and s.exit_code == 0


def test_output_folder_errors_have_codes_and_the_cli_adds_the_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    run_bulk([EXAMPLE], out, records=True)
    with pytest.raises(ConfigError) as exc:
        run_bulk([EXAMPLE], out, records=True)
    assert exc.value.code == "bulk-earlier-run" and "--" not in str(exc.value)
    with pytest.raises(ConfigError) as exc:
        run_bulk([EXAMPLE], out, resume=True)
    assert exc.value.code == "bulk-settings-differ" and "--" not in str(exc.value)

    assert main(["bulk", str(EXAMPLE), "-o", str(out), "--records", "-q"]) == 2
    err = capsys.readouterr().err
    assert "[bulk-earlier-run]" in err and "use --resume to complete it or --overwrite to start over" in err
    assert main(["bulk", str(EXAMPLE), "-o", str(out), "-q", "--resume"]) == 2
    err = capsys.readouterr().err
    assert "[bulk-settings-differ]" in err and "--overwrite" in err
    assert main(["bulk", str(EXAMPLE), "-o", str(tmp_path / "o2"), "-j", "0"]) == 2
    assert "[bulk-jobs]" in capsys.readouterr().err
    assert main(["bulk", str(EXAMPLE), "-o", str(tmp_path / "o3"), "--records", "--pretty"]) == 2
    assert "--pretty does not apply to --records" in capsys.readouterr().err


def test_the_cli_maps_the_outcome_to_the_exit_code_summary_json_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<not-closed>")
    for src, want in ((EXAMPLE, 0), (bad, 1)):
        out = tmp_path / f"o{want}"
        assert main(["bulk", str(src), "-o", str(out), "-q"]) == want
        assert json.loads((out / "summary.json").read_bytes())["exitCode"] == want
    capsys.readouterr()


# -- one folder walker -----------------------------------------------------------------------------


def test_bulk_and_profile_report_walk_a_folder_alike(tmp_path: Path) -> None:
    doc = EXAMPLE.read_bytes()
    d = tmp_path / "corpus"
    (d / "sub").mkdir(parents=True)
    (d / ".hidden").mkdir()
    (d / "a.xml").write_bytes(doc)
    (d / "B.XML").write_bytes(doc)
    (d / "c.xml.gz").write_bytes(gzip.compress(doc))
    with zipfile.ZipFile(d / "d.zip", "w") as zf:
        zf.writestr("m.xml", doc)
    (d / "e.txt").write_text("not an input")
    (d / "f.gz").write_bytes(gzip.compress(doc))  # not .xml.gz: not picked up in a folder
    (d / ".g.xml").write_bytes(doc)
    (d / ".hidden" / "h.xml").write_bytes(doc)
    (d / "sub" / "i.xml").write_bytes(doc)
    (d / "z.xml").write_bytes(doc)

    walked = [p.relative_to(d).as_posix() for p in xio.walk_folder(d)]
    assert walked == ["B.XML", "a.xml", "c.xml.gz", "d.zip", "z.xml", "sub/i.xml"]

    plan = plan_inputs([d], tmp_path / "out", records=True, limits=Limits())
    bulk_files = [t.source[len(str(d)) + 1 :] for t in plan.tasks]
    assert bulk_files == walked and plan.skipped == 2  # e.txt, f.gz

    labels = [label for label, _root in iter_documents([str(d)], Converter())]
    report_files = [lab[len(str(d)) + 1 :].split("!")[0] for lab in labels]
    assert report_files == walked
    report = build_report([str(d)])
    assert [f.error for f in report.files] == [None] * 6  # the .xml.gz is read, like bulk reads it
    assert len({f.occurred for f in report.files}) == 1


# -- one DOCTYPE gate ------------------------------------------------------------------------------

DOCTYPE = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'


def test_one_doctype_gate_on_every_path(monkeypatch: pytest.MonkeyPatch) -> None:
    # the same error, whichever way the document comes in
    errors = []
    for call in (
        lambda: safe.parse_document(DOCTYPE, Limits()),
        lambda: list(safe.iterparse(io.BytesIO(DOCTYPE), Limits())),
        lambda: peek_root(io.BytesIO(DOCTYPE), Limits()),
        lambda: list(iter_records(DOCTYPE)),
        lambda: Converter().xml_to_json(DOCTYPE),
    ):
        with pytest.raises(UnsafeXMLError) as exc:
            call()
        errors.append((exc.value.code, str(exc.value), exc.value.issues[0].line))
    assert len(set(errors)) == 1 and errors[0][0] == "unsafe-doctype"

    # and it is one function: replacing it changes every path
    class Sentinel(Xml2JsonError):
        pass

    def gate(*_a: Any) -> Xml2JsonError:
        return Sentinel("gate")

    monkeypatch.setattr(safe, "_doctype_error", gate)
    for call in (
        lambda: safe.parse_document(DOCTYPE, Limits()),
        lambda: list(safe.iterparse(io.BytesIO(DOCTYPE), Limits())),
        lambda: peek_root(io.BytesIO(DOCTYPE), Limits()),
        lambda: list(iter_records(DOCTYPE)),
    ):
        with pytest.raises(Sentinel):
            call()


# -- one atomic writer, one zip-name check, no cycle -----------------------------------------------


def test_one_atomic_writer(tmp_path: Path) -> None:
    assert bulk_worker.AtomicFile is xio.AtomicFile
    path = tmp_path / "d" / "x.json"
    assert xio.atomic_write(path, b"{}\n", durable=True) == 3 and path.read_bytes() == b"{}\n"
    f = xio.AtomicFile(path)
    f.write(b"partial")
    assert path.read_bytes() == b"{}\n"  # nothing under the final name before commit
    f.abort()
    assert sorted(p.name for p in path.parent.iterdir()) == ["x.json"]
    from xml2json.plan import dump_plan, read_plan_dict

    dump_plan({"b": 1, "a": [2]}, tmp_path / "p" / "plan.json.gz")
    assert read_plan_dict(tmp_path / "p" / "plan.json.gz") == {"a": [2], "b": 1}
    assert [p.name for p in (tmp_path / "p").iterdir()] == ["plan.json.gz"]


def test_one_zip_member_name_check(tmp_path: Path) -> None:
    assert bulk_inputs.safe_member_path is safe.safe_member_path
    assert safe.check_member_name("a\\b/./c.xml") == ("a/b/c.xml", None)
    for bad in ("../x.xml", "/x.xml", "C:x.xml", "a/\x01.xml", "", "./", "a\x00b.xml"):
        path, why = safe.check_member_name(bad)
        assert path is None and why and safe.unsafe_member_name(bad) == why
    z = tmp_path / "z.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("ok.xml", EXAMPLE.read_bytes())
        zf.writestr("bad\x01.xml", EXAMPLE.read_bytes())
    s = run_bulk([z], tmp_path / "out", records=True)
    rejects = [json.loads(x) for x in (tmp_path / "out" / "rejects.jsonl").read_bytes().splitlines()]
    assert s.records == 1 and [r["code"] for r in rejects] == ["unsafe-zip-path"]
    report = build_report([str(z)])
    assert [f.error.code if f.error else None for f in report.files] == [None, "unsafe-zip-path"]


def test_no_import_cycle_between_the_run_and_the_dask_engine() -> None:
    def imports(module: str) -> set[str]:
        tree = ast.parse((ROOT / "xml2json" / "bulk" / f"{module}.py").read_text())
        return {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level == 1}

    assert "engine" not in imports("dask_engine") and "engine" not in imports("executors")
    assert "dask_engine" in imports("engine")

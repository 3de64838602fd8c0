"""The data-quality report read back (xml2json/bulk/report.py): loading quality.json, the text
summary, the HTML page (in a real headless browser: tests/browser.py) and `xml2json quality`.

The reports are built by tests/quality_samples.py from units and their issues, as the contract
defines them; every expectation here is derived from the dict, never typed in."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from browser import as_printed, as_shown, check_quality_page, dom, percent_agrees
from lxml import html as lxml_html
from quality_samples import HOSTILE, capped, empty, hostile, samples, tsdr_like

from xml2json.bulk.report import QUALITY_HTML, load_quality, render_html, render_text, write_html
from xml2json.cli import main
from xml2json.errors import ConfigError, InputError, OutputError

SAMPLES = dict(samples())


def bulk_dir(tmp_path: Path, q: dict[str, Any] | None, name: str = "out") -> Path:
    """An output folder as a bulk run leaves it (a manifest, a summary), with *q* as quality.json."""
    out = tmp_path / name
    out.mkdir()
    (out / "manifest.jsonl").write_text("")
    (out / "summary.json").write_text("{}")
    if q is not None:
        (out / "quality.json").write_text(json.dumps(q))
    return out


# -- load_quality -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_load_gives_the_report_back(tmp_path: Path, name: str) -> None:
    q = SAMPLES[name]
    out = bulk_dir(tmp_path, q)
    assert load_quality(out) == json.loads(json.dumps(q))
    assert load_quality(out / "quality.json") == load_quality(out)  # the file itself is taken too


def test_load_errors_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(InputError) as e:
        load_quality(tmp_path / "missing")
    assert e.value.code == "io"

    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(ConfigError) as c:
        load_quality(plain)
    assert c.value.code == "not-bulk-output" and str(plain) in c.value.message

    out = bulk_dir(tmp_path, None)
    with pytest.raises(ConfigError) as c:
        load_quality(out)
    assert c.value.code == "no-quality-report"
    assert "validate" in c.value.message and "round trip" in c.value.message


def test_an_unfinished_run_is_told_to_resume(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run that asked for checks and was interrupted (its manifest's header names them, no
    summary.json, no quality.json): resume it, do not start again."""
    out = tmp_path / "out"
    out.mkdir()
    header = {"xml2jsonBulk": 1, "records": True, "validate": ["json"], "checkRoundtrip": True}
    (out / "manifest.jsonl").write_text(json.dumps(header) + "\n")
    with pytest.raises(ConfigError) as c:
        load_quality(out)
    assert c.value.code == "run-not-finished" and "--resume" in c.value.message
    assert main(["quality", str(out)]) == 2
    err = capsys.readouterr().err
    assert "[run-not-finished]" in err and "--resume" in err and "--overwrite" not in err
    (out / "manifest.jsonl").write_text(json.dumps({"xml2jsonBulk": 1, "records": True}) + "\n")
    with pytest.raises(ConfigError) as c:
        load_quality(out)  # a run without checks: no report to wait for
    assert c.value.code == "no-quality-report"


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        (lambda q: q.update(format="xml2json-quality/2"), "/format"),
        (lambda q: q.pop("checked"), "/checked"),
        (lambda q: q.update(clean="12"), "/clean"),
        (lambda q: q.update(rejected=True), "/rejected"),
        (lambda q: q["byPath"][1].pop("examples"), "/byPath/1/examples"),
        (lambda q: q["byCheck"][0].update(records=-1), "/byCheck/0/records"),
        (lambda q: q["byPath"][0]["examples"][0].update(index="17"), "/byPath/0/examples/0/index"),
        (lambda q: q.update(inputs="bag.xml"), "/inputs"),
    ],
)
def test_load_refuses_another_format(tmp_path: Path, change: Any, pointer: str) -> None:
    q = tsdr_like()
    change(q)
    out = bulk_dir(tmp_path, q)
    with pytest.raises(InputError) as e:
        load_quality(out)
    assert e.value.code == "quality-format"
    assert e.value.issues[0].json_pointer == pointer


def test_load_refuses_what_is_not_json(tmp_path: Path) -> None:
    out = bulk_dir(tmp_path, None)
    (out / "quality.json").write_text('{"format": "xml2json-quality/1", ')
    with pytest.raises(InputError) as e:
        load_quality(out)
    assert e.value.code == "quality-format"
    (out / "quality.json").write_text("[]")
    with pytest.raises(InputError):
        load_quality(out)


# -- text ------------------------------------------------------------------------------------------------


def _count(n: int) -> str:
    return f"{n:,}"


def _cells(line: str) -> list[str]:
    """The columns of a line of the text summary (two spaces or more apart)."""
    return re.split(r"\s{2,}", line.strip())


@pytest.mark.parametrize("name", list(SAMPLES))
@pytest.mark.parametrize("top", [1, 3, 10])
def test_text_summary(name: str, top: int) -> None:
    q = SAMPLES[name]
    text = render_text(q, top=top)
    lines = text.splitlines()
    assert all(len(line) <= 100 for line in lines), max(lines, key=len)
    invalid = q["rejectedInvalid"]
    checked, read = q["checked"], q["checked"] + q["rejected"] - invalid
    assert re.search(rf"^{q['unit']}s read\s+{_count(read)}$", text, re.MULTILINE)
    totals = [
        ("checked", q["checked"], read),
        ("clean", q["clean"], q["checked"]),
        ("with issues", q["withIssues"], q["checked"]),
        ("rejected", q["rejected"], read),
    ]
    if invalid:
        totals += [
            ("  rejected as invalid (--strict-valid)", invalid, q["checked"]),
            ("  not checked", q["rejected"] - invalid, read),
        ]
    else:
        assert "as invalid" not in text and "not checked" not in text
    for label, value, whole in totals:
        (line,) = [x for x in lines if x.startswith(label + " ")]
        m = re.fullmatch(rf"{re.escape(label)}\s+([\d,]+)\s+(\S+(?: %)?)\s+of .*", line)
        assert m, line
        assert m.group(1) == _count(value)
        assert percent_agrees(m.group(2), value, whole), line
    if q["cleanWithRelaxations"]:
        said = f"note: {_count(q['cleanWithRelaxations'])} clean {q['unit']}s have only the converter's own"
        assert said in text
    else:
        assert "own round-trip relaxations" not in text
    cut = [x for x in lines if x.startswith("WARNING: ")]
    if q["documentsCut"]:
        (line,) = cut
        assert line.startswith(f"WARNING: {_count(q['documentsCut'])} documents could not be read to the end")
        assert line.endswith("(see rejects.jsonl):")
    else:
        assert not cut
    over = sum(r["issuesOverCap"] for r in q["byCheck"])
    for row in q["byCheck"]:
        (cells,) = [c for c in map(_cells, lines) if len(c) == (5 if over else 4) and c[0] == row["check"]]
        assert cells[1:3] == [_count(row["issues"]), _count(row["records"])]
        assert percent_agrees(cells[3], row["records"], checked), cells
        if over:
            assert cells[4] == _count(row["issuesOverCap"])
    if over:
        assert f"note: {_count(over)} more issue(s) beyond the first 100 per {q['unit']}" in text
        assert "the issue counts are lower bounds" in text
    else:
        assert "beyond the first" not in text
    assert ("only the first content error inside an element (libxml2)" in text) == ("xsd" in q["checks"])
    shown_paths = q["byPath"][:top]
    if shown_paths:  # each path: a line of counts, the path, its message, one example, in order
        at = next(n for n, x in enumerate(lines) if x.startswith("paths (")) + 2
        for row in shown_paths:
            cells = _cells(lines[at])
            assert cells[0] == _count(row["records"]) and cells[2] == _count(row["issues"]), cells
            assert percent_agrees(cells[1], row["records"], checked), cells
            assert cells[3:] == [row["check"], f"{row['code']} / {row['category']}"], cells
            path = lines[at + 1].strip()
            assert as_shown(row["path"]).endswith(path.removeprefix("…")) and len(path) <= 94, path
            at += 2
            if row["message"]:
                assert as_shown(row["message"]).startswith(lines[at].strip().removesuffix("…")), lines[at]
                at += 1
            if row["examples"]:
                ex = row["examples"][0]
                line = lines[at].strip()
                assert line.startswith("e.g. "), line
                _example_agrees(line.removeprefix("e.g. "), ex)
                at += 1
    if len(q["byPath"]) > top:
        assert f"top {len(shown_paths)} of {_count(len(q['byPath']))} listed" in text
    if q["omittedPaths"]:
        assert f"{_count(q['omittedPaths'])} more not listed" in text
    if not q["byPath"]:
        assert "paths: no issue" in text
    cats = q["byCategory"][:top]
    for row in cats:
        assert [row["category"], _count(row["issues"]), _count(row["records"])] in [c[:3] for c in map(_cells, lines)]


def _example_agrees(text: str, ex: dict[str, Any]) -> None:
    """*text* shows the example: its id and index whole, its source (perhaps clipped at the start
    with "…"); or, where even that does not fit, the start of it all, clipped with "…"."""
    index = "" if ex["index"] is None else f", index {ex['index']}"
    rid = None if ex["id"] is None else as_shown(ex["id"])
    whole = as_shown(ex["source"]) + index if rid is None else f"{rid} ({as_shown(ex['source'])}{index})"
    if text.endswith("…"):
        assert whole.startswith(text.removesuffix("…")), text
        return
    if rid is not None:
        assert text.startswith(f"{rid} (") and text.endswith(")"), text
        text = text.removeprefix(f"{rid} (").removesuffix(")")
    assert text.endswith(index), text
    source = text.removesuffix(index) if index else text
    assert as_shown(ex["source"]).endswith(source.removeprefix("…")), text


def test_text_shows_control_characters_as_escapes() -> None:
    text = render_text(hostile(), top=20)
    assert "\x07" not in text and "\x00" not in text and "\\x07" in text and "\\x00" in text
    text.encode("utf-8")  # no lone surrogate left


# -- HTML without a browser -----------------------------------------------------------------------------


def test_html_escapes_every_string() -> None:
    q = hostile()
    page = render_html(q)
    page.encode("utf-8")
    assert "<script" not in page.lower()  # the page has no script of its own: any would be the data's
    assert "onerror=" not in page.replace("onerror=alert(1)&gt;", "")  # only as escaped text
    tree = lxml_html.document_fromstring(page)
    assert not tree.xpath("//script | //img | //b | //i")
    text = " ".join(tree.text_content().split())
    for s in HOSTILE:
        assert as_shown(s) in text


def test_write_html_is_atomic_and_reports_failures(tmp_path: Path) -> None:
    q = tsdr_like()
    out = bulk_dir(tmp_path, q)
    path = write_html(out, q)
    assert path == out / QUALITY_HTML
    assert path.read_text(encoding="utf-8") == render_html(q)
    assert sorted(p.name for p in out.iterdir()) == ["manifest.jsonl", "quality.html", "quality.json", "summary.json"]
    (out / "quality.html").unlink()
    (out / "quality.html").mkdir()
    with pytest.raises(OutputError) as e:
        write_html(out, q)
    assert e.value.code == "output-is-folder"


# -- in a real browser --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
def test_browser_shows_the_numbers_of_quality_json(chromium: str, tmp_path: Path, name: str) -> None:
    q = SAMPLES[name]
    out = bulk_dir(tmp_path, q)
    page = write_html(out, load_quality(out))
    seen = check_quality_page(chromium, page, load_quality(out))
    text = " ".join(seen["text"].split())
    if q["checked"] == 0:
        assert f"No {q['unit']} was read" in text or q["rejected"]


@pytest.mark.parametrize("name", ["tsdr-like", "hostile", "capped", "strict-cut"])
def test_browser_narrow_screen(chromium: str, tmp_path: Path, name: str) -> None:
    """On a phone-sized window the page does not scroll sideways and every number is visible."""
    q = SAMPLES[name]
    page = write_html(bulk_dir(tmp_path, q), q)
    seen = check_quality_page(chromium, page, q, width=360)
    assert seen["width"] <= 400
    for table, (wide, box) in seen["overflow"].items():  # no table scrolls sideways in its box either
        assert wide <= box, f"the {table} table is {wide}px wide in {box}px"


def test_browser_hostile_strings_stay_text(chromium: str, tmp_path: Path) -> None:
    q = hostile()
    page = write_html(bulk_dir(tmp_path, q), q)
    tree = dom(chromium, page)
    assert not tree.xpath("//script | //img | //b | //i | //*[@onmouseover]")
    text = " ".join(tree.text_content().split())
    for s in HOSTILE:
        assert as_shown(s) in text


# -- the command -------------------------------------------------------------------------------------------


def test_cli_prints_the_summary_again(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = tsdr_like()
    out = bulk_dir(tmp_path, q)
    assert main(["quality", str(out), "--top", "3"]) == 0
    assert capsys.readouterr().out == render_text(q, top=3)
    assert not (out / QUALITY_HTML).exists()  # written only when asked


@pytest.mark.parametrize("make", [capped, hostile])
def test_cli_json(tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any) -> None:
    q = make()
    out = bulk_dir(tmp_path, q)
    assert main(["quality", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == q


def test_cli_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    q = tsdr_like()
    out = bulk_dir(tmp_path, q)
    assert main(["quality", str(out), "--html"]) == 0
    captured = capsys.readouterr()
    assert captured.out == render_text(q)
    assert (out / QUALITY_HTML).read_text(encoding="utf-8") == render_html(q)
    assert str(out / QUALITY_HTML) in captured.err

    elsewhere = tmp_path / "report.html"
    assert main(["quality", str(out), "--json", "--html", str(elsewhere)]) == 0
    assert json.loads(capsys.readouterr().out) == q
    assert elsewhere.read_text(encoding="utf-8") == render_html(q)

    assert main(["quality", str(out), "--html", "-"]) == 0  # to standard output: the page alone
    assert capsys.readouterr().out.rstrip("\n") == render_html(q).rstrip("\n")

    assert main(["quality", str(out), "--json", "--html", "-"]) == 2  # both to standard output: refused
    captured = capsys.readouterr()
    assert captured.out == "" and "[usage]" in captured.err and "--json and --html -" in captured.err


@pytest.mark.parametrize(
    ("make", "args", "code", "expect"),
    [
        (lambda t: t / "missing", [], 2, "[io]"),
        (lambda t: t, [], 2, "[not-bulk-output]"),
        (lambda t: bulk_dir(t, None), [], 2, "--check-roundtrip"),
        (lambda t: bulk_dir(t, {**empty(), "format": "x"}), [], 1, "[quality-format]"),
        (lambda t: bulk_dir(t, empty()), ["--html", "/nonexistent-folder/q.html"], 4, "[output-folder-missing]"),
        (lambda t: bulk_dir(t, empty()), ["--top", "-1"], 2, "--top"),
        (lambda t: bulk_dir(t, empty()), ["--html", "{out}/quality.json"], 4, "[output-is-input]"),
    ],
)
def test_cli_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Any, args: list[str], code: int, expect: str
) -> None:
    try:
        target = make(tmp_path)
        got = main(["quality", str(target), *(a.replace("{out}", str(target)) for a in args)])
    except SystemExit as exc:  # argparse refuses the command line itself
        got = exc.code
    assert got == code
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err


def test_a_missing_browser_skips_locally_and_fails_under_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from browser import require_chromium

    monkeypatch.delenv("XML2JSON_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no browser on it
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        require_chromium()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="chromium"):
        require_chromium()


def test_bulk_reserves_the_report_names(tmp_path: Path) -> None:
    """An input whose output would be quality.json (documents mode) or a folder quality.html/ is
    an output collision, not a file the report would replace (or fail on)."""
    from conftest import EXAMPLE

    from xml2json.bulk import run_bulk

    (tmp_path / "quality.xml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "quality.html").mkdir()
    (tmp_path / "quality.html" / "a.xml").write_bytes(EXAMPLE.read_bytes())
    (tmp_path / "ok.xml").write_bytes(EXAMPLE.read_bytes())
    out = tmp_path / "out"
    s = run_bulk([tmp_path / "quality.xml", tmp_path / "quality.html", tmp_path / "ok.xml"], out)
    rejects = [json.loads(line) for line in (out / "rejects.jsonl").read_text().splitlines()]
    assert sorted(r["code"] for r in rejects) == ["output-collision", "output-collision"]
    assert s.exit_code == 1 and (out / "ok.json").is_file()
    assert not (out / "quality.json").exists() and not (out / "quality.html").exists()


@pytest.mark.parametrize("name", ["tsdr-like", "hostile"])
def test_browser_printed_page_holds_everything(chromium: str, tmp_path: Path, name: str) -> None:
    """With its print rules, on the width of an A4 page (about 700 px inside the margins), the
    page shows every number and nothing is wider than the paper (it would be cut off)."""
    q = SAMPLES[name]
    page = write_html(bulk_dir(tmp_path, q), q)
    check_quality_page(chromium, page, q, width=700, edit=as_printed)

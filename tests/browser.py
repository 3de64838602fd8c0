"""A real headless browser for the tests of HTML pages: Debian's ``chromium``.

``chromium --headless --dump-dom URL`` loads a page, lays it out and prints its DOM. To read what
the page *shows* (``innerText``, which follows the CSS: hidden elements and collapsed white space
are not in it), :func:`probe` renders a copy of the page with a small script added at the end of
its body: the script measures the page and writes what it found, as JSON, into an element of the
DOM that ``--dump-dom`` prints. The copy differs from the page only by that script and by the
page's Content-Security-Policy ``<meta>``, removed so that the script may run (the report itself
has no script). :func:`dom` renders the page as it is.

:func:`check_quality_page` asserts that a data-quality report page shows exactly the numbers and
strings of its ``quality.json`` (a dict): use it on any report, e.g. after a real bulk run::

    def test_x(chromium, tmp_path): ...; check_quality_page(chromium, out / "quality.html", q)

The ``chromium`` fixture (tests/conftest.py) gives the browser's path; where there is none the
test is skipped with the reason, and under ``CI=true`` it fails (.ci/run installs chromium).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from lxml import html as lxml_html

#: The browser's executable: $XML2JSON_CHROMIUM, else the first of these on PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_chromium() -> str | None:
    given = os.environ.get("XML2JSON_CHROMIUM")
    if given:
        return given
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The browser's path; skip the test without one (fail under ``CI=true``)."""
    found = find_chromium()
    if found:
        return found
    msg = "no headless browser: install Debian's chromium (apt-get install chromium) or set XML2JSON_CHROMIUM"
    if os.environ.get("CI") == "true":
        pytest.fail(msg + " — .ci/run installs it")
    pytest.skip(msg)


def dump_dom(chromium: str, page: Path, *, width: int = 1280, height: int = 900) -> str:
    """The DOM of *page* after the browser loaded it, serialised (``--dump-dom``)."""
    with tempfile.TemporaryDirectory(prefix="xml2json-chromium-") as profile:
        done = subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--allow-file-access-from-files",
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--dump-dom",
                page.resolve().as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    out = done.stdout.decode("utf-8")
    assert done.returncode == 0 and "<html" in out, (
        f"chromium exited {done.returncode}: {done.stderr.decode(errors='replace')[-2000:]}"
    )
    return out


def dom(chromium: str, page: Path, **size: int) -> Any:
    """The page as the browser built it, parsed (``lxml.html``)."""
    return lxml_html.document_fromstring(dump_dom(chromium, page, **size))


_PROBE = r"""
<script>
(function () {
  function seen(el) {
    return {value: el.getAttribute('data-value'), text: el.innerText,
            visible: el.checkVisibility({opacityProperty: true, visibilityProperty: true})};
  }
  var r = {width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
           text: document.body.innerText, totals: {}, percents: {}, info: {}, inputs: [], tables: {}};
  document.querySelectorAll('[data-total]').forEach(function (el) { r.totals[el.dataset.total] = seen(el); });
  document.querySelectorAll('[data-percent]').forEach(function (el) { r.percents[el.dataset.percent] = seen(el); });
  document.querySelectorAll('[data-info]').forEach(function (el) { r.info[el.dataset.info] = seen(el); });
  document.querySelectorAll('[data-input]').forEach(function (el) { r.inputs.push(seen(el)); });
  r.overflow = {};
  document.querySelectorAll('table[data-table]').forEach(function (t) {
    var box = t.parentElement;
    r.overflow[t.dataset.table] = [box.scrollWidth, box.clientWidth];
    r.tables[t.dataset.table] = Array.prototype.map.call(t.querySelectorAll('tr[data-row]'), function (tr) {
      var cells = {};
      tr.querySelectorAll('[data-field]').forEach(function (td) { cells[td.dataset.field] = seen(td); });
      var examples = Array.prototype.map.call(tr.querySelectorAll('[data-example]'), function (li) {
        var s = seen(li);
        s.id = li.getAttribute('data-id'); s.source = li.getAttribute('data-source');
        s.index = li.getAttribute('data-index');
        return s;
      });
      return {row: tr.dataset.row, cells: cells, examples: examples};
    });
  });
  var pre = document.createElement('pre');
  pre.id = '__probe';
  pre.textContent = JSON.stringify(r);
  document.body.appendChild(pre);
})();
</script>
"""

_CSP_META = re.compile(r'<meta http-equiv="Content-Security-Policy"[^>]*>', re.IGNORECASE)


#: Chromium's headless window is at least this wide; narrower pages are shown in a frame.
MIN_WINDOW = 500

#: A page that shows the probed copy in a frame *width* pixels wide (a phone's screen) and copies
#: the probe's result out of the frame once it has loaded (``--allow-file-access-from-files`` lets
#: a file read another file's document).
_FRAME = """<!DOCTYPE html><html><body style="margin:0">
<iframe src="{src}" style="width:{width}px;height:{height}px;border:0"
 onload="var p=document.createElement('pre');p.id='__probe';
 p.textContent=this.contentDocument.getElementById('__probe').textContent;document.body.appendChild(p)"></iframe>
</body></html>"""


def as_printed(source: str) -> str:
    """The page with its print rules (``@media print``) applied on screen too: headless Chromium
    cannot be asked to lay a page out for print media, so :func:`probe` with
    ``edit=as_printed`` at a paper's width (A4 with margins: about 700 px) shows what the printed
    page holds (a table wider than the paper is cut off there)."""
    return source.replace("@media print", "@media all")


def probe(
    chromium: str, page: Path, *, width: int = 1280, height: int = 900, edit: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """What *page* shows in a window (or, under :data:`MIN_WINDOW` pixels, a frame) of this size:
    ``text`` (the body's ``innerText``), ``width`` and ``scrollWidth`` (a page wider than the
    window scrolls sideways), and for every element with a hook (``data-total``, ``data-percent``,
    ``data-info``, ``data-input``, the rows of each ``data-table`` with their ``data-field`` cells
    and ``data-example`` items) its ``value`` (``data-value``), ``text`` (``innerText``) and
    whether it is ``visible``. *edit* changes the copy's source first (:func:`as_printed`)."""
    source = page.read_text(encoding="utf-8")
    assert "</body>" in source, f"{page} has no </body>"
    copy = _CSP_META.sub("", edit(source) if edit else source).replace("</body>", _PROBE + "</body>", 1)
    with tempfile.TemporaryDirectory(prefix="xml2json-probe-") as tmp:
        probed = Path(tmp) / page.name
        probed.write_text(copy, encoding="utf-8")
        if width < MIN_WINDOW:
            frame = Path(tmp) / "__frame.html"
            frame.write_text(_FRAME.format(src=probed.name, width=width, height=height), encoding="utf-8")
            probed, width = frame, MIN_WINDOW + 100
        tree = lxml_html.document_fromstring(dump_dom(chromium, probed, width=width, height=height))
    found = tree.xpath('//pre[@id="__probe"]')
    assert found, "the probe did not run (no result in the DOM)"
    result: dict[str, Any] = json.loads(found[0].text_content())
    return result


# -- the data-quality report ----------------------------------------------------------------------


def shown_text(s: str) -> str:
    """White space collapsed, as a browser shows text (non-breaking spaces included)."""
    return " ".join(s.split())


def escaped(value: str) -> str:
    """How the report writes a string from the data: control characters and lone surrogates as
    Python escapes (``\\x07``, ``\\ud800``); in an attribute, as it is then."""
    return re.sub(
        "[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]",
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}",
        value,
    )


def as_shown(value: str) -> str:
    """How the report shows a string from the data as text: :func:`escaped`, white space collapsed."""
    return shown_text(escaped(value))


def shown_int(text: str) -> int:
    """A count as shown (``12,345``)."""
    t = shown_text(text)
    assert re.fullmatch(r"\d{1,3}(,\d{3})*", t), f"not a count with thousands separators: {t!r}"
    return int(t.replace(",", ""))


def percent_agrees(text: str, part: int, whole: int) -> bool:
    """True when the percentage shown is *part* of *whole*: ``–`` for a whole of 0; ``0 %`` and
    ``100 %`` only when exact; ``<0.1 %`` / ``>99.9 %`` near the ends; else within rounding to
    one decimal."""
    t = shown_text(text)
    if whole == 0:
        return t == "–"
    m = re.fullmatch(r"([<>]?)(\d+(?:\.\d)?) %", t)
    if not m:
        return False
    exact = 100 * part / whole
    sign, v = m.group(1), float(m.group(2))
    if sign == "<":
        return 0 < exact < v
    if sign == ">":
        return v < exact < 100
    if v in (0.0, 100.0):
        return exact == v and "." not in m.group(2)
    return 0 < exact < 100 and abs(v - exact) <= 0.05 + 1e-9


def _row_agrees(
    table: str, i: int, seen: Mapping[str, Any], row: Mapping[str, Any], checked: int, any_over_cap: bool
) -> None:
    where = f"{table}[{i}]"
    assert seen["row"] == str(i), where
    cells = seen["cells"]
    for key, value in row.items():
        if key == "examples" or (key == "issuesOverCap" and not any_over_cap):
            continue  # the column is shown only when some check had issues beyond the cap
        assert key in cells, f"{where}: {key} not shown"
        cell = cells[key]
        assert cell["visible"], f"{where}.{key} is not visible"
        if key in ("issues", "records", "issuesOverCap"):
            assert cell["value"] == str(value), f"{where}.{key}: data-value {cell['value']} != {value}"
            assert shown_int(cell["text"]) == value, f"{where}.{key}: shows {cell['text']!r}, not {value}"
        elif key == "share":
            assert float(cell["value"]) == value, f"{where}.share: data-value {cell['value']} != {value}"
            assert percent_agrees(cell["text"], row["records"], checked), f"{where}.share shows {cell['text']!r}"
        else:
            assert shown_text(cell["text"]) == as_shown(value or ""), f"{where}.{key} shows {cell['text']!r}"
    examples = row.get("examples", [])
    assert len(seen["examples"]) == len(examples), f"{where}: {len(seen['examples'])} examples shown"
    for ex, s in zip(examples, seen["examples"], strict=True):
        assert s["visible"], f"{where}: an example is not visible"
        assert s["source"] == escaped(ex["source"]), f"{where}: example source {s['source']!r}"
        assert s["id"] == (None if ex["id"] is None else escaped(ex["id"])), f"{where}: example id {s['id']!r}"
        assert s["index"] == (None if ex["index"] is None else str(ex["index"])), f"{where}: example index"
        text = shown_text(s["text"])
        assert as_shown(ex["source"]) in text, f"{where}: example shows {text!r}"
        if ex["id"] is not None:
            assert as_shown(ex["id"]) in text, f"{where}: example shows {text!r}"
        if ex["index"] is not None:
            assert str(ex["index"]) in text, f"{where}: example shows {text!r}"


def check_quality_page(
    chromium: str,
    page: Path,
    q: Mapping[str, Any],
    *,
    width: int = 1280,
    edit: Callable[[str], str] | None = None,
) -> dict[str, Any]:
    """Assert that the quality report *page*, rendered by the browser at *width* pixels, shows
    what *q* (its ``quality.json``) says: every total (hook value and visible text), every
    percentage (from the counts), the run facts, and every row of every table in order, each
    cell's number, share and string, each example; that nothing the page needs is hidden or
    scrolls the page sideways (*edit*: as :func:`probe`); and that the page as it is (not the probed copy) has no script
    and loads nothing. Returns the probe's result for further checks."""
    page_dom = dom(chromium, page, width=width)
    assert not page_dom.xpath("//script"), "the report has a script element"
    assert not page_dom.xpath("//*[@*[starts-with(name(), 'on')]]"), "the report has an event-handler attribute"
    assert not page_dom.xpath("//*[@src or @href or @srcset]"), "the report refers to another resource"

    seen = probe(chromium, page, width=width, edit=edit)
    assert seen["scrollWidth"] <= seen["width"], f"the page is {seen['scrollWidth']}px wide in {seen['width']}px"
    checked, rejected = q["checked"], q["rejected"]
    invalid = q.get("rejectedInvalid", 0)
    read = checked + rejected - invalid  # a unit rejected as invalid was checked: counted once
    expected = {
        "read": read,
        "checked": checked,
        "clean": q["clean"],
        "withIssues": q["withIssues"],
        "rejected": rejected,
    }
    for key in ("omittedPaths", "rejectedInvalid", "documentsCut", "cleanWithRelaxations"):
        if q.get(key):
            expected[key] = q[key]
    if any(r.get("issuesOverCap") for r in q["byCheck"]):
        expected["issuesOverCap"] = sum(r["issuesOverCap"] for r in q["byCheck"])
        assert "the issue counts are lower bounds" in seen["text"], "the cap is not said"
    if "xsd" in q["checks"]:
        assert "only the first content error inside an element" in seen["text"], "the xsd note is not shown"
    assert set(seen["totals"]) == set(expected), f"totals shown: {sorted(seen['totals'])}"
    for key, value in expected.items():
        t = seen["totals"][key]
        assert t["visible"], f"total {key} is not visible"
        assert t["value"] == str(value), f"total {key}: data-value {t['value']} != {value}"
        assert shown_int(t["text"]) == value, f"total {key} shows {t['text']!r}, not {value}"
    wholes = {"checked": read, "clean": checked, "withIssues": checked, "rejected": read}
    for key, whole in wholes.items():
        p = seen["percents"][key]
        assert p["visible"] and percent_agrees(p["text"], expected[key], whole), f"{key} shows {p['text']!r}"

    if invalid:
        assert "rejected as invalid (--strict-valid)" in seen["text"], "the rejected as invalid are not named"
    if q.get("documentsCut"):
        said = f"{q['documentsCut']:,} document{'s' if q['documentsCut'] > 1 else ''} could not be read to the end"
        assert said in seen["text"] and "see rejects.jsonl" in seen["text"], "documentsCut is not said"

    info = seen["info"]
    for key in ("outDir", "generated", "unit"):
        assert shown_text(info[key]["text"]) == as_shown(q[key]), f"{key} shows {info[key]['text']!r}"
    assert shown_text(info["checks"]["text"]) == as_shown(", ".join(q["checks"]))
    backend = info["jsonBackend"]["text"]
    assert shown_text(backend) == (as_shown(q["jsonBackend"]) if q["jsonBackend"] is not None else "not checked")
    assert [shown_text(i["text"]) for i in seen["inputs"]] == [as_shown(i) for i in q["inputs"]]

    for table in ("byCheck", "byCategory", "byCode", "byPath"):
        rows = seen["tables"].get(table)
        assert rows is not None, f"no table {table}"
        assert len(rows) == len(q[table]), f"{table}: {len(rows)} rows shown, {len(q[table])} in the report"
        for i, (s, row) in enumerate(zip(rows, q[table], strict=True)):
            _row_agrees(table, i, s, row, checked, any(r.get("issuesOverCap") for r in q["byCheck"]))
    return seen

"""The data-quality report of a bulk run, read back: ``OUTDIR/quality.json`` as text and as HTML.

A bulk run that validates its records or checks their round trip writes ``OUTDIR/quality.json``
(the contract is in docs/bulk.md, "The data-quality report"). This module reads it and renders
it; it never computes anything the file does not say, except the percentages shown to people,
which are taken from the counts (``records / checked``) rather than from the rounded ``share``.

* :func:`load_quality` — read ``quality.json`` (an OUTDIR, or the file itself) and check it
  (:func:`check_quality`: the keys and types of the format);
* :func:`render_text` — a short plain-text summary (what ``xml2json quality OUTDIR`` prints);
* :func:`render_html` — one self-contained HTML page: inline CSS, SVG bars, no script, no
  external asset; every string from the data escaped; numbers carry ``data-*`` hooks;
* :func:`write_html` — ``OUTDIR/quality.html``, written atomically.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..io import atomic_write
from ..policy import QUALITY_CLEAN_RELAXATIONS as CLEAN_RELAXATIONS

__all__ = [
    "QUALITY_FORMAT",
    "QUALITY_HTML",
    "QUALITY_JSON",
    "check_quality",
    "load_quality",
    "render_html",
    "render_text",
    "write_html",
]

#: The ``format`` this module reads.
QUALITY_FORMAT = "xml2json-quality/1"
#: The file names in OUTDIR.
QUALITY_JSON = "quality.json"
QUALITY_HTML = "quality.html"
#: Files that only a bulk run writes in OUTDIR: a folder with one of them is a bulk output.
_BULK_MARKERS = ("manifest.jsonl", "summary.json", "rejects.jsonl", ".xml2json")

#: Width of the text summary (as ``profile report``): long paths keep their end, "…" in front.
WIDTH = 100

# -- reading ---------------------------------------------------------------------------------------

_INT = "int"
_STR = "str"
_OPT_STR = "str|null"
_OPT_INT = "int|null"
_NUM = "number"
_STR_LIST = "list[str]"
_ROWS = "list[object]"

_TOP: dict[str, str] = {
    "format": _STR,
    "generated": _STR,
    "outDir": _STR,
    "inputs": _STR_LIST,
    "unit": _STR,
    "checks": _STR_LIST,
    "jsonBackend": _OPT_STR,
    "checked": _INT,
    "clean": _INT,
    "withIssues": _INT,
    "rejected": _INT,
    "byCheck": _ROWS,
    "byCategory": _ROWS,
    "byCode": _ROWS,
    "byPath": _ROWS,
    "omittedPaths": _INT,
}
#: Keys a report of an earlier release may lack (read as 0); checked when present.
_TOP_OPTIONAL: dict[str, str] = {"rejectedInvalid": _INT, "documentsCut": _INT, "cleanWithRelaxations": _INT}
_COUNTS = {"issues": _INT, "records": _INT, "share": _NUM}
_ROW_FIELDS: dict[str, dict[str, str]] = {
    "byCheck": {"check": _STR, **_COUNTS},
    "byCategory": {"category": _STR, **_COUNTS},
    "byCode": {"check": _STR, "code": _STR, **_COUNTS},
    "byPath": {
        "check": _STR,
        "code": _STR,
        "category": _STR,
        "path": _STR,
        **_COUNTS,
        "message": _OPT_STR,
        "examples": _ROWS,
    },
}
_EXAMPLE = {"id": _OPT_STR, "source": _STR, "index": _OPT_INT}


_KIND_WORDS = {
    _INT: "a whole number ≥ 0",
    _STR: "a string",
    _OPT_STR: "a string or null",
    _OPT_INT: "a whole number ≥ 0 or null",
    _NUM: "a number",
    _STR_LIST: "a list of strings",
    _ROWS: "a list of objects",
}


def _fits(value: Any, kind: str) -> bool:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if kind == _INT:
        return is_int and value >= 0
    if kind == _OPT_INT:
        return value is None or (is_int and value >= 0)
    if kind == _NUM:
        return is_int or isinstance(value, float)
    if kind == _STR:
        return isinstance(value, str)
    if kind == _OPT_STR:
        return value is None or isinstance(value, str)
    if kind == _STR_LIST:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, list) and all(isinstance(v, dict) for v in value)


def _check_fields(obj: Mapping[str, Any], fields: Mapping[str, str], where: str, name: str) -> None:
    for key, kind in fields.items():
        if key not in obj:
            raise InputError(
                f"{name} is not a quality report this version reads: {key!r} is missing",
                code="quality-format",
                json_pointer=f"{where}/{key}",
            )
        if not _fits(obj[key], kind):
            raise InputError(
                f"{name} is not a quality report this version reads: {key!r} is not {_KIND_WORDS[kind]}",
                code="quality-format",
                json_pointer=f"{where}/{key}",
            )


def check_quality(q: Any, name: str = "the quality report") -> dict[str, Any]:
    """*q* if it is a quality report this module can render (the keys and types of
    ``xml2json-quality/1``; keys it does not know are ignored), else :class:`InputError`
    ``quality-format`` with the JSON pointer of the first key that is missing or of another type."""
    if not isinstance(q, dict):
        raise InputError(f"{name} is not a quality report: not a JSON object", code="quality-format")
    fmt = q.get("format")
    if fmt != QUALITY_FORMAT:
        raise InputError(
            f"{name} is not a quality report this version reads: "
            + ("it has no 'format'" if fmt is None else f"its format is {json.dumps(fmt, ensure_ascii=False)}")
            + f", this version reads {QUALITY_FORMAT}",
            code="quality-format",
            json_pointer="/format",
        )
    _check_fields(q, _TOP, "", name)
    _check_fields(q, {k: v for k, v in _TOP_OPTIONAL.items() if k in q}, "", name)
    if rejected_invalid(q) > min(q["checked"], q["rejected"]):
        raise InputError(
            f"{name} is not a quality report this version reads: 'rejectedInvalid' is more than "
            "'checked' or 'rejected'",
            code="quality-format",
            json_pointer="/rejectedInvalid",
        )
    for table, fields in _ROW_FIELDS.items():
        for i, row in enumerate(q[table]):
            _check_fields(row, fields, f"/{table}/{i}", name)
            if table == "byCheck" and "issuesOverCap" in row:
                _check_fields(row, {"issuesOverCap": _INT}, f"/{table}/{i}", name)
    for i, row in enumerate(q["byPath"]):
        for j, ex in enumerate(row["examples"]):
            _check_fields(ex, _EXAMPLE, f"/byPath/{i}/examples/{j}", name)
    return q


def rejected_invalid(q: Mapping[str, Any]) -> int:
    """Units of *q* that were checked and then rejected by --strict-valid (in ``checked`` and in
    ``rejected``); 0 in a report of an earlier release."""
    return int(q.get("rejectedInvalid", 0))


def units_read(q: Mapping[str, Any]) -> int:
    """Units read: the checked ones and the rejected ones, each once (a unit rejected as invalid
    is both)."""
    return int(q["checked"]) + int(q["rejected"]) - rejected_invalid(q)


def _unfinished_checking_run(folder: Path) -> bool:
    """Whether *folder* holds a bulk run that asked for checks (its manifest's header says
    ``validate`` or ``checkRoundtrip``) and has not finished (no summary.json yet)."""
    if (folder / "summary.json").exists():
        return False
    try:
        with open(folder / "manifest.jsonl", "rb") as fh:
            header = json.loads(fh.readline())
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and bool(header.get("validate") or header.get("checkRoundtrip"))


def _manifest_header(folder: Path) -> dict[str, Any]:
    try:
        with open(folder / "manifest.jsonl", "rb") as fh:
            header = json.loads(fh.readline())
    except (OSError, ValueError, UnicodeDecodeError):
        return {}
    return header if isinstance(header, dict) else {}


def _is_bulk_output(folder: Path) -> bool:
    return any((folder / m).exists() for m in _BULK_MARKERS)


def load_quality(out_dir: str | Path) -> dict[str, Any]:
    """The quality report of a bulk output folder (``OUTDIR/quality.json``), checked with
    :func:`check_quality`. *out_dir* may also name the ``quality.json`` file itself.

    Errors: a folder that does not exist or cannot be read — :class:`InputError` ``io``; a folder
    that is not a bulk output — :class:`ConfigError` ``not-bulk-output``; a bulk output without a
    quality report (the run neither validated nor checked round trips) — :class:`ConfigError`
    ``no-quality-report``, or, when the run in it asked for checks but has not finished,
    ``run-not-finished``; a file that is not JSON or not this format — :class:`InputError`
    ``quality-format``."""
    p = Path(out_dir)
    if p.is_dir():
        file = p / QUALITY_JSON
        if not file.is_file():
            if not _is_bulk_output(p):
                raise ConfigError(
                    f"{p} is not the output folder of a bulk run (it has no manifest.jsonl, summary.json or "
                    f"rejects.jsonl)",
                    code="not-bulk-output",
                )
            if _unfinished_checking_run(p):
                raise ConfigError(
                    f"{p} has no {QUALITY_JSON} yet: the bulk run in it checks the records but did not finish "
                    "(the report is written at its end); run the same bulk command again with --resume to "
                    "finish it",
                    code="run-not-finished",
                )
            if _manifest_header(p).get("toXml"):
                raise ConfigError(
                    f"{p} holds a JSON → XML bulk run (to_xml), which writes no {QUALITY_JSON}: the data-quality "
                    "checks belong to XML → JSON runs; the report of the data is in the folder of the run that "
                    "converted it to JSON, if that run validated it",
                    code="no-quality-report",
                )
            raise ConfigError(
                f"{p} has no {QUALITY_JSON}: a data-quality report is written only by bulk runs that validate "
                "the records or check their round trip",
                code="no-quality-report",
            )
    elif p.exists():
        file = p
    else:
        raise InputError(f"cannot read {p}: no such folder", code="io")
    try:
        text = file.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}", code="io") from exc
    try:
        q = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"{file} is not JSON: {exc}", code="quality-format") from exc
    return check_quality(q, str(file))


# -- shared formatting -------------------------------------------------------------------------------

# Characters a page or a terminal would not show: C0/C1 controls (not tab, newline) and lone
# surrogates (which cannot even be encoded). They are shown as escapes (\x01, \ud800), not dropped.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(text: str) -> str:
    """*text* with its invisible characters written as escapes: ``\\x0d`` for a carriage return
    (a byte's two hex digits), ``\\ud800`` for a lone surrogate."""
    return _INVISIBLE.sub(_escape, text)


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def _number(n: int) -> str:
    """A count for people: thousands separated by commas (``12,345``)."""
    return f"{n:,}"


def _percent(part: int, whole: int) -> str:
    """*part* of *whole* for people: one decimal, ``0 %`` and ``100 %`` only when exact, else
    ``<0.1 %`` / ``>99.9 %`` near the ends; ``–`` when *whole* is 0."""
    if whole <= 0:
        return "–"
    if part <= 0:
        return "0 %"
    if part >= whole:
        return "100 %"
    p = 100 * part / whole
    if p < 0.1:
        return "<0.1 %"
    if p > 99.9:
        return ">99.9 %"
    return f"{p:.1f} %"


def _plural(unit: str) -> str:
    return unit + "s"


def _example_text(ex: Mapping[str, Any]) -> str:
    """``ApplicationNumberText 87123456 (bag.xml, index 17)``; without an id ``bag.xml, index 17``;
    in document mode (no index) the source alone."""
    where = str(ex["source"]) + ("" if ex.get("index") is None else f", index {ex['index']}")
    return f"{ex['id']} ({where})" if ex.get("id") is not None else where


# -- text --------------------------------------------------------------------------------------------


def _line(text: str) -> str:
    """*text* on one line: :func:`_visible`, white space collapsed (as a browser shows it)."""
    return " ".join(_visible(text).split())


def _left_clip(text: str, n: int) -> str:
    return text if len(text) <= n else "…" + text[len(text) - n + 1 :]


def _right_clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]], right: set[int], indent: str = "  ") -> list[str]:
    """Rows aligned in columns (the columns in *right* aligned right), two spaces apart."""
    body = [list(r) for r in rows]
    widths = [max(len(c[i]) for c in [list(header), *body]) for i in range(len(header))]
    out = []
    for r in [list(header), *body]:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))]
        out.append((indent + "  ".join(cells)).rstrip())
    return out


def _example_line(ex: Mapping[str, Any], n: int) -> str:
    """:func:`_example_text` in *n* columns: the id and the index kept whole where they fit, the
    source clipped at its start (its end names the file)."""
    full = _line(_example_text(ex))
    if len(full) <= n:
        return full
    rid = None if ex.get("id") is None else _line(str(ex["id"]))
    index = "" if ex.get("index") is None else f", index {ex['index']}"
    frame = (len(rid) + 3 if rid is not None else 0) + len(index)  # "id (" + source + index + ")"
    room = n - frame
    if room < 12:
        return _right_clip(full, n)
    source = _left_clip(_line(str(ex["source"])), room)
    return f"{rid} ({source}{index})" if rid is not None else f"{source}{index}"


#: The per-check cap on the issues listed for one unit (:data:`.checks.MAX_PER_CHECK`).
_CAP = 100
#: The limit of libxml2 the XSD check inherits, said wherever its counts are shown.
XSD_NOTE = (
    "the xsd check reports only the first content error inside an element (libxml2): "
    "once it is fixed, others in the same element may show"
)


def over_cap(q: Mapping[str, Any]) -> int:
    """Issues beyond the per-unit cap of each check, counted in no row (0 in earlier reports)."""
    return sum(int(r.get("issuesOverCap", 0)) for r in q["byCheck"])


def _over_cap_text(n: int, units: str) -> str:
    return (
        f"{_number(n)} more issue(s) beyond the first {_CAP} per {units[:-1]} and check are in no row: "
        "the issue counts are lower bounds"
    )


#: How the page and the summary name the units that --strict-valid rejected.
INVALID_LABEL = "rejected as invalid (--strict-valid)"


def _relaxed_text(q: Mapping[str, Any]) -> str:
    """What the clean count holds beyond units without any finding (``cleanWithRelaxations``)."""
    n = int(q.get("cleanWithRelaxations", 0))
    if not n:
        return ""
    return (
        f"note: {_number(n)} clean {_plural(str(q['unit'])) if n > 1 else str(q['unit'])} "
        f"{'have' if n > 1 else 'has'} only the converter's own round-trip relaxations ({', '.join(CLEAN_RELAXATIONS)})"
    )


def _cut_text(n: int) -> str:
    """The warning about documents cut short (``documentsCut``)."""
    docs = "1 document" if n == 1 else f"{_number(n)} documents"
    return f"{docs} could not be read to the end"


#: What a cut document means for the counts.
_CUT_MEANS = "the records after each break were not read nor checked: they are in no count here"


def render_text(q: Mapping[str, Any], *, top: int = 10, width: int = WIDTH) -> str:
    """A short plain-text summary of a quality report: totals with their shares, one line per
    check, the *top* categories and the *top* paths (records, share, issues, check, code,
    category, the path, one example message and one example record). No colours; lines fit
    *width* columns (long paths keep their end, messages are cut): the JSON and the HTML page
    have everything."""
    checked, rejected = int(q["checked"]), int(q["rejected"])
    invalid = rejected_invalid(q)
    read = units_read(q)
    units = _plural(str(q["unit"]))
    checks = [c + (f" ({q['jsonBackend']})" if c == "json" and q.get("jsonBackend") else "") for c in q["checks"]]
    inputs = ", ".join(_line(str(i)) for i in q["inputs"]) or "none"
    lines = [
        "Data quality of " + _left_clip(_line(str(q["outDir"])), width - 16),
        "  " + _right_clip(f"generated {_line(str(q['generated']))}; inputs: {inputs}", width - 2),
        "  " + _right_clip(f"unit: {_line(str(q['unit']))}; checks: {_line(', '.join(checks))}", width - 2),
        "",
    ]
    cut = int(q.get("documentsCut", 0))
    if cut:
        lines += [f"WARNING: {_cut_text(cut)} (see rejects.jsonl):", f"  {_CUT_MEANS}.", ""]
    totals = [
        ["checked", _number(checked), _percent(checked, read), "of read"],
        ["clean", _number(int(q["clean"])), _percent(int(q["clean"]), checked), "of checked"],
        ["with issues", _number(int(q["withIssues"])), _percent(int(q["withIssues"]), checked), "of checked"],
        ["rejected", _number(rejected), _percent(rejected, read), "of read (see rejects.jsonl)"],
    ]
    if invalid:
        totals += [
            [f"  {INVALID_LABEL}", _number(invalid), _percent(invalid, checked), "of checked (counted above)"],
            ["  not checked", _number(rejected - invalid), _percent(rejected - invalid, read), "of read"],
        ]
    lines += _table([f"{units} read", _number(read), "", ""], totals, right={1, 2}, indent="")
    if relaxed := _relaxed_text(q):
        lines.append(_right_clip(relaxed, width))
    lines.append("")
    over = over_cap(q)
    lines += _table(
        ["by check", "issues", units, "share", *(["beyond cap"] if over else [])],
        [
            [
                _line(r["check"]),
                _number(r["issues"]),
                _number(r["records"]),
                _percent(r["records"], checked),
                *([_number(int(r.get("issuesOverCap", 0)))] if over else []),
            ]
            for r in q["byCheck"]
        ],
        right={1, 2, 3, 4},
        indent="",
    )
    if over:
        first, then = _over_cap_text(over, units).split(": ", 1)
        lines += [_right_clip(f"note: {first}:", width), f"  {then}."]
    if "xsd" in q["checks"]:
        first, then = XSD_NOTE.split(": ", 1)
        lines += [f"note: {first}:", f"  {then}."]
    cats = list(q["byCategory"])
    if cats:
        lines.append("")
        shown = cats[:top]
        lines += _table(
            [f"categories (top {len(shown)} of {len(cats)})", "issues", units, "share"],
            [
                [_line(r["category"]), _number(r["issues"]), _number(r["records"]), _percent(r["records"], checked)]
                for r in shown
            ],
            right={1, 2, 3},
            indent="",
        )
    paths = list(q["byPath"])
    omitted = int(q["omittedPaths"])
    lines.append("")
    if not paths:
        lines.append("paths: no issue" + (f" listed ({_number(omitted)} not listed)" if omitted else ""))
    else:
        shown = paths[:top]
        head = f"paths (top {len(shown)} of {_number(len(paths))} listed"
        head += f"; {_number(omitted)} more not listed)" if omitted else ")"
        lines.append(head)
        rows = [
            [
                _number(r["records"]),
                _percent(r["records"], checked),
                _number(r["issues"]),
                _line(r["check"]),
                f"{_line(r['code'])} / {_line(r['category'])}",
            ]
            for r in shown
        ]
        table = _table([units, "share", "issues", "check", "code / category"], rows, right={0, 1, 2})
        lines.append(table[0])
        for r, line in zip(shown, table[1:], strict=True):
            lines.append(line)
            lines.append(f"      {_left_clip(_line(r['path']), width - 6)}")
            if r.get("message"):
                lines.append(f"      {_right_clip(_line(r['message']), width - 6)}")
            if r["examples"]:
                lines.append(f"      e.g. {_example_line(r['examples'][0], width - 11)}")
    return "\n".join(lines) + "\n"


# -- HTML --------------------------------------------------------------------------------------------


def _e(value: Any) -> str:
    """Text from the data, for an element's content or a quoted attribute value."""
    return html.escape(_visible(str(value)), quote=True)


_CSS = """
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bar: #0969da; --bg-bar: #eaeef2;
        --clean: #1a7f37; --issues: #bf8700; --rejected: #cf222e; --invalid: #8250df; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: var(--fg);
       margin: 0 auto; padding: 1rem; max-width: 75rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.15rem; margin: 1.75rem 0 .5rem; }
.muted { color: var(--muted); }
dl.info { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0 1rem; }
dl.info dt { color: var(--muted); } dl.info dd { margin: 0; overflow-wrap: anywhere; }
dl.info ul { margin: 0; padding: 0; list-style: none; }
.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(9rem, 1fr)); gap: .5rem; margin: 0; }
.total { border: 1px solid var(--line); border-left-width: 6px; border-radius: 6px; padding: .5rem .75rem; }
.total .n { display: block; font-size: 1.6rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.total.clean { border-left-color: var(--clean); } .total.withIssues { border-left-color: var(--issues); }
.total.rejected { border-left-color: var(--rejected); }
svg.stack { display: block; width: 100%; height: 14px; margin: .75rem 0 .25rem; }
.stack .clean { fill: var(--clean); } .stack .withIssues { fill: var(--issues); }
.stack .rejected { fill: var(--rejected); } .stack .none { fill: var(--bg-bar); }
.stack .rejectedInvalid { fill: var(--invalid); } .legend .rejectedInvalid::before { color: var(--invalid); }
.legend span::before { content: "■ "; } .legend .clean::before { color: var(--clean); }
.legend .withIssues::before { color: var(--issues); } .legend .rejected::before { color: var(--rejected); }
.legend span { margin-right: 1rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
th { font-weight: 600; border-bottom: 2px solid var(--line); }
td.num, th.num { text-align: right; white-space: nowrap; }
td.share { min-width: 9rem; white-space: nowrap; }
svg.bar { display: inline-block; vertical-align: middle; width: 5rem; height: .7rem; margin-left: .4rem; }
.bar .bg { fill: var(--bg-bar); } .bar .fg { fill: var(--bar); }
code, .path { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .85em;
              overflow-wrap: anywhere; }
table.paths td.where { min-width: 18rem; }
.message { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: .2rem; }
ul.examples { margin: 0; padding-left: 1rem; min-width: 13rem; } ul.examples li { overflow-wrap: anywhere; }
.note { border-left: 4px solid var(--issues); padding: .25rem .75rem; background: #fff8c5; }
.note.alert { border-left-color: var(--rejected); background: #ffebe9; }
@media (max-width: 40rem) {
  body { padding: .5rem; font-size: 14px; }
  table.paths thead { display: none; }
  table.paths, table.paths tbody, table.paths tr, table.paths td { display: block; width: 100%; }
  table.paths tr { border-bottom: 2px solid var(--line); padding: .4rem 0; }
  table.paths td { border: 0; padding: .1rem 0; text-align: left; min-width: 0; }
  table.paths td.share { text-align: left; }
  th, td { padding: .25rem .3rem; }
  svg.bar { width: 2.5rem; }
  td.share { min-width: 0; white-space: normal; }
  td.share svg.bar { display: block; margin: .2rem 0 0; }
  th, td { overflow-wrap: anywhere; } th.num { white-space: normal; }
  table.paths td::before { content: attr(data-label) ": "; color: var(--muted); }
  table.paths td.where, ul.examples { min-width: 0; }
}
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .scroll { overflow: visible; }
  th, td { padding: .2rem .3rem; }
  td.share, table.paths td.where, ul.examples { min-width: 0; }
  svg.bar { width: 3rem; }
  tr, .total { break-inside: avoid; }
  h2 { break-after: avoid; }
  .note { background: none; }
}
"""

#: No script, no external resource of any kind: a message that is read as markup could do nothing.
_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _bar(part: int, whole: int, label: str) -> str:
    width = 0.0 if whole <= 0 or part <= 0 else max(100 * part / whole, 0.5)
    return (
        f'<svg class="bar" viewBox="0 0 100 1" preserveAspectRatio="none" role="img" aria-label="{_e(label)}">'
        f'<rect class="bg" width="100" height="1"/><rect class="fg" width="{width:.2f}" height="1"/></svg>'
    )


def _num_cell(field: str, value: int, label: str) -> str:
    return f'<td class="num" data-field="{field}" data-value="{value}" data-label="{_e(label)}">{_number(value)}</td>'


def _share_cell(row: Mapping[str, Any], checked: int) -> str:
    shown = _percent(int(row["records"]), checked).replace(" ", "\u00a0")
    return (
        f'<td class="share" data-field="share" data-value="{row["share"]!r}" data-label="share">'
        f'<span class="pct">{shown}</span>{_bar(int(row["records"]), checked, shown)}</td>'
    )


def _text_cell(field: str, value: Any, label: str, cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return f'<td{c} data-field="{field}" data-label="{_e(label)}">{_e(value)}</td>'


def _examples_cell(examples: Sequence[Mapping[str, Any]]) -> str:
    items = []
    for ex in examples:
        attrs = f' data-source="{_e(ex["source"])}"'
        if ex.get("id") is not None:
            attrs += f' data-id="{_e(ex["id"])}"'
        if ex.get("index") is not None:
            attrs += f' data-index="{int(ex["index"])}"'
        items.append(f"<li data-example{attrs}>{_e(_example_text(ex))}</li>")
    body = f'<ul class="examples">{"".join(items)}</ul>' if items else "–"
    return f'<td data-field="examples" data-label="examples">{body}</td>'


def _table_html(
    name: str, caption: str, columns: Sequence[tuple[str, str]], rows: Sequence[str], *, cls: str = ""
) -> str:
    head = "".join(
        f'<th{" class=num" if kind == "num" else ""} scope="col">{_e(label)}</th>' for label, kind in columns
    )
    body = "".join(rows) or f'<tr><td colspan="{len(columns)}" class="muted">none</td></tr>'
    c = f' class="{cls}"' if cls else ""
    return (
        f'<p class="muted">{caption}</p><div class="scroll"><table{c} data-table="{name}">'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


def render_html(q: Mapping[str, Any]) -> str:
    """The quality report as one self-contained HTML page (see the module docstring).

    Hooks for tests and scripts: each total is ``<span data-total="checked" data-value="5012">``
    (also ``clean``, ``withIssues``, ``rejected``, ``read``, ``omittedPaths``, and when not 0
    ``rejectedInvalid``, ``documentsCut`` and ``cleanWithRelaxations``), its percentage
    ``data-percent="checked"``; each table is ``data-table="byCheck|byCategory|byCode|byPath"``,
    each of its rows ``data-row="N"`` (the row's index in the JSON), each cell
    ``data-field="<JSON key>"`` with the raw number in ``data-value``; examples are
    ``<li data-example data-source data-id data-index>``; run facts are ``data-info="<key>"``."""
    checked, rejected = int(q["checked"]), int(q["rejected"])
    clean, with_issues = int(q["clean"]), int(q["withIssues"])
    invalid = rejected_invalid(q)
    read = units_read(q)
    cut = int(q.get("documentsCut", 0))
    unit = str(q["unit"])
    units = _plural(unit)
    out: list[str] = [
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Data quality — {_e(q['outDir'])}</title><style>{_CSS}</style></head><body>",
        "<header><h1>Data-quality report</h1>",
        f'<p class="muted">Output folder <code data-info="outDir">{_e(q["outDir"])}</code></p>',
        '<dl class="info">',
        f'<dt>generated</dt><dd data-info="generated">{_e(q["generated"])}</dd>',
        "<dt>inputs</dt><dd><ul>",
        *(f"<li data-input><code>{_e(i)}</code></li>" for i in q["inputs"]),
        "</ul></dd>",
        f'<dt>unit</dt><dd data-info="unit">{_e(unit)}</dd>',
        f'<dt>checks</dt><dd data-info="checks">{_e(", ".join(map(str, q["checks"])))}</dd>',
        f'<dt>JSON Schema backend</dt><dd data-info="jsonBackend">'
        f"{_e(q['jsonBackend']) if q.get('jsonBackend') is not None else 'not checked'}</dd>",
        "</dl></header>",
        "<main><section><h2>Totals</h2>",
        f'<p>{_e(units.capitalize())} read: <span data-total="read" data-value="{read}">{_number(read)}</span>.</p>',
    ]
    if cut:
        out.append(
            f'<p class="note alert"><strong><span data-total="documentsCut" data-value="{cut}">{_number(cut)}</span>'
            f"{_e(_cut_text(cut).removeprefix(_number(cut)))}</strong> (see rejects.jsonl for where each stopped): "
            f"{_e(_CUT_MEANS)}.</p>"
        )
    out.append('<div class="totals">')
    rejected_what = "in rejects.jsonl, not checked"
    if invalid:
        rejected_what = (
            f'in rejects.jsonl: <span data-total="rejectedInvalid" data-value="{invalid}">{_number(invalid)}</span> '
            f"{_e(INVALID_LABEL)} (checked, counted in every table), {_number(rejected - invalid)} not checked"
        )
    clean_what = "no issue from any check"
    relaxed = int(q.get("cleanWithRelaxations", 0))
    if relaxed:
        clean_what += (
            f'; <span data-total="cleanWithRelaxations" data-value="{relaxed}">{_number(relaxed)}</span> of them '
            f"with only the converter's own round-trip relaxations ({_e(', '.join(CLEAN_RELAXATIONS))}), "
            "listed in the tables"
        )
    totals = [
        ("checked", checked, read, "of read", "converted and checked"),
        ("clean", clean, checked, "of checked", clean_what),
        ("withIssues", with_issues, checked, "of checked", "at least one issue"),
        ("rejected", rejected, read, "of read", rejected_what),
    ]
    names = {"checked": "checked", "clean": "clean", "withIssues": "with issues", "rejected": "rejected"}
    for key, value, whole, of, what in totals:
        pct = _percent(value, whole).replace(" ", "\u00a0")
        out.append(
            f'<div class="total {key}"><span class="label">{names[key]}</span>'
            f'<span class="n" data-total="{key}" data-value="{value}">{_number(value)}</span>'
            f'<span class="muted"><span data-percent="{key}">{pct}</span> {of}; '
            f"{what if key in ('rejected', 'clean') else _e(what)}</span></div>"
        )
    out.append("</div>")
    if read:
        x = 0.0
        rects = []
        parts = (
            ("clean", clean),
            ("withIssues", with_issues - invalid),
            ("rejectedInvalid", invalid),
            ("rejected", rejected - invalid),
        )
        for key, value in parts:
            w = 100 * value / read
            if w:
                rects.append(f'<rect class="{key}" x="{x:.3f}" width="{w:.3f}" height="1"/>')
            x += w
        out.append(
            '<svg class="stack" viewBox="0 0 100 1" preserveAspectRatio="none" role="img" '
            f'aria-label="clean, with issues, rejected of {_number(read)} {_e(units)} read">'
            f'<rect class="none" width="100" height="1"/>{"".join(rects)}</svg>'
            '<p class="legend muted"><span class="clean">clean</span><span class="withIssues">with issues</span>'
            + (f'<span class="rejectedInvalid">{_e(INVALID_LABEL)}</span>' if invalid else "")
            + f'<span class="rejected">rejected{", not checked" if invalid else ""}</span></p>'
        )
    else:
        out.append(f'<p class="muted">No {_e(unit)} was read.</p>')
    out.append("</section>")

    counts = [("issues", "num"), (units, "num"), ("share", "share")]
    sections = [
        ("byCheck", "By check", "One row per check that ran.", [("check", "text")]),
        ("byCategory", "By category", "What kind of problem.", [("category", "text")]),
        ("byCode", "By code", "The checkers' issue codes.", [("check", "text"), ("code", "text")]),
    ]
    over = over_cap(q)
    for name, title, caption, keys in sections:
        rows = []
        extra = name == "byCheck" and over > 0  # a column for the issues beyond the cap
        for i, r in enumerate(q[name]):
            cells = "".join(_text_cell(k, r[k], k) for k, _ in keys)
            cells += _num_cell("issues", int(r["issues"]), "issues") + _num_cell("records", int(r["records"]), units)
            cells += _share_cell(r, checked)
            if extra:
                cells += _num_cell("issuesOverCap", int(r.get("issuesOverCap", 0)), "beyond the cap")
            rows.append(f'<tr data-row="{i}">{cells}</tr>')
        out.append(f"<section><h2>{title}</h2>")
        columns = [*keys, *counts, *([("beyond the cap", "num")] if extra else [])]
        out.append(
            _table_html(name, _e(caption + f" Share: {units} with such an issue, of those checked."), columns, rows)
        )
        if name == "byCheck":
            if over:
                out.append(
                    f'<p class="note"><span data-total="issuesOverCap" data-value="{over}">{_number(over)}</span>'
                    f"{_e(_over_cap_text(over, units).removeprefix(_number(over)))}.</p>"
                )
            if "xsd" in q["checks"]:
                out.append(f'<p class="muted" data-note="xsd">Note: {_e(XSD_NOTE)}.</p>')
        out.append("</section>")

    omitted = int(q["omittedPaths"])
    rows = []
    for i, r in enumerate(q["byPath"]):
        what = (
            f'<td data-label="check / code / category"><span data-field="check">{_e(r["check"])}</span> · '
            f'<span data-field="code">{_e(r["code"])}</span><br>'
            f'<span class="muted" data-field="category">{_e(r["category"])}</span></td>'
        )
        where = f'<td class="where" data-label="path"><div class="path" data-field="path">{_e(r["path"])}</div>'
        if r.get("message"):
            where += f'<div class="message" data-field="message">{_e(r["message"])}</div>'
        cells = (
            _num_cell("records", int(r["records"]), units)
            + _share_cell(r, checked)
            + _num_cell("issues", int(r["issues"]), "issues")
            + what
            + where
            + "</td>"
            + _examples_cell(r["examples"])
        )
        rows.append(f'<tr data-row="{i}">{cells}</tr>')
    out.append("<section><h2>By path</h2>")
    if omitted:
        out.append(
            f'<p class="note"><span data-total="omittedPaths" data-value="{omitted}">{_number(omitted)}</span> '
            f"more (check, code, path) rows are not listed: the report lists the {_number(len(q['byPath']))} "
            f"that affect the most {_e(units)}.</p>"
        )
    cols = [
        (units, "num"),
        ("share", "share"),
        ("issues", "num"),
        ("check · code, category", "text"),
        ("path, and an example message", "text"),
        ("examples", "text"),
    ]
    caption = (
        f"Where: the schema path (XML path, or JSON pointer for the json check) with positions removed. "
        f"Examples: the first {units} met in input order."
    )
    out.append(_table_html("byPath", _e(caption), cols, rows, cls="paths"))
    out.append("</section></main>")
    out.append(f'<footer><p class="muted">{_e(QUALITY_FORMAT)} · xml2json</p></footer></body></html>\n')
    return "\n".join(out)


def write_html(out_dir: str | Path, q: Mapping[str, Any], *, durable: bool = False) -> Path:
    """Write :func:`render_html` of *q* to ``OUTDIR/quality.html`` atomically (fsynced first with
    *durable*); returns its path. Failures are :class:`~xml2json.errors.OutputError`
    (``output-write``, …)."""
    path = Path(out_dir) / QUALITY_HTML
    atomic_write(path, render_html(q).encode("utf-8"), durable=durable)
    return path

"""quality OUTDIR: the data-quality report of a bulk run, printed again, as JSON or as HTML.

The report is ``OUTDIR/quality.json``, written by ``bulk --validate`` / ``--check-roundtrip``
(docs/bulk.md, "The data-quality report"); this command only reads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..bulk.report import QUALITY_HTML, load_quality, render_html, render_text, write_html
from ..errors import ConfigError
from ._common import EXIT_OK, check_output_file, write_output

#: ``--html`` without a FILE: ``OUTDIR/quality.html``.
_BESIDE = ""


def _count(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = -1
    if n < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ≥ 0")
    return n


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "quality",
        help="print the data-quality report of a bulk run again (text, JSON or HTML)",
        description="Print the data-quality report that `xml2json bulk --validate ...` or "
        "`--check-roundtrip` wrote to OUTDIR/quality.json: totals, issues per check, the top "
        "categories and the top schema paths with example records. --json prints the report "
        "itself; --html writes it as one self-contained HTML page. See docs/bulk.md.",
    )
    p.add_argument("out_dir", metavar="OUTDIR", help="the output folder of a bulk run (or its quality.json)")
    p.add_argument("--json", action="store_true", help="print the report as JSON instead of the text summary")
    p.add_argument(
        "--html",
        nargs="?",
        const=_BESIDE,
        metavar="FILE",
        help=f"also write the report as HTML: to OUTDIR/{QUALITY_HTML}, or to FILE (atomically; its folder must "
        "exist; - for standard output, then nothing else is printed there)",
    )
    p.add_argument(
        "--top", type=_count, default=10, metavar="N", help="how many categories and paths the summary lists (10)"
    )
    p.set_defaults(func=cmd_quality)


def cmd_quality(args: argparse.Namespace) -> int:
    html_to: str | None = args.html
    if html_to == "-" and args.json:  # both would go to standard output: one of them would be lost
        raise ConfigError(
            "--json and --html - both print to standard output: give --html a FILE (or no FILE, for "
            f"OUTDIR/{QUALITY_HTML}), or leave out one of them",
            code="usage",
        )
    if html_to:  # a FILE: refused before anything is read when it cannot be written
        check_output_file(html_to, [args.out_dir, str(Path(args.out_dir) / "quality.json")])
    q = load_quality(args.out_dir)
    if html_to == "-":
        write_output(render_html(q).encode("utf-8"), None)
        return EXIT_OK
    if args.json:
        # the report as read, indented; a lone surrogate (from a "\ud800" escape) stays that escape
        text = json.dumps(q, indent=2, ensure_ascii=False)
        write_output(text.encode("utf-8", errors="backslashreplace"), None)
    else:
        write_output(render_text(q, top=args.top).encode("utf-8"), None)
    if html_to is not None:
        if html_to == _BESIDE:
            folder = Path(args.out_dir)
            written = write_html(folder if folder.is_dir() else folder.parent, q)
        else:
            write_output(render_html(q).encode("utf-8"), html_to)
            written = Path(html_to)
        print(f"HTML report: {written}", file=sys.stderr)
    return EXIT_OK

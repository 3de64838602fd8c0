"""bulk: many inputs → an output folder, on all cores (or a Dask cluster), resumable."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gzip
import json
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, Issue, OutputError, Xml2JsonError
from ._common import (
    EXIT_DATA,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_OUTPUT,
    EXIT_SCHEMA,
    EXIT_USAGE,
    add_version_options,
    options_from,
    print_issues,
)
from ._limits import BAG_CODES, LIMIT_CODES, add_limit_options, bag_hint, is_bag_document, limit_hint

DESCRIPTION = """\
Convert many ST.96 XML inputs into OUTDIR: files, folders (recursive), glob patterns, .zip files
(their XML members), .gz files and - (standard input), mixed freely. Without --records each input
document becomes one JSON file, mirroring the input tree; with --records each record of a bag-style
document (for example each tmk:Trademark of a tmk:TrademarkTransaction) becomes one line of a JSON
Lines partition. Failures never stop the run: they go to OUTDIR/rejects.jsonl. OUTDIR/manifest.jsonl
lists what is complete (--resume skips it) and OUTDIR/summary.json sums up the run.

exit codes: 0 everything converted; 1 some records or inputs were rejected (see rejects.jsonl);
2 unusable command line (also: a Dask scheduler that cannot be reached); 3 no compiled schema for
the requested or a document's ST.96 version; 4 OUTDIR cannot be written (the run is rolled back);
130, 143, 129 interrupted by SIGINT, SIGTERM, SIGHUP (run again with --resume)."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "bulk",
        help="convert many files, folders, zips into a folder (records as JSON Lines)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("inputs", nargs="+", metavar="IN", help="file, folder, glob pattern, .zip, .gz, or -")
    p.add_argument("-o", "--output", required=True, metavar="OUTDIR", help="output folder (created if needed)")
    p.add_argument("-j", "--jobs", type=int, metavar="N", help="worker processes (default: one per core)")
    p.add_argument(
        "--records",
        action="store_true",
        help="one JSON Lines record per record element instead of one JSON file per document",
    )
    p.add_argument("--resume", action="store_true", help="skip inputs a previous run into OUTDIR completed")
    p.add_argument(
        "--overwrite", action="store_true", help="OUTDIR holds an earlier run: delete its outputs and start over"
    )
    p.add_argument(
        "--to-xml",
        action="store_true",
        help="the way back: ST.97 JSON files (.json) and JSON Lines partitions of --records (.jsonl), "
        "folders and zips of them → ST.96 XML (docs/bulk.md, JSON → XML in bulk)",
    )
    p.add_argument("--strict", action="store_true", help="content the schema does not know rejects the record")
    p.add_argument("--pretty", action="store_true", help="indent the JSON files (not with --records)")
    p.add_argument(
        "--engine",
        choices=("local", "dask"),
        default="local",
        help="local: this machine's cores (default); dask: a Dask cluster (--scheduler)",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786")
    p.add_argument(
        "--progress",
        choices=("auto", "bar", "log", "none"),
        default="auto",
        help="auto: a bar on a terminal, a line every 30 s otherwise",
    )
    p.add_argument(
        "--fsync",
        action="store_true",
        help="fsync every output before renaming it into place "
        "(survives power cuts without re-checking; slow with many small files)",
    )
    p.add_argument(
        "--validate",
        choices=("json", "xsd", "both"),
        help="check every record (every document, without --records) against the ST.97 JSON Schema, "
        "the ST.96 XSD or both; issues go into the record's line and OUTDIR/quality.json",
    )
    p.add_argument(
        "--strict-valid",
        action="store_true",
        help="with --validate: a record with validation issues goes to rejects.jsonl instead",
    )
    p.add_argument(
        "--check-roundtrip",
        action="store_true",
        help="write every record back to XML and compare it with the original (OUTDIR/quality.json)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress and no summary")
    add_version_options(p)
    add_limit_options(p, "xml", "zip")
    p.set_defaults(func=cmd_bulk)


#: The exit code for each outcome of a run (``BulkSummary.outcome``).
EXIT_CODES = {"ok": EXIT_OK, "rejects": EXIT_DATA, "schema-missing": EXIT_SCHEMA}

#: What to do about a library error, in terms of this command's flags (by the error's code).
HINTS = {
    "bulk-earlier-run": "use --resume to complete it or --overwrite to start over",
    "bulk-settings-differ": "resume with the same options, or use --overwrite or another output folder",
    "bulk-pretty-records": "--pretty does not apply to --records",
    "bulk-resume-overwrite": "give --resume or --overwrite, not both",
    "bulk-jobs": "give --jobs 1 or more",
    "bulk-strict-valid": "--strict-valid needs --validate json, xsd or both",
    "bulk-to-xml-records": "--to-xml reads the partitions of --records as they are: drop --records",
    "bulk-to-xml-pretty": "--pretty does not apply to --to-xml",
    "bulk-to-xml-stdin": "save standard input to a file and name it",
    "bulk-input-is-output": "give -o a new folder, for example OUTDIR-xml",
    "bulk-to-xml-strict": "drop --strict from the --to-xml run (it applies to reading XML)",
    "bulk-to-xml-checks": "drop --validate/--strict-valid/--check-roundtrip from the --to-xml run",
    "dask-scheduler": "--engine dask needs --scheduler ADDRESS",
    "dask-connect": "check the --scheduler address and that the scheduler is running",
    "output-not-folder": "give -o a folder (it is created if needed)",
    "output-write": "nothing of this run is left in OUTDIR; make room or choose another -o OUTDIR, "
    "then run the same command again",
}


def with_hint(issue: Issue) -> Issue:
    """*issue* with the command-line hint for its code appended to its message."""
    hint = HINTS.get(issue.code)
    if hint is None:
        return issue
    return dataclasses.replace(issue, message=f"{issue.message}; {hint}")


def _limit_hints(args: argparse.Namespace, summary: Any) -> list[str]:
    """For rejects that broke a limit: the flag that raises it and, for a bag document converted
    whole (no --records), the suggestion to convert it record by record."""
    from ..api import Converter

    options = options_from(args)
    hints = []
    for code in sorted(set(summary.reject_codes) & LIMIT_CODES):
        raise_it = limit_hint(Issue(code, ""), options.limits, vars(args))
        if raise_it:
            hints.append(f"{summary.reject_codes[code]:,} rejected for [{code}]: {raise_it}")
    if args.records or not set(summary.reject_codes) & BAG_CODES:
        return hints
    conv = Converter(options=options)
    for line in _rejects(Path(summary.out_dir)):
        source = line.get("source")
        if line.get("code") in BAG_CODES and isinstance(source, str) and _is_bag_file(source, conv):
            hints.append(f"{source} is a bag document: {bag_hint(source).removeprefix('or ')}")
            break
    return hints


def _rejects(out_dir: Path) -> Iterator[dict[str, Any]]:
    with contextlib.suppress(OSError, ValueError), open(out_dir / "rejects.jsonl", encoding="utf-8") as fh:
        for text in fh:
            line = json.loads(text)
            if isinstance(line, dict):
                yield line


def _is_bag_file(source: str, conv: Any) -> bool:
    """Whether *source*, a file on disk (plain or gzip), is a bag document; zip members and
    standard input are not looked at."""
    from ..safe import GZIP_MAGIC

    path = Path(source)
    if not path.is_file():
        return False
    with contextlib.suppress(OSError, EOFError, zlib.error):
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
        if head.startswith(GZIP_MAGIC):
            with gzip.open(path, "rb") as gz:
                head = gz.read(1 << 16)
        return is_bag_document(head, conv.select, conv.options.limits)
    return False


def _fmt_counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def quality_line(q: dict[str, Any], unit: str) -> str:
    """The one line about the data-quality report at the end of a run; the text summary of the
    report follows it (:func:`xml2json.bulk.report.render_text`)."""
    from ..bulk.report import QUALITY_HTML

    checks = ", ".join(c for c in q["checks"] if c != "convert") or "convert"
    html = Path(q["report"]).with_name(QUALITY_HTML)
    return (
        f"quality: {q['checked']:,} {unit}(s) checked ({checks}): {q['withIssues']:,} with issues — "
        f"{q['report']}, {html} (again: xml2json quality {Path(q['report']).parent})"
    )


def _quality_summary(q: dict[str, Any]) -> str:
    """The report's text summary (top 5 rows), read back from the quality.json the run wrote."""
    from ..bulk.report import load_quality, render_text

    try:
        full = load_quality(Path(q["report"]).parent)
    except Xml2JsonError as exc:  # the run wrote it a moment ago; say so rather than fail the run
        return f"  (the report could not be read back: {exc})"
    return render_text(full, top=5)


def cmd_bulk(args: argparse.Namespace) -> int:
    from ..bulk import BulkConfig, run, runtime
    from ..bulk.signals import Interrupted, stop_on_signals

    try:
        config = BulkConfig(
            tuple(args.inputs),
            args.output,
            jobs=args.jobs,
            records=args.records,
            resume=args.resume,
            overwrite=args.overwrite,
            options=options_from(args),
            pretty=args.pretty,
            engine=args.engine,
            scheduler=args.scheduler,
            progress="none" if args.quiet else args.progress,
            durable=args.fsync,
            validate=args.validate,
            strict_valid=args.strict_valid,
            check_roundtrip=args.check_roundtrip,
            to_xml=args.to_xml,
        )
        # SIGTERM, SIGHUP: stop the workers too, as on Ctrl-C; the loaded plan is kept out of the
        # garbage collector's full collections while the run lasts (runtime.frozen_plans)
        with stop_on_signals(), runtime.frozen_plans():
            summary = run(config)
    except ConfigError as exc:
        print_issues([with_hint(i) for i in exc.issues], kind="error")
        return EXIT_USAGE
    except OutputError as exc:
        print_issues([with_hint(i) for i in exc.issues], kind="error")
        return EXIT_OUTPUT
    except KeyboardInterrupt as exc:
        name = f" by {exc}" if isinstance(exc, Interrupted) else ""
        with contextlib.suppress(OSError):  # after SIGHUP the terminal may be gone
            print(
                f"interrupted{name}: completed inputs are listed in {args.output}/manifest.jsonl; "
                "run the same command with --resume to finish",
                file=sys.stderr,
            )
        return 128 + exc.signum if isinstance(exc, Interrupted) else EXIT_INTERRUPTED
    except Xml2JsonError:
        raise  # SchemaNotAvailableError and the like: run_command maps them to exit codes
    if not args.quiet:
        s = summary
        done = f"{s.documents:,} document(s) in {s.tasks:,} task(s)"
        if s.resumed:
            done += f", {s.resumed:,} task(s) already complete"
        if s.skipped:
            done += (
                f", {s.skipped:,} file(s) skipped (not inputs)"
                if s.mode == "to-xml"
                else f", {s.skipped:,} non-XML file(s) skipped"
            )
            if s.skipped_names:
                done += ": " + ", ".join(s.skipped_names) + (", …" if s.skipped > len(s.skipped_names) else "")
        print(f"bulk → {s.out_dir}: {done}")
        if s.mode in ("records", "to-xml"):
            print(f"  records: {s.records:,}")
        print(
            f"  rejects: {s.rejects:,}" + (f" ({_fmt_counts(s.reject_codes)}) — see rejects.jsonl" if s.rejects else "")
        )
        print(f"  warnings: {_fmt_counts(s.warnings) if s.warnings else 'none'}")
        for n in s.notices:
            print(f"  notice: {n['source']}: {n['notice']}")
        print(
            f"  this run: {s.run_documents:,} document(s), {s.run_records:,} record(s) in {s.seconds:.1f} s — "
            f"{s.mb_per_second:.1f} MB/s, {s.records_per_second:,.0f} records/s"
        )
        for hint in _limit_hints(args, s):
            print(f"  hint: {hint}")
        if s.quality is not None:
            print(quality_line(s.quality, "record" if s.mode == "records" else "document"))
            print(_quality_summary(s.quality))
    return EXIT_CODES[summary.outcome]

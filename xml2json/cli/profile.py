"""profile simplify / expand / report / table: the simplified trademark profile."""

from __future__ import annotations

import argparse
import ast
import re
import sys
from typing import TYPE_CHECKING, Any

from ..api import Converter
from ..errors import InputError, Issue
from ..io import dumps_json, loads_json
from ..safe import parse_document
from ._common import (
    EXIT_DATA,
    EXIT_OK,
    EXIT_USAGE,
    add_version_options,
    check_not_empty,
    exit_code_for_issue,
    input_kind,
    looks_like_xml,
    options_from,
    print_issues,
    read_input,
    write_output,
)

if TYPE_CHECKING:
    from ..profiles.report import CoverageReport

PROFILE_NAME = "trademark-application-simple/1.0"


def register(sub: argparse._SubParsersAction) -> None:
    top = sub.add_parser(
        "profile",
        help=f"the simplified trademark profile ({PROFILE_NAME})",
        description=f"Simplify trademark records to {PROFILE_NAME}, expand them back to ST.96 XML, "
        "and measure how much of a corpus the profile carries. See docs/profile.md.",
    )
    top.set_defaults(func=lambda args: _help(top))
    ps = top.add_subparsers(dest="profile_command", metavar="SUBCOMMAND")

    p = ps.add_parser(
        "simplify",
        help="ST.96 XML or full ST.97 JSON → simplified JSON",
        description="Simplify every tmk:Trademark record of one document (ST.96 XML, or full "
        "ST.97 JSON). One record gives one JSON object; several give an array. Values the "
        "profile does not carry are kept in each record's 'unmapped' member.",
    )
    p.add_argument("input", help="XML or JSON file (may be gzip-compressed), or - for stdin")
    p.add_argument(
        "-o", "--output", metavar="OUT", help="write here (atomically; the folder must exist) instead of stdout"
    )
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.add_argument("--array", action="store_true", help="always write an array, even for one record")
    p.add_argument("-v", "--verbose", action="store_true", help="list every ST.96 path that is not carried")
    p.add_argument("-q", "--quiet", action="store_true", help="print no warnings")
    add_version_options(p)
    p.set_defaults(func=cmd_simplify, output_files=("output",))

    p = ps.add_parser(
        "expand",
        help="simplified JSON → ST.96 XML (a TrademarkApplication)",
        description="Expand one simplified document into an ST.96 V6_0 TrademarkApplication "
        "(or, with --json, its full ST.97 JSON). The document is checked against the profile "
        "schema first; 'unmapped' values are put back unless --drop-unmapped.",
    )
    p.add_argument("input", help="simplified JSON file (may be gzip-compressed), or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="write here (atomically; the folder must exist)")
    p.add_argument("--json", action="store_true", help="write the full ST.97 JSON instead of XML")
    p.add_argument("--pretty", action="store_true", help="indent the JSON (with --json)")
    p.add_argument(
        "--drop-unmapped",
        action="store_true",
        help="leave out the 'unmapped' values: the output holds exactly what the profile carries",
    )
    p.add_argument(
        "--validate",
        action="store_true",
        help="validate the XML against the ST.96 XSD (needs the XSDs, see `xml2json validate`)",
    )
    p.set_defaults(func=cmd_expand, output_files=("output",))

    p = ps.add_parser(
        "report",
        help="coverage of the profile over a corpus",
        description="Simplify every document of the inputs (files, folders searched for "
        "*.xml and *.zip, zip archives, - for one document on standard input) and print, per "
        "ST.96 path, how many values occurred and how many the profile carries, per-file and "
        "overall coverage, and the largest gaps. Every input is read; the exit code is 0 when "
        "none failed, else the highest of the failures' codes (1 for a document that cannot be "
        "read as ST.96, 2 for an input that cannot be opened; docs/cli.md).",
    )
    p.add_argument("inputs", nargs="+", metavar="IN")
    p.add_argument("--json", action="store_true", help="machine-readable JSON instead of text")
    p.add_argument("--top", type=int, default=15, metavar="N", help="how many gaps to list (default 15)")
    p.add_argument("-o", "--output", metavar="OUT", help="write here (atomically; the folder must exist)")
    add_version_options(p)
    p.set_defaults(func=cmd_report, output_files=("output",))

    p = ps.add_parser(
        "table",
        help="print the mapping table (Markdown)",
        description="Print the profile's mapping table as Markdown, as published in docs/profile.md.",
    )
    p.set_defaults(func=cmd_table)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def cmd_simplify(args: argparse.Namespace) -> int:
    from ..profiles.trademark import simplify_data, simplify_element

    conv = Converter(options=options_from(args))
    data = read_input(args.input, conv.options.limits)
    check_not_empty(args.input, data)
    if input_kind(args.input, data)[0] == "JSON" and not looks_like_xml(data):
        result = simplify_data(loads_json(data, conv.options.limits), registry=conv.registry)
    else:
        result = simplify_element(parse_document(data, conv.options.limits), converter=conv)
    if not args.quiet:
        print_issues(result.warnings, kind="warning")
    if not result.records:
        print(f"error: [profile-no-record] the {result.document} holds no tmk:Trademark record", file=sys.stderr)
        return EXIT_DATA
    if not args.quiet:
        loss = result.loss()
        if args.verbose:
            print_issues(result.loss_issues(), kind="note")
        elif loss:
            kept = [x for x in loss if not x.outside]
            msg = (
                f"note: {sum(x.count for x in kept)} value(s) in {len(kept)} ST.96 path(s) are not carried "
                "by the profile and are kept in 'unmapped'"
            )
            outside = sum(x.count for x in loss if x.outside)
            if outside:
                msg += f"; {outside} value(s) lie outside every trademark record and are not kept"
            print(msg + " (-v lists them; `xml2json profile report` counts them)", file=sys.stderr)
    docs: Any = result.documents
    if len(docs) == 1 and not args.array:
        docs = docs[0]
    write_output(dumps_json(docs, pretty=args.pretty), args.output)
    return EXIT_OK


def cmd_expand(args: argparse.Namespace) -> int:
    from ..profiles.trademark import DOCUMENT, expand, validate
    from ..validate import default_validators

    conv = Converter()
    raw = read_input(args.input, conv.options.limits)
    check_not_empty(args.input, raw)
    if looks_like_xml(raw):
        name = "standard input" if args.input == "-" else args.input
        raise InputError(f"{name} holds XML, not a simplified JSON document", code="input-xml")
    doc = loads_json(raw, conv.options.limits)
    if isinstance(doc, list):
        print(
            f"error: [profile-array] expand takes one simplified document, not an array of {len(doc)}", file=sys.stderr
        )
        return EXIT_DATA
    issues = [in_words(i) for i in validate(doc)]
    if issues:
        print_issues(issues, kind="error", label=args.input)
        return EXIT_DATA
    full = expand(doc, include_unmapped=not args.drop_unmapped, check=False, registry=conv.registry)
    xml = conv.json_to_xml(full, document=DOCUMENT) if args.validate or not args.json else None
    if args.validate and xml is not None:
        problems = default_validators().check_xml(parse_document(xml.xml, conv.options.limits), xml.version, DOCUMENT)
        if problems:
            print_issues(problems, kind="error", label=args.input)
            if isinstance(doc, dict) and doc.get("unmapped") and not args.drop_unmapped:
                print(
                    "hint: 'unmapped' holds the source's values as they were; --drop-unmapped expands "
                    "only what the profile carries",
                    file=sys.stderr,
                )
            return EXIT_DATA
        print(f"{args.input}: the expanded XML is valid against the ST.96 {xml.version} XSD", file=sys.stderr)
    if args.json:
        write_output(dumps_json(full, pretty=args.pretty), args.output)
    elif xml is not None:
        write_output(xml.xml, args.output)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from ..profiles.report import build_report

    report = build_report(args.inputs, converter=Converter(options=options_from(args)))
    for f in report.files:  # failures on standard error too, as every command reports errors
        if f.error is not None:
            print_issues([f.error], kind="error", label=f.source)
    if args.json:
        write_output(dumps_json(report.to_dict(top=args.top), pretty=True), args.output)
    else:
        write_output(format_report(report, top=args.top).encode(), args.output)
    return max((exit_code_for_issue(f.error) for f in report.files if f.error is not None), default=EXIT_OK)


def cmd_table(args: argparse.Namespace) -> int:
    from ..profiles.docgen import mapping_table

    write_output(mapping_table().encode(), None)
    return EXIT_OK


# -- messages in words -------------------------------------------------------------------------

#: The profile schema's patterns, said in words (the schema's regexes end in ``$(?!\n)``).
PATTERN_WORDS = {
    "^[A-Z]{2}$": "two capital letters (a WIPO ST.3 or ISO 3166 code, such as US)",
    "^[a-z]{2}$": "two lower-case letters (an ISO 639-1 language code, such as en)",
    "^[0-9A-Za-z]+(\\.[0-9A-Za-z]+){0,2}$": "a Vienna code: category[.division[.section]], such as 26.01.03",
    "^(/([^~/]|~[01])*)+$": "a JSON Pointer, such as /markRepresentation/markDescriptionBag",
}
DATE_WORDS = "a date: 2021-03-04, 2021-03 or 2021, optionally with a time zone (2021-03-04-05:00, 2021-03-04Z)"
_NO_MATCH = re.compile(r"^(.*) does not match ('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")$", re.S)
_NATIONALITY_WORDS = "Stateless or Unidentified"
_DEPENDENCY = re.compile(r"^'(.+)' is a dependency of '(.+)'$", re.S)
_NOT_ANY = re.compile(r"^(.*) is not valid under any of the given schemas$", re.S)


def _pattern_words(pattern: str) -> str:
    bare = pattern.removesuffix("(?!\\n)")
    return PATTERN_WORDS.get(bare) or f"text matching the pattern {bare}"


def in_words(issue: Issue) -> Issue:
    """A profile-schema issue with what is expected said in words instead of a raw regex."""
    msg, ptr = issue.message, issue.json_pointer or ""
    last = ptr.rsplit("/", 1)[-1]
    m = _NO_MATCH.match(msg)
    if m:
        try:
            pattern = ast.literal_eval(m.group(2))
        except (ValueError, SyntaxError):
            return issue
        msg = f"{m.group(1)} is not {_pattern_words(pattern)}"
    elif (m := _NOT_ANY.match(msg)) is not None:
        if last == "date" or last.endswith("Date"):
            msg = f"{m.group(1)} is not {DATE_WORDS}"
        elif last == "nationality":
            msg = f"{m.group(1)} is neither a country code (two capital letters, such as US) nor {_NATIONALITY_WORDS}"
        elif ptr == "":
            msg = "the document needs an applicationNumber or a registrationNumber (unless it has 'unmapped')"
        else:
            return issue
    elif (m := _DEPENDENCY.match(msg)) is not None:
        msg = f"'{m.group(2)}' needs '{m.group(1)}' as well"
    else:
        return issue
    return Issue(issue.code, msg, issue.xml_path, issue.line, issue.json_pointer)


# -- the coverage report as text, within 100 columns ---------------------------------------------

WIDTH = 100


def _left_clip(text: str, n: int) -> str:
    """The end of *text* in at most *n* characters (the end of a path says the most)."""
    return text if len(text) <= n else "…" + text[len(text) - n + 1 :]


def _right_clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def format_report(report: CoverageReport, *, top: int = 15, width: int = WIDTH) -> str:
    """The coverage report as a text table no wider than *width* columns: long file names and
    ST.96 paths keep their end ("…" in front), messages are cut; ``--json`` has everything."""
    numbers = f"  {'records':>7}  {'values':>7}  {'carried':>7}  {'coverage':>8}"
    fw = min(max([len(f.source) for f in report.files] + [4]), width - len(numbers))
    lines = [f"Coverage of {report.profile}", "", f"{'file':<{fw}}{numbers}"]
    for f in report.files:
        name = _left_clip(f.source, fw)
        if f.error is not None:  # the message on a line of its own: it needs the room
            lines.append(f"{name:<{fw}}  FAILED [{_right_clip(f.error.code, width - fw - 11)}]")
            lines.append(f"    {_right_clip(f.error.message, width - 4)}")
        elif f.skipped:
            text = f"skipped: a {f.document} has no tmk:Trademark record"
            lines.append(f"{name:<{fw}}  {_right_clip(text, width - fw - 2)}")
        else:
            lines.append(
                f"{name:<{fw}}  {f.records:>7}  {f.occurred:>7}  {f.carried:>7}  {_pct(f.carried, f.occurred):>8}"
            )
    lines.append("")
    cols = f"  {'values':>7}  {'carried':>7}"
    pw = min(max([len(p) for p in report.paths] + [10]), width - len(cols))
    lines.append(f"{'ST.96 path':<{pw}}{cols}")
    for p in sorted(report.paths.values(), key=lambda p: p.path):
        lines.append(f"{_left_clip(p.path, pw):<{pw}}  {p.occurred:>7}  {p.carried:>7}")
    lines.append("")
    failed = sum(1 for f in report.files if f.error)
    skipped = sum(1 for f in report.files if f.skipped)
    lines.append(f"overall: {len(report.files)} file(s) ({failed} failed, {skipped} without trademarks)")
    lines.append(
        f"         {report.records} record(s), {report.occurred} values, {report.carried} carried "
        f"({_pct(report.carried, report.occurred)})"
    )
    gaps = report.gaps(top)
    if gaps:
        lines.append(f"largest gaps (values not carried), top {len(gaps)}:")
        lines.extend(f"  {p.missing:>7}  {_left_clip(p.path, width - 11)}" for p in gaps)
    return "\n".join(lines) + "\n"

"""profile simplify / expand / report / table: the simplified trademark profile."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..api import Converter
from ..errors import InputError
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
from ._limits import add_limit_options

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
    add_limit_options(p, "xml", "json")
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
    add_limit_options(p, "json")
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
    add_limit_options(p, "xml", "zip")
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

    conv = Converter(options=options_from(args))
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
    issues = validate(doc)  # what is expected said in words (profiles.trademark.words)
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
    from ..profiles.report import build_report, format_report

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

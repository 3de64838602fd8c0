"""convert, to-xml, validate, roundtrip."""

from __future__ import annotations

import argparse
import sys
from importlib import resources

from ..api import Converter, roundtrip, validate_json
from ..errors import Issue
from ..io import dumps_json, loads_json
from ..policy import VERSION_ATTRIBUTE
from ..safe import parse_document
from ..validate import default_validators
from ._common import (
    EXIT_DATA,
    EXIT_OK,
    EXIT_USAGE,
    add_version_options,
    options_from,
    print_issues,
    read_input,
    write_output,
)

EXAMPLE = "TrademarkApplication_V6_0.xml"


def example_bytes() -> bytes:
    return resources.files("xml2json.examples").joinpath(EXAMPLE).read_bytes()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="ST.96 XML → ST.97 JSON",
        description="Convert one ST.96 XML document (a file or - for stdin) to ST.97 JSON.",
    )
    p.add_argument("input", nargs="?", help="XML file, or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="write here (atomically) instead of stdout")
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.add_argument("--strict", action="store_true", help="content the schema does not know is an error")
    p.add_argument("--example", action="store_true", help="convert the built-in example document")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    add_version_options(p)
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser(
        "to-xml",
        help="ST.97 JSON → ST.96 XML",
        description="Convert one ST.97 JSON document (a file or -) back to ST.96 XML.",
    )
    p.add_argument("input", help="JSON file, or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT")
    p.add_argument(
        "--document", metavar="NAME", help="document type when the root member is ambiguous (e.g. TMK_TransactionData)"
    )
    p.add_argument("--schema-location", action="store_true", help="add xsi:schemaLocation (WIPO URL)")
    add_version_options(p)
    p.set_defaults(func=cmd_to_xml)

    p = sub.add_parser(
        "validate",
        help="validate XML against the XSD or JSON against the JSON Schema",
        description="Validate ST.96 XML (against the XSD) or ST.97 JSON (against the "
        "generated JSON Schema); the kind is detected from the content.",
    )
    p.add_argument("inputs", nargs="+", metavar="FILE")
    add_version_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "roundtrip",
        help="check XML → JSON → XML → JSON for each file",
        description="Round-trip each ST.96 XML file and print a verdict per file; exits 1 if any file fails.",
    )
    p.add_argument("inputs", nargs="+", metavar="FILE")
    p.add_argument("--no-xsd", action="store_true", help="skip XSD validation of the regenerated XML")
    add_version_options(p)
    p.set_defaults(func=cmd_roundtrip)


def cmd_convert(args: argparse.Namespace) -> int:
    if args.example:
        data = example_bytes()
    elif args.input is None:
        print("error: give an input file, - for stdin, or --example", file=sys.stderr)
        return EXIT_USAGE
    else:
        data = read_input(args.input)
    result = Converter(options=options_from(args)).xml_to_json(data)
    if not args.quiet:
        print_issues(result.warnings, kind="warning")
    write_output(dumps_json(result.data, pretty=args.pretty), args.output)
    return EXIT_OK


def cmd_to_xml(args: argparse.Namespace) -> int:
    opts = options_from(args, schema_location=args.schema_location)
    conv = Converter(options=opts)
    data = loads_json(read_input(args.input), opts.limits)
    out = conv.json_to_xml(data, document=args.document)
    write_output(out.xml, args.output)
    return EXIT_OK


def _looks_like_json(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head in (b"{", b"[")


def cmd_validate(args: argparse.Namespace) -> int:
    opts = options_from(args)
    conv = Converter(options=opts)
    bad = 0
    for path in args.inputs:
        data = read_input(path)
        issues: list[Issue]
        if _looks_like_json(data):
            kind = "JSON"
            issues = validate_json(loads_json(data, opts.limits), options=opts)
        else:
            kind = "XML"
            root = parse_document(data, opts.limits)
            plan, doc, warnings = conv.select(root.tag, root.get(VERSION_ATTRIBUTE))
            print_issues(warnings, kind="warning", label=path)
            issues = default_validators().check_xml(root, plan.version, doc.name)
        if issues:
            bad += 1
            print(f"{path}: INVALID ({kind}, {len(issues)} issue(s))")
            print_issues(issues, kind="error", label=path)
        else:
            print(f"{path}: valid ({kind})")
    return EXIT_DATA if bad else EXIT_OK


def cmd_roundtrip(args: argparse.Namespace) -> int:
    opts = options_from(args)
    failed = 0
    for path in args.inputs:
        r = roundtrip(read_input(path) if path == "-" else path, options=opts, check_xsd=not args.no_xsd)
        verdict = "OK" if r.ok else "FAIL"
        xsd = {True: "valid", False: "INVALID", None: "not checked"}[r.xml_valid]
        print(
            f"{path}: {verdict}  [{r.document} {r.version}; XML equal: {r.xml_equal}; JSON equal: "
            f"{r.json_equal}; JSON schema: {'valid' if r.json_valid else 'INVALID'}; XSD: {xsd}]"
        )
        if r.first_difference:
            print(f"    first difference: {r.first_difference}")
        print_issues(r.issues, kind="error", label=path)
        if not r.ok:
            failed += 1
    return EXIT_DATA if failed else EXIT_OK

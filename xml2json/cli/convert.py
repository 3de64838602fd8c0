"""convert, to-xml, validate, roundtrip."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import resources

from ..api import Converter, roundtrip, validate_json
from ..errors import (
    InputError,
    Issue,
    MalformedJSONError,
    MalformedXMLError,
    SchemaError,
    UnsafeXMLError,
    Xml2JsonError,
)
from ..io import dumps_json, loads_json
from ..policy import VERSION_ATTRIBUTE
from ..roundtrip import SKIPPED_BY_CALLER, RoundTripReport
from ..safe import parse_document
from ..validate import default_validators
from ._common import (
    EXIT_DATA,
    EXIT_OK,
    EXIT_USAGE,
    add_version_options,
    check_not_empty,
    exit_code_for,
    exit_code_for_issue,
    input_kind,
    looks_like_xml,
    options_from,
    print_issues,
    read_input,
    write_output,
)
from ._limits import BAG_CODES, add_limit_options, is_bag_document

EXAMPLE = "TrademarkApplication_V6_0.xml"


def example_bytes() -> bytes:
    return resources.files("xml2json.examples").joinpath(EXAMPLE).read_bytes()


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "convert",
        help="ST.96 XML → ST.97 JSON",
        description="Convert one ST.96 XML document (a file or - for stdin) to ST.97 JSON.",
    )
    p.add_argument("input", nargs="?", help="XML file (may be gzip-compressed), or - for stdin")
    p.add_argument(
        "-o", "--output", metavar="OUT", help="write here (atomically; the folder must exist) instead of stdout"
    )
    p.add_argument("--pretty", action="store_true", help="indent the JSON")
    p.add_argument("--strict", action="store_true", help="content the schema does not know is an error")
    p.add_argument("--example", action="store_true", help="convert the built-in example document")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    add_version_options(p)
    add_limit_options(p, "xml")
    p.set_defaults(func=cmd_convert, output_files=("output",))

    p = sub.add_parser(
        "to-xml",
        help="ST.97 JSON → ST.96 XML",
        description="Convert one ST.97 JSON document (a file or -) back to ST.96 XML.",
    )
    p.add_argument("input", help="JSON file (may be gzip-compressed), or - for stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="write here (atomically; the folder must exist)")
    p.add_argument(
        "--document", metavar="NAME", help="document type when the root member is ambiguous (e.g. TMK_TransactionData)"
    )
    p.add_argument("--schema-location", action="store_true", help="add xsi:schemaLocation (WIPO URL)")
    p.add_argument("-q", "--quiet", action="store_true", help="do not print warnings")
    add_version_options(p)
    add_limit_options(p, "json")
    p.set_defaults(func=cmd_to_xml, output_files=("output",))

    p = sub.add_parser(
        "validate",
        help="validate XML against the XSD or JSON against the JSON Schema",
        description="Validate ST.96 XML (against the XSD) or ST.97 JSON (against the "
        "generated JSON Schema) and print one verdict per file: valid, INVALID, MALFORMED, "
        "REFUSED (a resource limit stopped the check; a limit flag raises it), UNREADABLE or "
        "NOT CHECKED (no schema). The kind is decided by the extension (.xml, "
        ".json, also .gz), else by the content. Every file is checked; the exit code is the "
        "highest met (docs/cli.md).",
    )
    p.add_argument("inputs", nargs="+", metavar="FILE", help="XML or JSON files (may be gzip-compressed), or -")
    add_version_options(p)
    add_limit_options(p, "xml", "json")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "roundtrip",
        help="check XML → JSON → XML → JSON for each file",
        description="Round-trip each ST.96 XML file (XML → JSON → XML → JSON) and print a verdict "
        "per file: OK (lossless and valid), LOSSLESS, INVALID (both round trips equal, an output "
        "not valid against its schema: typical of office data that does not conform), FAIL (a "
        "round trip changed the data), ERROR (not converted, or a resource limit refused a step of "
        "the check). Exit 0 when every file is OK.",
    )
    p.add_argument("inputs", nargs="+", metavar="FILE", help="XML files (may be gzip-compressed), or -")
    p.add_argument("--no-xsd", action="store_true", help="skip XSD validation of the regenerated XML")
    p.add_argument(
        "--lossless-only",
        action="store_true",
        help="check losslessness alone: validity is not checked, LOSSLESS passes (exit 0)",
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="fail (FAIL, exit 1) unless XML → JSON → XML is exactly equal: no relaxation such as "
        "choice interleaving or known elements out of schema order (docs/fidelity.md)",
    )
    p.add_argument("--json", action="store_true", help="print the reports as JSON (issues included) on stdout")
    add_version_options(p)
    add_limit_options(p, "xml", "json")
    p.set_defaults(func=cmd_roundtrip)


def _read_xml(path: str, conv: Converter) -> bytes:
    """An XML input for convert/roundtrip: gzip read, a zip or JSON refused with a hint."""
    data = read_input(path, conv.options.limits)
    check_not_empty(path, data)
    kind, how = input_kind(path, data)
    if kind == "JSON" and not looks_like_xml(data):
        name = "standard input" if path == "-" else path
        raise InputError(f"{name} holds JSON ({how}), not ST.96 XML", code="input-json")
    return data


def _bag(path: str, data: bytes | None, issues: Sequence[Issue], conv: Converter) -> str | None:
    """*path* when the input broke a size or element-count limit and is a bag document
    (``bulk --records`` converts it record by record); else ``None``."""
    if data is None or not issues or issues[0].code not in BAG_CODES:
        return None
    return path if is_bag_document(data, conv.select, conv.options.limits) else None


def cmd_convert(args: argparse.Namespace) -> int:
    conv = Converter(options=options_from(args))
    if args.example:
        data = example_bytes()
    elif args.input is None:
        print("error: [usage] give an input file, - for stdin, or --example", file=sys.stderr)
        return EXIT_USAGE
    else:
        data = _read_xml(args.input, conv)
    try:
        result = conv.xml_to_json(data)
    except UnsafeXMLError as exc:
        print_issues(exc.issues, kind="error", bag=_bag(args.input or "-", data, exc.issues, conv))
        return exit_code_for(exc)
    if not args.quiet:
        print_issues(result.warnings, kind="warning")
    write_output(dumps_json(result.data, pretty=args.pretty), args.output)
    return EXIT_OK


def cmd_to_xml(args: argparse.Namespace) -> int:
    opts = options_from(args, schema_location=args.schema_location)
    conv = Converter(options=opts)
    raw = read_input(args.input, opts.limits)
    check_not_empty(args.input, raw)
    if looks_like_xml(raw):
        name = "standard input" if args.input == "-" else args.input
        raise InputError(f"{name} holds XML, not ST.97 JSON", code="input-xml")
    data = loads_json(raw, opts.limits)
    out = conv.json_to_xml(data, document=args.document)
    if not args.quiet:
        print_issues(out.warnings, kind="warning")
    write_output(out.xml, args.output)
    return EXIT_OK


# validate verdicts, by the kind of failure
VALID, INVALID, MALFORMED, UNREADABLE, NOT_CHECKED = "valid", "INVALID", "MALFORMED", "UNREADABLE", "NOT CHECKED"
#: A resource limit (``limit-*``, a limit flag raises it) refused the file: not known to be malformed.
REFUSED = "REFUSED"


def _failure_verdict(exc: Xml2JsonError) -> str:
    if isinstance(exc, SchemaError):
        return NOT_CHECKED
    if exc.code.startswith("limit-"):
        return REFUSED
    if exc.code in ("io", "input-zip"):
        return UNREADABLE
    if isinstance(exc, (MalformedXMLError, MalformedJSONError, UnsafeXMLError)) or exc.code in (
        "empty-input",
        "malformed-gzip",
    ):
        return MALFORMED
    return INVALID


def _check_one(path: str, data: bytes, kind: str, conv: Converter) -> tuple[str | None, list[Issue], list[Issue]]:
    """(what was checked against, issues, warnings) for one read input."""
    opts = conv.options
    check_not_empty(path, data)
    if kind == "JSON":
        return None, validate_json(loads_json(data, opts.limits), options=opts), []
    root = parse_document(data, opts.limits)
    plan, doc, warnings = conv.select(root.tag, root.get(VERSION_ATTRIBUTE))
    issues = default_validators().check_xml(root, plan.version, doc.name)
    return f"{doc.name}, ST.96 {plan.version} XSD", issues, warnings


def cmd_validate(args: argparse.Namespace) -> int:
    conv = Converter(options=options_from(args))
    code = EXIT_OK
    counts: dict[str, int] = {}
    for path in args.inputs:
        label = ""
        data: bytes | None = None
        try:
            data = read_input(path, conv.options.limits)
            kind, how = input_kind(path, data)
            label = f"{kind} {how}; "
            what, issues, warnings = _check_one(path, data, kind, conv)
        except Xml2JsonError as exc:
            verdict = _failure_verdict(exc)
            print(f"{path}: {verdict} ({label}[{exc.code}])")
            print_issues(exc.issues, kind="error", label=path, bag=_bag(path, data, exc.issues, conv))
            code = max(code, exit_code_for(exc))
        else:
            print_issues(warnings, kind="warning", label=path)
            if issues:
                verdict = INVALID
                print(f"{path}: {INVALID} ({label}{len(issues)} issue(s))")
                print_issues(issues, kind="error", label=path)
                code = max(code, EXIT_DATA)
            else:
                verdict = VALID
                print(f"{path}: valid ({label}{what or 'its ST.97 JSON Schema'})")
        counts[verdict] = counts.get(verdict, 0) + 1
    if len(args.inputs) > 1:
        order = [VALID, INVALID, MALFORMED, REFUSED, UNREADABLE, NOT_CHECKED]
        print(f"{len(args.inputs)} files: " + ", ".join(f"{counts[v]} {v}" for v in order if v in counts))
    return code


_ROUND_TRIP_WORDS = {
    "OK": "ok",
    "LOSSLESS": "lossless",
    "LOSSLESS, INVALID": "lossless but invalid",
    "FAIL": "FAILED (not lossless)",
    "ERROR": "ERROR (not converted, a limit refused the check, or a check broke)",
}
_VALIDITY_CODES = ("json-schema-invalid", "xsd-invalid")


def _check_text(value: bool | None, yes: str, no: str, missing: str) -> str:
    return yes if value else (no if value is False else f"not checked ({missing})")


def _xml_check_text(r: RoundTripReport, back: str) -> str:
    if r.xml_equal and r.relaxations:
        return "equal up to " + "; ".join(str(x) for x in r.relaxations)
    return _check_text(r.xml_equal, "equal", "CHANGED", back)


def _roundtrip_line(path: str, r: RoundTripReport, *, lossless_only: bool, no_xsd: bool, exact: bool = False) -> str:
    verdict = r.verdict(lossless_only=lossless_only, exact=exact)
    if not r.converted:
        why = f"not converted: [{r.issues[0].code}]" if r.issues else "not converted"
        return f"{path}: {verdict}  [{why}; round trips, JSON schema and XSD: not checked]"
    if r.refused is not None:  # a limit, not a loss: nothing was compared
        why = f"converted; a limit refused the way back: [{r.refused.code}]"
        return f"{path}: {verdict}  [{r.document} {r.version}; {why}; round trips, JSON schema and XSD: not checked]"
    back = "the way back failed" if r.issues and not r.lossless else "not reached"
    parts = [
        f"{r.document} {r.version}",
        "XML → JSON → XML: " + _xml_check_text(r, back) + (" (--exact)" if exact and r.relaxations else ""),
        "JSON → XML → JSON: " + _check_text(r.json_equal, "equal", "CHANGED", back),
    ]
    if lossless_only:
        parts.append("validity: not checked (--lossless-only)")
    else:
        parts.append("JSON schema: " + _check_text(r.json_valid, "valid", "INVALID", r.json_skipped or back))
        if r.xsd_skipped == SKIPPED_BY_CALLER and no_xsd:
            xsd_missing = "--no-xsd"
        else:
            xsd_missing = r.xsd_skipped or back
        parts.append("XSD: " + _check_text(r.xml_valid, "valid", "INVALID", xsd_missing))
    return f"{path}: {verdict}  [{'; '.join(parts)}]"


def cmd_roundtrip(args: argparse.Namespace) -> int:
    opts = options_from(args)
    conv = Converter(options=opts)
    lossless_only: bool = args.lossless_only
    exact: bool = args.exact
    check_xsd = not (args.no_xsd or lossless_only)
    code = EXIT_OK
    reports: list[RoundTripReport] = []
    for path in args.inputs:
        data: bytes | None = None
        try:
            data = _read_xml(path, conv)
            r = roundtrip(data, options=opts, check_xsd=check_xsd, check_json=not lossless_only)
            r.source = path
        except Xml2JsonError as exc:
            r = RoundTripReport(source=path, issues=list(exc.issues))
        reports.append(r)
        if not r.passed(lossless_only=lossless_only, exact=exact):
            code = max(code, exit_code_for_issue(r.issues[0]) if not r.converted and r.issues else EXIT_DATA)
        if args.json:
            continue
        print(_roundtrip_line(path, r, lossless_only=lossless_only, no_xsd=args.no_xsd, exact=exact))
        if r.first_difference:
            print(f"    first difference: {r.first_difference}")
        issues = r.issues
        if lossless_only:
            issues = [i for i in issues if i.code not in _VALIDITY_CODES]
        print_issues(issues, kind="error", label=path, bag=_bag(path, data, issues, conv) if not r.converted else None)
    counts: dict[str, int] = {}
    for r in reports:
        v = r.verdict(lossless_only=lossless_only, exact=exact)
        counts[v] = counts.get(v, 0) + 1
    summary = ", ".join(f"{n} {_ROUND_TRIP_WORDS[v]}" for v, n in counts.items())
    if lossless_only:
        summary += " (--lossless-only: validity not checked)"
    elif "LOSSLESS, INVALID" in counts:
        summary += "; `xml2json roundtrip --lossless-only` checks losslessness alone"
    if args.json:
        out = {
            "summary": {
                "files": len(reports),
                "losslessOnly": lossless_only,
                "exact": exact,
                "verdicts": counts,
                "exitCode": code,
            },
            "files": [r.to_dict(lossless_only=lossless_only, exact=exact) for r in reports],
        }
        write_output(dumps_json(out, pretty=True), None)
    elif len(reports) > 1 or code:
        print(f"{len(reports)} file(s): {summary}")
    return code

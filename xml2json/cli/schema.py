"""schema generate | show | list."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ..compiler.pipeline import compile_bundle, schema_bytes, write_plan, write_schemas
from ..registry import default_registry
from ._common import EXIT_OK, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("schema", help="compile ST.96 XSD bundles; show and list ST.97 JSON Schemas")
    ssub = p.add_subparsers(dest="schema_command", metavar="SUBCOMMAND", required=True)

    g = ssub.add_parser("generate", help="compile a bundle (folder or zip) and write its JSON Schemas",
                        description="Compile an ST.96 XSD bundle (folder or zip, flattened or modular "
                        "layout) and write one ST.97 JSON Schema per document root into DIR.")
    g.add_argument("bundle", metavar="BUNDLE")
    g.add_argument("-o", "--output", metavar="DIR", required=True, help="folder for the JSON Schemas")
    g.add_argument("--plan", metavar="FILE", help="also write the compiled runtime plan (.json.gz) here")
    g.set_defaults(func=cmd_generate)

    s = ssub.add_parser("show", help="print the JSON Schema of a document type",
                        description="Print the ST.97 JSON Schema of a document root, e.g. TrademarkApplication.")
    s.add_argument("document", metavar="DOCUMENT")
    s.add_argument("--st96-version", metavar="V", help="version (default: the newest compiled one)")
    s.add_argument("-o", "--output", metavar="OUT")
    s.set_defaults(func=cmd_show)

    lst = ssub.add_parser("list", help="list compiled ST.96 versions and their documents")
    lst.set_defaults(func=cmd_list)


def cmd_generate(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    compiled = compile_bundle(args.bundle)
    written = write_schemas(compiled, Path(args.output))
    if args.plan:
        write_plan(compiled, Path(args.plan))
    took = time.perf_counter() - t0
    print(f"compiled ST.96 {compiled.version}: {len(written)} document schemas, "
          f"{len(compiled.ir.complex_types)} complex and {len(compiled.ir.simple_types)} simple types "
          f"in {took:.1f} s → {args.output}", file=sys.stderr)
    for c in compiled.ir.collisions:
        print(f"note: name collision in {c['type']}: {c['xml']} → {c['resolved']}", file=sys.stderr)
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    reg = default_registry()
    version = args.st96_version or reg.newest()
    write_output(schema_bytes(reg.schema(version, args.document)), args.output)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    reg = default_registry()
    for v, e in sorted(reg.entries().items()):
        docs = sorted(p.stem for p in e.schema_dir.glob("*.json")) if e.schema_dir else []
        compiled = e.meta.get("compiled", "")
        print(f"{v}  {e.source:<8} {len(docs):>3} documents  {compiled}  {e.meta.get('source', '')}")
    return EXIT_OK

"""schema build | fetch | list | show | diff | remove | generate.

The compiler (and xmlschema) is imported only by the commands that compile, so that
``xml2json convert`` starts fast.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson

from ..errors import SchemaError, SchemaNotAvailableError
from ..registry import DEFAULT_VERSION, default_registry, version_key
from ..versions.fetch import WIPO_BASE_URL
from ._common import EXIT_DATA, EXIT_OK, write_output


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "schema", help="compile, fetch, list, show and compare ST.96 versions and their ST.97 JSON Schemas"
    )
    ssub = p.add_subparsers(dest="schema_command", metavar="SUBCOMMAND", required=True)

    b = ssub.add_parser(
        "build",
        help="compile an ST.96 bundle (folder or zip) and register its version",
        description="Compile an ST.96 XSD bundle — a folder or a zip, WIPO's flattened layout "
        "or its modular layout (<Domain>/Document/<Doc>_Vx_y.xsd) — and register it in the "
        "schema cache, so that documents of that version convert and validate. The version "
        "is read from the bundle (file names and the fixed com:st96Version).",
    )
    b.add_argument("bundle", metavar="BUNDLE", help="bundle folder or zip file")
    b.add_argument("--st96-version", metavar="V", help="fail unless the bundle is this version")
    b.add_argument("--json", action="store_true", help="print the result as JSON")
    b.set_defaults(func=cmd_build)

    f = ssub.add_parser(
        "fetch",
        help="download WIPO's package for a version, verify, compile and register it",
        description="Download the official ST.96 package for a version from WIPO (or a "
        "mirror), verify it (a complete zip, optional SHA-256, document schemas of that "
        "version), compile it and register it.",
    )
    f.add_argument("version", metavar="V", help="the ST.96 version, as written in com:st96Version (Vmajor_minor)")
    f.add_argument("--url", metavar="URL", help="exact address of the package zip")
    f.add_argument(
        "--url-base",
        metavar="URL",
        help=f"root of the address pattern (default {WIPO_BASE_URL}): "
        "<URL>/<V>/ST96XMLSchema_<V>_Flattened.zip, then <URL>/<V>/ST96XMLSchema_<V>.zip",
    )
    f.add_argument(
        "--mirror",
        metavar="URL",
        action="append",
        default=[],
        help="a mirror with the same layout as --url-base, tried first (repeatable)",
    )
    f.add_argument("--proxy", metavar="URL", help="HTTP(S) proxy (default: $https_proxy / $http_proxy)")
    f.add_argument("--sha256", metavar="HEX", help="expected SHA-256 of the package zip")
    f.add_argument("--timeout", metavar="SECONDS", type=float, default=60.0, help="network timeout (default 60)")
    f.add_argument("--keep", metavar="FILE", help="also save the downloaded zip here")
    f.add_argument("--json", action="store_true", help="print the result as JSON")
    f.set_defaults(func=cmd_fetch, output_files=("keep",))

    lst = ssub.add_parser("list", help="list the compiled ST.96 versions, their source and compile date")
    lst.add_argument("--json", action="store_true", help="print as JSON")
    lst.set_defaults(func=cmd_list)

    s = ssub.add_parser(
        "show",
        help="print the JSON Schema of a document type",
        description="Print the ST.97 JSON Schema of a document root, e.g. TrademarkApplication.",
    )
    s.add_argument("document", metavar="DOCUMENT")
    s.add_argument("--st96-version", metavar="V", help="version (default: the newest compiled one)")
    s.add_argument("-o", "--output", metavar="OUT", help="write here (atomically; the folder must exist)")
    s.set_defaults(func=cmd_show, output_files=("output",))

    d = ssub.add_parser(
        "diff",
        help="what changed between two compiled versions, at the ST.97 level",
        description="Compare the ST.97 JSON Schemas of two compiled versions: members added, "
        "removed or renamed (rename candidates), cardinality, required, value type, enum and "
        "pattern changes. Exit status 0 when nothing changed, 1 when something did.",
    )
    d.add_argument("version_a", metavar="VA")
    d.add_argument("version_b", metavar="VB")
    d.add_argument("--document", metavar="NAME", action="append", help="only this document type (repeatable)")
    d.add_argument("--json", action="store_true", help="print the changes as JSON")
    d.add_argument("-o", "--output", metavar="OUT", help="write here (atomically; the folder must exist)")
    d.set_defaults(func=cmd_diff, output_files=("output",))

    r = ssub.add_parser(
        "remove",
        help="delete a version from the schema cache",
        description="Delete a compiled version from the user's schema cache. A version shipped with "
        "xml2json cannot be removed (a cached copy that overrides it can). Exit 3 when there is "
        "nothing to remove.",
    )
    r.add_argument("version", metavar="V")
    r.set_defaults(func=cmd_remove)

    g = ssub.add_parser(
        "generate",
        help="compile a bundle (folder or zip) and write its JSON Schemas to a folder",
        description="Compile an ST.96 XSD bundle (folder or zip, flattened or modular "
        "layout) and write one ST.97 JSON Schema per document root into DIR, without "
        "registering it (see `schema build`).",
    )
    g.add_argument("bundle", metavar="BUNDLE")
    g.add_argument(
        "-o", "--output", metavar="DIR", required=True, help="folder for the JSON Schemas (created if needed)"
    )
    g.add_argument(
        "--plan", metavar="FILE", help="also write the compiled runtime plan (.json.gz) here (the folder must exist)"
    )
    g.set_defaults(func=cmd_generate, output_files=("plan",))


def _print_json(data: object) -> None:
    write_output(orjson.dumps(data, option=orjson.OPT_INDENT_2), None)


def cmd_build(args: argparse.Namespace) -> int:
    from ..versions.build import build_bundle

    print(f"compiling {args.bundle} …", file=sys.stderr)
    res = build_bundle(args.bundle, registry=default_registry(), expect_version=args.st96_version)
    _report_build(res, args)
    return EXIT_OK


def _report_build(res: object, args: argparse.Namespace) -> None:
    from ..versions.build import BuildResult

    assert isinstance(res, BuildResult)
    if args.json:
        _print_json(
            {
                "version": res.version,
                "documents": list(res.documents),
                "layout": res.layout,
                "seconds": round(res.seconds, 2),
                "replaced": res.replaced,
                "cache": str(res.entry.plan_path.parent),
                "meta": res.entry.meta,
            }
        )
        return
    verb = "replaced" if res.replaced else "registered"
    print(
        f"{verb} ST.96 {res.version}: {len(res.documents)} document types ({res.layout} layout) "
        f"compiled in {res.seconds:.1f} s → {res.entry.plan_path.parent}",
        file=sys.stderr,
    )
    shipped = default_registry().shipped().get(res.version)
    if shipped is not None:
        print(
            f"note: this {res.version} overrides the one shipped with xml2json ({len(shipped.documents)} "
            f"document types); `xml2json schema remove {res.version}` goes back to it",
            file=sys.stderr,
        )
    for c in res.collisions:
        print(f"note: name collision in {c['type']}: {c['xml']} → {c['resolved']}", file=sys.stderr)


def cmd_fetch(args: argparse.Namespace) -> int:
    from ..versions.fetch import fetch_version

    last = [0.0]

    def progress(url: str, got: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] < 1.0 and got != total:
            return
        last[0] = now
        size = f"{got / 1e6:.1f}" + (f" of {total / 1e6:.1f}" if total else "")
        print(f"\rdownloading {url}: {size} MB", end="", file=sys.stderr, flush=True)

    try:
        res = fetch_version(
            args.version,
            registry=default_registry(),
            url=args.url,
            url_base=args.url_base,
            mirrors=args.mirror,
            sha256=args.sha256,
            proxy=args.proxy,
            timeout=args.timeout,
            keep=Path(args.keep) if args.keep else None,
            progress=None if args.json else progress,
        )
    finally:
        if last[0]:
            print(file=sys.stderr)
    _report_build(res, args)
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    reg = default_registry()
    entries = [reg.entries()[v] for v in reg.versions()]
    overridden = [e for v, e in reg.shipped().items() if reg.entries()[v].source != "shipped"]
    if args.json:
        _print_json(
            [
                {
                    "version": e.version,
                    "source": e.source,
                    "origin": e.origin,
                    "compiled": e.compiled,
                    "documents": e.documents,
                    "xsd": e.xsd_dir is not None,
                    "default": e.version == DEFAULT_VERSION and e.source == "shipped",
                    "path": str(e.plan_path.parent if e.source == "cache" else e.plan_path),
                    "xml2json": e.meta.get("xml2json"),
                    "overrides_shipped": e.version in {o.version for o in overridden},
                }
                for e in entries
            ]
        )
        return EXIT_OK
    print(f"schema cache: {reg.cache}")
    if not entries:
        print(
            "no compiled ST.96 version; register one with `xml2json schema build BUNDLE` or "
            "`xml2json schema fetch Vx_y`"
        )
        return EXIT_OK
    newest = entries[-1].version
    rows = [("VERSION", "WHERE", "DOCS", "XSD", "COMPILED", "SOURCE")]
    for e in entries:
        compiled = e.compiled or (f"with xml2json {e.meta['xml2json']}" if e.source == "shipped" else "-")
        if e.source == "cache" and e.meta.get("xml2json") and e.meta.get("xml2json") != _xml2json_version():
            compiled += f" (xml2json {e.meta['xml2json']}; rebuild)"
        rows.append(
            (
                e.version + (" *" if e.version == newest else ""),
                e.source,
                str(len(e.documents)),
                "yes" if e.xsd_dir is not None else "no",
                compiled,
                e.origin,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:5], widths, strict=True)) + "  " + r[5])
    print("* newest; a document without com:st96Version is converted with the newest version that has its type")
    for o in overridden:
        print(
            f"the cached {o.version} overrides the {o.version} shipped with xml2json ({len(o.documents)} "
            f"document types); `xml2json schema remove {o.version}` goes back to it"
        )
    return EXIT_OK


def _xml2json_version() -> str:
    from .._version import __version__

    return __version__


def cmd_show(args: argparse.Namespace) -> int:
    from ..artifacts import schema_bytes

    reg = default_registry()
    version = args.st96_version or reg.newest()
    write_output(schema_bytes(reg.schema(version, args.document)), args.output)
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from ..versions.diff import diff_versions

    version_key(args.version_a)
    version_key(args.version_b)
    d = diff_versions(args.version_a, args.version_b, registry=default_registry(), documents=args.document)
    write_output(d.to_json() if args.json else d.to_text().encode(), args.output)
    return EXIT_OK if d.empty else EXIT_DATA


def cmd_remove(args: argparse.Namespace) -> int:
    reg = default_registry()
    if reg.remove(args.version):
        print(f"removed ST.96 {args.version} from {reg.cache}", file=sys.stderr)
        return EXIT_OK
    if reg.entries().get(args.version) is not None:
        raise SchemaError(
            f"ST.96 {args.version} is shipped with xml2json and cannot be removed", code="version-shipped"
        )
    raise SchemaNotAvailableError(
        f"ST.96 {args.version} is not in the schema cache ({reg.cache})", code="version-not-cached"
    )


def cmd_generate(args: argparse.Namespace) -> int:
    from ..compiler.pipeline import compile_bundle, write_plan, write_schemas  # xmlschema: load only when needed

    t0 = time.perf_counter()
    compiled = compile_bundle(args.bundle)
    written = write_schemas(compiled, Path(args.output))
    if args.plan:
        write_plan(compiled, Path(args.plan))
    took = time.perf_counter() - t0
    print(
        f"compiled ST.96 {compiled.version}: {len(written)} document schemas, "
        f"{len(compiled.ir.complex_types)} complex and {len(compiled.ir.simple_types)} simple types "
        f"in {took:.1f} s → {args.output}",
        file=sys.stderr,
    )
    for c in compiled.ir.collisions:
        print(f"note: name collision in {c['type']}: {c['xml']} → {c['resolved']}", file=sys.stderr)
    return EXIT_OK

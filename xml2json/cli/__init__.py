"""The command-line interface: the only place that formats things for humans.

Each sub-command lives in its own module with a ``register(subparsers)``
function; :data:`COMMAND_MODULES` lists them in help order.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .._version import __version__
from ._common import EXIT_USAGE, run_command

COMMAND_MODULES = ["convert", "schema", "bulk", "quality", "profile"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="xml2json",
        description="WIPO ST.96 XML ⇄ ST.97 JSON: convert, validate, round-trip, compile schemas.",
    )
    parser.add_argument("--version", action="version", version=f"xml2json {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return run_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

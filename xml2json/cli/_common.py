"""Shared CLI helpers: exit codes, human formatting of issues, input/output plumbing."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..config import Options
from ..errors import InputError, Issue, SchemaError, Xml2JsonError
from ..io import atomic_write

EXIT_OK = 0
EXIT_DATA = 1  # the input could not be converted, is invalid, or a round trip failed
EXIT_USAGE = 2  # bad command line (argparse uses 2 as well)
EXIT_SCHEMA = 3  # a schema/version/bundle problem: nothing to convert with


#: What the command line adds to a library error: the commands and flags that mend it. The
#: library's messages say what is wrong in its own terms and never name a flag.
HINTS: dict[str, str] = {
    "version-not-compiled": (
        "get it with `xml2json schema fetch VERSION` or compile a local copy with `xml2json schema build BUNDLE`; "
        "or convert with a compiled version: `--st96-version V` (`xml2json schema list` shows them)"
    ),
    "xsd-not-available": "register a bundle with `xml2json schema build BUNDLE`, or set $XML2JSON_XSD_PATH",
    "fetch-corrupt": "try again, or give another address with --url or a mirror with --mirror",
    "fetch-not-found": (
        "give the package's address with --url or a mirror with --mirror, or download it yourself "
        "and run `xml2json schema build ZIP`"
    ),
}


def format_issue(issue: Issue, *, kind: str = "error") -> str:
    where = []
    if issue.xml_path:
        where.append(issue.xml_path)
    if issue.line is not None:
        where.append(f"line {issue.line}")
    if issue.json_pointer is not None:
        where.append(f"at JSON {issue.json_pointer or '/'}")
    loc = f"\n    {', '.join(where)}" if where else ""
    hint = HINTS.get(issue.code) if kind == "error" else None
    return f"{kind}: [{issue.code}] {issue.message}{loc}" + (f"\n    hint: {hint}" if hint else "")


def print_issues(issues: Iterable[Issue], *, kind: str = "warning", label: str | None = None) -> None:
    for i in issues:
        text = format_issue(i, kind=kind)
        print(f"{label}: {text}" if label else text, file=sys.stderr)


def read_input(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", code="io") from exc


def write_output(data: bytes, out: str | None) -> None:
    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        if not data.endswith(b"\n"):
            sys.stdout.buffer.write(b"\n")
        sys.stdout.buffer.flush()
        return
    atomic_write(Path(out), data)


def add_version_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--st96-version",
        metavar="V",
        help="use this compiled ST.96 version (e.g. V6_0) instead of the document's com:st96Version",
    )


def options_from(args: argparse.Namespace, **extra: Any) -> Options:
    return Options(strict=getattr(args, "strict", False), st96_version=getattr(args, "st96_version", None), **extra)


def run_command(args: argparse.Namespace) -> int:
    try:
        code: int = args.func(args)
        return code
    except SchemaError as exc:
        print_issues(exc.issues, kind="error")
        return EXIT_SCHEMA
    except Xml2JsonError as exc:  # InputError and the rest
        print_issues(exc.issues, kind="error")
        return EXIT_DATA
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK

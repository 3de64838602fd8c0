"""Shared CLI helpers: exit codes, human formatting of issues, input/output plumbing.

Exit codes (docs/cli.md, "Exit codes", is the one table; every command follows it):

* 0 — done; warnings may have been printed;
* 1 — a data problem: an input is malformed, unsafe, cannot be converted, is invalid, or a
  round trip changed it; ``schema diff``: the versions differ;
* 2 — a usage problem: a wrong command line, an input file that cannot be read (missing, a
  folder, no permission), an input of a kind the command does not take (a zip, JSON to
  ``convert``);
* 3 — a schema problem: the version is not compiled, the document type is unknown, no XSD,
  a bundle is missing or broken;
* 4 — a result cannot be written (the output's folder is missing, the output is a folder,
  the write failed), and any other operating-system error the library did not map (``os-error``);
* 130 — interrupted.

A command with several inputs handles every one of them and exits with the highest code met.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ..config import Limits, Options
from ..errors import ConfigError, InputError, Issue, OutputError, SchemaError, Xml2JsonError
from ..io import atomic_write
from ..safe import GZIP_MAGIC, bounded_gzip_reader
from ._limits import BAG_CODES, bag_hint, limit_hint, limits_from

EXIT_OK = 0
EXIT_DATA = 1  # the input is malformed, cannot be converted, is invalid, or a round trip changed it
EXIT_USAGE = 2  # bad command line (argparse uses 2 as well); an input file that cannot be read
EXIT_SCHEMA = 3  # a schema/version/bundle problem: nothing to convert or validate with
EXIT_OUTPUT = 4  # a result cannot be written
EXIT_INTERRUPTED = 130

#: Codes that are the command line's fault rather than the data's (exit 2), whatever their class.
USAGE_CODES = frozenset({"io", "usage", "no-input", "config-limits", "input-zip", "input-json", "input-xml"})

#: Codes of schema problems, for the places that only have an :class:`Issue` (exit 3).
SCHEMA_CODES = frozenset(
    {
        "version-not-compiled",
        "bad-version",
        "no-versions",
        "unknown-document",
        "xsd-not-available",
        "xsd-network",
        "schema-not-available",
        "plan-unreadable",
        "plan-format",
        "plan-version-mismatch",
        "version-not-cached",
        "version-shipped",
    }
)


def exit_code_for(exc: BaseException) -> int:
    """The exit code of an error (see the module docstring)."""
    if isinstance(exc, OutputError):
        return EXIT_OUTPUT
    if isinstance(exc, SchemaError):
        return EXIT_SCHEMA
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    if isinstance(exc, Xml2JsonError):
        return EXIT_USAGE if exc.code in USAGE_CODES else EXIT_DATA
    return EXIT_DATA


def exit_code_for_issue(issue: Issue) -> int:
    """The exit code of a failure known only by its issue (``profile report``)."""
    if issue.code in USAGE_CODES:
        return EXIT_USAGE
    if issue.code in SCHEMA_CODES or issue.code.startswith(("bundle-", "fetch-")):
        return EXIT_SCHEMA
    if issue.code.startswith("output"):
        return EXIT_OUTPUT
    return EXIT_DATA


# -- hints -------------------------------------------------------------------------------------

#: What the command line adds to a library error: the commands and flags that mend it. The
#: library's messages say what is wrong in its own terms and never name a flag. Each hint is a
#: list of parts; a part that names an option is shown only by the commands that have it
#: (``schema diff`` has no ``--st96-version``, so it does not suggest it).
HINTS: dict[str, list[tuple[str, str | None]]] = {
    "version-not-compiled": [
        (
            "get it with `xml2json schema fetch VERSION` or compile a local copy with `xml2json schema build BUNDLE`",
            None,
        ),
        (
            "or use a compiled version: `--st96-version V` (`xml2json schema list` shows them)",
            "st96_version",
        ),
    ],
    "bad-version": [("`xml2json schema list` shows the compiled versions", None)],
    "version-not-cached": [("`xml2json schema list` shows the versions and where they come from", None)],
    "xsd-not-available": [
        ("register a bundle with `xml2json schema build BUNDLE`, or set $XML2JSON_XSD_PATH", None),
        ("`xml2json roundtrip --no-xsd` checks without the XSD", "no_xsd"),
    ],
    "fetch-corrupt": [("try again, or give another address with --url or a mirror with --mirror", None)],
    "fetch-not-found": [
        (
            "give the package's address with --url or a mirror with --mirror, or download it yourself "
            "and run `xml2json schema build ZIP`",
            None,
        )
    ],
    "input-zip": [("`xml2json bulk FILE.zip -o OUTDIR` converts the XML documents of a zip", None)],
    "input-json": [
        (
            "`xml2json to-xml FILE` converts ST.97 JSON to XML; `xml2json validate FILE` checks it "
            "against its JSON Schema",
            None,
        )
    ],
    "input-xml": [("`xml2json convert FILE` converts ST.96 XML to JSON", None)],
    "output-folder-missing": [("create the folder first (mkdir -p), or give another path", None)],
    "no-quality-report": [
        (
            "an XML → JSON bulk run writes it when run with --validate json|xsd|both or --check-roundtrip: "
            "`xml2json bulk IN... -o OUTDIR --validate both --overwrite` converts and checks again",
            None,
        )
    ],
    "run-not-finished": [
        (
            "`xml2json bulk IN... -o OUTDIR --resume` with the run's other options as before converts what is "
            "left and writes the report; what is done is kept",
            None,
        )
    ],
    "not-bulk-output": [("give the folder that `xml2json bulk ... -o OUTDIR` wrote", None)],
    "quality-format": [
        (
            "it may come from another version of xml2json, or be damaged: run the bulk command again to write it anew",
            None,
        )
    ],
}

#: libxml2's message for a second XML declaration: a file of concatenated documents, most often.
SECOND_DECLARATION = "XML declaration allowed only at the start"

#: The options of the command being run (argument names as in argparse's Namespace); set by
#: :func:`run_command`, read by :func:`hint_for`. ``None``: every hint part is shown.
_command_options: set[str] | None = None
#: The limits the command runs with (for "now N" in a limit hint); set by :func:`run_command`.
_command_limits: Limits | None = None


def hint_for(code: str, issue: Issue | None = None, *, bag: str | None = None) -> str | None:
    """The hint for an error: the flag that raises a limit (``limit-*``, with the value in force),
    else the parts of :data:`HINTS` this command has. *bag*: the input is a bag document (its
    path), so a size or element-count limit also suggests ``bulk --records``."""
    shown: list[str] = []
    if issue is not None:
        raise_it = limit_hint(issue, _command_limits, _command_options)
        if raise_it:
            shown.append(raise_it)
        if bag is not None and code in BAG_CODES:
            shown.append(bag_hint(bag))
        if code == "malformed-xml" and SECOND_DECLARATION in issue.message:
            shown.append(
                "the input may hold several XML documents one after another: "
                "`xml2json bulk FILE -o OUTDIR --records` reads each of them"
            )
    shown += [
        text
        for text, option in HINTS.get(code, ())
        if option is None or _command_options is None or option in _command_options
    ]
    return "; ".join(shown) or None


# -- messages ------------------------------------------------------------------------------------


def format_issue(issue: Issue, *, kind: str = "error", bag: str | None = None) -> str:
    message = issue.message
    line = None
    if issue.line is not None:
        line = f"line {issue.line}" + (f", column {issue.column}" if issue.column is not None else "")
    where = []
    if issue.xml_path:
        where.append(issue.xml_path)
    if line:
        where.append(line)
    if issue.json_pointer is not None:
        where.append(f"at JSON {issue.json_pointer or '/'}")
    loc = f"\n    {', '.join(where)}" if where else ""
    hint = hint_for(issue.code, issue, bag=bag) if kind == "error" else None
    return f"{kind}: [{issue.code}] {message}{loc}" + (f"\n    hint: {hint}" if hint else "")


def print_issues(
    issues: Iterable[Issue], *, kind: str = "warning", label: str | None = None, bag: str | None = None
) -> None:
    for i in issues:
        text = format_issue(i, kind=kind, bag=bag)
        print(f"{label}: {text}" if label else text, file=sys.stderr)


# -- inputs --------------------------------------------------------------------------------------

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a zip with members, an empty zip


def _strip_gz(name: str) -> str:
    return name[:-3] if name.lower().endswith(".gz") else name


def read_input(path: str, limits: Limits | None = None) -> bytes:
    """The bytes of one input: a file or ``-`` (standard input), gzip-compressed or not.

    A gzip input (recognised by its first bytes) is decompressed through the library's bounded
    reader (``limits.max_decompressed_bytes``, ``limits.max_compression_ratio``). An input that
    cannot be read is an :class:`InputError` ``io`` (exit 2); a zip archive is an
    :class:`InputError` ``input-zip`` (exit 2, with the hint to use ``bulk``).
    """
    lim = limits or Limits()
    if path == "-":
        data = sys.stdin.buffer.read(lim.max_document_bytes + 1)
    else:
        p = Path(path)
        if p.is_dir():
            raise InputError(f"cannot read {path}: it is a folder", code="io")
        try:
            with open(p, "rb") as fh:
                data = fh.read(lim.max_document_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}", code="io") from exc
    name = "standard input" if path == "-" else path
    if data.startswith(GZIP_MAGIC):
        with bounded_gzip_reader(io.BytesIO(data), lim, label=name) as gz:
            data = gz.read(lim.max_document_bytes + 1)
    elif data.startswith(ZIP_MAGIC):
        raise InputError(f"{name} is a zip archive; this command reads one XML or JSON document", code="input-zip")
    return data


def input_kind(path: str, data: bytes) -> tuple[str, str]:
    """("XML" or "JSON", how it was decided): by the file name's extension (``.xml``, ``.json``,
    also with ``.gz``), else by the first non-blank character."""
    ext = Path(_strip_gz(path)).suffix.lower() if path != "-" else ""
    if ext == ".json":
        return "JSON", "by its name"
    if ext == ".xml":
        return "XML", "by its name"
    return ("JSON" if looks_like_json(data) else "XML"), "by its content"


def looks_like_json(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head in (b"{", b"[")


def looks_like_xml(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"


def check_not_empty(path: str, data: bytes) -> None:
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        name = "standard input" if path == "-" else path
        raise InputError(f"{name} is empty", code="empty-input")


# -- outputs -------------------------------------------------------------------------------------


def check_output_file(out: str | None, inputs: Iterable[str] = ()) -> None:
    """Refuse, before any work, an output file whose folder does not exist, that is a folder, or
    that is one of the command's *inputs* (``convert a.xml -o a.xml`` would replace the input).

    Output *files* are never given missing folders (a typo would silently create a tree);
    output *folders* (``bulk -o OUTDIR``, ``schema generate -o DIR``) are created.
    """
    if out is None or out == "-":
        return
    p = Path(out)
    if p.is_dir():
        raise OutputError(f"cannot write {out}: it is a folder", code="output-is-folder")
    for given in inputs:
        with contextlib.suppress(OSError):
            if given != "-" and p.exists() and os.path.samefile(p, given):
                raise OutputError(f"cannot write {out}: it is the input {given}", code="output-is-input")
    parent = p.parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {out}: the folder {parent} does not exist", code="output-folder-missing")


def _stdout_error(exc: OSError) -> OutputError:
    """Standard output cannot be written (``> /dev/full``, a closed descriptor): say so once, and
    point the descriptor at /dev/null so that the interpreter's own flush at exit stays quiet."""
    with contextlib.suppress(OSError):
        _discard(sys.stdout)
    return OutputError(f"cannot write standard output: {exc.strerror or exc}", code="output-write")


def _discard(stream: Any) -> None:
    """Send what is still written to *stream* to /dev/null (its reader went away, or it cannot be written)."""
    try:
        fd = stream.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


class _Guarded:
    """``sys.stdout`` / ``sys.stderr`` while a command runs.

    A reader that goes away (``| head``, a closed pipe: ``BrokenPipeError``) is not the
    command's failure: what is still written to that stream is discarded and the command goes
    on, so that its files are written and its exit code is its own verdict. Any other failure to
    write printed text to standard output (``> /dev/full``) is an :class:`OutputError`
    ``output-write`` (exit 4); on standard error it is ignored (messages must never stop the
    work)."""

    def __init__(self, stream: Any, *, errors_fatal: bool) -> None:
        self._stream = stream
        self._fatal = errors_fatal

    def _failed(self, exc: OSError) -> None:
        if isinstance(exc, BrokenPipeError):
            _discard(self._stream)
        elif self._fatal:
            raise _stdout_error(exc) from exc

    def write(self, text: str) -> int:
        try:
            n: int = self._stream.write(text)
        except OSError as exc:
            self._failed(exc)
            return len(text)
        return n

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as exc:
            self._failed(exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def write_output(data: bytes, out: str | None) -> None:
    """Write a result to *out* (``None`` or ``-``: standard output, with a final newline).

    A file is written by :func:`xml2json.io.atomic_write` without creating folders: a regular
    file is replaced atomically, a symlink is followed, a FIFO or device (``/dev/stdout``,
    ``/dev/null``) is written through. Failures are :class:`OutputError` (exit 4)."""
    if out is None or out == "-":
        if not data.endswith(b"\n"):
            data += b"\n"
        try:
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        except BrokenPipeError:  # the reader went away (`| head`): not a failure of this command
            _discard(sys.stdout)
        except OSError as exc:
            raise _stdout_error(exc) from exc
        return
    check_output_file(out)
    atomic_write(Path(out), data, parents=False)


# -- options and running -------------------------------------------------------------------------


def add_version_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--st96-version",
        metavar="V",
        help="use this compiled ST.96 version (e.g. V6_0) instead of the document's com:st96Version",
    )


def options_from(args: argparse.Namespace, **extra: Any) -> Options:
    """The :class:`Options` of a command line, its limits from its limit flags (:func:`limits_from`)."""
    return Options(
        strict=getattr(args, "strict", False),
        st96_version=getattr(args, "st96_version", None),
        limits=limits_from(args),
        **extra,
    )


def run_command(args: argparse.Namespace) -> int:
    global _command_options, _command_limits
    _command_options = set(vars(args))
    _command_limits = limits_from(args)
    func: Callable[[argparse.Namespace], int] = args.func
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout = _Guarded(stdout, errors_fatal=True)
    sys.stderr = _Guarded(stderr, errors_fatal=False)
    try:
        given = getattr(args, "inputs", None) or [getattr(args, "input", None)]
        inputs = [str(i) for i in given if isinstance(i, str)]
        for name in getattr(args, "output_files", ()):  # output files, checked before any work
            check_output_file(getattr(args, name, None), inputs)
        code = func(args)
        sys.stdout.flush()  # text printed on stdout: a failure to write it is reported here
        return code
    except Xml2JsonError as exc:
        print_issues(exc.issues, kind="error")
        return exit_code_for(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # a reader went away somewhere the guards do not see: as `head` expects
        _discard(stdout)
        return EXIT_OK
    except OSError as exc:  # not mapped by the library (a bulk OUTDIR that cannot be made, …): no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: [os-error] {where}{exc.strerror or exc}", file=sys.stderr)
        return EXIT_OUTPUT
    finally:
        sys.stdout, sys.stderr = stdout, stderr
        _command_options = None
        _command_limits = None

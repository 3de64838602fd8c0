"""``profile report``: how much of a corpus of ST.96 documents a profile carries.

Inputs are files (plain or gzip-compressed XML), folders (walked like ``bulk`` walks
them, by :func:`xml2json.io.walk_folder`: ``*.xml``, ``*.xml.gz`` and ``*.zip``) and
zip archives (their ``*.xml`` members, opened through the guards of
:mod:`xml2json.safe`). Every document is converted, simplified, and each of its
values is counted under its ST.96 path: *values* (how many occurred) and
*carried* (how many the profile carries — by a field, or by a default rule that
re-creates exactly that value). Values outside every trademark record (the
envelope of a ``TrademarkTransaction``) count as occurred and not carried.
Structural markers (``$qname``, empty elements) are not values.
"""

from __future__ import annotations

import sys
import zipfile
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import Converter
from ..config import Limits
from ..errors import Issue, Xml2JsonError
from ..io import walk_folder
from ..safe import GZIP_MAGIC, bounded_gzip_reader, open_zip_member, parse_document, safe_zip_members
from .trademark import NAME, SimplifyResult, simplify_element


@dataclass
class PathStats:
    path: str
    occurred: int = 0
    carried: int = 0
    fields: Counter[str] = field(default_factory=Counter)

    @property
    def missing(self) -> int:
        return self.occurred - self.carried


@dataclass
class FileStats:
    source: str
    document: str | None = None
    records: int = 0
    occurred: int = 0
    carried: int = 0
    error: Issue | None = None
    skipped: bool = False  # a document without any trademark record: outside the profile, not counted


@dataclass
class CoverageReport:
    profile: str = NAME
    files: list[FileStats] = field(default_factory=list)
    paths: dict[str, PathStats] = field(default_factory=dict)

    @property
    def occurred(self) -> int:
        return sum(p.occurred for p in self.paths.values())

    @property
    def carried(self) -> int:
        return sum(p.carried for p in self.paths.values())

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    def add(self, source: str, result: SimplifyResult) -> FileStats:
        fs = FileStats(source, result.document, len(result.records))
        if not result.records:
            fs.skipped = True
            self.files.append(fs)
            return fs
        for leaf, claim in result.accounting():
            ps = self.paths.get(leaf.path)
            if ps is None:
                ps = self.paths[leaf.path] = PathStats(leaf.path)
            ps.occurred += 1
            fs.occurred += 1
            if claim is not None:
                ps.carried += 1
                fs.carried += 1
                ps.fields[claim.label] += 1
        self.files.append(fs)
        return fs

    def fail(self, source: str, issue: Issue) -> None:
        self.files.append(FileStats(source, error=issue))

    def gaps(self, top: int = 10) -> list[PathStats]:
        ranked = sorted((p for p in self.paths.values() if p.missing), key=lambda p: (-p.missing, p.path))
        return ranked[:top]

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "overall": {
                "files": len(self.files),
                "failed": sum(1 for f in self.files if f.error),
                "skipped": sum(1 for f in self.files if f.skipped),
                "records": self.records,
                "values": self.occurred,
                "carried": self.carried,
                "coverage": _ratio(self.carried, self.occurred),
            },
            "files": [
                {
                    "source": f.source,
                    "document": f.document,
                    "records": f.records,
                    "values": f.occurred,
                    "carried": f.carried,
                    "coverage": _ratio(f.carried, f.occurred),
                    "skipped": f.skipped,
                }
                if f.error is None
                else {"source": f.source, "error": f.error.to_dict()}
                for f in self.files
            ],
            "paths": [
                {"path": p.path, "values": p.occurred, "carried": p.carried, "fields": dict(sorted(p.fields.items()))}
                for p in sorted(self.paths.values(), key=lambda p: p.path)
            ],
            "gaps": [{"path": p.path, "values": p.occurred, "notCarried": p.missing} for p in self.gaps(top)],
        }

    def format_text(self, top: int = 10, *, width: int = 100) -> str:
        """The report as text no wider than *width* columns (:func:`format_report`, as
        ``xml2json profile report`` prints it)."""
        return format_report(self, top=top, width=width)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def _percent(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


# -- inputs ---------------------------------------------------------------------------------


def iter_documents(inputs: Sequence[str], converter: Converter) -> Iterator[tuple[str, Any]]:
    """(label, parsed root element | the error) for every XML document of the inputs, in order."""
    limits = converter.options.limits
    for raw in inputs:
        if raw == "-":  # one document on standard input
            yield from _stdin(limits)
            continue
        path = Path(raw)
        if path.is_dir():
            for p in walk_folder(path):
                yield from _file(p, str(p), limits)
        else:
            yield from _file(path, raw, limits)


def _file(path: Path, label: str, limits: Any) -> Iterator[tuple[str, Any]]:
    if path.suffix.lower() == ".zip":
        try:
            members = safe_zip_members(path, limits)
            with zipfile.ZipFile(path) as zf:
                for m in members:
                    if not m.name.lower().endswith(".xml"):
                        continue
                    mlabel = f"{label}!{m.name}"
                    try:
                        with open_zip_member(zf, m, limits) as fh:
                            yield mlabel, parse_document(fh.read(), limits)
                    except Xml2JsonError as exc:
                        yield mlabel, exc
        except (Xml2JsonError, OSError) as exc:
            yield label, exc
        return
    try:
        yield label, _parse_file(path, limits)
    except OSError as exc:
        yield label, Xml2JsonError(f"cannot read {label}: {exc.strerror or exc}", code="io")
    except Xml2JsonError as exc:
        yield label, exc


def _parse_file(path: Path, limits: Limits) -> Any:
    """A plain or gzip-compressed (detected from its first bytes) XML file, parsed safely."""
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == GZIP_MAGIC
    if gzipped:
        with bounded_gzip_reader(path, limits) as gz:
            return parse_document(gz, limits)
    return parse_document(path.read_bytes(), limits)


def _stdin(limits: Any) -> Iterator[tuple[str, Any]]:
    try:
        yield "-", parse_document(sys.stdin.buffer.read(limits.max_document_bytes + 1), limits)
    except Xml2JsonError as exc:
        yield "-", exc


def build_report(inputs: Sequence[str], *, converter: Converter | None = None) -> CoverageReport:
    conv = converter or Converter()
    report = CoverageReport()
    for label, root in iter_documents(inputs, conv):
        if isinstance(root, BaseException):
            issue = root.issues[0] if isinstance(root, Xml2JsonError) else Issue("io", str(root))
            report.fail(label, issue)
            continue
        try:
            result = simplify_element(root, converter=conv)
        except Xml2JsonError as exc:
            report.fail(label, exc.issues[0])
            continue
        report.add(label, result)
    return report


# The coverage report as text, within 100 columns.

WIDTH = 100


def _left_clip(text: str, n: int) -> str:
    """The end of *text* in at most *n* characters (the end of a path says the most)."""
    return text if len(text) <= n else "…" + text[len(text) - n + 1 :]


def _right_clip(text: str, n: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


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
                f"{name:<{fw}}  {f.records:>7}  {f.occurred:>7}  {f.carried:>7}  {_percent(f.carried, f.occurred):>8}"
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
        f"({_percent(report.carried, report.occurred)})"
    )
    gaps = report.gaps(top)
    if gaps:
        lines.append(f"largest gaps (values not carried), top {len(gaps)}:")
        lines.extend(f"  {p.missing:>7}  {_left_clip(p.path, width - 11)}" for p in gaps)
    return "\n".join(lines) + "\n"

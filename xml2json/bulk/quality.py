"""The data-quality report of a bulk run: per-task counters and ``OUTDIR/quality.json``.

A task counts what the checks of :mod:`.checks` found in its units with a :class:`QualityCounter`
(small and picklable: it travels back in the task's result and is kept, as a dict, in the task's
manifest entry, so that a resumed run still reports the tasks an earlier run completed). The
main process merges the counters of every task in input order (the chunks of a split file in
chunk order, :func:`.chunks.join`) and writes quality.json (:func:`write_quality`) in the format
of docs/bulk.md "Checking data quality" (``xml2json-quality/1``).

Memory stays flat: a counter keeps at most :data:`MAX_ROWS` distinct (check, code, path) rows with
their examples; issues of further rows are still counted by check, category and code, and the
number of such rows is kept (as ``omittedPaths``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..io import atomic_write, dumps_json
from ..policy import QUALITY_CHECKS
from .checks import VALIDATIONS, Finding, record_id
from .report import QUALITY_FORMAT as FORMAT
from .report import QUALITY_HTML, QUALITY_JSON, write_html

QUALITY = QUALITY_JSON
#: Distinct (check, code, path) rows a counter keeps (per task, and when merged).
MAX_ROWS = 2000
#: Rows listed in quality.json's ``byPath``.
MAX_LISTED = 500
#: Examples per row.
MAX_EXAMPLES = 3
#: Distinct rows beyond :data:`MAX_ROWS` remembered to count them once each (beyond this, every
#: further one is counted as new: ``omittedPaths`` is then an upper bound).
MAX_OMITTED_KEYS = 20000

Key = tuple[str, str, str]  # check, code, path


@dataclass(slots=True)
class Row:
    category: str
    issues: int = 0
    records: int = 0
    message: str = ""
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class QualityCounter:
    """What the checks found in the units of one task (or, merged, of a run)."""

    checked: int = 0
    clean: int = 0
    by_check: dict[str, list[int]] = field(default_factory=dict)  # check → [issues, records]
    by_category: dict[str, list[int]] = field(default_factory=dict)
    by_code: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    rows: dict[Key, Row] = field(default_factory=dict)
    omitted: set[Key] = field(default_factory=set)
    omitted_extra: int = 0
    strict: bool = False  # strict-valid: a unit with validation issues is rejected (and counted)
    rejected_invalid: int = 0  # checked units that --strict-valid sent to the rejects
    documents_cut: int = 0  # documents whose reading stopped at an error part-way (records mode)
    clean_relaxed: int = 0  # clean units with findings all benign (policy.QUALITY_CLEAN_RELAXATIONS)
    over_cap: dict[str, list[int]] = field(default_factory=dict)  # check → [issues not listed, units]

    def rejects(self, findings: Sequence[Finding]) -> bool:
        """Under *strict*: whether a unit with *findings* goes to the rejects (it has an issue of
        a validation: ``json`` or ``xsd``)."""
        return self.strict and any(f.check in VALIDATIONS for f in findings)

    @property
    def with_issues(self) -> int:
        return self.checked - self.clean

    def add(
        self, findings: Sequence[Finding], data: Any, source: str, index: int | None, *, rejected: bool = False
    ) -> None:
        """Count one checked unit and its *findings*; *data* (its JSON) gives the example id,
        looked up only when a row still needs an example. *rejected*: the unit was checked and
        then sent to the rejects by --strict-valid (it is counted all the same, and once more in
        ``rejected_invalid``)."""
        self.checked += 1
        if rejected:
            self.rejected_invalid += 1
        if not findings:
            self.clean += 1
            return
        if all(f.benign for f in findings):  # only the converter's own relaxations: clean
            self.clean += 1
            self.clean_relaxed += 1
        per_check: dict[str, int] = {}
        per_cat: dict[str, int] = {}
        per_code: dict[tuple[str, str], int] = {}
        per_row: dict[Key, tuple[int, Finding]] = {}
        for f in findings:
            if f.more:  # issues beyond the per-check cap: counted apart, in no row
                c = self.over_cap.setdefault(f.check, [0, 0])
                c[0] += f.more
                c[1] += 1
                continue
            per_check[f.check] = per_check.get(f.check, 0) + 1
            per_cat[f.category] = per_cat.get(f.category, 0) + 1
            ck = (f.check, f.issue.code)
            per_code[ck] = per_code.get(ck, 0) + 1
            key = (f.check, f.issue.code, f.path)
            n, first = per_row.get(key, (0, f))
            per_row[key] = (n + 1, first)
        for d, src in ((self.by_check, per_check), (self.by_category, per_cat)):
            for k, n in src.items():
                c = d.setdefault(k, [0, 0])
                c[0] += n
                c[1] += 1
        for ck, n in per_code.items():
            c = self.by_code.setdefault(ck, [0, 0])
            c[0] += n
            c[1] += 1
        ident: list[str | None] = []
        for key, (n, first) in per_row.items():
            row = self.rows.get(key)
            if row is None:
                if len(self.rows) >= MAX_ROWS:
                    self._omit(key)
                    continue
                row = self.rows[key] = Row(first.category, message=first.issue.message)
            row.issues += n
            row.records += 1
            if len(row.examples) < MAX_EXAMPLES:
                if not ident:
                    ident.append(record_id(data))
                row.examples.append({"id": ident[0], "source": source, "index": index})

    def _omit(self, key: Key) -> None:
        if key in self.omitted:
            return
        if len(self.omitted) < MAX_OMITTED_KEYS:
            self.omitted.add(key)
        else:
            self.omitted_extra += 1

    def merge(self, other: QualityCounter) -> None:
        """Add *other*'s counts (a later task: its examples come after this one's)."""
        self.checked += other.checked
        self.clean += other.clean
        self.rejected_invalid += other.rejected_invalid
        self.documents_cut += other.documents_cut
        self.clean_relaxed += other.clean_relaxed
        for mine, theirs in (
            (self.by_check, other.by_check),
            (self.by_category, other.by_category),
            (self.over_cap, other.over_cap),
        ):
            for k, (i, r) in theirs.items():
                c = mine.setdefault(k, [0, 0])
                c[0] += i
                c[1] += r
        for ck, (i, r) in other.by_code.items():
            c = self.by_code.setdefault(ck, [0, 0])
            c[0] += i
            c[1] += r
        for key, row in other.rows.items():
            mine_row = self.rows.get(key)
            if mine_row is None:
                if len(self.rows) >= MAX_ROWS:
                    self._omit(key)
                    continue
                mine_row = self.rows[key] = Row(row.category, message=row.message)
            mine_row.issues += row.issues
            mine_row.records += row.records
            room = MAX_EXAMPLES - len(mine_row.examples)
            if room > 0:
                mine_row.examples.extend(row.examples[:room])
        for key in other.omitted:
            if key not in self.rows:
                self._omit(key)
        self.omitted_extra += other.omitted_extra

    # -- kept in the manifest entry ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """A JSON form (kept in the task's manifest entry; :meth:`from_dict` reads it back)."""
        return {
            "checked": self.checked,
            "clean": self.clean,
            "byCheck": self.by_check,
            "byCategory": self.by_category,
            "byCode": [[c, k, i, r] for (c, k), (i, r) in self.by_code.items()],
            "rows": [
                [c, k, p, row.category, row.issues, row.records, row.message, row.examples]
                for (c, k, p), row in self.rows.items()
            ],
            "omitted": [list(k) for k in sorted(self.omitted)],
            "omittedExtra": self.omitted_extra,
            "rejectedInvalid": self.rejected_invalid,
            "documentsCut": self.documents_cut,
            "cleanRelaxed": self.clean_relaxed,
            "overCap": self.over_cap,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> QualityCounter:
        q = cls(checked=d.get("checked", 0), clean=d.get("clean", 0))
        q.by_check = {k: list(v) for k, v in d.get("byCheck", {}).items()}
        q.by_category = {k: list(v) for k, v in d.get("byCategory", {}).items()}
        q.by_code = {(c, k): [i, r] for c, k, i, r in d.get("byCode", [])}
        q.rows = {(c, k, p): Row(cat, i, r, msg, list(ex)) for c, k, p, cat, i, r, msg, ex in d.get("rows", [])}
        q.omitted = {(c, k, p) for c, k, p in d.get("omitted", [])}
        q.omitted_extra = d.get("omittedExtra", 0)
        q.rejected_invalid = d.get("rejectedInvalid", 0)
        q.documents_cut = d.get("documentsCut", 0)
        q.clean_relaxed = d.get("cleanRelaxed", 0)
        q.over_cap = {k: list(v) for k, v in d.get("overCap", {}).items()}
        return q


def merged(counters: Iterable[QualityCounter | dict[str, Any] | None]) -> QualityCounter:
    """The counters (or their :meth:`~QualityCounter.to_dict` forms) added up, in order."""
    total = QualityCounter()
    for c in counters:
        if c is None:
            continue
        total.merge(c if isinstance(c, QualityCounter) else QualityCounter.from_dict(c))
    return total


def _share(records: int, checked: int) -> float:
    return round(records / checked, 4) if checked else 0


def report(
    q: QualityCounter,
    *,
    out_dir: str,
    inputs: Sequence[str],
    unit: str,
    checks: Sequence[str],
    json_backend: str | None,
    rejected: int,
    generated: datetime | None = None,
) -> dict[str, Any]:
    """The quality.json object (docs/bulk.md, "Checking data quality") for the merged counter."""
    when = (generated or datetime.now(UTC)).astimezone(UTC)
    n = q.checked
    by_check: list[dict[str, Any]] = []
    for c in QUALITY_CHECKS:
        if c in checks:
            i, r = q.by_check.get(c, [0, 0])
            over = q.over_cap.get(c, [0, 0])[0]
            by_check.append({"check": c, "issues": i, "records": r, "share": _share(r, n), "issuesOverCap": over})
    by_category = [
        {"category": k, "issues": i, "records": r, "share": _share(r, n)}
        for k, (i, r) in sorted(q.by_category.items(), key=lambda kv: (-kv[1][1], kv[0]))
    ]
    by_code = [
        {"check": c, "code": k, "issues": i, "records": r, "share": _share(r, n)}
        for (c, k), (i, r) in sorted(q.by_code.items(), key=lambda kv: (-kv[1][1], kv[0][0], kv[0][1]))
    ]
    ordered = sorted(q.rows.items(), key=lambda kv: (-kv[1].records, kv[0][0], kv[0][2], kv[0][1]))
    by_path = [
        {
            "check": c,
            "code": k,
            "category": row.category,
            "path": p,
            "issues": row.issues,
            "records": row.records,
            "share": _share(row.records, n),
            "message": row.message,
            "examples": row.examples[:MAX_EXAMPLES],
        }
        for (c, k, p), row in ordered[:MAX_LISTED]
    ]
    omitted = max(0, len(ordered) - MAX_LISTED) + len(q.omitted - q.rows.keys()) + q.omitted_extra
    return {
        "format": FORMAT,
        "generated": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "outDir": out_dir,
        "inputs": list(inputs),
        "unit": unit,
        "checks": [c for c in QUALITY_CHECKS if c in checks],
        "jsonBackend": json_backend,
        "checked": n,
        "clean": q.clean,
        "cleanWithRelaxations": q.clean_relaxed,
        "withIssues": q.with_issues,
        "rejected": rejected,
        "rejectedInvalid": q.rejected_invalid,
        "documentsCut": q.documents_cut,
        "byCheck": by_check,
        "byCategory": by_category,
        "byCode": by_code,
        "byPath": by_path,
        "omittedPaths": omitted,
    }


def write_quality(out_dir: str | os.PathLike[str], q: dict[str, Any], *, durable: bool = False) -> Path:
    """Write the report *q* (:func:`report`) to ``OUTDIR/quality.json`` and the same report as a
    web page to ``OUTDIR/quality.html`` (:func:`.report.write_html`), each atomically; returns the
    path of quality.json. The one place the outputs of the quality report are written."""
    path = Path(out_dir) / QUALITY
    atomic_write(path, dumps_json(q, pretty=True) + b"\n", durable=durable)
    write_html(path.parent, q, durable=durable)
    return path


def summary_part(q: dict[str, Any], path: Path) -> dict[str, Any]:
    """The short ``quality`` part of summary.json / :class:`~.engine.BulkSummary`."""
    return {
        "checks": q["checks"],
        "checked": q["checked"],
        "clean": q["clean"],
        "withIssues": q["withIssues"],
        "rejectedInvalid": q["rejectedInvalid"],
        "documentsCut": q["documentsCut"],
        "report": str(path),
    }


__all__ = [
    "FORMAT",
    "QUALITY",
    "QUALITY_HTML",
    "QualityCounter",
    "merged",
    "report",
    "summary_part",
    "write_quality",
]

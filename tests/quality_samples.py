"""Quality reports (``quality.json`` dicts, format ``xml2json-quality/1``) for the tests of the
report's rendering, built the way the contract defines them: from a list of checked units and
their issues, aggregated here (counts, distinct units, shares, sort orders, the cap on byPath,
the first three examples in input order). Nothing in them is typed in as a total."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

CHECK_ORDER = ("convert", "json", "xsd", "roundtrip")


@dataclass(frozen=True)
class Found:
    """One issue of one unit."""

    check: str
    code: str
    category: str
    path: str
    message: str
    benign: bool = False  # a relaxation that leaves its unit clean


@dataclass
class Unit:
    """One checked unit: where it came from, its id (or None) and its issues."""

    source: str
    index: int | None
    id: str | None
    issues: list[Found] = field(default_factory=list)
    rejected: bool = False  # checked, then rejected by --strict-valid
    over_cap: dict[str, int] = field(default_factory=dict)  # check → issues beyond the cap, in no row


def _share(records: int, checked: int) -> float:
    return round(records / checked, 4) if checked else 0


def build_quality(
    units: Sequence[Unit],
    *,
    rejected: int = 0,
    checks: Sequence[str] = CHECK_ORDER,
    unit: str = "record",
    backend: str | None = "jsonschema-rs",
    inputs: Sequence[str] = ("bag.xml",),
    out_dir: str = "/data/out",
    cap: int = 500,
    generated: str = "2026-12-01T20:30:00Z",
    documents_cut: int = 0,
) -> dict[str, Any]:
    """*rejected*: units rejected without being checked (the units flagged ``rejected`` are
    added to it)."""
    checked = len(units)
    invalid = sum(1 for u in units if u.rejected)
    clean = sum(1 for u in units if all(f.benign for f in u.issues))
    relaxed = sum(1 for u in units if u.issues and all(f.benign for f in u.issues))

    def rows(key: Any) -> dict[Any, dict[str, Any]]:
        acc: dict[Any, dict[str, Any]] = {}
        for n, u in enumerate(units):
            for f in u.issues:
                k = key(f)
                row = acc.setdefault(k, {"issues": 0, "units": set(), "first": f, "examples": []})
                row["issues"] += 1
                if n not in row["units"]:
                    row["units"].add(n)
                    if len(row["examples"]) < 3:
                        row["examples"].append({"id": u.id, "source": u.source, "index": u.index})
        return acc

    def counts(r: dict[str, Any]) -> dict[str, Any]:
        n = len(r["units"])
        return {"issues": r["issues"], "records": n, "share": _share(n, checked)}

    per_check = rows(lambda f: f.check)
    by_check = [
        {
            "check": c,
            **(counts(per_check[c]) if c in per_check else {"issues": 0, "records": 0, "share": 0}),
            "issuesOverCap": sum(u.over_cap.get(c, 0) for u in units),
        }
        for c in checks
    ]
    by_category = sorted(
        ({"category": k, **counts(r)} for k, r in rows(lambda f: f.category).items()),
        key=lambda r: (-r["records"], r["category"]),
    )
    by_code = sorted(
        ({"check": k[0], "code": k[1], **counts(r)} for k, r in rows(lambda f: (f.check, f.code)).items()),
        key=lambda r: (-r["records"], r["check"], r["code"]),
    )
    by_path = sorted(
        (
            {
                "check": k[0],
                "code": k[1],
                "category": r["first"].category,
                "path": k[2],
                **counts(r),
                "message": r["first"].message[:300],
                "examples": r["examples"],
            }
            for k, r in rows(lambda f: (f.check, f.code, f.path)).items()
        ),
        key=lambda r: (-r["records"], r["check"], r["path"], r["code"]),
    )
    return {
        "format": "xml2json-quality/1",
        "generated": generated,
        "outDir": out_dir,
        "inputs": list(inputs),
        "unit": unit,
        "checks": list(checks),
        "jsonBackend": backend if "json" in checks else None,
        "checked": checked,
        "clean": clean,
        "cleanWithRelaxations": relaxed,
        "withIssues": checked - clean,
        "rejected": rejected + invalid,
        "rejectedInvalid": invalid,
        "documentsCut": documents_cut,
        "byCheck": by_check,
        "byCategory": by_category,
        "byCode": by_code,
        "byPath": by_path[:cap],
        "omittedPaths": max(0, len(by_path) - cap),
    }


# -- samples ----------------------------------------------------------------------------------------

_TSDR_PATHS = [
    (
        "convert",
        "unknown-element",
        "unknown-element",
        "/tmk:Trademark/ns3:FiledAsReducedFeeApplicationIndicator",
        "element {urn:us:gov:doc:uspto:trademark}FiledAsReducedFeeApplicationIndicator is not in the ST.96 V6_0 schema",
    ),
    (
        "convert",
        "unknown-element",
        "unknown-element",
        "/tmk:Trademark/tmk:MarkEventBag/tmk:MarkEvent/ns3:EventCode",
        "element {urn:us:gov:doc:uspto:trademark}EventCode is not in the ST.96 V6_0 schema",
    ),
    (
        "json",
        "json-schema-invalid",
        "missing-required",
        "/trademark/markRepresentation",
        "'markReproduction' is a required property",
    ),
    (
        "json",
        "json-schema-invalid",
        "pattern",
        "/trademark/applicationNumber/applicationNumberText",
        "'87-123 456' does not match '^[0-9]{8}$'",
    ),
    (
        "json",
        "json-schema-invalid",
        "enumeration",
        "/trademark/markCurrentStatusCategory",
        "'Abandoned - Express' is not one of ['Registered', 'Pending', …]",
    ),
    (
        "xsd",
        "xsd-invalid",
        "missing-required",
        "/tmk:Trademark/tmk:MarkRepresentation/tmk:MarkReproduction",
        "Element '{http://www.wipo.int/standards/XMLSchema/ST96/Trademark}MarkRepresentation': "
        "Missing child element(s).",
    ),
    (
        "xsd",
        "xsd-invalid",
        "unexpected-element",
        "/tmk:Trademark/ns3:FiledAsReducedFeeApplicationIndicator",
        "Element 'ns3:FiledAsReducedFeeApplicationIndicator': This element is not expected.",
    ),
    (
        "xsd",
        "xsd-invalid",
        "type",
        "/tmk:Trademark/tmk:ApplicationDate",
        "'2019-02-30' is not a valid value of the atomic type 'xs:date'.",
    ),
    (
        "xsd",
        "xsd-invalid",
        "length",
        "/tmk:Trademark/tmk:GoodsServicesBag/tmk:GoodsServices/tmk:ClassDescriptionBag",
        "Element 'tmk:ClassDescription': Missing child element(s); maxOccurs exceeded",
    ),
    (
        "xsd",
        "xsd-invalid",
        "wrong-version",
        "/tmk:Trademark/com:st96Version",
        "the document declares no com:st96Version; V6_0 was assumed",
    ),
    (
        "roundtrip",
        "roundtrip-difference",
        "roundtrip-difference",
        "/tmk:Trademark/tmk:MarkEventBag/tmk:MarkEvent",
        "element order differs after the way back",
    ),
    (
        "roundtrip",
        "roundtrip-relaxation",
        "roundtrip-relaxation",
        "/tmk:Trademark/com:Contact/com:Name",
        "equal up to choice interleaving",
    ),
]


def tsdr_like(n: int = 240, seed: int = 15) -> dict[str, Any]:
    """A records-mode run over a USPTO-like bag: most records have several issues, a few none."""
    rng = random.Random(seed)
    units = []
    for i in range(n):
        issues = []
        for check, code, cat, path, msg in _TSDR_PATHS:
            if rng.random() < 0.35:
                issues += [Found(check, code, cat, path, msg)] * rng.randint(1, 3)
        rid = f"ApplicationNumberText {87000000 + i}" if rng.random() < 0.8 else None
        units.append(Unit(f"tsdr/{i // 100:03d}.zip!sn{87000000 + i}.xml", i % 100, rid, issues))
    return build_quality(units, rejected=7, inputs=["tsdr/", "extra.xml.gz"], out_dir="/data/out/tsdr-2026")


def documents_xsd_only(n: int = 1234, seed: int = 7) -> dict[str, Any]:
    """A document-mode run with the XSD check only (no JSON backend): thousands separators, no index."""
    rng = random.Random(seed)
    units = []
    for i in range(n):
        issues = [Found(*t) for t in _TSDR_PATHS if t[0] in ("convert", "xsd") and rng.random() < 0.02]
        units.append(Unit(f"week/{i:05d}.xml", None, None if i % 3 else f"RegistrationNumber {1000 + i}", issues))
    # many units each with a path of their own: a long tail
    for k in range(40):
        units[k].issues.append(Found("xsd", "xsd-invalid", "pattern", f"/tmk:Trademark/tmk:X{k}", "pattern"))
    return build_quality(units, checks=["convert", "xsd"], unit="document", rejected=0, inputs=["week/"])


def strict_cut(n: int = 150, seed: int = 3) -> dict[str, Any]:
    """A records-mode run with --strict-valid (the units with a json or xsd issue were checked,
    then rejected) over documents of which two broke part-way."""
    rng = random.Random(seed)
    units = []
    for i in range(n):
        issues = [Found(*t) for t in _TSDR_PATHS if rng.random() < 0.1]
        bad = any(f.check in ("json", "xsd") for f in issues)
        if i % 7 == 0:  # the converter's own relaxation: listed, the unit stays clean if it has no other
            issues.append(Found(*_TSDR_PATHS[-1], benign=True))
        units.append(Unit(f"bag{i // 50}.xml", i % 50, f"ApplicationNumberText {i}", issues, rejected=bad))
    return build_quality(units, rejected=2, inputs=["bag0.xml", "bag1.xml", "bag2.xml"], documents_cut=2)


def capped(paths: int = 540) -> dict[str, Any]:
    """More distinct (check, code, path) rows than the cap: ``omittedPaths`` > 0."""
    units = [
        Unit(
            "big.xml",
            i,
            f"ApplicationNumberText {i}",
            [Found("json", "json-schema-invalid", "type", f"/trademark/x{i}", "m")],
        )
        for i in range(paths)
    ]
    for u in units[:30]:  # a few paths that affect many records, so the listed rows differ in count
        u.issues.append(Found("convert", "unknown-element", "unknown-element", "/tmk:Trademark/ns3:A", "unknown"))
    for k, u in enumerate(units[:3]):  # a few records with more json issues than are listed
        u.over_cap["json"] = 1000 * k + 17
    return build_quality(units, checks=["convert", "json"], inputs=["big.xml"])


def empty(rejected: int = 0) -> dict[str, Any]:
    """Nothing checked (an empty input, or every record rejected)."""
    return build_quality([], rejected=rejected, checks=["convert", "json", "xsd"], inputs=["empty.xml"])


HOSTILE = [
    '<script>alert("path")</script>',
    "</td></tr></table><img src=x onerror=alert(1)>",
    '"\' onmouseover="alert(2)" x=\'',
    "&amp; &lt;b&gt; <b>bold</b> & < >",
    "bell\x07 nul\x00 cr\r end",
    "line one\nline two\ttab",
    "lone \ud800 surrogate",
    "/tmk:" + "VeryLongElementNameWithoutAnyBreak" * 12,
]


def hostile() -> dict[str, Any]:
    """Every string the data can carry (paths, messages, ids, sources, inputs, the folder) holds
    markup, quotes, control characters or an unbreakable run of text."""
    units = []
    for i, s in enumerate(HOSTILE):
        units.append(
            Unit(
                source=f"in/{s}.xml",
                index=i,
                id=f"ApplicationNumberText {s}",
                issues=[
                    Found("xsd", "xsd-invalid", "other", f"/tmk:Trademark/{s}", f"message {s} <script>x()</script>")
                ],
            )
        )
    units.append(Unit("in/clean.xml", 99, None))
    return build_quality(
        units,
        checks=["convert", "xsd"],
        unit='record"><i>',  # not a unit the contract has: the page must hold whatever it is given
        inputs=[*HOSTILE[:3], "ok.xml"],
        out_dir='/tmp/<script>alert("dir")</script>',
        generated="2026-12-01T20:30:00Z<b>",
    )


def samples() -> Iterable[tuple[str, dict[str, Any]]]:
    yield "tsdr-like", tsdr_like()
    yield "documents-xsd", documents_xsd_only()
    yield "strict-cut", strict_cut()
    yield "capped", capped()
    yield "empty", empty()
    yield "all-rejected", empty(rejected=4)
    yield "hostile", hostile()

#!/usr/bin/env python
"""Validate the hand-written ST.96 V6_0 fixtures against the official WIPO schemas.

Checks every ``tests/cases/*/input.xml`` and ``xml2json/examples/*.xml``. The document
schema is chosen from the root element's local name (``<Root>_V6_0.xsd``) inside
``$XML2JSON_SHARED/st96/V6_0_Flattened`` (default ``<repo>/../shared``).

A case with an ``expected-warnings.json`` holds elements the schema does not know on purpose:
the elements at the paths of its ``unknown-element`` warnings are taken out before validating.

Usage: python tests/cases/validate_cases.py
Prints OK/FAIL per file; the exit status is non-zero if any file fails.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[2]


def schema_dir() -> Path:
    shared = Path(os.environ.get("XML2JSON_SHARED", REPO.parent / "shared"))
    return shared / "st96" / "V6_0_Flattened"


def fixture_files() -> list[Path]:
    files = sorted((REPO / "tests" / "cases").glob("*/input.xml"))
    files += sorted((REPO / "xml2json" / "examples").glob("*.xml"))
    return files


def _path(el: etree._Element) -> str:
    parts = []
    while el is not None:
        parts.append(f"{el.prefix}:{etree.QName(el).localname}" if el.prefix else etree.QName(el).localname)
        el = el.getparent()
    return "/" + "/".join(reversed(parts))


def without_unknown(doc: etree._ElementTree, path: Path) -> etree._ElementTree:
    """*doc* without the elements its case lists as unknown (``expected-warnings.json``)."""
    listed = path.parent / "expected-warnings.json"
    if not listed.is_file():
        return doc
    paths = {p for code, p in json.loads(listed.read_text()) if code == "unknown-element"}
    for el in [e for e in doc.iter() if isinstance(e.tag, str) and _path(e) in paths]:
        el.getparent().remove(el)
    return doc


def main() -> int:
    xsd_dir = schema_dir()
    if not xsd_dir.is_dir():
        print(f"FAIL: schema folder not found: {xsd_dir} (set XML2JSON_SHARED)")
        return 2
    schemas: dict[str, etree.XMLSchema] = {}
    failures = 0
    files = fixture_files()
    for path in files:
        rel = path.relative_to(REPO)
        try:
            doc = without_unknown(etree.parse(str(path)), path)
        except etree.XMLSyntaxError as exc:
            print(f"FAIL {rel}: not well-formed: {exc}")
            failures += 1
            continue
        root_name = etree.QName(doc.getroot()).localname
        xsd = xsd_dir / f"{root_name}_V6_0.xsd"
        if not xsd.is_file():
            print(f"FAIL {rel}: no document schema {xsd.name}")
            failures += 1
            continue
        if root_name not in schemas:
            schemas[root_name] = etree.XMLSchema(etree.parse(str(xsd)))
        schema = schemas[root_name]
        if schema.validate(doc):
            print(f"OK   {rel} ({xsd.name})")
        else:
            failures += 1
            print(f"FAIL {rel} ({xsd.name})")
            for err in schema.error_log:
                print(f"     line {err.line}: {err.message}")
    if not files:
        print("FAIL: no fixture files found")
        return 1
    print(f"{len(files) - failures}/{len(files)} valid")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

"""Golden cases: tests/cases/<name>/input.xml + expected.json, each run in both directions.

Every case: XML → JSON equals expected.json; the JSON validates against the committed
JSON Schema; expected.json → XML is equal to input.xml and validates against the XSD;
JSON → XML → JSON is exact. Regenerate expected files (then review the diff!)
with ``XML2JSON_REGEN=1 python -m pytest tests/test_cases.py``.

Optional per case (written by hand, never regenerated):

* ``expected-warnings.json``: ``[[code, xml_path], …]``, the warnings the conversion must
  give (default: none). A case with warnings holds content the schema does not know: its JSON
  and XML are validated with the unknown members (``prefix:name`` keys) taken out;
* ``expected-relaxations.json``: ``[[kind, xml_path], …]``, the relaxations the XML comparison
  may need (default: none, i.e. exactly equal).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, EXAMPLE

from xml2json import Converter
from xml2json.config import Limits
from xml2json.io import dumps_json, loads_json
from xml2json.roundtrip import compare_xml
from xml2json.safe import parse_document

CASE_DIRS = sorted(p for p in CASES.iterdir() if (p / "input.xml").is_file())
LIMITS = Limits()


def _expected(case: Path, data: dict[str, Any]) -> Any:
    exp = case / "expected.json"
    if os.environ.get("XML2JSON_REGEN") == "1":
        exp.write_bytes(dumps_json(data, pretty=True) + b"\n")
    return loads_json(exp.read_bytes(), LIMITS)


def _listed(case: Path, name: str) -> list[list[str]]:
    f = case / name
    return loads_json(f.read_bytes(), LIMITS) if f.is_file() else []  # type: ignore[no-any-return]


def _known_only(v: Any) -> Any:
    """*v* without the members of content the schema does not know (``prefix:name`` keys)."""
    if isinstance(v, dict):
        return {k: _known_only(x) for k, x in v.items() if ":" not in k}
    if isinstance(v, list):
        return [_known_only(x) for x in v]
    return v


@pytest.mark.parametrize("case", CASE_DIRS, ids=[p.name for p in CASE_DIRS])
def test_golden_case(case: Path, validators: Any) -> None:
    conv = Converter()
    xml = (case / "input.xml").read_bytes()
    result = conv.xml_to_json(xml)
    warnings = _listed(case, "expected-warnings.json")
    assert [[w.code, w.xml_path] for w in result.warnings] == warnings
    # exact expected JSON (compared after a JSON round trip: Decimal values stay exact)
    got = loads_json(dumps_json(result.data), LIMITS)
    assert got == _expected(case, result.data)
    # JSON validates against the committed schema (without what the schema does not know)
    known = _known_only(got) if warnings else got
    assert validators.check_json(known, result.version, result.document) == []
    # expected.json → XML: equal to the input (with the listed relaxations only), and XSD-valid
    out = conv.json_to_xml(_expected(case, result.data))
    root_in = parse_document(xml, LIMITS)
    root_out = parse_document(out.xml, LIMITS)
    plan = conv.registry.plan(result.version)
    comparison = compare_xml(plan, root_in, root_out)
    assert comparison.difference is None
    assert [[r.kind, r.xml_path] for r in comparison.relaxations] == _listed(case, "expected-relaxations.json")
    root_valid = parse_document(conv.json_to_xml(known).xml, LIMITS) if warnings else root_out
    assert validators.check_xml(root_valid, result.version, result.document) == []
    # JSON → XML → JSON is exact
    assert loads_json(dumps_json(conv.xml_to_json(out.xml).data), LIMITS) == got


def test_every_case_has_expected_output() -> None:
    missing = [p.name for p in CASE_DIRS if not (p / "expected.json").is_file()]
    assert not missing
    assert len(CASE_DIRS) >= 12


def test_builtin_example_converts_cleanly(validators: Any) -> None:
    result = Converter().xml_to_json(EXAMPLE.read_bytes())
    assert result.document == "TrademarkApplication"
    assert result.warnings == ()
    assert validators.check_json(result.data, "V6_0", "TrademarkApplication") == []

"""xml2json.fastvalidate gives the reference validator's verdicts and issues, on every document.

The corpus: the golden cases, the built-in example and (with ../shared) the WIPO examples and
the real USPTO documents (invalid against V6_0), each converted to JSON; then deliberately
broken variants of each (a member dropped or added, wrong JSON types, strings outside their
pattern or enumeration, astral-plane characters, a final newline, arrays emptied, numbers out
of range), and the edge cases where jsonschema-rs and jsonschema differ by design: integral
Decimals where an integer is expected, lone surrogates, non-string keys, big integers, NaN.
For each: ``FastValidators.is_valid`` equals the reference's ``is_valid`` and
``FastValidators.check_json`` equals the reference's ``check_json``.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, EXAMPLE, USPTO, WIPO_V6, shared_available

from xml2json import Converter
from xml2json.config import Limits
from xml2json.fastvalidate import FastChecker, available, plain_json, rust_pattern
from xml2json.io import dumps_json, loads_json
from xml2json.registry import Registry
from xml2json.validate import Validators

LIMITS = Limits()
VERSION = "V6_0"

needs_rs = pytest.mark.skipif(not available(), reason="jsonschema-rs is not installed (pip install jsonschema-rs)")


@pytest.fixture(scope="module")
def reference() -> Validators:
    return Validators(registry=Registry(cache=Path("/nonexistent-xml2json-cache")), fast=False)  # jsonschema alone


@pytest.fixture(scope="module")
def fast(reference: Validators) -> Validators:
    return Validators(registry=reference.registry)  # jsonschema-rs asked first


def _sources() -> list[Path]:
    files = [*sorted(CASES.glob("*/input.xml")), EXAMPLE]
    if shared_available():
        files += sorted(WIPO_V6.glob("*.xml")) + sorted(USPTO.glob("*-ST96.xml"))
    return files


@pytest.fixture(scope="module")
def documents() -> list[tuple[str, Any]]:
    conv = Converter()
    out = []
    for path in _sources():
        r = conv.xml_to_json(path)
        out.append((r.document, loads_json(dumps_json(r.data), LIMITS)))
    return out


# -- deliberately invalid variants ------------------------------------------------------------


def _walk(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))


def _replace(doc: Any, path: tuple[Any, ...], new: Any) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = new
    return doc


def _drop(doc: Any, path: tuple[Any, ...]) -> Any:
    doc = copy.deepcopy(doc)
    target = doc
    for p in path[:-1]:
        target = target[p]
    del target[path[-1]]
    return doc


STRING_EDITS = [
    lambda s: s + "\n",  # `$` before a final newline: Python's re accepts, Rust's regex does not
    lambda s: "\U0001d11e" + s,
    lambda s: s + "\ud800",  # a lone surrogate
    lambda s: "",
    lambda s: s * 40,
    lambda s: "9999-99-99",
    lambda s: "not one of the codes",
    lambda s: s.upper(),
]
NUMBERS = [
    Decimal("-1"),
    Decimal("5.0"),
    Decimal("1E+3"),
    Decimal("0.5"),
    2**70,
    float("nan"),
    Decimal("12345678901234567890.123456789"),
    0,
    -1,
    1.0,
    True,
]


def _variants(doc: Any, rnd: random.Random, n: int) -> list[Any]:
    nodes = list(_walk(doc))[1:]
    strings = [(p, v) for p, v in nodes if isinstance(v, str)]
    numbers = [p for p, v in nodes if isinstance(v, (int, Decimal)) and not isinstance(v, bool)]
    objects = [p for p, v in nodes if isinstance(v, dict)]
    out = []
    for _ in range(n):
        op = rnd.randrange(7)
        path, value = rnd.choice(nodes)
        if op == 0:
            out.append(_drop(doc, path))
        elif op == 1 and objects:
            p = rnd.choice(objects)
            out.append(_replace(doc, (*p, rnd.choice(["bogusMember", "ns:extra", "$qname"])), "x"))
        elif op == 2 and strings:
            p, v = rnd.choice(strings)
            out.append(_replace(doc, p, rnd.choice(STRING_EDITS)(v)))
        elif op == 3 and numbers:
            out.append(_replace(doc, rnd.choice(numbers), rnd.choice(NUMBERS)))
        elif op == 4:
            wrong = {str: 1, bool: "true", int: "1", Decimal: "1.5", list: {}, dict: []}.get(type(value))
            out.append(_replace(doc, path, wrong))
        elif op == 5 and isinstance(value, list):
            out.append(_replace(doc, path, []))
        else:
            out.append(_replace(doc, path, [value, value]))
    return out


def _integers_as_decimals(doc: Any, limit: int = 12) -> list[Any]:
    """The first *limit* int members turned, one at a time, into the Decimal a JSON ``5.0``
    (or ``5E+0``) parses to."""
    out: list[Any] = []
    for path, v in _walk(doc):
        if len(out) >= 2 * limit:
            break
        if path and isinstance(v, int) and not isinstance(v, bool):
            out.append(_replace(doc, path, Decimal(f"{v}.0")))
            out.append(_replace(doc, path, Decimal(f"{v}E+0")))
    return out


def _assert_same(fast: Validators, reference: Validators, name: str, value: Any) -> bool:
    expected = reference.json_schema(VERSION, name).is_valid(value)
    assert fast.is_valid(value, VERSION, name) is expected
    assert fast.check_json(value, VERSION, name) == reference.check_json(value, VERSION, name)
    return expected


# -- tests ------------------------------------------------------------------------------------------


@needs_rs
def test_every_committed_schema_compiles(fast: Validators, reference: Validators) -> None:
    folder = reference.registry.schema_path(VERSION, "TrademarkApplication").parent
    names = [p.stem for p in sorted(folder.glob("*.json"))]
    assert len(names) == 28
    assert fast.fast_checker is not None
    assert all(fast.fast_checker.validator(VERSION, n) is not None for n in names)


@needs_rs
def test_same_verdicts_on_converted_documents(
    fast: Validators, reference: Validators, documents: list[tuple[str, Any]]
) -> None:
    verdicts = [_assert_same(fast, reference, n, v) for n, v in documents]
    assert any(verdicts)
    if shared_available():
        assert not all(verdicts)  # the USPTO documents are not valid ST.96 V6_0


@pytest.mark.slow  # the reference validator on hundreds of variants
@needs_rs
def test_same_verdicts_on_broken_documents(
    fast: Validators, reference: Validators, documents: list[tuple[str, Any]]
) -> None:
    rnd = random.Random(20240507)
    verdicts = []
    for name, doc in documents:
        for v in _variants(doc, rnd, 15):
            verdicts.append(_assert_same(fast, reference, name, v))
    assert verdicts.count(False) > len(verdicts) // 2
    assert True in verdicts


@pytest.mark.slow  # the reference validator on hundreds of variants
@needs_rs
def test_integral_decimals_where_integers_are_expected(
    fast: Validators, reference: Validators, documents: list[tuple[str, Any]]
) -> None:
    # jsonschema-rs alone says 5.0 is an integer; the reference says a Decimal never is.
    import jsonschema_rs

    checked = raw_differs = 0
    raw: dict[str, Any] = {}
    for name, doc in documents:
        for v in _integers_as_decimals(doc):
            expected = _assert_same(fast, reference, name, v)
            if name not in raw:
                raw[name] = jsonschema_rs.validator_for(fast_schema_without_keyword(fast, name))
            raw_differs += raw[name].is_valid(v) != expected
            checked += 1
    assert checked > 0
    assert raw_differs > 0  # the custom integer keyword is what makes the verdicts agree


def fast_schema_without_keyword(fast: Validators, name: str) -> Any:
    from xml2json.fastvalidate import _rust_schema

    return _rust_schema(fast.registry.schema(VERSION, name))


@needs_rs
def test_final_newline_in_a_date(fast: Validators, reference: Validators) -> None:
    # Python's `$` matches before a final newline, ECMA-262's and Rust's do not: the generated
    # patterns end in `$(?!\n)`, so that jsonschema, jsonschema-rs and the fast path all refuse
    # a date with a final newline.
    import jsonschema_rs

    doc = loads_json(dumps_json(Converter().xml_to_json(EXAMPLE).data), LIMITS)
    dates = [p for p, v in _walk(doc) if isinstance(v, str) and len(v) == 10 and v[4] == "-" and v[7] == "-"]
    assert dates
    name = "TrademarkApplication"
    raw = jsonschema_rs.validator_for(fast_schema_without_keyword(fast, name))
    for p in dates:
        v = _replace(doc, p, _get(doc, p) + "\n")
        assert _assert_same(fast, reference, name, v) is False, p
        assert raw.is_valid(v) is False, p


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


@needs_rs
@pytest.mark.parametrize(
    "odd",
    [
        {1: "non-string key"},
        {"bigInteger": 2**80},
        {"lone": "\udc00"},
        {"nan": float("inf")},
    ],
)
def test_non_json_values_go_to_the_reference(
    fast: Validators, reference: Validators, documents: list[tuple[str, Any]], odd: dict[Any, Any]
) -> None:
    name, doc = documents[0]
    ((root, body),) = doc.items()
    value = {root: {**body, **odd}} if isinstance(body, dict) else doc
    _assert_same(fast, reference, name, value)


@needs_rs
def test_fast_checker_says_valid_only_where_the_reference_does(
    reference: Validators, documents: list[tuple[str, Any]]
) -> None:
    # FastChecker.valid never says "valid" where the reference would not (and knows no reference).
    checker = FastChecker(reference.registry)
    said_valid = 0
    for name, doc in documents:
        if checker.valid(doc, VERSION, name):
            said_valid += 1
            assert reference.check_json(doc, VERSION, name) == []
    assert said_valid > 0


def test_plain_json_scan() -> None:
    assert plain_json({"a": [1, "x", Decimal("1.5"), None, True]})
    assert not plain_json({"a": "\ud800"})
    assert not plain_json({1: "x"})
    assert not plain_json({"a": 2**70})
    assert not plain_json({"a": {1, 2}})


def test_rust_pattern_clips_surrogates() -> None:
    assert rust_pattern(r"^[^\u0000-@\uD800-\uF8FF]$") == r"^[^\u0000-@\uE000-\uF8FF]$"
    assert rust_pattern(r"^[\u0041-\uDFFF]$") == r"^[\u0041-\uD7FF]$"
    assert rust_pattern(r"^[\uD800-\uDFFF]$") is None  # would leave an empty class
    assert rust_pattern(r"^\uD800$") is None
    assert rust_pattern(r"^[a-z]+$") == r"^[a-z]+$"


def test_without_jsonschema_rs_the_reference_decides(
    reference: Validators, documents: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import xml2json.fastvalidate as fv

    monkeypatch.setattr(fv, "_rs", None)
    fast = Validators(registry=reference.registry)
    assert fast.fast_checker is not None
    for name, doc in documents[:3]:
        assert fast.fast_checker.validator(VERSION, name) is None
        _assert_same(fast, reference, name, doc)


def test_validators_take_the_fast_path_only_for_valid_documents(documents: list[tuple[str, Any]]) -> None:
    """``Validators.check_json`` (fast by default) gives the reference's issue lists: jsonschema-rs
    may only confirm validity, never write issues."""
    if not available():
        pytest.skip("jsonschema-rs is not installed (pip install 'xml2json[fast]')")
    registry = Registry(cache=Path("/nonexistent-xml2json-cache"))
    fast, slow = Validators(registry=registry), Validators(registry=registry, fast=False)
    name, doc = documents[0]
    assert fast.check_json(doc, VERSION, name) == slow.check_json(doc, VERSION, name) == []
    broken = copy.deepcopy(doc)
    root = next(iter(broken))
    broken[root]["no-such-member"] = 1
    issues = fast.check_json(broken, VERSION, name)
    assert issues and issues == slow.check_json(broken, VERSION, name)

"""Atheris harness for the JSON entry points: ``loads_json`` and ``Converter.json_to_xml``.

Two modes, picked by the first input byte:

* raw — the rest of the input is JSON text, converted under one of several
  :class:`~xml2json.config.Limits`;
* structured — a golden-case document (valid ST.97) is mutated at a few places chosen
  by the input (replace a value by a random JSON value of any kind, delete a member,
  add a member with a schema name or a ``prefix:name`` key), so that the writer's
  type checks are reached far more often than by byte mutations.

Any exception that is not an :class:`xml2json.errors.Xml2JsonError` is a finding, and so
is XML output that our own parser rejects as not well-formed. Run::

    python fuzz/fuzz_json.py -max_total_time=900 [corpus_dir]
"""

from __future__ import annotations

import copy
import sys
from decimal import Decimal
from typing import Any

import atheris
from _common import json_seeds, libfuzzer_argv

with atheris.instrument_imports():
    from xml2json import Converter, Limits, Options
    from xml2json.errors import MalformedXMLError, Xml2JsonError
    from xml2json.io import loads_json
    from xml2json.safe import parse_document

_SMALL = Limits(max_document_bytes=1 << 20)
_TIGHT = Limits(max_json_depth=8, max_json_number_chars=24, max_document_bytes=1 << 20)
CONVERTERS = [
    Converter(options=Options(limits=_SMALL)),
    Converter(options=Options(limits=_TIGHT)),
    Converter(options=Options(limits=_SMALL, schema_location=True)),
]
SEEDS = [loads_json(s, _SMALL) for s in json_seeds()]
KEYS = [
    "value",
    "content",
    "$qname",
    "$attributes",
    "$text",
    "st96Version",
    "languageCode",
    "sequenceNumber",
    "x:y",
    "ns:Other",
    "com:P",
    "idrefs",
    "markStandardCharacterIndicator",
    "markSeriesTotalQuantity",
    "heightMeasure",
    "applicationNumber",
    "p",
    "b",
    "i",
    "",
]


def random_value(fdp: atheris.FuzzedDataProvider, depth: int = 0) -> Any:
    kind = fdp.ConsumeIntInRange(0, 9 if depth < 4 else 6)
    if kind == 0:
        return fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 24))
    if kind == 1:
        return fdp.ConsumeBool()
    if kind == 2:
        return fdp.ConsumeIntInRange(-(2**70), 2**70)
    if kind == 3:
        text = fdp.ConsumeUnicodeNoSurrogates(12)
        try:
            d = Decimal(text)
            return d if d.is_finite() and len(text) < 30 else Decimal("1.5")
        except ArithmeticError:
            return Decimal(fdp.ConsumeIntInRange(-999, 999)).scaleb(-fdp.ConsumeIntInRange(0, 6))
    if kind == 4:
        return None
    if kind == 5:
        return fdp.PickValueInList(KEYS)
    if kind == 6:
        return fdp.ConsumeIntInRange(0, 3)
    if kind == 7:
        return [random_value(fdp, depth + 1) for _ in range(fdp.ConsumeIntInRange(0, 3))]
    obj: dict[str, Any] = {}
    for _ in range(fdp.ConsumeIntInRange(0, 3)):
        key = fdp.PickValueInList(KEYS) if fdp.ConsumeBool() else fdp.ConsumeUnicode(6)
        obj[key] = random_value(fdp, depth + 1)
    return obj


def _places(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    if isinstance(node, dict):
        for k, v in node.items():
            out.append((node, k))
            _places(v, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.append((node, i))
            _places(v, out)
    return out


def mutate(doc: Any, fdp: atheris.FuzzedDataProvider) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(fdp.ConsumeIntInRange(1, 3)):
        places = _places(doc, [])
        if not places:
            break
        parent, key = places[fdp.ConsumeIntInRange(0, len(places) - 1)]
        op = fdp.ConsumeIntInRange(0, 3)
        if op == 0 or (op == 1 and isinstance(parent, list) and len(parent) == 1):
            parent[key] = random_value(fdp)
        elif op == 1:
            del parent[key]
        elif op == 2 and isinstance(parent, dict):
            parent[fdp.PickValueInList(KEYS)] = random_value(fdp)
        elif op == 2:
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = fdp.ConsumeUnicode(fdp.ConsumeIntInRange(0, 8))
    return doc


def one_input(data: bytes) -> None:
    if len(data) < 2:
        return
    conv = CONVERTERS[data[1] % len(CONVERTERS)]
    try:
        if data[0] % 2 == 0:
            out = conv.json_to_xml(data[2:])
        else:
            fdp = atheris.FuzzedDataProvider(data[2:])
            doc = mutate(SEEDS[fdp.ConsumeIntInRange(0, len(SEEDS) - 1)], fdp)
            out = conv.json_to_xml(doc)
    except Xml2JsonError:
        return
    try:
        parse_document(out.xml, conv.options.limits)
    except MalformedXMLError as exc:
        raise AssertionError(f"the writer produced XML that is not well-formed: {exc}") from None
    except Xml2JsonError:
        return
    try:
        conv.xml_to_json(out.xml)
    except Xml2JsonError:
        return


def main() -> None:
    argv = libfuzzer_argv(sys.argv, json_seeds(), prefix=b"\x00\x00")
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

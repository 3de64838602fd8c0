"""Atheris harness for the XML entry points: ``Converter.xml_to_json`` (lenient and strict,
under several :class:`~xml2json.config.Limits`) and the JSON → XML way back of what it produced.

Any exception that is not an :class:`xml2json.errors.Xml2JsonError` is a finding, and so is
output that orjson cannot serialise, XML from the writer that our own parser rejects, or a
prolog that the DOCTYPE gate's UTF-8 fast path passes while libxml2 sees a DOCTYPE in it, or
an element with more attributes than the byte prefilter of ``check_tree`` said possible. Run::

    python fuzz/fuzz_xml.py -max_total_time=900 -dict=fuzz/xml.dict [corpus_dir]

The first input byte picks the mode and the configuration. Raw mode: the rest of the input is
the document. Structured mode: a seed document (the example and the golden cases) is edited
at places the input chooses — attributes set, texts replaced by values that do and do not fit
their types, elements copied into other places, duplicated, removed, comments and stray text
added — so that the converter's branches are reached far more often than by byte mutations.
"""

from __future__ import annotations

import copy
import re
import sys
from typing import Any

import atheris
from _common import libfuzzer_argv, xml_seeds
from lxml import etree

with atheris.instrument_imports():
    from xml2json import Converter, Limits, Options
    from xml2json.errors import Xml2JsonError
    from xml2json.io import dumps_json
    from xml2json.safe import _may_have_many_attributes, _plain_prolog, _PrologScanner, parse_document

_SMALL = Limits(max_document_bytes=1 << 20)
_TIGHT = Limits(
    max_depth=6, max_text_bytes=40, max_document_bytes=1 << 20, max_elements_per_record=60, max_attributes=3
)
_HUGE = Limits(max_depth=300, max_text_bytes=12_000_000, max_document_bytes=1 << 20)
CONVERTERS = [
    Converter(options=Options(limits=_SMALL)),
    Converter(options=Options(limits=_SMALL, strict=True)),
    Converter(options=Options(limits=_TIGHT)),
    Converter(options=Options(limits=_HUGE)),
]


SEEDS = [etree.fromstring(s) for s in xml_seeds()]
DONORS = [el for root in SEEDS for el in root.iter() if isinstance(el.tag, str)]
ATTRS = sorted(
    {name for el in DONORS for name in el.attrib}
    | {
        "{http://www.w3.org/2001/XMLSchema-instance}nil",
        "{http://www.w3.org/2001/XMLSchema-instance}type",
        "{urn:x}other",
        "plain",
    }
)
VALUES = [
    "",
    " ",
    "true",
    "false",
    "1",
    "0",
    "-0.0",
    "+1.50",
    "1e5",
    "NaN",
    "INF",
    "9" * 30,
    "9" * 5000,
    "a b  c",
    "V6_0",
    "V9_9",
    "x" * 300,
    "<&>",
    "\t\n",
    "é中😀",
    "2021-13-45",
    "-",
    ".",
]
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(fdp: atheris.FuzzedDataProvider) -> str:
    if fdp.ConsumeBool():
        return str(fdp.PickValueInList(VALUES))
    return _NOT_XML.sub("", fdp.ConsumeUnicodeNoSurrogates(fdp.ConsumeIntInRange(0, 20)))


def mutate(fdp: atheris.FuzzedDataProvider) -> bytes:
    root = copy.deepcopy(SEEDS[fdp.ConsumeIntInRange(0, len(SEEDS) - 1)])
    for _ in range(fdp.ConsumeIntInRange(1, 6)):
        els: list[Any] = [e for e in root.iter() if isinstance(e.tag, str)]
        el = els[fdp.ConsumeIntInRange(0, len(els) - 1)]
        op = fdp.ConsumeIntInRange(0, 8)
        if op == 0:
            el.set(fdp.PickValueInList(ATTRS), _text(fdp))
        elif op == 1:
            el.text = _text(fdp)
        elif op == 2:
            el.tail = _text(fdp)
        elif op == 3:
            el.insert(fdp.ConsumeIntInRange(0, len(el)), copy.deepcopy(fdp.PickValueInList(DONORS)))
        elif op == 4 and el.getparent() is not None:
            el.getparent().remove(el)
        elif op == 5 and el.getparent() is not None:
            el.addnext(copy.deepcopy(el))
        elif op == 6:
            el.insert(fdp.ConsumeIntInRange(0, len(el)), etree.Comment(_text(fdp).replace("-", "")))
        elif op == 7:
            el.insert(fdp.ConsumeIntInRange(0, len(el)), etree.SubElement(el, "{urn:x}Other"))
        elif el.attrib:
            del el.attrib[fdp.PickValueInList(sorted(el.attrib))]
    encoding = fdp.PickValueInList(["UTF-8", "UTF-8", "UTF-16", "ISO-8859-1"])
    try:
        return bytes(etree.tostring(root, xml_declaration=True, encoding=encoding))
    except (ValueError, LookupError):
        return bytes(etree.tostring(root))


def one_input(data: bytes) -> None:
    if not data:
        return
    conv = CONVERTERS[data[0] % len(CONVERTERS)]
    if data[0] & 0x80:
        try:
            doc = mutate(atheris.FuzzedDataProvider(data[1:]))
        except ValueError:  # lxml refused a name or value: not an input we can build
            return
    else:
        doc = data[1:]
        if _plain_prolog(doc):  # the DOCTYPE fast path must agree with libxml2's own reading
            scan = _PrologScanner(_SMALL)
            try:
                scan.feed(doc)
                scan.close()
            except Xml2JsonError as exc:
                raise AssertionError(f"the fast path let a DOCTYPE through: {exc}") from None
            if not _may_have_many_attributes(doc, 3):  # the byte prefilter must never miss
                try:
                    root = etree.fromstring(doc, etree.XMLParser(resolve_entities=False, no_network=True))
                except etree.XMLSyntaxError:
                    root = None
                if root is not None and any(len(e.attrib) > 3 for e in root.iter() if isinstance(e.tag, str)):
                    raise AssertionError("the attribute prefilter missed an element with more than 3 attributes")
    try:
        result = conv.xml_to_json(doc)
    except Xml2JsonError:
        return
    dumps_json(result.data)  # a TypeError here is a finding
    try:
        out = conv.json_to_xml(result.data, document=result.document)
    except Xml2JsonError:
        return  # values kept as strings (with a warning) do not convert back: by design
    # what the writer produced must be well-formed XML for our own parser
    parse_document(out.xml, conv.options.limits)


def main() -> None:
    argv = libfuzzer_argv(sys.argv, xml_seeds(), prefix=b"\x00")
    atheris.Setup(argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

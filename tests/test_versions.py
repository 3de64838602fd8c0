"""ST.96 versions: build any bundle, register it, detect the version, diff two versions.

Only the official V6_0 bundle exists on these machines (``../shared/st96/V6_0_Flattened``).
Every other bundle used here is **DERIVED at test time** from it, in temporary folders,
and is *not* an official WIPO package:

* a **modular-layout** copy: the same files moved into ``<Domain>/`` and
  ``<Domain>/Document/`` folders (``External/`` for MathML and OASIS tables), every
  ``schemaLocation`` rewritten to the new relative path;
* a **derived "V8_0"** variant (:data:`V8_CHANGES`), made to carry exactly what WIPO's
  V8_0 example instances (``../shared/st96-samples/wipo-example-instances-V8_0``) need
  beyond V6_0:

  1. the version token ``V6_0`` → ``V8_0`` everywhere (file names, imports, the fixed
     ``com:st96Version`` value);
  2. ``com:FilingPlace`` renamed ``com:FilingPlaceName`` (declaration and references);
  3. ``gin:GIPublicationBag`` renamed ``gin:GIPublicationDataBag`` and ``gin:GIPublication``
     renamed ``gin:GIPublicationData`` (type names unchanged);
  4. a new ``gin:AuthorizedUserBag`` (a sequence of ``gin:AuthorizedUser``) replaces every
     optional repeating ``gin:AuthorizedUser`` reference.

  ``schema diff`` between V6_0 and the derived variant must report exactly these.

Compile costs: a one- or two-document bundle builds in 2–5 s; the full derived V8_0
bundle (28 documents, ~35 s) is built once per session, in the modular layout and
zipped, which also proves the modular loader on the full bundle (the diff against the
shipped V6_0 shows nothing but the changes made).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import zipfile
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
import pytest
from conftest import WIPO_V8, XSD_V6, require_shared
from lxml import etree

from xml2json.api import Converter
from xml2json.cli import main
from xml2json.compiler.load import open_bundle
from xml2json.config import Options
from xml2json.errors import BundleError, SchemaNotAvailableError
from xml2json.registry import DEFAULT_VERSION, Registry
from xml2json.safe import parse_document
from xml2json.validate import Validators
from xml2json.versions import build_bundle, diff_versions

pytestmark = pytest.mark.shared

SRC = "V6_0"  # the official bundle every variant is derived from
V8 = "V8_0"  # the derived variant's version label
_LOC = re.compile(r'schemaLocation="([^"]+)"')
_TNS = re.compile(r'targetNamespace="([^"]+)"')
DOMAINS = {
    "http://www.wipo.int/standards/XMLSchema/ST96/Common": "Common",
    "http://www.wipo.int/standards/XMLSchema/ST96/Trademark": "Trademark",
    "http://www.wipo.int/standards/XMLSchema/ST96/Patent": "Patent",
    "http://www.wipo.int/standards/XMLSchema/ST96/Design": "Design",
    "http://www.wipo.int/standards/XMLSchema/ST96/GeographicalIndication": "GeographicalIndication",
    "http://www.wipo.int/standards/XMLSchema/ST96/Copyright": "Copyright",
}

# -- deriving variant bundles (test-time only; none of these is an official package) -----------


def closure(src: Path, documents: Iterable[str], version: str = SRC) -> list[Path]:
    """The files a subset of document schemas needs (the documents and everything they import)."""
    todo = [src / f"{d}_{version}.xsd" for d in documents]
    seen: dict[Path, None] = {}
    while todo:
        f = todo.pop()
        if f in seen:
            continue
        seen[f] = None
        todo.extend((f.parent / loc).resolve() for loc in _LOC.findall(f.read_text(encoding="utf-8")))
    return sorted(seen)


def copy_subset(src: Path, dest: Path, documents: Iterable[str] | None = None) -> Path:
    """A flattened bundle folder with all of *src*, or only what *documents* need."""
    dest.mkdir(parents=True)
    files = sorted(src.glob("*.xsd")) if documents is None else closure(src, documents)
    for f in files:
        shutil.copyfile(f, dest / f.name)
    return dest


_AUTH_USER_DECL = '<xsd:element name="AuthorizedUser" type="gin:AuthorizedUserType">'
_AUTH_USER_BAG = """
	<xsd:element name="AuthorizedUserBag" type="gin:AuthorizedUserBagType"/>
	<xsd:complexType name="AuthorizedUserBagType">
		<xsd:sequence>
			<xsd:element ref="gin:AuthorizedUser" maxOccurs="unbounded"/>
		</xsd:sequence>
	</xsd:complexType>
"""

#: The derived "V8_0" changes, as (label, old text, new text) replacements on every .xsd.
V8_CHANGES: list[tuple[str, str, str]] = [
    ("version token", SRC, V8),
    ("com:FilingPlace → com:FilingPlaceName", 'name="FilingPlace"', 'name="FilingPlaceName"'),
    ("com:FilingPlace → com:FilingPlaceName", 'ref="com:FilingPlace"', 'ref="com:FilingPlaceName"'),
    ("gin:GIPublicationBag → gin:GIPublicationDataBag", 'name="GIPublicationBag"', 'name="GIPublicationDataBag"'),
    ("gin:GIPublicationBag → gin:GIPublicationDataBag", 'ref="gin:GIPublicationBag"', 'ref="gin:GIPublicationDataBag"'),
    ("gin:GIPublication → gin:GIPublicationData", 'name="GIPublication"', 'name="GIPublicationData"'),
    ("gin:GIPublication → gin:GIPublicationData", 'ref="gin:GIPublication"', 'ref="gin:GIPublicationData"'),
    (
        "new gin:AuthorizedUserBag",
        '<xsd:element ref="gin:AuthorizedUser" minOccurs="0" maxOccurs="unbounded"/>',
        '<xsd:element ref="gin:AuthorizedUserBag" minOccurs="0"/>',
    ),
]


def derive_v8(src: Path, dest: Path, documents: Iterable[str] | None = None) -> Path:
    """DERIVED (not official): the "V8_0" variant of a flattened V6_0 bundle, see :data:`V8_CHANGES`."""
    dest.mkdir(parents=True)
    files = sorted(src.glob("*.xsd")) if documents is None else closure(src, documents)
    for f in files:
        text = f.read_text(encoding="utf-8")
        for _label, old, new in V8_CHANGES:
            text = text.replace(old, new)
        if _AUTH_USER_DECL in text:  # declare the new bag right after gin:AuthorizedUser
            end = text.index("</xsd:element>", text.index(_AUTH_USER_DECL)) + len("</xsd:element>")
            text = text[:end] + _AUTH_USER_BAG + text[end:]
        (dest / f.name.replace(SRC, V8)).write_text(text, encoding="utf-8")
    return dest


def to_modular(src: Path, dest: Path) -> Path:
    """DERIVED (not official): *src* (flattened) rearranged in the modular folder layout."""
    files = sorted(src.glob("*.xsd"))
    texts = {f.name: f.read_text(encoding="utf-8") for f in files}
    place: dict[str, str] = {}
    for name, text in texts.items():
        m = _TNS.search(text)
        domain = DOMAINS.get(m.group(1) if m else "", "External")
        stem = name[: -len(".xsd")]
        is_doc = any(Path(loc).name == f"{stem}_Common.xsd" for loc in _LOC.findall(text))
        place[name] = f"{domain}/Document/{name}" if is_doc else f"{domain}/{name}"
    for name, text in texts.items():
        here = Path(place[name]).parent

        def rel(m: re.Match[str], here: Path = here) -> str:
            target = place[Path(m.group(1)).name]
            return f'schemaLocation="{Path(os.path.relpath(target, here)).as_posix()}"'

        out = dest / place[name]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(_LOC.sub(rel, text), encoding="utf-8")
    return dest


def zip_folder(folder: Path, zpath: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.rglob("*.xsd")):
            zf.write(f, prefix + f.relative_to(folder).as_posix())
    return zpath


# -- session fixtures: the expensive builds happen once -----------------------------------------


@pytest.fixture(scope="session")
def v8_registry(tmp_path_factory: pytest.TempPathFactory) -> Registry:
    """A registry with the full DERIVED V8_0 bundle, built from a zip of its modular layout."""
    src = require_shared(XSD_V6)
    base = tmp_path_factory.mktemp("derived-v8")
    flat = derive_v8(src, base / "flattened")
    modular = to_modular(flat, base / "modular")
    z = zip_folder(modular, base / "ST96XMLSchema_V8_0_derived.zip", prefix="ST96XMLSchema_V8_0/")
    reg = Registry(cache=base / "cache")
    res = build_bundle(z, registry=reg)
    assert res.version == V8 and res.layout == "modular" and len(res.documents) == 28
    return reg


@pytest.fixture(scope="session")
def small_v6(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A flattened subset of the official V6_0 bundle: GIApplication (which imports from two namespaces)."""
    return copy_subset(require_shared(XSD_V6), tmp_path_factory.mktemp("small-v6") / "flat", ["GIApplication"])


# -- build: layouts, zip, version, partial bundles ------------------------------------------


def _cache_files(reg: Registry, version: str) -> dict[str, bytes]:
    d = reg.cache / version
    return {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted((d / "schemas").glob("*.json"))} | {
        "plan": orjson.dumps(
            orjson.loads(__import__("gzip").decompress((d / "plan.json.gz").read_bytes())), option=orjson.OPT_SORT_KEYS
        )
    }


def test_folder_zip_and_modular_layout_give_identical_schemas(small_v6: Path, tmp_path: Path) -> None:
    modular = to_modular(small_v6, tmp_path / "modular")
    doc = modular / "GeographicalIndication" / "Document" / "GIApplication_V6_0.xsd"
    assert doc.is_file() and (modular / "Trademark" / "GIApplication_V6_0_Trademark.xsd").is_file()
    assert 'schemaLocation="../../Trademark/GIApplication_V6_0_Trademark.xsd"' in doc.read_text(encoding="utf-8")
    sources = {  # a zip of the modular layout is built once per session, for the full bundle (v8_registry)
        "folder": small_v6,
        "zip": zip_folder(small_v6, tmp_path / "flat.zip", prefix="bundle/"),
        "modular": modular,
    }
    built = {}
    for label, src in sources.items():
        reg = Registry(cache=tmp_path / f"cache-{label.replace(' ', '-')}")
        res = build_bundle(src, registry=reg)
        assert res.version == SRC
        assert res.documents == ("GIApplication",)
        assert res.layout == ("modular" if "modular" in label else "flattened")
        built[label] = _cache_files(reg, SRC)
        xsd = reg.xsd_dir(SRC)
        assert xsd is not None and len(list(xsd.rglob("GIApplication_V6_0*.xsd"))) == 3
    first = built.pop("folder")
    for label, files in built.items():
        assert files == first, f"{label} build differs from the folder build"


def test_version_is_read_from_the_bundle(small_v6: Path, tmp_path: Path) -> None:
    with open_bundle(small_v6) as b:
        assert b.version == SRC
    v8 = derive_v8(small_v6, tmp_path / "v8")
    with open_bundle(v8) as b:
        assert b.version == V8
        assert [d.name for d in b.documents] == ["GIApplication"]
    # renamed files whose fixed com:st96Version still says V6_0: a clear error, not a mislabelled version
    odd = tmp_path / "odd"
    odd.mkdir()
    for f in v8.iterdir():
        shutil.copyfile(f, odd / f.name)
    common = odd / "GIApplication_V8_0_Common.xsd"
    common.write_text(common.read_text(encoding="utf-8").replace(f'fixed="{V8}"', f'fixed="{SRC}"'), encoding="utf-8")
    with pytest.raises(BundleError) as e:
        build_bundle(odd, registry=Registry(cache=tmp_path / "c"))
    assert e.value.code == "bundle-version-mismatch"
    assert V8 in e.value.message and SRC in e.value.message
    with pytest.raises(BundleError) as e:
        build_bundle(small_v6, registry=Registry(cache=tmp_path / "c"), expect_version=V8)
    assert e.value.code == "bundle-version-mismatch"
    assert not (tmp_path / "c" / SRC).exists()


@pytest.mark.parametrize("missing", ["GIApplication_V6_0_Trademark.xsd", "FlattenedMathML3.xsd"])
def test_partial_bundle_names_the_missing_import(
    small_v6: Path, tmp_path: Path, missing: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    part = tmp_path / "part"
    shutil.copytree(small_v6, part)
    (part / missing).unlink()
    with pytest.raises(BundleError) as e:
        build_bundle(part, registry=Registry(cache=tmp_path / "cache"))
    assert e.value.code == "bundle-missing-import"
    assert missing in e.value.message and "incomplete" in e.value.message
    assert not (tmp_path / "cache" / SRC).exists()
    # the same through the CLI: exit status 3, the missing file named
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path / "cli-cache"))
    assert main(["schema", "build", str(part)]) == 3
    err = capsys.readouterr().err
    assert "bundle-missing-import" in err and missing in err


def test_modular_partial_bundle_names_the_relative_import(small_v6: Path, tmp_path: Path) -> None:
    modular = to_modular(small_v6, tmp_path / "modular")
    (modular / "External" / "OASISTable_V1_0.xsd").unlink()
    with pytest.raises(BundleError) as e:
        build_bundle(modular, registry=Registry(cache=tmp_path / "cache"))
    assert e.value.code == "bundle-missing-import"
    assert "../External/OASISTable_V1_0.xsd" in e.value.message


def test_bundle_with_both_layouts_uses_the_flattened_copy(small_v6: Path, tmp_path: Path) -> None:
    both = tmp_path / "both"
    shutil.copytree(small_v6, both / "flattened")
    to_modular(small_v6, both / "modular")
    with open_bundle(zip_folder(both, tmp_path / "both.zip")) as b:
        assert [d.path.parent.name for d in b.documents] == ["flattened"]


def test_a_rebuild_replaces_the_version(small_v6: Path, tmp_path: Path) -> None:
    """(Atomicity on failure is tested in test_registry.py, without compiling.)"""
    reg = Registry(cache=tmp_path / "cache")
    one = copy_subset(require_shared(XSD_V6), tmp_path / "one", ["TrademarkApplication"])
    first = build_bundle(one, registry=reg)
    assert not first.replaced and reg.documents(SRC) == ["TrademarkApplication"]
    second = build_bundle(small_v6, registry=reg)
    assert second.replaced and reg.documents(SRC) == ["GIApplication"]
    assert sorted(p.name for p in reg.cache.iterdir()) == [".lock", SRC]
    meta = reg.entry(SRC).meta
    assert meta["source"] == f"built from {small_v6.resolve()}" and meta["layout"] == "flattened"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["compiled"])


# -- the V8_0 examples and the derived V8_0 bundle -----------------------------------------------

V8_EXAMPLES = ["TrademarkApplication", "DesignApplication", "GIApplication"]


def _example(doc: str) -> Path:
    return require_shared(WIPO_V8) / f"{doc}_Example.xml"


@pytest.mark.slow
@pytest.mark.parametrize("doc", V8_EXAMPLES)
def test_v8_examples_convert_and_validate_with_the_derived_v8_bundle(v8_registry: Registry, doc: str) -> None:
    conv = Converter(registry=v8_registry)
    res = conv.xml_to_json(_example(doc))
    assert res.version == V8 and res.document == doc
    assert res.warnings == ()
    v = Validators(registry=v8_registry)
    root = parse_document(_example(doc).read_bytes(), conv.options.limits)
    assert v.check_xml(root, V8, doc) == []
    assert v.check_json(res.data, V8, doc) == []
    back = conv.json_to_xml(res.data)
    assert back.version == V8 and back.document == doc


def test_v8_examples_with_only_v6_give_the_clear_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    conv = Converter(registry=Registry(cache=tmp_path / "empty-cache"))
    for doc in V8_EXAMPLES:
        with pytest.raises(SchemaNotAvailableError) as e:
            conv.xml_to_json(_example(doc))
        assert e.value.code == "version-not-compiled"
        msg = e.value.message
        assert f"ST.96 {V8} has no compiled schema" in msg
        assert f"compiled: {DEFAULT_VERSION}" in msg
    monkeypatch.setenv("XML2JSON_CACHE", str(tmp_path / "empty-cache"))
    assert main(["convert", str(_example("GIApplication"))]) == 3
    err = capsys.readouterr().err
    assert f"ST.96 {V8} has no compiled schema" in err
    assert "hint: get it with `xml2json schema fetch VERSION`" in err and "--st96-version" in err


_XSI = "http://www.w3.org/2001/XMLSchema-instance"
GI = "/gin:GIApplication"
#: (code, where) of every warning expected when the V8_0 examples are converted with V6_0.
EXPECTED_WARNINGS = {
    "TrademarkApplication": [
        ("version-override", "/@com:st96Version"),
        ("unknown-element", "/tmk:TrademarkApplication/tmk:TrademarkBag/tmk:Trademark/com:FilingPlaceName"),
    ],
    "DesignApplication": [("version-override", "/@com:st96Version")],
    "GIApplication": [
        ("version-override", "/@com:st96Version"),
        ("unknown-element", f"{GI}/gin:GIData/gin:GIPublicationDataBag"),
        ("unknown-element", f"{GI}/gin:AuthorizedUserBag"),
    ],
}


def _xml_values(path: Path) -> Counter[str]:
    out: Counter[str] = Counter()
    for el in etree.parse(str(path)).iter():
        if not isinstance(el.tag, str):
            continue
        for name, value in el.attrib.items():
            if not name.startswith(f"{{{_XSI}}}"):  # xsi:schemaLocation is a processing hint, not data
                out[value] += 1
        for text in (el.text, el.tail if el.getparent() is not None else None):
            if text and text.strip():
                out[text.strip()] += 1
    return out


def _json_values(data: Any) -> Counter[str]:
    out: Counter[str] = Counter()

    def walk(v: Any, key: str | None = None) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if k != "$qname":
                    walk(x, k)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, bool):
            out["true" if v else "false"] += 1
        elif isinstance(v, (int, Decimal, float)):
            out[f"#{Decimal(str(v)).normalize()}"] += 1
        elif isinstance(v, str) and v.strip():
            out[v.strip()] += 1

    walk(data)
    return out


def _lost(xml: Counter[str], js: Counter[str]) -> list[str]:
    lost = []
    for value, n in xml.items():
        have = js.get(value, 0)
        if have < n:
            with contextlib.suppress(ArithmeticError):
                have += js.get(f"#{Decimal(value).normalize()}", 0)
        if have < n:
            lost.append(value)
    return lost


@pytest.mark.parametrize("doc", V8_EXAMPLES)
def test_v8_examples_convert_with_v6_with_exactly_the_expected_warnings_and_lose_nothing(doc: str) -> None:
    conv = Converter(options=Options(st96_version=SRC), registry=Registry(cache=Path("/nonexistent-xml2json")))
    res = conv.xml_to_json(_example(doc))
    assert res.version == SRC
    assert [(w.code, w.xml_path) for w in res.warnings] == EXPECTED_WARNINGS[doc]
    unknown = [w for w in res.warnings if w.code == "unknown-element"]
    assert all(SRC in w.message for w in unknown)
    assert _lost(_xml_values(_example(doc)), _json_values(res.data)) == []


# -- diff --------------------------------------------------------------------------------------

# What `schema diff V6_0 V8_0` must report for the derived variant, and nothing else:
# (kind, type, member in V6_0, member in V8_0)
_GI_WITH_PUBLICATION_BAG = {"gin_GIApplicationType", "gin_GIDataType"}


def _change_set(d: Any) -> set[tuple[str, str | None, str | None, str | None]]:
    return {(c.kind, c.type_a, c.member, c.member_b) for c in d.changes if c.kind != "version-fixed"}


@pytest.mark.slow
def test_diff_reports_exactly_the_changes_made(v8_registry: Registry) -> None:
    d = diff_versions(SRC, V8, registry=v8_registry)
    assert d.documents_added == [] and d.documents_removed == [] and len(d.documents_compared) == 28
    changes = _change_set(d)
    kinds = Counter(k for k, *_ in changes)
    assert set(kinds) <= {"renamed", "removed", "added"}, changes
    for c in d.changes:
        assert c.type_a == c.type_b  # the derived variant renames no type
    renamed = {(t, m, n) for k, t, m, n in changes if k == "renamed"}
    assert {(m, n) for _, m, n in renamed} == {
        ("filingPlace", "filingPlaceName"),
        ("giPublicationBag", "giPublicationDataBag"),
        ("giPublication", "giPublicationData"),
    }
    assert {t for t, m, _ in renamed if m == "giPublication"} == {"gin_GIPublicationBagType"}
    assert {t for t, m, _ in renamed if m == "giPublicationBag"} >= _GI_WITH_PUBLICATION_BAG
    removed = {(t, m) for k, t, m, _ in changes if k == "removed"}
    added = {(t, n) for k, t, _, n in changes if k == "added"}
    assert {m for _, m in removed} == {"authorizedUser"} and {n for _, n in added} == {"authorizedUserBag"}
    assert {t for t, _ in removed} == {t for t, _ in added}
    assert "gin_GIApplicationType" in {t for t, _ in added}
    # XML names come from the plans
    fps = [c for c in d.changes if c.member == "filingPlace"]
    assert {(c.xml, c.xml_b) for c in fps} == {("com:FilingPlace", "com:FilingPlaceName")}
    assert {doc for c in fps for doc in c.documents} >= {"TrademarkApplication", "DesignApplication"}
    # the version constant changes on every document root, reported as one kind
    vf = [c for c in d.changes if c.kind == "version-fixed"]
    assert {c.member for c in vf} == {"st96Version"}
    assert {doc for c in vf for doc in c.documents} == set(d.documents_compared)
    # the reverse direction mirrors it
    back = _change_set(diff_versions(V8, SRC, registry=v8_registry))
    assert {(k, t, n, m) for k, t, m, n in changes if k == "renamed"} == {
        (k, t, m, n) for k, t, m, n in back if k == "renamed"
    }


@pytest.mark.slow
def test_diff_cli_text_json_and_document_filter(
    v8_registry: Registry, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XML2JSON_CACHE", str(v8_registry.cache))
    assert main(["schema", "diff", SRC, V8, "--document", "GIApplication"]) == 1
    text = capsys.readouterr().out
    assert "renamed   giPublicationBag → giPublicationDataBag (gin:GIPublicationBag → gin:GIPublicationDataBag)" in text
    assert "removed   authorizedUser (gin:AuthorizedUser): array 1..* of gin_AuthorizedUserType, optional" in text
    assert "added     authorizedUserBag (gin:AuthorizedUserBag): gin_AuthorizedUserBagType, optional" in text
    assert "filingPlace" not in text
    assert main(["schema", "diff", SRC, V8, "--document", "TrademarkApplication", "--json"]) == 1
    data = orjson.loads(capsys.readouterr().out)
    assert data["from"] == SRC and data["to"] == V8
    assert data["documents"]["compared"] == ["TrademarkApplication"]
    assert [(c["kind"], c["member"], c["member_b"]) for c in data["changes"] if c["kind"] != "version-fixed"] == [
        ("renamed", "filingPlace", "filingPlaceName")
    ]
    (fp,) = [c for c in data["changes"] if c["kind"] == "renamed"]
    assert fp["path"] == "trademarkApplication.trademarkBag.trademark[].filingPlace"
    assert main(["schema", "diff", V8, V8]) == 0
    assert "no changes" in capsys.readouterr().out
    assert main(["schema", "diff", SRC, V8, "--document", "NoSuchDocument"]) == 3


def test_diff_detects_cardinality_required_value_enum_and_pattern_changes(small_v6: Path, tmp_path: Path) -> None:
    """A second DERIVED variant ("V9_0") with one change of each kind in the trademark document."""
    src = tmp_path / "v9"
    src.mkdir()
    edits = {  # (file, old, new): each a single, known change
        "TrademarkApplication_V6_0.xsd": [
            (
                '<xsd:element ref="tmk:ApplicationFormName" minOccurs="0"/>',  # now required
                '<xsd:element ref="tmk:ApplicationFormName"/>',
            ),
            (
                '<xsd:element ref="com:PaymentBag" minOccurs="0"/>',  # now an array
                '<xsd:element ref="com:PaymentBag" minOccurs="0" maxOccurs="unbounded"/>',
            ),
            (
                '<xsd:element name="ActiveClassTotalQuantity" type="xsd:nonNegativeInteger">',  # integer → string
                '<xsd:element name="ActiveClassTotalQuantity" type="xsd:token">',
            ),
        ],
    }
    files = closure(require_shared(XSD_V6), ["TrademarkApplication"])
    for f in files:
        text = f.read_text(encoding="utf-8").replace(SRC, "V9_0")
        for old, new in edits.get(f.name, []):
            assert text.count(old) == 1, old
            text = text.replace(old, new)
        (src / f.name.replace(SRC, "V9_0")).write_text(text, encoding="utf-8")
    common = src / "TrademarkApplication_V9_0_Common.xsd"
    text = common.read_text(encoding="utf-8")
    # one enumeration value fewer in the ISO language code list, and a stricter pattern
    m = re.search(r'<xsd:simpleType name="ISOLanguageCodeType">.*?</xsd:simpleType>', text, re.S)
    assert m is not None
    block = m.group(0)
    first_enum = re.search(r'<xsd:enumeration value="([^"]+)"(?:/>|>.*?</xsd:enumeration>)', block, re.S)
    assert first_enum is not None
    text = text.replace(block, block.replace(first_enum.group(0), "", 1))
    pm = re.search(r'<xsd:pattern value="([^"]+)"/>', text)
    assert pm is not None
    text = text.replace(pm.group(0), f'<xsd:pattern value="{pm.group(1)}X"/>', 1)
    common.write_text(text, encoding="utf-8")

    reg = Registry(cache=tmp_path / "cache")
    build_bundle(copy_subset(require_shared(XSD_V6), tmp_path / "v6", ["TrademarkApplication"]), registry=reg)
    build_bundle(src, registry=reg)
    d = diff_versions(SRC, "V9_0", registry=reg)
    by_kind: dict[str, list[Any]] = {}
    for c in d.changes:
        by_kind.setdefault(c.kind, []).append(c)
    assert set(by_kind) == {"version-fixed", "required", "cardinality", "value-type", "enum", "pattern"}
    (req,) = by_kind["required"]
    assert (req.member, req.detail) == ("applicationFormName", {"from": False, "to": True})
    (card,) = by_kind["cardinality"]
    assert (card.member, card.detail) == ("paymentBag", {"from": "single", "to": "array 1..*"})
    (vt,) = by_kind["value-type"]
    assert vt.detail == {"from": "integer", "to": "string"}
    (en,) = by_kind["enum"]
    assert en.detail["removed"] == [first_enum.group(1)] and en.detail["added"] == []
    (pt,) = by_kind["pattern"]
    assert pt.detail["to"] != pt.detail["from"]
    text_out = d.to_text()
    assert f"- {first_enum.group(1)}" in text_out and "required  applicationFormName: False → True" in text_out


# -- registry, list, no hard-coded versions ------------------------------------------------------


@pytest.mark.slow
def test_schema_list_shows_source_and_compile_date(
    v8_registry: Registry, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XML2JSON_CACHE", str(v8_registry.cache))
    assert main(["schema", "list"]) == 0
    out = capsys.readouterr().out
    v8_line = next(line for line in out.splitlines() if line.startswith(V8))
    assert "cache" in v8_line and "28" in v8_line and "built from" in v8_line and "derived.zip" in v8_line
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", v8_line)
    assert any(line.startswith(DEFAULT_VERSION) and "shipped" in line for line in out.splitlines())
    assert main(["schema", "list", "--json"]) == 0
    data = orjson.loads(capsys.readouterr().out)
    assert [e["version"] for e in data] == [SRC, V8]
    assert data[1]["xsd"] is True and data[1]["source"] == "cache" and data[0]["source"] == "shipped"
    # without com:st96Version the newest compiled version is used, with a warning
    conv = Converter(registry=v8_registry)
    assert v8_registry.newest() == V8
    doc = _example("DesignApplication").read_bytes().replace(b' com:st96Version="V8_0"', b"")
    res = conv.xml_to_json(doc)
    assert res.version == V8 and [w.code for w in res.warnings] == ["no-version"]


#: Library files allowed to name a version, each for a documented reason (owned by other issues).
VERSION_PINNED_FILES = {
    "cli/_common.py": "an example in --help text",
    "cli/convert.py": "the file name of the built-in example document (a V6_0 instance)",
    "cli/profile.py": "help text of the simplified-profile commands",
    "profiles/docgen.py": "documentation of the simplified trademark profile, defined against V6_0",
    "profiles/trademark/table.py": "the simplified trademark profile expands to V6_0 documents",
}


def _code_strings(path: Path) -> Iterable[tuple[int, str]]:
    """String constants of a module that are not docstrings."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            yield node.lineno, node.value


def test_no_version_or_version_specific_name_is_hard_coded_in_the_library() -> None:
    """Only registry.DEFAULT_VERSION names a version in code; nothing names a version-specific element."""
    lib = Path(__file__).resolve().parent.parent / "xml2json"
    version = re.compile(r"V\d+_\d+")
    element = re.compile(r"FilingPlace|GIPublication|AuthorizedUser")
    hits = []
    for f in sorted(lib.rglob("*.py")):
        rel = f.relative_to(lib).as_posix()
        for line, text in _code_strings(f):
            pinned = rel in VERSION_PINNED_FILES or (rel == "registry.py" and text == DEFAULT_VERSION)
            if element.search(text) or (version.search(text) and not pinned):
                hits.append(f"{rel}:{line}: {text!r}")
    assert hits == []
    # the documented default is the version shipped with the package
    assert (lib / "_plans" / f"{DEFAULT_VERSION}.plan.json.gz").is_file()

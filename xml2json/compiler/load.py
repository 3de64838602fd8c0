"""Load an ST.96 XSD bundle: a folder or a zip, flattened or modular layout, offline only."""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lxml import etree

from ..errors import BundleError
from ..policy import VERSION_ATTRIBUTE, XSD_NS

_VERSION_IN_NAME = re.compile(r"_(V\d+_\d+)(?:_[A-Za-z]+)?\.xsd$")
_DOC_NAME = re.compile(r"^(?P<doc>[A-Za-z]+(?:_[A-Za-z]+)?)_(?P<ver>V\d+_\d+)\.xsd$")

#: Limits for reading a zipped bundle (a bundle is ~15 MB; these leave room for growth).
MAX_BUNDLE_MEMBERS = 5000
MAX_BUNDLE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class DocumentSchema:
    name: str  # "TrademarkApplication", "TMK_TransactionData"
    root_local: str  # "TrademarkApplication", "TransactionData"
    path: Path


@dataclass(frozen=True)
class Bundle:
    root: Path
    version: str
    documents: tuple[DocumentSchema, ...]


def _xsd_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@contextmanager
def open_bundle(source: str | Path) -> Iterator[Bundle]:
    """Yield a :class:`Bundle` for a folder or a zip file; zips are unpacked safely to a temp dir."""
    path = Path(source)
    if not path.exists():
        raise BundleError(f"bundle not found: {path}", code="bundle-missing")
    if path.is_dir():
        yield scan_bundle(path)
        return
    if not zipfile.is_zipfile(path):
        raise BundleError(f"not a folder or a zip file: {path}", code="bundle-format")
    tmp = Path(tempfile.mkdtemp(prefix="xml2json-bundle-"))
    try:
        _safe_extract(path, tmp)
        yield scan_bundle(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _safe_extract(zpath: Path, dest: Path) -> None:
    total = 0
    with zipfile.ZipFile(zpath) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_BUNDLE_MEMBERS:
            raise BundleError(f"zip has too many members ({len(infos)})", code="bundle-limit")
        for info in infos:
            name = PurePosixPath(info.filename.replace("\\", "/"))
            if name.is_absolute() or ".." in name.parts:
                raise BundleError(f"unsafe path in zip: {info.filename!r}", code="bundle-unsafe-path")
            if info.is_dir():
                continue
            if not name.name.lower().endswith((".xsd", ".txt", ".xml")):
                continue
            total += info.file_size
            if total > MAX_BUNDLE_BYTES:
                raise BundleError("zip expands beyond the bundle size limit", code="bundle-limit")
            target = dest.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as out:
                remaining = MAX_BUNDLE_BYTES - (total - info.file_size)
                copied = 0
                while chunk := src.read(1 << 20):
                    copied += len(chunk)
                    if copied > remaining:
                        raise BundleError("zip member larger than declared", code="bundle-limit")
                    out.write(chunk)


def _imports(xsd: Path) -> list[str]:
    try:
        tree = etree.parse(str(xsd), _xsd_parser())
    except etree.XMLSyntaxError as exc:
        raise BundleError(f"{xsd.name} is not well-formed: {exc}", code="bundle-broken") from exc
    out = []
    for el in tree.getroot():
        if el.tag in (f"{{{XSD_NS}}}import", f"{{{XSD_NS}}}include"):
            loc = el.get("schemaLocation")
            if loc:
                out.append(loc)
    return out


def _global_element_names(xsd: Path) -> set[str]:
    tree = etree.parse(str(xsd), _xsd_parser())
    return {el.get("name", "") for el in tree.getroot() if el.tag == f"{{{XSD_NS}}}element"}


def scan_bundle(root: Path) -> Bundle:
    """Find the document schemas and the version of a bundle folder (either layout)."""
    files = sorted(p for p in root.rglob("*.xsd") if p.is_file())
    if not files:
        raise BundleError(f"no .xsd files in {root}", code="bundle-empty")
    docs: list[DocumentSchema] = []
    versions: set[str] = set()
    for f in files:
        m = _DOC_NAME.match(f.name)
        if not m:
            continue
        stem = f.name[: -len(".xsd")]
        imports = _imports(f)
        # Flattened layout: a document imports its own "<Doc>_<ver>_Common.xsd" subset.
        # Modular layout: documents live in a "Document" folder.
        is_doc = any(PurePosixPath(i).name == f"{stem}_Common.xsd" for i in imports) or (
            f.parent.name == "Document"
        )
        if not is_doc:
            continue
        for loc in imports:
            if "://" in loc:
                raise BundleError(
                    f"{f.name} imports {loc!r} from the network; bundles must be self-contained",
                    code="bundle-network-import",
                )
            if not (f.parent / loc).resolve().is_file():
                raise BundleError(
                    f"{f.relative_to(root)} imports {loc!r}, which is not in the bundle",
                    code="bundle-missing-import",
                )
        doc = m.group("doc")
        root_local = doc.split("_", 1)[1] if "_" in doc else doc
        if root_local not in _global_element_names(f):
            continue
        docs.append(DocumentSchema(name=doc, root_local=root_local, path=f))
        versions.add(m.group("ver"))
    if not docs:
        raise BundleError(f"no ST.96 document schemas found in {root}", code="bundle-no-documents")
    fixed = _fixed_version(files)
    if fixed:
        versions = {fixed}
    if len(versions) != 1:
        raise BundleError(f"bundle mixes versions: {sorted(versions)}", code="bundle-mixed-versions")
    return Bundle(root=root, version=versions.pop(), documents=tuple(docs))


def _fixed_version(files: list[Path]) -> str | None:
    """The ``fixed`` value of the ``com:st96Version`` attribute declaration, if present."""
    ns, local = VERSION_ATTRIBUTE[1:].split("}")
    for f in files:
        if not f.name.startswith("Common") or "_" not in f.name:
            continue
        tree = etree.parse(str(f), _xsd_parser())
        if tree.getroot().get("targetNamespace") != ns:
            continue
        for el in tree.getroot():
            if el.tag == f"{{{XSD_NS}}}attribute" and el.get("name") == local and el.get("fixed"):
                return el.get("fixed")
    return None

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
    #: every ``.xsd`` file of the bundle (sorted), for copying it into the schema cache
    files: tuple[Path, ...] = ()


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


def _parse(xsd: Path) -> etree._ElementTree:
    try:
        return etree.parse(str(xsd), _xsd_parser())
    except etree.XMLSyntaxError as exc:
        raise BundleError(f"{xsd.name} is not well-formed: {exc}", code="bundle-broken") from exc
    except OSError as exc:
        raise BundleError(f"{xsd.name} cannot be read: {exc}", code="bundle-broken") from exc


def _imports(xsd: Path) -> list[str]:
    """The ``schemaLocation`` of every ``xs:import``/``xs:include``/``xs:redefine`` of a schema file."""
    out = []
    for el in _parse(xsd).getroot():
        if el.tag in _IMPORT_TAGS:
            loc = el.get("schemaLocation")
            if loc:
                out.append(loc)
    return out


_IMPORT_TAGS = frozenset(f"{{{XSD_NS}}}{t}" for t in ("import", "include", "redefine", "override"))


def _global_element_names(xsd: Path) -> set[str]:
    return {el.get("name", "") for el in _parse(xsd).getroot() if el.tag == f"{{{XSD_NS}}}element"}


class _ImportChecker:
    """Follows the imports of document schemas through the bundle (each file parsed once).

    A partial bundle fails here, before the (slow) compiler starts, naming the file
    that is missing and the file that imports it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.seen: set[Path] = set()

    def _rel(self, p: Path) -> str:
        try:
            return p.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(p)

    def check(self, start: Path, imports: list[str] | None = None) -> None:
        stack: list[tuple[Path, list[str] | None]] = [(start.resolve(), imports)]
        while stack:
            f, locs = stack.pop()
            if f in self.seen:
                continue
            self.seen.add(f)
            for loc in _imports(f) if locs is None else locs:
                if "://" in loc and not loc.startswith("file:"):
                    raise BundleError(
                        f"{self._rel(f)} imports {loc!r} from the network; bundles must be self-contained",
                        code="bundle-network-import",
                    )
                target = (f.parent / loc.removeprefix("file:")).resolve()
                if not target.is_relative_to(self.root):
                    raise BundleError(
                        f"{self._rel(f)} imports {loc!r}, which is outside the bundle", code="bundle-unsafe-path"
                    )
                if not target.is_file():
                    raise BundleError(
                        f"the bundle is incomplete: {self._rel(f)} imports {loc!r} "
                        f"({PurePosixPath(loc).name}), which is not in the bundle",
                        code="bundle-missing-import",
                    )
                if target not in self.seen:
                    stack.append((target, None))


def scan_bundle(root: Path) -> Bundle:
    """Find the document schemas and the version of a bundle folder (either layout).

    * flattened layout (one folder): a document schema ``<Doc>_<V>.xsd`` imports its own
      ``<Doc>_<V>_Common.xsd`` subset;
    * modular layout: document schemas live in ``<Domain>/Document/`` folders and import
      component schemas from sibling folders with relative paths.

    Either way a document schema declares a global element named after the document
    (``TMK_TransactionData`` declares ``TransactionData``). Every import reachable
    from a document must be in the bundle (checked here, with a clear error).
    The version comes from the bundle itself: the ``fixed`` value of the
    ``com:st96Version`` attribute declaration and the ``_Vx_y`` in file names; the two must agree.
    """
    files = sorted(p for p in root.rglob("*.xsd") if p.is_file())
    if not files:
        raise BundleError(f"no .xsd files in {root}", code="bundle-empty")
    checker = _ImportChecker(root)
    found: dict[str, list[tuple[bool, DocumentSchema, str]]] = {}  # name -> [(flattened, doc, version)]
    for f in files:
        m = _DOC_NAME.match(f.name)
        if not m:
            continue
        stem = f.name[: -len(".xsd")]
        imports = _imports(f)
        flattened = any(PurePosixPath(i).name == f"{stem}_Common.xsd" for i in imports)
        modular = f.parent.name == "Document"
        if not (flattened or modular):
            continue
        doc = m.group("doc")
        root_local = doc.split("_", 1)[1] if "_" in doc else doc
        if root_local not in _global_element_names(f):
            continue
        checker.check(f, imports)
        found.setdefault(doc, []).append(
            (not modular, DocumentSchema(name=doc, root_local=root_local, path=f), m.group("ver"))
        )
    docs: list[DocumentSchema] = []
    versions: set[str] = set()
    for name in sorted(found):
        cands = found[name]
        if len(cands) > 1:  # a package with both layouts: the copy outside a Document folder wins
            flat = [c for c in cands if c[0]]
            if len(flat) != 1:
                paths = ", ".join(c[1].path.relative_to(root).as_posix() for c in cands)
                raise BundleError(
                    f"the bundle holds more than one document schema {name}: {paths}; build from one of the folders",
                    code="bundle-duplicate-document",
                )
            cands = flat
        docs.append(cands[0][1])
        versions.add(cands[0][2])
    if not docs:
        raise BundleError(
            f"no ST.96 document schemas found in {root} (expected <Doc>_Vx_y.xsd files that import their "
            "<Doc>_Vx_y_Common.xsd, or <Domain>/Document/<Doc>_Vx_y.xsd)",
            code="bundle-no-documents",
        )
    # merge order decides variant keys (``com_XType~2``): by file name, so that every layout agrees
    docs.sort(key=lambda d: d.path.name)
    if len(versions) != 1:
        raise BundleError(f"bundle mixes versions: {sorted(versions)}", code="bundle-mixed-versions")
    named = versions.pop()
    fixed = _fixed_versions(files)
    if len(fixed) > 1:
        raise BundleError(
            f"the bundle declares com:st96Version fixed to more than one value: {', '.join(sorted(fixed))}",
            code="bundle-mixed-versions",
        )
    if fixed and fixed != {named}:
        raise BundleError(
            f"the bundle's file names say {named} but com:st96Version is fixed to {fixed.pop()}; "
            "is this a renamed copy of another version?",
            code="bundle-version-mismatch",
        )
    return Bundle(root=root, version=named, documents=tuple(docs), files=tuple(files))


def _fixed_versions(files: list[Path]) -> set[str]:
    """The ``fixed`` values of the ``com:st96Version`` attribute declarations in the bundle."""
    ns, local = VERSION_ATTRIBUTE[1:].split("}")
    needle = f'name="{local}"'.encode()
    out: set[str] = set()
    for f in files:
        data = f.read_bytes()
        if needle not in data and f"name='{local}'".encode() not in data:
            continue
        root = _parse(f).getroot()
        if root.get("targetNamespace") != ns:
            continue
        for el in root:
            if el.tag == f"{{{XSD_NS}}}attribute" and el.get("name") == local and el.get("fixed"):
                out.add(el.get("fixed", ""))
    return out

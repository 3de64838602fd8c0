"""Pass 1 — extract: xmlschema components → IR, one document schema at a time.

Each document schema is loaded on its own (its ``_Common`` import is a
different subset of the Common namespace), offline: only local files may be
read. Types reachable from the document root are extracted; a named type that
turns out to differ between two document schemas gets a variant key
(``com_XType~2``) instead of being merged.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import xmlschema
from xmlschema.validators import (
    XsdAnyAttribute,
    XsdAnyElement,
    XsdAtomicBuiltin,
    XsdComplexType,
    XsdElement,
    XsdGroup,
    XsdList,
    XsdUnion,
)

from ..errors import BundleError, SchemaCompileError
from ..policy import XSD_NS, prefix_for
from .ir import (
    AttributeIR,
    BundleIR,
    ComplexTypeIR,
    ContentKind,
    DocumentIR,
    Facets,
    GroupIR,
    ParticleIR,
    SimpleTypeIR,
    WildcardIR,
    renamed,
    walk,
)
from .load import Bundle, DocumentSchema

_F = f"{{{XSD_NS}}}"


def load_schema(doc: DocumentSchema) -> xmlschema.XMLSchema:
    """Load one document schema with xmlschema, local files only."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("xmlschema").setLevel(logging.ERROR)
            return xmlschema.XMLSchema10(str(doc.path), allow="local", defuse="always")
    except xmlschema.XMLResourceForbidden as exc:  # type: ignore[attr-defined]
        raise BundleError(
            f"{doc.path.name}: a schema tried to load a remote resource: {exc}", code="bundle-network-import"
        ) from exc
    except (xmlschema.XMLSchemaException, OSError) as exc:
        raise BundleError(f"{doc.path.name} does not load: {exc}", code="bundle-broken") from exc


class _Extractor:
    def __init__(self, namespaces: dict[str, str]) -> None:
        self.extra_ns: dict[str, str] = {}
        self.namespaces = namespaces  # prefix -> uri, shared across the bundle
        self.simple: dict[str, SimpleTypeIR] = {}
        self.complex: dict[str, ComplexTypeIR] = {}
        #: xmlschema type component -> its IR key. Components define no ``__eq__``, so they hash
        #: by identity; the schema (and so every component) lives as long as this extractor.
        self._keys: dict[Any, str] = {}
        self._todo: list[tuple[Any, str]] = []

    # -- keys ----------------------------------------------------------------
    def _prefix(self, ns: str) -> str:
        p = prefix_for(ns, self.extra_ns)
        self.namespaces.setdefault(p, ns)
        return p

    def _qkey(self, clark: str) -> str:
        ns, local = clark[1:].split("}") if clark.startswith("{") else ("", clark)
        if ns == XSD_NS:
            return f"xs_{local}"
        return f"{self._prefix(ns)}_{local}" if ns else local

    def key_of(self, t: Any, owner: str) -> str:
        k = self._keys.get(t)
        if k is not None:
            return k
        k = self._qkey(t.name) if t.name else f"{owner}__anon"
        self._keys[t] = k
        self._todo.append((t, k))
        return k

    # -- driver --------------------------------------------------------------
    def run(self, root: XsdElement) -> str:
        root_key = self.key_of(root.type, self._qkey(root.name))
        while self._todo:
            t, k = self._todo.pop()
            if t.is_simple():
                self.simple[k] = self._simple(t, k)
            else:
                self.complex[k] = self._complex(t, k)
        return root_key

    # -- simple types --------------------------------------------------------
    def _simple(self, t: Any, key: str) -> SimpleTypeIR:
        qname = t.name
        if isinstance(t, XsdList) or (isinstance(t, XsdAtomicBuiltin) and t.is_list()):
            item = t.item_type if isinstance(t, XsdList) else t.base_type
            return SimpleTypeIR(
                key,
                qname,
                "list",
                builtin=_builtin(t),
                primitive=None,
                facets=_facets(t),
                item=self.key_of(item, key + "__item"),
            )
        if isinstance(t, XsdUnion):
            return SimpleTypeIR(
                key,
                qname,
                "union",
                builtin=_builtin(t),
                primitive=None,
                facets=_facets(t),
                members=[self.key_of(m, f"{key}__m{i}") for i, m in enumerate(t.member_types)],
            )
        base = t
        # restriction of a list or union: keep the variety of the base
        while not isinstance(base, XsdAtomicBuiltin) and getattr(base, "base_type", None) is not None:
            if isinstance(base.base_type, (XsdList, XsdUnion)):
                inner = self._simple(base.base_type, key)
                inner.facets = _facets(t)
                inner.qname = qname
                return inner
            base = base.base_type
        pt = getattr(t, "primitive_type", None)
        prim = pt.local_name if pt is not None else "anySimpleType"
        return SimpleTypeIR(key, qname, "atomic", builtin=_builtin(t), primitive=prim, facets=_facets(t))

    # -- complex types -------------------------------------------------------
    def _complex(self, t: XsdComplexType, key: str) -> ComplexTypeIR:
        attrs: list[AttributeIR] = []
        any_attr = None
        for name, a in t.attributes.items():
            if isinstance(a, XsdAnyAttribute) or name is None:
                any_attr = WildcardIR(list(a.namespace), a.process_contents)  # type: ignore[union-attr]
                continue
            if a.use == "prohibited":
                continue
            attrs.append(
                AttributeIR(
                    qname=a.name,
                    type=self.key_of(a.type, f"{key}__@{a.local_name}"),
                    required=a.use == "required",
                    fixed=a.fixed,
                )
            )
        if t.has_simple_content():
            content = t.content
            return ComplexTypeIR(key, t.name, "simple", attrs, any_attr, simple=self.key_of(content, key + "__value"))
        model = self._group(t.content, key) if isinstance(t.content, XsdGroup) else None
        kind: ContentKind
        if t.mixed:
            kind = "mixed"
        elif model is None or not _has_items(model):
            kind = "empty"
        else:
            kind = "element"
        if t.name == f"{_F}anyType":
            # xs:anyType content: anything, converted by the generic rules
            model = GroupIR("sequence", 1, 1, [WildcardIR(["##any"], "lax", 0, None)])
            kind = "mixed"
        return ComplexTypeIR(key, t.name, kind, attrs, any_attr, model=model)

    def _group(self, g: XsdGroup, owner: str) -> GroupIR:
        out = GroupIR(g.model, g.min_occurs, g.max_occurs)  # type: ignore[arg-type]
        for p in g:
            if isinstance(p, XsdGroup):
                out.items.append(self._group(p, owner))
            elif isinstance(p, XsdAnyElement):
                out.items.append(WildcardIR(list(p.namespace), p.process_contents, p.min_occurs, p.max_occurs))
            elif isinstance(p, XsdElement):
                members = _substitution_members(p)
                if members is None:
                    out.items.append(self._particle(p, p.min_occurs, p.max_occurs, owner))
                else:  # a substitution-group head: a choice of its non-abstract members
                    out.items.append(
                        GroupIR("choice", p.min_occurs, p.max_occurs, [self._particle(m, 1, 1, owner) for m in members])
                    )
            else:  # pragma: no cover - xmlschema offers no other particle kinds
                raise SchemaCompileError(f"unexpected particle {p!r} in {owner}")
        return out

    def _particle(self, p: XsdElement, lo: int, hi: int | None, owner: str) -> ParticleIR:
        target = p.ref if p.ref is not None else p
        el_key = self._qkey(p.name) if p.ref is not None or p.is_global() else f"{owner}__{p.local_name}"
        return ParticleIR(qname=p.name, type=self.key_of(target.type, el_key), min=lo, max=hi)


def _substitution_members(p: XsdElement) -> list[XsdElement] | None:
    """Non-abstract members of the substitution group headed by *p*, or None if it heads none."""
    target = p.ref if p.ref is not None else p
    groups = target.maps.substitution_groups
    if not groups.get(target.name):
        return None
    out: list[XsdElement] = []
    seen: set[str] = set()
    stack = [target]
    while stack:
        e = stack.pop(0)
        if e.name in seen:
            continue
        seen.add(e.name)
        if not e.abstract:
            out.append(e)
        stack.extend(sorted(groups.get(e.name, ()), key=lambda x: x.name))
    return out


def _has_items(g: GroupIR) -> bool:
    return any(not isinstance(s.item, GroupIR) for s in walk(g))


def _builtin(t: Any) -> str:
    b = t
    while b is not None and not (b.name and b.name.startswith(_F)):
        b = getattr(b, "base_type", None)
    return b.local_name if b is not None else "anySimpleType"


def _facets(t: Any) -> Facets:
    """Collect facets along the derivation chain (patterns of every step are kept, ANDed)."""
    f = Facets()
    chain = []
    b = t
    while b is not None and not (b.name and b.name.startswith(_F)):
        chain.append(b)
        b = getattr(b, "base_type", None)
    # built-in ancestors carry patterns too (xs:language, xs:NCName…); keep them for strings
    while b is not None and b.name and b.name.startswith(_F):
        chain.append(b)
        b = getattr(b, "base_type", None)
    for st in chain:  # most derived first: the first value seen wins for single-valued facets
        facets = getattr(st, "facets", None) or {}
        pats = facets.get(f"{_F}pattern")
        if pats is not None:
            f.patterns.append(list(pats.regexps))
        enum = facets.get(f"{_F}enumeration")
        if enum is not None and f.enumeration is None:
            f.enumeration = [str(v) for v in enum.enumeration]
        for attr, fname in (
            ("length", "length"),
            ("min_length", "minLength"),
            ("max_length", "maxLength"),
            ("total_digits", "totalDigits"),
            ("fraction_digits", "fractionDigits"),
        ):
            fac = facets.get(f"{_F}{fname}")
            if fac is not None and getattr(f, attr) is None:
                setattr(f, attr, int(fac.value))
        for attr, fname in (
            ("min_inclusive", "minInclusive"),
            ("max_inclusive", "maxInclusive"),
            ("min_exclusive", "minExclusive"),
            ("max_exclusive", "maxExclusive"),
        ):
            fac = facets.get(f"{_F}{fname}")
            if fac is not None and getattr(f, attr) is None:
                setattr(f, attr, str(fac.value))
    return f


# -- merging documents into one bundle ---------------------------------------------


def _merge(bundle: BundleIR, local: dict[str, Any]) -> dict[str, str]:
    """Merge one document's types into the bundle; returns the renames applied."""
    rename: dict[str, str] = {}
    pool: dict[str, Any] = {**bundle.simple_types, **bundle.complex_types}
    changed = True
    while changed:
        changed = False
        for key, ir in local.items():
            cur = rename.get(key, key)
            cand = renamed(ir, rename)
            cand.key = cur
            existing = pool.get(cur)
            if existing is None or existing == cand:
                continue
            n = 2
            while True:
                alt = f"{key}~{n}"
                cand.key = alt
                other = pool.get(alt)
                if other is None or other == cand:
                    break
                n += 1
            rename[key] = alt
            changed = True
    for ir in local.values():
        cand = renamed(ir, rename)
        target = bundle.simple_types if isinstance(cand, SimpleTypeIR) else bundle.complex_types
        target.setdefault(cand.key, cand)
    return rename


@dataclass
class _DocResult:
    root: str
    root_key: str
    types: dict[str, Any]
    elements: dict[str, str]
    namespaces: dict[str, str]


def _extract_document(doc: DocumentSchema) -> _DocResult:
    """Extract one document schema (runs in a worker process)."""
    schema = load_schema(doc)
    root = next((e for e in schema.elements.values() if e.local_name == doc.root_local), None)
    if root is None:
        raise BundleError(f"{doc.path.name} declares no element {doc.root_local}", code="bundle-no-root")
    namespaces: dict[str, str] = {}
    ex = _Extractor(namespaces)
    root_key = ex.run(root)
    elements = {name: ex._keys[el.type] for name, el in schema.maps.elements.items() if el.type in ex._keys}
    return _DocResult(root.name, root_key, {**ex.simple, **ex.complex}, elements, namespaces)


def extract_bundle(bundle: Bundle, *, jobs: int | None = None) -> BundleIR:
    """Extract every document schema (in parallel processes), then merge in document order."""
    out = BundleIR(version=bundle.version)
    docs = list(bundle.documents)
    workers = max(1, min(jobs or os.cpu_count() or 1, len(docs)))
    if workers == 1:
        results = [_extract_document(d) for d in docs]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            results = list(pool.map(_extract_document, docs))
    for doc, res in zip(docs, results, strict=True):
        for p, ns in res.namespaces.items():
            out.namespaces.setdefault(p, ns)
        rename = _merge(out, res.types)
        for name, k in res.elements.items():
            k = rename.get(k, k)
            prev = out.elements.setdefault(name, k)
            if prev != k:
                out.notes.append(f"global element {name} has type {prev} in one document and {k} in {doc.name}")
        out.documents[doc.name] = DocumentIR(
            name=doc.name,
            root=res.root,
            root_type=rename.get(res.root_key, res.root_key),
            json_root="",
            source=doc.path.name,
            types=sorted(rename.get(k, k) for k in res.types),
        )
    return out

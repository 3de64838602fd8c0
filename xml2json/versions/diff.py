"""``xml2json schema diff VA VB``: what changed between two compiled ST.96 versions, at the ST.97 level.

The comparison walks the two generated JSON Schemas of each document side by side,
from the root member down, pairing the objects found at the same JSON path. In each
pair of objects it reports members

* ``added`` / ``removed``;
* ``renamed`` — a removal and an addition at the same place in member order (an
  aligned replacement) whose schemas are the same type with the same cardinality: a
  *rename candidate*, which only a human can confirm;
* ``cardinality`` — array ⇄ single value, or a change of ``minItems``/``maxItems``;
* ``required`` — a member became required or optional;
* ``fixed`` — the constant of a fixed attribute (``com:st96Version`` changes in every
  version and is reported once, as ``version-fixed``);
* ``value-type`` — the JSON value type (string, number, integer, boolean, array, object);
* ``enum`` — values added to or removed from an enumeration;
* ``pattern`` — a regular expression changed;
* ``facet`` — another constraint (``minLength``, ``maximum``…);
* ``choice`` — the ``oneOf``/``anyOf`` rules of a flattened XSD choice;
* ``wildcard`` — what an object accepts beyond its members (``$attributes``, ``ns:*`` keys).

Every change is reported once per pair of types (the ``$defs`` keys), with the first
JSON path where it shows and the documents it affects. Document types present in
only one version are listed separately. Nothing here reads XSDs: both versions only
need to be compiled (``schema list``).
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..registry import Registry, default_registry

_REF = "#/$defs/"
_FACETS = (
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
)

KINDS = (
    "version-fixed",
    "renamed",
    "removed",
    "added",
    "cardinality",
    "required",
    "fixed",
    "value-type",
    "enum",
    "pattern",
    "facet",
    "choice",
    "wildcard",
    "root",
)


@dataclass(frozen=True)
class Change:
    kind: str
    #: the object type that holds the member (``$defs`` key in VA, and in VB), or the value type
    #: itself for changes of a shared value type (``enum``, ``pattern``, ``facet``, ``value-type``)
    type_a: str | None
    type_b: str | None
    #: the member's JSON name in VA (``None`` when added) and in VB (``None`` when removed)
    member: str | None
    member_b: str | None
    #: the first JSON path where the change shows (VA's names; ``[]`` marks array items)
    path: str
    detail: dict[str, Any]
    documents: tuple[str, ...] = ()
    #: the member's XML name in each version (``com:ApplicationDate``), when the plans are known
    xml: str | None = None
    xml_b: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "path": self.path}
        for k in ("member", "member_b", "xml", "xml_b", "type_a", "type_b"):
            v = getattr(self, k)
            if v is not None:
                d[k] = v
        d["detail"] = self.detail
        d["documents"] = list(self.documents)
        return d


@dataclass
class VersionDiff:
    version_a: str
    version_b: str
    documents_compared: list[str] = field(default_factory=list)
    documents_added: list[str] = field(default_factory=list)
    documents_removed: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.changes or self.documents_added or self.documents_removed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "from": self.version_a,
            "to": self.version_b,
            "documents": {
                "compared": self.documents_compared,
                "added": self.documents_added,
                "removed": self.documents_removed,
            },
            "changes": [c.to_dict() for c in self.changes],
        }

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2) + b"\n"

    def to_text(self, *, max_documents: int = 6) -> str:
        return format_text(self, max_documents=max_documents)


# -- reading schemas ----------------------------------------------------------------------


def _key(ref: str) -> str:
    if not ref.startswith(_REF):
        raise ValueError(f"unexpected $ref {ref!r}")
    return ref[len(_REF) :]


@dataclass(frozen=True)
class _Member:
    """A property schema, reduced to what the comparison needs."""

    array: bool
    min_items: int | None
    max_items: int | None
    ref: str | None
    inline: Mapping[str, Any] | None
    const: Any
    has_const: bool

    @property
    def cardinality(self) -> str:
        if not self.array:
            return "single"
        hi = "*" if self.max_items is None else str(self.max_items)
        return f"array {self.min_items if self.min_items is not None else 0}..{hi}"


def _member(schema: Mapping[str, Any]) -> _Member:
    if schema.get("type") == "array" and "items" in schema and "$ref" not in schema:
        items = schema["items"]
        ref = _key(items["$ref"]) if isinstance(items, dict) and "$ref" in items else None
        inline = None if ref is not None else items
        return _Member(True, schema.get("minItems"), schema.get("maxItems"), ref, inline, None, False)
    ref = _key(schema["$ref"]) if "$ref" in schema else None
    inline = None if ref is not None else {k: v for k, v in schema.items() if k != "const"}
    return _Member(False, None, None, ref, inline, schema.get("const"), "const" in schema)


def _is_object(s: Mapping[str, Any]) -> bool:
    t = s.get("type")
    return t == "object" or (isinstance(t, list) and "object" in t and "properties" in s)


def _json_type(s: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    if "$ref" in s:
        return _json_type(defs[_key(s["$ref"])], defs)
    t = s.get("type")
    if isinstance(t, list):
        return "|".join(t)
    if t is not None:
        return str(t)
    if "anyOf" in s:
        return "|".join(sorted({_json_type(m, defs) for m in s["anyOf"]}))
    return "any"


def _patterns(s: Mapping[str, Any]) -> list[str]:
    out = [s["pattern"]] if "pattern" in s else []
    out += [p["pattern"] for p in s.get("allOf", ()) if isinstance(p, dict) and "pattern" in p]
    return out


def _canon(v: Any) -> bytes:
    return orjson.dumps(v, option=orjson.OPT_SORT_KEYS)


# -- the walk -----------------------------------------------------------------------------


@dataclass
class _Raw:
    kind: str
    type_a: str | None
    type_b: str | None
    member: str | None
    member_b: str | None
    path: str
    detail: dict[str, Any]


class _Walker:
    """Compares one document's two JSON Schemas."""

    def __init__(self, defs_a: Mapping[str, Any], defs_b: Mapping[str, Any], va: str, vb: str) -> None:
        self.a = defs_a
        self.b = defs_b
        self.va = va
        self.vb = vb
        self.out: list[_Raw] = []
        self._seen_objects: set[tuple[str, str]] = set()
        self._seen_values: set[tuple[str, str]] = set()
        self._queue: deque[tuple[str, str, str]] = deque()

    def run(self, root_a: str, root_b: str, path: str) -> list[_Raw]:
        self._queue.append((root_a, root_b, path))
        while self._queue:
            ka, kb, p = self._queue.popleft()
            if (ka, kb) in self._seen_objects:
                continue
            self._seen_objects.add((ka, kb))
            self._object(self.a[ka], self.b[kb], ka, kb, p)
        return self.out

    def _add(
        self, kind: str, ta: str | None, tb: str | None, m: str | None, mb: str | None, path: str, **detail: Any
    ) -> None:
        self.out.append(_Raw(kind, ta, tb, m, mb, path, detail))

    # objects ------------------------------------------------------------------------
    def _object(self, sa: Mapping[str, Any], sb: Mapping[str, Any], ka: str, kb: str, path: str) -> None:
        pa: dict[str, Any] = dict(sa.get("properties", {}))
        pb: dict[str, Any] = dict(sb.get("properties", {}))
        ra, rb = set(sa.get("required", ())), set(sb.get("required", ()))
        pairs: list[tuple[str, str]] = []
        removed: list[str] = []
        added: list[str] = []
        names_a, names_b = list(pa), list(pb)
        sm = difflib.SequenceMatcher(None, names_a, names_b, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op == "equal":
                pairs.extend(zip(names_a[i1:i2], names_b[j1:j2], strict=True))
                continue
            olds, news = names_a[i1:i2], names_b[j1:j2]
            # a member that only moved is still the same member
            for n in list(olds):
                if n in pb:
                    pairs.append((n, n))
                    olds.remove(n)
            news = [n for n in news if n not in pa]
            if op == "replace":
                for o, n in zip(list(olds), list(news), strict=False):
                    if self._same_shape(pa[o], pb[n]):
                        pairs.append((o, n))
                        olds.remove(o)
                        news.remove(n)
            removed.extend(olds)
            added.extend(news)
        rename = {o: n for o, n in pairs if o != n}
        for o in removed:
            self._add("removed", ka, kb, o, None, f"{path}.{o}", schema=self._describe(pa[o], self.a), required=o in ra)
        for n in added:
            self._add("added", ka, kb, None, n, f"{path}.{n}", schema=self._describe(pb[n], self.b), required=n in rb)
        for o, n in pairs:
            mp = f"{path}.{o}"
            if o != n:
                self._add("renamed", ka, kb, o, n, mp, schema=self._describe(pb[n], self.b))
            if (o in ra) != (n in rb):
                self._add("required", ka, kb, o, n, mp, **{"from": o in ra, "to": n in rb})
            self._member(pa[o], pb[n], ka, kb, o, n, mp)
        self._choices(sa, sb, ka, kb, path, rename)
        self._wildcards(sa, sb, ka, kb, path)

    def _same_shape(self, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
        ma, mb = _member(a), _member(b)
        if ma.cardinality != mb.cardinality or ma.has_const != mb.has_const:
            return False
        if ma.ref is not None and mb.ref is not None:
            if ma.ref == mb.ref:
                return True
            sa, sb = self.a[ma.ref], self.b[mb.ref]
            return (
                not _is_object(sa) and not _is_object(sb) and self._value_sig(sa, self.a) == self._value_sig(sb, self.b)
            )
        return ma.inline is not None and mb.inline is not None and _canon(ma.inline) == _canon(mb.inline)

    def _describe(self, s: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
        m = _member(s)
        target = m.ref if m.ref is not None else _json_type(m.inline or {}, defs)
        return f"{m.cardinality} of {target}" if m.array else target

    def _member(self, a: Mapping[str, Any], b: Mapping[str, Any], ka: str, kb: str, o: str, n: str, path: str) -> None:
        ma, mb = _member(a), _member(b)
        if ma.cardinality != mb.cardinality:
            self._add("cardinality", ka, kb, o, n, path, **{"from": ma.cardinality, "to": mb.cardinality})
        if ma.has_const or mb.has_const:
            ca = ma.const if ma.has_const else None
            cb = mb.const if mb.has_const else None
            if ca != cb:
                if (ca, cb) == (self.va, self.vb):
                    self._add("version-fixed", ka, kb, o, n, path, **{"from": ca, "to": cb})
                else:
                    self._add("fixed", ka, kb, o, n, path, **{"from": ca, "to": cb})
        item = f"{path}[]" if ma.array else path
        ta = self.a[ma.ref] if ma.ref is not None else (ma.inline or {})
        tb = self.b[mb.ref] if mb.ref is not None else (mb.inline or {})
        oa, ob = _is_object(ta), _is_object(tb)
        if oa and ob:
            if ma.ref is not None and mb.ref is not None:
                self._queue.append((ma.ref, mb.ref, item))
            else:  # an inline object (the items of a ``content`` array)
                self._object(ta, tb, ka, kb, item)
            return
        if oa != ob:
            self._add(
                "value-type", ka, kb, o, n, path, **{"from": _json_type(ta, self.a), "to": _json_type(tb, self.b)}
            )
            return
        if ma.ref is not None and mb.ref is not None:  # a shared value type: report it once
            if (ma.ref, mb.ref) in self._seen_values:
                return
            self._seen_values.add((ma.ref, mb.ref))
            self._value(ta, tb, ma.ref, mb.ref, None, None, path)
        else:
            self._value(ta, tb, ka, kb, o, n, path)

    # values -------------------------------------------------------------------------
    def _value_sig(self, s: Mapping[str, Any], defs: Mapping[str, Any], depth: int = 0) -> Any:
        """A value schema with every ``$ref`` resolved (value types are not recursive)."""
        if depth > 20:
            return "…"
        if "$ref" in s and len(s) == 1:
            return self._value_sig(defs[_key(s["$ref"])], defs, depth + 1)
        out: dict[str, Any] = {}
        for k, v in s.items():
            if k in ("anyOf", "allOf", "oneOf"):
                out[k] = [self._value_sig(x, defs, depth + 1) for x in v]
            elif k == "items" and isinstance(v, dict):
                out[k] = self._value_sig(v, defs, depth + 1)
            elif k == "$ref":
                out[k] = self._value_sig(defs[_key(v)], defs, depth + 1)
            else:
                out[k] = v
        return out

    def _value(
        self,
        sa: Mapping[str, Any],
        sb: Mapping[str, Any],
        ta: str | None,
        tb: str | None,
        o: str | None,
        n: str | None,
        path: str,
    ) -> None:
        siga, sigb = self._value_sig(sa, self.a), self._value_sig(sb, self.b)
        if _canon(siga) == _canon(sigb):
            return
        rest_a = {k: v for k, v in sa.items() if k not in ("anyOf", "items")}
        rest_b = {k: v for k, v in sb.items() if k not in ("anyOf", "items")}
        parts_a = sa.get("anyOf") or ([sa["items"]] if isinstance(sa.get("items"), dict) else None)
        parts_b = sb.get("anyOf") or ([sb["items"]] if isinstance(sb.get("items"), dict) else None)
        if (
            parts_a is not None
            and parts_b is not None
            and len(parts_a) == len(parts_b)
            and ("anyOf" in sa) == ("anyOf" in sb)
            and _canon(self._value_sig(rest_a, self.a)) == _canon(self._value_sig(rest_b, self.b))
        ):
            # a union (or list) whose own constraints are unchanged: the change is in a member type
            for xa, xb in zip(parts_a, parts_b, strict=True):
                if set(xa) == {"$ref"} and set(xb) == {"$ref"}:
                    ka, kb = _key(xa["$ref"]), _key(xb["$ref"])
                    if (ka, kb) not in self._seen_values:
                        self._seen_values.add((ka, kb))
                        self._value(self.a[ka], self.b[kb], ka, kb, None, None, path)
                else:
                    self._value(xa, xb, ta, tb, o, n, path)
            return
        reported = False
        ja, jb = _json_type(sa, self.a), _json_type(sb, self.b)
        if ja != jb:  # the other constraints follow from the new type: not listed one by one
            self._add("value-type", ta, tb, o, n, path, **{"from": ja, "to": jb})
            return
        ea, eb = siga.get("enum"), sigb.get("enum")
        if ea != eb:
            la = ea if isinstance(ea, list) else []
            lb = eb if isinstance(eb, list) else []
            ca, cb = [_canon(x) for x in la], [_canon(x) for x in lb]
            self._add(
                "enum",
                ta,
                tb,
                o,
                n,
                path,
                added=[x for x, c in zip(lb, cb, strict=True) if c not in ca],
                removed=[x for x, c in zip(la, ca, strict=True) if c not in cb],
                **({"from": "no enumeration"} if ea is None else {}),
                **({"to": "no enumeration"} if eb is None else {}),
            )
            reported = True
        pa, pb = _patterns(siga), _patterns(sigb)
        if pa != pb:
            self._add("pattern", ta, tb, o, n, path, **{"from": pa, "to": pb})
            reported = True
        facets = {f: {"from": siga.get(f), "to": sigb.get(f)} for f in _FACETS if siga.get(f) != sigb.get(f)}
        if facets:
            self._add("facet", ta, tb, o, n, path, **facets)
            reported = True
        if not reported:  # unions, list item types…: say what the values were and are
            self._add("value-type", ta, tb, o, n, path, **{"from": _summary(siga), "to": _summary(sigb)})

    # object-level rules -------------------------------------------------------------
    def _choices(
        self, sa: Mapping[str, Any], sb: Mapping[str, Any], ka: str, kb: str, path: str, rename: Mapping[str, str]
    ) -> None:
        ca = _renamed(sa.get("allOf", []), rename)
        cb = sb.get("allOf", [])
        if _canon(ca) != _canon(cb):
            self._add("choice", ka, kb, None, None, path, **{"from": sa.get("allOf", []), "to": cb})

    def _wildcards(self, sa: Mapping[str, Any], sb: Mapping[str, Any], ka: str, kb: str, path: str) -> None:
        for key in ("patternProperties", "additionalProperties"):
            if _canon(sa.get(key)) != _canon(sb.get(key)):
                self._add("wildcard", ka, kb, None, None, path, keyword=key, **{"from": sa.get(key), "to": sb.get(key)})


def _renamed(v: Any, rename: Mapping[str, str]) -> Any:
    """A choice rule of VA with VA's member names replaced by their renames in VB."""
    if isinstance(v, dict):
        return {k: (_renamed(x, rename) if k != "required" else [rename.get(n, n) for n in x]) for k, x in v.items()}
    if isinstance(v, list):
        return [_renamed(x, rename) for x in v]
    return v


def _summary(sig: Any) -> str:
    text = orjson.dumps(sig, option=orjson.OPT_SORT_KEYS).decode()
    return text if len(text) <= 160 else text[:157] + "…"


# -- documents and versions ----------------------------------------------------------------


def _path_key(path: str) -> tuple[int, str]:
    return path.count("."), path


def _xml_names(plan: Mapping[str, Any] | None) -> dict[tuple[str, str], str]:
    """(type key, JSON member name) → ``prefix:Local`` from a plan dict."""
    if not plan:
        return {}
    prefix = {u: p for p, u in plan.get("namespaces", {}).items()}

    def short(clark: str) -> str:
        if not clark.startswith("{"):
            return clark
        ns, local = clark[1:].split("}")
        return f"{prefix.get(ns, ns)}:{local}"

    out: dict[tuple[str, str], str] = {}
    for key, spec in plan.get("types", {}).items():
        if spec[0] == "leaf":
            continue
        for a in spec[1]:
            out[(key, a[1])] = short(a[0])
        for c in spec[2]:
            out[(key, c[1])] = short(c[0])
    return out


def diff_schema_sets(
    va: str,
    vb: str,
    schemas_a: Mapping[str, Mapping[str, Any]],
    schemas_b: Mapping[str, Mapping[str, Any]],
    *,
    documents: Iterable[str] | None = None,
    plan_a: Mapping[str, Any] | None = None,
    plan_b: Mapping[str, Any] | None = None,
) -> VersionDiff:
    """Compare two sets of ST.97 JSON Schemas (``{document: schema}``)."""
    wanted = set(documents) if documents is not None else None
    names_a = {n for n in schemas_a if wanted is None or n in wanted}
    names_b = {n for n in schemas_b if wanted is None or n in wanted}
    result = VersionDiff(va, vb, sorted(names_a & names_b), sorted(names_b - names_a), sorted(names_a - names_b))
    grouped: dict[bytes, tuple[_Raw, list[str]]] = {}
    for doc in result.documents_compared:
        sa, sb = schemas_a[doc], schemas_b[doc]
        ((root_a, ref_a),) = sa["properties"].items()
        ((root_b, ref_b),) = sb["properties"].items()
        raws: list[_Raw] = []
        if root_a != root_b:
            raws.append(_Raw("root", None, None, root_a, root_b, root_a, {}))
        raws += _Walker(sa["$defs"], sb["$defs"], va, vb).run(_key(ref_a["$ref"]), _key(ref_b["$ref"]), root_a)
        for r in raws:
            k = _canon([r.kind, r.type_a, r.type_b, r.member, r.member_b, r.detail])
            if k in grouped:
                prev, docs = grouped[k]
                if doc not in docs:
                    docs.append(doc)
                if _path_key(r.path) < _path_key(prev.path):  # show the shortest path
                    grouped[k] = (r, docs)
            else:
                grouped[k] = (r, [doc])
    xa, xb = _xml_names(plan_a), _xml_names(plan_b)
    changes = []
    for r, docs in grouped.values():
        changes.append(
            Change(
                r.kind,
                r.type_a,
                r.type_b,
                r.member,
                r.member_b,
                r.path,
                r.detail,
                tuple(sorted(docs)),
                xml=xa.get((r.type_a or "", r.member or "")),
                xml_b=xb.get((r.type_b or "", r.member_b or "")),
            )
        )
    order = {k: i for i, k in enumerate(KINDS)}
    changes.sort(key=lambda c: (order.get(c.kind, 99), c.path, c.member or "", c.member_b or ""))
    result.changes = changes
    return result


def diff_versions(
    va: str, vb: str, *, registry: Registry | None = None, documents: Iterable[str] | None = None
) -> VersionDiff:
    """Compare two versions compiled in the registry (shipped or cached)."""
    from ..plan import read_plan_dict

    reg = registry or default_registry()
    ea, eb = reg.entry(va), reg.entry(vb)
    wanted = list(documents) if documents is not None else None
    if wanted is not None:
        known = set(ea.documents) | set(eb.documents)
        missing = [d for d in wanted if d not in known]
        if missing:
            from ..errors import SchemaNotAvailableError

            raise SchemaNotAvailableError(
                f"no document {', '.join(missing)} in ST.96 {va} or {vb}; known: {', '.join(sorted(known))}",
                code="unknown-document",
            )
    sa = {d: reg.schema(va, d) for d in ea.documents if wanted is None or d in wanted}
    sb = {d: reg.schema(vb, d) for d in eb.documents if wanted is None or d in wanted}
    return diff_schema_sets(
        va, vb, sa, sb, documents=wanted, plan_a=read_plan_dict(ea.plan_path), plan_b=read_plan_dict(eb.plan_path)
    )


# -- text -----------------------------------------------------------------------------------


def _docs(c: Change, total: int, max_documents: int) -> str:
    if len(c.documents) == total and total > 1:
        return f"all {total} documents"
    shown = ", ".join(c.documents[:max_documents])
    more = len(c.documents) - max_documents
    return shown + (f" and {more} more" if more > 0 else "")


def _fmt_values(v: list[Any], limit: int = 8) -> str:
    shown = ", ".join(repr(x) if not isinstance(x, str) else x for x in v[:limit])
    return shown + (f", … ({len(v) - limit} more)" if len(v) > limit else "")


def _headline(c: Change) -> str:
    if c.kind == "renamed":
        xml = f" ({c.xml} → {c.xml_b})" if c.xml or c.xml_b else ""
        return f"renamed   {c.member} → {c.member_b}{xml}: {c.detail['schema']}"
    if c.kind in ("added", "removed"):
        name = c.member_b if c.kind == "added" else c.member
        x = c.xml_b if c.kind == "added" else c.xml
        req = "required" if c.detail.get("required") else "optional"
        return f"{c.kind:<9} {name}{f' ({x})' if x else ''}: {c.detail['schema']}, {req}"
    subject = c.member or c.type_a
    if c.kind == "enum":
        parts = []
        if c.detail.get("added"):
            parts.append(f"+ {_fmt_values(c.detail['added'])}")
        if c.detail.get("removed"):
            parts.append(f"- {_fmt_values(c.detail['removed'])}")
        parts += [f"{k} {c.detail[k]}" for k in ("from", "to") if k in c.detail]
        return f"enum      {subject}: {'; '.join(parts)}"
    if c.kind == "facet":
        return f"facet     {subject}: " + ", ".join(f"{k} {v['from']} → {v['to']}" for k, v in c.detail.items())
    if c.kind in ("choice", "wildcard"):
        kw = f" ({c.detail['keyword']})" if "keyword" in c.detail else ""
        return f"{c.kind:<9} rules of {c.type_b}{kw} changed"
    if c.kind == "root":
        return f"root      {c.member} → {c.member_b}"
    return f"{c.kind:<9} {subject}: {c.detail.get('from')} → {c.detail.get('to')}"


def _n(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _where(c: Change) -> str:
    t = c.type_a if c.type_a == c.type_b else f"{c.type_a} → {c.type_b}"
    if c.member is None and c.member_b is None:  # a change of the type itself
        owner = "value type" if c.kind in ("enum", "facet", "pattern", "value-type") else "type"
        return f"{owner} {t}, at {c.path}"
    return f"in {t}, at {c.path}"


def format_text(d: VersionDiff, *, max_documents: int = 6) -> str:
    """Readable text: one headline per distinct change, the types and paths where it shows, the documents."""
    lines = [
        f"ST.97 changes from ST.96 {d.version_a} to {d.version_b} "
        f"({_n(len(d.documents_compared), 'document type')} compared)"
    ]
    if d.documents_removed:
        lines.append(f"document types only in {d.version_a}: {', '.join(d.documents_removed)}")
    if d.documents_added:
        lines.append(f"document types only in {d.version_b}: {', '.join(d.documents_added)}")
    if not d.changes:
        if d.documents_compared:
            lines.append("no changes in the document types compared")
        return "\n".join(lines) + "\n"
    total = len(d.documents_compared)
    version_fixed = [c for c in d.changes if c.kind == "version-fixed"]
    if version_fixed:
        docs = sorted({x for c in version_fixed for x in c.documents})
        lines.append(
            f"st96Version is fixed to {d.version_b!r} instead of {d.version_a!r} "
            f"({_n(len(version_fixed), 'type')} in {_n(len(docs), 'document')})"
        )
    groups: dict[str, list[Change]] = {}
    for c in d.changes:
        if c.kind != "version-fixed":
            groups.setdefault(_headline(c), []).append(c)
    for head, cs in groups.items():
        lines.append("")
        lines.append(head)
        for c in cs:
            lines.append(f"          {_where(c)}")
        merged = Change(cs[0].kind, None, None, None, None, "", {}, tuple(sorted({x for c in cs for x in c.documents})))
        lines.append(f"          documents: {_docs(merged, total, max_documents)}")
    return "\n".join(lines) + "\n"

"""Emitter (b): the ST.97 JSON Schema (2020-12) for every document root of a bundle.

Reads the same IR as :mod:`.emit_plan`, so arrays, required members and value
types agree with the runtime plan by construction. Structure and facts only:
no annotation prose from the XSDs is carried over (rule 25).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from ..errors import SchemaCompileError
from ..policy import (
    BOOLEAN_LEXICAL_VALUES,
    CONTENT_KEY,
    DATE_PATTERNS,
    DECIMAL_LEXICAL_PATTERN,
    INTEGER_LEXICAL_PATTERN,
    JSON_SCHEMA_DIALECT,
    OTHER_ATTRIBUTES_KEY,
    UNKNOWN_ELEMENT_KEY_PATTERN,
    VALUE_KEY,
    schema_id,
)
from .ir import BundleIR, ComplexTypeIR, GroupIR, Item, ParticleIR, SimpleTypeIR, WildcardIR, particles, repeats
from .patterns import translate_pattern


def _ref(key: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{key}"}


def _num(text: str) -> int | float:
    d = Decimal(text)
    if d == d.to_integral_value():
        return int(d)
    f = float(d)
    if Decimal(repr(f)) != d:
        raise SchemaCompileError(f"numeric facet {text!r} is not exactly representable", code="compile-facet")
    return f


def _present(names: list[str]) -> dict[str, Any]:
    """Any of *names* is present."""
    return {"required": names} if len(names) == 1 else {"anyOf": [{"required": [n]} for n in names]}


def _absent(names: list[str]) -> dict[str, Any]:
    """None of *names* is present ({}: no constraint)."""
    return {"properties": dict.fromkeys(names, False)} if names else {}


def _implied(present: list[str], schema: dict[str, Any]) -> bool:
    """True when "any of *present* is present" implies *schema* (checked for the simple forms only)."""
    if schema == {"required": present} and len(present) == 1:
        return True
    alternatives = schema.get("anyOf") if set(schema) == {"anyOf"} else None
    if not alternatives or any(set(a) != {"required"} or len(a["required"]) != 1 for a in alternatives):
        return False
    return set(present) <= {a["required"][0] for a in alternatives}


def _possible(schema: dict[str, Any], absent: set[str]) -> bool:
    """False when *schema* (a requirement from ``requires``) cannot hold while *absent* are absent."""
    if any(n in absent for n in schema.get("required", ())):
        return False
    if "anyOf" in schema and not any(_possible(a, absent) for a in schema["anyOf"]):
        return False
    return all(_possible(a, absent) for a in schema.get("allOf", ()))


def _merge(schemas: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A conjunction of schemas, folded into as few objects as possible.

    Keywords of one object are ANDed, so objects without a common keyword are merged;
    ``required`` lists and ``properties`` maps (all ``false`` here) are united.
    """
    out: list[dict[str, Any]] = []
    for s in schemas:
        for acc in out:
            common = set(acc) & set(s)
            if common <= {"required", "properties"}:
                for k, v in s.items():
                    if k == "required":
                        acc[k] = list(dict.fromkeys([*acc.get(k, []), *v]))
                    elif k == "properties":
                        acc[k] = {**acc.get(k, {}), **v}
                    else:
                        acc[k] = v
                break
        else:
            if s:
                out.append(dict(s))
    return out


def _conjunction(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    """One schema for a conjunction from :func:`_merge` ({}: always true)."""
    if not schemas:
        return {}
    return schemas[0] if len(schemas) == 1 else {"allOf": schemas}


class _Emitter:
    def __init__(self, ir: BundleIR) -> None:
        self.ir = ir
        self.notes: list[str] = []

    # -- simple types ---------------------------------------------------------------
    def _patterns(self, st: SimpleTypeIR) -> list[str]:
        out = []
        for step in st.facets.patterns:
            try:
                translated = [translate_pattern(p) for p in step]
            except SchemaCompileError as exc:
                raise SchemaCompileError(f"{st.key}: {exc.message}", code=exc.code) from exc
            out.append(translated[0] if len(translated) == 1 else "|".join(f"(?:{t})" for t in translated))
        return out

    def _string_facets(self, st: SimpleTypeIR, schema: dict[str, Any]) -> dict[str, Any]:
        f = st.facets
        if f.enumeration is not None:
            schema["enum"] = list(f.enumeration)
        if f.length is not None:
            schema["minLength"] = schema["maxLength"] = f.length
        if f.min_length is not None:
            schema["minLength"] = f.min_length
        if f.max_length is not None:
            schema["maxLength"] = f.max_length
        pats = self._patterns(st)
        if st.primitive in DATE_PATTERNS:
            pats.append(DATE_PATTERNS[st.primitive])
        if len(pats) == 1:
            schema["pattern"] = pats[0]
        elif pats:
            schema["allOf"] = [{"pattern": p} for p in pats]
        return schema

    def simple(self, st: SimpleTypeIR) -> dict[str, Any]:
        if st.variety == "list":
            assert st.item is not None
            s: dict[str, Any] = {"type": "array", "items": _ref(st.item)}
            f = st.facets
            if f.length is not None:
                s["minItems"] = s["maxItems"] = f.length
            if f.min_length is not None:
                s["minItems"] = f.min_length
            if f.max_length is not None:
                s["maxItems"] = f.max_length
            if f.enumeration is not None:
                s["enum"] = [e.split() for e in f.enumeration]
            return s
        if st.variety == "union":
            if st.codec == "string":
                s = {"anyOf": [self.as_string(m) for m in st.members]}
            else:
                s = {"anyOf": [_ref(m) for m in st.members]}
            if st.facets.enumeration is not None:
                s["enum"] = self._enum_values(st)
            pats = self._patterns(st)
            if pats and st.codec == "string":
                s["allOf"] = [{"pattern": p} for p in pats]
            return s
        if st.codec == "boolean":
            return {"type": "boolean"}
        if st.codec in ("decimal", "integer"):
            s = {"type": "integer" if st.codec == "integer" else "number"}
            f = st.facets
            for attr, kw in (
                ("min_inclusive", "minimum"),
                ("max_inclusive", "maximum"),
                ("min_exclusive", "exclusiveMinimum"),
                ("max_exclusive", "exclusiveMaximum"),
            ):
                v = getattr(f, attr)
                if v is not None:
                    s[kw] = _num(v)
            if f.enumeration is not None:
                s["enum"] = self._enum_values(st)
            if f.patterns:
                self.notes.append(f"{st.key}: pattern facet on a numeric type is checked by the XSD only")
            return s
        return self._string_facets(st, {"type": "string"})

    def _fixed(self, key: str, text: str) -> Any:
        st = self.ir.simple_types[key]
        if st.codec in ("decimal", "integer"):
            return _num(text)
        if st.codec == "boolean":
            return text.strip() in ("true", "1")
        if st.codec == "list":
            return text.split()
        return text

    def _enum_values(self, st: SimpleTypeIR) -> list[Any]:
        vals = st.facets.enumeration or []
        if st.codec in ("decimal", "integer"):
            return [_num(v) for v in vals]
        if st.codec == "boolean":
            return sorted({v.strip() in ("true", "1") for v in vals})
        return list(vals)

    def as_string(self, key: str) -> dict[str, Any]:
        """A union member's schema where the union's value is a JSON string."""
        st = self.ir.simple_types[key]
        if st.codec == "string":
            return _ref(key)
        if st.codec == "boolean":
            return {"type": "string", "enum": list(BOOLEAN_LEXICAL_VALUES)}
        if st.codec in ("decimal", "integer"):
            s: dict[str, Any] = {
                "type": "string",
                "pattern": INTEGER_LEXICAL_PATTERN if st.codec == "integer" else DECIMAL_LEXICAL_PATTERN,
            }
            if st.facets.enumeration is not None:
                s["enum"] = list(st.facets.enumeration)
            return s
        return {"type": "string"}  # a list inside a string union: any whitespace-separated text

    # -- complex types ------------------------------------------------------------------
    def _particle_schema(self, p: ParticleIR) -> dict[str, Any]:
        item = _ref(p.type)
        if not p.array:
            return item
        s: dict[str, Any] = {"type": "array", "items": item, "minItems": max(1, p.eff_min)}
        if p.eff_max is not None:
            s["maxItems"] = p.eff_max
        return s

    def complex(self, ct: ComplexTypeIR) -> dict[str, Any]:
        props: dict[str, Any] = {}
        required: list[str] = []
        for a in ct.attributes:
            props[a.json] = _ref(a.type)
            if a.fixed is not None:
                props[a.json] = {**_ref(a.type), "const": self._fixed(a.type, a.fixed)}
            if a.required:
                required.append(a.json)
        if ct.any_attribute is not None:
            props[OTHER_ATTRIBUTES_KEY] = {"type": "object", "additionalProperties": {"type": "string"}}
        s: dict[str, Any] = {"type": "object"}
        if ct.content == "simple":
            assert ct.simple is not None
            props[VALUE_KEY] = _ref(ct.simple)
            required.append(VALUE_KEY)
        for p in ct.particles:
            if p.ordered:
                continue
            props[p.json] = self._particle_schema(p)
            if p.required:
                required.append(p.json)
        if ct.has_ordered:
            ordered = [p for p in ct.particles if p.ordered]
            item: dict[str, Any] = {
                "type": ["string", "object"] if ct.content == "mixed" else "object",
                "properties": {p.json: _ref(p.type) for p in ordered},
                "minProperties": 1,
                "maxProperties": 1,
            }
            if ct.any_element is not None:
                item["patternProperties"] = {UNKNOWN_ELEMENT_KEY_PATTERN: {"type": "object"}}
            item["additionalProperties"] = False
            content: dict[str, Any] = {"type": "array", "items": item}
            props[CONTENT_KEY] = content
            if ct.content == "mixed":
                required.append(CONTENT_KEY)
            elif any(p.ordered and p.eff_min >= 1 for p in particles(ct.model)):
                required.append(CONTENT_KEY)
                content["minItems"] = 1
        s["properties"] = props
        if required:
            s["required"] = required
        if ct.any_element is not None and not ct.has_ordered:
            s["patternProperties"] = {UNKNOWN_ELEMENT_KEY_PATTERN: {"type": ["object", "array"]}}
        constraints = self._choice_constraints(ct)
        if constraints:
            s["allOf"] = constraints
        s["additionalProperties"] = False
        return s

    def _choice_constraints(self, ct: ComplexTypeIR) -> list[dict[str, Any]]:
        """Rule 12: the choices of a flattened content model, stated per branch.

        A member *identifies* a branch when it occurs in that branch only (not in another
        branch, not elsewhere in the model): its presence means the branch was taken. From
        those members alone come the constraints, so a member shared by two branches never
        decides which one was taken:

        * a taken branch has what it requires (``if`` an identifying member ``then`` …), and in
          a choice that does not repeat, no member of another branch that it lacks;
        * a choice that does not repeat has at most one branch with identifying members
          present (``oneOf``); when none is present, the members that are present must still
          make up some branch — or nothing, where the choice may be empty (an optional
          choice, a branch whose members are all optional, an element wildcard);
        * a repeating choice that may not be empty has some branch complete (``anyOf``).

        A choice nested in a branch is stated in its own right too, as a choice that may be
        empty (the enclosing branch may not be taken); what it requires when it is taken is
        part of what its branch requires. Size: linear in the members, plus one ``properties``
        entry per (branch, shared member). Never rejects a valid instance; it accepts some
        invalid ones where presence alone cannot tell: an optional sequence whose members
        are not all present; a member a nested choice shares with another branch of an
        enclosing choice (``(x | y) | (x, z)`` accepts ``{x, y}``: the inner choice cannot
        tell which ``x`` it is; stating it would need each nested choice again per enclosing
        branch); occurrence counts across the branches of a repeating choice.
        """
        if ct.model is None:
            return []
        flat = {p.qname: p for p in ct.particles}
        every = [(p, flat[p.qname].json) for p in particles(ct.model)]
        out: list[dict[str, Any]] = []

        def names(item: Item) -> list[str]:
            if isinstance(item, ParticleIR):
                return [flat[item.qname].json]
            if isinstance(item, GroupIR):
                return list(dict.fromkeys(flat[p.qname].json for p in particles(item)))
            return []

        def requires(item: Item) -> list[dict[str, Any]]:
            """What a taken *item* implies, as a conjunction of schemas ([]: nothing)."""
            if isinstance(item, WildcardIR) or item.min < 1:
                return []
            if isinstance(item, ParticleIR):
                return [{"required": [flat[item.qname].json]}]
            if item.model == "choice" and len(item.items) > 1:
                alternatives = [requires(i) for i in item.items]
                if not all(alternatives):
                    return []
                return [{"anyOf": [_conjunction(a) for a in alternatives]}]
            return _merge([s for i in item.items for s in requires(i)])

        def walk(g: GroupIR, optional: bool, repeating: bool) -> None:
            repeating = repeating or repeats(g.max)
            optional = optional or g.min < 1
            branchy = g.model == "choice" and len(g.items) > 1
            if any(flat[p.qname].ordered for p in particles(g)):
                return
            if branchy:
                out.extend(self._choice(g, every, names, requires, optional=optional, repeating=repeating))
            for item in g.items:
                if isinstance(item, GroupIR):
                    walk(item, optional or branchy, repeating)

        walk(ct.model, False, False)
        return out

    @staticmethod
    def _choice(
        g: GroupIR,
        every: list[tuple[ParticleIR, str]],
        names: Callable[[Item], list[str]],
        requires: Callable[[Item], list[dict[str, Any]]],
        *,
        optional: bool,
        repeating: bool,
    ) -> list[dict[str, Any]]:
        inside = particles(g)  # compared by identity: one element name may occur in several particles
        outside = {n for p, n in every if all(p is not q for q in inside)}
        branches = [[n for n in names(b) if n not in outside] for b in g.items]
        count: dict[str, int] = {}
        for branch in branches:
            for n in branch:
                count[n] = count.get(n, 0) + 1
        own = [[n for n in branch if count[n] == 1] for branch in branches]
        shared = [n for n in count if count[n] > 1]
        needs = [requires(b) for b in g.items]
        out: list[dict[str, Any]] = []
        # a taken branch has what it requires and (if the choice does not repeat) nothing of another branch
        for k, item_needs in enumerate(needs):
            if not own[k]:
                continue
            then = [s for s in item_needs if not _implied(own[k], s)]
            if not repeating:
                then.append(_absent([n for n in shared if n not in branches[k]]))
            then = _merge(then)
            if then:
                out.append({"if": _present(own[k]), "then": _conjunction(then)})
        if repeating:
            if not optional and all(needs):
                out.append({"anyOf": [_conjunction(n) for n in needs]})
            return out
        # no identifying member present: the shared members present make up one branch (or nothing)
        fallback: list[dict[str, Any]] = []
        # "none identified" is enough on its own (no shared member can be out of place)
        may_be_empty = optional and not shared
        if optional and shared:
            fallback.append(_absent(shared))
        everyone = [n for o in own for n in o]
        for k, item_needs in enumerate(needs):
            if not all(_possible(s, set(everyone)) for s in item_needs):
                continue  # cannot be complete without an identifying member
            alternative = _merge([*item_needs, _absent([n for n in shared if n not in branches[k]])])
            if not alternative:
                may_be_empty = True
            fallback.append(_conjunction(alternative))
        identified = [_present(o) for o in own if o]
        if not identified:
            if not may_be_empty:
                out.append({"anyOf": fallback})
            return out
        if may_be_empty:
            if len(identified) > 1:
                out.append({"oneOf": [*identified, _absent(everyone)]})
        elif fallback:
            out.append({"oneOf": [*identified, _conjunction(_merge([_absent(everyone), {"anyOf": fallback}]))]})
        else:
            out.append(identified[0] if len(identified) == 1 else {"oneOf": identified})
        return out

    # -- documents --------------------------------------------------------------------
    def defs(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, st in self.ir.simple_types.items():
            out[key] = self.simple(st)
        for key, ct in self.ir.complex_types.items():
            out[key] = self.complex(ct)
        return out


def _with_shared(keys: list[str], defs: dict[str, Any]) -> list[str]:
    extra = {f"{k}__contentItem" for k in keys} | {
        r["$ref"].rsplit("/", 1)[1]
        for k in keys
        if isinstance(r := defs[k].get("properties", {}).get(CONTENT_KEY, {}).get("items"), dict) and "$ref" in r
    }
    return sorted(set(keys) | {e for e in extra if e in defs})


def _reachable(ir: BundleIR, root: str) -> list[str]:
    seen: set[str] = set()
    stack = [root]
    while stack:
        k = stack.pop()
        if k in seen:
            continue
        seen.add(k)
        st = ir.simple_types.get(k)
        if st is not None:
            stack.extend(([st.item] if st.item else []) + st.members)
            continue
        ct = ir.complex_types[k]
        stack.extend(a.type for a in ct.attributes)
        if ct.simple:
            stack.append(ct.simple)
        stack.extend(p.type for p in ct.particles)
    return sorted(seen)


def _share_content_items(defs: dict[str, Any]) -> None:
    """Identical ``content`` item schemas (MathML's expression choice, ~200 members) are
    emitted once, as ``$defs/<first type key>__contentItem``, and referenced."""
    import orjson

    by_body: dict[bytes, list[str]] = {}
    for key in sorted(defs):
        item = defs[key].get("properties", {}).get(CONTENT_KEY, {}).get("items")
        if isinstance(item, dict) and len(item.get("properties", {})) > 8:
            by_body.setdefault(orjson.dumps(item, option=orjson.OPT_SORT_KEYS), []).append(key)
    for keys in by_body.values():
        if len(keys) < 2:
            continue
        shared = f"{keys[0]}__contentItem"
        defs[shared] = defs[keys[0]]["properties"][CONTENT_KEY]["items"]
        for k in keys:
            defs[k]["properties"][CONTENT_KEY]["items"] = _ref(shared)


def emit_json_schemas(ir: BundleIR) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Return ``{document name: JSON Schema}`` and the emitter's notes."""
    em = _Emitter(ir)
    all_defs = em.defs()
    _share_content_items(all_defs)
    out: dict[str, dict[str, Any]] = {}
    for name, doc in sorted(ir.documents.items()):
        keys = _reachable(ir, doc.root_type)
        out[name] = {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": schema_id(ir.version, name),
            "title": f"ST.97 {name} (from ST.96 {ir.version})",
            "type": "object",
            "properties": {doc.json_root: _ref(doc.root_type)},
            "required": [doc.json_root],
            "additionalProperties": False,
            "$defs": {k: all_defs[k] for k in _with_shared(keys, all_defs)},
        }
    return out, sorted(set(em.notes))

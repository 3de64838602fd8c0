"""A table-driven engine for simplified JSON profiles of ST.97 records.

A profile is ONE declarative mapping table (a tuple of nodes) between a
simplified JSON object and a record in its full ST.97 form:

* :class:`Field` — a simplified member ↔ one path in the full form, through a
  named :class:`Transform` (``text``, ``boolean``, ``phrase``, …), optionally
  read from legacy :class:`Alias` elements too;
* :class:`Choice` — one simplified value + a kind member that says which of
  several full-form paths holds it (a party's name: organisation / person / entity);
* :class:`Group` — a nested simplified object over the same context (``mark``);
* :class:`Items` — a simplified array ↔ a full-form array (or, with a
  :class:`Layout`, several nested arrays), item by item, each item mapped by a
  sub-table (or by one scalar :class:`Field`);
* :class:`Default` — a full-form value the profile does not show but *derives*
  by a named :class:`Rule` (sequence numbers, the ``Nice`` classification kind,
  ``st96Version``): written on expansion, recognised (and so *carried*) on
  simplification when the input has exactly that value.

Paths are written ``applicationNumber[0].applicationNumberText``: member names
separated by dots, ``[n]`` a fixed array position, ``[]`` every position (in
:class:`Items` paths only).

Exactness is by construction, not by care: a value is carried only if the
transform maps it back to *exactly* the input leaves it claims, each input leaf
is claimed at most once, and array items are carried only while the layout puts
them back at their input positions. Every leaf that is not claimed is kept,
at its JSON Pointer, in the simplified document's ``unmapped`` member and is put
back on expansion. A default the input lacks is recorded in ``unmapped`` as
``null`` ("do not generate"), so simplify → expand restores the input exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from ..errors import ConversionError
from .pointer import MISSING, PointerConflict, build, escape, flatten, same

PROFILE_KEY: Final = "profile"
UNMAPPED_KEY: Final = "unmapped"
#: Pointers of ``unmapped`` that start with this segment are relative to the document object
#: around the record (the ``trademarkApplication`` object), not to the record itself.
DOCUMENT_SEGMENT: Final = ".."
DOCUMENT_PREFIX: Final = "/" + DOCUMENT_SEGMENT

WILD: Final = -1
Segment = str | int


class ProfileError(ConversionError):
    """A simplified document that cannot be expanded (or a table that is inconsistent)."""

    default_code = "profile"


class NotCarried(Exception):
    """Raised by a transform: this full-form value has no simplified form."""


# -- the vocabulary of the table ----------------------------------------------------------


@dataclass(frozen=True)
class Transform:
    """A named pair of functions; ``to_full(to_simple(x))`` must give back (a part of) ``x``."""

    name: str
    description: str
    to_simple: Callable[[Any], Any]
    to_full: Callable[[Any], Any]


@dataclass(frozen=True)
class RuleContext:
    simple: Mapping[str, Any]  # the simplified object the default belongs to
    position: int  # 0-based position of that object in its full-form array (0 outside arrays)


@dataclass(frozen=True)
class Rule:
    """A named way of deriving a full-form value from the simplified document."""

    name: str
    description: str
    compute: Callable[[RuleContext], Any]  # returns MISSING for "nothing to write"


@dataclass(frozen=True)
class Layout:
    """Where the items of a simplified array go in the full form (their positions, one per ``[]``)."""

    name: str
    description: str
    wildcards: int
    positions: Callable[[Sequence[Any]], list[tuple[int, ...]]]


def parse_path(path: str) -> tuple[Segment, ...]:
    if path == "":
        return ()
    out: list[Segment] = []
    for part in path.split("."):
        m = re.fullmatch(r"([^\[\]]+)((?:\[\d*\])*)", part)
        if m is None:
            raise ValueError(f"bad mapping path {path!r}")
        out.append(m.group(1))
        out.extend(WILD if i == "" else int(i) for i in re.findall(r"\[(\d*)\]", m.group(2)))
    return tuple(out)


def _ptr(segs: Sequence[Segment]) -> str:
    return "".join("/" + (str(s) if isinstance(s, int) else escape(s)) for s in segs)


@dataclass(frozen=True)
class Alias:
    """A legacy element (unknown to the schema, converted by the generic rule) read as the field too."""

    path: str  # the JSON member of the unknown element, e.g. "tmk:applicationDate"
    qname: str  # its exact XML name (Clark notation), which must match ``$qname``
    note: str = ""

    @property
    def segs(self) -> tuple[Segment, ...]:
        return parse_path(self.path)


@dataclass(frozen=True)
class Field:
    name: str
    path: str
    transform: Transform
    aliases: tuple[Alias, ...] = ()
    note: str = ""

    @property
    def segs(self) -> tuple[Segment, ...]:
        return parse_path(self.path)


@dataclass(frozen=True)
class Option:
    kind: str
    path: str
    transform: Transform

    @property
    def segs(self) -> tuple[Segment, ...]:
        return parse_path(self.path)


@dataclass(frozen=True)
class Choice:
    name: str
    kind_name: str
    options: tuple[Option, ...]
    note: str = ""

    def option(self, kind: Any) -> Option | None:
        return next((o for o in self.options if o.kind == kind), None)


@dataclass(frozen=True)
class Group:
    """A nested simplified object; its nodes' paths are relative to *path* (a single-child wrapper
    that collapses: ``nationalCorrespondent`` → ``correspondent``), or to the same context."""

    name: str
    nodes: tuple[Node, ...]
    path: str = ""
    note: str = ""

    @property
    def segs(self) -> tuple[Segment, ...]:
        return parse_path(self.path)


@dataclass(frozen=True)
class Default:
    path: str
    rule: Rule
    anchor: str = ""  # must exist among the mapped values for the default to be written
    scope: Literal["context", "document"] = "context"
    note: str = ""

    @property
    def segs(self) -> tuple[Segment, ...]:
        return parse_path(self.path)

    @property
    def anchor_segs(self) -> tuple[Segment, ...]:
        return parse_path(self.anchor)


@dataclass(frozen=True)
class Items:
    name: str
    path: str  # with one "[]" per layout wildcard
    layout: Layout
    nodes: tuple[Node, ...] = ()  # object items
    item: Field | None = None  # or scalar items (the Field's name is unused)
    defaults: tuple[Default, ...] = ()  # per item, relative to the item
    group_defaults: tuple[Default, ...] = ()  # per group (all positions but the last), relative to the group
    keep_empty: bool = False  # keep items that carry nothing as {} (keeps later items at their positions)
    note: str = ""

    @property
    def segs(self) -> tuple[Segment, ...]:
        return parse_path(self.path)


Node = Field | Choice | Group | Items | Default


# -- reading the full form ----------------------------------------------------------------


def read(value: Any, segs: Sequence[Segment]) -> Any:
    cur = value
    for s in segs:
        if isinstance(s, str):
            if not isinstance(cur, dict) or s not in cur:
                return MISSING
            cur = cur[s]
        else:
            if not isinstance(cur, list) or s >= len(cur):
                return MISSING
            cur = cur[s]
    return cur


def iterate(value: Any, segs: Sequence[Segment]) -> Iterator[tuple[tuple[int, ...], tuple[Segment, ...], Any]]:
    """Every item a wildcard path reaches: (positions, concrete path, item), in document order."""
    if WILD not in segs:
        v = read(value, segs)
        if v is not MISSING:
            yield (), tuple(segs), v
        return
    i = list(segs).index(WILD)
    head, tail = tuple(segs[:i]), tuple(segs[i + 1 :])
    arr = read(value, head)
    if not isinstance(arr, list):
        return
    for n, item in enumerate(arr):
        for pos, concrete, v in iterate(item, tail):
            yield (n, *pos), (*head, n, *concrete), v


def fill(segs: Sequence[Segment], positions: Sequence[int]) -> tuple[Segment, ...]:
    it = iter(positions)
    return tuple(next(it) if s == WILD else s for s in segs)


# -- claims: which input leaf is carried by what ------------------------------------------


@dataclass(frozen=True, slots=True)
class Claim:
    label: str  # the profile field (``applicants[].name``) or ``default <rule>``
    target: str | None = None  # where the value lands on expansion, when not at the same pointer
    derived: bool = False  # carried by a default rule, not by a field


class _Claims:
    def __init__(self, parent: _Claims | None = None) -> None:
        self.parent = parent
        self.own: dict[str, Claim] = {}

    def __contains__(self, p: object) -> bool:
        c: _Claims | None = self
        while c is not None:
            if p in c.own:
                return True
            c = c.parent
        return False

    def commit(self) -> None:
        if self.parent is not None:
            self.parent.own.update(self.own)


def _label(spath: Sequence[str]) -> str:
    return ".".join(spath).replace(".[]", "[]")


# -- the profile ------------------------------------------------------------------------------


@dataclass
class RecordResult:
    """One simplified record and its accounting."""

    document: dict[str, Any]
    claims: dict[str, Claim]  # input pointer (relative to the record; "/.." = document level) -> claim
    unmapped: dict[str, Any]  # as in ``document["unmapped"]`` (None = a default the input did not have)
    leaves: dict[str, Any]  # every input leaf considered, by the same pointers


Accept = Callable[[tuple[str, ...], Any], bool]


@dataclass
class Profile:
    """One profile: its name, its table, and the hook that checks a value against its schema."""

    name: str
    nodes: tuple[Node, ...]
    accept: Accept = field(default=lambda spath, value: True)

    # -- simplify ---------------------------------------------------------------------------
    def simplify_record(self, record: dict[str, Any], document_level: dict[str, Any] | None = None) -> RecordResult:
        """Simplify one full-form record. *document_level* are the leaves of the document around it
        (pointers relative to the document object), which this record then accounts for."""
        leaves = flatten(record)
        if document_level:
            for p, v in document_level.items():
                leaves[DOCUMENT_PREFIX + p] = v
        sim = _Simplifier(self, leaves)
        root = _Claims()
        body = sim.nodes(self.nodes, "", record, (), root)
        claims = dict(root.own)
        doc: dict[str, Any] = {PROFILE_KEY: self.name, **body}
        # defaults: recognise those the input has; record the absence of the others
        strong = self.strong_leaves(doc)
        nulls: dict[str, None] = {}
        for p, (v, d) in self.default_leaves(doc, strong).items():
            if p in claims:
                continue
            if p in leaves:
                if same(leaves[p], v):
                    claims[p] = Claim(f"default {d.rule.name}", derived=True)
            elif d.scope == "context" or document_level is not None:
                nulls[p] = None
        unmapped: dict[str, Any] = {p: v for p, v in leaves.items() if p not in claims}
        unmapped.update(nulls)
        if unmapped:
            doc[UNMAPPED_KEY] = unmapped
        return RecordResult(doc, claims, unmapped, leaves)

    # -- expand -----------------------------------------------------------------------------
    def strong_leaves(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        _Expander(out).nodes(self.nodes, "", doc, ())
        return out

    def default_leaves(self, doc: Mapping[str, Any], strong: Mapping[str, Any]) -> dict[str, tuple[Any, Default]]:
        prefixes: set[str] = {""}
        for p in strong:
            parts = p.split("/")
            for i in range(2, len(parts) + 1):
                prefixes.add("/".join(parts[:i]))
        out: dict[str, tuple[Any, Default]] = {}
        _Defaults(prefixes, out).nodes(self.nodes, "", doc, 0)
        return out

    def expand_leaves(self, doc: Mapping[str, Any], *, include_unmapped: bool = True) -> dict[str, Any]:
        """The leaves of the full form: mapped values, then ``unmapped``, then defaults."""
        strong = self.strong_leaves(doc)
        leaves = dict(strong)
        unmapped = doc.get(UNMAPPED_KEY, {}) if include_unmapped else {}
        if not isinstance(unmapped, dict):
            raise ProfileError(
                f"{UNMAPPED_KEY!r} must be an object of JSON Pointers",
                code="profile-unmapped",
                json_pointer="/" + UNMAPPED_KEY,
            )
        suppressed = set()
        for p, v in unmapped.items():
            if p in strong:
                raise ProfileError(
                    f"unmapped value {p} is also given by a profile field; remove one of them",
                    code="profile-unmapped-conflict",
                    json_pointer=f"/{UNMAPPED_KEY}/{escape(p)}",
                )
            if v is None:
                suppressed.add(p)
            else:
                leaves[p] = v
        for p, (v, _) in self.default_leaves(doc, strong).items():
            if p not in leaves and p not in suppressed:
                leaves[p] = v
        return leaves

    def expand_record(
        self, doc: Mapping[str, Any], *, include_unmapped: bool = True
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the full-form record, the document-level members around it)."""
        leaves = self.expand_leaves(doc, include_unmapped=include_unmapped)
        rec: list[tuple[str, Any]] = []
        top: list[tuple[str, Any]] = []
        for p, v in leaves.items():
            if p == DOCUMENT_PREFIX or p.startswith(DOCUMENT_PREFIX + "/"):
                top.append((p[len(DOCUMENT_PREFIX) :], v))
            else:
                rec.append((p, v))
        try:
            record = build(rec)
            document = build(top)
        except PointerConflict as exc:
            raise ProfileError(
                f"the simplified document does not make one ST.97 record: {exc}",
                code="profile-conflict",
                json_pointer=exc.pointer,
            ) from None
        if record is MISSING:
            record = {}
        if document is MISSING:
            document = {}
        if not isinstance(record, dict) or not isinstance(document, dict):
            raise ProfileError("unmapped pointers must address members of objects", code="profile-unmapped")
        return record, document


class _Simplifier:
    def __init__(self, profile: Profile, leaves: dict[str, Any]) -> None:
        self.profile = profile
        self.leaves = leaves

    def nodes(
        self, nodes: Sequence[Node], ctx: str, value: Any, spath: tuple[str, ...], claims: _Claims
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for n in nodes:
            if isinstance(n, Field):
                v = self.field(n, ctx, value, (*spath, n.name), claims)
                if v is not MISSING:
                    out[n.name] = v
            elif isinstance(n, Choice):
                for o in n.options:
                    v = self.carry(o.segs, o.transform, ctx, value, (*spath, n.name), claims)
                    if v is not MISSING:
                        out[n.name] = v
                        out[n.kind_name] = o.kind
                        break
            elif isinstance(n, Group):
                inner = read(value, n.segs)
                if inner is MISSING:
                    continue
                sub = self.nodes(n.nodes, ctx + _ptr(n.segs), inner, (*spath, n.name), claims)
                if sub:
                    out[n.name] = sub
            elif isinstance(n, Items):
                lst = self.items(n, ctx, value, (*spath, n.name), claims)
                if lst:
                    out[n.name] = lst
        return out

    def field(self, n: Field, ctx: str, value: Any, spath: tuple[str, ...], claims: _Claims) -> Any:
        v = self.carry(n.segs, n.transform, ctx, value, spath, claims)
        if v is not MISSING:
            return v
        for a in n.aliases:
            generic = generic_transform(a.qname)
            sub = read(value, a.segs)
            if sub is MISSING:
                continue
            try:
                sv = generic.to_simple(sub)
            except NotCarried:
                continue
            if not self.profile.accept(spath, sv):
                continue
            canonical = flatten(n.transform.to_full(sv), ctx + _ptr(n.segs))
            if len(canonical) != 1:
                raise ValueError(f"alias of {n.name}: the canonical form must be one leaf")
            target = next(iter(canonical))
            got = self.claimable(generic.to_full(sv), ctx + _ptr(a.segs), claims)
            if got is None:
                continue
            for p in got:
                claims.own[p] = Claim(_label(spath), target if p.endswith("/value") else None)
            return sv
        return MISSING

    def claimable(self, full: Any, base: str, claims: _Claims) -> list[str] | None:
        fl = flatten(full, base)
        leaves = self.leaves
        for p, v in fl.items():
            if p in claims or p not in leaves or not same(leaves[p], v):
                return None
        return list(fl)

    def carry(
        self, segs: Sequence[Segment], tf: Transform, ctx: str, value: Any, spath: tuple[str, ...], claims: _Claims
    ) -> Any:
        sub = read(value, segs)
        if sub is MISSING:
            return MISSING
        try:
            sv = tf.to_simple(sub)
            full = tf.to_full(sv)
        except NotCarried:
            return MISSING
        if not self.profile.accept(spath, sv):
            return MISSING
        got = self.claimable(full, ctx + _ptr(segs), claims)
        if got is None:
            return MISSING
        label = _label(spath)
        for p in got:
            claims.own[p] = Claim(label)
        return sv

    def items(self, n: Items, ctx: str, value: Any, spath: tuple[str, ...], claims: _Claims) -> list[Any]:
        cands: list[tuple[tuple[int, ...], Any, _Claims]] = []
        ispath = (*spath, "[]")
        for pos, concrete, item in iterate(value, n.segs):
            sub = _Claims(claims)
            ictx = ctx + _ptr(concrete)
            v: Any
            if n.item is not None:
                v = self.carry(n.item.segs, n.item.transform, ictx, item, ispath, sub)
            else:
                v = self.nodes(n.nodes, ictx, item, ispath, sub)
                if not v and not n.keep_empty:
                    v = MISSING
            if v is not MISSING:
                cands.append((pos, v, sub))
        values = [c[1] for c in cands]
        accepted = 0
        for (pos, _, _), lp in zip(cands, n.layout.positions(values), strict=True):
            if pos != lp:
                break
            accepted += 1
        for c in cands[:accepted]:
            c[2].commit()
        return values[:accepted]


class _Expander:
    def __init__(self, out: dict[str, Any]) -> None:
        self.out = out

    def put(self, full: Any, base: str, spath: tuple[str, ...]) -> None:
        for p, v in flatten(full, base).items():
            if p in self.out:
                raise ProfileError(f"two profile fields write {p} ({_label(spath)})", code="profile-table")
            self.out[p] = v

    def nodes(self, nodes: Sequence[Node], ctx: str, doc: Any, spath: tuple[str, ...]) -> None:
        if not isinstance(doc, Mapping):
            raise ProfileError(f"{_label(spath) or 'the document'} must be an object", code="profile-type")
        for n in nodes:
            if isinstance(n, Field):
                v = doc.get(n.name, MISSING)
                if v is not MISSING:
                    self.put(_to_full(n.transform, v, (*spath, n.name)), ctx + _ptr(n.segs), (*spath, n.name))
            elif isinstance(n, Choice):
                v = doc.get(n.name, MISSING)
                if v is MISSING:
                    continue
                o = n.option(doc.get(n.kind_name))
                if o is None:
                    kinds = ", ".join(repr(x.kind) for x in n.options)
                    raise ProfileError(
                        f"{_label((*spath, n.kind_name))} must be one of {kinds} when {n.name!r} is given",
                        code="profile-choice",
                    )
                self.put(_to_full(o.transform, v, (*spath, n.name)), ctx + _ptr(o.segs), (*spath, n.name))
            elif isinstance(n, Group):
                sub = doc.get(n.name, MISSING)
                if sub is not MISSING:
                    self.nodes(n.nodes, ctx + _ptr(n.segs), sub, (*spath, n.name))
            elif isinstance(n, Items):
                lst = doc.get(n.name, MISSING)
                if lst is MISSING:
                    continue
                if not isinstance(lst, list):
                    raise ProfileError(f"{_label((*spath, n.name))} must be an array", code="profile-type")
                ispath = (*spath, n.name, "[]")
                for item, pos in zip(lst, n.layout.positions(lst), strict=True):
                    ictx = ctx + _ptr(fill(n.segs, pos))
                    if n.item is not None:
                        self.put(_to_full(n.item.transform, item, ispath), ictx + _ptr(n.item.segs), ispath)
                    else:
                        self.nodes(n.nodes, ictx, item, ispath)


def _to_full(tf: Transform, v: Any, spath: tuple[str, ...]) -> Any:
    try:
        return tf.to_full(v)
    except (NotCarried, TypeError, ValueError) as exc:
        raise ProfileError(f"{_label(spath)}: {exc or 'not a valid value'}", code="profile-value") from None


class _Defaults:
    def __init__(self, prefixes: set[str], out: dict[str, tuple[Any, Default]]) -> None:
        self.prefixes = prefixes
        self.out = out

    def default(self, d: Default, ctx: str, simple: Any, position: int) -> None:
        if d.scope == "document":
            base = DOCUMENT_PREFIX
        else:
            base = ctx
            if base + _ptr(d.anchor_segs) not in self.prefixes:
                return
        v = d.rule.compute(RuleContext(simple if isinstance(simple, Mapping) else {}, position))
        if v is MISSING:
            return
        for p, lv in flatten(v, base + _ptr(d.segs)).items():
            self.out.setdefault(p, (lv, d))

    def nodes(self, nodes: Sequence[Node], ctx: str, doc: Any, position: int) -> None:
        if not isinstance(doc, Mapping):
            return
        for n in nodes:
            if isinstance(n, Default):
                self.default(n, ctx, doc, position)
            elif isinstance(n, Group):
                self.nodes(n.nodes, ctx + _ptr(n.segs), doc.get(n.name, {}), position)
            elif isinstance(n, Items):
                lst = doc.get(n.name)
                if not isinstance(lst, list):
                    continue
                seen_groups: set[tuple[int, ...]] = set()
                wilds = [i for i, s in enumerate(n.segs) if s == WILD]
                group_segs = n.segs[: wilds[-2] + 1] if len(wilds) > 1 else ()
                for item, pos in zip(lst, n.layout.positions(lst), strict=True):
                    ictx = ctx + _ptr(fill(n.segs, pos))
                    if n.group_defaults and pos[:-1] not in seen_groups:
                        seen_groups.add(pos[:-1])
                        gctx = ctx + _ptr(fill(group_segs, pos[:-1]))
                        for d in n.group_defaults:
                            self.default(d, gctx, item, pos[-2] if len(pos) > 1 else 0)
                    for d in n.defaults:
                        self.default(d, ictx, item, pos[-1])
                    if n.item is None:
                        self.nodes(n.nodes, ictx, item, pos[-1])


# -- transforms, rules and layouts every profile can use -------------------------------------


def _text_simple(v: Any) -> str:
    if not isinstance(v, str):
        raise NotCarried
    return v


def _text_full(v: Any) -> str:
    if not isinstance(v, str):
        raise TypeError("expected a string")
    return v


def _bool_simple(v: Any) -> bool:
    if not isinstance(v, bool):
        raise NotCarried
    return v


def _bool_full(v: Any) -> bool:
    if not isinstance(v, bool):
        raise TypeError("expected a boolean")
    return v


def _phrase_simple(v: Any) -> str:
    if not isinstance(v, dict):
        raise NotCarried
    content = v.get("content")
    if content == []:
        return ""
    if isinstance(content, list) and len(content) == 1 and isinstance(content[0], str) and content[0]:
        return content[0]
    raise NotCarried


def _phrase_full(v: Any) -> dict[str, Any]:
    return {"content": [_text_full(v)] if v else []}


TEXT: Final = Transform("text", "the string as it is", _text_simple, _text_full)
BOOLEAN: Final = Transform("boolean", "true/false as they are", _bool_simple, _bool_full)
PHRASE: Final = Transform(
    "phrase",
    'mixed content without markup (`{"content": ["…"]}`) ↔ its plain text; '
    "text with inline markup (bold, line breaks, …) is not carried",
    _phrase_simple,
    _phrase_full,
)


def generic_transform(qname: str) -> Transform:
    """An element the schema does not know, with text only: ``{"$qname": q, "value": s}`` ↔ ``s``."""

    def to_simple(v: Any) -> str:
        if (
            isinstance(v, dict)
            and set(v) == {"$qname", "value"}
            and v["$qname"] == qname
            and isinstance(v["value"], str)
        ):
            return v["value"]
        raise NotCarried

    def to_full(v: Any) -> dict[str, Any]:
        return {"$qname": qname, "value": _text_full(v)}

    return Transform(f"legacy {qname}", "a legacy element converted by the generic rule", to_simple, to_full)


def const(value: Any) -> Rule:
    return Rule(f"const {value!r}", f"always `{value}`", lambda ctx: value)


def copy_of(member: str) -> Rule:
    return Rule(f"copy {member}", f"the value of `{member}`", lambda ctx: ctx.simple.get(member, MISSING))


ORDINAL: Final = Rule(
    "ordinal", 'the position in its array, from 1, as a string (`"1"`, `"2"`, …)', lambda ctx: str(ctx.position + 1)
)


def _sequence(items: Sequence[Any]) -> list[tuple[int, ...]]:
    return [(i,) for i in range(len(items))]


SEQUENCE: Final = Layout(
    "sequence", "item *n* of the simplified array is item *n* of the full-form array", 1, _sequence
)


def grouped_by(member: str) -> Layout:
    """Two nested arrays flattened into one: a new outer item starts whenever *member* changes."""

    def positions(items: Sequence[Any]) -> list[tuple[int, ...]]:
        out: list[tuple[int, ...]] = []
        group, inner, current = -1, 0, MISSING
        for it in items:
            key = it.get(member, MISSING) if isinstance(it, Mapping) else MISSING
            if group < 0 or (key is not MISSING and key != current):
                group, inner, current = group + 1, 0, key
            else:
                inner += 1
            out.append((group, inner))
        return out

    return Layout(
        f"grouped by {member}",
        f"one outer item per run of equal `{member}`; items without `{member}` join the current one",
        2,
        positions,
    )

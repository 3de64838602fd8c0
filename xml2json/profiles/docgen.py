"""The generated parts of docs/profile.md: the mapping table and the side-by-side example.

Both come from the tool itself — the table from :data:`~xml2json.profiles.trademark.table.TABLE`
and the compiled plan, the example by converting and simplifying the package's
built-in example document — so that the documentation cannot drift from the code.

    python -m xml2json.profiles.docgen docs/profile.md          # rewrite the generated blocks
    python -m xml2json.profiles.docgen --check docs/profile.md  # exit 1 if they are stale

A generated block sits between ``<!-- BEGIN GENERATED: name -->`` and
``<!-- END GENERATED: name -->``; everything else in the file is hand-written.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

from ..api import Converter
from ..io import dumps_json
from ..plan import Plan, TypePlan
from ..policy import VALUE_KEY
from ..registry import default_registry
from .engine import WILD, Alias, Choice, Default, Field, Group, Items, Node, Segment, Transform, parse_path
from .st96paths import qualified
from .trademark import DOCUMENT, RECORD_TAG, simplify
from .trademark.table import CONTACT_PARTY, NAME, PARTY, ST96_VERSION, TABLE

EXAMPLE = "TrademarkApplication_V6_0.xml"
_BLOCK = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)", re.S
)


def st96_path(plan: Plan, path: str, *, document: bool = False) -> str:
    """A table path as an ST.96 path, positions 1-based where the table fixes one:
    ``applicantBag.applicant[].contact[0]`` → ``tmk:Trademark/tmk:ApplicantBag/tmk:Applicant/com:Contact[1]``."""
    if document:
        doc = plan.document(DOCUMENT)
        tp: TypePlan | None = doc.type
        parts = [qualified(doc.root)]
    else:
        tp = plan.elements[RECORD_TAG]
        parts = [qualified(RECORD_TAG)]
    segs: tuple[Segment, ...] = parse_path(path)
    for s in segs:
        if isinstance(s, int):
            if s != WILD:
                parts[-1] += f"[{s + 1}]"
            continue
        if tp is None:
            raise KeyError(f"{path}: {s!r} lies inside a value without members")
        a = tp.attrs_json.get(s)
        if a is not None:
            parts.append("@" + qualified(a.tag))
            tp = None
            continue
        c = tp.children_json.get(s) or tp.ordered_json.get(s)
        if c is not None:
            parts.append(qualified(c.tag))
            tp = c.type
            continue
        if s == VALUE_KEY:
            continue
        raise KeyError(f"{path}: {s!r} is not a member of ST.96 type {tp.key}")
    return "/".join(parts)


def _join(prefix: str, path: str) -> str:
    return f"{prefix}.{path}" if prefix and path else prefix or path


#: Sub-tables published once (as "Parties"), not under every field that uses them.
SUBTABLES: tuple[tuple[Sequence[Node], str], ...] = ((PARTY, "party"), (CONTACT_PARTY, "party"))


def _subtable(nodes: Sequence[Node]) -> str | None:
    """The name of the published sub-table *nodes* is (the same table object), if any."""
    return next((name for table, name in SUBTABLES if nodes is table), None)


#: An element of each sub-table's kind, to name its members in ST.96 terms.
PARTY_ELEMENT = "applicantBag.applicant[]"


def rows(nodes: Sequence[Node] = TABLE, sprefix: str = "", fprefix: str = "") -> Iterator[tuple[str, str, str, str]]:
    """(profile field, ST.97 path, transform, note) for every field, option and alias of the table."""
    for n in nodes:
        if isinstance(n, Field):
            yield _join(sprefix, n.name), _join(fprefix, n.path), n.transform.name, n.note
            for a in n.aliases:
                yield _join(sprefix, n.name), _join(fprefix, a.path), "legacy", _alias_note(a)
        elif isinstance(n, Choice):
            for o in n.options:
                note = (
                    f'with {n.kind_name} = "{o.kind}". {n.note}'
                    if o is n.options[0]
                    else f'with {n.kind_name} = "{o.kind}"'
                )
                yield _join(sprefix, n.name), _join(fprefix, o.path), o.transform.name, note
        elif isinstance(n, (Group, Items)):
            sp = _join(sprefix, n.name) + ("[]" if isinstance(n, Items) else "")
            fp = _join(fprefix, n.path)
            sub = _subtable(n.nodes)
            if sub is not None:
                yield sp, fp, "—", f"a *{sub}*, see below"
            elif isinstance(n, Items) and n.item is not None:
                yield sp, _join(fp, n.item.path), n.item.transform.name, n.note
            else:
                if isinstance(n, Items) and n.layout.wildcards > 1:
                    yield sp, fp, "—", f"layout *{n.layout.name}*: {n.layout.description}. {n.note}".strip()
                yield from rows(n.nodes, sp if isinstance(n, Items) else _join(sprefix, n.name), fp)


def _alias_note(a: Alias) -> str:
    return f"read, never written: {a.note or a.qname}"


def default_rows(nodes: Sequence[Node] = TABLE, fprefix: str = "") -> Iterator[tuple[str, str, str, str, bool]]:
    """(ST.97 path, rule, anchor, note, document scope) for every default of the table."""
    for n in nodes:
        if isinstance(n, Default):
            base = "" if n.scope == "document" else fprefix
            yield _join(base, n.path), n.rule.description, _join(base, n.anchor), n.note, n.scope == "document"
        elif isinstance(n, (Group, Items)):
            if _subtable(n.nodes) is not None:
                continue
            fp = _join(fprefix, n.path)
            if isinstance(n, Items):
                for d in n.defaults:
                    yield _join(fp, d.path), d.rule.description, _join(fp, d.anchor), d.note, False
                if n.group_defaults:
                    ends = [m.end() for m in re.finditer(r"\[\]", n.path)]
                    gp = _join(fprefix, n.path[: ends[-2]])
                    for d in n.group_defaults:
                        yield _join(gp, d.path), d.rule.description, gp, d.note, False
            yield from default_rows(n.nodes, fp)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _relative(plan: Plan, fpath: str) -> str:
    full = st96_path(plan, _join(PARTY_ELEMENT, fpath))
    base = st96_path(plan, PARTY_ELEMENT)
    return full[len(base) + 1 :]


def mapping_table(plan: Plan | None = None) -> str:
    plan = plan or default_registry().plan(ST96_VERSION)
    out = [
        "| Profile field | ST.96 source (V6_0) | ST.97 path (full form) | Transform | Notes |",
        "|---|---|---|---|---|",
    ]
    for sfield, fpath, tf, note in rows():
        src = st96_path(plan, fpath) if tf != "legacy" else _legacy_path(fpath)
        out.append(f"| `{sfield}` | `{src}` | `{fpath}` | {tf} | {_cell(note)} |")
    legal = {name for name, *_ in rows(PARTY)} - {name for name, *_ in rows(CONTACT_PARTY)}
    out += [
        "",
        "**Parties** (`applicants[]`, `representatives[]`, `correspondent`). Paths are relative to the "
        "party element (`tmk:Applicant`, `com:Representative`, `tmk:NationalCorrespondent`):",
        "",
        "| Party field | ST.96 source | ST.97 path | Transform | Notes |",
        "|---|---|---|---|---|",
    ]
    for sfield, fpath, tf, note in rows(PARTY):
        if sfield in legal:
            note = (note + " " if note else "") + "(applicants and representatives only)"
        out.append(f"| `{sfield}` | `{_relative(plan, fpath)}` | `{fpath}` | {tf} | {_cell(note)} |")
    out += [
        "",
        "**Derived values** — not shown in the profile: written on expansion, and counted as carried "
        "when the input has exactly this value (a different input value stays in `unmapped` and wins):",
        "",
        "| ST.96 target | Value written | When | Notes |",
        "|---|---|---|---|",
    ]
    for fpath, rule, anchor, note, doc in default_rows():
        src = st96_path(plan, fpath, document=doc)
        when = "always" if doc else f"`{st96_path(plan, anchor)}` is written"
        out.append(f"| `{src}` | {_cell(rule)} | {when} | {_cell(note)} |")
    for fpath, rule, anchor, note, _scope in default_rows(PARTY):
        out.append(
            f"| *party*`/{_relative(plan, fpath)}` | {_cell(rule)} | `{_relative(plan, anchor)}` "
            f"is written | {_cell(note)} |"
        )
    out += ["", "**Transforms**:", ""]
    seen: dict[str, str] = {}
    for n in _all_nodes(TABLE):
        for t in _transforms(n):
            seen.setdefault(t.name, t.description)
    out += [f"* **{name}**: {desc}" for name, desc in seen.items()]
    out.append(
        "* **legacy**: an element the V6_0 schema does not know, converted by the generic rule "
        '(`{"$qname": …, "value": …}`), read as the field; expansion writes the V6_0 element instead'
    )
    return "\n".join(out) + "\n"


def _legacy_path(fpath: str) -> str:
    record = qualified(RECORD_TAG)
    parts = fpath.split(".")
    last = parts[-1]
    prefix, local = last.split(":", 1)
    return f"{record}/{prefix}:{local[:1].upper()}{local[1:]} (not in V6_0)"


def _all_nodes(nodes: Sequence[Node]) -> Iterator[Node]:
    for n in nodes:
        yield n
        if isinstance(n, (Group, Items)):
            yield from _all_nodes(n.nodes)
            if isinstance(n, Items) and n.item is not None:
                yield n.item


def _transforms(n: Node) -> list[Transform]:
    if isinstance(n, Field):
        return [n.transform]
    if isinstance(n, Choice):
        return [o.transform for o in n.options]
    return []


def example(converter: Converter | None = None) -> str:
    conv = converter or Converter()
    xml = resources.files("xml2json.examples").joinpath(EXAMPLE).read_bytes()
    full = conv.xml_to_json(xml).data
    simple = simplify(xml, converter=conv).documents[0]
    left = dumps_json(full, pretty=True).decode()
    right = dumps_json(simple, pretty=True).decode()
    return (
        f"<table>\n<tr><th>Full ST.97 (<code>xml2json convert</code>)</th>"
        f"<th><code>{NAME}</code> (<code>xml2json profile simplify</code>)</th></tr>\n"
        f'<tr><td valign="top">\n\n```json\n{left}\n```\n\n</td><td valign="top">\n\n'
        f"```json\n{right}\n```\n\n</td></tr>\n</table>\n"
    )


def generated_blocks() -> dict[str, str]:
    return {"mapping-table": mapping_table(), "example": example()}


def render(text: str, blocks: dict[str, str] | None = None) -> str:
    """*text* with every generated block replaced by its current content."""
    blocks = blocks if blocks is not None else generated_blocks()
    missing = set(blocks) - {m.group("name") for m in _BLOCK.finditer(text)}
    if missing:
        raise ValueError(f"no generated block named {', '.join(sorted(missing))}")

    def sub(m: re.Match[str]) -> str:
        return m.group(1) + blocks[m.group("name")] + m.group(4)

    return _BLOCK.sub(sub, text)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m xml2json.profiles.docgen", description=__doc__.split("\n")[0])
    ap.add_argument("path", type=Path)
    ap.add_argument("--check", action="store_true", help="do not write; exit 1 if the file is stale")
    args = ap.parse_args(argv)
    text = args.path.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print(
                f"{args.path}: generated blocks are stale; run python -m xml2json.profiles.docgen {args.path}",
                file=sys.stderr,
            )
            return 1
        return 0
    if new != text:
        args.path.write_text(new, encoding="utf-8")
        print(f"{args.path}: updated", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

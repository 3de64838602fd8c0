"""The JSON Schema's statement of choices (rule 12), checked against the content model itself.

Each test gives the mini bundle's ``SampleType`` a small content model, runs every pass and
the emitter, and then tries *every* combination of members present. An independent
oracle (:func:`_presence_sets`: what member sets the content model admits, computed from
the IR's groups alone) says which combinations are valid XML; the JSON Schema must accept
exactly those (or, for the random models, at least those: it may be weaker where presence
alone cannot tell, but never stricter).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mini_ir import COM, extracted, sample

from xml2json.compiler.emit_jsonschema import emit_json_schemas
from xml2json.compiler.ir import GroupIR, Item, ParticleIR, WildcardIR, particles
from xml2json.compiler.pipeline import run_passes
from xml2json.fastvalidate import available

if available():
    import jsonschema_rs

Names = frozenset[str]


def P(name: str, lo: int = 1, hi: int | None = 1) -> ParticleIR:
    """A particle of element ``com:<Name>`` (JSON name *name*) of type xs:string."""
    return ParticleIR(COM + name.upper(), "xs_string", lo, hi)


def S(*items: Item, lo: int = 1, hi: int | None = 1) -> GroupIR:
    return GroupIR("sequence", lo, hi, list(items))


def C(*items: Item, lo: int = 1, hi: int | None = 1) -> GroupIR:
    return GroupIR("choice", lo, hi, list(items))


def _presence_sets(item: Item, json: dict[str, str]) -> set[Names]:
    """The sets of member names (*json*: Clark name -> JSON name) *item* can leave present (the oracle)."""
    if isinstance(item, WildcardIR):
        return {frozenset()}
    if isinstance(item, ParticleIR):
        out: set[Names] = set() if item.min >= 1 else {frozenset()}
        if item.max != 0:
            out.add(frozenset({json[item.qname]}))
        return out
    if item.model == "choice":
        once = set().union(*(_presence_sets(i, json) for i in item.items))
    else:
        once = {frozenset()}
        for i in item.items:
            once = {a | b for a in once for b in _presence_sets(i, json)}
    sets = set(once)
    for _ in range((item.max or len(once) + 1) - 1):  # unions of up to max iterations
        sets |= {a | b for a in sets for b in once}
    if item.min < 1:
        sets.add(frozenset())
    return sets


class Compiled:
    def __init__(self, model: GroupIR) -> None:
        ir = extracted()
        sample(ir).model = model
        run_passes(ir)
        self.ct = sample(ir)
        schemas, _ = emit_json_schemas(ir)
        self.defs = schemas["Sample"]["$defs"]
        self.validator = Draft202012Validator(schemas["Sample"])
        self.schema = schemas["Sample"]
        self.names = sorted({p.json for p in self.ct.particles})
        self.arrays = {p.json for p in self.ct.particles if p.array}
        self.valid = _presence_sets(model, {p.qname: p.json for p in self.ct.particles})

    def instance(self, present: Names) -> dict[str, Any]:
        obj: dict[str, Any] = {"st96Version": "V9_9"}
        for n in present:
            obj[n] = ["x"] if n in self.arrays else "x"
        return {"sample": obj}

    def accepts(self, present: Names) -> bool:
        return self.validator.is_valid(self.instance(present))

    def verdicts(self) -> tuple[set[Names], set[Names]]:
        """(accepted, rejected) over every subset of the members."""
        accepted: set[Names] = set()
        rejected: set[Names] = set()
        for r in range(len(self.names) + 1):
            for combo in itertools.combinations(self.names, r):
                (accepted if self.accepts(frozenset(combo)) else rejected).add(frozenset(combo))
        return accepted, rejected


def _exact(model: GroupIR) -> Compiled:
    """Compile *model* and check the schema accepts exactly what the content model admits."""
    c = Compiled(model)
    assert not c.ct.has_ordered, "the model must stay per-name members for this test to mean anything"
    valid = c.valid
    accepted, rejected = c.verdicts()
    missing, extra = sorted(map(sorted, valid - accepted)), sorted(map(sorted, accepted - valid))
    assert accepted == valid, f"rejects valid {missing}, accepts invalid {extra}"
    assert rejected, "a model that admits every combination tests nothing"
    if available():  # the fast backend must give the same verdicts
        rs = jsonschema_rs.Draft202012Validator(c.schema)
        assert {x for x in accepted | rejected if rs.is_valid(c.instance(x))} == accepted
    return c


def _set(*names: str) -> Names:
    return frozenset(names)


def test_a_member_shared_by_two_branches_does_not_decide_the_branch() -> None:
    # MathType-like: (img?, math) | (img?, alt?)  — {"img"} alone is the second branch
    c = _exact(C(S(P("img", 0), P("math")), S(P("img", 0), P("alt", 0))))
    assert c.accepts(_set("img"))
    assert c.accepts(_set("img", "math"))
    assert not c.accepts(_set("math", "alt"))
    assert not c.accepts(_set("img", "math", "alt"))


def test_a_member_shared_by_two_of_three_branches() -> None:
    # (s, a) | (s?, b) | c : {s} alone is the second branch; s never goes with c
    c = _exact(C(S(P("s"), P("a")), S(P("s", 0), P("b")), P("c")))
    assert not c.accepts(_set("s"))
    assert c.accepts(_set("b"))
    assert not c.accepts(_set("s", "c"))


def test_a_branch_made_only_of_shared_members() -> None:
    # (s, t) | (s, t?, u) : {s, t} and {s, u} and {s, t, u} are valid, {t}, {u} and {} are not
    _exact(C(S(P("s"), P("t")), S(P("s"), P("t", 0), P("u"))))


def test_an_optional_branch_makes_the_choice_empty_able() -> None:
    c = _exact(C(P("a"), P("b", 0)))
    assert c.accepts(_set())
    assert not c.accepts(_set("a", "b"))


def test_a_choice_with_min_occurs_zero() -> None:
    c = _exact(C(P("a"), S(P("b"), P("c", 0)), lo=0))
    assert c.accepts(_set())
    assert not c.accepts(_set("c"))  # c needs b
    assert not c.accepts(_set("a", "b"))


def test_a_branch_whose_members_are_all_optional() -> None:
    # CitedPatentFamily-like: a | (b?, c?)
    c = _exact(C(P("a"), S(P("b", 0), P("c", 0))))
    assert c.accepts(_set())
    assert c.accepts(_set("b", "c"))
    assert not c.accepts(_set("a", "c"))


def test_a_required_choice_still_requires_a_branch_and_forbids_mixing_branches() -> None:
    c = _exact(C(P("a"), S(P("b"), P("c", 0))))
    assert not c.accepts(_set())
    assert not c.accepts(_set("a", "b"))
    assert not c.accepts(_set("a", "c"))
    assert not c.accepts(_set("c"))
    assert c.accepts(_set("b", "c"))
    # the errors name the choice, not a missing key of the other branch
    errors = list(c.validator.iter_errors(c.instance(_set("a", "b"))))
    assert errors


def test_nested_choices() -> None:
    c = _exact(C(P("a"), S(P("b"), C(P("c"), P("d")))))
    assert not c.accepts(_set("b"))  # the inner choice is required once its branch is taken
    assert not c.accepts(_set("b", "c", "d"))
    _exact(C(P("a"), C(P("b"), S(P("c"), P("d", 0))), lo=0))
    _exact(S(P("x", 0), C(C(P("a", 0), P("b")), P("c"))))


def test_repeating_choices() -> None:
    c = _exact(C(P("a"), P("b"), lo=1, hi=None))
    assert c.accepts(_set("a", "b"))
    assert not c.accepts(_set())
    c = Compiled(C(P("a"), P("b", 0), hi=None))  # an optional branch: every combination is valid
    assert c.accepts(_set()) and c.accepts(_set("a", "b")) and c.valid == c.verdicts()[0]
    # a choice inside a repeating choice: both branches across iterations
    c = _exact(C(C(P("a"), P("b")), P("c"), hi=None))
    assert c.accepts(_set("a", "b", "c"))


def test_a_member_also_outside_the_inner_choice_decides_nothing_there() -> None:
    # (x | y) | (x, z): for the inner choice x is not its own (the outer second branch has it)
    # Presence cannot tell which x it is, so {x, y} (invalid) is accepted: weaker, never wrong.
    c = Compiled(C(C(P("x"), P("y")), S(P("x"), P("z"))))
    assert not c.ct.has_ordered
    accepted, _ = c.verdicts()
    assert c.valid <= accepted
    assert c.accepts(_set("x")) and c.accepts(_set("x", "z"))
    assert not c.accepts(_set("y", "z")) and not c.accepts(_set("z")) and not c.accepts(_set())


def _random_item(rng: random.Random, pool: list[str], depth: int) -> Item:
    if depth == 0 or rng.random() < 0.45:
        return P(rng.choice(pool), rng.choice([0, 1]), rng.choice([1, 1, 1, None]))
    kind = rng.choice(["sequence", "choice", "choice"])
    items = [_random_item(rng, pool, depth - 1) for _ in range(rng.randint(1, 3))]
    return GroupIR(kind, rng.choice([0, 1, 1]), rng.choice([1, 1, 1, None]), items)  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(60))
def test_random_models_never_reject_a_valid_combination(seed: int) -> None:
    # models that become ordered content have no per-member choice to test: draw again (seeded)
    for attempt in range(100):
        rng = random.Random(seed * 1000 + attempt)
        model = GroupIR("choice", 1, 1, [_random_item(rng, list("abcde"), 2) for _ in range(rng.randint(2, 3))])
        c = Compiled(model)
        if not any(p.ordered for p in particles(c.ct.model)):
            break
    else:
        pytest.fail("100 random models in a row were all ordered content")
    accepted, _ = c.verdicts()
    assert c.valid <= accepted, f"rejects valid {sorted(map(sorted, c.valid - accepted))}"

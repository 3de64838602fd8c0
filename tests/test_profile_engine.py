"""The profile engine on small hand-made tables: each exactness guard, one at a time."""

from __future__ import annotations

from typing import Any

import pytest

from xml2json.profiles.engine import (
    ORDINAL,
    SEQUENCE,
    TEXT,
    Alias,
    Choice,
    Default,
    Field,
    Group,
    Items,
    NotCarried,
    Option,
    Profile,
    ProfileError,
    Transform,
    const,
    grouped_by,
    parse_path,
)
from xml2json.profiles.pointer import build

UPPER = Transform(
    "upper",
    "lossy on purpose",
    lambda v: v.upper() if isinstance(v, str) else (_ for _ in ()).throw(NotCarried()),
    lambda v: v,
)


def _round_trip(prof: Profile, record: dict[str, Any]) -> dict[str, Any]:
    res = prof.simplify_record(record)
    rebuilt, _ = prof.expand_record(res.document)
    assert rebuilt == record
    again = prof.simplify_record(rebuilt).document
    assert again == res.document
    return res.document


def test_parse_path() -> None:
    assert parse_path("a.b[0].c[]") == ("a", "b", 0, "c", -1)
    assert parse_path("") == ()
    with pytest.raises(ValueError):
        parse_path("a..b")


def test_a_lossy_transform_carries_only_values_it_gives_back() -> None:
    prof = Profile("t", (Field("name", "name", UPPER),))
    doc = _round_trip(prof, {"name": "abc"})
    assert "name" not in doc and doc["unmapped"] == {"/name": "abc"}
    assert _round_trip(prof, {"name": "ABC"})["name"] == "ABC"


def test_a_leaf_is_carried_once() -> None:
    prof = Profile("t", (Field("a", "x", TEXT), Field("b", "x", TEXT)))
    res = prof.simplify_record({"x": "1"})
    assert res.document == {"profile": "t", "a": "1"}
    assert [c.label for c in res.claims.values()] == ["a"]


def test_scalar_items_carry_the_prefix_that_comes_back_in_place() -> None:
    prof = Profile(
        "t", (Items("lines", "line[]", SEQUENCE, item=Field("", "value", TEXT), defaults=(Default("n", ORDINAL),)),)
    )
    record = {"line": [{"n": "1", "value": "a"}, {"n": "2", "value": 7}, {"n": "3", "value": "c"}]}
    doc = _round_trip(prof, record)
    assert doc["lines"] == ["a"]  # item 2 is not text; item 3 would land at position 2 → kept in unmapped
    assert doc["unmapped"] == {"/line/1/n": "2", "/line/1/value": 7, "/line/2/n": "3", "/line/2/value": "c"}


def test_empty_items_are_kept_to_hold_positions() -> None:
    prof = Profile("t", (Items("people", "p[]", SEQUENCE, nodes=(Field("name", "name", TEXT),), keep_empty=True),))
    doc = _round_trip(prof, {"p": [{"id": "x"}, {"name": "b"}]})
    assert doc["people"] == [{}, {"name": "b"}]


def test_choice_records_its_kind_and_writes_the_chosen_path() -> None:
    prof = Profile("t", (Choice("name", "kind", (Option("org", "org", TEXT), Option("person", "person", TEXT))),))
    assert _round_trip(prof, {"person": "Ann"})["kind"] == "person"
    rec, _ = prof.expand_record({"name": "Acme", "kind": "org"})
    assert rec == {"org": "Acme"}
    with pytest.raises(ProfileError):
        prof.expand_record({"name": "Acme", "kind": "robot"})


def test_group_with_a_path_collapses_a_wrapper() -> None:
    prof = Profile("t", (Group("who", (Field("name", "name", TEXT),), path="wrapper[0]"),))
    assert _round_trip(prof, {"wrapper": [{"name": "x", "other": 1}]})["who"] == {"name": "x"}


def test_alias_is_read_and_written_canonically() -> None:
    prof = Profile("t", (Field("date", "date", TEXT, aliases=(Alias("x:date", "{urn:x}Date"),)),))
    res = prof.simplify_record({"x:date": {"$qname": "{urn:x}Date", "value": "2020"}})
    assert res.document == {"profile": "t", "date": "2020"}
    assert res.claims["/x:date/value"].target == "/date"
    assert prof.expand_record(res.document)[0] == {"date": "2020"}
    wrong = prof.simplify_record({"x:date": {"$qname": "{urn:y}Date", "value": "2020"}})
    assert "date" not in wrong.document


def test_defaults_are_recognised_recorded_as_absent_or_overridden() -> None:
    prof = Profile("t", (Field("a", "a.v", TEXT), Default("a.kind", const("K"), anchor="a")))
    assert "unmapped" not in _round_trip(prof, {"a": {"v": "1", "kind": "K"}})
    assert _round_trip(prof, {"a": {"v": "1"}})["unmapped"] == {"/a/kind": None}
    assert _round_trip(prof, {"a": {"v": "1", "kind": "Q"}})["unmapped"] == {"/a/kind": "Q"}
    assert prof.expand_record({"a": "1"})[0] == {"a": {"v": "1", "kind": "K"}}
    assert prof.expand_record({})[0] == {}  # no anchor, no default


def test_grouped_layout_rebuilds_runs_of_equal_keys() -> None:
    layout = grouped_by("k")
    assert layout.positions([{"k": 1}, {"k": 1}, {}, {"k": 2}, {"k": 1}]) == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]
    prof = Profile("t", (Items("xs", "g[].x[]", layout, nodes=(Field("k", "k", TEXT),)),))
    doc = _round_trip(prof, {"g": [{"x": [{"k": "1"}, {"k": "1"}]}, {"x": [{"k": "2"}]}]})
    assert doc["xs"] == [{"k": "1"}, {"k": "1"}, {"k": "2"}]
    doc = _round_trip(prof, {"g": [{"x": [{"k": "1"}, {"k": "2"}]}]})  # two keys in one group
    assert doc["xs"] == [{"k": "1"}]


def test_unmapped_must_make_one_value() -> None:
    prof = Profile("t", (Field("a", "a", TEXT),))
    with pytest.raises(ProfileError) as exc:
        prof.expand_record({"a": "1", "unmapped": {"/a": "2"}})
    assert exc.value.code == "profile-unmapped-conflict"
    with pytest.raises(ProfileError) as exc:
        prof.expand_record({"unmapped": {"/b/1": "x"}})
    assert exc.value.code == "profile-conflict"
    assert prof.expand_record({"unmapped": {"/../top": "x"}}) == ({}, {"top": "x"})
    assert build([]) is not None

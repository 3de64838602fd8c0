"""Linear-time checks on hostile text layouts, as time ratios (a benchmark, never a test).

Each case times an attack document against a baseline of the same size that the converter
handles without joining text, in this one process, best of three. A quadratic implementation
gives ratios in the hundreds at these sizes; linear code stays near 1. The test suite checks
the same properties by operation counts (tests/security), not by time.

    python benchmarks/linear_time.py        # prints one line per case; exit 1 if a ratio is >= 10
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from xml2json import Converter  # noqa: E402
from xml2json.config import Limits  # noqa: E402
from xml2json.io import loads_json  # noqa: E402

TMK = "http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
COM = "http://www.wipo.int/standards/XMLSchema/ST96/Common"
PAT = "http://www.wipo.int/standards/XMLSchema/ST96/Patent"
OPEN = f'<tmk:TrademarkApplication xmlns:tmk="{TMK}" xmlns:com="{COM}" com:st96Version="V6_0">'
CLOSE = "</tmk:TrademarkApplication>"
CASES = HERE.parent / "tests" / "cases"


def best(fn: Callable[[], Any], repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def stray_text(conv: Converter, n: int = 160_000) -> float:
    def doc(piece: str) -> bytes:
        return (OPEN + "<tmk:TrademarkBag>" + ("<tmk:Trademark/>" + piece) * n + "</tmk:TrademarkBag>" + CLOSE).encode()

    attack, baseline = doc("abcdefghij"), doc("          ")  # blank text is skipped
    return best(lambda: conv.xml_to_json(attack)) / best(lambda: conv.xml_to_json(baseline))


def text_around_comments(conv: Converter, n: int = 160_000) -> float:
    def doc(piece: str) -> bytes:
        return (
            f'<pat:PatentPublication xmlns:pat="{PAT}" xmlns:com="{COM}" com:st96Version="V6_0">'
            f"<pat:Description><com:P>{piece * n}</com:P></pat:Description></pat:PatentPublication>"
        ).encode()

    attack, baseline = doc("abcdefghij<!---->"), doc("abcdefghij<x/>")  # an element ends the text
    return best(lambda: conv.xml_to_json(attack)) / best(lambda: conv.xml_to_json(baseline))


def content_strings(conv: Converter, n: int = 12_000) -> float:
    doc = loads_json((CASES / "list-types" / "expected.json").read_bytes(), Limits())
    p = doc["patentPublication"]["description"][0]["content"][0]["p"]

    def write(items: list[Any]) -> float:
        p["content"] = items
        return best(lambda: conv.json_to_xml(doc))

    return write(["abcdefghij"] * n) / write([{"sup": {"content": ["abcdefghij"]}}] * n)


def main() -> int:
    conv = Converter()
    worst = 0.0
    for name, case in (
        ("XML->JSON stray text in element-only content", stray_text),
        ("XML->JSON mixed text split by comments", text_around_comments),
        ("JSON->XML consecutive content strings", content_strings),
    ):
        ratio = case(conv)
        worst = max(worst, ratio)
        print(f"{name}: {ratio:.2f}x the time of a same-size baseline")
    return 0 if worst < 10 else 1


if __name__ == "__main__":
    raise SystemExit(main())

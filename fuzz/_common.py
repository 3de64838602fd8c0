"""Shared by the atheris harnesses: seeds, limits, and the libFuzzer command line.

A harness is run as ``python fuzz/fuzz_xml.py [libFuzzer options] [corpus dirs]``. Without a
corpus directory, the seeds (the built-in example and the golden cases) are written to a
fresh temporary directory that libFuzzer uses as its corpus; crash files go to
``fuzz/artifacts/`` unless ``-artifact_prefix=`` is given. See docs/security.md.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CASES = ROOT / "tests" / "cases"
EXAMPLE = ROOT / "xml2json" / "examples" / "TrademarkApplication_V6_0.xml"


def xml_seeds() -> list[bytes]:
    seeds = [EXAMPLE.read_bytes()] if EXAMPLE.is_file() else []
    seeds += [p.read_bytes() for p in sorted(CASES.glob("*/input.xml"))]
    return seeds


def json_seeds() -> list[bytes]:
    return [p.read_bytes() for p in sorted(CASES.glob("*/expected.json"))]


def libfuzzer_argv(argv: list[str], seeds: list[bytes], prefix: bytes = b"") -> list[str]:
    """*argv* plus a corpus directory when none is given (an empty one is seeded), and an artifact prefix."""
    args = list(argv)
    if not any(a.startswith("-artifact_prefix=") for a in args[1:]):
        art = ROOT / "fuzz" / "artifacts"
        art.mkdir(exist_ok=True)
        args.append(f"-artifact_prefix={art}/")
    dirs = [Path(a) for a in args[1:] if not a.startswith("-")]
    if not dirs:
        corpus = Path(tempfile.mkdtemp(prefix="xml2json-fuzz-"))
        args.append(str(corpus))
        dirs = [corpus]
    if dirs[0].is_dir() and not any(dirs[0].iterdir()):  # a new corpus folder starts from the seeds
        for i, seed in enumerate(seeds):
            (dirs[0] / f"seed-{i:03d}").write_bytes(prefix + seed)
    return args

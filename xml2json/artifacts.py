"""How compiled artefacts are written: one serialisation, shared by the compiler and the registry.

A leaf module (orjson only), so that the runtime registry never imports the compiler.
"""

from __future__ import annotations

from typing import Any

import orjson


def schema_bytes(schema: dict[str, Any]) -> bytes:
    """Deterministic, diff-friendly serialisation of a generated JSON Schema."""
    return orjson.dumps(schema, option=orjson.OPT_INDENT_2) + b"\n"

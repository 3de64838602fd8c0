"""Fixtures of the attack corpus: no network, a loopback trap server, a secret file, isolated runs.

* ``no_network`` (autouse): any socket connect, ``socket.create_connection`` or ``urllib``
  open made from Python during a test fails the test. libxml2's own network code is C and
  invisible here: that is what the trap server is for.
* ``trap``: an HTTP server on 127.0.0.1 that counts every connection it accepts; the
  attack documents point their external entities, DTDs and XIncludes at it, and the tests
  assert it was never contacted.
* ``secret``: a temporary file holding a unique token; documents reference it, and the
  tests assert the token appears in no output and no message.
* ``isolated``: runs a snippet in a fresh interpreter under ``RLIMIT_AS`` and a time limit
  and returns what it printed (JSON) plus its peak RSS — for the cases that allocate.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class NetworkGuard:
    attempts: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetworkGuard]:
    guard = NetworkGuard()

    def refuse(what: str) -> Callable[..., Any]:
        def _refuse(*args: Any, **kwargs: Any) -> Any:
            guard.attempts.append(f"{what}{args[1:] if what.startswith('socket.') else args}")
            raise OSError(f"network access attempted in a security test: {what}")

        return _refuse

    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("socket.connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urlopen"))
    yield guard
    assert guard.attempts == [], f"network access attempted: {guard.attempts}"


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    connections = 0
    paths: list[str]

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.connections += 1
        return True


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b'<!ENTITY leak "FETCHED-OVER-HTTP">')

    do_POST = do_GET

    def log_message(self, *args: Any) -> None:
        pass


@dataclass
class Trap:
    url: str
    server: _Server

    @property
    def contacts(self) -> int:
        return self.server.connections

    def reset(self) -> None:
        self.server.connections = 0
        self.server.paths.clear()


@pytest.fixture(scope="session")
def _trap_server() -> Iterator[Trap]:
    server = _Server(("127.0.0.1", 0), _Handler)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Trap(f"http://127.0.0.1:{server.server_address[1]}", server)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def trap(_trap_server: Trap) -> Iterator[Trap]:
    _trap_server.reset()
    yield _trap_server
    assert _trap_server.contacts == 0, f"the trap server was contacted: {_trap_server.server.paths}"


@dataclass
class Secret:
    token: str
    path: Path

    @property
    def uri(self) -> str:
        return self.path.as_uri()


@pytest.fixture
def secret(tmp_path: Path) -> Secret:
    token = f"XML2JSON-SECRET-{uuid.uuid4().hex}"
    path = tmp_path / "secret.txt"
    path.write_text(token + "\n")
    return Secret(token, path)


@dataclass
class Isolated:
    result: Any
    peak_rss_mb: float
    stderr: str


_PRELUDE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, ({mem} * 2**20, {mem} * 2**20))
sys.path.insert(0, {root!r})
from xml2json.errors import Xml2JsonError
def outcome(fn):
    try:
        value = fn()
    except Xml2JsonError as exc:
        return {{"error": type(exc).__name__, "code": exc.code, "message": str(exc)}}
    except MemoryError:
        return {{"error": "MemoryError"}}
    return {{"ok": value}}
"""


def run_isolated(code: str, *, mem_mb: int = 1024, timeout: float = 30.0) -> Isolated:
    """Run *code* (which must print one JSON value last) in a child interpreter."""
    script = (
        _PRELUDE.format(mem=mem_mb, root=str(ROOT))
        + textwrap.dedent(code)
        + """
import resource as _r
def _peak_kb():
    # VmHWM is this program's own high-water mark; Linux carries ru_maxrss over exec, so that
    # would report the forking pytest process's size when that is larger
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return _r.getrusage(_r.RUSAGE_SELF).ru_maxrss
print(json.dumps({"__peak_rss_kb__": _peak_kb()}))
"""
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, env=env, check=False
    )
    lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
    assert proc.returncode == 0 and len(lines) >= 2, f"child failed ({proc.returncode}): {proc.stderr[-2000:]}"
    peak = json.loads(lines[-1])["__peak_rss_kb__"] / 1024
    return Isolated(json.loads(lines[-2]), peak, proc.stderr)


@pytest.fixture
def isolated() -> Callable[..., Isolated]:
    return run_isolated

"""Reading inputs and writing outputs: one place for JSON parsing rules, atomic writes and the
walk of input folders."""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import re
import stat
import tempfile
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson

from .config import Limits
from .errors import InputError, MalformedJSONError, MalformedXMLError, OutputError, UnsafeXMLError

XmlSource = bytes | bytearray | str | os.PathLike[str] | IO[bytes]
#: What the JSON → XML functions take: the same as :data:`XmlSource`, or JSON already parsed
#: (a ``dict``).
JsonSource = XmlSource | dict[str, Any]

# An XML declaration's encoding in a str: the text is already decoded, so the bytes handed
# to libxml2 are UTF-8 whatever the declaration said (lxml itself refuses such strings).
_DECL_ENCODING = re.compile(r"""^(\ufeff?<\?xml\s[^>]*?\bencoding\s*=\s*)(["'])[^"'>]*\2""")

_BLANK = "\ufeff \t\r\n"

#: What every one-shot function accepts, for the TypeError of anything else.
ACCEPTED = (
    "a file path (str or os.PathLike), the document itself (bytes, or a str starting with '<', '{' or '['), "
    "or a binary file object (opened with 'rb')"
)


def _too_large(what: str, limits: Limits) -> UnsafeXMLError:
    return UnsafeXMLError(
        f"{what} larger than the document size limit ({limits.max_document_bytes} bytes)", code="limit-document-size"
    )


def is_document_text(source: str) -> bool:
    """How a ``str`` source is told apart from a file path, the same for every function of the
    library: it is the document itself when, after an optional byte order mark and white space,
    it starts with ``<`` (XML), ``{`` or ``[`` (JSON), or when it is empty or blank (an empty
    document, reported as such by the parser); anything else is a file path."""
    head = source.lstrip(_BLANK)
    return not head or head.startswith(("<", "{", "["))


def source_label(source: object) -> str:
    """How an input is named in reports: its path, or ``<bytes>``, ``<string>``, ``<stream>``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return "<bytes>"
    if isinstance(source, str):
        return "<string>" if is_document_text(source) else source
    if isinstance(source, os.PathLike):
        return os.fspath(source)
    name = getattr(source, "name", None)
    return name if isinstance(name, str) else "<stream>"


def _read_path(path: Path, limits: Limits) -> bytes:
    try:
        with open(path, "rb") as fh:
            data = fh.read(limits.max_document_bytes + 1)
    except IsADirectoryError:
        raise InputError(f"cannot read {path}: it is a folder", code="io") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}", code="io") from exc
    if len(data) > limits.max_document_bytes:
        raise _too_large(str(path), limits)
    return data


def read_source(source: object, limits: Limits, *, what: str = "input") -> bytes | str:
    """The document of a source, the same rule for every function of the library:

    * ``bytes``/``bytearray``/``memoryview``: the document itself;
    * ``str``: the document itself when :func:`is_document_text`, else a file path;
    * ``os.PathLike`` (``pathlib.Path``): a file path;
    * an object with ``read()``: a binary file object, read from its position.

    Returns bytes, or the str itself for document text. Never reads more than
    ``limits.max_document_bytes`` + 1 bytes (a larger input is an :class:`UnsafeXMLError`
    ``limit-document-size``); a file that cannot be read is an :class:`InputError` ``io``; any
    other type (``None``, a number, a file opened in text mode) is a :class:`TypeError` that
    says what is accepted. *what* names the function's input in that message.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    elif isinstance(source, str):
        if is_document_text(source):
            if len(source) > limits.max_document_bytes:
                raise _too_large("input", limits)
            return source
        return _read_path(Path(source), limits)
    elif isinstance(source, os.PathLike):
        return _read_path(Path(source), limits)
    elif callable(getattr(source, "read", None)):
        data = source.read(limits.max_document_bytes + 1)  # type: ignore[attr-defined]
        if isinstance(data, str):
            raise TypeError(f"{what}: the file object was opened in text mode; open it with 'rb' (binary mode)")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"{what}: read() returned {type(data).__name__}, not bytes")
        data = bytes(data)
    else:
        raise TypeError(f"{what} must be {ACCEPTED}; got {type(source).__name__}")
    if len(data) > limits.max_document_bytes:
        raise _too_large("input", limits)
    return data


def read_xml_source(source: XmlSource, limits: Limits) -> bytes:
    """The bytes of an XML source (see :func:`read_source` for how a source is read).

    A str is encoded as UTF-8 (an encoding its XML declaration names is replaced, the text
    being already decoded); a lone surrogate is a :class:`MalformedXMLError` ``xml-encoding``.
    """
    data = read_source(source, limits, what="the XML input")
    if isinstance(data, bytes):
        return data
    if data.startswith(("<?xml", "\ufeff<?xml")):
        head = _DECL_ENCODING.sub(r"\1\2UTF-8\2", data[:512], count=1)
        data = head + data[512:]
    try:
        out = data.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise MalformedXMLError(
            f"the XML text contains a lone surrogate at character {exc.start}", code="xml-encoding"
        ) from None
    if len(out) > limits.max_document_bytes:
        raise _too_large("input", limits)
    return out


def read_json_source(source: object, limits: Limits) -> Any:
    """ST.97 JSON from a source: a ``dict`` (or ``list``) is taken as already parsed; anything
    else is read as :func:`read_source` says and parsed by :func:`loads_json`."""
    if isinstance(source, (dict, list)):
        return source
    return loads_json(read_source(source, limits, what="the JSON input"), limits)


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise MalformedJSONError(f"duplicate member {_clip(k)!r}", code="json-duplicate-key")
            seen.add(k)
    return out


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _no_constant(name: str) -> Any:
    raise MalformedJSONError(f"{name} is not valid JSON", code="json-nan")


def _number_hooks(limits: Limits) -> tuple[Any, Any]:
    """``parse_int`` / ``parse_float`` that keep numbers exact but bounded: at most
    ``max_json_number_chars`` characters, and no exponent whose plain decimal form
    (which the XML writer produces) would be longer than that."""
    cap = limits.max_json_number_chars

    def too_long(s: str, why: str) -> MalformedJSONError:
        return MalformedJSONError(
            f"number {_clip(s, 40)} {why} (the limit is {cap} characters)", code="limit-json-number"
        )

    def parse_int(s: str) -> int:
        if len(s) > cap:
            raise too_long(s, f"has {len(s)} characters")
        return int(s)

    def parse_float(s: str) -> Decimal:
        if len(s) > cap:
            raise too_long(s, f"has {len(s)} characters")
        d = Decimal(s)
        if "e" in s or "E" in s:
            _sign, digits, exp = d.as_tuple()
            assert isinstance(exp, int)  # finite: JSON has no NaN/Infinity literals here
            plain = len(digits) + exp if exp >= 0 else max(len(digits), -exp) + 1
            if plain > cap:
                raise too_long(s, f"has {plain} digits written out")
        return d

    return parse_int, parse_float


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(obj: Any) -> bool:
    stack = [obj]
    while stack:
        v = stack.pop()
        if isinstance(v, str):
            try:
                v.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(v, dict):
            stack.extend(v)
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return False


def json_depth_exceeds(obj: Any, limit: int) -> bool:
    """True when arrays/objects nest more than *limit* levels (the outermost one is level 1)."""
    stack = [(obj, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            items: Any = v.values()
        elif isinstance(v, list):
            items = v
        else:
            continue
        if d > limit:
            return True
        for c in items:
            if isinstance(c, (dict, list)):
                stack.append((c, d + 1))
    return False


def loads_json(data: bytes | bytearray | str, limits: Limits) -> Any:
    """Parse JSON exactly and defensively.

    Numbers with a fraction or exponent become ``Decimal`` (no float loss); integers stay
    ``int``; both are bounded by ``limits.max_json_number_chars``. Duplicate keys,
    NaN/Infinity, invalid UTF-8 (and so UTF-16/32) and lone surrogates are errors; nesting
    deeper than ``limits.max_json_depth`` is an error; the input is bounded by
    ``limits.max_document_bytes``. Every failure is a :class:`MalformedJSONError` with a
    stable code (``malformed-json``, ``json-encoding``, ``json-duplicate-key``,
    ``json-nan``, ``limit-json-depth``, ``limit-json-number``) or an
    :class:`UnsafeXMLError` ``limit-document-size``.
    """
    if isinstance(data, (bytes, bytearray)):
        if len(data) > limits.max_document_bytes:
            raise _too_large("JSON input", limits)
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSONError(f"JSON input is not UTF-8 (byte {exc.start})", code="json-encoding") from None
    else:
        text = data
        if len(text) > limits.max_document_bytes:
            raise _too_large("JSON input", limits)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise MalformedJSONError(
                f"JSON text has a lone surrogate (character {exc.start})", code="json-encoding"
            ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    parse_int, parse_float = _number_hooks(limits)
    try:
        obj = json.loads(
            text,
            parse_float=parse_float,
            parse_int=parse_int,
            parse_constant=_no_constant,
            object_pairs_hook=_no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise MalformedJSONError(
            f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})", code="malformed-json", line=exc.lineno
        ) from None
    except RecursionError:
        raise MalformedJSONError(f"JSON nesting deeper than {limits.max_json_depth}", code="limit-json-depth") from None
    except (ValueError, ArithmeticError) as exc:  # a number the hooks could not take
        raise MalformedJSONError(f"invalid JSON number: {_clip(str(exc))}", code="limit-json-number") from None
    limit = limits.max_json_depth
    if (text.count("[") + text.count("{") > limit) and json_depth_exceeds(obj, limit):
        raise MalformedJSONError(f"JSON nesting deeper than {limit}", code="limit-json-depth")
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(obj):
        raise MalformedJSONError(
            "a \\u escape makes a lone surrogate, which neither UTF-8 nor XML can carry", code="json-encoding"
        )
    return obj


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return orjson.Fragment(str(obj))
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


_INT64_MIN, _UINT64_MAX = -(1 << 63), (1 << 64) - 1


def _big_ints(obj: Any) -> Any:
    """A copy of *obj* with integers outside orjson's 64-bit range as exact fragments."""
    if isinstance(obj, bool):
        return obj
    if isinstance(obj, int):
        return obj if _INT64_MIN <= obj <= _UINT64_MAX else orjson.Fragment(str(obj))
    if isinstance(obj, dict):
        return {k: _big_ints(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_big_ints(v) for v in obj]
    return obj


def dumps_json(obj: Any, *, pretty: bool = False, newline: bool = False) -> bytes:
    """Serialise with orjson; exact decimals and big integers are written from their lexical form.
    With *newline*, a final ``\n`` is written by orjson (a JSON Lines line without a copy)."""
    opt = orjson.OPT_INDENT_2 if pretty else 0
    if newline:
        opt |= orjson.OPT_APPEND_NEWLINE
    try:
        return orjson.dumps(obj, default=_default, option=opt)
    except orjson.JSONEncodeError as exc:
        if "64-bit" not in str(exc):
            raise
        return orjson.dumps(_big_ints(obj), default=_default, option=opt)


def _read_umask() -> int:
    try:  # Linux: read it without touching it
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: the classic set-and-restore, once
    os.umask(mask)
    return mask


@functools.cache
def file_mode() -> int:
    """The permissions of an ordinary new file under the umask (mkstemp would make outputs
    private); read once, at the first output rather than at import."""
    return 0o666 & ~_read_umask()


#: The suffix of the temporary file an atomic output is written to before its rename.
PART_SUFFIX = ".part"


def output_error(path: str | os.PathLike[str], exc: OSError) -> OutputError:
    """The :class:`OutputError` of an operating-system error met while writing *path*:
    ``output-is-folder`` (the path names a folder), ``output-folder-missing`` (its folder does not
    exist) or ``output-write`` (anything else: permissions, a read-only or full file system)."""
    name = os.fspath(path)
    if exc.errno == errno.EISDIR:
        return OutputError(f"cannot write {name}: it is a folder", code="output-is-folder")
    parent = os.path.dirname(os.path.abspath(name))
    if exc.errno == errno.ENOENT and not os.path.isdir(parent):
        return OutputError(f"cannot write {name}: the folder {parent} does not exist", code="output-folder-missing")
    return OutputError(f"cannot write {name}: {exc.strerror or exc}", code="output-write")


#: Paths written through, never replaced, whatever they resolve to: ``/dev/stdout``,
#: ``/dev/fd/N``, ``/proc/self/fd/N``, … (replacing what they point to would be wrong even when
#: it is a regular file: the caller's open descriptor would keep the old one).
_SYSTEM_PREFIXES = ("/dev/", "/proc/")


def _writes_through(path: Path) -> bool | None:
    """How an output at *path* is written: ``True`` straight into the existing node (a FIFO, a
    device, a socket, anything under ``/dev`` or ``/proc``), ``False`` by an atomic replace (a
    regular file, or nothing yet; a symlink counts as what it points to), ``None``: *path* is a
    folder."""
    if os.path.abspath(path).startswith(_SYSTEM_PREFIXES):
        return True
    try:
        st = os.stat(path)  # follows symlinks
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode):
        return None
    return not stat.S_ISREG(st.st_mode)


class TempGuard:
    """The temporary files of the :class:`AtomicFile` objects alive in this process, and a lock
    around their creation and renaming. A bulk worker process installs one (:data:`TEMP_GUARD`,
    :func:`xml2json.bulk.worker.init_pool_worker`); when the run's main process is gone, its
    watchdog thread calls :meth:`close`, which takes the lock for good and removes the files, and
    then ends the process — so nothing is renamed into place after the run died."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.temps: set[str] = set()

    def close(self) -> None:
        """Hold the lock for good (every later creation or rename blocks) and remove the
        temporary files; the caller then ends the process."""
        self.lock.acquire()
        for tmp in list(self.temps):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self.temps.clear()


#: Set in a bulk worker process (see :class:`TempGuard`); None everywhere else.
TEMP_GUARD: TempGuard | None = None


def _forget(tmp: str) -> None:
    """A temporary file that was removed is no longer the guard's business."""
    guard = TEMP_GUARD
    if guard is not None:
        with guard.lock:
            guard.temps.discard(tmp)


class AtomicFile:
    """An output written to ``.<name>.<random>.part`` beside its final name and renamed into place by
    :meth:`commit`; the one atomic writer of the library (``-o`` outputs, bulk outputs, manifests,
    compiled plans). Nothing is created until the first write (``write(b"")`` creates an empty
    file); committing without any write removes a stale file of the final name instead. With
    *durable*, the data is fsynced before the rename.

    What is at the path decides how it is written:

    * nothing, or a regular file: the atomic replace above; readers never see a partial file;
    * a symlink: followed; its target is replaced atomically (the temporary file sits beside the
      target) and the link stays; a dangling link creates its target;
    * a FIFO, a character or block device, anything under ``/dev`` or ``/proc`` (``/dev/stdout``,
      ``/dev/null``): written through (opened and written, no temporary file, no rename), so
      the node is never replaced; opening a FIFO waits for its reader;
    * a folder: :class:`OutputError` ``output-is-folder``.

    A missing folder is created (with its parents) when *parents* is true (the default; bulk
    outputs in subfolders rely on it); otherwise it is an :class:`OutputError`
    ``output-folder-missing``. Every operating-system error becomes an :class:`OutputError`
    (``output-write`` …) naming the path, and no temporary file is left behind.
    """

    def __init__(self, path: Path, *, durable: bool = False, parents: bool = True) -> None:
        self.path = Path(path)
        self.durable = durable
        self.parents = parents
        self._fh: IO[bytes] | None = None
        self._tmp: str | None = None
        self._target: Path | None = None  # where the temporary file goes (a symlink's target)
        self._through = False
        self._size = 0

    def _open(self) -> IO[bytes]:
        mode = _writes_through(self.path)
        if mode is None:
            raise OutputError(f"cannot write {self.path}: it is a folder", code="output-is-folder")
        if mode:
            fh = open(self.path, "wb", buffering=0)  # noqa: SIM115 - closed by commit/abort
            self._through = True
            return fh
        target = Path(os.path.realpath(self.path)) if self.path.is_symlink() else self.path
        if self.parents:
            target.parent.mkdir(parents=True, exist_ok=True)
        elif not target.parent.is_dir():
            raise OutputError(
                f"cannot write {self.path}: the folder {target.parent} does not exist", code="output-folder-missing"
            )
        guard = TEMP_GUARD
        if guard is None:
            fd, self._tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=PART_SUFFIX, dir=target.parent)
        else:
            with guard.lock:
                fd, self._tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=PART_SUFFIX, dir=target.parent)
                guard.temps.add(self._tmp)
        self._target = target
        if hasattr(os, "fchmod"):
            os.fchmod(fd, file_mode())
        return os.fdopen(fd, "wb", buffering=1024 * 1024)

    def write(self, data: bytes) -> None:
        try:
            if self._fh is None:
                self._fh = self._open()
            self._fh.write(data)
        except BrokenPipeError:  # a FIFO's reader went away: the caller decides (the CLI: like `head`)
            self.abort()
            raise
        except OSError as exc:
            self.abort()
            raise output_error(self.path, exc) from exc
        self._size += len(data)

    def commit(self) -> int | None:
        """Rename into place (or close a written-through node); returns the size written, or None
        when nothing was written."""
        if self._fh is None:
            with contextlib.suppress(OSError):
                if self.path.is_symlink() or self.path.is_file():
                    self.path.unlink()
            return None
        fh, tmp, target = self._fh, self._tmp, self._target
        self._fh = self._tmp = self._target = None
        try:
            fh.flush()
            if self.durable and not self._through:
                os.fsync(fh.fileno())
            fh.close()
            if tmp is not None:
                assert target is not None
                guard = TEMP_GUARD
                if guard is None:
                    os.replace(tmp, target)
                else:  # blocks for good once the run's main process is gone (TempGuard.close)
                    with guard.lock:
                        os.replace(tmp, target)
                        guard.temps.discard(tmp)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                fh.close()
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                _forget(tmp)
            if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
                raise output_error(self.path, exc) from exc
            raise
        return self._size

    def abort(self) -> None:
        """Drop what was written: the temporary file is removed, the final name is untouched."""
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            _forget(self._tmp)
            self._tmp = None


def atomic_write(path: Path, data: bytes, *, durable: bool = False, parents: bool = True) -> int:
    """Write *data* to *path* as :class:`AtomicFile` does (an atomic replace of a regular file, a
    symlink followed, a FIFO or device written through); returns the size. Failures are
    :class:`OutputError` naming the path (``output-write``, ``output-folder-missing`` when
    *parents* is false and the folder is missing, ``output-is-folder``); nothing partial is left."""
    f = AtomicFile(path, durable=durable, parents=parents)
    try:
        f.write(data)
        size = f.commit()
    except BaseException:
        f.abort()
        raise
    assert size is not None
    return size


# -- input folders --------------------------------------------------------------------------

#: What a folder walk yields (``bulk`` and ``profile report``): XML files, gzip-compressed XML
#: files and zip archives, by name, case-insensitively. Files named explicitly are taken whatever
#: their name.
FOLDER_SUFFIXES = (".xml", ".xml.gz", ".zip")


def is_folder_input(name: str) -> bool:
    """True when a file of this name, found in a folder, is an input (:data:`FOLDER_SUFFIXES`)."""
    low = name.lower()
    return any(low.endswith(s) for s in FOLDER_SUFFIXES)


def walk_folder(
    folder: Path,
    *,
    exclude: Path | None = None,
    skipped: Callable[[Path], None] | None = None,
    suffixes: tuple[str, ...] = FOLDER_SUFFIXES,
) -> Iterator[Path]:
    """The input files below *folder*, recursively: in each folder its files by name, then its
    subfolders by name. Hidden files and folders (a leading ``.``) are passed over, and so is the
    folder *exclude* (resolved; an output folder inside the input folder); other files that are
    not inputs (:func:`is_folder_input`; *suffixes*: other suffixes, lower case — bulk's JSON →
    XML direction walks ``.json``, ``.jsonl`` and ``.zip``) are handed to *skipped*. Yields paths
    below *folder* as given (not resolved)."""
    for dirpath, dirnames, filenames in os.walk(folder):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and (exclude is None or (here / d).resolve() != exclude)
        )
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            if name.lower().endswith(suffixes):
                yield here / name
            elif skipped is not None:
                skipped(here / name)

"""Bulk conversion: many files, zips of files, and huge bag-style documents, streamed record by record.

The public surface:

* :func:`iter_records` — stream the records of one document (or of every XML member of a zip)
  with flat memory, as :class:`Record` objects;
* :func:`run_bulk` — convert files, folders, globs, zips, gzip files and standard input into an
  output folder, on all cores or on a Dask cluster, with rejects, a manifest, resume and a
  :class:`BulkSummary`; its settings are a :class:`BulkConfig` (``run(BulkConfig(...))`` is the
  same run);
* :func:`record_layout` — which elements of a document type are its records;
* :func:`iter_xml` and :func:`write_documents` — the way back: the ST.96 XML documents of a JSON
  Lines partition (records and rest lines) or of an ST.97 JSON document, streamed
  (:mod:`.reverse`); ``run_bulk(..., to_xml=True)`` does it for folders and zips.

See docs/bulk.md for the envelope, the output layout and the exit codes.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, cast

from ..api import Converter
from ..config import Options
from ..errors import ConfigError, InputError
from ..registry import Registry
from ..safe import bounded_gzip_reader
from .checks import Finding, RecordChecker, normalize_validate
from .config import BulkConfig
from .engine import BulkSummary, run, run_bulk
from .inputs import GZIP_MAGIC, ZIP_MAGIC, Meter, open_file, open_member, plan_inputs
from .layout import RecordLayout, RecordSpec, record_layout
from .records import PeekedStream, Record, stream_documents
from .reverse import XmlDocument, iter_xml, write_documents

__all__ = [
    "BulkConfig",
    "BulkSummary",
    "Finding",
    "Record",
    "RecordLayout",
    "RecordSpec",
    "XmlDocument",
    "iter_records",
    "iter_xml",
    "record_layout",
    "run",
    "run_bulk",
    "write_documents",
]


def iter_records(
    source: str | os.PathLike[str] | bytes | bytearray | IO[bytes],
    *,
    options: Options | None = None,
    registry: Registry | None = None,
    rest: bool = False,
    name: str | None = None,
    validate: str | Iterable[str] | None = None,
    check_roundtrip: bool = False,
) -> Iterator[Record]:
    """Yield the records of an ST.96 document, one at a time, with flat memory.

    *source* is a path (an XML file, a gzip file, or a zip whose XML members are read in
    turn), XML bytes or text (a string starting with ``<``), or a binary stream. Each
    :class:`Record` carries its envelope fields and either ``data`` or, for a record that
    could not be converted, ``errors``; the stream goes on after such a record. A document
    that cannot be read on (malformed XML, a DOCTYPE, an unknown root, a version that is not
    compiled, a limit) raises :class:`~xml2json.Xml2JsonError` after the records before that
    point. With *rest*, each document ends with a record of ``record=None`` holding
    everything that is not inside a record (headers, identifiers). *name* labels
    ``Record.source`` (default: the path, or ``"<bytes>"`` / ``"<stream>"``).

    *validate* (``"json"``, ``"xsd"``, ``"both"`` or a sequence such as ``("json", "xsd")``)
    checks every converted record against the ST.97 JSON Schema of its type and/or its element
    against the ST.96 XSD; *check_roundtrip* writes each record back to XML and compares it with
    the original element. What they find is in ``Record.issues`` (:class:`Finding` objects, with
    the conversion warnings as ``convert`` findings); a record with issues is yielded all the
    same. Raises :class:`~xml2json.errors.ConfigError` ``bulk-validate`` for an unknown check.
    """
    conv = Converter(options=options, registry=registry)
    try:
        checks = normalize_validate(validate)
    except ValueError as exc:
        raise ConfigError(str(exc), code="bulk-validate") from None
    # a checker of its own (its converter is this call's): compiled schemas go with the call;
    # the XSDs are the process's (xml2json.validate.default_validators)
    checker = RecordChecker(conv, checks, check_roundtrip) if checks or check_roundtrip else None
    limits = conv.options.limits
    if isinstance(source, str) and source.lstrip("\ufeff \t\r\n").startswith("<"):
        source = source.encode("utf-8")  # XML text, as everywhere in the API
    if isinstance(source, (bytes, bytearray)):
        yield from _from_stream(io.BytesIO(bytes(source)), name or "<bytes>", conv, rest, checker)
        return
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        label = name or os.fspath(source)
        with open(path, "rb") as fh:
            head = fh.read(4)
        if head == ZIP_MAGIC:
            yield from _from_zip(path, label, conv, rest, checker)
            return
        with open_file(path, limits) as stream:
            yield from stream_documents(stream, label, conv, rest=rest, checker=checker)
        return
    yield from _from_stream(source, name or "<stream>", conv, rest, checker)


def _from_stream(
    raw: IO[bytes], label: str, conv: Converter, rest: bool, checker: RecordChecker | None = None
) -> Iterator[Record]:
    limits = conv.options.limits
    head = raw.read(2)
    body = PeekedStream(raw, head)
    if head == GZIP_MAGIC:
        with bounded_gzip_reader(cast(IO[bytes], body), limits) as gz:
            yield from stream_documents(Meter(gz), label, conv, rest=rest, checker=checker)
        return
    yield from stream_documents(Meter(body), label, conv, rest=rest, checker=checker)


def _from_zip(
    path: Path, label: str, conv: Converter, rest: bool, checker: RecordChecker | None = None
) -> Iterator[Record]:
    """Every XML member of a zip, with the same name and size checks as :func:`run_bulk`."""
    plan = plan_inputs([path], path.parent, records=True, limits=conv.options.limits)
    if plan.rejects:
        first = plan.rejects[0]
        raise InputError(f"{first['source']}: {first['message']}", code=first["code"])
    with zipfile.ZipFile(path) as zf:
        infos = {i.header_offset: i for i in zf.infolist()}
        for task in plan.tasks:
            for m in task.members:
                with open_member(zf, m, conv.options.limits, infos) as stream:
                    yield from stream_documents(stream, f"{label}!{m.name}", conv, rest=rest, checker=checker)

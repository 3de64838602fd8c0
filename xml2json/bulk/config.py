"""The settings of one bulk run: :class:`BulkConfig`, frozen and checked when it is made.

Every unusable value is a :class:`~xml2json.errors.ConfigError` with a stable code (below), so
that a caller — the command line, a scheduler, a test — can tell the cases apart without reading
the message; messages name the settings, never a command-line flag (``cli/bulk.py`` adds those).

=========================  ==============================================================
code                       meaning
=========================  ==============================================================
``no-input``               no inputs given (also: the inputs hold no XML document)
``bulk-engine``            *engine* is not one of :data:`ENGINES`
``bulk-progress``          *progress* is not one of :data:`~xml2json.bulk.progress.MODES`
``bulk-jobs``              *jobs* is not a whole number of at least 1
``bulk-pretty-records``    *pretty* together with *records*
``bulk-resume-overwrite``  *resume* together with *overwrite*
``bulk-stdin-dask``        standard input (``-``) with the Dask engine
``bulk-validate``          *validate* names a check that is not ``json``, ``xsd`` or ``both``
``bulk-strict-valid``      *strict_valid* without *validate*
``dask-scheduler``         the Dask engine without a *scheduler* address or a *client*
``bulk-to-xml-records``    *to_xml* together with *records* (JSON → XML reads partitions
                           whatever they are; *records* names the other direction's output)
``bulk-to-xml-pretty``     *to_xml* together with *pretty* (indenting would add text to the XML)
``bulk-to-xml-stdin``      *to_xml* with standard input (``-``): a partition is read twice
``bulk-to-xml-checks``     *to_xml* together with *validate* or *check_roundtrip* (the checks
                           belong to the XML → JSON direction)
``bulk-to-xml-strict``     *to_xml* with ``Options(strict=True)`` (strict applies to reading XML)
=========================  ==============================================================

The run adds codes of its own for the output folder (:mod:`.engine`): ``bulk-earlier-run``,
``bulk-settings-differ``, ``bulk-locked``, ``bulk-input-is-output`` (an input is, or holds, an
output of the earlier run in *out_dir*: starting over would delete it); ``dask-connect`` for a
Dask scheduler that cannot be reached, ``bulk-in-worker`` for a run started inside one of a run's
own worker processes; and an :class:`~xml2json.errors.OutputError` ``output-not-folder`` (the
output folder is a file) or ``output-write`` (an output cannot be written: read-only, full, no permission).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import IO, Any

from ..config import Options
from ..errors import ConfigError
from .checks import normalize_validate
from .progress import MODES

ENGINES = ("local", "dask")

Inputs = tuple[str | os.PathLike[str], ...]


@dataclass(frozen=True)
class BulkConfig:
    """What one bulk run converts, where to, and how (docs/bulk.md, "Python API").

    *inputs*: files, folders, glob patterns, zips, gzip files and ``-`` (read from *stdin*, by
    default the process's standard input); one path alone is taken as a list of one.
    *records*: one JSON Lines partition per input (or per batch of zip members) with one line
    per record, instead of one JSON file per document. *resume*: skip inputs the manifest of an
    earlier run in *out_dir* lists as complete. *overwrite*: start over in an *out_dir* that
    holds an earlier run (deletes its outputs). *jobs*: worker processes (default: one per
    core). *engine* ``"dask"`` runs the tasks on the Dask cluster at *scheduler* (or on
    *client*). *progress*: ``"auto"``, ``"bar"``, ``"log"`` or ``"none"`` (on standard error).
    *durable*: fsync every output before renaming it into place. *to_xml*: the other direction,
    ST.97 JSON documents and JSON Lines partitions of a records run → ST.96 XML
    (:mod:`.reverse`, docs/bulk.md "JSON → XML in bulk").

    Data quality (docs/bulk.md, "Checking data quality"): *validate* — ``"json"``, ``"xsd"``,
    ``"both"`` or a sequence such as ``("json", "xsd")``, kept as the tuple of checks — checks
    every converted record (document, without *records*) against the ST.97 JSON Schema of its
    type and/or the ST.96 XSD; *strict_valid* sends a unit with validation issues to the rejects
    instead of the output; *check_roundtrip* writes every unit back to XML and compares it with
    the original. Any of them writes ``OUTDIR/quality.json``.
    """

    inputs: Inputs
    out_dir: str | os.PathLike[str]
    jobs: int | None = None
    records: bool = False
    resume: bool = False
    overwrite: bool = False
    options: Options = field(default_factory=Options)
    pretty: bool = False
    engine: str = "local"
    scheduler: str | None = None
    client: Any = field(default=None, compare=False, repr=False)
    progress: str = "none"
    durable: bool = False
    stdin: IO[bytes] | None = field(default=None, compare=False, repr=False)
    validate: str | Sequence[str] | None = ()
    strict_valid: bool = False
    check_roundtrip: bool = False
    to_xml: bool = False

    def __post_init__(self) -> None:
        inputs: Any = self.inputs
        if isinstance(inputs, (str, os.PathLike)):
            inputs = (inputs,)
        object.__setattr__(self, "inputs", tuple(inputs))
        if self.options is None:
            object.__setattr__(self, "options", Options())
        if not self.inputs:
            raise ConfigError("no inputs given", code="no-input")
        try:
            object.__setattr__(self, "validate", normalize_validate(self.validate))
        except ValueError as exc:
            raise ConfigError(str(exc), code="bulk-validate") from None
        if self.strict_valid and not self.validate:
            raise ConfigError(
                "strict validity needs a validation to apply (json, xsd or both)", code="bulk-strict-valid"
            )
        if self.engine not in ENGINES:
            raise ConfigError(f"unknown engine {self.engine!r} (choose from {', '.join(ENGINES)})", code="bulk-engine")
        if self.progress not in MODES:
            raise ConfigError(
                f"unknown progress mode {self.progress!r} (choose from {', '.join(MODES)})", code="bulk-progress"
            )
        if self.records and self.pretty:
            raise ConfigError(
                "pretty output does not apply to records: JSON Lines hold one object per line",
                code="bulk-pretty-records",
            )
        if self.to_xml and self.records:
            raise ConfigError(
                "to_xml reads JSON documents and JSON Lines partitions as they come; records belongs to "
                "the XML → JSON direction",
                code="bulk-to-xml-records",
            )
        if self.to_xml and self.pretty:
            raise ConfigError("pretty does not apply to XML output (indenting adds text)", code="bulk-to-xml-pretty")
        if self.to_xml and (self.validate or self.check_roundtrip):
            raise ConfigError(
                "the data-quality checks (validate, check_roundtrip) apply to XML → JSON runs, not to to_xml; "
                "check the JSON with a forward run's report, or the XML written with xml2json validate",
                code="bulk-to-xml-checks",
            )
        if self.to_xml and self.options.strict:
            raise ConfigError(
                "strict applies to reading XML (content the schema does not know rejects the record); "
                "to_xml writes what the JSON holds, unknown content included",
                code="bulk-to-xml-strict",
            )
        if self.to_xml and self.has_stdin:
            raise ConfigError(
                "standard input (-) cannot be converted to XML in bulk (a partition is read twice); save it to a file",
                code="bulk-to-xml-stdin",
            )
        if self.resume and self.overwrite:
            raise ConfigError("resume and overwrite exclude each other", code="bulk-resume-overwrite")
        if self.jobs is not None and (isinstance(self.jobs, bool) or not isinstance(self.jobs, int) or self.jobs < 1):
            raise ConfigError(f"jobs must be a whole number of at least 1, not {self.jobs!r}", code="bulk-jobs")
        if self.engine == "dask":
            if self.has_stdin:
                raise ConfigError(
                    "standard input (-) cannot be distributed; save it to a shared file first", code="bulk-stdin-dask"
                )
            if not self.scheduler and self.client is None:
                raise ConfigError(
                    "the Dask engine needs the address of a scheduler (for example tcp://10.0.0.5:8786) or a client",
                    code="dask-scheduler",
                )

    @property
    def checks(self) -> tuple[str, ...]:
        """The validations asked for (*validate*, normalised)."""
        return tuple(self.validate or ())

    @property
    def has_stdin(self) -> bool:
        return any(os.fspath(i) == "-" for i in self.inputs)

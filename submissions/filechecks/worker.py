"""Subprocess entry point for the deep checks: ``python -m submissions.filechecks.worker``.

Protocol (used by ``deep.run_deep_check``): stdin is one JSON header line
``{"identities": [...], "reviewer_copy_path": "/tmp/.../copy.pdf"}`` followed by the raw PDF
bytes; stdout is the ``DeepReport.to_dict(include_copy=False)`` JSON, and the reviewer copy
is written to ``reviewer_copy_path``.  Identities travel on stdin, not argv, so author names
never show up in ``ps``.  For manual use stdin may also be a bare PDF, with ``--identity``
(repeatable), ``--copy PATH``, ``--cpu SECONDS`` and ``--memory-mb MB`` options.

Exit status: 0 whenever a report was printed (even with ``ok=false``); ``MEMORY_EXIT_CODE``
(3) when the address-space limit was hit; anything else is an unexpected crash.

``check_stream`` is what ``deep.run_deep_check`` runs, in a sandboxed child forked from the
warm zygote of ``pool.py``: the same header + PDF on its input, and the report JSON, a newline
and the reviewer copy's bytes on its output (no file is written).
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
from typing import BinaryIO

from .deep import MEMORY_EXIT_CODE, DeepReport, analyse_pdf


def main(argv: list[str] | None = None) -> int:
    """Read a PDF (and options) from stdin, print the deep-check report as JSON."""
    logging.disable(logging.CRITICAL)  # hostile PDFs trigger floods of parser warnings
    parser = argparse.ArgumentParser(prog="python -m submissions.filechecks.worker")
    parser.add_argument("--identity", action="append", default=[])
    parser.add_argument("--copy", help="where to write the reviewer copy")
    parser.add_argument("--cpu", type=int, help="CPU-time limit in seconds")
    parser.add_argument("--memory-mb", type=int, help="address-space limit in MB")
    args = parser.parse_args(argv)
    if args.cpu:
        resource.setrlimit(resource.RLIMIT_CPU, (args.cpu, args.cpu + 2))
    if args.memory_mb:
        resource.setrlimit(resource.RLIMIT_AS, (args.memory_mb << 20, args.memory_mb << 20))

    data = sys.stdin.buffer.read()
    identities: list[str] = list(args.identity)
    copy_path: str | None = args.copy
    if not data.startswith(b"%PDF"):
        header, _, data = data.partition(b"\n")
        options = json.loads(header or b"{}")
        identities += [str(i) for i in options.get("identities") or []]
        copy_path = options.get("reviewer_copy_path") or copy_path
    try:
        report = analyse_pdf(data, identities=identities)
        if copy_path and report.reviewer_copy is not None:
            with open(copy_path, "wb") as handle:
                handle.write(report.reviewer_copy)
        payload = report.to_dict(include_copy=False)
    except MemoryError:
        report = None
        payload = DeepReport.failure("analysis exceeded the memory limit").to_dict()
        _emit(payload)
        return MEMORY_EXIT_CODE
    _emit(payload)
    return 0


def check_stream(stdin: BinaryIO, stdout: BinaryIO) -> int:
    """The pool's target: header line + PDF in; report JSON, newline, reviewer copy out."""
    header, _, data = stdin.read().partition(b"\n")
    options = json.loads(header or b"{}")
    identities = [str(i) for i in options.get("identities") or []]
    try:
        report = analyse_pdf(data, identities=identities)
    except MemoryError:
        return MEMORY_EXIT_CODE
    stdout.write(json.dumps(report.to_dict(include_copy=False)).encode() + b"\n")
    stdout.write(report.reviewer_copy or b"")
    return 0


def _emit(payload: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(payload))
    sys.stdout.flush()


if __name__ == "__main__":
    sys.exit(main())

"""Deep checks of a submitted PDF, run in a resource-limited subprocess.

``run_deep_check`` is what the Celery task calls.  It never raises: the analysis runs in
``python -m submissions.filechecks.worker`` with CPU-time, address-space, file-size and
core-dump limits (``setrlimit`` in ``preexec_fn``, i.e. applied between fork and exec, so
they also bind a command substituted in tests), plus a wall-clock timeout after which the
whole process group is killed.  A hostile PDF can therefore neither hang nor exhaust the
Celery worker; the report just says ``ok=False`` with an explanatory ``error``.

Python warns that ``preexec_fn`` is unsafe in multi-threaded parents (the child could
deadlock on a lock held by another thread before exec).  Ours only calls ``setrlimit`` with
values precomputed in the parent (no imports, no allocation worth mentioning), and Celery's
default prefork pool runs tasks in single-threaded processes.  The worker also accepts
``--cpu``/``--memory-mb`` for running it by hand.

``analyse_pdf`` is the same analysis in-process, without limits (used by the worker itself
and handy in tests).  Findings never reject anything: they are listed for the chairs.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from .matching import FoldedText, find_identities, find_injections, identity_patterns
from .sanitize import reviewer_copy
from .textscan import extract_pages, hidden_runs

__all__ = ["MEMORY_EXIT_CODE", "DeepReport", "analyse_pdf", "run_deep_check"]

MEMORY_EXIT_CODE = 3
MAX_HITS = 500
MAX_HIDDEN = 500
NO_TEXT_WARNING = (
    "no extractable text: the PDF may be scanned or consist only of images, so the anonymity "
    "and hidden-text checks could not look at its content"
)


@dataclass
class DeepReport:
    """Result of the deep checks (JSON-serialisable through ``to_dict``/``from_dict``).

    ``anonymity_hits``: ``{"page", "text", "match"}`` — an identity found in the body text.
    ``hidden_text``: ``{"page", "kind", "text"}`` with kind in invisible / white / tiny /
    offpage / injection.  ``stripped_metadata`` names what was removed for the reviewer copy.
    """

    ok: bool
    error: str | None = None
    page_count: int = 0
    text_chars: int = 0
    reviewer_copy: bytes | None = None
    anonymity_hits: list[dict[str, Any]] = field(default_factory=list)
    hidden_text: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stripped_metadata: list[str] = field(default_factory=list)

    @classmethod
    def failure(cls, error: str) -> DeepReport:
        return cls(ok=False, error=error)

    def to_dict(self, include_copy: bool = True) -> dict[str, Any]:
        """Plain dict; the reviewer copy is base64 text (or None / omitted)."""
        data = asdict(self)
        copy = data.pop("reviewer_copy")
        data["reviewer_copy"] = (
            base64.b64encode(copy).decode("ascii") if include_copy and copy is not None else None
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeepReport:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        copy = values.get("reviewer_copy")
        values["reviewer_copy"] = base64.b64decode(copy) if isinstance(copy, str) else None
        values.setdefault("ok", False)
        return cls(**values)


def analyse_pdf(pdf_bytes: bytes, *, identities: list[str]) -> DeepReport:
    """Run every deep check in this process (no resource limits; see ``run_deep_check``)."""
    report = DeepReport(ok=True)
    errors: list[str] = []
    patterns = identity_patterns(identities)
    try:
        for page in extract_pages(pdf_bytes, report.warnings):
            report.page_count += 1
            report.text_chars += page.char_count
            text = FoldedText.of(page.text)
            report.hidden_text.extend(hidden_runs(page))
            report.hidden_text.extend(find_injections(text, page.number))
            room = MAX_HITS - len(report.anonymity_hits)
            if room > 0:
                report.anonymity_hits.extend(find_identities(text, patterns, page.number, room))
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported in the DeepReport, never raised
        errors.append(f"the PDF text could not be analysed ({_describe(exc)})")
    report.hidden_text.sort(key=lambda item: item["page"])
    if len(report.hidden_text) > MAX_HIDDEN:
        report.warnings.append(f"only the first {MAX_HIDDEN} hidden-text findings are listed")
        del report.hidden_text[MAX_HIDDEN:]
    if len(report.anonymity_hits) >= MAX_HITS:
        report.warnings.append(f"only the first {MAX_HITS} anonymity findings are listed")
    if not errors and report.text_chars == 0:
        report.warnings.append(NO_TEXT_WARNING)
    try:
        copy, copy_pages, removed = reviewer_copy(pdf_bytes)
        report.reviewer_copy, report.stripped_metadata = copy, removed
        if not errors and copy_pages != report.page_count:
            report.warnings.append(
                f"the reviewer copy has {copy_pages} pages but {report.page_count} were analysed"
            )
        report.page_count = report.page_count or copy_pages
    except MemoryError:
        raise
    except Exception as exc:  # noqa: BLE001 - reported in the DeepReport, never raised
        errors.append(f"the anonymised reviewer copy could not be produced ({_describe(exc)})")
    if errors:
        report.ok, report.error = False, "; ".join(errors)
    return report


def run_deep_check(
    pdf_bytes: bytes,
    *,
    identities: list[str],
    cpu_seconds: int = 30,
    memory_mb: int = 512,
    timeout: float = 60,
) -> DeepReport:
    """Analyse ``pdf_bytes`` in a sandboxed subprocess; never raises.

    ``identities`` are author names, emails and affiliations to look for in the text.
    """
    with tempfile.TemporaryDirectory(prefix="deepcheck-") as tmp:
        copy_path = Path(tmp) / "reviewer-copy.pdf"
        header = json.dumps({"identities": identities, "reviewer_copy_path": str(copy_path)})
        limits = _limit_setter(cpu_seconds, memory_mb, max(64 << 20, 4 * len(pdf_bytes)))
        try:
            proc = subprocess.Popen(
                _worker_command(),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                preexec_fn=limits,  # only calls setrlimit (see module docstring)
                start_new_session=True,
                cwd=tmp,
                env=_worker_env(),
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return DeepReport.failure(f"the analysis worker could not be started ({exc})")
        try:
            out, err = proc.communicate(header.encode() + b"\n" + pdf_bytes, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            return DeepReport.failure(
                f"analysis timed out after {timeout:g} s (wall-clock limit) and was stopped"
            )
        problem = _exit_problem(proc.returncode, err, cpu_seconds, memory_mb)
        if problem:
            return DeepReport.failure(problem)
        try:
            report = DeepReport.from_dict(json.loads(out))
        except (ValueError, TypeError) as exc:
            return DeepReport.failure(f"the analysis worker returned invalid output ({exc})")
        if report.reviewer_copy is None and copy_path.is_file():
            report.reviewer_copy = copy_path.read_bytes()
        return report


def _worker_command() -> list[str]:
    """The subprocess command (a function so tests can substitute a misbehaving one)."""
    return [sys.executable, "-m", f"{__package__}.worker"]


def _worker_env() -> dict[str, str]:
    """Environment making this package importable whatever the Celery worker's cwd is."""
    root = str(Path(__file__).resolve().parents[len(__package__.split("."))])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def _limit_setter(cpu_seconds: int, memory_mb: int, file_bytes: int) -> Callable[[], None]:
    """Build the ``preexec_fn``; limits are computed here so the child only calls setrlimit."""
    wanted = {
        resource.RLIMIT_CPU: (max(1, int(cpu_seconds)), max(1, int(cpu_seconds)) + 2),
        resource.RLIMIT_AS: (memory_mb << 20, memory_mb << 20),
        resource.RLIMIT_FSIZE: (file_bytes, file_bytes),
        resource.RLIMIT_CORE: (0, 0),  # SIGXCPU would otherwise dump core
    }
    plan: list[tuple[int, tuple[int, int]]] = []
    for res, (soft, hard) in wanted.items():
        current_hard = resource.getrlimit(res)[1]
        if current_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, current_hard), min(hard, current_hard)
        plan.append((res, (soft, hard)))

    def apply() -> None:
        for res, limits in plan:
            resource.setrlimit(res, limits)

    return apply


def _exit_problem(code: int | None, stderr: bytes, cpu_seconds: int, memory_mb: int) -> str:
    """Explain a failed worker exit ('' if it exited normally)."""
    if code == 0:
        return ""
    tail = stderr[-4000:].decode("utf-8", "replace")
    if code == -signal.SIGXCPU:
        return f"analysis exceeded the CPU-time limit ({cpu_seconds} s) and was stopped"
    if code == -signal.SIGKILL:
        return (
            f"analysis was killed, probably for exceeding the CPU-time limit ({cpu_seconds} s) "
            f"or the memory limit ({memory_mb} MB)"
        )
    if code == -signal.SIGXFSZ:
        return "analysis exceeded the output file-size limit and was stopped"
    if code == MEMORY_EXIT_CODE or "MemoryError" in tail:
        return f"analysis exceeded the memory limit ({memory_mb} MB) and was stopped"
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the analysis worker crashed ({name})"
    last = tail.strip().splitlines()[-1] if tail.strip() else "no details"
    return f"the analysis worker failed (exit code {code}: {last[:300]})"


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.communicate(timeout=5)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

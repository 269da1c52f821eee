"""Deep checks of a submitted PDF, run in a fresh resource-limited process per file.

``run_deep_check`` is what the Celery task calls.  It never raises: the analysis runs in a
child forked from a warm, pre-imported zygote (``pool.py``: no interpreter start-up per file)
with CPU-time, address-space, file-size and core-dump limits (``_limit_setter``, applied in the
child before it reads the file, so they also bind a target substituted in tests), no network
(a seccomp filter; see ``pool.py``), plus a wall-clock timeout after which the child's whole
process group is killed.  A hostile PDF can therefore neither hang nor exhaust the Celery
worker; the report just says ``ok=False`` with an explanatory ``error``.  Every file gets a new
process, discarded afterwards: nothing carries over from one file to the next.

``python -m submissions.filechecks.worker`` still runs the analysis by hand (with
``--cpu``/``--memory-mb``).  ``analyse_pdf`` is the same analysis in-process, without limits
(used by the worker itself and handy in tests).  Findings never reject anything: they are
listed for the chairs.
"""

from __future__ import annotations

import base64
import json
import resource
import signal
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from .matching import FoldedText, find_identities, find_injections, identity_patterns
from .pool import DEFAULT_TARGET, PoolError, check_pool
from .sanitize import document_info, reviewer_copy
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
    # ``{"field", "text"}``: a document-information field (e.g. /Author) naming an author;
    # stripped from the reviewer copy like all metadata, and reported to the chairs.
    metadata_hits: list[dict[str, Any]] = field(default_factory=list)

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


def identifying_metadata(
    info: dict[str, str], patterns: list[tuple[str, Any]]
) -> list[dict[str, Any]]:
    """The document-information fields that name an author (field and value, once each)."""
    hits = []
    for name, value in info.items():
        if find_identities(FoldedText.of(value), patterns, 0, 1):
            hits.append({"field": name, "text": value[:200]})
    return hits


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
        report.metadata_hits = identifying_metadata(document_info(pdf_bytes), patterns)
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
    """Analyse ``pdf_bytes`` in a fresh sandboxed process (``pool.py``); never raises.

    ``identities`` are author names, emails and affiliations to look for in the text; they
    travel on the child's private channel, never on argv or in the environment.
    """
    header = json.dumps({"identities": identities}).encode()
    try:
        outcome = check_pool().run(
            header + b"\n" + pdf_bytes,
            cpu_seconds=cpu_seconds,
            memory_mb=memory_mb,
            file_bytes=max(64 << 20, 4 * len(pdf_bytes)),
            timeout=timeout,
            target=_check_target(),
            max_output=max(64 << 20, 8 * len(pdf_bytes)),  # the report and one copy of the PDF
        )
    except (PoolError, OSError) as exc:
        return DeepReport.failure(f"the analysis worker could not be started ({exc})")
    if outcome.timed_out:
        return DeepReport.failure(
            f"analysis timed out after {timeout:g} s (wall-clock limit) and was stopped"
        )
    if outcome.overflow:
        return DeepReport.failure("the analysis worker returned too much output and was stopped")
    problem = _exit_problem(outcome.returncode, outcome.stderr, cpu_seconds, memory_mb)
    if problem:
        return DeepReport.failure(problem)
    text, _, copy = outcome.stdout.partition(b"\n")
    try:
        report = DeepReport.from_dict(json.loads(text))
    except (ValueError, TypeError, AttributeError) as exc:
        return DeepReport.failure(f"the analysis worker returned invalid output ({exc})")
    if report.reviewer_copy is None and copy:
        report.reviewer_copy = copy
    return report


def _check_target() -> str:
    """What the sandboxed child runs (a function so tests can substitute a misbehaving one)."""
    return DEFAULT_TARGET


def _limit_setter(cpu_seconds: int, memory_mb: int, file_bytes: int) -> Callable[[], None]:
    """Build the function that applies the limits (called in the sandboxed child, before it
    reads the file; see ``pool._child``)."""
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


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__

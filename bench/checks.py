"""Files per second of the deep checks alone (``run_deep_check``, no Django, no Celery).

Run ``.venv/bin/python bench/checks.py [--files 60] [--processes 1,2] [--mechanism both]``.

Each of ``--processes`` worker processes (forked, like Celery's prefork pool) checks its share
of ``--files`` distinct ~1 MB PDFs (``bench/pdfgen.py``) one after the other, through the same
``run_deep_check`` the Celery task calls, so whatever sandbox it uses (a process per file or
the pre-imported pool) is what is measured, start-up included. One JSON line per process
count: files, seconds, files/s, CPU seconds per file (user + system of every process
involved: a figure that does not depend on what else runs on the machine), failures, the
load average before the run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.pdfgen import base_pdf, distinct_pdf  # noqa: E402
from submissions.filechecks import deep  # noqa: E402

BASE = base_pdf()


def _process_per_file(pdf: bytes) -> tuple[bool, str]:
    """The mechanism before the pool: a new interpreter per file (limits left out: they cost
    nothing), kept here so that the "before" figure can be measured again."""
    with tempfile.TemporaryDirectory(prefix="deepcheck-") as tmp:
        copy = os.path.join(tmp, "copy.pdf")
        header = json.dumps({"identities": ["Alice Smith"], "reviewer_copy_path": copy})
        done = subprocess.run(
            [sys.executable, "-m", "submissions.filechecks.worker"],
            input=header.encode() + b"\n" + pdf,
            capture_output=True,
            cwd=ROOT,
            timeout=60,
            check=False,
        )
        report = json.loads(done.stdout or b"{}")
        return bool(report.get("ok")) and os.path.exists(copy), report.get("error") or ""


def _worker(share: list[int], results, mechanism: str) -> None:
    """One worker process: check its share, then report outcomes and the CPU time used."""
    outcomes = []
    for number in share:
        pdf = distinct_pdf(BASE, number)
        if mechanism == "process-per-file":
            outcomes.append(_process_per_file(pdf))
            continue
        report = deep.run_deep_check(pdf, identities=["Alice Smith"])
        outcomes.append((report.ok, report.error or ""))
    if mechanism == "pool":
        deep.check_pool().close()  # reaps the zygote, which reaped every child
    cpu = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        cpu += usage.ru_utime + usage.ru_stime
    results.put((outcomes, cpu))


def measure(files: int, processes: int, mechanism: str) -> dict[str, object]:
    load = os.getloadavg()[0]
    context = multiprocessing.get_context("fork")  # like Celery's prefork pool
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(list(range(files))[i::processes], results, mechanism))
        for i in range(processes)
    ]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    collected = [results.get() for _ in workers]
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join()
    outcomes = [outcome for part, _ in collected for outcome in part]
    cpu = sum(cpu for _, cpu in collected)
    errors = sorted({error for ok, error in outcomes if not ok})
    return {
        "bench": "deep_checks",
        "mechanism": mechanism,
        "processes": processes,
        "files": files,
        "pdf_bytes": len(BASE),
        "seconds": round(seconds, 2),
        "files_per_s": round(files / seconds, 2),
        # CPU time (user + system) of the workers, the zygotes and every child, per file:
        # what the machine pays per check whatever else runs on it.
        "cpu_s_per_file": round(cpu / files, 3),
        "failed": sum(1 for ok, _ in outcomes if not ok),
        "errors": errors[:3],
        "load_before": round(load, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=60)
    parser.add_argument("--processes", default="1,2")
    parser.add_argument(
        "--mechanism",
        default="pool",
        choices=["pool", "process-per-file", "both"],
        help="run_deep_check (the pool), the former interpreter per file, or both",
    )
    args = parser.parse_args()
    mechanisms = ["process-per-file", "pool"] if args.mechanism == "both" else [args.mechanism]
    for mechanism in mechanisms:
        for processes in (int(p) for p in args.processes.split(",")):
            print(json.dumps(measure(args.files, processes, mechanism)), flush=True)


if __name__ == "__main__":
    main()

"""A warm fork server for the deep checks: a fresh sandboxed process per file, no start-up cost.

Starting ``python -m submissions.filechecks.worker`` per file spent 1.4 of its 1.6 s on the
interpreter and its imports.  Here a *zygote* (a separate interpreter started lazily, once per
process that checks files, e.g. per Celery prefork child) imports the analysis modules and
warms them up on a small PDF, then forks one child per file.  Each file is still analysed by a
FRESH process (nothing carries over from one file to the next; the child is discarded
afterwards, whether it behaved or not), but forking a warm parent costs milliseconds.

What a child does before it reads a byte of the file (``sandbox._child``), i.e. today's sandbox:

* ``setsid()``: its own process group, which the caller kills with SIGKILL at the wall-clock
  timeout (``CheckPool.run``) or when the caller itself is interrupted;
* ``setrlimit``: CPU time, address space, file size and core dumps (``deep._limit_setter``);
* identities and the PDF arrive on its private channel, never on argv or in the environment;
* **no network**: the zygote is started with ``close_fds`` and a scrubbed environment (no
  ``DATABASE_URL``, ``REDIS_URL``, ``EMAIL_URL``, secret key: it never imports Django), the child
  closes every descriptor but its channel and stderr, and (Linux x86-64/aarch64) installs a
  seccomp filter under ``no_new_privs`` that fails ``socket(2)`` and ``io_uring_setup(2)`` with
  EACCES, refuses ``ptrace``/``process_vm_*``/``pidfd_send_signal`` and signals to any process
  but itself (other ABIs are killed): it can neither open a TCP/Unix connection to the
  database, the broker or anything else, nor touch or signal the zygote or the Celery
  worker. If the filter cannot be installed the child exits with ``SANDBOX_EXIT_CODE`` (fail
  closed); on other platforms there is no filter, only the rest.

The zygote never parses an uploaded file.  It is replaced after ``max_files`` forks, restarted
when it died, and exits when its caller goes away (end of file on its control socket).  A pool
belongs to the process that created it: ``check_pool()`` makes a new one in a forked child
(Celery's prefork pool forks after import), so no control socket is ever shared.  Calls on one
pool are serialised by a lock; concurrency comes from several worker processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sandbox import DEFAULT_TARGET, SANDBOX_EXIT_CODE, kill_group

__all__ = ["SANDBOX_EXIT_CODE", "CheckPool", "Outcome", "check_pool"]

STDERR_KEEP = 64 << 10
START_TIMEOUT = 60.0
ZYGOTE_CODE = (  # the zygote's whole program; argv[1] is its control socket
    "import sys; from submissions.filechecks import sandbox; sandbox.serve(int(sys.argv[1]))"
)
# Only what the interpreter needs: nothing that names or reaches a service.
KEPT_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "VIRTUAL_ENV", "PYTHONHASHSEED")


@dataclass
class Outcome:
    """What became of one child: its exit status (as ``Popen.returncode``) and its output."""

    returncode: int | None
    stdout: bytes
    stderr: bytes
    timed_out: bool = False
    overflow: bool = False  # more output than ``max_output``: stopped like a timeout


class PoolError(RuntimeError):
    """The zygote could not be started or stopped answering."""


class CheckPool:
    """Runs ``target(stdin, stdout)`` in a fresh sandboxed child of a warm zygote per call."""

    def __init__(self, *, max_files: int = 1000) -> None:
        self.max_files = max_files
        self.owner = os.getpid()
        self.forks = 0
        self.zygote_starts = 0
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._ctrl: socket.socket | None = None
        # A plain path, not a TemporaryDirectory: its finalizer would remove the directory
        # from under the parent when a forked child drops its inherited pool.
        self._workdir: str | None = None

    # --- the zygote ---------------------------------------------------------------------

    @property
    def zygote_pid(self) -> int | None:
        return self._proc.pid if self._proc and self._proc.poll() is None else None

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._workdir = tempfile.mkdtemp(prefix="deepcheck-")
        env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
        env["PYTHONPATH"] = os.pathsep.join(_import_roots())
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", ZYGOTE_CODE, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                cwd=self._workdir,
                env=env,
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._ctrl = ours
        self.zygote_starts += 1
        self.forks = 0
        ready = self._receive(START_TIMEOUT)
        if not ready.get("ready"):
            self.close()
            raise PoolError(f"the check zygote did not start ({ready.get('error', 'no reply')})")

    def close(self) -> None:
        """Stop the zygote (it kills any child still running) and forget it."""
        ctrl, proc, workdir = self._ctrl, self._proc, self._workdir
        self._ctrl = self._proc = self._workdir = None
        if ctrl is not None:
            ctrl.close()
        if proc is not None and self.owner == os.getpid():
            try:
                proc.wait(timeout=5)  # end of file on its control socket makes it exit
            except subprocess.TimeoutExpired:
                kill_group(proc.pid)
                proc.wait()
        if workdir is not None and self.owner == os.getpid():
            shutil.rmtree(workdir, ignore_errors=True)

    def _forget_inherited(self) -> None:
        """In a forked child: drop our copy of the parent's control socket, leave its zygote."""
        if self._ctrl is not None:
            self._ctrl.close()
        self._ctrl = self._proc = self._workdir = None

    def _receive(self, timeout: float) -> dict[str, Any]:
        assert self._ctrl is not None
        self._ctrl.settimeout(max(0.01, timeout))
        try:
            data = self._ctrl.recv(4096)
        except TimeoutError as exc:
            raise PoolError("the check zygote did not answer") from exc
        except OSError as exc:
            raise PoolError(f"the check zygote is gone ({exc})") from exc
        if not data:
            raise PoolError("the check zygote is gone")
        return json.loads(data)

    # --- one file -----------------------------------------------------------------------

    def run(
        self,
        payload: bytes,
        *,
        cpu_seconds: int,
        memory_mb: int,
        file_bytes: int,
        timeout: float,
        target: str = DEFAULT_TARGET,
        max_output: int = 256 << 20,
    ) -> Outcome:
        """Fork a sandboxed child, give it ``payload`` on stdin, collect its stdout and exit.

        Raises ``PoolError`` only when no child could be forked (twice, with a fresh zygote
        the second time); whatever the child does becomes the ``Outcome``.
        """
        with self._lock:
            job = {"target": target, "cpu": cpu_seconds, "memory_mb": memory_mb}
            job["file_bytes"] = file_bytes
            for attempt in (1, 2):
                if self._ctrl is None or self.forks >= self.max_files:
                    self.close()
                    self._start()
                try:
                    return self._run_one(job, payload, timeout, max_output)
                except PoolError:
                    self.close()
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")

    def _run_one(
        self, job: dict[str, Any], payload: bytes, timeout: float, max_output: int
    ) -> Outcome:
        assert self._ctrl is not None and self._workdir is not None
        deadline = time.monotonic() + timeout
        scratch = tempfile.TemporaryDirectory(prefix="deepcheck-", dir=self._workdir)
        job = {**job, "cwd": scratch.name}  # removed with whatever the child wrote there
        channel, child_channel = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        err_r, err_w = os.pipe()
        try:
            try:
                socket.send_fds(
                    self._ctrl, [json.dumps(job).encode()], [child_channel.fileno(), err_w]
                )
            except OSError as exc:
                raise PoolError(f"the check zygote is gone ({exc})") from exc
            finally:
                child_channel.close()
                os.close(err_w)
            started = self._receive(START_TIMEOUT)
            while "exited" in started:  # a late report on an earlier child
                started = self._receive(START_TIMEOUT)
            if "pid" not in started:
                raise PoolError(f"the check zygote could not fork ({started.get('error')})")
            self.forks += 1
            pid = started["pid"]
            try:
                out, err, ending = _exchange(channel, err_r, payload, deadline, max_output)
                timed_out = ending == "timeout"
                if ending == "done":
                    exited = self._wait_exit(pid, deadline)
                    if exited is not None:
                        return Outcome(exited, out, err)
                    timed_out = True
            except BaseException:
                kill_group(pid)  # e.g. Celery's soft time limit interrupting us
                with contextlib.suppress(PoolError):
                    self._wait_exit(pid, time.monotonic() + 5)
                raise
            kill_group(pid)
            code = self._wait_exit(pid, time.monotonic() + 10)
            return Outcome(code, out, err, timed_out=timed_out, overflow=ending == "overflow")
        finally:
            channel.close()
            os.close(err_r)
            scratch.cleanup()

    def _wait_exit(self, pid: int, deadline: float) -> int | None:
        """The child's return code as reported by the zygote, or None at the deadline."""
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                message = self._receive(left)
            except PoolError as exc:
                if "did not answer" in str(exc):
                    return None
                raise
            if message.get("exited") == pid:
                return int(message["returncode"])


def _exchange(
    channel: socket.socket, err_r: int, payload: bytes, deadline: float, max_output: int
) -> tuple[bytes, bytes, str]:
    """Write ``payload`` to the child while reading its output and stderr, until both end.

    Returns the output, the stderr tail and how it ended: done, timeout or overflow.
    """
    channel.setblocking(False)
    os.set_blocking(err_r, False)
    out, err = bytearray(), bytearray()
    view = memoryview(payload)
    with selectors.DefaultSelector() as sel:
        sel.register(channel, selectors.EVENT_READ | selectors.EVENT_WRITE, "channel")
        sel.register(err_r, selectors.EVENT_READ, "stderr")
        open_streams = {"channel", "stderr"}
        writing = True
        while open_streams:
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(out), bytes(err), "timeout"
            for key, events in sel.select(left):
                if key.data == "stderr":
                    chunk = os.read(err_r, 65536)
                    if not chunk:
                        sel.unregister(err_r)
                        open_streams.discard("stderr")
                    err += chunk
                    del err[:-STDERR_KEEP]
                    continue
                if writing and events & selectors.EVENT_WRITE:
                    try:
                        view = view[channel.send(view[:262144]) :]
                    except (BrokenPipeError, ConnectionResetError):
                        view = view[:0]
                    if not view:
                        writing = False
                        with contextlib.suppress(OSError):
                            channel.shutdown(socket.SHUT_WR)
                        sel.modify(channel, selectors.EVENT_READ, "channel")
                if events & selectors.EVENT_READ:
                    try:
                        chunk = channel.recv(262144)
                    except (BlockingIOError, InterruptedError):
                        continue
                    except ConnectionResetError:
                        chunk = b""
                    if not chunk:
                        sel.unregister(channel)
                        open_streams.discard("channel")
                        continue
                    out += chunk
                    if len(out) > max_output:
                        return bytes(out[:max_output]), bytes(err), "overflow"
    return bytes(out), bytes(err), "done"


def _import_roots() -> list[str]:
    """This project's root first, then the caller's own path (e.g. tests substituting targets)."""
    root = str(Path(__file__).resolve().parents[2])
    rest = [p for p in sys.path if p and p != root and os.path.isdir(p)]
    return [root, *rest]


_POOL: CheckPool | None = None
_POOL_LOCK = threading.Lock()


def check_pool() -> CheckPool:
    """This process's pool (a new one in a forked child: the parent's zygote is not ours)."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None and _POOL.owner != os.getpid():
            _POOL._forget_inherited()
            _POOL = None
        if _POOL is None:
            _POOL = CheckPool()
        return _POOL

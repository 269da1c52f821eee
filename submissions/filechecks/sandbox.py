"""The sandbox side of the deep-check pool: the zygote's loop and what a child does.

``serve`` runs in the zygote, a separate interpreter started by ``pool.CheckPool`` with a
scrubbed environment and no inherited descriptors but its control socket.  It imports the
analysis, warms it up on a small PDF, freezes its heap (``gc.freeze``: children share its
pages) and then, per request, forks a child (``_child``) that puts itself in the sandbox before
it reads a byte of the file: its own session and process group, ``chdir`` to a scratch
directory the caller removes afterwards, every descriptor closed but its channel and stderr,
the seccomp filter (``_install_filter``; see ``pool.py`` for what it refuses), then the
resource limits (``deep._limit_setter``).  The zygote reports each child's pid and, once it has
reaped it, its exit status; it never parses an uploaded file itself.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import platform
import selectors
import signal
import socket
import struct
import sys
from dataclasses import dataclass
from typing import Any

DEFAULT_TARGET = "submissions.filechecks.worker:check_stream"
SANDBOX_EXIT_CODE = 4


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (a child in the sandbox is its own group)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def serve(ctrl_fd: int) -> None:
    """The zygote's loop: fork a sandboxed child per request, report pids and exit codes."""
    ctrl = socket.socket(fileno=ctrl_fd)
    try:
        targets: dict[str, Any] = {}
        _warm_up(targets)
    except Exception as exc:  # noqa: BLE001 - told to the caller, which reports it
        ctrl.send(json.dumps({"error": repr(exc)[:500]}).encode())
        return
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    gc.collect()
    gc.freeze()  # children share the warm heap without touching (copying) its pages
    ctrl.send(json.dumps({"ready": True}).encode())
    children: set[int] = set()
    with selectors.DefaultSelector() as sel:
        sel.register(ctrl, selectors.EVENT_READ, "ctrl")
        sel.register(wake_r, selectors.EVENT_READ, "wake")
        try:
            while True:
                for key, _ in sel.select():
                    if key.data == "wake":
                        os.read(wake_r, 4096)
                    else:
                        message, fds, _flags, _addr = socket.recv_fds(ctrl, 4096, 4)
                        if not message:
                            return
                        pid = _fork(json.loads(message), fds, targets)
                        for fd in fds:
                            os.close(fd)
                        if pid:
                            children.add(pid)
                            ctrl.send(json.dumps({"pid": pid}).encode())
                        else:
                            ctrl.send(json.dumps({"error": "fork failed"}).encode())
                    _reap(children, ctrl)
        finally:
            for pid in children:
                kill_group(pid)


def _reap(children: set[int], ctrl: socket.socket) -> None:
    for pid in list(children):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            ctrl.send(json.dumps({"exited": pid, "returncode": code}).encode())


def _fork(job: dict[str, Any], fds: list[int], targets: dict[str, Any]) -> int:
    if len(fds) != 2:
        return 0
    try:
        target = _resolve(job["target"], targets)
        pid = os.fork()
    except Exception:  # noqa: BLE001 - the caller is told "fork failed"
        return 0
    if pid == 0:
        _child(job, target, channel_fd=fds[0], err_fd=fds[1])
    return pid


def _resolve(name: str, targets: dict[str, Any]) -> Any:
    if name not in targets:
        import importlib

        module, _, attr = name.partition(":")
        targets[name] = getattr(importlib.import_module(module), attr)
    return targets[name]


def _child(job: dict[str, Any], target: Any, *, channel_fd: int, err_fd: int) -> None:
    """In the forked child: sandbox first, then run the target on the channel. Never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_DFL)
        os.setsid()
        os.chdir(job["cwd"])
        os.dup2(err_fd, 2)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        channel = os.dup(channel_fd)
        keep = {0, 1, 2, channel}
        for fd in _open_fds():
            if fd not in keep:
                with contextlib.suppress(OSError):
                    os.close(fd)
        if not _install_filter():
            os.write(2, b"the check sandbox (seccomp filter) could not be installed\n")
            os._exit(SANDBOX_EXIT_CODE)
        from .deep import _limit_setter

        _limit_setter(job["cpu"], job["memory_mb"], job["file_bytes"])()
        conn = socket.socket(fileno=channel)
        with conn.makefile("rb") as stdin, conn.makefile("wb") as stdout:
            code = _run_target(target, stdin, stdout)
            stdout.flush()
        conn.shutdown(socket.SHUT_WR)
    except MemoryError:
        code = _memory_exit_code()
    except BaseException:  # noqa: BLE001 - the exit status tells the caller
        import traceback

        with contextlib.suppress(BaseException):
            traceback.print_exc()
            sys.stderr.flush()
        code = 1
    os._exit(code)


def _run_target(target: Any, stdin: Any, stdout: Any) -> int:
    """Call the target like ``python -c`` would run it: SystemExit becomes the exit status."""
    try:
        result = target(stdin, stdout)
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        sys.stderr.write(f"{exc.code}\n")
        sys.stderr.flush()
        return 1
    return int(result or 0)


def _memory_exit_code() -> int:
    from .deep import MEMORY_EXIT_CODE

    return MEMORY_EXIT_CODE


def _open_fds() -> list[int]:
    try:
        return [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return list(range(3, 1024))


def _warm_up(targets: dict[str, Any]) -> None:
    """Import the analysis and run it once, so that lazy imports and caches are in the zygote."""
    import logging

    logging.disable(logging.CRITICAL)  # hostile PDFs trigger floods of parser warnings
    from .deep import analyse_pdf

    _resolve(DEFAULT_TARGET, targets)
    report = analyse_pdf(_warm_pdf(), identities=["Warm Up", "warm@example.org"])
    if not report.ok:
        raise RuntimeError(f"the warm-up analysis failed: {report.error}")


def _warm_pdf() -> bytes:
    """A one-page PDF with text, written by hand (with a correct cross-reference table)."""
    content = b"BT /F1 11 Tf 72 760 Td (Warm up text by Warm Up) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return pdf_assemble(objects)


def pdf_assemble(objects: list[bytes], *, header: bytes = b"%PDF-1.4\n") -> bytes:
    """A PDF file from its numbered objects (1 is the catalog), with a correct
    cross-reference table. Also used by bench/pdfgen.py."""
    out = bytearray(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --- the seccomp filter ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Syscalls:
    audit_arch: int
    denied: tuple[int, ...]  # socket, io_uring_setup, ptrace, process_vm_*, pidfd_send_signal
    self_only: tuple[int, ...]  # kill, tkill, tgkill: only with this process as the target


_ARCHES = {
    "x86_64": _Syscalls(0xC000003E, (41, 425, 101, 310, 311, 424), (62, 200, 234)),
    "aarch64": _Syscalls(0xC00000B7, (198, 425, 117, 270, 271, 424), (129, 130, 131)),
}


def _seccomp_program(calls: _Syscalls, own_pid: int) -> list[tuple[int, int, int, int]]:
    """The BPF filter: other ABIs are killed; the denied calls fail with EACCES; signals may
    only target this very process (not the zygote, not the Celery worker); the rest runs."""
    allow, deny, kill = 0x7FFF0000, 0x00050000 | 13, 0x80000000  # deny = ERRNO(EACCES)
    arch, nr, arg0_low, arg0_high = 4, 0, 16, 20  # offsets in struct seccomp_data
    # Assembled with labels: ("ld", offset), ("jeq"/"jge", k, if true, if false),
    # ("ret", value), and a bare string is a label (None: fall through).
    source: list[Any] = [
        ("ld", arch),
        ("jeq", calls.audit_arch, None, "kill"),
        ("ld", nr),
        ("jge", 0x40000000, "deny", None),  # the x32 ABI on x86-64
        *[("jeq", number, "deny", None) for number in calls.denied],
        *[("jeq", number, "self", None) for number in calls.self_only],
        ("ret", allow),
        "self",
        ("ld", arg0_high),
        ("jeq", 0, None, "deny"),
        ("ld", arg0_low),
        ("jeq", own_pid, "allow", "deny"),
        "deny",
        ("ret", deny),
        "allow",
        ("ret", allow),
        "kill",
        ("ret", kill),
    ]
    labels, position = {}, 0
    for item in source:
        if isinstance(item, str):
            labels[item] = position
        else:
            position += 1
    program, position = [], 0
    for item in source:
        if isinstance(item, str):
            continue
        position += 1  # jumps count from the next instruction

        def offset(label: str | None, at: int = position) -> int:
            return 0 if label is None else labels[label] - at

        if item[0] == "ld":
            program.append((0x20, 0, 0, item[1]))  # BPF_LD | BPF_W | BPF_ABS
        elif item[0] == "ret":
            program.append((0x06, 0, 0, item[1]))  # BPF_RET | BPF_K
        else:
            code = 0x15 if item[0] == "jeq" else 0x35  # BPF_JMP | BPF_JEQ/BPF_JGE | BPF_K
            program.append((code, offset(item[2]), offset(item[3]), item[1]))
    return program


def _install_filter() -> bool:
    """Install the seccomp filter (see the module docstring); False if it could not be."""
    calls = _ARCHES.get(platform.machine()) if sys.platform == "linux" else None
    if calls is None:
        return True  # no filter on this platform (documented)
    program = _seccomp_program(calls, os.getpid())
    raw = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(program), ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    ulong = ctypes.c_ulong
    libc.prctl.argtypes = [ctypes.c_int, ulong, ctypes.c_void_p, ulong, ulong]
    pr_set_no_new_privs, pr_set_seccomp, seccomp_mode_filter = 38, 22, 2
    if libc.prctl(pr_set_no_new_privs, 1, None, 0, 0) != 0:
        return False
    return libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(fprog), 0, 0) == 0

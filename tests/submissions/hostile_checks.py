"""Targets substituted for the real analysis in the check pool's sandboxed child.

Each is called as ``target(stdin, stdout)`` in a process forked from the zygote (see
``submissions.filechecks.pool``) after the sandbox is in place; they play a hostile or broken
PDF, or report what the child can see. No Django here: the zygote never imports it.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import sys
import time

CALLS = 0  # a fresh process per file: never above 1 in a child


def spin(stdin, stdout) -> int:
    while True:
        pass


def sleep(stdin, stdout) -> int:
    time.sleep(60)
    return 0


def sleep_with_grandchild(stdin, stdout) -> int:
    """Fork a grandchild (same process group), tell its pid, then both hang."""
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    sys.stderr.write(f"grandchild {pid}\n")
    sys.stderr.flush()
    time.sleep(60)
    return 0


def record_and_sleep(stdin, stdout) -> int:
    """Write this process's and a grandchild's pid to the path given as input, then hang."""
    path = stdin.read().decode()
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    with open(path, "w") as handle:
        handle.write(f"{os.getpid()} {pid}")
    time.sleep(60)
    return 0


def allocate(stdin, stdout) -> int:
    data = bytearray(400 * 2**20)
    return len(data) and 0


def exit_boom(stdin, stdout) -> int:
    sys.exit("boom")


def not_json(stdin, stdout) -> int:
    stdout.write(b"not json\n")
    return 0


def crash(stdin, stdout) -> int:
    os.abort()


def flood(stdin, stdout) -> int:
    chunk = b"x" * (1 << 20)
    while True:
        stdout.write(chunk)


def write_big_file(stdin, stdout) -> int:
    with open("big.bin", "wb") as handle:
        handle.write(b"x" * (200 * 2**20))
    return 0


def inspect(stdin, stdout) -> int:
    """Report what the child sees (limits are read before the input, as a PDF would be)."""
    global CALLS
    CALLS += 1
    limits = {
        name: resource.getrlimit(getattr(resource, name))
        for name in ("RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_FSIZE", "RLIMIT_CORE")
    }
    data = stdin.read()
    with open("/proc/self/cmdline", "rb") as handle:
        cmdline = handle.read().decode("utf-8", "replace")
    fds = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
    result = {
        "pid": os.getpid(),
        "pgid": os.getpgid(0),
        "sid": os.getsid(0),
        "calls": CALLS,
        "limits": limits,
        "input": data.decode("utf-8", "replace"),
        "cmdline": cmdline,
        "environ": dict(os.environ),
        "fds": fds,
    }
    stdout.write(json.dumps(result).encode())
    return 0


def signals(stdin, stdout) -> int:
    """Try to signal the zygote (its parent) and this process itself (signal 0: a probe)."""
    outcomes = {}
    for name, pid in (("parent", os.getppid()), ("itself", os.getpid()), ("group", 0)):
        try:
            os.kill(pid, 0)
            outcomes[name] = "sent"
        except OSError as exc:
            outcomes[name] = type(exc).__name__
    stdout.write(json.dumps(outcomes).encode())
    return 0


def network(stdin, stdout) -> int:
    """Try to reach a server: every attempt's outcome is reported."""
    port = int(json.loads(stdin.read().partition(b"\n")[0])["port"])
    outcomes = {}
    attempts = {
        "tcp": lambda: socket.create_connection(("127.0.0.1", port), timeout=2),
        "udp": lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM),
        "unix": lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM),
        "tcp6": lambda: socket.socket(socket.AF_INET6, socket.SOCK_STREAM),
    }
    for name, attempt in attempts.items():
        try:
            attempt().close()
            outcomes[name] = "connected"
        except OSError as exc:
            outcomes[name] = type(exc).__name__
    stdout.write(json.dumps(outcomes).encode())
    return 0

"""Run one measurement in a fresh child process: wall time and peak memory.

The wall time runs from just before the child is started until the kernel reports its
exit (``os.wait4``, blocking, so the exit is seen at once). The peak memory is the
child's peak resident set size, ``ru_maxrss`` of the same ``wait4`` call. A watchdog
thread kills the child when it runs past a wall-clock limit or its resident memory
passes a limit (the machine must stay usable); such a run is reported as killed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024


@dataclass
class ChildRun:
    command: list[str]
    wall: float  # seconds
    peak_rss_mib: float
    returncode: int
    stdout: str
    stderr: str
    killed: str | None = None  # "wall" or "memory" when the watchdog stopped it

    def json_line(self) -> dict | None:
        """The last line of standard output that is a JSON object, parsed."""
        for line in reversed(self.stdout.splitlines()):
            line = line.strip()
            if line.startswith("{"):
                try:
                    return json.loads(line)
                except json.JSONDecodeError:
                    return None
        return None


def _resident_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def run_child(command: list[str], *, cwd: Path, wall_limit: float,
              memory_limit: float) -> ChildRun:
    """Run ``command``; ``wall_limit`` in seconds, ``memory_limit`` in bytes."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL)
        done = threading.Event()
        lock = threading.Lock()
        killed: list[str] = []

        def watchdog() -> None:
            while not done.wait(0.5):
                reason = None
                if time.perf_counter() - started > wall_limit:
                    reason = "wall"
                elif _resident_bytes(process.pid) > memory_limit:
                    reason = "memory"
                if reason:
                    with lock:
                        if not done.is_set():
                            killed.append(reason)
                            os.kill(process.pid, signal.SIGKILL)
                    return

        guard = threading.Thread(target=watchdog, daemon=True)
        guard.start()
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        with lock:
            done.set()
        guard.join()
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        return ChildRun(
            command=command, wall=wall, peak_rss_mib=usage.ru_maxrss * 1024 / MIB,
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            killed=killed[0] if killed else None,
        )


def solve_in_child(path: Path, settings: tuple[str, ...], out: Path, time_limit: float, *,
                   cwd: Path) -> ChildRun:
    """``stockpile solve PATH --out OUT --json`` with ``solver.time_limit`` and each of
    ``settings`` (``key=value``), measured by ``run_child`` (a wall limit of four time
    limits and ten minutes, 20 GiB of memory)."""
    command = [sys.executable, "-m", "optimizer", "solve", str(path), "--out", str(out),
               "--json", "--set", f"solver.time_limit={time_limit}"]
    for setting in settings:
        command += ["--set", setting]
    return run_child(command, cwd=cwd, wall_limit=4 * time_limit + 600,
                     memory_limit=20 * 1024**3)

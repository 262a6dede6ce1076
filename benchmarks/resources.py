"""Wall time, CPU time and peak memory of a block of work, worker processes included.

A background thread samples, every ``interval`` seconds, the resident memory of this process
and all its descendants (joblib or dask worker processes) and keeps the peak of the sum; CPU
time is this process's plus, for each descendant, the last CPU time seen (descendants that
live shorter than one interval are missed, so keep worker pools alive across the block).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psutil


@dataclass
class Usage:
    """Wall seconds, CPU seconds (all processes) and peak resident memory (MiB, summed)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_mib: float = 0.0


class ResourceMonitor:
    """Context manager measuring ``Usage`` of the enclosed block (see module docstring)."""

    def __init__(self, interval: float = 0.1):
        self.interval = interval
        self.usage = Usage()

    def _cpu_of(self, proc: psutil.Process) -> float:
        t = proc.cpu_times()
        return t.user + t.system

    def _sample(self) -> None:
        procs = [self._me]
        try:
            procs += self._me.children(recursive=True)
        except psutil.Error:
            pass
        rss = 0
        for p in procs:
            try:
                rss += p.memory_info().rss
                if p.pid != self._me.pid:
                    self._child_cpu[p.pid] = self._cpu_of(p) - self._child_cpu0.get(p.pid, 0.0)
            except psutil.Error:
                continue
        self.usage.peak_rss_mib = max(self.usage.peak_rss_mib, rss / 2**20)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> ResourceMonitor:
        self._me = psutil.Process()
        self._child_cpu: dict[int, float] = {}
        # Workers kept alive from an earlier block: count only their CPU from now on.
        self._child_cpu0 = {}
        for p in self._me.children(recursive=True):
            try:
                self._child_cpu0[p.pid] = self._cpu_of(p)
            except psutil.Error:
                continue
        self._cpu0 = self._cpu_of(self._me)
        self._t0 = time.perf_counter()
        self._stop = threading.Event()
        self._sample()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()
        self.usage.wall_s = time.perf_counter() - self._t0
        self.usage.cpu_s = (self._cpu_of(self._me) - self._cpu0) + sum(self._child_cpu.values())

"""The machine's load while a benchmark runs (bench/run, bench/ingest_run.py):
the 1-minute load average, and the CPU seconds spent by every process
(/proc/stat) against those of the benchmark's own, so a run can tell its own
two busy cores from other work."""
import os
import resource
import threading
import time


class Load:
    """Samples the machine's load while the benchmarks run: the load average,
    and the CPU seconds spent by everything (from /proc/stat) against those
    of this run's own processes, so the report shows what else was running."""

    def __init__(self):
        self.samples, self._stop = [], threading.Event()
        self.busy0, self.own0 = self._busy(), self._own()
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    @staticmethod
    def _busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return (sum(v[:8]) - idle) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own():
        u = resource.getrusage(resource.RUSAGE_CHILDREN)
        s = resource.getrusage(resource.RUSAGE_SELF)
        return u.ru_utime + u.ru_stime + s.ru_utime + s.ru_stime

    def _loop(self):
        while not self._stop.wait(5):
            self.samples.append(os.getloadavg()[0])

    def finish(self):
        self._stop.set()
        wall = time.monotonic() - self.t0
        busy, own = self._busy() - self.busy0, self._own() - self.own0
        mean = sum(self.samples) / len(self.samples) if self.samples else os.getloadavg()[0]
        return {"loadavg_1m_mean": round(mean, 2), "loadavg_1m_max": round(max(self.samples, default=mean), 2),
                "cpu_seconds_all": round(busy, 1), "cpu_seconds_this_run": round(own, 1),
                "cpu_seconds_others": round(max(0.0, busy - own), 1),
                "others_share_of_machine": round(max(0.0, busy - own) / (wall * os.cpu_count()), 3)}

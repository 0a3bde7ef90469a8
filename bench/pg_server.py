"""The PostgreSQL server of a benchmark (bench/ingest_postgres.py,
bench/quota_postgres.py): a throwaway local one started by
scripts/pg_test_server.sh (and stopped at the end), or the one --pg-url
names. For a server it started it also reads the CPU seconds the server's
processes used (the postmaster and its children, the ended ones included),
so a benchmark can report client and server CPU time, which load does not
inflate the way it does wall time.

    with PgServer(source_dir, work_dir, url=None) as pg:
        pg.schema_url("bench_x")   # the URL with ?schema=bench_x
        pg.cpu_seconds()           # None for a server it did not start
"""
import os
import subprocess
import uuid


class PgServer:
    def __init__(self, source, work, url=None):
        self.script = os.path.join(source, "scripts", "pg_test_server.sh")
        self.dir = None if url else os.path.join(work, "pg-server")
        self.url = url

    def __enter__(self):
        if self.dir:
            self.url = subprocess.run([self.script, "start", self.dir], check=True, capture_output=True,
                                      text=True).stdout.strip()
        return self

    def __exit__(self, *exc):
        if self.dir:
            subprocess.run([self.script, "stop", self.dir], capture_output=True)
        return False

    def schema_url(self, schema=None):
        schema = schema or "bench_" + uuid.uuid4().hex[:12]
        return f"{self.url}{'&' if '?' in self.url else '?'}schema={schema}"

    def cpu_seconds(self):
        """CPU seconds (user + system) of the server so far, or None."""
        if not self.dir:
            return None
        with open(os.path.join(self.dir, "cluster")) as f:
            cluster = f.read().strip()
        with open(os.path.join(cluster, "data", "postmaster.pid")) as f:
            postmaster = int(f.readline())
        ticks = 0
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(pid) == postmaster:
                ticks += sum(int(x) for x in fields[11:15])  # its own and its ended children's
            elif int(fields[1]) == postmaster:
                ticks += int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")

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
        pg.socket_url(url)         # the same over the Unix socket (or None)
        with pg.pooler() as pooler:  # a PgBouncer (session mode) in front of it:
            pooler.url               # None when pgbouncer is not installed
            pooler.cpu_seconds()     # PgBouncer's own CPU seconds so far
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from urllib.parse import urlsplit


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

    def socket_url(self, url):
        """`url` (one of schema_url's) over the server's Unix socket instead
        of TCP (libpq then negotiates neither TLS nor GSSAPI), or None for a
        server it did not start."""
        if not self.dir:
            return None
        with open(os.path.join(self.dir, "cluster")) as f:
            cluster = f.read().strip()
        parts = urlsplit(url)
        return f"postgresql://{parts.username}@/{parts.path.lstrip('/')}?host={cluster}&port={parts.port}&{parts.query}"

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

    def pooler(self):
        """A PgBouncer in session mode in front of the server (what README
        tells users who run many short commands), for as long as the `with`
        lasts (its url is None when pgbouncer is not installed)."""
        return Pooler(self.url)


class Pooler:
    """A throwaway PgBouncer: session pooling (meter sets session settings),
    trust login for the URL's user, on 127.0.0.1 and a free port. Run as the
    unprivileged postgres user when started by root (PgBouncer refuses root)."""

    def __init__(self, server_url):
        self.server = urlsplit(server_url)
        self.dir = None
        self.url = None

    def __enter__(self):
        binary = shutil.which("pgbouncer") or ("/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None)
        if not binary:
            return self
        self.dir = tempfile.mkdtemp(prefix="meter-pgbouncer-")
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        user, db = self.server.username, self.server.path.lstrip("/")
        with open(os.path.join(self.dir, "pgbouncer.ini"), "w") as f:
            f.write(f"[databases]\n{db} = host={self.server.hostname} port={self.server.port} dbname={db}\n"
                    f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
                    f"auth_type = trust\nauth_file = {self.dir}/users.txt\npool_mode = session\n"
                    f"server_reset_query = DISCARD ALL\ndefault_pool_size = 16\nmax_client_conn = 200\n"
                    f"logfile = {self.dir}/pgbouncer.log\npidfile = {self.dir}/pgbouncer.pid\n")
        with open(os.path.join(self.dir, "users.txt"), "w") as f:
            f.write(f'"{user}" ""\n')
        as_owner = []
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres")
            for name in os.listdir(self.dir):
                shutil.chown(os.path.join(self.dir, name), "postgres")
            as_owner = ["runuser", "-u", "postgres", "--"]
        subprocess.run(as_owner + [binary, "-d", os.path.join(self.dir, "pgbouncer.ini")], check=True)
        for _ in range(100):  # up within a few seconds
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        self.url = f"postgresql://{user}@127.0.0.1:{port}/{db}"
        return self

    def cpu_seconds(self):
        """CPU seconds (user + system) PgBouncer used so far."""
        with open(os.path.join(self.dir, "pgbouncer.pid")) as f:
            pid = int(f.read().strip())
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __exit__(self, *exc):
        if self.dir:
            try:
                with open(os.path.join(self.dir, "pgbouncer.pid")) as f:
                    os.kill(int(f.read().strip()), 15)
                time.sleep(0.2)
            except (OSError, ValueError):
                pass
            shutil.rmtree(self.dir, ignore_errors=True)
        return False

"""Test-side helpers around receiver.py (used by the webhook, crash, fault and
security tests): start one receiver process on a loopback port and read what it got, and verify Standard Webhooks signatures
independently of meter (Python's hmac and base64)."""
import base64
import hashlib
import hmac
import json
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

RECEIVER = str(Path(__file__).resolve().parent / "receiver.py")


class Receiver:
    """One receiver.py process on 127.0.0.1 (`port` 0: a free one), logging to
    `log`; requests() reads that log. Stops itself after `max_seconds`. url()
    without a path uses `path`."""

    def __init__(self, log, *args, port=0, max_seconds=120, path="/hooks"):
        self.log = Path(log)
        self.log.touch()
        self.path = path
        self.proc = subprocess.Popen(
            [sys.executable, RECEIVER, "--log", str(self.log), "--port", str(port),
             "--max-seconds", str(max_seconds), *args], stdout=subprocess.PIPE, text=True,
            # Connections of a killed client end in resets the server logs
            # as tracebacks: expected in the crash tests, noise in the output.
            stderr=subprocess.DEVNULL)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        assert ready, "receiver did not start"
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.port = int(line.split()[1])

    def url(self, path=None):
        return f"http://127.0.0.1:{self.port}{path or self.path}"

    def requests(self):
        return [json.loads(x) for x in self.log.read_text().splitlines() if x.strip()]

    def wait_for(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.requests()) >= n:
                return
            time.sleep(0.05)
        raise AssertionError(f"receiver got {len(self.requests())} requests, wanted {n}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def receivers(tmp_path):
    """A test's receivers: receivers("--mode", "fail", ...) starts one; all stop at the end."""
    started = []

    def start(*args, **kw):
        r = Receiver(tmp_path / f"receiver-{len(started) + 1}.jsonl", *args, path="/hook", **kw)
        started.append(r)
        return r

    yield start
    for r in started:
        r.stop()


def verify(secret, headers, body):
    """Standard Webhooks verification, written independently of meter."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    entries = headers["webhook-signature"].split(" ")
    return any(e.startswith("v1,") and hmac.compare_digest(e[3:], expected) for e in entries)

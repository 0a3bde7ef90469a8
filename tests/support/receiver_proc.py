"""Test-side helpers around receiver.py: start one receiver process on a free
loopback port and read what it got, and verify Standard Webhooks signatures
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

RECEIVER = str(Path(__file__).resolve().parent / "receiver.py")


class Receiver:
    """One receiver.py process; requests() reads its log."""

    def __init__(self, directory, *args, max_seconds=120):
        Receiver.count = getattr(Receiver, "count", 0) + 1
        self.log = directory / f"receiver-{Receiver.count}.jsonl"
        self.log.touch()
        self.proc = subprocess.Popen(
            [sys.executable, RECEIVER, "--log", str(self.log), "--max-seconds", str(max_seconds), *args],
            stdout=subprocess.PIPE, text=True)
        ready, _, _ = select.select([self.proc.stdout], [], [], 15)
        assert ready, "receiver did not start"
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.port = int(line.split()[1])

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def requests(self):
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.strip()]

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


def verify(secret, headers, body):
    """Standard Webhooks verification, written independently of meter."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    entries = headers["webhook-signature"].split(" ")
    return any(e.startswith("v1,") and hmac.compare_digest(e[3:], expected) for e in entries)

"""Shared fixtures for the end-to-end tests: the real `meter` binary run on a
temporary database. Tests get a `meter` fixture:

    def test_x(meter):
        meter.init(CATALOG)                      # dict or path
        r = meter("quota", "check", "--tenant", "acme", "--metric", "api_calls", json=True)
        assert r.code == 0 and r.json["allowed"]

`meter(...)` never raises on a non-zero exit; check `r.code`, `r.out`, `r.err`.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE_DIR = Path(os.environ.get("METER_SOURCE_DIR", Path(__file__).resolve().parents[2]))
METER_BIN = os.environ.get("METER_BIN", str(SOURCE_DIR / "build" / "meter"))
SAMPLE_DIR = SOURCE_DIR / "sample-data"
SUPPORT_DIR = SOURCE_DIR / "tests" / "support"
sys.path.insert(0, str(SUPPORT_DIR))


class Run:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def json(self):
        return json.loads(self.out)

    @property
    def ndjson(self):
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    def __repr__(self):
        return f"Run(code={self.code}, out={self.out[:2000]!r}, err={self.err[:2000]!r})"


class Meter:
    """Runs the real binary against one temporary database."""

    def __init__(self, tmp_path):
        self.dir = tmp_path
        self.db = str(tmp_path / "meter.db")
        self.now = None  # default --now for every call, e.g. "2026-02-28T12:00:00Z"

    def env(self, extra=None):
        env = dict(os.environ)
        env.pop("METER_NOW", None)
        env["METER_DB"] = self.db
        env["NO_COLOR"] = "1"
        if extra:
            env.update(extra)
        return env

    def __call__(self, *args, json=False, now=None, stdin=None, env=None, timeout=300, check=False):
        argv = [METER_BIN]
        if json:
            argv.append("--json")
        when = now or self.now
        if when:
            argv += ["--now", when]
        argv += [str(a) for a in args]
        proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=self.env(env),
                              timeout=timeout, cwd=self.dir)
        r = Run(proc)
        if check:
            assert r.code == 0, r
        return r

    def popen(self, *args, now=None, env=None, **kw):
        argv = [METER_BIN]
        when = now or self.now
        if when:
            argv += ["--now", when]
        argv += [str(a) for a in args]
        return subprocess.Popen(argv, env=self.env(env), cwd=self.dir, **kw)

    def write(self, name, content):
        """Writes a file in the test's directory: a str as is, a dict as JSON,
        a list of dicts/strings as NDJSON lines. Returns its path."""
        path = self.dir / name
        if isinstance(content, dict):
            path.write_text(json.dumps(content))
        elif isinstance(content, list):
            lines = [c if isinstance(c, str) else json.dumps(c) for c in content]
            path.write_text("\n".join(lines) + ("\n" if lines else ""))
        else:
            path.write_text(content)
        return path

    def init(self, catalog):
        path = catalog if isinstance(catalog, (str, Path)) else self.write("catalog.json", catalog)
        return self("init", "--catalog", path, check=True)

    def ingest(self, events, name="events.ndjson", *extra):
        path = self.write(name, events)
        return self("ingest", path, *extra)


@pytest.fixture
def meter(tmp_path):
    return Meter(tmp_path)


@pytest.fixture
def sample_catalog():
    return json.loads((SAMPLE_DIR / "catalog.json").read_text())

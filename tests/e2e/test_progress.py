"""Progress on long work, quiet under cron (issue 17, item 5; SPEC section 1):
ingest, aggregate and invoice generate draw a bar with the rate and the time
left on stderr when it is a terminal (here a real pseudo-terminal from
Python's pty), and nothing but the one-line summary without one; --quiet
leaves stderr empty."""
import errno
import os
import pty
import re
import select
import subprocess
import sys

import pytest

from conftest import METER_BIN, SUPPORT_DIR

TENANTS = 2000
EVENTS = 200000


def catalog():
    return {
        "currency": "USD",
        "meters": [{"key": "api_calls", "name": "API calls", "unit": "calls"}],
        "plans": [{"key": "pro", "base_price": "10.00",
                   "charges": [{"meter": "api_calls", "model": "per_unit", "unit_price": "0.001"}]}],
        "tenants": [{"id": f"t{i:04}", "plan": "pro"} for i in range(TENANTS)],
    }


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    path = tmp_path_factory.mktemp("progress") / "events.ndjson"
    with open(path, "w") as f:
        for i in range(EVENTS):
            f.write('{"id":"e%d","tenant":"t%04d","metric":"api_calls","quantity":1,'
                    '"timestamp":"2026-02-%02dT10:00:00Z"}\n' % (i, i % TENANTS, 1 + i % 28))
    return path


def run(meter, *args, tty):
    """Runs meter with stderr on a pseudo-terminal (tty=True) or a pipe;
    returns (exit code, stderr as bytes)."""
    argv = [METER_BIN, "--now", "2026-03-02T00:00:00Z", *map(str, args)]
    if not tty:
        p = subprocess.run(argv, capture_output=True, env=meter.env(), cwd=meter.dir, timeout=600)
        return p.returncode, p.stderr
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=slave, stdin=subprocess.DEVNULL,
                         env=meter.env(), cwd=meter.dir)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError as e:  # EIO: the other side is closed
            if e.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    return p.wait(timeout=600), out


BAR = re.compile(rb"\r(?P<label>[a-z0-9 -]+) \[[#-]{20}\] +\d+%  [0-9,.]+/[0-9,.]+ [A-Za-z]+  [0-9,.]+ [A-Za-z/]+  ETA \d+:\d\d")


@pytest.fixture
def loaded(meter, events):
    meter.init(catalog())
    return meter


def test_ingest_aggregate_generate_draw_a_bar_on_a_terminal(loaded, events):
    code, err = run(loaded, "ingest", events, tty=True)
    assert code == 0, err
    labels = {m.group("label") for m in BAR.finditer(err)}
    assert labels == {b"ingest"}, err[:2000]
    assert b" MB" in err and b"MB/s" in err
    # The bar is wiped (carriage return, erase line) before the summary line.
    assert err.count(b"\n") == 1
    assert err.rstrip(b"\r\n").split(b"\r")[-1].startswith(b"\x1b[Kingest: read 200,000")

    code, err = run(loaded, "aggregate", tty=True)
    assert code == 0, err
    assert {m.group("label") for m in BAR.finditer(err)} == {b"aggregate"}, err[:2000]
    assert b" events  " in err and b"events/s" in err

    code, err = run(loaded, "invoice", "generate", "--period", "2026-02", tty=True)
    assert code == 0, err
    assert {m.group("label") for m in BAR.finditer(err)} == {b"invoices 2026-02"}, err[:2000]
    assert b"/2,000 tenants" in err


def test_no_terminal_gets_only_the_summary(loaded, events):
    code, err = run(loaded, "ingest", events, tty=False)
    assert code == 0
    assert err.decode().count("\n") == 1 and err.startswith(b"ingest: read 200,000"), err[:2000]
    code, err = run(loaded, "aggregate", tty=False)
    assert code == 0 and err.count(b"\n") == 1 and err.startswith(b"aggregated "), err[:2000]
    assert b"\r" not in err and b"\x1b" not in err


def test_quiet_terminal_gets_nothing(loaded, events):
    for args in (["ingest", events], ["aggregate"], ["invoice", "generate", "--period", "2026-02"]):
        code, err = run(loaded, "--quiet", *args, tty=True)
        assert code == 0 and err == b"", (args, err[:2000])


def test_webhooks_replay_drain_draws_a_bar_on_a_terminal(loaded, events):
    """invoice generate queues one invoice.created per tenant; replay --drain
    delivers them to a loopback receiver, counting deliveries out of those
    pending at the start."""
    receiver = subprocess.Popen([sys.executable, str(SUPPORT_DIR / "receiver.py"), "--max-seconds", "300"],
                                stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([receiver.stdout], [], [], 30)
        assert ready, "receiver did not start"
        port = int(receiver.stdout.readline().split()[1])
        url = f"http://127.0.0.1:{port}/hook"
        assert loaded("webhooks", "add", "--url", url, "--events", "invoice.*").code == 0
        assert loaded("invoice", "generate", "--period", "2026-02", now="2026-03-02T00:00:00Z").code == 0
        code, err = run(loaded, "webhooks", "replay", "--drain", "--max-wait", "120", tty=True)
        assert code == 0, err[-2000:]
        assert {m.group("label") for m in BAR.finditer(err)} == {b"webhooks replay --drain"}, err[:2000]
        assert b"/2,000 deliveries" in err
        assert err.rstrip(b"\r\n").split(b"\r")[-1].startswith(b"\x1b[Kwebhooks replay: 2000 deliveries attempted")
    finally:
        receiver.terminate()
        receiver.wait(timeout=30)


def test_db_copy_draws_a_bar_per_table_on_a_terminal_and_only_the_summary_without(meter):
    """db copy (SPEC 12) counts each table's rows out of its total: a bar per
    table on a terminal, wiped before the one summary line; without a terminal
    the summary alone, and with --quiet nothing at all. 30,000 events: the
    events table takes longer than the bar's first 100 ms to copy."""
    meter.init(dict(catalog(), tenants=[{"id": f"t{i:04}", "plan": "pro"} for i in range(100)]))
    rows = 30000
    events = meter.dir / "events.ndjson"
    events.write_text("".join('{"id":"e%d","tenant":"t%04d","metric":"api_calls","quantity":1,'
                              '"timestamp":"2026-02-%02dT10:00:00Z"}\n' % (i, i % 100, 1 + i % 28)
                              for i in range(rows)))
    assert run(meter, "--quiet", "ingest", events, tty=False) == (0, b"")
    code, err = run(meter, "db", "copy", "--from", meter.db, "--to", meter.dir / "tty.db", tty=True)
    assert code == 0, err[-2000:]
    assert b"copy events" in {m.group("label") for m in BAR.finditer(err)}, err[:2000]
    assert b"/30,000 rows" in err and b"rows/s" in err
    assert err.count(b"\n") == 1
    assert err.rstrip(b"\r\n").split(b"\r")[-1].startswith(b"\x1b[Kcopied ")

    code, err = run(meter, "db", "copy", "--from", meter.db, "--to", meter.dir / "pipe.db", tty=False)
    assert code == 0, err[-2000:]
    assert err.count(b"\n") == 1 and err.startswith(b"copied ") and b"\r" not in err and b"\x1b" not in err, err

    code, err = run(meter, "--quiet", "db", "copy", "--from", meter.db, "--to", meter.dir / "quiet.db", tty=True)
    assert (code, err) == (0, b"")

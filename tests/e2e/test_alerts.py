"""alerts scan / list (SPEC section 5) with the real binary: each threshold
is recorded once per tenant, meter and period however often scan runs, and
each alert is queued as a usage.threshold_reached webhook message that
`webhooks replay` delivers to a loopback receiver."""
import json
import subprocess
import sys

import pytest

from conftest import SUPPORT_DIR

DAY1 = "2026-02-04T12:00:00Z"
DAY2 = "2026-02-05T12:00:00Z"


def catalog(hook_url):
    return {
        "meters": [{"key": "api_calls"}, {"key": "tokens", "event": "llm", "value": "properties.tokens"}],
        "plans": [
            {"key": "pro", "name": "Pro", "base_price": "0",
             "limits": [{"meter": "api_calls", "limit": 100, "period": "day", "enforcement": "hard"},
                        {"meter": "tokens", "limit": None}]},
            {"key": "custom", "name": "Custom", "base_price": "0", "alert_thresholds": [50, 100],
             "limits": [{"meter": "tokens", "limit": 1000, "period": "month", "enforcement": "soft"}]},
        ],
        "tenants": [{"id": "acme", "name": "Acme", "plan": "pro"},
                    {"id": "globex", "name": "Globex", "plan": "pro"},
                    {"id": "initech", "name": "Initech", "plan": "custom"}],
        "webhooks": [{"url": hook_url, "events": ["usage.*"],
                      "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}],
    }


class Receiver:
    """tests/support/receiver.py answering 200 and logging every request."""

    def __init__(self, directory):
        self.log = directory / "receiver.jsonl"
        self.log.touch()
        self.proc = subprocess.Popen([sys.executable, str(SUPPORT_DIR / "receiver.py"), "--log", str(self.log),
                                      "--max-seconds", "120"], stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("PORT "), line
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/hooks"

    def bodies(self):
        return [json.loads(json.loads(line)["body"]) for line in self.log.read_text().splitlines() if line.strip()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def rec(tmp_path):
    r = Receiver(tmp_path)
    yield r
    r.stop()


@pytest.fixture
def m(meter, rec):
    meter.init(catalog(rec.url))
    return meter


_n = 0


def use(m, tenant, quantity, ts="2026-02-04T10:00:00Z", metric="api_calls", **extra):
    global _n
    _n += 1
    ev = {"id": f"a{_n}", "tenant": tenant, "metric": metric, "quantity": quantity, "timestamp": ts, **extra}
    r = m("ingest", m.write(f"a{_n}.ndjson", [ev]), now="2026-03-01T00:00:00Z")
    assert r.code == 0, r


def scan(m, now=DAY1):
    r = m("alerts", "scan", json=True, now=now)
    assert r.code == 0, r
    return [(a["tenant"], a["meter"], a["threshold"]) for a in r.json["created"]]


def test_each_threshold_is_recorded_once_per_period(m, rec):
    use(m, "acme", 50)
    assert scan(m) == []
    use(m, "acme", 35)  # 85 of 100
    assert [scan(m) for _ in range(5)] == [[("acme", "api_calls", 80)], [], [], [], []]
    use(m, "acme", 15)  # exactly 100 reaches the 100 % threshold
    assert scan(m) == [("acme", "api_calls", 100)]
    use(m, "acme", 25)  # 125
    assert [scan(m) for _ in range(5)] == [[("acme", "api_calls", 120)], [], [], [], []]
    # the next day is a new period
    use(m, "acme", 90, ts="2026-02-05T09:00:00Z")
    assert scan(m, DAY2) == [("acme", "api_calls", 80)]
    assert scan(m, DAY2) == []

    listed = m("alerts", "list", "--tenant", "acme", json=True)
    assert listed.code == 0
    alerts = listed.json["alerts"]
    assert sorted((a["threshold"], a["period_start"]) for a in alerts) == [
        (80, "2026-02-04T00:00:00Z"), (80, "2026-02-05T00:00:00Z"),
        (100, "2026-02-04T00:00:00Z"), (120, "2026-02-04T00:00:00Z")]
    first = [a for a in alerts if a["threshold"] == 120][0]
    assert first["used"] == 125 and first["limit"] == 100 and first["period_end"] == "2026-02-05T00:00:00Z"
    assert first["message_id"].startswith("msg_")
    assert m("alerts", "list", "--tenant", "globex", json=True).json["alerts"] == []
    assert "api_calls" in m("alerts", "list").out

    # every alert was queued once as a webhook message; replay delivers them
    r = m("webhooks", "replay", json=True, now=DAY2)
    assert r.code == 0, r
    bodies = rec.bodies()
    assert len(bodies) == 4 and {b["type"] for b in bodies} == {"usage.threshold_reached"}
    data = sorted((b["data"]["threshold"], b["data"]["period_start"], b["data"]["used"]) for b in bodies)
    assert data == [(80, "2026-02-04T00:00:00Z", 85), (80, "2026-02-05T00:00:00Z", 90),
                    (100, "2026-02-04T00:00:00Z", 100), (120, "2026-02-04T00:00:00Z", 125)]
    one = [b["data"] for b in bodies if b["data"]["threshold"] == 100][0]
    assert one == {"tenant": "acme", "meter": "api_calls", "threshold": 100, "used": 100, "limit": 100,
                   "period_start": "2026-02-04T00:00:00Z", "period_end": "2026-02-05T00:00:00Z"}


def test_a_jump_crosses_several_thresholds_at_once_and_plan_thresholds_apply(m):
    use(m, "globex", 130)
    assert sorted(scan(m)) == [("globex", "api_calls", 80), ("globex", "api_calls", 100),
                               ("globex", "api_calls", 120)]
    # the custom plan alerts at 50 % and 100 % of a monthly soft limit
    use(m, "initech", 1, metric="llm", properties={"tokens": 600})
    assert scan(m) == [("initech", "tokens", 50)]
    use(m, "initech", 1, ts="2026-02-20T10:00:00Z", metric="llm", properties={"tokens": 400})
    assert scan(m, "2026-02-21T00:00:00Z") == [("initech", "tokens", 100)]
    # unlimited meters never alert
    use(m, "acme", 1, metric="llm", properties={"tokens": 10**9})
    assert scan(m) == []


def test_scan_text_output(m):
    use(m, "acme", 85)
    r = m("alerts", "scan", now=DAY1)
    assert r.code == 0 and "acme" in r.out and "80%" in r.out and "1 new alert" in r.err
    r = m("alerts", "scan", now=DAY1)
    assert r.code == 0 and "0 new alerts" in r.err
    assert m("alerts", "list", "--tenant", "nobody").code == 2

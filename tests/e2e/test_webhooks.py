"""End-to-end: webhook endpoints, the queue and `meter webhooks replay` against
real loopback receivers (tests/support/receiver.py, one process per receiver,
started here on a free port of 127.0.0.1; each stops itself after
--max-seconds). Signatures are checked with Python's hmac and base64, an
implementation independent of meter's."""
import base64
import json
import os
import re
import signal
import subprocess
import time

import pytest

from receiver_proc import receivers, verify  # noqa: F401  (receivers is a fixture)

NOW = "2026-03-01T12:00:00Z"
NOW_UNIX = 1772366400

CATALOG = {
    "currency": "USD",
    "meters": [{"key": "api_calls"}],
    "plans": [{"key": "pro", "base_price": "10.00",
               "charges": [{"meter": "api_calls", "model": "per_unit", "included": 10, "unit_price": "0.01"}]}],
    "tenants": [{"id": "acme", "plan": "pro"}, {"id": "globex", "plan": "pro"}],
}

SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(bytes(range(100, 132))).decode()
ROTATED_SECRET = "whsec_" + base64.b64encode(bytes(range(50, 82))).decode()


@pytest.fixture
def wh(meter):
    meter.now = NOW
    meter.init(CATALOG)
    return meter


def add(meter, url, *extra, secret=SECRET):
    args = ["webhooks", "add", "--url", url, *extra]
    if secret:
        args += ["--secret", secret]
    r = meter(*args, json=True)
    assert r.code == 0, r
    return r.json["id"]


def send_test(meter, endpoint, count=1, now=None):
    r = meter("webhooks", "send-test", "--endpoint", endpoint, "--count", count, json=True, now=now)
    assert r.code == 0, r
    return r.json["messages"]


def deliveries(meter, *args):
    r = meter("webhooks", "deliveries", *args, json=True)
    assert r.code == 0, r
    return r.json["deliveries"]


def replay(meter, *args, code=None, now=None):
    r = meter("webhooks", "replay", *args, json=True, timeout=120, now=now)
    if code is not None:
        assert r.code == code, r
    return r


def arrival_gaps(requests):
    times = [q["t"] for q in requests]
    return [b - a for a, b in zip(times, times[1:])]


# ---- endpoints ----

@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/hook", "gopher://x/", "not a url",
                                 "http://", "/relative/hook", "javascript:alert(1)"])
def test_add_refuses_anything_but_http_and_https(wh, url):
    r = wh("webhooks", "add", "--url", url)
    assert r.code == 2, r
    assert r.err.startswith("meter: ") and len(r.err.strip().splitlines()) == 1
    assert wh("webhooks", "list", json=True).json["endpoints"] == []


def test_add_refuses_bad_events_secret_and_unknown_tenant(wh):
    assert wh("webhooks", "add", "--url", "http://127.0.0.1:9/h", "--events", "invoice*").code == 2
    assert wh("webhooks", "add", "--url", "http://127.0.0.1:9/h", "--secret", "whsec_@@@").code == 2
    r = wh("webhooks", "add", "--url", "http://127.0.0.1:9/h", "--tenant", "nobody")
    assert r.code == 2 and "nobody" in r.err, r
    assert wh("webhooks", "list", json=True).json["endpoints"] == []


def test_generated_secret_is_printed_by_add_only(wh, receivers):
    rec = receivers("--mode", "ok")
    r = wh("webhooks", "add", "--url", rec.url(), "--events", "webhook.*,invoice.paid")
    assert r.code == 0, r
    secret = re.search(r"whsec_[A-Za-z0-9+/=]+", r.out).group(0)
    assert len(base64.b64decode(secret[6:])) >= 24
    other = wh("webhooks", "add", "--url", rec.url("/other"), json=True).json["secret"]
    assert other.startswith("whsec_") and other != secret
    listed = wh("webhooks", "list")
    as_json = wh("webhooks", "list", json=True)
    assert secret not in listed.out + listed.err and secret not in as_json.out
    assert "secret" not in as_json.json["endpoints"][0]
    assert as_json.json["endpoints"][0]["events"] == ["webhook.*", "invoice.paid"]
    shown = wh("webhooks", "list", "--show-secrets", json=True).json["endpoints"]
    assert [e["secret"] for e in shown] == [secret, other]
    assert secret in wh("webhooks", "list", "--show-secrets").out
    send_test(wh, 1)
    replay(wh, code=0)
    d = wh("webhooks", "deliveries", json=True)
    assert secret not in d.out and secret not in wh("webhooks", "deliveries").out
    assert secret not in wh("catalog", "show", json=True).out


def test_remove_disable_enable(wh):
    e = add(wh, "http://127.0.0.1:9/h")
    assert wh("webhooks", "disable", e, "--reason", "maintenance").code == 0
    ep = wh("webhooks", "list", json=True).json["endpoints"][0]
    assert ep["enabled"] is False and ep["disabled_reason"] == "maintenance"
    assert "maintenance" in wh("webhooks", "list").out
    assert wh("webhooks", "enable", e).code == 0
    assert wh("webhooks", "list", json=True).json["endpoints"][0]["enabled"] is True
    send_test(wh, e)
    assert wh("webhooks", "remove", e).code == 0
    assert wh("webhooks", "list", json=True).json["endpoints"] == []
    assert deliveries(wh) == []
    for cmd in ("remove", "disable", "enable", "rotate-secret"):
        r = wh("webhooks", cmd, 42)
        assert r.code == 2 and "42" in r.err, r
    assert wh("webhooks", "send-test", "--endpoint", 42).code == 2


# ---- what is sent ----

def test_delivery_is_signed_per_standard_webhooks(wh, receivers):
    rec = receivers("--mode", "ok")
    e = add(wh, rec.url())
    [msg] = send_test(wh, e)
    r = replay(wh, code=0)
    assert r.json["attempted"] == 1 and r.json["delivered"] == 1 and r.json["failed"] == 0
    [req] = rec.requests()
    h, body = req["headers"], req["body"]
    assert req["method"] == "POST" and req["path"] == "/hook"
    assert h["content-type"] == "application/json"
    assert h["webhook-id"] == msg
    assert abs(int(h["webhook-timestamp"]) - NOW_UNIX) < 60  # the --now clock, in Unix seconds
    assert verify(SECRET, h, body)
    assert not verify(OTHER_SECRET, h, body)
    tampered = dict(h, **{"webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)})
    assert not verify(SECRET, tampered, body)
    doc = json.loads(body)
    assert list(doc) == ["id", "type", "timestamp", "data"]
    assert doc["id"] == msg and doc["type"] == "webhook.test"
    assert doc["timestamp"].startswith("2026-03-01T12:00:")
    assert isinstance(doc["data"], dict)
    [d] = deliveries(wh)
    assert d["status"] == "delivered" and d["message_id"] == msg and d["endpoint"] == e
    assert [(a["attempt"], a["status_code"]) for a in d["attempts"]] == [(1, 200)]
    assert d["attempts"][0]["duration_ms"] >= 0 and d["attempts"][0]["at"].startswith("2026-03-01T")
    # Delivered: a second run has nothing to do and exits 0.
    again = replay(wh, code=0)
    assert again.json["attempted"] == 0
    assert len(rec.requests()) == 1


def test_send_test_goes_to_that_endpoint_only(wh, receivers):
    a, b = receivers("--mode", "ok"), receivers("--mode", "ok")
    add(wh, a.url())
    eb = add(wh, b.url())
    send_test(wh, eb, count=3)
    replay(wh, code=0)
    assert len(a.requests()) == 0 and len(b.requests()) == 3
    assert {q["headers"]["webhook-id"] for q in b.requests()} == {d["message_id"] for d in deliveries(wh)}


def test_rotate_secret_signs_with_old_and_new_for_24_hours(wh, receivers):
    rec = receivers("--mode", "ok")
    e = add(wh, rec.url())
    # A generated secret is never printed (SPEC 8: only add and list --show-secrets).
    other = add(wh, rec.url(), secret=OTHER_SECRET)
    for as_json in (False, True):
        r = wh("webhooks", "rotate-secret", other, json=as_json)
        assert r.code == 0 and "whsec_" not in r.out + r.err, r
    assert json.loads(r.out)["rotated"] is True
    wh("webhooks", "disable", other)
    new = ROTATED_SECRET
    r = wh("webhooks", "rotate-secret", e, "--secret", new)
    assert r.code == 0 and new not in r.out + r.err, r
    assert new in wh("webhooks", "list", "--show-secrets", json=True).out
    assert new not in wh("webhooks", "list", json=True).out
    send_test(wh, e)
    replay(wh, code=0)
    [req] = rec.requests()
    entries = req["headers"]["webhook-signature"].split(" ")
    assert len(entries) == 2 and all(x.startswith("v1,") for x in entries)
    assert verify(SECRET, req["headers"], req["body"])
    assert verify(new, req["headers"], req["body"])
    assert not verify(OTHER_SECRET, req["headers"], req["body"])
    # 25 hours later only the new secret signs.
    later = "2026-03-02T13:00:00Z"
    send_test_later = wh("webhooks", "send-test", "--endpoint", e, now=later)
    assert send_test_later.code == 0
    assert wh("webhooks", "replay", now=later).code == 0
    req = rec.requests()[1]
    assert len(req["headers"]["webhook-signature"].split(" ")) == 1
    assert verify(new, req["headers"], req["body"]) and not verify(SECRET, req["headers"], req["body"])


# ---- failures, backoff, receiver signals ----

def test_three_failures_then_success_take_four_attempts_with_doubling_gaps(wh, receivers):
    rec = receivers("--mode", "fail-then-ok", "--fail-times", "3")
    e = add(wh, rec.url())
    [msg] = send_test(wh, e)
    r = replay(wh, "--drain", "--max-wait", "60", code=0)
    assert r.json["attempted"] == 1 and r.json["attempts"] == 4 and r.json["delivered"] == 1
    reqs = rec.requests()
    assert len(reqs) == 4
    assert {q["headers"]["webhook-id"] for q in reqs} == {msg}
    assert len({q["body"] for q in reqs}) == 1  # the same bytes every attempt
    for q in reqs:
        assert verify(SECRET, q["headers"], q["body"])
    gaps = arrival_gaps(reqs)
    assert gaps[0] >= 1 and gaps[1] >= 2 and gaps[2] >= 4, gaps
    assert gaps[2] < 8, gaps
    [d] = deliveries(wh)
    assert d["status"] == "delivered"
    assert [a["status_code"] for a in d["attempts"]] == [500, 500, 500, 200]


def test_always_failing_delivery_fails_after_five_attempts_then_retry(wh, receivers):
    rec = receivers("--mode", "fail-then-ok", "--fail-times", "5")
    e = add(wh, rec.url())
    send_test(wh, e)
    r = replay(wh, "--drain", "--max-wait", "60", "--backoff-base", "0.1", code=69)
    assert r.json == {**r.json, "attempted": 1, "attempts": 5, "delivered": 0, "failed": 1, "retrying": 0}
    assert "failed" in r.err
    assert len(rec.requests()) == 5
    gaps = arrival_gaps(rec.requests())
    assert all(g >= 0.1 * 2 ** i for i, g in enumerate(gaps)), gaps
    [d] = deliveries(wh, "--status", "failed")
    assert d["attempt_count"] == 5 and [a["status_code"] for a in d["attempts"]] == [500] * 5
    assert deliveries(wh, "--status", "pending") == []
    # Nothing due: exit 0.
    assert replay(wh, code=0).json["attempted"] == 0
    r = wh("webhooks", "retry", "--failed", json=True)
    assert r.code == 0 and r.json["requeued"] == 1, r
    replay(wh, code=0)
    [d] = deliveries(wh)
    assert d["status"] == "delivered" and len(d["attempts"]) == 6  # attempt log kept
    assert wh("webhooks", "retry", d["id"]).code == 1  # delivered: use resend


def test_max_attempts_is_configurable_and_retry_by_id(wh, receivers):
    rec = receivers("--mode", "fail")
    e = add(wh, rec.url())
    send_test(wh, e)
    replay(wh, "--drain", "--max-wait", "30", "--max-attempts", "2", "--backoff-base", "0.1", code=69)
    assert len(rec.requests()) == 2
    [d] = deliveries(wh)
    assert d["status"] == "failed"
    assert wh("webhooks", "retry", d["id"]).code == 0
    assert deliveries(wh)[0]["status"] == "pending"
    replay(wh, "--max-attempts", "2", code=69)
    assert len(rec.requests()) == 3
    assert deliveries(wh)[0]["status"] == "pending"  # a fresh budget of 2 after retry
    assert wh("webhooks", "retry", 999).code == 2
    assert wh("webhooks", "retry").code == 2


@pytest.mark.parametrize("status", ["429", "503"])
def test_retry_after_is_honoured(wh, receivers, status):
    rec = receivers("--mode", "throttle", "--status", status, "--retry-after", "3", "--fail-times", "1")
    e = add(wh, rec.url())
    send_test(wh, e)
    replay(wh, "--drain", "--max-wait", "30", code=0)
    reqs = rec.requests()
    assert len(reqs) == 2
    assert arrival_gaps(reqs)[0] >= 3
    assert [a["status_code"] for a in deliveries(wh)[0]["attempts"]] == [int(status), 200]


def test_410_disables_the_endpoint_and_holds_its_deliveries(wh, receivers):
    rec = receivers("--mode", "gone")
    e = add(wh, rec.url())
    send_test(wh, e, count=3)
    r = replay(wh, "--concurrency", "1", code=69)
    assert r.json["endpoints_disabled"] == 1
    assert len(rec.requests()) == 1
    ep = wh("webhooks", "list", json=True).json["endpoints"][0]
    assert ep["enabled"] is False and "410" in ep["disabled_reason"]
    assert "disabled" in wh("webhooks", "list").out
    # Disabled: its pending deliveries are not sent, however long we drain.
    assert replay(wh, "--drain", "--max-wait", "3", code=0).json["attempted"] == 0
    assert len(rec.requests()) == 1
    assert len(deliveries(wh, "--status", "pending")) == 3
    assert wh("webhooks", "enable", e).code == 0
    assert len(wh("webhooks", "replay", "--dry-run", json=True).json["deliveries"]) >= 2


def test_redirect_is_not_followed(wh, receivers):
    target = receivers("--mode", "ok")
    rec = receivers("--mode", "redirect", "--redirect-to", target.url("/stolen"))
    e = add(wh, rec.url())
    send_test(wh, e)
    replay(wh, code=69)
    time.sleep(0.3)
    assert len(rec.requests()) == 1 and target.requests() == []
    [d] = deliveries(wh)
    assert d["status"] == "pending"
    assert d["attempts"][0]["status_code"] == 302 and "redirect" in d["attempts"][0]["error"]


@pytest.mark.parametrize("mode", ["close", "reset", "hang", "refused"])
def test_transport_failures_are_logged_attempts(wh, receivers, mode, tmp_path):
    if mode == "refused":
        rec = receivers("--mode", "ok")
        rec.stop()  # its port is now closed
    else:
        rec = receivers("--mode", mode)
    e = add(wh, rec.url())
    send_test(wh, e)
    started = time.time()
    replay(wh, "--timeout", "1", code=69)
    assert time.time() - started < 10
    [d] = deliveries(wh)
    [a] = d["attempts"]
    assert d["status"] == "pending" and a["status_code"] is None and a["error"]
    expect = {"close": "closed", "reset": "reset", "hang": "timeout", "refused": "refused"}[mode]
    assert expect in a["error"], a
    if mode == "hang":
        assert a["duration_ms"] >= 900


def test_exit_code_is_0_unless_every_attempt_failed(wh, receivers):
    ok, bad = receivers("--mode", "ok"), receivers("--mode", "fail")
    send_test(wh, add(wh, ok.url()))
    send_test(wh, add(wh, bad.url()))
    r = replay(wh, "--backoff-base", "60", code=0)
    assert r.json["delivered"] == 1 and r.json["retrying"] == 1
    assert replay(wh, code=0).json["attempted"] == 0  # the retry is not due for a minute


def test_limit_and_dry_run(wh, receivers):
    rec = receivers("--mode", "ok")
    e = add(wh, rec.url())
    send_test(wh, e, count=5)
    dry = wh("webhooks", "replay", "--dry-run", json=True)
    assert dry.code == 0 and dry.json["due"] == 5 and len(dry.json["deliveries"]) == 5
    assert "secret" not in dry.out and SECRET not in dry.out
    assert rec.requests() == []
    assert replay(wh, "--limit", "2", code=0).json["attempted"] == 2
    assert len(rec.requests()) == 2
    replay(wh, code=0)
    assert len(rec.requests()) == 5
    assert len({q["headers"]["webhook-id"] for q in rec.requests()}) == 5


# ---- recovery ----

def test_resend_by_event_and_since(wh, receivers):
    rec = receivers("--mode", "ok")
    e = add(wh, rec.url())
    first = send_test(wh, e)[0]
    second = send_test(wh, e, now="2026-03-01T13:00:00Z")[0]
    replay(wh, now="2026-03-01T13:00:01Z", code=0)
    assert len(rec.requests()) == 2
    r = wh("webhooks", "resend", "--event", first, json=True)
    assert r.code == 0 and r.json["queued"] == 1, r
    assert wh("webhooks", "resend", "--event", first, json=True).json["queued"] == 0  # already queued
    replay(wh, code=0)
    assert [q["headers"]["webhook-id"] for q in rec.requests()[2:]] == [first]
    # The first replay delivers both messages at once: either may arrive first.
    original = [q for q in rec.requests()[:2] if q["headers"]["webhook-id"] == first]
    assert len(original) == 1 and rec.requests()[2]["body"] == original[0]["body"]
    r = wh("webhooks", "resend", "--since", "2026-03-01T12:30:00Z", json=True)
    assert r.json["queued"] == 1
    replay(wh, now="2026-03-01T13:00:01Z", code=0)
    assert rec.requests()[3]["headers"]["webhook-id"] == second
    assert wh("webhooks", "resend", "--event", "msg_nope").code == 2
    assert wh("webhooks", "resend").code == 2
    assert [d["status"] for d in deliveries(wh)] == ["delivered"] * 4


# ---- concurrency and crashes ----

def test_two_concurrent_drains_send_every_delivery_once(wh, receivers):
    rec = receivers("--mode", "ok", "--delay-ms", "50")
    e = add(wh, rec.url())
    ids = set(send_test(wh, e, count=200))
    runs = [wh.popen("--json", "webhooks", "replay", "--drain", "--max-wait", "60", "--concurrency", "8",
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in runs]
    assert [p.returncode for p in runs] == [0, 0], outs
    sums = [json.loads(out) for out, _ in outs]
    # Together they attempted each delivery exactly once (how they shared the
    # work depends on scheduling: the second may start late on a busy machine).
    assert sum(s["attempted"] for s in sums) == 200 and sum(s["attempts"] for s in sums) == 200, sums
    got = [q["headers"]["webhook-id"] for q in rec.requests()]
    assert len(got) == 200 and set(got) == ids
    assert len(deliveries(wh, "--status", "delivered")) == 200


def test_killed_replay_loses_nothing(wh, receivers):
    rec = receivers("--mode", "ok", "--delay-ms", "1500")
    e = add(wh, rec.url())
    ids = set(send_test(wh, e, count=12))
    victim = wh.popen("webhooks", "replay", "--concurrency", "4", "--timeout", "3", "--lease", "4",
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rec.wait_for(4)  # four requests in flight, none answered yet
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    leased = [d for d in deliveries(wh) if d["leased_until"]]
    assert len(leased) == 4 and all(d["status"] == "pending" for d in leased)
    r = replay(wh, "--drain", "--max-wait", "60", "--concurrency", "8", "--timeout", "3", "--lease", "4", code=0)
    assert r.json["delivered"] == 12
    got = [q["headers"]["webhook-id"] for q in rec.requests()]
    assert set(got) == ids  # every delivery received at least once
    assert len(got) <= 16   # the four killed mid-flight may arrive twice, nothing more
    assert all(d["status"] == "delivered" for d in deliveries(wh))


def test_catalog_endpoints_receive_matching_messages(wh, receivers):
    rec = receivers("--mode", "ok")
    cat = dict(CATALOG, webhooks=[{"url": rec.url("/cat"), "events": ["webhook.*"], "secret": SECRET}])
    assert wh("catalog", "apply", wh.write("cat.json", cat)).code == 0
    [ep] = wh("webhooks", "list", json=True).json["endpoints"]
    send_test(wh, ep["id"])
    replay(wh, code=0)
    [req] = rec.requests()
    assert req["path"] == "/cat" and verify(SECRET, req["headers"], req["body"])


def test_invoice_messages_reach_endpoints_by_tenant_and_event_filter(wh, receivers):
    acme_all, finalized, usage = receivers("--mode", "ok"), receivers("--mode", "ok"), receivers("--mode", "ok")
    add(wh, acme_all.url(), "--tenant", "acme", "--events", "invoice.*")
    add(wh, finalized.url(), "--events", "invoice.finalized")
    add(wh, usage.url(), "--events", "usage.*")
    r = wh("invoice", "generate", "--period", "2026-02", "--finalize")
    assert r.code == 0, r
    replay(wh, code=0)
    acme_types = sorted(json.loads(q["body"])["type"] for q in acme_all.requests())
    assert acme_types == ["invoice.created", "invoice.finalized"]
    assert all(json.loads(q["body"])["data"].get("tenant", "acme") == "acme" for q in acme_all.requests())
    fin = [json.loads(q["body"]) for q in finalized.requests()]
    assert [m["type"] for m in fin] == ["invoice.finalized"] * 2
    assert usage.requests() == []
    for q in acme_all.requests() + finalized.requests():
        assert verify(SECRET, q["headers"], q["body"])
    # resend --since queues every past message again to today's matching endpoints.
    r = wh("webhooks", "resend", "--since", "2026-01-01", json=True)
    assert r.code == 0 and r.json["queued"] == 4, r
    replay(wh, code=0)
    assert len(acme_all.requests()) == 4 and len(finalized.requests()) == 4 and usage.requests() == []


def test_same_url_twice_with_other_filters_is_two_endpoints(wh, receivers):
    rec = receivers("--mode", "ok")
    add(wh, rec.url(), "--events", "webhook.*")
    r = wh("webhooks", "add", "--url", rec.url(), "--events", "invoice.*", "--secret", SECRET)
    assert r.code == 0 and "already sends to this URL" in r.err, r
    assert len(wh("webhooks", "list", json=True).json["endpoints"]) == 2
    send_test(wh, 2)
    replay(wh, code=0)
    assert len(rec.requests()) == 1

"""Acceptance tests for SPEC section 8 (webhooks), written from the SPEC alone
against loopback receivers (tests/support/receiver.py): messages queued by
invoice transitions and resend, the Standard Webhooks body and signature,
routing by tenant and event, doubling backoff (driven through --now, so no
test sleeps through it), failure after 5 attempts, retry, 410, Retry-After,
no redirects, only http/https, secrets shown only when asked, rotation, and
exit 69 when every delivery failed."""
import base64
import json
import re
from datetime import datetime, timedelta, timezone

import pytest

from acceptance import assert_one_line_error, ev, shop_catalog
from receiver_proc import receivers, verify  # noqa: F401  (receivers is a fixture)

NOW = "2026-03-02T09:00:00Z"
SECRET = "whsec_" + base64.b64encode(b"acceptance-secret-0123456789abcd").decode()
NEW_SECRET_RE = re.compile(r"whsec_[A-Za-z0-9+/=]+")


def ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def iso(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@pytest.fixture
def m(meter):
    meter.init(shop_catalog())
    meter.now = NOW
    assert meter.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 300)]).code == 0
    return meter


def add(m, url, *extra, secret=SECRET):
    args = ["webhooks", "add", "--url", url, *extra] + (["--secret", secret] if secret else [])
    r = m(*args, json=True)
    assert r.code == 0, r
    return r.json["id"]


def deliveries(m, *args):
    r = m("webhooks", "deliveries", *args, json=True)
    assert r.code == 0, r
    return r.json["deliveries"]


def replay(m, *args, now=None):
    return m("webhooks", "replay", *args, json=True, now=now, timeout=120)


def generate_kite(m, *extra):
    r = m("invoice", "generate", "--period", "2026-02", "--tenant", "kite", *extra)
    assert r.code == 0, r


def test_delivery_body_headers_and_signature(m, receivers):
    rec = receivers("--mode", "ok")
    add(m, rec.url("/in"), "--events", "invoice.finalized")
    generate_kite(m, "--finalize")
    r = replay(m)
    assert r.code == 0, r
    reqs = rec.requests()
    assert len(reqs) == 1, reqs
    q = reqs[0]
    assert q["method"] == "POST" and q["path"] == "/in"
    h = q["headers"]
    assert h["content-type"].startswith("application/json")
    body = json.loads(q["body"])
    assert set(body) >= {"id", "type", "timestamp", "data"}
    assert body["id"].startswith("msg_") and body["type"] == "invoice.finalized"
    assert "WID-2026-000001" in q["body"]
    assert h["webhook-id"] == body["id"]
    assert re.fullmatch(r"\d+", h["webhook-timestamp"])
    assert abs(int(h["webhook-timestamp"]) - int(ts(NOW).timestamp())) < 120
    assert verify(SECRET, h, q["body"])
    assert not verify("whsec_" + base64.b64encode(b"x" * 32).decode(), h, q["body"])
    assert [d["status"] for d in deliveries(m)] == ["delivered"]
    assert deliveries(m, "--status", "pending") == []


def test_routing_by_tenant_and_event_pattern(m, receivers):
    everything, kite_only, lynx_only, alerts_only = (receivers("--mode", "ok") for _ in range(4))
    add(m, everything.url())
    add(m, kite_only.url(), "--tenant", "kite", "--events", "invoice.*")
    add(m, lynx_only.url(), "--tenant", "lynx")
    add(m, alerts_only.url(), "--events", "usage.threshold_reached")
    generate_kite(m)
    assert m("invoice", "generate", "--period", "2026-02", "--tenant", "lynx").code == 0
    assert replay(m).code == 0
    types = lambda rec: sorted((json.loads(q["body"])["type"]) for q in rec.requests())  # noqa: E731
    assert types(everything) == ["invoice.created", "invoice.created"]
    assert types(kite_only) == ["invoice.created"]
    assert types(lynx_only) == ["invoice.created"]
    assert types(alerts_only) == []


def test_doubling_backoff_then_failed_after_five_attempts_then_retry(m, receivers):
    rec = receivers("--mode", "fail-then-ok", "--fail-times", "5")
    add(m, rec.url())
    generate_kite(m)
    r = m("--quiet", "webhooks", "replay")
    assert_one_line_error(r, 69)      # with --quiet, no summary: only the error line
    d = deliveries(m)[0]
    gaps = []
    for attempt in range(2, 6):
        a = d["attempts"][-1]
        assert a["status_code"] == 500 and "duration_ms" in a, a
        due = ts(d["next_attempt_at"])
        gaps.append((due - ts(a["at"])).total_seconds())
        if attempt == 2:    # not before it is due
            r = replay(m, now=iso(ts(a["at"]) + timedelta(seconds=0.3)))
            assert r.code == 0 and len(rec.requests()) == 1, r
        r = replay(m, now=iso(due + timedelta(seconds=0.05)))
        assert len(rec.requests()) == attempt, r
        d = deliveries(m)[0]
    assert [round(g) for g in gaps] == [1, 2, 4, 8], gaps
    assert d["status"] == "failed" and d["attempt_count"] == 5 and len(d["attempts"]) == 5
    assert [x["id"] for x in deliveries(m, "--status", "failed")] == [d["id"]]
    # failed stays listed for retry; retry puts it back and the 6th answer is 200
    r = m("webhooks", "retry", "--failed")
    assert r.code == 0, r
    r = replay(m, now=iso(ts(d["attempts"][-1]["at"]) + timedelta(hours=2)))
    assert r.code == 0, r
    assert deliveries(m)[0]["status"] == "delivered"


def test_drain_keeps_going_until_the_queue_is_empty(m, receivers):
    rec = receivers("--mode", "fail-then-ok", "--fail-times", "2")
    add(m, rec.url())
    generate_kite(m)
    r = replay(m, "--drain", "--max-wait", "30")
    assert r.code == 0, r
    assert len(rec.requests()) == 3
    assert deliveries(m)[0]["status"] == "delivered"


def test_410_disables_the_endpoint_with_a_reason(m, receivers):
    rec = receivers("--mode", "gone")
    eid = add(m, rec.url())
    generate_kite(m)
    replay(m)
    r = m("webhooks", "list", json=True)
    ep = [e for e in r.json["endpoints"] if e["id"] == eid][0]
    assert ep["enabled"] is False or ep.get("status") == "disabled", ep
    assert "410" in json.dumps(ep)
    human = m("webhooks", "list")
    assert "disabled" in human.out.lower()
    # a disabled endpoint gets nothing until enabled again
    assert m("invoice", "generate", "--period", "2026-02", "--tenant", "lynx").code == 0
    replay(m, now="2026-03-02T10:00:00Z")
    assert len(rec.requests()) == 1


@pytest.mark.parametrize("status", ["429", "503"])
def test_retry_after_is_honoured(m, receivers, status):
    rec = receivers("--mode", "throttle", "--status", status, "--retry-after", "40", "--fail-times", "1")
    add(m, rec.url())
    generate_kite(m)
    replay(m)
    d = deliveries(m)[0]
    a = ts(d["attempts"][-1]["at"])
    assert (ts(d["next_attempt_at"]) - a).total_seconds() >= 39.9, d
    replay(m, now=iso(a + timedelta(seconds=20)))
    assert len(rec.requests()) == 1
    assert replay(m, now=iso(a + timedelta(seconds=41))).code == 0
    assert deliveries(m)[0]["status"] == "delivered"


def test_redirects_are_not_followed(m, receivers):
    target = receivers("--mode", "ok")
    rec = receivers("--mode", "redirect", "--redirect-to", target.url("/elsewhere"))
    add(m, rec.url())
    generate_kite(m)
    r = replay(m)
    assert r.code == 69, r
    assert target.requests() == []
    assert deliveries(m)[0]["attempts"][0]["status_code"] == 302


def test_only_http_and_https_urls(m):
    for url in ("ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:8080/x", "gopher://h/"):
        r = m("webhooks", "add", "--url", url)
        assert_one_line_error(r, 2)
    assert m("webhooks", "add", "--url", "https://hooks.example.test/x").code == 0


def test_secret_is_printed_only_by_add_and_list_show_secrets(m, receivers):
    rec = receivers("--mode", "ok")
    r = m("webhooks", "add", "--url", rec.url())
    assert r.code == 0, r
    found = NEW_SECRET_RE.findall(r.out + r.err)
    assert found, r
    secret = found[0]
    outputs = [m("webhooks", "list"), m("webhooks", "list", json=True)]
    generate_kite(m)
    outputs += [replay(m), m("webhooks", "deliveries"), m("webhooks", "deliveries", json=True),
                m("catalog", "show"), m("catalog", "show", json=True)]
    for o in outputs:
        assert secret not in o.out + o.err, o
    shown = m("webhooks", "list", "--show-secrets")
    assert secret in shown.out, shown
    assert verify(secret, rec.requests()[0]["headers"], rec.requests()[0]["body"])


def test_rotate_secret_signs_with_both_for_24_hours(m, receivers):
    rec = receivers("--mode", "ok")
    eid = add(m, rec.url())
    r = m("webhooks", "rotate-secret", str(eid))
    assert r.code == 0, r
    assert SECRET not in r.out + r.err
    new = NEW_SECRET_RE.findall(m("webhooks", "list", "--show-secrets").out)
    new = [s for s in new if s != SECRET]
    assert len(new) == 1
    generate_kite(m)
    replay(m)
    q = rec.requests()[0]
    entries = q["headers"]["webhook-signature"].split(" ")
    assert len(entries) == 2 and all(e.startswith("v1,") for e in entries)
    assert verify(SECRET, q["headers"], q["body"]) and verify(new[0], q["headers"], q["body"])
    # after 24 hours only the new one
    m.now = "2026-03-03T09:30:00Z"
    assert m("invoice", "generate", "--period", "2026-02", "--tenant", "lynx").code == 0
    replay(m)
    q = rec.requests()[1]
    assert len(q["headers"]["webhook-signature"].split(" ")) == 1
    assert verify(new[0], q["headers"], q["body"]) and not verify(SECRET, q["headers"], q["body"])


def test_remove_disable_enable_and_filters(m, receivers):
    a, b = receivers("--mode", "ok"), receivers("--mode", "fail")
    ea, eb = add(m, a.url()), add(m, b.url())
    assert m("webhooks", "disable", str(ea)).code == 0
    generate_kite(m)
    r = replay(m)
    assert r.code == 69, r
    assert a.requests() == []
    assert m("webhooks", "enable", str(ea)).code == 0
    # what was queued while disabled is the implementation's choice; new messages reach it
    assert m("invoice", "generate", "--period", "2026-02", "--tenant", "lynx").code == 0
    assert replay(m, now="2026-03-02T10:00:00Z").code == 0
    assert [json.loads(q["body"])["data"].get("tenant", "lynx") for q in a.requests()][-1] == "lynx"
    assert {d["endpoint"] for d in deliveries(m, "--endpoint", str(ea))} == {ea}
    assert ea in [d["endpoint"] for d in deliveries(m, "--status", "delivered")]
    assert eb not in [d["endpoint"] for d in deliveries(m, "--status", "delivered")]
    assert m("webhooks", "remove", str(eb)).code == 0
    assert [e["id"] for e in m("webhooks", "list", json=True).json["endpoints"]] == [ea]
    r = m("webhooks", "remove", "999")
    assert r.code != 0 and r.err.startswith("meter: "), r


def test_dry_run_and_limit(m, receivers):
    rec = receivers("--mode", "ok")
    add(m, rec.url())
    m("invoice", "generate", "--period", "2026-02", check=True)   # two tenants: two messages
    r = replay(m, "--dry-run")
    assert r.code == 0 and rec.requests() == [], r
    assert {d["status"] for d in deliveries(m)} == {"pending"}
    assert replay(m, "--limit", "1").code == 0
    assert len(rec.requests()) == 1
    assert replay(m).code == 0
    assert len(rec.requests()) == 2


def test_resend_puts_past_messages_back(m, receivers):
    rec = receivers("--mode", "ok")
    add(m, rec.url())
    generate_kite(m)
    replay(m)
    msg = json.loads(rec.requests()[0]["body"])["id"]
    r = m("webhooks", "resend", "--event", msg)
    assert r.code == 0, r
    replay(m)
    assert [json.loads(q["body"])["id"] for q in rec.requests()] == [msg, msg]
    r = m("webhooks", "resend", "--since", "2026-03-01T00:00:00Z")
    assert r.code == 0, r
    replay(m)
    assert len(rec.requests()) == 3


def test_timeout_is_a_failed_attempt(m, receivers):
    rec = receivers("--mode", "hang")
    add(m, rec.url())
    generate_kite(m)
    r = replay(m, "--timeout", "1")
    assert r.code == 69, r
    a = deliveries(m)[0]["attempts"][0]
    assert a["status_code"] is None and a["error"], a
    assert 900 <= a["duration_ms"] < 10000, a


def test_some_delivered_is_exit_0(m, receivers):
    ok, bad = receivers("--mode", "ok"), receivers("--mode", "fail")
    add(m, ok.url())
    add(m, bad.url())
    generate_kite(m)
    assert replay(m).code == 0

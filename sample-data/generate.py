#!/usr/bin/env python3
"""Deterministic generator of usage logs for meter's sample catalog.

Writes one calendar month of realistic usage for the tenants of a catalog
(default: catalog.json next to this script) in one of the input formats that
`meter ingest` accepts (SPEC section 4):

  ndjson       native records  {"id","tenant","metric","quantity","timestamp",...}
  csv          header row + native columns (+ "tokens" and "region" columns,
               which become properties)
  cloudevents  CloudEvents 1.0 JSON (type -> metric, subject -> tenant, data)
  lago         Lago-style events (transaction_id, external_customer_id, code,
               integer Unix-seconds timestamp, properties)
  mixed        ndjson, cloudevents and lago records interleaved (for --format auto)

Python 3 standard library only. The same arguments always give the same bytes.
A tenant sends no usage before its catalog `started_at`.
Output is written as it is generated (an hour of the month at a time), so
`--events 1000000` streams in constant memory.

Usage patterns: weekday business hours (in the tenant's own timezone) are
busiest, weekends quiet, each tenant-day gets some noise, and a few tenants are
heavy enough to cross their plan's limits (hooli > 100 api_calls/day on free,
initech > 100 AI requests on starter, globex > 10,000 api_calls/day on pro,
wayne > 1,000 AI requests on professional, cyberdyne > 1M LLM tokens, > 100 GB
and > 25 seats on standard).

Counting: --events N is the number of distinct GOOD events. Bad lines
(--bad-every K: physical lines K, 2K, 3K, ... are bad) and duplicate lines
(--dup-every D: physical lines D, 2D, ... not already bad repeat an earlier good
line verbatim) come on top. --expected FILE writes what a correct ingest of the
output must report (accepted / duplicates / rejected, each bad line with its
kind, per-tenant per-meter totals for the month computed from the catalog's
meters, and the limit crossings).

Examples:
  python3 generate.py --month 2026-02 --out usage.ndjson
  python3 generate.py --events 1000000 --out /tmp/1m.ndjson          # benchmark input
  python3 generate.py --events 300 --format lago --out usage-lago.ndjson
"""

import argparse
import bisect
import calendar
import datetime as dt
import hashlib
import json
import math
import os
import random
import sys
from decimal import Decimal

try:
    from zoneinfo import ZoneInfo
except ImportError:  # pragma: no cover - Python < 3.9
    ZoneInfo = None

UTC = dt.timezone.utc
HERE = os.path.dirname(os.path.abspath(__file__))

AI_OPS = ("email_analysis", "video_understanding", "audio_transcription", "text_to_speech")
# what one operation costs (the "cost" field of an event): the ai_usage list prices
AI_COST = {"email_analysis": "0.002", "video_understanding": "0.05",
           "audio_transcription": "0.001", "text_to_speech": "0.003"}
# median latency in ms
AI_LATENCY = {"email_analysis": 850, "video_understanding": 6500,
              "audio_transcription": 2200, "text_to_speech": 700}
LLM_MODELS = (("gpt-4o-mini", 5), ("claude-3-haiku", 3), ("llama-3.1-70b", 2))
LLM_PRICE_PER_TOKEN = Decimal("0.00001")
REGIONS = ("us-east-1", "us-east-1", "us-west-2", "eu-central-1")
CE_SOURCES = {"api_calls": "/services/api-gateway", "ai_requests": "/services/ai-worker",
              "operation_start": "/services/ai-worker", "llm_completion": "/services/llm-proxy",
              "storage_gb": "/services/storage-meter"}

# local hour-of-day and weekday (Mon..Sun) activity weights
HOURLY = (0.12, 0.08, 0.06, 0.06, 0.08, 0.14, 0.28, 0.52, 0.85, 1.0, 1.0, 1.0,
          0.88, 0.97, 1.0, 1.0, 0.92, 0.78, 0.58, 0.46, 0.4, 0.33, 0.24, 0.17)
WEEKDAY = (1.0, 1.05, 1.05, 1.0, 0.9, 0.33, 0.25)

# Per-tenant usage profiles for a month (the "natural" size, ~22k events).
#   users: size of the user pool (user_001 ...)
#   api: average api_calls units per day; api_events: api_calls events per month
#   ai: AI operations per month by operation (metric "ai_requests")
#   llm: (llm_completion events per month, total tokens per month)
#   storage: (GB at the start of the month, GB at the end)  -- daily snapshots
#   spikes: {day of month: factor}
PROFILES = {
    "hooli":     dict(users=5,   api=85,    api_events=300, ai={"email_analysis": 8}),
    "piedpiper": dict(users=3,   api=35,    api_events=180, ai={"text_to_speech": 4}),
    "vandelay":  dict(users=2,   api=9,     api_events=100),
    "initech":   dict(users=8,   api=420,   api_events=260,
                      ai={"email_analysis": 105, "audio_transcription": 45, "text_to_speech": 22}),
    "dunder":    dict(users=12,  api=260,   api_events=230, ai={"email_analysis": 58, "text_to_speech": 21}),
    "bluth":     dict(users=4,   api=70,    api_events=140, ai={"email_analysis": 24, "audio_transcription": 9}),
    "acme":      dict(users=30,  api=10500, api_events=700,
                      ai={"email_analysis": 260, "audio_transcription": 70, "text_to_speech": 45}),
    "globex":    dict(users=25,  api=7000,  api_events=600,
                      ai={"email_analysis": 380, "video_understanding": 40, "audio_transcription": 90,
                          "text_to_speech": 40},
                      spikes={9: 1.2, 10: 1.3, 11: 1.2}),
    "wonka":     dict(users=10,  api=2200,  api_events=300, ai={"email_analysis": 60, "text_to_speech": 25}),
    "stark":     dict(users=20,  api=4800,  api_events=400,
                      ai={"email_analysis": 420, "video_understanding": 35, "audio_transcription": 140,
                          "text_to_speech": 55}),
    "wayne":     dict(users=35,  api=6000,  api_events=450,
                      ai={"email_analysis": 700, "video_understanding": 90, "audio_transcription": 250,
                          "text_to_speech": 110}),
    "oscorp":    dict(users=9,   api=1100,  api_events=240, ai={"email_analysis": 140, "audio_transcription": 60}),
    "cyberdyne": dict(users=40,  api=5200,  api_events=420, llm=(1150, 1420000), storage=(92.0, 131.5)),
    "tyrell":    dict(users=18,  api=2600,  api_events=280, llm=(500, 560000), storage=(38.0, 52.5)),
    "soylent":   dict(users=25,  api=1400,  api_events=300, llm=(280, 290000), storage=(97.2, 103.8)),
    "massive":   dict(users=120, api=42000, api_events=650,
                      ai={"email_analysis": 900, "video_understanding": 160, "audio_transcription": 350,
                          "text_to_speech": 190}),
    "weyland":   dict(users=60,  api=18000, api_events=420,
                      ai={"email_analysis": 500, "video_understanding": 80, "audio_transcription": 220,
                          "text_to_speech": 100}),
    "aperture":  dict(users=45,  api=11000, api_events=330,
                      ai={"email_analysis": 260, "video_understanding": 60, "audio_transcription": 120,
                          "text_to_speech": 60}),
    # the SPEC section 7 worked example: 5,000 / 200 / 1,000 / 500 -> $24.75 with 10 % tax
    "umbrella":  dict(users=15,  api=260,   api_events=180,
                      ai={"email_analysis": 5000, "video_understanding": 200, "audio_transcription": 1000,
                          "text_to_speech": 500}),
    "gringotts": dict(users=6,   api=140,   api_events=140,
                      ai={"email_analysis": 260, "video_understanding": 15, "audio_transcription": 80,
                          "text_to_speech": 45}),
    # The AI-model plans (SPEC section 10): LLM completions priced per model
    # and, for one model, per project. "models" and "projects" are (value,
    # weight) pairs; the project "" leaves the property out (the "(none)"
    # group). Their events come from a random stream of their own, so adding
    # them left every other tenant's usage as it was.
    "tessier":   dict(users=10,  api=0,     api_events=0, llm=(700, 1150000),
                      models=(("claude-opus", 1), ("claude-sonnet", 3), ("gpt-4o", 2), ("gpt-4o-mini", 5),
                              ("llama-3.1-70b", 2)),
                      projects=(("search", 4), ("support-bot", 3), ("", 1))),
    "sirius":    dict(users=8,   api=0,     api_events=0, llm=(600, 2400000),
                      models=(("claude-opus", 1), ("claude-sonnet", 2), ("gpt-4o-mini", 4), ("mistral-large", 1)),
                      projects=(("happy-vertical", 2), ("marvin", 1))),
    "nakatomi":  dict(users=14,  api=0,     api_events=0, llm=(900, 12000000),
                      models=(("claude-opus", 2), ("claude-sonnet", 3), ("gpt-4o", 3), ("gpt-4o-mini", 2)),
                      projects=(("trading-desk", 3), ("translation", 2), ("", 1))),
}
# used for catalog tenants that have no profile of their own
PLAN_DEFAULTS = {
    "free": dict(users=3, api=40, api_events=150),
    "starter": dict(users=6, api=200, api_events=200, ai={"email_analysis": 60, "text_to_speech": 15}),
    "pro": dict(users=15, api=3000, api_events=350, ai={"email_analysis": 200, "audio_transcription": 50}),
    "professional": dict(users=20, api=4000, api_events=400,
                         ai={"email_analysis": 400, "audio_transcription": 120, "text_to_speech": 60}),
    "standard": dict(users=15, api=2000, api_events=300, llm=(400, 400000), storage=(40.0, 50.0)),
    "enterprise": dict(users=50, api=15000, api_events=450,
                       ai={"email_analysis": 500, "video_understanding": 60, "audio_transcription": 200,
                           "text_to_speech": 90}),
    "ai_usage": dict(users=5, api=100, api_events=120,
                     ai={"email_analysis": 200, "audio_transcription": 60, "text_to_speech": 30}),
    "ai_models": dict(users=6, api=0, api_events=0, llm=(300, 600000),
                      models=(("claude-sonnet", 2), ("gpt-4o-mini", 3)), projects=(("default", 1),)),
}
for _plan in ("ai_models_eur", "ai_models_jpy"):
    PLAN_DEFAULTS[_plan] = PLAN_DEFAULTS["ai_models"]
WORKED_EXAMPLE = {"email_analysis": 5000, "video_understanding": 200,
                  "audio_transcription": 1000, "text_to_speech": 500}
OP_START_SHARE = 0.012  # operation_start events per AI operation

BAD_KINDS_JSON = ("unknown_tenant", "unknown_metric", "negative_quantity", "invalid_timestamp",
                  "future_timestamp", "malformed_json", "missing_tenant", "quantity_not_a_number",
                  "missing_metric", "missing_timestamp", "tenant_not_a_string", "not_an_object")
BAD_KINDS_CSV = ("unknown_tenant", "unknown_metric", "negative_quantity", "invalid_timestamp",
                 "future_timestamp", "wrong_field_count", "missing_tenant", "quantity_not_a_number",
                 "missing_metric", "missing_timestamp")
CSV_COLUMNS = ("id", "tenant", "metric", "quantity", "timestamp", "user", "operation", "status",
               "latency_ms", "cost", "tokens", "region")


def die(msg):
    sys.stderr.write("generate.py: %s\n" % msg)
    sys.exit(2)


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--catalog", default=os.path.join(HERE, "catalog.json"), help="catalog whose tenants and meters to use")
    p.add_argument("--month", default="2026-02", help="YYYY-MM (UTC calendar month), default 2026-02")
    p.add_argument("--tenants", type=int, default=None, help="use only the first N tenants of the catalog")
    p.add_argument("--events", type=int, default=None,
                   help="number of distinct good events (default: the profiles' natural size, ~22k)")
    p.add_argument("--format", default="ndjson", choices=("ndjson", "csv", "cloudevents", "lago", "mixed"))
    p.add_argument("--out", default="-", help="output file (default stdout)")
    p.add_argument("--seed", type=int, default=20260201)
    p.add_argument("--bad-every", type=int, default=0, metavar="K", help="every K-th physical line is a bad record")
    p.add_argument("--dup-every", type=int, default=0, metavar="D",
                   help="every D-th physical line (if not bad) repeats an earlier good line verbatim")
    p.add_argument("--no-id-every", type=int, default=0, metavar="M",
                   help="every M-th good record has no id (ndjson and csv only; ids then come from content)")
    p.add_argument("--worked-example", nargs="?", const="umbrella", default=None, metavar="TENANT",
                   help="give TENANT (default umbrella) exactly the SPEC section 7 AI operation counts")
    p.add_argument("--expected", default=None, metavar="FILE", help="write the expected ingest result as JSON")
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    try:
        y, m = (int(x) for x in a.month.split("-"))
        dt.date(y, m, 1)
    except ValueError:
        die("--month must be YYYY-MM")
    a.year, a.mon = y, m
    for name in ("bad_every", "dup_every", "no_id_every"):
        if getattr(a, name) < 0 or getattr(a, name) == 1:
            die("--%s must be 0 (off) or >= 2" % name.replace("_", "-"))
    if a.events is not None and a.events < 1:
        die("--events must be >= 1")
    return a


def load_catalog(path):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        die("cannot read catalog %s: %s" % (path, e))
    try:
        return json.loads(text)
    except ValueError:
        # tolerate // comments (the catalog format allows them)
        lines = []
        for line in text.splitlines():
            out, in_str, i = [], False, 0
            while i < len(line):
                c = line[i]
                if c == '"' and (i == 0 or line[i - 1] != "\\"):
                    in_str = not in_str
                if not in_str and line.startswith("//", i):
                    break
                out.append(c)
                i += 1
            lines.append("".join(out))
        return json.loads("\n".join(lines))


def tz_of(name):
    if not name or ZoneInfo is None:
        return UTC
    try:
        return ZoneInfo(name)
    except Exception:
        return UTC


def alloc(total, weights):
    """Split integer total over weights by cumulative rounding (exact sum)."""
    out = [0] * len(weights)
    W = sum(weights)
    if total <= 0 or W <= 0:
        return out
    acc, prev = 0.0, 0
    for i, w in enumerate(weights):
        acc += w
        cur = int(total * acc / W + 0.5)
        if cur > total:
            cur = total
        out[i] = cur - prev
        prev = cur
    out[-1] += total - prev
    return out


class Tenant:
    pass


def build_tenants(cat, args, rng):
    tenants = cat.get("tenants") or []
    if args.tenants is not None:
        if args.tenants > len(tenants):
            sys.stderr.write("generate.py: catalog has only %d tenants, using all\n" % len(tenants))
        tenants = tenants[: args.tenants]
    if not tenants:
        die("no tenants in the catalog")
    y, m = args.year, args.mon
    ndays = calendar.monthrange(y, m)[1]
    start = dt.datetime(y, m, 1, tzinfo=UTC)
    end = start + dt.timedelta(days=ndays)
    H = ndays * 24
    out = []
    for t in tenants:
        T = Tenant()
        T.id = t["id"]
        T.plan = t.get("plan")
        prof = PROFILES.get(T.id) or PLAN_DEFAULTS.get(T.plan) or PLAN_DEFAULTS["free"]
        T.prof = prof
        tz = tz_of(t.get("timezone"))
        # events fall inside the UTC month AND the tenant's local month, so the
        # month totals are the same whichever way the month is cut
        lstart = dt.datetime(y, m, 1, tzinfo=tz).astimezone(UTC)
        lend = (dt.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=tz)).astimezone(UTC)
        lo, hi = max(start, lstart), min(end, lend)
        if t.get("started_at"):
            # no usage before the tenant starts (a bare date: local midnight)
            sy, sm, sd = (int(x) for x in t["started_at"][:10].split("-"))
            lo = max(lo, dt.datetime(sy, sm, sd, tzinfo=tz).astimezone(UTC))
        noise = [rng.lognormvariate(0.0, 0.18) for _ in range(ndays)]
        for d, f in (prof.get("spikes") or {}).items():
            if 1 <= d <= ndays:
                noise[d - 1] *= f
        w = []
        for h in range(H):
            t0 = start + dt.timedelta(hours=h)
            if t0 < lo or t0 >= hi:
                w.append(0.0)
                continue
            loc = t0.astimezone(tz)
            w.append(HOURLY[loc.hour] * WEEKDAY[loc.weekday()] * noise[h // 24])
        T.weights = w
        active = [d for d in range(ndays) if any(w[d * 24:(d + 1) * 24])]
        T.first_day, T.last_day = active[0], active[-1]
        # storage snapshots are taken in the first hour of the day inside the window
        T.snap_hour = {d: next(h for h in range(d * 24, d * 24 + 24) if w[h] > 0) for d in active}
        n = prof.get("users", 3)
        T.users = ["user_%03d" % i for i in range(1, n + 1)]
        cw, acc = [], 0.0
        for i in range(1, n + 1):
            acc += 1.0 / math.sqrt(i)
            cw.append(acc)
        T.user_cw = cw
        out.append(T)
    return out, start, ndays, H


def plan_counts(tenants, args, ndays):
    """Decide how many events of each stream each tenant gets (exactly args.events in total)."""
    def natural(T):
        p = T.prof
        d = {"api": p.get("api_events", 0)}
        for op, n in (p.get("ai") or {}).items():
            d["ai:" + op] = n
        llm = p.get("llm")
        if llm:
            d["llm"] = llm[0]
        ai_total = sum((p.get("ai") or {}).values())
        if ai_total:
            d["opstart"] = int(ai_total * OP_START_SHARE + 0.5)
        return d

    nat = {T.id: natural(T) for T in tenants}
    storage_days = sum(T.last_day - T.first_day + 1 for T in tenants if T.prof.get("storage"))
    nat_total = sum(sum(d.values()) for d in nat.values()) + storage_days
    N = args.events if args.events is not None else nat_total
    s0 = N / nat_total
    # storage snapshots: daily at natural size or above, fewer in small samples
    for T in tenants:
        days = T.last_day - T.first_day + 1
        if T.prof.get("storage"):
            k = days if s0 >= 1 else max(2, min(days, int(days * s0 + 0.5)))
            if k >= days:
                T.storage_days = list(range(T.first_day, T.last_day + 1))
            else:
                step = (days - 1) / (k - 1)
                T.storage_days = sorted({T.first_day + int(i * step + 0.5) for i in range(k)})
        else:
            T.storage_days = []
    fixed = sum(len(T.storage_days) for T in tenants)
    pinned = {}
    if args.worked_example:
        if args.worked_example not in nat:
            die("--worked-example: tenant '%s' is not among the generated tenants" % args.worked_example)
        for op, n in WORKED_EXAMPLE.items():
            pinned[(args.worked_example, "ai:" + op)] = n
        for op in list(nat[args.worked_example]):
            if op.startswith("ai:") and op[3:] not in WORKED_EXAMPLE:
                pinned[(args.worked_example, op)] = 0
        fixed += sum(pinned.values())
    scalable = sum(n for tid, d in nat.items() for k, n in d.items() if (tid, k) not in pinned)
    if N < fixed:
        die("--events %d is too small: %d events are fixed (storage snapshots%s)"
            % (N, fixed, ", worked example" if pinned else ""))
    s = (N - fixed) / scalable if scalable else 0.0
    counts = {}
    for T in tenants:
        c = {}
        for k, n in nat[T.id].items():
            c[k] = pinned[(T.id, k)] if (T.id, k) in pinned else int(n * s + 0.5)
        counts[T.id] = c
    diff = N - fixed - sum(n for tid, c in counts.items() for k, n in c.items() if (tid, k) not in pinned)
    # absorb the rounding difference in the largest api streams
    order = sorted(tenants, key=lambda T: -counts[T.id]["api"])
    i = 0
    while diff != 0:
        c = counts[order[i % len(order)].id]
        if diff > 0:
            c["api"] += diff
            diff = 0
        else:
            take = min(c["api"], -diff)
            c["api"] -= take
            diff += take
            i += 1
            if i > 10 * len(order):
                die("cannot fit --events %d" % N)
    for T in tenants:
        c = counts[T.id]
        T.counts = c
        T.api_units_month = int(T.prof.get("api", 0) * (T.last_day - T.first_day + 1) * max(1.0, s) + 0.5)
        T.hourly = {k: alloc(n, T.weights) for k, n in c.items() if n}
        T.api_units_h = alloc(max(T.api_units_month, c.get("api", 0)), T.weights)
        T.api_carry = 0
        T.llm_mean = (T.prof["llm"][1] / T.prof["llm"][0]) if T.prof.get("llm") else 0
        ops = [(k[3:], n) for k, n in c.items() if k.startswith("ai:") and n]
        T.ai_ops = ops
        st = T.prof.get("storage")
        T.storage_value = {}
        if st:
            a, b = st
            span = max(1, T.last_day - T.first_day)
            for d in T.storage_days:
                v = a + (b - a) * (d - T.first_day) / span
                T.storage_value[d] = v
    return N, s


class Gen:
    def __init__(self, args, cat, tenants, start, ndays, H):
        self.args = args
        self.rng = random.Random(args.seed * 1000003 + 17)
        # the per-model tenants' own stream (see PROFILES)
        self.model_rng = random.Random(args.seed * 1000003 + 29)
        self.tenants = tenants
        self.start = start
        self.ndays = ndays
        self.H = H
        self.seq = 0
        # ids differ between runs with a different seed, month, format or size
        salt_src = "%d:%s:%s:%d" % (args.seed, args.month, args.format, args.n_total)
        self.salt = int(hashlib.sha256(salt_src.encode()).hexdigest()[:10], 16)
        self.yymm = "%02d%02d" % (args.year % 100, args.mon)
        self.start_unix = int(start.timestamp())
        self.model_cw = []
        acc = 0
        for _, wgt in LLM_MODELS:
            acc += wgt
            self.model_cw.append(acc)

    def new_id(self, prefix="evt_"):
        x = ((self.seq + self.salt) * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFF
        self.seq += 1
        return "%s%s%010x" % (prefix, self.yymm, x)

    def pick_user(self, T, rng=None):
        r = (rng or self.rng).random() * T.user_cw[-1]
        return T.users[bisect.bisect_left(T.user_cw, r)]

    def latency(self, median, rng=None):
        return max(1, int((rng or self.rng).lognormvariate(math.log(median), 0.45)))

    @staticmethod
    def pick(rng, pairs):
        r = rng.random() * sum(w for _, w in pairs)
        for value, w in pairs:
            r -= w
            if r < 0:
                return value
        return pairs[-1][0]

    def model_events(self, T, h):
        """The LLM completions of a per-model tenant in hour h (its own stream)."""
        rng, evs = self.model_rng, []
        for _ in range(T.hourly["llm"][h] if "llm" in T.hourly else 0):
            tokens = max(12, int(T.llm_mean * rng.lognormvariate(-0.18, 0.6)))
            st = "error" if rng.random() < 0.015 else "success"
            props = {"tokens": tokens, "model": self.pick(rng, T.prof["models"])}
            project = self.pick(rng, T.prof["projects"])
            if project:
                props["project"] = project
            cost = (LLM_PRICE_PER_TOKEN * tokens) if st == "success" else Decimal(0)
            evs.append({"tenant": T.id, "metric": "llm_completion", "quantity": 1,
                        "user": self.pick_user(T, rng), "status": st,
                        "latency_ms": self.latency(1400, rng), "cost": str(cost.normalize()) if cost else "0",
                        "properties": props})
        return evs

    def status(self, p_fail, p_err):
        r = self.rng.random()
        if r < p_fail:
            return "failed"
        if r < p_fail + p_err:
            return "error"
        return "success"

    def hour_events(self, h):
        """All good events of hour h as (second, ordinal, event-dict), sorted."""
        rng = self.rng
        evs = []
        day = h // 24
        model_evs = []
        for T in self.tenants:
            if "models" in T.prof:
                model_evs += self.model_events(T, h)
                continue
            hr = T.hourly
            # api_calls: units of the hour spread over its events
            n = hr["api"][h] if "api" in hr else 0
            T.api_carry += T.api_units_h[h]
            if n:
                extra = T.api_carry - n
                if extra >= 0:
                    ws = [rng.random() + 0.2 for _ in range(n)]
                    qs = alloc(extra, ws)
                    T.api_carry = 0
                else:
                    qs = [0] * n
                    T.api_carry = extra
                for q in qs:
                    evs.append({"tenant": T.id, "metric": "api_calls", "quantity": 1 + q,
                                "user": self.pick_user(T),
                                "status": "error" if rng.random() < 0.01 else "success",
                                "latency_ms": self.latency(110)})
            for op, _ in T.ai_ops:
                n = hr["ai:" + op][h]
                for _ in range(n):
                    st = self.status(0.03, 0.01)
                    evs.append({"tenant": T.id, "metric": "ai_requests", "quantity": 1,
                                "user": self.pick_user(T), "operation": op, "status": st,
                                "latency_ms": self.latency(AI_LATENCY[op]),
                                "cost": AI_COST[op] if st == "success" else "0"})
            if "opstart" in hr:
                for _ in range(hr["opstart"][h]):
                    op = rng.choice(T.ai_ops)[0] if T.ai_ops else "email_analysis"
                    evs.append({"tenant": T.id, "metric": "operation_start", "quantity": 1,
                                "user": self.pick_user(T), "operation": op, "status": "started"})
            if "llm" in hr:
                for _ in range(hr["llm"][h]):
                    tokens = max(12, int(T.llm_mean * rng.lognormvariate(-0.18, 0.6)))
                    st = "error" if rng.random() < 0.015 else "success"
                    r = rng.random() * self.model_cw[-1]
                    model = LLM_MODELS[bisect.bisect_left(self.model_cw, r)][0]
                    cost = (LLM_PRICE_PER_TOKEN * tokens) if st == "success" else Decimal(0)
                    evs.append({"tenant": T.id, "metric": "llm_completion", "quantity": 1,
                                "user": self.pick_user(T), "status": st,
                                "latency_ms": self.latency(1400), "cost": str(cost.normalize()) if cost else "0",
                                "properties": {"tokens": tokens, "model": model}})
        secs = [rng.randrange(3600) for _ in evs] + [self.model_rng.randrange(3600) for _ in model_evs]
        evs += model_evs
        out = list(zip(secs, range(len(evs)), evs))
        # daily storage snapshots, early in the day
        for T in self.tenants:
            if day in T.storage_value and T.snap_hour[day] == h:
                v = T.storage_value[day] + rng.uniform(-0.4, 0.4)
                if day == T.storage_days[-1]:
                    v = T.storage_value[day]
                out.append((rng.randrange(60, 600), len(out),
                            {"tenant": T.id, "metric": "storage_gb", "quantity": round(v, 2)}))
        out.sort()
        base = self.start + dt.timedelta(hours=h)
        prefix = base.strftime("%Y-%m-%dT%H:")
        unix0 = self.start_unix + h * 3600
        for sec, _, e in out:
            e["timestamp"] = "%s%02d:%02dZ" % (prefix, sec // 60, sec % 60)
            e["_unix"] = unix0 + sec
        return out


# ---------------------------------------------------------------- serializers

def dumps(o):
    return json.dumps(o, separators=(",", ":"))


def native_obj(e, with_id=True):
    o = {}
    if with_id and "id" in e:
        o["id"] = e["id"]
    for k in ("tenant", "metric", "quantity", "timestamp", "user", "operation", "status",
              "latency_ms", "cost", "properties"):
        if k in e:
            o[k] = e[k]
    return o


def ce_obj(e):
    o = {"specversion": "1.0", "id": e.get("id", ""), "source": CE_SOURCES.get(e.get("metric"), "/services/other")}
    if "metric" in e:
        o["type"] = e["metric"]
    if "tenant" in e:
        o["subject"] = e["tenant"]
    if "timestamp" in e:
        o["time"] = e["timestamp"]
    o["datacontenttype"] = "application/json"
    data = {}
    for k in ("quantity", "user", "operation", "status", "latency_ms", "cost"):
        if k in e:
            data[k] = e[k]
    for k, v in (e.get("properties") or {}).items():
        data[k] = v
    o["data"] = data
    return o


def lago_obj(e, use_subscription=False):
    o = {"transaction_id": e.get("id", "")}
    if "tenant" in e:
        o["external_subscription_id" if use_subscription else "external_customer_id"] = e["tenant"]
    if "metric" in e:
        o["code"] = e["metric"]
    if "_lago_ts" in e:
        o["timestamp"] = e["_lago_ts"]
    elif "_unix" in e:
        o["timestamp"] = e["_unix"]
    props = {}
    q = e.get("quantity", 1)
    if q != 1 or "_force_q" in e:
        props["quantity"] = q
    for k in ("user", "operation", "status", "latency_ms", "cost"):
        if k in e:
            props[k] = e[k]
    for k, v in (e.get("properties") or {}).items():
        props[k] = v
    o["properties"] = props
    return o


def csv_row(e, region, with_id=True):
    props = e.get("properties") or {}
    vals = []
    for c in CSV_COLUMNS:
        if c == "id":
            v = e.get("id", "") if with_id else ""
        elif c == "tokens":
            v = props.get("tokens", "")
        elif c == "region":
            v = region
        else:
            v = e.get(c, "")
        vals.append(str(v))
    return ",".join(vals)


# ---------------------------------------------------------------- meters (for --expected)

class Meters:
    def __init__(self, cat):
        self.meters = []
        for m in cat.get("meters") or []:
            self.meters.append((m["key"], m.get("event", m["key"]), m.get("where") or {},
                                m.get("aggregation", "sum"), m.get("value", "quantity")))
        self.known_metrics = {m[1] for m in self.meters}
        self.by_metric = {}
        for m in self.meters:
            self.by_metric.setdefault(m[1], []).append(m)
        self.tot = {}
        self.daily = {}

    @staticmethod
    def field(ev, path):
        if path.startswith("properties."):
            v = (ev.get("properties") or {}).get(path[11:])
        elif path == "quantity":
            v = ev.get("quantity", 1)
        else:
            v = ev.get(path)
        return v

    def add(self, ev):
        for key, _, where, agg, value in self.by_metric.get(ev["metric"], ()):
            if any(str(self.field(ev, k)) != str(v) for k, v in where.items()):
                continue
            t = self.tot.setdefault(ev["tenant"], {})
            day = ev["timestamp"][:10]
            dd = self.daily.setdefault(ev["tenant"], {}).setdefault(key, {})
            if agg == "count":
                t[key] = t.get(key, 0) + 1
                dd[day] = dd.get(day, 0) + 1
            elif agg == "unique_count":
                v = self.field(ev, value)
                if v is not None:
                    t.setdefault(key, set()).add(str(v))
                    dd.setdefault(day, set()).add(str(v))
            else:
                v = self.field(ev, value)
                if v is None:
                    continue
                v = Decimal(str(v))
                if agg == "sum":
                    t[key] = t.get(key, 0) + v
                    dd[day] = dd.get(day, 0) + v
                elif agg == "max":
                    t[key] = max(t.get(key, v), v)
                    dd[day] = max(dd.get(day, v), v)
                elif agg == "latest":
                    t[key] = v
                    dd[day] = v

    @staticmethod
    def num(v):
        if isinstance(v, set):
            return len(v)
        if isinstance(v, Decimal):
            return int(v) if v == v.to_integral_value() else float(v)
        return v


# ---------------------------------------------------------------- main writer

class Writer:
    def __init__(self, args, gen, cat, out):
        self.a = args
        self.g = gen
        self.out = out
        self.rng = random.Random(args.seed * 7919 + 3)
        self.line = 0
        self.good = 0
        self.dups = 0
        self.no_id = 0
        self.bad = []
        self.ring = []
        self.ring_pos = 0
        self.tenant_ids = [T.id for T in gen.tenants]
        self.catalog_tenants = {t["id"] for t in cat.get("tenants") or []}
        self.meters = Meters(cat) if args.expected else None
        self.known_metrics = {m.get("event", m["key"]) for m in cat.get("meters") or []}
        self.buf = []
        if args.format == "csv":
            self.write_line(",".join(CSV_COLUMNS))

    def write_line(self, s):
        self.line += 1
        self.buf.append(s)
        if len(self.buf) >= 4096:
            self.flush()

    def flush(self):
        if self.buf:
            self.out.write("\n".join(self.buf))
            self.out.write("\n")
            self.buf = []

    def fmt_good(self, e, fmt, with_id):
        if fmt == "ndjson":
            return dumps(native_obj(e, with_id))
        if fmt == "cloudevents":
            return dumps(ce_obj(e))
        if fmt == "lago":
            return dumps(lago_obj(e, use_subscription=self.rng.random() < 0.1))
        return csv_row(e, REGIONS[self.rng.randrange(len(REGIONS))], with_id)

    def pick_fmt(self):
        f = self.a.format
        if f != "mixed":
            return f
        r = self.rng.random()
        return "ndjson" if r < 0.6 else ("cloudevents" if r < 0.8 else "lago")

    def emit(self, e):
        a = self.a
        while True:
            L = self.line + 1
            if a.bad_every and L % a.bad_every == 0:
                self.emit_bad(L)
                continue
            if a.dup_every and L % a.dup_every == 0 and self.ring:
                self.write_line(self.ring[self.rng.randrange(len(self.ring))])
                self.dups += 1
                continue
            break
        self.good += 1
        with_id = True
        fmt = self.pick_fmt()
        if a.no_id_every and self.good % a.no_id_every == 0 and fmt in ("ndjson", "csv"):
            with_id = False
            self.no_id += 1
        prefix = {"lago": "txn_", "cloudevents": "ce_"}.get(fmt, "evt_")
        e["id"] = self.g.new_id(prefix)
        s = self.fmt_good(e, fmt, with_id)
        self.write_line(s)
        if a.dup_every:
            if len(self.ring) < 2000:
                self.ring.append(s)
            else:
                self.ring[self.ring_pos] = s
                self.ring_pos = (self.ring_pos + 1) % 2000
        if self.meters:
            self.meters.add(e)

    # ---- bad records
    def bad_event(self):
        """A plausible event (known tenant, api_calls) to be corrupted."""
        rng = self.rng
        tid = self.tenant_ids[rng.randrange(len(self.tenant_ids))]
        day = rng.randrange(self.g.ndays)
        sec = rng.randrange(86400)
        t = self.g.start + dt.timedelta(days=day, seconds=sec)
        e = {"id": self.g.new_id("bad_"), "tenant": tid, "metric": "api_calls",
             "quantity": rng.randint(1, 40), "timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "_unix": int(t.timestamp()), "user": "user_%03d" % rng.randint(1, 5),
             "status": "success", "latency_ms": rng.randint(40, 400)}
        return e

    def emit_bad(self, L):
        rng = self.rng
        fmt = self.pick_fmt()
        kinds = BAD_KINDS_CSV if fmt == "csv" else BAD_KINDS_JSON
        kind = kinds[(len(self.bad) + rng.randrange(3)) % len(kinds)] if rng.random() < 0.3 \
            else kinds[len(self.bad) % len(kinds)]
        if kind == "missing_timestamp" and fmt in ("cloudevents", "lago"):
            kind = "invalid_timestamp"  # both formats let a sender omit the time
        e = self.bad_event()
        ser = None
        if kind == "unknown_tenant":
            cand = rng.choice((e["tenant"] + "2", e["tenant"] + "-old", "acme-corp", "unknown_tenant"))
            while cand in self.catalog_tenants:
                cand += "x"
            e["tenant"] = cand
        elif kind == "unknown_metric":
            cand = rng.choice(("api_call", "ai_request", "llm_tokens_used", "storage", "emails_sent"))
            while cand in self.known_metrics:
                cand += "_x"
            e["metric"] = cand
        elif kind == "negative_quantity":
            e["quantity"] = -rng.randint(1, 50)
            e["_force_q"] = True
        elif kind == "invalid_timestamp":
            bad = rng.choice(("2026-13-01T10:00:00Z", "2026-02-30T08:15:00Z", "2026-02-10T25:61:00Z",
                              "not-a-time", "2026-00-10T12:00:00Z"))
            e["timestamp"] = bad
            e["_lago_ts"] = bad
        elif kind == "future_timestamp":
            year = rng.choice((2031, 2040, 2099))
            t = dt.datetime(year, rng.randint(1, 12), rng.randint(1, 28), rng.randrange(24), 0, 0, tzinfo=UTC)
            e["timestamp"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
            e["_lago_ts"] = int(t.timestamp())
        elif kind == "missing_tenant":
            del e["tenant"]
        elif kind == "missing_metric":
            del e["metric"]
        elif kind == "missing_timestamp":
            del e["timestamp"]
            e.pop("_unix")
        elif kind == "quantity_not_a_number":
            e["quantity"] = rng.choice(("lots", "abc", [3], {"value": 1})) if fmt != "csv" \
                else rng.choice(("lots", "abc", "1..2", "ten"))
            e["_force_q"] = True
        elif kind == "tenant_not_a_string":
            e["tenant"] = rng.choice((42, True, ["acme"]))
        elif kind == "not_an_object":
            ser = rng.choice(("[1,2,3]", '"api_calls"', "null", "42", '["acme","api_calls",1]'))
        elif kind == "malformed_json":
            good = self.fmt_good(e, fmt, True)
            style = rng.randrange(3)
            if style == 0:
                ser = good[: rng.randint(10, len(good) - 2)]          # truncated
            elif style == 1:
                ser = good[:-1] + ",}"                                   # trailing comma
            else:
                ser = good.replace('"', "'")                              # single quotes
        elif kind == "wrong_field_count":
            row = csv_row(e, "us-east-1").split(",")
            ser = ",".join(row[: rng.randint(3, 7)] if rng.random() < 0.6 else row + ["extra", "fields"])
        if ser is None:
            if fmt == "csv":
                ser = csv_row(e, "us-east-1")
            elif fmt == "ndjson":
                ser = dumps(native_obj(e))
            elif fmt == "cloudevents":
                ser = dumps(ce_obj(e))
            else:
                ser = dumps(lago_obj(e))
        self.write_line(ser)
        self.bad.append((L, kind, fmt))


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    cat = load_catalog(args.catalog)
    rng = random.Random(args.seed)
    tenants, start, ndays, H = build_tenants(cat, args, rng)
    known = {m.get("event", m["key"]) for m in cat.get("meters") or []}
    for needed in ("api_calls", "ai_requests", "operation_start", "llm_completion", "storage_gb"):
        if needed not in known:
            sys.stderr.write("generate.py: warning: no meter selects metric '%s'; "
                             "its events will be rejected as unknown\n" % needed)
    N, s = plan_counts(tenants, args, ndays)
    args.n_total = N
    gen = Gen(args, cat, tenants, start, ndays, H)

    if args.out == "-":
        out = sys.stdout
        close = False
    else:
        out = open(args.out, "w", encoding="utf-8", newline="\n")
        close = True
    w = Writer(args, gen, cat, out)
    for h in range(H):
        for _, _, e in gen.hour_events(h):
            w.emit(e)
    w.flush()
    if close:
        out.close()

    physical = w.line
    records = physical - (1 if args.format == "csv" else 0)
    summary = {"lines": physical, "records": records, "good": w.good, "duplicates": w.dups,
               "rejected": len(w.bad), "no_id": w.no_id}
    if not args.quiet:
        sys.stderr.write("generate.py: wrote %d lines to %s (%s): %d good, %d duplicates, %d bad, %d without id\n"
                         % (physical, args.out, args.format, w.good, w.dups, len(w.bad), w.no_id))
    if args.expected:
        kinds = {}
        for _, k, _ in w.bad:
            kinds[k] = kinds.get(k, 0) + 1
        m = w.meters
        totals = {tid: {k: Meters.num(v) for k, v in sorted(d.items())} for tid, d in sorted(m.tot.items())}
        crossings = []
        plans = {p["key"]: p for p in cat.get("plans") or []}
        for t in cat.get("tenants") or []:
            if t["id"] not in m.tot:
                continue
            plan = plans.get(t.get("plan"), {})
            ovr = (t.get("overrides") or {}).get("limits") or {}
            for lim in plan.get("limits") or []:
                meter, limit = lim["meter"], lim.get("limit")
                if meter in ovr:
                    limit = ovr[meter]
                if limit is None or limit == -1:
                    continue
                if lim.get("period", "month") == "day":
                    days = m.daily.get(t["id"], {}).get(meter, {})
                    over = sorted(d for d, v in days.items() if Meters.num(v) > limit)
                    if over:
                        peak = max(Meters.num(v) for v in days.values())
                        crossings.append({"tenant": t["id"], "meter": meter, "period": "day", "limit": limit,
                                          "enforcement": lim.get("enforcement", "hard"),
                                          "days_over": len(over), "first_day_over": over[0], "peak": peak})
                else:
                    used = Meters.num(m.tot[t["id"]].get(meter, 0))
                    if used > limit:
                        crossings.append({"tenant": t["id"], "meter": meter, "period": "month", "limit": limit,
                                          "enforcement": lim.get("enforcement", "hard"), "used": used})
        doc = {
            "generator": {"month": args.month, "format": args.format, "seed": args.seed, "events": N,
                          "bad_every": args.bad_every, "dup_every": args.dup_every,
                          "no_id_every": args.no_id_every, "worked_example": args.worked_example},
            "summary": dict(summary, rejected_by_kind=dict(sorted(kinds.items()))),
            "note": "totals are per UTC calendar month over distinct good events, native field semantics",
            "totals": totals,
            "limit_crossings": crossings,
            "bad_lines": [{"line": L, "kind": k, "format": f} for L, k, f in w.bad],
        }
        with open(args.expected, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)

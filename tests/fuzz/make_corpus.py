#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into tests/fuzz/corpus/<target>/.

Seeds are small and realistic: lines of sample-data/, the SPEC's examples and
edge cases each parser treats specially. Deterministic: running it again
rewrites the same files (inputs the fuzzer found and were kept by hand live
in corpus/<target>/found-*; this script leaves those alone).
"""
import hashlib
import json
import pathlib
import shutil

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SAMPLE = ROOT / "sample-data"
CORPUS = HERE / "corpus"


def lines(path, want):
    """The lines of `path` at the given 0-based indexes (and every bad_ line)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i in want:
                out.append(line.rstrip("\n"))
    return out


def write(target, seeds):
    d = CORPUS / target
    if d.exists():
        for p in d.iterdir():
            if not p.name.startswith("found-"):
                p.unlink()
    d.mkdir(parents=True, exist_ok=True)
    for seed in seeds:
        data = seed.encode("utf-8") if isinstance(seed, str) else seed
        name = hashlib.sha1(data).hexdigest()[:16]
        (d / name).write_bytes(data)


SPEC_EVENT = ('{"id":"evt_123","tenant":"acme","metric":"api_calls","quantity":1,'
              '"timestamp":"2026-02-04T14:32:15Z","user":"user_123","operation":"email_analysis",'
              '"status":"success","latency_ms":245,"cost":"0.005","properties":{"tokens":150}}')

NATIVE_EDGES = [
    SPEC_EVENT,
    '{"tenant":"acme","metric":"api_calls","timestamp":"2026-02-04T14:32:15.123+05:30"}',
    '{"tenant":"acme","metric":"api_calls","timestamp":1770215535,"quantity":"12.5"}',
    '{"tenant":"acme","metric":"api_calls","timestamp":"1770215535123","quantity":1e3}',
    '{"tenant":"acme","metric":"llm_tokens","timestamp":"2026-02-04T14:32:15Z","quantity":0.000001}',
    '{"tenant":"acme","metric":"llm_tokens","timestamp":"2026-02-04T14:32:15Z","quantity":1.5E-3,"cost":1e-05}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z","quantity":-0}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z","quantity":0.0000001}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z","quantity":99999999999999}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-29T23:59:60Z","latency_ms":"12.000"}',
    '{"tenant":"a\\u00e9\\ud83d\\ude00","metric":"x\\n\\t","timestamp":"2024-02-29T00:00:00z","user":42}',
    '{"id":7,"tenant":"acme","metric":"x","timestamp":"2026-02-04 14:32:15-08:00","properties":{"a":[1,{"b":null}],"c":"\\\\"}}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z","properties":[1,2]}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z"} trailing',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z",}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z","quantity":01}',
    '[{"tenant":"acme"}]',
    '"just a string"',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z","properties":{"deep":[[[[[[[[[[[[1]]]]]]]]]]]}}',
    '{"tenant":"acme","metric":"x","timestamp":"2026-02-04T14:32:15Z","cost":"0.50","status":null,"user":true}',
]

CLOUD_EDGES = [
    '{"specversion":"1.0","id":"ce-1","source":"/svc/api","type":"api_calls","subject":"acme",'
    '"time":"2026-02-04T14:32:15Z","data":{"quantity":3,"user":"u1","region":"eu","cost":"0.01"}}',
    '{"specversion":"1.0","id":"ce-2","source":"/svc/api","type":"api_calls","subject":"acme","time":"2026-02-04T14:32:15Z"}',
    '{"specversion":"0.3","id":"ce-3","source":"s","type":"api_calls","subject":"acme","time":"2026-02-04T14:32:15Z"}',
    '{"specversion":"1.0","id":"ce-4","source":7,"type":"api_calls","subject":"acme","time":"2026-02-04T14:32:15Z","data":"x"}',
    '{"specversion":"1.0","id":"ce-5","source":"s","type":"api_calls","subject":"acme","time":"2026-02-04T14:32:15Z",'
    '"data":{"quantity":"2.5","latency_ms":10,"status":"failed","operation":"op","nested":{"k":[1,"v"]}}}',
    # data_base64 ({"quantity":3}), with and without a JSON datacontenttype; extension attributes
    '{"specversion":"1.0","id":"ce-6","source":"s","type":"api_calls","subject":"acme","time":"2026-02-04T14:32:15Z",'
    '"data_base64":"eyJxdWFudGl0eSI6M30=","region":"eu","priority":2,"sampled":true,"traceparent":null}',
    '{"specversion":"1.0","id":"ce-7","source":"s","type":"api_calls","subject":"acme","time":"2026-02-04T14:32:15Z",'
    '"datacontenttype":"application/cloudevents+json; charset=utf-8","data_base64":"eyJxdWFudGl0eSI6M30="}',
    '{"specversion":"1.0","id":"ce-8","source":"s","type":"api_calls","subject":"acme","time":"2026-02-04T14:32:15Z",'
    '"datacontenttype":"text/plain","data_base64":"aGVsbG8=","dataschema":"https://x/y"}',
]

LAGO_EDGES = [
    '{"transaction_id":"txn_1","external_customer_id":"acme","code":"api_calls","timestamp":1770215535,'
    '"properties":{"quantity":5,"user":"u1","tokens":150}}',
    '{"transaction_id":"txn_2","external_subscription_id":"acme","code":"api_calls","timestamp":"1770215535"}',
    '{"transaction_id":"txn_3","external_customer_id":"acme","code":"api_calls","timestamp":1770215535.5}',
    '{"transaction_id":"txn_4","external_customer_id":"acme","code":"api_calls","timestamp":1770215535,"properties":[]}',
    '{"code":"api_calls","external_customer_id":"acme","timestamp":"2026-02-04T14:32:15Z","properties":{"quantity":"1e2","cost":"0.1"}}',
    # Lago's envelopes and fractional timestamps
    '{"event":{"transaction_id":"txn_5","external_subscription_id":"acme","code":"api_calls","timestamp":"1770215535.123"}}',
    '{"events":[{"transaction_id":"txn_6","external_customer_id":"acme","code":"api_calls","timestamp":1770215535.25,'
    '"properties":{"quantity":2}},{"transaction_id":"txn_7"},7,{"events":[]}]}',
]

CSV_FILES = [
    "id,tenant,metric,quantity,timestamp,user,operation,status,latency_ms,cost,tokens,region\n"
    "evt_1,acme,api_calls,3,2026-02-04T14:32:15Z,u1,email_analysis,success,245,0.005,150,us-east-1\n"
    "evt_2,acme,storage_gb,91.89,2026-02-01T00:07:37Z,,,,,,,us-east-1\n",
    'tenant,metric,timestamp,properties\r\nacme,api_calls,1770215535,"{""a"":1,""b"":[true]}"\r\n',
    'tenant,metric,timestamp,properties.tokens,note\nacme,api_calls,2026-02-04T14:32:15Z,12,"hello, ""world"""\n'
    'acme,api_calls,2026-02-04T14:32:15Z,,x\n',
    "\ufefftenant,metric,timestamp\n# a comment\nacme,api_calls,2026-02-04T14:32:15Z\n\nacme,api_calls\n",
    'tenant,metric,timestamp\nacme,"api_calls,2026-02-04T14:32:15Z\nacme,api"x,1\n"acme"x,b,c\n',
    "tenant,metric,timestamp,quantity,cost\nacme,api_calls,2026-02-04T14:32:15Z,-1,abc\n"
    "acme,api_calls,2026-02-04T14:32:15Z,1e3,1.50\nacme,api_calls,2026-02-04T14:32:15Z,0.0000001,01\n",
    "tenant,metric,timestamp,properties,tokens\nacme,x,2026-02-04T14:32:15Z,\"{\"\"tokens\"\":1,\"\"z\"\":2}\",5\n",
]


def native_seeds():
    picks = lines(SAMPLE / "usage-2026-02.ndjson", {0, 1, 2, 3, 40, 249, 499, 749, 999, 1249, 1499})
    rejects = [l for l in open(SAMPLE / "usage-2026-02.ndjson.rejects", encoding="utf-8")
               if not l.startswith("#")][:12]
    seeds = picks + [r.rstrip("\n") for r in rejects] + NATIVE_EDGES
    seeds.append("\n".join(picks[:4]) + "\n# comment\n\n   " + SPEC_EVENT + "   \r\n")
    seeds.append("\ufeff" + SPEC_EVENT)
    return seeds


def cloud_seeds():
    return lines(SAMPLE / "usage-cloudevents.ndjson", {0, 5, 50, 120, 200}) + CLOUD_EDGES


def lago_seeds():
    return lines(SAMPLE / "usage-lago.ndjson", {0, 5, 50, 120, 200}) + LAGO_EDGES


def csv_seeds():
    head = lines(SAMPLE / "usage.csv", set(range(0, 6)) | {40, 80})
    return ["\n".join(head) + "\n"] + CSV_FILES


def catalog_seeds():
    full = (SAMPLE / "catalog.json").read_text(encoding="utf-8")
    seeds = [full]
    spec = json.loads(json.dumps({
        "currency": "USD", "tax": {"name": "VAT", "rate": "0.10"},
        "invoice": {"number_prefix": "INV-", "net_days": 14},
        "meters": [
            {"key": "api_calls"},
            {"key": "llm_tokens", "aggregation": "sum", "value": "properties.tokens"},
            {"key": "email_analysis", "event": "operation", "where": {"operation": "email_analysis"},
             "aggregation": "count"},
            {"key": "active_users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
            {"key": "storage_gb", "aggregation": "max"}],
        "plans": [{
            "key": "pro", "name": "Pro", "base_price": "99.00", "interval": "month",
            "charges": [
                {"meter": "api_calls", "model": "per_unit", "included": 100000, "unit_price": "0.001"},
                {"meter": "llm_tokens", "model": "package", "included": 1000000, "package_size": 1000,
                 "package_price": "0.01"},
                {"meter": "storage_gb", "model": "graduated", "tiers": [
                    {"up_to": 100, "unit_price": "0"}, {"up_to": None, "unit_price": "0.50"}]},
                {"meter": "active_users", "model": "volume", "tiers": [
                    {"up_to": 25, "unit_price": "0", "flat_price": "0"}, {"up_to": None, "unit_price": "5.00"}]}],
            "limits": [
                {"meter": "api_calls", "limit": 10000, "period": "day", "enforcement": "hard"},
                {"meter": "llm_tokens", "limit": 1000000, "period": "month", "enforcement": "soft"},
                {"meter": "active_users", "limit": None}],
            "features": {"api_access": True, "advanced_analytics": False},
            "alert_thresholds": [80, 100, 120],
            "rate_limit": {"capacity": 100, "refill": 100, "per": "1m"}}],
        "tenants": [{"id": "acme", "name": "Acme Inc", "plan": "pro", "email": "billing@acme.test",
                     "overrides": {"limits": {"api_calls": 20000}, "tax_rate": "0.00"}}],
        "webhooks": [{"url": "http://127.0.0.1:8787/hooks", "events": ["invoice.*", "usage.threshold_reached"],
                      "tenant": None, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]}))
    seeds.append(json.dumps(spec, indent=1))
    seeds.append("// comments are allowed\n{ /* block */ \"currency\": \"JPY\", \"meters\": [{\"key\": \"m\"}],"
                 " \"plans\": [{\"key\": \"free\", \"overage\": false, \"base_price\": 0,"
                 " \"charges\": [{\"meter\": \"m\", \"unit_price\": 1.5e-3, \"included\": 10}],"
                 " \"limits\": [{\"meter\": \"m\", \"limit\": -1}]}],"
                 " \"tenants\": [{\"id\": \"t-1\", \"plan\": \"free\", \"timezone\": \"Europe/Berlin\"},"
                 " {\"id\": \"t.2\", \"plan\": \"free\", \"timezone\": \"+05:30\","
                 " \"overrides\": {\"limits\": {\"m\": null}}}]}")
    seeds.append('{"meters":[{"key":"m","aggregation":"latest","unit":"GB","name":"Storage"}],'
                 '"plans":[{"key":"p","rate_limit":{"capacity":"2.5","per":"250ms"},'
                 '"charges":[{"meter":"m","model":"volume","tiers":[{"up_to":"0.5","unit_price":"1"},'
                 '{"up_to":null,"unit_price":"0.000000001","flat_price":"3"}]}]}]}')
    seeds.append('{"meters":[{"key":"m"}],"plans":[{"key":"p","charges":[{"meter":"m","model":"package",'
                 '"package_size":0,"package_price":"1"}]}]}')
    seeds.append('{"meters":[{"key":"m","where":{"properties.model":"gpt","status":1,"ok":true}}],'
                 '"plans":[{"key":"p","rate_limit":{"capacity":1,"refill":1,"per":"1d"}}],'
                 '"webhooks":[{"url":"https://example.test/h","tenant":"acme"}]}')
    seeds.append('{"currency":"usd"}')
    seeds.append('{"tax":{"rate":-1}}')
    seeds.append('{"invoice":{"net_days":14.5}}')
    seeds.append('{"plans":[{"key":"p","alert_thresholds":[50,1e2,-3]}]}')
    seeds.append("[]")
    seeds.append('{"meters":[{"key":"bad key!"}]}')
    return seeds


def decimal_seeds():
    return ["0", "-0", "+3", "007", "12", "-0.5", "0.000001", "0.00001", "99.00", "24.75", "0.005",
            "-0.005", "1e3", "1.5E-3", "1e-05", "2.5e+2", "123456789012345678901234567890",
            "170141183460469231731.687303715884105727", "-170141183460469231731.687303715884105727",
            "0.000000000000000001", "0.0000000000000000001", "1,000", ".5", "5.", "NaN", " 1", "1 ",
            "0.999999999999999999", "9.995", "1e36", "1e-36", "0.1234567", "12345678901234567890",
            "3.14159265358979", "0.30000000000000004", "1e", "--1", "+-1", "4.0000000"]


def main():
    write("fuzz_event_ndjson", native_seeds())
    write("fuzz_event_cloudevents", cloud_seeds())
    write("fuzz_event_lago", lago_seeds())
    write("fuzz_event_auto", native_seeds()[:10] + cloud_seeds()[:5] + lago_seeds()[:5] + csv_seeds()[:4])
    write("fuzz_event_csv", csv_seeds())
    write("fuzz_catalog", catalog_seeds())
    write("fuzz_decimal", decimal_seeds())
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"corpus: {sum(1 for p in CORPUS.rglob('*') if p.is_file())} files, {total} bytes")


if __name__ == "__main__":
    main()

"""Helpers for the black-box acceptance tests (tests/e2e/test_spec_*.py).

Those tests are written from ../shared/SPEC.md alone, with catalogs and
numbers of their own (not the spec's examples only), and check only what the
SPEC promises: exit codes, one-line `meter: ...` errors, JSON field names and
exact figures. Everything here is small and shared by several sections.
"""
import copy
import json
from decimal import Decimal


def D(value):
    """An exact Decimal from a JSON money string or number (never via float)."""
    if isinstance(value, float):
        raise AssertionError(f"money/quantity {value!r} reached Python as a float")
    return Decimal(str(value))


def loads_exact(text):
    """json.loads keeping every JSON number exact (Decimal), so a test can
    tell 1000000000.123456 from a value that passed through a double."""
    return json.loads(text, parse_float=Decimal, parse_int=Decimal)


def assert_one_line_error(r, code, *fragments):
    """SPEC 1: every non-zero exit prints one clear `meter: ...` line on stderr."""
    assert r.code == code, r
    lines = [line for line in r.err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one stderr line, got {lines!r}"
    assert lines[0].startswith("meter: "), lines
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), (fragment, lines[0])
    return lines[0]


def ev(i, tenant, metric, ts, quantity=None, **kw):
    """One native NDJSON record with a stable id."""
    e = {"id": f"a{i}", "tenant": tenant, "metric": metric, "timestamp": ts}
    if quantity is not None:
        e["quantity"] = quantity
    e.update(kw)
    return e


# A catalog of our own: a small SaaS selling "widgets", "gigabytes" and "seats".
# Plans are listed cheapest first (SPEC 5: "the next plan up").
def shop_catalog():
    return copy.deepcopy({
        "currency": "USD",
        "tax": {"name": "GST", "rate": "0.15"},
        "invoice": {"number_prefix": "WID-", "net_days": 30},
        "meters": [
            {"key": "widgets", "name": "Widgets built", "unit": "widgets"},
            {"key": "gigabytes", "aggregation": "max", "unit": "GB"},
            {"key": "seats", "event": "login", "aggregation": "unique_count", "value": "user"},
            {"key": "exports", "event": "job", "where": {"operation": "export"}, "aggregation": "count"},
            {"key": "pages", "event": "job", "value": "properties.pages"},
            {"key": "temperature", "aggregation": "latest"},
        ],
        "plans": [
            {"key": "starter", "name": "Starter", "base_price": "9.00",
             "charges": [{"meter": "widgets", "model": "per_unit", "included": 100, "unit_price": "0.05"}],
             "limits": [{"meter": "widgets", "limit": 500, "period": "day", "enforcement": "hard"},
                        {"meter": "pages", "limit": 1000, "period": "month", "enforcement": "soft"},
                        {"meter": "exports", "limit": 3, "period": "day", "enforcement": "hard"}],
             "features": {"sso": False, "export_csv": True},
             "alert_thresholds": [50, 90],
             "rate_limit": {"capacity": 5, "refill": 5, "per": "10s"}},
            {"key": "growth", "name": "Growth", "base_price": "49.00",
             "charges": [{"meter": "widgets", "model": "per_unit", "included": 1000, "unit_price": "0.04"}],
             "limits": [{"meter": "widgets", "limit": 400, "period": "day", "enforcement": "hard"},
                        {"meter": "exports", "limit": 10, "period": "day", "enforcement": "hard"}],
             "features": {"sso": True}},
            {"key": "scale", "name": "Scale", "base_price": "199.00",
             "charges": [{"meter": "widgets", "model": "per_unit", "included": 10000, "unit_price": "0.02"}],
             "limits": [{"meter": "widgets", "limit": 5000, "period": "day", "enforcement": "hard"},
                        {"meter": "exports", "limit": None}],
             "features": {"sso": True}},
        ],
        "tenants": [
            {"id": "kite", "name": "Kite Ltd", "plan": "starter", "email": "ap@kite.test"},
            {"id": "lynx", "name": "Lynx GmbH", "plan": "growth"},
        ],
    })


def invoice_list(meter, *args):
    """`invoice list --json` as a list of invoice documents."""
    r = meter("invoice", "list", *args, json=True)
    assert r.code == 0, r
    doc = loads_exact(r.out)
    return doc if isinstance(doc, list) else doc["invoices"]


def generate(meter, period, tenant, *extra):
    """Generates `period` for `tenant` and returns its invoice (`invoice show --json`)."""
    r = meter("invoice", "generate", "--period", period, "--tenant", tenant, *extra)
    assert r.code == 0, r
    found = [i for i in invoice_list(meter, "--tenant", tenant, "--period", period)
             if i["status"] != "void"]
    assert len(found) == 1, found
    return show(meter, found[0]["number"] or found[0]["id"])


def show(meter, invoice_id):
    r = meter("invoice", "show", invoice_id, json=True)
    assert r.code == 0, r
    return loads_exact(r.out)


def lines_by_meter(invoice):
    """{meter key: [line, ...]} of an invoice's usage lines."""
    out = {}
    for line in invoice["lines"]:
        if line.get("meter"):
            out.setdefault(line["meter"], []).append(line)
    return out


def line_amount(invoice, meter_key):
    lines = lines_by_meter(invoice).get(meter_key, [])
    assert len(lines) == 1, (meter_key, invoice["lines"])
    return D(lines[0]["amount"])


def json_rows(text):
    """The records of a listing's --json output, whichever of the SPEC's forms it
    takes: a JSON array, an object holding one array, or NDJSON."""
    text = text.strip()
    try:
        doc = loads_exact(text)
    except ValueError:
        return [loads_exact(line) for line in text.splitlines() if line.strip()]
    if isinstance(doc, list):
        return doc
    lists = [v for v in doc.values() if isinstance(v, list)]
    assert len(lists) == 1, doc
    return lists[0]

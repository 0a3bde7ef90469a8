"""Names people read (issue 17, item 3; SPEC section 2): a meter's `name`, with
its `unit` where a quantity is printed, in every table and page a person reads;
JSON keeps the key. The sample catalog gives every meter a name and unit and
names the seller, so the demo's invoice is one a business could send."""
from conftest import SAMPLE_DIR


def test_sample_catalog_names_every_meter_and_the_seller(sample_catalog):
    for m in sample_catalog["meters"]:
        assert m.get("name") and m["name"] != m["key"], m
        assert m.get("unit"), m
    assert sample_catalog["invoice"]["seller_name"]
    assert sample_catalog["invoice"]["seller_address"]


def test_sample_html_invoice_names_the_seller_and_the_meters(meter, sample_catalog):
    meter.init(sample_catalog)
    r = meter("ingest", SAMPLE_DIR / "usage-2026-02.ndjson", "--rejects", meter.dir / "rejects.txt")
    assert r.code == 65, r  # the sample carries deliberately bad records
    assert meter("invoice", "generate", "--period", "2026-02", "--tenant", "umbrella", now="2026-03-02T00:00:00Z").code == 0
    inv = meter("invoice", "list", "--tenant", "umbrella", json=True).json["invoices"][0]
    html = meter("invoice", "show", inv["id"], "--format", "html").out
    assert sample_catalog["invoice"]["seller_name"] in html
    assert sample_catalog["invoice"]["seller_address"] in html
    assert "Email analysis" in html and "Text to speech" in html


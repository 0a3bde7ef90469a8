"""A database written by the previous schema (version 1: invoices stored as
their CLI JSON document) opens with this meter, migrates its invoices to
typed rows, and renders every invoice byte for byte as the meter that wrote
it did (fixtures/invoices_v1, made by make_fixture.py with commit 68070e7).
The one difference is what SPEC 11 added to `--json` after that meter: the
invoice keys in SPEC11_KEYS, which a migrated invoice carries with the values
of an invoice without coupons, credits or credit notes, SPEC 10's
`filter` and `group` on every line (null: these lines are not sliced), and
the HTML page's style sheet, whose print rules were made compact later (a
dozen models by a few projects print on one page): the page's content is
compared byte for byte, its <style> block is not."""
import json
import re
import shutil
import sqlite3

import pytest

from conftest import SOURCE_DIR

FIXTURE = SOURCE_DIR / "tests" / "e2e" / "fixtures" / "invoices_v1"
RENDERS = sorted((FIXTURE / "renders").iterdir())
SPEC11_KEYS = ("discounts", "discounted_subtotal", "credits_applied", "credit_notes", "amount_due")


def open_fixture(meter, name="meter.db"):
    shutil.copy(FIXTURE / name, meter.db)
    meter.now = "2026-03-02T09:00:00Z"
    r = meter("init")  # opening an older file migrates it forward
    assert r.code == 0, r


def args_for(render):
    invoice, kind = render.stem, render.suffix[1:]
    if invoice == "list":
        return ["invoice", "list"] + (["--json"] if kind == "json" else [])
    if kind == "explain":
        return ["invoice", "show", invoice, "--explain"]
    return ["invoice", "show", invoice, "--format", kind]


@pytest.mark.parametrize("render", RENDERS, ids=[r.name for r in RENDERS])
def test_version1_invoices_render_byte_identically(meter, render):
    open_fixture(meter)
    r = meter(*args_for(render))
    assert r.code == 0, r
    if render.suffix == ".html":
        style = re.compile(r"<style>.*?</style>", re.S)
        assert "@media print" in style.search(r.out).group(0)
        assert style.sub("<style/>", r.out) == style.sub("<style/>", render.read_text())
        return
    if render.suffix != ".json":
        assert r.out == render.read_text()
        return
    got, want = json.loads(r.out), json.loads(render.read_text())
    for inv in got["invoices"] if "invoices" in got else [got]:
        due = "0.00" if inv["status"] == "paid" else inv["total"]
        assert [inv.pop(k) for k in SPEC11_KEYS] == [[], inv["subtotal"], "0.00", [], due]
        for line in inv.get("lines", []):
            assert [line.pop("filter"), line.pop("group")] == [None, None]
    assert got == want
    # The rest is printed as before, byte for byte.
    assert json.dumps(got, indent=2) == json.dumps(want, indent=2)


def test_migration_keeps_every_row_and_drops_the_documents(meter):
    open_fixture(meter)
    with sqlite3.connect(meter.db) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 2
        tables = {t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "invoices_v1" not in tables
        columns = {c[1] for c in db.execute("PRAGMA table_info(invoices)")}
        assert "document" not in columns
        rows = db.execute("SELECT id, number, status, paid_at IS NOT NULL, voided_at IS NOT NULL, void_reason "
                          "FROM invoices ORDER BY id").fetchall()
        assert ("inv_acme_2026-01", "INV-2026-000001", "paid", 1, 0, None) in rows
        assert ("inv_initech_2026-01", "INV-2026-000003", "void", 0, 1, "billed the wrong entity") in rows
        assert ("inv_initech_2026-01_2", None, "draft", 0, 0, None) in rows
        kinds = [k for (k,) in db.execute("SELECT kind FROM invoice_lines WHERE invoice_id='inv_acme_2026-02' "
                                          "ORDER BY line")]
        assert "adjustment" in kinds and kinds[0] == "base"


def test_migrated_drafts_are_unchanged_by_generate(meter):
    # The migrated rows hold what version 1 stored: regenerating the month
    # from the same data finds every draft up to date and keeps the
    # finalized invoice.
    open_fixture(meter)
    before = meter("invoice", "show", "inv_globex_2026-02", "--format", "json").out
    r = meter("invoice", "generate", "--period", "2026-02")
    assert r.code == 0, r
    assert "0 new, 0 refreshed" in r.err and "1 already finalized" in r.err, r.err
    assert meter("invoice", "show", "inv_globex_2026-02", "--format", "json").out == before


def test_version1_invoice_bricked_by_a_long_quantity_reads_back(meter):
    # Bug (issue 12): version 1 stored the quantity 3328.325063 as
    # 3328.3250629999998 in the invoice document and then refused to read it
    # (exit 65 for `invoice list`, the whole database). The migration reads
    # the stored digits back as the quantity that was ingested.
    open_fixture(meter, "bricked.db")
    listed = meter("invoice", "list", json=True)
    assert listed.code == 0, listed
    shown = meter("invoice", "show", "inv_initech_2026-01", json=True)
    assert shown.code == 0, shown
    assert '"quantity": 3328.325063' in shown.out and "3328.3250629999998" not in shown.out
    fin = meter("invoice", "finalize", "inv_initech_2026-01", json=True)
    assert fin.code == 0, fin


@pytest.mark.parametrize("argv", [["invoice", "list"], ["report", "usage"], ["tenants", "list"], ["quota", "status"]])
def test_a_read_only_command_migrates_an_older_file_first(meter, argv):
    # Commands that only read open the database read-only (issue 12 item 5),
    # which cannot migrate; SPEC 1 still promises that opening an older file
    # migrates it, so the first such command migrates it once, then reads.
    shutil.copy(FIXTURE / "meter.db", meter.db)
    meter.now = "2026-03-02T09:00:00Z"
    r = meter(*argv)
    assert r.code == 0, r
    with sqlite3.connect(meter.db) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 3
        assert db.execute("SELECT count(*) FROM invoice_lines").fetchone()[0] > 0

"""Fault tests (issue 8 item 4; SPEC section 1 exit codes): every writing
command on a read-only database file, a database in a read-only directory
(no room for its -wal/-shm), a full filesystem (RLIMIT_FSIZE with SIGXFSZ
ignored: works unprivileged), a corrupt file (random bytes, a valid header
over garbage pages, a truncated file) and a database locked by another
process past the busy timeout; plus unwritable rejects paths and missing
inputs. Each must exit with the SPEC's code, print exactly one line on stderr
that names the file and what went wrong, and leave the database as it was
(checked by Python's own sqlite3: PRAGMA integrity_check and the row count of
every table; a corrupt file must keep its exact bytes).

Permissions do not bind root, so when the tests run as root the command is
run as user `nobody` on files handed to it.
"""
import hashlib
import json
import os
import pwd
import random
import resource
import shutil
import signal
import sqlite3
import subprocess
import tempfile

import pytest

from conftest import METER_BIN, SAMPLE_DIR
import faultkit as fk

NOW = "2026-03-02T00:00:00Z"
IS_ROOT = os.geteuid() == 0
NOBODY = pwd.getpwnam("nobody") if IS_ROOT else None

# Each writing command, with work to do on the base state (so it would write).
COMMANDS = {
    "ingest": ["ingest", "{new_events}", "--rejects", "{dir}/new.rejects"],
    "aggregate": ["aggregate"],
    "quota-reserve": ["quota", "reserve", "--tenant", "acme", "--metric", "api_calls", "--amount", "5",
                      "--id", "res-1"],
    "limit-take": ["limit", "take", "--tenant", "acme"],
    "invoice-generate": ["invoice", "generate", "--period", "2026-02"],
    "webhooks-replay": ["webhooks", "replay", "--timeout", "1"],
    "catalog-apply": ["catalog", "apply", "{catalog2}"],
    "tenants-add": ["tenants", "add", "newco", "--plan", "pro"],
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A database with the sample catalog and February's usage (not yet
    aggregated or invoiced) and three webhook messages queued; a new events
    file and a catalog with one more tenant."""
    d = tmp_path_factory.mktemp("faults-base")
    db = d / "base.db"
    run(db, "init", "--catalog", SAMPLE_DIR / "catalog.json", code=0)
    run(db, "ingest", SAMPLE_DIR / "usage-2026-02.ndjson", "--rejects", d / "sample.rejects", code=65)
    run(db, "webhooks", "send-test", "--endpoint", "1", "--count", "3", code=0)
    catalog2 = fk.sample_catalog()
    catalog2["tenants"].append({"id": "newco2", "plan": "pro"})
    (d / "catalog2.json").write_text(json.dumps(catalog2))
    tenants = [t["id"] for t in catalog2["tenants"][:20]]
    fk.write_events(d / "new.ndjson", tenants, 3000, seed=11, month="2026-02")
    fk.write_events(d / "big.ndjson", tenants, 40000, seed=12, month="2026-02")
    fk.write_events(d / "with-bad.ndjson", tenants, 2000, seed=13, month="2026-02", bad_every=100)
    BASE_COUNTS.update(fk.table_counts(db))
    return d


# Row counts of the base database, read once from the base (reading a copy
# with another SQLite would leave -wal/-shm files beside it).
BASE_COUNTS = {}


@pytest.fixture
def work(base):
    """A world-readable scratch directory (outside pytest's 0700 tree, so the
    `nobody` user can reach it) holding a copy of the base database."""
    d = tempfile.mkdtemp(prefix="meter-faults-")
    os.chmod(d, 0o777)
    for name in ("base.db", "catalog2.json", "new.ndjson", "big.ndjson", "with-bad.ndjson"):
        shutil.copyfile(base / name, os.path.join(d, name))
        os.chmod(os.path.join(d, name), 0o644)
    os.rename(os.path.join(d, "base.db"), os.path.join(d, "m.db"))
    yield d
    os.chmod(d, 0o755)
    shutil.rmtree(d, ignore_errors=True)


def env(extra=None):
    e = dict(os.environ)
    for k in ("METER_NOW", "METER_DB", "METER_BUSY_TIMEOUT_MS"):
        e.pop(k, None)
    e["NO_COLOR"] = "1"
    e.update(extra or {})
    return e


def run(db, *args, code=None, preexec=None, extra_env=None, timeout=120):
    argv = [METER_BIN, "--db", str(db), "--now", NOW] + [str(a) for a in args]
    p = subprocess.run(argv, capture_output=True, text=True, env=env(extra_env), preexec_fn=preexec,
                       timeout=timeout)
    if code is not None:
        assert p.returncode == code, (argv, p.returncode, p.stdout[-1000:], p.stderr[-1000:])
    return p


def command(name, d):
    return [a.format(dir=d, new_events=os.path.join(d, "new.ndjson"), catalog2=os.path.join(d, "catalog2.json"))
            for a in COMMANDS[name]]


def as_nobody():
    """preexec: drop root to `nobody`, so file permissions apply."""
    if IS_ROOT:
        os.setgroups([])
        os.setgid(NOBODY.pw_gid)
        os.setuid(NOBODY.pw_uid)


def nobody_can_run_meter():
    """Whether `nobody` can reach and run the binary: not when the checkout sits
    under a directory only root may enter (a 0700 home or chroot root)."""
    try:
        return subprocess.run([METER_BIN, "--version"], capture_output=True, preexec_fn=as_nobody,
                              timeout=30).returncode == 0
    except OSError:
        return False


NOBODY_CAN_RUN = not IS_ROOT or nobody_can_run_meter()


def give_to_nobody(*paths):
    """Hands `paths` to `nobody`, who runs the permission cases when we are
    root (root ignores file modes). Skips the case where nobody cannot run meter."""
    if IS_ROOT and not NOBODY_CAN_RUN:
        pytest.skip(f"running as root, and user nobody cannot run {METER_BIN} (a directory above it "
                    "is closed to others), so file permissions cannot be exercised")
    if IS_ROOT:
        for p in paths:
            os.chown(p, NOBODY.pw_uid, NOBODY.pw_gid)


def file_size_limit(limit):
    """preexec: no file may grow past `limit` bytes (a full filesystem);
    SIGXFSZ ignored so writes fail with EFBIG instead of killing."""
    def preexec():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return preexec


def one_clear_line(p, *words):
    """stderr is exactly one line, from meter, naming each of `words`."""
    lines = [x for x in p.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, f"want one stderr line, got {len(lines)}: {p.stderr!r}"
    line = lines[0]
    assert line.startswith("meter: "), line
    for w in words:
        assert w in line, f"{w!r} not in {line!r}"
    for bad in ("Traceback", "terminate called", "what():", "internal error", "Assertion"):
        assert bad not in line, line
    return line


def unchanged(db, before):
    assert fk.integrity(db) == "ok"
    assert fk.table_counts(db) == before


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


# ---- the commands do write when nothing is wrong (so "unchanged" below means something) ----

@pytest.mark.parametrize("name", COMMANDS)
def test_each_command_writes_when_nothing_is_wrong(work, name):
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    p = run(db, *command(name, work))
    assert p.returncode in (0, 69), p  # replay: the queued endpoint is not listening (69)
    assert fk.table_counts(db) != before, f"{name} wrote nothing; the fault tests would prove nothing"


# ---- read-only database file, read-only directory ----

@pytest.mark.parametrize("name", COMMANDS)
def test_read_only_database_file(work, name):
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    give_to_nobody(work, db, *[os.path.join(work, f) for f in os.listdir(work)])
    os.chmod(db, 0o400)
    p = run(db, *command(name, work), preexec=as_nobody)
    assert p.returncode == 74, p
    one_clear_line(p, db, "read-only")
    os.chmod(db, 0o600)
    unchanged(db, before)


@pytest.mark.parametrize("args", [["quota", "status"], ["quota", "check", "--tenant", "acme", "--metric", "api_calls"],
                                  ["report", "usage", "--period", "2026-02"], ["tenants", "list"],
                                  ["catalog", "show"], ["webhooks", "deliveries"]])
def test_read_only_database_still_answers_reads(work, args):
    db = os.path.join(work, "m.db")
    give_to_nobody(work, db, *[os.path.join(work, f) for f in os.listdir(work)])
    os.chmod(db, 0o400)
    p = run(db, "--json", *args, preexec=as_nobody)
    assert p.returncode == 0, p
    assert json.loads(p.stdout)
    os.chmod(db, 0o600)
    unchanged(db, BASE_COUNTS)


@pytest.mark.parametrize("name", COMMANDS)
def test_database_in_read_only_directory_has_no_room_for_its_wal(work, name):
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    assert not os.path.exists(db + "-wal") and not os.path.exists(db + "-shm")
    give_to_nobody(work, *[os.path.join(work, f) for f in os.listdir(work)])
    os.chmod(work, 0o555)
    try:
        p = run(db, *command(name, work), preexec=as_nobody)
    finally:
        os.chmod(work, 0o777)
    assert p.returncode == 74, p
    one_clear_line(p, db)
    unchanged(db, before)


# ---- full filesystem ----

@pytest.mark.parametrize("name", COMMANDS)
def test_full_filesystem(work, name):
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    p = run(db, *command(name, work), preexec=file_size_limit(1024))
    assert p.returncode == 74, p
    line = one_clear_line(p, db)
    assert "full" in line or "space" in line, line
    unchanged(db, before)


def test_full_filesystem_midway_through_an_ingest_commits_nothing(work):
    """The limit lets the write-ahead log grow a few hundred KiB, then the
    40,000-event batch cannot be written: nothing of the file is in."""
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    p = run(db, "ingest", os.path.join(work, "big.ndjson"), preexec=file_size_limit(512 * 1024))
    assert p.returncode == 74, p
    one_clear_line(p, db)
    unchanged(db, before)
    # With room again the same command loads the whole file.
    p = run(db, "ingest", os.path.join(work, "big.ndjson"), code=0)
    assert fk.table_counts(db)["events"] == before["events"] + 40000


def test_full_filesystem_midway_through_aggregate_leaves_consistent_buckets(work):
    """aggregate commits bucket sizes and chunks one transaction at a time
    (so it never locks ingest out for long): a full disk may stop it after
    some commits, never inside one. What is in must verify, and a re-run
    must end exactly where an uninterrupted run ends."""
    db, ref = os.path.join(work, "m.db"), os.path.join(work, "ref.db")
    shutil.copyfile(db, ref)
    run(ref, "aggregate", code=0)
    p = run(db, "aggregate", preexec=file_size_limit(48 * 1024))
    assert p.returncode == 74, p
    one_clear_line(p, db, "full")
    assert fk.integrity(db) == "ok"
    run(db, "aggregate", "--verify", code=0)
    run(db, "aggregate", code=0)
    for table in ("usage_rollups", "usage_rollup_uniques"):
        assert fk.dump_table(db, table) == fk.dump_table(ref, table), table


@pytest.fixture
def small_tmpfs(work):
    """A tmpfs a little bigger than the base database, when this process may
    mount one (root); skipped otherwise (RLIMIT_FSIZE above covers the
    unprivileged case)."""
    mnt = os.path.join(work, "tmpfs")
    os.mkdir(mnt)
    size = os.path.getsize(os.path.join(work, "m.db")) + 256 * 1024
    if not IS_ROOT or subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt],
                                     capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root, or no permission)")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", mnt], capture_output=True)


@pytest.mark.parametrize("name", ["ingest-big", "aggregate", "invoice-generate", "catalog-apply"])
def test_really_full_filesystem(work, small_tmpfs, name):
    """ENOSPC from a real, nearly full filesystem (not a size limit)."""
    db = os.path.join(small_tmpfs, "m.db")
    shutil.copyfile(os.path.join(work, "m.db"), db)
    filler = os.path.join(small_tmpfs, "filler")
    with open(filler, "wb") as f:  # leave about 40 KiB free
        f.write(b"\0" * (shutil.disk_usage(small_tmpfs).free - 40 * 1024))
    args = ["ingest", os.path.join(work, "big.ndjson")] if name == "ingest-big" else command(name, work)
    p = run(db, *args)
    assert p.returncode == 74, p
    line = one_clear_line(p, db)
    assert "full" in line, line
    if name == "aggregate":  # commits chunk by chunk: consistent, maybe not untouched
        assert fk.integrity(db) == "ok"
    else:
        unchanged(db, BASE_COUNTS)


# ---- corrupt database file ----

def corrupt(db, kind):
    data = open(db, "rb").read()
    garbage = random.Random(kind).randbytes
    if kind == "random-bytes":
        data = garbage(len(data) // 8)
    elif kind == "header-over-garbage":
        data = data[:100] + garbage(len(data) // 8 - 100)  # a valid header, pages of noise
    else:  # truncated
        data = data[: len(data) // 3]
    open(db, "wb").write(data)


@pytest.mark.parametrize("kind", ["random-bytes", "header-over-garbage", "truncated"])
@pytest.mark.parametrize("name", COMMANDS)
def test_corrupt_database_file(work, name, kind):
    db = os.path.join(work, "m.db")
    corrupt(db, kind)
    digest = sha(db)
    p = run(db, *command(name, work))
    assert p.returncode == 74, p
    one_clear_line(p, db, "corrupt")
    assert sha(db) == digest, "meter changed a corrupt file"


# ---- locked past the busy timeout ----

@pytest.mark.parametrize("name", COMMANDS)
def test_database_locked_past_the_busy_timeout(work, name):
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        p = run(db, *command(name, work), extra_env={"METER_BUSY_TIMEOUT_MS": "150"}, timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert p.returncode == 75, p
    one_clear_line(p, db, "locked")
    unchanged(db, before)


def test_reads_go_on_while_another_process_holds_the_write_lock(work):
    """WAL: a writer's lock does not stop readers."""
    db = os.path.join(work, "m.db")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("DELETE FROM rate_buckets")
    try:
        for args in (["quota", "status"], ["quota", "check", "--tenant", "acme", "--metric", "api_calls"],
                     ["report", "usage", "--period", "2026-02"]):
            p = run(db, "--json", *args, extra_env={"METER_BUSY_TIMEOUT_MS": "150"})
            assert p.returncode == 0, p
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# ---- rejects path that cannot be written ----

def unwritable(work, where, name):
    """A path `name` where nothing can be written: in a missing directory, in
    a read-only one (with the preexec that makes permissions apply), or an
    existing directory. Returns (path, preexec)."""
    if where == "missing-directory":
        return os.path.join(work, "no", "such", "dir", name), None
    if where == "a-directory":
        return work, None
    ro = os.path.join(work, "ro")
    os.mkdir(ro, 0o555)
    give_to_nobody(work, ro, *[os.path.join(work, f) for f in os.listdir(work)])
    return os.path.join(ro, name), as_nobody


WHERE = ["missing-directory", "read-only-directory", "a-directory"]


@pytest.mark.parametrize("where", WHERE)
def test_unwritable_rejects_path(work, where):
    db = os.path.join(work, "m.db")
    rejects, preexec = unwritable(work, where, "bad.rejects")
    p = run(db, "ingest", os.path.join(work, "with-bad.ndjson"), "--rejects", rejects, preexec=preexec)
    assert p.returncode == 74, p
    one_clear_line(p, rejects)
    unchanged(db, BASE_COUNTS)


# ---- missing inputs ----

def test_missing_input_file(work):
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    missing = os.path.join(work, "missing.ndjson")
    p = run(db, "ingest", missing)
    assert p.returncode == 66, p
    one_clear_line(p, missing)
    # A good file before a missing one: nothing is read at all.
    p = run(db, "ingest", os.path.join(work, "new.ndjson"), missing)
    assert p.returncode == 66, p
    one_clear_line(p, missing)
    unchanged(db, before)


@pytest.mark.parametrize("args", [["catalog", "apply", "{missing}"], ["simulate", "--catalog", "{missing}"]])
def test_missing_catalog_file(work, args):
    db = os.path.join(work, "m.db")
    before = BASE_COUNTS
    missing = os.path.join(work, "missing.json")
    p = run(db, *[a.format(missing=missing) for a in args])
    assert p.returncode == 66, p
    one_clear_line(p, missing)
    unchanged(db, before)


@pytest.mark.parametrize("args", [["init", "--catalog", "{missing}"], ["catalog", "apply", "{missing}"]])
def test_missing_catalog_creates_no_database(work, args):
    # Regression: init/apply created an empty database before finding that
    # the catalog file was missing, so the next command met "no catalog".
    db = os.path.join(work, "new.db")
    missing = os.path.join(work, "missing.json")
    p = run(db, *[a.format(missing=missing) for a in args])
    assert p.returncode == 66, p
    one_clear_line(p, missing)
    assert not os.path.exists(db)


@pytest.mark.parametrize("name", COMMANDS)
def test_missing_database_is_66_and_not_created(work, name):
    db = os.path.join(work, "none.db")
    if name == "catalog-apply":
        pytest.skip("catalog apply creates the database (SPEC section 2)")
    p = run(db, *command(name, work))
    assert p.returncode == 66, p
    one_clear_line(p, db, "does not exist", " init")
    assert not os.path.exists(db)


@pytest.mark.parametrize("where", WHERE)
def test_database_that_cannot_be_created(work, where):
    db, preexec = unwritable(work, where, "m2.db")
    p = run(db, "init", "--catalog", SAMPLE_DIR / "catalog.json", preexec=preexec)
    assert p.returncode == 74, p
    one_clear_line(p, db)
    assert where == "a-directory" or not os.path.exists(db)


@pytest.mark.parametrize("args", [["invoice", "show", "inv_acme_2026-02", "--format", "html", "--out", "{out}"],
                                  ["report", "dashboard", "--period", "2026-02", "--out", "{out}"]])
@pytest.mark.parametrize("where", WHERE)
def test_unwritable_output_file(work, args, where):
    db = os.path.join(work, "m.db")
    run(db, "invoice", "generate", "--period", "2026-02", "--tenant", "acme", code=0)
    out, preexec = unwritable(work, where, "out.html")
    p = run(db, *[a.replace("{out}", out) for a in args], preexec=preexec)
    assert p.returncode == 74, p
    line = one_clear_line(p, out)
    assert line.rstrip().endswith(("No such file or directory", "Is a directory", "Permission denied")), line

"""Typed mistakes -> the exact stderr line (issue 17, item 1; SPEC section 1).

An unknown command or subcommand names what was typed, the closest known
ones and the group's commands; an unknown option names the closest option; a
missing command, argument or option points at that command's own --help.
Every one exits 2 with exactly one line on stderr. The command lists are read
from `--help`, so the test also holds the suggestions to the table --help
prints (and keeps passing as groups are added)."""
import os
import subprocess

import pytest

from conftest import METER_BIN


def listed(meter, *path):
    """The commands `meter PATH --help` lists, in its order."""
    r = meter(*path, "--help")
    assert r.code == 0, r
    lines = r.out.splitlines()
    start = lines.index("Subcommands:") + 1
    names = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        word = line.split()[0]
        if not line.startswith("   "):
            names.append(word)
    return names


def commands(meter, *path):
    group = " ".join(path)
    return f"({group + ' ' if group else ''}commands: {', '.join(listed(meter, *path))})"


# (typed command line, expected line with {top} / {invoice} / ... for the lists)
MISTAKES = [
    (["quotaa"], "unknown command 'quotaa'; did you mean 'quota'? {top}"),
    (["quotaa", "status"], "unknown command 'quotaa'; did you mean 'quota'? {top}"),
    (["Quota", "status"], "unknown command 'Quota'; did you mean 'quota'? {top}"),
    (["tenant", "list"], "unknown command 'tenant'; did you mean 'tenants'? {top}"),
    (["invoices", "list"], "unknown command 'invoices'; did you mean 'invoice'? {top}"),
    (["forcast"], "unknown command 'forcast'; did you mean 'forecast'? {top}"),
    (["re"], "unknown command 're'; did you mean 'report' or 'recommend'? {top}"),
    (["frobnicate"], "unknown command 'frobnicate' {top}"),
    (["--json", "quotaa"], "unknown command 'quotaa'; did you mean 'quota'? {top}"),
    (["--db", "x.db", "quotaa"], "unknown command 'quotaa'; did you mean 'quota'? {top}"),
    (["invoice", "bogus"], "unknown command 'bogus' {invoice}"),
    (["invoice", "shwo", "INV-1"], "unknown command 'shwo'; did you mean 'show'? {invoice}"),
    (["invoice", "finalise", "x"], "unknown command 'finalise'; did you mean 'finalize'? {invoice}"),
    (["tenants", "lst"], "unknown command 'lst'; did you mean 'list'? {tenants}"),
    (["report", "dashbaord"], "unknown command 'dashbaord'; did you mean 'dashboard'? {report}"),
    ([], "missing command {top}; see 'meter --help'"),
    (["invoice"], "missing command after 'invoice' {invoice}; see 'meter invoice --help'"),
    (["tenants"], "missing command after 'tenants' {tenants}; see 'meter tenants --help'"),
    (["invoice", "show"],
     "missing argument 'id' (Invoice number or draft id); see 'meter invoice show --help'"),
    (["tenants", "show"], "missing argument 'id' (Tenant id); see 'meter tenants show --help'"),
    (["invoice", "generate"],
     "missing option '--period' (The month, YYYY-MM); see 'meter invoice generate --help'"),
    (["quota", "check", "--metric", "api_calls"],
     "missing option '--tenant' (Tenant id); see 'meter quota check --help'"),
    (["quota", "check", "--tennant", "acme", "--metric", "api_calls"],
     "unknown option '--tennant'; did you mean '--tenant'? (see 'meter quota check --help')"),
    (["quota", "check", "--tennant=acme", "--metric", "api_calls"],
     "unknown option '--tennant'; did you mean '--tenant'? (see 'meter quota check --help')"),
    (["invoice", "list", "--formt", "csv"],
     "unknown option '--formt'; did you mean '--format'? (see 'meter invoice list --help')"),
    (["quota", "status", "--jsn"], "unknown option '--jsn'; did you mean '--json'? (see 'meter quota status --help')"),
    (["invoice", "list", "--zzz"], "unknown option '--zzz' (see 'meter invoice list --help')"),
    (["tenants", "show", "acme", "extra"], "unexpected argument 'extra' (see 'meter tenants show --help')"),
    (["aggregate", "--period", "weekly"],
     "--period: weekly not in {{hour,day,month}} (see 'meter aggregate --help')"),
]


@pytest.mark.parametrize("argv,want", MISTAKES, ids=[" ".join(a) or "(nothing)" for a, _ in MISTAKES])
def test_typed_mistake_gives_the_exact_line(meter, argv, want):
    lists = {"top": commands(meter)}
    for group in ("invoice", "tenants", "report"):
        lists[group] = commands(meter, group)
    r = meter(*argv)
    assert r.code == 2, r
    assert r.out == ""
    assert r.err == "meter: " + want.format(**lists) + "\n"


def test_top_level_list_is_every_command_of_help(meter):
    """The suggestions know every word, although a command line that names its
    group builds only that group's part of the table."""
    top = listed(meter)
    for word in ("init", "catalog", "tenants", "ingest", "aggregate", "quota", "entitlement", "limit", "alerts",
                 "invoice", "webhooks", "report", "forecast", "recommend", "simulate", "completion"):
        assert word in top
    assert "__complete" not in top  # the completion scripts' helper is hidden
    r = meter("quotaa")
    assert r.err.rstrip().endswith(f"(commands: {', '.join(top)})")


def test_spec_wording_of_an_unknown_command(meter):
    # SPEC section 1, word for word.
    assert meter("quotaa").err.startswith("meter: unknown command 'quotaa'; did you mean 'quota'?")


def test_help_still_works_after_a_typo_word(meter):
    assert meter("quotaa", "--help").code == 0
    assert meter("invoice", "show", "--help").code == 0


# ---- every group and every command of the table, not just a few ----

def _run(tmp_path, *argv):
    env = dict(os.environ, METER_DB=str(tmp_path / "absent.db"), NO_COLOR="1")
    env.pop("METER_NOW", None)
    p = subprocess.run([METER_BIN, *argv], capture_output=True, text=True, env=env, cwd=tmp_path,
                       stdin=subprocess.DEVNULL, timeout=60)
    return p.returncode, p.stdout, p.stderr


def _tree(tmp_path):
    """{command path (a tuple of words): [its subcommands]} for every command
    `--help` lists, groups and leaves."""
    tree, todo = {}, [()]
    while todo:
        path = todo.pop()
        code, out, _ = _run(tmp_path, *path, "--help")
        assert code == 0, path
        subs = []
        if "Subcommands:" in out:
            for line in out.split("Subcommands:")[1].splitlines()[1:]:
                if not line.startswith("  "):
                    break
                if not line.startswith("   "):
                    subs.append(line.split()[0])
        tree[path] = subs
        todo += [path + (s,) for s in subs]
    return tree


def _swapped(word):
    """A typo: two letters in the middle of the word swapped ("show" -> "sohw")."""
    i = len(word) // 2
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


def test_every_group_names_a_mistyped_command_and_suggests_the_right_one(tmp_path):
    # Issue 17 item 1 at every level: each command of each group, mistyped,
    # gets "unknown command '<typed>'; did you mean ... '<it>' ...?" and the
    # group's list; a word like no command gets the list alone; the group
    # without a command points at the group's own --help.
    tree = _tree(tmp_path)
    groups = {path: subs for path, subs in tree.items() if subs}
    assert len(groups) >= 12, sorted(groups)  # top level, invoice, tenants, quota, webhooks, report, db, ...
    problems = []
    for path, subs in groups.items():
        group = " ".join(path)
        listing = f"({group + ' ' if group else ''}commands: {', '.join(subs)})"
        for sub in subs:
            typo = _swapped(sub) if len(sub) >= 4 else sub + "x"
            if typo in subs:
                continue
            code, out, err = _run(tmp_path, *path, typo)
            head = f"meter: unknown command '{typo}'; did you mean "
            if not (code == 2 and out == "" and err.startswith(head) and err.endswith(f"? {listing}\n")
                    and f"'{sub}'" in err[len(head):err.index("? (")] and err.count("\n") == 1):
                problems.append((path, typo, code, err))
        code, out, err = _run(tmp_path, *path, "zzqx")
        if (code, out, err) != (2, "", f"meter: unknown command 'zzqx' {listing}\n"):
            problems.append((path, "zzqx", code, err))
        if path:
            code, out, err = _run(tmp_path, *path)
            want = f"meter: missing command after '{group}' {listing}; see 'meter {group} --help'\n"
            if (code, out, err) != (2, "", want):
                problems.append((path, "(nothing)", code, err))
    assert not problems, "\n".join(map(repr, problems))


def test_every_command_missing_what_it_needs_points_at_its_own_help(tmp_path):
    # Each leaf run with no arguments at all: those that need something (exit
    # 2) name it in one line that ends pointing at their own --help, never the
    # top level's.
    tree = _tree(tmp_path)
    leaves = [path for path, subs in tree.items() if path and not subs]
    assert len(leaves) >= 60, leaves
    usage_errors, problems = 0, []
    for path in leaves:
        if path[0] in ("init",):
            continue  # creates the database: nothing is missing
        code, out, err = _run(tmp_path, *path)
        if code != 2:
            continue
        usage_errors += 1
        want = f"see 'meter {' '.join(path)} --help'"
        if not (err.startswith("meter: ") and want in err and err.count("\n") == 1):
            problems.append((path, err))
    assert usage_errors >= 25, usage_errors
    assert not problems, "\n".join(map(repr, problems))

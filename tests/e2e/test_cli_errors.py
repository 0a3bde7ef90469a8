"""Typed mistakes -> the exact stderr line (issue 17, item 1; SPEC section 1).

An unknown command or subcommand names what was typed, the closest known
ones and the group's commands; an unknown option names the closest option; a
missing command, argument or option points at that command's own --help.
Every one exits 2 with exactly one line on stderr. The command lists are read
from `--help`, so the test also holds the suggestions to the table --help
prints (and keeps passing as groups are added)."""
import pytest


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
    (["invoice", "bogus"], "unknown command 'invoice bogus' {invoice}"),
    (["invoice", "shwo", "INV-1"], "unknown command 'invoice shwo'; did you mean 'invoice show'? {invoice}"),
    (["invoice", "finalise", "x"], "unknown command 'invoice finalise'; did you mean 'invoice finalize'? {invoice}"),
    (["tenants", "lst"], "unknown command 'tenants lst'; did you mean 'tenants list'? {tenants}"),
    (["report", "dashbaord"], "unknown command 'report dashbaord'; did you mean 'report dashboard'? {report}"),
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

"""Shell completion (issue 17, item 2; SPEC section 1): `meter completion
bash|zsh|fish` prints a script made from the command table, and the script
completes commands, flags, flag values, and tenant ids, plan keys, meter keys
and invoice numbers read from the database. The bash script is loaded in a
real bash and asked for completions as bash would ask at a Tab; fish (when
installed) answers `complete -C`; zsh (when installed) must load it."""
import os
import shlex
import shutil
import socket
import subprocess
import time

import pytest

from conftest import METER_BIN

CATALOG = {
    "currency": "USD",
    "invoice": {"number_prefix": "INV-"},
    "meters": [{"key": "api_calls", "name": "API calls", "unit": "calls"},
               {"key": "llm_tokens", "name": "LLM tokens", "unit": "tokens"}],
    "plans": [{"key": "basic", "base_price": "10.00"}, {"key": "pro", "base_price": "50.00"}],
    "tenants": [{"id": "acme", "plan": "pro"}, {"id": "apex", "plan": "basic"}, {"id": "beta", "plan": "basic"}],
}


@pytest.fixture
def m(meter):
    meter.init(CATALOG)
    meter.now = "2026-03-02T00:00:00Z"
    assert meter("invoice", "generate", "--period", "2026-02", "--tenant", "acme", "--finalize").code == 0
    return meter


def bash_script(meter):
    r = meter("completion", "bash")
    assert r.code == 0 and r.err == "", r
    path = meter.dir / "meter.bash"
    path.write_text(r.out)
    return path


def bash_complete(meter, line, env=None):
    """What bash offers at the end of `line` (words split on spaces; bash's
    own word breaks at '=' applied), as the `complete -F` function sets it."""
    script = bash_script(meter)
    words = []
    for w in line.split(" "):
        if "=" in w and w.startswith("-"):
            opt, value = w.split("=", 1)
            words += [opt, "=", value] if value else [opt, "="]
        else:
            words.append(w)
    words[0] = METER_BIN
    program = "\n".join([
        f"source {shlex.quote(str(script))}",
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})",
        f"COMP_CWORD={len(words) - 1}",
        f"COMP_LINE={shlex.quote(line)}",
        "COMP_POINT=${#COMP_LINE}",
        "_meter",
        'printf "%s\\n" "${COMPREPLY[@]}"',
    ])
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", program], capture_output=True, text=True,
                       env=meter.env(env), cwd=meter.dir, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    return sorted(x for x in r.stdout.splitlines() if x)


CASES = [
    ("meter inv", ["invoice"]),
    ("meter invoice s", ["show", "sweep-overdue"]),
    ("meter quota ch", ["check"]),
    ("meter quota check --te", ["--tenant"]),
    ("meter quota check --tenant a", ["acme", "apex"]),
    ("meter quota check --tenant=a", ["acme", "apex"]),
    ("meter quota check --tenant acme --metric ", ["api_calls", "llm_tokens"]),
    ("meter tenants show ", ["acme", "apex", "beta"]),
    ("meter tenants set-plan acme ", ["basic", "pro"]),
    ("meter tenants add newco --plan p", ["pro"]),
    ("meter invoice show INV", ["INV-2026-000001"]),
    ("meter report usage --by m", ["meter", "month"]),
    ("meter aggregate --period=", ["day", "hour", "month"]),
    ("meter completion ", ["bash", "fish", "zsh"]),
    ("meter --json quota st", ["status"]),
    ("meter quota status --tenant b", ["beta"]),
    ("meter --no", ["--no-color", "--now"]),
]


@pytest.mark.parametrize("line,want", CASES, ids=[c[0] for c in CASES])
def test_bash_completes(m, line, want):
    assert bash_complete(m, line) == want


def test_bash_reads_the_database_named_by_db(m, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    catalog = dict(CATALOG, tenants=[{"id": "zeta", "plan": "pro"}])
    m("--db", other / "o.db", "init", "--catalog", m.write("other.json", catalog), check=True)
    assert bash_complete(m, f"meter --db {other / 'o.db'} tenants show ") == ["zeta"]
    assert bash_complete(m, "meter tenants show ") == ["acme", "apex", "beta"]


def test_no_database_completes_no_ids_and_creates_nothing(meter):
    missing = meter.dir / "missing.db"
    env = {"METER_DB": str(missing)}
    assert bash_complete(meter, "meter tenants show ", env=env) == []
    assert bash_complete(meter, "meter inv", env=env) == ["invoice"]
    r = meter("__complete", "tenants", env=env)
    assert (r.code, r.out, r.err) == (0, "", "")
    assert not missing.exists()


def test_helper_is_silent_on_a_file_that_is_not_a_database(meter):
    bad = meter.write("junk.db", "not a database at all\n" * 100)
    for kind in ("tenants", "plans", "meters", "invoices", "nonsense"):
        r = meter("--db", bad, "__complete", kind)
        assert (r.code, r.out, r.err) == (0, "", ""), kind
    assert bad.read_text().startswith("not a database")


def test_every_command_of_help_is_in_every_script(meter):
    """A command group added to main.cc completes with no edit to completion.cc:
    every command --help lists is a node of the scripts."""
    help_text = meter("--help").out
    top = []
    for line in help_text.split("Subcommands:")[1].splitlines()[1:]:
        if not line.startswith("  "):
            break
        top.append(line.split()[0])
    bash = meter("completion", "bash").out
    for word in top:
        assert f"\n        '{word}')\n" in bash, word
        sub_help = meter(word, "--help").out
        if "Subcommands:" in sub_help:
            for line in sub_help.split("Subcommands:")[1].splitlines()[1:]:
                if not line.startswith("  "):
                    break
                assert f"\n        '{word} {line.split()[0]}')\n" in bash, (word, line)
    assert "__complete" not in bash.split("_meter_node() {")[1].split("\n}\n")[0]


def test_unknown_shell_is_a_usage_error(meter):
    r = meter("completion", "tcsh")
    assert r.code == 2 and r.err.startswith("meter: ") and "completion" in r.err


@pytest.mark.skipif(not shutil.which("fish"), reason="fish is not installed")
def test_fish_completes(m):
    script = m.dir / "meter.fish"
    script.write_text(m("completion", "fish").out)

    def fish(line):
        program = f"source {shlex.quote(str(script))}; complete -C {shlex.quote(line)}"
        r = subprocess.run(["fish", "--no-config", "-c", program], capture_output=True, text=True,
                           env=m.env({"PATH": f"{os.path.dirname(METER_BIN)}:{m.env()['PATH']}"}),
                           cwd=m.dir, timeout=60)
        assert r.returncode == 0 and r.stderr == "", r.stderr
        return sorted(line.split("\t")[0] for line in r.stdout.splitlines() if line)

    assert fish("meter inv") == ["invoice"]
    assert fish("meter invoice sh") == ["show"]
    assert fish("meter quota check --tenant a") == ["acme", "apex"]
    assert fish("meter tenants show b") == ["beta"]
    assert fish("meter report usage --by mo") == ["month"]


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
def test_zsh_script_loads(m):
    script = m.dir / "_meter"
    script.write_text(m("completion", "zsh").out)
    program = f"autoload -U compinit && compinit -u -D && source {shlex.quote(str(script))} && print -r -- $_comps[meter]"
    r = subprocess.run(["zsh", "-f", "-c", program], capture_output=True, text=True, env=m.env(), cwd=m.dir,
                       timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.strip() == "_meter"


def test_a_postgresql_server_that_never_answers_does_not_hold_the_tab(meter):
    """A postgresql:// METER_DB whose server accepts the connection and then
    says nothing (a stalled server; a host that drops packets is the same
    wait): the helper gives up within its budget, silently, instead of holding
    the shell for the URL's connect timeout (30 s here, libpq's 10 s by
    default). A refused port is silent at once."""
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen(8)
        url = f"postgresql://meter@127.0.0.1:{mute.getsockname()[1]}/meter?connect_timeout=30"
        start = time.monotonic()
        assert bash_complete(meter, "meter tenants show ", env={"METER_DB": url}) == []
        took = time.monotonic() - start
        assert took < 3.5, took
    start = time.monotonic()
    r = meter("--db", "postgresql://meter@127.0.0.1:1/meter", "__complete", "tenants")
    assert (r.code, r.out, r.err) == (0, "", "") and time.monotonic() - start < 1.5


ZSH_STUBS = r"""
compdef() { :; }
source "$1"
# zsh's completion builtins work only inside a completion widget: stand-ins
# print the candidates the script hands them (zsh itself then keeps those
# that start with the word typed; the test does that filtering).
compadd() { [[ $1 == -a ]] && print -rl -- ${(P)2}; }
_describe() {
    [[ $1 == -t ]] && shift 2
    shift
    local arr
    for arr in "$@"; do [[ $arr == -- ]] || print -rl -- ${(P)arr%%:*}; done
}
_files() { print -- '(files)'; }
compset() { :; }
words=(${=2})
[[ $2 == *' ' ]] && words+=('')
CURRENT=${#words}
_meter
"""


@pytest.mark.skipif(not shutil.which("zsh"), reason="zsh is not installed")
@pytest.mark.parametrize("line,want", [
    ("meter inv", ["invoice"]),
    ("meter invoice s", ["show", "sweep-overdue"]),
    ("meter quota check --te", ["--tenant"]),
    ("meter quota check --tenant a", ["acme", "apex"]),
    ("meter quota check --tenant acme --metric ", ["api_calls", "llm_tokens"]),
    ("meter tenants show b", ["beta"]),
    ("meter tenants set-plan acme ", ["basic", "pro"]),
    ("meter invoice show INV", ["INV-2026-000001"]),
    ("meter report usage --by mo", ["month"]),
    ("meter ingest ", ["(files)"]),
])
def test_zsh_script_completes_in_a_real_zsh(m, line, want):
    """The zsh script's own logic (walking the words to a node of the table,
    a flag's value kind, the database lookups) run by a real zsh, with its
    completion builtins stood in for."""
    script = m.dir / "_meter"
    script.write_text(m("completion", "zsh").out)
    stubs = m.write("stubs.zsh", ZSH_STUBS)
    r = subprocess.run(["zsh", "-f", str(stubs), str(script), line], capture_output=True, text=True,
                       env=m.env({"PATH": f"{os.path.dirname(METER_BIN)}:{m.env()['PATH']}"}), cwd=m.dir, timeout=60)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    typed = line.split(" ")[-1]
    assert sorted(w for w in r.stdout.splitlines() if w.startswith(typed) or w == "(files)") == want

// completion bash|zsh|fish: a shell completion script made from the command
// table (the CLI11 tree main registered, every group of it), so a command
// group added to main.cc completes with no edit here. The scripts complete
// tenant ids, plan keys, meter keys and invoice numbers by running the hidden
// `meter __complete KIND`, which reads the database without writing and
// prints nothing at all when anything goes wrong.
#include <sys/time.h>
#include <unistd.h>

#include <csignal>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "command_tree.h"
#include "context.h"
#include "store/catalog_store.h"
#include "store/invoice_store.h"

namespace meter::cli {
namespace {

// What a flag's or argument's value completes to.
struct ValueSpec {
  // "tenants", "plans", "meters", "invoices" (from the database), "choice"
  // (`choices`), "file", or "" (nothing to offer: numbers, free text).
  std::string kind;
  std::vector<std::string> choices;
  bool many = false;  // an argument that takes several values (files...)

  // "tenants", "choice:text,csv", "file", "-"; a trailing '+' when many.
  std::string Encoded() const {
    std::string out = kind.empty() ? "-" : kind;
    if (kind == "choice") out += ":" + fmt::format("{}", fmt::join(choices, ","));
    return many ? out + "+" : out;
  }
};

struct FlagSpec {
  std::vector<std::string> names;  // "--tenant", "-q"
  std::string description;
  bool takes_value = false;
  ValueSpec value;
};

struct CommandSpec {
  std::string name, description;
};

// One command of the table: its subcommands, flags and arguments.
struct Node {
  std::string path;  // "" for meter itself, "invoice show"
  std::vector<CommandSpec> commands;
  std::vector<FlagSpec> flags;
  std::vector<ValueSpec> args;
};

// The database kind a type name or an option name stands for, or "".
std::string DatabaseKind(std::string_view type, const std::vector<std::string>& long_names) {
  if (type == kTenantValue) return "tenants";
  if (type == kPlanValue) return "plans";
  if (type == kMeterValue) return "meters";
  if (type == kInvoiceValue) return "invoices";
  for (const auto& n : long_names) {
    if (n == "tenant") return "tenants";
    if (n == "plan") return "plans";
    if (n == "metric" || n == "meter") return "meters";
    if (n == "invoice") return "invoices";
  }
  return "";
}

// From CLI11's type name: "TENANT", "TEXT:{hour,day,month}" (IsMember), "INT".
ValueSpec ValueOf(const CLI::Option& o) {
  ValueSpec v;
  v.many = o.get_items_expected_max() > 1;
  std::string type = o.get_type_name();
  std::string base = type.substr(0, type.find(':'));
  if (size_t brace = type.find(":{"); brace != std::string::npos && type.back() == '}') {
    std::string list = type.substr(brace + 2, type.size() - brace - 3);
    for (size_t start = 0; start <= list.size();) {
      size_t comma = std::min(list.find(',', start), list.size());
      if (comma > start) v.choices.push_back(list.substr(start, comma - start));
      start = comma + 1;
    }
  }
  v.kind = DatabaseKind(base, o.get_lnames());
  if (v.kind.empty() && !v.choices.empty()) v.kind = "choice";
  if (v.kind.empty() && base == "TEXT") v.kind = "file";
  return v;
}

// Words the scripts can hold unquoted: command and flag names, choices.
bool PlainWord(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(isalnum(static_cast<unsigned char>(c)) || std::string_view("_.:/+@%-").find(c) != std::string_view::npos))
      return false;
  return true;
}

void AddNodes(const CLI::App& cmd, const std::string& path, std::vector<Node>* out) {
  Node n;
  n.path = path;
  for (const CLI::App* sub : VisibleCommands(cmd))
    if (PlainWord(sub->get_name())) n.commands.push_back({sub->get_name(), sub->get_description()});
  std::set<std::string> global;  // the root's flags, offered at every node
  if (cmd.get_parent())
    for (const CLI::App* root = cmd.get_parent(); root; root = root->get_parent())
      if (!root->get_parent())
        for (const CLI::Option* o : root->get_options()) global.insert(o->get_name());
  for (const CLI::Option* o : cmd.get_options()) {
    if (o->get_group().empty() || global.count(o->get_name())) continue;  // hidden, or the root's
    if (!o->nonpositional()) {
      n.args.push_back(ValueOf(*o));
      continue;
    }
    FlagSpec f;
    for (const auto& l : o->get_lnames()) f.names.push_back("--" + l);
    for (const auto& s : o->get_snames()) f.names.push_back("-" + s);
    f.description = o->get_description();
    f.takes_value = o->get_items_expected_max() > 0;
    if (f.takes_value) f.value = ValueOf(*o);
    f.value.many = false;  // a repeated flag is completed one value at a time
    std::erase_if(f.value.choices, [](const std::string& c) { return !PlainWord(c); });
    n.flags.push_back(std::move(f));
  }
  out->push_back(std::move(n));
  for (const CLI::App* sub : VisibleCommands(cmd))
    if (PlainWord(sub->get_name())) AddNodes(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), out);
}

std::vector<Node> Table(const CLI::App& root) {
  std::vector<Node> nodes;
  AddNodes(root, "", &nodes);
  return nodes;
}

// 'text' for bash and zsh: single quotes, a quote written as '\''.
std::string ShQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// 'text' for fish: single quotes with \' and \\ escaped.
std::string FishQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

std::string Joined(const std::vector<std::string>& words, std::string_view sep = " ") {
  return fmt::format("{}", fmt::join(words, sep));
}

std::vector<std::string> CommandNames(const Node& n) {
  std::vector<std::string> out;
  for (const auto& c : n.commands) out.push_back(c.name);
  return out;
}

std::vector<std::string> FlagNames(const Node& n) {
  std::vector<std::string> out;
  for (const auto& f : n.flags) out.insert(out.end(), f.names.begin(), f.names.end());
  return out;
}

// "--tenant=tenants --format=choice:text,csv": the flags that take a value.
std::vector<std::string> ValueFlags(const Node& n) {
  std::vector<std::string> out;
  for (const auto& f : n.flags)
    if (f.takes_value)
      for (const auto& name : f.names) out.push_back(name + "=" + f.value.Encoded());
  return out;
}

std::vector<std::string> ArgSpecs(const Node& n) {
  std::vector<std::string> out;
  for (const auto& a : n.args) out.push_back(a.Encoded());
  return out;
}

// ---- bash ----

constexpr const char* kBashHead = R"SH(# bash completion for meter, generated by `meter completion bash` from its
# command table. Install it for your user:
#   meter completion bash > ~/.local/share/bash-completion/completions/meter
# or load it in ~/.bashrc:
#   source <(meter completion bash)
# Tenant ids, plan keys, meter keys and invoice numbers come from the database
# that --db, $METER_DB or ./meter.db names, read when you press Tab.

)SH";

constexpr const char* kBashBody = R"SH(
# The value spec of flag $1 at the current node or the top level.
_meter_value_of() {
    local entry
    for entry in $_meter_vals $_meter_root_vals; do
        if [[ ${entry%%=*} == "$1" ]]; then
            printf '%s\n' "${entry#*=}"
            return 0
        fi
    done
    return 1
}

# Completions for a value spec ($1) and the word typed so far ($2).
_meter_offer() {
    local spec=${1%+} cur=$2 words
    case $spec in
        tenants|plans|meters|invoices)
            words=$("$_meter_bin" "${_meter_db[@]}" __complete "$spec" 2>/dev/null)
            COMPREPLY=($(compgen -W "$words" -- "$cur")) ;;
        choice:*)
            words=${spec#choice:}
            COMPREPLY=($(compgen -W "${words//,/ }" -- "$cur")) ;;
        file)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur")) ;;
        *)
            COMPREPLY=() ;;
    esac
}

_meter() {
    local cur=${COMP_WORDS[COMP_CWORD]} path="" nargs=0 i w spec opt=""
    local _meter_cmds _meter_flags _meter_vals _meter_args _meter_root_flags _meter_root_vals
    local _meter_bin=${COMP_WORDS[0]}
    local -a _meter_db=()
    COMPREPLY=()
    _meter_node ""
    _meter_root_flags=$_meter_flags
    _meter_root_vals=$_meter_vals
    # Walk the words before the cursor: options (and their values) are
    # skipped, command words extend the path, other words are arguments.
    # bash splits "--db=x" into "--db" "=" "x".
    for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        if [[ $w == -* ]]; then
            _meter_node "$path"
            if _meter_value_of "$w" >/dev/null; then
                ((i++))
                [[ ${COMP_WORDS[i]} == = ]] && ((i++))
                [[ $w == --db ]] && _meter_db=(--db "${COMP_WORDS[i]}")
            fi
            continue
        fi
        _meter_node "$path"
        if [[ -n $_meter_cmds && " $_meter_cmds " == *" $w "* ]]; then
            path=${path:+$path }$w
            nargs=0
        else
            ((nargs++))
        fi
    done
    _meter_node "$path"
    [[ -n $path ]] || _meter_root_flags=""
    if [[ $cur == = ]]; then
        opt=${COMP_WORDS[COMP_CWORD-1]}
        cur=""
    elif [[ $COMP_CWORD -ge 2 && ${COMP_WORDS[COMP_CWORD-1]} == = ]]; then
        opt=${COMP_WORDS[COMP_CWORD-2]}
    elif [[ ${COMP_WORDS[COMP_CWORD-1]} == -* ]]; then
        opt=${COMP_WORDS[COMP_CWORD-1]}
    fi
    if [[ -n $opt ]] && spec=$(_meter_value_of "$opt"); then
        _meter_offer "$spec" "$cur"
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$_meter_flags $_meter_root_flags" -- "$cur"))
        return 0
    fi
    if [[ -n $_meter_cmds ]]; then
        COMPREPLY=($(compgen -W "$_meter_cmds" -- "$cur"))
        return 0
    fi
    local -a specs=($_meter_args)
    spec=${specs[nargs]}
    if [[ -z $spec && ${#specs[@]} -gt 0 && ${specs[-1]} == *+ ]]; then
        spec=${specs[-1]}
    fi
    [[ -n $spec ]] && _meter_offer "$spec" "$cur"
    return 0
}

complete -F _meter meter
)SH";

std::string BashScript(const std::vector<Node>& nodes) {
  std::string out = kBashHead;
  out += "# Sets the words of one node of the command table.\n_meter_node() {\n    case $1 in\n";
  for (const Node& n : nodes)
    out += fmt::format("        {})\n            _meter_cmds={}\n            _meter_flags={}\n"
                       "            _meter_vals={}\n            _meter_args={} ;;\n",
                       ShQuote(n.path), ShQuote(Joined(CommandNames(n))), ShQuote(Joined(FlagNames(n))),
                       ShQuote(Joined(ValueFlags(n))), ShQuote(Joined(ArgSpecs(n))));
  out += "        *)\n            _meter_cmds=\"\" _meter_flags=\"\" _meter_vals=\"\" _meter_args=\"\" ;;\n    esac\n}\n";
  return out + kBashBody;
}

// ---- zsh ----

constexpr const char* kZshHead = R"SH(#compdef meter
# zsh completion for meter, generated by `meter completion zsh` from its
# command table. Install it where zsh looks for completions, then start a new
# shell:
#   meter completion zsh > "${fpath[1]}/_meter"
# or load it in ~/.zshrc, after compinit:
#   source <(meter completion zsh)
# Tenant ids, plan keys, meter keys and invoice numbers come from the database
# that --db, $METER_DB or ./meter.db names, read when you press Tab.

)SH";

constexpr const char* kZshBody = R"SH(
_meter_value_of() {
    local entry
    for entry in ${=_meter_vals} ${=_meter_root_vals}; do
        if [[ ${entry%%=*} == "$1" ]]; then
            print -r -- "${entry#*=}"
            return 0
        fi
    done
    return 1
}

_meter_offer() {
    local spec=${1%+}
    local -a vals
    case $spec in
        tenants|plans|meters|invoices)
            vals=(${(f)"$("$_meter_bin" "${_meter_db[@]}" __complete "$spec" 2>/dev/null)"})
            compadd -a vals ;;
        choice:*)
            vals=(${(s:,:)${spec#choice:}})
            compadd -a vals ;;
        file)
            _files ;;
    esac
}

_meter() {
    local path_="" nargs=0 i w spec opt="" cur=${words[CURRENT]}
    local -a _meter_cmds _meter_flags _meter_db _meter_args
    local _meter_vals _meter_root_vals _meter_bin=${words[1]}
    local -a _meter_root_flags
    _meter_node ""
    _meter_root_flags=("${_meter_flags[@]}")
    _meter_root_vals=$_meter_vals
    for ((i = 2; i < CURRENT; i++)); do
        w=${words[i]}
        if [[ $w == -* ]]; then
            _meter_node "$path_"
            if [[ $w != *=* ]] && _meter_value_of "$w" >/dev/null; then
                ((i++))
                [[ $w == --db ]] && _meter_db=(--db "${words[i]}")
            elif [[ $w == --db=* ]]; then
                _meter_db=("$w")
            fi
            continue
        fi
        _meter_node "$path_"
        if (( ${#_meter_cmds} )) && (( ${_meter_cmds[(I)${(q)w}:*]} )); then
            path_=${path_:+$path_ }$w
            nargs=0
        else
            ((nargs++))
        fi
    done
    _meter_node "$path_"
    [[ -n $path_ ]] || _meter_root_flags=()
    if [[ $cur == -*=* ]]; then
        opt=${cur%%=*}
        compset -P '*='
    elif [[ ${words[CURRENT-1]} == -* ]]; then
        opt=${words[CURRENT-1]}
    fi
    if [[ -n $opt ]] && spec=$(_meter_value_of "$opt"); then
        _meter_offer "$spec"
        return
    fi
    if [[ $cur == -* ]]; then
        _describe -t options 'option' _meter_flags -- _meter_root_flags
        return
    fi
    if (( ${#_meter_cmds} )); then
        _describe -t commands 'command' _meter_cmds
        return
    fi
    local -a specs
    specs=(${=_meter_args})
    spec=${specs[nargs+1]}
    if [[ -z $spec && ${#specs} -gt 0 && ${specs[-1]} == *+ ]]; then
        spec=${specs[-1]}
    fi
    [[ -n $spec ]] && _meter_offer "$spec"
}

if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _meter "$@"
else
    compdef _meter meter
fi
)SH";

// "name:description" entries for _describe, colons in the name escaped.
std::string ZshDescribed(const std::string& name, const std::string& description) {
  std::string n;
  for (char c : name) n += c == ':' ? std::string("\\:") : std::string(1, c);
  return ShQuote(n + ":" + description);
}

std::string ZshScript(const std::vector<Node>& nodes) {
  std::string out = kZshHead;
  out += "_meter_node() {\n    case $1 in\n";
  for (const Node& n : nodes) {
    std::vector<std::string> cmds, flags;
    for (const auto& c : n.commands) cmds.push_back(ZshDescribed(c.name, c.description));
    for (const auto& f : n.flags)
      for (const auto& name : f.names) flags.push_back(ZshDescribed(name, f.description));
    out += fmt::format("        {})\n            _meter_cmds=({})\n            _meter_flags=({})\n"
                       "            _meter_vals={}\n            _meter_args={} ;;\n",
                       ShQuote(n.path), Joined(cmds), Joined(flags), ShQuote(Joined(ValueFlags(n))),
                       ShQuote(Joined(ArgSpecs(n))));
  }
  out += "        *)\n            _meter_cmds=() _meter_flags=() _meter_vals=\"\" _meter_args=\"\" ;;\n    esac\n}\n";
  return out + kZshBody;
}

// ---- fish ----

constexpr const char* kFishHead = R"SH(# fish completion for meter, generated by `meter completion fish` from its
# command table. Install it for your user:
#   meter completion fish > ~/.config/fish/completions/meter.fish
# Tenant ids, plan keys, meter keys and invoice numbers come from the database
# that --db, $METER_DB or ./meter.db names, read when you press Tab.

)SH";

constexpr const char* kFishBody = R"SH(
# The command path the words before the cursor select ("" or "invoice show"),
# or with --count how many positional arguments they give that command.
function __meter_path
    set -l path ''
    set -l skip 0
    set -l nargs 0
    for t in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case '-*=*'
                continue
            case '-*'
                if __meter_takes_value "$path" $t
                    set skip 1
                end
                continue
        end
        if contains -- $t (__meter_children "$path")
            set path (string trim -- "$path $t")
            set nargs 0
        else
            set nargs (math $nargs + 1)
        end
    end
    if test "$argv[1]" = --count
        echo $nargs
    else
        echo $path
    end
end

function __meter_at --argument-names want
    set -l here (__meter_path)
    test "$here" = "$want"
end

# At `want`, completing its positional argument number `index` (from 0; with
# `last`, that one or any later: it takes several values).
function __meter_at_arg --argument-names want index last
    __meter_at "$want"; or return 1
    set -l n (__meter_path --count)
    test $n -eq $index; or begin; test -n "$last"; and test $n -ge $index; end
end

# Ids from the database, read without writing; nothing on any error.
function __meter_values --argument-names kind
    set -l tokens (commandline -opc)
    set -l db
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case '--db'
                set -l next (math $i + 1)
                if test $next -le (count $tokens)
                    set db --db $tokens[$next]
                end
            case '--db=*'
                set db $tokens[$i]
        end
    end
    $tokens[1] $db __complete $kind 2>/dev/null
end
)SH";

std::string FishValueArgs(const ValueSpec& v) {
  if (v.kind == "file") return "-r -F";
  if (v.kind == "choice") return "-x -a " + FishQuote(Joined(v.choices));
  if (v.kind.empty()) return "-x";
  return "-x -a " + FishQuote("(__meter_values " + v.kind + ")");
}

std::string FishScript(const std::vector<Node>& nodes) {
  std::string out = kFishHead;
  out += "function __meter_children --argument-names path\n    switch \"$path\"\n";
  for (const Node& n : nodes)
    if (!n.commands.empty())
      out += fmt::format("        case {}\n            printf '%s\\n' {}\n", FishQuote(n.path), Joined(CommandNames(n)));
  out += "    end\nend\n\nfunction __meter_takes_value --argument-names path flag\n"
         "    switch \"$path\"\n";
  const Node& root = nodes.front();
  std::vector<std::string> root_value_flags;
  for (const auto& f : root.flags)
    if (f.takes_value) root_value_flags.insert(root_value_flags.end(), f.names.begin(), f.names.end());
  for (const Node& n : nodes) {
    std::vector<std::string> value_flags = root_value_flags;
    if (!n.path.empty())
      for (const auto& f : n.flags)
        if (f.takes_value) value_flags.insert(value_flags.end(), f.names.begin(), f.names.end());
    out += fmt::format("        case {}\n            contains -- $flag {}\n", FishQuote(n.path), Joined(value_flags));
  }
  out += "    end\nend\n" + std::string(kFishBody) + "\ncomplete -c meter -e\n";
  for (const Node& n : nodes) {
    std::string cond = n.path.empty() ? "" : fmt::format("-n {} ", FishQuote("__meter_at " + FishQuote(n.path)));
    for (const auto& c : n.commands)
      out += fmt::format("complete -c meter -f {}-a {} -d {}\n",
                         n.path.empty() ? "-n " + FishQuote("__meter_at ''") + " " : cond, c.name,
                         FishQuote(c.description));
    for (const auto& f : n.flags) {
      std::string names;
      for (const auto& name : f.names)
        names += name.starts_with("--") ? " -l " + name.substr(2) : " -s " + name.substr(1);
      out += fmt::format("complete -c meter {}{} {}-d {}\n", cond, names,
                         f.takes_value ? FishValueArgs(f.value) + " " : "", FishQuote(f.description));
    }
    if (!n.commands.empty()) continue;
    // Each positional argument completes its own kind (`tenants set-plan ID PLAN`).
    for (size_t i = 0; i < n.args.size(); ++i) {
      const ValueSpec& a = n.args[i];
      bool last = i + 1 == n.args.size() && a.many;
      std::string at = fmt::format("-n {} ", FishQuote(fmt::format("__meter_at_arg {} {}{}", FishQuote(n.path), i,
                                                                   last ? " last" : "")));
      if (a.kind == "file") out += fmt::format("complete -c meter {}-F\n", at);
      else if (a.kind == "choice") out += fmt::format("complete -c meter {}-f -a {}\n", at, FishQuote(Joined(a.choices)));
      else if (!a.kind.empty())
        out += fmt::format("complete -c meter {}-f -a {}\n", at, FishQuote("(__meter_values " + a.kind + ")"));
    }
  }
  return out;
}

// ---- meter __complete KIND ----

Result<std::vector<std::string>> Values(store::Database& db, const std::string& kind) {
  std::vector<std::string> out;
  if (kind == "invoices") {
    METER_ASSIGN_OR_RETURN(auto invoices, store::InvoiceStore(db).List({}));
    for (const auto& inv : invoices) out.push_back(inv.number.empty() ? inv.id : inv.number);
    return out;
  }
  METER_ASSIGN_OR_RETURN(catalog::Catalog c, store::CatalogStore(db).Load(Clock::Now()));
  if (kind == "tenants")
    for (const auto& t : c.tenants) out.push_back(t.id);
  if (kind == "plans")
    for (const auto& p : c.plans) out.push_back(p.key);
  if (kind == "meters")
    for (const auto& m : c.meters) out.push_back(m.key);
  return out;
}

// How long a Tab press may wait for the database: a postgresql:// host that
// drops packets or a server that accepts and never answers would otherwise
// hold the shell for libpq's whole connect timeout.
constexpr int kValuesBudgetMs = 1500;

int RunValues(const Context& ctx, const std::string& kind) {
  // Past the budget the helper leaves silently, printing nothing.
  std::signal(SIGALRM, [](int) { ::_exit(kExitOk); });
  itimerval budget{};
  budget.it_value.tv_sec = kValuesBudgetMs / 1000;
  budget.it_value.tv_usec = kValuesBudgetMs % 1000 * 1000;
  ::setitimer(ITIMER_REAL, &budget, nullptr);
  auto db = ctx.OpenDbReadOnly(/*migrate=*/false);
  if (!db.ok()) return kExitOk;
  auto values = Values(**db, kind);
  if (!values.ok()) return kExitOk;
  std::string out;
  for (const auto& v : *values)
    if (PlainWord(v)) out += v + "\n";
  budget = {};
  ::setitimer(ITIMER_REAL, &budget, nullptr);  // all or nothing: the list is whole
  fmt::print("{}", out);
  return kExitOk;
}

int RunCompletion(const CLI::App& root, const std::string& shell) {
  std::vector<Node> nodes = Table(root);
  if (shell == "bash") fmt::print("{}", BashScript(nodes));
  else if (shell == "zsh") fmt::print("{}", ZshScript(nodes));
  else fmt::print("{}", FishScript(nodes));
  return kExitOk;
}

}  // namespace

void RegisterCompletionCommands(CLI::App& app, Context& ctx) {
  static std::string shell, kind;
  CLI::App* root = &app;
  auto* c = AddCommand(app, ctx, "completion", "Print a shell completion script (bash, zsh or fish)",
                       [root] { return RunCompletion(*root, shell); });
  c->add_option("shell", shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  c->footer("Install: meter completion bash > ~/.local/share/bash-completion/completions/meter\n"
            "         meter completion zsh > \"${fpath[1]}/_meter\"\n"
            "         meter completion fish > ~/.config/fish/completions/meter.fish");
  auto* values = AddCommand(app, ctx, "__complete", "", [&ctx] { return RunValues(ctx, kind); });
  values->group("");  // hidden: the scripts' helper
  values->add_option("kind", kind, "tenants, plans, meters or invoices")->required();
}

}  // namespace meter::cli

#include "command_tree.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/status.h"
#include "core/suggest.h"

namespace meter::cli {

std::vector<const CLI::App*> VisibleCommands(const CLI::App& cmd) {
  return cmd.get_subcommands([](const CLI::App* sub) { return !sub->get_group().empty(); });
}

std::string CommandPath(const CLI::App& cmd) {
  std::string path = cmd.get_name();
  for (const CLI::App* p = cmd.get_parent(); p; p = p->get_parent()) path = p->get_name() + " " + path;
  return path;
}

std::vector<std::string> OptionNames(const CLI::App& cmd) {
  std::vector<std::string> out;
  for (const CLI::App* a = &cmd; a; a = a->get_parent())
    for (const CLI::Option* o : a->get_options()) {
      for (const auto& n : o->get_lnames()) out.push_back("--" + n);
      for (const auto& n : o->get_snames()) out.push_back("-" + n);
    }
  return out;
}

namespace {

// The command the parse reached: the last subcommand selected on the line.
const CLI::App& Reached(const CLI::App& root) {
  const CLI::App* cur = &root;
  while (!cur->get_subcommands().empty()) cur = cur->get_subcommands().front();
  return *cur;
}

// "meter invoice show" without the leading "meter ".
std::string PathBelowRoot(const CLI::App& cmd) {
  std::string path = CommandPath(cmd);
  size_t space = path.find(' ');
  return space == std::string::npos ? "" : path.substr(space + 1);
}

std::string SeeHelp(const CLI::App& cmd) { return fmt::format("see '{} --help'", CommandPath(cmd)); }

// "(commands: init, catalog, ...)" or "(invoice commands: generate, ...)".
std::string CommandList(const CLI::App& group) {
  std::vector<std::string> names;
  for (const CLI::App* sub : VisibleCommands(group)) names.push_back(sub->get_name());
  std::string below = PathBelowRoot(group);
  return fmt::format("({}commands: {})", below.empty() ? "" : below + " ", fmt::join(names, ", "));
}

std::string DidYouMean(const std::vector<std::string>& words) {
  return words.empty() ? "" : fmt::format("; did you mean {}?", QuotedAlternatives(words));
}

// The word typed and the words suggested stand alone, at every level (SPEC 1's
// "unknown command 'quotaa'; did you mean 'quota'?" shape): the list after
// them names the group ("(invoice commands: ...)").
std::string UnknownCommand(const CLI::App& group, const std::string& typed) {
  std::vector<std::string> names;
  for (const CLI::App* sub : VisibleCommands(group)) names.push_back(sub->get_name());
  return fmt::format("unknown command '{}'{} {}", typed, DidYouMean(ClosestWords(typed, names)), CommandList(group));
}

std::string UnknownOption(const CLI::App& cmd, const std::string& typed) {
  std::string name = typed.substr(0, typed.find('='));
  return fmt::format("unknown option '{}'{} ({})", name, DidYouMean(ClosestWords(name, OptionNames(cmd))),
                     SeeHelp(cmd));
}

// The required option or argument of `cmd` the line did not give, or null.
const CLI::Option* MissingRequired(const CLI::App& cmd) {
  for (const CLI::Option* o : cmd.get_options())
    if (o->get_required() && o->count() == 0) return o;
  return nullptr;
}

std::string Missing(const CLI::App& cmd, const CLI::Option& o) {
  std::string what = o.nonpositional() ? fmt::format("option '{}'", o.get_name(false, false))
                                       : fmt::format("argument '{}'", o.get_name(true, false));
  std::string about = o.get_description().empty() ? "" : fmt::format(" ({})", o.get_description());
  return fmt::format("missing {}{}; {}", what, about, SeeHelp(cmd));
}

// CLI11's message for a value outside a flag's choices ("--status: opne not in
// {draft,open,paid}") with the closest choices suggested, as for commands.
std::string WithChoiceSuggestion(const std::string& what) {
  size_t in = what.rfind(" not in {"), colon = what.find(": ");
  if (in == std::string::npos || colon == std::string::npos || colon > in || what.back() != '}') return what;
  std::string typed = what.substr(colon + 2, in - colon - 2);
  std::vector<std::string> choices;
  std::string list = what.substr(in + 9, what.size() - in - 10);
  for (size_t start = 0; start <= list.size();) {
    size_t comma = std::min(list.find(',', start), list.size());
    choices.push_back(list.substr(start, comma - start));
    start = comma + 1;
  }
  return what + DidYouMean(ClosestWords(typed, choices));
}

std::string Diagnose(const CLI::App& root, const CLI::ParseError& e) {
  const CLI::App& cmd = Reached(root);
  bool group = !VisibleCommands(cmd).empty();
  std::vector<std::string> left = root.remaining(true);
  if (!left.empty()) {
    const std::string& word = left.front();
    if (word.size() > 1 && word[0] == '-') return UnknownOption(cmd, word);
    if (group) return UnknownCommand(cmd, word);
    return fmt::format("unexpected argument '{}' ({})", word, SeeHelp(cmd));
  }
  if (group) {
    std::string below = PathBelowRoot(cmd);
    return fmt::format("missing command{} {}; {}", below.empty() ? "" : " after '" + below + "'", CommandList(cmd),
                       SeeHelp(cmd));
  }
  if (const CLI::Option* o = MissingRequired(cmd)) return Missing(cmd, *o);
  return fmt::format("{} ({})", WithChoiceSuggestion(e.what()), SeeHelp(cmd));
}

}  // namespace

int ReportUsageError(const CLI::App& root, const CLI::ParseError& e) {
  fmt::print(stderr, "meter: {}\n", Diagnose(root, e));
  return kExitUsage;
}

}  // namespace meter::cli

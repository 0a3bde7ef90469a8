// The command table as CLI11 holds it after main registered the groups: what
// --help prints, the "did you mean" of a mistyped command and `meter
// completion` all read this one tree.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace meter::cli {

// The subcommands of `cmd` a person may type, in registration order (hidden
// ones, whose group is empty, left out).
std::vector<const CLI::App*> VisibleCommands(const CLI::App& cmd);

// "meter invoice show": the words that select `cmd`, from the root.
std::string CommandPath(const CLI::App& cmd);

// The long and short names of every option `cmd` accepts, its ancestors'
// (the global flags) included: "--tenant", "-q", ...
std::vector<std::string> OptionNames(const CLI::App& cmd);

// Prints the one stderr line for a command line CLI11 refused and returns
// exit code 2. It names what was wrong from the state of the parse: an unknown
// command or subcommand with the closest known ones and the group's commands,
// an unknown option with the closest known one, a missing command, argument
// or option pointing at that command's own --help (SPEC section 1).
int ReportUsageError(const CLI::App& root, const CLI::ParseError& e);

}  // namespace meter::cli

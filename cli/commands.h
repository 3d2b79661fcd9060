// Each jreview subcommand lives in its own cmd_*.cpp file and registers
// itself with JREVIEW_COMMAND(fn): fn adds the subcommand to the app and,
// when the subcommand is chosen, leaves the work to do in `run`, which main
// executes after parsing. No edit of main.cpp is needed for a new command.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace jreview {

using Runner = std::function<int()>;
using CommandSetup = void (*)(CLI::App& app, Runner& run);

std::vector<std::pair<int, CommandSetup>>& command_registry();

// The library prints nothing: its warnings (calendar fallback years ...) go
// to a sink in its options. This one writes them to stderr as
// "jreview: warning: ...".
void warn_on_stderr(const std::string& message);

// The library's messages name its option fields (SimulationOptions::runs,
// CalendarOptions::weekend_fallback ...); the command's name its flags.
std::string in_flags(std::string message);

struct Registrar {
  // `order` sorts the commands in --help.
  Registrar(int order, CommandSetup fn) { command_registry().emplace_back(order, fn); }
};

}  // namespace jreview

#define JREVIEW_COMMAND(order, fn) static const ::jreview::Registrar jreview_registrar_##fn(order, fn)

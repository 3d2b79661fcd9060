// Options shared by the commands that open the live engine.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"

namespace jreview {

struct EngineFlags {
  std::string db = "jreview.db";
  std::string now;  // fake local time, "" = the real clock
  bool weekend_fallback = false;
  bool strict_calendar = false;
  bool read_only = false;
  // A running jreview serve instead of the database (--server, --token).
  std::string server, token;
};

void add_engine_flags(CLI::App* sub, EngineFlags& f);
// --read-only, for the commands that only read (status, events, report, queue).
void add_read_only_flag(CLI::App* sub, EngineFlags& f);
std::unique_ptr<jointreview::Engine> open_engine(const EngineFlags& f);

// Prints an engine error ("jreview: refused: ...", "forbidden: ..." or
// "error: ...") and returns the exit status: 3 for refused and forbidden
// actions, 2 for every other error.
int error_exit(const jointreview::Error& e);

// When `sub` is chosen: opens the engine with the options' EngineFlags `e`,
// runs body(engine, options) and maps an engine error to its exit status.
template <class Opts, class Body>
void with_engine(CLI::App* sub, Runner& run, std::shared_ptr<Opts> o, Body body) {
  sub->callback([o, &run, body] {
    run = [o, body] {
      try {
        auto engine = open_engine(o->e);
        return body(*engine, *o);
      } catch (const jointreview::Error& e) {
        return error_exit(e);
      }
    };
  });
}

// A date shown with its provisional mark, and the note the mark refers to
// (printed once under a table that has one).
inline std::string dated(const std::string& date, bool provisional) { return provisional ? date + " *" : date; }
inline const char* const kProvisionalNote =
    "* provisional: a date in a year whose holiday notice is not yet in the calendar, counted with weekends and the "
    "statutory holidays only; it may move when the notice is added\n";

}  // namespace jreview

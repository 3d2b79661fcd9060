// Options shared by the commands that open the live engine.
#pragma once

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "jointreview/engine.h"

namespace jreview {

struct EngineFlags {
  std::string db = "jreview.db";
  std::string now;  // fake local time, "" = the real clock
  bool weekend_fallback = false;
};

void add_engine_flags(CLI::App* sub, EngineFlags& f);
std::unique_ptr<jointreview::Engine> open_engine(const EngineFlags& f);

}  // namespace jreview

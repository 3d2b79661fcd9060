// jreview: the JointReview command.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>

#include "commands.h"
#include "jointreview/loader.h"

namespace jreview {
std::vector<std::pair<int, CommandSetup>>& command_registry() {
  static std::vector<std::pair<int, CommandSetup>> r;
  return r;
}

void warn_on_stderr(const std::string& message) {
  std::fprintf(stderr, "jreview: warning: %s\n", in_flags(message).c_str());
}

std::string in_flags(std::string message) {
  static const std::pair<const char*, const char*> kFlags[] = {
      {"SimulationOptions::green_projects", "--green"},   {"SimulationOptions::projects", "--projects"},
      {"SimulationOptions::runs", "--runs"},               {"SimulationOptions::threads", "--threads"},
      {"SimulationOptions::capacity", "--capacity"},       {"CalendarOptions::weekend_fallback", "--weekend-fallback"},
      {"ActRequest::note", "--note"},                      {"ActRequest::actor", "--as"},
      {"EngineOptions::read_only", "--read-only"},         {"ActRequest::expected_version", "--expect-version"},
      {"ActRequest::request_id", "--request-id"},          {"StartRequest::key", "--key"},
      {"InstanceFilter::state", "--state"},                {"InstanceFilter::flag", "--flag"},
      {"InstanceFilter::after", "--after"},                {"InstanceFilter::order", "--order"},
      {"InstanceFilter::limit", "--limit"},                {"InstanceFilter", "--started-from/--started-to/--finished-from/--finished-to"}};
  for (const auto& [field, flag] : kFlags)
    for (std::size_t at; (at = message.find(field)) != std::string::npos;)
      message.replace(at, std::strlen(field), flag);
  return message;
}
}  // namespace jreview

int main(int argc, char** argv) {
  CLI::App app{"jreview: parallel joint review (联审联批) of government approvals"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("jreview ") + jointreview::version());
  jreview::Runner run;
  auto& reg = jreview::command_registry();
  std::stable_sort(reg.begin(), reg.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, setup] : reg) setup(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2.
    return app.exit(e) == 0 ? 0 : 2;
  }
  try {
    return run ? run() : 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jreview: error: %s\n", jreview::in_flags(e.what()).c_str());
    return 2;
  }
}

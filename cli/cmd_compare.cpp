// jreview compare BEFORE AFTER [--format table|json]
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/planner.h"

namespace jreview {

namespace {

struct CompareCliOptions {
  std::string before, after;
  std::string format = "table";
};

std::optional<jointreview::Workflow> load_quietly(const std::string& file) {
  jointreview::LoadOptions lo;
  lo.warnings = false;
  auto r = jointreview::load_workflow_file(file, lo);
  for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
  return std::move(r.workflow);
}

void add_compare(CLI::App& app, Runner& run) {
  auto o = std::make_shared<CompareCliOptions>();
  auto* sub = app.add_subcommand("compare", "Reform metrics of two workflows: steps, materials, trips, days");
  sub->add_option("before", o->before, "the workflow before the reform")->required();
  sub->add_option("after", o->after, "the workflow after the reform")->required();
  sub->add_option("--format", o->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  sub->callback([o, &run] {
    run = [o] {
      auto before = load_quietly(o->before);
      auto after = load_quietly(o->after);
      if (!before || !after) return 1;
      try {
        auto c = jointreview::compare(*before, *after);
        std::cout << jointreview::render_comparison(
            c, o->format == "json" ? jointreview::CompareFormat::json : jointreview::CompareFormat::table);
      } catch (const jointreview::Error& e) {
        std::cerr << "jreview: error: " << in_flags(e.what()) << "\n";
        return e.code() == jointreview::Error::Code::invalid_workflow ? 1 : 2;
      }
      return 0;
    };
  });
}

}  // namespace

JREVIEW_COMMAND(40, add_compare);

}  // namespace jreview

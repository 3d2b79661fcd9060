// jreview plan FILE [--start DATE] [--weekend-fallback] [--format ...] [--output FILE]
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/planner.h"

namespace jreview {

namespace {

struct PlanCliOptions {
  std::string file;
  std::string start;
  std::string format = "table";
  std::string output;
  bool weekend_fallback = false;
  bool strict_calendar = false;
};

// Prints the loader's diagnostics; true when the workflow loaded.
bool load_or_report(const std::string& file, std::optional<jointreview::Workflow>& wf) {
  jointreview::LoadOptions lo;
  lo.warnings = false;  // the plan itself reports redundant edges
  auto r = jointreview::load_workflow_file(file, lo);
  for (const auto& d : r.diagnostics) std::cerr << d.str() << "\n";
  if (!r.ok()) return false;
  wf = std::move(r.workflow);
  return true;
}

int write_output(const std::string& text, const std::string& path) {
  if (path.empty() || path == "-") {
    std::cout << text;
    return 0;
  }
  std::ofstream out(path, std::ios::binary);
  if (out) out << text;
  if (!out) {
    std::cerr << "jreview: error: cannot write '" << path << "'\n";
    return 2;
  }
  return 0;
}

void add_plan(CLI::App& app, Runner& run) {
  auto o = std::make_shared<PlanCliOptions>();
  auto* sub = app.add_subcommand("plan", "Plan a workflow: waves, critical path, working days and dates");
  sub->add_option("file", o->file, "workflow file")->required();
  sub->add_option("--start", o->start, "acceptance date YYYY-MM-DD (offset 0); adds calendar dates");
  sub->add_option("--format", o->format, "table, json, dot, mermaid, svg (Gantt chart) or html")
      ->check(CLI::IsMember({"table", "json", "dot", "mermaid", "svg", "html"}));
  sub->add_option("--output,-o", o->output, "write to this file instead of stdout");
  sub->add_flag("--weekend-fallback", o->weekend_fallback,
                "dates outside the calendar's years count weekends only (with a warning) instead of failing");
  sub->add_flag("--strict-calendar", o->strict_calendar,
                "no provisional years: a date after the calendar's published years is an error (or, with "
                "--weekend-fallback, counted with weekends only)");
  sub->callback([o, &run] {
    run = [o] {
      std::optional<jointreview::Workflow> wf;
      if (!load_or_report(o->file, wf)) return 1;
      jointreview::PlanOptions po;
      if (!o->start.empty()) {
        auto d = jointreview::Date::try_parse(o->start);
        if (!d) {
          std::string why;
          try {
            jointreview::Date::parse(o->start);
          } catch (const std::exception& e) {
            why = in_flags(e.what());
          }
          std::cerr << "jreview: error: bad --start date '" << o->start << "'"
                    << (why.empty() ? "" : ": " + why) << "; write it as YYYY-MM-DD, e.g. 2026-03-02\n";
          return 2;
        }
        po.start = *d;
        if (o->weekend_fallback || o->strict_calendar) {
          jointreview::CalendarOptions co;
          co.weekend_fallback = o->weekend_fallback;
          co.strict = o->strict_calendar;
          co.on_warning = warn_on_stderr;
          try {
            po.calendar = jointreview::load_workflow_calendar(*wf, co);
          } catch (const jointreview::Error& e) {
            std::cerr << "jreview: error: " << in_flags(e.what()) << "\n";
            return 2;
          }
        }
      }
      jointreview::Plan p;
      try {
        p = jointreview::plan(*wf, po);
      } catch (const jointreview::Error& e) {
        if (e.code() == jointreview::Error::Code::out_of_range)
          std::cerr << "jreview: error: --start " << o->start << ": " << in_flags(e.what()) << "\n";
        else
          std::cerr << "jreview: error: " << in_flags(e.what()) << "\n";
        return e.code() == jointreview::Error::Code::invalid_workflow ? 1 : 2;
      }
      return write_output(jointreview::render_plan(*wf, p, jointreview::parse_plan_format(o->format)), o->output);
    };
  });
}

}  // namespace

JREVIEW_COMMAND(30, add_plan);

}  // namespace jreview

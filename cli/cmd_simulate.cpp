// jreview simulate FILE [--runs N] [--seed S] [--start DATE] [--projects N]
//                       [--capacity DEPT=N ...] [--threads N] [--weekend-fallback] [--no-overdue-share]
//                       [--format table|json|csv] [--html FILE]
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.h"
#include "jointreview/calendar.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/simulator.h"

namespace jreview {

namespace {

struct SimulateCliOptions {
  std::string file;
  std::uint64_t runs = 10000;
  std::uint64_t seed = 1;
  std::string start;
  std::uint32_t projects = 1;
  std::uint32_t green = 0;
  double window = 20;
  std::vector<std::string> capacity;
  unsigned threads = 0;
  std::string format = "table";
  std::string html;
  bool weekend_fallback = false;
  bool strict_calendar = false;
  bool no_overdue_share = false;
};

int fail(const std::string& what, int code = 2) {
  std::cerr << "jreview: error: " << what << "\n";
  return code;
}

// Today's date (local time) if the calendar covers it, or in any case with
// the weekends-only fallback.
std::optional<jointreview::Date> today_if_covered(const jointreview::Calendar& cal, bool fallback) {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  auto d = jointreview::Date::from_ymd(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
  if (!fallback && !cal.covers(d) && !cal.is_provisional(d)) return std::nullopt;
  return d;
}

// A progress bar on stderr: only when stderr is a terminal, and only once the
// run has lasted a second.
std::function<void(std::uint64_t, std::uint64_t)> progress_bar() {
  if (!isatty(STDERR_FILENO)) return {};
  auto t0 = std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
  auto shown = std::make_shared<bool>(false);
  return [t0, shown](std::uint64_t done, std::uint64_t total) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - *t0).count();
    if (done >= total) {
      if (*shown) std::cerr << "\r\033[K" << std::flush;
      return;
    }
    if (elapsed < 1.0) return;
    *shown = true;
    const int width = 30;
    const int filled = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width);
    std::cerr << "\rsimulating [" << std::string(static_cast<std::size_t>(filled), '#')
              << std::string(static_cast<std::size_t>(width - filled), '.') << "] " << done << "/" << total
              << std::flush;
  };
}

int run_simulate(const SimulateCliOptions& o) {
  jointreview::LoadOptions lo;
  lo.warnings = false;
  auto loaded = jointreview::load_workflow_file(o.file, lo);
  for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
  if (!loaded.ok()) return 1;
  const jointreview::Workflow& wf = *loaded.workflow;

  jointreview::SimulationOptions so;
  so.runs = o.runs;
  so.seed = o.seed;
  so.projects = o.projects;
  so.green_projects = o.green;
  so.arrival_window = o.window;
  so.threads = o.threads;
  so.count_overdue = !o.no_overdue_share;
  for (const auto& c : o.capacity) {
    const auto eq = c.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == c.size())
      return fail("--capacity '" + c + "': write DEPARTMENT=N, e.g. --capacity 自然资源局=5");
    const std::string name = c.substr(0, eq), num = c.substr(eq + 1);
    if (num.find_first_not_of("0123456789") != std::string::npos || num.size() > 7)
      return fail("--capacity '" + c + "': N must be a whole number from 0 (unlimited) to 1000000");
    so.capacity.emplace_back(name, static_cast<std::uint32_t>(std::stoul(num)));
  }

  // Dates: --start, else today when the calendar covers it (with
  // --weekend-fallback: in any case), else none.
  try {
    jointreview::CalendarOptions co;
    co.weekend_fallback = o.weekend_fallback;
    co.strict = o.strict_calendar;
    co.on_warning = warn_on_stderr;
    auto cal = jointreview::load_workflow_calendar(wf, co);
    so.calendar = cal;
    if (!o.start.empty()) {
      auto d = jointreview::Date::try_parse(o.start);
      if (!d) return fail("bad --start date '" + o.start + "'; write it as YYYY-MM-DD, e.g. 2026-03-02");
      if (!o.weekend_fallback && !cal->covers(*d) && !cal->is_provisional(*d))
        return fail("--start " + o.start + " is outside calendar '" + cal->id() + "' (" +
                    std::to_string(cal->first_year()) + "-" + std::to_string(cal->last_year()) +
                    "); add that year's holidays to the calendar file, or pass --weekend-fallback for dates that "
                    "count weekends only");
      so.start = d;
    } else {
      so.start = today_if_covered(*cal, o.weekend_fallback);
    }
  } catch (const jointreview::Error& e) {
    if (!o.start.empty()) return fail(std::string("--start: ") + in_flags(e.what()));
    // Without --start a missing calendar only means: no dates.
  }
  if (o.format == "table" || o.format == "csv" || o.format == "json") so.progress = progress_bar();

  jointreview::SimulationResult r;
  try {
    r = jointreview::simulate(wf, so);
  } catch (const jointreview::Error& e) {
    return fail(in_flags(e.what()), e.code() == jointreview::Error::Code::invalid_workflow ? 1 : 2);
  }
  if (!o.html.empty()) {
    std::ofstream out(o.html, std::ios::binary);
    if (out) out << jointreview::render_simulation(r, jointreview::SimulationFormat::html);
    if (!out) return fail("cannot write '" + o.html + "'");
  }
  std::cout << jointreview::render_simulation(r, jointreview::parse_simulation_format(o.format));
  if (o.format == "table" && !so.start && o.start.empty())
    std::cout << "(no finish dates: today is outside the calendar; give --start YYYY-MM-DD)\n";
  return 0;
}

void add_simulate(CLI::App& app, Runner& run) {
  auto o = std::make_shared<SimulateCliOptions>();
  auto* sub = app.add_subcommand(
      "simulate", "Monte Carlo timeline: corrections, busy departments, late materials; percentiles and on-time odds");
  sub->add_option("file", o->file, "workflow file")->required();
  sub->add_option("--runs", o->runs, "replications (default 10000)");
  sub->add_option("--seed", o->seed, "random seed (default 1); same seed, same result for any --threads")
      ->check(CLI::Validator(
          [](std::string& v) {
            return !v.empty() && v[0] == '-' ? std::string("the seed is a whole number of 0 or more, not " + v)
                                             : std::string();
          },
          "SEED"));
  sub->add_option("--start", o->start, "acceptance date YYYY-MM-DD for finish dates (default: today if the calendar covers it)");
  sub->add_option("--projects", o->projects, "projects per replication sharing department capacity (default 1)");
  sub->add_option("--green", o->green, "how many of the projects take the green channel (default 0)");
  sub->add_option("--arrival-window", o->window, "projects arrive over this many working days (default 20)");
  sub->add_option("--capacity", o->capacity, "DEPT=N: reviews a department handles at once (0 = unlimited); repeatable");
  sub->add_option("--threads", o->threads, "worker threads (default: all cores)");
  sub->add_option("--format", o->format, "table (default), json or csv")->check(CLI::IsMember({"table", "json", "csv"}));
  sub->add_option("--html", o->html, "also write a self-contained HTML report to FILE");
  sub->add_flag("--weekend-fallback", o->weekend_fallback,
                "dates outside the calendar's years count weekends only (estimates, marked *) instead of none");
  sub->add_flag("--strict-calendar", o->strict_calendar,
                "no provisional years: dates after the calendar's published years are left out (or, with "
                "--weekend-fallback, counted with weekends only)");
  sub->add_flag("--no-overdue-share", o->no_overdue_share,
                "do not count each step's overdue share (red flags): about a tenth faster; the column reads -");
  sub->callback([o, &run] { run = [o] { return run_simulate(*o); }; });
}

}  // namespace

JREVIEW_COMMAND(40, add_simulate);

}  // namespace jreview

// The simulator against closed forms: deterministic workflows equal the
// plan; sums and maxima of exponentials; the geometric correction loop;
// queues under capacity; determinism across thread counts; the CLI contract.
// Tolerances are 5 standard errors estimated from the runs themselves.
#include <catch2/catch.hpp>

#include <array>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/planner.h"
#include "jointreview/simulator.h"
#include "simulator/replication.h"

using namespace jointreview;

namespace {

Workflow load(const std::string& yaml) {
  auto r = load_workflow_string(yaml, "sim.yaml");
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::error) FAIL(d.str());
  REQUIRE(r.ok());
  return std::move(*r.workflow);
}

Workflow load_file(const std::string& rel) {
  auto r = load_workflow_file(std::string(JR_SOURCE_DIR) + "/" + rel);
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::error) FAIL(d.str());
  REQUIRE(r.ok());
  return std::move(*r.workflow);
}

SimulationResult run(const Workflow& wf, std::uint64_t runs, unsigned threads = 2) {
  SimulationOptions o;
  o.runs = runs;
  o.threads = threads;
  o.trace_median = false;
  return simulate(wf, o);
}

// |mean - expected| within 5 standard errors of the mean.
void check_mean(const SimulationResult& r, double expected) {
  REQUIRE(r.mean_days);
  const double se = *r.sd_days / std::sqrt(static_cast<double>(r.completed));
  INFO("mean " << *r.mean_days << " expected " << expected << " se " << se);
  CHECK(std::abs(*r.mean_days - expected) <= 5 * se);
  CHECK(se > 0);
}

const SimulatedStep& step(const SimulationResult& r, const std::string& id) {
  for (const auto& s : r.steps)
    if (s.id == id) return s;
  FAIL("no step " << id);
  return r.steps.front();
}

const SimulatedDepartment& dept(const SimulationResult& r, const std::string& name) {
  for (const auto& d : r.departments)
    if (d.name == name) return d;
  FAIL("no department " << name);
  return r.departments.front();
}

struct Command {
  int status = -1;
  std::string out;
};

Command shell(const std::string& args) {
  Command c;
  std::string cmd = std::string(JR_JREVIEW_BIN) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::array<char, 4096> buf{};
  std::size_t k;
  while ((k = fread(buf.data(), 1, buf.size(), p)) > 0) c.out.append(buf.data(), k);
  int st = pclose(p);
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return c;
}

}  // namespace

TEST_CASE("simulator: a deterministic workflow takes exactly the planned days", "[simulator]") {
  Workflow wf = load(R"(
workflow: det
departments: {A: {}, B: {}, C: {}}
steps:
  - {id: s1, department: A, days: 1.5, needs: [form], produces: [d1]}
  - {id: s2, department: B, days: 4, needs: [d1], produces: [d2]}
  - {id: s3, departments: [A, C], days: 2.25, needs: [d1], produces: [d3]}
  - {id: s4, department: C, days: 3, needs: [d3], produces: [d4]}
  - {id: s5, department: A, days: 0.5, needs: [d2, d4], produces: [permit]}
)");
  const Plan p = plan(wf);
  const SimulationResult r = run(wf, 200);
  REQUIRE(r.completed == 200);
  CHECK(*r.mean_days == p.total_days);
  CHECK(*r.p50_days == p.total_days);
  CHECK(*r.p95_days == p.total_days);
  CHECK(*r.min_days == p.total_days);
  CHECK(*r.max_days == p.total_days);
  CHECK(r.planned_days == p.total_days);
  CHECK(r.refused_events == 0);
  // The critical path is s1 -> s3 -> s4 -> s5 in every run.
  CHECK(step(r, "s1").criticality == 1.0);
  CHECK(step(r, "s3").criticality == 1.0);
  CHECK(step(r, "s4").criticality == 1.0);
  CHECK(step(r, "s2").criticality == 0.0);
  CHECK(step(r, "s5").mean_finish == p.total_days);
}

TEST_CASE("simulator: a review that ends exactly at its limit is on time; one that overruns is red", "[simulator][law]") {
  // Without `duration:` a review takes its `days`: it ends at the deadline
  // itself, which is on time (issue 13: a tie used to count as overdue).
  Workflow wf = load(R"(
workflow: tie
departments: {A: {}}
steps:
  - {id: a, department: A, days: 3}
  - {id: b, department: A, days: 2, after: [a]}
  - {id: c, department: A, days: 1, duration: 1.5, after: [b]}
)");
  SimulationOptions o;
  o.runs = 50;
  o.trace_median = false;
  o.count_overdue = true;
  const SimulationResult r = simulate(wf, o);
  REQUIRE(r.completed == 50);
  CHECK(step(r, "a").overdue_share == 0.0);
  CHECK(step(r, "b").overdue_share == 0.0);
  CHECK(step(r, "c").overdue_share == 1.0);  // half a day over
}

TEST_CASE("simulator: a serial chain of exponentials has the sum of the means", "[simulator]") {
  Workflow wf = load(R"(
workflow: chain
departments: {A: {}, B: {}}
steps:
  - {id: a, department: A, days: 5, produces: [x], duration: {dist: exponential, mean: 2}}
  - {id: b, department: B, days: 5, needs: [x], produces: [y], duration: {dist: exponential, mean: 3}}
  - {id: c, department: A, days: 5, needs: [y], produces: [z], duration: {dist: exponential, mean: 5}}
)");
  const SimulationResult r = run(wf, 20000);
  check_mean(r, 10.0);
  // Variance of the sum: 4 + 9 + 25.
  CHECK(std::abs(*r.sd_days - std::sqrt(38.0)) < 0.15);
}

TEST_CASE("simulator: parallel exponentials take the expected maximum", "[simulator]") {
  Workflow wf = load(R"(
workflow: par
departments: {A: {}, B: {}}
steps:
  - {id: a, department: A, days: 5, produces: [x], duration: {dist: exponential, mean: 4}}
  - {id: b, department: B, days: 5, produces: [y], duration: {dist: exponential, mean: 4}}
)");
  const SimulationResult r = run(wf, 20000);
  check_mean(r, 1.5 * 4.0);  // E[max of two exponentials with mean m] = 1.5 m
  CHECK(std::abs(step(r, "a").criticality - 0.5) < 0.03);
  CHECK(std::abs(step(r, "a").criticality + step(r, "b").criticality - 1.0) < 1e-12);
}

TEST_CASE("simulator: the correction loop has the geometric expectation", "[simulator]") {
  // One step of 2 days, returned with p = 0.3, resubmitted after 3 days:
  // E = 2 + p/(1-p) * (3 + 2).
  Workflow wf = load(R"(
workflow: loop
departments: {A: {}}
steps:
  - id: s
    department: A
    days: 2
    correction: {probability: 0.3, turnaround: 3, max_rounds: 60}
)");
  const SimulationResult r = run(wf, 20000);
  check_mean(r, 2.0 + 0.3 / 0.7 * 5.0);
  CHECK(std::abs(step(r, "s").mean_returns - 0.3 / 0.7) < 0.05);
  CHECK(r.rejected_share == 0);
  CHECK(r.refused_events == 0);
}

TEST_CASE("simulator: a return after max_rounds correction rounds rejects the step", "[simulator]") {
  Workflow wf = load(R"(
workflow: reject
departments: {A: {}}
steps:
  - id: s
    department: A
    days: 1
    correction: {probability: 0.5, turnaround: 1, max_rounds: 2}
)");
  const SimulationResult r = run(wf, 20000);
  // Two correction rounds allowed: rejected when three rounds in a row are returned, 0.125.
  const double se = std::sqrt(0.125 * 0.875 / 20000);
  CHECK(std::abs(r.rejected_share - 0.125) < 5 * se);
  CHECK(std::abs(r.completed_share + r.rejected_share - 1.0) < 1e-12);
  CHECK(r.refused_events == 0);
}

TEST_CASE("simulator: deferred materials hold the decision until they arrive", "[simulator]") {
  // Review 1 day; the material arrives uniformly within 10 days:
  // E[max(1, 10U)] = 0.1 + 5 * 0.99 = 5.05.
  Workflow wf = load(R"(
workflow: deferred
departments: {A: {}}
steps:
  - id: s
    department: A
    days: 1
    needs: [m]
    deferred: [{material: m, within: 10, grace: 5, late_probability: 0}]
)");
  const SimulationResult r = run(wf, 20000);
  check_mean(r, 5.05);
  CHECK(*r.max_days <= 10.0);

  Workflow late = load(R"(
workflow: late
departments: {A: {}}
steps:
  - id: s
    department: A
    days: 1
    needs: [m]
    deferred: [{material: m, within: 10, grace: 5, late_probability: 1}]
    correction: {probability: 0, turnaround: 1}
)");
  const SimulationResult rl = run(late, 2000);
  CHECK(rl.completed == 2000);
  CHECK(*rl.min_days > 10.0);  // always after the deadline
  // Half arrive after the grace period: the case is returned once.
  CHECK(std::abs(step(rl, "s").mean_returns - 0.5) < 0.06);
  CHECK(rl.refused_events == 0);
}

TEST_CASE("simulator: excluded periods add elapsed time before the review", "[simulator]") {
  Workflow wf = load(R"(
workflow: excl
departments: {A: {}}
steps:
  - id: s
    department: A
    days: 2
    excluded: [{reason: 专家评审, days: 3}, {reason: 公示, days: 1.5}]
)");
  const SimulationResult r = run(wf, 50);
  CHECK(*r.min_days == 6.5);
  CHECK(*r.max_days == 6.5);
  CHECK(r.refused_events == 0);
}

TEST_CASE("simulator: the same seed gives the same result with 1 and 2 threads", "[simulator]") {
  Workflow wf = load_file("workflows/four-certificates.yaml");
  SimulationOptions o;
  o.runs = 700;
  o.seed = 42;
  o.start = Date::from_ymd(2026, 3, 2);
  o.threads = 1;
  const std::string one = render_simulation(simulate(wf, o), SimulationFormat::json);
  o.threads = 2;
  const std::string two = render_simulation(simulate(wf, o), SimulationFormat::json);
  CHECK(one == two);
  o.seed = 43;
  const std::string other = render_simulation(simulate(wf, o), SimulationFormat::json);
  CHECK(one != other);
}

TEST_CASE("simulator: capacity 1 serialises parallel steps of two projects", "[simulator]") {
  Workflow wf = load(R"(
workflow: cap
departments: {D: {capacity: 1}}
steps:
  - {id: a, department: D, days: 5, produces: [x]}
  - {id: b, department: D, days: 5, produces: [y]}
)");
  SimulationOptions o;
  o.runs = 10;
  o.projects = 2;
  o.arrival_window = 0;  // both arrive at once
  o.threads = 1;
  SimulationResult r = simulate(wf, o);
  // Four reviews one after another: project 1 done at 10, project 2 at 20.
  CHECK(*r.min_days == 10);
  CHECK(*r.max_days == 20);
  CHECK(*r.mean_days == 15);
  CHECK(*dept(r, "D").utilization == Approx(1.0));
  CHECK(dept(r, "D").mean_queue_wait == Approx(7.5));   // (0 + 5 + 10 + 15) / 4
  CHECK(dept(r, "D").max_queue_length == 3);

  o.capacity = {{"D", 0}};  // unlimited
  r = simulate(wf, o);
  CHECK(*r.max_days == 5);
  CHECK(!dept(r, "D").utilization);
  CHECK(dept(r, "D").mean_queue_wait == 0);

  o.capacity = {{"X", 2}};
  CHECK_THROWS_AS(simulate(wf, o), Error);
}

TEST_CASE("simulator: green-channel projects wait less", "[simulator]") {
  Workflow wf = load(R"(
workflow: green
departments: {D: {capacity: 1}}
steps:
  - {id: a, department: D, days: 2, duration: {dist: exponential, mean: 1}}
)");
  SimulationOptions o;
  o.runs = 2000;
  o.projects = 10;
  o.green_projects = 5;
  o.arrival_window = 5;
  o.trace_median = false;
  const SimulationResult r = simulate(wf, o);
  REQUIRE(r.mean_days_green);
  REQUIRE(r.mean_days_normal);
  CHECK(*r.mean_days_green + 1.0 < *r.mean_days_normal);
  CHECK(r.green_projects == 5);
}

TEST_CASE("simulator: a commitment not rectified after a failed verification counts as revoked", "[simulator]") {
  Workflow wf = load(R"(
workflow: promise
departments: {A: {}, B: {}}
steps:
  - {id: c, department: A, days: 1, produces: [x],
     commitment: {verify_after: 20, fail_probability: 1, rectify_probability: 0}}
  - {id: d, department: B, days: 3, needs: [x], produces: [y]}
)");
  SimulationResult r = run(wf, 100);
  CHECK(r.revoked_share == 1.0);
  CHECK(r.completed == 0);
  CHECK(!r.mean_days);

  // Revoked: the verification fails (0.25) and the rectification is not made (0.4).
  Workflow some = load(R"(
workflow: promise
departments: {A: {}, B: {}}
steps:
  - {id: c, department: A, days: 1, produces: [x],
     commitment: {verify_after: 2, fail_probability: 0.25, rectify_probability: 0.6}}
  - {id: d, department: B, days: 3, needs: [x], produces: [y]}
)");
  r = run(some, 20000);
  const double p = 0.25 * 0.4, se = std::sqrt(p * (1 - p) / 20000);
  CHECK(std::abs(r.revoked_share - p) < 5 * se);
  CHECK(*r.max_days == 4);  // the department's 1-day decision on the commitment, then the 3-day review
}
TEST_CASE("simulator: trips count visits to a window at distinct moments", "[simulator]") {
  Workflow wf = load(R"(
workflow: trips
window: 综合窗口
departments: {A: {}, B: {}, C: {}}
steps:
  - {id: s1, department: A, days: 1, produces: [x]}
  - {id: s2, department: B, days: 2, needs: [x], produces: [y]}
  - {id: s3, department: C, days: 3, needs: [x], produces: [z]}
  - {id: s4, department: A, days: 1, needs: [y, z], online: true}
)");
  const SimulationResult r = run(wf, 20);
  CHECK(r.mean_trips == 2.0);  // s1; then s2 and s3 together; s4 online
}

TEST_CASE("simulator: bundled workflows run without refused actions", "[simulator]") {
  for (const char* f : {"workflows/four-certificates.yaml", "workflows/four-certificates-legacy.yaml",
                        "workflows/key-project-review.yaml", "workflows/company-change.yaml",
                        "workflows/company-change-legacy.yaml"}) {
    INFO(f);
    Workflow wf = load_file(f);
    SimulationOptions o;
    o.runs = 300;
    o.projects = 3;
    o.green_projects = 1;
    const SimulationResult r = simulate(wf, o);
    CHECK(r.refused_events == 0);
    CHECK(r.completed > 0);
    CHECK(!r.median_trace.empty());
    CHECK(std::abs(r.completed_share + r.rejected_share + r.revoked_share + r.withdrawn_share - 1.0) < 1e-9);
  }
}

namespace {
// Deferred materials, excluded periods, a commitment, corrections and shared
// capacity, with a time limit: every kind of timer the simulator arms.
const char* kMixed = R"(
workflow: mixed
time_limit: 12
warn_before: 1
departments: {A: {capacity: 1}, B: {capacity: 1}, C: {}}
steps:
  - id: c
    department: A
    days: 1
    produces: [x]
    commitment: {verify_after: 4, fail_probability: 0.1}
  - id: d
    departments: [B, C]
    lead: B
    days: 3
    needs: [x, m]
    produces: [y]
    duration: {dist: exponential, mean: 2}
    deferred: [{material: m, within: 2, grace: 2, late_probability: 0.5}]
    correction: {probability: 0.3, turnaround: {dist: exponential, mean: 1.5}, max_rounds: 2}
  - id: e
    department: B
    days: 2
    needs: [x]
    produces: [z]
    duration: {dist: triangular, min: 1, mode: 2, max: 4}
    excluded: [{reason: 专家评审, days: 1.5}]
  - id: f
    department: A
    days: 1
    needs: [y, z]
    produces: [done]
    duration: {dist: uniform, min: 0.5, max: 2}
    correction: {probability: 0.2, turnaround: 1}
)";
// 400 runs of `projects` projects, a third of them on the green channel:
// the setting of the mode-against-mode comparisons below.
SimulationOptions comparison_options(std::uint32_t projects, std::uint64_t seed, unsigned threads) {
  SimulationOptions o;
  o.runs = 400;
  o.seed = seed;
  o.projects = projects;
  o.green_projects = projects / 3;
  o.threads = threads;
  return o;
}

}  // namespace

TEST_CASE("simulator: the lean timer set gives the same results as arming every timer", "[simulator]") {
  // The engine leaves acceptance_due and the flag-only timers out of its heap
  // and fires `overdue` lazily (simulator_engine.cpp, on_effects). Reference
  // mode arms every timer the machine asks for; results must be identical,
  // overdue_share included, with deferred materials, excluded periods,
  // commitments, corrections and shared capacity all in play.
  Workflow mixed = load(kMixed);
  std::vector<Workflow> wfs;
  wfs.push_back(std::move(mixed));
  for (const char* f : {"workflows/four-certificates.yaml", "workflows/key-project-review.yaml",
                        "workflows/company-change.yaml"})
    wfs.push_back(load_file(f));
  for (const Workflow& wf : wfs) {
    for (std::uint32_t projects : {1u, 6u}) {
      INFO(wf.id << " projects " << projects);
      const SimulationOptions o = comparison_options(projects, 5, 1);
      SimulationResult lean = simulate(wf, o), full = sim::simulate(wf, o, true);
      lean.seconds = full.seconds = 0;
      CHECK(render_simulation(lean, SimulationFormat::json) == render_simulation(full, SimulationFormat::json));
      CHECK(lean.median_trace.size() == full.median_trace.size());
      double overdue = 0;
      for (const auto& s : lean.steps) overdue += s.overdue_share;
      if (wf.id == "mixed") CHECK(overdue > 0);  // the lazily fired red flags are counted
    }
  }
}

TEST_CASE("simulator: without count_overdue only overdue_share is missing", "[simulator]") {
  // The red-flag timers only set flags; not arming them must change no other
  // figure. The JSON of both runs is compared with overdue_share taken out.
  std::vector<Workflow> wfs;
  wfs.push_back(load(kMixed));
  wfs.push_back(load_file("workflows/four-certificates.yaml"));
  for (const Workflow& wf : wfs) {
    for (std::uint32_t projects : {1u, 6u}) {
      INFO(wf.id << " projects " << projects);
      SimulationOptions o = comparison_options(projects, 3, 2);
      SimulationResult with = simulate(wf, o);
      o.count_overdue = false;
      SimulationResult without = simulate(wf, o);
      CHECK(with.overdue_counted);
      CHECK_FALSE(without.overdue_counted);
      with.seconds = without.seconds = 0;
      auto a = nlohmann::json::parse(render_simulation(with, SimulationFormat::json));
      auto b = nlohmann::json::parse(render_simulation(without, SimulationFormat::json));
      double red = 0;
      for (std::size_t i = 0; i < a["steps"].size(); ++i) {
        red += a["steps"][i]["overdue_share"].get<double>();
        CHECK(b["steps"][i]["overdue_share"].is_null());
        a["steps"][i].erase("overdue_share");
        b["steps"][i].erase("overdue_share");
      }
      CHECK(a == b);
      if (wf.id == "mixed") CHECK(red > 0);
      const std::string csv = render_simulation(without, SimulationFormat::csv);
      CHECK(csv.find("overdue_share") == std::string::npos);
      CHECK(render_simulation(with, SimulationFormat::csv).find("overdue_share") != std::string::npos);
    }
  }
}

TEST_CASE("simulator: bad options are refused with a reason", "[simulator]") {
  Workflow wf = load_file("workflows/four-certificates.yaml");
  SimulationOptions o;
  o.runs = 0;
  // The library names its option fields (the command names its flags: below).
  CHECK_THROWS_WITH(simulate(wf, o), Catch::Contains("SimulationOptions::runs must be at least 1"));
  o.runs = 10;
  o.projects = 0;
  CHECK_THROWS_WITH(simulate(wf, o), Catch::Contains("SimulationOptions::projects"));
  o.projects = 1;
  o.capacity = {{"自然资源", 3}};
  CHECK_THROWS_WITH(simulate(wf, o), Catch::Contains("no department '自然资源'") && Catch::Contains("自然资源局"));
}

TEST_CASE("simulator: percentiles are nearest-rank and dates follow the calendar", "[simulator]") {
  Workflow wf = load(R"(
workflow: uni
calendar: cn
time_limit: 5
departments: {A: {}}
steps:
  - {id: s, department: A, days: 5, duration: {dist: uniform, min: 0, max: 10}}
)");
  SimulationOptions o;
  o.runs = 20000;
  o.start = Date::from_ymd(2026, 9, 30);  // Wednesday before the National Day holiday
  const SimulationResult r = simulate(wf, o);
  CHECK(std::abs(*r.p50_days - 5.0) < 0.15);
  CHECK(std::abs(*r.p90_days - 9.0) < 0.15);
  CHECK(std::abs(*r.on_time_probability - 0.5) < 5 * std::sqrt(0.25 / 20000));
  REQUIRE(r.p50_finish_date);
  // A fractional offset falls on the working day that contains it.
  const long day = static_cast<long>(std::ceil(*r.p50_days));
  CHECK(*r.p50_finish_date == Calendar::load("cn")->add(*o.start, day));

  Workflow fixed = load(R"(
workflow: five
calendar: cn
departments: {A: {}}
steps:
  - {id: s, department: A, days: 5}
)");
  o.runs = 10;
  const SimulationResult f = simulate(fixed, o);
  // 5 working days after 2026-09-30 skip Oct 1-7: Oct 8, 9, 10 (make-up Saturday), 12, 13.
  CHECK(f.p50_finish_date->str() == "2026-10-13");
  CHECK(!f.on_time_probability);
  std::uint64_t hist = 0;
  for (auto c : r.histogram) hist += c;
  CHECK(hist == r.completed);
}

// One step of 2 to 40 working days: started in December 2026, its p95
// finishes after the calendar's last covered day.
const char* const kLateWorkflow = R"(
workflow: late
calendar: cn
departments: {A: {}}
steps:
  - {id: s, department: A, days: 20, duration: {dist: uniform, min: 2, max: 40}}
)";

TEST_CASE("simulator: a finish date past the calendar's last year reads 'after', the days still stand",
          "[simulator]") {
  Workflow wf = load(kLateWorkflow);
  SimulationOptions o;
  o.runs = 2000;
  o.start = Date::from_ymd(2026, 12, 1);  // about 22 working days left in the covered years
  CalendarOptions strict;  // no provisional years
  strict.strict = true;
  o.calendar = load_workflow_calendar(wf, strict);
  const SimulationResult r = simulate(wf, o);
  REQUIRE(r.p50_days);
  REQUIRE(r.calendar_last_day);
  CHECK(r.calendar_last_day->str() == "2026-12-31");
  CHECK(r.p50_finish_date);     // about 21 working days: still in 2026
  CHECK(!r.p95_finish_date);    // about 38: after the last covered day
  const std::string table = render_simulation(r, SimulationFormat::table);
  CHECK(table.find("after 2026-12-31") != std::string::npos);
  const auto j = nlohmann::json::parse(render_simulation(r, SimulationFormat::json));
  CHECK(j["p95_finish_date"].is_null());
  CHECK(j["calendar_last_day"] == "2026-12-31");
  CHECK(j["p95_days"].get<double>() > 30);
  CHECK(render_simulation(r, SimulationFormat::html).find("after 2026-12-31") != std::string::npos);
}

TEST_CASE("simulator: with the weekends-only fallback, dates past the calendar are estimates and say so",
          "[simulator]") {
  Workflow wf = load(kLateWorkflow);
  CalendarOptions co;
  co.weekend_fallback = true;
  co.strict = true;  // no provisional years: the fallback starts after the published ones
  std::vector<std::string> warnings;
  co.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  SimulationOptions o;
  o.runs = 2000;
  o.start = Date::from_ymd(2026, 12, 1);
  o.calendar = load_workflow_calendar(wf, co);
  const SimulationResult r = simulate(wf, o);
  CHECK(!r.calendar_last_day);  // every date could be counted
  REQUIRE(r.weekend_fallback_after);
  CHECK(r.weekend_fallback_after->str() == "2026-12-31");
  REQUIRE(r.p95_finish_date);
  CHECK(*r.p95_finish_date > Date::from_ymd(2026, 12, 31));
  // Counted by hand: the working days of the real calendar up to its last
  // day, then Monday to Friday only.
  const Date last = Date::from_ymd(2026, 12, 31);
  long days = load_workflow_calendar(wf)->between(*o.start, last);
  for (Date d = last + 1; d <= *r.p95_finish_date; d = d + 1)
    if (d.weekday() <= 5) ++days;
  CHECK(days == static_cast<long>(std::ceil(*r.p95_days - 1e-9)));
  CHECK(r.p95_finish_date->weekday() <= 5);
  REQUIRE(warnings.size() == 1);  // once per year
  CHECK_THAT(warnings[0], Catch::Contains("counting weekends only"));
  const std::string table = render_simulation(r, SimulationFormat::table);
  CHECK_THAT(table, Catch::Contains(r.p95_finish_date->str() + "*"));
  CHECK_THAT(table, Catch::Contains("* an estimate: after 2026-12-31"));
  CHECK(table.find("after 2026-12-31  ") == std::string::npos);
  const auto j = nlohmann::json::parse(render_simulation(r, SimulationFormat::json));
  CHECK(j["weekend_fallback_after"] == "2026-12-31");
  CHECK(j["p95_finish_date"] == r.p95_finish_date->str());
  CHECK(j["calendar_last_day"].is_null());
  CHECK_THAT(render_simulation(r, SimulationFormat::html), Catch::Contains("估计值"));
  CHECK_THAT(render_simulation(r, SimulationFormat::csv), Catch::Contains("weekend_fallback_after,2026-12-31"));

  CHECK(!r.weekend_fallback_before);

  // Dates within the covered years are exact: nothing is marked.
  o.start = Date::from_ymd(2026, 3, 2);
  const SimulationResult in = simulate(wf, o);
  CHECK(!in.weekend_fallback_after);
  CHECK(!in.weekend_fallback_before);
  CHECK(render_simulation(in, SimulationFormat::table).find('*') == std::string::npos);

  // A start before the covered years: every date was counted through days
  // without holidays, so every date is an estimate, even one inside them.
  o.start = Date::from_ymd(2024, 12, 2);
  const SimulationResult early = simulate(wf, o);
  REQUIRE(early.weekend_fallback_before);
  CHECK(early.weekend_fallback_before->str() == "2025-01-01");
  CHECK(!early.weekend_fallback_after);
  REQUIRE(early.p50_finish_date);
  const std::string et = render_simulation(early, SimulationFormat::table);
  CHECK_THAT(et, Catch::Contains(early.p50_finish_date->str() + "*"));
  CHECK_THAT(et, Catch::Contains("* an estimate: before 2025-01-01 the calendar cn"));
  CHECK(nlohmann::json::parse(render_simulation(early, SimulationFormat::json))["weekend_fallback_before"] ==
        "2025-01-01");
  CHECK(warnings.size() == 2);  // 2027, then 2024
}

TEST_CASE("jreview simulate --weekend-fallback: dates into the next year, marked; refused without it",
          "[simulator][cli]") {
  const std::string wf = std::string(JR_SOURCE_DIR) + "/workflows/four-certificates.yaml";
  Command with = shell("simulate " + wf + " --runs 300 --start 2026-12-01 --weekend-fallback --format json");
  REQUIRE(with.status == 0);
  CHECK_THAT(with.out, Catch::Contains("jreview: warning: calendar 'cn' covers 2025-2026 only"));
  const auto j = nlohmann::json::parse(with.out.substr(with.out.find('{')));
  CHECK(j["weekend_fallback_after"] == "2026-12-31");
  CHECK(j["p50_finish_date"].get<std::string>() > "2027-01-01");
  CHECK(j["calendar_last_day"].is_null());

  Command without = shell("simulate " + wf + " --runs 300 --start 2026-12-01 --format json");
  REQUIRE(without.status == 0);
  const auto k = nlohmann::json::parse(without.out);
  CHECK(k["p50_finish_date"].is_null());
  CHECK(k["calendar_last_day"] == "2026-12-31");
  CHECK(k["weekend_fallback_after"].is_null());
  CHECK(k["p50_days"] == j["p50_days"]);  // the working days do not depend on the calendar

  Command outside = shell("simulate " + wf + " --runs 100 --start 2027-01-04");
  CHECK(outside.status == 2);
  CHECK_THAT(outside.out, Catch::Contains("--start 2027-01-04 is outside calendar 'cn' (2025-2026)"));
  CHECK_THAT(outside.out, Catch::Contains("--weekend-fallback"));
  Command allowed = shell("simulate " + wf + " --runs 100 --start 2027-01-04 --weekend-fallback");
  CHECK(allowed.status == 0);
  CHECK_THAT(allowed.out, Catch::Contains("start date: 2027-01-04"));
  CHECK_THAT(allowed.out, Catch::Contains("* an estimate: after 2026-12-31"));
}

TEST_CASE("jreview simulate: JSON contract and errors", "[simulator][cli]") {
  const std::string wf = std::string(JR_SOURCE_DIR) + "/workflows/four-certificates.yaml";
  Command c = shell("simulate " + wf + " --runs 300 --seed 7 --start 2026-03-02 --format json --threads 2");
  REQUIRE(c.status == 0);
  auto j = nlohmann::json::parse(c.out);
  for (const char* k : {"runs", "mean_days", "p50_days", "p90_days", "p95_days", "on_time_probability", "steps",
                        "departments", "p50_finish_date", "p90_finish_date", "p95_finish_date", "mean_trips",
                        "rejected_share", "revoked_share"})
    CHECK(j.contains(k));
  CHECK(j["runs"] == 300);
  REQUIRE(j["steps"].size() == 11);
  for (const auto& s : j["steps"])
    for (const char* k : {"id", "criticality", "mean_queue_wait"}) CHECK(s.contains(k));
  for (const auto& d : j["departments"])
    for (const char* k : {"name", "utilization", "mean_queue_length"}) CHECK(d.contains(k));

  Command one = shell("simulate " + wf + " --runs 300 --seed 7 --start 2026-03-02 --format json --threads 1");
  CHECK(one.out == c.out);

  // --no-overdue-share leaves out that figure only.
  Command lean = shell("simulate " + wf + " --runs 300 --seed 7 --start 2026-03-02 --format json --no-overdue-share");
  REQUIRE(lean.status == 0);
  auto l = nlohmann::json::parse(lean.out);
  CHECK(l["steps"][0]["overdue_share"].is_null());
  CHECK(j["steps"][0]["overdue_share"].is_number());
  CHECK(l["mean_days"] == j["mean_days"]);
  CHECK(l["p90_finish_date"] == j["p90_finish_date"]);

  Command bad = shell("simulate " + wf + " --capacity 不存在局=2 --runs 10");
  CHECK(bad.status != 0);
  CHECK(bad.out.find("no department '不存在局'") != std::string::npos);
  Command zero = shell("simulate " + wf + " --runs 0");
  CHECK(zero.status != 0);
  CHECK(zero.out.find("--runs must be at least 1") != std::string::npos);
  Command form = shell("simulate " + wf + " --capacity 自然资源局 --runs 10");
  CHECK(form.status != 0);
  CHECK(form.out.find("DEPARTMENT=N") != std::string::npos);
  Command date = shell("simulate " + wf + " --start 2031-01-01 --runs 10 --strict-calendar");
  CHECK(date.status != 0);
  CHECK(date.out.find("outside calendar") != std::string::npos);
  Command beyond = shell("simulate " + wf + " --start 2051-01-02 --runs 10");  // past the provisional years too
  CHECK(beyond.status != 0);
  CHECK(beyond.out.find("outside calendar") != std::string::npos);

  Command table = shell("simulate " + wf + " --runs 200 --start 2026-03-02");
  REQUIRE(table.status == 0);
  CHECK(table.out.find("p50") != std::string::npos);
  CHECK(table.out.find("建设工程设计方案联合审查") != std::string::npos);
}

TEST_CASE("simulator: finish dates in a provisional year are counted with the statutory holidays and marked",
          "[simulator]") {
  Workflow wf = load(kLateWorkflow);
  SimulationOptions o;
  o.runs = 2000;
  o.start = Date::from_ymd(2026, 12, 1);
  const SimulationResult r = simulate(wf, o);  // the default calendar: provisional years
  REQUIRE(r.p95_finish_date);
  CHECK(*r.p95_finish_date > Date::from_ymd(2026, 12, 31));
  REQUIRE(r.provisional_after);
  CHECK(r.provisional_after->str() == "2026-12-31");
  CHECK(!r.weekend_fallback_after);
  CHECK(!r.calendar_last_day);
  CHECK(*r.p95_finish_date == load_workflow_calendar(wf)->add_fractional(*o.start, *r.p95_days));
  const std::string table = render_simulation(r, SimulationFormat::table);
  CHECK_THAT(table, Catch::Contains(r.p95_finish_date->str() + "*"));
  CHECK_THAT(table, Catch::Contains("* provisional: after 2026-12-31"));
  const auto j = nlohmann::json::parse(render_simulation(r, SimulationFormat::json));
  CHECK(j["provisional_after"] == "2026-12-31");
  CHECK(j["p95_finish_provisional"] == true);
  CHECK(j["p50_finish_provisional"] == (*r.p50_finish_date > Date::from_ymd(2026, 12, 31)));
  CHECK_THAT(render_simulation(r, SimulationFormat::html), Catch::Contains("暂定"));
}

TEST_CASE("simulator: counted days are the project clock's, the same as the live status counts", "[simulator][law]") {
  // Issue 13: subtracting the critical path's excluded days gave 2.0 here.
  Workflow wf = load(R"(
workflow: abc
time_limit: 21
departments: {A: {}, B: {}}
steps:
  - {id: a, department: A, days: 1, excluded: [{reason: 挂牌, days: 30}]}
  - {id: b, department: B, days: 20}
  - {id: c, department: B, days: 1, after: [a, b]}
)");
  SimulationOptions o;
  o.runs = 20;
  o.trace_median = false;
  const SimulationResult r = simulate(wf, o);
  REQUIRE(r.completed == 20);
  // a: its review [0, 1], then its period [1, 31]; b [0, 20]; c [31, 32].
  // The project clock runs on days 1-20 (a's day within b's) and on c's day.
  CHECK(*r.mean_days == Approx(32.0));
  REQUIRE(r.mean_counted_days);
  CHECK(*r.mean_counted_days == Approx(21.0));
  REQUIRE(r.on_time_probability);
  CHECK(*r.on_time_probability == 1.0);  // 21 within 21: finishing at the limit is on time
}

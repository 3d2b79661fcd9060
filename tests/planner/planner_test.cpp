// The planner: the CPM core on hand-worked graphs, the workflow layer
// (waves, critical path, redundant edges, capacity, dates), the output
// formats, jreview plan's error paths and the golden plans of the bundled
// workflows (tests/golden/plan/; JR_UPDATE_GOLDEN=1 rewrites them).
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/planner.h"
#include "planner/cpm.h"  // the fast core, private

namespace fs = std::filesystem;
using namespace jointreview;

namespace {

struct Run {
  int code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path scratch_dir() {
  static fs::path dir = [] {
    fs::path d = fs::temp_directory_path() / ("jr_planner_test_" + std::to_string(::getpid()));
    fs::create_directories(d);
    return d;
  }();
  return dir;
}

// Runs jreview with `args` (already shell-quoted where needed).
Run jreview(const std::string& args) {
  static int counter = 0;
  fs::path err = scratch_dir() / ("stderr" + std::to_string(++counter));
  std::string cmd = std::string("\"") + JR_JREVIEW_BIN + "\" " + args + " 2>\"" + err.string() + "\"";
  Run r;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::array<char, 4096> buf;
  std::size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.out.append(buf.data(), got);
  int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = slurp(err);
  return r;
}

fs::path write_file(const std::string& name, const std::string& text) {
  fs::path p = scratch_dir() / name;
  std::ofstream(p, std::ios::binary) << text;
  return p;
}

Workflow load(const std::string& yaml) {
  auto r = load_workflow_string(yaml, "test.yaml");
  if (!r.ok())
    for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.str());
  REQUIRE(r.ok());
  return *r.workflow;
}

const StepPlan& step(const Plan& p, const std::string& id) {
  for (const auto& s : p.steps)
    if (s.id == id) return s;
  FAIL("no step " << id);
  return p.steps.front();
}

std::vector<std::string> path_ids(const Plan& p) {
  std::vector<std::string> out;
  for (std::size_t i : p.critical_path) out.push_back(p.steps[i].id);
  return out;
}

// Core input from an edge list.
CpmArrays core(std::size_t n, std::vector<double> d, std::vector<std::pair<std::uint32_t, std::uint32_t>> edges,
               bool* ok = nullptr) {
  std::vector<std::uint32_t> from, to;
  for (auto [a, b] : edges) {
    from.push_back(a);
    to.push_back(b);
  }
  CsrGraph g = build_csr(n, from, to);
  CpmArrays out;
  bool r = cpm(g, d, out);
  if (ok) *ok = r;
  else REQUIRE(r);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- the core

TEST_CASE("cpm on a diamond", "[planner][cpm]") {
  // a(2) -> b(3) -> d(2);  a -> c(1) -> d
  auto r = core(4, {2, 3, 1, 2}, {{0, 1}, {0, 2}, {1, 3}, {2, 3}});
  CHECK(r.total == 7);
  CHECK(r.earliest_start == std::vector<double>{0, 2, 2, 5});
  CHECK(r.earliest_finish == std::vector<double>{2, 5, 3, 7});
  CHECK(r.latest_start == std::vector<double>{0, 2, 4, 5});
  CHECK(r.latest_finish == std::vector<double>{2, 5, 5, 7});
  CHECK(r.wave == std::vector<std::uint32_t>{1, 2, 2, 3});
  CHECK(r.waves == 3);
}

TEST_CASE("cpm on a chain and on parallel branches", "[planner][cpm]") {
  auto chain = core(3, {1, 2, 3}, {{0, 1}, {1, 2}});
  CHECK(chain.total == 6);
  CHECK(chain.latest_start == chain.earliest_start);
  CHECK(chain.wave == std::vector<std::uint32_t>{1, 2, 3});

  // x1(2) -> x2(2) and y1(1) -> y2(1), independent.
  auto par = core(4, {2, 2, 1, 1}, {{0, 1}, {2, 3}});
  CHECK(par.total == 4);
  CHECK(par.latest_start[2] - par.earliest_start[2] == 2);
  CHECK(par.latest_start[3] - par.earliest_start[3] == 2);
  CHECK(par.latest_finish[3] == 4);
  CHECK(par.wave == std::vector<std::uint32_t>{1, 2, 1, 2});
}

TEST_CASE("cpm with zero-day and fractional steps", "[planner][cpm]") {
  // a(0) -> b(2); c(0) alone
  auto z = core(3, {0, 2, 0}, {{0, 1}});
  CHECK(z.total == 2);
  CHECK(z.earliest_finish[0] == 0);
  CHECK(z.latest_start[0] == 0);
  CHECK(z.latest_start[2] == 2);  // a lone milestone may wait to the end

  // a(0.5) -> b(1.25); c(1)
  auto f = core(3, {0.5, 1.25, 1}, {{0, 1}});
  CHECK(f.total == Approx(1.75));
  CHECK(f.earliest_start[1] == Approx(0.5));
  CHECK(f.latest_start[2] == Approx(0.75));
}

TEST_CASE("cpm on the empty graph and on a cycle", "[planner][cpm]") {
  auto e = core(0, {}, {});
  CHECK(e.total == 0);
  CHECK(e.waves == 0);
  bool ok = true;
  core(3, {1, 1, 1}, {{0, 1}, {1, 2}, {2, 1}}, &ok);
  CHECK_FALSE(ok);
}

TEST_CASE("build_csr groups successors and refuses bad indices", "[planner][cpm]") {
  CsrGraph g = build_csr(3, {2, 0, 0}, {1, 2, 1});
  CHECK(g.offsets == std::vector<std::uint32_t>{0, 2, 2, 3});
  std::vector<std::uint32_t> first(g.targets.begin(), g.targets.begin() + 2);
  std::sort(first.begin(), first.end());
  CHECK(first == std::vector<std::uint32_t>{1, 2});
  CHECK(g.targets[2] == 1);
  CHECK_THROWS_AS(build_csr(2, {0}, {2}), Error);
  CHECK_THROWS_AS(build_csr(2, {0, 1}, {1}), Error);
}

// ------------------------------------------------------------ the workflow

namespace {
const char* kDiamond = R"(workflow: diamond
title: 菱形
steps:
  - {id: a, name: 受理, department: 窗口, days: 2, produces: [A]}
  - {id: b, name: 审查, department: 住建局, days: 3, needs: [A], produces: [B]}
  - {id: c, name: 踏勘, department: 自然资源局, days: 1, needs: [A], produces: [C]}
  - {id: d, name: 发证, department: 窗口, days: 2, needs: [B, C], produces: [D]}
)";
}

TEST_CASE("plan: waves, slack, critical path and serial baseline", "[planner]") {
  Plan p = plan(load(kDiamond));
  CHECK(p.workflow == "diamond");
  CHECK(p.total_days == 7);
  CHECK(p.serial_days == 8);
  CHECK(p.waves == 3);
  CHECK(step(p, "a").wave == 1);
  CHECK(step(p, "b").wave == 2);
  CHECK(step(p, "c").wave == 2);
  CHECK(step(p, "d").wave == 3);
  CHECK(step(p, "c").slack == 2);
  CHECK_FALSE(step(p, "c").critical);
  CHECK(step(p, "b").critical);
  CHECK(path_ids(p) == std::vector<std::string>{"a", "b", "d"});
  CHECK(p.critical_edge(0, 1));
  CHECK_FALSE(p.critical_edge(0, 2));
  CHECK_FALSE(p.constrained);
  CHECK(p.constrained_days == 7);
  CHECK_FALSE(p.start_date);
}

TEST_CASE("plan: equal critical branches are broken by declared order", "[planner]") {
  auto yaml = [](bool q_first) {
    std::string p = "  - {id: p, department: X, days: 2, after: [s]}\n";
    std::string q = "  - {id: q, department: Y, days: 2, after: [s]}\n";
    return std::string("workflow: tie\nsteps:\n  - {id: s, department: X, days: 1}\n") + (q_first ? q + p : p + q) +
           "  - {id: t, department: X, days: 1, after: [p, q]}\n";
  };
  Plan a = plan(load(yaml(false)));
  CHECK(path_ids(a) == std::vector<std::string>{"s", "p", "t"});
  Plan b = plan(load(yaml(true)));
  CHECK(path_ids(b) == std::vector<std::string>{"s", "q", "t"});
  // Two critical sources: the first declared one starts the path.
  Plan c = plan(load("workflow: two\nsteps:\n  - {id: y, department: X, days: 3}\n"
                     "  - {id: x, department: X, days: 3}\n  - {id: z, department: X, days: 1, after: [x, y]}\n"));
  CHECK(path_ids(c) == std::vector<std::string>{"y", "z"});
}

TEST_CASE("plan: a zero-day milestone stays on the critical path", "[planner]") {
  Plan p = plan(load("workflow: m\nsteps:\n  - {id: a, department: X, days: 2}\n"
                     "  - {id: b, department: X, days: 3}\n  - {id: done, department: X, days: 0, after: [a, b]}\n"));
  CHECK(p.total_days == 3);
  CHECK(path_ids(p) == std::vector<std::string>{"b", "done"});
  CHECK(step(p, "done").earliest_start == 3);
  CHECK(step(p, "a").slack == 1);
}

TEST_CASE("plan: fractional days give exact slack and dates round up", "[planner]") {
  Workflow wf = load("workflow: f\nsteps:\n  - {id: a, department: X, days: 0.5}\n"
                     "  - {id: b, department: X, days: 1.25, after: [a]}\n  - {id: c, department: Y, days: 1}\n");
  PlanOptions o;
  o.start = Date::parse("2026-02-12");  // Thursday
  Plan p = plan(wf, o);
  CHECK(p.total_days == Approx(1.75));
  CHECK(step(p, "c").slack == Approx(0.75));
  CHECK(path_ids(p) == std::vector<std::string>{"a", "b"});
  // Offset 0.5 falls on the first working day after the start (add(start, ceil(t))).
  CHECK(step(p, "a").finish_date->str() == "2026-02-13");
  // 1.75 -> 2 working days: Friday 13th, then the make-up Saturday 14th.
  CHECK(p.finish_date->str() == "2026-02-14");
}

TEST_CASE("plan: redundant after edges", "[planner]") {
  Plan p = plan(load("workflow: r\nsteps:\n  - {id: a, department: X, days: 1, produces: [A]}\n"
                     "  - {id: b, department: X, days: 1, after: [a]}\n"
                     "  - {id: c, department: X, days: 1, after: [a, b]}\n"
                     "  - {id: d, department: X, days: 1, needs: [A], after: [a]}\n"));
  REQUIRE(p.redundant.size() == 2);
  CHECK(p.redundant[0].step == "c");
  CHECK(p.redundant[0].after == "a");
  CHECK(p.redundant[0].via == "b");
  CHECK_FALSE(p.redundant[0].material);
  CHECK(p.redundant[1].step == "d");
  CHECK(p.redundant[1].material);
  PlanOptions o;
  o.redundant = false;
  CHECK(plan(load("workflow: r\nsteps:\n  - {id: a, department: X, days: 1}\n"
                  "  - {id: b, department: X, days: 1, after: [a]}\n"
                  "  - {id: c, department: X, days: 1, after: [a, b]}\n"),
             o)
            .redundant.empty());
}

TEST_CASE("plan: a programmatic cycle is an Error with its path", "[planner]") {
  Workflow wf = load("workflow: cyc\nsteps:\n  - {id: a, department: X, days: 1}\n"
                     "  - {id: b, department: X, days: 1, after: [a]}\n  - {id: c, department: X, days: 1, after: [b]}\n");
  Dependency back;
  back.from = 2;
  back.to = 0;
  wf.dependencies.push_back(back);
  try {
    plan(wf);
    FAIL("no error for a cycle");
  } catch (const Error& e) {
    CHECK(e.code() == Error::Code::invalid_workflow);
    CHECK_THAT(e.what(), Catch::Contains("a -> b -> c -> a"));
  }
  Workflow neg = load("workflow: n\nsteps:\n  - {id: a, department: X, days: 1}\n");
  neg.steps[0].days = -1;
  CHECK_THROWS_AS(plan(neg), Error);
}

TEST_CASE("plan: capacity schedule on a hand-worked case", "[planner][capacity]") {
  Workflow wf = load(slurp(fs::path(JR_SOURCE_DIR) / "tests/golden/plan/capacity.yaml"));
  Plan p = plan(wf);
  // Unconstrained: all four start at once, e after the longest (d, 4 days).
  CHECK(p.total_days == 5);
  REQUIRE(p.constrained);
  // Priority by latest start: d(0), a(1), b(2), c(3). At 0 d and a start;
  // b waits for 住建局 (a until 3), c for 自然资源局 (d until 4) and then for
  // 住建局 (b from 3 to 5); e starts when c is done at 6.
  CHECK(step(p, "d").scheduled_start == 0);
  CHECK(step(p, "a").scheduled_start == 0);
  CHECK(step(p, "b").scheduled_start == 3);
  CHECK(step(p, "b").delay == 3);
  CHECK(step(p, "b").held_by == "住建局");
  CHECK(step(p, "c").scheduled_start == 5);
  CHECK(step(p, "c").delay == 5);
  CHECK(step(p, "c").held_by == "住建局");
  CHECK(step(p, "e").scheduled_start == 6);
  CHECK(step(p, "e").delay == 0);
  CHECK(step(p, "e").held_by.empty());
  CHECK(p.constrained_days == 7);
  PlanOptions off;
  off.capacity = false;
  Plan q = plan(wf, off);
  CHECK_FALSE(q.constrained);
  CHECK(q.constrained_days == 5);
}

TEST_CASE("plan: the department that holds a step up is named", "[planner][capacity]") {
  // x and y both need 审图中心 (capacity 1); y waits for x although its own
  // department is free.
  Plan p = plan(load("workflow: h\ndepartments:\n  审图中心: {capacity: 1}\nsteps:\n"
                     "  - {id: x, department: 审图中心, days: 2}\n"
                     "  - {id: y, departments: [消防, 审图中心], days: 1}\n"));
  CHECK(step(p, "y").scheduled_start == 2);
  CHECK(step(p, "y").held_by == "审图中心");
  CHECK(p.constrained_days == 3);
  CHECK(p.total_days == 2);
}

TEST_CASE("plan: dates across the 2026 Spring Festival", "[planner][dates]") {
  PlanOptions o;
  o.start = Date::parse("2026-02-12");
  Plan p = plan(load(slurp(fs::path(JR_SOURCE_DIR) / "tests/golden/plan/capacity.yaml")), o);
  CHECK(p.calendar == "cn");
  CHECK(p.start_date->str() == "2026-02-12");
  CHECK(step(p, "b").finish_date->str() == "2026-02-14");  // 2 days: Fri 13, make-up Sat 14
  CHECK(step(p, "a").finish_date->str() == "2026-02-24");  // 3 days: ..., holiday 15-23, Tue 24
  CHECK(p.finish_date->str() == "2026-02-26");             // 5 days
  CHECK(p.constrained_finish_date->str() == "2026-02-28"); // 7 days: make-up Sat 28
  CHECK(p.date_at(0)->str() == "2026-02-12");
  // A start on a holiday counts from the next working day.
  o.start = Date::parse("2026-02-16");
  Plan h = plan(load(kDiamond), o);
  CHECK(h.start_date->str() == "2026-02-24");
  // 7 working days after the 16th: 24, 25, 26, 27, make-up Sat 28, Mon 2, Tue 3.
  CHECK(h.finish_date->str() == "2026-03-03");
}

// ------------------------------------------- elapsed span and project clock

namespace {
// Branch a: 1 day of review, then a declared 30-day auction; branch b: 20
// days of review; c waits for both.
std::string abc(const std::string& limit = "") {
  return "workflow: abc\n" + (limit.empty() ? std::string() : "time_limit: " + limit + "\n") +
         "steps:\n"
         "  - {id: a, department: X, days: 1, excluded: [{reason: 挂牌出让, days: 30}]}\n"
         "  - {id: b, department: Y, days: 20}\n"
         "  - {id: c, department: X, days: 1, after: [a, b]}\n";
}
}  // namespace

TEST_CASE("plan: the span is review then excluded; the project clock counts review days only", "[planner][clock]") {
  Plan p = plan(load(abc()));
  // a spans 31 days (review 0..1, the auction 1..31), so c runs 31..32.
  CHECK(step(p, "a").elapsed_days == 31);
  CHECK(step(p, "a").excluded_days == 30);
  CHECK(step(p, "a").review_start == 0);
  CHECK(step(p, "a").review_finish == 1);
  CHECK(step(p, "c").earliest_start == 31);
  CHECK(step(p, "c").review_start == 31);
  CHECK(step(p, "b").slack == 11);
  CHECK(path_ids(p) == std::vector<std::string>{"a", "c"});
  CHECK(p.total_days == 32);
  CHECK(p.elapsed_days == 32);
  // The clock runs 0..20 (b's 20 days cover a's review day) and 31..32 (c).
  CHECK(p.counted_days == 21);
  REQUIRE(p.clock.size() == 2);
  CHECK(p.clock[0].start == 0);
  CHECK(p.clock[0].end == 20);
  CHECK(p.clock[0].counted == 20);
  CHECK(p.clock[1].start == 31);
  CHECK(p.clock[1].end == 32);
  CHECK(p.clock[1].counted == 1);
  // Serial: the promised days, and the spans one after another.
  CHECK(p.serial_days == 22);
  CHECK(p.serial_elapsed_days == 52);
}

TEST_CASE("plan: the applicant's preparation comes first in the span and is not counted", "[planner][clock]") {
  Workflow wf = load("workflow: prep\nsteps:\n"
                     "  - {id: p, department: X, days: 3, prepare: 4}\n"
                     "  - {id: q, department: X, days: 2, after: [p], prepare: {dist: uniform, min: 1, max: 3}}\n");
  PlanOptions o;
  o.start = Date::parse("2026-03-02");  // Monday
  Plan pl = plan(wf, o);
  const StepPlan& p = step(pl, "p");
  CHECK(p.prepare_days == 4);
  CHECK(p.elapsed_days == 7);
  CHECK(p.review_start == 4);
  CHECK(p.review_finish == 7);
  const StepPlan& q = step(pl, "q");
  CHECK(q.prepare_days == 2);  // the expected value of the distribution
  CHECK(q.earliest_start == 7);
  CHECK(q.review_start == 9);
  CHECK(q.earliest_finish == 11);
  CHECK(pl.total_days == 11);
  CHECK(pl.counted_days == 5);  // 4..7 and 9..11
  // Dates: the review of p runs from the 4th working day after the start.
  CHECK(p.start_date->str() == "2026-03-02");
  CHECK(p.review_start_date->str() == "2026-03-06");
  CHECK(p.review_finish_date->str() == "2026-03-11");
  CHECK(pl.finish_date->str() == "2026-03-17");
}

TEST_CASE("plan: counted days follow the counting convention per clock segment", "[planner][clock]") {
  // s1 reviews 0..0.5; s2 prepares 0.7 and reviews 0.7..1.2. The windows do
  // not touch: 0..0.5 counts ceil(0.5) - ceil(0) = 1 (day 1) and 0.7..1.2
  // counts ceil(1.2) - ceil(0.7) = 1 (day 2; day 1, in which it starts, is
  // not counted again).
  Plan p = plan(load("workflow: frac\nsteps:\n  - {id: s1, department: X, days: 0.5}\n"
                     "  - {id: s2, department: Y, days: 0.5, prepare: 0.7}\n"
                     "  - {id: s3, department: Z, days: 0.2, prepare: 2.1}\n"));
  REQUIRE(p.clock.size() == 3);
  CHECK(p.clock[0].counted == 1);
  CHECK(p.clock[1].counted == 1);
  CHECK(p.clock[2].counted == 0);  // 2.1..2.3 lies within one working day, the one it starts in
  CHECK(p.counted_days == 2);
  // Touching windows are one segment.
  Plan t = plan(load("workflow: touch\nsteps:\n  - {id: a, department: X, days: 0.5}\n"
                     "  - {id: b, department: X, days: 1, after: [a]}\n"));
  REQUIRE(t.clock.size() == 1);
  CHECK(t.clock[0].end == Approx(1.5));
  CHECK(t.counted_days == 2);
  // A zero-day step runs no clock.
  Plan z = plan(load("workflow: z\nsteps:\n  - {id: a, department: X, days: 0, prepare: 2}\n"));
  CHECK(z.clock.empty());
  CHECK(z.counted_days == 0);
  CHECK(z.total_days == 2);
}

TEST_CASE("plan: the time limit is judged on the counted days", "[planner][clock]") {
  // 21 counted of 32 elapsed: a limit of 21 is met (a tie is on time),
  // although 32 working days pass.
  Workflow met = load(abc("21"));
  Plan m = plan(met);
  CHECK(m.time_limit_met());
  CHECK(std::string(Plan::time_limit_clock()) == "counted");
  CHECK(m.time_limit_reached_at == 32.0);  // the clock's 21st day ends when c does
  CHECK_THAT(render_plan(met, m, PlanFormat::table),
             Catch::Contains("time limit:       21 working days: met on counted days (21 counted, 0 to spare; 32 elapsed)"));
  // A limit of 20 is missed by 1 counted day; the clock reaches 20 at offset 20.
  Workflow missed = load(abc("20"));
  PlanOptions o;
  o.start = Date::parse("2026-03-02");
  Plan x = plan(missed, o);
  CHECK_FALSE(x.time_limit_met());
  REQUIRE(x.time_limit_reached_at);
  CHECK(*x.time_limit_reached_at == 20);
  CHECK(x.time_limit_reached_date->str() == "2026-03-30");
  CHECK_THAT(render_plan(missed, x, PlanFormat::table),
             Catch::Contains("20 working days: NOT met on counted days (21 counted, over by 1; 32 elapsed), reached "
                             "at 20 (2026-03-30)"));
  auto j = nlohmann::json::parse(render_plan(missed, x, PlanFormat::json));
  CHECK(j["time_limit_met"] == false);
  CHECK(j["time_limit_clock"] == "counted");
  CHECK(j["time_limit_reached_at"] == 20);
  CHECK(j["time_limit_reached_date"] == "2026-03-30");
  // Without excluded time the elapsed and the counted days agree, and so do
  // the old and the new judgement.
  Workflow plain = load("workflow: plain\ntime_limit: 5\nsteps:\n  - {id: a, department: X, days: 6}\n");
  CHECK_FALSE(plan(plain).time_limit_met());
}

TEST_CASE("plan: four-certificates counts its own 30-day auction", "[planner][clock]") {
  Workflow wf = *load_workflow_file(std::string(JR_SOURCE_DIR) + "/workflows/four-certificates.yaml").workflow;
  Plan p = plan(wf);
  // Each span is preparation (its mean), review, excluded periods. The land
  // chain: filing 1 + 1, site selection 2 + 5, land transfer 4 + 5 + 30 (the
  // listing period) ends at 48, property registration 10 + 5 at 63. The
  // drawings chain is one day longer: scheme review 15 + 5 + 5 ends at 34,
  // the joint drawing review 20 + 10 at 64, construction permit 3 + 1 at 68.
  CHECK(p.total_days == 68);
  CHECK(path_ids(p) == std::vector<std::string>{"filing", "site_selection", "scheme_review", "joint_drawing_review",
                                                "construction_permit"});
  CHECK(step(p, "land_transfer").excluded_days == 30);
  CHECK(step(p, "land_transfer").review_finish == 18);
  CHECK(step(p, "land_transfer").slack == 1);
  CHECK(step(p, "property_registration").earliest_start == 48);
  // Reviews run 1..2, 4..9, 12..29 (soil, land transfer, eia, scheme review
  // overlapping), 49..51 and 52..64 (land-use permit, engineering permit,
  // drawings, property registration) and 67..68: 1 + 5 + 17 + 2 + 12 + 1.
  CHECK(p.counted_days == 38);
  CHECK(p.time_limit_met());
  CHECK_THAT(render_plan(wf, p, PlanFormat::table),
             Catch::Contains("40 working days: met on counted days (38 counted, 2 to spare; 68 elapsed)"));
}

TEST_CASE("plan: a department's capacity is held only while it reviews", "[planner][capacity][clock]") {
  // X reviews one case at a time. a's 10-day expert review does not hold X,
  // so b's review starts when a's review ends, not when a finishes.
  Plan p = plan(load("workflow: cap\ndepartments:\n  X: {capacity: 1}\nsteps:\n"
                     "  - {id: a, department: X, days: 2, excluded: [{reason: 专家评审, days: 10}]}\n"
                     "  - {id: b, department: X, days: 3}\n"));
  REQUIRE(p.constrained);
  CHECK(step(p, "a").scheduled_review_start == 0);
  CHECK(step(p, "a").scheduled_finish == 12);
  CHECK(step(p, "b").scheduled_review_start == 2);
  CHECK(step(p, "b").delay == 2);
  CHECK(step(p, "b").held_by == "X");
  CHECK(step(p, "b").scheduled_finish == 5);
  CHECK(p.constrained_days == 12);
  CHECK(p.constrained_counted_days == 5);  // 0..2 and 2..5
  // The applicant's preparation does not hold X either: c asks for X after
  // preparing 3 days, when a's review is long done.
  Plan q = plan(load("workflow: cap2\ndepartments:\n  X: {capacity: 1}\nsteps:\n"
                     "  - {id: a, department: X, days: 2}\n"
                     "  - {id: c, department: X, days: 1, prepare: 3}\n"));
  CHECK(step(q, "c").delay == 0);
  CHECK(step(q, "c").held_by.empty());
  CHECK(step(q, "c").scheduled_review_start == 3);
  CHECK(q.constrained_days == 4);
  // A wait after the preparation: d prepares 1 day, X is busy with a until 2.
  Plan w = plan(load("workflow: cap3\ndepartments:\n  X: {capacity: 1}\nsteps:\n"
                     "  - {id: a, department: X, days: 2}\n"
                     "  - {id: d, department: X, days: 2, prepare: 1}\n"));
  CHECK(step(w, "d").delay == 1);
  CHECK(step(w, "d").scheduled_start == 1);  // ready 0 + the wait
  CHECK(step(w, "d").scheduled_review_start == 2);
  CHECK(step(w, "d").scheduled_finish == 4);
  CHECK(w.constrained_days == 4);
}

TEST_CASE("plan json: the span, the review window and both clocks", "[planner][json][clock]") {
  fs::path f = write_file("abc.yaml", abc("25"));
  Run r = jreview("plan \"" + f.string() + "\" --format json --start 2026-03-02");
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["total_days"] == 32);
  CHECK(j["elapsed_days"] == 32);
  CHECK(j["counted_days"] == 21);
  CHECK(j["serial_days"] == 22);
  CHECK(j["serial_elapsed_days"] == 52);
  CHECK(j["time_limit"] == 25);
  CHECK(j["time_limit_met"] == true);
  CHECK(j["time_limit_clock"] == "counted");
  CHECK(j["time_limit_reached_at"].is_null());
  CHECK(j["clock"] == nlohmann::json::parse(R"([{"start": 0, "end": 20, "counted": 20},
                                                {"start": 31, "end": 32, "counted": 1}])"));
  const auto& a = j["steps"][0];
  CHECK(a["id"] == "a");
  CHECK(a["days"] == 1);  // the promise, as before
  CHECK(a["review_days"] == 1);
  CHECK(a["prepare_days"] == 0);
  CHECK(a["excluded_days"] == 30);
  CHECK(a["elapsed_days"] == 31);
  CHECK(a["excluded"] == nlohmann::json::parse(R"([{"reason": "挂牌出让", "days": 30}])"));
  CHECK(a["earliest_finish"] == 31);
  CHECK(a["review_start"] == 0);
  CHECK(a["review_finish"] == 1);
  CHECK(a["start_date"] == "2026-03-02");
  CHECK(a["review_start_date"] == "2026-03-02");
  CHECK(a["review_finish_date"] == "2026-03-03");
  CHECK(a["finish_date"] == "2026-04-15");  // 31 working days, Qingming 04-04..06 off
  CHECK(j["steps"][2]["review_start_date"] == "2026-04-15");
  CHECK(j["finish_date"] == "2026-04-16");
  Run t = jreview("plan \"" + f.string() + "\"");
  CHECK_THAT(t.out, Catch::Contains("project clock:    21 counted working days of 32 elapsed"));
  CHECK_THAT(t.out, Catch::Contains("prep  days  excl  ES  EF"));
}

TEST_CASE("plan svg: preparation, excluded periods and the project clock are drawn apart", "[planner][render][clock]") {
  Workflow wf = load("workflow: g\ntime_limit: 20\nsteps:\n"
                     "  - {id: a, department: X, days: 1, excluded: [{reason: 挂牌出让公告期, days: 30}]}\n"
                     "  - {id: b, department: Y, days: 20, prepare: 2}\n"
                     "  - {id: c, department: X, days: 1, after: [a, b]}\n");
  Plan p = plan(wf);
  std::string svg = render_plan(wf, p, PlanFormat::svg);
  CHECK_THAT(svg, Catch::Contains("<pattern id=\"excluded\""));
  CHECK_THAT(svg, Catch::Contains("class=\"excl\""));
  CHECK_THAT(svg, Catch::Contains("挂牌出让公告期 30 d"));  // the reason, inside its segment
  CHECK_THAT(svg, Catch::Contains("class=\"prep\""));
  CHECK_THAT(svg, Catch::Contains("申请人准备 applicant preparing (not counted)"));
  CHECK_THAT(svg, Catch::Contains("不计时 excluded, Art. 45"));
  CHECK_THAT(svg, Catch::Contains("项目计时 project clock"));
  // The clock: a's review 0..1, b's 2..22, c's 31..32.
  CHECK(p.counted_days == 22);
  CHECK_THAT(svg, Catch::Contains("22 counted of 32 elapsed"));
  // The limit line stands where the project clock reaches 20 (a's day, then
  // 19 of b's), not at 20 elapsed days.
  REQUIRE(p.time_limit_reached_at);
  CHECK(*p.time_limit_reached_at == 21);
  CHECK_THAT(svg, Catch::Contains("承诺时限 20 日（计时）"));
  // A plain workflow has neither segment.
  Workflow plain = load(kDiamond);
  std::string s2 = render_plan(plain, plan(plain), PlanFormat::svg);
  CHECK(s2.find("class=\"prep\"") == std::string::npos);
  CHECK(s2.find("class=\"excl\"") == std::string::npos);
}

// ------------------------------------------------------------------ output

TEST_CASE("plan json: the contract", "[planner][json]") {
  Run r = jreview("plan \"" + std::string(JR_SOURCE_DIR) + "/tests/golden/plan/capacity.yaml\" --format json --start 2026-02-12");
  REQUIRE(r.code == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["workflow"] == "capacity-demo");
  CHECK(j["serial_days"].is_number_integer());
  CHECK(j["serial_days"] == 11);
  CHECK(j["total_days"] == 5);
  CHECK(j["critical_path"] == nlohmann::json::array({"d", "e"}));
  CHECK(j["start_date"] == "2026-02-12");
  CHECK(j["finish_date"] == "2026-02-26");
  REQUIRE(j["steps"].size() == 5);
  for (const auto& s : j["steps"]) {
    for (const char* k : {"id", "earliest_start", "earliest_finish", "latest_start", "latest_finish", "slack", "wave",
                          "start_date", "finish_date"})
      CHECK(s.contains(k));
    CHECK(s["earliest_start"].is_number_integer());
  }
  CHECK(j["steps"][0]["id"] == "a");
  CHECK(j["steps"][0]["finish_date"] == "2026-02-24");
  CHECK(j["steps"][4]["wave"] == 2);
  CHECK(j["steps"][1]["held_by"] == "住建局");
  CHECK(j["capacity"]["total_days"] == 7);
  CHECK(r.out.find("\"total_days\": 5,") != std::string::npos);  // an integer, not 5.0
  // Without --start there are no dates.
  Run n = jreview("plan \"" + std::string(JR_SOURCE_DIR) + "/tests/golden/plan/capacity.yaml\" --format json");
  auto k = nlohmann::json::parse(n.out);
  CHECK_FALSE(k.contains("start_date"));
  CHECK_FALSE(k["steps"][0].contains("start_date"));
}

TEST_CASE("plan json: fractional numbers stay fractional", "[planner][json]") {
  Workflow wf = load("workflow: f\nsteps:\n  - {id: a, department: X, days: 0.5}\n");
  auto j = nlohmann::json::parse(render_plan(wf, plan(wf), PlanFormat::json));
  CHECK(j["total_days"].is_number_float());
  CHECK(j["total_days"] == 0.5);
}

TEST_CASE("plan table aligns Chinese text", "[planner][table]") {
  Workflow wf = load(kDiamond);
  std::string t = render_plan(wf, plan(wf), PlanFormat::table);
  // Every row of the step table puts "days" in the same display column.
  CHECK_THAT(t, Catch::Contains("   1  a   受理  窗口"));
  CHECK_THAT(t, Catch::Contains("   2  c   踏勘  自然资源局"));
  CHECK_THAT(t, Catch::Contains("critical path:    a -> b -> d"));
  CHECK_THAT(t, Catch::Contains("7 working days (serial 8, -13%)"));
}

TEST_CASE("plan dot, mermaid, svg and html", "[planner][render]") {
  Workflow wf = load("workflow: x\ntitle: A&B <test>\nsteps:\n"
                     "  - {id: a, name: \"受理 <急> & \\\"快\\\"\", department: 窗口, days: 1, produces: [材料]}\n"
                     "  - {id: b, departments: [住建局, 消防], days: 2, needs: [材料]}\n"
                     "  - {id: c, department: 窗口, days: 1, after: [a]}\n");
  Plan p = plan(wf);
  std::string dot = render_plan(wf, p, PlanFormat::dot);
  CHECK_THAT(dot, Catch::StartsWith("digraph \"x\" {"));
  CHECK_THAT(dot, Catch::Contains("\"a\" -> \"b\" [label=\"材料\", color=\"#c0392b\""));
  CHECK_THAT(dot, Catch::Contains("peripheries=2"));
  CHECK_THAT(dot, Catch::Contains("\\\"快\\\""));
  std::string mm = render_plan(wf, p, PlanFormat::mermaid);
  CHECK_THAT(mm, Catch::StartsWith("flowchart LR\n"));
  CHECK_THAT(mm, Catch::Contains("s1{{"));
  CHECK_THAT(mm, Catch::Contains("#lt;急#gt;"));
  CHECK_THAT(mm, Catch::Contains("class s0,s1 critical"));
  std::string svg = render_plan(wf, p, PlanFormat::svg);
  CHECK_THAT(svg, Catch::StartsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
  CHECK_THAT(svg, Catch::Contains("受理 &lt;急&gt; &amp; &quot;快&quot;"));
  CHECK_THAT(svg, Catch::Contains("A&amp;B &lt;test&gt;"));
  CHECK_THAT(svg, Catch::Contains("Noto Sans CJK SC"));
  CHECK(svg.find("<急>") == std::string::npos);
  std::string html = render_plan(wf, p, PlanFormat::html);
  CHECK_THAT(html, Catch::StartsWith("<!DOCTYPE html>"));
  CHECK_THAT(html, Catch::Contains("<svg"));
  CHECK_THAT(html, Catch::Contains("</html>"));
  CHECK(parse_plan_format("mermaid") == PlanFormat::mermaid);
  CHECK_THROWS_AS(parse_plan_format("pdf"), Error);
}

// --------------------------------------------------------------------- CLI

TEST_CASE("jreview plan: error paths", "[planner][cli]") {
  fs::path bad = write_file("bad.yaml", "workflow: bad\nsteps:\n  - {id: a, department: X, days: 1, after: [zz]}\n");
  Run r = jreview("plan \"" + bad.string() + "\"");
  CHECK(r.code == 1);
  CHECK_THAT(r.err, Catch::Contains("bad.yaml:3:"));
  CHECK_THAT(r.err, Catch::Contains("unknown step 'zz'"));
  CHECK(r.out.empty());

  fs::path good = write_file("good.yaml", kDiamond);
  Run d = jreview("plan \"" + good.string() + "\" --start 2026-13-45");
  CHECK(d.code == 2);
  CHECK_THAT(d.err, Catch::Contains("bad --start date '2026-13-45'"));
  Run o = jreview("plan \"" + good.string() + "\" --start 2031-05-06 --strict-calendar");
  CHECK(o.code == 2);
  CHECK_THAT(o.err, Catch::Contains("--start 2031-05-06"));
  CHECK(o.out.empty());
  Run beyond = jreview("plan \"" + good.string() + "\" --start 2051-05-08");  // past the provisional years too
  CHECK(beyond.code == 2);
  CHECK_THAT(beyond.err, Catch::Contains("--start 2051-05-08"));
  Run f = jreview("plan \"" + good.string() + "\" --format pdf");
  CHECK(f.code != 0);
  Run m = jreview("plan \"" + (scratch_dir() / "missing.yaml").string() + "\"");
  CHECK(m.code == 1);
  CHECK_THAT(m.err, Catch::Contains("cannot read"));

  // The error names the way out, and the way out exists: dates past the
  // calendar counted with weekends only, said to be estimates.
  const std::string legacy = std::string(JR_SOURCE_DIR) + "/workflows/four-certificates-legacy.yaml";
  Run late = jreview("plan \"" + legacy + "\" --start 2026-11-30 --strict-calendar");
  CHECK(late.code == 2);
  CHECK_THAT(late.err, Catch::Contains("(--weekend-fallback)"));
  CHECK_THAT(late.err, !Catch::Contains("CalendarOptions"));  // the command names its flag
  Run fb = jreview("plan \"" + legacy + "\" --start 2026-11-30 --weekend-fallback --strict-calendar --format json");
  REQUIRE(fb.code == 0);
  CHECK_THAT(fb.err, Catch::Contains("counting weekends only (no holidays, no make-up days) for 2027"));
  auto j = nlohmann::json::parse(fb.out);
  CHECK(j["weekend_fallback_after"] == "2026-12-31");
  CHECK(j["finish_date"].get<std::string>() > "2027-01-01");
  Run fbt = jreview("plan \"" + legacy + "\" --start 2026-11-30 --weekend-fallback --strict-calendar");
  CHECK_THAT(fbt.out, Catch::Contains("estimates after 2026-12-31"));
  CHECK(j["weekend_fallback_before"].is_null());
  Run in = jreview("plan \"" + good.string() + "\" --start 2026-03-02 --weekend-fallback --format json");
  REQUIRE(in.code == 0);
  CHECK(nlohmann::json::parse(in.out)["weekend_fallback_after"].is_null());
  CHECK(nlohmann::json::parse(in.out)["weekend_fallback_before"].is_null());
  CHECK(in.err.empty());
  Run early = jreview("plan \"" + good.string() + "\" --start 2024-12-02 --weekend-fallback --format json");
  REQUIRE(early.code == 0);
  CHECK(nlohmann::json::parse(early.out)["weekend_fallback_before"] == "2025-01-01");
  CHECK_THAT(early.err, Catch::Contains("for 2024"));

  fs::path out = scratch_dir() / "plan.svg";
  Run w = jreview("plan \"" + good.string() + "\" --format svg --output \"" + out.string() + "\"");
  CHECK(w.code == 0);
  CHECK(w.out.empty());
  CHECK_THAT(slurp(out), Catch::StartsWith("<svg"));
}

// ------------------------------------------------------------------ golden

namespace {
void check_golden(const std::string& args, const std::string& golden) {
  Run r = jreview(args);
  INFO("jreview " << args << "\n" << r.err);
  REQUIRE(r.code == 0);
  fs::path g = fs::path(JR_SOURCE_DIR) / "tests/golden/plan" / golden;
  if (std::getenv("JR_UPDATE_GOLDEN")) std::ofstream(g, std::ios::binary) << r.out;
  REQUIRE(fs::exists(g));
  CHECK(r.out == slurp(g));
}
}  // namespace

TEST_CASE("golden plans", "[planner][golden]") {
  const std::string src = JR_SOURCE_DIR;
  check_golden("plan \"" + src + "/tests/golden/plan/capacity.yaml\" --start 2026-02-12", "capacity.table");
  check_golden("plan \"" + src + "/tests/golden/plan/capacity.yaml\" --start 2026-02-12 --format json",
               "capacity.json");
  for (const char* name : {"four-certificates", "four-certificates-legacy", "company-change", "company-change-legacy",
                           "key-project-review"}) {
    fs::path wf = fs::path(src) / "workflows" / (std::string(name) + ".yaml");
    if (!fs::exists(wf)) continue;
    check_golden("plan \"" + wf.string() + "\"", std::string(name) + ".table");
    check_golden("plan \"" + wf.string() + "\" --format json", std::string(name) + ".json");
  }
  fs::path fc = fs::path(src) / "workflows/four-certificates.yaml";
  if (fs::exists(fc)) {
    check_golden("plan \"" + fc.string() + "\" --start 2026-02-10", "four-certificates-2026-02-10.table");
    check_golden("plan \"" + fc.string() + "\" --start 2026-02-10 --format json", "four-certificates-2026-02-10.json");
  }
}

TEST_CASE("jreview plan: dates in a provisional year are counted with the statutory holidays and marked",
          "[planner][cli]") {
  const std::string legacy = std::string(JR_SOURCE_DIR) + "/workflows/four-certificates-legacy.yaml";
  Run r = jreview("plan \"" + legacy + "\" --start 2026-11-30 --format json");
  REQUIRE(r.code == 0);
  CHECK(r.err.empty());
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["provisional_after"] == "2026-12-31");
  CHECK(j["weekend_fallback_after"].is_null());
  CHECK(j["finish_provisional"] == true);
  CHECK(j["steps"][0]["start_provisional"] == false);  // 2026-11-30
  // The finish by hand: 343 working days (238 promised + 60 of declared
  // excluded periods + 45 of the applicant's preparation, all in one serial
  // chain) from Monday 2026-11-30, the rest of 2026 (23 days: Dec 1-31),
  // then 2027 and 2028 without their weekday holidays.
  CHECK(j["total_days"] == 343);
  auto cal = Calendar::load("cn");
  CHECK(j["finish_date"] == cal->add(Date::parse("2026-11-30"), 343).str());
  CHECK(cal->between(Date::parse("2026-11-30"), Date::parse("2026-12-31")) == 23);
  Run t = jreview("plan \"" + legacy + "\" --start 2026-11-30");
  CHECK_THAT(t.out, Catch::Contains("* provisional after 2026-12-31"));
  CHECK_THAT(t.out, Catch::Contains(j["finish_date"].get<std::string>() + "*"));
}

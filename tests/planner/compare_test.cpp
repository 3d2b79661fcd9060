// jreview compare: the reform metrics (steps, applicant materials, trips,
// days) before and after, on small pairs with known percentages and on the
// bundled legacy/reformed pairs.
#include <catch2/catch.hpp>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "jointreview/loader.h"
#include "jointreview/planner.h"

namespace fs = std::filesystem;
using namespace jointreview;

namespace {

Workflow load_text(const std::string& yaml, const std::string& name = "cmp.yaml") {
  auto r = load_workflow_string(yaml, name);
  for (const auto& d : r.diagnostics) UNSCOPED_INFO(d.str());
  REQUIRE(r.ok());
  return *r.workflow;
}

// Six offices one after another, 5 days each, 11 materials from the applicant.
const char* kBefore = R"(workflow: before
steps:
  - {id: s1, department: D1, days: 5, needs: [m1, m2], produces: [o1]}
  - {id: s2, department: D2, days: 5, needs: [o1, m3, m4], produces: [o2]}
  - {id: s3, department: D3, days: 5, needs: [o2, m5], produces: [o3]}
  - {id: s4, department: D4, days: 5, needs: [o3, m6, m7], produces: [o4]}
  - {id: s5, department: D5, days: 5, needs: [o4, m8, m9], produces: [o5]}
  - {id: s6, department: D6, days: 5, needs: [o5, m10, m11, m1], produces: [licence]}
)";
// One joint review by the same six offices: 4 materials, 9 days.
const char* kAfter = R"(workflow: after
steps:
  - id: joint
    departments: [D1, D2, D3, D4, D5, D6]
    days: 9
    needs: [m1, m2, m3, m4]
    produces: [licence]
)";

Comparison parse_and_compare(const char* a, const char* b) { return compare(load_text(a), load_text(b)); }

std::string run(const std::string& args, int& code) {
  std::string cmd = std::string("\"") + JR_JREVIEW_BIN + "\" " + args + " 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string out;
  std::array<char, 4096> buf;
  std::size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), got);
  int status = ::pclose(pipe);
  code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

}  // namespace

TEST_CASE("compare: the Jining-style reform", "[compare]") {
  Comparison c = parse_and_compare(kBefore, kAfter);
  CHECK(c.before_workflow == "before");
  CHECK(c.steps.before == 6);
  CHECK(c.steps.after == 1);
  CHECK(*c.steps.reduction_percent == Approx(500.0 / 6));
  CHECK(c.materials.before == 11);  // m1 counted once; o1..o5 are issued, not supplied
  CHECK(c.materials.after == 4);
  CHECK(*c.materials.reduction_percent == Approx(700.0 / 11));
  CHECK(c.trips.before == 6);
  CHECK(c.trips.after == 1);
  CHECK(c.days.before == 30);
  CHECK(c.days.after == 9);
  CHECK(*c.days.reduction_percent == Approx(70));
  CHECK(c.serial_days.before == 30);
  CHECK_FALSE(c.has_time_limit);

  std::string t = render_comparison(c, CompareFormat::table);
  CHECK_THAT(t, Catch::Contains("steps -83%, materials -64%, trips -83%, time -70%"));
  auto j = nlohmann::json::parse(render_comparison(c, CompareFormat::json));
  for (const char* k : {"steps", "materials", "trips", "days"}) {
    CHECK(j[k].contains("before"));
    CHECK(j[k].contains("after"));
    CHECK(j[k].contains("reduction_percent"));
  }
  CHECK(j["steps"]["before"] == 6);
  CHECK(j["steps"]["after"] == 1);
  CHECK(j["steps"]["reduction_percent"] == 83.3);
  CHECK(j["materials"]["reduction_percent"] == 63.6);
  CHECK(j["days"]["reduction_percent"] == 70);
  CHECK(j["days"]["reduction_percent"].is_number_integer());
}

TEST_CASE("compare: days stay the promised chain; elapsed and counted days beside them", "[compare]") {
  // Before: a 5-day review with a 10-day expert review, then another 5 days.
  // After: one joint review of 4 days after 2 days of preparation, with the
  // same expert review.
  Comparison c = parse_and_compare(R"(workflow: b
steps:
  - {id: s1, department: D1, days: 5, produces: [o1], excluded: [{reason: 专家评审, days: 10}]}
  - {id: s2, department: D2, days: 5, needs: [o1]}
)",
                                   R"(workflow: a
steps:
  - {id: j, departments: [D1, D2], days: 4, prepare: 2, excluded: [{reason: 专家评审, days: 10}]}
)");
  CHECK(c.days.before == 10);
  CHECK(c.days.after == 4);
  CHECK(c.elapsed_days.before == 20);
  CHECK(c.elapsed_days.after == 16);
  CHECK(*c.elapsed_days.reduction_percent == Approx(20));
  CHECK(c.counted_days.before == 10);
  CHECK(c.counted_days.after == 4);
  CHECK(*c.counted_days.reduction_percent == Approx(60));
  auto j = nlohmann::json::parse(render_comparison(c, CompareFormat::json));
  CHECK(j["days"]["before"] == 10);
  CHECK(j["elapsed_days"] == nlohmann::json::parse(R"({"before": 20, "after": 16, "reduction_percent": 20})"));
  CHECK(j["counted_days"] == nlohmann::json::parse(R"({"before": 10, "after": 4, "reduction_percent": 60})"));
  std::string t = render_comparison(c, CompareFormat::table);
  CHECK_THAT(t, Catch::Contains("elapsed days      20     16    -20%"));
  CHECK_THAT(t, Catch::Contains("counted days      10      4    -60%"));
  CHECK_THAT(t, Catch::Contains("time -60%"));  // the summary keeps the promised days
}

TEST_CASE("compare: trips count windows, not steps", "[compare]") {
  // Two steps at the same department's window are one trip; an online step none;
  // an explicit window shared by two departments is one trip.
  Workflow w = load_text(R"(workflow: trips
steps:
  - {id: a, department: 住建局, days: 1}
  - {id: b, department: 住建局, days: 1, after: [a]}
  - {id: c, department: 税务局, days: 1, online: true}
  - {id: d, department: 公安局, days: 1, window: 政务服务中心综合窗口}
  - {id: e, department: 人社局, days: 1, window: 政务服务中心综合窗口}
)");
  CHECK(applicant_trips(w) == 2);
  // A workflow-wide window makes every step one trip.
  Workflow one = load_text("workflow: one\nwindow: 一窗\nsteps:\n  - {id: a, department: X, days: 1}\n"
                           "  - {id: b, department: Y, days: 1}\n");
  CHECK(applicant_trips(one) == 1);
  Workflow online = load_text("workflow: web\nsteps:\n  - {id: a, department: X, days: 1, online: true}\n");
  CHECK(applicant_trips(online) == 0);
}

TEST_CASE("compare: an increase and a zero baseline", "[compare]") {
  Comparison c = parse_and_compare(kAfter, kBefore);
  CHECK(*c.steps.reduction_percent == Approx(-500));
  std::string t = render_comparison(c, CompareFormat::table);
  CHECK_THAT(t, Catch::Contains("steps +500%"));
  Comparison z = parse_and_compare("workflow: z\nsteps:\n  - {id: a, department: X, days: 0}\n",
                                   "workflow: y\nsteps:\n  - {id: a, department: X, days: 2}\n");
  CHECK_FALSE(z.days.reduction_percent.has_value());
  auto j = nlohmann::json::parse(render_comparison(z, CompareFormat::json));
  CHECK(j["days"]["reduction_percent"].is_null());
  CHECK(j["materials"]["reduction_percent"] == 0);
}

TEST_CASE("jreview compare on the bundled legacy and reformed pairs", "[compare][cli]") {
  const fs::path wf = fs::path(JR_SOURCE_DIR) / "workflows";
  for (const char* name : {"four-certificates", "company-change"}) {
    fs::path before = wf / (std::string(name) + "-legacy.yaml");
    fs::path after = wf / (std::string(name) + ".yaml");
    if (!fs::exists(before) || !fs::exists(after)) continue;
    int code = -1;
    std::string out = run("compare \"" + before.string() + "\" \"" + after.string() + "\" --format json", code);
    INFO(out);
    REQUIRE(code == 0);
    auto j = nlohmann::json::parse(out);
    Workflow b = *load_workflow_file(before.string()).workflow;
    Workflow a = *load_workflow_file(after.string()).workflow;
    CHECK(j["steps"]["before"] == b.steps.size());
    CHECK(j["steps"]["after"] == a.steps.size());
    CHECK(j["materials"]["before"] == b.applicant_materials.size());
    CHECK(j["trips"]["after"] == applicant_trips(a));
    // `days` is the chain of promised days alone; elapsed and counted days
    // are the plan's (with preparation and excluded periods in the span).
    const Plan pb = plan(b), pa = plan(a);
    CHECK(j["elapsed_days"]["before"] == pb.total_days);
    CHECK(j["elapsed_days"]["after"] == pa.total_days);
    CHECK(j["counted_days"]["before"] == pb.counted_days);
    CHECK(j["counted_days"]["after"] == pa.counted_days);
    CHECK(j["days"]["before"].get<double>() <= pb.total_days);
    if (std::string(name) == "four-certificates") {
      CHECK(j["days"]["before"] == 238);
      CHECK(j["days"]["after"] == 22);
      CHECK(j["elapsed_days"]["before"] == 343);  // + 60 of excluded periods + 45 of preparation
      CHECK(j["elapsed_days"]["after"] == 68);    // the drawings' preparation on the chain
      CHECK(j["counted_days"]["before"] == 238);  // a serial chain: every review day counts
      CHECK(j["counted_days"]["after"] == 38);
    }
    // The reforms cut steps, trips and days.
    CHECK(j["steps"]["reduction_percent"].get<double>() > 0);
    CHECK(j["trips"]["reduction_percent"].get<double>() > 0);
    CHECK(j["days"]["reduction_percent"].get<double>() > 0);
    std::string table = run("compare \"" + before.string() + "\" \"" + after.string() + "\"", code);
    CHECK(code == 0);
    CHECK_THAT(table, Catch::Contains("steps -"));
  }
}

TEST_CASE("jreview compare: error paths", "[compare][cli]") {
  fs::path dir = fs::temp_directory_path() / ("jr_compare_test_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  std::ofstream(dir / "bad.yaml") << "workflow: bad\nsteps:\n  - {id: a, department: X, days: -1}\n";
  std::ofstream(dir / "good.yaml") << kAfter;
  int code = -1;
  std::string out = run("compare \"" + (dir / "bad.yaml").string() + "\" \"" + (dir / "good.yaml").string() + "\"", code);
  CHECK(code == 1);
  CHECK_THAT(out, Catch::Contains("bad.yaml:3:"));
  run("compare \"" + (dir / "good.yaml").string() + "\"", code);
  CHECK(code != 0);
  run("compare \"" + (dir / "good.yaml").string() + "\" \"" + (dir / "good.yaml").string() + "\" --format xml", code);
  CHECK(code != 0);
  fs::remove_all(dir);
}

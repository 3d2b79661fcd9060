// Time that no calendar edit can move (docs/runtime.md#calendar-updates):
// the database holds its calendars, recorded instants are civil dates, and
// `calendar update` re-derives the pending deadlines, logged. The three
// defects of issue 12 as regression tests: a calendar edit that shifted live
// deadlines, a database tied to the folder it was used from, a provisional
// deadline that no notice could correct.
#include <catch2/catch.hpp>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "runtime/codec.h"
#include "runtime/helpers.h"
#include "storage/store.h"
#include "runtime/working_time.h"

namespace fs = std::filesystem;
using namespace jointreview;
using jr_test::options;
using jr_test::sql_scalar;
using jr_test::TempDir;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string bundled_cn() { return slurp(fs::path(JR_SOURCE_DIR) / "workflows/calendars/cn.yaml"); }

// The bundled calendar with another data version (and, appended to its
// `years:`, the given year entries).
std::string cn_version(const std::string& version, const std::string& more_years = "") {
  std::string t = bundled_cn();
  const std::string from = "version: \"2026.1\"";
  REQUIRE(t.find(from) != std::string::npos);
  t.replace(t.find(from), from.size(), "version: \"" + version + "\"");
  return t + more_years;
}

// 2024 as the State Council's notice gave it (251 working days): a year
// before the covered ones.
const char* k2024 = R"(  2024:
    source: 国务院办公厅关于2024年部分节假日安排的通知
    working_days: 251
    holidays:
      - {name: 元旦, from: 2024-01-01, to: 2024-01-01}
      - {name: 春节, from: 2024-02-10, to: 2024-02-17}
      - {name: 清明节, from: 2024-04-04, to: 2024-04-06}
      - {name: 劳动节, from: 2024-05-01, to: 2024-05-05}
      - {name: 端午节, from: 2024-06-10, to: 2024-06-10}
      - {name: 中秋节, from: 2024-09-15, to: 2024-09-17}
      - {name: 国庆节, from: 2024-10-01, to: 2024-10-07}
    makeup_days:
      - {date: 2024-02-04, for: 春节}
      - {date: 2024-02-18, for: 春节}
      - {date: 2024-04-07, for: 清明节}
      - {date: 2024-04-28, for: 劳动节}
      - {date: 2024-05-11, for: 劳动节}
      - {date: 2024-09-14, for: 中秋节}
      - {date: 2024-09-29, for: 国庆节}
      - {date: 2024-10-12, for: 国庆节}
)";

// A 2027 year for the tests: NOT the State Council's (not published as
// these tests are written); shaped like one, with a longer Spring Festival
// (02-05 to 02-12) than the provisional count (02-05 to 02-08) knows.
const char* k2027 = R"(  2027:
    source: a hypothetical 2027 notice (test data)
    working_days: 247
    holidays:
      - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
      - {name: 春节, from: 2027-02-05, to: 2027-02-12}
      - {name: 清明节, from: 2027-04-03, to: 2027-04-05}
      - {name: 劳动节, from: 2027-05-01, to: 2027-05-05}
      - {name: 端午节, from: 2027-06-09, to: 2027-06-09}
      - {name: 中秋节, from: 2027-09-15, to: 2027-09-15}
      - {name: 国庆节, from: 2027-10-01, to: 2027-10-07}
    makeup_days:
      - {date: 2027-02-20, for: 春节}
      - {date: 2027-05-08, for: 劳动节}
      - {date: 2027-09-26, for: 国庆节}
      - {date: 2027-10-09, for: 国庆节}
)";

const char* kTwoSteps = R"(workflow: two-steps
title: 跨年审查
time_limit: 60
departments:
  发展改革委: {}
  自然资源局: {}
steps:
  - id: short
    department: 发展改革委
    days: 3
  - id: long
    department: 自然资源局
    days: 40
)";

const StepStatus& step(const InstanceStatus& s, const std::string& id) {
  for (const auto& st : s.steps)
    if (st.id == id) return st;
  FAIL("no step " + id);
  return s.steps.front();
}

int run(const std::string& cmd, std::string* out = nullptr) {
  const std::string file = (fs::temp_directory_path() / ("jr_cal_cmd_" + std::to_string(::getpid()))).string();
  const int status = std::system((cmd + " >'" + file + "' 2>&1").c_str());
  if (out) *out = slurp(file);
  fs::remove(file);
  REQUIRE(WIFEXITED(status));
  return WEXITSTATUS(status);
}

std::string last_line(const std::string& text) {
  std::string t = text;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

}  // namespace

TEST_CASE("a year added before the covered years moves no recorded instant, reopened or updated", "[runtime][calendar]") {
  TempDir d;
  fs::create_directories(d.path / "calendars");
  const std::string wf = d.file("two.yaml", kTwoSteps);
  const std::string cal = d.file("calendars/cn.yaml", bundled_cn());  // the workflow's own copy, beside it
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id, before;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "p");
    e->act({id, "short", "submit", "applicant"});
    e->act({id, "short", "accept", "发展改革委"});
    const auto s = e->status(id);
    CHECK(step(s, "short").deadline == "2026-03-05");
    CHECK(s.deadline == "2026-05-28");  // 60 working days from 2026-03-02 (劳动节 05-01 to 05-05)
    before = status_json(s);
  }
  // The defect: counting from "the day before the first year", 2024's 251
  // working days moved every recorded instant by a year (2026-03-05 read
  // 2025-02-26, and warning/overdue rows dated before the start were logged).
  {
    std::string t = cn_version("2026.2");
    t.replace(t.find("years:\n"), 7, std::string("years:\n") + k2024);
    std::ofstream(cal) << t;
  }
  EngineOptions o = options(d, clock);
  std::vector<std::string> warnings;
  o.calendar.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  {
    auto e = Engine::open(o);
    CHECK(status_json(e->status(id)) == before);  // the database's copy counts, not the edited file
    e->start(wf, "q");  // the folder's newer file is seen, said once, and not used
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("has data version 2026.2, newer than the copy the database") != std::string::npos);
    CHECK(warnings[0].find("calendar update") != std::string::npos);
    // Adopted explicitly: the instants stay, no deadline moves.
    const CalendarUpdate u = e->update_calendar(cal);
    CHECK(u.changed);
    CHECK(u.old_version == "2026.1");
    CHECK(u.new_version == "2026.2");
    CHECK(u.instances == 2);
    CHECK(u.changes.empty());
    CHECK(status_json(e->status(id)) == before);
    const auto ev = e->events(id);
    CHECK(ev.back().kind == "calendar-changed");
    CHECK(ev.back().detail.find("no pending deadline moved") != std::string::npos);
    for (const auto& x : ev) CHECK((x.kind != "warning" && x.kind != "overdue"));
  }
  auto e = Engine::open(options(d, clock));
  CHECK(status_json(e->status(id)) == before);
  const auto cals = e->calendars();
  REQUIRE(cals.size() == 1);
  CHECK(cals[0].version == "2026.2");
  CHECK(cals[0].first_year == 2024);
  CHECK(cals[0].versions == std::vector<std::string>{"2026.1", "2026.2"});
  // Its timers still fire on their dates: the 3-day limit ends 2026-03-05.
  clock->set(FakeClock::at("2026-03-05T23:59")->now());
  e->fire_due_timers();
  CHECK_FALSE(step(e->status(id), "short").overdue);
  clock->set(FakeClock::at("2026-03-06T00:00")->now());
  e->fire_due_timers();
  CHECK(step(e->status(id), "short").overdue);
}

TEST_CASE("calendar update with the 2027 notice re-derives the provisional deadlines and logs each move", "[runtime][calendar]") {
  TempDir d;
  const std::string wf = d.file("two.yaml", kTwoSteps);
  auto clock = FakeClock::at("2026-12-28T09:00");
  std::string id;
  EngineOptions o = options(d, clock);
  o.checkpoint_interval = std::chrono::hours(1);  // only the update's own checkpoint
  {
    auto e = Engine::open(o);
    id = e->start(wf, "跨年项目");
    for (const char* s : {"short", "long"}) e->act({id, s, "submit", "applicant"});
    e->act({id, "short", "accept", "发展改革委"});
    e->act({id, "long", "accept", "自然资源局"});
    const auto s = e->status(id);
    // Counted provisionally in 2027: weekends and the statutory holidays
    // (2027-01-01; Spring Festival 02-05 to 02-08): hand-counted.
    CHECK(step(s, "short").deadline == "2026-12-31");
    CHECK_FALSE(step(s, "short").deadline_provisional);
    CHECK(step(s, "long").deadline == "2027-02-25");
    CHECK(step(s, "long").deadline_provisional);
    CHECK(s.deadline == "2027-03-25");
    CHECK(s.deadline_provisional);
  }
  const std::string file = d.file("cn-2027.yaml", cn_version("2027.1", k2027));
  {
    auto e = Engine::open(o);
    const CalendarUpdate u = e->update_calendar(file);
    CHECK(u.id == "cn");
    CHECK(u.changed);
    CHECK(u.instances == 1);
    REQUIRE(u.changes.size() == 2);
    // With 02-09 to 02-12 off and 02-20 worked: three working days later.
    CHECK(u.changes[0].step.empty());
    CHECK(u.changes[0].from == "2027-03-25");
    CHECK(u.changes[0].from_provisional);
    CHECK(u.changes[0].to == "2027-03-30");
    CHECK_FALSE(u.changes[0].to_provisional);
    CHECK(u.changes[1].step == "long");
    CHECK(u.changes[1].what == "deadline");
    CHECK(u.changes[1].from == "2027-02-25");
    CHECK(u.changes[1].to == "2027-03-02");
    const auto j = nlohmann::json::parse(calendar_update_json(u));
    CHECK(j["changes"][0]["step"].is_null());
    CHECK(j["changes"][1]["to"] == "2027-03-02");
    const auto ev = e->events(id);
    REQUIRE(ev.back().kind == "calendar-changed");
    CHECK(ev.back().from == "2026.1");
    CHECK(ev.back().to == "2027.1");
    CHECK(ev.back().detail.find("deadline of 'long' 2027-02-25 (provisional) -> 2027-03-02") != std::string::npos);
    CHECK(ev.back().detail.find("project deadline 2027-03-25 (provisional) -> 2027-03-30") != std::string::npos);
  }
  // Durable with the update (its own checkpoint), and the timers moved too:
  // on 2027-02-26, past the provisional deadline, the step is not red.
  clock->set(FakeClock::at("2027-02-26T10:00")->now());
  auto e = Engine::open(o);
  auto s = e->status(id);
  CHECK(step(s, "long").deadline == "2027-03-02");
  CHECK_FALSE(step(s, "long").deadline_provisional);
  CHECK_FALSE(step(s, "long").overdue);
  CHECK(step(s, "short").overdue);  // 2026-12-31 passed long ago, as before
  CHECK(s.deadline == "2027-03-30");
  clock->set(FakeClock::at("2027-03-03T00:00")->now());
  e->fire_due_timers();
  CHECK(step(e->status(id), "long").overdue);
}

TEST_CASE("calendar update refuses another id, an older version, changed data under the same version", "[runtime][calendar]") {
  TempDir d;
  const std::string wf = d.file("two.yaml", kTwoSteps);
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const auto none = e->calendars();
  CHECK(none.empty());
  try {
    e->update_calendar(d.file("cn.yaml", cn_version("2027.1")));
    FAIL("expected a refusal");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::refused);
    CHECK(std::string(err.what()).find("holds no calendar 'cn'") != std::string::npos);
  }
  const std::string id = e->start(wf, "p");
  const std::string before = status_json(e->status(id));
  auto refused = [&](const std::string& file, const std::string& why) {
    try {
      e->update_calendar(file);
      FAIL("expected a refusal for " + file);
    } catch (const Error& err) {
      CHECK(err.code() == Error::Code::refused);
      CHECK_THAT(err.what(), Catch::Contains(why));
    }
  };
  refused(d.file("sh.yaml", "format: 1\nid: sh\nname: 上海\nversion: \"1\"\nextends: cn\n"), "holds no calendar 'sh'");
  const std::string old_file = d.file("old.yaml", cn_version("2025.9"));
  try {
    e->update_calendar(old_file);
    FAIL("expected a refusal");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::refused);
    CHECK(std::string(err.what()) == old_file + " holds version 2025.9 of calendar 'cn', older than the database's "
                                                "2026.1; a calendar is only replaced by a newer version");
  }
  std::string other = bundled_cn() + "closures:\n  - {date: 2026-03-04, reason: 停电}\n";
  refused(d.file("other.yaml", other), "with different data; raise `version`");
  CHECK(e->calendars().at(0).version == "2026.1");
  // The same data: nothing to do, nothing logged.
  const auto n = e->events(id).size();
  const CalendarUpdate same = e->update_calendar((fs::path(JR_SOURCE_DIR) / "workflows/calendars/cn.yaml").string());
  CHECK_FALSE(same.changed);
  CHECK(e->events(id).size() == n);
  fs::create_directories(d.path / "copy");
  CHECK_FALSE(e->update_calendar(d.file("copy/cn.yaml", bundled_cn())).changed);  // the same data, read elsewhere
  // A file that does not parse names its line.
  try {
    e->update_calendar(d.file("broken.yaml", "format: 1\nid: cn\nversion: [\n"));
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::invalid_argument);
    CHECK_THAT(err.what(), Catch::Contains("broken.yaml:"));
  }
  CHECK(status_json(e->status(id)) == before);
  e.reset();
  // A file beside the workflow with other data under the held version: said, not used.
  fs::create_directories(d.path / "calendars");
  d.file("calendars/cn.yaml", other);
  EngineOptions o = options(d, clock);
  std::vector<std::string> warnings;
  o.calendar.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  e = Engine::open(o);
  e->start(wf, "q");
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::Contains("differs from the copy the database"));
  CHECK_THAT(warnings[0], Catch::Contains("under the same data version 2026.1"));
  CHECK(status_json(e->status(id)) == before);
}

TEST_CASE("a calendar update whose transaction fails changes nothing", "[runtime][calendar]") {
  TempDir d;
  const std::string wf = d.file("two.yaml", kTwoSteps);
  auto clock = FakeClock::at("2026-12-28T09:00");
  std::string id, before;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "p");
    e->act({id, "long", "submit", "applicant"});
    e->act({id, "long", "accept", "自然资源局"});
    before = status_json(e->status(id));
  }
  jr_test::sql_exec(d.db(), "CREATE TRIGGER boom BEFORE INSERT ON calendars BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  auto e = Engine::open(options(d, clock));
  const std::string file = d.file("cn-2027.yaml", cn_version("2027.1", k2027));
  try {
    e->update_calendar(file);
    FAIL("expected the commit to fail");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::storage);
    CHECK_THAT(err.what(), Catch::Contains("disk on fire"));
  }
  CHECK(status_json(e->status(id)) == before);
  CHECK(e->calendars().at(0).version == "2026.1");
  e->act({id, "long", "approve", "自然资源局"});  // and the engine goes on
  CHECK(step(e->status(id), "long").state == "approved");
  e.reset();
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM events WHERE kind='calendar-changed'") == "0");
  CHECK(sql_scalar(d.db(), "SELECT group_concat(version) FROM calendars") == "2026.1");
}

TEST_CASE("a database used from another folder, and moved, counts with the calendar it stored", "[runtime][calendar][cli]") {
  TempDir d;
  fs::create_directories(d.path / "proj/calendars");
  fs::create_directories(d.path / "elsewhere");
  d.file("proj/calendars/local.yaml",
         "format: 1\nid: local\nname: 本地\nversion: \"1\"\nextends: cn\n"
         "closures:\n  - {date: 2026-03-04, reason: 本地停电}\n");
  std::string wf = kTwoSteps;
  wf.replace(wf.find("time_limit"), 0, "calendar: local\n");
  d.file("proj/two.yaml", wf);
  const std::string bin = std::string("'") + JR_JREVIEW_BIN + "'";
  const std::string proj = "cd '" + (d.path / "proj").string() + "' && ";
  std::string out;
  // A relative path to the workflow, its calendar found beside it.
  REQUIRE(run(proj + bin + " start two.yaml --project p --db ../x.db --now 2026-03-02T09:00", &out) == 0);
  const std::string id = last_line(out);
  REQUIRE(run(proj + bin + " act " + id + " short submit --db ../x.db --now 2026-03-02T09:10", &out) == 0);
  REQUIRE(run(proj + bin + " act " + id + " short accept --as 发展改革委 --db ../x.db --now 2026-03-02T09:20", &out) == 0);
  // From another folder (the defect: "the stored workflow ... no longer loads: unknown calendar").
  const std::string status = " status " + id + " --format json --now 2026-03-02T10:00";
  REQUIRE(run("cd / && " + bin + status + " --db '" + (d.path / "x.db").string() + "'", &out) == 0);
  auto j = nlohmann::json::parse(out);
  CHECK(j["steps"][0]["deadline"] == "2026-03-06");  // 03-04 closed: 03-03, 03-05, 03-06
  // Moved, the calendar file gone: the database's copy counts.
  fs::rename(d.path / "x.db", d.path / "elsewhere/y.db");
  fs::remove_all(d.path / "proj/calendars");
  REQUIRE(run("cd '" + (d.path / "elsewhere").string() + "' && " + bin + status + " --db y.db", &out) == 0);
  j = nlohmann::json::parse(out);
  CHECK(j["steps"][0]["deadline"] == "2026-03-06");
  REQUIRE(run("cd / && " + bin + " calendar list --format json --db '" + (d.path / "elsewhere/y.db").string() + "'", &out) == 0);
  j = nlohmann::json::parse(out);
  REQUIRE(j.size() == 1);
  CHECK(j[0]["id"] == "local");
  CHECK(j[0]["instances"] == 1);
  // A calendar file that cannot be read: a clear error naming it.
  REQUIRE(run("cd '" + (d.path / "elsewhere").string() + "' && " + bin + " calendar update /nonexistent.yaml --db y.db", &out) == 2);
  CHECK_THAT(out, Catch::Contains("/nonexistent.yaml"));
}

// A database written by the schema-2 release (tests/runtime/fixtures/
// make_schema2.sh): its snapshots and logged inputs counted working days
// from the calendar's first year. Opened here, it is converted once; what
// it says and its trail are exactly what that release said.
TEST_CASE("a schema-2 database opens converted to civil time, with the same statuses and trail", "[runtime][calendar][upgrade]") {
  TempDir d;
  const fs::path fx = fs::path(JR_SOURCE_DIR) / "tests/runtime/fixtures";
  fs::copy_file(fx / "schema2.db", d.db());
  CHECK(sql_scalar(d.db(), "PRAGMA user_version") == "2");
  std::vector<std::string> ids;
  {
    std::ifstream in(fx / "schema2.ids");
    for (std::string id; in >> id;) ids.push_back(id);
  }
  REQUIRE(ids.size() == 2);
  // The old JSON wrote "" for a date that was not there; now it is null.
  // And it showed a step's `since` one second late when read back from
  // working-day time (09:00:01 for 09:00), which this build fixed: compared
  // to the minute.
  auto dates_as_null = [](nlohmann::json j) {
    std::function<void(nlohmann::json&)> walk = [&](nlohmann::json& v) {
      if (v.is_object()) {
        for (auto& [k, x] : v.items())
          if ((k == "deadline" || k == "verification_due") && x == "") x = nullptr;
          else if (k == "since" && x.is_string() && x.get<std::string>().size() > 16)
            x = x.get<std::string>().substr(0, 16);
          else walk(x);
      } else if (v.is_array()) {
        for (auto& x : v) walk(x);
      }
    };
    walk(j);
    return j;
  };
  {
    // Run where the workflow's stored path does not resolve: the
    // conversion finds the bundled calendar it ran with.
    auto e = Engine::open(options(d, FakeClock::at("2026-12-30T09:00")));
    for (const auto& id : ids) {
      INFO(id);
      auto expected = dates_as_null(nlohmann::json::parse(slurp(fx / ("schema2-" + id + ".status.json"))));
      auto now = dates_as_null(nlohmann::json::parse(status_json(e->status(id))));
      // Fields later builds added to a step (issue 13) are not in the old output.
      for (auto& st : now["steps"])
        for (const char* k : {"paused_until", "paused_until_provisional", "ground", "exclusion_reason", "extended_days",
                              "statutory_days", "statutory_overdue", "notices", "repeat_notice", "verification_overdue",
                              "rectifying", "rectify_due", "review_required", "material_overdue", "claims"})
          st.erase(k);
      for (const char* k : {"clock_started", "counted_days", "elapsed_days", "key", "version"})
        now.erase(k);  // and to the instance
      // days_used of a running clock now counts whole days by the counting
      // convention (issue 13): the old build showed the fraction since the
      // acceptance. The days a clock counted before it stopped under the old
      // build keep their fraction (a snapshot holds the sum, not the days).
      for (std::size_t i = 0; i < now["steps"].size(); ++i) {
        auto& a = now["steps"][i];
        auto& b = expected["steps"][i];
        if (a["state"] == "accepted") {
          CHECK(a["days_used"].get<double>() >= b["days_used"].get<double>() - 1e-9);
          CHECK(a["days_used"].get<double>() < b["days_used"].get<double>() + 1);
          a["days_used"] = b["days_used"];
        }
      }
      CHECK(now.dump(1) == expected.dump(1));
      CHECK(nlohmann::json::parse(events_json(e->events(id))) ==
            nlohmann::json::parse(slurp(fx / ("schema2-" + id + ".events.json"))));
    }
    const auto cals = e->calendars();
    REQUIRE(cals.size() == 1);
    CHECK(cals[0].id == "cn");
    CHECK(cals[0].version == "2026.1");
    CHECK(cals[0].running == 2);
  }
  CHECK(sql_scalar(d.db(), "PRAGMA user_version") == "7");
  CHECK(sql_scalar(d.db(), "SELECT value FROM meta WHERE key='time_base'") == "1");
  {
    // The chain covers the converted rows, and every row before the conversion.
    const auto c = jointreview::storage::verify_chain_file(d.db());
    CHECK(c.ok);
    CHECK(c.events == std::stoll(sql_scalar(d.db(), "SELECT count(*) FROM events")));
  }
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM events WHERE input IS NOT NULL AND substr(hex(input),1,2) <> '02'") == "0");
  {
    // Every logged input now names its instant as a civil date: read back on
    // the calendar, it is the time its row shows (to the second; the old
    // release wrote some timer rows a second late).
    const TimeMap time(Calendar::load("cn"), 480);
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open_v2(d.db().c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(h, "SELECT time, input FROM events WHERE input IS NOT NULL", -1, &st, nullptr) == SQLITE_OK);
    int rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      const std::string when = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      const std::string blob(static_cast<const char*>(sqlite3_column_blob(st, 1)), sqlite3_column_bytes(st, 1));
      runtime::Input in = runtime::decode_input(blob);
      CHECK_FALSE(in.legacy);
      runtime::resolve_time(in, time);
      const auto back = time.from_wt(in.event.at);
      const auto row = parse_local_time(when.substr(0, 19), 480);
      INFO(when);
      CHECK(std::llabs(std::chrono::duration_cast<std::chrono::seconds>(back - row).count()) <= 1);
      ++rows;
    }
    sqlite3_finalize(st);
    sqlite3_close(h);
    CHECK(rows >= 16);
  }
  // Opened again (no conversion now), still the same, and it goes on.
  auto e = Engine::open(options(d, FakeClock::at("2026-12-30T10:00")));
  CHECK(e->status(ids[1]).steps[1].deadline == "2027-01-06");
  CHECK(e->status(ids[1]).steps[1].deadline_provisional);
  e->act({ids[1], "site_selection", "approve", "自然资源局"});
  CHECK(e->status(ids[1]).steps[1].state == "approved");
}

TEST_CASE("a snapshot with many pending timers (a clock stopped and resumed often) reads back", "[runtime][calendar]") {
  TempDir d;
  const std::string wf = d.file("two.yaml", kTwoSteps);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id, before;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "p");
    e->act({id, "long", "submit", "applicant"});
    e->act({id, "long", "accept", "自然资源局"});
    // Each restart of the clock arms its warning and overdue timers again;
    // the superseded ones stay pending (and do nothing) until they come up.
    for (int i = 0; i < 150; ++i) {
      clock->advance(std::chrono::minutes(1));
      ActRequest x{id, "long", "exclude", "自然资源局"};
      x.days = 30;
      x.ground = "expert_review";
      x.note = "专家评审";
      e->act(x);
      clock->advance(std::chrono::minutes(1));
      e->act({id, "long", "resume", "自然资源局"});
    }
    before = status_json(e->status(id));
  }
  auto e = Engine::open(options(d, clock));
  CHECK(status_json(e->status(id)) == before);
}

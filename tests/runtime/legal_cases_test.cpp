// The law's clocks, case by case (issue 13): each case has deadlines, flags
// and counted days computed by hand from 行政许可法 and the counting
// convention (docs/state-machine.md), run through the live runtime; the
// deterministic ones also through the simulator and the planner, which
// must give the same numbers. March 2026 has no holiday in the cn calendar;
// 2026-03-02 is a Monday; April 4-6 is Qingming.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "helpers.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/planner.h"
#include "jointreview/simulator.h"

using namespace jointreview;
using jr_test::options;
using jr_test::TempDir;

namespace {

struct Act {
  const char* at;  // local time
  const char* step;
  const char* action;
  const char* actor;
  double days = -1;
  const char* note = "";
  const char* material = "";
};

struct Expect {  // one step, after the script, at `now`
  const char* step;
  const char* state;
  const char* deadline;  // "" for none
  double days_used;
  bool warned, overdue, statutory_overdue;
};

struct LegalCase {
  const char* name;
  const char* article;
  const char* yaml;
  std::vector<Act> script;
  const char* now;
  std::vector<Expect> steps;
  double counted_days;
  double elapsed_days;
};

const char* const kHeader = "calendar: cn\nwarn_before: 1\n";

std::vector<LegalCase> cases() {
  return {
      {"a limit of 1 working day after Monday's acceptance ends with Tuesday", "counting convention",
       "workflow: c1\nsteps:\n  - {id: s, department: A, days: 1}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"},
        {"2026-03-02T10:00", "s", "accept", "A"},
        {"2026-03-03T17:00", "s", "approve", "A"}},
       "2026-03-04T09:00",
       {{"s", "approved", "", 1, true, false, false}},
       1, 1},
      {"decided the day after the limit: red, 2 days used", "counting convention",
       "workflow: c2\nsteps:\n  - {id: s, department: A, days: 1}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"},
        {"2026-03-02T10:00", "s", "accept", "A"},
        {"2026-03-04T09:00", "s", "approve", "A"}},
       "2026-03-04T10:00",
       {{"s", "approved", "", 2, true, true, false}},
       2, 2},
      {"即办 (days: 0): due the day it is accepted, never yellow at acceptance", "counting convention",
       "workflow: c3\nsteps:\n  - {id: s, department: A, days: 0}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"}, {"2026-03-02T10:00", "s", "accept", "A"}},
       "2026-03-02T11:00",
       {{"s", "accepted", "2026-03-02", 0, false, false, false}},
       0, 0},
      {"容缺: the decision held for the applicant's material is not the department's time", "容缺受理",
       "workflow: c4\nsteps:\n  - {id: s, department: A, days: 1, needs: [m], deferred: [{material: m, within: 10}]}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"},
        {"2026-03-02T10:00", "s", "accept", "A"},
        {"2026-03-02T15:00", "s", "approve", "A"},
        {"2026-03-04T10:00", "s", "supply", "applicant", -1, "", "m"}},
       "2026-03-05T09:00",
       {{"s", "approved", "", 0, false, false, false}},
       0, 2},  // the department's days: none; elapsed since acceptance: 03-03, 03-04
      {"an Art. 45 expert review of 10 days is not counted; the restart day is not either", "Art. 45",
       "workflow: c5\nsteps:\n  - {id: s, department: A, days: 5, excluded: [{reason: 专家评审, days: 10}]}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"},
        {"2026-03-02T10:00", "s", "accept", "A"},   // due 03-09
        {"2026-03-03T10:00", "s", "exclude", "A"}},  // 1 day used (03-03); until 03-17 10:00
       "2026-03-18T09:00",
       // 4 days remain after 03-17: 03-18, 19, 20, 23
       {{"s", "accepted", "2026-03-23", 2, false, false, false}},
       2, 12},
      {"an extension of 10 days (Art. 42) moves the limit by 10 working days", "Art. 42",
       "workflow: c6\nsteps:\n  - {id: s, department: A, days: 5}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"},
        {"2026-03-02T10:00", "s", "accept", "A"},  // due 03-09
        {"2026-03-04T10:00", "s", "extend", "A", 10, "需现场勘验"}},
       "2026-03-10T09:00",
       {{"s", "accepted", "2026-03-23", 6, false, false, false}},
       6, 6},
      {"past the law's limit (违法超期) apart from the promise", "Art. 42",
       "workflow: c7\nsteps:\n  - {id: s, department: A, days: 2, statutory_days: 3}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"}, {"2026-03-02T10:00", "s", "accept", "A"}},
       "2026-03-06T09:00",  // promised: 03-04; the law: 03-05
       {{"s", "accepted", "2026-03-04", 4, true, true, true}},
       4, 4},
      {"undecided for 5 working days: accepted on the day of receipt, so already late", "Art. 32",
       "workflow: c8\nsteps:\n  - {id: s, department: A, days: 2}\n",
       {{"2026-03-02T09:00", "s", "submit", "applicant"}},
       "2026-03-10T09:00",  // deemed accepted at the end of 03-09, as of 03-02 09:00
       {{"s", "accepted", "2026-03-04", 6, false, true, false}},  // red, but never yellow at acceptance
       6, 6},
      {"a correction stops the clock; the resubmission restarts it with what was left", "Art. 32, 补正",
       "workflow: c9\nsteps:\n  - {id: s, department: A, days: 10}\n",
       {{"2026-03-05T09:00", "s", "submit", "applicant"},
        {"2026-03-05T10:05", "s", "accept", "A"},    // due 03-19
        {"2026-03-10T15:00", "s", "return", "A", -1, "缺日照分析"},  // 3 used: 03-06, 09, 10
        {"2026-03-16T10:00", "s", "resubmit", "applicant"}},  // 7 left from 03-17
       "2026-03-16T11:00",
       {{"s", "accepted", "2026-03-25", 3, false, false, false}},
       3, 7},
  };
}

std::string with_header(const char* yaml) {
  std::string y = yaml;
  const auto nl = y.find('\n');
  return y.substr(0, nl + 1) + kHeader + "departments: {A: {}, B: {}}\n" + y.substr(nl + 1);
}

}  // namespace

TEST_CASE("legal cases: deadlines, flags and days used as the law counts them, live", "[runtime][law]") {
  for (const LegalCase& c : cases()) {
    INFO(c.name << " (" << c.article << ")");
    TempDir d;
    const std::string wf = d.file("c.yaml", with_header(c.yaml));
    auto clock = FakeClock::at("2026-03-02T08:00");
    auto e = Engine::open(options(d, clock));
    const std::string id = e->start({wf, "p"});
    for (const Act& a : c.script) {
      INFO(a.at << " " << a.step << " " << a.action);
      clock->set(FakeClock::at(a.at)->now());
      ActRequest r{id, a.step, a.action, a.actor, a.note, a.material};
      r.days = a.days;
      REQUIRE_NOTHROW(e->act(r));
    }
    clock->set(FakeClock::at(c.now)->now());
    e->fire_due_timers();
    const InstanceStatus s = e->status(id);
    for (const Expect& x : c.steps) {
      INFO("step " << x.step);
      const StepStatus* st = nullptr;
      for (const auto& y : s.steps)
        if (y.id == x.step) st = &y;
      REQUIRE(st);
      CHECK(st->state == x.state);
      CHECK(st->deadline == x.deadline);
      CHECK(st->days_used == Approx(x.days_used));
      CHECK(st->warned == x.warned);
      CHECK(st->overdue == x.overdue);
      CHECK(st->statutory_overdue == x.statutory_overdue);
    }
    CHECK(s.counted_days == Approx(c.counted_days));
    CHECK(s.elapsed_days == Approx(c.elapsed_days));
  }
}

namespace {

// Deterministic workflows run by all three: the runtime (a script that
// takes each step's exact `days`), the simulator (no duration: exactly
// `days`; no corrections) and the planner.
struct ThreeWay {
  const char* name;
  const char* yaml;
  std::vector<Act> script;
  double counted, elapsed;
  bool on_time;
};

std::vector<ThreeWay> three_way() {
  return {
      {"parallel branches without excluded time: the longer branch counts, then the join",
       "workflow: p1\ntime_limit: 7\nsteps:\n"
       "  - {id: a, department: A, days: 3}\n  - {id: b, department: B, days: 5}\n"
       "  - {id: c, department: A, days: 2, after: [a, b]}\n",
       {{"2026-03-02T09:00", "a", "submit", "applicant"},
        {"2026-03-02T09:00", "a", "accept", "A"},
        {"2026-03-02T09:00", "b", "submit", "applicant"},
        {"2026-03-02T09:00", "b", "accept", "B"},
        {"2026-03-05T16:00", "a", "approve", "A"},  // 03, 04, 05
        {"2026-03-09T16:00", "b", "approve", "B"},  // 03 .. 09
        {"2026-03-09T16:00", "c", "submit", "applicant"},
        {"2026-03-09T16:00", "c", "accept", "A"},
        {"2026-03-11T16:00", "c", "approve", "A"}},  // 10, 11
       7, 7, true},
      {"a/b/c: a's review day lies within b's 20, its 30-day period is not counted", 
       "workflow: p2\ntime_limit: 21\nsteps:\n"
       "  - {id: a, department: A, days: 1, excluded: [{reason: 挂牌出让公告期, days: 30}]}\n"
       "  - {id: b, department: B, days: 20}\n"
       "  - {id: c, department: B, days: 1, after: [a, b]}\n",
       {{"2026-03-02T09:00", "a", "submit", "applicant"},
        {"2026-03-02T09:00", "a", "accept", "A"},
        {"2026-03-02T09:00", "b", "submit", "applicant"},
        {"2026-03-02T09:00", "b", "accept", "B"},
        {"2026-03-03T16:00", "a", "exclude", "A"},   // reviewed on 03-03; 30 days: until 04-15 16:00
        {"2026-03-30T16:00", "b", "approve", "B"},   // 03-03 .. 03-30: 20
        {"2026-04-15T16:00", "a", "approve", "A"},
        {"2026-04-15T16:00", "c", "submit", "applicant"},
        {"2026-04-15T16:00", "c", "accept", "B"},
        {"2026-04-16T16:00", "c", "approve", "B"}},
       21, 32, true},
      {"one day over the limit on the project clock", 
       "workflow: p3\ntime_limit: 4\nsteps:\n"
       "  - {id: a, department: A, days: 2}\n  - {id: b, department: B, days: 3, after: [a]}\n",
       {{"2026-03-02T09:00", "a", "submit", "applicant"},
        {"2026-03-02T09:00", "a", "accept", "A"},
        {"2026-03-04T16:00", "a", "approve", "A"},
        {"2026-03-04T16:00", "b", "submit", "applicant"},
        {"2026-03-04T16:00", "b", "accept", "B"},
        {"2026-03-09T16:00", "b", "approve", "B"}},
       5, 5, false},
  };
}

}  // namespace

TEST_CASE("legal cases: the runtime, the simulator and the planner count the same days", "[runtime][law][simulator][planner]") {
  for (const ThreeWay& c : three_way()) {
    INFO(c.name);
    TempDir d;
    const std::string yaml = with_header(c.yaml);
    const std::string file = d.file("w.yaml", yaml);
    // Live.
    {
      auto clock = FakeClock::at("2026-03-02T08:00");
      auto e = Engine::open(options(d, clock));
      const std::string id = e->start({file, "p"});
      for (const Act& a : c.script) {
        INFO(a.at << " " << a.step << " " << a.action);
        clock->set(FakeClock::at(a.at)->now());
        ActRequest r{id, a.step, a.action, a.actor, a.note, a.material};
        r.days = a.days;
        REQUIRE_NOTHROW(e->act(r));
      }
      const InstanceStatus s = e->status(id);
      CHECK(s.state == "completed");
      CHECK(s.counted_days == Approx(c.counted));
      CHECK(s.elapsed_days == Approx(c.elapsed));
      CHECK(s.overdue == !c.on_time);
      for (const auto& st : s.steps) CHECK_FALSE(st.overdue);  // every step took exactly its days
    }
    auto loaded = load_workflow_file(file);
    REQUIRE(loaded.ok());
    const Workflow& wf = *loaded.workflow;
    // Simulated: deterministic, so every run gives the same figures.
    SimulationOptions o;
    o.runs = 5;
    o.trace_median = false;
    const SimulationResult r = simulate(wf, o);
    REQUIRE(r.completed == 5);
    CHECK(*r.mean_days == Approx(c.elapsed));
    CHECK(*r.mean_counted_days == Approx(c.counted));
    CHECK(*r.on_time_probability == (c.on_time ? 1.0 : 0.0));
    for (const auto& st : r.steps) CHECK(st.overdue_share == 0.0);  // finishing at the limit is on time
    // Planned.
    const Plan p = plan(wf);
    CHECK(p.total_days == Approx(c.elapsed));
    CHECK(p.counted_days == Approx(c.counted));
    CHECK(p.time_limit_met() == c.on_time);
  }
}

TEST_CASE("legal cases: what the law forbids is refused, with the reason", "[runtime][law]") {
  TempDir d;
  const std::string wf = d.file("r.yaml", with_header(
      "workflow: r\nsteps:\n  - {id: s, department: A, days: 5}\n"
      "  - {id: j, departments: [A, B], days: 5}\n"
      "  - {id: p, department: A, days: 1, commitment: {verify_after: 20}}\n"));
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start({wf, "p"});
  for (const char* s : {"s", "j"}) e->act({id, s, "submit", "applicant"});
  e->act({id, "s", "accept", "A"});
  e->act({id, "j", "accept", "A"});
  auto refused = [&](ActRequest r, double days, const std::string& why) {
    r.instance = id;
    r.days = days;
    INFO(r.step << " " << r.action);
    try {
      e->act(r);
      FAIL("accepted");
    } catch (const Error& x) {
      CHECK(std::string(x.what()) == why);
    }
  };
  // Art. 45: no declared period and no ground.
  refused({"", "s", "exclude", "A"}, 20,
          "exclude refused: step 's' declares no excluded period; a further one needs its ground under Art. 45 of "
          "行政许可法 (hearing, tendering, auction, inspection, testing, quarantine, appraisal or expert_review), its "
          "length in working days, and a note telling the applicant why");
  // A ground without the note the applicant must be given.
  refused({"", "s", "exclude", "A", "", "", -1, "hearing"}, 10,
          "exclude refused: an excluded period on the ground of 听证 (hearing) must say why, in writing to the "
          "applicant (ActRequest::note)");
  // Art. 42: at most 10 working days for one department, 15 for a joint review.
  refused({"", "s", "extend", "A", "复杂"}, 11,
          "extend refused: an extension of step 's' is 1 to 10 working days (Art. 42: 10, or 15 for a joint review by "
          "several departments)");
  refused({"", "j", "extend", "A", "复杂"}, 16,
          "extend refused: an extension of step 'j' is 1 to 15 working days (Art. 42: 10, or 15 for a joint review by "
          "several departments)");
  refused({"", "s", "extend", "A"}, 5,
          "extend refused: an extension must give its reason, which the applicant is told (ActRequest::note)");
  e->act([&] { ActRequest r{id, "s", "extend", "A", "需补充勘验"}; r.days = 10; return r; }());
  refused({"", "s", "extend", "A", "再次"}, 2, "extend refused: step 's' has been extended already; Art. 42 allows one extension");
  // 告知承诺: no verification before the decision; revocation only by the lead, with a reason.
  e->act({id, "p", "commit", "applicant"});
  refused({"", "p", "verify", "A"}, -1, "verify refused: step 'p' has no verification pending");
  refused({"", "p", "revoke", "A", "虚假承诺"}, -1, "revoke refused: step 'p' is accepted; only an approval can be revoked");
  e->act({id, "p", "approve", "A"});
  refused({"", "p", "verify-failed", "A"}, -1,
          "verify-failed refused: a failed verification must say which conditions are not met: the order to rectify "
          "tells the applicant (ActRequest::note)");
  refused({"", "p", "rectified", "A"}, -1, "rectified refused: step 'p' has no rectification ordered (only 'verify-failed' orders one)");
  refused({"", "p", "confirm", "A"}, -1, "confirm refused: step 'p' has no review required: no step it depends on was revoked");
  refused({"", "s", "revoke", "A", "x"}, -1, "revoke refused: step 's' is accepted; only an approval can be revoked");
  e->act({id, "s", "approve", "A"});
  refused({"", "s", "revoke", "A", "x"}, -1,
          "revoke refused: step 's' was not approved on commitment and no step it depends on was revoked; its approval "
          "is revoked only by the Act's other procedures, not by 'revoke'");
  // The trail stays in order.
  clock->set(FakeClock::at("2026-03-01T09:00")->now());
  try {
    e->act({id, "j", "approve", "A"});
    FAIL("accepted");
  } catch (const Error& x) {
    CHECK(std::string(x.what()).find("time cannot run backwards") != std::string::npos);
  }
}

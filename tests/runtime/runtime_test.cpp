// The live runtime: durable instances on SQLite, actors, refusals, timers at
// open, workflow versions, concurrent callers, and a SIGKILL crash test.
#include <catch2/catch.hpp>

#include <sqlite3.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "rules_workflow.h"
#include "runtime/helpers.h"
#include "storage/store.h"

namespace fs = std::filesystem;
using namespace jointreview;
using jr_test::TempDir;
using jr_test::options;
using jr_test::sql_scalar;

namespace {

const char* kJoint = R"(workflow: joint
title: 联合审查
time_limit: 10
departments:
  发展改革委: {}
  自然资源局: {}
  住房城乡建设局: {}
steps:
  - id: review_a
    department: 发展改革委
    days: 3
    needs: [申请表]
    produces: [意见A]
  - id: review_b
    department: 自然资源局
    days: 3
    needs: [申请表]
    produces: [意见B]
  - id: review_c
    department: 住房城乡建设局
    days: 3
    needs: [申请表]
    produces: [意见C]
  - id: permit
    department: 住房城乡建设局
    days: 2
    needs: [意见A, 意见B, 意见C]
    produces: [许可证]
)";

std::string state_of(const InstanceStatus& s, const std::string& step) {
  for (const auto& st : s.steps)
    if (st.id == step) return st.state;
  return "?";
}

void drive_to_completion(Engine& e, const std::string& id, const std::string& tag = "") {
  const std::pair<const char*, const char*> reviews[] = {
      {"review_a", "发展改革委"}, {"review_b", "自然资源局"}, {"review_c", "住房城乡建设局"}, {"permit", "住房城乡建设局"}};
  for (const auto& [step, dept] : reviews) {
    e.act({id, step, "submit", "applicant", tag});
    e.act({id, step, "accept", dept, tag});
    e.act({id, step, "approve", std::string(dept) + "/staff01", tag});
  }
}


// The jointreview::Error an asynchronous call handed to its `done`
// callback: its code and message; nullopt for success or another exception.
std::optional<std::pair<Error::Code, std::string>> error_of(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const Error& x) {
    return std::make_pair(x.code(), std::string(x.what()));
  } catch (...) {
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("an instance runs to completion and its audit trail is durable", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "示例项目");
    CHECK(id == "20260302-000001");
    auto s = e->status(id);
    CHECK(s.state == "running");
    // The project clock starts with the first acceptance: nothing to count yet.
    CHECK(s.deadline.empty());
    CHECK(s.clock_started.empty());
    for (const char* st : {"review_a", "review_b", "review_c"}) CHECK(state_of(s, st) == "ready");
    CHECK(state_of(s, "permit") == "blocked");
    clock->advance(std::chrono::hours(1));
    drive_to_completion(*e, id, "同意");
    CHECK(e->status(id).state == "completed");
  }
  // Reopened: everything is still there.
  auto e = Engine::open(options(d, clock));
  auto s = e->status(id);
  CHECK(s.state == "completed");
  CHECK(state_of(s, "permit") == "approved");
  auto ev = e->events(id);
  REQUIRE(!ev.empty());
  CHECK(ev.front().action == "start");
  std::size_t actions = 0;
  for (const auto& x : ev)
    if (x.kind == "action" && x.action != "start") {
      ++actions;
      CHECK(x.note == "同意");
    }
  CHECK(actions == 12);
  CHECK(ev.back().kind == "instance");
  CHECK(ev.back().to == "completed");
  auto j = nlohmann::json::parse(status_json(s));
  for (const char* k : {"instance", "workflow", "project", "state", "steps"}) CHECK(j.contains(k));
  for (const char* k : {"id", "state", "department", "deadline"}) CHECK(j["steps"][0].contains(k));
  CHECK(j["steps"][3]["department"] == "住房城乡建设局");
  e.reset();  // the engine holds the database exclusively while open
  CHECK(sql_scalar(d.db(), "PRAGMA journal_mode") == "wal");
  CHECK(sql_scalar(d.db(), "PRAGMA user_version") == "7");
}

TEST_CASE("refusals say why, change nothing, and are logged", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  std::string id = e->start(wf, "p");
  auto code_of = [&](const ActRequest& r) {
    try {
      e->act(r);
    } catch (const Error& err) {
      return std::make_pair(err.code(), std::string(err.what()));
    }
    return std::make_pair(Error::Code::invalid_argument, std::string("no error"));
  };
  auto [c1, m1] = code_of({id, "permit", "submit", "applicant"});
  CHECK(c1 == Error::Code::refused);
  CHECK(m1 == "submit refused: step 'permit' is blocked: it waits for 'review_a' (ready), 'review_b' (ready), "
              "'review_c' (ready)");
  e->act({id, "review_a", "submit", "applicant"});
  auto [c2, m2] = code_of({id, "review_a", "accept", "自然资源局"});
  CHECK(c2 == Error::Code::forbidden);
  auto [c3, m3] = code_of({id, "review_a", "accept", "公安局"});
  CHECK(c3 == Error::Code::forbidden);
  CHECK(m3.find("'公安局' is not a department of workflow 'joint'") != std::string::npos);
  auto [c4, m4] = code_of({id, "review_a", "approve", "applicant"});
  CHECK(c4 == Error::Code::forbidden);
  auto [c5, m5] = code_of({id, "nope", "submit", "applicant"});
  CHECK(c5 == Error::Code::not_found);
  auto [c6, m6] = code_of({"20990101-000009", "review_a", "submit", "applicant"});
  CHECK(c6 == Error::Code::not_found);
  auto [c7, m7] = code_of({id, "review_a", "approve!", "发展改革委"});
  CHECK(c7 == Error::Code::invalid_argument);
  auto [c8, m8] = code_of({id, "review_a", "resubmit", "applicant:someone-else"});
  CHECK(c8 == Error::Code::forbidden);
  CHECK(state_of(e->status(id), "review_a") == "submitted");
  std::size_t refused = 0;
  for (const auto& x : e->events(id))
    if (x.kind == "refused") {
      ++refused;
      CHECK_FALSE(x.detail.empty());
    }
  CHECK(refused == 5);  // unknown steps, instances and actions are not about this instance's rules
}

TEST_CASE("timers missed while the engine was closed fire when it opens", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "p");
    e->act({id, "review_a", "submit", "applicant"});
    e->act({id, "review_a", "accept", "发展改革委"});
    CHECK(e->status(id).steps[0].deadline == "2026-03-05");
  }
  clock->set(FakeClock::at("2026-03-09T10:00")->now());  // past the deadline, engine closed
  auto e = Engine::open(options(d, clock));
  auto s = e->status(id);
  CHECK(s.steps[0].warned);
  CHECK(s.steps[0].overdue);
  bool overdue_logged = false;
  for (const auto& x : e->events(id))
    if (x.kind == "overdue" && x.step == "review_a") {
      overdue_logged = true;
      CHECK(x.actor == "system");
      CHECK(x.time.substr(0, 10) == "2026-03-06");  // fired at the midnight after the deadline day
    }
  CHECK(overdue_logged);
}

TEST_CASE("a running instance keeps the workflow version it started with", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  std::string first = e->start(wf, "old");
  std::string text = kJoint;
  text += "  - id: archive\n    department: 发展改革委\n    days: 1\n    needs: [许可证]\n    produces: [档案]\n";
  d.file("joint.yaml", text);
  std::string second = e->start(wf, "new");
  CHECK(e->status(first).steps.size() == 4);
  CHECK(e->status(second).steps.size() == 5);
  CHECK(e->status(first).workflow_hash != e->status(second).workflow_hash);
  e.reset();
  fs::remove(wf);  // the stored definition is enough to reopen
  auto again = Engine::open(options(d, clock));
  CHECK(again->status(first).steps.size() == 4);
  CHECK(again->status(second).steps.size() == 5);
}

TEST_CASE("a workflow that does not load is refused with its messages", "[runtime]") {
  TempDir d;
  std::string wf = d.file("bad.yaml", "workflow: x\nsteps:\n  - id: a\n    dayz: 1\n");
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  try {
    e->start(wf, "p");
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::invalid_workflow);
    CHECK(std::string(err.what()).find("bad.yaml:4:5: error: unknown key 'dayz'") != std::string::npos);
  }
  CHECK(e->instances().empty());
}

TEST_CASE("several threads act at once; every action is kept", "[runtime][threads]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  constexpr int kThreads = 6, kPerThread = 8;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  std::vector<std::string> ids(kThreads * kPerThread);
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int k = 0; k < kPerThread; ++k) {
          std::string id = e->start(wf, "p" + std::to_string(t) + "-" + std::to_string(k));
          ids[t * kPerThread + k] = id;
          drive_to_completion(*e, id);
        }
      } catch (...) {
        ++failures;
      }
    });
  int seen = 0;
  int token = e->subscribe([&](const EventRecord& ev) {
    if (ev.kind == "instance" && ev.to == "completed") ++seen;
  });
  for (auto& th : threads) th.join();
  e->unsubscribe(token);
  CHECK(failures == 0);
  std::set<std::string> unique(ids.begin(), ids.end());
  CHECK(unique.size() == ids.size());
  for (const auto& id : ids) CHECK(e->status(id).state == "completed");
  CHECK(seen <= kThreads * kPerThread);
  e.reset();
  CHECK(sql_scalar(d.db(), "SELECT COUNT(*) FROM events WHERE kind='action'") ==
        std::to_string(kThreads * kPerThread * 13));
  CHECK(sql_scalar(d.db(), "PRAGMA integrity_check") == "ok");
}

TEST_CASE("SIGKILL at random moments loses no acknowledged action and leaves nothing half-written",
          "[runtime][crash]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  std::mt19937 rng(20261128);
  std::set<int> acknowledged;
  int next = 0;
  for (int round = 0; round < 5; ++round) {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const int first = next;
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      try {
        EngineOptions o;
        o.database = d.db();
        o.clock = FakeClock::at("2026-03-02T09:00");
        o.background_timers = false;
        auto e = Engine::open(o);
        int n = first;
        const std::pair<const char*, const char*> reviews[] = {{"review_a", "发展改革委"},
                                                               {"review_b", "自然资源局"},
                                                               {"review_c", "住房城乡建设局"},
                                                               {"permit", "住房城乡建设局"}};
        for (;;) {
          std::string id = e->start(wf, "crash");
          for (const auto& [step, dept] : reviews)
            for (const char* act : {"submit", "accept", "approve"}) {
              std::string who = std::string(act) == "submit" ? "applicant" : dept;
              e->act({id, step, act, who, "op-" + std::to_string(n)});
              // Acknowledged: the commit has returned.
              if (::write(fds[1], &n, sizeof n) != sizeof n) ::_exit(3);
              ++n;
            }
        }
      } catch (...) {
        ::_exit(2);
      }
    }
    ::close(fds[1]);
    const int kill_after = std::uniform_int_distribution<int>(3, 120)(rng);
    int got = 0, value = 0;
    while (got < kill_after && ::read(fds[0], &value, sizeof value) == sizeof value) {
      acknowledged.insert(value);
      ++got;
    }
    ::kill(pid, SIGKILL);
    while (::read(fds[0], &value, sizeof value) == sizeof value) acknowledged.insert(value);  // written before death
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    next = acknowledged.empty() ? next : *acknowledged.rbegin() + 1000;

    // Every acknowledged action is in the log, the database is sound, and
    // the engine reopens with each instance consistent with its log.
    auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
    std::set<int> logged;
    for (const auto& inst : e->instances()) {
      std::map<std::string, std::string> last_state;
      for (const auto& ev : e->events(inst.instance)) {
        if (ev.kind == "action" && ev.note.rfind("op-", 0) == 0) logged.insert(std::stoi(ev.note.substr(3)));
        if (!ev.to.empty() && !ev.step.empty()) last_state[ev.step] = ev.to;
      }
      for (const auto& st : inst.steps)
        if (st.state != "blocked") CHECK(last_state[st.id] == st.state);
    }
    for (int a : acknowledged) {
      INFO("acknowledged action op-" << a);
      CHECK(logged.count(a) == 1);
    }
    e.reset();
    CHECK(sql_scalar(d.db(), "PRAGMA integrity_check") == "ok");
  }
  CHECK(acknowledged.size() >= 15);
}

TEST_CASE("with strict counting a clock outside the calendar's years opens, and an action is a clear error", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  std::string id;
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-12-30T09:00")));
    id = e->start(wf, "p");
    e->act({id, "review_a", "submit", "applicant"});
  }
  EngineOptions strict = options(d, FakeClock::at("2027-01-04T09:00"));
  strict.calendar.strict = true;  // no provisional years
  auto e = Engine::open(strict);  // what is recorded stays readable
  CHECK(e->status(id).steps[0].state == "submitted");
  try {
    e->act({id, "review_a", "accept", "发展改革委"});
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::out_of_range);
    CHECK(std::string(err.what()).find("covers 2025-2026 only") != std::string::npos);
    // It names the clock's time, not the engine's internal count.
    CHECK_THAT(err.what(), Catch::StartsWith("the time 2027-01-04T09:00:00+08:00 is outside the covered years"));
    CHECK(std::string(err.what()).find("2024-12-31") == std::string::npos);
  }
  // The submission's 5-day acceptance timer (2027-01-07, provisional) waits: nothing was deemed accepted.
  CHECK(e->status(id).steps[0].state == "submitted");
}

TEST_CASE("strict counting with the weekend fallback counts a provisional year, marked, in the live runtime", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  EngineOptions o = options(d, FakeClock::at("2026-12-30T09:00"));
  o.calendar.strict = true;
  o.calendar.weekend_fallback = true;
  auto e = Engine::open(o);
  const std::string id = e->start(wf, "p");
  e->act({id, "review_a", "submit", "applicant"});
  e->act({id, "review_a", "accept", "发展改革委"});
  // 3 days from 2026-12-30: Dec 31, then 2027-01-04 and 05 (Jan 1 a
  // statutory holiday): the dates stored do not depend on the options.
  const auto s = e->status(id);
  CHECK(s.steps[0].deadline == "2027-01-05");
  CHECK(s.steps[0].deadline_provisional);
}

TEST_CASE("time cannot run backwards for an instance; unknown materials are refusals", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-09T09:00");
  auto e = Engine::open(options(d, clock));
  std::string id = e->start(wf, "p");
  e->act({id, "review_a", "submit", "applicant"});
  clock->set(FakeClock::at("2026-03-02T09:00")->now());
  try {
    e->act({id, "review_a", "accept", "发展改革委"});
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::invalid_argument);
    CHECK(std::string(err.what()).find("time cannot run backwards") != std::string::npos);
  }
  clock->set(FakeClock::at("2026-03-09T10:00")->now());
  try {
    e->act({id, "review_b", "supply", "applicant", "", "不存在的材料"});
    FAIL("expected an error");
  } catch (const Error& err) {
    CHECK(err.code() == Error::Code::refused);
  }
  CHECK(state_of(e->status(id), "review_a") == "submitted");
}

TEST_CASE("an action dated before the instance's latest event of any kind is refused: the trail stays in order", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "p");
    e->act({id, "review_a", "submit", "applicant"});
    e->act({id, "review_a", "accept", "发展改革委"});  // 3 days: due 2026-03-05, yellow at the end of 03-04
    clock->set(FakeClock::at("2026-03-06T10:00")->now());
    e->fire_due_timers();  // warning and overdue rows, dated 03-05 and 03-06 00:00; no state changed
    REQUIRE(e->status(id).steps[0].overdue);
    clock->set(FakeClock::at("2026-03-03T09:00")->now());
    try {
      e->act({id, "review_b", "submit", "applicant"});
      FAIL("expected an error");
    } catch (const Error& err) {
      CHECK(err.code() == Error::Code::invalid_argument);
      CHECK_THAT(err.what(), Catch::Contains("before the instance's latest event (2026-03-06T00:00:00+08:00)"));
      CHECK_THAT(err.what(), Catch::Contains("time cannot run backwards"));
    }
  }
  // The same after a reopen (the bound is part of the snapshot).
  auto e = Engine::open(options(d, clock));
  CHECK_THROWS_AS(e->act({id, "review_b", "submit", "applicant"}), Error);
  const auto ev = e->events(id);
  for (std::size_t k = 1; k < ev.size(); ++k) CHECK(ev[k - 1].time <= ev[k].time);
  // Each refusal is in the trail like any other, dated at the latest event,
  // its detail naming the clock's reading.
  int backwards = 0;
  for (const auto& r : ev)
    if (r.kind == "refused" && r.detail.find("time cannot run backwards") != std::string::npos) {
      ++backwards;
      CHECK(r.time == "2026-03-06T00:00:00+08:00");
      CHECK(r.action == "submit");
      CHECK(r.step == "review_b");
      CHECK_THAT(r.detail, Catch::Contains("the clock reads 2026-03-03T09:00:00+08:00"));
    }
  CHECK(backwards == 2);
  CHECK(verify_audit_trail(d.db()).ok);
  clock->set(FakeClock::at("2026-03-06T10:00")->now());
  CHECK_NOTHROW(e->act({id, "review_b", "submit", "applicant"}));
}

TEST_CASE("one engine writes a database at a time; another waits its turn, readers read meanwhile", "[runtime][lock]") {
  TempDir d;
  const std::string wf = d.file("joint.yaml", kJoint);
  auto first = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  const std::string id = first->start(wf, "p");
  first->act({id, "review_a", "submit", "applicant"});
  // A second writer in the same process is told who holds it, after its wait.
  {
    EngineOptions o = options(d, FakeClock::at("2026-03-02T09:00"));
    o.lock_timeout = std::chrono::milliseconds(200);
    try {
      Engine::open(o);
      FAIL("a second writer opened the database");
    } catch (const Error& x) {
      const std::string m = x.what();
      CHECK(m.find("is in use by another JointReview engine (pid " + std::to_string(::getpid()) + " on ") !=
            std::string::npos);
      CHECK(m.find("waited 0 s") != std::string::npos);
    }
  }
  // A reader (another process, the CLI) answers at once, and says so.
  const std::string out = (d.path / "reader.txt").string(), err = (d.path / "reader.err").string();
  std::string cmd = std::string("'") + JR_JREVIEW_BIN + "' status " + id + " --read-only --format json --db '" + d.db() +
                    "' --now 2026-03-02T10:00 >'" + out + "' 2>'" + err + "'";
  int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  {
    std::ifstream in(out);
    const auto j = nlohmann::json::parse(in);
    CHECK(j["steps"][0]["state"] == "submitted");  // what the running engine committed
    std::ifstream e(err);
    std::string text((std::istreambuf_iterator<char>(e)), std::istreambuf_iterator<char>());
    CHECK(text.find("read-only") != std::string::npos);
  }
  // A reader cannot act.
  {
    EngineOptions o = options(d, FakeClock::at("2026-03-02T09:00"));
    o.read_only = true;
    auto r = Engine::open(o);
    CHECK(r->status(id).steps[0].state == "submitted");
    CHECK_THROWS_WITH(r->act({id, "review_a", "accept", "发展改革委"}),
                      Catch::Contains("refused: the database is open read-only"));
  }
  // A writer that comes while the first is busy takes its turn when it closes.
  cmd = std::string("'") + JR_JREVIEW_BIN + "' act " + id + " review_a accept --as 发展改革委 --db '" + d.db() +
        "' --now 2026-03-02T10:00 >'" + out + "' 2>&1";
  auto second = std::async(std::launch::async, [&] { return std::system(cmd.c_str()); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  first.reset();
  status = second.get();
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  auto again = Engine::open(options(d, FakeClock::at("2026-03-02T11:00")));
  CHECK(again->status(id).steps[0].state == "accepted");
}

TEST_CASE("a deadline past the calendar's last year is shown, not an error", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto e = Engine::open(options(d, FakeClock::at("2026-12-28T09:00")));
  std::string id = e->start(wf, "p");
  e->act({id, "review_a", "submit", "applicant"});
  e->act({id, "review_a", "accept", "发展改革委"});
  auto s = e->status(id);
  // 10 working days from Monday 28 December: Dec 29-31, then 2027, counted
  // provisionally (Jan 1 is a statutory holiday): Jan 4-8, 11, 12.
  CHECK(s.deadline == "2027-01-12");
  CHECK(s.deadline_provisional);
  CHECK(s.steps[0].deadline == "2026-12-31");        // 3 working days: still inside 2026
  CHECK_FALSE(s.steps[0].deadline_provisional);
  auto j = nlohmann::json::parse(status_json(s));
  CHECK(j["deadline"] == "2027-01-12");
  CHECK(j["deadline_provisional"] == true);
  CHECK(j["steps"][0]["deadline_provisional"] == false);
  e.reset();
  // Strict (no provisional years): the date is not known, and says so.
  EngineOptions strict = options(d, FakeClock::at("2026-12-28T10:00"));
  strict.calendar.strict = true;
  e = Engine::open(strict);
  s = e->status(id);
  CHECK(s.deadline == "after 2026-12-31");
  CHECK_FALSE(s.deadline_provisional);
  CHECK(nlohmann::json::parse(status_json(s))["deadline"].is_null());  // a date or null, never prose
  e.reset();
  // And the strict engine changed nothing: without it the date is back.
  e = Engine::open(options(d, FakeClock::at("2026-12-28T11:00")));
  CHECK(e->status(id).deadline == "2027-01-12");
}

TEST_CASE("a live instance in December gets its 2027 deadlines, provisional, and the trail says so", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-12-30T09:00");
  auto e = Engine::open(options(d, clock));
  std::string id = e->start(wf, "跨年项目");
  e->act({id, "review_b", "submit", "applicant"});
  e->act({id, "review_b", "accept", "自然资源局"});  // 3 days: Dec 31, Jan 4, Jan 5 (Jan 1 off)
  auto s = e->status(id);
  CHECK(state_of(s, "review_b") == "accepted");
  CHECK(s.steps[1].deadline == "2027-01-05");
  CHECK(s.steps[1].deadline_provisional);
  // The clock moves into 2027: no error, the timers fire, and the audit
  // rows name the date as provisional.
  clock->set(FakeClock::at("2027-01-06T09:00")->now());
  s = e->status(id);
  CHECK(s.steps[1].overdue);
  bool marked = false;
  for (const auto& ev : e->events(id))
    if (ev.kind == "overdue") marked = ev.detail == "deadline passed: 2027-01-05 (provisional)";
  CHECK(marked);
  Worklist w = e->worklist("自然资源局");
  REQUIRE(w.items.size() == 1);
  CHECK(w.items[0].deadline == "2027-01-05");
  CHECK(w.items[0].deadline_provisional);
}

TEST_CASE("a subscriber may act on the engine from its callback", "[runtime]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  std::string id = e->start(wf, "p");
  int refused_inline = 0;
  // An automatic clerk: accepts every submission of review_a at once, and
  // tries (wrongly) to approve as the applicant.
  e->subscribe([&](const EventRecord& ev) {
    if (ev.step != "review_a" || ev.to != "submitted") return;
    e->act({ev.instance, "review_a", "accept", "发展改革委", "auto"});
    try {
      e->act({ev.instance, "review_a", "approve", "applicant"});
    } catch (const Error& err) {
      if (err.code() == Error::Code::forbidden) ++refused_inline;
    }
  });
  e->act({id, "review_a", "submit", "applicant"});
  e->fire_due_timers();  // a round trip: the callback's work has been committed
  CHECK(state_of(e->status(id), "review_a") == "accepted");
  CHECK(refused_inline == 1);
  bool auto_row = false, refusal_row = false;
  for (const auto& ev : e->events(id)) {
    auto_row |= ev.action == "accept" && ev.note == "auto";
    refusal_row |= ev.kind == "refused" && ev.action == "approve";
  }
  CHECK(auto_row);
  CHECK(refusal_row);
}

namespace {

const char* const kRich = jrtest::kRulesWorkflow;

// Drives two instances through timers (warnings, overdue, 容缺 deadlines,
// automatic acceptance, verification), returns, exclusions, a failed
// verification and the revocation when the rectification is not made in
// time. Refusals are fine: they are part of what is replayed.
void drive_rich(Engine& e, FakeClock& clock, const std::string& wf) {
  const auto day = std::chrono::hours(24);
  auto act = [&](const std::string& id, const char* step, const char* action, const char* who,
                 const char* material = "") {
    try {
      const bool noted = std::string(action) == "verify-failed";
      e.act({id, step, action, who, noted ? "现场核查与承诺不符" : "", material});
    } catch (const Error&) {
    }
  };
  const std::string i1 = e.start({wf, "replay-1"});
  const std::string i2 = e.start({wf, "replay-2", "applicant", true});
  act(i1, "s1", "submit", "applicant");
  act(i1, "s1", "accept", "A");
  act(i2, "s1", "submit", "applicant");
  clock.advance(4 * day);
  e.status(i1);  // warning timers fire
  clock.advance(4 * day);
  e.status(i2);  // overdue; i2's s1 accepted automatically (Art. 32)
  act(i1, "s1", "approve", "B");  // refused: not B's step
  act(i1, "s1", "approve", "A");
  act(i1, "promise", "commit", "applicant");
  act(i1, "promise", "approve", "C");
  act(i1, "joint", "submit", "applicant");
  act(i1, "joint", "accept", "B");
  clock.advance(5 * day);
  e.status(i1);  // the deferred material's deadline: suspended
  clock.advance(3 * day);
  e.status(i1);  // grace period over: returned
  act(i1, "joint", "supply", "applicant", "m2");
  act(i1, "joint", "resubmit", "applicant");  // accepted again: its clock resumes
  act(i1, "joint", "exclude", "B");
  act(i1, "joint", "return", "A");
  clock.advance(2 * day);
  act(i1, "joint", "approve", "C");
  act(i1, "joint", "approve", "B");
  act(i1, "joint", "resubmit", "applicant");
  clock.advance(6 * day);
  act(i1, "joint", "approve", "A");
  act(i2, "s1", "approve", "A");
  act(i2, "promise", "commit", "applicant");
  act(i2, "promise", "approve", "C");
  clock.advance(25 * day);
  e.status(i2);  // verification past due
  act(i2, "promise", "verify-failed", "C");  // an order to rectify
  act(i1, "final", "submit", "applicant");
  act(i1, "final", "accept", "A");
  clock.advance(5 * day);
  e.status(i1);  // timers fire after the instance's last action: only their log rows tell replay
  clock.advance(30 * day);
  e.status(i2);  // not rectified in time: the approval is revoked
}

std::size_t count_rows(const std::string& db, const char* where) {
  return std::stoul(sql_scalar(db, std::string("SELECT count(*) FROM events WHERE ") + where));
}

}  // namespace

TEST_CASE("after a crash the log since the last checkpoint is replayed to the same state", "[runtime][replay]") {
  TempDir d;
  const std::string wf = d.file("rich.yaml", kRich);
  const std::string live_file = (d.path / "live.json").string();
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The "crashing" engine: no checkpoint is written, and it never closes.
    int code = 0;
    try {
      auto clock = FakeClock::at("2026-03-02T09:00");
      EngineOptions o = options(d, clock);
      o.checkpoint_interval = std::chrono::hours(1);
      o.checkpoint_instances = 1000000;
      auto e = Engine::open(o);
      drive_rich(*e, *clock, wf);
      std::ofstream(live_file) << statuses_json(e->instances());
      const auto now = clock->now().time_since_epoch().count();
      if (::write(fds[1], &now, sizeof now) != static_cast<ssize_t>(sizeof now)) code = 3;
      ::_exit(code);  // the engine is never closed: as if killed
    } catch (...) {
      code = 2;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  Clock::time_point::rep end_ticks = 0;
  const ssize_t got = ::read(fds[0], &end_ticks, sizeof end_ticks);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(got == static_cast<ssize_t>(sizeof end_ticks));
  auto end_clock = [&] {
    auto c = FakeClock::at("2026-03-02T09:00");
    c->set(Clock::time_point(Clock::time_point::duration(end_ticks)));
    return c;
  };

  std::stringstream live;
  live << std::ifstream(live_file).rdbuf();
  // The scenario went through timers that changed things and through refusals.
  CHECK(count_rows(d.db(), "kind IN ('warning','overdue')") >= 2);
  CHECK(count_rows(d.db(), "kind='notice'") >= 1);
  CHECK(count_rows(d.db(), "to_state='revoked'") >= 1);
  CHECK(count_rows(d.db(), "kind='refused'") >= 1);
  CHECK(sql_scalar(d.db(), "SELECT value FROM meta WHERE key='checkpoint_seq'") == "0");
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM instances") == "0");  // nothing but the log survived
  const std::size_t rows = count_rows(d.db(), "1");

  for (int pass = 0; pass < 2; ++pass) {
    INFO((pass == 0 ? "replayed from the log" : "reopened from the checkpoint"));
    auto e = Engine::open(options(d, end_clock()));
    CHECK(statuses_json(e->instances()) == live.str());
    if (pass == 0)
      CHECK(e->stats().replayed_inputs >= 20);
    else
      CHECK(e->stats().replayed_inputs == 0);
    // One of the two ended revoked with nothing pending: settled, it is
    // read from its row for instances() and not held.
    CHECK(e->stats().instances == 1);
    CHECK(e->stats().unloaded == (pass == 0 ? 1u : 0u));  // let go after the replay's checkpoint
    e.reset();
    CHECK(count_rows(d.db(), "1") == rows);  // logged timers were not fired a second time
    CHECK(sql_scalar(d.db(), "SELECT value FROM meta WHERE key='checkpoint_seq'") ==
          sql_scalar(d.db(), "SELECT max(seq) FROM events WHERE input IS NOT NULL"));
    CHECK(sql_scalar(d.db(), "SELECT count(*) FROM instances") == "2");
  }
  // The steps table now holds what status shows.
  const auto all = Engine::open(options(d, end_clock()))->instances();
  for (const auto& inst : all) {
    for (const auto& st : inst.steps) {
      INFO(inst.instance << " " << st.id);
      CHECK(sql_scalar(d.db(), "SELECT state FROM steps WHERE instance='" + inst.instance + "' AND step='" + st.id +
                                   "'") == st.state);
    }
  }
}

TEST_CASE("asynchronous calls: many in flight from one thread, refusals through the callback", "[runtime][async]") {
  TempDir d;
  const std::string wf = d.file("joint.yaml", kJoint);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  const std::vector<std::pair<std::string, std::string>> calls = {
      {"review_a", "submit:applicant"}, {"review_a", "accept:发展改革委"}, {"review_a", "approve:发展改革委"},
      {"review_b", "submit:applicant"}, {"review_b", "accept:自然资源局"}, {"review_b", "approve:自然资源局"},
      {"review_c", "submit:applicant"}, {"review_c", "accept:住房城乡建设局"}, {"review_c", "approve:住房城乡建设局"},
      {"permit", "submit:applicant"},   {"permit", "accept:住房城乡建设局"},   {"permit", "approve:住房城乡建设局"}};
  constexpr int kInstances = 40;
  std::mutex m;
  std::condition_variable cv;
  int finished = 0, errors = 0;
  std::vector<std::string> ids(kInstances);
  std::function<void(int, std::size_t)> next = [&](int k, std::size_t c) {
    if (c == calls.size()) {
      std::lock_guard<std::mutex> l(m);
      ++finished;
      cv.notify_all();
      return;
    }
    const std::string& what = calls[c].second;
    const std::string action = what.substr(0, what.find(':')), who = what.substr(what.find(':') + 1);
    e->act_async({ids[k], calls[c].first, action, who, "n" + std::to_string(k) + "-" + std::to_string(c)},
                 [&, k, c](std::exception_ptr err) {
                   if (err) {
                     std::lock_guard<std::mutex> l(m);
                     ++errors;
                   }
                   next(k, c + 1);
                 });
  };
  for (int k = 0; k < kInstances; ++k)
    e->start_async({wf, "async-" + std::to_string(k)}, [&, k](const std::string& id, std::exception_ptr err) {
      if (err) {
        std::lock_guard<std::mutex> l(m);
        ++errors;
        ++finished;
        cv.notify_all();
        return;
      }
      ids[k] = id;
      next(k, 0);
    });
  {
    std::unique_lock<std::mutex> l(m);
    REQUIRE(cv.wait_for(l, std::chrono::seconds(60), [&] { return finished == kInstances; }));
  }
  CHECK(errors == 0);
  for (const auto& id : ids) CHECK(e->status(id).state == "completed");
  const EngineStats st = e->stats();
  CHECK(st.events >= static_cast<std::uint64_t>(kInstances * 13));
  CHECK(st.calls >= static_cast<std::uint64_t>(kInstances * 13));
  CHECK(st.transactions >= 1);
  CHECK(st.transactions <= st.calls);
  CHECK(st.failed_transactions == 0);

  // A refusal and a bad workflow come back through `done`, as the error the blocking call throws.
  std::promise<std::exception_ptr> refused, bad_file;
  e->act_async({ids[0], "permit", "approve", "发展改革委"}, [&](std::exception_ptr err) { refused.set_value(err); });
  e->start_async({d.file("bad.yaml", "workflow: [\n")},
                 [&](const std::string&, std::exception_ptr err) { bad_file.set_value(err); });
  const auto refusal = error_of(refused.get_future().get()), bad = error_of(bad_file.get_future().get());
  REQUIRE(refusal);
  REQUIRE(bad);
  CHECK(refusal->first == Error::Code::refused);  // the instance is closed
  CHECK(bad->first == Error::Code::invalid_workflow);
  e.reset();
  CHECK(sql_scalar(d.db(), "SELECT COUNT(*) FROM events WHERE kind='action'") == std::to_string(kInstances * 13));
  CHECK(sql_scalar(d.db(), "SELECT COUNT(*) FROM events WHERE kind='refused'") == "1");
}

TEST_CASE("a commit that fails puts every instance of its batch back, and the log still replays", "[runtime][replay]") {
  TempDir d;
  const std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string a, b;
  {
    auto e = Engine::open(options(d, clock));
    a = e->start(wf, "a");
    b = e->start(wf, "b");
    e->act({a, "review_a", "submit", "applicant"});
    e->act({b, "review_a", "submit", "applicant"});
  }
  {
    // A trigger that makes any transaction with a row noted "boom" fail.
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(d.db().c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h,
                         "CREATE TRIGGER boom BEFORE INSERT ON events WHEN NEW.note = 'boom' "
                         "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  EngineOptions o = options(d, clock);
  o.checkpoint_interval = std::chrono::hours(1);
  auto e = Engine::open(o);
  // Two calls in flight together share the failing transaction. They are
  // queued from the engine's own thread (the answer of a call that fails at
  // once), so that both are in its queue before it forms the batch: from
  // this thread, the first could be committed alone before the second came.
  std::promise<std::exception_ptr> first, second;
  e->act_async({"no-such-instance", "review_a", "accept", "发展改革委"}, [&](std::exception_ptr) {
    e->act_async({a, "review_a", "accept", "发展改革委", "boom"}, [&](std::exception_ptr x) { first.set_value(x); });
    e->act_async({b, "review_a", "accept", "发展改革委"}, [&](std::exception_ptr x) { second.set_value(x); });
  });
  std::exception_ptr x1 = first.get_future().get(), x2 = second.get_future().get();
  CHECK(x1 != nullptr);
  CHECK(x2 != nullptr);  // its row was in the same transaction
  for (std::exception_ptr x : {x1, x2}) {
    const auto err = error_of(x);
    REQUIRE(err);
    CHECK(err->first == Error::Code::storage);
    CHECK(err->second.find("disk on fire") != std::string::npos);
  }
  CHECK(e->stats().failed_transactions >= 1);
  CHECK_THROWS_AS(e->act({a, "review_a", "accept", "发展改革委", "boom"}), Error);
  CHECK(state_of(e->status(a), "review_a") == "submitted");
  CHECK(state_of(e->status(b), "review_a") == "submitted");
  // Everything goes on from where the log stands.
  e->act({a, "review_a", "accept", "发展改革委"});
  e->act({b, "review_a", "accept", "发展改革委"});
  const std::string before = statuses_json(e->instances());
  CHECK(state_of(e->status(a), "review_a") == "accepted");
  e.reset();
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM events WHERE note='boom'") == "0");
  e = Engine::open(options(d, clock));
  CHECK(statuses_json(e->instances()) == before);
}

TEST_CASE("a version-1 database is migrated: its tables were current, nothing is replayed", "[runtime][replay]") {
  TempDir d;
  const std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id, before;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "old");
    e->act({id, "review_a", "submit", "applicant"});
    e->act({id, "review_a", "accept", "发展改革委"});
    before = statuses_json(e->instances());
  }
  // Back to the version-1 schema: no input column, no meta table.
  jr_test::sql_exec(d.db(),
                    "DROP TABLE calendars; DROP TABLE meta; ALTER TABLE events DROP COLUMN input; "
                    "ALTER TABLE events DROP COLUMN hash; DROP TABLE requests; DROP TABLE deployments; "
                    "DROP TABLE instance_flags; DROP TABLE open_work; DROP INDEX instances_by_key; "
                    "DROP INDEX instances_by_started; DROP INDEX instances_by_state; DROP INDEX instances_by_workflow; "
                    "DROP INDEX instances_by_deadline; ALTER TABLE instances DROP COLUMN workflow_id; "
                    "ALTER TABLE instances DROP COLUMN key; ALTER TABLE instances DROP COLUMN version; "
                    "ALTER TABLE instances DROP COLUMN claims; ALTER TABLE instances DROP COLUMN deadline; "
                    "ALTER TABLE instances DROP COLUMN approved; ALTER TABLE instances DROP COLUMN total; "
                    "ALTER TABLE instances DROP COLUMN flags; DROP INDEX instances_resident; "
                    "DROP INDEX instances_by_finished; ALTER TABLE instances DROP COLUMN resident; DROP TABLE tokens; DROP TABLE webhooks; "
                    "PRAGMA user_version=1;");
  CHECK(sql_scalar(d.db(), "PRAGMA user_version") == "1");
  auto e = Engine::open(options(d, clock));
  // The same, but for the version: a version-1 log kept no inputs to count,
  // so the instance's version counts from the upgrade on.
  auto j = nlohmann::json::parse(statuses_json(e->instances()));
  auto b = nlohmann::json::parse(before);
  CHECK(j[0]["version"] == 0);
  j[0].erase("version");
  b[0].erase("version");
  CHECK(j == b);
  e->act({id, "review_a", "approve", "发展改革委"});
  CHECK(state_of(e->status(id), "review_a") == "approved");
  e.reset();
  CHECK(sql_scalar(d.db(), "PRAGMA user_version") == "7");
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM events WHERE input IS NOT NULL") == "1");  // the approve
  CHECK(jointreview::storage::verify_chain_file(d.db()).ok);  // the old rows got their hashes
  CHECK(sql_scalar(d.db(), "SELECT id || ' ' || version FROM calendars") == "cn 2026.1");  // stored on the way
  e = Engine::open(options(d, clock));
  CHECK(state_of(e->status(id), "review_a") == "approved");
}

TEST_CASE("the library's worklist: typed tasks, green channel first, then by deadline", "[runtime][queries]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string plain = e->start(wf, "普通项目");
  StartRequest g;
  g.workflow_file = wf;
  g.project = "重点项目";
  g.green = true;
  const std::string green = e->start(g);
  e->act({plain, "review_b", "submit", "applicant"});
  e->act({plain, "review_b", "accept", "自然资源局"});  // deadline 2026-03-05
  clock->advance(std::chrono::hours(24));
  e->act({green, "review_b", "submit", "applicant"});   // to accept
  e->act({plain, "review_a", "submit", "applicant"});   // another department's

  Worklist w = e->worklist("自然资源局");
  CHECK(w.department == "自然资源局");
  CHECK(w.known);
  REQUIRE(w.items.size() == 2);
  CHECK(w.items[0].instance == green);  // green first, though it has no deadline
  CHECK(w.items[0].task == WorkTask::accept);
  CHECK(w.items[0].state == StepState::submitted);
  CHECK(w.items[0].green);
  CHECK(w.items[1].instance == plain);
  CHECK(w.items[1].task == WorkTask::review);
  CHECK(w.items[1].state == StepState::accepted);
  CHECK(w.items[1].deadline == "2026-03-05");
  CHECK(w.items[1].since.substr(0, 16) == "2026-03-02T09:00");
  CHECK(std::string(to_string(WorkTask::review_suspended)) == "review-suspended");

  Worklist none = e->worklist("公安局");
  CHECK_FALSE(none.known);
  CHECK(none.items.empty());
  auto j = nlohmann::json::parse(worklist_json(w));
  REQUIRE(j.size() == 2);
  CHECK(j[0]["task"] == "accept, or return with one notice (一次性告知)");
  CHECK(j[1]["state"] == "accepted");
}

TEST_CASE("the library's weekly report counts the week's approvals and returns per department", "[runtime][queries]") {
  TempDir d;
  std::string wf = d.file("joint.yaml", kJoint);
  auto clock = FakeClock::at("2026-03-09T09:00");  // Monday of 2026-W11
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start(wf, "示例项目");
  e->act({id, "review_a", "submit", "applicant"});
  e->act({id, "review_a", "accept", "发展改革委"});
  e->act({id, "review_a", "approve", "发展改革委"});
  e->act({id, "review_b", "submit", "applicant"});
  e->act({id, "review_b", "accept", "自然资源局"});
  e->act({id, "review_b", "return", "自然资源局", "缺图"});
  e->act({id, "review_c", "submit", "applicant"});

  WeeklyReport r = e->weekly_report("");  // the week of today
  CHECK(r.week == "2026-W11");
  CHECK(r.from == "2026-03-09");
  CHECK(r.to == "2026-03-15");
  CHECK(r.friday == "2026-03-13");
  REQUIRE(r.projects.size() == 1);
  const ReportProject& p = r.projects[0];
  CHECK(p.state == InstanceState::running);
  CHECK(p.approved == 1);
  CHECK(p.total == 4);
  CHECK(p.approved_this_week == 1);
  // No step's clock runs (one approved, one returned, one waiting to be
  // accepted): the project clock stands, and its date is not fixed.
  CHECK(p.promised_by.empty());
  REQUIRE(p.in_progress.size() == 2);
  CHECK(p.in_progress[0].step == "review_b");
  CHECK(p.in_progress[0].state == StepState::returned);
  CHECK(p.in_progress[1].state == StepState::submitted);
  REQUIRE(r.departments.size() == 3);
  std::map<std::string, DepartmentLoad> by;
  for (const auto& l : r.departments) by[l.department] = l;
  CHECK(by["发展改革委"].approved_this_week == 1);
  CHECK(by["自然资源局"].returned_this_week == 1);
  CHECK(by["自然资源局"].open == 0);
  CHECK(by["住房城乡建设局"].open == 1);  // review_c waits to be accepted

  // Another week: nothing approved in it.
  WeeklyReport before = e->weekly_report("2026-W10");
  CHECK(before.projects[0].approved_this_week == 0);
  CHECK(e->weekly_report("2026-W53").from == "2026-12-28");  // 2026 has 53 ISO weeks
  CHECK_THROWS_WITH(e->weekly_report("2026-W54"), Catch::Contains("'2026-W54' is not an ISO week"));
  CHECK_THROWS_WITH(e->weekly_report("2025-W53"), Catch::Contains("year 2025 has no week 53"));
  auto j = nlohmann::json::parse(weekly_report_json(r));
  CHECK(j["projects"][0]["in_progress"][0]["state"] == "returned");
}

// The applicant's permitted delay is not the department's (容缺受理):
// issue 13's first defect, as a regression test.
TEST_CASE("a decision held for a deferred material stops the step's clock; supplied in time, the step is on time", "[runtime][law]") {
  TempDir d;
  const std::string wf = d.file("defer.yaml", R"(workflow: defer
title: 容缺
departments:
  住房城乡建设局: {}
steps:
  - id: permit
    department: 住房城乡建设局
    days: 1
    needs: [申请表, 监理合同]
    deferred:
      - {material: 监理合同, within: 10, grace: 5}
)");
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start(wf, "p");
  e->act({id, "permit", "submit", "applicant"});
  e->act({id, "permit", "accept", "住房城乡建设局"});  // 1 day: due at the end of 03-03
  clock->set(FakeClock::at("2026-03-02T14:00")->now());
  e->act({id, "permit", "approve", "住房城乡建设局"});  // after 5 hours: the decision is held
  auto s = e->status(id);
  CHECK(s.steps[0].state == "accepted");
  CHECK(s.steps[0].deadline.empty());  // no clock runs while the applicant has the material to bring
  ActRequest exclude{id, "permit", "exclude", "住房城乡建设局"};
  exclude.days = 5;
  CHECK_THROWS_AS(e->act(exclude), Error);  // nothing of the department's to stop
  // Day 3, inside the material's 10 days, past the step's own 1 day.
  clock->set(FakeClock::at("2026-03-04T10:00")->now());
  e->fire_due_timers();
  s = e->status(id);
  CHECK_FALSE(s.steps[0].overdue);
  CHECK_FALSE(s.steps[0].warned);
  e->act({id, "permit", "supply", "applicant", "", "监理合同"});
  s = e->status(id);
  CHECK(s.steps[0].state == "approved");
  CHECK_FALSE(s.steps[0].overdue);
  CHECK(s.state == "completed");
  for (const auto& ev : e->events(id)) CHECK((ev.kind != "overdue" && ev.kind != "warning"));
}

TEST_CASE("a step is never yellow at the moment it is accepted (a 0-day step, 即办)", "[runtime][law]") {
  TempDir d;
  const std::string wf = d.file("now.yaml", R"(workflow: now
title: 即办
warn_before: 1
departments:
  市场监管局: {}
steps:
  - id: licence
    department: 市场监管局
    days: 0
  - id: later
    department: 市场监管局
    days: 1
    after: [licence]
)");
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start(wf, "p");
  e->act({id, "licence", "submit", "applicant"});
  e->act({id, "licence", "accept", "市场监管局"});
  auto s = e->status(id);
  CHECK(s.steps[0].deadline == "2026-03-02");  // the same working day
  CHECK_FALSE(s.steps[0].warned);
  clock->set(FakeClock::at("2026-03-02T23:59")->now());
  e->fire_due_timers();
  CHECK_FALSE(e->status(id).steps[0].warned);
  CHECK_FALSE(e->status(id).steps[0].overdue);
  clock->set(FakeClock::at("2026-03-03T00:00")->now());
  e->fire_due_timers();
  CHECK(e->status(id).steps[0].overdue);  // red when the day has passed, never yellow first
  CHECK_FALSE(e->status(id).steps[0].warned);
  // A 1-day step accepted on Tuesday still warns at the end of Tuesday, one day ahead.
  e->act({id, "licence", "approve", "市场监管局"});
  e->act({id, "later", "submit", "applicant"});
  e->act({id, "later", "accept", "市场监管局"});
  clock->set(FakeClock::at("2026-03-04T00:00")->now());
  e->fire_due_timers();
  CHECK(e->status(id).steps[1].warned);
  CHECK_FALSE(e->status(id).steps[1].overdue);
}

// Art. 45 and Art. 42 of 行政许可法 (issue 13, item 3): a department stops its
// clock only on a ground of the Act (or a period the workflow declares) and
// tells the applicant; it extends once, within bounds, saying why; and
// overrunning the law is told apart from overrunning the promise.
TEST_CASE("exclusions need a ground and a note, extensions are bounded, the law's limit is flagged apart", "[runtime][law]") {
  TempDir d;
  const std::string wf = d.file("law.yaml", R"(workflow: law
title: 期限
departments:
  自然资源局: {}
steps:
  - id: hear
    department: 自然资源局
    days: 10
    statutory_days: 20
)");
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start(wf, "p");
  clock->set(FakeClock::at("2026-03-02T09:10")->now());
  e->act({id, "hear", "submit", "applicant"});
  e->act({id, "hear", "accept", "自然资源局"});
  CHECK(e->status(id).steps[0].deadline == "2026-03-16");
  auto refused = [&](ActRequest r, Error::Code code, const std::string& why) {
    try {
      e->act(r);
      FAIL("expected a refusal");
    } catch (const Error& err) {
      CHECK(err.code() == code);
      CHECK_THAT(err.what(), Catch::Contains(why));
    }
  };
  // Art. 42: one extension, at most 10 working days for one department, with its reason.
  clock->set(FakeClock::at("2026-03-02T10:00")->now());
  ActRequest ext{id, "hear", "extend", "自然资源局"};
  ext.days = 11;
  ext.note = "情况复杂，经负责人批准";
  refused(ext, Error::Code::refused, "1 to 10 working days");
  ext.days = 10;
  ext.note.clear();
  refused(ext, Error::Code::refused, "an extension must give its reason");
  ext.note = "情况复杂，经负责人批准";
  e->act(ext);
  auto s = e->status(id);
  CHECK(s.steps[0].deadline == "2026-03-30");  // ten more: 03-17 to 03-30
  CHECK(s.steps[0].extended_days == 10);
  refused(ext, Error::Code::refused, "Art. 42 allows one extension");
  // Art. 45: no ground, no excluded period; a ground needs its note.
  clock->set(FakeClock::at("2026-03-03T10:00")->now());
  ActRequest ex{id, "hear", "exclude", "自然资源局"};
  ex.days = 20;
  refused(ex, Error::Code::refused, "needs its ground under Art. 45");
  ex.ground = "lottery";
  CHECK_THROWS_AS(e->act(ex), Error);
  ex.ground = "auction";
  refused(ex, Error::Code::refused, "must say why, in writing to the applicant");
  ex.note = "土地挂牌出让";
  e->act(ex);
  s = e->status(id);
  CHECK(s.steps[0].paused);
  CHECK(s.steps[0].paused_until == "2026-03-31");  // 20 working days after 03-03
  CHECK(s.steps[0].ground == "auction");
  CHECK(s.steps[0].exclusion_reason == "拍卖 (auction)");
  CHECK(s.steps[0].deadline.empty());
  auto j = nlohmann::json::parse(status_json(s));
  CHECK(j["steps"][0]["ground"] == "auction");
  CHECK(j["steps"][0]["paused_until"] == "2026-03-31");
  CHECK(j["steps"][0]["extended_days"] == 10.0);
  CHECK(j["steps"][0]["statutory_days"] == 20.0);
  {
    // The weekly report shows the stopped clock, with its ground.
    const WeeklyReport rep = e->weekly_report("2026-W11");
    REQUIRE(rep.stopped.size() == 1);
    CHECK(rep.stopped[0].step == "hear");
    CHECK(rep.stopped[0].ground == "auction");
    CHECK(rep.stopped[0].paused_until == "2026-03-31");
    CHECK(nlohmann::json::parse(weekly_report_json(rep))["stopped"][0]["exclusion_reason"] == "拍卖 (auction)");
  }
  bool told = false;
  for (const auto& ev : e->events(id))
    if (ev.kind == "notice" && ev.detail.find("拍卖 (auction) (20 working days, until 2026-03-31)") != std::string::npos)
      told = true;
  CHECK(told);
  // Resumed at 03-31 10:00 with 20 - 1.04 days left: ends 19 working days
  // on (04-28; 清明 04-04 to 04-06 off). The law's 20 + 10: 29 on (05-14;
  // 劳动节 05-01 to 05-05 off, 05-09 worked).
  clock->set(FakeClock::at("2026-03-31T12:00")->now());
  s = e->status(id);
  CHECK_FALSE(s.steps[0].paused);
  CHECK(s.steps[0].deadline == "2026-04-28");
  clock->set(FakeClock::at("2026-05-14T23:00")->now());
  s = e->status(id);
  CHECK(s.steps[0].overdue);
  CHECK_FALSE(s.steps[0].statutory_overdue);  // late on the promise, not yet against the law
  clock->set(FakeClock::at("2026-05-15T09:00")->now());
  s = e->status(id);
  CHECK(s.steps[0].statutory_overdue);
  CHECK(nlohmann::json::parse(status_json(s))["steps"][0]["statutory_overdue"] == true);
  const auto ev = e->events(id);
  REQUIRE_FALSE(ev.empty());
  CHECK(ev.back().kind == "statutory-overdue");
  CHECK(ev.back().detail == "the limit the law sets passed (违法超期): 2026-05-14");
  // And in the department's queue and the week's red items, told apart.
  const Worklist w = e->worklist("自然资源局");
  REQUIRE(w.items.size() == 1);
  CHECK(w.items[0].statutory_overdue);
  const WeeklyReport rep = e->weekly_report("2026-W20");
  REQUIRE(rep.overdue.size() == 1);
  CHECK(rep.overdue[0].statutory_overdue);
  CHECK(rep.stopped.empty());
}

// Art. 32 (issue 13, item 4): one notice per round, from the lead
// department, with every department's items; a second notice is flagged.
TEST_CASE("the consolidated notice carries every department's items, sent by the lead; a second is 二次补正", "[runtime][law]") {
  TempDir d;
  const std::string wf = d.file("joint2.yaml", R"(workflow: joint2
title: 联合审查
departments:
  住房城乡建设局: {}
  人民防空办公室: {}
steps:
  - id: scheme
    departments: [住房城乡建设局, 人民防空办公室]
    days: 10
)");
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "p");
    e->act({id, "scheme", "submit", "applicant"});
    e->act({id, "scheme", "accept", "住房城乡建设局"});
    clock->set(FakeClock::at("2026-03-03T10:00")->now());
    e->act({id, "scheme", "return", "人民防空办公室", "人防面积计算书缺失"});
  }
  // Reopened mid-round: the first department's items are kept.
  auto e = Engine::open(options(d, clock));
  clock->set(FakeClock::at("2026-03-03T11:00")->now());
  e->act({id, "scheme", "return", "住房城乡建设局/staff07", "总平面图比例不符"});
  auto notice_rows = [&] {
    std::vector<EventRecord> out;
    for (const auto& ev : e->events(id))
      if (ev.kind == "notice") out.push_back(ev);
    return out;
  };
  auto rows = notice_rows();
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].actor == "住房城乡建设局");  // the lead sends it, whoever closed the round
  CHECK(rows[0].detail ==
        "one consolidated correction notice (Art. 32) from: 住房城乡建设局, 人民防空办公室 — 住房城乡建设局: "
        "总平面图比例不符; 人民防空办公室: 人防面积计算书缺失");
  auto s = e->status(id);
  CHECK(s.steps[0].notices == 1);
  CHECK_FALSE(s.steps[0].repeat_notice);
  // Corrected; the civil-air-defence office asks again: a second notice.
  clock->set(FakeClock::at("2026-03-05T10:00")->now());
  e->act({id, "scheme", "resubmit", "applicant"});
  clock->set(FakeClock::at("2026-03-06T09:00")->now());
  e->act({id, "scheme", "approve", "住房城乡建设局"});
  clock->set(FakeClock::at("2026-03-06T10:00")->now());
  e->act({id, "scheme", "return", "人民防空办公室", "计算书仍有误"});
  rows = notice_rows();
  REQUIRE(rows.size() == 2);
  CHECK(rows[1].detail == "one consolidated correction notice (Art. 32) from: 人民防空办公室 — 人民防空办公室: 计算书仍有误 — "
                          "repeat notice (二次补正): notice 2 on this step");
  s = e->status(id);
  CHECK(s.steps[0].notices == 2);
  CHECK(s.steps[0].repeat_notice);
  CHECK(nlohmann::json::parse(status_json(s))["steps"][0]["repeat_notice"] == true);
  const WeeklyReport rep = e->weekly_report("2026-W10");
  for (const auto& dl : rep.departments) {
    INFO(dl.department);
    CHECK(dl.repeat_notices_this_week == (dl.department == "人民防空办公室" ? 1 : 0));
  }
}

// The project clock (issue 13, item 1): from the first acceptance, running
// while at least one step's clock runs. The closed-form case of the issue:
// branch a (a 30-day excluded period, then half a day of review) and branch
// b (20 days), both before c: the project counts b's 20 days, a's half day
// and c's half day, 21, not the 31 that pass.
TEST_CASE("the project clock counts while a step's clock runs: parallel branches and an excluded period", "[runtime][law]") {
  TempDir d;
  const std::string wf = d.file("abc.yaml", R"(workflow: abc
title: 项目时钟
time_limit: 21
departments:
  发展改革委: {}
  自然资源局: {}
steps:
  - id: a
    department: 发展改革委
    days: 1
    excluded:
      - {reason: 挂牌出让公告期, days: 30}
  - id: b
    department: 自然资源局
    days: 20
  - id: c
    department: 自然资源局
    days: 1
    after: [a, b]
)");
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start(wf, "p");
  for (const char* s : {"a", "b"}) e->act({id, s, "submit", "applicant"});
  CHECK(e->status(id).deadline.empty());  // nothing accepted yet
  e->act({id, "a", "accept", "发展改革委"});
  e->act({id, "a", "exclude", "发展改革委", "挂牌"});  // the declared 30 days: until 04-14 09:00
  e->act({id, "b", "accept", "自然资源局"});
  auto s = e->status(id);
  CHECK(s.clock_started == "2026-03-02");
  CHECK(s.deadline == "2026-03-31");  // 21 working days on the project clock
  clock->set(FakeClock::at("2026-03-30T09:00")->now());  // 20 working days later
  e->act({id, "b", "approve", "自然资源局"});
  s = e->status(id);
  CHECK(s.counted_days == Approx(20.0));
  CHECK(s.deadline.empty());  // a is in its excluded period, b is done: the clock stands
  CHECK_FALSE(s.overdue);
  clock->set(FakeClock::at("2026-04-10T09:00")->now());  // past 03-31: not red, the clock stood
  e->fire_due_timers();
  CHECK_FALSE(e->status(id).overdue);
  clock->set(FakeClock::at("2026-04-14T21:00")->now());  // a's period ended at 09:00: the clock runs again
  s = e->status(id);
  CHECK(s.counted_days == Approx(20.0));  // the day it runs again is not counted (counting convention)
  e->act({id, "a", "approve", "发展改革委"});
  e->act({id, "c", "submit", "applicant"});
  e->act({id, "c", "accept", "自然资源局"});
  clock->set(FakeClock::at("2026-04-15T09:00")->now());
  e->act({id, "c", "approve", "自然资源局"});
  s = e->status(id);
  CHECK(s.state == "completed");
  CHECK(s.counted_days == Approx(21.0));
  CHECK(s.elapsed_days == Approx(31.0));
  CHECK_FALSE(s.overdue);  // 21 counted days: within the 21 promised
  const auto j = nlohmann::json::parse(status_json(s));
  CHECK(j["clock_started"] == "2026-03-02");
  CHECK(j["counted_days"] == Approx(21.0));
}

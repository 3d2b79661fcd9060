// The engine as a platform's core (issue 15): business keys, request ids,
// versions, claims, and the machine-readable reasons of errors, as a
// service platform with several clerks and retrying HTTP clients uses them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "runtime/helpers.h"

using namespace jointreview;
using jr_test::options;
using jr_test::sql_exec;
using jr_test::sql_scalar;
using jr_test::TempDir;

namespace {

const char* kWindow = R"(workflow: window
title: 窗口联审
departments:
  住建局: {}
  自然资源局: {}
steps:
  - id: permit
    department: 住建局
    days: 5
    needs: [申请表]
    produces: [许可]
  - id: land
    departments: [自然资源局, 住建局]
    lead: 自然资源局
    days: 5
    needs: [申请表]
    produces: [用地意见]
)";

std::string state_of(const InstanceStatus& s, const std::string& step) {
  for (const auto& st : s.steps)
    if (st.id == step) return st.state;
  return "?";
}

const StepStatus& step_of(const InstanceStatus& s, const std::string& step) {
  for (const auto& st : s.steps)
    if (st.id == step) return st;
  FAIL("no step " << step);
  throw 0;
}

long long count(const TempDir& d, const std::string& where) {
  return std::stoll(sql_scalar(d.db(), "SELECT count(*) FROM events WHERE " + where));
}

// The error a call throws (code and reason), or none.
struct Caught {
  bool thrown = false;
  Error::Code code = Error::Code::invalid_argument;
  std::string reason, message;
};
template <class F>
Caught caught(F&& f) {
  Caught c;
  try {
    f();
  } catch (const Error& e) {
    c.thrown = true;
    c.code = e.code();
    c.reason = e.reason();
    c.message = e.what();
  }
  return c;
}

ActRequest req(const std::string& id, const std::string& step, const std::string& action, const std::string& actor) {
  ActRequest r;
  r.instance = id;
  r.step = step;
  r.action = action;
  r.actor = actor;
  return r;
}

}  // namespace

TEST_CASE("platform: a business key starts one instance; starting again answers it and writes nothing",
          "[runtime][platform]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  StartRequest s;
  s.workflow_file = wf;
  s.project = "城东项目";
  s.key = "CASE-2026-0001";
  std::string id;
  {
    auto e = Engine::open(options(d, clock));
    const StartResult first = e->start_instance(s);
    CHECK_FALSE(first.existed);
    CHECK(first.version == 1);
    id = first.instance;
    const long long rows = count(d, "1");
    const StartResult again = e->start_instance(s);
    CHECK(again.existed);
    CHECK(again.instance == id);
    CHECK(count(d, "1") == rows);  // nothing written
    CHECK(e->status(id).key == "CASE-2026-0001");
    CHECK(nlohmann::json::parse(status_json(e->status(id)))["key"] == "CASE-2026-0001");
    // Another key, or none: new instances.
    s.key = "CASE-2026-0002";
    CHECK(e->start_instance(s).instance != id);
    s.key.clear();
    CHECK_FALSE(e->start_instance(s).existed);
    CHECK_FALSE(e->start_instance(s).existed);
  }
  // Reopened (the checkpoint) and after a crash (replayed from the log: the
  // key travels in the start's input row).
  for (const bool from_log : {false, true}) {
    if (from_log) sql_exec(d.db(), "DELETE FROM instances; DELETE FROM steps; UPDATE meta SET value=0 WHERE key='checkpoint_seq'");
    auto e = Engine::open(options(d, clock));
    s.key = "CASE-2026-0001";
    const StartResult r = e->start_instance(s);
    CHECK(r.existed);
    CHECK(r.instance == id);
    CHECK(e->instances().size() == 4);
  }
}

TEST_CASE("platform: concurrent starts with one key from several threads make one instance", "[runtime][platform][threads]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  std::vector<std::thread> threads;
  std::vector<StartResult> results(8);
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      StartRequest s;
      s.workflow_file = wf;
      s.project = "并发";
      s.key = "K-1";
      results[t] = e->start_instance(s);
    });
  for (auto& t : threads) t.join();
  std::set<std::string> ids;
  int created = 0;
  for (const auto& r : results) {
    ids.insert(r.instance);
    created += !r.existed;
  }
  CHECK(ids.size() == 1);
  CHECK(created == 1);
  CHECK(e->instances().size() == 1);
}

TEST_CASE("platform: a retried request id gets the first outcome and writes nothing new", "[runtime][platform]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start(wf, "p");
  ActRequest submit = req(id, "permit", "submit", "applicant");
  submit.request_id = "r-1";
  const ActResult first = e->apply(submit);
  CHECK_FALSE(first.repeated);
  CHECK(first.version == 2);
  const long long rows = count(d, "1");
  const ActResult again = e->apply(submit);  // an HTTP retry
  CHECK(again.repeated);
  CHECK(again.version == 2);
  CHECK(count(d, "1") == rows);
  CHECK(count(d, "kind='refused'") == 0);  // no "wrong state" refusal in the legal trail

  // A refusal is an outcome too: retried, the same error and no second row.
  ActRequest wrong = req(id, "permit", "approve", "自然资源局");
  wrong.request_id = "r-2";
  const Caught a = caught([&] { e->apply(wrong); });
  const Caught b = caught([&] { e->apply(wrong); });
  REQUIRE(a.thrown);
  REQUIRE(b.thrown);
  CHECK(a.code == Error::Code::forbidden);
  CHECK(b.code == a.code);
  CHECK(b.reason == a.reason);
  CHECK(b.message == a.message);
  CHECK(count(d, "kind='refused'") == 1);

  // One id names one call.
  ActRequest other = req(id, "land", "submit", "applicant");
  other.request_id = "r-1";
  const Caught dup = caught([&] { e->apply(other); });
  CHECK(dup.thrown);
  CHECK(dup.reason == "duplicate");
  CHECK_THAT(dup.message, Catch::Contains("r-1"));
  CHECK(state_of(e->status(id), "land") == "ready");

  // Kept across a reopen.
  e.reset();
  e = Engine::open(options(d, clock));
  CHECK(e->apply(submit).repeated);
  CHECK(count(d, "1") == rows + 1);  // only the refusal row since
  // And forgotten after 7 days.
  clock->set(FakeClock::at("2026-03-10T09:00")->now());
  e.reset();
  e = Engine::open(options(d, clock));
  const Caught late = caught([&] { e->apply(submit); });
  CHECK(late.thrown);  // judged again: the step is no longer ready
  CHECK(late.reason == "wrong_state");
}

TEST_CASE("platform: concurrent retries of one request id from several threads act once", "[runtime][platform][threads]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  const std::string id = e->start(wf, "p");
  std::atomic<int> repeated{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      ActRequest r = req(id, "permit", "submit", "applicant");
      r.request_id = "retry-me";
      try {
        repeated += e->apply(r).repeated ? 1 : 0;
      } catch (const Error&) {
        ++failed;
      }
    });
  for (auto& t : threads) t.join();
  CHECK(failed == 0);
  CHECK(repeated == 5);
  CHECK(count(d, "action='submit'") == 1);
  CHECK(count(d, "kind='refused'") == 0);
}

TEST_CASE("platform: versions and expected_version; a stale write is a conflict and logs nothing", "[runtime][platform]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  const std::string id = e->start(wf, "p");
  CHECK(e->status(id).version == 1);
  e->act(req(id, "permit", "submit", "applicant"));
  const std::uint64_t v = e->status(id).version;
  CHECK(v == 2);
  ActRequest accept = req(id, "permit", "accept", "住建局");
  accept.expected_version = 1;  // read before the submit
  const long long rows = count(d, "1");
  const Caught c = caught([&] { e->apply(accept); });
  CHECK(c.thrown);
  CHECK(c.code == Error::Code::conflict);
  CHECK(c.reason == "conflict");
  CHECK_THAT(c.message, Catch::Contains("version 2, not 1"));
  CHECK(count(d, "1") == rows);
  accept.expected_version = static_cast<std::int64_t>(v);
  CHECK(e->apply(accept).version == 3);
  // A refusal does not change the version.
  CHECK(caught([&] { e->act(req(id, "permit", "submit", "applicant")); }).reason == "wrong_state");
  CHECK(e->status(id).version == 3);
  CHECK(nlohmann::json::parse(status_json(e->status(id)))["version"] == 3);
}

TEST_CASE("platform: two clerks racing on one step: exactly one wins, the other gets a conflict and no row",
          "[runtime][platform][threads]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  for (int round = 0; round < 10; ++round) {
    const std::string id = e->start(wf, "p" + std::to_string(round));
    e->act(req(id, "permit", "submit", "applicant"));
    e->act(req(id, "permit", "accept", "住建局"));
    const auto v = static_cast<std::int64_t>(e->status(id).version);
    std::atomic<int> won{0}, conflicts{0};
    std::vector<std::thread> clerks;
    for (const char* who : {"住建局/张三", "住建局/李四"})
      clerks.emplace_back([&, who] {
        ActRequest r = req(id, "permit", "approve", who);
        r.expected_version = v;
        try {
          e->act(r);
          ++won;
        } catch (const Error& x) {
          if (x.code() == Error::Code::conflict) ++conflicts;
        }
      });
    for (auto& t : clerks) t.join();
    CHECK(won == 1);
    CHECK(conflicts == 1);
    CHECK(count(d, "instance='" + id + "' AND action='approve'") == 1);
    CHECK(count(d, "instance='" + id + "' AND kind='refused'") == 0);
  }
}

TEST_CASE("platform: a claimed step is acted on by its claimer only, until released or decided", "[runtime][platform]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string id;
  std::string before;
  {
    auto e = Engine::open(options(d, clock));
    id = e->start(wf, "p");
    e->act(req(id, "land", "submit", "applicant"));
    e->act(req(id, "land", "accept", "自然资源局"));
    // Who may claim: staff of a department that handles the step.
    CHECK(caught([&] { e->claim(id, "land", "自然资源局"); }).reason == "wrong_actor");
    CHECK(caught([&] { e->claim(id, "land", "applicant"); }).reason == "wrong_actor");
    CHECK(caught([&] { e->claim(id, "permit", "自然资源局/王五"); }).reason == "wrong_actor");
    const ActResult c = e->claim(id, "land", "住建局/张三");
    CHECK_FALSE(c.repeated);
    CHECK(e->claim(id, "land", "住建局/张三").repeated);  // already theirs
    const Caught taken = caught([&] { e->claim(id, "land", "住建局/李四"); });
    CHECK(taken.code == Error::Code::conflict);
    CHECK(taken.reason == "claimed");
    CHECK_THAT(taken.message, Catch::Contains("住建局/张三"));
    const auto st = e->status(id);
    REQUIRE(step_of(st, "land").claims.size() == 1);
    CHECK(step_of(st, "land").claims[0].staff == "住建局/张三");
    CHECK(step_of(st, "land").claims[0].department == "住建局");
    const long long rows = count(d, "1");
    // Another clerk of 住建局, or the department as a whole: a conflict, no row.
    for (const char* who : {"住建局/李四", "住建局"}) {
      const Caught x = caught([&] { e->act(req(id, "land", "approve", who)); });
      CHECK(x.code == Error::Code::conflict);
      CHECK(x.reason == "claimed");
    }
    CHECK(count(d, "1") == rows);
    // The worklist shows who has it.
    const Worklist w = e->worklist("住建局");
    REQUIRE(w.items.size() == 1);
    CHECK(w.items[0].claimed_by == "住建局/张三");
    CHECK(w.items[0].version == e->status(id).version);
    CHECK(nlohmann::json::parse(worklist_json(w))[0]["claimed_by"] == "住建局/张三");
    CHECK(e->worklist("自然资源局").items[0].claimed_by.empty());
    // The other department of the joint step is not held up.
    e->act(req(id, "land", "approve", "自然资源局/王五"));
    CHECK(caught([&] { e->release(id, "land", "住建局/李四"); }).reason == "claimed");
    CHECK(count(d, "kind='claimed'") == 1);
    before = status_json(e->status(id));
  }
  // The claim is in the log (replayed after a crash) and in the checkpoint.
  for (const bool from_log : {false, true}) {
    if (from_log)
      sql_exec(d.db(), "UPDATE instances SET snapshot=X'4A52533900000000'");  // rebuilt from the whole log
    auto e = Engine::open(options(d, clock));
    CHECK(status_json(e->status(id)) == before);
  }
  auto e = Engine::open(options(d, clock));
  e->release(id, "land", "住建局/张三");
  CHECK(e->status(id).steps[1].claims.empty());
  CHECK(caught([&] { e->release(id, "land", "住建局/张三"); }).reason == "not_claimed");
  e->claim(id, "land", "住建局/李四");
  e->act(req(id, "land", "approve", "住建局/李四"));  // decided: the claim goes with it
  CHECK(step_of(e->status(id), "land").claims.empty());
  CHECK(caught([&] { e->claim(id, "land", "住建局/李四"); }).reason == "wrong_state");
  const std::string after = status_json(e->status(id));
  e.reset();
  e = Engine::open(options(d, clock));
  CHECK(status_json(e->status(id)) == after);
  CHECK(verify_audit_trail(d.db()).ok);
}

TEST_CASE("platform: every error carries a machine-readable reason", "[runtime][platform]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  const std::string id = e->start(wf, "p");
  CHECK(caught([&] { e->act(req("nope", "permit", "submit", "applicant")); }).reason == "unknown_instance");
  CHECK(caught([&] { e->act(req(id, "nope", "submit", "applicant")); }).reason == "unknown_step");
  CHECK(caught([&] { e->act(req(id, "permit", "dance", "applicant")); }).reason == "unknown_action");
  CHECK(caught([&] { e->act(req(id, "permit", "accept", "住建局")); }).reason == "wrong_state");
  CHECK(caught([&] { e->act(req(id, "permit", "submit", "住建局")); }).reason == "wrong_actor");
  CHECK(caught([&] { e->act(req(id, "permit", "submit", "某局")); }).reason == "wrong_actor");
  // An error without a finer reason gives its code's name.
  CHECK(std::string(Error(Error::Code::storage, "x").reason()) == "storage");
  CHECK(std::string(Error(Error::Code::out_of_range, "x").reason()) == "calendar_range");
}

TEST_CASE("platform: the event feed in seq order across instances, and a durable subscription from a seq",
          "[runtime][platform][threads]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::int64_t last = 0;
  {
    auto e = Engine::open(options(d, clock));
    const std::string a = e->start(wf, "a"), b = e->start(wf, "b");
    e->act(req(a, "permit", "submit", "applicant"));
    e->act(req(b, "permit", "submit", "applicant"));
    e->act(req(a, "permit", "accept", "住建局"));  // a 5-day clock: its warning and overdue fire later
    const auto all = e->events_since(0, 10000);
    REQUIRE(all.size() >= 8);
    for (std::size_t k = 0; k < all.size(); ++k) CHECK(all[k].seq == static_cast<std::int64_t>(k + 1));
    const auto page = e->events_since(3, 2);
    REQUIRE(page.size() == 2);
    CHECK(page[0].seq == 4);
    CHECK(page[1].seq == 5);
    last = all.back().seq;
  }
  // The forwarder handled up to seq 4, then stopped. The engine opens a week
  // later and fires the missed timers at open: a subscriber that resumes
  // from 4 gets everything after it, once, in order, the missed timers'
  // rows included, then the new ones.
  clock->set(FakeClock::at("2026-03-12T09:00")->now());
  auto e = Engine::open(options(d, clock));
  const auto now = e->events_since(0, 10000);
  REQUIRE(static_cast<std::int64_t>(now.size()) > last);  // the timers fired at open
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::int64_t> got;
  std::set<std::string> kinds;
  const int token = e->subscribe(
      [&](const EventRecord& ev) {
        std::lock_guard<std::mutex> lk(m);
        got.push_back(ev.seq);
        kinds.insert(ev.kind);
        cv.notify_all();
      },
      4);
  const std::string c = e->start(wf, "c");  // a live one after subscribing
  const std::int64_t head = e->events_since(0, 10000).back().seq;
  {
    std::unique_lock<std::mutex> lk(m);
    REQUIRE(cv.wait_for(lk, std::chrono::seconds(20), [&] { return !got.empty() && got.back() >= head; }));
  }
  e->unsubscribe(token);
  std::vector<std::int64_t> want;
  for (std::int64_t s = 5; s <= head; ++s) want.push_back(s);
  CHECK(got == want);  // each once, in order, nothing before 5
  CHECK(kinds.count("overdue") == 1);  // fired at open, while nobody listened
  (void)c;
}

TEST_CASE("platform: a slow durable subscriber stalls nobody", "[runtime][platform][threads]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  std::atomic<int> slow_seen{0};
  std::atomic<bool> release{false};
  const int slow = e->subscribe(
      [&](const EventRecord&) {
        ++slow_seen;
        while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      },
      0);
  std::atomic<int> fast_seen{0};
  const int fast = e->subscribe([&](const EventRecord&) { ++fast_seen; }, 0);
  for (int k = 0; k < 20; ++k) e->start(wf, "p" + std::to_string(k));  // not held up by the slow one
  const auto total = static_cast<int>(e->events_since(0, 10000).size());
  for (int waited = 0; fast_seen < total && waited < 20000; waited += 5)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(fast_seen == total);
  CHECK(slow_seen == 1);  // still on its first event
  release = true;
  for (int waited = 0; slow_seen < total && waited < 20000; waited += 5)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  CHECK(slow_seen == total);
  e->unsubscribe(slow);
  e->unsubscribe(fast);
}

TEST_CASE("platform: a deployed workflow starts by id without its file; versions by id, hash or vN",
          "[runtime][platform]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  std::string v1_hash;
  {
    auto e = Engine::open(options(d, clock));
    CHECK(e->workflows().empty());
    const DeployedWorkflow v1 = e->deploy(wf);
    CHECK(v1.id == "window");
    CHECK(v1.version == 1);
    CHECK(v1.title == "窗口联审");
    CHECK(v1.latest);
    CHECK_FALSE(v1.existed);
    v1_hash = v1.hash;
    CHECK(e->deploy(wf).existed);  // the same texts: nothing new
    // A second version from texts (a platform keeping its texts in its own
    // database): the main file and an include, by name.
    std::string text = kWindow;
    text.replace(text.find("days: 5"), 7, "days: 7");
    const DeployedWorkflow v2 = e->deploy_texts({{"main.yaml", text}}, "main.yaml");
    CHECK(v2.version == 2);
    CHECK(v2.hash != v1_hash);
    const Caught bad = caught([&] { e->deploy_texts({{"main.yaml", "workflow: x\nsteps: [\n"}}, "main.yaml"); });
    CHECK(bad.code == Error::Code::invalid_workflow);
    CHECK_THAT(bad.message, Catch::Contains("main.yaml:"));
    CHECK(caught([&] { e->deploy_texts({{"a.yaml", "x"}}, "main.yaml"); }).reason == "bad_value");
  }
  std::filesystem::remove(wf);  // the platform keeps no file
  auto e = Engine::open(options(d, clock));
  const auto all = e->workflows();
  REQUIRE(all.size() == 2);
  CHECK_FALSE(all[0].latest);
  CHECK(all[1].latest);
  StartRequest s;
  s.workflow = "window";
  s.project = "按编号启动";
  const std::string latest = e->start_instance(s).instance;
  CHECK(e->status(latest).steps[0].days_limit == 7);
  s.workflow = "window@" + v1_hash;
  const std::string by_hash = e->start_instance(s).instance;
  CHECK(e->status(by_hash).workflow_hash == v1_hash);
  s.workflow = "window@v1";
  CHECK(e->status(e->start_instance(s).instance).steps[0].days_limit == 5);
  s.workflow = "window@v9";
  CHECK(caught([&] { e->start_instance(s); }).reason == "unknown_workflow");
  s.workflow = "nope";
  CHECK(caught([&] { e->start_instance(s); }).code == Error::Code::not_found);
  const auto listed = e->workflows();
  CHECK(listed[0].running == 2);
  CHECK(listed[1].running == 1);
  e->act(req(latest, "permit", "submit", "applicant"));
  CHECK(nlohmann::json::parse(deployed_list_json(listed)).size() == 2);
}

TEST_CASE("platform: queries filter, order and page from the indexed tables; pages cover every match once",
          "[runtime][platform][queries]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  std::vector<std::string> ids;
  for (int k = 0; k < 25; ++k) {
    StartRequest s;
    s.workflow_file = wf;
    s.project = (k % 5 == 0 ? "城东100%项目" : "城西项目") + std::to_string(k);
    s.green = k % 7 == 0;
    ids.push_back(e->start_instance(s).instance);
    clock->advance(std::chrono::minutes(1));
  }
  // Some work: the first ten submitted and accepted (住建局 reviews), the
  // first two withdrawn.
  for (int k = 0; k < 10; ++k) {
    e->act(req(ids[k], "permit", "submit", "applicant"));
    e->act(req(ids[k], "permit", "accept", "住建局"));
  }
  for (int k = 0; k < 2; ++k) {
    e->act(req(ids[k], "land", "submit", "applicant"));
    e->act(req(ids[k], "land", "withdraw", "applicant"));
  }
  InstanceFilter f;
  f.limit = 1000;
  CHECK(e->query(f).total == 25);
  f.project = "100%";  // a literal %, not a wildcard
  CHECK(e->query(f).total == 5);
  f.project.clear();
  f.green = 1;
  CHECK(e->query(f).total == 4);  // 0, 7, 14, 21
  f.green = -1;
  f.department = "住建局";  // reviews the accepted permits; nothing else waits on it
  const InstancePage busy = e->query(f);
  CHECK(busy.total == 8);  // ten accepted, two of them withdrawn
  for (const auto& s : busy.instances) CHECK(s.state == "running");
  f.department.clear();
  f.state = "withdrawn";
  CHECK(e->query(f).total == 2);
  f.state.clear();
  // A week later the accepted permits are red.
  clock->set(FakeClock::at("2026-03-12T09:00")->now());
  f.flag = "overdue";
  const InstancePage red = e->query(f);
  CHECK(red.total == 8);
  for (const auto& s : red.instances) {
    CHECK(std::find(s.flags.begin(), s.flags.end(), "overdue") != s.flags.end());
    CHECK(s.total == 2);
  }
  f.flag = "no_such_flag";
  CHECK(caught([&] { e->query(f); }).reason == "bad_value");
  f.flag.clear();

  // Pages of 4 in start order, with instances started between pages: every
  // instance that existed at the first page is seen exactly once, in order.
  f.limit = 4;
  std::vector<std::string> seen;
  std::string after;
  int extra = 0;
  for (;;) {
    f.after = after;
    const InstancePage p = e->query(f);
    for (const auto& s : p.instances) seen.push_back(s.instance);
    if (extra < 3) {
      e->start(wf, "late" + std::to_string(extra++));
      clock->advance(std::chrono::minutes(1));
    }
    if (p.next.empty()) break;
    after = p.next;
  }
  std::set<std::string> unique(seen.begin(), seen.end());
  CHECK(unique.size() == seen.size());
  for (const auto& id : ids) CHECK(unique.count(id) == 1);
  CHECK(seen.size() == 28);  // the late ones come at the end
  CHECK(std::is_sorted(seen.begin(), seen.end()));  // ids of one day follow the start order
  // Deadline order: instances without a deadline last.
  f.after.clear();
  f.order = "deadline";
  f.limit = 1000;
  const InstancePage by_deadline = e->query(f);
  REQUIRE(by_deadline.instances.size() == 28);
  f.limit = 2;
  InstanceFilter start_order;
  start_order.limit = 2;
  f.after = e->query(start_order).next;  // a cursor of the start order
  REQUIRE_FALSE(f.after.empty());
  CHECK(caught([&] { e->query(f); }).reason == "bad_cursor");
  const std::string json = instance_page_json(by_deadline);
  const auto j = nlohmann::json::parse(json);
  CHECK(j["total"] == 28);
  CHECK(j["next"].is_null());
  CHECK(j["instances"][0].contains("progress"));
}

TEST_CASE("platform: settled instances are not held; status, events, keys, acts and reports read them back",
          "[runtime][platform][memory]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  EngineOptions o = options(d, clock);
  o.checkpoint_instances = 1;  // a checkpoint with every commit: settled instances go at once
  auto e = Engine::open(o);
  std::vector<std::string> ids;
  for (int k = 0; k < 6; ++k) {
    StartRequest s;
    s.workflow_file = wf;
    s.project = "项目" + std::to_string(k);
    s.key = "K" + std::to_string(k);
    ids.push_back(e->start_instance(s).instance);
    clock->advance(std::chrono::minutes(1));
  }
  // The last three (the highest ids) withdrawn: finished, nothing pending.
  for (int k = 3; k < 6; ++k) {
    e->act(req(ids[k], "land", "submit", "applicant"));
    e->act(req(ids[k], "land", "withdraw", "applicant"));
  }
  std::vector<std::string> before;
  for (const auto& id : ids) before.push_back(status_json(e->status(id)));
  const std::string all_before = statuses_json(e->instances());
  const std::size_t trail = e->events(ids[5]).size();
  CHECK(e->stats().instances == 3);
  CHECK(e->stats().unloaded == 3);

  SECTION("read back as they were") {
    for (std::size_t k = 0; k < ids.size(); ++k) CHECK(status_json(e->status(ids[k])) == before[k]);
    CHECK(e->events(ids[5]).size() == trail);
    CHECK(statuses_json(e->instances()) == all_before);  // in id order, held and settled alike
    CHECK(caught([&] { e->status("20260302-999999"); }).reason == "unknown_instance");
    CHECK(caught([&] { e->events("20260302-999999"); }).reason == "unknown_instance");
    InstanceFilter f;
    f.state = "withdrawn";
    CHECK(e->query(f).total == 3);
    // This week's report counts them: they finished in it.
    const WeeklyReport rep = e->weekly_report("2026-W10");
    CHECK(rep.projects.size() == 6);
    // A week after they finished, they have no part in it.
    CHECK(e->weekly_report("2026-W12").projects.size() == 3);
    CHECK(e->stats().loaded == 0);  // reading does not hold them
  }
  SECTION("a key of a settled instance answers it, and writes nothing") {
    const long long rows = count(d, "1");
    StartRequest s;
    s.workflow_file = wf;
    s.key = "K4";
    const StartResult r = e->start_instance(s);
    CHECK(r.existed);
    CHECK(r.instance == ids[4]);
    CHECK(count(d, "1") == rows);
  }
  SECTION("an action on a settled instance is refused as on a held one, then it goes again") {
    const Caught c = caught([&] { e->act(req(ids[5], "permit", "submit", "applicant")); });
    CHECK(c.thrown);
    CHECK(c.reason == "instance_closed");
    CHECK(count(d, "kind='refused' AND instance='" + ids[5] + "'") == 1);
    CHECK(e->stats().loaded == 1);
    CHECK(e->stats().instances == 3);  // its checkpoint let it go again
    CHECK(status_json(e->status(ids[5])) == before[5]);  // a refusal changes nothing
  }
  SECTION("reopened, only the running ones are read; new ids follow the settled ones") {
    e.reset();
    e = Engine::open(o);
    CHECK(e->stats().instances == 3);
    CHECK(e->stats().unloaded == 0);
    for (std::size_t k = 0; k < ids.size(); ++k) CHECK(status_json(e->status(ids[k])) == before[k]);
    const std::string next = e->start(wf, "新项目");
    CHECK(next > ids[5]);
  }
  SECTION("a settled instance whose row cannot be read is rebuilt from its log") {
    e.reset();
    sql_exec(d.db(), "UPDATE instances SET snapshot = x'00' WHERE id = '" + ids[5] + "'");
    e = Engine::open(o);
    CHECK(status_json(e->status(ids[5])) == before[5]);
    CHECK(e->stats().rebuilt_instances == 1);
  }
}

TEST_CASE("platform: states and actions as enums in the C++ API", "[runtime][platform]") {
  TempDir d;
  const std::string wf = d.file("window.yaml", kWindow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  const std::string id = e->start(wf, "p");
  ActRequest submit;
  submit.instance = id;
  submit.step = "permit";
  submit.verb = Action::submit;  // no action string
  submit.actor = "applicant";
  e->apply(submit);
  InstanceStatus s = e->status(id);
  CHECK(s.instance_state == InstanceState::running);
  CHECK(step_of(s, "permit").step_state == StepState::submitted);
  CHECK(step_of(s, "land").step_state == StepState::ready);
  for (const auto& st : s.steps) CHECK(st.state == to_string(st.step_state));
  // The trail names the action as the string form would have.
  CHECK(count(d, "action='submit' AND step='permit'") == 1);
  ActRequest both = req(id, "permit", "approve", "住建局");
  both.verb = Action::accept;
  const Caught c = caught([&] { e->apply(both); });
  CHECK(c.reason == "bad_value");
  CHECK(count(d, "kind='refused'") == 0);  // nothing logged for a malformed request
  both.action = "accept";
  e->apply(both);
  CHECK(step_of(e->status(id), "permit").step_state == StepState::accepted);
  for (int k = 0; k < 2; ++k) {
    ActRequest w = req(id, "land", "", "applicant");
    w.verb = k == 0 ? Action::submit : Action::withdraw;
    e->apply(w);
  }
  CHECK(e->status(id).instance_state == InstanceState::withdrawn);
  InstanceFilter f;
  const InstancePage p = e->query(f);
  REQUIRE(p.instances.size() == 1);
  CHECK(p.instances[0].instance_state == InstanceState::withdrawn);
}

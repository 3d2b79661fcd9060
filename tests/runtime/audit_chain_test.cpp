// The audit trail's hash chain (issue 14, item 4): rows altered, removed or
// put in place of others behind the engine's back, with the append-only
// triggers dropped first, as someone holding the file could, are named by
// the verification; an honest trail verifies, also across reopenings.
#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "helpers.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "runtime/working_time.h"
#include "storage/store.h"

using namespace jointreview;
using jr_test::options;
using jr_test::sql_exec;
using jr_test::sql_scalar;
using jr_test::TempDir;
namespace fs = std::filesystem;

namespace {

const char* const kFlow = R"(workflow: chain
departments: {A: {}, B: {}}
steps:
  - {id: s, department: A, days: 5}
  - {id: t, departments: [A, B], days: 5, after: [s]}
)";

// A database with a few dozen rows: two instances, actions, a refusal, timers.
void fill(const TempDir& d) {
  const std::string wf = d.file("chain.yaml", kFlow);
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  for (const char* p : {"一号", "二号"}) {
    const std::string id = e->start({wf, p});
    e->act({id, "s", "submit", "applicant"});
    e->act({id, "s", "accept", "A"});
    try {
      e->act({id, "s", "approve", "B"});  // refused: logged
    } catch (const Error&) {
    }
    e->act({id, "s", "approve", "A", "同意"});
  }
  clock->advance(std::chrono::hours(24 * 9));
  e->fire_due_timers();
}

const char* const kDropGuards =
    "DROP TRIGGER events_append_only_update; DROP TRIGGER events_append_only_delete;";

}  // namespace

TEST_CASE("an honest audit trail verifies, and its chain goes on across reopenings", "[runtime][audit]") {
  TempDir d;
  fill(d);
  AuditCheck c = verify_audit_trail(d.db());
  CHECK(c.ok);
  const auto rows = std::stoll(sql_scalar(d.db(), "SELECT count(*) FROM events"));
  CHECK(rows > 10);
  CHECK(c.events == rows);
  CHECK(c.head_seq == rows);
  CHECK(c.head_hash == sql_scalar(d.db(), "SELECT hash FROM events ORDER BY seq DESC LIMIT 1"));
  CHECK(c.head_hash.size() == 64);
  // More rows after reopening continue the same chain.
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-03-20T09:00")));
    const auto all = e->instances();
    REQUIRE(!all.empty());
    e->act({all[0].instance, "t", "submit", "applicant"});
  }
  c = verify_audit_trail(d.db());
  CHECK(c.ok);
  CHECK(c.events > rows);
}

TEST_CASE("the verification names the first row altered, removed or replaced behind the engine's back", "[runtime][audit]") {
  TempDir d;
  fill(d);
  const fs::path pristine = d.path / "pristine.db";
  fs::copy_file(d.db(), pristine);
  auto restore = [&] {
    fs::remove(d.db());
    fs::remove(d.db() + "-wal");
    fs::remove(d.db() + "-shm");
    fs::copy_file(pristine, d.db());
  };
  SECTION("a note altered") {
    sql_exec(d.db(), std::string(kDropGuards) + "UPDATE events SET note='不同意' WHERE seq=7;");
    const AuditCheck c = verify_audit_trail(d.db());
    CHECK_FALSE(c.ok);
    CHECK(c.bad_seq == 7);
    CHECK(c.head_seq == 6);
    CHECK(c.problem == "row 7 does not match its hash: it was altered, or a row before it was removed or replaced");
  }
  SECTION("a row's hash recomputed to fit its altered content: the next row names it") {
    // Whoever alters a row and also rewrites its hash with the published
    // rule breaks the link to the following row instead.
    sql_exec(d.db(), std::string(kDropGuards) + "UPDATE events SET actor='B' WHERE seq=5;");
    restore();
    sql_exec(d.db(), std::string(kDropGuards) + "UPDATE events SET hash=(SELECT hash FROM events WHERE seq=3) WHERE seq=5;");
    const AuditCheck c = verify_audit_trail(d.db());
    CHECK_FALSE(c.ok);
    CHECK(c.bad_seq == 5);
  }
  SECTION("a row removed") {
    sql_exec(d.db(), std::string(kDropGuards) + "DELETE FROM events WHERE seq=9;");
    const AuditCheck c = verify_audit_trail(d.db());
    CHECK_FALSE(c.ok);
    CHECK(c.bad_seq == 9);
    CHECK(c.problem == "row 9 is missing (the next row is 10)");
  }
  SECTION("a row put in place of a removed one") {
    sql_exec(d.db(), std::string(kDropGuards) +
                         "DELETE FROM events WHERE seq=4; "
                         "INSERT INTO events(seq,instance,time,actor,kind,action,step,from_state,to_state,note,material,"
                         "detail,hash) SELECT 4,instance,time,'A','approve','approve','s','accepted','approved','','','',"
                         "hash FROM events WHERE seq=5;");
    const AuditCheck c = verify_audit_trail(d.db());
    CHECK_FALSE(c.ok);
    CHECK(c.bad_seq == 4);
  }
  SECTION("rows cut off the end: only the head recorded elsewhere tells") {
    const AuditCheck before = verify_audit_trail(d.db());
    sql_exec(d.db(), std::string(kDropGuards) + "DELETE FROM events WHERE seq>10;");
    const AuditCheck after = verify_audit_trail(d.db());
    CHECK(after.ok);
    CHECK(after.head_seq == 10);
    CHECK(after.head_hash != before.head_hash);  // the recorded head is no longer there
  }
}

TEST_CASE("a commit that fails leaves the chain's head where the database has it", "[runtime][audit]") {
  // A commit that fails leaves the chain's head where the database has it,
  // so the next commit links to the right row.
  TempDir d;
  fill(d);
  sql_exec(d.db(),
           "CREATE TRIGGER fail_once BEFORE INSERT ON events WHEN NEW.note='boom' "
           "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END;");
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-03-20T09:00")));
    const auto all = e->instances();
    CHECK_THROWS_AS(e->act({all[0].instance, "t", "submit", "applicant", "boom"}), Error);
    e->act({all[0].instance, "t", "submit", "applicant"});
  }
  CHECK(verify_audit_trail(d.db()).ok);
}

TEST_CASE("a row's hash follows the published rule, so that anyone can recompute it", "[runtime][audit]") {
  // Expected values computed outside the program (Python's hashlib) from
  // the rule in docs/runtime.md: SHA-256 over "LEN:BYTES," of the previous
  // hash, the seq and each field in order.
  EventRecord e;
  e.seq = 1;
  e.instance = "20260302-000001";
  e.time = "2026-03-02T09:00:00+08:00";
  e.actor = "system";
  e.kind = "action";
  e.action = "start";
  const std::string h1 = storage::chain_hash(storage::kChainGenesis, e, "x");
  CHECK(h1 == "2059ee8f38ea8c21138f1a7e3e808bb45c03da2d7a758c91a5791e0d23fab066");
  EventRecord f;
  f.seq = 2;
  f.instance = e.instance;
  f.time = e.time;
  f.actor = "住建局";
  f.kind = "action";
  f.action = "approve";
  f.step = "s";
  f.from = "accepted";
  f.to = "approved";
  f.note = "同意";
  CHECK(storage::chain_hash(h1, f, "") == "515bd5c1cd90c0e65e415fec90e5899af94dfe7cf88cab7061f5fc47a46c7ead");
}

TEST_CASE("the local time offset is the database's: another one is refused with the reason", "[runtime][settings]") {
  TempDir d;
  const std::string wf = d.file("chain.yaml", kFlow);
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
    e->start({wf, "p"});
  }
  CHECK(sql_scalar(d.db(), "SELECT value FROM meta WHERE key='utc_offset_minutes'") == "480");
  EngineOptions o = options(d, FakeClock::at("2026-03-02T09:00", 0));
  o.utc_offset_minutes = 0;
  try {
    Engine::open(o);
    FAIL("opened");
  } catch (const Error& x) {
    CHECK(x.code() == Error::Code::invalid_argument);
    CHECK(std::string(x.what()).find("records local time at UTC+08:00 (utc_offset_minutes 480); this engine was "
                                     "opened with UTC+00:00") != std::string::npos);
  }
  CHECK_NOTHROW(Engine::open(options(d, FakeClock::at("2026-03-02T10:00"))));
}

TEST_CASE("the millionth instance of a day gets a seven-digit number, never a repeated id", "[runtime][settings]") {
  TempDir d;
  const std::string wf = d.file("chain.yaml", kFlow);
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
    e->start({wf, "p"});
  }
  // As if 999,999 instances had been started that day (the checkpoint's row renamed).
  sql_exec(d.db(), "UPDATE instances SET id='20260302-999999'; UPDATE steps SET instance='20260302-999999';");
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T10:00")));
  CHECK(e->start({wf, "q"}) == "20260302-1000000");
  CHECK(e->start({wf, "r"}) == "20260302-1000001");
  CHECK(e->instances().size() == 3);
}

TEST_CASE("an online backup under load is consistent and verified; restore is refused while the database is in use", "[runtime][backup]") {
  TempDir d;
  const std::string wf = d.file("chain.yaml", kFlow);
  auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  std::atomic<bool> stop{false};
  std::atomic<int> started{0};
  std::vector<std::thread> load;
  for (int t = 0; t < 3; ++t)
    load.emplace_back([&, t] {
      for (int k = 0; !stop; ++k) {
        const std::string id = e->start({wf, "p" + std::to_string(t) + "-" + std::to_string(k)});
        e->act({id, "s", "submit", "applicant"});
        e->act({id, "s", "accept", "A"});
        ++started;
      }
    });
  while (started < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::vector<BackupResult> copies;
  for (int i = 0; i < 3; ++i) {
    const std::string out = (d.path / ("copy" + std::to_string(i) + ".db")).string();
    copies.push_back(backup_database(d.db(), out));  // checked inside: integrity and chain
    CHECK(copies.back().events > 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop = true;
  for (auto& th : load) th.join();
  CHECK(copies[2].head_seq >= copies[0].head_seq);
  // A copy opens as a database of its own, and its trail verifies.
  {
    TempDir other;
    fs::copy_file(d.path / "copy1.db", other.db());
    auto c = Engine::open(options(other, FakeClock::at("2026-03-02T09:00")));
    CHECK(!c->instances().empty());
    CHECK(verify_audit_trail(other.db()).ok);
  }
  CHECK_THROWS_WITH(backup_database(d.db(), (d.path / "copy1.db").string()), Catch::Contains("exists already"));
  CHECK_THROWS_WITH(restore_database((d.path / "copy0.db").string(), d.db()),
                    Catch::Contains("cannot restore over a database in use"));
  const auto live = e->instances().size();
  e.reset();
  const BackupResult r = restore_database((d.path / "copy0.db").string(), d.db());
  CHECK(r.head_seq == copies[0].head_seq);
  auto back = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
  CHECK(back->instances().size() < live);
  CHECK(verify_audit_trail(d.db()).head_seq == copies[0].head_seq);
}

TEST_CASE("a time given to the engine is read whole or refused", "[runtime][settings]") {
  using jointreview::parse_local_time;
  const auto local = parse_local_time("2026-03-02T17:00", 480);
  CHECK(parse_local_time("2026-03-02T09:00Z", 480) == local);        // a zone is converted
  CHECK(parse_local_time("2026-03-02T17:00+08:00", 480) == local);
  CHECK(parse_local_time("2026-03-02T17:00:00", 480) == local);
  CHECK(parse_local_time("2026-03-02 17:00", 480) == local);
  for (const char* bad : {"", "2026-03-02T09:00:00.5", "2026-03-02T09:00xyz", "2026-03-02T9:00", "9999-12-31",
                          "1969-12-31", "2026-03-02T24:00", "2026-03-02T09:00+8", "2026-03-02X"}) {
    INFO("'" << bad << "'");
    CHECK_THROWS_AS(parse_local_time(bad, 480), Error);
  }
}

TEST_CASE("every step of a started instance has its row in the steps table", "[runtime][settings]") {
  TempDir d;
  const std::string wf = d.file("chain.yaml", kFlow);
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
    e->start({wf, "p"});
  }
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM steps") == "2");
  CHECK(sql_scalar(d.db(), "SELECT group_concat(step || ':' || state, ' ') FROM steps ORDER BY idx") ==
        "s:ready t:blocked");
}

TEST_CASE("an instance whose snapshot this build cannot read is rebuilt from its log", "[runtime][upgrade]") {
  TempDir d;
  fill(d);  // two instances, closed with a checkpoint
  std::string before;
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-03-11T09:00")));
    before = statuses_json(e->instances());
  }
  const std::string id = sql_scalar(d.db(), "SELECT id FROM instances ORDER BY id LIMIT 1");
  SECTION("a snapshot of another layout") {
    sql_exec(d.db(), "UPDATE instances SET snapshot=X'4A52533900000000' WHERE id='" + id + "'");
  }
  SECTION("a damaged snapshot") {
    sql_exec(d.db(), "UPDATE instances SET snapshot=substr(snapshot, 1, 40) WHERE id='" + id + "'");
  }
  const std::string events_before = sql_scalar(d.db(), "SELECT count(*) FROM events");
  {
    auto e = Engine::open(options(d, FakeClock::at("2026-03-11T09:00")));
    CHECK(e->stats().rebuilt_instances == 1);
    CHECK(statuses_json(e->instances()) == before);
  }
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM events") == events_before);  // the trail is unchanged
  CHECK(sql_scalar(d.db(), "SELECT hex(substr(snapshot, 1, 4)) FROM instances WHERE id='" + id + "'") == "3453524A");  // "JRS4", little-endian
  auto e = Engine::open(options(d, FakeClock::at("2026-03-11T09:00")));
  CHECK(e->stats().rebuilt_instances == 0);  // a fresh checkpoint was written
  CHECK(statuses_json(e->instances()) == before);
  CHECK(verify_audit_trail(d.db()).ok);
}

TEST_CASE("a database this release wrote opens in this build with the same statuses and trail", "[runtime][upgrade]") {
  // tests/runtime/fixtures/make_schema4.sh wrote it; every later build must
  // open it and show exactly this. Regenerate only with a schema change,
  // and then add a new fixture beside it instead of replacing it.
  TempDir d;
  const fs::path fx = fs::path(JR_SOURCE_DIR) / "tests/runtime/fixtures";
  fs::copy_file(fx / "schema4.db", d.db());
  std::vector<std::string> ids;
  {
    std::ifstream in(fx / "schema4.ids");
    for (std::string id; in >> id;) ids.push_back(id);
  }
  REQUIRE(ids.size() == 2);
  CHECK(verify_audit_trail(d.db()).ok);
  auto e = Engine::open(options(d, FakeClock::at("2026-12-30T09:00")));
  for (const auto& id : ids) {
    INFO(id);
    std::ifstream s(fx / ("schema4-" + id + ".status.json")), v(fx / ("schema4-" + id + ".events.json"));
    auto now = nlohmann::json::parse(status_json(e->status(id)));
    // What schema 5 added (the platform API): a business key (none), the
    // version (the instance's input rows, counted by the migration) and
    // the claims (none); the rest exactly as written.
    CHECK(now["key"].is_null());
    CHECK(now["version"] == std::stoll(sql_scalar(d.db(), "SELECT count(*) FROM events WHERE input IS NOT NULL AND "
                                                          "instance='" + id + "'")));
    now.erase("key");
    now.erase("version");
    for (auto& st : now["steps"]) {
      CHECK(st["claims"] == nlohmann::json::array());
      st.erase("claims");
    }
    CHECK(now == nlohmann::json::parse(s));
    CHECK(nlohmann::json::parse(events_json(e->events(id))) == nlohmann::json::parse(v));
  }
  // The tables queries answer from were filled at the upgrade.
  InstanceFilter all;
  const InstancePage page = e->query(all);
  CHECK(page.total == 2);
  REQUIRE(page.instances.size() == 2);
  CHECK(page.instances[0].total == 11);
  CHECK(sql_scalar(d.db(), "SELECT value FROM meta WHERE key='query_tables'") == "1");
}

TEST_CASE("a schema-5 database this release wrote opens in this build with the same statuses, trail, list and versions",
          "[runtime][upgrade]") {
  // tests/runtime/fixtures/make_schema5.sh wrote it (deployed versions, keys,
  // claims, request ids); every later build must open it and show this.
  TempDir d;
  const fs::path fx = fs::path(JR_SOURCE_DIR) / "tests/runtime/fixtures";
  fs::copy_file(fx / "schema5.db", d.db());
  std::vector<std::string> ids;
  {
    std::ifstream in(fx / "schema5.ids");
    for (std::string id; in >> id;) ids.push_back(id);
  }
  REQUIRE(ids.size() == 2);
  CHECK(verify_audit_trail(d.db()).ok);
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    return nlohmann::json::parse(in);
  };
  auto e = Engine::open(options(d, FakeClock::at("2026-12-30T09:00")));
  for (const auto& id : ids) {
    INFO(id);
    CHECK(nlohmann::json::parse(status_json(e->status(id))) == slurp(fx / ("schema5-" + id + ".status.json")));
    CHECK(nlohmann::json::parse(events_json(e->events(id))) == slurp(fx / ("schema5-" + id + ".events.json")));
  }
  CHECK(nlohmann::json::parse(instance_page_json(e->query(InstanceFilter{}))) == slurp(fx / "schema5.list.json"));
  CHECK(nlohmann::json::parse(deployed_list_json(e->workflows())) == slurp(fx / "schema5.workflows.json"));
  // The keys still answer, the claims still hold.
  StartRequest again;
  again.workflow = "four-certificates";
  again.key = "CASE-A";
  CHECK(e->start_instance(again).existed);
  ActRequest other{ids[0], "site_selection", "approve", "自然资源局/someone-else"};
  try {
    e->act(other);
    FAIL("the claim should hold");
  } catch (const Error& x) {
    CHECK(x.code() == Error::Code::conflict);
  }
}

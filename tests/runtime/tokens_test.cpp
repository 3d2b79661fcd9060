// Access tokens (Engine::add_token ...): bound to one actor, stored as a
// hash, revoked and expired ones refused, kept across a reopen.
#include <nlohmann/json.hpp>

#include "jointreview/error.h"
#include "runtime/helpers.h"

using namespace jointreview;
using namespace jr_test;

TEST_CASE("tokens: the kinds of actor a token may be bound to", "[runtime][tokens]") {
  CHECK(actor_kind("住建局") == ActorKind::department);
  CHECK(actor_kind("住建局/张三") == ActorKind::staff);
  CHECK(actor_kind("applicant:甲公司") == ActorKind::applicant);
  CHECK(actor_kind("steward:李四") == ActorKind::steward);
  CHECK(actor_kind("supervisor") == ActorKind::supervisor);
  CHECK(actor_kind("supervisor:纪委") == ActorKind::supervisor);
  CHECK(actor_kind("admin") == ActorKind::admin);
  for (const char* bad : {"", "applicant", "applicant:", "steward", "住建局/", "/张三", "住建局/张/三", " 住建局",
                          "住建局 ", "system", "boss:x", "住建局\n"}) {
    INFO(bad);
    try {
      actor_kind(bad);
      FAIL("accepted");
    } catch (const Error& e) {
      CHECK(e.code() == Error::Code::invalid_argument);
      CHECK(std::string(e.reason()) == "bad_actor");
    }
  }
}

TEST_CASE("tokens: added, authenticated, revoked, expired, and kept as hashes", "[runtime][tokens]") {
  TempDir d;
  auto clock = FakeClock::at("2026-12-30T09:00");
  std::string secret, id, forever;
  {
    auto e = Engine::open(options(d, clock));
    CHECK(e->tokens().empty());
    NewToken t = e->add_token("住房城乡建设局/张三", "窗口", "2026-12-31");
    secret = t.secret;
    id = t.token.id;
    CHECK(secret.rfind("jrt_", 0) == 0);
    CHECK(secret.size() == 52);
    CHECK(id.rfind("tk_", 0) == 0);
    CHECK(t.token.kind == ActorKind::staff);
    CHECK(t.token.active);
    auto who = e->authenticate(secret);
    REQUIRE(who);
    CHECK(who->actor == "住房城乡建设局/张三");
    CHECK(who->id == id);
    CHECK_FALSE(e->authenticate(secret.substr(0, 51) + (secret.back() == '0' ? "1" : "0")));
    CHECK_FALSE(e->authenticate(""));
    CHECK_FALSE(e->authenticate("Bearer " + secret));
    forever = e->add_token("admin", "", "").secret;

    // Bad requests change nothing.
    CHECK_THROWS_AS(e->add_token("applicant", "", ""), Error);
    CHECK_THROWS_AS(e->add_token("admin", "", "2026-12-29"), Error);  // before today
    CHECK_THROWS_AS(e->add_token("admin", "", "2026-13-01"), Error);
    CHECK_THROWS_AS(e->add_token("admin", "", "31.12.2026"), Error);
    CHECK(e->tokens().size() == 2);
    try {
      e->revoke_token("tk_000000000000");
      FAIL("revoked an unknown token");
    } catch (const Error& err) {
      CHECK(err.code() == Error::Code::not_found);
      CHECK(std::string(err.reason()) == "unknown_token");
    }
  }
  // Only the SHA-256 of a secret is in the database.
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM tokens") == "2");
  CHECK(sql_scalar(d.db(), "SELECT count(*) FROM tokens WHERE hash LIKE '%" + secret.substr(4, 20) + "%'") == "0");
  CHECK(sql_scalar(d.db(), "SELECT length(hash) FROM tokens LIMIT 1") == "64");
  {
    // Kept across a reopen; valid through its last day, not after.
    auto e = Engine::open(options(d, clock));
    CHECK(e->authenticate(secret));
    clock->set(FakeClock::at("2026-12-31T23:59")->now());
    CHECK(e->authenticate(secret));
    clock->set(FakeClock::at("2027-01-01T00:00")->now());
    CHECK_FALSE(e->authenticate(secret));
    CHECK_FALSE(e->tokens()[0].active);
    CHECK(e->authenticate(forever));
    // Revoked for good: the same answer again, and not after a reopen.
    const std::string admin_id = e->tokens()[1].id;
    AccessToken r = e->revoke_token(admin_id);
    CHECK_FALSE(r.active);
    CHECK_FALSE(r.revoked.empty());
    CHECK(e->revoke_token(admin_id).revoked == r.revoked);
    CHECK_FALSE(e->authenticate(forever));
    auto j = nlohmann::json::parse(access_tokens_json(e->tokens()));
    CHECK(j[1]["kind"] == "admin");
    CHECK(j[1]["active"] == false);
    CHECK(j[0]["expires"] == "2026-12-31");
    CHECK(j[1]["expires"].is_null());
  }
  {
    auto e = Engine::open(options(d, clock));
    CHECK_FALSE(e->authenticate(forever));
    EngineOptions ro = options(d, clock);
    ro.read_only = true;
    auto reader = Engine::open(ro);
    CHECK(reader->tokens().size() == 2);
    CHECK_THROWS_AS(reader->add_token("admin", "", ""), Error);
  }
}

TEST_CASE("tokens: a steward, a supervisor or an admin acts on no step, and the refusal is logged",
          "[runtime][tokens]") {
  TempDir d;
  auto clock = FakeClock::at("2026-03-02T09:00");
  auto e = Engine::open(options(d, clock));
  StartRequest s;
  s.workflow_file = std::string(JR_SOURCE_DIR) + "/workflows/four-certificates.yaml";
  s.project = "厂房";
  const std::string id = e->start(s);
  for (const char* who : {"supervisor", "steward:李四", "admin:ops"}) {
    INFO(who);
    try {
      e->act({id, "filing", "submit", who});
      FAIL("accepted");
    } catch (const Error& err) {
      CHECK(err.code() == Error::Code::forbidden);
      CHECK(std::string(err.what()).find("acts on no step") != std::string::npos);
    }
  }
  int refusals = 0;
  for (const auto& ev : e->events(id)) refusals += ev.kind == "refused";
  CHECK(refusals == 3);
}

// Faults contained (issue 14, item 6): an engine under concurrent load of
// starts and acts from several threads is killed (SIGKILL) at random
// moments; after each kill every acknowledged call is in the database,
// nothing is half-written (integrity_check), and the audit chain verifies.
// Bounded here (a dozen kills); bench/kill_bench.sh runs 200.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "helpers.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"

using namespace jointreview;
using jr_test::options;
using jr_test::sql_scalar;
using jr_test::TempDir;

namespace {

const char* const kFlow = R"(workflow: kill
departments: {A: {}}
steps:
  - {id: s, department: A, days: 5}
)";

// The child: three threads start instances and submit them; each call is
// reported on `fd` once it has returned (acknowledged = durable).
[[noreturn]] void load(const TempDir& d, const std::string& wf, int fd) {
  try {
    EngineOptions o = options(d, FakeClock::at("2026-03-02T09:00"));
    o.synchronous = "full";
    auto e = Engine::open(o);
    std::vector<std::thread> ts;
    for (int t = 0; t < 3; ++t)
      ts.emplace_back([&] {
        for (;;) {
          const std::string id = e->start({wf, "p"});
          const std::string a = "S " + id + "\n";
          if (::write(fd, a.data(), a.size()) < 0) ::_exit(3);
          e->act({id, "s", "submit", "applicant"});
          const std::string b = "A " + id + "\n";
          if (::write(fd, b.data(), b.size()) < 0) ::_exit(3);
        }
      });
    for (auto& t : ts) t.join();
  } catch (...) {
  }
  ::_exit(2);
}

}  // namespace

TEST_CASE("killed under load, an engine loses nothing it acknowledged and half-writes nothing", "[runtime][kill]") {
  TempDir d;
  const std::string wf = d.file("kill.yaml", kFlow);
  // bench/kill_bench.sh sets more rounds (200) and its own seed.
  const char* env_rounds = std::getenv("JR_KILL_ROUNDS");
  const char* env_seed = std::getenv("JR_KILL_SEED");
  const int rounds = env_rounds ? std::max(1, std::atoi(env_rounds)) : 12;
  std::mt19937 rng(env_seed ? static_cast<unsigned>(std::strtoul(env_seed, nullptr, 10)) : 20261202u);
  std::set<std::string> started, submitted;
  for (int round = 0; round < rounds; ++round) {
    INFO("round " << round);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      load(d, wf, fds[1]);
    }
    ::close(fds[1]);
    // The kill comes at a random moment after the first acknowledgement, so
    // that every round kills an engine at work (however slow its build).
    std::string acks;
    char buf[4096];
    if (const ssize_t n = ::read(fds[0], buf, sizeof buf); n > 0) acks.append(buf, static_cast<std::size_t>(n));
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(5, 150)(rng)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) acks.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    std::istringstream in(acks);
    for (std::string kind, id; in >> kind >> id;) (kind == "S" ? started : submitted).insert(id);
    // After each kill: all of it there, the file sound, the chain whole.
    CHECK(sql_scalar(d.db(), "PRAGMA integrity_check") == "ok");
    CHECK(verify_audit_trail(d.db()).ok);
    auto e = Engine::open(options(d, FakeClock::at("2026-03-02T09:00")));
    std::set<std::string> have;
    for (const auto& s : e->instances()) {
      have.insert(s.instance);
      if (submitted.count(s.instance)) CHECK(s.steps[0].state == "submitted");
    }
    for (const auto& id : started) CHECK(have.count(id) == 1);
  }
  CHECK(started.size() >= static_cast<std::size_t>(rounds));  // every round killed an engine at work
}

// libFuzzer target: the routes of jreview serve (server/api.cpp) without a
// socket: routing, percent-decoding, query and header parsing, JSON bodies,
// authorisation. One engine on a scratch database with a fake clock, a
// deployed four-certificates workflow and one token of each kind; the input
// is a request:
//   METHOD TARGET            the first line
//   Name: value              headers, until an empty line
//   BODY                     the rest
// An Authorization value of "as:KIND" (admin, applicant, department, staff,
// steward, supervisor) is replaced by that token's secret. A problem answer
// is an answer, not a finding; what is checked: exactly one answer, a status
// from 200 to 599, a JSON body where it says JSON, and no crash or hang.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "jointreview/engine.h"
#include "server/api.h"

#if !defined(JR_FUZZ_WORKFLOWS) && defined(JR_SOURCE_DIR)
#define JR_FUZZ_WORKFLOWS JR_SOURCE_DIR "/workflows"
#endif
#ifndef JR_FUZZ_WORKFLOWS
#error "JR_FUZZ_WORKFLOWS is not defined (fuzz/CMakeLists.txt)"
#endif

namespace jr_fuzz::server_detail {

struct State {
  std::string dir;
  std::unique_ptr<jointreview::Engine> engine;
  std::unique_ptr<jointreview::server::Api> api;
  std::map<std::string, std::string> secrets;  // by kind
  int inputs = 0;
  int generation = 0;
};

inline State& state() {
  static State s;
  return s;
}

inline void close_engine(State& s) {
  s.api.reset();
  s.engine.reset();
  if (s.generation > 0) {
    const std::string db = s.dir + "/fuzz-" + std::to_string(s.generation - 1) + ".db";
    for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::remove((db + suffix).c_str());
  }
}

inline void open_engine(State& s) {
  close_engine(s);
  jointreview::EngineOptions o;
  o.database = s.dir + "/fuzz-" + std::to_string(s.generation++) + ".db";
  o.clock = jointreview::FakeClock::at("2026-03-02T09:00");
  o.background_timers = false;
  o.synchronous = "normal";
  s.engine = jointreview::Engine::open(o);
  s.engine->deploy(std::string(JR_FUZZ_WORKFLOWS) + "/four-certificates.yaml");
  s.secrets = {{"admin", s.engine->add_token("admin", "", "").secret},
               {"applicant", s.engine->add_token("applicant:甲公司", "", "").secret},
               {"department", s.engine->add_token("发展改革委", "", "").secret},
               {"staff", s.engine->add_token("发展改革委/张三", "", "").secret},
               {"steward", s.engine->add_token("steward:李四", "", "").secret},
               {"supervisor", s.engine->add_token("supervisor", "", "").secret}};
  jointreview::StartRequest r;
  r.workflow = "four-certificates";
  r.project = "厂房";
  r.applicant = "甲公司";
  s.engine->start_instance(r);  // 20260302-000001
  jointreview::ServerOptions so;
  so.max_in_flight = 1000;
  s.api = std::make_unique<jointreview::server::Api>(*s.engine, so);
}

inline void close_all() {
  State& s = state();
  close_engine(s);
  if (!s.dir.empty()) rmdir(s.dir.c_str());
}

inline void init(State& s) {
  char tmpl[] = "/tmp/jr-fuzz-server-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  s.dir = tmpl;
  open_engine(s);
  std::atexit(close_all);
}

}  // namespace jr_fuzz::server_detail

namespace jr_fuzz {

inline int run_server(const std::uint8_t* data, std::size_t size) {
  using namespace server_detail;
  State& s = state();
  if (!s.engine) init(s);
  if (++s.inputs % 2000 == 0) open_engine(s);  // the database stays small
  const std::string in(reinterpret_cast<const char*>(data), size);
  jointreview::server::Request r;
  std::size_t at = in.find('\n');
  const std::string first = in.substr(0, at);
  const auto space = first.find(' ');
  r.method = first.substr(0, space);
  r.target = space == std::string::npos ? "/" : first.substr(space + 1);
  while (at != std::string::npos) {
    const std::size_t next = in.find('\n', at + 1);
    const std::string line = in.substr(at + 1, next == std::string::npos ? std::string::npos : next - at - 1);
    at = next;
    if (line.empty()) break;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon), value = line.substr(colon + 1);
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    if (name == "authorization" && value.rfind("as:", 0) == 0) {
      auto it = s.secrets.find(value.substr(3));
      if (it != s.secrets.end()) value = "Bearer " + it->second;
    }
    r.headers[name] = value;
  }
  if (at != std::string::npos) r.body = in.substr(at + 1);
  if (r.body.size() > (1 << 16)) return 0;
  auto answered = std::make_shared<std::promise<jointreview::server::Response>>();
  auto count = std::make_shared<std::atomic<int>>(0);
  s.api->handle(r, [answered, count](jointreview::server::Response&& res) {
    if (count->fetch_add(1) == 0) answered->set_value(std::move(res));
  });
  auto fut = answered->get_future();
  if (fut.wait_for(std::chrono::seconds(5)) != std::future_status::ready) {
    std::fprintf(stderr, "fuzz_server: no answer to %s %s\n", r.method.c_str(), r.target.c_str());
    std::abort();
  }
  const jointreview::server::Response res = fut.get();
  if (res.status < 200 || res.status > 599) {
    std::fprintf(stderr, "fuzz_server: status %d\n", res.status);
    std::abort();
  }
  if (res.content_type.find("json") != std::string::npos && !res.body.empty() &&
      nlohmann::json::parse(res.body, nullptr, false).is_discarded()) {
    std::fprintf(stderr, "fuzz_server: a JSON answer that is not JSON: %s\n", res.body.c_str());
    std::abort();
  }
  // An answer is given once: a second one would show up here by now.
  if (count->load() != 1) std::abort();
  return 0;
}

}  // namespace jr_fuzz

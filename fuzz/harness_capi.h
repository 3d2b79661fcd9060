// libFuzzer target: the C API's text inputs (jointreview.h): the simulation
// options JSON, plan requests, and the start / act / exclude requests and
// queries of a live engine, opened once on a scratch database with a fake
// clock.
//
// The input is a script, one call a line, fields separated by tabs:
//   sim JSON                    jr_workflow_simulate (runs, projects and
//                               threads clamped so that one input stays fast)
//   plan START FORMAT           jr_workflow_plan
//   start PROJECT APPLICANT GREEN   a new instance, the current one from then on
//   act STEP ACTION ACTOR NOTE MATERIAL DAYS   on the current instance
//   exclude STEP ACTOR DAYS GROUND NOTE
//   status | events | instances | calendars | stats | today | fire
//   queue DEPT | report WEEK | clock TIME | advance SECONDS
// Every input first starts an instance of four-certificates.yaml. A status
// other than JR_OK is an answer, not a finding; crashes, leaks, sanitizer
// reports and hangs are. An input that moves the clock out of 2026-2027 gets
// a fresh database after it, and so does every 500th input, so that inputs
// stay nearly independent.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "jointreview/jointreview.h"

// The fuzz build defines it (fuzz/CMakeLists.txt); the tests have JR_SOURCE_DIR.
#if !defined(JR_FUZZ_WORKFLOWS) && defined(JR_SOURCE_DIR)
#define JR_FUZZ_WORKFLOWS JR_SOURCE_DIR "/workflows"
#endif
#ifndef JR_FUZZ_WORKFLOWS
#error "JR_FUZZ_WORKFLOWS is not defined (fuzz/CMakeLists.txt)"
#endif

namespace jr_fuzz::capi_detail {

const std::string kWorkflow = std::string(JR_FUZZ_WORKFLOWS) + "/four-certificates.yaml";
const std::string kSmallWorkflow = std::string(JR_FUZZ_WORKFLOWS) + "/company-change.yaml";

struct State {
  std::string dir;
  int generation = 0;
  int inputs = 0;
  jr_engine* engine = nullptr;
  jr_workflow* workflow = nullptr;  // for sim and plan
  bool exit_registered = false;
};

inline State& state() {
  static State s;
  return s;
}

inline void forget(jr_error* err) { jr_error_free(err); }
inline void take(char* out) { jr_string_free(out); }

inline void open_engine(State& s) {
  if (s.engine) jr_engine_close(s.engine);
  s.engine = nullptr;
  std::string db = s.dir + "/fuzz-" + std::to_string(s.generation) + ".db";
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::remove((s.dir + "/fuzz-" + std::to_string(s.generation - 1) + ".db" + suffix).c_str());
  ++s.generation;
  jr_engine_options* o = jr_engine_options_create();
  jr_engine_options_set_database(o, db.c_str(), JR_NTS);
  jr_engine_options_set_clock(o, "2026-03-02T09:00", JR_NTS);
  jr_engine_options_set_background_timers(o, 0);
  jr_engine_options_set_synchronous(o, "normal", JR_NTS);
  jr_error* err = nullptr;
  if (jr_engine_open(o, &s.engine, &err) != JR_OK) {
    std::fprintf(stderr, "fuzz_capi: cannot open %s: %s\n", db.c_str(), jr_error_message(err, nullptr));
    std::abort();
  }
  jr_engine_options_free(o);
}

inline void close_all() {
  State& s = state();
  if (s.engine) jr_engine_close(s.engine);
  s.engine = nullptr;
  jr_workflow_free(s.workflow);
  s.workflow = nullptr;
  std::string db = s.dir + "/fuzz-" + std::to_string(s.generation - 1) + ".db";
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) std::remove((db + suffix).c_str());
  rmdir(s.dir.c_str());
}

inline void init(State& s) {
  char tmpl[] = "/tmp/jr-fuzz-capi-XXXXXX";
  if (!mkdtemp(tmpl)) std::abort();
  s.dir = tmpl;
  jr_error* err = nullptr;
  if (jr_workflow_load_file(kSmallWorkflow.c_str(), JR_NTS, 0, &s.workflow, &err) != JR_OK) {
    std::fprintf(stderr, "fuzz_capi: cannot load %s\n", kSmallWorkflow.c_str());
    std::abort();
  }
  open_engine(s);
}

inline std::vector<std::string> split(std::string_view line, char sep) {
  std::vector<std::string> f;
  std::size_t at = 0;
  for (;;) {
    std::size_t end = line.find(sep, at);
    f.emplace_back(line.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
    if (end == std::string_view::npos) return f;
    at = end + 1;
  }
}

// Keeps a simulation small: at most 16 runs of at most 4 projects on 2 threads.
inline std::string clamp_simulation(const std::string& text) {
  nlohmann::json o = nlohmann::json::parse(text, nullptr, false);
  if (o.is_discarded() || !o.is_object()) return text;  // the library's parser answers
  auto cap = [&](const char* key, std::int64_t most, bool always) {
    auto it = o.find(key);
    if (it == o.end()) {
      if (always) o[key] = most;
    } else if (it->is_number() && !(it->is_number_integer() && it->get<std::int64_t>() <= most)) {
      if (!(it->is_number_integer() && it->get<std::int64_t>() < 0)) *it = most;
    }
  };
  cap("runs", 16, true);
  cap("projects", 4, false);
  cap("green_projects", 4, false);
  cap("threads", 2, true);
  cap("histogram_bins", 1000, false);
  return o.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

inline bool run_line(State& s, const std::string& id, const std::vector<std::string>& f) {
  const std::string& op = f[0];
  auto arg = [&](std::size_t i) -> const std::string& {
    static const std::string empty;
    return i < f.size() ? f[i] : empty;
  };
  // A field "-" is NULL (an optional argument left out).
  auto ptr = [&](std::size_t i) -> const char* { return arg(i) == "-" ? nullptr : arg(i).data(); };
  auto len = [&](std::size_t i) -> std::size_t { return arg(i) == "-" ? 0 : arg(i).size(); };
  auto number = [&](std::size_t i) { return std::strtod(arg(i).c_str(), nullptr); };
  jr_error* err = nullptr;
  char* out = nullptr;
  std::size_t out_len = 0;
  jr_engine* e = s.engine;
  if (op == "sim") {
    std::string j = clamp_simulation(arg(1));
    jr_workflow_simulate(s.workflow, j.data(), j.size(), &out, &out_len, &err);
  } else if (op == "plan") {
    jr_workflow_plan(s.workflow, ptr(1), len(1), ptr(2), len(2), &out, &out_len, &err);
  } else if (op == "act") {
    jr_engine_act(e, id.data(), id.size(), ptr(1), len(1), ptr(2), len(2), ptr(3), len(3), ptr(4), len(4), ptr(5),
                  len(5), number(6), &err);
  } else if (op == "exclude") {
    jr_engine_exclude(e, id.data(), id.size(), ptr(1), len(1), ptr(2), len(2), number(3), ptr(4), len(4), ptr(5),
                      len(5), &err);
  } else if (op == "status") {
    jr_engine_status(e, id.data(), id.size(), &out, &out_len, &err);
  } else if (op == "events") {
    jr_engine_events(e, id.data(), id.size(), &out, &out_len, &err);
  } else if (op == "instances") {
    jr_engine_instances(e, &out, &out_len, &err);
  } else if (op == "calendars") {
    jr_engine_calendars(e, &out, &out_len, &err);
  } else if (op == "stats") {
    jr_engine_stats(e, &out, &out_len, &err);
  } else if (op == "today") {
    jr_engine_today(e, &out, &out_len, &err);
  } else if (op == "fire") {
    jr_engine_fire_due_timers(e, &err);
  } else if (op == "queue") {
    jr_engine_worklist(e, ptr(1), len(1), &out, &out_len, &err);
  } else if (op == "report") {
    jr_engine_weekly_report(e, ptr(1), len(1), &out, &out_len, &err);
  } else if (op == "clock") {
    jr_engine_set_clock(e, ptr(1), len(1), &err);
    forget(err);
    return true;
  } else if (op == "advance") {
    // At most a year at a time: the timers of longer jumps are a test of
    // patience, not of the inputs.
    double sec = number(1);
    std::int64_t secs = std::isfinite(sec) ? static_cast<std::int64_t>(std::fmax(-1e9, std::fmin(sec, 3.2e7))) : 0;
    jr_engine_advance_clock(e, secs, &err);
    forget(err);
    return true;
  }
  take(out);
  forget(err);
  return false;
}

}  // namespace jr_fuzz::capi_detail

namespace jr_fuzz {

// One input; always returns 0 (libFuzzer's convention).
inline int run_capi(const std::uint8_t* data, std::size_t size) {
  using namespace capi_detail;
  State& s = state();
  if (!s.engine) init(s);
  if (++s.inputs % 500 == 0) open_engine(s);

  jr_error* err = nullptr;
  char* id = nullptr;
  std::size_t id_len = 0;
  if (jr_engine_start(s.engine, kWorkflow.c_str(), JR_NTS, "fuzz project", JR_NTS, nullptr, 0, 0, &id, &id_len,
                      &err) != JR_OK) {
    std::fprintf(stderr, "fuzz_capi: start failed: %s\n", jr_error_message(err, nullptr));
    std::abort();
  }
  std::string current(id, id_len);
  take(id);
  // Closed at exit before OpenSSL's own cleanup, which the first commit (its
  // audit hash) registers with atexit: handlers run last in, first out, and
  // an engine closed after that cleanup leaves OpenSSL's per-thread state
  // behind (a leak report at exit).
  if (!s.exit_registered) {
    std::atexit(close_all);
    s.exit_registered = true;
  }

  bool clock_moved = false;
  std::string_view script(reinterpret_cast<const char*>(data), size);
  int calls = 0;
  for (const std::string& line : split(script, '\n')) {
    if (line.empty()) continue;
    if (++calls > 64) break;  // a script of many thousands of calls is a slow input, not a finding
    std::vector<std::string> f = split(line, '\t');
    if (f[0] == "start") {
      const std::string project = f.size() > 1 ? f[1] : "";
      const std::string applicant = f.size() > 2 ? f[2] : "-";
      int green = f.size() > 3 && f[3] == "1";
      char* nid = nullptr;
      std::size_t nid_len = 0;
      if (jr_engine_start(s.engine, kWorkflow.c_str(), JR_NTS, project.data(), project.size(),
                          applicant == "-" ? nullptr : applicant.data(), applicant == "-" ? 0 : applicant.size(),
                          green, &nid, &nid_len, &err) == JR_OK) {
        current.assign(nid, nid_len);
        take(nid);
      }
      forget(err);
      err = nullptr;
      continue;
    }
    clock_moved |= run_line(s, current, f);
  }
  // The clock cannot be set back: once it has left 2026 and 2027 (the years
  // the calendar publishes or counts provisionally near the start) the next
  // inputs would meet only out-of-range refusals, so they get a fresh database.
  if (clock_moved) {
    char* today = nullptr;
    std::size_t today_len = 0;
    bool near = false;
    if (jr_engine_today(s.engine, &today, &today_len, &err) == JR_OK) {
      std::string t(today, today_len);
      near = t.rfind("2026-", 0) == 0 || t.rfind("2027-", 0) == 0;
    }
    take(today);
    forget(err);
    if (!near) open_engine(s);
  }
  return 0;
}

}  // namespace jr_fuzz

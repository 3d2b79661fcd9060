// History benchmark (issue 15 item 2): memory proportional to open work.
// A database of F finished (completed) and R running instances, built once
// through the engine's asynchronous API and kept in --dir; then, per run:
//
//   settled   Engine::open on it, as this build runs: only the R running
//             instances are read and held. Open time, resident memory
//             added by the open, a filtered query (Engine::query: running,
//             自然资源局 with open work, 50 a page), status() of
//             finished instances (read back from their rows) and of running
//             ones (held).
//   all-held  the peer: the same database with every row marked resident
//             (what every build before schema 6 did: each instance held),
//             opened read-only so that nothing lets them go. Same figures.
//   raw       the floor of an open: reading the held instances' rows with
//             one prepared SQLite statement and nothing else.
//
// Each measurement runs in a child process of its own (fork), so that its
// resident memory is its own. Runs alternate; the summary gives medians
// and the ratio settled / all-held.
//
// Usage: history_bench [--finished F] [--running R] [--runs N] [--dir DIR]
//                      [--workflow FILE] [--rebuild]
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "jointreview/engine.h"
#include "jointreview/error.h"

namespace fs = std::filesystem;
namespace jr = jointreview;

namespace {

struct Config {
  int finished = 200000;
  int running = 10000;
  int runs = 3;
  std::string dir = "bench-data";
  std::string workflow = "bench/joint_review_bench.yaml";
  bool rebuild = false;
};

struct Step {
  const char* id;
  const char* department;
};
// bench/joint_review_bench.yaml: three reviews at once, then the permit.
const Step kSteps[] = {{"land_review", "自然资源局"},
                       {"planning_review", "住房城乡建设局"},
                       {"eia_review", "生态环境局"},
                       {"permit", "住房城乡建设局"}};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// This process's resident memory, MiB (/proc/self/statm).
double rss_mib() {
  std::ifstream f("/proc/self/statm");
  long pages = 0, resident = 0;
  f >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Builds the database: F instances driven to completion, R left with their
// first step accepted (a deadline pending), W at a time in flight.
void build(const Config& cfg, const std::string& db) {
  fs::remove(db);
  fs::remove(db + "-wal");
  fs::remove(db + "-shm");
  jr::EngineOptions o;
  o.database = db;
  o.synchronous = "normal";
  o.background_timers = false;
  o.max_batch = 8192;
  auto engine = jr::Engine::open(o);
  const int total = cfg.finished + cfg.running;
  const int window = 1000;
  std::mutex m;
  std::condition_variable cv;
  int started = 0, done = 0;
  std::exception_ptr failure;
  std::vector<std::string> ids(static_cast<std::size_t>(total));
  std::function<void(int)> launch;
  auto fail = [&](std::exception_ptr err) {
    std::lock_guard<std::mutex> l(m);
    if (!failure) failure = err;
    done = total;
    cv.notify_all();
  };
  // Call k of instance i: submit, accept, approve per step; a running one
  // stops after its first step's accept.
  std::function<void(int, int)> next = [&](int i, int k) {
    const int last = i < cfg.finished ? 12 : 2;
    if (k == last) {
      int n;
      {
        std::lock_guard<std::mutex> l(m);
        ++done;
        n = started < total ? started++ : -1;
        if (done == total) cv.notify_all();
      }
      if (n >= 0) launch(n);
      return;
    }
    const Step& s = kSteps[k / 3];
    jr::ActRequest a;
    a.instance = ids[static_cast<std::size_t>(i)];
    a.step = s.id;
    a.action = k % 3 == 0 ? "submit" : k % 3 == 1 ? "accept" : "approve";
    a.actor = k % 3 == 0 ? "applicant" : s.department;
    engine->act_async(a, [&, i, k](std::exception_ptr err) {
      if (err) return fail(err);
      next(i, k + 1);
    });
  };
  launch = [&](int i) {
    jr::StartRequest sr;
    sr.workflow_file = cfg.workflow;
    sr.project = "项目" + std::to_string(i);
    engine->start_async(sr, [&, i](const std::string& id, std::exception_ptr err) {
      if (err) return fail(err);
      ids[static_cast<std::size_t>(i)] = id;
      next(i, 0);
    });
  };
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> l(m);
    started = std::min(window, total);
  }
  for (int i = 0; i < std::min(window, total); ++i) launch(i);
  {
    std::unique_lock<std::mutex> l(m);
    cv.wait(l, [&] { return done >= total; });
  }
  if (failure) std::rethrow_exception(failure);
  engine.reset();
  std::printf("built %s: %d finished + %d running in %.1f s\n", db.c_str(), cfg.finished, cfg.running,
              seconds_since(t0));
}

std::vector<std::string> ids_where(const std::string& db, const std::string& where, int limit) {
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) throw std::runtime_error("open");
  const std::string sql =
      "SELECT id FROM instances WHERE " + where + " ORDER BY random() LIMIT " + std::to_string(limit);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr);
  std::vector<std::string> out;
  while (sqlite3_step(st) == SQLITE_ROW) out.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

struct Figures {
  double open_s = 0, rss_mib = 0, held = 0, query_ms = 0, status_finished_ms = 0, status_running_ms = 0;
};

// One measurement in this (child) process.
Figures measure_engine(const std::string& db, bool read_only, const std::vector<std::string>& finished,
                       const std::vector<std::string>& running) {
  Figures f;
  const double rss0 = rss_mib();
  jr::EngineOptions o;
  o.database = db;
  o.read_only = read_only;
  o.background_timers = false;
  const auto t0 = std::chrono::steady_clock::now();
  auto engine = jr::Engine::open(o);
  f.open_s = seconds_since(t0);
  f.rss_mib = rss_mib() - rss0;
  f.held = double(engine->stats().instances);
  jr::InstanceFilter q;
  q.state = "running";
  q.department = "自然资源局";
  q.limit = 50;
  std::vector<double> qs, sf, sr;
  for (int k = 0; k < 20; ++k) {
    const auto t = std::chrono::steady_clock::now();
    const jr::InstancePage p = engine->query(q);
    qs.push_back(seconds_since(t) * 1e3);
    if (p.instances.size() != 50) throw std::runtime_error("the query found " + std::to_string(p.instances.size()));
  }
  for (const auto& id : finished) {
    const auto t = std::chrono::steady_clock::now();
    if (engine->status(id).state != "completed") throw std::runtime_error(id + " is not completed");
    sf.push_back(seconds_since(t) * 1e3);
  }
  for (const auto& id : running) {
    const auto t = std::chrono::steady_clock::now();
    if (engine->status(id).state != "running") throw std::runtime_error(id + " is not running");
    sr.push_back(seconds_since(t) * 1e3);
  }
  f.query_ms = median(qs);
  f.status_finished_ms = median(sf);
  f.status_running_ms = median(sr);
  return f;
}

// The floor: the held instances' rows read with one statement.
Figures measure_raw(const std::string& db) {
  Figures f;
  const double rss0 = rss_mib();
  const auto t0 = std::chrono::steady_clock::now();
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) throw std::runtime_error("open");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(h, "SELECT id, workflow_hash, snapshot, claims FROM instances WHERE resident = 1", -1, &st,
                     nullptr);
  std::vector<std::pair<std::string, std::string>> rows;
  while (sqlite3_step(st) == SQLITE_ROW)
    rows.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                      std::string(static_cast<const char*>(sqlite3_column_blob(st, 2)),
                                  static_cast<std::size_t>(sqlite3_column_bytes(st, 2))));
  sqlite3_finalize(st);
  f.open_s = seconds_since(t0);
  f.rss_mib = rss_mib() - rss0;
  f.held = double(rows.size());
  sqlite3_close(h);
  return f;
}

// Runs fn in a child process; its figures come back through a pipe.
Figures in_child(const std::function<Figures()>& fn) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe");
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork");
  if (pid == 0) {
    ::close(fds[0]);
    int code = 0;
    try {
      const Figures f = fn();
      if (::write(fds[1], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) code = 3;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "history_bench: %s\n", e.what());
      code = 2;
    }
    ::_exit(code);
  }
  ::close(fds[1]);
  Figures f;
  const ssize_t got = ::read(fds[0], &f, sizeof f);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (got != static_cast<ssize_t>(sizeof f) || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("a measurement failed");
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--finished") cfg.finished = std::stoi(val());
    else if (a == "--running") cfg.running = std::stoi(val());
    else if (a == "--runs") cfg.runs = std::stoi(val());
    else if (a == "--dir") cfg.dir = val();
    else if (a == "--workflow") cfg.workflow = val();
    else if (a == "--rebuild") cfg.rebuild = true;
    else {
      std::fprintf(stderr, "usage: history_bench [--finished F] [--running R] [--runs N] [--dir DIR] "
                           "[--workflow FILE] [--rebuild]\n");
      return 2;
    }
  }
  try {
    fs::create_directories(cfg.dir);
    const std::string tag = std::to_string(cfg.finished) + "-" + std::to_string(cfg.running);
    const std::string db = (fs::path(cfg.dir) / ("history-" + tag + ".db")).string();
    const std::string peer = (fs::path(cfg.dir) / ("history-" + tag + "-all-held.db")).string();
    if (cfg.rebuild || !fs::exists(db)) build(cfg, db);
    // The peer: a copy with every row resident (the engine closed the
    // original, so the file holds everything).
    fs::copy_file(db, peer, fs::copy_options::overwrite_existing);
    {
      sqlite3* h = nullptr;
      sqlite3_open(peer.c_str(), &h);
      sqlite3_exec(h, "UPDATE instances SET resident = 1", nullptr, nullptr, nullptr);
      sqlite3_close(h);
    }
    const auto finished = ids_where(db, "state = 'completed'", 200);
    const auto running = ids_where(db, "state = 'running'", 200);
    std::printf("database: %s (%.0f MiB), %d finished + %d running; %d runs\n", db.c_str(),
                double(fs::file_size(db)) / (1024.0 * 1024.0), cfg.finished, cfg.running, cfg.runs);
    std::map<std::string, std::vector<Figures>> all;
    for (int r = 0; r < cfg.runs; ++r) {
      all["settled"].push_back(in_child([&] { return measure_engine(db, false, finished, running); }));
      all["all-held"].push_back(in_child([&] { return measure_engine(peer, true, finished, running); }));
      all["raw"].push_back(in_child([&] { return measure_raw(db); }));
    }
    auto med = [&](const std::string& k, double Figures::*field) {
      std::vector<double> v;
      for (const auto& f : all[k]) v.push_back(f.*field);
      return median(v);
    };
    std::printf("\n| variant | held instances | open s | RSS added MiB | query ms | status finished ms | "
                "status running ms |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (const char* k : {"settled", "all-held", "raw"}) {
      const bool raw = std::string(k) == "raw";
      std::printf("| %s | %.0f | %.3f | %.1f | %s | %s | %s |\n", k, med(k, &Figures::held),
                  med(k, &Figures::open_s), med(k, &Figures::rss_mib),
                  raw ? "" : std::to_string(med(k, &Figures::query_ms)).substr(0, 6).c_str(),
                  raw ? "" : std::to_string(med(k, &Figures::status_finished_ms)).substr(0, 6).c_str(),
                  raw ? "" : std::to_string(med(k, &Figures::status_running_ms)).substr(0, 6).c_str());
    }
    std::printf("\nsettled / all-held: open %.2f, RSS %.2f; settled open / raw read of the same rows: %.2f\n",
                med("settled", &Figures::open_s) / med("all-held", &Figures::open_s),
                med("settled", &Figures::rss_mib) / med("all-held", &Figures::rss_mib),
                med("settled", &Figures::open_s) / med("raw", &Figures::open_s));
    fs::remove(peer);
    fs::remove(peer + "-wal");
    fs::remove(peer + "-shm");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "history_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}

// Runtime benchmark (issue 4 item 7): durable joint-review instances per
// second through the public Engine API, against raw SQLite writing the very
// same event rows in the same process, with the same group commit.
//
//   ┌─► land_review ────┐
//   ├─► planning_review ┼─► permit          bench/joint_review_bench.yaml
//   └─► eia_review ─────┘
//
// One instance = start + 4 steps x (submit, accept, approve) = 13 calls;
// the engine decides how many event rows they make (printed per run). T client threads each drive instances one after another;
// every call returns only after its transaction committed, so the batches
// that form come from the concurrency alone.
//
// Per run and per synchronous mode:
//   engine   Engine::open(synchronous=...), T threads calling start/act.
//   raw      the same database schema (created by the engine, then closed),
//            one writer thread with prepared statements and the same group
//            commit (everything queued, at most max_batch calls, in one
//            transaction, then acknowledged); the T client threads post the
//            rows of each call and wait. The rows are the ones the engine
//            wrote in this run, read back from its database: same text, same
//            calls, same order per instance.
//   raw+state  raw, plus current-state rows in every transaction (one
//            instances upsert per instance touched in a transaction, one
//            steps upsert per step touched): what the engine wrote before
//            its current-state tables became checkpoints of the log, kept
//            to show what that design cost.
//
// Runs alternate engine and raw so that machine noise hits both; the summary
// gives medians of instances/s and the median of the per-run ratios.
//
// Usage: runtime_bench [--instances N] [--threads T] [--runs R]
//                      [--sync full,normal] [--dir DIR] [--workflow FILE]
//                      [--max-batch B] [--no-state-variant] [--async W]
//                      [--checkpoint-ms MS]
//
// --async W: no client threads; W instances are kept in flight through
// Engine::start_async/act_async, each completion issuing the instance's next
// call (and raw's writer queues each acknowledged call's successor alike).
#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "jointreview/engine.h"
#include "jointreview/error.h"

namespace fs = std::filesystem;
namespace jr = jointreview;

namespace {

struct Config {
  int instances = 2000;
  int threads = 64;
  int runs = 5;
  std::vector<std::string> syncs{"full", "normal"};
  std::string dir = "bench-data";
  std::string workflow;
  std::size_t max_batch = 512;
  bool state_variant = true;
  int inflight = 0;  // --async W: W instances in flight on the asynchronous API, no client threads
  int checkpoint_ms = -1;  // --checkpoint-ms: EngineOptions::checkpoint_interval (default: the engine's)
};

// The workflow's steps, the department that accepts and approves each, in
// the order the clients drive them (the permit last: it needs the others).
struct StepPlan {
  const char* id;
  const char* department;
};
constexpr StepPlan kPlan[] = {
    {"land_review", "自然资源局"},
    {"planning_review", "住房城乡建设局"},
    {"eia_review", "生态环境局"},
    {"permit", "住房城乡建设局"},
};
constexpr int kActsPerInstance = 1 + 4 * 3;  // start + submit/accept/approve per step

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void remove_db(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(path + suffix);
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// ---------------------------------------------------------------- engine

struct EngineResult {
  double seconds = 0;
  double calls_per_txn = 0;  // from Engine::stats(), over the timed part
  std::vector<std::string> ids;  // instances driven in the timed part, in start order
  std::string warmup_id;
};

EngineResult run_engine(const Config& cfg, const std::string& db, const std::string& sync) {
  jr::EngineOptions o;
  o.database = db;
  o.synchronous = sync;
  o.max_batch = cfg.max_batch;
  if (cfg.checkpoint_ms >= 0) o.checkpoint_interval = std::chrono::milliseconds(cfg.checkpoint_ms);
  // A Tuesday morning, so that every transition happens in working time.
  o.clock = jr::FakeClock::at("2026-12-01T09:30");
  auto engine = jr::Engine::open(o);

  auto drive = [&](const std::string& project) {
    jr::StartRequest sr;
    sr.workflow_file = cfg.workflow;
    sr.project = project;
    std::string id = engine->start(sr);
    jr::ActRequest a;
    a.instance = id;
    for (const StepPlan& s : kPlan) {
      a.step = s.id;
      a.action = "submit";
      a.actor = "applicant";
      engine->act(a);
      a.action = "accept";
      a.actor = s.department;
      engine->act(a);
      a.action = "approve";
      engine->act(a);
    }
    return id;
  };

  EngineResult r;
  r.warmup_id = drive("warm-up");  // loads and stores the definition outside the timing
  const jr::EngineStats s0 = engine->stats();
  auto batch_size = [&] {
    const jr::EngineStats s1 = engine->stats();
    const double txns = double(s1.transactions - s0.transactions);
    return txns > 0 ? double(s1.calls - s0.calls) / txns : 0.0;
  };
  // The timed part is over: the batch size, and a spot check that the last
  // instance really completed.
  auto finish = [&](std::chrono::steady_clock::time_point t0, std::exception_ptr failure) {
    r.seconds = seconds_since(t0);
    if (failure) std::rethrow_exception(failure);
    r.calls_per_txn = batch_size();
    auto st = engine->status(r.ids.back());
    if (st.state != "completed") throw std::runtime_error("instance " + r.ids.back() + " ended " + st.state);
    return r;
  };
  r.ids.resize(static_cast<std::size_t>(cfg.instances));
  if (cfg.inflight > 0) {
    // Asynchronous: every completion (on the engine's thread) issues the
    // instance's next call; a finished instance makes room for the next one.
    std::mutex m;
    std::condition_variable cv;
    int started = 0, finished = 0;
    std::exception_ptr failure;
    std::function<void(int)> launch;
    auto fail = [&](std::exception_ptr err) {
      std::lock_guard<std::mutex> l(m);
      failure = err;
      finished = cfg.instances;
      cv.notify_all();
    };
    std::function<void(int, int)> step = [&](int i, int k) {
      if (k == kActsPerInstance - 1) {
        int n;
        {
          std::lock_guard<std::mutex> l(m);
          ++finished;
          n = started < cfg.instances ? started++ : -1;
          if (finished == cfg.instances) cv.notify_all();
        }
        if (n >= 0) launch(n);
        return;
      }
      const StepPlan& s = kPlan[k / 3];
      jr::ActRequest a;
      a.instance = r.ids[static_cast<std::size_t>(i)];
      a.step = s.id;
      a.action = k % 3 == 0 ? "submit" : k % 3 == 1 ? "accept" : "approve";
      a.actor = k % 3 == 0 ? "applicant" : s.department;
      engine->act_async(a, [&, i, k](std::exception_ptr err) {
        if (err) return fail(err);
        step(i, k + 1);
      });
    };
    launch = [&](int i) {
      jr::StartRequest sr;
      sr.workflow_file = cfg.workflow;
      sr.project = "项目" + std::to_string(i);
      engine->start_async(sr, [&, i](const std::string& id, std::exception_ptr err) {
        if (err) return fail(err);
        r.ids[static_cast<std::size_t>(i)] = id;
        step(i, 0);
      });
    };
    auto t0 = std::chrono::steady_clock::now();
    const int first = std::min(cfg.inflight, cfg.instances);
    started = first;
    for (int i = 0; i < first; ++i) launch(i);
    {
      std::unique_lock<std::mutex> l(m);
      cv.wait(l, [&] { return finished >= cfg.instances; });
    }
    return finish(t0, failure);
  }
  std::atomic<int> next{0};
  std::vector<std::thread> clients;
  std::atomic<bool> go{false};
  std::exception_ptr failure;
  std::mutex failure_m;
  for (int t = 0; t < cfg.threads; ++t)
    clients.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      try {
        for (int i; (i = next.fetch_add(1)) < cfg.instances;)
          r.ids[static_cast<std::size_t>(i)] = drive("项目" + std::to_string(i));
      } catch (...) {
        std::lock_guard<std::mutex> l(failure_m);
        failure = std::current_exception();
      }
    });
  auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& c : clients) c.join();
  return finish(t0, failure);
}

// ---------------------------------------------------------------- sqlite

class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path);
    sqlite3_busy_timeout(db_, 10000);
  }
  ~Db() {
    for (auto* s : stmts_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("sqlite: " + msg + " in " + sql);
    }
  }
  sqlite3_stmt* prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("prepare: ") + sqlite3_errmsg(db_) + " in " + sql);
    stmts_.push_back(s);
    return s;
  }
  void done(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(std::string("step: ") + sqlite3_errmsg(db_));
    sqlite3_reset(s);
  }
  std::int64_t scalar(const char* sql) {
    sqlite3_stmt* s = nullptr;
    sqlite3_prepare_v2(db_, sql, -1, &s, nullptr);
    std::int64_t v = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return v;
  }
  sqlite3* handle() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> stmts_;
};

std::string col(sqlite3_stmt* s, int i) {
  const unsigned char* p = sqlite3_column_text(s, i);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
           : std::string();
}

void bind(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

// What the engine wrote, regrouped per call: an "action" row opens a call,
// the rows after it (state changes ...) are its effects.
struct EventRow {
  std::string f[12];  // instance time actor kind action step from to note material detail input
};
struct StateRows {
  std::string inst[9];                          // the instances row
  std::map<std::string, std::vector<std::string>> steps;  // step id -> the steps row (8 columns)
};
struct Workload {
  std::vector<std::vector<std::vector<EventRow>>> calls;  // [instance][call] -> rows
  std::vector<StateRows> state;                           // [instance]
  std::vector<std::string> workflow_row;                  // the workflows row the instances reference
  std::size_t rows = 0;
};

Workload read_workload(const std::string& engine_db, const EngineResult& er) {
  Db db(engine_db);
  Workload w;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < er.ids.size(); ++i) index.emplace(er.ids[i], i);
  w.calls.resize(er.ids.size());
  w.state.resize(er.ids.size());
  sqlite3_stmt* s = db.prepare(
      "SELECT instance,time,actor,kind,action,step,from_state,to_state,note,material,detail,input FROM events "
      "ORDER BY seq");
  while (sqlite3_step(s) == SQLITE_ROW) {
    auto it = index.find(col(s, 0));
    if (it == index.end()) continue;  // the warm-up instance
    EventRow row;
    for (int c = 0; c < 11; ++c) row.f[c] = col(s, c);
    if (const void* p = sqlite3_column_blob(s, 11))
      row.f[11].assign(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(s, 11)));
    auto& calls = w.calls[it->second];
    if (row.f[3] == "action" || calls.empty()) calls.emplace_back();
    calls.back().push_back(std::move(row));
    ++w.rows;
  }
  sqlite3_reset(s);
  sqlite3_stmt* si = db.prepare(
      "SELECT id,workflow_hash,project,applicant,green,state,started,finished,snapshot FROM instances");
  while (sqlite3_step(si) == SQLITE_ROW) {
    auto it = index.find(col(si, 0));
    if (it == index.end()) continue;
    for (int c = 0; c < 9; ++c)
      w.state[it->second].inst[c] =
          c == 8 ? std::string(static_cast<const char*>(sqlite3_column_blob(si, 8)),
                               static_cast<std::size_t>(sqlite3_column_bytes(si, 8)))
                 : col(si, c);
  }
  sqlite3_reset(si);
  sqlite3_stmt* ss =
      db.prepare("SELECT instance,idx,step,state,department,deadline,warned,overdue FROM steps ORDER BY instance,idx");
  while (sqlite3_step(ss) == SQLITE_ROW) {
    auto it = index.find(col(ss, 0));
    if (it == index.end()) continue;
    std::vector<std::string> row;
    for (int c = 0; c < 8; ++c) row.push_back(col(ss, c));
    w.state[it->second].steps[row[2]] = std::move(row);
  }
  sqlite3_reset(ss);
  sqlite3_stmt* sw = db.prepare("SELECT hash,id,title,file,bundle FROM workflows");
  if (sqlite3_step(sw) == SQLITE_ROW)
    for (int c = 0; c < 5; ++c) w.workflow_row.push_back(col(sw, c));
  sqlite3_reset(sw);
  for (std::size_t i = 0; i < w.calls.size(); ++i)
    if (w.calls[i].size() != kActsPerInstance)
      throw std::runtime_error("instance " + er.ids[i] + ": expected " + std::to_string(kActsPerInstance) +
                               " calls in the log, found " + std::to_string(w.calls[i].size()));
  return w;
}

struct RawResult {
  double seconds = 0;
  std::size_t transactions = 0;
  std::size_t calls = 0;
};

// One writer thread, group commit; T clients post each call's rows and wait.
RawResult run_raw(const Config& cfg, const std::string& db_path, const std::string& sync, const Workload& w,
                  bool with_state) {
  {
    // The engine creates the schema (tables, index, triggers), then closes.
    jr::EngineOptions o;
    o.database = db_path;
    o.synchronous = sync;
    o.clock = jr::FakeClock::at("2026-12-01T09:30");
    jr::Engine::open(o);
  }
  Db db(db_path);
  db.exec("PRAGMA journal_mode=WAL");
  db.exec(std::string("PRAGMA synchronous=") + (sync == "normal" ? "NORMAL" : "FULL"));
  db.exec("PRAGMA foreign_keys=ON");
  sqlite3_stmt* ins_ev = db.prepare(
      "INSERT INTO events(instance,time,actor,kind,action,step,from_state,to_state,note,material,detail,input) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)");
  sqlite3_stmt* up_inst = db.prepare(
      "INSERT INTO instances(id,workflow_hash,project,applicant,green,state,started,finished,snapshot) "
      "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9) ON CONFLICT(id) DO UPDATE SET state=excluded.state, "
      "finished=excluded.finished, snapshot=excluded.snapshot");
  sqlite3_stmt* up_step = db.prepare(
      "INSERT INTO steps(instance,idx,step,state,department,deadline,warned,overdue) VALUES(?1,?2,?3,?4,?5,?6,?7,?8) "
      "ON CONFLICT(instance,idx) DO UPDATE SET state=excluded.state, deadline=excluded.deadline, "
      "warned=excluded.warned, overdue=excluded.overdue");
  if (with_state) {
    sqlite3_stmt* ins_wf = db.prepare("INSERT OR IGNORE INTO workflows(hash,id,title,file,bundle) VALUES(?1,?2,?3,?4,?5)");
    for (int c = 0; c < 5; ++c) bind(ins_wf, c + 1, w.workflow_row[static_cast<std::size_t>(c)]);
    db.done(ins_wf);
  }

  struct Call {
    std::size_t inst;
    std::size_t call;
    std::promise<void>* ack;
  };
  std::mutex m;
  std::condition_variable cv;
  std::deque<Call> queue;
  bool stop = false;
  RawResult r;
  // Asynchronous driving (--async W): the writer itself queues each
  // acknowledged call's successor, as the engine's completions do.
  std::size_t next_instance = 0, finished = 0;
  const bool async = cfg.inflight > 0;

  std::thread writer([&] {
    std::vector<Call> batch;
    std::set<std::size_t> touched;
    std::set<std::pair<std::size_t, std::string>> touched_steps;
    for (;;) {
      {
        std::unique_lock<std::mutex> l(m);
        cv.wait(l, [&] { return stop || !queue.empty(); });
        if (queue.empty()) return;
        while (!queue.empty() && batch.size() < cfg.max_batch) {
          batch.push_back(queue.front());
          queue.pop_front();
        }
      }
      db.exec("BEGIN IMMEDIATE");
      for (const Call& c : batch) {
        for (const EventRow& row : w.calls[c.inst][c.call]) {
          for (int k = 0; k < 11; ++k) bind(ins_ev, k + 1, row.f[k]);
          if (row.f[11].empty())
            sqlite3_bind_null(ins_ev, 12);
          else
            sqlite3_bind_blob(ins_ev, 12, row.f[11].data(), static_cast<int>(row.f[11].size()), SQLITE_STATIC);
          db.done(ins_ev);
          if (with_state && !row.f[5].empty()) touched_steps.emplace(c.inst, row.f[5]);
        }
        if (with_state) touched.insert(c.inst);
      }
      if (with_state) {
        for (std::size_t i : touched) {
          const auto& in = w.state[i].inst;
          for (int k = 0; k < 9; ++k)
            if (k == 4)
              sqlite3_bind_int64(up_inst, 5, std::atoll(in[4].c_str()));
            else if (k == 8)
              sqlite3_bind_blob(up_inst, 9, in[8].data(), static_cast<int>(in[8].size()), SQLITE_STATIC);
            else
              bind(up_inst, k + 1, in[static_cast<std::size_t>(k)]);
          db.done(up_inst);
        }
        for (const auto& [i, step] : touched_steps) {
          const auto& row = w.state[i].steps.at(step);
          for (int k = 0; k < 8; ++k)
            if (k == 1 || k >= 6)
              sqlite3_bind_int64(up_step, k + 1, std::atoll(row[static_cast<std::size_t>(k)].c_str()));
            else
              bind(up_step, k + 1, row[static_cast<std::size_t>(k)]);
          db.done(up_step);
        }
        touched.clear();
        touched_steps.clear();
      }
      db.exec("COMMIT");
      ++r.transactions;
      r.calls += batch.size();
      if (async) {
        std::lock_guard<std::mutex> l(m);
        for (const Call& c : batch) {
          if (c.call + 1 < w.calls[c.inst].size())
            queue.push_back(Call{c.inst, c.call + 1, nullptr});
          else if (++finished, next_instance < w.calls.size())
            queue.push_back(Call{next_instance++, 0, nullptr});
        }
        if (finished == w.calls.size()) stop = true;
      } else {
        for (const Call& c : batch) c.ack->set_value();
      }
      batch.clear();
    }
  });

  std::atomic<std::size_t> next{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> clients;
  if (async) {
    auto t0 = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> l(m);
      next_instance = std::min(static_cast<std::size_t>(cfg.inflight), w.calls.size());
      for (std::size_t i = 0; i < next_instance; ++i) queue.push_back(Call{i, 0, nullptr});
    }
    cv.notify_one();
    writer.join();
    r.seconds = seconds_since(t0);
    std::int64_t n = db.scalar("SELECT count(*) FROM events");
    if (n != static_cast<std::int64_t>(w.rows)) throw std::runtime_error("raw wrote " + std::to_string(n) + " rows");
    return r;
  }
  for (int t = 0; t < cfg.threads; ++t)
    clients.emplace_back([&] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      for (std::size_t i; (i = next.fetch_add(1)) < w.calls.size();) {
        for (std::size_t k = 0; k < w.calls[i].size(); ++k) {
          std::promise<void> ack;
          auto done = ack.get_future();
          {
            std::lock_guard<std::mutex> l(m);
            queue.push_back(Call{i, k, &ack});
          }
          cv.notify_one();
          done.get();
        }
      }
    });
  auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& c : clients) c.join();
  r.seconds = seconds_since(t0);
  {
    std::lock_guard<std::mutex> l(m);
    stop = true;
  }
  cv.notify_one();
  writer.join();
  std::int64_t n = db.scalar("SELECT count(*) FROM events");
  if (n != static_cast<std::int64_t>(w.rows)) throw std::runtime_error("raw wrote " + std::to_string(n) + " rows");
  return r;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

Config parse(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--instances") c.instances = std::stoi(value());
    else if (a == "--threads") c.threads = std::stoi(value());
    else if (a == "--runs") c.runs = std::stoi(value());
    else if (a == "--sync") c.syncs = split(value());
    else if (a == "--dir") c.dir = value();
    else if (a == "--workflow") c.workflow = value();
    else if (a == "--max-batch") c.max_batch = static_cast<std::size_t>(std::stoul(value()));
    else if (a == "--no-state-variant") c.state_variant = false;
    else if (a == "--async") c.inflight = std::stoi(value());
    else if (a == "--checkpoint-ms") c.checkpoint_ms = std::stoi(value());
    else throw std::runtime_error("unknown option " + a);
  }
  if (c.workflow.empty()) {
    for (const char* p : {"bench/joint_review_bench.yaml", "../bench/joint_review_bench.yaml"})
      if (fs::exists(p)) c.workflow = p;
    if (c.workflow.empty()) throw std::runtime_error("pass --workflow bench/joint_review_bench.yaml");
  }
  if (c.instances < 1 || c.threads < 1 || c.runs < 1) throw std::runtime_error("counts must be positive");
  return c;
}

}  // namespace

int main(int argc, char** argv) try {
  Config cfg = parse(argc, argv);
  fs::create_directories(cfg.dir);
  if (cfg.inflight > 0)
    std::printf("runtime_bench: %d instances x %d calls, asynchronous API with %d instances in flight, max_batch %zu, "
                "%d runs, workflow %s\n",
                cfg.instances, kActsPerInstance, cfg.inflight, cfg.max_batch, cfg.runs, cfg.workflow.c_str());
  else
    std::printf("runtime_bench: %d instances x %d calls, %d client threads, max_batch %zu, %d runs, workflow %s\n",
                cfg.instances, kActsPerInstance, cfg.threads, cfg.max_batch, cfg.runs, cfg.workflow.c_str());
  for (const std::string& sync : cfg.syncs) {
    std::vector<double> eng, raw, raws, ratio, ratio_s, batch, batch_s;
    double rows_per_instance = 0;
    for (int run = 1; run <= cfg.runs; ++run) {
      const std::string edb = cfg.dir + "/engine-" + sync + ".db";
      const std::string rdb = cfg.dir + "/raw-" + sync + ".db";
      remove_db(edb);
      EngineResult er = run_engine(cfg, edb, sync);
      Workload w = read_workload(edb, er);
      remove_db(edb);
      remove_db(rdb);
      RawResult rr = run_raw(cfg, rdb, sync, w, false);
      remove_db(rdb);
      double e = cfg.instances / er.seconds, q = cfg.instances / rr.seconds;
      eng.push_back(e);
      raw.push_back(q);
      ratio.push_back(e / q);
      batch.push_back(double(rr.calls) / double(rr.transactions));
      std::printf("run %d sync=%s engine %.0f inst/s (%.3f s, %.1f calls/txn)  raw %.0f inst/s (%.3f s, %.1f calls/txn)",
                  run, sync.c_str(), e, er.seconds, er.calls_per_txn, q, rr.seconds, batch.back());
      if (cfg.state_variant) {
        RawResult rs = run_raw(cfg, rdb, sync, w, true);
        remove_db(rdb);
        double qs = cfg.instances / rs.seconds;
        raws.push_back(qs);
        ratio_s.push_back(e / qs);
        batch_s.push_back(double(rs.calls) / double(rs.transactions));
        std::printf("  raw+state %.0f inst/s (%.1f calls/txn)", qs, batch_s.back());
      }
      rows_per_instance = double(w.rows) / cfg.instances;
      std::printf("  rows/instance %.1f\n", rows_per_instance);
      std::fflush(stdout);
    }
    // One machine-readable line per mode for run_runtime_bench.sh.
    std::printf(
        "SUMMARY sync=%s runs=%d threads=%d async=%d engine_median=%.0f raw_median=%.0f ratio_median=%.3f "
        "raw_calls_per_txn=%.1f",
        sync.c_str(), cfg.runs, cfg.threads, cfg.inflight, median(eng), median(raw), median(ratio), median(batch));
    if (cfg.state_variant)
      std::printf(" rawstate_median=%.0f ratio_state_median=%.3f", median(raws), median(ratio_s));
    std::printf(" rows_per_instance=%.1f engine_min=%.0f engine_max=%.0f\n", rows_per_instance,
                *std::min_element(eng.begin(), eng.end()), *std::max_element(eng.begin(), eng.end()));
  }
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "runtime_bench: %s\n", e.what());
  return 1;
}

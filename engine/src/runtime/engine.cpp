// The live runtime: a Boost.Asio io_context on one thread owns the state of
// every instance and the Store; callers post work to it and wait for the
// commit. Actions that arrive together are applied one after another and
// committed in one transaction (group commit), then acknowledged.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include "model/compiled.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "runtime/working_time.h"
#include "machine/state_machine.h"
#include "storage/store.h"
#include "util/text_util.h"

namespace asio = boost::asio;

namespace jointreview {

// ---------------------------------------------------------------- clocks

namespace {
class SystemClock final : public Clock {
 public:
  time_point now() const override { return std::chrono::system_clock::now(); }
};
}  // namespace

std::shared_ptr<Clock> system_clock() {
  static auto c = std::make_shared<SystemClock>();
  return c;
}

struct FakeClock::Impl {
  mutable std::mutex m;
  time_point t;
};

FakeClock::FakeClock(time_point start) : impl_(std::make_shared<Impl>()) { impl_->t = start; }

std::shared_ptr<FakeClock> FakeClock::at(const std::string& local_time, int utc_offset_minutes) {
  return std::make_shared<FakeClock>(parse_local_time(local_time, utc_offset_minutes));
}

Clock::time_point FakeClock::now() const {
  std::lock_guard<std::mutex> l(impl_->m);
  return impl_->t;
}

void FakeClock::set(time_point t) {
  std::lock_guard<std::mutex> l(impl_->m);
  impl_->t = t;
}

void FakeClock::advance(std::chrono::seconds d) {
  std::lock_guard<std::mutex> l(impl_->m);
  impl_->t += d;
}

namespace {

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string hex64(std::uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// A workflow definition as instances run it: loaded once per content hash.
struct Definition {
  std::string hash;
  std::string file;
  std::shared_ptr<const CompiledWorkflow> compiled;
  std::unique_ptr<StateMachine> machine;
  std::shared_ptr<const Calendar> calendar;
  std::unique_ptr<TimeMap> time;
};

struct Timer {
  TimerKind kind;
  std::uint32_t step;
  std::int32_t slot;
  double at;
  bool operator==(const Timer& o) const {
    return kind == o.kind && step == o.step && slot == o.slot && at == o.at;
  }
};

struct Instance {
  std::string id;
  Definition* def = nullptr;
  std::string project;
  std::string applicant;
  std::string started;
  std::string finished;
  InstanceRuntime rt;
  std::vector<Timer> timers;
  // Changed since the last checkpoint of the current-state tables; which
  // step rows changed (one flag per step, sized on first use).
  bool ckpt_dirty = false;
  std::vector<char> ckpt_steps;
  // While the current batch is open: where its state before the batch is
  // kept (an index into EngineImpl::saved_), and whether the batch started it.
  std::int32_t batch_slot = -1;
  bool new_in_batch = false;
};

// An instance as it was before the current batch touched it: what a failed
// job or commit puts back (the other members never change after start).
struct Saved {
  Instance* inst = nullptr;
  bool is_new = false;  // started in this batch: undoing drops it
  InstanceRuntime rt;
  std::vector<Timer> timers;
  std::string finished;
};

// ---- snapshot: the instance's state machine state and pending timers ----

static_assert(std::is_trivially_copyable_v<StepRuntime>);
static_assert(std::is_trivially_copyable_v<Timer>);
constexpr std::uint32_t kSnapshotMagic = 0x4A525331;  // "JRS1"

template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
void get(const std::string& in, std::size_t& pos, T& v) {
  if (pos + sizeof v > in.size()) throw Error(Error::Code::storage, "corrupt instance snapshot (truncated)");
  std::memcpy(&v, in.data() + pos, sizeof v);
  pos += sizeof v;
}

std::string encode(const Instance& in) {
  std::string out;
  const InstanceRuntime& rt = in.rt;
  put(out, kSnapshotMagic);
  put(out, static_cast<std::uint32_t>(sizeof(StepRuntime)));
  put(out, static_cast<std::uint32_t>(rt.steps.size()));
  put(out, static_cast<std::uint8_t>(rt.state));
  std::uint8_t flags = (rt.started ? 1 : 0) | (rt.green ? 2 : 0) | (rt.warned ? 4 : 0) | (rt.overdue ? 8 : 0);
  put(out, flags);
  put(out, rt.approved);
  put(out, rt.started_at);
  put(out, rt.finished_at);
  out.append(reinterpret_cast<const char*>(rt.steps.data()), rt.steps.size() * sizeof(StepRuntime));
  put(out, static_cast<std::uint32_t>(in.timers.size()));
  out.append(reinterpret_cast<const char*>(in.timers.data()), in.timers.size() * sizeof(Timer));
  return out;
}

void decode(const std::string& s, Instance& in) {
  std::size_t pos = 0;
  std::uint32_t magic, step_size, n, nt;
  std::uint8_t state, flags;
  get(s, pos, magic);
  get(s, pos, step_size);
  if (magic != kSnapshotMagic || step_size != sizeof(StepRuntime))
    throw Error(Error::Code::storage, "instance " + in.id + " was saved by an incompatible jreview version");
  get(s, pos, n);
  get(s, pos, state);
  get(s, pos, flags);
  InstanceRuntime& rt = in.rt;
  rt.state = static_cast<InstanceState>(state);
  rt.started = flags & 1;
  rt.green = flags & 2;
  rt.warned = flags & 4;
  rt.overdue = flags & 8;
  get(s, pos, rt.approved);
  get(s, pos, rt.started_at);
  get(s, pos, rt.finished_at);
  if (n != in.def->compiled->n_steps || pos + n * sizeof(StepRuntime) > s.size())
    throw Error(Error::Code::storage, "corrupt snapshot of instance " + in.id);
  rt.steps.resize(n);
  std::memcpy(rt.steps.data(), s.data() + pos, n * sizeof(StepRuntime));
  pos += n * sizeof(StepRuntime);
  get(s, pos, nt);
  if (pos + nt * sizeof(Timer) > s.size()) throw Error(Error::Code::storage, "corrupt timers of instance " + in.id);
  in.timers.resize(nt);
  if (nt > 0) std::memcpy(in.timers.data(), s.data() + pos, nt * sizeof(Timer));  // data() may be null when empty
}

// ---- inputs: what an event row gave the state machine, for replay ----
//
// The log is the source of truth; the instances and steps tables are a
// checkpoint of it. Every row that records an input (a start, an action, a
// timer that changed something) carries the exact Event in a small blob, so
// that opening the database can replay what happened after the checkpoint.

constexpr std::uint8_t kInputVersion = 1;

struct Input {
  Input() = default;
  explicit Input(const Event& e) : event(e) {}
  Event event;
  // start only:
  bool green = false;
  std::string workflow_hash, project, applicant;
};

void put_string(std::string& out, const std::string& v) {
  put(out, static_cast<std::uint32_t>(v.size()));
  out += v;
}
void get_string(const std::string& in, std::size_t& pos, std::string& v) {
  std::uint32_t n = 0;
  get(in, pos, n);
  if (pos + n > in.size()) throw Error(Error::Code::storage, "corrupt input row (truncated text)");
  v.assign(in, pos, n);
  pos += n;
}

std::string encode_input(const Input& in) {
  std::string out;
  const Event& e = in.event;
  put(out, kInputVersion);
  put(out, static_cast<std::uint8_t>(e.action));
  put(out, static_cast<std::uint8_t>(e.timer));
  put(out, static_cast<std::uint8_t>(e.actor.kind));
  put(out, e.actor.dept);
  put(out, e.step);
  put(out, e.slot);
  put(out, e.at);
  put(out, e.value);
  if (e.action == Action::start) {
    put(out, static_cast<std::uint8_t>(in.green ? 1 : 0));
    put_string(out, in.workflow_hash);
    put_string(out, in.project);
    put_string(out, in.applicant);
  }
  return out;
}

Input decode_input(const std::string& s) {
  Input in;
  Event& e = in.event;
  std::size_t pos = 0;
  std::uint8_t version = 0, action = 0, timer = 0, kind = 0;
  get(s, pos, version);
  if (version != kInputVersion)
    throw Error(Error::Code::storage, "an input row was written by an incompatible jreview version");
  get(s, pos, action);
  get(s, pos, timer);
  get(s, pos, kind);
  e.action = static_cast<Action>(action);
  e.timer = static_cast<TimerKind>(timer);
  e.actor.kind = static_cast<Actor::Kind>(kind);
  get(s, pos, e.actor.dept);
  get(s, pos, e.step);
  get(s, pos, e.slot);
  get(s, pos, e.at);
  get(s, pos, e.value);
  if (e.action == Action::start) {
    std::uint8_t green = 0;
    get(s, pos, green);
    in.green = green != 0;
    get_string(s, pos, in.workflow_hash);
    get_string(s, pos, in.project);
    get_string(s, pos, in.applicant);
  }
  return in;
}

struct HeapEntry {
  double at;
  std::uint64_t order;
  Instance* inst;
  Timer timer;
  bool operator>(const HeapEntry& o) const { return at != o.at ? at > o.at : order > o.order; }
};

Error::Code refusal_code(Refusal r) {
  switch (r) {
    case Refusal::applicant_only:
    case Refusal::department_only:
    case Refusal::not_reviewer:
    case Refusal::lead_only: return Error::Code::forbidden;
    case Refusal::unknown_step: return Error::Code::not_found;
    case Refusal::bad_value: return Error::Code::invalid_argument;
    default: return Error::Code::refused;
  }
}

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineOptions& o)
      : opt_(o), clock_(o.clock ? o.clock : system_clock()), work_(asio::make_work_guard(io_)), wake_(io_) {
    store_ = storage::open_sqlite_store(o.database, o.synchronous);
    // Load every instance, then fire what fell due while the engine was closed.
    for (auto& rec : store_->instances()) {
      Instance& in = add_instance(rec.id, rec.workflow_hash, rec.project, rec.applicant, rec.started);
      in.finished = rec.finished;
      decode(rec.snapshot, in);
    }
    replay();
    for (auto& [id, in] : instances_)
      for (const auto& t : in->timers) push_heap(in.get(), t);
    ckpt_timer_ = std::make_unique<asio::steady_timer>(io_);
    writer_ = std::thread([this] { writer_io_.run(); });
    thread_ = std::thread([this] {
      io_thread_id_ = std::this_thread::get_id();
      io_.run();
    });
    try {
      call([this] {
        fire_due();
        return 0;
      });
    } catch (...) {
      stop();  // the event-loop thread must not outlive a failed open
      throw;
    }
  }

  // A workflow file as loaded for start(): its texts (main file and
  // includes), their content hash, and the validated model.
  struct LoadedFile {
    std::map<std::string, std::string> files;
    std::string bundle_text;
    std::string hash;
    std::shared_ptr<const Workflow> workflow;
  };

  // Loads a workflow file, reusing the last load of the same path when none
  // of its files changed (compared by content, so an edit is never missed).
  std::shared_ptr<const LoadedFile> load(const std::string& path) {
    {
      std::lock_guard<std::mutex> lock(load_mutex_);
      auto it = load_cache_.find(path);
      if (it != load_cache_.end()) {
        bool same = true;
        for (const auto& [file, text] : it->second->files) {
          std::string now, why;
          if (!text::read_file(file, now, why) || now != text) {
            same = false;
            break;
          }
        }
        if (same) return it->second;
      }
    }
    auto out = std::make_shared<LoadedFile>();
    LoadOptions lo;
    lo.warnings = false;
    lo.calendar_dirs = opt_.calendar.search_path;
    lo.read_file = [&out](const std::string& file, std::string& text, std::string& why) {
      if (!text::read_file(file, text, why)) return false;
      out->files[file] = text;
      return true;
    };
    auto r = load_workflow_file(path, lo);
    if (!r.ok()) {
      std::string msg = "the workflow does not load:";
      for (const auto& d : r.diagnostics) msg += "\n" + d.str();
      throw Error(Error::Code::invalid_workflow, msg);
    }
    nlohmann::ordered_json bundle = {{"main", path}, {"files", out->files}};
    out->bundle_text = bundle.dump();
    out->hash = hex64(fnv1a(out->bundle_text));
    out->workflow = std::make_shared<const Workflow>(std::move(*r.workflow));
    std::lock_guard<std::mutex> lock(load_mutex_);
    load_cache_[path] = out;
    return out;
  }

  // Brings the in-memory instances up to the end of the log: the inputs
  // logged after the last checkpoint go through the state machine again, in
  // log order, with the timers each instance had pending fired on the way
  // exactly as the live engine fires them (every timer due by an input's
  // time fires before it). Nothing is written but a new checkpoint.
  void replay() {
    const std::int64_t from = store_->checkpoint_seq();
    last_seq_ = from;
    bool any = false;
    for (const auto& row : store_->inputs_after(from)) {
      const Input input = decode_input(row.input);
      const Event& e = input.event;
      Instance* in = nullptr;
      if (e.action == Action::start) {
        if (instances_.count(row.instance))
          throw Error(Error::Code::storage, "the log starts instance " + row.instance + " twice");
        in = &add_instance(row.instance, input.workflow_hash, input.project, input.applicant, row.time);
        in->def->machine->reset(in->rt, input.green);
      } else {
        auto it = instances_.find(row.instance);
        if (it == instances_.end())
          throw Error(Error::Code::storage, "the log refers to instance " + row.instance + ", which it never started");
        in = it->second.get();
      }
      if (e.action == Action::timer) {
        // The timers that fired before it, then the timer itself (applied as
        // logged even if it is not among the pending ones).
        const Timer self{e.timer, e.step, e.slot, e.at};
        fire_pending(*in, e.at, &self);
      } else {
        fire_pending(*in, e.at, nullptr);
      }
      Refusal r = apply_input(*in, e, row.time);
      if (r != Refusal::none)
        throw Error(Error::Code::storage, "replaying the log of instance " + row.instance + " at event " +
                                              std::to_string(row.seq) + " gives a different result than it did live (" +
                                              in->def->machine->explain(in->rt, e, r) + ")");
      mark_all_steps(*in);
      last_seq_ = row.seq;
      ++stats_.replayed_inputs;
      any = true;
    }
    if (any) checkpoint();
  }

  // An instance read back from the database (checkpoint or log).
  Instance& add_instance(const std::string& id, const std::string& workflow_hash, const std::string& project,
                         const std::string& applicant, const std::string& started) {
    auto inst = std::make_unique<Instance>();
    inst->id = id;
    inst->def = &definition(workflow_hash);
    inst->project = project;
    inst->applicant = applicant;
    inst->started = started;
    Instance& ref = *inst;
    instances_.emplace(id, std::move(inst));
    return ref;
  }

  // Replay: fires, without logging, the instance's pending timers due by
  // `at`, in the order the live engine fires them (earliest first, then in
  // the order they were armed), up to `until` when given: that one is only
  // taken out of the pending list, for the caller applies it.
  void fire_pending(Instance& in, double at, const Timer* until) {
    for (;;) {
      auto next = in.timers.end();
      for (auto it = in.timers.begin(); it != in.timers.end(); ++it)
        if (it->at <= at && (next == in.timers.end() || it->at < next->at)) next = it;
      if (next == in.timers.end()) return;
      Timer t = *next;
      in.timers.erase(next);
      if (until && t == *until) return;
      apply_input(in, timer_event(t), row_time(in, t.at));
    }
  }

  static Event timer_event(const Timer& t) {
    Event e;
    e.action = Action::timer;
    e.timer = t.kind;
    e.step = t.step;
    e.slot = t.slot;
    e.at = t.at;
    return e;
  }

  // The state machine applied to an instance, with its pending timers kept
  // in step: the timers it arms are added (and, live, queued for the heap
  // once committed); those that can no longer matter are dropped. `when`:
  // the local time written on the rows, which an instance that closes keeps
  // as its finish time. Used alike live and in replay.
  Refusal apply_input(Instance& in, const Event& e, const std::string& when, bool live = false) {
    effects_.clear();
    Refusal r = in.def->machine->apply(in.rt, e, effects_);
    if (r != Refusal::none) return r;
    for (const Effect& fx : effects_) {
      if (fx.kind == EffectKind::arm_timer) {
        Timer t{fx.timer, fx.step, fx.slot, fx.at};
        in.timers.push_back(t);
        if (live) new_timers_.emplace_back(&in, t);
      } else if (fx.kind == EffectKind::instance_state && in.rt.state != InstanceState::running &&
                 in.finished.empty()) {
        in.finished = when;
      }
    }
    // Timers that can no longer matter are dropped from the snapshot: the
    // state machine would ignore them (a decided step has no clock; a closed
    // instance only keeps verifications and contact tasks).
    const bool closed = in.rt.state != InstanceState::running;
    in.timers.erase(std::remove_if(in.timers.begin(), in.timers.end(),
                                   [&](const Timer& t) {
                                     if (t.kind == TimerKind::verify_due || t.kind == TimerKind::contact_due)
                                       return false;
                                     if (closed) return true;
                                     return t.step != kNoStep && is_final(in.rt.steps[t.step].state);
                                   }),
                    in.timers.end());
    return Refusal::none;
  }

  // ---- checkpoints of the current-state tables ----

  void mark_ckpt(Instance& in) {
    if (in.ckpt_dirty) return;
    in.ckpt_dirty = true;
    ckpt_list_.push_back(in.id);
  }

  void mark_step(Instance& in, std::uint32_t step) {
    mark_ckpt(in);
    if (step == kNoStep) return;
    if (in.ckpt_steps.empty()) in.ckpt_steps.assign(in.rt.steps.size(), 0);
    in.ckpt_steps[step] = 1;
  }

  void mark_all_steps(Instance& in) {
    mark_ckpt(in);
    in.ckpt_steps.assign(in.rt.steps.size(), 1);
  }

  // Writes the instances and steps rows of everything changed since the
  // last checkpoint, in one transaction, with the seq it reaches. Nothing
  // depends on it but the time the next open spends replaying: a failure
  // leaves everything marked for the next one.
  // A checkpoint in a transaction of its own (at open, before the threads).
  void checkpoint() {
    if (ckpt_list_.empty()) return;
    storage::Batch b;
    add_checkpoint(b);
    try {
      store_->commit(b);
      last_ckpt_ = std::chrono::steady_clock::now();
    } catch (...) {
      for (Instance* in : ckpt_written_) mark_all_steps(*in);
    }
    ckpt_written_.clear();
  }

  bool checkpoint_due() const {
    return !ckpt_list_.empty() && (std::chrono::steady_clock::now() - last_ckpt_ >= opt_.checkpoint_interval ||
                                   ckpt_list_.size() >= opt_.checkpoint_instances);
  }

  // Adds the checkpoint rows to a batch: committed with it, they are exact
  // up to its last event (the in-memory instances include its changes).
  void add_checkpoint(storage::Batch& b) {
    std::sort(ckpt_list_.begin(), ckpt_list_.end());
    ckpt_list_.erase(std::unique(ckpt_list_.begin(), ckpt_list_.end()), ckpt_list_.end());
    ckpt_written_.clear();
    for (const auto& id : ckpt_list_) {
      auto it = instances_.find(id);
      if (it == instances_.end() || !it->second->ckpt_dirty) continue;  // undone since it was marked
      Instance& in = *it->second;
      b.instances.push_back(record_of(in));
      for (std::size_t k = 0; k < in.ckpt_steps.size(); ++k)
        if (in.ckpt_steps[k]) b.steps.push_back(step_record(in, static_cast<int>(k)));
      ckpt_written_.push_back(&in);
      // Unmarked now: a change made while this commits marks it again. If
      // the commit fails, everything written here is marked again.
      in.ckpt_dirty = false;
      std::fill(in.ckpt_steps.begin(), in.ckpt_steps.end(), 0);
    }
    ckpt_list_.clear();
    ckpt_due_ = false;
    b.checkpoint_seq = last_seq_;
  }

  // After a commit: when no checkpoint went with it, one armed for when the
  // engine goes quiet.
  void schedule_checkpoint() {
    if (ckpt_list_.empty()) return;
    if (ckpt_due_) return;
    ckpt_due_ = true;
    ckpt_timer_->expires_after(opt_.checkpoint_interval);
    ckpt_timer_->async_wait([this](const boost::system::error_code& ec) {
      if (ec || !ckpt_due_) return;
      ckpt_due_ = false;
      force_ckpt_ = true;
      flush();  // with whatever is pending
    });
  }

  void stop() {
    if (thread_.joinable() && !io_.stopped()) {
      // Everything committed and a last checkpoint, so that the next open
      // has nothing to replay.
      std::promise<void> done;
      asio::post(io_, [this, &done] {
        drain_ = &done;
        force_ckpt_ = true;
        flush();
      });
      done.get_future().wait();
    }
    work_.reset();
    asio::post(io_, [this] { wake_.cancel(); });
    io_.stop();
    if (thread_.joinable()) thread_.join();
    writer_work_.reset();
    writer_io_.stop();
    if (writer_.joinable()) writer_.join();
  }

  ~EngineImpl() override { stop(); }

  std::string start(const StartRequest& req) override {
    // Load and validate outside the event loop: it reads files.
    std::shared_ptr<const LoadedFile> loaded = load(req.workflow_file);
    return call([&] { return start_job(req, *loaded); });
  }

  void start_async(const StartRequest& req, StartDone done) override {
    std::shared_ptr<const LoadedFile> loaded;
    try {
      loaded = load(req.workflow_file);
    } catch (...) {
      asio::post(io_, [done = std::move(done), err = std::current_exception()] { notify(done, std::string(), err); });
      return;
    }
    submit([this, req, loaded] { return start_job(req, *loaded); },
           [done = std::move(done)](std::string id, std::exception_ptr err) { notify(done, id, err); });
  }

  void act_async(const ActRequest& req, ActDone done) override {
    submit([this, req] { return act_job(req); },
           [done = std::move(done)](int, std::exception_ptr err) { notify(done, err); });
  }

 private:
  // Runs a completion callback; what it throws stays with it.
  template <class Done, class... Args>
  static void notify(const Done& done, Args&&... args) {
    if (!done) return;
    try {
      done(std::forward<Args>(args)...);
    } catch (...) {
    }
  }

  std::string start_job(const StartRequest& req, const LoadedFile& loaded) {
    {
      const std::string& hash = loaded.hash;
      const std::string& bundle_text = loaded.bundle_text;
      const auto& wf = loaded.workflow;
      storage::WorkflowRecord wrec{hash, wf->id, wf->title, req.workflow_file, bundle_text};
      Definition& def = definition(hash, wf, &wrec);
      fire_due();
      const std::string prefix = local_date_compact(job_now_) + "-";
      std::int64_t& n = next_number_[prefix];
      if (n == 0) n = last_number(prefix);
      auto inst = std::make_unique<Instance>();
      inst->id = prefix + std::to_string(1000000 + ++n).substr(1);
      inst->def = &def;
      inst->project = req.project.empty() ? wf->title : req.project;
      inst->applicant = req.applicant.empty() ? "applicant" : req.applicant;
      inst->started = now_text();
      const double now = def.time->to_wt(job_now_);  // may throw: before anything is recorded
      Instance* p = inst.get();
      def.machine->reset(p->rt, req.green);
      instances_.emplace(p->id, std::move(inst));
      p->new_in_batch = true;
      if (pending_wf_.count(hash) == 0 && !stored_wf_.count(hash)) {
        pending_wf_[hash] = wrec;
      }
      snapshot_before(*p);
      Input input;
      input.event.action = Action::start;
      input.event.at = now;
      input.green = req.green;
      input.workflow_hash = hash;
      input.project = p->project;
      input.applicant = p->applicant;
      apply_input(*p, input.event, p->started, true);
      record_action(*p, "system", "start", "", "", "", {});
      batch_.inputs.back() = encode_input(input);
      record_effects(*p, "system", -1);
      return p->id;
    }
  }

 public:
  void act(const ActRequest& req) override {
    call([&] { return act_job(req); });
  }

 private:
  int act_job(const ActRequest& req) {
    {
      fire_due();
      auto it = instances_.find(req.instance);
      if (it == instances_.end()) throw Error(Error::Code::not_found, "no instance '" + req.instance + "'");
      Instance& in = *it->second;
      const CompiledWorkflow& cw = *in.def->compiled;
      auto action = parse_action(req.action);
      if (!action)
        throw Error(Error::Code::invalid_argument,
                    "unknown action '" + req.action +
                        "'; actions are submit, accept, approve, return, resubmit, reject, commit, supply, withdraw, "
                        "verify, verify-failed, contact, exclude, resume");
      long si = cw.source->find_step(req.step);
      if (si < 0) {
        std::string ids;
        for (const auto& s : cw.source->steps) ids += (ids.empty() ? "" : ", ") + s.id;
        throw Error(Error::Code::not_found,
                    "workflow '" + cw.source->id + "' has no step '" + req.step + "'; its steps are " + ids);
      }
      if (req.days < 0 && req.days != -1)
        throw Error(Error::Code::invalid_argument, "an excluded period cannot last a negative number of days");
      Event e;
      e.action = *action;
      e.step = static_cast<std::uint32_t>(si);
      e.at = in.def->time->to_wt(job_now_);  // the time fire_due() fired timers up to
      e.value = req.days;
      const double last = last_time(in);
      if (e.at < last - 1e-9)
        throw Error(Error::Code::invalid_argument,
                    "the clock reads " + format_local(job_now_, opt_.utc_offset_minutes) +
                        ", before the instance's last recorded change (" +
                        format_local(in.def->time->from_wt(last), opt_.utc_offset_minutes) +
                        "); time cannot run backwards");
      std::string actor_err;
      e.actor = parse_actor(in, req.actor, actor_err);
      if (!actor_err.empty()) {
        record_refusal(in, req, actor_err);
        pending_error_ = std::make_exception_ptr(Error(Error::Code::forbidden, actor_err));
        return 0;
      }
      if (*action == Action::supply) {
        e.slot = -1;
        for (std::uint32_t k = 0; k < cw.deferred_count(e.step); ++k)
          if (cw.materials[cw.deferred[cw.deferred_offset[e.step] + k].material] == req.material)
            e.slot = static_cast<std::int32_t>(k);
      }
      snapshot_before(in);
      Refusal r = apply_input(in, e, row_time(in, -1), true);
      if (r != Refusal::none) {
        std::string why = in.def->machine->explain(in.rt, e, r);
        record_refusal(in, req, why);
        pending_error_ = std::make_exception_ptr(Error(refusal_code(r), req.action + " refused: " + why));
        return 0;
      }
      record_action(in, req.actor, req.action, req.step, req.note, req.material, {});
      batch_.inputs.back() = encode_input(Input{e});
      record_effects(in, req.actor, -1);
      return 0;
    }
  }

 public:

  InstanceStatus status(const std::string& id) override {
    return call([&] {
      fire_due();
      auto it = instances_.find(id);
      if (it == instances_.end()) throw Error(Error::Code::not_found, "no instance '" + id + "'");
      return describe(*it->second);
    });
  }

  std::vector<InstanceStatus> instances() override {
    return call([&] {
      fire_due();
      std::vector<InstanceStatus> out;
      std::vector<const Instance*> all;
      for (const auto& [k, v] : instances_) all.push_back(v.get());
      std::sort(all.begin(), all.end(), [](const Instance* a, const Instance* b) { return a->id < b->id; });
      for (const Instance* i : all) out.push_back(describe(*i));
      return out;
    });
  }

  std::vector<EventRecord> events(const std::string& id) override {
    return call([&] {
      if (!instances_.count(id)) throw Error(Error::Code::not_found, "no instance '" + id + "'");
      return on_writer([&] { return store_->events(id); });
    });
  }

  int subscribe(Subscriber fn) override {
    return call([&] {
      int token = ++last_token_;
      subscribers_.emplace(token, std::move(fn));
      return token;
    });
  }

  void unsubscribe(int token) override {
    call([&] {
      subscribers_.erase(token);
      return 0;
    });
  }

  void fire_due_timers() override {
    call([&] {
      fire_due();
      return 0;
    });
  }

  std::string today() override {
    return format_local(clock_->now(), opt_.utc_offset_minutes).substr(0, 10);
  }

  EngineStats stats() override {
    return call([&] {
      EngineStats s = stats_;
      s.instances = instances_.size();
      s.pending_checkpoint = ckpt_list_.size();
      return s;
    });
  }

 private:
  // Runs fn on the event-loop thread and waits for the commit of what it did.
  template <class F>
  auto call(F&& fn) -> decltype(fn()) {
    using R = decltype(fn());
    if (std::this_thread::get_id() == io_thread_id_) {
      // From a subscriber callback: run inline; the enclosing flush commits.
      Mark m = mark();
      std::optional<R> r;
      try {
        r.emplace(fn());
      } catch (...) {
        pending_error_ = nullptr;
        undo_to(m);
        throw;
      }
      rethrow_pending();  // a refusal: its log row stays
      return std::move(*r);
    }
    std::promise<R> p;
    auto fut = p.get_future();
    asio::post(io_, [this, &fn, &p] {
      run_job(fn, [&p](R r, std::exception_ptr err) {
        if (err)
          p.set_exception(err);
        else
          p.set_value(std::move(r));
      });
    });
    return fut.get();
  }

  // Runs fn on the writer thread (the one that uses the Store once the
  // engine runs), after the transaction in flight, and waits for it.
  template <class F>
  auto on_writer(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto fut = task.get_future();
    asio::post(writer_io_, [&task] { task(); });
    return fut.get();
  }

  // Posts fn to the event loop; done(result, error) runs there after the
  // commit of the batch fn joined (error: the refusal, the failure of fn,
  // or of the commit).
  template <class F, class Done>
  void submit(F fn, Done done) {
    asio::post(io_, [this, fn = std::move(fn), done = std::move(done)]() mutable { run_job(fn, std::move(done)); });
  }

  template <class F, class Done>
  void run_job(F& fn, Done done) {
    using R = decltype(fn());
    Mark mark = this->mark();
    try {
      R r = fn();
      std::exception_ptr err = std::exchange(pending_error_, nullptr);
      waiting_.push_back([done = std::move(done), r = std::move(r), err](std::exception_ptr failure) mutable {
        done(std::move(r), failure ? failure : err);
      });
    } catch (...) {
      pending_error_ = nullptr;
      undo_to(mark);  // a job that fails halfway leaves nothing behind
      std::exception_ptr err = std::current_exception();
      waiting_.push_back([done = std::move(done), err](std::exception_ptr) mutable { done(R{}, err); });
    }
    if (batch_.events.size() >= opt_.max_batch) {
      flush();
    } else if (!flush_posted_) {
      flush_posted_ = true;
      asio::post(io_, [this] { flush(); });
    }
  }

  // Where the batch stood before a job, so that a failing job can be undone.
  struct Mark {
    std::size_t events;
    std::size_t timers;
    std::size_t saved;  // into saved_
  };

  Mark mark() const { return {batch_.events.size(), new_timers_.size(), n_saved_}; }

  void undo_to(const Mark& m) {
    batch_.events.resize(m.events);
    batch_.inputs.resize(m.events);
    new_timers_.resize(m.timers);
    action_row_ = SIZE_MAX;
    restore_saved(m.saved);
    rebuild_heap();  // no heap entry may point at an instance that was dropped
  }

  // Puts back every instance saved from index `from` on, newest first.
  void restore_saved(std::size_t from) { restore(saved_, n_saved_, from); }

  // Puts back the instances saved in `v` from index `from` on, newest first.
  // Their checkpoint marks stay: an instance marked once is checkpointed
  // once more, which is harmless; one unmarked too early would not be.
  void restore(std::vector<Saved>& v, std::size_t& n, std::size_t from) {
    while (n > from) {
      Saved& s = v[--n];
      Instance& in = *s.inst;
      s.inst = nullptr;
      if (s.is_new) {
        instances_.erase(in.id);  // destroys it
        continue;
      }
      in.rt = s.rt;
      in.timers = s.timers;
      in.finished = s.finished;
      in.batch_slot = -1;
    }
  }

  void rethrow_pending() {
    if (auto err = std::exchange(pending_error_, nullptr)) std::rethrow_exception(err);
  }

  // Hands everything recorded since the last flush to the writer thread,
  // which commits it while this thread goes on with the next batch. Only
  // one transaction is in flight: while it is, calls keep joining the next
  // batch, which leaves when it completes (on_committed).
  void flush() {
    flush_posted_ = false;
    if (flight_.active) return;
    const bool ckpt = !ckpt_list_.empty() && (force_ckpt_ || checkpoint_due());
    if (batch_.empty() && waiting_.empty() && n_saved_ == 0 && !ckpt) {
      force_ckpt_ = false;
      maybe_drained();
      arm_wake();
      return;
    }
    Flight& f = flight_;
    f.active = true;
    std::swap(f.batch, batch_);  // batch_ takes the emptied buffers of the last flight: no regrowing
    for (auto& [hash, w] : pending_wf_) f.batch.workflows.push_back(w);
    f.pending_wf = std::move(pending_wf_);
    pending_wf_.clear();
    if (ckpt) add_checkpoint(f.batch);  // in the same transaction
    force_ckpt_ = false;
    f.ckpt_written = std::move(ckpt_written_);
    ckpt_written_.clear();
    f.waiting = std::move(waiting_);
    waiting_.clear();
    std::swap(f.saved, saved_);
    f.n_saved = n_saved_;
    n_saved_ = 0;
    for (std::size_t i = 0; i < f.n_saved; ++i) {
      // The next batch keeps its own copy of what these were before it.
      f.saved[i].inst->batch_slot = -1;
      f.saved[i].inst->new_in_batch = false;
    }
    f.new_timers = std::move(new_timers_);
    new_timers_.clear();
    if (f.batch.empty()) {
      on_committed(nullptr);  // nothing to write (queries, refusal-free no-ops)
      return;
    }
    asio::post(writer_io_, [this] {
      std::exception_ptr err;
      try {
        store_->commit(flight_.batch);
      } catch (...) {
        err = std::current_exception();
      }
      asio::post(io_, [this, err] { on_committed(err); });
    });
  }

  // The transaction in flight has committed (err null) or failed.
  void on_committed(std::exception_ptr err) {
    Flight& f = flight_;
    if (!err) {
      if (!f.batch.events.empty()) last_seq_ = f.batch.events.back().seq;
      if (!f.batch.empty()) ++stats_.transactions;
      stats_.calls += f.waiting.size();
      stats_.events += f.batch.events.size();
      if (f.batch.checkpoint_seq) ++stats_.checkpoints;
      if (f.batch.checkpoint_seq) last_ckpt_ = std::chrono::steady_clock::now();
      for (auto& [hash, w] : f.pending_wf) stored_wf_.insert(hash);
      for (auto& [inst, t] : f.new_timers) push_heap(inst, t);
    } else {
      // Nothing of it was written. What the next batch applied on top of it
      // goes first, then every instance it touched goes back to how it was.
      ++stats_.failed_transactions;
      for (Instance* in : f.ckpt_written) mark_all_steps(*in);
      std::exception_ptr later;
      try {
        std::rethrow_exception(err);
      } catch (const std::exception& x) {
        later = std::make_exception_ptr(
            Error(Error::Code::storage, std::string("not written: the transaction before it failed: ") + x.what()));
      } catch (...) {
        later = err;
      }
      clear_keeping_capacity(batch_);
      new_timers_.clear();
      action_row_ = SIZE_MAX;
      restore(saved_, n_saved_, 0);
      auto waiting = std::move(waiting_);
      waiting_.clear();
      for (auto& [hash, w] : pending_wf_) f.pending_wf.emplace(hash, w);
      pending_wf_.clear();
      restore(f.saved, f.n_saved, 0);
      for (auto& [hash, w] : f.pending_wf)
        if (!stored_wf_.count(hash)) defs_.erase(hash);
      rebuild_heap();
      for (auto& w : waiting) w(later);
    }
    for (std::size_t i = 0; i < f.n_saved; ++i) f.saved[i].inst = nullptr;
    f.n_saved = 0;
    f.pending_wf.clear();
    f.new_timers.clear();
    f.ckpt_written.clear();
    auto waiting = std::move(f.waiting);
    f.waiting.clear();
    f.active = false;
    for (auto& w : waiting) w(err);
    if (!err)
      for (const auto& e : f.batch.events)
        for (auto& [token, fn] : subscribers_) {
          try {
            fn(e);
          } catch (...) {
            // A subscriber's failure never affects the engine.
          }
        }
    clear_keeping_capacity(f.batch);
    if (!batch_.empty() || !waiting_.empty() || n_saved_ > 0 || force_ckpt_ || checkpoint_due()) {
      flush();  // the next batch, formed while this one was written
      return;
    }
    schedule_checkpoint();
    maybe_drained();
    arm_wake();
  }

  static void clear_keeping_capacity(storage::Batch& b) {
    b.workflows.clear();
    b.instances.clear();
    b.steps.clear();
    b.events.clear();
    b.inputs.clear();
    b.checkpoint_seq.reset();
  }

  void maybe_drained() {
    if (drain_ && !flight_.active && batch_.empty() && waiting_.empty() && n_saved_ == 0) {
      drain_->set_value();
      drain_ = nullptr;
    }
  }

  void rebuild_heap() {
    std::vector<HeapEntry> live;
    for (auto& [id, in] : instances_)
      for (const auto& t : in->timers) live.push_back(HeapEntry{t.at, ++heap_order_, in.get(), t});
    heap_ = decltype(heap_)(std::greater<>(), std::move(live));
  }

  storage::InstanceRecord record_of(const Instance& in) {
    storage::InstanceRecord r;
    r.id = in.id;
    r.workflow_hash = in.def->hash;
    r.project = in.project;
    r.applicant = in.applicant;
    r.green = in.rt.green;
    r.state = to_string(in.rt.state);
    r.started = in.started;
    r.finished = in.finished;
    r.snapshot = encode(in);
    return r;
  }

  storage::StepRecord step_record(const Instance& in, int idx) {
    const CompiledWorkflow& cw = *in.def->compiled;
    const StepRuntime& r = in.rt.steps[idx];
    storage::StepRecord s;
    s.instance = in.id;
    s.index = idx;
    s.step = cw.step_id(idx);
    s.state = to_string(r.state);
    s.department = cw.dept_name(cw.lead(idx));
    s.deadline = r.clock_running ? in.def->time->deadline_text(r.due) : "";
    s.warned = r.warned;
    s.overdue = r.overdue;
    return s;
  }

  Definition& definition(const std::string& hash, std::shared_ptr<const Workflow> wf = nullptr,
                         const storage::WorkflowRecord* rec = nullptr) {
    auto it = defs_.find(hash);
    if (it != defs_.end()) return *it->second;
    auto def = std::make_unique<Definition>();
    def->hash = hash;
    if (!wf) {
      // Reload the exact texts the instance started with.
      auto stored = store_->workflow(hash);
      if (!stored) throw Error(Error::Code::storage, "workflow " + hash + " is missing from the database");
      auto bundle = nlohmann::json::parse(stored->bundle);
      std::map<std::string, std::string> files = bundle["files"].get<std::map<std::string, std::string>>();
      LoadOptions lo;
      lo.warnings = false;
      lo.calendar_dirs = opt_.calendar.search_path;
      lo.read_file = [files](const std::string& path, std::string& text, std::string& why) {
        auto f = files.find(path);
        if (f == files.end()) {
          why = "not in the stored definition";
          return false;
        }
        text = f->second;
        return true;
      };
      auto r = load_workflow_file(bundle["main"].get<std::string>(), lo);
      if (!r.ok())
        throw Error(Error::Code::storage, "the stored workflow " + hash + " no longer loads: " +
                                              (r.diagnostics.empty() ? std::string("?") : r.diagnostics[0].str()));
      wf = std::make_shared<const Workflow>(std::move(*r.workflow));
      def->file = stored->file;
      stored_wf_.insert(hash);
    } else if (rec) {
      def->file = rec->file;
    }
    def->compiled = compile(wf);
    def->machine = std::make_unique<StateMachine>(def->compiled);
    def->calendar = load_workflow_calendar(*wf, opt_.calendar);
    def->time = std::make_unique<TimeMap>(def->calendar, opt_.utc_offset_minutes);
    Definition& ref = *def;
    defs_.emplace(hash, std::move(def));
    return ref;
  }

  // The largest number of an instance id with this prefix (0 if none).
  std::int64_t last_number(const std::string& prefix) const {
    std::int64_t n = 0;
    for (const auto& [id, in] : instances_)
      if (id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0) {
        const std::string digits = id.substr(prefix.size());
        if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 18)
          n = std::max<std::int64_t>(n, std::stoll(digits));
      }
    return n;
  }

  // The time of the instance's latest state change, in working days.
  static double last_time(const Instance& in) {
    double t = in.rt.started_at;
    for (const auto& r : in.rt.steps) t = std::max(t, r.entered);
    return t;
  }

  Actor parse_actor(const Instance& in, const std::string& who, std::string& err) {
    const CompiledWorkflow& cw = *in.def->compiled;
    if (who == "applicant") return Actor::applicant();
    if (who.rfind("applicant:", 0) == 0) {
      std::string name = who.substr(10);
      if (name != in.applicant) {
        err = "'" + name + "' is not the applicant of instance " + in.id + " (the applicant is '" + in.applicant + "')";
        return Actor::system();
      }
      return Actor::applicant();
    }
    if (who == "system" || who.empty()) {
      err = "name who acts: --as applicant, --as DEPARTMENT or --as DEPARTMENT/STAFF";
      return Actor::system();
    }
    std::string dept = who.substr(0, who.find('/'));
    for (std::uint32_t d = 0; d < cw.n_departments; ++d)
      if (cw.dept_name(d) == dept) return Actor::department(d);
    std::string names;
    for (std::uint32_t d = 0; d < cw.n_departments; ++d) names += (names.empty() ? "" : ", ") + cw.dept_name(d);
    err = "'" + dept + "' is not a department of workflow '" + cw.source->id + "'; its departments are " + names;
    return Actor::system();
  }

  // Marks a step whose current-state row (state, deadline, flags) changed.
  void touch(Instance& in, std::uint32_t step) {
    snapshot_before(in);
    mark_step(in, step);
  }

  // The local time written on log rows: now for actions, the time a timer
  // fell due for what it caused.
  std::string row_time(const Instance& in, double at) {
    return at < 0 ? now_text() : format_local(in.def->time->from_wt(at), opt_.utc_offset_minutes);
  }

  // job_now_ as written on rows, formatted once per second of the clock.
  const std::string& now_text() {
    const auto sec = std::chrono::floor<std::chrono::seconds>(job_now_);
    if (sec != now_text_sec_ || now_text_.empty()) {
      now_text_ = format_local(job_now_, opt_.utc_offset_minutes);
      now_text_sec_ = sec;
    }
    return now_text_;
  }

  // Appends a log row; its input (if it records one) is set by the caller.
  void push_row(EventRecord&& e) {
    batch_.events.push_back(std::move(e));
    batch_.inputs.resize(batch_.events.size());
  }

  EventRecord base_event(const Instance& in, const std::string& actor, const std::string& time) {
    EventRecord e;
    e.instance = in.id;
    e.time = time;
    e.actor = actor;
    return e;
  }

  void record_action(Instance& in, const std::string& actor, const std::string& action, const std::string& step,
                     const std::string& note, const std::string& material, const std::string& detail) {
    snapshot_before(in);
    EventRecord e = base_event(in, actor, row_time(in, -1));
    e.kind = "action";
    e.action = action;
    e.step = step;
    e.note = note;
    e.material = material;
    e.detail = detail;
    push_row(std::move(e));
    action_row_ = batch_.events.size() - 1;  // the step's own state change is written on this row
  }

  void record_refusal(Instance& in, const ActRequest& req, const std::string& why) {
    EventRecord e = base_event(in, req.actor, row_time(in, -1));
    e.kind = "refused";
    e.action = req.action;
    e.step = req.step;
    e.note = req.note;
    e.material = req.material;
    e.detail = why;
    push_row(std::move(e));
  }

  // Keeps a copy of the instance as it was before this batch touched it.
  void snapshot_before(Instance& in) {
    if (in.batch_slot >= 0) return;
    if (n_saved_ == saved_.size()) saved_.emplace_back();
    Saved& s = saved_[n_saved_];  // reused from batch to batch: no allocation once warm
    s.inst = &in;
    s.is_new = in.new_in_batch;
    if (!s.is_new) {
      s.rt = in.rt;
      s.timers = in.timers;
      s.finished = in.finished;
    }
    in.batch_slot = static_cast<std::int32_t>(n_saved_++);
    mark_ckpt(in);
  }

  std::string mask_departments(const Instance& in, std::uint32_t s, std::uint32_t mask) {
    const CompiledWorkflow& cw = *in.def->compiled;
    std::string out;
    for (std::uint32_t k = 0; k < cw.dept_count(s); ++k)
      if (mask & (1u << k)) out += (out.empty() ? "" : ", ") + cw.dept_name(cw.dept_of(s, k));
    return out;
  }

  std::string missing_materials(const Instance& in, std::uint32_t s) {
    const CompiledWorkflow& cw = *in.def->compiled;
    std::string out;
    for (std::uint32_t k = 0; k < cw.deferred_count(s); ++k)
      if (in.rt.steps[s].deferred_outstanding & (1u << k))
        out += (out.empty() ? "" : ", ") + cw.materials[cw.deferred[cw.deferred_offset[s] + k].material];
    return out;
  }

  // Turns the state machine's effects into log rows and armed timers.
  void record_effects(Instance& in, const std::string& actor, double at) {
    snapshot_before(in);
    struct Done {
      std::size_t& row;
      ~Done() { row = SIZE_MAX; }
    } done{action_row_};
    const CompiledWorkflow& cw = *in.def->compiled;
    const TimeMap& tm = *in.def->time;
    const std::string when = row_time(in, at);
    for (const Effect& fx : effects_) {
      const std::string step = fx.step == kNoStep ? "" : cw.step_id(fx.step);
      if (fx.kind == EffectKind::step_state || fx.kind == EffectKind::warning || fx.kind == EffectKind::overdue ||
          fx.kind == EffectKind::clock_stopped || fx.kind == EffectKind::clock_resumed)
        touch(in, fx.step);
      auto row = [&](const char* kind) {
        EventRecord e = base_event(in, actor, when);
        e.kind = kind;
        e.step = step;
        return e;
      };
      switch (fx.kind) {
        case EffectKind::step_state: {
          if (action_row_ < batch_.events.size() && batch_.events[action_row_].step == step &&
              batch_.events[action_row_].instance == in.id && batch_.events[action_row_].to.empty()) {
            // Compact log: an action and the state change it causes on its step share one row.
            batch_.events[action_row_].from = to_string(static_cast<StepState>(fx.from));
            batch_.events[action_row_].to = to_string(static_cast<StepState>(fx.to));
            action_row_ = SIZE_MAX;
            break;
          }
          EventRecord e = row("state");
          e.from = to_string(static_cast<StepState>(fx.from));
          e.to = to_string(static_cast<StepState>(fx.to));
          push_row(std::move(e));
          break;
        }
        case EffectKind::instance_state: {
          EventRecord e = row("instance");
          e.from = to_string(static_cast<InstanceState>(fx.from));
          e.to = to_string(static_cast<InstanceState>(fx.to));
          push_row(std::move(e));
          break;
        }
        case EffectKind::notice: {
          EventRecord e = row("notice");
          e.detail = fx.mask ? "one consolidated correction notice from: " + mask_departments(in, fx.step, fx.mask)
                             : "returned: deferred materials still missing after the grace period";
          push_row(std::move(e));
          break;
        }
        case EffectKind::contact_task: {
          EventRecord e = row("contact-task");
          e.detail = "first return: contact the applicant by " + tm.deadline_text(fx.at);
          push_row(std::move(e));
          break;
        }
        case EffectKind::arm_timer: break;  // kept by apply_input()
        case EffectKind::warning:
        case EffectKind::overdue: {
          EventRecord e = row(fx.kind == EffectKind::warning ? "warning" : "overdue");
          e.detail = std::string(fx.kind == EffectKind::warning ? "deadline near: " : "deadline passed: ") +
                     tm.deadline_text(fx.at);
          push_row(std::move(e));
          break;
        }
        case EffectKind::decision_held: {
          EventRecord e = row("decision-held");
          e.detail = "all departments approved; the decision waits for: " + missing_materials(in, fx.step);
          push_row(std::move(e));
          break;
        }
        case EffectKind::verified: push_row(row("verified")); break;
        case EffectKind::contact_done: push_row(row("contact-done")); break;
        case EffectKind::contact_overdue: push_row(row("contact-overdue")); break;
        case EffectKind::clock_stopped: {
          EventRecord e = row("clock-stopped");
          e.detail = "excluded period until " + tm.deadline_text(fx.at);
          push_row(std::move(e));
          break;
        }
        case EffectKind::clock_resumed: push_row(row("clock-resumed")); break;
        case EffectKind::review_requested:
          if (fx.slot == -2) {
            EventRecord e = row("verification-due");
            e.detail = "verify the commitment (" + cw.dept_name(static_cast<std::uint32_t>(fx.dept)) + ")";
            push_row(std::move(e));
          }
          break;
      }
    }
  }

  void push_heap(Instance* in, const Timer& t) {
    heap_.push(HeapEntry{t.at, ++heap_order_, in, t});
    // Entries of dropped timers stay in the heap until they come up; when
    // they outnumber the live ones, rebuild it from the live timers.
    if (heap_.size() > 4096 && heap_.size() > 4 * live_timers()) rebuild_heap();
  }

  std::size_t live_timers() {
    if (++live_check_ % 1024 != 0) return heap_.size();  // counted now and then, not on every push
    std::size_t n = 0;
    for (const auto& [id, in] : instances_) n += in->timers.size();
    return n;
  }

  // Fires every timer due by now, oldest first.
  // Every job reads the clock once, here: an action at that time comes
  // after every timer due by it (which is what replay relies on).
  void fire_due() {
    job_now_ = clock_->now();
    while (!heap_.empty()) {
      HeapEntry h = heap_.top();
      double now_i = h.inst->def->time->to_wt(job_now_);
      if (h.at > now_i) break;
      heap_.pop();
      Instance& in = *h.inst;
      auto it = std::find(in.timers.begin(), in.timers.end(), h.timer);
      if (it == in.timers.end()) continue;  // already fired or dropped
      snapshot_before(in);
      in.timers.erase(it);
      const Event e = timer_event(h.timer);
      // A timer is logged (as an input) when it changed anything; one that
      // found nothing to do is not, and replay finds it so again.
      const bool step_timer = e.step < in.rt.steps.size();
      StepRuntime step_before{};
      if (step_timer) std::memcpy(&step_before, &in.rt.steps[e.step], sizeof(StepRuntime));
      const bool flags_before[2] = {in.rt.warned, in.rt.overdue};
      const std::string when = row_time(in, h.timer.at);
      apply_input(in, e, when, true);
      const bool changed = !effects_.empty() || in.rt.warned != flags_before[0] || in.rt.overdue != flags_before[1] ||
                           (step_timer && std::memcmp(&step_before, &in.rt.steps[e.step], sizeof(StepRuntime)) != 0);
      if (changed) {
        mark_step(in, e.step);
        const std::size_t first = batch_.events.size();
        record_effects(in, "system", h.timer.at);
        if (batch_.events.size() == first) {
          EventRecord row = base_event(in, "system", when);
          row.kind = "timer";
          row.step = e.step == kNoStep ? "" : in.def->compiled->step_id(e.step);
          row.detail = std::string(to_string(e.timer)) + " timer fell due";
          push_row(std::move(row));
        }
        batch_.inputs[first] = encode_input(Input{e});
      }
      // Timers armed by a timer are due at once if already past.
      for (auto& [inst, t] : new_timers_) push_heap(inst, t);
      new_timers_.clear();
    }
  }

  // Sleeps until the earliest timer, when background timers are on.
  void arm_wake() {
    if (!opt_.background_timers || heap_.empty()) return;
    const HeapEntry& h = heap_.top();
    auto when = h.inst->def->time->from_wt(h.at);
    auto delay = when - clock_->now();
    if (delay < std::chrono::seconds(0)) delay = std::chrono::seconds(0);
    if (delay > std::chrono::hours(24)) delay = std::chrono::hours(24);  // re-check daily
    wake_.expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay));
    wake_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      fire_due();
      flush();
    });
  }

  InstanceStatus describe(const Instance& in) {
    const CompiledWorkflow& cw = *in.def->compiled;
    const Workflow& wf = *cw.source;
    const TimeMap& tm = *in.def->time;
    InstanceStatus s;
    s.instance = in.id;
    s.workflow = wf.id;
    s.workflow_hash = in.def->hash;
    s.title = wf.title;
    s.project = in.project;
    s.applicant = in.applicant;
    s.state = to_string(in.rt.state);
    s.green = in.rt.green;
    s.started = in.started;
    s.finished = in.finished;
    if (cw.time_limit >= 0) s.deadline = tm.deadline_text(StateMachine::deadline(in.rt.started_at, cw.time_limit));
    s.warned = in.rt.warned;
    s.overdue = in.rt.overdue;
    for (std::uint32_t i = 0; i < cw.n_steps; ++i) {
      const StepRuntime& r = in.rt.steps[i];
      StepStatus st;
      st.id = wf.steps[i].id;
      st.name = wf.steps[i].name;
      st.state = to_string(r.state);
      st.since = format_local(tm.from_wt(r.entered), opt_.utc_offset_minutes);
      for (std::uint32_t k = 0; k < cw.dept_count(i); ++k) st.departments.push_back(cw.dept_name(cw.dept_of(i, k)));
      if (r.clock_running) st.deadline = tm.deadline_text(r.due);
      st.days_used = r.clock_used + (r.clock_running ? std::max(0.0, tm.to_wt(clock_->now()) - r.clock_since) : 0.0);
      st.days_limit = cw.days[i];
      st.warned = r.warned;
      st.overdue = r.overdue;
      st.paused = r.paused;
      st.on_commitment = r.on_commitment;
      st.verification_pending = r.verification_pending;
      if (r.verification_pending) st.verification_due = tm.deadline_text(r.verify_due);
      st.contact_pending = r.contact_pending;
      st.contact_overdue = r.contact_overdue;
      st.rounds = r.rounds;
      for (std::uint32_t k = 0; k < cw.deferred_count(i); ++k)
        if (r.deferred_outstanding & (1u << k) || (!r.accepted_once && !(r.deferred_supplied & (1u << k))))
          st.missing_materials.push_back(cw.materials[cw.deferred[cw.deferred_offset[i] + k].material]);
      for (std::uint32_t k = 0; k < cw.dept_count(i); ++k)
        if (r.review_pending & (1u << k)) st.reviews_pending.push_back(cw.dept_name(cw.dept_of(i, k)));
      s.steps.push_back(std::move(st));
    }
    return s;
  }

  EngineOptions opt_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<storage::Store> store_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::io_context writer_io_;  // the writer thread: commits while the loop goes on
  asio::executor_work_guard<asio::io_context::executor_type> writer_work_{asio::make_work_guard(writer_io_)};
  std::thread writer_;
  asio::steady_timer wake_;
  std::thread thread_;
  std::atomic<std::thread::id> io_thread_id_{};

  std::unordered_map<std::string, std::unique_ptr<Definition>> defs_;
  std::unordered_map<std::string, std::unique_ptr<Instance>> instances_;
  std::map<std::string, std::int64_t> next_number_;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<>> heap_;
  std::uint64_t heap_order_ = 0;
  std::uint64_t live_check_ = 0;
  std::vector<Effect> effects_;

  // The batch being built until the next flush.
  storage::Batch batch_;
  std::map<std::string, storage::WorkflowRecord> pending_wf_;
  std::set<std::string> stored_wf_;
  std::vector<Saved> saved_;  // the instances the batch touched, as they were before it
  std::size_t n_saved_ = 0;

  // The transaction being written by the writer thread.
  struct Flight {
    bool active = false;
    storage::Batch batch;
    std::vector<std::function<void(std::exception_ptr)>> waiting;
    std::vector<Saved> saved;
    std::size_t n_saved = 0;
    std::vector<std::pair<Instance*, Timer>> new_timers;
    std::map<std::string, storage::WorkflowRecord> pending_wf;
    std::vector<Instance*> ckpt_written;
  } flight_;
  bool force_ckpt_ = false;            // the next flush carries a checkpoint
  EngineStats stats_;
  std::promise<void>* drain_ = nullptr;  // stop(): told when nothing is left to write
  std::vector<std::pair<Instance*, Timer>> new_timers_;
  std::vector<std::function<void(std::exception_ptr)>> waiting_;
  std::exception_ptr pending_error_;
  bool flush_posted_ = false;
  std::size_t action_row_ = SIZE_MAX;  // the action row of the job being recorded

  Clock::time_point job_now_{};  // the clock as the current job read it (fire_due)
  std::string now_text_;
  std::chrono::time_point<Clock::time_point::clock, std::chrono::seconds> now_text_sec_{};

  // Checkpoints (see checkpoint()).
  std::int64_t last_seq_ = 0;              // the last committed event
  std::vector<std::string> ckpt_list_;     // instances changed since the last one
  std::vector<Instance*> ckpt_written_;    // in the checkpoint being committed
  bool ckpt_due_ = false;                  // ckpt_timer_ armed
  std::chrono::steady_clock::time_point last_ckpt_ = std::chrono::steady_clock::now();
  std::unique_ptr<asio::steady_timer> ckpt_timer_;

  std::map<int, Subscriber> subscribers_;
  std::mutex load_mutex_;  // start() loads on the caller's thread
  std::map<std::string, std::shared_ptr<const LoadedFile>> load_cache_;
  int last_token_ = 0;
};

}  // namespace

std::unique_ptr<Engine> Engine::open(const EngineOptions& options) { return std::make_unique<EngineImpl>(options); }

}  // namespace jointreview

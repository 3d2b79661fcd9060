// The live runtime: a Boost.Asio io_context on one thread owns the state of
// every instance and the Store; callers post work to it and wait for the
// commit. Actions that arrive together are applied one after another and
// committed in one transaction (group commit), then acknowledged.
//
// This file: opening and closing the engine, and the public calls. How a
// call travels from here to its row in the database: engine_impl.h.
#include "runtime/engine_impl.h"

#include <algorithm>

#include "runtime/codec.h"

namespace jointreview {
namespace runtime {

EngineImpl::EngineImpl(const EngineOptions& o)
    : opt_(o), clock_(o.clock ? o.clock : system_clock()), work_(asio::make_work_guard(io_)), wake_(io_) {
  store_ = storage::open_sqlite_store(o.database, o.synchronous, o.read_only,
                                      static_cast<long>(o.lock_timeout.count()));
  // What must not drift between the engines that open this database: the
  // local time offset every row is written in, and how instance ids are
  // made. Stored by the first engine; a later one must agree.
  store_->keep_setting("utc_offset_minutes", o.utc_offset_minutes);
  store_->keep_setting("id_scheme", 1);  // 1: YYYYMMDD-NNNNNN, local date, 6 digits or more
  if (const auto kept = store_->setting("utc_offset_minutes"); kept && *kept != o.utc_offset_minutes) {
    auto zone = [](std::int64_t m) {
      const std::int64_t a = m < 0 ? -m : m;
      return std::string("UTC") + (m < 0 ? "-" : "+") + (a / 60 < 10 ? "0" : "") + std::to_string(a / 60) + ":" +
             (a % 60 < 10 ? "0" : "") + std::to_string(a % 60);
    };
    throw Error(Error::Code::invalid_argument,
                "database '" + o.database + "' records local time at " + zone(*kept) + " (utc_offset_minutes " +
                    std::to_string(*kept) + "); this engine was opened with " + zone(o.utc_offset_minutes) +
                    ": open it with the same offset, since one trail cannot mix two local times");
  }
  if (const auto scheme = store_->setting("id_scheme"); scheme && *scheme != 1)
    throw Error(Error::Code::storage, "database '" + o.database + "' makes instance ids by scheme " +
                                          std::to_string(*scheme) + ", which this jreview does not know; upgrade jreview");
  // The calendars the database holds, every instance, what the log holds
  // after the last checkpoint; then what fell due while the engine was
  // closed is fired.
  load_held_calendars();
  legacy_time_ = store_->time_base() == 0;
  // Only the instances not settled are held: a settled one (finished,
  // nothing pending) is read back when a call needs it (find_instance).
  const std::int64_t ckpt_seq = store_->checkpoint_seq();
  for (auto& rec : store_->resident_instances()) {
    std::unique_ptr<Instance> in = instance_from(rec, ckpt_seq);
    if (!in->key.empty()) keys_[key_of(in->def->compiled->source->id, in->key)] = in->id;
    instances_.emplace(rec.id, std::move(in));
  }
  replay();
  for (auto& d : store_->deployments()) deployments_[d.id].push_back(std::move(d));
  load_tokens();
  // The request ids of the last 7 days answer retries; older ones go.
  for (auto& r : store_->requests(format_local(clock_->now() - std::chrono::hours(24 * 7), opt_.utc_offset_minutes),
                                  !opt_.read_only))
    requests_.emplace(r.id, std::move(r));
  if (legacy_time_ && opt_.read_only)
    throw Error(Error::Code::storage, "database '" + o.database +
                                          "' was written by an older jreview and needs a one-time conversion; open "
                                          "it once without EngineOptions::read_only");
  if (opt_.read_only) {
    // Nothing is stored, nothing fires: what the database says, as of now.
    pending_cal_.clear();
  } else if (legacy_time_) {
    convert_time_base();
    legacy_time_ = false;
  } else if (!pending_cal_.empty()) {
    // A database that predates held calendars for some workflow (or an
    // engine that failed before its first commit): stored now.
    storage::Batch b;
    for (auto& [id, rec] : pending_cal_) b.calendars.push_back(rec);
    store_->commit(b);
    for (auto& [id, rec] : pending_cal_) calendars_[id].stored = true;
    pending_cal_.clear();
  }
  if (!opt_.read_only && store_->setting("query_tables").value_or(1) == 0) {
    // A database from before schema 5: the columns and tables queries
    // select on are filled once, by a checkpoint of every instance.
    for (auto& [id, in] : instances_) mark_all_steps(*in);
    checkpoint();
    if (ckpt_list_.empty()) store_->put_setting("query_tables", 1);
  }
  if (!opt_.read_only) {
    // Instances settled before this build let them go (a database from
    // before schema 6 holds every one), or while the engine was closed:
    // checkpointed once more, and let go.
    for (auto& [id, in] : instances_)
      if (settled(*in)) mark_ckpt(*in);
    checkpoint();
  }
  for (auto& [id, in] : instances_)
    for (const auto& t : in->timers) push_heap(in.get(), t);
  ckpt_timer_ = std::make_unique<asio::steady_timer>(io_);
  writer_ = std::thread([this] { writer_io_.run(); });
  thread_ = std::thread([this] { run_loop(); });
  try {
    call([this] {
      fire_due();  // a no-op when read-only
      return 0;
    });
  } catch (...) {
    stop();  // the event-loop thread must not outlive a failed open
    throw;
  }
}

EngineImpl::~EngineImpl() { stop(); }

// The event loop's thread. Every job is contained where it runs (a call's
// failure becomes its error; a timer's, an `error` event), so nothing should
// reach here; should anything escape a handler all the same, the loop goes
// on rather than end the host process, and a close waiting for the last
// batch is not left hanging.
void EngineImpl::run_loop() {
  io_thread_id_ = std::this_thread::get_id();
  for (;;) {
    try {
      io_.run();
      return;
    } catch (...) {
      // The batch being formed is dropped as a failed commit would be, and
      // its calls answered with the failure.
      const std::exception_ptr err = std::current_exception();
      flush_posted_ = false;
      clear_keeping_capacity(batch_);
      new_timers_.clear();
      action_row_ = SIZE_MAX;
      restore(saved_, n_saved_, 0);
      for (auto it = undo_hooks_.rbegin(); it != undo_hooks_.rend(); ++it) (*it)();
      undo_hooks_.clear();
      pending_wf_.clear();
      rebuild_heap();
      auto waiting = std::move(waiting_);
      waiting_.clear();
      for (auto& w : waiting) {
        try {
          w(err);
        } catch (...) {
        }
      }
      maybe_drained();
    }
  }
}

void EngineImpl::stop() {
  // Durable subscriptions end first, while the engine still answers the
  // calls their subscribers may be making.
  if (thread_.joinable() && !io_.stopped()) {
    std::map<int, std::shared_ptr<Feed>> feeds;
    std::promise<void> moved;
    asio::post(io_, [this, &feeds, &moved] {
      feeds.swap(feeds_);
      moved.set_value();
    });
    moved.get_future().wait();
    feeds.clear();
  }
  {
    std::lock_guard<std::mutex> lk(retired_mutex_);
    retired_.clear();
  }
  if (thread_.joinable() && !io_.stopped() && !opt_.read_only) {
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
  reader_.reset();  // before the writer's connection, which closes last
}

std::string EngineImpl::start(const StartRequest& req) { return start_instance(req).instance; }

StartResult EngineImpl::start_instance(const StartRequest& req) {
  if (req.workflow_file.empty() && !req.workflow.empty())
    return call([&] { return start_job(req, nullptr); });
  // Load and validate outside the event loop: it reads files.
  std::shared_ptr<const LoadedFile> loaded = load(req.workflow_file);
  return call([&] { return start_job(req, loaded.get()); });
}

DeployedWorkflow EngineImpl::deploy(const std::string& workflow_file) {
  std::shared_ptr<const LoadedFile> loaded = load(workflow_file);
  return call([&] { return deploy_job(*loaded); });
}

DeployedWorkflow EngineImpl::deploy_texts(const std::map<std::string, std::string>& files, const std::string& main) {
  std::shared_ptr<const LoadedFile> loaded = load_texts(files, main);
  return call([&] { return deploy_job(*loaded); });
}

std::vector<DeployedWorkflow> EngineImpl::workflows() {
  return call([&] {
    std::vector<DeployedWorkflow> out;
    for (const auto& [id, versions] : deployments_)
      for (const auto& d : versions) out.push_back(describe(d));
    return out;
  });
}

ActResult EngineImpl::apply(const ActRequest& req) {
  return call([&] { return act_job(req); });
}

ActResult EngineImpl::claim(const std::string& instance, const std::string& step, const std::string& actor) {
  return call([&] { return claim_job(instance, step, actor, true); });
}

ActResult EngineImpl::release(const std::string& instance, const std::string& step, const std::string& actor) {
  return call([&] { return claim_job(instance, step, actor, false); });
}

void EngineImpl::start_async(const StartRequest& req, StartDone done) {
  std::shared_ptr<const LoadedFile> loaded;
  try {
    if (!req.workflow_file.empty() || req.workflow.empty()) loaded = load(req.workflow_file);
  } catch (...) {
    asio::post(io_, [done = std::move(done), err = std::current_exception()] { notify(done, std::string(), err); });
    return;
  }
  submit([this, req, loaded] { return start_job(req, loaded.get()); },
         [done = std::move(done)](StartResult r, std::exception_ptr err) { notify(done, r.instance, err); });
}

void EngineImpl::act_async(const ActRequest& req, ActDone done) {
  submit([this, req] { return act_job(req); },
         [done = std::move(done)](ActResult, std::exception_ptr err) { notify(done, err); });
}

void EngineImpl::start_instance_async(const StartRequest& req, StartResultDone done) {
  std::shared_ptr<const LoadedFile> loaded;
  try {
    if (!req.workflow_file.empty() || req.workflow.empty()) loaded = load(req.workflow_file);
  } catch (...) {
    asio::post(io_, [done = std::move(done), err = std::current_exception()] { notify(done, StartResult{}, err); });
    return;
  }
  submit([this, req, loaded] { return start_job(req, loaded.get()); },
         [done = std::move(done)](StartResult r, std::exception_ptr err) { notify(done, r, err); });
}

void EngineImpl::apply_async(const ActRequest& req, ActResultDone done) {
  submit([this, req] { return act_job(req); },
         [done = std::move(done)](ActResult r, std::exception_ptr err) { notify(done, r, err); });
}

void EngineImpl::claim_async(const std::string& instance, const std::string& step, const std::string& actor,
                             bool claim, ActResultDone done) {
  submit([this, instance, step, actor, claim] { return claim_job(instance, step, actor, claim); },
         [done = std::move(done)](ActResult r, std::exception_ptr err) { notify(done, r, err); });
}

void EngineImpl::act(const ActRequest& req) { apply(req); }

InstanceStatus EngineImpl::status(const std::string& id) {
  return call([&] {
    fire_due();
    auto it = instances_.find(id);
    if (it != instances_.end()) return describe(*it->second);
    // Settled: read from its row, described, and not held.
    std::optional<storage::InstanceRecord> rec = reader().instance(id);
    if (!rec) throw Error(Error::Code::not_found, "no instance '" + id + "'", "unknown_instance");
    return describe(*instance_from(*rec, INT64_MAX));
  });
}

std::vector<InstanceStatus> EngineImpl::instances() {
  return call([&] {
    fire_due();
    // The held instances, and the settled ones read from their rows one at
    // a time (Engine::query pages without reading them).
    std::vector<InstanceStatus> out;
    std::vector<const Instance*> held = sorted_instances();
    std::vector<storage::InstanceRecord> rows = reader().instances();
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    auto h = held.begin();
    for (const auto& rec : rows) {
      for (; h != held.end() && (*h)->id <= rec.id; ++h) out.push_back(describe(**h));
      if (!instances_.count(rec.id)) out.push_back(describe(*instance_from(rec, INT64_MAX)));
    }
    for (; h != held.end(); ++h) out.push_back(describe(**h));
    return out;
  });
}

Worklist EngineImpl::worklist(const std::string& department) {
  return call([&] {
    fire_due();
    return department_worklist(department);
  });
}

WeeklyReport EngineImpl::weekly_report(const std::string& week) {
  const Date monday = iso_week_monday(week.empty() ? iso_week(Date::parse(today())) : week);
  return call([&] {
    fire_due();
    return report_of_week(monday);
  });
}

std::vector<EventRecord> EngineImpl::events(const std::string& id) {
  return call([&] {
    if (!instances_.count(id) && !reader().instance(id))
      throw Error(Error::Code::not_found, "no instance '" + id + "'", "unknown_instance");
    return on_writer([&] { return store_->events(id); });
  });
}

int EngineImpl::subscribe(Subscriber fn) {
  return call([&] {
    int token = ++last_token_;
    subscribers_.emplace(token, std::move(fn));
    return token;
  });
}

int EngineImpl::subscribe(Subscriber fn, std::int64_t after_seq) {
  if (after_seq < 0) throw Error(Error::Code::invalid_argument, "after_seq is a seq, 0 or more", "bad_value");
  return call([&] {
    // Opened here, on the engine's thread, so that the head it starts from
    // is exactly what has been committed.
    auto feed = std::make_shared<Feed>(opt_.database, after_seq, last_seq_, std::move(fn));
    int token = ++last_token_;
    feeds_.emplace(token, std::move(feed));
    return token;
  });
}

void EngineImpl::unsubscribe(int token) {
  std::shared_ptr<Feed> feed = call([&] {
    subscribers_.erase(token);
    std::shared_ptr<Feed> f;
    if (auto it = feeds_.find(token); it != feeds_.end()) {
      f = std::move(it->second);
      feeds_.erase(it);
    }
    return f;
  });
  if (!feed) return;
  feed->stop();  // joins, unless this is the feed's own thread
  if (feed->on_own_thread()) {
    std::lock_guard<std::mutex> lk(retired_mutex_);
    retired_.push_back(std::move(feed));
  }
}

std::vector<EventRecord> EngineImpl::events_since(std::int64_t after_seq, std::size_t limit) {
  if (limit > 10000) limit = 10000;
  return call([&] { return on_writer([&] { return store_->events_after(after_seq, limit); }); });
}

void EngineImpl::fire_due_timers() {
  call([&] {
    fire_due();
    return 0;
  });
}

std::string EngineImpl::today() {
  return format_local(clock_->now(), opt_.utc_offset_minutes).substr(0, 10);
}

EngineStats EngineImpl::stats() {
  return call([&] {
    EngineStats s = stats_;
    s.instances = instances_.size();
    s.pending_checkpoint = ckpt_list_.size();
    s.last_seq = last_seq_;
    return s;
  });
}

}  // namespace runtime

std::unique_ptr<Engine> Engine::open(const EngineOptions& options) {
  return std::make_unique<runtime::EngineImpl>(options);
}

}  // namespace jointreview

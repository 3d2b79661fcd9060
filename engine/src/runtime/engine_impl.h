// The live runtime's engine (Engine::open): one class whose members are
// defined in the files of runtime/, in the order a call flows through them:
//
//   engine.cpp       open and close; the public calls (start, act, status ...)
//   engine_impl.h    call()/submit()/run_job(): the hand-off to the event loop
//   actions.cpp      start_job / act_job: a request checked and applied to the
//                    state machine (machine/), with its timers kept in step
//   audit.cpp        the audit rows of an action and of the effects it caused
//   batch.cpp        group commit: the batch handed to the writer thread, the
//                    commit (storage/), the answers, undo of a failed batch
//   timers.cpp       the timer heap: due timers fired, the next wake-up armed
//   checkpoint.cpp   the current-state tables and the replay of the log at open
//   definitions.cpp  workflow files loaded and definitions cached by hash
//   status.cpp       an instance as InstanceStatus (status, instances)
//   queries.cpp      a department's worklist, the weekly dispatch report, query()
//   deployments.cpp  deployed workflow versions
//   feed.cpp         durable subscriptions, each on a thread of its own
//   codec.cpp        snapshots and logged inputs, binary
//   clock.cpp, working_time.cpp   clocks, and instants as working-day time
//
// Threads: every member runs on the event-loop thread (thread_), but the
// Store, which only the writer thread (writer_) uses once the engine runs,
// and load(), which runs on the caller's thread under load_mutex_.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/workflow.h"
#include "machine/state_machine.h"
#include "runtime/feed.h"
#include "runtime/instance.h"
#include "storage/store.h"

namespace jointreview::runtime {

namespace asio = boost::asio;

// `bytes` random bytes (OpenSSL), as hex (tokens.cpp).
std::string random_hex(std::size_t bytes);

// The error code of a refusal of the state machine.
Error::Code refusal_code(Refusal r);
// Its machine-readable reason (Error::reason()): "wrong_state", "wrong_actor" ...
const char* refusal_reason(Refusal r);

class EngineImpl final : public Engine {
 public:
  explicit EngineImpl(const EngineOptions& o);
  ~EngineImpl() override;

  // A reader (EngineOptions::read_only) changes nothing.
  void refuse_if_read_only(const char* what) const {
    if (opt_.read_only)
      throw Error(Error::Code::invalid_argument,
                  std::string(what) + " refused: the database is open read-only (EngineOptions::read_only)",
                  "read_only");
  }

  // ---- engine.cpp: the public calls
  std::string start(const StartRequest& req) override;
  StartResult start_instance(const StartRequest& req) override;
  ActResult apply(const ActRequest& req) override;
  ActResult claim(const std::string& instance, const std::string& step, const std::string& actor) override;
  DeployedWorkflow deploy(const std::string& workflow_file) override;
  DeployedWorkflow deploy_texts(const std::map<std::string, std::string>& files, const std::string& main) override;
  std::vector<DeployedWorkflow> workflows() override;
  InstancePage query(const InstanceFilter& filter) override;
  ActResult release(const std::string& instance, const std::string& step, const std::string& actor) override;
  void start_async(const StartRequest& req, StartDone done) override;
  void act_async(const ActRequest& req, ActDone done) override;
  void start_instance_async(const StartRequest& req, StartResultDone done) override;
  void apply_async(const ActRequest& req, ActResultDone done) override;
  void claim_async(const std::string& instance, const std::string& step, const std::string& actor, bool claim,
                   ActResultDone done) override;
  void act(const ActRequest& req) override;
  InstanceStatus status(const std::string& id) override;
  std::vector<InstanceStatus> instances() override;
  std::vector<EventRecord> events(const std::string& id) override;
  int subscribe(Subscriber fn) override;
  int subscribe(Subscriber fn, std::int64_t after_seq) override;
  std::vector<EventRecord> events_since(std::int64_t after_seq, std::size_t limit) override;
  void unsubscribe(int token) override;
  void fire_due_timers() override;
  std::string today() override;
  EngineStats stats() override;
  Worklist worklist(const std::string& department) override;
  WeeklyReport weekly_report(const std::string& week) override;
  std::vector<StoredCalendar> calendars() override;
  CalendarUpdate update_calendar(const std::string& file) override;
  NewToken add_token(const std::string& actor, const std::string& name, const std::string& expires) override;
  std::vector<AccessToken> tokens() override;
  AccessToken revoke_token(const std::string& id) override;
  std::optional<AccessToken> authenticate(const std::string& secret) override;
  Webhook add_webhook(const std::string& url, const std::vector<std::string>& kinds, const std::string& secret,
                      std::int64_t from_seq) override;
  std::vector<Webhook> webhooks() override;
  Webhook remove_webhook(const std::string& id) override;
  void record_webhook(const std::string& id, std::int64_t delivered_seq, std::int64_t failures,
                      const std::string& last_error, const std::string& last_attempt) override;

 private:
  // A workflow file as loaded for start(): its texts (main file and
  // includes), their content hash, and the validated model.
  struct LoadedFile {
    std::map<std::string, std::string> files;
    std::string bundle_text;
    std::string hash;
    std::shared_ptr<const Workflow> workflow;
  };

  // Where the batch stood before a job, so that a failing job can be undone.
  struct Mark {
    std::size_t events;
    std::size_t timers;
    std::size_t saved;  // into saved_
  };

  void stop();
  void run_loop();

  // ---- the hand-off: a call runs on the event-loop thread, joins the
  // batch being built, and is answered once that batch has committed.
  template <class Done, class... Args>
  static void notify(const Done& done, Args&&... args) {
    if (!done) return;
    try {
      done(std::forward<Args>(args)...);
    } catch (...) {
    }
  }

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

  template <class F>
  auto on_writer(F fn) -> decltype(fn()) {
    std::packaged_task<decltype(fn())()> task(std::move(fn));
    auto fut = task.get_future();
    asio::post(writer_io_, [&task] { task(); });
    return fut.get();
  }

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

  // ---- actions.cpp
  // `loaded` null: req.workflow names a deployed workflow.
  StartResult start_job(const StartRequest& req, const LoadedFile* loaded);
  DeployedWorkflow deploy_job(const LoadedFile& loaded);
  const storage::DeploymentRecord& deployed(const std::string& ref) const;
  DeployedWorkflow describe(const storage::DeploymentRecord& d);
  ActResult act_job(const ActRequest& req);
  ActResult act_rules(const ActRequest& req);
  ActResult claim_job(const std::string& instance, const std::string& step, const std::string& actor, bool take);
  // The instance's claims after a change: a decided step keeps none.
  void drop_decided_claims(Instance& in);
  // Another actor's claim on the step for the actor's department, or null.
  const Claim* claim_against(const Instance& in, std::uint32_t step, const Actor& actor, const std::string& who) const;
  static std::string key_of(const std::string& workflow_id, const std::string& key) {
    return workflow_id + '\n' + key;
  }
  static std::string claims_text(const Instance& in);
  void read_claims(Instance& in, const std::string& text);
  Refusal apply_input(Instance& in, const Event& e, const std::string& when, bool live = false);
  Actor parse_actor(const Instance& in, const std::string& who, std::string& err);
  static std::int64_t seconds_of(Clock::time_point t);
  std::string clock_behind(const Instance& in, std::string* latest = nullptr) const;
  std::int64_t last_number(const std::string& prefix);

  // ---- audit.cpp
  std::string row_time(const Instance& in, double at);
  const std::string& now_text();
  void push_row(EventRecord&& e);
  EventRecord base_event(const Instance& in, const std::string& actor, const std::string& time);
  void record_action(Instance& in, const std::string& actor, const std::string& action, const std::string& step,
                     const std::string& note, const std::string& material, const std::string& detail);
  // `time`: the row's date when not the clock's (a refusal for time running
  // backwards is dated at the instance's latest event).
  void record_refusal(Instance& in, const ActRequest& req, const std::string& why,
                      const std::string* time = nullptr);
  std::string mask_departments(const Instance& in, std::uint32_t s, std::uint32_t mask);
  std::string missing_materials(const Instance& in, std::uint32_t s);
  void record_effects(Instance& in, const std::string& actor, double at);
  void touch(Instance& in, std::uint32_t step);
  std::string exclusion_ground(const Instance& in, std::uint32_t s) const;
  void keep_note(Instance& in, const Event& e, const std::string& note);
  void drop_notes(Instance& in);
  std::string notice_items(const Instance& in, std::uint32_t s, std::uint32_t mask) const;
  static std::string number_text(double v);

  // ---- batch.cpp
  Mark mark() const;
  void undo_to(const Mark& m);
  void restore_saved(std::size_t from);
  void restore(std::vector<Saved>& v, std::size_t& n, std::size_t from);
  void rethrow_pending();
  void snapshot_before(Instance& in);
  void flush();
  void on_committed(std::exception_ptr err);
  static void clear_keeping_capacity(storage::Batch& b);
  void maybe_drained();

  // ---- timers.cpp
  static Event timer_event(const Timer& t);
  void push_heap(Instance* in, const Timer& t);
  std::size_t live_timers();
  void rebuild_heap();
  void fire_due();
  void fire_timer(Instance& in, const Timer& t);
  void arm_wake();

  // ---- checkpoint.cpp
  void replay();
  // One logged input applied again: to `target` when given (an instance
  // being rebuilt from its log), else to the instance the row names.
  void replay_input(const storage::InputRow& row, Instance* target);
  Instance& add_instance(const std::string& id, const std::string& workflow_hash, const std::string& project,
                         const std::string& applicant, const std::string& started);
  // An instance read back from its checkpoint row, not held: its snapshot
  // decoded or, when that cannot be read, rebuilt from its log up to `upto`.
  std::unique_ptr<Instance> instance_from(const storage::InstanceRecord& rec, std::int64_t upto);
  // Settled: finished, and nothing of it can fire or is held (no timer, no
  // claim). A settled instance is let go from memory once checkpointed.
  static bool settled(const Instance& in) {
    return in.rt.state != InstanceState::running && in.timers.empty() && in.claims.empty();
  }
  // The instance with this id: held, or read back (and held until its next
  // checkpoint) when settled; null when there is none.
  Instance* find_instance(const std::string& id);
  // The settled instances among those a committed checkpoint wrote, let go.
  void unload_settled(const std::vector<Instance*>& written);
  // The database's reading connection (event-loop thread): settled
  // instances, keys and workflow texts, without waiting for the writer.
  storage::Store& reader();
  void fire_pending(Instance& in, double at, const Timer* until);
  void mark_ckpt(Instance& in);
  void mark_step(Instance& in, std::uint32_t step);
  void mark_all_steps(Instance& in);
  void checkpoint();
  bool checkpoint_due() const;
  void add_checkpoint(storage::Batch& b);
  void schedule_checkpoint();
  storage::InstanceRecord record_of(Instance& in);
  storage::StepRecord step_record(const Instance& in, int idx);

  // ---- definitions.cpp
  std::shared_ptr<const LoadedFile> load(const std::string& path);
  static void seal(LoadedFile& out, LoadResult&& r, const std::string& main);
  std::shared_ptr<const LoadedFile> load_texts(const std::map<std::string, std::string>& files,
                                               const std::string& main);
  Definition& definition(const std::string& hash, std::shared_ptr<const Workflow> wf = nullptr);

  // ---- calendars.cpp: the calendars the database holds
  struct HeldCalendar {
    std::shared_ptr<const Calendar> calendar;
    storage::CalendarRecord record;
    bool stored = false;  // committed; else pending_cal_ holds it for the next batch
  };
  CalendarOptions held_options() const;
  bool strict_time() const;
  void load_held_calendars();
  void warn_if_newer(const HeldCalendar& h, const std::vector<std::string>& dirs);
  std::shared_ptr<const Calendar> held_calendar(const Workflow& wf, bool from_files);
  void compare_with_folder(const Workflow& wf);
  std::vector<std::string> held_calendar_ids() const;
  void convert_time_base();
  CalendarUpdate update_calendar_job(const std::string& file);

  // ---- tokens.cpp (any thread, under tokens_mutex_)
  void load_tokens();  // and the webhooks
  AccessToken token_of(const storage::TokenRecord& r, const std::string& today) const;

  // ---- status.cpp
  InstanceStatus describe(const Instance& in);
  std::string project_deadline(const Instance& in) const;
  bool project_deadline_provisional(const Instance& in) const;
  std::string step_deadline(const Instance& in, std::uint32_t step) const;
  bool step_deadline_provisional(const Instance& in, std::uint32_t step) const;
  double days_used(const Instance& in, std::uint32_t step) const;
  std::string step_since(const Instance& in, std::uint32_t step) const;
  std::vector<const Instance*> sorted_instances() const;

  // ---- queries.cpp
  Worklist department_worklist(const std::string& department);
  WeeklyReport report_of_week(Date monday);

  EngineOptions opt_;
  std::shared_ptr<Clock> clock_;
  std::unique_ptr<storage::Store> store_;
  // reader(): declared after store_, so closed before it (the writer's
  // connection, closing last, folds the write-ahead log into the file).
  std::unique_ptr<storage::Store> reader_;
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
  std::unordered_map<std::string, std::string> keys_;  // key_of(workflow id, business key) -> instance
  std::unordered_map<std::string, storage::RequestRecord> requests_;  // by request id, the last 7 days
  std::map<std::string, std::vector<storage::DeploymentRecord>> deployments_;  // by workflow id, by version
  std::map<std::string, std::int64_t> next_number_;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<>> heap_;
  std::uint64_t heap_order_ = 0;
  std::uint64_t live_check_ = 0;
  std::vector<Effect> effects_;

  // The batch being built until the next flush.
  storage::Batch batch_;
  std::map<std::string, storage::WorkflowRecord> pending_wf_;
  std::set<std::string> stored_wf_;
  std::map<std::string, HeldCalendar> calendars_;              // by id
  std::map<std::string, storage::CalendarRecord> pending_cal_;  // to store with the next batch
  std::set<std::string> warned_newer_;
  std::set<std::string> compared_files_;  // workflow files whose folder's calendar was compared
  bool legacy_time_ = false;  // opening a schema-2 database: its rows count working days (convert_time_base)
  // What the batch changed outside the instances (a calendar update's
  // definitions), put back if it does not commit, newest first.
  std::vector<std::function<void()>> undo_hooks_;
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
    std::map<std::string, storage::CalendarRecord> pending_cal;
    std::vector<std::function<void()>> undo_hooks;
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
  std::map<int, std::shared_ptr<Feed>> feeds_;  // durable subscriptions (event-loop thread)
  std::mutex retired_mutex_;
  std::vector<std::shared_ptr<Feed>> retired_;  // feeds unsubscribed from their own callback: joined at close
  std::mutex load_mutex_;  // start() loads on the caller's thread
  std::map<std::string, std::shared_ptr<const LoadedFile>> load_cache_;
  int last_token_ = 0;

  // Access tokens: every one, in the order created, and the index of each
  // by the hash of its secret. Written on the writer thread, then here.
  mutable std::shared_mutex tokens_mutex_;
  std::vector<storage::TokenRecord> tokens_;
  std::unordered_map<std::string, std::size_t> token_by_hash_;
  // Webhooks, in the order added (under tokens_mutex_ too).
  std::vector<storage::WebhookRecord> webhooks_;
};

}  // namespace jointreview::runtime

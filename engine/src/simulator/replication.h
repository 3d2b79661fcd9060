// The simulator's inner loop: one replication of `projects` projects on a
// virtual working-day clock, driving the pure StateMachine and reacting to
// its effects as the applicant and the departments would. Private; the
// public face is jointreview/simulator.h. Models: docs/simulation.md.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "model/compiled.h"
#include "jointreview/simulator.h"
#include "simulator/random.h"
#include "machine/state_machine.h"

namespace jointreview::sim {

// What the replications share, read-only.
struct Model {
  std::shared_ptr<const CompiledWorkflow> cw;
  StateMachine machine;
  std::vector<Sampler> duration, turnaround;  // per step
  std::vector<Sampler> prepare;               // per step: the applicant's preparation once ready
  std::vector<std::uint8_t> has_prepare;      // per step: prepare is not exactly 0
  std::vector<Sampler> excluded;              // CSR by cw->excluded_offset
  std::vector<std::uint32_t> capacity;        // per department, overrides applied; 0 = unlimited
  std::vector<std::uint32_t> window;          // per step: window index, kOnline for online steps
  std::uint32_t n_windows = 0;
  std::uint32_t projects = 1;
  double arrival_window = 20;
  std::vector<std::uint8_t> green;            // per project: on the green channel
  double time_limit = -1;                     // < 0: none
  // Reference mode, for tests only: drive the machine as a literal driver
  // would: every effect built, every actor checked, every timer the machine
  // arms put into the event heap. Off (default), the machine builds only the
  // effects the engine acts on and skips the actor check (Replication::configure),
  // and the engine leaves out the timers that cannot matter here and fires
  // the red-flag ones lazily (Replication::on_effect explains why both are
  // exact); the simulator tests check that both modes give identical results.
  bool all_timers = false;
  // Count red flags for overdue_share (SimulationOptions::count_overdue).
  // Off, the `overdue` timers are not asked for, so nothing fires them.
  bool count_overdue = true;

  static constexpr std::uint32_t kOnline = 0xFFFFFFFFu;
  explicit Model(std::shared_ptr<const CompiledWorkflow> c) : cw(c), machine(std::move(c)) {}
};

// Statistics of a block of replications; blocks are merged in block order so
// that sums do not depend on which thread ran which block. Neighbouring
// blocks usually run on different threads at the same time: a cache line of
// their own each, so that one's counters never share a line with the other's.
struct alignas(64) Accumulator {
  // The arrays below point into two buffers of this accumulator's own (one
  // allocation each, however many steps and departments): a run allocates a
  // block's accumulator per 64 replications and frees them all at the end.
  // per step
  std::uint64_t *critical = nullptr, *returns = nullptr, *finish_n = nullptr, *overdue = nullptr;
  double *qwait_sum = nullptr, *finish_sum = nullptr;
  std::uint64_t* qwait_n = nullptr;
  // per department
  double *busy = nullptr, *qint = nullptr, *dqwait = nullptr;
  std::uint64_t* reviews = nullptr;
  double* qmax = nullptr;
  double horizon = 0;
  std::uint64_t completed = 0, rejected = 0, revoked = 0, withdrawn = 0, other = 0, on_time = 0, on_time_elapsed = 0;
  double trips = 0;
  std::uint64_t stale = 0, refused = 0;

  Accumulator() = default;
  Accumulator(const Accumulator&) = delete;  // the pointers would point into the original
  Accumulator& operator=(const Accumulator&) = delete;

  void init(std::uint32_t steps, std::uint32_t depts);
  void add(const Accumulator& o);

 private:
  std::uint32_t steps_ = 0, depts_ = 0;
  std::vector<std::uint64_t> counts_;
  std::vector<double> sums_;
};

// Raw records of one project in a traced replication.
struct TraceRecord {
  enum class Kind : std::uint8_t { state, queue, review, excluded };
  Kind kind;
  std::uint8_t state = 0;  // StepState for Kind::state
  std::uint32_t step = 0;
  std::uint32_t dept = 0;
  double start = 0, end = 0;
};

class Replication {
 public:
  explicit Replication(const Model& m);
  // Runs replication `rep` under `seed`. Writes each project's total working
  // days (NaN when it did not complete) to totals[0 .. projects).
  // `counted` gets the days that count against the limit: the total minus
  // the excluded periods (Art. 45) of the steps on the run's critical path.
  void run(std::uint64_t seed, std::uint64_t rep, Accumulator& acc, double* totals, double* counted);
  // Like run, recording project `project`'s timeline; returns its arrival.
  double trace(std::uint64_t seed, std::uint64_t rep, std::uint32_t project, std::vector<TraceRecord>& out,
               Accumulator& scratch, double* totals, double* counted);

 private:
  enum class Kind : std::uint8_t { arrival, timer, review_done, resubmit, supply, exclusion_over, prepared, verify,
                                   rectify };
  // A heap entry: 24 bytes, no pointers. Ordered by (t, seq); seq is unique,
  // so the order (and every result) does not depend on the heap's layout.
  // A review_done's department is dept_of(step, slot).
  struct Ev {
    double t;
    std::uint32_t seq;
    std::uint32_t project;
    std::uint32_t step;
    Kind kind;
    TimerKind timer;
    std::int8_t slot;
    std::uint8_t stamp;  // the step's `rounds` when scheduled
  };
  static bool before(const Ev& a, const Ev& b) { return a.t < b.t || (a.t == b.t && a.seq < b.seq); }
  // A red-flag (`overdue`) timer kept out of the heap; fired, in (t, seq)
  // order, just before the project's next event or at the end of the run.
  struct Alert {
    double t;
    std::uint32_t seq;
    std::uint32_t step;
  };
  struct Immediate {
    std::uint32_t project;
    Event e;
  };
  struct Waiting {  // a review waiting for a department slot
    std::uint32_t project;
    std::uint32_t step;
    std::int32_t slot;
    std::uint8_t stamp;
    double since;
  };
  struct Queue {
    std::vector<Waiting> items;
    std::size_t head = 0;
    bool empty() const { return head == items.size(); }
    std::size_t size() const { return items.size() - head; }
    void clear() { items.clear(); head = 0; }
  };

  void configure(bool tracing);
  [[gnu::always_inline]] inline void push(double t, Kind k, std::uint32_t p, std::uint32_t s, std::int8_t slot = -1,
                                         std::uint8_t stamp = 0, TimerKind timer = TimerKind::none);
  Ev pop();
  void defer_alert(std::uint32_t p, std::uint32_t s, double t);
  void fire_alerts(std::uint32_t p, double t, std::uint32_t seq);
  void immediate(std::uint32_t p, Action a, std::uint32_t s, Actor who, std::int32_t slot = -1, double value = -1);
  Refusal act(std::uint32_t p, Event e);
  // The machine's effect sink (StateMachine::apply): each effect is acted on
  // the moment the machine emits it, with no list in between. Inlined into
  // every emission, where the effect's kind is known: one branch is left.
  struct Sink {
    Replication& engine;
    std::uint32_t project;
    void push_back(const Effect& e);  // engine.on_effect(project, e)
  };
  [[gnu::always_inline]] inline void on_effect(std::uint32_t p, const Effect& e);
  void handle(const Ev& ev);
  void drain();
  [[gnu::always_inline]] inline void dispatch(std::uint32_t p, std::uint32_t s, std::int32_t slot, double since);
  [[gnu::always_inline]] inline void start_review(std::uint32_t d, const Waiting& w);
  void pull(std::uint32_t d);
  bool review_current(std::uint32_t p, std::uint32_t s, std::uint8_t stamp) const;
  void queue_change(std::uint32_t d);
  void release_held(std::uint32_t p, std::uint32_t s);
  void trip(std::uint32_t p, std::uint32_t s);
  void finish(Accumulator& acc, double* totals, double* counted);
  void run_events(std::uint64_t seed, std::uint64_t rep, Accumulator& acc);

  const Model& m_;
  const CompiledWorkflow& w_;
  const std::uint32_t n_;   // steps
  const std::uint32_t nd_;  // departments
  const std::uint32_t np_;  // projects
  StateMachine machine_;    // the model's workflow, with the profile this replication wants (configure)
  Rng rng_;
  double now_ = 0;
  std::uint32_t seq_ = 0;
  std::uint64_t events_ = 0;
  double last_activity_ = 0;
  Accumulator* acc_ = nullptr;

  // Both kept with a count of their own: the storage only grows, and the
  // hot path neither constructs nor destroys an element, nor divides a byte
  // length by the element size to learn how many there are.
  std::vector<Ev> heap_;                       // binary min-heap by before(): heap_[0 .. heap_n_)
  std::size_t heap_n_ = 0;
  std::vector<std::vector<Alert>> alerts_;     // per project, latest first
  std::vector<Immediate> imm_;                 // queued actions: imm_[imm_head_ .. imm_n_)
  std::size_t imm_head_ = 0, imm_n_ = 0;

  // per project
  std::vector<InstanceRuntime> inst_;
  std::vector<double> arrival_;
  std::vector<double> arrival_scratch_;
  std::vector<std::uint32_t> trips_;
  std::vector<double> last_visit_;  // [p * n_windows + w]
  // per project-step [p * n + s]; one array, reset with one fill
  struct StepSim {
    double dur = 0;            // this round's review duration
    double finish_at = -1;     // when approved
    std::uint32_t held = 0;            // approvals (slots) held back until the excluded periods are over
    std::uint32_t supply_planned = 0;  // deferred materials whose delivery is drawn
    std::uint8_t excl_state = 0;       // excluded periods: 0 none yet, 1 running, 2 done
    std::uint8_t excl_next = 0;        // the next declared period
    std::uint8_t wait_resubmit = 0;    // resubmits when the missing material arrives
    std::uint8_t overdue = 0;          // turned red in this replication
  };
  std::vector<StepSim> ps_;
  // per department
  std::vector<std::uint32_t> busy_;
  std::vector<Queue> green_q_, normal_q_;
  std::uint32_t queued_ = 0;  // reviews waiting in all queues
  std::vector<double> q_last_;

  // tracing
  std::uint32_t trace_project_ = 0xFFFFFFFFu;
  std::vector<TraceRecord>* trace_ = nullptr;
};

// jointreview::simulate with the engine's reference mode on or off
// (Model::all_timers); the public simulate() runs it off.
SimulationResult simulate(const Workflow& wf, const SimulationOptions& o, bool all_timers);

}  // namespace jointreview::sim

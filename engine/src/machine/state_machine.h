// The approval state machine: pure. It takes an instance's state and one
// event and returns the effects; it does no I/O, reads no clock and holds
// no strings on its hot path. The live runtime and the simulator both drive
// this one implementation. Rules: docs/state-machine.md.
//
// Time is a working-day offset (a double): t in (k, k+1) lies in working day
// k. A limit of n working days that starts at t ends at ceil(t + n), the end
// of the n-th working day after the start day (the start day not counted).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/compiled.h"
#include "jointreview/states.h"
#include "util/attributes.h"  // JR_FLATTEN, for rules.h

namespace jointreview {

struct Actor {
  enum class Kind : std::uint8_t { system, applicant, department };
  Kind kind = Kind::system;
  std::uint32_t dept = 0;  // for Kind::department
  static Actor system() { return {}; }
  static Actor applicant() { return {Kind::applicant, 0}; }
  static Actor department(std::uint32_t d) { return {Kind::department, d}; }
};

struct Event {
  Action action = Action::timer;
  TimerKind timer = TimerKind::none;
  std::uint32_t step = 0;
  Actor actor;
  std::int32_t slot = -1;  // supply / deferred timers: index among the step's deferred materials;
                           // exclude: the ground (ExclusionGround), 0 for none
  double at = 0;           // working-day time of the event
  double value = -1;       // exclude: length in working days (< 0: the declared length); extend: days

  // The event of a timer armed by an arm_timer effect, firing at `at`.
  static Event timer_fired(TimerKind kind, std::uint32_t step, std::int32_t slot, double at) {
    Event e;
    e.action = Action::timer;
    e.timer = kind;
    e.step = step;
    e.slot = slot;
    e.at = at;
    return e;
  }
};

enum class EffectKind : std::uint8_t {
  step_state,        // a step changed state (from -> to)
  review_requested,  // department `dept` should review step (priority in `green`)
  notice,            // ONE consolidated correction notice to the applicant; mask = departments
  contact_task,      // staff must contact the applicant by `at` (首退必联)
  arm_timer,         // fire Event{timer, kind, step, slot} at `at`
  warning,           // yellow for step (or project when step == npos)
  overdue,           // red for step (or project)
  decision_held,     // all departments approved; waiting for deferred materials
  verified,          // verification passed
  contact_done,
  contact_overdue,
  clock_stopped,     // excluded period started, until `at`
  clock_resumed,
  instance_state,    // the instance changed state (from/to as InstanceState)
  extended,          // the step's limit was extended (Art. 42): its new deadline in `at`
  statutory_overdue, // the law's limit for the step passed (违法超期): the limit in `at`
  verification_open,    // approved on commitment: the verification is due by `at` (dept: the lead)
  verification_overdue, // the verification was not recorded by its due date (`at`)
  rectification_ordered,// a failed verification: rectify by `at`
  rectified,            // the rectification was found done
  review_required,      // step's approval must be reviewed by its department: a step it depended on was revoked
  confirmed,            // its department confirmed the approval after that review
  material_overdue,     // issued before a deferred material (deferred_decision: issue), which is now past due
};

constexpr std::uint32_t kNoStep = 0xFFFFFFFFu;

struct Effect {
  EffectKind kind;
  TimerKind timer = TimerKind::none;
  std::uint8_t from = 0;  // StepState or InstanceState
  std::uint8_t to = 0;
  bool green = false;
  std::uint32_t step = kNoStep;
  std::int32_t dept = -1;
  std::int32_t slot = -1;
  std::uint32_t mask = 0;
  double at = 0;
};

struct StepRuntime {
  StepState state = StepState::blocked;
  bool accepted_once = false;     // the clock has started at least once
  bool warned = false;
  bool overdue = false;
  bool contact_pending = false;
  bool contact_overdue = false;
  bool ever_returned = false;
  bool paused = false;            // excluded period running
  bool verification_pending = false;
  bool on_commitment = false;
  bool clock_running = false;
  bool extended = false;          // the one extension (Art. 42) was granted
  bool statutory_overdue = false; // counted days passed statutory_days (+ extension): 违法超期
  bool verification_overdue = false;  // the commitment's verification is past its due date
  bool rectifying = false;        // ordered to rectify after a failed verification
  bool review_required = false;   // a step it depended on was revoked: its department reviews it
  bool material_overdue = false;  // issued first (deferred_decision: issue); a deferred material is past due
  std::uint8_t ground = 0;        // the running excluded period's ground (ExclusionGround)
  std::uint8_t rounds = 0;        // returns so far
  std::uint32_t waiting = 0;      // predecessors not yet approved
  std::uint32_t review_pending = 0;   // departments (slots) still to give their opinion this round
  std::uint32_t review_returned = 0;  // slots that asked for corrections this round
  std::uint32_t approved_by = 0;      // slots that approved
  std::uint32_t deferred_outstanding = 0;  // slots of deferred materials still missing
  std::uint32_t deferred_supplied = 0;     // supplied (possibly before acceptance)
  std::uint32_t exclusions_used = 0;       // declared excluded periods taken
  double clock_used = 0;    // working days counted on the statutory clock (whole days, see counted())
  double clock_since = 0;   // when the clock last (re)started
  double due = 0;           // current deadline while the clock runs
  double entered = 0;       // when the current state was entered
  double pause_until = 0;
  double contact_due = 0;
  double verify_due = 0;
  double rectify_due = 0;   // the deadline to rectify, while rectifying
  double pause_days = -1;   // the running excluded period's length (-1: unknown, from an old database)
  double extended_days = 0; // the extension's working days
};

struct InstanceRuntime {
  InstanceState state = InstanceState::running;
  bool started = false;
  bool green = false;
  bool warned = false;
  bool overdue = false;
  std::uint32_t approved = 0;
  double started_at = 0;
  double finished_at = -1;
  // The project clock (docs/state-machine.md#the-project-clock): it runs
  // while the statutory clock of at least one step runs.
  std::uint32_t clocks_running = 0;  // steps whose clock runs
  double clock_started = -1;         // the first acceptance (-1: none yet)
  double project_since = 0;          // when it last started to run
  double project_used = 0;           // working days counted before that
  std::vector<StepRuntime> steps;
};

enum class Refusal : std::uint8_t {
  none,
  not_started,
  already_started,
  instance_closed,    // the instance is no longer running
  unknown_step,
  wrong_state,        // the step is not in a state that allows the action
  blocked,            // the step waits for its predecessors
  applicant_only,
  department_only,
  not_reviewer,       // the department does not review this step
  lead_only,          // only the lead department may do this
  already_reviewed,   // this department already gave its opinion this round
  no_commitment,      // the step is not approved on commitment
  unknown_material,   // not a deferred material of this step
  already_supplied,
  materials_missing,  // deferred materials still missing
  nothing_pending,    // no verification / contact task pending
  not_paused,
  already_paused,
  no_exclusion,       // the step declares no (more) excluded periods and no length was given
  bad_value,
  no_ground,          // an excluded period beyond the declared ones needs an Art. 45 ground
  already_extended,   // the one extension was granted already
  limit_passed,       // the limit has passed: too late to extend it
  extension_too_long, // more than 10 working days (15 for a joint review)
  not_rectifying,     // no rectification was ordered on the step
  not_revocable,      // neither approved on commitment nor up for review: only the Act's other procedures revoke it
  no_review,          // no review is required of the step
};

// Which effects a driver wants to be told about. The machine skips building
// the others; its rules, its refusals and the state it keeps are the same
// whatever the filter says, so a driver that ignores an effect anyway can
// leave it out without changing anything else. Default: every effect (what
// the live runtime uses).
struct EffectFilter {
  std::uint32_t kinds = 0xFFFFFFFFu;   // bit (1 << EffectKind)
  std::uint32_t timers = 0xFFFFFFFFu;  // arm_timer effects, bit (1 << TimerKind)
  std::uint32_t states = 0xFFFFFFFFu;  // step_state effects, bit (1 << the StepState entered)

  static constexpr std::uint32_t of(EffectKind k) { return 1u << static_cast<unsigned>(k); }
  static constexpr std::uint32_t of(TimerKind k) { return 1u << static_cast<unsigned>(k); }
  static constexpr std::uint32_t of(StepState s) { return 1u << static_cast<unsigned>(s); }
};

// How a driver wants the machine to work, fixed when the machine is built.
struct MachineProfile {
  // Effects to build (see EffectFilter). Default: all.
  EffectFilter filter;
  // A driver that only ever acts as the actor an action belongs to (the
  // simulator: the applicant submits, the lead accepts, a step's own
  // department reviews it) may switch the actor check off. Refusals for the
  // wrong actor (applicant_only, department_only, not_reviewer, lead_only)
  // then are not detected; every other check stays. Default: checked (the
  // runtime acts on behalf of users and must check). Debug builds check
  // anyway and assert.
  bool trusted_actors = false;
};

// The rules of one compiled workflow. Immutable once built: what it builds
// and checks is fixed by its profile; a driver that needs another profile
// builds another machine (they share the compiled workflow).
class StateMachine {
 public:
  explicit StateMachine(std::shared_ptr<const CompiledWorkflow> wf, const MachineProfile& profile = {})
      : wf_(std::move(wf)), filter_(profile.filter), trusted_actors_(profile.trusted_actors) {
    // Folded in, so that each emission tests one mask.
    if (!(filter_.kinds & EffectFilter::of(EffectKind::arm_timer))) filter_.timers = 0;
    if (!(filter_.kinds & EffectFilter::of(EffectKind::step_state))) filter_.states = 0;
  }
  const CompiledWorkflow& workflow() const { return *wf_; }
  const std::shared_ptr<const CompiledWorkflow>& compiled() const { return wf_; }
  const EffectFilter& filter() const { return filter_; }
  bool trusted_actors() const { return trusted_actors_; }

  // A fresh instance (not yet started); reuses `st`'s buffers.
  void reset(InstanceRuntime& st, bool green) const;

  // Applies one event. On refusal nothing in `st` changes and no effect is
  // added. Effects are handed to `out.push_back(const Effect&)` in order:
  // a std::vector<Effect> collects them (the caller clears it); a driver
  // may instead pass a sink of its own that acts on each one at once (the
  // simulator does). A sink is called while `apply` runs: every refusal is
  // decided before the first effect, so a sink never hears of a refused
  // event; it must not call `apply` itself, and it may read only what the
  // machine has settled by then (the step's `rounds` and the instance's
  // `green` are). The definitions are in state_machine_rules.h; this
  // library instantiates std::vector<Effect>.
  template <class Out>
  Refusal apply(InstanceRuntime& st, const Event& e, Out& out) const;

  // Start the instance at time t: steps without predecessors become ready.
  template <class Out>
  Refusal start(InstanceRuntime& st, double t, Out& out) const {
    Event e;
    e.action = Action::start;
    e.at = t;
    return apply(st, e, out);
  }

  // A change of the calendar under an instance (docs/runtime.md#calendar-
  // updates). `carry` maps a working-day time of the old calendar to the
  // new one's, keeping its civil date. Every recorded instant of `st` is
  // carried; every pending deadline is derived again, with the new
  // calendar, from the instant it counts from: a step's limit from its
  // running clock, an open contact task and a pending verification from
  // their start, a running excluded period from its start (when its length
  // is known). Instants that are history (a deadline that passed and fired,
  // a closed clock's last deadline) are carried, not derived.
  void carry(InstanceRuntime& st, const std::function<double(double)>& carry) const;
  // The same for a pending timer armed for `at` (old time) of an instance
  // already carried: its time with the new calendar, never before `now`
  // (new time), so that a deadline the change moved into the past fires at
  // once rather than being dated before the change.
  double carry_timer(const InstanceRuntime& st, TimerKind kind, std::uint32_t step, std::int32_t slot, double at,
                     const std::function<double(double)>& carry, double now) const;

  // Why an action was refused, in words, with names.
  std::string explain(const InstanceRuntime& st, const Event& e, Refusal r) const;

  // Whether a timer of this kind can change a step's or the instance's
  // state. The others (yellow/red deadline flags, the overdue contact task)
  // only set flags and report: a driver that does not report those flags
  // (the simulator, when it does not count deadline alerts) may leave them
  // unarmed without changing any decision.
  // The longest extension of step s (Art. 42): 10 working days, 15 when
  // several departments handle it jointly.
  double max_extension(std::uint32_t s) const { return wf_->dept_count(s) > 1 ? 15.0 : 10.0; }
  // The limit the law sets for step s, counted like its own (statutory_days
  // plus the extension): its deadline while the clock runs; < 0 when none.
  double statutory_deadline(const StepRuntime& r, std::uint32_t s) const {
    const double stat = wf_->statutory_days[s];
    if (stat < 0) return -1;
    return deadline(r.clock_since, std::max(0.0, stat + r.extended_days - r.clock_used));
  }

  static constexpr bool timer_changes_state(TimerKind k) {
    return k == TimerKind::acceptance_due || k == TimerKind::deferred_due || k == TimerKind::grace_due ||
           k == TimerKind::rectify_due || k == TimerKind::exclusion_end;
  }

  // The deadline of a limit of n working days starting at t.
  static double deadline(double t, double n) { return std::ceil(t + n - 1e-9); }
  // The working days a clock that ran from `since` to `until` counts, by
  // the counting convention (民法典 Art. 201, 行政许可法 Art. 82): the day it
  // starts in is not counted, the day it stops in is, whole days only. A
  // stop and a restart on the same day count that day once.
  static double counted(double since, double until) {
    return std::max(0.0, std::ceil(until - 1e-9) - std::ceil(since - 1e-9));
  }

  // The project's deadline (time_limit on the project clock) while the
  // clock runs; < 0 without a time_limit or while no step's clock runs.
  double project_deadline(const InstanceRuntime& st) const {
    if (wf_->time_limit < 0 || st.clocks_running == 0) return -1;
    return deadline(st.project_since, std::max(0.0, wf_->time_limit - st.project_used));
  }
  // Working days counted on the project clock up to `now`.
  static double project_counted(const InstanceRuntime& st, double now) {
    return st.project_used + (st.clocks_running > 0 ? counted(st.project_since, now) : 0.0);
  }

  // Every department approved, but a deferred material is still missing:
  // the decision waits for the applicant (容缺), and the step's clock is
  // stopped meanwhile.
  static bool decision_held(const StepRuntime& r) {
    return r.state == StepState::accepted && r.review_pending == 0 && r.review_returned == 0 &&
           r.deferred_outstanding != 0;
  }

  // Whether an `overdue` timer of step s firing at `at` turns the step red;
  // if not, the timer does nothing at all. This is on_timer's own test: a
  // driver that holds many such timers may ask before applying one.
  static bool overdue_fires(const InstanceRuntime& st, std::uint32_t s, double at) {
    const StepRuntime& r = st.steps[s];
    return st.state == InstanceState::running && r.clock_running && !r.overdue && at >= r.due - 1e-9;
  }

 private:
  Refusal check_actor(const InstanceRuntime& st, const Event& e) const;
  void stop_clock(InstanceRuntime& st, StepRuntime& r, double at) const;
  template <class Out>
  void project_clock_on(InstanceRuntime& st, double from, double now, bool accepting, Out& out) const;
  template <class Out>
  void set_state(InstanceRuntime& st, std::uint32_t s, StepState to, double at, Out& out) const;
  template <class Out>
  void set_instance(InstanceRuntime& st, InstanceState to, double at, Out& out) const;
  template <class Out>
  void run_clock(InstanceRuntime& st, std::uint32_t s, double from, double now, Out& out,
                 bool accepting = false) const;
  template <class Out>
  void accept(InstanceRuntime& st, std::uint32_t s, double clock_from, double at, Out& out) const;
  template <class Out>
  void request_acceptance(InstanceRuntime& st, std::uint32_t s, double at, Out& out) const;
  template <class Out>
  void request_reviews(InstanceRuntime& st, std::uint32_t s, std::uint32_t mask, Out& out) const;
  template <class Out>
  void settle(InstanceRuntime& st, std::uint32_t s, double at, Out& out) const;
  template <class Out>
  void approve_step(InstanceRuntime& st, std::uint32_t s, double at, Out& out) const;
  template <class Out>
  void return_step(InstanceRuntime& st, std::uint32_t s, std::uint32_t mask, double at, Out& out) const;
  template <class Out>
  void revoke_step(InstanceRuntime& st, std::uint32_t s, double at, Out& out) const;
  template <class Out>
  void stop_dependents(InstanceRuntime& st, std::uint32_t s, StepState as, double at, Out& out) const;
  template <class Out>
  void end_instance(InstanceRuntime& st, std::uint32_t s, StepState as, InstanceState inst, double at,
                    Out& out) const;
  template <class Out>
  void on_timer(InstanceRuntime& st, const Event& e, Out& out) const;
  bool wants(EffectKind k) const { return (filter_.kinds & EffectFilter::of(k)) != 0; }
  // An effect that names only a step (kNoStep: the project), a time and,
  // for some kinds, a mask; built only when wanted.
  template <class Out>
  void emit_step(Out& out, EffectKind k, std::uint32_t step, double at, std::uint32_t mask = 0) const {
    if (!wants(k)) return;
    Effect e{k};
    e.step = step;
    e.mask = mask;
    e.at = at;
    out.push_back(e);
  }
  template <class Out>
  void arm(Out& out, TimerKind k, std::uint32_t step, double at, std::int32_t slot = -1) const;

  std::shared_ptr<const CompiledWorkflow> wf_;
  EffectFilter filter_;
  bool trusted_actors_ = false;
};

extern template Refusal StateMachine::apply(InstanceRuntime&, const Event&, std::vector<Effect>&) const;

}  // namespace jointreview

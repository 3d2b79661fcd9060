// The approval rules: the definitions of StateMachine's templates over the
// effect sink (see StateMachine::apply). Included by state_machine.cpp,
// which instantiates them for std::vector<Effect> (the runtime, the C API,
// the tests), and by a driver that passes a sink of its own (the simulator).
// Nothing else should include it. Rules: docs/state-machine.md.
#pragma once

#include <algorithm>
#include <cassert>

#include "machine/state_machine.h"

namespace jointreview {

namespace rules {
constexpr double kEps = 1e-9;
constexpr double kAcceptanceDays = 5;  // Art. 32: decide on acceptance within 5 days

inline std::uint32_t bit(int k) { return 1u << k; }
inline std::uint32_t low_bits(std::uint32_t n) { return n >= 32 ? 0xFFFFFFFFu : ((1u << n) - 1u); }

inline bool department_action(Action a) {
  switch (a) {
    case Action::accept:
    case Action::approve:
    case Action::return_:
    case Action::reject:
    case Action::verify:
    case Action::verify_failed:
    case Action::contact:
    case Action::exclude:
    case Action::extend:
    case Action::rectified:
    case Action::revoke:
    case Action::confirm:
    case Action::resume: return true;
    default: return false;
  }
}

inline bool applicant_action(Action a) {
  switch (a) {
    case Action::submit:
    case Action::resubmit:
    case Action::commit:
    case Action::supply:
    case Action::withdraw: return true;
    default: return false;
  }
}

// Actions that still make sense after the instance has stopped running.
inline bool after_close(Action a) {
  return a == Action::verify || a == Action::verify_failed || a == Action::contact || a == Action::timer ||
         a == Action::rectified || a == Action::revoke || a == Action::confirm;
}
}  // namespace rules


template <class Out>
void StateMachine::set_state(InstanceRuntime& st, std::uint32_t s, StepState to, double at,
                             Out& out) const {
  StepRuntime& r = st.steps[s];
  if (filter_.states & EffectFilter::of(to)) {
    Effect e{EffectKind::step_state};
    e.step = s;
    e.from = static_cast<std::uint8_t>(r.state);
    e.to = static_cast<std::uint8_t>(to);
    e.at = at;
    out.push_back(e);
  }
  r.state = to;
  r.entered = at;
}

template <class Out>
void StateMachine::set_instance(InstanceRuntime& st, InstanceState to, double at, Out& out) const {
  if (st.state == to) return;
  if (wants(EffectKind::instance_state)) {
    Effect e{EffectKind::instance_state};
    e.from = static_cast<std::uint8_t>(st.state);
    e.to = static_cast<std::uint8_t>(to);
    e.at = at;
    out.push_back(e);
  }
  st.state = to;
  if (to != InstanceState::running && st.finished_at < 0) st.finished_at = at;
}

template <class Out>
void StateMachine::arm(Out& out, TimerKind k, std::uint32_t step, double at,
                       std::int32_t slot) const {
  if (!(filter_.timers & EffectFilter::of(k))) return;
  Effect e{EffectKind::arm_timer};
  e.timer = k;
  e.step = step;
  e.slot = slot;
  e.at = at;
  out.push_back(e);
}

// Starts (or restarts) step s's clock, from `from`, at `now`. A step is
// never yellow at the moment it is accepted: when its whole limit is within
// `warn_before` already (a `days: 0` step, 即办), no warning is armed then;
// a clock restarted inside the window warns at once.
template <class Out>
void StateMachine::run_clock(InstanceRuntime& st, std::uint32_t s, double from, double now,
                             Out& out, bool accepting) const {
  StepRuntime& r = st.steps[s];
  if (!r.clock_running) project_clock_on(st, from, now, accepting, out);
  r.clock_running = true;
  r.clock_since = from;
  r.due = deadline(from, std::max(0.0, wf_->days[s] + r.extended_days - r.clock_used));
  if (!r.statutory_overdue && wf_->statutory_days[s] >= 0)
    arm(out, TimerKind::statutory_due, s, std::max(now, statutory_deadline(r, s)));
  const double warn_at = r.due - wf_->warn_before;
  if (!r.warned && wf_->warn_before > 0 && !(accepting && warn_at <= now + rules::kEps))
    arm(out, TimerKind::warn, s, std::max(now, warn_at));
  if (!r.overdue) arm(out, TimerKind::overdue, s, std::max(now, r.due));
}

inline void StateMachine::stop_clock(InstanceRuntime& st, StepRuntime& r, double at) const {
  if (!r.clock_running) return;
  r.clock_used += counted(r.clock_since, at);
  r.clock_running = false;
  // The project clock stops with the last step's.
  if (st.clocks_running > 0 && --st.clocks_running == 0) st.project_used += counted(st.project_since, at);
}

// A step's clock starts: the project clock with it, when none ran; its
// warning and overdue timers are armed then (never yellow at the moment of
// the first acceptance, as for a step).
template <class Out>
void StateMachine::project_clock_on(InstanceRuntime& st, double from, double now, bool accepting, Out& out) const {
  if (st.clocks_running++ > 0) return;
  if (st.clock_started < 0) st.clock_started = from;
  st.project_since = from;
  if (wf_->time_limit < 0) return;
  const double due = project_deadline(st);
  const double warn_at = due - wf_->warn_before;
  if (!st.warned && wf_->warn_before > 0 && !(accepting && warn_at <= now + rules::kEps))
    arm(out, TimerKind::project_warn, kNoStep, std::max(now, warn_at));
  if (!st.overdue) arm(out, TimerKind::project_overdue, kNoStep, std::max(now, due));
}

template <class Out>
void StateMachine::request_acceptance(InstanceRuntime& st, std::uint32_t s, double at,
                                      Out& out) const {
  set_state(st, s, StepState::submitted, at, out);
  if (wants(EffectKind::review_requested)) {
    Effect a{EffectKind::review_requested};
    a.step = s;
    a.dept = static_cast<std::int32_t>(wf_->lead(s));
    a.slot = -1;  // -1: the acceptance decision, by the lead department
    a.green = st.green;
    a.at = at;
    out.push_back(a);
  }
  arm(out, TimerKind::acceptance_due, s, deadline(at, rules::kAcceptanceDays));
}

template <class Out>
void StateMachine::request_reviews(InstanceRuntime& st, std::uint32_t s, std::uint32_t mask,
                                   Out& out) const {
  if (!wants(EffectKind::review_requested)) return;
  const std::uint32_t k = wf_->dept_count(s);
  for (std::uint32_t i = 0; i < k; ++i) {
    if (!(mask & rules::bit(static_cast<int>(i)))) continue;
    Effect e{EffectKind::review_requested};
    e.step = s;
    e.dept = static_cast<std::int32_t>(wf_->dept_of(s, i));
    e.slot = static_cast<std::int32_t>(i);
    e.green = st.green;
    e.at = st.steps[s].entered;
    out.push_back(e);
  }
}

template <class Out>
void StateMachine::approve_step(InstanceRuntime& st, std::uint32_t s, double at, Out& out) const {
  StepRuntime& r = st.steps[s];
  stop_clock(st, r, at);
  r.paused = false;
  r.ground = 0;
  set_state(st, s, StepState::approved, at, out);
  ++st.approved;
  if (r.on_commitment) {
    // 告知承诺: decided on the commitment; the verification is due by
    // verify_after working days after the decision.
    r.verification_pending = true;
    r.verify_due = deadline(at, wf_->verify_after[s]);
    arm(out, TimerKind::verify_due, s, r.verify_due);
    if (wants(EffectKind::verification_open)) {
      Effect x{EffectKind::verification_open};
      x.step = s;
      x.dept = static_cast<std::int32_t>(wf_->lead(s));
      x.at = r.verify_due;
      out.push_back(x);
    }
  }
  for (std::uint32_t k = wf_->succ_offset[s]; k < wf_->succ_offset[s + 1]; ++k) {
    StepRuntime& t = st.steps[wf_->succ[k]];
    if (t.waiting > 0 && --t.waiting == 0 && t.state == StepState::blocked)
      set_state(st, wf_->succ[k], StepState::ready, at, out);
  }
  if (st.approved == wf_->n_steps && st.state == InstanceState::running)
    set_instance(st, InstanceState::completed, at, out);
}

template <class Out>
void StateMachine::return_step(InstanceRuntime& st, std::uint32_t s, std::uint32_t mask, double at,
                               Out& out) const {
  StepRuntime& r = st.steps[s];
  stop_clock(st, r, at);
  r.paused = false;
  r.ground = 0;
  r.review_pending = 0;
  r.review_returned = 0;
  ++r.rounds;
  set_state(st, s, StepState::returned, at, out);
  emit_step(out, EffectKind::notice, s, at, mask);
  if (!r.ever_returned) {
    r.ever_returned = true;
    r.contact_pending = true;
    r.contact_due = deadline(at, wf_->contact_within);
    emit_step(out, EffectKind::contact_task, s, r.contact_due);
    arm(out, TimerKind::contact_due, s, r.contact_due);
  }
}

template <class Out>
void StateMachine::settle(InstanceRuntime& st, std::uint32_t s, double at, Out& out) const {
  StepRuntime& r = st.steps[s];
  if (r.review_pending != 0) return;  // other departments still reviewing: one notice, later
  if (r.review_returned != 0) {
    return_step(st, s, r.review_returned, at, out);
    return;
  }
  if (r.deferred_outstanding != 0 && r.state == StepState::accepted && wf_->issue_before_deferred[s]) {
    // deferred_decision: issue — the permit is issued now; the material is
    // collected after, its deadline still watched (deferred_due).
    approve_step(st, s, at, out);
    return;
  }
  if (r.deferred_outstanding != 0 || r.state == StepState::suspended) {
    // The applicant's permitted delay (容缺) is not the department's: its
    // clock stops until the material comes (then the step is approved at
    // once) or its deadline passes (suspended, then returned).
    stop_clock(st, r, at);
    emit_step(out, EffectKind::decision_held, s, at, r.deferred_outstanding);
    return;
  }
  approve_step(st, s, at, out);
}

template <class Out>
void StateMachine::stop_dependents(InstanceRuntime& st, std::uint32_t s, StepState as, double at,
                                   Out& out) const {
  // Breadth-first over successors; each dependent changes once.
  std::vector<std::uint32_t> queue{s};
  std::vector<char> seen(wf_->n_steps, 0);
  seen[s] = 1;
  for (std::size_t i = 0; i < queue.size(); ++i) {
    std::uint32_t u = queue[i];
    for (std::uint32_t k = wf_->succ_offset[u]; k < wf_->succ_offset[u + 1]; ++k) {
      std::uint32_t v = wf_->succ[k];
      if (seen[v]) continue;
      seen[v] = 1;
      queue.push_back(v);
      StepRuntime& r = st.steps[v];
      if (as == StepState::revoked && r.state == StepState::approved) {
        // Another department's approval is not revoked with it: its own
        // department reviews it (confirm or revoke).
        if (!r.review_required) {
          r.review_required = true;
          if (wants(EffectKind::review_required)) {
            Effect x{EffectKind::review_required};
            x.step = v;
            x.dept = static_cast<std::int32_t>(wf_->lead(v));
            x.at = at;
            out.push_back(x);
          }
        }
      } else if (!is_final(r.state)) {
        stop_clock(st, r, at);
        r.paused = false;
        r.ground = 0;
        set_state(st, v, StepState::stopped, at, out);
      }
    }
  }
}

// The issuing department revokes step s: its dependents' approvals come up
// for review by their own departments, the steps not yet decided stop, and
// the instance is revoked (also after it completed).
template <class Out>
void StateMachine::revoke_step(InstanceRuntime& st, std::uint32_t s, double at, Out& out) const {
  StepRuntime& r = st.steps[s];
  stop_clock(st, r, at);
  r.verification_pending = false;
  r.rectifying = false;
  r.review_required = false;
  r.paused = false;
  r.ground = 0;
  set_state(st, s, StepState::revoked, at, out);
  stop_dependents(st, s, StepState::revoked, at, out);
  if (st.state == InstanceState::running || st.state == InstanceState::completed)
    set_instance(st, InstanceState::revoked, at, out);
}

// Step s ends the instance (reject, withdraw): its clock stops, it takes
// `as`, every step after it stops, and the instance ends as `inst`.
template <class Out>
void StateMachine::end_instance(InstanceRuntime& st, std::uint32_t s, StepState as, InstanceState inst, double at,
                                Out& out) const {
  StepRuntime& r = st.steps[s];
  stop_clock(st, r, at);
  r.paused = false;
  r.ground = 0;
  set_state(st, s, as, at, out);
  stop_dependents(st, s, StepState::stopped, at, out);
  set_instance(st, inst, at, out);
}

inline Refusal StateMachine::check_actor(const InstanceRuntime& st, const Event& e) const {
  (void)st;
  if (rules::applicant_action(e.action)) {
    if (e.actor.kind != Actor::Kind::applicant) return Refusal::applicant_only;
    return Refusal::none;
  }
  if (rules::department_action(e.action)) {
    if (e.actor.kind != Actor::Kind::department) return Refusal::department_only;
    if (wf_->dept_slot(e.step, e.actor.dept) < 0) return Refusal::not_reviewer;
    if ((e.action == Action::accept || e.action == Action::revoke) && wf_->lead(e.step) != e.actor.dept)
      return Refusal::lead_only;
    return Refusal::none;
  }
  return Refusal::none;
}

// Flattened: every helper it calls (set_state, arm, run_clock, accept,
// request_reviews, settle, approve_step, ... and the sink's
// push_back) is inlined into it, so an action pays one call instead of one
// per helper. Same code, same rules, same effects; only fewer calls.
template <class Out>
JR_FLATTEN Refusal StateMachine::apply(InstanceRuntime& st, const Event& e, Out& out) const {
  const CompiledWorkflow& w = *wf_;
  if (e.action == Action::start) {
    if (st.started) return Refusal::already_started;
    st.started = true;
    st.started_at = e.at;
    for (std::uint32_t s = 0; s < w.n_steps; ++s) {
      st.steps[s].waiting = w.pred_offset[s + 1] - w.pred_offset[s];
      st.steps[s].entered = e.at;
    }
    for (std::uint32_t s = 0; s < w.n_steps; ++s)
      if (st.steps[s].waiting == 0) set_state(st, s, StepState::ready, e.at, out);
    return Refusal::none;  // the project clock starts with the first acceptance
  }
  if (!st.started) return Refusal::not_started;
  if (e.action == Action::timer) {
    on_timer(st, e, out);
    return Refusal::none;
  }
  if (e.step >= w.n_steps) return Refusal::unknown_step;
  if (st.state != InstanceState::running && !rules::after_close(e.action)) return Refusal::instance_closed;
  if (!trusted_actors_) {
    if (Refusal r = check_actor(st, e); r != Refusal::none) return r;
  } else {
    assert(check_actor(st, e) == Refusal::none);  // a trusted driver never acts as the wrong actor
  }

  const std::uint32_t s = e.step;
  StepRuntime& r = st.steps[s];
  const double at = e.at;
  switch (e.action) {
    case Action::submit:
      if (r.state == StepState::blocked) return Refusal::blocked;
      if (r.state != StepState::ready) return Refusal::wrong_state;
      request_acceptance(st, s, at, out);
      return Refusal::none;

    case Action::accept:
      if (r.state != StepState::submitted) return Refusal::wrong_state;
      accept(st, s, at, at, out);
      return Refusal::none;

    case Action::approve:
    case Action::return_: {
      if (e.action == Action::return_ && r.state == StepState::submitted) {
        // Incomplete materials before acceptance: one notice listing everything (Art. 32).
        if (w.lead(s) != e.actor.dept) return Refusal::lead_only;
        return_step(st, s, 1u, at, out);
        return Refusal::none;
      }
      if (r.state != StepState::accepted && r.state != StepState::suspended) return Refusal::wrong_state;
      int k = w.dept_slot(s, e.actor.dept);
      if (!(r.review_pending & rules::bit(k))) return Refusal::already_reviewed;
      r.review_pending &= ~rules::bit(k);
      if (e.action == Action::approve)
        r.approved_by |= rules::bit(k);
      else
        r.review_returned |= rules::bit(k);
      settle(st, s, at, out);
      return Refusal::none;
    }

    case Action::resubmit:
      if (r.state != StepState::returned) return Refusal::wrong_state;
      if (r.deferred_outstanding != 0) return Refusal::materials_missing;
      if (!r.accepted_once) {
        request_acceptance(st, s, at, out);
        return Refusal::none;
      }
      set_state(st, s, StepState::accepted, at, out);
      run_clock(st, s, at, at, out);
      // Only the departments that have not approved review again.
      r.review_pending = w.all_depts_mask(s) & ~r.approved_by;
      r.review_returned = 0;
      if (r.review_pending == 0) {
        settle(st, s, at, out);
      } else {
        request_reviews(st, s, r.review_pending, out);
      }
      return Refusal::none;

    case Action::reject:
      if (r.state != StepState::submitted && r.state != StepState::accepted && r.state != StepState::returned &&
          r.state != StepState::suspended)
        return Refusal::wrong_state;
      end_instance(st, s, StepState::rejected, InstanceState::rejected, at, out);
      return Refusal::none;

    case Action::commit:
      if (!w.has_commitment[s]) return Refusal::no_commitment;
      if (r.state == StepState::blocked) return Refusal::blocked;
      if (r.state != StepState::ready && r.state != StepState::submitted) return Refusal::wrong_state;
      // The commitment replaces the materials it covers: the application is
      // accepted on it and the department decides on the spot, on its own
      // clock (approve, or return / reject as for any application).
      r.on_commitment = true;
      accept(st, s, at, at, out);
      return Refusal::none;

    case Action::supply: {
      if (e.slot < 0 || static_cast<std::uint32_t>(e.slot) >= w.deferred_count(s)) return Refusal::unknown_material;
      if (r.deferred_supplied & rules::bit(e.slot)) return Refusal::already_supplied;
      // Issued before the material (deferred_decision: issue): still collected.
      if (is_final(r.state) && !(r.state == StepState::approved && (r.deferred_outstanding & rules::bit(e.slot))))
        return Refusal::wrong_state;
      r.deferred_supplied |= rules::bit(e.slot);
      r.deferred_outstanding &= ~rules::bit(e.slot);
      if (r.state == StepState::approved && r.deferred_outstanding == 0) r.material_overdue = false;
      if (r.deferred_outstanding == 0) {
        if (r.state == StepState::suspended) {
          set_state(st, s, StepState::accepted, at, out);
          if (!r.paused) run_clock(st, s, at, at, out);
        }
        if (r.state == StepState::accepted && r.review_pending == 0) settle(st, s, at, out);
      }
      return Refusal::none;
    }

    case Action::withdraw:
      if (is_final(r.state)) return Refusal::wrong_state;
      end_instance(st, s, StepState::withdrawn, InstanceState::withdrawn, at, out);
      return Refusal::none;

    case Action::verify:
    case Action::verify_failed:
      if (!r.verification_pending || r.state != StepState::approved) return Refusal::nothing_pending;
      r.verification_pending = false;
      if (e.action == Action::verify) {
        emit_step(out, EffectKind::verified, s, at);
        return Refusal::none;
      }
      // Conditions not met: first an order to rectify within a time limit.
      r.rectifying = true;
      r.rectify_due = deadline(at, w.rectify_within[s]);
      arm(out, TimerKind::rectify_due, s, r.rectify_due);
      emit_step(out, EffectKind::rectification_ordered, s, r.rectify_due);
      return Refusal::none;

    case Action::rectified:
      if (!r.rectifying || r.state != StepState::approved) return Refusal::not_rectifying;
      r.rectifying = false;
      emit_step(out, EffectKind::rectified, s, at);
      return Refusal::none;

    case Action::revoke:
      // A false commitment (any time after the decision on it), or the
      // review of an approval whose basis was revoked.
      if (r.state != StepState::approved || !(r.on_commitment || r.review_required)) return Refusal::not_revocable;
      revoke_step(st, s, at, out);
      return Refusal::none;

    case Action::confirm:
      if (!r.review_required || r.state != StepState::approved) return Refusal::no_review;
      r.review_required = false;
      emit_step(out, EffectKind::confirmed, s, at);
      return Refusal::none;

    case Action::contact:
      if (!r.contact_pending) return Refusal::nothing_pending;
      r.contact_pending = false;
      emit_step(out, EffectKind::contact_done, s, at);
      return Refusal::none;

    case Action::exclude: {
      if (r.state != StepState::accepted || decision_held(r)) return Refusal::wrong_state;
      if (r.paused) return Refusal::already_paused;
      // Art. 45: a period the workflow declares (its length, or the one
      // given), or one on a ground of the Act, with its length.
      double len = e.value;
      const bool ground_given = e.slot > 0 && e.slot < static_cast<std::int32_t>(ExclusionGround::declared);
      const std::uint32_t declared = w.excluded_offset[s + 1] - w.excluded_offset[s];
      const bool declared_period = !ground_given && r.exclusions_used < declared;
      if (declared_period) {
        if (len < 0) len = w.excluded[w.excluded_offset[s] + r.exclusions_used].expected_days;
      } else {
        if (!ground_given) return declared == 0 ? Refusal::no_ground : Refusal::no_exclusion;
        if (len < 0) return Refusal::bad_value;  // a ground's period needs its length
      }
      if (!(len >= 0) || len > 10000) return Refusal::bad_value;
      if (declared_period) ++r.exclusions_used;
      stop_clock(st, r, at);
      r.paused = true;
      r.ground = declared_period ? static_cast<std::uint8_t>(ExclusionGround::declared) : static_cast<std::uint8_t>(e.slot);
      r.pause_until = at + len;
      r.pause_days = len;
      arm(out, TimerKind::exclusion_end, s, r.pause_until);
      emit_step(out, EffectKind::clock_stopped, s, r.pause_until);
      return Refusal::none;
    }

    case Action::resume:
      if (!r.paused) return Refusal::not_paused;
      r.paused = false;
      r.ground = 0;
      // Suspended, or the decision held: the clock waits for the materials.
      if (r.state != StepState::accepted || decision_held(r)) return Refusal::none;
      run_clock(st, s, at, at, out);
      emit_step(out, EffectKind::clock_resumed, s, at);
      return Refusal::none;

    case Action::extend: {
      // Art. 42: once, by the authority's head, with the reason told to the
      // applicant (the runtime requires the note); before the limit passes.
      if (r.state != StepState::accepted || decision_held(r)) return Refusal::wrong_state;
      if (r.extended) return Refusal::already_extended;
      if (r.overdue) return Refusal::limit_passed;
      if (!(e.value > 0) || e.value > max_extension(s)) return Refusal::extension_too_long;
      r.extended = true;
      r.extended_days = e.value;
      if (r.clock_running) run_clock(st, s, r.clock_since, at, out);
      else r.due += e.value;  // shown when it runs again; recomputed then
      emit_step(out, EffectKind::extended, s, r.due);
      return Refusal::none;
    }

    case Action::start:
    case Action::timer: break;
  }
  return Refusal::none;
}

template <class Out>
void StateMachine::accept(InstanceRuntime& st, std::uint32_t s, double clock_from, double at,
                          Out& out) const {
  const CompiledWorkflow& w = *wf_;
  StepRuntime& r = st.steps[s];
  r.accepted_once = true;
  set_state(st, s, StepState::accepted, at, out);
  run_clock(st, s, clock_from, at, out, true);
  const std::uint32_t nd = w.deferred_count(s);
  r.deferred_outstanding = rules::low_bits(nd) & ~r.deferred_supplied;
  for (std::uint32_t k = 0; k < nd; ++k)
    if (r.deferred_outstanding & rules::bit(static_cast<int>(k)))
      arm(out, TimerKind::deferred_due, s,
          std::max(at, deadline(clock_from, w.deferred[w.deferred_offset[s] + k].within)), static_cast<std::int32_t>(k));
  r.review_pending = w.all_depts_mask(s) & ~r.approved_by;
  r.review_returned = 0;
  request_reviews(st, s, r.review_pending, out);
}

template <class Out>
void StateMachine::on_timer(InstanceRuntime& st, const Event& e, Out& out) const {
  const CompiledWorkflow& w = *wf_;
  const double at = e.at;
  if (e.step == kNoStep) {
    if (st.state != InstanceState::running) return;
    const double due = project_deadline(st);
    if (due < 0) return;  // no step's clock runs: the project's does not either
    if (e.timer == TimerKind::project_warn && !st.warned && at >= due - w.warn_before - rules::kEps) {
      st.warned = true;
      emit_step(out, EffectKind::warning, kNoStep, due);
    } else if (e.timer == TimerKind::project_overdue && !st.overdue && at >= due - rules::kEps) {
      st.overdue = true;
      emit_step(out, EffectKind::overdue, kNoStep, due);
    }
    return;
  }
  if (e.step >= w.n_steps) return;
  const std::uint32_t s = e.step;
  StepRuntime& r = st.steps[s];
  const bool running = st.state == InstanceState::running;
  switch (e.timer) {
    case TimerKind::warn:
      if (running && r.clock_running && !r.warned && at >= r.due - w.warn_before - rules::kEps) {
        r.warned = true;
        emit_step(out, EffectKind::warning, s, r.due);
      }
      break;
    case TimerKind::overdue:
      if (overdue_fires(st, s, at)) {
        r.overdue = true;
        emit_step(out, EffectKind::overdue, s, r.due);
      }
      break;
    case TimerKind::acceptance_due:
      // Not decided within 5 days: counts as accepted on the day it was received.
      if (running && r.state == StepState::submitted && at >= deadline(r.entered, rules::kAcceptanceDays) - rules::kEps)
        accept(st, s, r.entered, at, out);
      break;
    case TimerKind::deferred_due:
      if (e.slot >= 0 && r.state == StepState::approved && (r.deferred_outstanding & rules::bit(e.slot))) {
        // Issued before the material (deferred_decision: issue): flagged, not undone.
        if (!r.material_overdue) {
          r.material_overdue = true;
          emit_step(out, EffectKind::material_overdue, s, at, rules::bit(e.slot));
        }
        break;
      }
      if (running && e.slot >= 0 && (r.deferred_outstanding & rules::bit(e.slot)) &&
          (r.state == StepState::accepted || r.state == StepState::suspended)) {
        if (r.state == StepState::accepted) {
          stop_clock(st, r, at);  // an excluded period running now stays recorded in `paused`
          set_state(st, s, StepState::suspended, at, out);
        }
        arm(out, TimerKind::grace_due, s, deadline(at, w.deferred[w.deferred_offset[s] + e.slot].grace), e.slot);
      }
      break;
    case TimerKind::grace_due:
      if (running && e.slot >= 0 && r.state == StepState::suspended && (r.deferred_outstanding & rules::bit(e.slot)))
        return_step(st, s, 0u, at, out);
      break;
    case TimerKind::verify_due:
      // Red: the verification was due by the end of its day.
      if (r.verification_pending && !r.verification_overdue && r.state == StepState::approved &&
          at >= r.verify_due - rules::kEps) {
        r.verification_overdue = true;
        emit_step(out, EffectKind::verification_overdue, s, r.verify_due);
      }
      break;
    case TimerKind::rectify_due:
      // Not rectified in time: the issuing department's approval is revoked.
      if (r.rectifying && r.state == StepState::approved && at >= r.rectify_due - rules::kEps)
        revoke_step(st, s, at, out);
      break;
    case TimerKind::contact_due:
      if (r.contact_pending && !r.contact_overdue) {
        r.contact_overdue = true;
        emit_step(out, EffectKind::contact_overdue, s, at);
      }
      break;
    case TimerKind::statutory_due:
      if (running && r.clock_running && !r.statutory_overdue) {
        const double limit = statutory_deadline(r, s);
        if (limit >= 0 && at >= limit - rules::kEps) {
          r.statutory_overdue = true;
          emit_step(out, EffectKind::statutory_overdue, s, limit);
        }
      }
      break;
    case TimerKind::exclusion_end:
      if (running && r.paused && at >= r.pause_until - rules::kEps) {
        r.paused = false;
        r.ground = 0;
        if (r.state == StepState::accepted && !decision_held(r)) {
          run_clock(st, s, at, at, out);
          emit_step(out, EffectKind::clock_resumed, s, at);
        }
      }
      break;
    default: break;
  }
}

}  // namespace jointreview

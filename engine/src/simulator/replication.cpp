// One replication: a binary heap of timed events on a virtual working-day
// clock. Every rule lives in StateMachine; this file only plays the
// applicant and the departments (who acts when, with which random draw) and
// keeps the departments' queues. See docs/simulation.md for the models.
#include "simulator/replication.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "jointreview/error.h"
#include "machine/rules.h"

namespace jointreview::sim {

namespace {
constexpr std::uint64_t kMaxEventsPerReplication = 50'000'000;
inline std::uint32_t bit(std::int32_t k) { return 1u << k; }
}  // namespace

void Accumulator::init(std::uint32_t steps, std::uint32_t depts) {
  steps_ = steps;
  depts_ = depts;
  counts_.assign(5 * static_cast<std::size_t>(steps) + depts, 0);
  sums_.assign(2 * static_cast<std::size_t>(steps) + 4 * static_cast<std::size_t>(depts), 0.0);
  std::uint64_t* u = counts_.data();
  critical = u;
  returns = u + steps;
  finish_n = u + 2 * steps;
  overdue = u + 3 * steps;
  qwait_n = u + 4 * steps;
  reviews = u + 5 * steps;
  double* d = sums_.data();
  qwait_sum = d;
  finish_sum = d + steps;
  busy = d + 2 * steps;
  qint = busy + depts;
  dqwait = busy + 2 * depts;
  qmax = busy + 3 * depts;
  horizon = 0;
  completed = rejected = revoked = withdrawn = other = on_time = on_time_elapsed = 0;
  trips = 0;
  stale = refused = 0;
}

void Accumulator::add(const Accumulator& o) {
  // Counts add up the same in any order; sums are added array by array in
  // the order of the fields, as they always were.
  for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  for (std::uint32_t i = 0; i < steps_; ++i) {
    qwait_sum[i] += o.qwait_sum[i];
    finish_sum[i] += o.finish_sum[i];
  }
  for (std::uint32_t d = 0; d < depts_; ++d) {
    busy[d] += o.busy[d];
    qint[d] += o.qint[d];
    dqwait[d] += o.dqwait[d];
    qmax[d] = std::max(qmax[d], o.qmax[d]);
  }
  horizon += o.horizon;
  completed += o.completed;
  rejected += o.rejected;
  revoked += o.revoked;
  withdrawn += o.withdrawn;
  other += o.other;
  on_time += o.on_time;
  on_time_elapsed += o.on_time_elapsed;
  trips += o.trips;
  stale += o.stale;
  refused += o.refused;
}

Replication::Replication(const Model& m)
    : m_(m), w_(*m.cw), n_(m.cw->n_steps), nd_(m.cw->n_departments), np_(m.projects), machine_(m.machine) {
  configure(false);
  inst_.resize(np_);
  for (auto& st : inst_) machine_.reset(st, false);
  arrival_.assign(np_, 0);
  trips_.assign(np_, 0);
  last_visit_.assign(static_cast<std::size_t>(np_) * std::max<std::uint32_t>(1, m_.n_windows), -1);
  const std::size_t ps = static_cast<std::size_t>(np_) * n_;
  ps_.assign(ps, StepSim{});
  busy_.assign(nd_, 0);
  green_q_.resize(nd_);
  normal_q_.resize(nd_);
  q_last_.assign(nd_, 0);
  alerts_.resize(np_);
  heap_.resize(256);
  imm_.resize(64);
}

void Replication::configure(bool tracing) {
  // Reference mode drives the machine as a literal driver would: every
  // effect, every actor checked. Otherwise the machine builds only the
  // effects on_effect acts on (the rest it would throw away), and skips the
  // actor check: every action here is taken by the actor it belongs to (the
  // applicant submits, commits, resubmits and supplies; the lead accepts,
  // excludes, contacts, verifies and rejects; the department of a review
  // slot approves or returns). The reference-mode test shows both give the
  // same results.
  if (m_.all_timers) {
    machine_ = StateMachine(m_.cw);
    return;
  }
  using F = EffectFilter;
  MachineProfile lean;
  F& f = lean.filter;
  // Not contact_task: the contact (首退必联) is made at once and only clears
  // the task; nothing reported depends on it (the contact_due timer that
  // reads it is not armed here), so the task is not asked for and the
  // contact not made.
  f.kinds = F::of(EffectKind::step_state) | F::of(EffectKind::review_requested) | F::of(EffectKind::notice) |
            F::of(EffectKind::arm_timer) | F::of(EffectKind::clock_stopped) | F::of(EffectKind::overdue) |
            F::of(EffectKind::instance_state) | F::of(EffectKind::verification_open) |
            F::of(EffectKind::rectification_ordered);
  // The timers that go into the heap or the alert lists (see on_effect);
  // `overdue` only when overdue_share is counted: it sets a flag and
  // reports, nothing else.
  f.timers = F::of(TimerKind::deferred_due) | F::of(TimerKind::grace_due) | F::of(TimerKind::rectify_due) |
             F::of(TimerKind::exclusion_end);
  if (m_.count_overdue) f.timers |= F::of(TimerKind::overdue);
  // on_effect reacts to these states; a trace records every state.
  f.states = tracing ? ~0u : F::of(StepState::ready) | F::of(StepState::accepted) | F::of(StepState::approved);
  lean.trusted_actors = true;
  machine_ = StateMachine(m_.cw, lean);
}

inline void Replication::push(double t, Kind k, std::uint32_t p, std::uint32_t s, std::int8_t slot, std::uint8_t stamp,
                         TimerKind timer) {
  const Ev ev{t, seq_++, p, s, k, timer, slot, stamp};
  // Sift the hole up from the end.
  if (heap_n_ == heap_.size()) heap_.resize(2 * heap_.size());
  std::size_t i = heap_n_++;
  Ev* h = heap_.data();
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!before(ev, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = ev;
}

Replication::Ev Replication::pop() {
  Ev* h = heap_.data();
  const Ev top = h[0];
  const std::size_t n = --heap_n_;
  const Ev last = h[n];
  if (n == 0) return top;
  // Sift the hole down from the root and drop `last` into it.
  std::size_t i = 0;
  for (;;) {
    std::size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && before(h[c + 1], h[c])) ++c;
    if (!before(h[c], last)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = last;
  return top;
}

void Replication::defer_alert(std::uint32_t p, std::uint32_t s, double t) {
  // Keep the list sorted latest first (the next one to fire at the back);
  // equal times keep their arming order through seq.
  std::vector<Alert>& a = alerts_[p];
  const Alert x{t, seq_++, s};
  std::size_t i = a.size();
  a.emplace_back();
  while (i > 0 && (a[i - 1].t < x.t || (a[i - 1].t == x.t && a[i - 1].seq < x.seq))) {
    a[i] = a[i - 1];
    --i;
  }
  a[i] = x;
}

void Replication::fire_alerts(std::uint32_t p, double t, std::uint32_t seq) {
  // Fires project p's deferred `overdue` timers that come before (t, seq),
  // at their own time: what they do depends only on p's instance, which no
  // event of another project touches, so firing them here gives the same
  // effects as firing them from the heap.
  // Most find the step's clock stopped and do nothing: the machine's own
  // test (overdue_fires) says which; those are applied, directly (a timer is
  // never refused).
  std::vector<Alert>& a = alerts_[p];
  const double now = now_;
  Event e = Event::timer_fired(TimerKind::overdue, 0, -1, 0);
  Sink sink{*this, p};
  while (!a.empty() && (a.back().t < t || (a.back().t == t && a.back().seq < seq))) {
    const Alert x = a.back();
    a.pop_back();
    if (!StateMachine::overdue_fires(inst_[p], x.step, x.t)) continue;
    e.step = x.step;
    e.at = x.t;
    now_ = x.t;  // its effects happen at its own time
    machine_.apply(inst_[p], e, sink);
  }
  now_ = now;
}

void Replication::immediate(std::uint32_t p, Action a, std::uint32_t s, Actor who, std::int32_t slot, double value) {
  // Every field given at once (no default values written first).
  if (imm_n_ == imm_.size()) imm_.resize(2 * imm_.size());
  imm_[imm_n_++] = Immediate{p, Event{a, TimerKind::none, s, who, slot, now_, value}};
}

void Replication::trip(std::uint32_t p, std::uint32_t s) {
  const std::uint32_t w = m_.window[s];
  if (w == Model::kOnline) return;
  double& last = last_visit_[static_cast<std::size_t>(p) * m_.n_windows + w];
  if (last == now_) return;  // already at this window at this moment
  last = now_;
  ++trips_[p];
}

inline void Replication::start_review(std::uint32_t d, const Waiting& w) {
  ++busy_[d];
  const double wait = now_ - w.since;
  acc_->qwait_sum[w.step] += wait;
  ++acc_->qwait_n[w.step];
  acc_->dqwait[d] += wait;
  ++acc_->reviews[d];
  const double dur = ps_[static_cast<std::size_t>(w.project) * n_ + w.step].dur;
  acc_->busy[d] += dur;
  if (trace_ && w.project == trace_project_) {
    if (wait > 0) trace_->push_back(TraceRecord{TraceRecord::Kind::queue, 0, w.step, d, w.since, now_});
    trace_->push_back(TraceRecord{TraceRecord::Kind::review, 0, w.step, d, now_, now_ + dur});
  }
  push(now_ + dur, Kind::review_done, w.project, w.step, static_cast<std::int8_t>(w.slot), w.stamp);
}

inline void Replication::dispatch(std::uint32_t p, std::uint32_t s, std::int32_t slot, double since) {
  const std::uint32_t d = w_.dept_of(s, static_cast<std::uint32_t>(slot));
  const Waiting w{p, s, slot, inst_[p].steps[s].rounds, since};
  const std::uint32_t cap = m_.capacity[d];
  if (cap == 0 || busy_[d] < cap) {
    start_review(d, w);
    return;
  }
  queue_change(d);
  (inst_[p].green ? green_q_[d] : normal_q_[d]).items.push_back(w);
  ++queued_;
  const double len = static_cast<double>(green_q_[d].size() + normal_q_[d].size());
  if (len > acc_->qmax[d]) acc_->qmax[d] = len;
}

inline void Replication::on_effect(std::uint32_t p, const Effect& e) {
  InstanceRuntime& st = inst_[p];
  // This project's per-step records.
  StepSim* const sim = ps_.data() + static_cast<std::size_t>(p) * n_;
  switch (e.kind) {
    case EffectKind::step_state: {
      const auto to = static_cast<StepState>(e.to);
      if (trace_ && p == trace_project_)
        trace_->push_back(TraceRecord{TraceRecord::Kind::state, e.to, e.step, 0, e.at, e.at});
      if (to == StepState::ready) {
        // The applicant prepares the submission (prepare:), then hands it in.
        if (m_.has_prepare[e.step])
          push(now_ + std::max(0.0, m_.prepare[e.step](rng_)), Kind::prepared, p, e.step);
        else
          immediate(p, w_.has_commitment[e.step] ? Action::commit : Action::submit, e.step, Actor::applicant());
      } else if (to == StepState::accepted) {
        // This round's review takes one draw, shared by the step's departments.
        sim[e.step].dur = m_.duration[e.step](rng_);
      } else if (to == StepState::approved) {
        sim[e.step].finish_at = e.at;
      }
      break;
    }
    case EffectKind::review_requested:
      if (e.slot == -1) {
        immediate(p, Action::accept, e.step, Actor::department(static_cast<std::uint32_t>(e.dept)));
      } else {
        dispatch(p, e.step, e.slot, now_);
      }
      break;
    case EffectKind::verification_open:
      // The department verifies by the due date (at its end: on time).
      push(e.at, Kind::verify, p, e.step);
      break;
    case EffectKind::rectification_ordered:
      // The applicant rectifies in time, or the rectify_due timer revokes.
      if (rng_.chance(w_.rectify_probability[e.step]))
        push(now_ + rng_.uniform() * std::max(0.0, e.at - now_), Kind::rectify, p, e.step);
      break;
    case EffectKind::notice: {
      ++acc_->returns[e.step];
      const std::uint8_t rounds = st.steps[e.step].rounds;
      if (rounds > w_.max_rounds[e.step]) {  // max_rounds correction rounds used up
        immediate(p, Action::reject, e.step, Actor::department(w_.lead(e.step)));
      } else {
        push(now_ + m_.turnaround[e.step](rng_), Kind::resubmit, p, e.step, -1, rounds);
      }
      break;
    }
    case EffectKind::contact_task:
      immediate(p, Action::contact, e.step, Actor::department(w_.lead(e.step)));
      break;
    case EffectKind::arm_timer:
      // Which timers go into the heap. The machine decides what a timer
      // does (StateMachine::timer_changes_state); here only: which of them
      // can make a difference to what this simulator reports.
      //  - warn, project_warn, project_overdue, contact_due only set flags
      //    and report; the simulator ignores those reports, and the flags
      //    they set only decide whether more such timers are armed. Left out.
      //  - overdue only sets a flag too, but its report feeds overdue_share:
      //    kept out of the heap and fired lazily (defer_alert, fire_alerts).
      //  - acceptance_due can change a state: it accepts a step still
      //    `submitted` when it fires. It never finds one here: a step
      //    becomes `submitted` only in the machine's request_acceptance,
      //    which in the same apply asks the lead department to accept
      //    (review_requested, slot -1); this engine answers that with an
      //    immediate accept, and every immediate is applied (drain) before
      //    the next heap event. The accept is refused only when the step is
      //    no longer `submitted` or the instance is closed, and then the
      //    timer would do nothing either (it needs a running instance). So
      //    at every heap event no step of a running instance is `submitted`,
      //    and the timer, which fires only as a heap event, is a no-op.
      //    Left out; the test "the lean timer set gives the same results as
      //    arming every timer" checks this against Model::all_timers.
      //  - verify_due only flags a verification past due (the verification
      //    itself is scheduled on verification_open): left out.
      //  - deferred_due, grace_due, rectify_due, exclusion_end: into the heap.
      //  Finishing at the limit is on time: an overdue timer comes after
      //  every other event of the same instant (the review that ends
      //  exactly at its deadline first), in the heap as in the alerts.
      if (m_.all_timers || (StateMachine::timer_changes_state(e.timer) && e.timer != TimerKind::acceptance_due)) {
        double t = std::max(e.at, now_);
        if (e.timer == TimerKind::overdue) t = std::nextafter(t, std::numeric_limits<double>::infinity());
        push(t, Kind::timer, p, e.step, static_cast<std::int8_t>(e.slot), 0, e.timer);
      } else if (e.timer == TimerKind::overdue) {
        defer_alert(p, e.step, std::nextafter(std::max(e.at, now_), std::numeric_limits<double>::infinity()));
      }
      if (e.timer == TimerKind::deferred_due && e.slot >= 0 && !(sim[e.step].supply_planned & bit(e.slot))) {
        sim[e.step].supply_planned |= bit(e.slot);
        const CompiledDeferred& dm = w_.deferred[w_.deferred_offset[e.step] + static_cast<std::uint32_t>(e.slot)];
        double when;
        if (rng_.chance(dm.late_probability))
          when = e.at + rng_.uniform_open0() * 2.0 * std::max(dm.grace, 1.0);
        else
          when = now_ + rng_.uniform() * std::max(0.0, e.at - now_);
        push(when, Kind::supply, p, e.step, static_cast<std::int8_t>(e.slot));
      }
      break;
    case EffectKind::clock_stopped:
      if (sim[e.step].excl_state == 1) {
        push(e.at, Kind::exclusion_over, p, e.step);
        if (trace_ && p == trace_project_)
          trace_->push_back(TraceRecord{TraceRecord::Kind::excluded, 0, e.step, 0, now_, e.at});
      }
      break;
    case EffectKind::overdue:
      if (e.step != kNoStep && !sim[e.step].overdue) {
        sim[e.step].overdue = 1;
        ++acc_->overdue[e.step];
      }
      break;
    case EffectKind::instance_state:
      last_activity_ = std::max(last_activity_, e.at);
      break;
    default: break;
  }
}

inline void Replication::Sink::push_back(const Effect& e) { engine.on_effect(project, e); }

// By value: the effects of the action queue further actions in imm_, which
// may grow (and move) while the machine still reads the event. The sink
// never applies an action itself (immediate() queues them).
Refusal Replication::act(std::uint32_t p, const Event e) {
  Sink sink{*this, p};
  const Refusal r = machine_.apply(inst_[p], e, sink);
  if (r != Refusal::none) {
    const std::size_t ps = static_cast<std::size_t>(p) * n_ + e.step;
    if (e.action == Action::resubmit && r == Refusal::materials_missing) {
      ps_[ps].wait_resubmit = 1;  // resubmits as soon as the material arrives
    } else if (e.action == Action::exclude) {
      // The period cannot run now (the decision is held for a deferred
      // material): skip it; the held approval is given.
      ps_[ps].excl_state = 2;
      release_held(p, e.step);
    } else if (e.action != Action::supply) {
      ++acc_->refused;
    }
    return r;
  }
  // The applicant's visits: submit, commit, resubmit, supply (one test of a mask).
  constexpr std::uint32_t kVisits = 1u << static_cast<unsigned>(Action::submit) |
                                    1u << static_cast<unsigned>(Action::commit) |
                                    1u << static_cast<unsigned>(Action::resubmit) |
                                    1u << static_cast<unsigned>(Action::supply);
  if (kVisits & (1u << static_cast<unsigned>(e.action))) trip(p, e.step);
  return r;
}

void Replication::release_held(std::uint32_t p, std::uint32_t s) {
  const std::size_t ps = static_cast<std::size_t>(p) * n_ + s;
  std::uint32_t mask = ps_[ps].held;
  ps_[ps].held = 0;
  const StepState st = inst_[p].steps[s].state;
  // Closed meanwhile (another step rejected, revoked): nothing to approve.
  if (inst_[p].state != InstanceState::running || (st != StepState::accepted && st != StepState::suspended)) return;
  for (std::int32_t k = 0; mask; ++k, mask >>= 1)
    if (mask & 1u) immediate(p, Action::approve, s, Actor::department(w_.dept_of(s, static_cast<std::uint32_t>(k))));
}

bool Replication::review_current(std::uint32_t p, std::uint32_t s, std::uint8_t stamp) const {
  const InstanceRuntime& st = inst_[p];
  if (st.state != InstanceState::running) return false;
  const StepRuntime& r = st.steps[s];
  return r.rounds == stamp && (r.state == StepState::accepted || r.state == StepState::suspended);
}

void Replication::queue_change(std::uint32_t d) {
  const double len = static_cast<double>(green_q_[d].size() + normal_q_[d].size());
  acc_->qint[d] += len * (now_ - q_last_[d]);
  q_last_[d] = now_;
}



void Replication::pull(std::uint32_t d) {
  const std::uint32_t cap = m_.capacity[d];
  while (cap == 0 || busy_[d] < cap) {
    Queue& q = !green_q_[d].empty() ? green_q_[d] : normal_q_[d];
    if (q.empty()) return;
    queue_change(d);
    const Waiting w = q.items[q.head++];
    --queued_;
    if (q.empty()) q.clear();
    if (!review_current(w.project, w.step, w.stamp)) {
      ++acc_->stale;  // its round is over (or the case closed) while it waited
      continue;
    }
    start_review(d, w);
  }
}

void Replication::handle(const Ev& ev) {
  const std::uint32_t p = ev.project;
  switch (ev.kind) {
    case Kind::arrival: {
      Sink sink{*this, p};
      machine_.start(inst_[p], now_, sink);
      break;
    }
    case Kind::timer: {
      act(p, Event::timer_fired(ev.timer, ev.step, ev.slot, now_));
      break;
    }
    case Kind::review_done: {
      const std::uint32_t dept = w_.dept_of(ev.step, static_cast<std::uint32_t>(ev.slot));
      --busy_[dept];
      last_activity_ = std::max(last_activity_, now_);
      if (review_current(p, ev.step, ev.stamp) &&
          (inst_[p].steps[ev.step].review_pending & bit(ev.slot))) {
        const bool ret = rng_.chance(w_.correction_probability[ev.step]);
        StepSim& x = ps_[static_cast<std::size_t>(p) * n_ + ev.step];
        const StepRuntime& r = inst_[p].steps[ev.step];
        if (!ret && x.excl_state == 0 && r.review_pending == bit(ev.slot) && r.review_returned == 0 &&
            w_.excluded_offset[ev.step + 1] > w_.excluded_offset[ev.step]) {
          // The review is done: the declared excluded periods (a hearing,
          // the auction, the expert review) run now, and the last
          // department's approval follows them.
          x.excl_state = 1;
          x.excl_next = 1;
          x.held = bit(ev.slot);
          immediate(p, Action::exclude, ev.step, Actor::department(w_.lead(ev.step)), -1,
                    m_.excluded[w_.excluded_offset[ev.step]](rng_));
        } else {
          Event e;
          e.action = ret ? Action::return_ : Action::approve;
          e.step = ev.step;
          e.actor = Actor::department(dept);
          e.at = now_;
          act(p, e);
        }
      } else {
        ++acc_->stale;
      }
      if (queued_ != 0) pull(dept);  // no review waits anywhere: nothing to pull
      break;
    }
    case Kind::resubmit: {
      const StepRuntime& r = inst_[p].steps[ev.step];
      if (inst_[p].state != InstanceState::running || r.state != StepState::returned || r.rounds != ev.stamp) {
        ++acc_->stale;
        break;
      }
      Event e;
      e.action = Action::resubmit;
      e.step = ev.step;
      e.actor = Actor::applicant();
      e.at = now_;
      act(p, e);
      break;
    }
    case Kind::supply: {
      if (inst_[p].state != InstanceState::running || is_final(inst_[p].steps[ev.step].state)) {
        ++acc_->stale;
        break;
      }
      Event e;
      e.action = Action::supply;
      e.step = ev.step;
      e.actor = Actor::applicant();
      e.slot = ev.slot;
      e.at = now_;
      act(p, e);
      const std::size_t ps = static_cast<std::size_t>(p) * n_ + ev.step;
      if (ps_[ps].wait_resubmit) {
        ps_[ps].wait_resubmit = 0;
        e.action = Action::resubmit;
        e.slot = -1;
        act(p, e);
      }
      break;
    }
    case Kind::prepared: {
      if (inst_[p].state != InstanceState::running || inst_[p].steps[ev.step].state != StepState::ready) {
        ++acc_->stale;
        break;
      }
      Event e;
      e.action = w_.has_commitment[ev.step] ? Action::commit : Action::submit;
      e.step = ev.step;
      e.actor = Actor::applicant();
      e.at = now_;
      act(p, e);
      break;
    }
    case Kind::verify: {
      const StepRuntime& r = inst_[p].steps[ev.step];
      if (!r.verification_pending || r.state != StepState::approved) {
        ++acc_->stale;
        break;
      }
      const bool fail = rng_.chance(w_.verify_fail_probability[ev.step]);
      Event e;
      e.action = fail ? Action::verify_failed : Action::verify;
      e.step = ev.step;
      e.actor = Actor::department(w_.lead(ev.step));
      e.at = now_;
      act(p, e);
      break;
    }
    case Kind::rectify: {
      const StepRuntime& r = inst_[p].steps[ev.step];
      if (!r.rectifying || r.state != StepState::approved) {
        ++acc_->stale;
        break;
      }
      Event e;
      e.action = Action::rectified;
      e.step = ev.step;
      e.actor = Actor::department(w_.lead(ev.step));
      e.at = now_;
      act(p, e);
      break;
    }
    case Kind::exclusion_over: {
      const std::size_t ps = static_cast<std::size_t>(p) * n_ + ev.step;
      if (ps_[ps].excl_state != 1) break;
      const std::uint32_t declared = w_.excluded_offset[ev.step + 1] - w_.excluded_offset[ev.step];
      if (ps_[ps].excl_next < declared && inst_[p].state == InstanceState::running) {
        const double len = m_.excluded[w_.excluded_offset[ev.step] + ps_[ps].excl_next](rng_);
        ++ps_[ps].excl_next;
        immediate(p, Action::exclude, ev.step, Actor::department(w_.lead(ev.step)), -1, len);
      } else {
        ps_[ps].excl_state = 2;
        release_held(p, ev.step);
      }
      break;
    }
  }
}

void Replication::drain() {
  // By index: act() takes its own copy of the queued action, as the actions
  // it queues may move imm_.
  while (imm_head_ < imm_n_) {
    const std::size_t i = imm_head_++;
    act(imm_[i].project, imm_[i].e);
  }
  imm_n_ = 0;
  imm_head_ = 0;
}

// Flattened: the event loop with everything it calls from this file (pop,
// handle, act, drain, on_effect, the common draws) inlined into it; only the
// machine's apply (another file) and the rare slow paths stay calls.
JR_FLATTEN void Replication::run_events(std::uint64_t seed, std::uint64_t rep, Accumulator& acc) {
  acc_ = &acc;
  rng_.seed(seed, rep);
  heap_n_ = 0;
  for (auto& a : alerts_) a.clear();
  imm_n_ = 0;
  imm_head_ = 0;
  seq_ = 0;
  events_ = 0;
  now_ = 0;
  last_activity_ = 0;
  for (std::uint32_t p = 0; p < np_; ++p) {
    machine_.reset(inst_[p], m_.green[p] != 0);
    trips_[p] = 0;
  }
  std::fill(last_visit_.begin(), last_visit_.end(), -1.0);
  std::fill(ps_.begin(), ps_.end(), StepSim{});
  queued_ = 0;
  for (std::uint32_t d = 0; d < nd_; ++d) {
    busy_[d] = 0;
    green_q_[d].clear();
    normal_q_[d].clear();
    q_last_[d] = 0;
  }
  // Arrivals: the first project at 0, the others uniformly over the window.
  arrival_[0] = 0;
  if (np_ > 1) {
    arrival_scratch_.resize(np_ - 1);
    for (auto& a : arrival_scratch_) a = rng_.uniform() * m_.arrival_window;
    std::sort(arrival_scratch_.begin(), arrival_scratch_.end());
    std::copy(arrival_scratch_.begin(), arrival_scratch_.end(), arrival_.begin() + 1);
  }
  for (std::uint32_t p = 0; p < np_; ++p) push(arrival_[p], Kind::arrival, p, 0);

  while (heap_n_ != 0) {
    const Ev ev = pop();
    if (!alerts_[ev.project].empty()) fire_alerts(ev.project, ev.t, ev.seq);
    now_ = ev.t;
    handle(ev);
    drain();
    if (++events_ > kMaxEventsPerReplication)
      throw Error(Error::Code::invalid_argument, "a replication exceeded 50 million events; the model does not settle");
  }
  // The alerts still pending fire after every other event, as they would
  // have from the heap; the clock ends at the last of them.
  double last = now_;
  for (std::uint32_t p = 0; p < np_; ++p)
    if (!alerts_[p].empty()) {
      last = std::max(last, alerts_[p].front().t);
      fire_alerts(p, std::numeric_limits<double>::infinity(), 0);
    }
  now_ = last;
}

void Replication::finish(Accumulator& acc, double* totals, double* counted) {
  const double horizon = last_activity_;
  acc.horizon += horizon;
  // Close the queue-length integrals. With every queue empty (as at the end
  // of every run so far) each would add 0 * (time): skipped.
  if (queued_ != 0) {
    now_ = std::max(now_, horizon);
    for (std::uint32_t d = 0; d < nd_; ++d) queue_change(d);
  }
  for (std::uint32_t p = 0; p < np_; ++p) {
    const InstanceRuntime& st = inst_[p];
    acc.trips += trips_[p];
    double total = std::numeric_limits<double>::quiet_NaN(), count = total;
    switch (st.state) {
      case InstanceState::completed: {
        ++acc.completed;
        total = st.finished_at - arrival_[p];
        // Counted days: the project clock of the machine (docs/state-
        // machine.md#the-project-clock), the same figure status shows.
        count = st.project_used;
        const StepSim* x = &ps_[static_cast<std::size_t>(p) * n_];
        for (std::uint32_t s = 0; s < n_; ++s) {
          acc.finish_sum[s] += x[s].finish_at - arrival_[p];
          ++acc.finish_n[s];
        }
        // Critical path: from the last step to finish, back through the
        // predecessor that finished last (the one that made it ready).
        std::uint32_t cur = 0;
        for (std::uint32_t s = 1; s < n_; ++s)
          if (x[s].finish_at > x[cur].finish_at) cur = s;
        for (;;) {
          ++acc.critical[cur];
          std::uint32_t best = kNoStep;
          for (std::uint32_t k = w_.pred_offset[cur]; k < w_.pred_offset[cur + 1]; ++k) {
            const std::uint32_t q = w_.pred[k];
            if (best == kNoStep || x[q].finish_at > x[best].finish_at || (x[q].finish_at == x[best].finish_at && q < best)) best = q;
          }
          if (best == kNoStep) break;
          cur = best;
        }
        if (m_.time_limit >= 0 && count <= m_.time_limit + 1e-9) ++acc.on_time;
        if (m_.time_limit >= 0 && total <= m_.time_limit + 1e-9) ++acc.on_time_elapsed;
        break;
      }
      case InstanceState::rejected: ++acc.rejected; break;
      case InstanceState::revoked: ++acc.revoked; break;
      case InstanceState::withdrawn: ++acc.withdrawn; break;
      case InstanceState::running: ++acc.other; break;
    }
    totals[p] = total;
    counted[p] = count;
  }
}

void Replication::run(std::uint64_t seed, std::uint64_t rep, Accumulator& acc, double* totals, double* counted) {
  trace_ = nullptr;
  trace_project_ = 0xFFFFFFFFu;
  run_events(seed, rep, acc);
  finish(acc, totals, counted);
}

double Replication::trace(std::uint64_t seed, std::uint64_t rep, std::uint32_t project, std::vector<TraceRecord>& out,
                     Accumulator& scratch, double* totals, double* counted) {
  out.clear();
  configure(true);
  trace_ = &out;
  trace_project_ = project;
  run_events(seed, rep, scratch);
  finish(scratch, totals, counted);
  configure(false);
  trace_ = nullptr;
  trace_project_ = 0xFFFFFFFFu;
  return arrival_[project];
}

}  // namespace jointreview::sim

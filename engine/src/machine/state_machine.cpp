#include "machine/state_machine.h"

#include <algorithm>
#include <cassert>

#include "machine/rules.h"

namespace jointreview {

template Refusal StateMachine::apply(InstanceRuntime&, const Event&, std::vector<Effect>&) const;

using rules::bit;

void StateMachine::reset(InstanceRuntime& st, bool green) const {
  st.state = InstanceState::running;
  st.started = false;
  st.green = green || wf_->green;
  st.warned = st.overdue = false;
  st.approved = 0;
  st.started_at = 0;
  st.finished_at = -1;
  st.clocks_running = 0;
  st.clock_started = -1;
  st.project_since = 0;
  st.project_used = 0;
  st.steps.assign(wf_->n_steps, StepRuntime{});
}

void StateMachine::carry(InstanceRuntime& st, const std::function<double(double)>& f) const {
  const CompiledWorkflow& w = *wf_;
  st.started_at = f(st.started_at);
  st.finished_at = f(st.finished_at);
  st.clock_started = f(st.clock_started);
  st.project_since = f(st.project_since);  // the project's deadline is derived from it again
  for (std::uint32_t s = 0; s < w.n_steps; ++s) {
    StepRuntime& r = st.steps[s];
    // The origins of the derived deadlines, in the old time: a deadline of
    // n days ends at ceil(origin + n), and ceil(origin + n) - n lies in the
    // origin's working day (or at its end), which is all a deadline counts
    // from (docs/runtime.md#calendar-updates).
    const double contact_from = r.contact_due - w.contact_within;
    const double verify_from = r.verify_due - w.verify_after[s];
    const double rectify_from = r.rectify_due - w.rectify_within[s];
    const bool pause_known = r.paused && r.pause_days >= 0;
    const double pause_from = r.pause_until - r.pause_days;
    r.clock_since = f(r.clock_since);
    r.entered = f(r.entered);
    if (r.clock_running)
      r.due = deadline(r.clock_since, std::max(0.0, w.days[s] + r.extended_days - r.clock_used));
    else
      r.due = f(r.due);
    if (r.contact_pending && !r.contact_overdue)
      r.contact_due = deadline(f(contact_from), w.contact_within);
    else
      r.contact_due = f(r.contact_due);
    if (r.verification_pending)
      r.verify_due = deadline(f(verify_from), w.verify_after[s]);
    else
      r.verify_due = f(r.verify_due);
    if (r.rectifying)
      r.rectify_due = deadline(f(rectify_from), w.rectify_within[s]);
    else
      r.rectify_due = f(r.rectify_due);
    if (pause_known)
      r.pause_until = f(pause_from) + r.pause_days;
    else
      r.pause_until = f(r.pause_until);
  }
}

double StateMachine::carry_timer(const InstanceRuntime& st, TimerKind kind, std::uint32_t s, std::int32_t slot,
                                 double at, const std::function<double(double)>& f, double now) const {
  const CompiledWorkflow& w = *wf_;
  double t = 0;
  const bool step = s < w.n_steps;
  const StepRuntime* r = step ? &st.steps[s] : nullptr;
  const bool has_slot = step && slot >= 0 && static_cast<std::uint32_t>(slot) < w.deferred_count(s);
  switch (kind) {
    case TimerKind::warn: t = step ? r->due - w.warn_before : f(at); break;
    case TimerKind::overdue: t = step ? r->due : f(at); break;
    case TimerKind::project_warn:
      t = project_deadline(st) >= 0 ? project_deadline(st) - w.warn_before : f(at);
      break;
    case TimerKind::project_overdue: t = project_deadline(st) >= 0 ? project_deadline(st) : f(at); break;
    case TimerKind::acceptance_due: t = step ? deadline(r->entered, rules::kAcceptanceDays) : f(at); break;
    case TimerKind::deferred_due:
    case TimerKind::grace_due: {
      if (!has_slot) {
        t = f(at);
        break;
      }
      const CompiledDeferred& d = w.deferred[w.deferred_offset[s] + static_cast<std::uint32_t>(slot)];
      const double n = kind == TimerKind::deferred_due ? d.within : d.grace;
      t = deadline(f(at - n), n);
      break;
    }
    case TimerKind::verify_due: t = step ? r->verify_due : f(at); break;
    case TimerKind::rectify_due: t = step ? r->rectify_due : f(at); break;
    case TimerKind::contact_due: t = step ? r->contact_due : f(at); break;
    case TimerKind::exclusion_end: t = step ? r->pause_until : f(at); break;
    case TimerKind::statutory_due: t = step && statutory_deadline(*r, s) >= 0 ? statutory_deadline(*r, s) : f(at); break;
    default: t = f(at); break;
  }
  return std::max(now, t);
}

std::string StateMachine::explain(const InstanceRuntime& st, const Event& e, Refusal r) const {
  const CompiledWorkflow& w = *wf_;
  const bool has_step = e.step < w.n_steps;
  const std::string step = has_step ? "step '" + w.step_id(e.step) + "'" : "the step";
  const std::string act = std::string("'") + to_string(e.action) + "'";
  const std::string state = has_step ? to_string(st.steps[e.step].state) : "";
  auto dept_list = [&](std::uint32_t s) {
    std::string out;
    for (std::uint32_t k = 0; k < w.dept_count(s); ++k) {
      if (k) out += ", ";
      out += w.dept_name(w.dept_of(s, k));
    }
    return out;
  };
  switch (r) {
    case Refusal::none: return "";
    case Refusal::not_started: return "the instance has not been started";
    case Refusal::already_started: return "the instance has already been started";
    case Refusal::instance_closed:
      return std::string("the instance is ") + to_string(st.state) +
             "; only verifications, rectifications, reviews of approvals and contact tasks remain";
    case Refusal::unknown_step: return "no such step in this workflow";
    case Refusal::wrong_state: {
      std::string need;
      switch (e.action) {
        case Action::submit: need = "ready"; break;
        case Action::accept: need = "submitted"; break;
        case Action::approve: need = "accepted (or suspended)"; break;
        case Action::return_: need = "submitted, accepted or suspended"; break;
        case Action::resubmit: need = "returned"; break;
        case Action::reject: need = "submitted, accepted, returned or suspended"; break;
        case Action::commit: need = "ready or submitted"; break;
        case Action::exclude:
        case Action::extend:
          need = "accepted";
          break;
        default: need = "not yet decided"; break;
      }
      if ((e.action == Action::exclude || e.action == Action::extend) && has_step &&
          decision_held(st.steps[e.step]))
        return step + " has every department's approval and waits for the applicant's deferred materials; " + act +
               " needs its clock running";
      return step + " is " + state + "; " + act + " needs it " + need;
    }
    case Refusal::blocked: {
      std::string waits;
      for (std::uint32_t k = w.pred_offset[e.step]; k < w.pred_offset[e.step + 1]; ++k) {
        std::uint32_t p = w.pred[k];
        if (st.steps[p].state == StepState::approved) continue;
        if (!waits.empty()) waits += ", ";
        waits += "'" + w.step_id(p) + "' (" + to_string(st.steps[p].state) + ")";
      }
      return step + " is blocked: it waits for " + waits;
    }
    case Refusal::applicant_only: return act + " is the applicant's action; the actor must be the applicant";
    case Refusal::department_only:
      return act + " is a department's action; the actor must be one of: " + dept_list(e.step);
    case Refusal::not_reviewer:
      return "department '" + (e.actor.dept < w.n_departments ? w.dept_name(e.actor.dept) : std::string("?")) +
             "' does not handle " + step + "; it is handled by " + dept_list(e.step);
    case Refusal::lead_only:
      return "only the lead department '" + w.dept_name(w.lead(e.step)) + "' may " + to_string(e.action) + " " + step;
    case Refusal::already_reviewed:
      return "department '" + w.dept_name(e.actor.dept) + "' has already given its opinion on " + step +
             " in this round";
    case Refusal::no_commitment: return step + " is not approved on commitment (no 'commitment:' in the workflow)";
    case Refusal::unknown_material: {
      std::string names;
      for (std::uint32_t k = w.deferred_offset[e.step]; k < w.deferred_offset[e.step + 1]; ++k) {
        if (!names.empty()) names += ", ";
        names += "'" + w.materials[w.deferred[k].material] + "'";
      }
      return names.empty() ? step + " has no deferred materials"
                           : "not a deferred material of " + step + "; it defers " + names;
    }
    case Refusal::already_supplied: return "that material has already been supplied for " + step;
    case Refusal::materials_missing: {
      std::string names;
      const StepRuntime& sr = st.steps[e.step];
      for (std::uint32_t k = 0; k < w.deferred_count(e.step); ++k) {
        if (!(sr.deferred_outstanding & bit(static_cast<int>(k)))) continue;
        if (!names.empty()) names += ", ";
        names += "'" + w.materials[w.deferred[w.deferred_offset[e.step] + k].material] + "'";
      }
      return step + " still misses deferred materials " + names + "; supply them first";
    }
    case Refusal::nothing_pending:
      if (e.action == Action::contact) return step + " has no contact task pending";
      if (has_step && st.steps[e.step].rectifying)
        return step + " was found not to meet its commitment and is being rectified; record 'rectified' or 'revoke'";
      return step + " has no verification pending";
    case Refusal::not_rectifying: return step + " has no rectification ordered (only 'verify-failed' orders one)";
    case Refusal::not_revocable:
      if (has_step && st.steps[e.step].state != StepState::approved) return step + " is " + state + "; only an approval can be revoked";
      return step + " was not approved on commitment and no step it depends on was revoked; its approval is revoked "
                    "only by the Act's other procedures, not by 'revoke'";
    case Refusal::no_review: return step + " has no review required: no step it depends on was revoked";
    case Refusal::not_paused: return step + " has no excluded period running";
    case Refusal::already_paused: return step + " is already in an excluded period";
    case Refusal::no_exclusion:
    case Refusal::no_ground:
      return step + (r == Refusal::no_ground ? " declares no excluded period" : " has used its declared excluded periods") +
             "; a further one needs its ground under Art. 45 of 行政许可法 (hearing, tendering, auction, inspection, "
             "testing, quarantine, appraisal or expert_review), its length in working days, and a note telling the "
             "applicant why";
    case Refusal::bad_value:
      return e.action == Action::exclude && e.value < 0
                 ? "an excluded period on a ground of Art. 45 needs its length in working days"
                 : "the length of an excluded period must be between 0 and 10000 working days";
    case Refusal::already_extended: return step + " has been extended already; Art. 42 allows one extension";
    case Refusal::limit_passed: return "the limit of " + step + " has passed; an extension is decided within it";
    case Refusal::extension_too_long:
      return "an extension of " + step + " is 1 to " + std::to_string(static_cast<int>(max_extension(e.step))) +
             " working days (Art. 42: 10, or 15 for a joint review by several departments)";
  }
  return "refused";
}

}  // namespace jointreview

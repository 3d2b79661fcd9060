// The audit trail: the rows an action, a refusal and the state machine's
// effects add to the open batch (storage::Batch::events).
#include "runtime/engine_impl.h"

#include <cstdio>

#include "runtime/working_time.h"

namespace jointreview::runtime {

// The local time written on log rows: now for actions, the time a timer
// fell due for what it caused.
std::string EngineImpl::row_time(const Instance& in, double at) {
  return at < 0 ? now_text() : format_local(in.def->time->from_wt(at), opt_.utc_offset_minutes);
}

// job_now_ as written on rows, formatted once per second of the clock.
const std::string& EngineImpl::now_text() {
  const auto sec = std::chrono::floor<std::chrono::seconds>(job_now_);
  if (sec != now_text_sec_ || now_text_.empty()) {
    now_text_ = format_local(job_now_, opt_.utc_offset_minutes);
    now_text_sec_ = sec;
  }
  return now_text_;
}

// Appends a log row; its input (if it records one) is set by the caller.
void EngineImpl::push_row(EventRecord&& e) {
  batch_.events.push_back(std::move(e));
  batch_.inputs.resize(batch_.events.size());
}

EventRecord EngineImpl::base_event(const Instance& in, const std::string& actor, const std::string& time) {
  EventRecord e;
  e.instance = in.id;
  e.time = time;
  e.actor = actor;
  return e;
}

void EngineImpl::record_action(Instance& in, const std::string& actor, const std::string& action, const std::string& step,
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

void EngineImpl::record_refusal(Instance& in, const ActRequest& req, const std::string& why,
                                const std::string* time) {
  EventRecord e = base_event(in, req.actor, time ? *time : row_time(in, -1));
  e.kind = "refused";
  e.action = req.action;
  e.step = req.step;
  e.note = req.note;
  e.material = req.material;
  e.detail = why;
  push_row(std::move(e));
}

std::string EngineImpl::mask_departments(const Instance& in, std::uint32_t s, std::uint32_t mask) {
  const CompiledWorkflow& cw = *in.def->compiled;
  std::string out;
  for (std::uint32_t k = 0; k < cw.dept_count(s); ++k)
    if (mask & (1u << k)) out += (out.empty() ? "" : ", ") + cw.dept_name(cw.dept_of(s, k));
  return out;
}

std::string EngineImpl::missing_materials(const Instance& in, std::uint32_t s) {
  const CompiledWorkflow& cw = *in.def->compiled;
  std::string out;
  for (std::uint32_t k = 0; k < cw.deferred_count(s); ++k)
    if (in.rt.steps[s].deferred_outstanding & (1u << k))
      out += (out.empty() ? "" : ", ") + cw.materials[cw.deferred[cw.deferred_offset[s] + k].material];
  return out;
}

// Turns the state machine's effects into log rows and armed timers.
void EngineImpl::record_effects(Instance& in, const std::string& actor, double at) {
  snapshot_before(in);
  struct Done {
    std::size_t& row;
    ~Done() { row = SIZE_MAX; }
  } done{action_row_};
  const CompiledWorkflow& cw = *in.def->compiled;
  const TimeMap& tm = *in.def->time;
  const std::string when = row_time(in, at);
  // The note of the action these effects follow: what a notice to the
  // applicant must say (the reason of an extension, of an excluded period).
  const std::string note =
      action_row_ < batch_.events.size() ? batch_.events[action_row_].note : std::string();
  auto with_reason = [&](std::string text) { return note.empty() ? text : text + "; reason: " + note; };
  for (const Effect& fx : effects_) {
    const std::string step = fx.step == kNoStep ? "" : cw.step_id(fx.step);
    if (fx.kind == EffectKind::step_state || fx.kind == EffectKind::warning || fx.kind == EffectKind::overdue ||
        fx.kind == EffectKind::clock_stopped || fx.kind == EffectKind::clock_resumed ||
        fx.kind == EffectKind::extended || fx.kind == EffectKind::statutory_overdue ||
        fx.kind == EffectKind::verification_open || fx.kind == EffectKind::verification_overdue ||
        fx.kind == EffectKind::rectification_ordered || fx.kind == EffectKind::rectified ||
        fx.kind == EffectKind::review_required || fx.kind == EffectKind::confirmed ||
        fx.kind == EffectKind::material_overdue)
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
        // Art. 32: one notice for the round, sent by the lead department,
        // with every department's items; a second one on the same step is
        // flagged (二次补正).
        EventRecord e = row("notice");
        const std::uint8_t rounds = in.rt.steps[fx.step].rounds;
        if (fx.mask) {
          e.actor = cw.dept_name(cw.lead(fx.step));
          e.detail = "one consolidated correction notice (Art. 32) from: " + mask_departments(in, fx.step, fx.mask) +
                     " — " + notice_items(in, fx.step, fx.mask);
        } else {
          e.detail = "returned: deferred materials still missing after the grace period";
        }
        if (rounds >= 2)
          e.detail += " — repeat notice (二次补正): notice " + std::to_string(rounds) + " on this step";
        push_row(std::move(e));
        break;
      }
      case EffectKind::contact_task: {
        EventRecord e = row("contact-task");
        e.detail = "first return: contact the applicant by " + tm.marked_text(fx.at);
        push_row(std::move(e));
        break;
      }
      case EffectKind::arm_timer: break;  // kept by apply_input()
      case EffectKind::warning:
      case EffectKind::overdue: {
        EventRecord e = row(fx.kind == EffectKind::warning ? "warning" : "overdue");
        e.detail = std::string(fx.kind == EffectKind::warning ? "deadline near: " : "deadline passed: ") +
                   tm.marked_text(fx.at);
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
        const StepRuntime& r = in.rt.steps[fx.step];
        const std::string why = exclusion_ground(in, fx.step);
        const std::string days = number_text(r.pause_days);
        EventRecord e = row("clock-stopped");
        e.detail = "excluded period (" + why + "), " + days + " working days, until " + tm.marked_text(fx.at);
        push_row(std::move(e));
        // Art. 45: the applicant is told in writing how long, and why.
        EventRecord n = row("notice");
        n.detail = with_reason("to the applicant: the time of " + why + " (" + days + " working days, until " +
                               tm.marked_text(fx.at) + ") is not counted in the limit (行政许可法 Art. 45)");
        push_row(std::move(n));
        break;
      }
      case EffectKind::extended: {
        const StepRuntime& r = in.rt.steps[fx.step];
        EventRecord e = row("extended");
        e.detail = "limit extended by " + number_text(r.extended_days) + " working days (行政许可法 Art. 42)" +
                   (r.clock_running ? "; new deadline " + tm.marked_text(fx.at) : std::string());
        push_row(std::move(e));
        EventRecord n = row("notice");
        n.detail = with_reason("to the applicant: the limit is extended by " + number_text(r.extended_days) +
                               " working days (行政许可法 Art. 42)");
        push_row(std::move(n));
        break;
      }
      case EffectKind::statutory_overdue: {
        EventRecord e = row("statutory-overdue");
        e.detail = "the limit the law sets passed (违法超期): " + tm.marked_text(fx.at);
        push_row(std::move(e));
        break;
      }
      case EffectKind::clock_resumed: push_row(row("clock-resumed")); break;
      case EffectKind::review_requested: break;  // the worklist shows it (queue)
      case EffectKind::verification_open: {
        EventRecord e = row("verification-due");
        e.detail = "approved on commitment (告知承诺): " + cw.dept_name(static_cast<std::uint32_t>(fx.dept)) +
                   " verifies the commitment by " + tm.marked_text(fx.at);
        push_row(std::move(e));
        break;
      }
      case EffectKind::verification_overdue: {
        EventRecord e = row("verification-overdue");
        e.detail = "the verification of the commitment was due by " + tm.marked_text(fx.at);
        push_row(std::move(e));
        break;
      }
      case EffectKind::rectification_ordered: {
        EventRecord e = row("rectification-ordered");
        e.detail = with_reason("conditions of the commitment not met: rectify by " + tm.marked_text(fx.at) +
                               ", or the approval is revoked");
        push_row(std::move(e));
        EventRecord n = row("notice");
        n.detail = with_reason("to the applicant: order to rectify by " + tm.marked_text(fx.at) +
                               " the conditions the commitment did not meet (告知承诺)");
        push_row(std::move(n));
        break;
      }
      case EffectKind::rectified: push_row(row("rectified")); break;
      case EffectKind::review_required: {
        EventRecord e = row("review-required");
        e.detail = "a step it depends on was revoked; " + cw.dept_name(static_cast<std::uint32_t>(fx.dept)) +
                   " reviews its approval: confirm or revoke";
        push_row(std::move(e));
        break;
      }
      case EffectKind::confirmed: push_row(row("confirmed")); break;
      case EffectKind::material_overdue: {
        EventRecord e = row("material-overdue");
        e.detail = "issued before its deferred materials; still missing past their deadline: " +
                   missing_materials(in, fx.step);
        push_row(std::move(e));
        break;
      }
    }
  }
  drop_notes(in);  // a notice sent takes its round's notes with it
}

// A return's note, kept for the round's consolidated notice (and dropped
// with the notice, drop_notes).
void EngineImpl::keep_note(Instance& in, const Event& e, const std::string& note) {
  if (e.action != Action::return_ || e.step >= in.rt.steps.size()) return;
  const int slot = in.def->compiled->dept_slot(e.step, e.actor.dept);
  if (slot < 0) return;
  in.round_notes[(std::uint64_t{e.step} << 32) | static_cast<std::uint32_t>(slot)] = note;
}

void EngineImpl::drop_notes(Instance& in) {
  for (const Effect& fx : effects_)
    if (fx.kind == EffectKind::notice && fx.step != kNoStep) {
      const std::uint64_t lo = std::uint64_t{fx.step} << 32;
      in.round_notes.erase(in.round_notes.lower_bound(lo), in.round_notes.lower_bound(lo + (std::uint64_t{1} << 32)));
    }
}

// The items of a consolidated notice: each returning department's note.
std::string EngineImpl::notice_items(const Instance& in, std::uint32_t s, std::uint32_t mask) const {
  const CompiledWorkflow& cw = *in.def->compiled;
  std::string out;
  for (std::uint32_t k = 0; k < cw.dept_count(s) && k < 32; ++k) {
    if (!(mask & (1u << k))) continue;
    auto it = in.round_notes.find((std::uint64_t{s} << 32) | k);
    out += (out.empty() ? "" : "; ") + cw.dept_name(cw.dept_of(s, k)) + ": " +
           (it == in.round_notes.end() || it->second.empty() ? std::string("(no items given)") : it->second);
  }
  return out;
}

// The ground of step s's running excluded period, in words: the declared
// period's reason, or the Art. 45 ground ("拍卖 (auction)").
std::string EngineImpl::exclusion_ground(const Instance& in, std::uint32_t s) const {
  const StepRuntime& r = in.rt.steps[s];
  const auto g = static_cast<ExclusionGround>(r.ground);
  if (g == ExclusionGround::declared) {
    const auto& declared = in.def->compiled->source->steps[s].excluded;
    if (r.exclusions_used >= 1 && r.exclusions_used <= declared.size()) return declared[r.exclusions_used - 1].reason;
    return "declared period";
  }
  if (g == ExclusionGround::none) return "ground not recorded";
  return std::string(jointreview::describe(g)) + " (" + to_string(g) + ")";
}

// A number of days as people write it: 20, 2.5.
std::string EngineImpl::number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// Marks a step whose current-state row (state, deadline, flags) changed.
void EngineImpl::touch(Instance& in, std::uint32_t step) {
  snapshot_before(in);
  mark_step(in, step);
}

}  // namespace jointreview::runtime

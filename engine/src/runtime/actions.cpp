// Requests checked and applied: start_job() and act_job() run on the
// event-loop thread, turn a request into a state machine Event, apply it
// (apply_input), and record what it did (audit.cpp) in the open batch.
#include "runtime/engine_impl.h"

#include <algorithm>

#include "runtime/codec.h"
#include "runtime/working_time.h"
#include "util/text_util.h"

namespace jointreview::runtime {

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

namespace {
// Names, actors and notes become rows of a legal record and cells of every
// table and JSON output: invalid UTF-8 or a control character is refused
// with the field and the place, before anything is recorded.
void check_text(const std::string& value, const char* field, bool multiline = false) {
  if (const std::string why = text::input_text_problem(value, multiline); !why.empty())
    throw Error(Error::Code::invalid_argument, std::string("the ") + field + " " + why);
}
}  // namespace

std::string EngineImpl::start_job(const StartRequest& req, const LoadedFile& loaded) {
  refuse_if_read_only("start");
  check_text(req.project, "project name (StartRequest::project)");
  check_text(req.applicant, "applicant (StartRequest::applicant)");
  {
    const std::string& hash = loaded.hash;
    const std::string& bundle_text = loaded.bundle_text;
    const auto& wf = loaded.workflow;
    storage::WorkflowRecord wrec{hash, wf->id, wf->title, req.workflow_file, bundle_text};
    Definition& def = definition(hash, wf);
    compare_with_folder(*wf);  // a newer calendar file beside it: said, not used
    fire_due();
    const std::string prefix = local_date_compact(job_now_) + "-";
    std::int64_t& n = next_number_[prefix];
    if (n == 0) n = last_number(prefix);
    auto inst = std::make_unique<Instance>();
    // YYYYMMDD-NNNNNN: six digits at least, more from the millionth
    // instance of a day on, never repeated (an id in use is skipped).
    do {
      const std::string digits = std::to_string(++n);
      inst->id = prefix + std::string(digits.size() < 6 ? 6 - digits.size() : 0, '0') + digits;
    } while (instances_.count(inst->id) != 0);
    inst->def = &def;
    inst->project = req.project.empty() ? wf->title : req.project;
    inst->applicant = req.applicant.empty() ? "applicant" : req.applicant;
    inst->started = now_text();
    const double now = def.time->to_wt(job_now_);  // may throw: before anything is recorded
    Instance* p = inst.get();
    def.machine->reset(p->rt, req.green);
    const std::string id = p->id;
    if (!instances_.emplace(id, std::move(inst)).second)
      throw Error(Error::Code::storage, "instance id " + id + " is in use");  // never: the loop above skips them
    p->new_in_batch = true;
    if (pending_wf_.count(hash) == 0 && !stored_wf_.count(hash)) {
      pending_wf_[hash] = wrec;
    }
    snapshot_before(*p);
    p->last_second = seconds_of(job_now_);
    Input input;
    input.event.action = Action::start;
    input.event.at = now;
    input.green = req.green;
    input.workflow_hash = hash;
    input.project = p->project;
    input.applicant = p->applicant;
    apply_input(*p, input.event, p->started, true);
    // Every step gets its row in the steps table at the next checkpoint,
    // not only those the start changed.
    for (std::uint32_t i = 0; i < p->rt.steps.size(); ++i) mark_step(*p, i);
    record_action(*p, "system", "start", "", "", "", {});
    batch_.inputs.back() = encode_input(input, *def.time);
    record_effects(*p, "system", -1);
    return p->id;
  }
}

int EngineImpl::act_job(const ActRequest& req) {
  check_text(req.action, "action (ActRequest::action)");
  refuse_if_read_only(req.action.empty() ? "act" : req.action.c_str());
  check_text(req.instance, "instance id");
  check_text(req.step, "step id");
  check_text(req.actor, "actor (ActRequest::actor)");
  check_text(req.note, "note (ActRequest::note)", true);
  check_text(req.material, "material (ActRequest::material)");
  check_text(req.ground, "ground (ActRequest::ground)");
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
                      "verify, verify-failed, rectified, revoke, confirm, contact, exclude, resume, extend");
    long si = cw.source->find_step(req.step);
    if (si < 0) {
      std::string ids;
      for (const auto& s : cw.source->steps) ids += (ids.empty() ? "" : ", ") + s.id;
      throw Error(Error::Code::not_found,
                  "workflow '" + cw.source->id + "' has no step '" + req.step + "'; its steps are " + ids);
    }
    if (req.days < 0 && req.days != -1)
      throw Error(Error::Code::invalid_argument, "an excluded period cannot last a negative number of days");
    std::optional<ExclusionGround> ground;
    if (!req.ground.empty()) {
      ground = parse_ground(req.ground);
      if (!ground || *action != Action::exclude)
        throw Error(Error::Code::invalid_argument,
                    *action != Action::exclude
                        ? "a ground is given with 'exclude' only"
                        : "unknown ground '" + req.ground +
                              "' of Art. 45; the grounds are hearing, tendering, auction, inspection, testing, "
                              "quarantine, appraisal, expert_review");
    }
    Event e;
    e.action = *action;
    e.step = static_cast<std::uint32_t>(si);
    e.at = in.def->time->to_wt(job_now_);  // the time fire_due() fired timers up to
    e.value = req.days;
    if (ground) e.slot = static_cast<std::int32_t>(*ground);
    // The trail stays in order: nothing is dated before the instance's
    // latest event, of any kind (a warning or an overdue a timer logged
    // counts as much as a change of state).
    const std::int64_t now_second = seconds_of(job_now_);
    if (now_second < in.last_second) {
      // Refused like any action, and logged: the row is dated at the
      // instance's latest event (never before it), its detail says what the
      // clock read.
      const std::string latest =
          format_local(WallTime(std::chrono::seconds(in.last_second)), opt_.utc_offset_minutes);
      const std::string why = "the clock reads " + format_local(job_now_, opt_.utc_offset_minutes) +
                              ", before the instance's latest event (" + latest + "); time cannot run backwards";
      snapshot_before(in);
      record_refusal(in, req, why, &latest);
      pending_error_ = std::make_exception_ptr(Error(Error::Code::invalid_argument, why));
      return 0;
    }
    snapshot_before(in);
    in.last_second = now_second;  // every way on from here logs a row at this time
    std::string actor_err;
    e.actor = parse_actor(in, req.actor, actor_err);
    // What the law requires in writing, the machine cannot see: the reason
    // told to the applicant of an extension, and of an excluded period
    // beyond the declared ones.
    if (!actor_err.empty()) {
      record_refusal(in, req, actor_err);
      pending_error_ = std::make_exception_ptr(Error(Error::Code::forbidden, actor_err));
      return 0;
    }
    const bool needs_note = *action == Action::extend || (*action == Action::exclude && ground) ||
                            *action == Action::verify_failed || *action == Action::revoke;
    if (req.note.empty() && needs_note) {
      const std::string why =
          *action == Action::extend
              ? "an extension must give its reason, which the applicant is told (ActRequest::note)"
          : *action == Action::verify_failed
              ? "a failed verification must say which conditions are not met: the order to rectify tells the applicant (ActRequest::note)"
          : *action == Action::revoke
              ? "a revocation must give its reason, which the applicant is told (ActRequest::note)"
              : "an excluded period on the ground of " + std::string(jointreview::describe(*ground)) + " (" + to_string(*ground) +
                    ") must say why, in writing to the applicant (ActRequest::note)";
      record_refusal(in, req, why);
      pending_error_ = std::make_exception_ptr(Error(Error::Code::refused, req.action + " refused: " + why));
      return 0;
    }
    if (*action == Action::supply) {
      e.slot = -1;
      for (std::uint32_t k = 0; k < cw.deferred_count(e.step); ++k)
        if (cw.materials[cw.deferred[cw.deferred_offset[e.step] + k].material] == req.material)
          e.slot = static_cast<std::int32_t>(k);
    }
    Refusal r = apply_input(in, e, row_time(in, -1), true);
    if (r != Refusal::none) {
      std::string why = in.def->machine->explain(in.rt, e, r);
      record_refusal(in, req, why);
      pending_error_ = std::make_exception_ptr(Error(refusal_code(r), req.action + " refused: " + why));
      return 0;
    }
    keep_note(in, e, req.note);
    record_action(in, req.actor, req.action, req.step, req.note, req.material, {});
    Input input{e};
    input.note = req.note;
    batch_.inputs.back() = encode_input(input, *in.def->time);
    record_effects(in, req.actor, -1);
    return 0;
  }
}

// The state machine applied to an instance, with its pending timers kept
// in step: the timers it arms are added (and, live, queued for the heap
// once committed); those that can no longer matter are dropped. `when`:
// the local time written on the rows, which an instance that closes keeps
// as its finish time. Used alike live and in replay.
Refusal EngineImpl::apply_input(Instance& in, const Event& e, const std::string& when, bool live) {
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
                                   if (t.kind == TimerKind::verify_due || t.kind == TimerKind::contact_due ||
                                       t.kind == TimerKind::rectify_due)
                                     return false;
                                   // Issued before its deferred material: the material's deadline is still watched.
                                   if (t.kind == TimerKind::deferred_due && t.step != kNoStep &&
                                       in.rt.steps[t.step].state == StepState::approved &&
                                       in.rt.steps[t.step].deferred_outstanding != 0)
                                     return false;
                                   if (closed) return true;
                                   return t.step != kNoStep && is_final(in.rt.steps[t.step].state);
                                 }),
                  in.timers.end());
  return Refusal::none;
}

Actor EngineImpl::parse_actor(const Instance& in, const std::string& who, std::string& err) {
  const CompiledWorkflow& cw = *in.def->compiled;
  if (who == "applicant") {
    // Plain `applicant` acts for an instance started without a named
    // applicant; a named one is acted for by name only.
    if (in.applicant != "applicant") {
      err = "instance " + in.id + " belongs to applicant '" + in.applicant + "': act as 'applicant:" + in.applicant + "'";
      return Actor::system();
    }
    return Actor::applicant();
  }
  if (who.rfind("applicant:", 0) == 0) {
    std::string name = who.substr(10);
    if (name != in.applicant) {
      err = "'" + name + "' is not the applicant of instance " + in.id + " (the applicant is '" + in.applicant + "')";
      return Actor::system();
    }
    return Actor::applicant();
  }
  if (who == "system" || who.empty()) {
    err = "name who acts (ActRequest::actor): the applicant, a department, or DEPARTMENT/STAFF";
    return Actor::system();
  }
  std::string dept = who.substr(0, who.find('/'));
  if (const auto slash = who.find('/'); slash != std::string::npos) {
    const std::string staff = who.substr(slash + 1);
    if (staff.empty() || staff.find('/') != std::string::npos || staff.find(' ') == 0) {
      err = "'" + who + "' is not DEPARTMENT/STAFF-ID: the staff id after '" + dept +
            "/' must be one non-empty name or number without '/'";
      return Actor::system();
    }
  }
  for (std::uint32_t d = 0; d < cw.n_departments; ++d)
    if (cw.dept_name(d) == dept) return Actor::department(d);
  std::string names;
  for (std::uint32_t d = 0; d < cw.n_departments; ++d) names += (names.empty() ? "" : ", ") + cw.dept_name(d);
  err = "'" + dept + "' is not a department of workflow '" + cw.source->id + "'; its departments are " + names;
  return Actor::system();
}

// The time of the instance's latest state change, in working days.
std::int64_t EngineImpl::seconds_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The largest number of an instance id with this prefix (0 if none).
std::int64_t EngineImpl::last_number(const std::string& prefix) const {
  std::int64_t n = 0;
  for (const auto& [id, in] : instances_)
    if (id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0) {
      const std::string digits = id.substr(prefix.size());
      if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 18)
        n = std::max<std::int64_t>(n, std::stoll(digits));
    }
  return n;
}

}  // namespace jointreview::runtime

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

const char* refusal_reason(Refusal r) {
  switch (r) {
    case Refusal::none: return "";
    case Refusal::not_started: return "not_started";
    case Refusal::already_started: return "already_started";
    case Refusal::instance_closed: return "instance_closed";
    case Refusal::unknown_step: return "unknown_step";
    case Refusal::wrong_state: return "wrong_state";
    case Refusal::blocked: return "blocked";
    case Refusal::applicant_only:
    case Refusal::department_only:
    case Refusal::not_reviewer: return "wrong_actor";
    case Refusal::lead_only: return "lead_only";
    case Refusal::already_reviewed: return "already_reviewed";
    case Refusal::no_commitment: return "no_commitment";
    case Refusal::unknown_material: return "not_deferred";
    case Refusal::already_supplied: return "already_supplied";
    case Refusal::materials_missing: return "materials_missing";
    case Refusal::nothing_pending: return "nothing_pending";
    case Refusal::not_paused: return "not_paused";
    case Refusal::already_paused: return "already_paused";
    case Refusal::no_exclusion: return "no_exclusion";
    case Refusal::bad_value: return "bad_value";
    case Refusal::no_ground: return "no_ground";
    case Refusal::already_extended: return "already_extended";
    case Refusal::limit_passed: return "limit_passed";
    case Refusal::extension_too_long: return "extension_too_long";
    case Refusal::not_rectifying: return "not_rectifying";
    case Refusal::not_revocable: return "not_revocable";
    case Refusal::no_review: return "no_review";
  }
  return "refused";
}

namespace {
// Names, actors and notes become rows of a legal record and cells of every
// table and JSON output: invalid UTF-8 or a control character is refused
// with the field and the place, before anything is recorded.
void check_text(const std::string& value, const char* field, bool multiline = false) {
  if (const std::string why = text::input_text_problem(value, multiline); !why.empty())
    throw Error(Error::Code::invalid_argument, std::string("the ") + field + " " + why, "invalid_text");
}
}  // namespace

StartResult EngineImpl::start_job(const StartRequest& req, const LoadedFile* loaded) {
  refuse_if_read_only("start");
  check_text(req.project, "project name (StartRequest::project)");
  check_text(req.applicant, "applicant (StartRequest::applicant)");
  check_text(req.key, "business key (StartRequest::key)");
  {
    // From a file, or a deployed version (its texts and calendar are in the
    // database already).
    const storage::DeploymentRecord* dep = loaded ? nullptr : &deployed(req.workflow);
    const std::string hash = loaded ? loaded->hash : dep->hash;
    std::shared_ptr<const Workflow> wf = loaded ? loaded->workflow : definition(hash).compiled->source;
    if (!req.key.empty()) {
      // The key in use: the instance it started, and nothing written.
      auto k = keys_.find(key_of(wf->id, req.key));
      if (k != keys_.end()) {
        const Instance& in = *instances_.at(k->second);
        return StartResult{in.id, in.version, true};
      }
      // A settled instance is not held: its row has the key.
      if (auto rec = reader().instance_by_key(wf->id, req.key))
        return StartResult{rec->id, static_cast<std::uint64_t>(rec->version), true};
    }
    Definition& def = loaded ? definition(hash, wf) : definition(hash);
    if (loaded) compare_with_folder(*wf);  // a newer calendar file beside it: said, not used
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
    inst->key = req.key;
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
    if (!p->key.empty()) keys_[key_of(wf->id, p->key)] = id;
    if (loaded && pending_wf_.count(hash) == 0 && !stored_wf_.count(hash))
      pending_wf_[hash] = storage::WorkflowRecord{hash, wf->id, wf->title, req.workflow_file, loaded->bundle_text};
    snapshot_before(*p);
    p->last_second = seconds_of(job_now_);
    Input input;
    input.event.action = Action::start;
    input.event.at = now;
    input.green = req.green;
    input.workflow_hash = hash;
    input.project = p->project;
    input.applicant = p->applicant;
    input.key = p->key;
    apply_input(*p, input.event, p->started, true);
    // Every step gets its row in the steps table at the next checkpoint,
    // not only those the start changed.
    for (std::uint32_t i = 0; i < p->rt.steps.size(); ++i) mark_step(*p, i);
    record_action(*p, "system", "start", "", "", "", {});
    batch_.inputs.back() = encode_input(input, *def.time);
    p->version = 1;
    record_effects(*p, "system", -1);
    return StartResult{p->id, p->version, false};
  }
}

// A call with a request id is answered with its first outcome when it was
// made before; its outcome is recorded with the batch otherwise. Only an
// outcome the rules gave is recorded (done, or a logged refusal): an error
// found before (an unknown instance, a conflict) wrote nothing, and a retry
// is simply judged again.
ActResult EngineImpl::act_job(const ActRequest& given) {
  // ActRequest::verb given: its name goes in `action`, which the rules,
  // the trail and the request id's record read.
  ActRequest named;
  if (given.verb != Action::start) {
    if (!given.action.empty() && parse_action(given.action) != given.verb)
      throw Error(Error::Code::invalid_argument,
                  "ActRequest::action '" + given.action + "' and ActRequest::verb '" + to_string(given.verb) +
                      "' name different actions; give one of them",
                  "bad_value");
    named = given;
    named.action = to_string(given.verb);
  }
  const ActRequest& req = given.verb != Action::start ? named : given;
  if (req.request_id.empty()) return act_rules(req);
  check_text(req.request_id, "request id (ActRequest::request_id)");
  if (req.request_id.size() > 200)
    throw Error(Error::Code::invalid_argument, "the request id (ActRequest::request_id) is longer than 200 bytes",
                "bad_value");
  const std::string call = req.instance + '\n' + req.step + '\n' + req.action + '\n' + req.actor;
  if (auto it = requests_.find(req.request_id); it != requests_.end()) {
    const storage::RequestRecord& r = it->second;
    if (r.call != call)
      throw Error(Error::Code::invalid_argument,
                  "request id '" + req.request_id + "' was used on " + r.time + " for another call (instance " +
                      r.instance + "); a request id names one call: give a new one",
                  "duplicate");
    if (r.code != 0) throw Error(static_cast<Error::Code>(r.code), r.message, r.reason);
    return ActResult{static_cast<std::uint64_t>(r.version), true};
  }
  ActResult res = act_rules(req);
  storage::RequestRecord rec;
  rec.id = req.request_id;
  rec.instance = req.instance;
  rec.call = call;
  rec.version = static_cast<std::int64_t>(res.version);
  rec.time = now_text();
  if (pending_error_) {
    try {
      std::rethrow_exception(pending_error_);
    } catch (const Error& e) {
      rec.code = static_cast<int>(e.code());
      rec.reason = e.reason();
      rec.message = e.what();
    } catch (...) {
      return res;
    }
  }
  requests_[rec.id] = rec;
  undo_hooks_.push_back([this, id = rec.id] { requests_.erase(id); });
  batch_.requests.push_back(std::move(rec));
  return res;
}

// Another staff member's claim on the step for the actor's department.
const Claim* EngineImpl::claim_against(const Instance& in, std::uint32_t step, const Actor& actor,
                                       const std::string& who) const {
  if (actor.kind != Actor::Kind::department) return nullptr;
  for (const Claim& c : in.claims)
    if (c.step == step && c.dept == actor.dept && c.staff != who) return &c;
  return nullptr;
}

void EngineImpl::drop_decided_claims(Instance& in) {
  if (in.claims.empty()) return;
  const bool closed = in.rt.state != InstanceState::running;
  in.claims.erase(std::remove_if(in.claims.begin(), in.claims.end(),
                                 [&](const Claim& c) {
                                   return closed || c.step >= in.rt.steps.size() ||
                                          is_final(in.rt.steps[c.step].state);
                                 }),
                  in.claims.end());
}

ActResult EngineImpl::claim_job(const std::string& instance, const std::string& step, const std::string& actor,
                                bool take) {
  const char* what = take ? "claim" : "release";
  refuse_if_read_only(what);
  check_text(instance, "instance id");
  check_text(step, "step id");
  check_text(actor, "actor (ActRequest::actor)");
  fire_due();
  Instance* found = find_instance(instance);
  if (!found) throw Error(Error::Code::not_found, "no instance '" + instance + "'", "unknown_instance");
  Instance& in = *found;
  const CompiledWorkflow& cw = *in.def->compiled;
  const long si = cw.source->find_step(step);
  if (si < 0)
    throw Error(Error::Code::not_found, "workflow '" + cw.source->id + "' has no step '" + step + "'", "unknown_step");
  const auto s = static_cast<std::uint32_t>(si);
  std::string err;
  const Actor a = parse_actor(in, actor, err);
  if (err.empty() && (a.kind != Actor::Kind::department || actor.find('/') == std::string::npos))
    err = std::string("a ") + what + " is made by a department's staff member: actor DEPARTMENT/STAFF-ID, not '" +
          actor + "'";
  if (err.empty()) {
    bool handles = false;
    for (std::uint32_t k = 0; k < cw.dept_count(s); ++k) handles = handles || cw.dept_of(s, k) == a.dept;
    if (!handles) err = "department '" + cw.dept_name(a.dept) + "' does not handle step '" + step + "'";
  }
  if (!err.empty()) throw Error(Error::Code::forbidden, std::string(what) + " refused: " + err, "wrong_actor");
  if (in.rt.state != InstanceState::running || is_final(in.rt.steps[s].state))
    throw Error(Error::Code::refused,
                std::string(what) + " refused: step '" + step + "' is " + to_string(in.rt.steps[s].state) +
                    (in.rt.state != InstanceState::running ? std::string(" and the instance ") + to_string(in.rt.state)
                                                           : std::string()) +
                    ": there is nothing to claim",
                "wrong_state");
  auto held = std::find_if(in.claims.begin(), in.claims.end(),
                           [&](const Claim& c) { return c.step == s && c.dept == a.dept; });
  if (take) {
    if (held != in.claims.end()) {
      if (held->staff == actor) return ActResult{in.version, true};  // already theirs
      throw Error(Error::Code::conflict,
                  "step '" + step + "' of instance " + in.id + " is claimed by " + held->staff + " since " +
                      held->since + " for " + cw.dept_name(a.dept),
                  "claimed");
    }
  } else if (held == in.claims.end() || held->staff != actor) {
    throw Error(held == in.claims.end() ? Error::Code::refused : Error::Code::conflict,
                held == in.claims.end() ? "release refused: step '" + step + "' is not claimed for " + cw.dept_name(a.dept)
                                        : "release refused: step '" + step + "' is claimed by " + held->staff +
                                              ", who alone releases it",
                held == in.claims.end() ? "not_claimed" : "claimed");
  }
  const std::int64_t now_second = seconds_of(job_now_);
  if (const std::string why = clock_behind(in); !why.empty())
    throw Error(Error::Code::invalid_argument, why, "clock_backwards");
  snapshot_before(in);
  in.last_second = now_second;
  if (take)
    in.claims.push_back(Claim{s, a.dept, actor, now_text()});
  else
    in.claims.erase(held);
  mark_ckpt(in);
  EventRecord row = base_event(in, actor, now_text());
  row.kind = take ? "claimed" : "released";
  row.action = what;
  row.step = step;
  row.detail = cw.dept_name(a.dept);
  push_row(std::move(row));
  Input input;
  input.record = take ? Input::Record::claim : Input::Record::release;
  input.event.step = s;
  input.event.actor = a;
  input.event.at = in.def->time->to_wt(job_now_);
  input.staff = actor;
  batch_.inputs.back() = encode_input(input, *in.def->time);
  ++in.version;
  return ActResult{in.version, false};
}

ActResult EngineImpl::act_rules(const ActRequest& req) {
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
    Instance* found = find_instance(req.instance);
    if (!found) throw Error(Error::Code::not_found, "no instance '" + req.instance + "'", "unknown_instance");
    Instance& in = *found;
    const CompiledWorkflow& cw = *in.def->compiled;
    if (req.expected_version >= 0 && static_cast<std::uint64_t>(req.expected_version) != in.version)
      throw Error(Error::Code::conflict,
                  "instance " + in.id + " is at version " + std::to_string(in.version) + ", not " +
                      std::to_string(req.expected_version) +
                      " (ActRequest::expected_version): it changed since it was read; read it again",
                  "conflict");
    auto action = parse_action(req.action);
    if (!action)
      throw Error(Error::Code::invalid_argument,
                  "unknown action '" + req.action +
                      "'; actions are submit, accept, approve, return, resubmit, reject, commit, supply, withdraw, "
                      "verify, verify-failed, rectified, revoke, confirm, contact, exclude, resume, extend",
                  "unknown_action");
    long si = cw.source->find_step(req.step);
    if (si < 0) {
      std::string ids;
      for (const auto& s : cw.source->steps) ids += (ids.empty() ? "" : ", ") + s.id;
      throw Error(Error::Code::not_found,
                  "workflow '" + cw.source->id + "' has no step '" + req.step + "'; its steps are " + ids,
                  "unknown_step");
    }
    if (req.days < 0 && req.days != -1)
      throw Error(Error::Code::invalid_argument, "an excluded period cannot last a negative number of days",
                  "bad_value");
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
    std::string latest;
    if (const std::string why = clock_behind(in, &latest); !why.empty()) {
      // Refused like any action, and logged: the row is dated at the
      // instance's latest event (never before it), its detail says what the
      // clock read.
      snapshot_before(in);
      record_refusal(in, req, why, &latest);
      pending_error_ = std::make_exception_ptr(Error(Error::Code::invalid_argument, why, "clock_backwards"));
      return ActResult{in.version, false};
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
      pending_error_ = std::make_exception_ptr(Error(Error::Code::forbidden, actor_err, "wrong_actor"));
      return ActResult{in.version, false};
    }
    // Another clerk's claim: a conflict, and nothing logged (the race of
    // two clerks is not a refusal of the rules).
    if (const Claim* c = claim_against(in, e.step, e.actor, req.actor))
      throw Error(Error::Code::conflict,
                  "step '" + req.step + "' of instance " + in.id + " is claimed by " + c->staff + " since " + c->since +
                      " for " + cw.dept_name(c->dept) + ": only they act on it for the department until it is released",
                  "claimed");
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
      pending_error_ = std::make_exception_ptr(Error(Error::Code::refused, req.action + " refused: " + why, "note_required"));
      return ActResult{in.version, false};
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
      pending_error_ = std::make_exception_ptr(Error(refusal_code(r), req.action + " refused: " + why, refusal_reason(r)));
      return ActResult{in.version, false};
    }
    keep_note(in, e, req.note);
    record_action(in, req.actor, req.action, req.step, req.note, req.material, {});
    Input input{e};
    input.note = req.note;
    batch_.inputs.back() = encode_input(input, *in.def->time);
    ++in.version;
    record_effects(in, req.actor, -1);
    return ActResult{in.version, false};
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
  drop_decided_claims(in);
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
  if (who.rfind("steward:", 0) == 0 || who == "supervisor" || who.rfind("supervisor:", 0) == 0 || who == "admin" ||
      who.rfind("admin:", 0) == 0) {
    err = "'" + who + "' is a " + who.substr(0, who.find(':')) +
          ": it reads instances and acts on no step (only the applicant and the departments act)";
    return Actor::system();
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

// Why the job's clock may not act on the instance: it reads before the
// instance's latest event ("" when it does not). `latest`: that event's time.
std::string EngineImpl::clock_behind(const Instance& in, std::string* latest) const {
  if (seconds_of(job_now_) >= in.last_second) return "";
  const std::string at = format_local(WallTime(std::chrono::seconds(in.last_second)), opt_.utc_offset_minutes);
  if (latest) *latest = at;
  return "the clock reads " + format_local(job_now_, opt_.utc_offset_minutes) + ", before the instance's latest event (" +
         at + "); time cannot run backwards";
}

// The time of the instance's latest state change, in working days.
std::int64_t EngineImpl::seconds_of(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// The largest number of an instance id with this prefix (0 if none): of
// the rows (settled instances are not held) and of the instances held.
std::int64_t EngineImpl::last_number(const std::string& prefix) {
  std::int64_t n = reader().last_number(prefix);
  for (const auto& [id, in] : instances_)
    if (id.size() > prefix.size() && id.compare(0, prefix.size(), prefix) == 0) {
      const std::string digits = id.substr(prefix.size());
      if (digits.find_first_not_of("0123456789") == std::string::npos && digits.size() < 18)
        n = std::max<std::int64_t>(n, std::stoll(digits));
    }
  return n;
}

}  // namespace jointreview::runtime

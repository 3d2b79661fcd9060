// The current-state tables (instances, steps) as a checkpoint of the event
// log, and the replay at open of what the log holds after the last one.
#include "runtime/engine_impl.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "runtime/codec.h"
#include "runtime/working_time.h"

namespace jointreview::runtime {

// Brings the in-memory instances up to the end of the log: the inputs
// logged after the last checkpoint go through the state machine again, in
// log order, with the timers each instance had pending fired on the way
// exactly as the live engine fires them (every timer due by an input's
// time fires before it). A settled instance the log names is read back
// from its checkpoint row first. Nothing is written but a new checkpoint.
void EngineImpl::replay() {
  const std::int64_t from = store_->checkpoint_seq();
  last_seq_ = from;
  bool any = false;
  for (const auto& row : store_->inputs_after(from)) {
    replay_input(row, nullptr);
    last_seq_ = std::max(last_seq_, row.seq);
    ++stats_.replayed_inputs;
    any = true;
  }
  if (any && !legacy_time_) checkpoint();  // (a conversion writes its own)
}

void EngineImpl::replay_input(const storage::InputRow& row, Instance* target) {
  Input input = decode_input(row.input);
  if (input.legacy && !legacy_time_)
    throw Error(Error::Code::storage, "event " + std::to_string(row.seq) +
                                          " still counts working days from an old calendar's first year; "
                                          "the database's conversion to schema 3 did not finish");
  const Event& e = input.event;
  const auto named = [&]() -> Instance& {
    Instance* in = target ? target : find_instance(row.instance);
    if (!in)
      throw Error(Error::Code::storage, "the log refers to instance " + row.instance + ", which it never started");
    return *in;
  };
  Instance* in = nullptr;
  if (input.record != Input::Record::input) {
    in = &named();
    resolve_time(input, *in->def->time);
    fire_pending(*in, e.at, nullptr);
    if (e.step >= in->rt.steps.size() || e.actor.dept >= in->def->compiled->n_departments)
      throw Error(Error::Code::storage, "event " + std::to_string(row.seq) + " claims a step or department instance " +
                                            row.instance + " does not have");
    auto held = std::find_if(in->claims.begin(), in->claims.end(),
                             [&](const Claim& c) { return c.step == e.step && c.dept == e.actor.dept; });
    if (input.record == Input::Record::claim) {
      if (held == in->claims.end()) in->claims.push_back(Claim{e.step, e.actor.dept, input.staff, row.time});
    } else if (held != in->claims.end()) {
      in->claims.erase(held);
    }
    ++in->version;
    mark_ckpt(*in);
  } else if (e.action == Action::start) {
    if (target) {
      // Rebuilding: the instance as its start made it.
      in = target;
      if (in->def->hash != input.workflow_hash)
        throw Error(Error::Code::storage, "the log starts instance " + row.instance + " with workflow " +
                                              input.workflow_hash + ", its row names " + in->def->hash);
    } else {
      if (find_instance(row.instance))
        throw Error(Error::Code::storage, "the log starts instance " + row.instance + " twice");
      in = &add_instance(row.instance, input.workflow_hash, input.project, input.applicant, row.time);
    }
    in->def->machine->reset(in->rt, input.green);
    in->key = input.key;
    if (!in->key.empty() && !target) keys_[key_of(in->def->compiled->source->id, in->key)] = in->id;
  } else {
    in = &named();
  }
  if (input.record == Input::Record::input) {
    resolve_time(input, *in->def->time);
    if (e.action == Action::timer) {
      // The timers that fired before it, then the timer itself (applied as
      // logged even if it is not among the pending ones).
      const Timer self{e.timer, e.step, e.slot, e.at};
      fire_pending(*in, e.at, &self);
    } else {
      fire_pending(*in, e.at, nullptr);
    }
    Refusal r = apply_input(*in, e, row.time);
    if (r == Refusal::none) {
      keep_note(*in, e, input.note);
      drop_notes(*in);
    }
    if (r != Refusal::none)
      throw Error(Error::Code::storage, "replaying the log of instance " + row.instance + " at event " +
                                            std::to_string(row.seq) + " gives a different result than it did live (" +
                                            in->def->machine->explain(in->rt, e, r) + ")");
    ++in->version;
    mark_all_steps(*in);
  }
  try {
    in->last_second =
        std::max(in->last_second, seconds_of(parse_local_time(row.time.substr(0, 19), opt_.utc_offset_minutes)));
  } catch (const Error&) {
    // A row time this build cannot read: the order check keeps the older bound.
  }
}

storage::Store& EngineImpl::reader() {
  if (!reader_) reader_ = storage::open_sqlite_store(opt_.database, "full", true);
  return *reader_;
}

std::unique_ptr<Instance> EngineImpl::instance_from(const storage::InstanceRecord& rec, std::int64_t upto) {
  auto inst = std::make_unique<Instance>();
  Instance& in = *inst;
  in.id = rec.id;
  in.def = &definition(rec.workflow_hash);
  in.project = rec.project;
  in.applicant = rec.applicant;
  in.started = rec.started;
  in.finished = rec.finished;
  in.key = rec.key;
  in.version = static_cast<std::uint64_t>(rec.version);
  try {
    decode(rec.snapshot, in);
    read_claims(in, rec.claims);
    return inst;
  } catch (const Error& e) {
    if (e.code() != Error::Code::storage) throw;
  }
  // A snapshot of another layout or version (or a damaged one): the log is
  // the record of truth, and the instance is rebuilt from it.
  auto fresh = std::make_unique<Instance>();
  fresh->id = rec.id;
  fresh->def = in.def;
  fresh->project = rec.project;
  fresh->applicant = rec.applicant;
  fresh->started = rec.started;
  bool started = false;
  for (const auto& row : reader().inputs_of(rec.id)) {
    if (row.seq > upto) break;
    if (!started) {
      const Input first = decode_input(row.input);
      if (first.record != Input::Record::input || first.event.action != Action::start)
        throw Error(Error::Code::storage, "instance " + rec.id +
                                              " cannot be read, and its log does not begin with its start to "
                                              "rebuild it from");
      started = true;
    }
    replay_input(row, fresh.get());
  }
  if (!started)
    throw Error(Error::Code::storage,
                "instance " + rec.id + " cannot be read, and the log holds no start to rebuild it from");
  // What was not logged: when it finished (the state row's time).
  fresh->finished = rec.finished;
  ++stats_.rebuilt_instances;
  return fresh;
}

Instance* EngineImpl::find_instance(const std::string& id) {
  if (auto it = instances_.find(id); it != instances_.end()) return it->second.get();
  std::optional<storage::InstanceRecord> rec = reader().instance(id);
  if (!rec) return nullptr;
  std::unique_ptr<Instance> inst = instance_from(*rec, INT64_MAX);
  Instance* p = inst.get();
  instances_.emplace(id, std::move(inst));
  if (!p->key.empty()) keys_[key_of(p->def->compiled->source->id, p->key)] = id;
  // Held until its next checkpoint, which lets it go again if it is still
  // settled then.
  mark_ckpt(*p);
  ++stats_.loaded;
  return p;
}

void EngineImpl::unload_settled(const std::vector<Instance*>& written) {
  if (opt_.read_only) return;
  std::vector<Instance*> go;
  for (Instance* in : written)
    if (settled(*in) && !in->ckpt_dirty && in->batch_slot < 0 && !in->new_in_batch) go.push_back(in);
  if (go.empty()) return;
  for (Instance* in : go) {
    if (!in->key.empty()) keys_.erase(key_of(in->def->compiled->source->id, in->key));
    instances_.erase(in->id);  // destroys it
  }
  stats_.unloaded += go.size();
  rebuild_heap();  // entries of timers it dropped may still point at it
}

// An instance read back from the database (checkpoint or log).
Instance& EngineImpl::add_instance(const std::string& id, const std::string& workflow_hash, const std::string& project,
                                   const std::string& applicant, const std::string& started) {
  auto inst = std::make_unique<Instance>();
  inst->id = id;
  inst->def = &definition(workflow_hash);
  inst->project = project;
  inst->applicant = applicant;
  inst->started = started;
  Instance& ref = *inst;
  instances_.emplace(id, std::move(inst));
  return ref;
}

// Replay: fires, without logging, the instance's pending timers due by
// `at`, in the order the live engine fires them (earliest first, then in
// the order they were armed), up to `until` when given: that one is only
// taken out of the pending list, for the caller applies it.
void EngineImpl::fire_pending(Instance& in, double at, const Timer* until) {
  for (;;) {
    auto next = in.timers.end();
    for (auto it = in.timers.begin(); it != in.timers.end(); ++it)
      if (it->at <= at && (next == in.timers.end() || it->at < next->at)) next = it;
    if (next == in.timers.end()) return;
    Timer t = *next;
    in.timers.erase(next);
    if (until && t == *until) return;
    apply_input(in, timer_event(t), row_time(in, t.at));
  }
}

void EngineImpl::mark_ckpt(Instance& in) {
  if (in.ckpt_dirty) return;
  in.ckpt_dirty = true;
  ckpt_list_.push_back(in.id);
}

void EngineImpl::mark_step(Instance& in, std::uint32_t step) {
  mark_ckpt(in);
  if (step == kNoStep) return;
  if (in.ckpt_steps.empty()) in.ckpt_steps.assign(in.rt.steps.size(), 0);
  in.ckpt_steps[step] = 1;
}

void EngineImpl::mark_all_steps(Instance& in) {
  mark_ckpt(in);
  in.ckpt_steps.assign(in.rt.steps.size(), 1);
}

// Writes the instances and steps rows of everything changed since the
// last checkpoint, in one transaction, with the seq it reaches. Nothing
// depends on it but the time the next open spends replaying: a failure
// leaves everything marked for the next one.
// A checkpoint in a transaction of its own (at open, before the threads).
void EngineImpl::checkpoint() {
  if (ckpt_list_.empty()) return;
  storage::Batch b;
  add_checkpoint(b);
  try {
    store_->commit(b);
    last_ckpt_ = std::chrono::steady_clock::now();
  } catch (...) {
    for (Instance* in : ckpt_written_) {
      mark_all_steps(*in);
      in->query_rows_written.clear();  // not written after all
    }
    ckpt_written_.clear();
    return;
  }
  std::vector<Instance*> written = std::move(ckpt_written_);
  ckpt_written_.clear();
  unload_settled(written);
}

bool EngineImpl::checkpoint_due() const {
  return !ckpt_list_.empty() && (std::chrono::steady_clock::now() - last_ckpt_ >= opt_.checkpoint_interval ||
                                 ckpt_list_.size() >= opt_.checkpoint_instances);
}

// Adds the checkpoint rows to a batch: committed with it, they are exact
// up to its last event (the in-memory instances include its changes).
void EngineImpl::add_checkpoint(storage::Batch& b) {
  std::sort(ckpt_list_.begin(), ckpt_list_.end());
  ckpt_list_.erase(std::unique(ckpt_list_.begin(), ckpt_list_.end()), ckpt_list_.end());
  ckpt_written_.clear();
  for (const auto& id : ckpt_list_) {
    auto it = instances_.find(id);
    if (it == instances_.end() || !it->second->ckpt_dirty) continue;  // undone since it was marked
    Instance& in = *it->second;
    b.instances.push_back(record_of(in));
    for (std::size_t k = 0; k < in.ckpt_steps.size(); ++k)
      if (in.ckpt_steps[k]) b.steps.push_back(step_record(in, static_cast<int>(k)));
    ckpt_written_.push_back(&in);
    // Unmarked now: a change made while this commits marks it again. If
    // the commit fails, everything written here is marked again.
    in.ckpt_dirty = false;
    std::fill(in.ckpt_steps.begin(), in.ckpt_steps.end(), 0);
  }
  ckpt_list_.clear();
  ckpt_due_ = false;
  b.checkpoint_seq = last_seq_;
}

// After a commit: when no checkpoint went with it, one armed for when the
// engine goes quiet.
void EngineImpl::schedule_checkpoint() {
  if (ckpt_list_.empty()) return;
  if (ckpt_due_) return;
  ckpt_due_ = true;
  ckpt_timer_->expires_after(opt_.checkpoint_interval);
  ckpt_timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec || !ckpt_due_) return;
    ckpt_due_ = false;
    force_ckpt_ = true;
    flush();  // with whatever is pending
  });
}

storage::InstanceRecord EngineImpl::record_of(Instance& in) {
  storage::InstanceRecord r;
  r.id = in.id;
  r.workflow_hash = in.def->hash;
  r.project = in.project;
  r.applicant = in.applicant;
  r.green = in.rt.green;
  r.state = to_string(in.rt.state);
  r.started = in.started;
  r.finished = in.finished;
  r.snapshot = encode(in);
  r.workflow_id = in.def->compiled->source->id;
  r.key = in.key;
  r.version = static_cast<std::int64_t>(in.version);
  r.claims = claims_text(in);
  r.resident = !settled(in);
  // What queries select on (Engine::query): the project deadline, progress,
  // the flags and the departments with work to do.
  const InstanceStatus st = describe(in);
  r.deadline = st.deadline;
  r.total = static_cast<int>(st.steps.size());
  std::set<std::string> flags, depts;
  if (st.overdue) flags.insert("overdue");
  if (st.warned) flags.insert("warned");
  for (const StepStatus& x : st.steps) {
    if (x.step_state == StepState::approved) ++r.approved;
    const bool open = !is_final(x.step_state);
    if (open && x.overdue) flags.insert("overdue");
    if (open && x.warned && !x.overdue) flags.insert("warned");
    if (open && x.statutory_overdue) flags.insert("statutory_overdue");
    if (open && x.repeat_notice) flags.insert("repeat_notice");
    if (x.verification_overdue) flags.insert("verification_overdue");
    if (x.verification_pending) flags.insert("verification_pending");
    if (x.contact_overdue) flags.insert("contact_overdue");
    if (x.material_overdue) flags.insert("material_overdue");
    if (x.review_required) flags.insert("review_required");
    if (x.rectifying) flags.insert("rectifying");
    if (x.paused) flags.insert("clock_stopped");
    if (x.extended_days > 0 && open) flags.insert("extended");
    if (!x.claims.empty()) flags.insert("claimed");
    if (in.rt.state != InstanceState::running && !x.verification_pending && !x.rectifying && !x.contact_pending)
      continue;
    const std::string lead = x.departments.empty() ? std::string() : x.departments.front();
    if (x.step_state == StepState::submitted) depts.insert(lead);
    if (x.step_state == StepState::accepted)
      for (const auto& d : x.reviews_pending) depts.insert(d);
    if (x.verification_pending || x.contact_pending || x.rectifying || x.review_required || x.material_overdue)
      depts.insert(lead);
  }
  if (in.rt.state == InstanceState::running) {
    bool waits_on_applicant = false;
    for (const StepStatus& x : st.steps)
      waits_on_applicant = waits_on_applicant || x.step_state == StepState::ready || x.step_state == StepState::returned ||
                           !x.missing_materials.empty();
    if (waits_on_applicant) flags.insert("waiting_on_applicant");
  }
  depts.erase("");
  r.flags.assign(flags.begin(), flags.end());
  r.open_departments.assign(depts.begin(), depts.end());
  std::string rows;
  for (const auto& f : r.flags) rows += f + ',';
  rows += '\n';
  for (const auto& d : r.open_departments) rows += d + ',';
  r.query_rows = rows != in.query_rows_written;
  in.query_rows_written = std::move(rows);
  return r;
}

// The claims column: [{"step": INDEX, "department": INDEX, "staff", "since"}]
// ("" for none), indices into the compiled workflow like the snapshot's.
std::string EngineImpl::claims_text(const Instance& in) {
  if (in.claims.empty()) return "";
  nlohmann::json a = nlohmann::json::array();
  for (const Claim& c : in.claims)
    a.push_back({{"step", c.step}, {"department", c.dept}, {"staff", c.staff}, {"since", c.since}});
  return a.dump();
}

void EngineImpl::read_claims(Instance& in, const std::string& text) {
  in.claims.clear();
  if (text.empty()) return;
  const auto bad = [&] {
    return Error(Error::Code::storage, "the stored claims of instance " + in.id + " are corrupt");
  };
  const nlohmann::json a = nlohmann::json::parse(text, nullptr, false);
  if (!a.is_array()) throw bad();
  for (const auto& c : a) {
    if (!c.is_object() || !c.contains("step") || !c["step"].is_number_unsigned() || !c.contains("department") ||
        !c["department"].is_number_unsigned() || !c.contains("staff") || !c["staff"].is_string() ||
        !c.contains("since") || !c["since"].is_string())
      throw bad();
    Claim k{c["step"].get<std::uint32_t>(), c["department"].get<std::uint32_t>(), c["staff"].get<std::string>(),
            c["since"].get<std::string>()};
    if (k.step >= in.rt.steps.size() || k.dept >= in.def->compiled->n_departments) throw bad();
    in.claims.push_back(std::move(k));
  }
}

storage::StepRecord EngineImpl::step_record(const Instance& in, int idx) {
  const CompiledWorkflow& cw = *in.def->compiled;
  const StepRuntime& r = in.rt.steps[idx];
  storage::StepRecord s;
  s.instance = in.id;
  s.index = idx;
  s.step = cw.step_id(idx);
  s.state = to_string(r.state);
  s.department = cw.dept_name(cw.lead(idx));
  s.deadline = r.clock_running ? in.def->time->deadline_text(r.due) : "";
  s.warned = r.warned;
  s.overdue = r.overdue;
  return s;
}

}  // namespace jointreview::runtime

// The status projection: an instance's runtime state as InstanceStatus,
// the form status(), instances() and their JSON show.
#include "runtime/engine_impl.h"

#include <algorithm>

#include "runtime/working_time.h"

namespace jointreview::runtime {

InstanceStatus EngineImpl::describe(const Instance& in) {
  const CompiledWorkflow& cw = *in.def->compiled;
  const Workflow& wf = *cw.source;
  const TimeMap& tm = *in.def->time;
  InstanceStatus s;
  s.instance = in.id;
  s.workflow = wf.id;
  s.workflow_hash = in.def->hash;
  s.title = wf.title;
  s.project = in.project;
  s.applicant = in.applicant;
  s.key = in.key;
  s.version = in.version;
  s.state = to_string(in.rt.state);
  s.instance_state = in.rt.state;
  s.green = in.rt.green;
  s.started = in.started;
  s.finished = in.finished;
  s.deadline = project_deadline(in);
  s.deadline_provisional = project_deadline_provisional(in);
  s.warned = in.rt.warned;
  s.overdue = in.rt.overdue;
  if (in.rt.clock_started >= 0) {
    // The project clock: started at the first acceptance; counted while a
    // step's clock runs; elapsed: every working day since.
    const double now = tm.to_wt_lenient(clock_->now());
    s.clock_started = tm.deadline_text(in.rt.clock_started);
    s.counted_days = StateMachine::project_counted(in.rt, now);
    const double end = in.rt.state == InstanceState::running ? now : in.rt.finished_at;
    s.elapsed_days = StateMachine::counted(in.rt.clock_started, end);
    if (in.rt.state != InstanceState::running) s.counted_days = in.rt.project_used;
  }
  for (std::uint32_t i = 0; i < cw.n_steps; ++i) {
    const StepRuntime& r = in.rt.steps[i];
    StepStatus st;
    st.id = wf.steps[i].id;
    st.name = wf.steps[i].name;
    st.state = to_string(r.state);
    st.step_state = r.state;
    st.since = step_since(in, i);
    for (std::uint32_t k = 0; k < cw.dept_count(i); ++k) st.departments.push_back(cw.dept_name(cw.dept_of(i, k)));
    for (const Claim& c : in.claims)
      if (c.step == i) st.claims.push_back({cw.dept_name(c.dept), c.staff, c.since});
    st.deadline = step_deadline(in, i);
    st.deadline_provisional = step_deadline_provisional(in, i);
    st.days_used = days_used(in, i);
    st.days_limit = cw.days[i] + r.extended_days;  // the promise, with its extension
    st.warned = r.warned;
    st.overdue = r.overdue;
    st.paused = r.paused;
    if (r.paused) {
      st.paused_until = tm.deadline_text(r.pause_until);
      st.paused_until_provisional = tm.provisional(r.pause_until);
      st.ground = to_string(static_cast<ExclusionGround>(r.ground));
      st.exclusion_reason = exclusion_ground(in, i);
    }
    st.extended_days = r.extended_days;
    st.statutory_overdue = r.statutory_overdue;
    st.statutory_days = cw.statutory_days[i];
    st.on_commitment = r.on_commitment;
    st.verification_pending = r.verification_pending;
    if (r.verification_pending) {
      st.verification_due = tm.deadline_text(r.verify_due);
      st.verification_due_provisional = tm.provisional(r.verify_due);
    }
    st.verification_overdue = r.verification_overdue;
    st.rectifying = r.rectifying;
    if (r.rectifying) st.rectify_due = tm.deadline_text(r.rectify_due);
    st.review_required = r.review_required;
    st.material_overdue = r.material_overdue;
    st.contact_pending = r.contact_pending;
    st.contact_overdue = r.contact_overdue;
    st.rounds = r.rounds;
    st.notices = r.rounds;
    st.repeat_notice = r.rounds >= 2;
    for (std::uint32_t k = 0; k < cw.deferred_count(i); ++k)
      if (r.deferred_outstanding & (1u << k) || (!r.accepted_once && !(r.deferred_supplied & (1u << k))))
        st.missing_materials.push_back(cw.materials[cw.deferred[cw.deferred_offset[i] + k].material]);
    for (std::uint32_t k = 0; k < cw.dept_count(i); ++k)
      if (r.review_pending & (1u << k)) st.reviews_pending.push_back(cw.dept_name(cw.dept_of(i, k)));
    s.steps.push_back(std::move(st));
  }
  return s;
}

// The project's promised limit on the project clock, a date; "" without
// time_limit, or while the clock does not run (it moves then).
std::string EngineImpl::project_deadline(const Instance& in) const {
  const double due = in.def->machine->project_deadline(in.rt);
  return due < 0 ? "" : in.def->time->deadline_text(due);
}

// Whether that date lies in a provisional year of the calendar.
bool EngineImpl::project_deadline_provisional(const Instance& in) const {
  const double due = in.def->machine->project_deadline(in.rt);
  return due >= 0 && in.def->time->provisional(due);
}

// The date a step's running clock ends; "" when no clock runs.
std::string EngineImpl::step_deadline(const Instance& in, std::uint32_t step) const {
  const StepRuntime& r = in.rt.steps[step];
  return r.clock_running ? in.def->time->deadline_text(r.due) : "";
}

// Whether that date lies in a provisional year of the calendar.
bool EngineImpl::step_deadline_provisional(const Instance& in, std::uint32_t step) const {
  const StepRuntime& r = in.rt.steps[step];
  return r.clock_running && in.def->time->provisional(r.due);
}

// Working days consumed on the step's statutory clock, up to the clock's now.
double EngineImpl::days_used(const Instance& in, std::uint32_t step) const {
  const StepRuntime& r = in.rt.steps[step];
  const TimeMap& tm = *in.def->time;
  return r.clock_used + (r.clock_running ? StateMachine::counted(r.clock_since, tm.to_wt_lenient(clock_->now())) : 0.0);
}

// The local time the step entered its state.
std::string EngineImpl::step_since(const Instance& in, std::uint32_t step) const {
  return format_local(in.def->time->from_wt(in.rt.steps[step].entered), opt_.utc_offset_minutes);
}

// Every instance, by id.
std::vector<const Instance*> EngineImpl::sorted_instances() const {
  std::vector<const Instance*> all;
  all.reserve(instances_.size());
  for (const auto& [k, v] : instances_) all.push_back(v.get());
  std::sort(all.begin(), all.end(), [](const Instance* a, const Instance* b) { return a->id < b->id; });
  return all;
}

}  // namespace jointreview::runtime

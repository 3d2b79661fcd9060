// Queries over every instance, on typed states: a department's worklist
// (what `jreview queue` shows) and the Friday dispatch report (周调度,
// `jreview report`). docs/runtime.md#worklists-and-the-weekly-report.
#include "runtime/engine_impl.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "runtime/working_time.h"

namespace jointreview::runtime {

namespace {

bool in_progress(StepState s) {
  return s == StepState::submitted || s == StepState::accepted || s == StepState::returned ||
         s == StepState::suspended;
}

// Whether step `i` waits on the department in slot `k` of its departments:
// the lead, to accept a submission; a reviewer whose opinion is pending.
bool waits_on(const StepRuntime& r, std::uint32_t k) {
  if (r.state == StepState::submitted) return k == 0;
  if (r.state == StepState::accepted || r.state == StepState::suspended) return (r.review_pending & (1u << k)) != 0;
  return false;
}

}  // namespace

Worklist EngineImpl::department_worklist(const std::string& department) {
  Worklist w;
  w.department = department;
  for (const Instance* in : sorted_instances()) {
    const CompiledWorkflow& cw = *in->def->compiled;
    const bool running = in->rt.state == InstanceState::running;
    for (std::uint32_t i = 0; i < cw.n_steps; ++i) {
      int slot = -1;
      for (std::uint32_t k = 0; k < cw.dept_count(i); ++k)
        if (cw.dept_name(cw.dept_of(i, k)) == department) slot = static_cast<int>(k);
      if (slot < 0) continue;
      w.known = true;
      const StepRuntime& r = in->rt.steps[i];
      const bool lead = slot == 0;
      auto add = [&](WorkTask task, std::string deadline, bool provisional) {
        WorkItem item;
        item.instance = in->id;
        item.project = in->project;
        item.step = cw.step_id(i);
        item.name = cw.source->steps[i].name;
        item.task = task;
        item.state = r.state;
        item.deadline = std::move(deadline);
        item.deadline_provisional = provisional;
        item.since = step_since(*in, i);
        item.green = in->rt.green;
        item.overdue = r.overdue;
        item.warned = r.warned;
        item.statutory_overdue = r.statutory_overdue;
        for (const Claim& c : in->claims)
          if (c.step == i && c.dept == cw.dept_of(i, static_cast<std::uint32_t>(slot))) item.claimed_by = c.staff;
        item.version = in->version;
        w.items.push_back(std::move(item));
      };
      if (running) {
        if (r.state == StepState::submitted && lead) add(WorkTask::accept, "", false);
        if ((r.state == StepState::accepted || r.state == StepState::suspended) && (r.review_pending & (1u << slot)))
          add(r.state == StepState::suspended ? WorkTask::review_suspended : WorkTask::review, step_deadline(*in, i),
              step_deadline_provisional(*in, i));
      }
      if (lead && r.contact_pending) add(WorkTask::contact, "", false);
      const TimeMap& tm = *in->def->time;
      // 告知承诺: the verification is the department's from the decision
      // on, due by its date (red past it); then a rectification ordered.
      if (lead && r.verification_pending && r.state == StepState::approved) {
        add(WorkTask::verify, tm.deadline_text(r.verify_due), tm.provisional(r.verify_due));
        w.items.back().overdue = r.verification_overdue;
      }
      if (lead && r.rectifying && r.state == StepState::approved)
        add(WorkTask::rectification, tm.deadline_text(r.rectify_due), tm.provisional(r.rectify_due));
      if (lead && r.review_required && r.state == StepState::approved) add(WorkTask::review_approval, "", false);
      if (lead && r.state == StepState::approved && r.deferred_outstanding != 0) {
        add(WorkTask::collect_material, "", false);
        w.items.back().overdue = r.material_overdue;
      }
    }
  }
  std::stable_sort(w.items.begin(), w.items.end(), [](const WorkItem& a, const WorkItem& b) {
    auto key = [](const WorkItem& i) {
      return std::tuple<bool, bool, bool, const std::string&, const std::string&>(!i.green, !i.overdue,
                                                                                  i.deadline.empty(), i.deadline,
                                                                                  i.since);
    };
    return key(a) < key(b);
  });
  return w;
}

WeeklyReport EngineImpl::report_of_week(Date monday) {
  WeeklyReport rep;
  const Date sunday = monday + 6;
  rep.week = iso_week(monday);
  rep.from = monday.str();
  rep.to = sunday.str();
  rep.friday = (monday + 4).str();
  std::map<std::string, DepartmentLoad> load;  // by name
  for (const Instance* in : sorted_instances()) {
    const CompiledWorkflow& cw = *in->def->compiled;
    for (std::uint32_t i = 0; i < cw.n_steps; ++i)
      for (std::uint32_t k = 0; k < cw.dept_count(i); ++k) load[cw.dept_name(cw.dept_of(i, k))];
    ReportProject p;
    p.instance = in->id;
    p.project = in->project;
    p.workflow = cw.source->id;
    p.state = in->rt.state;
    p.green = in->rt.green;
    p.total = static_cast<int>(cw.n_steps);
    p.promised_by = project_deadline(*in);
    p.promised_by_provisional = project_deadline_provisional(*in);
    p.project_overdue = in->rt.overdue;
    p.project_warned = in->rt.warned;
    for (std::uint32_t i = 0; i < cw.n_steps; ++i) {
      const StepRuntime& r = in->rt.steps[i];
      p.approved += r.state == StepState::approved;
      for (std::uint32_t k = 0; k < cw.dept_count(i); ++k)
        if (waits_on(r, k)) {
          DepartmentLoad& l = load[cw.dept_name(cw.dept_of(i, k))];
          ++l.open;
          if (r.overdue) ++l.overdue;
        }
      const std::string deadline = step_deadline(*in, i);
      const bool provisional = step_deadline_provisional(*in, i);
      if (in_progress(r.state))
        p.in_progress.push_back({cw.step_id(i), cw.source->steps[i].name, r.state, deadline, provisional});
      ReportItem item;
      item.instance = in->id;
      item.project = in->project;
      item.step = cw.step_id(i);
      item.name = cw.source->steps[i].name;
      item.department = cw.dept_name(cw.lead(i));
      item.state = r.state;
      item.deadline = deadline;
      item.deadline_provisional = provisional;
      item.days_used = days_used(*in, i);
      item.days_limit = cw.days[i];
      item.statutory_overdue = r.statutory_overdue;
      if (in_progress(r.state) && r.paused) {
        ReportItem stop = item;
        stop.kind = ReportItem::Kind::stopped;
        stop.ground = to_string(static_cast<ExclusionGround>(r.ground));
        stop.exclusion_reason = exclusion_ground(*in, i);
        stop.paused_until = in->def->time->deadline_text(r.pause_until);
        stop.paused_until_provisional = in->def->time->provisional(r.pause_until);
        rep.stopped.push_back(std::move(stop));
      }
      if (in_progress(r.state) && r.overdue) {
        item.kind = ReportItem::Kind::overdue;
        rep.overdue.push_back(item);
      } else if (in_progress(r.state) && r.warned) {
        item.kind = ReportItem::Kind::warned;
        rep.warned.push_back(item);
      }
      if (r.contact_overdue && r.contact_pending) {
        item.kind = ReportItem::Kind::contact_overdue;
        rep.overdue.push_back(std::move(item));
      }
    }
    // The week's approvals and returns: a state change is on a "state" row,
    // or on the action row that caused it.
    const std::vector<EventRecord> events = on_writer([&] { return store_->events(in->id); });
    for (const EventRecord& ev : events) {
      const std::string day = ev.time.substr(0, 10);
      if (day < rep.from || day > rep.to || ev.step.empty()) continue;
      if (ev.kind == "notice" && ev.detail.find("(二次补正)") != std::string::npos) {
        // The departments of a repeat notice are the ones it names after "from: ".
        const auto from = ev.detail.find("from: ");
        const auto end = ev.detail.find(" — ", from);
        if (from != std::string::npos) {
          const std::string names = ev.detail.substr(from + 6, end == std::string::npos ? std::string::npos : end - from - 6);
          for (auto& [name, l] : load)
            if ((", " + names + ",").find(", " + name + ",") != std::string::npos) ++l.repeat_notices_this_week;
        }
        continue;
      }
      if (ev.to.empty()) continue;
      const long s = cw.source->find_step(ev.step);
      if (s < 0) continue;
      const auto step = static_cast<std::uint32_t>(s);
      for (std::uint32_t k = 0; k < cw.dept_count(step); ++k) {
        DepartmentLoad& l = load[cw.dept_name(cw.dept_of(step, k))];
        if (ev.to == to_string(StepState::approved)) ++l.approved_this_week;
        if (ev.to == to_string(StepState::returned)) ++l.returned_this_week;
      }
      p.approved_this_week += ev.to == to_string(StepState::approved);
    }
    rep.projects.push_back(std::move(p));
  }
  for (auto& [name, l] : load) {
    l.department = name;
    rep.departments.push_back(l);
  }
  return rep;
}

}  // namespace jointreview::runtime

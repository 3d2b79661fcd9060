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
  // The instances held, and the settled ones that finished in the week or
  // later, read from their rows (one that settled before the week has no
  // part in it).
  std::vector<std::unique_ptr<Instance>> settled_rows;
  for (const auto& rec : reader().finished_between(rep.from, rep.to + "T24"))
    if (!instances_.count(rec.id)) settled_rows.push_back(instance_from(rec, INT64_MAX));
  std::vector<const Instance*> all = sorted_instances();
  for (const auto& in : settled_rows) all.push_back(in.get());
  std::sort(all.begin(), all.end(), [](const Instance* a, const Instance* b) { return a->id < b->id; });
  for (const Instance* in : all) {
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

// ---- Engine::query: instances by filter, from the store's indexed tables

namespace {
std::string hex_of(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}
bool unhex(const std::string& h, std::string& out) {
  if (h.size() % 2) return false;
  out.clear();
  for (std::size_t k = 0; k < h.size(); k += 2) {
    auto v = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
    const int a = v(h[k]), b = v(h[k + 1]);
    if (a < 0 || b < 0) return false;
    out += static_cast<char>(a * 16 + b);
  }
  return true;
}
bool is_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t k : {0, 1, 2, 3, 5, 6, 8, 9})
    if (s[k] < '0' || s[k] > '9') return false;
  return true;
}
const char* const kFlags[] = {"overdue",          "warned",          "statutory_overdue", "repeat_notice",
                              "verification_overdue", "verification_pending", "contact_overdue", "material_overdue",
                              "review_required",  "rectifying",      "clock_stopped",     "extended",
                              "claimed",          "waiting_on_applicant"};
}  // namespace

InstancePage EngineImpl::query(const InstanceFilter& f) {
  auto bad = [](const std::string& why) { return Error(Error::Code::invalid_argument, why, "bad_value"); };
  storage::QueryFilter q;
  if (!f.state.empty() && f.state != "running" && f.state != "completed" && f.state != "rejected" &&
      f.state != "withdrawn" && f.state != "revoked")
    throw bad("unknown state '" + f.state + "' (InstanceFilter::state); the states are running, completed, rejected, "
              "withdrawn, revoked");
  if (!f.flag.empty()) {
    bool known = false;
    std::string all;
    for (const char* k : kFlags) {
      known = known || f.flag == k;
      all += (all.empty() ? "" : ", ") + std::string(k);
    }
    if (!known) throw bad("unknown flag '" + f.flag + "' (InstanceFilter::flag); the flags are " + all);
  }
  for (const std::string* d : {&f.started_from, &f.started_to, &f.finished_from, &f.finished_to})
    if (!d->empty() && !is_date(*d)) throw bad("'" + *d + "' is not a date YYYY-MM-DD (InstanceFilter)");
  if (f.order != "started" && f.order != "deadline")
    throw bad("order by 'started' or 'deadline', not '" + f.order + "' (InstanceFilter::order)");
  if (f.limit < 1 || f.limit > 1000) throw bad("a page holds 1 to 1000 instances (InstanceFilter::limit)");
  q.state = f.state;
  q.workflow_id = f.workflow;
  q.project = f.project;
  q.applicant = f.applicant;
  q.department = f.department;
  q.flag = f.flag;
  q.started_from = f.started_from;
  q.started_to = f.started_to;
  q.finished_from = f.finished_from;
  q.finished_to = f.finished_to;
  q.green = f.green < 0 ? -1 : (f.green ? 1 : 0);
  q.by_deadline = f.order == "deadline";
  q.limit = f.limit;
  if (!f.after.empty()) {
    std::string raw;
    const auto sep1 = unhex(f.after, raw) ? raw.find('\x1f') : std::string::npos;
    const auto sep2 = sep1 == std::string::npos ? std::string::npos : raw.find('\x1f', sep1 + 1);
    if (sep2 == std::string::npos || raw.substr(0, sep1) != f.order)
      throw Error(Error::Code::invalid_argument,
                  "'" + f.after + "' is not a cursor of this order (InstanceFilter::after): pass the 'next' of the "
                  "previous page, with the same order",
                  "bad_cursor");
    q.after_key = raw.substr(sep1 + 1, sep2 - sep1 - 1);
    q.after_id = raw.substr(sep2 + 1);
  }
  // The tables answer as of the last checkpoint: one is written first when
  // instances changed since.
  if (!opt_.read_only)
    call([&] {
      fire_due();
      if (!ckpt_list_.empty()) force_ckpt_ = true;
      return 0;
    });
  const storage::QueryResult r = call([&] { return on_writer([&] { return store_->query(q); }); });
  InstancePage page;
  page.total = r.total;
  for (const auto& row : r.rows) {
    InstanceSummary s;
    s.instance = row.id;
    s.project = row.project;
    s.workflow = row.workflow_id;
    s.applicant = row.applicant;
    s.state = row.state;
    s.instance_state = parse_instance_state(row.state).value_or(InstanceState::running);
    s.started = row.started;
    s.finished = row.finished;
    s.deadline = row.deadline;
    s.key = row.key;
    s.green = row.green;
    s.version = static_cast<std::uint64_t>(row.version);
    s.approved = row.approved;
    s.total = row.total;
    for (std::size_t a = 1; a < row.flags.size();) {
      const std::size_t b = row.flags.find(',', a);
      if (b == std::string::npos) break;
      s.flags.push_back(row.flags.substr(a, b - a));
      a = b + 1;
    }
    page.instances.push_back(std::move(s));
  }
  if (r.more && !r.rows.empty())
    page.next = hex_of(f.order + '\x1f' + r.rows.back().sort_key + '\x1f' + r.rows.back().id);
  return page;
}

}  // namespace jointreview::runtime

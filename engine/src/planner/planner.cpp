// plan(Workflow): compiles a workflow into dense arrays, runs the CPM core,
// and adds the critical path, redundant edges, the capacity schedule and
// calendar dates. Also the reform comparison of two workflows.
#include <algorithm>
#include <cmath>
#include <queue>
#include <set>
#include <unordered_map>

#include "model/dep_graph.h"
#include "jointreview/error.h"
#include "jointreview/calendar.h"
#include "jointreview/planner.h"
#include "planner/cpm.h"
#include "util/format.h"

namespace jointreview {

namespace {

// Values closer than this are equal (fractional days add up with rounding).
double tolerance(double total) { return 1e-9 * std::max(1.0, std::abs(total)); }

std::string cycle_message(const Workflow& wf) {
  auto cycles = graph::find_cycles(wf.steps.size(), wf.dependencies, 1);
  if (cycles.empty()) return "dependency cycle in workflow '" + wf.id + "'";
  const auto& cyc = cycles.front();
  std::string path = wf.steps[wf.dependencies[cyc.front()].from].id;
  for (std::size_t e : cyc) path += " -> " + wf.steps[wf.dependencies[e].to].id;
  return "dependency cycle in workflow '" + wf.id + "': " + path;
}

// The resource-constrained list schedule. Each step occupies one slot in each
// of its departments for its whole duration; departments with capacity 0 are
// unlimited. Whenever time advances, the ready steps are tried in priority
// order (least latest start, then declared order) and every one that fits
// starts at once.
void capacity_schedule(const Workflow& wf, const CsrGraph& g, Plan& p) {
  const std::size_t n = wf.steps.size();
  std::vector<std::vector<std::size_t>> depts(n);
  std::vector<int> cap(wf.departments.size(), 0);
  for (std::size_t d = 0; d < wf.departments.size(); ++d) cap[d] = wf.departments[d].capacity;
  bool any = false;
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& name : wf.steps[i].departments) {
      long d = wf.find_department(name);
      if (d < 0) continue;  // unknown department: no limit
      depts[i].push_back(static_cast<std::size_t>(d));
      any |= cap[d] > 0;
    }
  p.constrained = any;
  if (!any) {
    p.constrained_days = p.total_days;
    return;
  }
  std::vector<int> busy(cap.size(), 0);
  std::vector<std::uint32_t> waiting(n, 0);  // unfinished predecessors
  for (std::uint32_t e = 0; e < g.edges(); ++e) ++waiting[g.targets[e]];
  std::vector<double> ready_at(n, 0);
  auto prio = [&p](std::size_t a, std::size_t b) {
    const double la = p.steps[a].latest_start, lb = p.steps[b].latest_start;
    if (la != lb) return la < lb;
    return a < b;
  };
  std::set<std::size_t, decltype(prio)> ready(prio);
  using Running = std::pair<double, std::size_t>;
  std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
  for (std::size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready.insert(i);

  double now = 0, finish_all = 0;
  auto complete = [&](std::size_t u) {
    for (std::size_t d : depts[u]) --busy[d];
    for (std::uint32_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e) {
      std::uint32_t v = g.targets[e];
      if (--waiting[v] == 0) {
        ready_at[v] = now;
        ready.insert(v);
      }
    }
  };
  std::size_t done = 0;
  while (done < n) {
    bool changed = true;
    while (changed) {
      changed = false;
      for (auto it = ready.begin(); it != ready.end();) {
        const std::size_t s = *it;
        long full = -1;
        for (std::size_t d : depts[s])
          if (cap[d] > 0 && busy[d] >= cap[d]) {
            full = static_cast<long>(d);
            break;
          }
        if (full >= 0) {
          p.steps[s].held_by = wf.departments[full].name;
          ++it;
          continue;
        }
        it = ready.erase(it);
        StepPlan& sp = p.steps[s];
        sp.scheduled_start = now;
        sp.scheduled_finish = now + sp.days;
        sp.delay = now - ready_at[s];
        if (sp.delay <= 0) sp.held_by.clear();
        for (std::size_t d : depts[s]) ++busy[d];
        finish_all = std::max(finish_all, sp.scheduled_finish);
        if (sp.days == 0) {
          // Done at once: its successors may start now, ahead of others.
          complete(s);
          ++done;
          changed = true;
          break;
        }
        running.push({sp.scheduled_finish, s});
      }
    }
    if (done == n) break;
    if (running.empty())
      throw Error(Error::Code::invalid_workflow, "capacity schedule of '" + wf.id + "' cannot proceed");
    now = running.top().first;
    while (!running.empty() && running.top().first <= now) {
      std::size_t u = running.top().second;
      running.pop();
      complete(u);
      ++done;
    }
  }
  p.constrained_days = finish_all;
}

Date date_on(const Calendar& cal, Date start, double t) {
  double r = std::round(t);
  if (std::abs(t - r) < 1e-9) return cal.add(start, static_cast<long>(r));
  return cal.add_fractional(start, t);
}

}  // namespace

std::optional<Date> Plan::date_at(double t) const {
  if (!calendar_data || !start_date) return std::nullopt;
  return date_on(*calendar_data, *start_date, t);
}

bool Plan::critical_edge(std::size_t from, std::size_t to) const {
  if (from >= steps.size() || to >= steps.size()) return false;
  const StepPlan& a = steps[from];
  const StepPlan& b = steps[to];
  return a.critical && b.critical && std::abs(b.earliest_start - a.earliest_finish) <= tolerance(total_days);
}

Plan plan(const Workflow& wf, const PlanOptions& options) {
  const std::size_t n = wf.steps.size();
  Plan p;
  p.workflow = wf.id;
  p.title = wf.title;
  p.time_limit = wf.time_limit;

  // Compile: dense indices, durations, CSR successor lists.
  std::vector<double> durations(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double d = wf.steps[i].days;
    if (!std::isfinite(d) || d < 0)
      throw Error(Error::Code::invalid_workflow,
                  "step '" + wf.steps[i].id + "' has 'days' " + plan_fmt::num(d) + "; it must be a number >= 0");
    durations[i] = d;
    p.serial_days += d;
  }
  std::vector<std::uint32_t> from, to;
  from.reserve(wf.dependencies.size());
  to.reserve(wf.dependencies.size());
  for (const auto& d : wf.dependencies) {
    if (d.from >= n || d.to >= n)
      throw Error(Error::Code::invalid_workflow, "workflow '" + wf.id + "' has a dependency on a step index outside its steps");
    from.push_back(static_cast<std::uint32_t>(d.from));
    to.push_back(static_cast<std::uint32_t>(d.to));
  }
  const CsrGraph g = build_csr(n, from, to);
  CpmArrays a;
  if (!cpm(g, durations, a)) throw Error(Error::Code::invalid_workflow, cycle_message(wf));

  p.total_days = a.total;
  p.waves = a.waves;
  const double eps = tolerance(a.total);
  p.steps.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    StepPlan& s = p.steps[i];
    s.index = i;
    s.id = wf.steps[i].id;
    s.days = durations[i];
    s.wave = a.wave[i];
    s.earliest_start = a.earliest_start[i];
    s.earliest_finish = a.earliest_finish[i];
    s.latest_start = a.latest_start[i];
    s.latest_finish = a.latest_finish[i];
    s.slack = s.latest_start - s.earliest_start;
    if (std::abs(s.slack) <= eps) s.slack = 0;
    s.critical = s.slack == 0;
    s.scheduled_start = s.earliest_start;
    s.scheduled_finish = s.earliest_finish;
  }

  // The critical path: first critical source in declared order, then the
  // first critical successor (declared order) that starts when it finishes.
  std::vector<char> has_pred(n, 0);
  for (std::uint32_t v : g.targets) has_pred[v] = 1;
  std::size_t cur = n;
  for (std::size_t i = 0; i < n && cur == n; ++i)
    if (!has_pred[i] && p.steps[i].critical) cur = i;
  while (cur < n) {
    p.critical_path.push_back(cur);
    std::size_t next = n;
    for (std::uint32_t e = g.offsets[cur]; e < g.offsets[cur + 1]; ++e) {
      const std::size_t v = g.targets[e];
      if (v < next && p.critical_edge(cur, v)) next = v;
    }
    cur = next;
  }

  if (options.redundant) {
    for (const auto& r : graph::redundant_after(n, wf.dependencies)) {
      const Dependency& d = wf.dependencies[r.dep];
      const Dependency& via = wf.dependencies[r.via];
      RedundantAfter ra;
      ra.step = wf.steps[d.to].id;
      ra.after = wf.steps[d.from].id;
      ra.material = r.direct_material;
      ra.via = r.direct_material ? wf.steps[d.from].id : wf.steps[via.to].id;
      p.redundant.push_back(std::move(ra));
    }
  }

  if (options.capacity) capacity_schedule(wf, g, p);
  else p.constrained_days = p.total_days;

  if (options.start) {
    std::shared_ptr<const Calendar> cal = options.calendar;
    if (!cal) cal = load_workflow_calendar(wf);
    const Date start = *options.start;
    p.calendar = cal->id();
    p.calendar_data = cal;
    p.start_date = date_on(*cal, start, 0);
    p.finish_date = date_on(*cal, start, p.total_days);
    p.constrained_finish_date = date_on(*cal, start, p.constrained_days);
    for (auto& s : p.steps) {
      s.start_date = date_on(*cal, start, s.earliest_start);
      s.finish_date = date_on(*cal, start, s.earliest_finish);
      s.scheduled_start_date = date_on(*cal, start, s.scheduled_start);
      s.scheduled_finish_date = date_on(*cal, start, s.scheduled_finish);
    }
    // The latest date of the plan; earlier ones are covered when it is.
    const Date last_counted = Date::from_ymd(cal->last_counted_year(), 12, 31);
    Date latest = std::max(*p.finish_date, *p.constrained_finish_date);
    for (const auto& s : p.steps) latest = std::max({latest, *s.finish_date, *s.scheduled_finish_date});
    if (latest > last_counted || *p.start_date > last_counted) p.weekend_fallback_after = last_counted;
    if (cal->is_provisional(std::min(latest, last_counted)) || cal->is_provisional(*p.start_date))
      p.provisional_after = Date::from_ymd(cal->last_year(), 12, 31);
    const Date first_covered = Date::from_ymd(cal->first_year(), 1, 1);
    if (*p.start_date < first_covered) p.weekend_fallback_before = first_covered;
  }
  return p;
}

// ------------------------------------------------------------------ compare

std::size_t applicant_trips(const Workflow& wf) {
  std::set<std::string> windows;
  for (const auto& s : wf.steps)
    if (!s.online) windows.insert(s.window.empty() ? (s.lead.empty() ? s.id : s.lead) : s.window);
  return windows.size();
}

namespace {
ReformMetric metric(double before, double after) {
  ReformMetric m;
  m.before = before;
  m.after = after;
  if (before != 0) m.reduction_percent = (before - after) / before * 100.0;
  else if (after == 0) m.reduction_percent = 0.0;
  return m;
}
}  // namespace

Comparison compare(const Workflow& before, const Workflow& after) {
  PlanOptions po;
  po.redundant = false;
  po.capacity = false;
  Plan pb = plan(before, po);
  Plan pa = plan(after, po);
  Comparison c;
  c.before_workflow = before.id;
  c.after_workflow = after.id;
  c.steps = metric(static_cast<double>(before.steps.size()), static_cast<double>(after.steps.size()));
  c.materials = metric(static_cast<double>(before.applicant_materials.size()),
                       static_cast<double>(after.applicant_materials.size()));
  c.trips = metric(static_cast<double>(applicant_trips(before)), static_cast<double>(applicant_trips(after)));
  c.days = metric(pb.total_days, pa.total_days);
  c.serial_days = metric(pb.serial_days, pa.serial_days);
  if (before.time_limit && after.time_limit) {
    c.has_time_limit = true;
    c.time_limit = metric(*before.time_limit, *after.time_limit);
  }
  return c;
}

}  // namespace jointreview

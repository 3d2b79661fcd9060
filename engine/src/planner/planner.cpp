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

// The resource-constrained list schedule. A step's span runs in three
// phases: the applicant's preparation (no slot), the review (one slot in each
// of its departments; departments with capacity 0 are unlimited) and the
// excluded periods (no slot). A step is ready when its predecessors have
// finished; its preparation starts then, and when it is done the step asks
// for its slots. Whenever time advances, the steps asking are tried in
// priority order (least latest start, then declared order) and every one
// that fits starts its review at once. A wait is reported as a later start
// of the whole span: scheduled_start = ready + delay.
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
  std::vector<double> ready_at(n, 0), asks_at(n, 0);
  auto prio = [&p](std::size_t a, std::size_t b) {
    const double la = p.steps[a].latest_start, lb = p.steps[b].latest_start;
    if (la != lb) return la < lb;
    return a < b;
  };
  std::set<std::size_t, decltype(prio)> asking(prio);  // preparation done, waiting for slots
  // Events: a step's preparation done (it asks for slots), its review done
  // (slots free), the whole step done (successors ready).
  enum Kind : std::uint8_t { asks, reviewed, finished };
  struct Event {
    double at;
    std::uint64_t seq;  // FIFO among events at the same time
    Kind kind;
    std::size_t step;
    bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  std::priority_queue<Event, std::vector<Event>, std::greater<>> events;
  std::uint64_t seq = 0;
  double now = 0, finish_all = 0;
  auto ready = [&](std::size_t s) {
    ready_at[s] = now;
    events.push({now + p.steps[s].prepare_days, seq++, asks, s});
  };
  for (std::size_t i = 0; i < n; ++i)
    if (waiting[i] == 0) ready(i);
  auto handle = [&](const Event& ev) {
    const std::size_t u = ev.step;
    StepPlan& sp = p.steps[u];
    switch (ev.kind) {
      case asks:
        asks_at[u] = now;
        asking.insert(u);
        break;
      case reviewed:
        for (std::size_t d : depts[u]) --busy[d];
        events.push({now + sp.excluded_days, seq++, finished, u});
        break;
      case finished:
        finish_all = std::max(finish_all, now);
        for (std::uint32_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e)
          if (--waiting[g.targets[e]] == 0) ready(g.targets[e]);
        break;
    }
    return ev.kind == finished;
  };
  // Starts reviews in priority order; stops after a zero-day review so that
  // what it frees and readies is tried at this same moment, ahead of others.
  auto try_starts = [&]() {
    for (auto it = asking.begin(); it != asking.end();) {
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
      it = asking.erase(it);
      StepPlan& sp = p.steps[s];
      sp.delay = now - asks_at[s];
      if (sp.delay <= 0) sp.held_by.clear();
      sp.scheduled_start = ready_at[s] + sp.delay;
      sp.scheduled_review_start = now;
      sp.scheduled_review_finish = now + sp.days;
      sp.scheduled_finish = sp.scheduled_review_finish + sp.excluded_days;
      for (std::size_t d : depts[s]) ++busy[d];
      events.push({sp.scheduled_review_finish, seq++, reviewed, s});
      if (sp.days == 0) return;
    }
  };
  std::size_t done = 0;
  while (true) {
    // Everything due now, then the starts it allows, until nothing more
    // happens at this moment.
    while (true) {
      while (!events.empty() && events.top().at <= now) {
        const Event ev = events.top();
        events.pop();
        if (handle(ev)) ++done;
      }
      try_starts();
      if (events.empty() || events.top().at > now) break;
    }
    if (done == n) break;
    if (events.empty())
      throw Error(Error::Code::invalid_workflow, "capacity schedule of '" + wf.id + "' cannot proceed");
    now = events.top().at;
  }
  p.constrained_days = finish_all;
}

// The project clock over review windows [start, end]: their union, in
// maximal segments, each counting ceil(end) - ceil(start) whole working days
// (the day a segment starts in is not counted, the day it ends in is).
// Windows of zero length run the clock for no time and are left out.
std::vector<ClockSegment> project_clock(std::vector<std::pair<double, double>> windows) {
  windows.erase(std::remove_if(windows.begin(), windows.end(),
                               [](const std::pair<double, double>& w) { return !(w.second > w.first); }),
                windows.end());
  std::sort(windows.begin(), windows.end());
  std::vector<ClockSegment> out;
  for (const auto& [a, b] : windows) {
    if (!out.empty() && a <= out.back().end + 1e-9) {
      out.back().end = std::max(out.back().end, b);
      continue;
    }
    ClockSegment c;
    c.start = a;
    c.end = b;
    out.push_back(c);
  }
  for (auto& c : out) c.counted = std::ceil(c.end - 1e-9) - std::ceil(c.start - 1e-9);
  return out;
}

double counted_of(const std::vector<ClockSegment>& clock) {
  double sum = 0;
  for (const auto& c : clock) sum += c.counted;
  return sum;
}

// Where on the elapsed axis the clock has counted `limit` days: the end of
// the working day that brings it there, within its segment; unset when the
// clock never counts that many.
std::optional<double> clock_reaches(const std::vector<ClockSegment>& clock, double limit) {
  double before = 0;
  for (const auto& c : clock) {
    if (before + c.counted >= limit - 1e-9) {
      const double day = std::ceil(c.start - 1e-9) + std::max(0.0, limit - before);
      return std::clamp(day, c.start, c.end);
    }
    before += c.counted;
  }
  return std::nullopt;
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

  // Compile: dense indices, spans (prepare + days + excluded), CSR successor lists.
  std::vector<double> durations(n), prepare(n), excluded(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Step& st = wf.steps[i];
    auto check = [&st](double v, const char* what) {
      if (!std::isfinite(v) || v < 0)
        throw Error(Error::Code::invalid_workflow,
                    "step '" + st.id + "' has " + what + " " + plan_fmt::num(v) + "; it must be a number >= 0");
    };
    check(st.days, "'days'");
    prepare[i] = st.effective_prepare().expected();
    check(prepare[i], "an expected 'prepare'");
    double ex = 0;
    for (const auto& e : st.excluded) {
      const double d = e.days.expected();
      check(d, "an expected 'excluded' period");
      ex += d;
    }
    excluded[i] = ex;
    durations[i] = prepare[i] + st.days + ex;
    p.serial_days += st.days;
    p.serial_elapsed_days += durations[i];
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
  p.elapsed_days = a.total;
  p.waves = a.waves;
  const double eps = tolerance(a.total);
  p.steps.resize(n);
  std::vector<std::pair<double, double>> windows(n);
  for (std::size_t i = 0; i < n; ++i) {
    StepPlan& s = p.steps[i];
    s.index = i;
    s.id = wf.steps[i].id;
    s.days = wf.steps[i].days;
    s.prepare_days = prepare[i];
    s.excluded_days = excluded[i];
    s.elapsed_days = durations[i];
    s.wave = a.wave[i];
    s.earliest_start = a.earliest_start[i];
    s.earliest_finish = a.earliest_finish[i];
    s.latest_start = a.latest_start[i];
    s.latest_finish = a.latest_finish[i];
    s.slack = s.latest_start - s.earliest_start;
    if (std::abs(s.slack) <= eps) s.slack = 0;
    s.critical = s.slack == 0;
    s.review_start = s.earliest_start + s.prepare_days;
    s.review_finish = s.review_start + s.days;
    s.scheduled_start = s.earliest_start;
    s.scheduled_finish = s.earliest_finish;
    s.scheduled_review_start = s.review_start;
    s.scheduled_review_finish = s.review_finish;
    windows[i] = {s.review_start, s.review_finish};
  }
  p.clock = project_clock(windows);
  p.counted_days = counted_of(p.clock);
  if (p.time_limit) p.time_limit_reached_at = clock_reaches(p.clock, *p.time_limit);

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
  p.constrained_counted_days = p.counted_days;
  if (p.constrained) {
    for (std::size_t i = 0; i < n; ++i)
      windows[i] = {p.steps[i].scheduled_review_start, p.steps[i].scheduled_review_finish};
    p.constrained_counted_days = counted_of(project_clock(windows));
  }

  if (options.start) {
    std::shared_ptr<const Calendar> cal = options.calendar;
    if (!cal) cal = load_workflow_calendar(wf);
    const Date start = *options.start;
    p.calendar = cal->id();
    p.calendar_data = cal;
    p.start_date = date_on(*cal, start, 0);
    p.finish_date = date_on(*cal, start, p.total_days);
    p.constrained_finish_date = date_on(*cal, start, p.constrained_days);
    if (p.time_limit_reached_at) p.time_limit_reached_date = date_on(*cal, start, *p.time_limit_reached_at);
    for (auto& s : p.steps) {
      s.start_date = date_on(*cal, start, s.earliest_start);
      s.finish_date = date_on(*cal, start, s.earliest_finish);
      s.review_start_date = date_on(*cal, start, s.review_start);
      s.review_finish_date = date_on(*cal, start, s.review_finish);
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
// The critical path on the promised days alone (no preparation, no excluded
// time): compare's `days`, as it was before plans counted elapsed time.
double promised_critical_days(const Workflow& wf) {
  const std::size_t n = wf.steps.size();
  std::vector<double> d(n);
  for (std::size_t i = 0; i < n; ++i) d[i] = wf.steps[i].days;
  std::vector<std::uint32_t> from, to;
  for (const auto& dep : wf.dependencies) {
    from.push_back(static_cast<std::uint32_t>(dep.from));
    to.push_back(static_cast<std::uint32_t>(dep.to));
  }
  CpmArrays a;
  if (!cpm(build_csr(n, from, to), d, a)) throw Error(Error::Code::invalid_workflow, cycle_message(wf));
  return a.total;
}

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
  c.days = metric(promised_critical_days(before), promised_critical_days(after));
  c.serial_days = metric(pb.serial_days, pa.serial_days);
  c.elapsed_days = metric(pb.total_days, pa.total_days);
  c.counted_days = metric(pb.counted_days, pa.counted_days);
  if (before.time_limit && after.time_limit) {
    c.has_time_limit = true;
    c.time_limit = metric(*before.time_limit, *after.time_limit);
  }
  return c;
}

}  // namespace jointreview

// simulate(): builds the shared model, splits the replications into fixed
// blocks that worker threads take in turn, merges the blocks in order (so the
// sums are the same for any thread count) and computes the summary.
#include "jointreview/simulator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "model/compiled.h"
#include "model/departments.h"
#include "jointreview/error.h"
#include "jointreview/planner.h"
#include "simulator/replication.h"
#include "util/text_util.h"

namespace jointreview {

namespace {

constexpr std::uint64_t kBlock = 64;  // replications per block (fixed: the merge order depends on it)

// Nearest-rank percentiles: for each q, the smallest value with at least q
// of the values at or below it. Linear time; reorders the values. Each
// selection leaves the larger values after it, so the next (larger) q
// searches only those.
std::array<double, 3> select_percentiles(double* first, double* last, const std::array<double, 3>& qs) {
  const std::size_t n = static_cast<std::size_t>(last - first);
  std::array<double, 3> out{};
  double* from = first;
  for (std::size_t i = 0; i < qs.size(); ++i) {
    std::size_t rank = static_cast<std::size_t>(std::ceil(qs[i] * static_cast<double>(n) - 1e-9));
    rank = std::clamp<std::size_t>(rank, 1, n);
    double* const at = first + (rank - 1);
    if (at >= from) {
      std::nth_element(from, at, last);
      from = at;
    }
    out[i] = *at;
  }
  return out;
}

// What the summary reports of one series of completed runs.
struct Series {
  double mean = 0, sd = 0, min = 0, max = 0;
  std::array<double, 3> p{};  // p50, p90, p95
};

// Sums in the order given; then reorders the values (selection). The
// standard deviation only when asked for (a second pass).
Series summarise(double* first, double* last, bool with_sd) {
  Series out;
  if (first == last) return out;
  double sum = 0, lo = *first, hi = lo;
  for (const double* v = first; v != last; ++v) {
    sum += *v;
    lo = std::min(lo, *v);
    hi = std::max(hi, *v);
  }
  const std::size_t count = static_cast<std::size_t>(last - first);
  const double n = static_cast<double>(count);
  out.mean = sum / n;
  if (with_sd) {
    double ss = 0;
    for (const double* v = first; v != last; ++v) ss += (*v - out.mean) * (*v - out.mean);
    out.sd = count > 1 ? std::sqrt(ss / (n - 1)) : 0.0;
  }
  out.min = lo;
  out.max = hi;
  out.p = select_percentiles(first, last, {0.50, 0.90, 0.95});
  return out;
}

void check_options(const Workflow& wf, const SimulationOptions& o) {
  if (o.runs == 0) throw Error(Error::Code::invalid_argument, "SimulationOptions::runs must be at least 1");
  if (o.runs > 1'000'000'000ull) throw Error(Error::Code::invalid_argument, "SimulationOptions::runs is limited to 1000000000");
  if (o.projects == 0) throw Error(Error::Code::invalid_argument, "SimulationOptions::projects must be at least 1");
  if (o.projects > 100000) throw Error(Error::Code::invalid_argument, "SimulationOptions::projects is limited to 100000");
  if (o.runs * o.projects > 2'000'000'000ull)
    throw Error(Error::Code::invalid_argument, "SimulationOptions::runs times SimulationOptions::projects is limited to 2000000000 project runs");
  if (!(o.arrival_window >= 0) || o.arrival_window > 1e6)
    throw Error(Error::Code::invalid_argument, "the arrival window must be between 0 and 1000000 working days");
  if (o.green_projects > o.projects)
    throw Error(Error::Code::invalid_argument,
                "SimulationOptions::green_projects " + std::to_string(o.green_projects) +
                    " exceeds SimulationOptions::projects " + std::to_string(o.projects));
  if (o.histogram_bins == 0 || o.histogram_bins > 1000)
    throw Error(Error::Code::invalid_argument, "histogram bins must be between 1 and 1000");
  if (o.threads > 1024) throw Error(Error::Code::invalid_argument, "SimulationOptions::threads is limited to 1024");
  for (const auto& [name, cap] : o.capacity) {
    if (wf.find_department(name) < 0) {
      std::vector<std::string> names;
      for (const auto& d : wf.departments) names.push_back(d.name);
      std::string hint = text::closest(name, names);
      throw Error(Error::Code::invalid_argument,
                  "SimulationOptions::capacity: no department '" + name + "' in workflow '" + wf.id + "'" +
                      (hint.empty() ? "; departments: " + text::quoted_list(names) : "; did you mean '" + hint + "'?"));
    }
    if (cap > 1000000) throw Error(Error::Code::invalid_argument, "SimulationOptions::capacity " + name + ": at most 1000000");
  }
}

}  // namespace

SimulationFormat parse_simulation_format(const std::string& name) {
  if (name == "table") return SimulationFormat::table;
  if (name == "json") return SimulationFormat::json;
  if (name == "csv") return SimulationFormat::csv;
  if (name == "html") return SimulationFormat::html;
  throw Error(Error::Code::invalid_argument, "unknown format '" + name + "'; use table, json, csv or html");
}

SimulationResult simulate(const Workflow& wf, const SimulationOptions& o) { return sim::simulate(wf, o, false); }

SimulationResult sim::simulate(const Workflow& wf, const SimulationOptions& o, bool all_timers) {
  const auto t0 = std::chrono::steady_clock::now();
  check_options(wf, o);
  if (wf.steps.empty()) throw Error(Error::Code::invalid_workflow, "workflow '" + wf.id + "' has no steps");

  auto cw = compile(std::make_shared<const Workflow>(wf));
  sim::Model model(cw);
  const std::uint32_t n = cw->n_steps, nd = cw->n_departments;
  for (std::uint32_t s = 0; s < n; ++s) {
    model.duration.push_back(sim::Sampler::of(cw->duration[s]));
    model.turnaround.push_back(sim::Sampler::of(cw->correction_turnaround[s]));
    model.prepare.push_back(sim::Sampler::of(cw->prepare[s]));
    const Distribution& pd = cw->prepare[s];
    model.has_prepare.push_back(pd.kind != Distribution::Kind::fixed || pd.value > 0 ? 1 : 0);
  }
  for (const auto& x : cw->excluded) model.excluded.push_back(sim::Sampler::of(x.days));
  model.capacity = cw->dept_capacity;
  for (const auto& [name, cap] : o.capacity)
    model.capacity[static_cast<std::size_t>(wf.find_department(name))] = cap;
  {
    std::map<std::string, std::uint32_t> windows;
    for (std::uint32_t s = 0; s < n; ++s) {
      const Step& st = wf.steps[s];
      if (st.online) {
        model.window.push_back(sim::Model::kOnline);
        continue;
      }
      const std::string w = st.window.empty() ? cw->dept_name(cw->lead(s)) : st.window;
      auto it = windows.emplace(w, static_cast<std::uint32_t>(windows.size())).first;
      model.window.push_back(it->second);
    }
    model.n_windows = static_cast<std::uint32_t>(windows.size());
  }
  model.projects = o.projects;
  model.arrival_window = o.arrival_window;
  model.time_limit = cw->time_limit;
  model.all_timers = all_timers;
  model.count_overdue = o.count_overdue;
  model.green.assign(o.projects, 0);
  for (std::uint32_t j = 0; j < o.projects; ++j) {
    const std::uint64_t a = static_cast<std::uint64_t>(j) * o.green_projects / o.projects;
    const std::uint64_t b = static_cast<std::uint64_t>(j + 1) * o.green_projects / o.projects;
    model.green[j] = (b > a || cw->green) ? 1 : 0;
  }

  // ---- run the blocks
  const std::uint64_t runs = o.runs;
  const std::uint64_t blocks = (runs + kBlock - 1) / kBlock;
  unsigned threads = o.threads ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = static_cast<unsigned>(std::min<std::uint64_t>(threads, blocks));
  std::vector<sim::Accumulator> acc(blocks);
  // Every value is written by a worker before anything reads it: not zeroed
  // first, so that the pages are first touched by the threads that fill them.
  const std::uint64_t n_samples = runs * o.projects;
  std::unique_ptr<double[]> totals(new double[n_samples]), counted(new double[n_samples]);
  std::atomic<std::uint64_t> next{0}, done{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  std::atomic<bool> stop{false};

  auto worker = [&] {
    try {
      sim::Replication engine(model);
      for (;;) {
        if (stop.load(std::memory_order_relaxed)) return;
        const std::uint64_t b = next.fetch_add(1);
        if (b >= blocks) return;
        sim::Accumulator& a = acc[b];
        a.init(n, nd);
        const std::uint64_t end = std::min(runs, (b + 1) * kBlock);
        for (std::uint64_t r = b * kBlock; r < end; ++r) engine.run(o.seed, r, a, &totals[r * o.projects], &counted[r * o.projects]);
        done.fetch_add(end - b * kBlock, std::memory_order_relaxed);
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };
  std::vector<std::thread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back(worker);
  if (o.progress) {
    // Workers do the work; this thread reports.
    std::thread last(worker);
    while (done.load() < runs && !stop.load()) {
      o.progress(done.load(), runs);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    last.join();
  } else {
    worker();
  }
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  if (o.progress) o.progress(runs, runs);

  sim::Accumulator total;
  total.init(n, nd);
  for (const auto& a : acc) total.add(a);

  // ---- summary
  SimulationResult r;
  r.workflow = wf.id;
  r.title = wf.title;
  r.calendar = wf.calendar;
  r.runs = runs;
  r.seed = o.seed;
  r.projects = o.projects;
  r.green_projects = static_cast<std::uint32_t>(std::count(model.green.begin(), model.green.end(), 1));
  r.threads = threads;
  r.overdue_counted = o.count_overdue;
  r.samples = runs * o.projects;
  r.completed = total.completed;
  const double samples = static_cast<double>(r.samples);
  r.completed_share = static_cast<double>(total.completed) / samples;
  r.rejected_share = static_cast<double>(total.rejected) / samples;
  r.revoked_share = static_cast<double>(total.revoked) / samples;
  r.withdrawn_share = static_cast<double>(total.withdrawn) / samples;
  r.mean_trips = total.trips / samples;
  r.stale_events = total.stale;
  r.refused_events = total.refused + total.other;
  if (wf.time_limit) {
    r.time_limit = *wf.time_limit;
    r.on_time_probability = static_cast<double>(total.on_time) / samples;
    r.on_time_probability_elapsed = static_cast<double>(total.on_time_elapsed) / samples;
    if (total.completed > 0)
      r.on_time_share_of_completed = static_cast<double>(total.on_time) / static_cast<double>(total.completed);
  }
  {
    PlanOptions po;
    po.capacity = false;
    po.redundant = false;
    const Plan p = plan(wf, po);
    r.planned_days = p.total_days;
    r.planned_counted_days = p.counted_days;
  }

  // Each series (total days, counted days) reports its mean, minimum,
  // maximum and three percentiles: selected (linear time), never sorted.
  // Sums run in replication order, the same for any number of threads. The
  // two series are independent: with more than one thread, the counted days
  // are summarised on a second thread meanwhile.
  std::vector<double> done_totals;  // a copy: `totals` keeps replication order for the median run
  double sum_g = 0, sum_n = 0;
  std::uint64_t n_g = 0, n_n = 0;
  Series total_days, counted_days;
  double* counted_end = counted.get();
  auto summarise_counted = [&] {
    // Not needed afterwards: compacted in place. A run is NaN in both
    // series or in neither.
    counted_end = std::remove_if(counted.get(), counted.get() + n_samples, [](double c) { return std::isnan(c); });
    counted_days = summarise(counted.get(), counted_end, false);  // only the totals report an sd
  };
  std::thread helper;
  struct Joiner {  // joined on every way out, a throw included
    std::thread& t;
    ~Joiner() {
      if (t.joinable()) t.join();
    }
  } joiner{helper};
  if (threads > 1) {
    try {
      helper = std::thread(summarise_counted);
    } catch (const std::system_error&) {  // no thread to be had: here, later
    }
  }
  done_totals.reserve(total.completed);
  std::uint32_t project = 0;  // i % projects, without a division per value
  for (std::size_t i = 0; i < n_samples; ++i, project = project + 1 == o.projects ? 0 : project + 1) {
    const double t = totals[i];
    if (std::isnan(t)) continue;
    done_totals.push_back(t);
    if (model.green[project]) {
      sum_g += t;
      ++n_g;
    } else {
      sum_n += t;
      ++n_n;
    }
  }
  total_days = summarise(done_totals.data(), done_totals.data() + done_totals.size(), true);
  if (helper.joinable()) helper.join();
  else summarise_counted();
  if (!done_totals.empty()) {
    r.mean_days = total_days.mean;
    r.sd_days = total_days.sd;
    r.min_days = total_days.min;
    r.max_days = total_days.max;
    r.p50_days = total_days.p[0];
    r.p90_days = total_days.p[1];
    r.p95_days = total_days.p[2];
    r.mean_counted_days = counted_days.mean;
    r.p50_counted_days = counted_days.p[0];
    r.p90_counted_days = counted_days.p[1];
    r.p95_counted_days = counted_days.p[2];
    // Histograms (any order of the values gives the same counts).
    const std::uint32_t bins = o.histogram_bins;
    double lo = std::floor(std::min(total_days.min, counted_days.min)), hi = std::ceil(total_days.max);
    if (r.time_limit) hi = std::max(hi, std::ceil(*r.time_limit));
    if (hi <= lo) hi = lo + 1;
    r.hist_min = lo;
    r.hist_width = (hi - lo) / bins;
    r.histogram.assign(bins, 0);
    r.histogram_counted.assign(bins, 0);
    for (double t : done_totals) {
      auto k = static_cast<std::size_t>((t - lo) / r.hist_width);
      ++r.histogram[std::min<std::size_t>(k, bins - 1)];
    }
    for (const double* c = counted.get(); c != counted_end; ++c) {
      const double t = *c;
      auto k = static_cast<std::size_t>(std::max(0.0, t - lo) / r.hist_width);
      ++r.histogram_counted[std::min<std::size_t>(k, bins - 1)];
    }
    if (n_g && n_n) {
      r.mean_days_green = sum_g / static_cast<double>(n_g);
      r.mean_days_normal = sum_n / static_cast<double>(n_n);
    }
    // The median run: the first project run (in replication order) whose total is p50.
    for (std::size_t i = 0; i < n_samples; ++i)
      if (totals[i] == *r.p50_days) {
        r.median_run = i / o.projects;
        r.median_project = static_cast<std::uint32_t>(i % o.projects);
        r.median_total = totals[i];
        break;
      }
  }

  for (std::uint32_t s = 0; s < n; ++s) {
    SimulatedStep x;
    const Step& st = wf.steps[s];
    x.id = st.id;
    x.name = st.name.empty() ? st.id : st.name;
    x.departments = join_departments(st);
    x.days = st.days;
    x.criticality = total.completed ? static_cast<double>(total.critical[s]) / static_cast<double>(total.completed) : 0;
    x.mean_queue_wait = total.qwait_n[s] ? total.qwait_sum[s] / static_cast<double>(total.qwait_n[s]) : 0;
    x.mean_returns = static_cast<double>(total.returns[s]) / samples;
    x.mean_finish = total.finish_n[s] ? total.finish_sum[s] / static_cast<double>(total.finish_n[s]) : 0;
    x.overdue_share = static_cast<double>(total.overdue[s]) / samples;
    r.steps.push_back(std::move(x));
  }
  for (std::uint32_t d = 0; d < nd; ++d) {
    SimulatedDepartment x;
    x.name = wf.departments[d].name;
    x.capacity = model.capacity[d];
    const double h = total.horizon;
    if (h > 0) {
      x.mean_busy = total.busy[d] / h;
      x.mean_queue_length = total.qint[d] / h;
      if (x.capacity > 0) x.utilization = total.busy[d] / (h * x.capacity);
    } else if (x.capacity > 0) {
      x.utilization = 0.0;
    }
    x.max_queue_length = total.qmax[d];
    x.mean_queue_wait = total.reviews[d] ? total.dqwait[d] / static_cast<double>(total.reviews[d]) : 0;
    x.reviews_per_run = static_cast<double>(total.reviews[d]) / static_cast<double>(runs);
    r.departments.push_back(std::move(x));
  }

  // ---- the median run's timeline
  if (o.trace_median && r.median_run) {
    sim::Replication engine(model);
    sim::Accumulator scratch;
    scratch.init(n, nd);
    std::vector<double> t(o.projects), counted_days(o.projects);
    std::vector<sim::TraceRecord> recs;
    const double arrival = engine.trace(o.seed, *r.median_run, r.median_project, recs, scratch, t.data(), counted_days.data());
    // Per step: state intervals from the state changes, then the overlays.
    std::vector<std::vector<std::pair<double, std::uint8_t>>> changes(n);
    for (const auto& rec : recs)
      if (rec.kind == sim::TraceRecord::Kind::state) changes[rec.step].emplace_back(rec.start, rec.state);
    for (std::uint32_t s = 0; s < n; ++s) {
      const auto& c = changes[s];
      for (std::size_t i = 0; i < c.size(); ++i) {
        const auto state = static_cast<StepState>(c[i].second);
        const double from = c[i].first, to = i + 1 < c.size() ? c[i + 1].first : from;
        TraceSegment::Kind k;
        if (state == StepState::accepted && i > 0 && static_cast<StepState>(c[i - 1].second) == StepState::ready)
          k = TraceSegment::Kind::commitment;  // committed: the department decides on the commitment
        else if (state == StepState::accepted) k = TraceSegment::Kind::review;
        else if (state == StepState::returned) k = TraceSegment::Kind::correction;
        else if (state == StepState::suspended) k = TraceSegment::Kind::suspended;
        else if (state == StepState::submitted) k = TraceSegment::Kind::submitted;
        else if (state == StepState::ready && cw->prepare[s].expected() > 0) k = TraceSegment::Kind::prepare;
        else continue;
        if (to <= from && k != TraceSegment::Kind::submitted) continue;
        r.median_trace.push_back(TraceSegment{s, k, from - arrival, to - arrival, ""});
      }
    }
    for (const auto& rec : recs) {
      if (rec.kind == sim::TraceRecord::Kind::excluded)
        r.median_trace.push_back(
            TraceSegment{rec.step, TraceSegment::Kind::excluded, rec.start - arrival, rec.end - arrival, ""});
      else if (rec.kind == sim::TraceRecord::Kind::queue)
        r.median_trace.push_back(TraceSegment{rec.step, TraceSegment::Kind::queue, rec.start - arrival,
                                              rec.end - arrival, wf.departments[rec.dept].name});
    }
  }

  // ---- dates
  if (o.start) {
    std::shared_ptr<const Calendar> cal = o.calendar;
    if (!cal) cal = load_workflow_calendar(wf);
    r.start_date = *o.start;
    const Date last_covered = Date::from_ymd(cal->last_counted_year(), 12, 31);
    const Date first_covered = Date::from_ymd(cal->first_year(), 1, 1);
    auto date_at = [&](double t) -> std::optional<Date> {
      try {
        const Date d = cal->add_fractional(*o.start, std::max(0.0, t));
        if (d > last_covered) r.weekend_fallback_after = last_covered;
        if (cal->is_provisional(d)) r.provisional_after = Date::from_ymd(cal->last_year(), 12, 31);
        if (*o.start < first_covered) r.weekend_fallback_before = first_covered;  // counted through uncovered days
        return d;
      } catch (const Error& e) {
        if (e.code() != Error::Code::out_of_range) throw;
        r.calendar_last_day = last_covered;  // the working days still stand
        return std::nullopt;
      }
    };
    if (r.p50_days) {
      r.p50_finish_date = date_at(*r.p50_days);
      r.p90_finish_date = date_at(*r.p90_days);
      r.p95_finish_date = date_at(*r.p95_days);
    }
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

}  // namespace jointreview

// The writers behind render_simulation: an aligned table, JSON (the contract
// in docs/simulation.md), long-form CSV and a self-contained HTML report with
// inline SVG charts.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "jointreview/error.h"
#include "jointreview/simulator.h"
#include "util/format.h"
#include "planner/render.h"
#include "util/svg.h"
#include "util/text_util.h"

namespace jointreview {

namespace {

using plan_fmt::xml_escape;

// Rounded to 6 decimals so that JSON stays readable; the same on every machine.
double r6(double x) { return std::round(x * 1e6) / 1e6; }
std::string f1(double x) { return fmt::format("{:.1f}", x); }
std::string f2(double x) { return fmt::format("{:.2f}", x); }
std::string pct(double x) { return fmt::format("{:.1f}%", x * 100.0); }
std::string opt1(const std::optional<double>& x) { return x ? f1(*x) : "-"; }

nlohmann::ordered_json opt_json(const std::optional<double>& x) {
  return x ? nlohmann::ordered_json(r6(*x)) : nlohmann::ordered_json(nullptr);
}
nlohmann::ordered_json opt_date(const std::optional<Date>& d) {
  return d ? nlohmann::ordered_json(d->str()) : nlohmann::ordered_json(nullptr);
}

// A finish date ("*" after it: counted with weekends only, an estimate),
// "after YYYY-12-31" past the calendar, or "-".
std::string date_text(const SimulationResult& r, const std::optional<Date>& d) {
  if (d)
    return d->str() + (r.weekend_fallback_before || (r.weekend_fallback_after && *d > *r.weekend_fallback_after) ||
                               (r.provisional_after && *d > *r.provisional_after)
                           ? "*"
                           : "");
  if (r.start_date && r.calendar_last_day && r.p50_days) return "after " + r.calendar_last_day->str();
  return "-";
}

// "before 2025-01-01", "after 2026-12-31" or both: where the dates were
// counted with weekends only.
std::string fallback_span(const SimulationResult& r) {
  std::string s;
  if (r.weekend_fallback_before) s = "before " + r.weekend_fallback_before->str();
  if (r.weekend_fallback_after) s += (s.empty() ? "after " : " and after ") + r.weekend_fallback_after->str();
  return s;
}

// ------------------------------------------------------------------ table
std::string table(const SimulationResult& r) {
  std::string out;
  out += fmt::format("workflow {}  {}\n", r.workflow, r.title);
  out += fmt::format("{} runs x {} project{} (seed {}), {} completed, {} rejected, {} revoked\n", r.runs, r.projects,
                     r.projects == 1 ? "" : "s", r.seed, pct(r.completed_share), pct(r.rejected_share),
                     pct(r.revoked_share));
  std::vector<std::vector<std::string>> sum;
  sum.push_back({"", r.completed == r.samples ? "working days" : "working days (completed runs)", "finish date"});
  auto date = [&](const std::optional<Date>& d) { return date_text(r, d); };
  sum.push_back({"mean", opt1(r.mean_days), ""});
  sum.push_back({"p50", opt1(r.p50_days), date(r.p50_finish_date)});
  sum.push_back({"p90", opt1(r.p90_days), date(r.p90_finish_date)});
  sum.push_back({"p95", opt1(r.p95_days), date(r.p95_finish_date)});
  sum.push_back({"plan", f1(r.planned_days) + " (" + f1(r.planned_counted_days) + " counted)", ""});
  out += "\n" + text::align(sum, {false, true, false});
  if (r.p50_counted_days && *r.mean_counted_days < *r.mean_days - 1e-9)
    out += fmt::format("counted against the limit (the project clock: while a step's clock runs): mean {}, p50 {}, p90 {}, p95 {}\n",
                       f1(*r.mean_counted_days), f1(*r.p50_counted_days), f1(*r.p90_counted_days),
                       f1(*r.p95_counted_days));
  if (r.time_limit)
    out += fmt::format("on time (counted days within {}): {} of all runs{}  (elapsed days within {}: {})\n",
                       plan_fmt::num(*r.time_limit), pct(r.on_time_probability.value_or(0)),
                       r.on_time_share_of_completed && r.completed != r.samples
                           ? ", " + pct(*r.on_time_share_of_completed) + " of completed runs"
                           : std::string(),
                       plan_fmt::num(*r.time_limit), pct(r.on_time_probability_elapsed.value_or(0)));
  else
    out += "on time: no time_limit in the workflow\n";
  if (r.mean_days_green && r.mean_days_normal)
    out += fmt::format("mean days: green channel {}, others {}\n", f1(*r.mean_days_green), f1(*r.mean_days_normal));
  out += fmt::format("applicant trips per project: {}\n", f2(r.mean_trips));
  if (r.start_date) out += fmt::format("start date: {} (calendar {})\n", r.start_date->str(), r.calendar);
  if (r.weekend_fallback_before || r.weekend_fallback_after)
    out += fmt::format("* an estimate: {} the calendar {} has no holidays, so only weekends are counted off\n",
                       fallback_span(r), r.calendar);
  if (r.provisional_after)
    out += fmt::format("* provisional: after {} the calendar {} counts only weekends and the statutory holidays (the "
                       "make-up days are not yet published)\n",
                       r.provisional_after->str(), r.calendar);
  if (!(r.weekend_fallback_before || r.weekend_fallback_after) && r.calendar_last_day && r.p50_days)
    out += fmt::format("(calendar {} ends on {}: later dates need that year's holidays in the calendar file, or "
                       "--weekend-fallback for an estimate)\n",
                       r.calendar, r.calendar_last_day->str());

  std::vector<std::vector<std::string>> st;
  st.push_back({"step", "name", "departments", "critical", "queue wait", "returns", "finish", "overdue"});
  std::vector<std::size_t> order(r.steps.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return r.steps[a].criticality > r.steps[b].criticality; });
  for (std::size_t i : order) {
    const auto& s = r.steps[i];
    st.push_back({s.id, s.name, s.departments, pct(s.criticality), f2(s.mean_queue_wait), f2(s.mean_returns),
                  f1(s.mean_finish), r.overdue_counted ? pct(s.overdue_share) : "-"});
  }
  out += "\nsteps (most critical first)\n" +
         text::align(st, {false, false, false, true, true, true, true, true});

  std::vector<std::vector<std::string>> dt;
  dt.push_back({"department", "capacity", "utilization", "busy", "queue", "max queue", "wait"});
  for (const auto& d : r.departments) {
    if (d.reviews_per_run == 0) continue;
    dt.push_back({d.name, d.capacity ? std::to_string(d.capacity) : "unlimited",
                  d.utilization ? pct(*d.utilization) : "-", f2(d.mean_busy), f2(d.mean_queue_length),
                  plan_fmt::num(d.max_queue_length), f2(d.mean_queue_wait)});
  }
  out += "\ndepartments\n" + text::align(dt, {false, true, true, true, true, true, true});
  if (r.refused_events)
    out += fmt::format("\nwarning: the state machine refused {} simulated actions (see docs/simulation.md)\n",
                       r.refused_events);
  return out;
}

// ------------------------------------------------------------------- json
std::string json(const SimulationResult& r) {
  nlohmann::ordered_json j;
  j["workflow"] = r.workflow;
  j["runs"] = r.runs;
  j["seed"] = r.seed;
  j["projects"] = r.projects;
  j["green_projects"] = r.green_projects;
  j["samples"] = r.samples;
  j["completed"] = r.completed;
  j["mean_days"] = opt_json(r.mean_days);
  j["sd_days"] = opt_json(r.sd_days);
  j["min_days"] = opt_json(r.min_days);
  j["p50_days"] = opt_json(r.p50_days);
  j["p90_days"] = opt_json(r.p90_days);
  j["p95_days"] = opt_json(r.p95_days);
  j["max_days"] = opt_json(r.max_days);
  j["mean_counted_days"] = opt_json(r.mean_counted_days);
  j["p50_counted_days"] = opt_json(r.p50_counted_days);
  j["p90_counted_days"] = opt_json(r.p90_counted_days);
  j["p95_counted_days"] = opt_json(r.p95_counted_days);
  j["planned_days"] = r6(r.planned_days);
  j["planned_counted_days"] = r6(r.planned_counted_days);
  j["time_limit"] = opt_json(r.time_limit);
  j["on_time_probability"] = opt_json(r.on_time_probability);
  j["on_time_probability_elapsed"] = opt_json(r.on_time_probability_elapsed);
  j["on_time_share_of_completed"] = opt_json(r.on_time_share_of_completed);
  j["completed_share"] = r6(r.completed_share);
  j["rejected_share"] = r6(r.rejected_share);
  j["revoked_share"] = r6(r.revoked_share);
  j["withdrawn_share"] = r6(r.withdrawn_share);
  j["mean_trips"] = r6(r.mean_trips);
  j["mean_days_green"] = opt_json(r.mean_days_green);
  j["mean_days_normal"] = opt_json(r.mean_days_normal);
  j["start_date"] = opt_date(r.start_date);
  j["calendar"] = r.calendar;
  j["p50_finish_date"] = opt_date(r.p50_finish_date);
  j["p90_finish_date"] = opt_date(r.p90_finish_date);
  j["p95_finish_date"] = opt_date(r.p95_finish_date);
  j["calendar_last_day"] = opt_date(r.calendar_last_day);
  j["weekend_fallback_after"] = opt_date(r.weekend_fallback_after);
  j["weekend_fallback_before"] = opt_date(r.weekend_fallback_before);
  j["provisional_after"] = opt_date(r.provisional_after);
  auto provisional = [&](const std::optional<Date>& d) { return d && r.provisional_after && *d > *r.provisional_after; };
  j["p50_finish_provisional"] = provisional(r.p50_finish_date);
  j["p90_finish_provisional"] = provisional(r.p90_finish_date);
  j["p95_finish_provisional"] = provisional(r.p95_finish_date);
  j["stale_events"] = r.stale_events;
  j["refused_events"] = r.refused_events;
  auto steps = nlohmann::ordered_json::array();
  for (const auto& s : r.steps)
    steps.push_back({{"id", s.id},
                     {"name", s.name},
                     {"departments", s.departments},
                     {"days", r6(s.days)},
                     {"criticality", r6(s.criticality)},
                     {"mean_queue_wait", r6(s.mean_queue_wait)},
                     {"mean_returns", r6(s.mean_returns)},
                     {"mean_finish", r6(s.mean_finish)},
                     {"overdue_share", r.overdue_counted ? nlohmann::ordered_json(r6(s.overdue_share))
                                                         : nlohmann::ordered_json(nullptr)}});
  j["steps"] = steps;
  auto depts = nlohmann::ordered_json::array();
  for (const auto& d : r.departments)
    depts.push_back({{"name", d.name},
                     {"capacity", d.capacity},
                     {"utilization", opt_json(d.utilization)},
                     {"mean_busy", r6(d.mean_busy)},
                     {"mean_queue_length", r6(d.mean_queue_length)},
                     {"max_queue_length", r6(d.max_queue_length)},
                     {"mean_queue_wait", r6(d.mean_queue_wait)},
                     {"reviews_per_run", r6(d.reviews_per_run)}});
  j["departments"] = depts;
  j["histogram"] = {{"min", r6(r.hist_min)}, {"width", r6(r.hist_width)}, {"counts", r.histogram}, {"counted", r.histogram_counted}};
  return j.dump(2) + "\n";
}

// -------------------------------------------------------------------- csv
std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string csv(const SimulationResult& r) {
  std::string out = "scope,name,metric,value\n";
  auto row = [&](const std::string& scope, const std::string& name, const std::string& metric,
                 const std::string& value) {
    out += csv_field(scope) + "," + csv_field(name) + "," + metric + "," + csv_field(value) + "\n";
  };
  auto num = [](double x) { return fmt::format("{}", r6(x)); };
  auto opt = [&](const std::optional<double>& x) { return x ? num(*x) : std::string(); };
  row("run", r.workflow, "runs", std::to_string(r.runs));
  row("run", r.workflow, "projects", std::to_string(r.projects));
  row("run", r.workflow, "seed", std::to_string(r.seed));
  row("run", r.workflow, "mean_days", opt(r.mean_days));
  row("run", r.workflow, "p50_days", opt(r.p50_days));
  row("run", r.workflow, "p90_days", opt(r.p90_days));
  row("run", r.workflow, "p95_days", opt(r.p95_days));
  row("run", r.workflow, "on_time_probability", opt(r.on_time_probability));
  row("run", r.workflow, "on_time_probability_elapsed", opt(r.on_time_probability_elapsed));
  row("run", r.workflow, "on_time_share_of_completed", opt(r.on_time_share_of_completed));
  row("run", r.workflow, "planned_counted_days", num(r.planned_counted_days));
  row("run", r.workflow, "p50_counted_days", opt(r.p50_counted_days));
  row("run", r.workflow, "completed_share", num(r.completed_share));
  row("run", r.workflow, "rejected_share", num(r.rejected_share));
  row("run", r.workflow, "revoked_share", num(r.revoked_share));
  row("run", r.workflow, "mean_trips", num(r.mean_trips));
  if (r.p50_finish_date) row("run", r.workflow, "p50_finish_date", r.p50_finish_date->str());
  if (r.p90_finish_date) row("run", r.workflow, "p90_finish_date", r.p90_finish_date->str());
  if (r.p95_finish_date) row("run", r.workflow, "p95_finish_date", r.p95_finish_date->str());
  if (r.calendar_last_day) row("run", r.workflow, "calendar_last_day", r.calendar_last_day->str());
  if (r.weekend_fallback_after) row("run", r.workflow, "weekend_fallback_after", r.weekend_fallback_after->str());
  if (r.weekend_fallback_before) row("run", r.workflow, "weekend_fallback_before", r.weekend_fallback_before->str());
  if (r.provisional_after) row("run", r.workflow, "provisional_after", r.provisional_after->str());
  for (const auto& s : r.steps) {
    row("step", s.id, "criticality", num(s.criticality));
    row("step", s.id, "mean_queue_wait", num(s.mean_queue_wait));
    row("step", s.id, "mean_returns", num(s.mean_returns));
    row("step", s.id, "mean_finish", num(s.mean_finish));
    if (r.overdue_counted) row("step", s.id, "overdue_share", num(s.overdue_share));
  }
  for (const auto& d : r.departments) {
    row("department", d.name, "capacity", std::to_string(d.capacity));
    row("department", d.name, "utilization", opt(d.utilization));
    row("department", d.name, "mean_queue_length", num(d.mean_queue_length));
    row("department", d.name, "mean_queue_wait", num(d.mean_queue_wait));
  }
  return out;
}

// ------------------------------------------------------------------- html
constexpr const char* kFonts = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";
constexpr const char* kBlue = "#4e79a7";
constexpr const char* kRed = "#c0392b";
constexpr const char* kOrange = "#f28e2b";
constexpr const char* kPurple = "#b07aa1";
constexpr const char* kGrey = "#9a9a9a";

using svg::text_px;

// Axis ticks along x from 0..span at x0..x0+w, labels below y.
std::string x_axis(double lo, double hi, double x0, double w, double y, double top) {
  std::string out;
  const double step = svg::tick_step(w / (hi - lo), 48);
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9; t += step) {
    const double x = x0 + (t - lo) / (hi - lo) * w;
    out += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="#e3e3e3"/>)", x, top, y);
    out += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="11" text-anchor="middle" fill="#555">{}</text>)", x,
                       y + 14, plan_fmt::num(t));
  }
  out += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#888"/>)", x0, y, x0 + w, y);
  return out;
}

std::string histogram_svg(const SimulationResult& r) {
  if (r.histogram.empty()) return "<p>No run completed: no histogram.</p>";
  const double W = 1100, H = 330, x0 = 60, y0 = 24, w = W - x0 - 30, h = H - y0 - 80;
  const double lo = r.hist_min, hi = r.hist_min + r.hist_width * static_cast<double>(r.histogram.size());
  const std::uint64_t peak = *std::max_element(r.histogram.begin(), r.histogram.end());
  bool differs = false;
  for (std::size_t k = 0; k < r.histogram.size() && k < r.histogram_counted.size(); ++k)
    differs |= r.histogram[k] != r.histogram_counted[k];
  const std::uint64_t peak_c =
      differs ? *std::max_element(r.histogram_counted.begin(), r.histogram_counted.end()) : 0;
  const double top_count = static_cast<double>(std::max(peak, peak_c));  // both series on one scale
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="{}">)", W,
                              H, kFonts);
  s += x_axis(lo, hi, x0, w, y0 + h, y0);
  const double total = static_cast<double>(r.completed);
  for (std::size_t k = 0; k < r.histogram.size(); ++k) {
    const double bx = x0 + w * static_cast<double>(k) / static_cast<double>(r.histogram.size());
    const double bw = w / static_cast<double>(r.histogram.size());
    const double bh = top_count > 0 ? h * static_cast<double>(r.histogram[k]) / top_count : 0;
    const double left = lo + r.hist_width * static_cast<double>(k);
    s += fmt::format(
        R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{}–{} 个工作日: {} ({})</title></rect>)",
        bx + 1, y0 + h - bh, std::max(0.5, bw - 2), bh, "#8fb3d9", plan_fmt::num(r6(left)),
        plan_fmt::num(r6(left + r.hist_width)), r.histogram[k], pct(static_cast<double>(r.histogram[k]) / total));
  }
  // Counted days (excluded periods taken out) as an outline over the same bins.
  if (differs) {
    std::string path;
    for (std::size_t k = 0; k < r.histogram_counted.size(); ++k) {
      const double bx = x0 + w * static_cast<double>(k) / static_cast<double>(r.histogram_counted.size());
      const double bw = w / static_cast<double>(r.histogram_counted.size());
      const double y = y0 + h - h * static_cast<double>(r.histogram_counted[k]) / top_count;
      path += fmt::format("{}{:.1f},{:.1f} L{:.1f},{:.1f} ", k == 0 ? "M" : "L", bx, y, bx + bw, y);
    }
    s += fmt::format(R"(<path d="{}" fill="none" stroke="#2e7d32" stroke-width="2"/>)", path);
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="14" height="10" fill="{}"/>)", x0 + 8, y0 + h + 44, "#8fb3d9");
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" fill="#333">经过的工作日</text>)", x0 + 26,
                     y0 + h + 53);
    s += fmt::format(R"(<line x1="{:.1f}" y1="{:.1f}" x2="{:.1f}" y2="{:.1f}" stroke="#2e7d32" stroke-width="2"/>)",
                     x0 + 130, y0 + h + 49, x0 + 146, y0 + h + 49);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" fill="#333">计入承诺时限的工作日（扣除不计时限的期间）</text>)",
                     x0 + 150, y0 + h + 53);
  }
  auto marker = [&](double t, const char* colour, const std::string& label, double dy, bool dashed) {
    const double x = x0 + (t - lo) / (hi - lo) * w;
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="{3}" stroke-width="2"{4}/>)",
                     x, y0 - 4, y0 + h, colour, dashed ? R"( stroke-dasharray="6 4")" : "");
    const bool right = x > x0 + w * 0.8;
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" fill="{}" text-anchor="{}">{}</text>)",
                     right ? x - 4 : x + 4, y0 + 10 + dy, colour, right ? "end" : "start", xml_escape(label));
  };
  if (r.p50_days) marker(*r.p50_days, "#222", "p50 " + f1(*r.p50_days), 0, false);
  if (r.p90_days) marker(*r.p90_days, "#555", "p90 " + f1(*r.p90_days), 16, false);
  if (r.time_limit) marker(*r.time_limit, kRed, "承诺时限 " + plan_fmt::num(*r.time_limit) + " 个工作日", 32, true);
  s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" text-anchor="middle" fill="#333">)"
                   R"(从项目启动到办结经过的工作日（已完成的 {} 次）</text>)",
                   x0 + w / 2, y0 + h + 30, r.completed);
  s += "</svg>";
  return s;
}

std::string gantt_svg(const SimulationResult& r) {
  if (r.median_trace.empty()) return "<p>No median run traced.</p>";
  const std::size_t n = r.steps.size();
  double name_w = 0;
  for (const auto& st : r.steps) name_w = std::max(name_w, text_px(st.name, 13));
  name_w = std::min(name_w + 16, 420.0);
  double span = r.median_total;
  if (r.time_limit) span = std::max(span, *r.time_limit);
  span = std::max(1.0, std::ceil(span * 1.02));
  const double W = 1100, row = 26, top = 30, x0 = name_w + 10, w = W - x0 - 20;
  // The legend wraps to a second line when it does not fit the width.
  const std::vector<TraceSegment::Kind> legend = {
      TraceSegment::Kind::prepare,  TraceSegment::Kind::review,    TraceSegment::Kind::queue,
      TraceSegment::Kind::correction, TraceSegment::Kind::excluded, TraceSegment::Kind::suspended,
      TraceSegment::Kind::commitment};
  const double H_base = top + row * static_cast<double>(n) + 70;
  auto X = [&](double t) { return x0 + t / span * w; };
  std::string s;  // the body; the <svg> element, whose height the legend decides, goes before it at the end
  s += R"x(<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">)x"
       R"(<rect width="6" height="6" fill="#d9c3d6"/><line x1="0" y1="0" x2="0" y2="6" stroke="#8e5f88" stroke-width="2"/></pattern></defs>)";
  s += x_axis(0, span, x0, w, top + row * static_cast<double>(n), top - 6);
  for (std::size_t i = 0; i < n; ++i) {
    const double y = top + row * static_cast<double>(i);
    if (i % 2 == 0)
      s += fmt::format(R"(<rect x="0" y="{:.1f}" width="{}" height="{}" fill="#f6f7f9"/>)", y, W, row);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="13" text-anchor="end" fill="#222">{}</text>)", name_w,
                     y + row / 2 + 4.5, xml_escape(r.steps[i].name));
  }
  auto colour = [](TraceSegment::Kind k) {
    switch (k) {
      case TraceSegment::Kind::review: return kBlue;
      case TraceSegment::Kind::queue: return kGrey;
      case TraceSegment::Kind::correction: return kOrange;
      case TraceSegment::Kind::excluded: return "url(#hatch)";
      case TraceSegment::Kind::suspended: return kRed;
      case TraceSegment::Kind::submitted: return "#222";
      case TraceSegment::Kind::commitment: return "#2e7d32";
      case TraceSegment::Kind::prepare: return "#cfd8dc";
    }
    return kBlue;
  };
  auto label = [](TraceSegment::Kind k) {
    switch (k) {
      case TraceSegment::Kind::review: return "审查";
      case TraceSegment::Kind::queue: return "排队等候";
      case TraceSegment::Kind::correction: return "补正（申请人）";
      case TraceSegment::Kind::excluded: return "不计时限（专家评审、挂牌等）";
      case TraceSegment::Kind::suspended: return "容缺材料逾期，中止";
      case TraceSegment::Kind::submitted: return "提交";
      case TraceSegment::Kind::commitment: return "告知承诺：签署承诺后审批";
      case TraceSegment::Kind::prepare: return "申请人准备材料（不计时限）";
    }
    return "";
  };
  // Base bars first, overlays (queue, excluded) on top.
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& g : r.median_trace) {
      const bool overlay = g.kind == TraceSegment::Kind::queue || g.kind == TraceSegment::Kind::excluded;
      if (overlay != (pass == 1)) continue;
      const double y = top + row * static_cast<double>(g.step);
      if (g.kind == TraceSegment::Kind::submitted) continue;
      const double bh = overlay ? 10 : 14;
      const double by = y + (row - bh) / 2;
      const double x1 = X(g.start), x2 = std::max(X(g.end), x1 + 2);
      std::string tip = fmt::format("{}: {} {}–{}", r.steps[g.step].name, label(g.kind), f2(g.start), f2(g.end));
      if (!g.department.empty()) tip += " " + g.department;
      s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{}" fill="{}" rx="2"><title>{}</title></rect>)",
                       x1, by, x2 - x1, bh, colour(g.kind), xml_escape(tip));
    }
  if (r.time_limit) {
    const double x = X(*r.time_limit);
    s += fmt::format(R"(<line x1="{0:.1f}" y1="{1:.1f}" x2="{0:.1f}" y2="{2:.1f}" stroke="{3}" stroke-width="2" stroke-dasharray="6 4"/>)",
                     x, top - 14, top + row * static_cast<double>(n), kRed);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" fill="{}" text-anchor="end">承诺时限 {}</text>)",
                     x - 4, top - 16 + 12, kRed, plan_fmt::num(*r.time_limit));
  }
  // Legend
  double lx = x0, ly = top + row * static_cast<double>(n) + 34;
  for (auto k : legend) {
    const double item = 30 + text_px(label(k), 12);
    if (lx > x0 && lx + item > W - 10) {
      lx = x0;
      ly += 20;
    }
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="14" height="12" fill="{}"/>)", lx, ly, colour(k));
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" fill="#333">{}</text>)", lx + 18, ly + 10.5,
                     label(k));
    lx += item;
  }
  s += "</svg>";
  const double H = std::max(H_base, ly + 26);
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="{}">)", W, H,
                     kFonts) +
         s;
}

// Horizontal bars of shares (0..1) with a label per row.
std::string bars_svg(const std::vector<std::pair<std::string, double>>& rows, const char* colour,
                     const std::vector<std::string>& notes) {
  double name_w = 0;
  for (const auto& [name, v] : rows) name_w = std::max(name_w, text_px(name, 13));
  name_w = std::min(name_w + 16, 420.0);
  const double W = 1100, row = 24, top = 10, x0 = name_w + 10, w = W - x0 - 260;
  const double H = top + row * static_cast<double>(rows.size()) + 10;
  std::string s = fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" font-family="{}">)", W,
                              H, kFonts);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row * static_cast<double>(i);
    const double v = std::clamp(rows[i].second, 0.0, 1.0);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="13" text-anchor="end" fill="#222">{}</text>)", name_w,
                     y + 16, xml_escape(rows[i].first));
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="14" fill="#eceff3"/>)", x0, y + 5, w);
    s += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="14" fill="{}"/>)", x0, y + 5, v * w,
                     v > 0.85 ? kRed : colour);
    s += fmt::format(R"(<text x="{:.1f}" y="{:.1f}" font-size="12" fill="#333">{}{}</text>)", x0 + w + 8, y + 16,
                     pct(rows[i].second), i < notes.size() ? xml_escape("  " + notes[i]) : "");
  }
  s += "</svg>";
  return s;
}

std::string html(const SimulationResult& r) {
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\n";
  h += "<title>" + xml_escape("模拟报告 " + (r.title.empty() ? r.workflow : r.title)) + "</title>\n<style>\n";
  h += fmt::format("body{{font-family:{};margin:24px 32px;color:#222;max-width:1160px}}\n", kFonts);
  h += "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;"
       "padding-bottom:4px}.sub{color:#666;font-size:13px}\n"
       ".cards{display:flex;gap:14px;flex-wrap:wrap;margin:16px 0}.card{border:1px solid #dde;border-radius:8px;"
       "padding:10px 16px;min-width:180px;background:#fafbfd}.card .v{font-size:24px;font-weight:bold}"
       ".card .k{font-size:12px;color:#666}.bad{color:#c0392b}.good{color:#2e7d32}\n"
       "table{border-collapse:collapse;font-size:13px}td,th{border-bottom:1px solid #eee;padding:4px 10px;"
       "text-align:left}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}\n</style></head><body>\n";
  h += "<h1>" + xml_escape(r.title.empty() ? r.workflow : r.title) + "</h1>\n";
  h += "<div class=\"sub\">" +
       xml_escape(fmt::format("workflow {} · {} 次模拟 × {} 个项目 · seed {}{}", r.workflow, r.runs, r.projects, r.seed,
                              r.start_date ? " · 受理日 " + r.start_date->str() + "（日历 " + r.calendar + "）" : "")) +
       "</div>\n<div class=\"cards\">\n";
  auto card = [&](const std::string& k, const std::string& v, const std::string& cls = "") {
    h += "<div class=\"card\"><div class=\"k\">" + xml_escape(k) + "</div><div class=\"v " + cls + "\">" + xml_escape(v) +
         "</div></div>\n";
  };
  card("中位办结（p50）", r.p50_days ? f1(*r.p50_days) + " 个工作日" : "-");
  if (r.start_date && r.p50_days) card("p50 办结日期", date_text(r, r.p50_finish_date));
  card("p90 / p95", r.p90_days ? f1(*r.p90_days) + " / " + f1(*r.p95_days) : "-");
  if (r.start_date && r.p90_days) card("p90 办结日期", date_text(r, r.p90_finish_date));
  if (r.time_limit) {
    const double p = r.on_time_probability.value_or(0);
    card("承诺时限内办结（" + plan_fmt::num(*r.time_limit) + " 个工作日）", pct(p), p >= 0.9 ? "good" : (p < 0.5 ? "bad" : ""));
  }
  card("平均跑动次数", f2(r.mean_trips));
  card("未办结（不予许可 / 撤销）", pct(r.rejected_share) + " / " + pct(r.revoked_share));
  h += "</div>\n";
  if (r.weekend_fallback_before || r.weekend_fallback_after) {
    std::string span;
    if (r.weekend_fallback_before) span = r.weekend_fallback_before->str() + " 之前";
    if (r.weekend_fallback_after)
      span += (span.empty() ? "" : "和") + r.weekend_fallback_after->str() + " 之后";
    h += "<div class=\"sub\">" +
         xml_escape("* 估计值：日历 " + r.calendar + " 未收录 " + span + "的节假日，这些日子只扣除周末，未计节假日与调休") +
         "</div>\n";
  }
  if (r.provisional_after)
    h += "<div class=\"sub\">" +
         xml_escape("* 暂定：" + r.provisional_after->str() + " 之后尚无国务院放假安排，日历 " + r.calendar +
                    " 按周末与法定节假日推算（未计调休），日期可能变动") +
         "</div>\n";
  if (!(r.weekend_fallback_before || r.weekend_fallback_after) && r.calendar_last_day && r.p50_days)
    h += "<div class=\"sub\">" +
         xml_escape("日历 " + r.calendar + " 只收录到 " + r.calendar_last_day->str() +
                    "，此后的办结日期无法推算；补充该年节假日，或用 --weekend-fallback 按周末估算") +
         "</div>\n";

  h += "<h2>办结用时分布（工作日）</h2>\n" + histogram_svg(r) + "\n";
  h += "<h2>中位数一次的甘特图（鱼刺图）</h2>\n<div class=\"sub\">" +
       xml_escape(r.median_run ? fmt::format("第 {} 次模拟的第 {} 个项目，用时 {} 个工作日", *r.median_run + 1,
                                             r.median_project + 1, f1(r.median_total))
                               : std::string()) +
       "</div>\n" + gantt_svg(r) + "\n";

  std::vector<std::size_t> order(r.steps.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return r.steps[a].criticality > r.steps[b].criticality; });
  std::vector<std::pair<std::string, double>> crit;
  std::vector<std::string> crit_notes;
  for (std::size_t i : order) {
    crit.emplace_back(r.steps[i].name, r.steps[i].criticality);
    crit_notes.push_back(fmt::format("排队 {} · 补正 {} 次", f2(r.steps[i].mean_queue_wait), f2(r.steps[i].mean_returns)));
  }
  h += "<h2>关键性：各环节位于关键路径上的比例</h2>\n" + bars_svg(crit, kBlue, crit_notes) + "\n";

  std::vector<std::pair<std::string, double>> util;
  std::vector<std::string> util_notes;
  for (const auto& d : r.departments) {
    if (d.reviews_per_run == 0) continue;
    util.emplace_back(d.name + (d.capacity ? fmt::format("（{} 件）", d.capacity) : "（不限）"),
                      d.utilization.value_or(0));
    util_notes.push_back(fmt::format("平均排队 {} 件 · 最长 {} 件{}", f2(d.mean_queue_length),
                                     plan_fmt::num(d.max_queue_length), d.utilization ? "" : " · 不限容量"));
  }
  h += "<h2>部门利用率与排队</h2>\n" + bars_svg(util, "#59a14f", util_notes) + "\n";

  h += "<h2>明细</h2>\n<table><tr><th>环节</th><th>部门</th><th class=n>承诺</th><th class=n>关键性</th>"
       "<th class=n>平均排队</th><th class=n>平均补正</th><th class=n>平均办结于</th><th class=n>超时</th></tr>\n";
  for (std::size_t i : order) {
    const auto& s = r.steps[i];
    h += "<tr><td>" + xml_escape(s.name) + "</td><td>" + xml_escape(s.departments) + "</td><td class=n>" +
         plan_fmt::num(s.days) + "</td><td class=n>" + pct(s.criticality) + "</td><td class=n>" +
         f2(s.mean_queue_wait) + "</td><td class=n>" + f2(s.mean_returns) + "</td><td class=n>" + f1(s.mean_finish) +
         "</td><td class=n>" + (r.overdue_counted ? pct(s.overdue_share) : "-") + "</td></tr>\n";
  }
  h += "</table>\n<p class=\"sub\">工作日从受理日起算（当日不计）。关键性：已办结的项目中，该环节位于关键路径上的比例。"
       "排队：每次部门审查等候空闲审查力量的平均工作日。详见 docs/simulation.md。</p>\n</body></html>\n";
  return h;
}

}  // namespace

std::string render_simulation(const SimulationResult& r, SimulationFormat format) {
  switch (format) {
    case SimulationFormat::table: return table(r);
    case SimulationFormat::json: return json(r);
    case SimulationFormat::csv: return csv(r);
    case SimulationFormat::html: return html(r);
  }
  throw Error(Error::Code::invalid_argument, "unknown simulation format");
}

}  // namespace jointreview

// Text writers for plans and comparisons: table, JSON, DOT, Mermaid.
#include "planner/render.h"

#include <algorithm>
#include <map>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "jointreview/error.h"
#include "util/format.h"
#include "util/text_util.h"

namespace jointreview {

using plan_fmt::num;
using ojson = nlohmann::ordered_json;

namespace plan_render {

std::vector<std::size_t> wave_order(const Plan& p) {
  std::vector<std::size_t> order(p.steps.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&p](std::size_t a, std::size_t b) { return p.steps[a].wave < p.steps[b].wave; });
  return order;
}

namespace {

std::string path_text(const Plan& p) {
  std::string out;
  for (std::size_t i : p.critical_path) {
    if (!out.empty()) out += " -> ";
    out += p.steps[i].id;
  }
  return out.empty() ? "(none)" : out;
}

std::string percent_of(double serial, double total) {
  if (serial <= 0) return "0%";
  return plan_fmt::change_percent((serial - total) / serial * 100.0);
}

ojson jnum(double x) {
  if (plan_fmt::integral(x)) return ojson(static_cast<long long>(std::llround(x)));
  return ojson(std::round(x * 1e6) / 1e6);
}

// Whether a date of the plan lies in a provisional year of its calendar.
bool provisional(const Plan& p, const std::optional<Date>& d) {
  return d && p.calendar_data && p.calendar_data->is_provisional(*d);
}

// A date of the plan as the table shows it: "*" after a provisional one.
std::string shown(const Plan& p, const std::optional<Date>& d) {
  return d ? d->str() + (provisional(p, d) ? "*" : "") : "";
}

}  // namespace

// Whether some step has a preparation or an excluded period: the table
// then shows their columns (a plain workflow's table stays as it was).
bool has_spans(const Plan& p) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [](const StepPlan& s) { return s.prepare_days > 0 || s.excluded_days > 0; });
}

// "met on counted days (27 counted, 13 to spare; 47 elapsed)", or NOT met.
std::string limit_text(const Plan& p) {
  const double margin = *p.time_limit - p.counted_days;
  std::string out = fmt::format("{} working days: ", num(*p.time_limit));
  if (p.time_limit_met())
    out += fmt::format("met on counted days ({} counted, {} to spare; {} elapsed)", num(p.counted_days), num(margin),
                       num(p.total_days));
  else
    out += fmt::format("NOT met on counted days ({} counted, over by {}; {} elapsed)", num(p.counted_days),
                       num(-margin), num(p.total_days));
  return out;
}

std::string table(const Workflow& wf, const Plan& p) {
  const bool dates = p.start_date.has_value();
  const bool spans = has_spans(p);
  std::string out;
  out += "plan of '" + p.workflow + "'";
  if (!p.title.empty()) out += ": " + p.title;
  out += fmt::format(" ({} steps, {} waves)\n\n", p.steps.size(), p.waves);
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"wave", "id", "name", "department(s)"};
  std::vector<bool> right = {true, false, false, false};
  if (spans) head.push_back("prep");
  head.push_back("days");
  if (spans) head.push_back("excl");
  for (const char* h : {"ES", "EF", "LS", "LF", "slack", "crit"}) head.push_back(h);
  while (right.size() < head.size() - 1) right.push_back(true);
  right.push_back(false);  // crit
  if (dates) {
    head.push_back("start");
    head.push_back("finish");
    right.push_back(false);
    right.push_back(false);
  }
  rows.push_back(head);
  for (std::size_t i : wave_order(p)) {
    const StepPlan& s = p.steps[i];
    const Step& st = wf.steps[i];
    std::vector<std::string> r = {std::to_string(s.wave), s.id, st.name, join_departments(st)};
    if (spans) r.push_back(num(s.prepare_days));
    r.push_back(num(s.days));
    if (spans) r.push_back(num(s.excluded_days));
    for (double v : {s.earliest_start, s.earliest_finish, s.latest_start, s.latest_finish, s.slack}) r.push_back(num(v));
    r.push_back(s.critical ? "*" : "");
    if (dates) {
      r.push_back(shown(p, s.start_date));
      r.push_back(shown(p, s.finish_date));
    }
    rows.push_back(std::move(r));
  }
  out += text::align(rows, right);
  out += "\n";
  std::vector<std::vector<std::string>> sum;
  sum.push_back({"parallel:", fmt::format("{} working days (serial {}, {})", num(p.total_days),
                                          num(p.serial_elapsed_days), percent_of(p.serial_elapsed_days, p.total_days))});
  sum.push_back({"project clock:", fmt::format("{} counted working days of {} elapsed (only review days count)",
                                               num(p.counted_days), num(p.total_days))});
  if (spans)
    sum.push_back({"", "preparation (prep) and Art. 45 excluded periods (excl) are in the span, not on the clock"});
  sum.push_back({"critical path:", path_text(p)});
  if (dates)
    sum.push_back({"dates:", fmt::format("start {}, finish {} (calendar {})", shown(p, p.start_date),
                                         shown(p, p.finish_date), p.calendar)});
  if (dates && p.provisional_after)
    sum.push_back({"", fmt::format("* provisional after {}: counted with weekends and the statutory holidays only "
                                   "(the make-up days are not yet published)",
                                   p.provisional_after->str())});
  if (dates && p.weekend_fallback_after)
    sum.push_back({"", fmt::format("estimates after {}: the calendar has no holidays for later years, only "
                                   "weekends are counted off",
                                   p.weekend_fallback_after->str())});
  if (dates && p.weekend_fallback_before)
    sum.push_back({"", fmt::format("estimates: counted from before {}, where the calendar has no holidays, only "
                                   "weekends are counted off",
                                   p.weekend_fallback_before->str())});
  if (p.time_limit) {
    std::string line = limit_text(p);
    if (!p.time_limit_met() && p.time_limit_reached_at) {
      line += ", reached at " + num(*p.time_limit_reached_at);
      if (p.time_limit_reached_date) line += " (" + shown(p, p.time_limit_reached_date) + ")";
    }
    sum.push_back({"time limit:", line});
  } else {
    sum.push_back({"time limit:", "none declared"});
  }
  if (p.redundant.empty()) {
    sum.push_back({"redundant after:", "none"});
  } else {
    for (std::size_t k = 0; k < p.redundant.size(); ++k) {
      const auto& r = p.redundant[k];
      std::string why = r.material ? "it needs a document that '" + r.after + "' produces"
                                   : "already implied through '" + r.via + "'";
      sum.push_back({k == 0 ? "redundant after:" : "", "'" + r.step + "' after '" + r.after + "': " + why});
    }
  }
  if (!p.constrained) {
    sum.push_back({"capacity:", "no department capacity declared"});
  } else {
    std::string line = fmt::format("{} working days with department capacities ({} more)", num(p.constrained_days),
                                   num(p.constrained_days - p.total_days));
    if (p.constrained_finish_date) line += ", finish " + shown(p, p.constrained_finish_date);
    sum.push_back({"capacity:", line});
    bool any = false;
    for (const auto& s : p.steps) {
      if (s.delay <= 0) continue;
      any = true;
      long d = wf.find_department(s.held_by);
      int cap = d >= 0 ? wf.departments[d].capacity : 0;
      sum.push_back({"", fmt::format("'{}' waited {} working days for {} (capacity {}): starts at {} instead of {}", s.id,
                                     num(s.delay), s.held_by, cap, num(s.scheduled_start), num(s.earliest_start))});
    }
    if (!any) sum.push_back({"", "no step had to wait"});
  }
  out += text::align(sum, {false, false});
  return out;
}

std::string json(const Workflow& wf, const Plan& p) {
  ojson j;
  j["workflow"] = p.workflow;
  j["title"] = p.title;
  j["serial_days"] = jnum(p.serial_days);
  j["total_days"] = jnum(p.total_days);
  j["reduction_percent"] =
      p.serial_elapsed_days > 0
          ? jnum(std::round((p.serial_elapsed_days - p.total_days) / p.serial_elapsed_days * 1000) / 10)
          : ojson(0);
  j["waves"] = p.waves;
  j["time_limit"] = p.time_limit ? jnum(*p.time_limit) : ojson(nullptr);
  j["time_limit_met"] = p.time_limit_met();
  j["time_limit_clock"] = Plan::time_limit_clock();
  j["time_limit_reached_at"] = p.time_limit_reached_at ? jnum(*p.time_limit_reached_at) : ojson(nullptr);
  j["elapsed_days"] = jnum(p.elapsed_days);
  j["counted_days"] = jnum(p.counted_days);
  j["serial_elapsed_days"] = jnum(p.serial_elapsed_days);
  ojson clock = ojson::array();
  for (const auto& c : p.clock)
    clock.push_back({{"start", jnum(c.start)}, {"end", jnum(c.end)}, {"counted", jnum(c.counted)}});
  j["clock"] = clock;
  ojson cp = ojson::array();
  for (std::size_t i : p.critical_path) cp.push_back(p.steps[i].id);
  j["critical_path"] = cp;
  if (p.start_date) {
    j["calendar"] = p.calendar;
    j["start_date"] = p.start_date->str();
    j["finish_date"] = p.finish_date->str();
    j["weekend_fallback_after"] = p.weekend_fallback_after ? ojson(p.weekend_fallback_after->str()) : ojson(nullptr);
    j["weekend_fallback_before"] = p.weekend_fallback_before ? ojson(p.weekend_fallback_before->str()) : ojson(nullptr);
    j["finish_provisional"] = provisional(p, p.finish_date);
    j["provisional_after"] = p.provisional_after ? ojson(p.provisional_after->str()) : ojson(nullptr);
    j["time_limit_reached_date"] = p.time_limit_reached_date ? ojson(p.time_limit_reached_date->str()) : ojson(nullptr);
  }
  ojson steps = ojson::array();
  for (const auto& s : p.steps) {
    const Step& st = wf.steps[s.index];
    ojson o;
    o["id"] = s.id;
    o["name"] = st.name;
    o["departments"] = st.departments;
    o["days"] = jnum(s.days);
    o["prepare_days"] = jnum(s.prepare_days);
    o["review_days"] = jnum(s.days);
    o["excluded_days"] = jnum(s.excluded_days);
    o["elapsed_days"] = jnum(s.elapsed_days);
    ojson ex = ojson::array();
    for (const auto& e : st.excluded) ex.push_back({{"reason", e.reason}, {"days", jnum(e.days.expected())}});
    o["excluded"] = ex;
    o["review_start"] = jnum(s.review_start);
    o["review_finish"] = jnum(s.review_finish);
    o["earliest_start"] = jnum(s.earliest_start);
    o["earliest_finish"] = jnum(s.earliest_finish);
    o["latest_start"] = jnum(s.latest_start);
    o["latest_finish"] = jnum(s.latest_finish);
    o["slack"] = jnum(s.slack);
    o["wave"] = s.wave;
    o["critical"] = s.critical;
    if (s.start_date) {
      o["start_date"] = s.start_date->str();
      o["finish_date"] = s.finish_date->str();
      o["start_provisional"] = provisional(p, s.start_date);
      o["finish_provisional"] = provisional(p, s.finish_date);
      o["review_start_date"] = s.review_start_date->str();
      o["review_finish_date"] = s.review_finish_date->str();
    }
    if (p.constrained) {
      o["scheduled_start"] = jnum(s.scheduled_start);
      o["scheduled_finish"] = jnum(s.scheduled_finish);
      o["scheduled_review_start"] = jnum(s.scheduled_review_start);
      o["scheduled_review_finish"] = jnum(s.scheduled_review_finish);
      o["delay"] = jnum(s.delay);
      o["held_by"] = s.held_by.empty() ? ojson(nullptr) : ojson(s.held_by);
      if (s.scheduled_start_date) {
        o["scheduled_start_date"] = s.scheduled_start_date->str();
        o["scheduled_finish_date"] = s.scheduled_finish_date->str();
      }
    }
    steps.push_back(std::move(o));
  }
  j["steps"] = steps;
  ojson red = ojson::array();
  for (const auto& r : p.redundant)
    red.push_back({{"step", r.step}, {"after", r.after}, {"via", r.via}, {"material", r.material}});
  j["redundant_after"] = red;
  ojson capj;
  capj["constrained"] = p.constrained;
  capj["total_days"] = jnum(p.constrained_days);
  capj["counted_days"] = jnum(p.constrained_counted_days);
  if (p.constrained_finish_date) capj["finish_date"] = p.constrained_finish_date->str();
  j["capacity"] = capj;
  return j.dump(2) + "\n";
}

namespace {

// A directed pair of steps with what connects them.
struct DrawnEdge {
  std::size_t from, to;
  std::vector<std::string> materials;
  bool after = false;
  bool redundant = false;  // only a redundant `after`
};

std::vector<DrawnEdge> drawn_edges(const Workflow& wf, const Plan& p) {
  std::map<std::pair<std::size_t, std::size_t>, DrawnEdge> m;
  for (const auto& d : wf.dependencies) {
    auto& e = m[{d.from, d.to}];
    e.from = d.from;
    e.to = d.to;
    if (d.kind == Dependency::Kind::material) e.materials.push_back(d.material);
    else e.after = true;
  }
  for (const auto& r : p.redundant) {
    long a = wf.find_step(r.after), s = wf.find_step(r.step);
    if (a < 0 || s < 0) continue;
    auto it = m.find({static_cast<std::size_t>(a), static_cast<std::size_t>(s)});
    if (it != m.end() && it->second.materials.empty()) it->second.redundant = true;
  }
  std::vector<DrawnEdge> out;
  for (auto& [k, e] : m) out.push_back(std::move(e));
  // Declared order of the target, then of the source: stable output.
  std::stable_sort(out.begin(), out.end(), [](const DrawnEdge& a, const DrawnEdge& b) {
    return a.to != b.to ? a.to < b.to : a.from < b.from;
  });
  return out;
}

std::string dot_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "\"";
}

std::string joined(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += sep;
    out += x;
  }
  return out;
}

constexpr const char* kCjkFonts = "Noto Sans CJK SC,WenQuanYi Micro Hei,Microsoft YaHei,sans-serif";

}  // namespace

std::string dot(const Workflow& wf, const Plan& p) {
  std::string out = "digraph " + dot_quote(p.workflow) + " {\n";
  std::string label = (p.title.empty() ? p.workflow : p.title) +
                      fmt::format("\n{} working days in parallel, {} serial", num(p.total_days), num(p.serial_days));
  out += "  graph [rankdir=LR, labelloc=t, fontname=" + dot_quote(kCjkFonts) + ", label=" + dot_quote(label) + "];\n";
  out += "  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=" + dot_quote(kCjkFonts) + "];\n";
  out += "  edge [fontname=" + dot_quote(kCjkFonts) + ", fontsize=10];\n";
  for (std::size_t i = 0; i < wf.steps.size(); ++i) {
    const Step& st = wf.steps[i];
    const StepPlan& s = p.steps[i];
    std::string l = st.name + "\n" + st.id + " · " + num(s.days) + " d";
    if (st.joint()) l += "\n联审: " + join_departments(st);
    else l += "\n" + join_departments(st);
    out += "  " + dot_quote(st.id) + " [label=" + dot_quote(l);
    if (st.joint()) out += ", peripheries=2";
    if (s.critical) out += ", color=\"#c0392b\", penwidth=2.5, fillcolor=\"#fdecea\"";
    out += "];\n";
  }
  for (const auto& e : drawn_edges(wf, p)) {
    out += "  " + dot_quote(wf.steps[e.from].id) + " -> " + dot_quote(wf.steps[e.to].id);
    std::vector<std::string> attrs;
    if (!e.materials.empty()) attrs.push_back("label=" + dot_quote(joined(e.materials, "\n")));
    if (e.redundant) attrs.push_back("style=dashed, color=\"#999999\", label=\"redundant\"");
    else if (p.critical_edge(e.from, e.to)) attrs.push_back("color=\"#c0392b\", penwidth=2.5");
    if (!attrs.empty()) out += " [" + joined(attrs, ", ") + "]";
    out += ";\n";
  }
  out += "}\n";
  return out;
}

namespace {
std::string mermaid_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "#quot;"; break;
      case '<': out += "#lt;"; break;
      case '>': out += "#gt;"; break;
      case '\n': out += "<br/>"; break;
      default: out += c;
    }
  }
  return out;
}
}  // namespace

std::string mermaid(const Workflow& wf, const Plan& p) {
  std::string out = "flowchart LR\n";
  for (std::size_t i = 0; i < wf.steps.size(); ++i) {
    const Step& st = wf.steps[i];
    std::string l = mermaid_text(st.name) + "<br/>" + mermaid_text(st.id + " · " + num(p.steps[i].days) + " d");
    if (st.joint()) l += "<br/>" + mermaid_text("联审: " + join_departments(st));
    else l += "<br/>" + mermaid_text(join_departments(st));
    if (st.joint()) out += fmt::format("  s{}{{{{\"{}\"}}}}\n", i, l);
    else out += fmt::format("  s{}[\"{}\"]\n", i, l);
  }
  std::vector<std::size_t> critical_links, redundant_links;
  std::size_t k = 0;
  for (const auto& e : drawn_edges(wf, p)) {
    std::string arrow = e.redundant ? "-.->" : "-->";
    std::string label;
    if (!e.materials.empty()) label = "|\"" + mermaid_text(joined(e.materials, ", ")) + "\"|";
    else if (e.redundant) label = "|redundant|";
    out += fmt::format("  s{} {}{} s{}\n", e.from, arrow, label, e.to);
    if (e.redundant) redundant_links.push_back(k);
    else if (p.critical_edge(e.from, e.to)) critical_links.push_back(k);
    ++k;
  }
  out += "  classDef critical fill:#fdecea,stroke:#c0392b,stroke-width:3px\n";
  std::vector<std::string> crit;
  for (const auto& s : p.steps)
    if (s.critical) crit.push_back(fmt::format("s{}", s.index));
  if (!crit.empty()) out += "  class " + joined(crit, ",") + " critical\n";
  auto indices = [](const std::vector<std::size_t>& v) {
    std::string o;
    for (std::size_t x : v) o += (o.empty() ? "" : ",") + std::to_string(x);
    return o;
  };
  if (!critical_links.empty()) out += "  linkStyle " + indices(critical_links) + " stroke:#c0392b,stroke-width:3px\n";
  if (!redundant_links.empty()) out += "  linkStyle " + indices(redundant_links) + " stroke:#999999\n";
  return out;
}

}  // namespace plan_render

PlanFormat parse_plan_format(const std::string& name) {
  if (name == "table") return PlanFormat::table;
  if (name == "json") return PlanFormat::json;
  if (name == "dot") return PlanFormat::dot;
  if (name == "mermaid") return PlanFormat::mermaid;
  if (name == "svg") return PlanFormat::svg;
  if (name == "html") return PlanFormat::html;
  throw Error(Error::Code::invalid_argument,
              "unknown plan format '" + name + "'; use table, json, dot, mermaid, svg or html");
}

std::string render_plan(const Workflow& wf, const Plan& p, PlanFormat format) {
  if (p.steps.size() != wf.steps.size() || p.workflow != wf.id)
    throw Error(Error::Code::invalid_argument, "render_plan: the plan is not of workflow '" + wf.id + "'");
  switch (format) {
    case PlanFormat::table: return plan_render::table(wf, p);
    case PlanFormat::json: return plan_render::json(wf, p);
    case PlanFormat::dot: return plan_render::dot(wf, p);
    case PlanFormat::mermaid: return plan_render::mermaid(wf, p);
    case PlanFormat::svg: return plan_render::svg(wf, p);
    case PlanFormat::html: return plan_render::html(wf, p);
  }
  throw Error(Error::Code::invalid_argument, "render_plan: unknown format");
}

// ------------------------------------------------------------------ compare

namespace {
ojson metric_json(const ReformMetric& m) {
  ojson o;
  o["before"] = plan_render::jnum(m.before);
  o["after"] = plan_render::jnum(m.after);
  o["reduction_percent"] =
      m.reduction_percent ? plan_render::jnum(std::round(*m.reduction_percent * 10) / 10) : ojson(nullptr);
  return o;
}
std::string change_text(const ReformMetric& m) {
  return m.reduction_percent ? plan_fmt::change_percent(*m.reduction_percent) : "n/a";
}
}  // namespace

std::string render_comparison(const Comparison& c, CompareFormat format) {
  if (format == CompareFormat::json) {
    ojson j;
    j["steps"] = metric_json(c.steps);
    j["materials"] = metric_json(c.materials);
    j["trips"] = metric_json(c.trips);
    j["days"] = metric_json(c.days);
    j["serial_days"] = metric_json(c.serial_days);
    j["elapsed_days"] = metric_json(c.elapsed_days);
    j["counted_days"] = metric_json(c.counted_days);
    j["time_limit"] = c.has_time_limit ? metric_json(c.time_limit) : ojson(nullptr);
    j["workflows"] = {{"before", c.before_workflow}, {"after", c.after_workflow}};
    return j.dump(2) + "\n";
  }
  std::vector<std::vector<std::string>> rows;
  rows.push_back({"metric", "before", "after", "change"});
  auto row = [&rows](const char* name, const ReformMetric& m) {
    rows.push_back({name, num(m.before), num(m.after), change_text(m)});
  };
  row("steps", c.steps);
  row("materials", c.materials);
  row("trips", c.trips);
  row("days", c.days);
  row("serial days", c.serial_days);
  row("elapsed days", c.elapsed_days);
  row("counted days", c.counted_days);
  if (c.has_time_limit) row("time limit", c.time_limit);
  std::string out = "compare '" + c.before_workflow + "' (before) with '" + c.after_workflow + "' (after)\n\n";
  out += text::align(rows, {false, true, true, true});
  out += "\nsteps " + change_text(c.steps) + ", materials " + change_text(c.materials) + ", trips " +
         change_text(c.trips) + ", time " + change_text(c.days) + "\n";
  return out;
}

}  // namespace jointreview

// The Gantt chart (the reports' 鱼刺图) as SVG, and an HTML page around it.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "util/format.h"
#include "planner/render.h"
#include "util/svg.h"
#include "util/text_util.h"

namespace jointreview::plan_render {

namespace {

using plan_fmt::num;
using plan_fmt::xml_escape;

constexpr const char* kFonts = "'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'Microsoft YaHei', sans-serif";
constexpr const char* kCritical = "#c0392b";
constexpr const char* kLimit = "#e67e22";
constexpr const char* kClock = "#1f5f7a";     // the project clock's running segments
constexpr const char* kPrepare = "#7f8c8d";   // outline of the applicant's preparation
// Department colours: distinct, readable behind dark text, not red (red marks the critical path).
constexpr const char* kPalette[] = {"#4e79a7", "#59a14f", "#b07aa1", "#f28e2b", "#76b7b2", "#edc948",
                                    "#9c755f", "#bab0ac", "#86bcb6", "#d4a6c8", "#a0cbe8", "#8cd17d",
                                    "#b6992d", "#f1ce63", "#499894", "#79706e"};
constexpr std::size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

constexpr double kFont = 13;       // px, step names
constexpr double kRow = 28;        // px per step row
constexpr double kBar = 14;        // px bar height
constexpr double kMargin = 16;

using svg::text_px;
using svg::tick_step;

struct Layout {
  double name_x, dept_x, chart_x, chart_w, px_per_day, width, top, height;
  double span;  // days on the axis
};

}  // namespace

std::string svg(const Workflow& wf, const Plan& p) {
  const std::size_t n = p.steps.size();
  const bool dates = p.start_date.has_value();

  // Department colours in order of first appearance as a lead department.
  std::vector<std::string> dept_names;
  auto colour_of = [&](const std::string& d) -> std::string {
    auto it = std::find(dept_names.begin(), dept_names.end(), d);
    std::size_t k = static_cast<std::size_t>(it - dept_names.begin());
    if (it == dept_names.end()) dept_names.push_back(d);
    return kPalette[k % kPaletteSize];
  };
  for (const auto& st : wf.steps) colour_of(st.lead.empty() && !st.departments.empty() ? st.departments[0] : st.lead);
  for (const auto& st : wf.steps)
    for (const auto& d : st.departments) colour_of(d);

  // Rows along the timeline: by earliest start, then declared order.
  std::vector<std::size_t> rows(n);
  std::iota(rows.begin(), rows.end(), 0);
  std::stable_sort(rows.begin(), rows.end(), [&p](std::size_t a, std::size_t b) {
    return p.steps[a].earliest_start < p.steps[b].earliest_start;
  });

  Layout L{};
  double name_w = text_px("step", kFont), dept_w = text_px("department", kFont);
  for (std::size_t i = 0; i < n; ++i) {
    name_w = std::max(name_w, text_px(wf.steps[i].name, kFont) + text_px(" " + wf.steps[i].id, 11));
    dept_w = std::max(dept_w, text_px(join_departments(wf.steps[i]), 12));
  }
  // The project clock's row below the steps.
  name_w = std::max(name_w, text_px("项目计时 project clock", kFont));
  dept_w = std::max(dept_w, text_px(num(p.counted_days) + " counted of " + num(p.total_days) + " elapsed", 12));
  name_w = std::min(name_w, 420.0);
  dept_w = std::min(dept_w, 300.0);
  L.name_x = kMargin;
  L.dept_x = L.name_x + name_w + 18;
  L.chart_x = L.dept_x + dept_w + 18;
  L.span = std::max({p.total_days, p.constrained_days, 1.0});
  for (const auto& s : p.steps) L.span = std::max(L.span, s.latest_finish);
  // Aim at about 1300 px in all, so that the chart fits a screen; long
  // names leave at least 360 px for the bars.
  const double right_room = 130;  // labels right of the bars
  L.chart_w = std::clamp(L.span * 40.0, 360.0, std::max(360.0, 1300.0 - L.chart_x - right_room));
  L.px_per_day = L.chart_w / L.span;
  L.width = L.chart_x + L.chart_w + right_room;

  auto X = [&L](double t) { return L.chart_x + t * L.px_per_day; };
  std::string body;

  // Title and summary.
  std::string title = p.title.empty() ? p.workflow : p.title + " (" + p.workflow + ")";
  double y = 30;
  body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"title\">{}</text>\n", kMargin, y, xml_escape(title));
  y += 22;
  std::string summary = fmt::format("并联 parallel {} 个工作日 elapsed · 计时 counted {} · 串联 serial {} · ",
                                    num(p.total_days), num(p.counted_days), num(p.serial_elapsed_days));
  summary += p.serial_elapsed_days > 0
                 ? plan_fmt::change_percent((p.serial_elapsed_days - p.total_days) / p.serial_elapsed_days * 100)
                 : "0%";
  if (p.time_limit)
    summary += fmt::format(" · 承诺时限 {} {}（按计时 on counted days）", num(*p.time_limit),
                           p.time_limit_met() ? "达成 met" : "超出 NOT met");
  if (dates) summary += " · " + p.start_date->str() + " → " + p.finish_date->str();
  // A date in a provisional year is an estimate, and the picture says so.
  if (dates && p.provisional_after)
    summary += " · " + p.provisional_after->str() + " 之后为暂定日期 provisional";
  if (p.constrained && p.constrained_days > p.total_days + 1e-9)
    summary += fmt::format(" · 按科室容量 with capacities {} 个工作日", num(p.constrained_days));
  body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"summary\">{}</text>\n", kMargin, y, xml_escape(summary));
  L.width = std::max({L.width, text_px(summary, 13) + 2 * kMargin, text_px(title, 18) + 2 * kMargin});

  // Legend, wrapped to the width.
  y += 24;
  double lx = kMargin;
  auto legend_item = [&](const std::string& swatch, const std::string& label) {
    double w = 22 + text_px(label, 12) + 18;
    if (lx + w > L.width - kMargin && lx > kMargin) {
      lx = kMargin;
      y += 20;
    }
    body += swatch.empty() ? "" : fmt::format(fmt::runtime(swatch), lx, y - 10);
    body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"legend\">{}</text>\n", lx + 20, y, xml_escape(label));
    lx += w;
  };
  for (const auto& d : dept_names)
    legend_item("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" rx=\"2\" fill=\"" + colour_of(d) + "\"/>\n", d);
  legend_item(std::string("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" rx=\"2\" fill=\"#ffffff\" stroke=\"") +
                  kCritical + "\" stroke-width=\"2\"/>\n",
              "关键路径 critical path");
  legend_item(std::string("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" fill=\"#ffffff\" stroke=\"") +
                  kPrepare + "\" stroke-dasharray=\"3 2\"/>\n",
              "申请人准备 applicant preparing (not counted)");
  legend_item("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" fill=\"url(#excluded)\" stroke=\"#777\"/>\n",
              "不计时 excluded, Art. 45 (not counted)");
  legend_item("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"12\" fill=\"url(#slack)\" stroke=\"#999\"/>\n",
              "机动时间 slack");
  legend_item(std::string("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"6\" fill=\"") + kClock + "\"/>\n",
              "项目计时 project clock (counted days)");
  if (p.time_limit_reached_at)
    legend_item(std::string("<rect x=\"{}\" y=\"{}\" width=\"3\" height=\"12\" fill=\"") + kLimit + "\"/>\n",
                "承诺时限 time limit");
  const bool waits = std::any_of(p.steps.begin(), p.steps.end(), [](const StepPlan& s) { return s.delay > 0; });
  if (p.constrained && waits)
    legend_item("<rect x=\"{}\" y=\"{}\" width=\"14\" height=\"4\" fill=\"#333\"/>\n", "容量排程 capacity schedule");

  // Axis.
  y += 34;
  const double axis_y = y;
  const double rows_top = axis_y + (dates ? 30 : 16);
  // One row per step, then the project clock's row.
  const double rows_bottom = rows_top + kRow * static_cast<double>(n + 1);
  body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"head\">事项 step</text>\n", L.name_x, rows_top - 8);
  body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"head\">部门 department</text>\n", L.dept_x, rows_top - 8);
  const double step = tick_step(L.px_per_day, dates ? 64 : 36);
  std::string grid;
  for (double t = 0; t <= L.span + 1e-9; t += step) {
    double x = X(t);
    grid += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" class=\"grid\"/>\n", x, axis_y + 4,
                        rows_bottom);
    body += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"tick\" text-anchor=\"middle\">{}</text>\n", x, axis_y,
                        num(t));
  }
  if (dates) {
    // The date on which each tick's offset falls.
    for (double t = 0; t <= L.span + 1e-9; t += step)
      if (auto d = p.date_at(t))
        body += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"date\" text-anchor=\"middle\">{}</text>\n", X(t),
                            axis_y + 14, d->str().substr(5));
  }
  body += fmt::format("<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"end\">工作日 working day</text>\n",
                      L.chart_x - 14, axis_y);

  // Rows.
  std::string bars;
  std::vector<double> band_tops;  // every other row is shaded, once the width is known
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t i = rows[r];
    const Step& st = wf.steps[i];
    const StepPlan& s = p.steps[i];
    const double top = rows_top + kRow * static_cast<double>(r);
    const double mid = top + kRow / 2;
    if (r % 2 == 1) band_tops.push_back(top);
    std::string cls = s.critical ? "name crit" : "name";
    bars += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"{}\">{}<tspan class=\"id\"> {}</tspan></text>\n", L.name_x,
                        mid + 4.5, cls, xml_escape(st.name), xml_escape(st.id));
    bars += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"dept\">{}</text>\n", L.dept_x, mid + 4, xml_escape(join_departments(st)));
    const double bx = X(s.review_start), bw = s.days * L.px_per_day;
    const double by = mid - kBar / 2 - (p.constrained && s.delay > 0 ? 3 : 0);
    std::string tip = fmt::format("{} ({}): {} d review, ES {} EF {} LS {} LF {} slack {}", st.name, st.id,
                                  num(s.days), num(s.earliest_start), num(s.earliest_finish), num(s.latest_start),
                                  num(s.latest_finish), num(s.slack));
    if (s.prepare_days > 0) tip += fmt::format(", preparation {} d", num(s.prepare_days));
    if (s.excluded_days > 0) tip += fmt::format(", excluded {} d", num(s.excluded_days));
    tip += fmt::format(", review {} → {}", num(s.review_start), num(s.review_finish));
    if (s.start_date) tip += ", " + s.start_date->str() + " → " + s.finish_date->str();
    // Slack: a hatched box from the earliest to the latest finish.
    if (s.slack > 0)
      bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"url(#slack)\" "
                          "stroke=\"#aaa\" stroke-width=\"0.5\"/>\n",
                          X(s.earliest_finish), by, s.slack * L.px_per_day, kBar);
    bars += "<g><title>" + xml_escape(tip) + "</title>\n";
    // The applicant's preparation: a light dashed outline before the review.
    if (s.prepare_days > 0)
      bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" class=\"prep\"/>\n",
                          X(s.earliest_start), by + 1, s.prepare_days * L.px_per_day, kBar - 2);
    // The excluded periods after the review, each hatched grey with its reason
    // inside when it fits (else in the note on the right).
    std::vector<std::string> unlabelled;
    double ex = s.review_finish;
    for (const auto& e : st.excluded) {
      const double d = e.days.expected();
      if (!(d > 0)) continue;
      const double ew = d * L.px_per_day;
      bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" class=\"excl\"><title>{}</title></rect>\n",
                          X(ex), by, ew, kBar,
                          xml_escape("不计时 excluded (Art. 45): " + e.reason + ", " + num(d) + " d"));
      const std::string label = e.reason + " " + num(d) + " d";
      if (text_px(label, 10) + 8 <= ew)
        bars += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"excl-label\" text-anchor=\"middle\">{}</text>\n",
                            X(ex) + ew / 2, by + kBar - 3.5, xml_escape(label));
      else
        unlabelled.push_back(e.reason);
      ex += d;
    }
    if (s.days > 0) {
      // A joint review: one band per department.
      const std::size_t k = std::max<std::size_t>(1, st.departments.size());
      const double band = kBar / static_cast<double>(k);
      for (std::size_t d = 0; d < k; ++d) {
        std::string c = st.departments.empty() ? kPalette[0] : colour_of(st.departments[d]);
        bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.2f}\" fill=\"{}\"/>\n", bx,
                            by + band * static_cast<double>(d), bw, band, c);
      }
      bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"none\" "
                          "stroke=\"#555\" stroke-width=\"0.6\"/>\n",
                          bx, by, bw, kBar);
    } else {
      // A zero-day review: a milestone diamond.
      const double h = kBar / 2 + 1;
      bars += fmt::format(
          "<path d=\"M{:.1f} {:.1f} l{} {} l{} {} l{} {} z\" fill=\"{}\" {}/>\n", bx, by + kBar / 2 - h, h, h, -h, h,
          -h, -h, st.departments.empty() ? kPalette[0] : colour_of(st.departments[0]),
          s.critical ? fmt::format("stroke=\"{}\" stroke-width=\"2\"", kCritical) : std::string("stroke=\"#555\""));
    }
    // A critical step: its whole span outlined in red.
    if (s.critical && s.elapsed_days > 0)
      bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" fill=\"none\" stroke=\"{}\" "
                          "stroke-width=\"2.5\"/>\n",
                          X(s.earliest_start), by, s.elapsed_days * L.px_per_day, kBar, kCritical);
    bars += "</g>\n";
    double label_x = X(std::max(s.latest_finish, s.earliest_finish)) + 6;
    std::string note = num(s.days) + " d";
    if (s.prepare_days > 0) note = "准备 prep " + num(s.prepare_days) + " + " + note;
    if (s.excluded_days > 0) {
      note += " + 不计时 excl " + num(s.excluded_days);
      for (std::size_t k = 0; k < unlabelled.size(); ++k) note += (k == 0 ? "（" : "、") + unlabelled[k];
      if (!unlabelled.empty()) note += "）";
    }
    if (s.slack > 0) note += " · slack " + num(s.slack);
    if (st.joint()) note += " · 联审";
    if (p.constrained && s.delay > 0) {
      const double sy = by + kBar + 2;
      bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"4\" fill=\"#333\"/>\n",
                          X(s.scheduled_review_start), sy, std::max(1.0, s.days * L.px_per_day));
      label_x = std::max(label_x, X(s.scheduled_finish) + 6);
      note += " · 排队 waits " + num(s.delay) + " (" + s.held_by + ")";
    }
    // A note that would cross the finish line starts after it.
    if (label_x < X(p.total_days) + 6 && label_x + text_px(note, 11) > X(p.total_days) - 2)
      label_x = X(p.total_days) + 6;
    bars += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"note{}\">{}</text>\n", label_x, mid + 4,
                        s.critical ? " crit" : "", xml_escape(note));
    L.width = std::max(L.width, label_x + text_px(note, 11) + kMargin);
  }

  // The project clock: where at least one step's review runs.
  {
    const double top = rows_top + kRow * static_cast<double>(n);
    const double mid = top + kRow / 2;
    if (n % 2 == 1) band_tops.push_back(top);
    bars += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"name clock\">项目计时 project clock</text>\n", L.name_x,
                        mid + 4.5);
    bars += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"dept\">{} counted of {} elapsed</text>\n", L.dept_x,
                        mid + 4, num(p.counted_days), num(p.total_days));
    double before = 0;
    for (const auto& c : p.clock) {
      before += c.counted;
      bars += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"8\" fill=\"{}\"><title>{}</title></rect>\n",
                          X(c.start), mid - 4, std::max(1.0, (c.end - c.start) * L.px_per_day), kClock,
                          xml_escape(fmt::format("计时 counted {} d ({} → {}), {} so far", num(c.counted),
                                                 num(c.start), num(c.end), num(before))));
    }
    std::string note = num(p.counted_days) + " 计时 counted";
    if (p.time_limit)
      note += p.time_limit_met()
                  ? fmt::format(" · 时限 limit {}: {} to spare", num(*p.time_limit), num(*p.time_limit - p.counted_days))
                  : fmt::format(" · 时限 limit {}: over by {}", num(*p.time_limit), num(p.counted_days - *p.time_limit));
    const double label_x = X(p.total_days) + 6;
    bars += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"note clock\">{}</text>\n", label_x, mid + 4,
                        xml_escape(note));
    L.width = std::max(L.width, label_x + text_px(note, 11) + kMargin);
  }

  // The total, and where the project clock reaches the promised limit.
  std::string lines;
  lines += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"1.5\"/>\n",
                       X(p.total_days), axis_y + 4, rows_bottom, kCritical);
  lines += fmt::format("<text x=\"{:.1f}\" y=\"{}\" class=\"mark\" fill=\"{}\" text-anchor=\"middle\">完成 {}</text>\n",
                       X(p.total_days), rows_bottom + 16, kCritical,
                       dates ? p.finish_date->str() : "day " + num(p.total_days));
  if (p.time_limit && p.time_limit_reached_at) {
    lines += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"{3}\" stroke-width=\"2\" "
        "stroke-dasharray=\"6 4\"/>\n",
        X(*p.time_limit_reached_at), axis_y + 4, rows_bottom, kLimit);
    lines += fmt::format(
        "<text x=\"{:.1f}\" y=\"{}\" class=\"mark\" fill=\"{}\" text-anchor=\"middle\">承诺时限 {} 日（计时）</text>\n",
        X(*p.time_limit_reached_at), rows_bottom + 32, kLimit, num(*p.time_limit));
  }
  L.height = rows_bottom + 48;

  std::string out;
  out += fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0:.0f}\" height=\"{1:.0f}\" viewBox=\"0 0 {0:.0f} {1:.0f}\" "
      "font-family=\"{2}\">\n",
      L.width, L.height, kFonts);
  out += "<title>" + xml_escape(title) + "</title>\n";
  out += "<defs><pattern id=\"slack\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#f4f4f4\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\" stroke=\"#bbb\" stroke-width=\"2\"/></pattern>"
         "<pattern id=\"excluded\" width=\"5\" height=\"5\" patternUnits=\"userSpaceOnUse\" "
         "patternTransform=\"rotate(-45)\"><rect width=\"5\" height=\"5\" fill=\"#d5d5d5\"/>"
         "<line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" stroke=\"#8a8a8a\" stroke-width=\"1.6\"/></pattern></defs>\n";
  out += "<style>\n"
         ".title{font-size:18px;font-weight:bold;fill:#222}.summary{font-size:13px;fill:#333}"
         ".legend{font-size:12px;fill:#333}.head{font-size:12px;font-weight:bold;fill:#555}"
         ".tick{font-size:11px;fill:#555}.date{font-size:10px;fill:#777}"
         ".grid{stroke:#e3e3e3;stroke-width:1}.band{fill:#f7f7f9}"
         ".name{font-size:13px;fill:#222}.name.crit{fill:#c0392b;font-weight:bold}.id{font-size:11px;fill:#888;font-weight:normal}"
         ".dept{font-size:12px;fill:#444}.note{font-size:11px;fill:#666}.note.crit{fill:#c0392b}.mark{font-size:12px}"
         ".prep{fill:#ffffff;stroke:#7f8c8d;stroke-width:1;stroke-dasharray:3 2}"
         ".excl{fill:url(#excluded);stroke:#777;stroke-width:0.6}"
         ".excl-label{font-size:10px;fill:#222;paint-order:stroke;stroke:#eeeeee;stroke-width:3px}"
         ".name.clock,.note.clock{fill:#1f5f7a;font-weight:bold}\n"
         "</style>\n";
  out += fmt::format("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
  std::string bands;
  for (double top : band_tops)
    bands += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{:.0f}\" height=\"{}\" class=\"band\"/>\n", kMargin / 2, top,
                         L.width - kMargin, kRow);
  out += bands + grid + body + bars + lines;
  out += "</svg>\n";
  return out;
}

std::string html(const Workflow& wf, const Plan& p) {
  std::string title = p.title.empty() ? p.workflow : p.title;
  std::string out = "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + xml_escape(title) + " — plan</title>\n";
  out += std::string("<style>\nbody{font-family:") + kFonts +
         ";margin:24px;color:#222}\n"
         "table{border-collapse:collapse;font-size:13px;margin-top:12px}"
         "th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}"
         "td.n{text-align:right;font-variant-numeric:tabular-nums}tr.crit td{color:#c0392b;font-weight:bold}"
         "h1{font-size:20px}h2{font-size:16px;margin-top:24px}ul{font-size:13px}.chart{overflow-x:auto}\n"
         "</style>\n</head>\n<body>\n";
  out += "<div class=\"chart\">\n" + svg(wf, p) + "</div>\n";
  out += "<h2>计划 Plan</h2>\n<table>\n<tr><th>wave</th><th>id</th><th>name</th><th>department(s)</th><th>prep</th><th>days</th><th>excl</th>"
         "<th>ES</th><th>EF</th><th>LS</th><th>LF</th><th>slack</th><th>critical</th>";
  const bool dates = p.start_date.has_value();
  if (dates) out += "<th>start</th><th>finish</th>";
  out += "</tr>\n";
  for (std::size_t i : wave_order(p)) {
    const StepPlan& s = p.steps[i];
    const Step& st = wf.steps[i];
    out += s.critical ? "<tr class=\"crit\">" : "<tr>";
    out += fmt::format("<td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td>", s.wave, xml_escape(s.id),
                       xml_escape(st.name), xml_escape(join_departments(st)));
    for (double v : {s.prepare_days, s.days, s.excluded_days, s.earliest_start, s.earliest_finish, s.latest_start,
                     s.latest_finish, s.slack})
      out += "<td class=\"n\">" + num(v) + "</td>";
    out += std::string("<td>") + (s.critical ? "关键 critical" : "") + "</td>";
    if (dates) out += "<td>" + s.start_date->str() + "</td><td>" + s.finish_date->str() + "</td>";
    out += "</tr>\n";
  }
  out += "</table>\n<h2>小结 Summary</h2>\n<ul>\n";
  out += fmt::format("<li>parallel {} working days elapsed, serial {}</li>\n", num(p.total_days),
                     num(p.serial_elapsed_days));
  out += fmt::format("<li>project clock: {} counted working days of {} elapsed (only the days on which some step's "
                     "review runs count; preparation and Art. 45 excluded periods do not)</li>\n",
                     num(p.counted_days), num(p.total_days));
  std::string path;
  for (std::size_t i : p.critical_path) path += (path.empty() ? "" : " → ") + wf.steps[i].name + " (" + wf.steps[i].id + ")";
  out += "<li>critical path: " + xml_escape(path.empty() ? "(none)" : path) + "</li>\n";
  if (dates)
    out += "<li>start " + p.start_date->str() + ", finish " + p.finish_date->str() + " (calendar " +
           xml_escape(p.calendar) + ")</li>\n";
  if (p.time_limit) out += "<li>time limit " + xml_escape(limit_text(p)) + "</li>\n";
  for (const auto& r : p.redundant)
    out += "<li>redundant: '" + xml_escape(r.step) + "' after '" + xml_escape(r.after) + "' (via '" +
           xml_escape(r.via) + "')</li>\n";
  if (p.constrained) {
    out += fmt::format("<li>with department capacities: {} working days</li>\n", num(p.constrained_days));
    for (const auto& s : p.steps)
      if (s.delay > 0)
        out += fmt::format("<li>'{}' waits {} working days for {}</li>\n", xml_escape(s.id), num(s.delay),
                           xml_escape(s.held_by));
  }
  out += "</ul>\n</body>\n</html>\n";
  return out;
}

}  // namespace jointreview::plan_render

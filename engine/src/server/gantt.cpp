// An instance's chart as it happened (GET /api/v1/instances/{id}/gantt): one
// row per step, its time in each state drawn from the audit trail's state
// changes, on a calendar-day axis from the start to today, with each open
// step's deadline and today's line. What the plan's Gantt chart promises,
// this shows kept or missed.
#include "server/gantt.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

#include "jointreview/calendar.h"
#include "util/format.h"
#include "util/svg.h"

namespace jointreview::server {

using plan_fmt::xml_escape;

namespace {

// Days since 1970-01-01 (local) with the time of day as a fraction, from
// "YYYY-MM-DDTHH:MM[:SS]..." or "YYYY-MM-DD"; NaN when it is neither.
double day_of(const std::string& t) {
  if (t.size() < 10) return std::nan("");
  const auto d = Date::try_parse(t.substr(0, 10));
  if (!d) return std::nan("");
  double frac = 0;
  if (t.size() >= 16 && t[10] == 'T') {
    const int h = std::atoi(t.substr(11, 2).c_str()), m = std::atoi(t.substr(14, 2).c_str());
    frac = (h * 60 + m) / 1440.0;
  }
  return d->days() + frac;
}

struct Style {
  const char* fill;
  const char* label;  // the legend's words
};

// The colours say who holds the step: grey the applicant, blue a department.
const std::map<std::string, Style>& styles() {
  static const std::map<std::string, Style> s = {
      {"ready", {"#d9d9d9", "待申请人提交 ready: the applicant's to submit"}},
      {"submitted", {"#f2c14e", "待受理 submitted: to accept"}},
      {"accepted", {"#4e79a7", "审查中 accepted: under review"}},
      {"returned", {"#f28e2b", "补正中 returned: with the applicant"}},
      {"suspended", {"#b07aa1", "中止 suspended: materials missing"}},
      {"approved", {"#59a14f", "办结 approved"}},
      {"rejected", {"#e15759", "不予许可 rejected"}},
  };
  return s;
}

}  // namespace

std::string instance_gantt_svg(const InstanceStatus& s, const std::vector<EventRecord>& events,
                               const std::string& today) {
  const double start = day_of(s.started);
  const double now = day_of(today) + 1;  // the end of today
  double end = std::isnan(now) ? start + 1 : now;
  for (const auto& e : events) end = std::max(end, day_of(e.time));
  for (const auto& st : s.steps)
    if (!st.deadline.empty()) end = std::max(end, day_of(st.deadline) + 1);
  const double first = std::floor(start);
  const double last = std::ceil(std::max(end, first + 1));

  // Each step's states as intervals [from, to).
  struct Span {
    double from, to;
    std::string state;
  };
  std::map<std::string, std::vector<Span>> spans;
  std::map<std::string, std::pair<double, std::string>> open;  // step -> (since, state)
  for (const auto& e : events) {
    if (e.step.empty() || e.to.empty()) continue;
    const double t = day_of(e.time);
    if (std::isnan(t)) continue;
    auto it = open.find(e.step);
    if (it != open.end() && t > it->second.first) spans[e.step].push_back({it->second.first, t, it->second.second});
    open[e.step] = {t, e.to};
  }
  for (const auto& [step, since] : open)
    if (since.second != "approved" && since.second != "rejected" && since.second != "blocked")
      spans[step].push_back({since.first, std::max(since.first, std::min(end, now)), since.second});

  // Layout: labels measured, so that none is clipped or runs into a bar.
  const double font = 13, row = 26, top = 84, bar = 16;
  double label_w = 120;
  for (const auto& st : s.steps) label_w = std::max(label_w, svg::text_px(st.name, font) + 16);
  const double days = last - first;
  const double px_per_day = std::clamp(900.0 / days, 6.0, 60.0);
  const double chart_w = days * px_per_day;
  const double width = label_w + chart_w + 48;  // room for the last date label
  const double legend_top = top + row * static_cast<double>(s.steps.size()) + 36;
  const double height = legend_top + 22 * static_cast<double>((styles().size() + 1) / 2) + 24;
  auto x = [&](double day) { return label_w + (day - first) * px_per_day; };

  std::ostringstream o;
  o.setf(std::ios::fixed);
  o.precision(1);
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << ' ' << height << "\" font-family=\"sans-serif\" font-size=\"" << font
    << "\">\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  o << "<text x=\"12\" y=\"24\" font-size=\"16\" font-weight=\"bold\">" << xml_escape(s.project) << " · "
    << xml_escape(s.instance) << "</text>\n";
  o << "<text x=\"12\" y=\"44\" fill=\"#555\">" << xml_escape(s.workflow) << " · " << xml_escape(s.state)
    << (s.deadline.empty() ? "" : " · 承诺时限 " + xml_escape(s.deadline)) << " · 日历日 calendar days</text>\n";
  // The axis: a tick per step of days, dated.
  const double step_days = svg::tick_step(px_per_day, 70);
  for (double d = first; d <= last + 1e-9; d += step_days) {
    o << "<line x1=\"" << x(d) << "\" y1=\"" << top - 6 << "\" x2=\"" << x(d) << "\" y2=\""
      << top + row * static_cast<double>(s.steps.size()) << "\" stroke=\"#eee\"/>\n";
    o << "<text x=\"" << x(d) + 2 << "\" y=\"" << top - 10 << "\" font-size=\"11\" fill=\"#555\">"
      << Date::from_days(static_cast<std::int32_t>(d)).str().substr(5) << "</text>\n";
  }
  for (std::size_t i = 0; i < s.steps.size(); ++i) {
    const auto& st = s.steps[i];
    const double y = top + row * static_cast<double>(i);
    o << "<text x=\"8\" y=\"" << y + bar - 3 << "\">" << xml_escape(st.name) << "<title>" << xml_escape(st.id)
      << ": " << xml_escape(st.state) << "</title></text>\n";
    for (const auto& sp : spans[st.id]) {
      auto style = styles().find(sp.state);
      const char* fill = style == styles().end() ? "#bab0ac" : style->second.fill;
      const double w = std::max(2.0, (sp.to - sp.from) * px_per_day);
      o << "<rect x=\"" << x(sp.from) << "\" y=\"" << y << "\" width=\"" << w << "\" height=\"" << bar
        << "\" fill=\"" << fill << "\"><title>" << xml_escape(st.name) << ": " << xml_escape(sp.state)
        << "</title></rect>\n";
    }
    if (st.state == "approved" || st.state == "rejected") {
      const double at = day_of(st.since);
      if (!std::isnan(at))
        o << "<circle cx=\"" << x(at) << "\" cy=\"" << y + bar / 2 << "\" r=\"5\" fill=\""
          << styles().at(st.state).fill << "\" stroke=\"#333\"/>\n";
    }
    // An open step's deadline: a red tick at the end of its last day.
    if (!st.deadline.empty() && st.state != "approved" && st.state != "rejected") {
      const double dl = day_of(st.deadline) + 1;
      o << "<line x1=\"" << x(dl) << "\" y1=\"" << y - 3 << "\" x2=\"" << x(dl) << "\" y2=\"" << y + bar + 3
        << "\" stroke=\"" << (st.overdue ? "#c00000" : "#e15759") << "\" stroke-width=\"3\"><title>deadline "
        << xml_escape(st.deadline) << (st.deadline_provisional ? " (provisional)" : "") << "</title></line>\n";
    }
  }
  if (!std::isnan(now)) {
    const double t = std::min(now, last);
    o << "<line x1=\"" << x(t) << "\" y1=\"" << top - 20 << "\" x2=\"" << x(t) << "\" y2=\""
      << top + row * static_cast<double>(s.steps.size()) << "\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>\n";
    o << "<text x=\"" << x(t) - 4 << "\" y=\"" << top - 24 << "\" font-size=\"11\" text-anchor=\"end\">今天 "
      << xml_escape(today) << "</text>\n";
  }
  // The legend, in two columns.
  std::size_t k = 0;
  const double col_w = (width - 24) / 2;
  for (const auto& [state, style] : styles()) {
    const double lx = 12 + col_w * static_cast<double>(k % 2), ly = legend_top + 22 * static_cast<double>(k / 2);
    o << "<rect x=\"" << lx << "\" y=\"" << ly - 11 << "\" width=\"14\" height=\"12\" fill=\"" << style.fill
      << "\"/><text x=\"" << lx + 20 << "\" y=\"" << ly << "\" font-size=\"12\">" << xml_escape(style.label)
      << "</text>\n";
    ++k;
  }
  o << "</svg>\n";
  return o.str();
}

}  // namespace jointreview::server

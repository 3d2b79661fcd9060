// jreview report: the Friday dispatch report (周调度, Engine::weekly_report):
// every project, its progress, overdue (red) and warned (yellow) items, and
// the load of every department, for one ISO week. This file formats it.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

// Whether any date the report shows is provisional (its note is then printed).
bool any_provisional(const jointreview::WeeklyReport& r) {
  for (const auto& p : r.projects)
    if (p.promised_by_provisional) return true;
  for (const auto* items : {&r.overdue, &r.warned})
    for (const auto& i : *items)
      if (i.deadline_provisional) return true;
  for (const auto& i : r.stopped)
    if (i.paused_until_provisional) return true;
  return false;
}

// An item's state as the report shows it.
std::string item_state(const jointreview::ReportItem& i) {
  if (i.kind == jointreview::ReportItem::Kind::contact_overdue) return "contact task overdue (首退必联)";
  return std::string(jointreview::to_string(i.state)) + (i.statutory_overdue ? ", past the law's limit (违法超期)" : "");
}

void print_table(const jointreview::WeeklyReport& r) {
  std::cout << "周调度 weekly dispatch report  " << r.week << "  (" << r.from << " .. " << r.to << ")\n\nProjects\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r.projects) {
    std::string flags = p.project_overdue ? "OVERDUE" : p.project_warned ? "near" : "";
    if (p.green) flags += (flags.empty() ? "" : " ") + std::string("green");
    rows.push_back({p.instance, p.project, p.workflow, jointreview::to_string(p.state),
                    std::to_string(p.approved) + "/" + std::to_string(p.total), std::to_string(p.approved_this_week),
                    dated(p.promised_by, p.promised_by_provisional), flags});
  }
  std::cout << jointreview::render_table(
      {"instance", "project", "workflow", "state", "approved", "this week", "promised by", "flags"}, rows,
      {false, false, false, false, true, true, false, false});
  for (const bool red : {true, false}) {
    std::cout << "\n" << (red ? "Overdue items (red)" : "Warned items (yellow)") << "\n";
    rows.clear();
    for (const auto& i : red ? r.overdue : r.warned)
      rows.push_back({i.instance, i.project, i.step, i.name, i.department, item_state(i),
                      dated(i.deadline, i.deadline_provisional)});
    if (rows.empty())
      std::cout << "  none\n";
    else
      std::cout << jointreview::render_table({"instance", "project", "step", "name", "department", "state", "deadline"},
                                             rows);
  }
  std::cout << "\nStopped clocks (Art. 45: not counted, the applicant told)\n";
  rows.clear();
  for (const auto& i : r.stopped)
    rows.push_back({i.instance, i.project, i.step, i.name, i.department, i.exclusion_reason,
                    dated(i.paused_until, i.paused_until_provisional)});
  if (rows.empty())
    std::cout << "  none\n";
  else
    std::cout << jointreview::render_table({"instance", "project", "step", "name", "department", "ground", "until"},
                                           rows);
  std::cout << "\nDepartments\n";
  rows.clear();
  for (const auto& d : r.departments)
    rows.push_back({d.department, std::to_string(d.open), std::to_string(d.overdue),
                    std::to_string(d.approved_this_week), std::to_string(d.returned_this_week)});
  std::cout << jointreview::render_table({"department", "open", "overdue", "approved this week", "returned this week"},
                                         rows, {false, true, true, true, true});
  if (any_provisional(r)) std::cout << "\n" << kProvisionalNote;
}

std::string html_report(const jointreview::WeeklyReport& r) {
  std::string h;
  h += "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>周调度 " + esc(r.week) +
       "</title><style>body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Microsoft YaHei\",sans-serif;"
       "margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}td,th{border-bottom:1px solid #ddd;"
       "padding:4px 10px;text-align:left}th{background:#f3f3f3}.red{color:#b00020;font-weight:bold}.yellow{color:#a66"
       "b00}.num{text-align:right}</style></head><body>";
  h += "<h1>周调度 · weekly dispatch " + esc(r.week) + "</h1><p>" + esc(r.from) + " – " + esc(r.to) + " · " +
       std::to_string(r.projects.size()) + " projects · <span class=red>" + std::to_string(r.overdue.size()) +
       " overdue</span> · <span class=yellow>" + std::to_string(r.warned.size()) + " warned</span></p>";
  h += "<h2>Projects</h2><table><tr><th>instance</th><th>project</th><th>workflow</th><th>state</th><th>progress</th>"
       "<th>promised by</th></tr>";
  for (const auto& p : r.projects) {
    const double share = p.total > 0 ? static_cast<double>(p.approved) / p.total : 0;
    char bar[256];
    std::snprintf(bar, sizeof bar,
                  "<svg width=\"120\" height=\"12\"><rect width=\"120\" height=\"12\" fill=\"#eee\"/><rect width=\"%.0f\""
                  " height=\"12\" fill=\"#2e7d32\"/></svg>",
                  120 * share);
    std::string cls = p.project_overdue ? " class=red" : p.project_warned ? " class=yellow" : "";
    h += "<tr><td>" + esc(p.instance) + "</td><td" + cls + ">" + esc(p.project) + (p.green ? " 🟢" : "") +
         "</td><td>" + esc(p.workflow) + "</td><td>" + esc(jointreview::to_string(p.state)) + "</td><td>" + bar +
         " " + std::to_string(p.approved) + "/" + std::to_string(p.total) + "</td><td>" + esc(dated(p.promised_by, p.promised_by_provisional)) +
         "</td></tr>";
  }
  h += "</table>";
  for (const bool is_red : {true, false}) {
    const auto& items = is_red ? r.overdue : r.warned;
    h += std::string("<h2 class=") + (is_red ? "red" : "yellow") + ">" +
         (is_red ? "Overdue items (red)" : "Warned items (yellow)") + "</h2>";
    if (items.empty()) {
      h += "<p>none</p>";
      continue;
    }
    h += "<table><tr><th>project</th><th>step</th><th>department</th><th>state</th><th>deadline</th></tr>";
    for (const auto& i : items)
      h += "<tr><td>" + esc(i.project) + "</td><td>" + esc(i.name) + "</td><td>" + esc(i.department) + "</td><td>" +
           esc(item_state(i)) + "</td><td>" + esc(dated(i.deadline, i.deadline_provisional)) + "</td></tr>";
    h += "</table>";
  }
  h += "<h2>Stopped clocks (Art. 45)</h2>";
  if (r.stopped.empty()) {
    h += "<p>none</p>";
  } else {
    h += "<table><tr><th>project</th><th>step</th><th>department</th><th>ground</th><th>until</th></tr>";
    for (const auto& i : r.stopped)
      h += "<tr><td>" + esc(i.project) + "</td><td>" + esc(i.name) + "</td><td>" + esc(i.department) + "</td><td>" +
           esc(i.exclusion_reason) + "</td><td>" + esc(dated(i.paused_until, i.paused_until_provisional)) +
           "</td></tr>";
    h += "</table>";
  }
  h += "<h2>Departments</h2>";
  int max_open = 1;
  for (const auto& d : r.departments) max_open = std::max(max_open, d.open);
  const int row_h = 26, label_w = 180, bar_w = 360;
  h += "<svg width=\"" + std::to_string(label_w + bar_w + 320) + "\" height=\"" +
       std::to_string(row_h * static_cast<int>(r.departments.size()) + 10) + "\" font-size=\"13\">";
  int y = 0;
  for (const auto& d : r.departments) {
    const int w = bar_w * d.open / max_open, wr = bar_w * d.overdue / max_open;
    h += "<text x=\"0\" y=\"" + std::to_string(y + 17) + "\">" + esc(d.department) + "</text>";
    h += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 5) + "\" width=\"" +
         std::to_string(w) + "\" height=\"16\" fill=\"#90a4ae\"/>";
    h += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 5) + "\" width=\"" +
         std::to_string(wr) + "\" height=\"16\" fill=\"#b00020\"/>";
    h += "<text x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" + std::to_string(y + 17) + "\">" +
         std::to_string(d.open) + " open, " + std::to_string(d.overdue) + " overdue, " +
         std::to_string(d.approved_this_week) + " approved</text>";
    y += row_h;
  }
  h += "</svg>";
  if (any_provisional(r)) h += "<p>" + esc(kProvisionalNote) + "</p>";
  h += "</body></html>\n";
  return h;
}

struct ReportOpts {
  EngineFlags e;
  std::string week, format = "table", output;
};

void add_report(CLI::App& app, Runner& run) {
  auto o = std::make_shared<ReportOpts>();
  auto* sub = app.add_subcommand("report", "The Friday dispatch report (周调度): projects, overdue and warned items, "
                                           "department load");
  sub->add_option("--week", o->week, "ISO week, YYYY-Www (default: the current week)");
  sub->add_option("--format", o->format, "table, json or html")->check(CLI::IsMember({"table", "json", "html"}));
  sub->add_option("--output,-o", o->output, "write to this file instead of stdout");
  add_engine_flags(sub, o->e);
  add_read_only_flag(sub, o->e);
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    const jointreview::WeeklyReport r = engine.weekly_report(o.week);
    std::string text;
    if (o.format == "json") {
      text = jointreview::weekly_report_json(r, 2) + "\n";
    } else if (o.format == "html") {
      text = html_report(r);
    } else {
      std::streambuf* old = std::cout.rdbuf();
      std::ostringstream ss;
      std::cout.rdbuf(ss.rdbuf());
      print_table(r);
      std::cout.rdbuf(old);
      text = ss.str();
    }
    if (o.output.empty()) {
      std::cout << text;
    } else {
      std::ofstream out(o.output, std::ios::binary);
      if (!(out << text)) {
        std::cerr << "jreview: error: cannot write '" << o.output << "'\n";
        return 2;
      }
    }
    return 0;
  });
}

}  // namespace

JREVIEW_COMMAND(54, add_report);

}  // namespace jreview

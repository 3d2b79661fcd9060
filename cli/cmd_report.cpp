// jreview report: the Friday dispatch report (周调度): every project, its
// progress, overdue (red) and warned (yellow) items, and the load of every
// department, for one ISO week.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "jointreview/calendar.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

using jointreview::Date;
using nlohmann::ordered_json;

// Monday of ISO week `w` of ISO year `y`.
Date iso_week_monday(int y, int w) {
  Date jan4 = Date::from_ymd(y, 1, 4);
  return jan4 - (jan4.weekday() - 1) + 7 * (w - 1);
}

std::string iso_week_of(Date d) {
  Date thursday = d + (4 - d.weekday());
  int year = thursday.year();
  int week = (thursday - Date::from_ymd(year, 1, 1)) / 7 + 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-W%02d", year, week);
  return buf;
}

Date parse_week(const std::string& s) {
  int y = 0, w = 0;
  char tail = 0;
  if (std::sscanf(s.c_str(), "%4d-W%2d%c", &y, &w, &tail) != 2 || w < 1 || w > 53)
    throw jointreview::Error(jointreview::Error::Code::invalid_argument,
                             "'" + s + "' is not an ISO week; write YYYY-Www, for example 2026-W48");
  Date monday = iso_week_monday(y, w);
  if (iso_week_of(monday) != s)
    throw jointreview::Error(jointreview::Error::Code::invalid_argument, "year " + std::to_string(y) + " has no week " +
                                                                             std::to_string(w));
  return monday;
}

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

bool waiting_on_department(const jointreview::StepStatus& st, const std::string& dept) {
  if (st.state == "submitted") return !st.departments.empty() && st.departments.front() == dept;
  if (st.state == "accepted" || st.state == "suspended")
    for (const auto& d : st.reviews_pending)
      if (d == dept) return true;
  return false;
}

ordered_json build_report(jointreview::Engine& engine, Date monday) {
  const Date friday = monday + 4, sunday = monday + 6;
  const std::string from = monday.str(), to = sunday.str();
  ordered_json projects = ordered_json::array(), red = ordered_json::array(), yellow = ordered_json::array();
  struct Load {
    int open = 0, overdue = 0, approved_this_week = 0, returned_this_week = 0;
  };
  std::map<std::string, Load> depts;
  for (const auto& s : engine.instances()) {
    std::map<std::string, const jointreview::StepStatus*> by_id;
    for (const auto& st : s.steps) {
      by_id[st.id] = &st;
      for (const auto& d : st.departments) depts[d];
    }
    int approved = 0, approved_week = 0;
    ordered_json in_progress = ordered_json::array();
    for (const auto& st : s.steps) {
      approved += st.state == "approved";
      for (const auto& d : st.departments)
        if (waiting_on_department(st, d)) {
          ++depts[d].open;
          if (st.overdue) ++depts[d].overdue;
        }
      if (st.state == "submitted" || st.state == "accepted" || st.state == "returned" || st.state == "suspended")
        in_progress.push_back({{"step", st.id}, {"name", st.name}, {"state", st.state}, {"deadline", st.deadline}});
      ordered_json item = {{"instance", s.instance}, {"project", s.project}, {"step", st.id},
                           {"name", st.name},         {"department", st.departments.empty() ? "" : st.departments[0]},
                           {"state", st.state},       {"deadline", st.deadline},
                           {"days_used", st.days_used}, {"days_limit", st.days_limit}};
      const bool open = st.state == "submitted" || st.state == "accepted" || st.state == "returned" ||
                        st.state == "suspended";
      if (open && st.overdue)
        red.push_back(item);
      else if (open && st.warned)
        yellow.push_back(item);
      if (st.contact_overdue && st.contact_pending) {
        item["state"] = "contact task overdue (首退必联)";
        red.push_back(item);
      }
    }
    for (const auto& ev : engine.events(s.instance)) {
      std::string day = ev.time.substr(0, 10);
      // A state change is on a "state" row, or on the action row that caused it.
      if (day < from || day > to || ev.to.empty() || ev.step.empty()) continue;
      auto it = by_id.find(ev.step);
      if (it == by_id.end()) continue;
      for (const auto& d : it->second->departments) {
        if (ev.to == "approved") ++depts[d].approved_this_week;
        if (ev.to == "returned") ++depts[d].returned_this_week;
      }
      approved_week += ev.to == "approved";
    }
    projects.push_back({{"instance", s.instance},
                        {"project", s.project},
                        {"workflow", s.workflow},
                        {"state", s.state},
                        {"green", s.green},
                        {"approved", approved},
                        {"total", s.steps.size()},
                        {"approved_this_week", approved_week},
                        {"promised_by", s.deadline},
                        {"project_overdue", s.overdue},
                        {"project_warned", s.warned},
                        {"in_progress", in_progress}});
  }
  ordered_json dl = ordered_json::array();
  for (const auto& [name, l] : depts)
    dl.push_back({{"department", name},
                  {"open", l.open},
                  {"overdue", l.overdue},
                  {"approved_this_week", l.approved_this_week},
                  {"returned_this_week", l.returned_this_week}});
  return {{"week", iso_week_of(monday)}, {"from", from},   {"to", to},          {"friday", friday.str()},
          {"projects", projects},       {"overdue", red}, {"warned", yellow}, {"departments", dl}};
}

std::string num(const ordered_json& j) { return j.is_string() ? j.get<std::string>() : j.dump(); }

void print_table(const ordered_json& r) {
  std::cout << "周调度 weekly dispatch report  " << num(r["week"]) << "  (" << num(r["from"]) << " .. " << num(r["to"])
            << ")\n\nProjects\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : r["projects"]) {
    std::string flags = p["project_overdue"].get<bool>() ? "OVERDUE" : p["project_warned"].get<bool>() ? "near" : "";
    if (p["green"].get<bool>()) flags += (flags.empty() ? "" : " ") + std::string("green");
    rows.push_back({num(p["instance"]), num(p["project"]), num(p["workflow"]), num(p["state"]),
                    num(p["approved"]) + "/" + num(p["total"]), num(p["approved_this_week"]), num(p["promised_by"]),
                    flags});
  }
  std::cout << jointreview::render_table(
      {"instance", "project", "workflow", "state", "approved", "this week", "promised by", "flags"}, rows,
      {false, false, false, false, true, true, false, false});
  for (const char* key : {"overdue", "warned"}) {
    std::cout << "\n" << (std::string(key) == "overdue" ? "Overdue items (red)" : "Warned items (yellow)") << "\n";
    rows.clear();
    for (const auto& i : r[key])
      rows.push_back({num(i["instance"]), num(i["project"]), num(i["step"]), num(i["name"]), num(i["department"]),
                      num(i["state"]), num(i["deadline"])});
    if (rows.empty())
      std::cout << "  none\n";
    else
      std::cout << jointreview::render_table({"instance", "project", "step", "name", "department", "state", "deadline"},
                                             rows);
  }
  std::cout << "\nDepartments\n";
  rows.clear();
  for (const auto& d : r["departments"])
    rows.push_back({num(d["department"]), num(d["open"]), num(d["overdue"]), num(d["approved_this_week"]),
                    num(d["returned_this_week"])});
  std::cout << jointreview::render_table({"department", "open", "overdue", "approved this week", "returned this week"},
                                         rows, {false, true, true, true, true});
}

std::string html_report(const ordered_json& r) {
  std::string h;
  h += "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>周调度 " + esc(num(r["week"])) +
       "</title><style>body{font-family:\"Noto Sans CJK SC\",\"WenQuanYi Micro Hei\",\"Microsoft YaHei\",sans-serif;"
       "margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 24px}td,th{border-bottom:1px solid #ddd;"
       "padding:4px 10px;text-align:left}th{background:#f3f3f3}.red{color:#b00020;font-weight:bold}.yellow{color:#a66"
       "b00}.num{text-align:right}</style></head><body>";
  h += "<h1>周调度 · weekly dispatch " + esc(num(r["week"])) + "</h1><p>" + esc(num(r["from"])) + " – " +
       esc(num(r["to"])) + " · " + std::to_string(r["projects"].size()) + " projects · <span class=red>" +
       std::to_string(r["overdue"].size()) + " overdue</span> · <span class=yellow>" +
       std::to_string(r["warned"].size()) + " warned</span></p>";
  h += "<h2>Projects</h2><table><tr><th>instance</th><th>project</th><th>workflow</th><th>state</th><th>progress</th>"
       "<th>promised by</th></tr>";
  for (const auto& p : r["projects"]) {
    double share = p["total"].get<double>() > 0 ? p["approved"].get<double>() / p["total"].get<double>() : 0;
    char bar[256];
    std::snprintf(bar, sizeof bar,
                  "<svg width=\"120\" height=\"12\"><rect width=\"120\" height=\"12\" fill=\"#eee\"/><rect width=\"%.0f\""
                  " height=\"12\" fill=\"#2e7d32\"/></svg>",
                  120 * share);
    std::string cls = p["project_overdue"].get<bool>() ? " class=red" : p["project_warned"].get<bool>() ? " class=yellow" : "";
    h += "<tr><td>" + esc(num(p["instance"])) + "</td><td" + cls + ">" + esc(num(p["project"])) +
         (p["green"].get<bool>() ? " 🟢" : "") + "</td><td>" + esc(num(p["workflow"])) + "</td><td>" +
         esc(num(p["state"])) + "</td><td>" + bar + " " + num(p["approved"]) + "/" + num(p["total"]) + "</td><td>" +
         esc(num(p["promised_by"])) + "</td></tr>";
  }
  h += "</table>";
  for (const char* key : {"overdue", "warned"}) {
    bool is_red = std::string(key) == "overdue";
    h += std::string("<h2 class=") + (is_red ? "red" : "yellow") + ">" +
         (is_red ? "Overdue items (red)" : "Warned items (yellow)") + "</h2>";
    if (r[key].empty()) {
      h += "<p>none</p>";
      continue;
    }
    h += "<table><tr><th>project</th><th>step</th><th>department</th><th>state</th><th>deadline</th></tr>";
    for (const auto& i : r[key])
      h += "<tr><td>" + esc(num(i["project"])) + "</td><td>" + esc(num(i["name"])) + "</td><td>" +
           esc(num(i["department"])) + "</td><td>" + esc(num(i["state"])) + "</td><td>" + esc(num(i["deadline"])) +
           "</td></tr>";
    h += "</table>";
  }
  h += "<h2>Departments</h2>";
  int max_open = 1;
  for (const auto& d : r["departments"]) max_open = std::max(max_open, d["open"].get<int>());
  const int row_h = 26, label_w = 180, bar_w = 360;
  h += "<svg width=\"" + std::to_string(label_w + bar_w + 160) + "\" height=\"" +
       std::to_string(row_h * static_cast<int>(r["departments"].size()) + 10) + "\" font-size=\"13\">";
  int y = 0;
  for (const auto& d : r["departments"]) {
    int open = d["open"].get<int>(), overdue = d["overdue"].get<int>();
    int w = bar_w * open / max_open, wr = bar_w * overdue / max_open;
    h += "<text x=\"0\" y=\"" + std::to_string(y + 17) + "\">" + esc(num(d["department"])) + "</text>";
    h += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 5) + "\" width=\"" +
         std::to_string(w) + "\" height=\"16\" fill=\"#90a4ae\"/>";
    h += "<rect x=\"" + std::to_string(label_w) + "\" y=\"" + std::to_string(y + 5) + "\" width=\"" +
         std::to_string(wr) + "\" height=\"16\" fill=\"#b00020\"/>";
    h += "<text x=\"" + std::to_string(label_w + w + 6) + "\" y=\"" + std::to_string(y + 17) + "\">" +
         std::to_string(open) + " open, " + std::to_string(overdue) + " overdue, " + num(d["approved_this_week"]) +
         " approved</text>";
    y += row_h;
  }
  h += "</svg></body></html>\n";
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
  with_engine(sub, run, o, [](jointreview::Engine& engine, const auto& o) {
    Date monday = o.week.empty() ? parse_week(iso_week_of(Date::parse(engine.today()))) : parse_week(o.week);
    ordered_json r = build_report(engine, monday);
    std::string text;
    if (o.format == "json") {
      text = r.dump(2) + "\n";
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

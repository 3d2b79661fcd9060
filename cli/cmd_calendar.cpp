// jreview calendar add DATE N | between DATE DATE | show YYYY-MM | list [--db DB]
//                  | import NOTICE | update FILE [--db DB]
//
// Working-day arithmetic on a calendar (default cn). `add` and `between`
// print the answer alone on stdout so that scripts can use it.
// Exit status: 0 done, 1 the calendar refused (outside its years, unknown
// or broken calendar file), 2 bad input (a date, a number, a month).
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "commands.h"
#include "jointreview/calendar.h"
#include "jointreview/error.h"
#include "jointreview/loader.h"
#include "jointreview/text.h"
#include "runtime_options.h"

namespace jreview {

namespace {

using jointreview::Calendar;
using jointreview::CalendarOptions;
using jointreview::Date;
using jointreview::DayKind;
using jointreview::Error;

struct CalendarArgs {
  std::string calendar = "cn";
  std::string db;   // list: the calendars this database holds
  std::string now;  // with db: the clock (as for the runtime commands)
  std::vector<std::string> dirs;
  bool fallback = false;
  bool strict = false;
  std::string format = "text";
  std::vector<std::string> positional;
};

std::shared_ptr<const Calendar> open_calendar(const CalendarArgs& a) {
  CalendarOptions o;
  if (!a.dirs.empty()) {
    o.search_path = a.dirs;
    for (const auto& d : jointreview::calendar_search_path("", {})) o.search_path.push_back(d);
  }
  o.weekend_fallback = a.fallback;
  o.strict = a.strict;
  o.on_warning = warn_on_stderr;
  return Calendar::load(a.calendar, o);
}

// A whole number of working days, or a clear refusal.
long parse_count(const std::string& text) {
  std::size_t i = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  bool ok = i < text.size() && text.size() - i <= 9;
  for (std::size_t k = i; k < text.size(); ++k) ok = ok && text[k] >= '0' && text[k] <= '9';
  if (!ok)
    throw Error(Error::Code::invalid_argument,
                "invalid number of working days '" + text + "': expected a whole number such as 5 or -1");
  return std::stol(text);
}

const char* kind_name(DayKind k) {
  switch (k) {
    case DayKind::workday: return "workday";
    case DayKind::weekend: return "weekend";
    case DayKind::holiday: return "holiday";
    case DayKind::makeup: return "makeup";
    case DayKind::closure: return "closure";
    case DayKind::extra_working: return "extra_working";
  }
  return "workday";
}

// The mark shown beside a day number in the month grid.
const char* kind_mark(DayKind k) {
  switch (k) {
    case DayKind::holiday: return "休";
    case DayKind::makeup: return "班";
    case DayKind::closure: return "闭";
    case DayKind::extra_working: return "加";
    default: return "";
  }
}

const char* kind_legend(DayKind k) {
  switch (k) {
    case DayKind::holiday: return "statutory holiday (off)";
    case DayKind::makeup: return "make-up working day, 调休上班 (worked)";
    case DayKind::closure: return "local closure (off)";
    case DayKind::extra_working: return "extra working day (worked)";
    default: return "";
  }
}

// The line under an answer that depends on a provisional year.
std::string provisional_note(const Calendar& cal) {
  return "* provisional: after " + std::to_string(cal.last_year()) + "-12-31 calendar '" + cal.id() +
         "' counts only weekends and the statutory holidays (the make-up days are not yet published)";
}

// Whether an answer spanning lo..hi counted a day outside the calendar's
// counted years by weekends only (--weekend-fallback): an estimate, marked.
bool by_weekends(const Calendar& cal, Date lo, Date hi) {
  if (hi < lo) std::swap(lo, hi);
  return lo.year() < cal.first_year() || hi.year() > cal.last_counted_year();
}

std::string weekends_note(const Calendar& cal) {
  return "* estimate: days outside the years calendar '" + cal.id() +
         "' counts were counted by weekends only (--weekend-fallback), without holidays or make-up days";
}

const char* const kWeekdayShort[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
const char* const kWeekdayCn[7] = {"一", "二", "三", "四", "五", "六", "日"};

int run_add(const CalendarArgs& a) {
  Date d = Date::parse(a.positional.at(0));
  long n = parse_count(a.positional.at(1));
  auto cal = open_calendar(a);
  Date r = cal->add(d, n);
  const bool provisional = cal->is_provisional(d) || cal->is_provisional(r);
  const bool estimate = by_weekends(*cal, d, r);
  if (a.format == "json") {
    nlohmann::ordered_json j = {{"calendar", cal->id()}, {"version", cal->version()}, {"date", d.str()},
                                {"working_days", n}, {"result", r.str()}, {"provisional", provisional},
                                {"weekend_fallback", estimate}};
    std::cout << j.dump(2) << "\n";
  } else {
    // (An estimate by weekends only is said on stderr, by the calendar's
    // warning: the answer stays alone on its line for scripts.)
    std::cout << r.str() << (provisional ? " *" : "") << "\n";
    if (provisional) std::cout << provisional_note(*cal) << "\n";
  }
  return 0;
}

int run_between(const CalendarArgs& a) {
  Date from = Date::parse(a.positional.at(0));
  Date to = Date::parse(a.positional.at(1));
  auto cal = open_calendar(a);
  long n = cal->between(from, to);
  const bool provisional = cal->is_provisional(std::max(from, to));  // a day counted lies in such a year
  const bool estimate = by_weekends(*cal, from, to);
  if (a.format == "json") {
    nlohmann::ordered_json j = {{"calendar", cal->id()}, {"version", cal->version()}, {"from", from.str()},
                                {"to", to.str()}, {"working_days", n}, {"provisional", provisional},
                                {"weekend_fallback", estimate}};
    std::cout << j.dump(2) << "\n";
  } else {
    // (An estimate by weekends only is said on stderr, by the calendar's
    // warning: the answer stays alone on its line for scripts.)
    std::cout << n << (provisional ? " *" : "") << "\n";
    if (provisional) std::cout << provisional_note(*cal) << "\n";
  }
  return 0;
}

Date parse_month(const std::string& text) {
  bool ok = text.size() == 7 && text[4] == '-';
  for (std::size_t i : {0, 1, 2, 3, 5, 6}) ok = ok && i < text.size() && text[i] >= '0' && text[i] <= '9';
  if (!ok)
    throw Error(Error::Code::invalid_argument,
                "invalid month '" + text + "': expected YYYY-MM, for example 2026-02");
  try {
    return Date::from_ymd(std::stoi(text.substr(0, 4)), std::stoi(text.substr(5, 2)), 1);
  } catch (const Error& e) {
    throw Error(Error::Code::invalid_argument, "invalid month '" + text + "': " + e.what());
  }
}

int run_show(const CalendarArgs& a) {
  Date first = parse_month(a.positional.at(0));
  auto cal = open_calendar(a);
  std::vector<Date> days;
  for (Date d = first; d.month() == first.month(); d = d + 1) days.push_back(d);
  std::vector<DayKind> kinds;
  std::vector<std::string> labels;
  int working = 0;
  for (Date d : days) {
    kinds.push_back(cal->kind(d));
    labels.push_back(cal->label(d));
    working += cal->is_working_day(d) ? 1 : 0;
  }
  const std::string month = a.positional.at(0);

  if (a.format == "json") {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < days.size(); ++i)
      list.push_back({{"date", days[i].str()},
                      {"weekday", days[i].weekday()},
                      {"kind", kind_name(kinds[i])},
                      {"working", cal->is_working_day(days[i])},
                      {"label", labels[i]},
                      {"provisional", cal->is_provisional(days[i])}});
    nlohmann::ordered_json j = {{"calendar", cal->id()}, {"version", cal->version()}, {"month", month},
                                {"working_days", working}, {"provisional", cal->is_provisional(first)},
                                {"weekend_fallback", by_weekends(*cal, first, first)}, {"days", list}};
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  // Each cell: the day number in two columns and a two-column mark; two
  // spaces between cells. The weekday heads sit over the day numbers.
  constexpr std::size_t kCell = 4;
  const std::string gap = "  ";
  std::string out;
  out += std::to_string(first.year()) + "年" + std::to_string(first.month()) + "月  " + month + "  calendar " +
         cal->id() + " (" + cal->name() + ", data version " + cal->version() + ")\n";
  for (int w = 0; w < 7; ++w) {
    std::string head = jointreview::pad_display(kWeekdayCn[w], kCell);
    if (w == 6) while (!head.empty() && head.back() == ' ') head.pop_back();
    out += head + (w < 6 ? gap : "\n");
  }
  std::string line;
  int col = days.front().weekday() - 1;
  for (int k = 0; k < col; ++k) line += std::string(kCell, ' ') + gap;
  for (std::size_t i = 0; i < days.size(); ++i) {
    std::string cell = jointreview::pad_display(std::to_string(days[i].day()), 2, true) + kind_mark(kinds[i]);
    line += jointreview::pad_display(cell, kCell);
    if (days[i].weekday() == 7 || i + 1 == days.size()) {
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
      line.clear();
    } else {
      line += gap;
    }
  }

  // Legend for the marks, then the marked days, runs of equal days merged.
  out += "\n";
  for (DayKind k : {DayKind::holiday, DayKind::makeup, DayKind::closure, DayKind::extra_working}) {
    bool used = false;
    for (DayKind x : kinds) used = used || x == k;
    if (used || k == DayKind::holiday || k == DayKind::makeup)
      out += std::string(kind_mark(k)) + " " + kind_legend(k) + "\n";
  }
  std::vector<std::string> left;
  std::vector<std::string> right;
  for (std::size_t i = 0; i < days.size();) {
    if (std::string(kind_mark(kinds[i])).empty()) { ++i; continue; }
    std::size_t j = i;
    while (j + 1 < days.size() && kinds[j + 1] == kinds[i] && labels[j + 1] == labels[i]) ++j;
    std::string span = days[i].str() + " " + kWeekdayShort[days[i].weekday() - 1];
    if (j > i) span += " .. " + days[j].str() + " " + kWeekdayShort[days[j].weekday() - 1];
    left.push_back(span);
    right.push_back(std::string(kind_mark(kinds[i])) + " " + labels[i]);
    i = j + 1;
  }
  if (!left.empty()) {
    out += "\n";
    std::size_t width = 0;
    for (const auto& s : left) width = std::max(width, jointreview::display_width(s));
    for (std::size_t i = 0; i < left.size(); ++i) out += jointreview::pad_display(left[i], width) + "  " + right[i] + "\n";
  }
  const bool provisional = cal->is_provisional(first);
  const bool estimate = by_weekends(*cal, first, first);
  out += "\nworking days in " + month + ": " + std::to_string(working) + (provisional || estimate ? " *" : "") + "\n";
  if (provisional) out += provisional_note(*cal) + "\n";
  if (estimate) out += weekends_note(*cal) + "\n";
  std::cout << out;
  return 0;
}

// The database's copies (jreview calendar list --db DB).
int run_list_db(const CalendarArgs& a) {
  EngineFlags f;
  f.db = a.db;
  f.now = a.now;
  f.weekend_fallback = a.fallback;
  f.strict_calendar = a.strict;
  if (!std::filesystem::exists(a.db)) {
    std::cerr << "jreview: error: no database " << a.db << " (list --db reads an existing one)\n";
    return 2;
  }
  std::vector<jointreview::StoredCalendar> all;
  try {
    all = open_engine(f)->calendars();
  } catch (const Error& e) {
    return error_exit(e);
  }
  if (a.format == "json") {
    std::cout << jointreview::stored_calendars_json(all) << "\n";
    return 0;
  }
  if (all.empty()) {
    std::cout << "the database " << a.db << " holds no calendar yet: one is stored when an instance first counts with it\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows{{"ID", "VERSION", "YEARS", "PROVISIONAL", "INSTANCES", "STORED", "SOURCE"}};
  for (const auto& c : all) {
    std::string versions;
    for (const auto& v : c.versions) versions += (versions.empty() ? "" : ", ") + v;
    rows.push_back({c.id, c.version, std::to_string(c.first_year) + "-" + std::to_string(c.last_year),
                    c.provisional_until > c.last_year ? "to " + std::to_string(c.provisional_until) : "none",
                    std::to_string(c.instances) + " (" + std::to_string(c.running) + " running)", c.stored, c.source});
  }
  std::cout << jointreview::align_columns(rows);
  for (const auto& c : all)
    if (c.versions.size() > 1) {
      std::string versions;
      for (const auto& v : c.versions) versions += (versions.empty() ? "" : " -> ") + v;
      std::cout << c.id << ": versions held " << versions << "\n";
    }
  return 0;
}

int run_list(const CalendarArgs& a) {
  if (!a.db.empty()) return run_list_db(a);
  jointreview::LoadOptions lo;
  lo.calendar_dirs = a.dirs;
  std::vector<std::string> ids = jointreview::known_calendars("", lo);
  nlohmann::ordered_json j = nlohmann::ordered_json::array();
  std::vector<std::vector<std::string>> rows;
  int status = 0;
  for (const auto& id : ids) {
    CalendarArgs one = a;
    one.calendar = id;
    try {
      auto cal = open_calendar(one);
      std::string years = std::to_string(cal->first_year()) + "-" + std::to_string(cal->last_year());
      j.push_back({{"id", cal->id()}, {"name", cal->name()}, {"version", cal->version()},
                   {"first_year", cal->first_year()}, {"last_year", cal->last_year()}});
      rows.push_back({cal->id(), years, cal->version(), cal->name()});
    } catch (const Error& e) {
      std::cerr << "jreview: error: " << in_flags(e.what()) << "\n";
      status = 1;
    }
  }
  if (a.format == "json") {
    std::cout << j.dump(2) << "\n";
    return status;
  }
  rows.insert(rows.begin(), {"ID", "YEARS", "VERSION", "NAME"});
  std::cout << jointreview::align_columns(rows);
  return status;
}

// jreview calendar update FILE [--db DB]: the database's copy of the
// calendar FILE declares replaced by FILE, a newer version, and every
// pending deadline of its running instances derived again.
// Exit status: 0 updated (or already this data), 2 a file or database that
// cannot be used, 3 refused (an id the database does not hold, an older
// version, the same version with other data).
struct UpdateArgs {
  EngineFlags e;
  std::string file;
  std::string format = "text";
};

int run_update(const UpdateArgs& a) {
  if (!std::filesystem::exists(a.e.db)) {
    std::cerr << "jreview: error: no database " << a.e.db << " (update changes an existing one; --db names it)\n";
    return 2;
  }
  jointreview::CalendarUpdate u;
  try {
    u = open_engine(a.e)->update_calendar(a.file);
  } catch (const Error& e) {
    const std::string msg = in_flags(e.what());
    if (msg.find(": error: ") != std::string::npos) {  // FILE:LINE:COLUMN: error: ...
      std::cerr << msg << "\n";
      return 2;
    }
    return error_exit(e);
  }
  if (a.format == "json") {
    std::cout << jointreview::calendar_update_json(u) << "\n";
    return 0;
  }
  if (!u.changed) {
    std::cout << "calendar " << u.id << ": the database " << a.e.db << " already holds version " << u.old_version
              << " with this data; nothing changed\n";
    return 0;
  }
  std::cout << "calendar " << u.id << ": data version " << u.old_version << " -> " << u.new_version << " (from "
            << a.file << ")\n";
  std::cout << u.instances << " running instance" << (u.instances == 1 ? "" : "s")
            << " re-derived, one calendar-changed event each; " << u.changes.size() << " deadline"
            << (u.changes.size() == 1 ? "" : "s") << " moved\n";
  if (u.changes.empty()) return 0;
  std::vector<std::vector<std::string>> rows{{"INSTANCE", "STEP", "WHAT", "FROM", "TO"}};
  bool any_provisional = false;
  for (const auto& c : u.changes) {
    any_provisional = any_provisional || c.from_provisional || c.to_provisional;
    rows.push_back({c.instance, c.step.empty() ? "(project)" : c.step, c.what,
                    c.from.empty() ? "-" : dated(c.from, c.from_provisional),
                    c.to.empty() ? "-" : dated(c.to, c.to_provisional)});
  }
  std::cout << jointreview::align_columns(rows);
  if (any_provisional) std::cout << kProvisionalNote;
  return 0;
}

// jreview calendar import NOTICE [--calendar ID] [-o FILE]: the State
// Council's yearly notice as calendar data, printed as the year's entry of a
// calendar file's `years:`, or written into FILE, the file of calendar ID.
// Exit status: 0 done, 1 the notice or the calendar file has problems
// (FILE:LINE:COLUMN lines), 2 a file that cannot be read or written.
struct ImportArgs {
  std::string notice;
  std::string calendar = "cn";
  std::string output;
};

// The library's reader: a regular file of at most 16 MiB, never a FIFO or a device.
std::optional<std::string> read_whole(const std::string& path, std::string& why) {
  std::string text;
  if (!jointreview::read_input_file(path, text, why)) return std::nullopt;
  return text;
}

int run_import(const ImportArgs& a) {
  std::string why;
  const auto notice = read_whole(a.notice, why);
  if (!notice) {
    std::cerr << "jreview: error: cannot read the notice '" << a.notice << "': " << why << "\n";
    return 2;
  }
  try {
    const auto year = jointreview::parse_holiday_notice(*notice, a.notice);
    if (a.output.empty()) {
      std::cout << jointreview::notice_year_yaml(year);
      return 0;
    }
    const auto old = read_whole(a.output, why);
    if (!old) {
      std::cerr << "jreview: error: cannot read calendar file '" << a.output << "': " << why
                << "; -o names an existing calendar file to write the year into; without -o the year is printed\n";
      return 2;
    }
    // Built in full before the file is opened: a refusal leaves it as it was.
    std::string text = jointreview::calendar_text_with_year(*old, a.output, year, a.calendar);
    // A year newer than the file's version (2027 into 2026.1) raises it to
    // 2027.1, so that `calendar update` takes the file for what it is; a
    // correction of a year already there is left to the editor.
    CalendarOptions check;
    check.strict = true;
    const std::string was = Calendar::from_yaml(*old, a.output, check)->version();
    const std::string raised = std::to_string(year.year) + ".1";
    const bool raise = jointreview::compare_calendar_versions(was, raised) < 0;
    if (raise) text = jointreview::calendar_text_with_version(text, a.output, raised);
    std::ofstream out(a.output, std::ios::binary | std::ios::trunc);
    if (out) out << text;
    if (!out) {
      std::cerr << "jreview: error: cannot write '" << a.output << "'\n";
      return 2;
    }
    std::cout << "wrote " << year.year << " into " << a.output << ": " << year.holidays.size() << " holidays, "
              << year.makeup_days.size() << " make-up days, " << year.working_days << " working days; "
              << (raise ? "version " + was + " -> " + raised + "; carry it into a database with `jreview calendar update " +
                              a.output + " --db DB`\n"
                        : std::string("raise the file's 'version' before publishing it\n"));
    return 0;
  } catch (const Error& e) {
    const std::string msg = e.what();
    // The library's refusals here are FILE:LINE:COLUMN lines already.
    std::cerr << (msg.find(": error: ") != std::string::npos ? "" : "jreview: error: ") << msg << "\n";
    return 1;
  }
}

// Runs a calendar command, turning refusals into messages and exit codes.
int guarded(int (*fn)(const CalendarArgs&), const CalendarArgs& a) {
  try {
    return fn(a);
  } catch (const Error& e) {
    std::string msg = in_flags(e.what());
    // Problems in calendar files already read "FILE:LINE:COLUMN: error: ...".
    if (msg.find(": error: ") != std::string::npos) std::cerr << msg << "\n";
    else std::cerr << "jreview: error: " << msg << "\n";
    return e.code() == Error::Code::invalid_argument && msg.find(": error: ") == std::string::npos ? 2 : 1;
  }
}

void common_options(CLI::App* sub, const std::shared_ptr<CalendarArgs>& o, bool json) {
  sub->add_option("--calendar", o->calendar, "calendar id (default cn); see `jreview calendar list`");
  sub->add_option("--calendar-dir", o->dirs, "also look for ID.yaml in this folder (searched first; repeatable)");
  sub->add_flag("--weekend-fallback", o->fallback,
                "outside the calendar's years count weekends only (with a warning) instead of refusing");
  sub->add_flag("--strict-calendar", o->strict,
                "no provisional years: a date after the published years is refused (or, with --weekend-fallback, "
                "counted with weekends only)");
  if (json)
    sub->add_option("--format", o->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
}

void add_calendar(CLI::App& app, Runner& run) {
  auto* cal = app.add_subcommand("calendar", "Working days: add, between, show a month, list calendars; import a "
                                             "holiday notice, update a database's copy");
  cal->require_subcommand(1);

  auto o_add = std::make_shared<CalendarArgs>();
  auto* add = cal->add_subcommand("add", "The date N working days after DATE (the start day is not counted)");
  add->add_option("date", o_add->positional, "DATE (YYYY-MM-DD) and N (working days; 0 = DATE or the next "
                                             "working day; negative = before DATE)")
      ->expected(2)
      ->required();
  common_options(add, o_add, true);
  add->callback([o_add, &run] { run = [o_add] { return guarded(run_add, *o_add); }; });

  auto o_btw = std::make_shared<CalendarArgs>();
  auto* btw = cal->add_subcommand("between", "Working days d with FROM < d <= TO (negative when TO < FROM)");
  btw->add_option("dates", o_btw->positional, "FROM and TO (YYYY-MM-DD)")->expected(2)->required();
  common_options(btw, o_btw, true);
  btw->callback([o_btw, &run] { run = [o_btw] { return guarded(run_between, *o_btw); }; });

  auto o_show = std::make_shared<CalendarArgs>();
  auto* show = cal->add_subcommand("show", "A month grid with holidays (休) and make-up working days (班) marked");
  show->add_option("month", o_show->positional, "the month, YYYY-MM")->expected(1)->required();
  common_options(show, o_show, true);
  show->callback([o_show, &run] { run = [o_show] { return guarded(run_show, *o_show); }; });

  auto o_list = std::make_shared<CalendarArgs>();
  auto* list = cal->add_subcommand("list", "The calendars found, with the years they cover (with --db: the "
                                            "copies a database holds)");
  common_options(list, o_list, true);
  list->add_option("--db", o_list->db, "list the calendars this database holds instead, with their instances");
  list->add_option("--now", o_list->now, "with --db: act as if the local time were this (as for `status`)");
  list->callback([o_list, &run] { run = [o_list] { return guarded(run_list, *o_list); }; });

  auto o_up = std::make_shared<UpdateArgs>();
  auto* up = cal->add_subcommand("update", "Replace a database's copy of a calendar with a newer version of its "
                                           "file; every pending deadline of its running instances is derived again");
  up->add_option("file", o_up->file, "the calendar file (ID.yaml) with the newer data version")->required();
  add_engine_flags(up, o_up->e);
  up->add_option("--format", o_up->format, "text (default) or json")->check(CLI::IsMember({"text", "json"}));
  up->callback([o_up, &run] { run = [o_up] { return run_update(*o_up); }; });

  auto o_imp = std::make_shared<ImportArgs>();
  auto* imp = cal->add_subcommand("import", "The State Council's yearly holiday notice as calendar data: printed, "
                                            "or written into a calendar file with -o");
  imp->add_option("notice", o_imp->notice, "the notice's text (国务院办公厅关于YYYY年部分节假日安排的通知), UTF-8")
      ->required();
  imp->add_option("--calendar", o_imp->calendar, "the calendar the year is for (default cn); -o FILE must be its file");
  imp->add_option("-o,--output", o_imp->output,
                  "write the year into this calendar file (replacing the year, or adding it) instead of printing it");
  imp->callback([o_imp, &run] { run = [o_imp] { return run_import(*o_imp); }; });
}

}  // namespace

JREVIEW_COMMAND(30, add_calendar);

}  // namespace jreview

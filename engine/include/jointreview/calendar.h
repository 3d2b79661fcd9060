// Working-day calendars (法定工作日): weekends off unless they are make-up
// working days (调休), statutory holidays off. Calendars are data files
// (workflows/calendars/ID.yaml), versioned, each covering a set of years.
//
// Counting follows the Administrative Licensing Law: the day on which a
// period starts is not counted.
//   add(D, n), n >= 1: the n-th working day strictly after D
//   add(D, 0):         D if it is a working day, else the next working day
//   between(A, B):     the number of working days d with A < d <= B
//                      (negative when B < A)
// add and between are O(1): a prefix count of working days per date.
#pragma once

#include "jointreview/export.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace jointreview {

// A civil date in the proleptic Gregorian calendar, stored as days since
// 1970-01-01. Cheap to copy and compare.
class JR_EXPORT Date {
 public:
  Date() = default;
  static Date from_ymd(int year, int month, int day);  // throws Error(invalid_argument) if invalid
  static Date from_days(std::int32_t days_since_epoch) { Date d; d.days_ = days_since_epoch; return d; }
  // Parses "YYYY-MM-DD"; throws Error(invalid_argument) with the reason.
  static Date parse(const std::string& text);
  static std::optional<Date> try_parse(const std::string& text);

  int year() const;
  int month() const;
  int day() const;
  int weekday() const;  // 1 = Monday ... 7 = Sunday (ISO)
  std::int32_t days() const { return days_; }
  std::string str() const;  // "YYYY-MM-DD"

  Date operator+(int n) const { return from_days(days_ + n); }
  Date operator-(int n) const { return from_days(days_ - n); }
  int operator-(Date o) const { return days_ - o.days_; }
  auto operator<=>(const Date&) const = default;

 private:
  std::int32_t days_ = 0;
};

struct CalendarOptions {
  // Folders searched for ID.yaml, most specific first. Empty: the bundled
  // calendars (see workflow_calendar_path below).
  std::vector<std::string> search_path;
  // Years after the published ones, when the calendar names statutory
  // holiday data (`statutory:`): false (default) = counted provisionally,
  // with weekends and the holidays the national regulation fixes (no make-up
  // or bridging days), each such date reported as provisional
  // (Calendar::is_provisional); true = not counted: they are outside the
  // covered years like any other.
  bool strict = false;
  // Outside the years counted (published or provisional): false (default) =
  // throw Error(out_of_range); true = count weekends only, with a warning
  // (on_warning) once per year.
  bool weekend_fallback = false;
  // Where warnings go, one line each without a newline (the years counted
  // by weekends only ...). Empty (default): nowhere; the library itself
  // never writes to stdout or stderr. `jreview` installs one that prints
  // "jreview: warning: ..." on stderr.
  std::function<void(const std::string&)> on_warning;
};

// What kind of day a date is in a calendar.
enum class DayKind {
  workday,        // an ordinary Monday to Friday
  weekend,        // an ordinary Saturday or Sunday (off)
  holiday,        // a statutory holiday (off)
  makeup,         // a weekend day that is a make-up working day (调休上班)
  closure,        // a local closure declared in the calendar (off)
  extra_working,  // a local extra working day on a day otherwise off
};

class JR_EXPORT Calendar {
 public:
  // Loads calendar `id` (and what it extends). Throws Error(not_found) when
  // no file exists, Error(invalid_argument) with FILE:LINE:COLUMN for a bad file.
  static std::shared_ptr<const Calendar> load(const std::string& id, const CalendarOptions& options = {});
  // From YAML text (for tests and embedding); `name` is used in messages.
  static std::shared_ptr<const Calendar> from_yaml(const std::string& text, const std::string& name,
                                                   const CalendarOptions& options = {});

  virtual ~Calendar() = default;
  virtual const std::string& id() const = 0;
  virtual const std::string& name() const = 0;     // human title
  virtual const std::string& version() const = 0;  // data version
  virtual int first_year() const = 0;              // the published years, inclusive
  virtual int last_year() const = 0;
  virtual bool covers(Date d) const = 0;           // d lies in a published year
  // The years after the published ones that are counted provisionally (see
  // CalendarOptions::strict) end with this one; last_year() when none.
  virtual int last_counted_year() const = 0;
  // d lies in a provisional year: its working days are an estimate until
  // the State Council's notice for the year is added to the calendar.
  virtual bool is_provisional(Date d) const = 0;

  virtual bool is_working_day(Date d) const = 0;
  // Why a day is off or on: "" for an ordinary day, else the holiday name or
  // "调休上班" for a make-up working day, or a local closure's reason.
  virtual std::string label(Date d) const = 0;
  virtual bool is_makeup_day(Date d) const = 0;
  // The kind of day; outside the covered years (with weekend_fallback) only
  // workday or weekend.
  virtual DayKind kind(Date d) const = 0;

  virtual Date add(Date d, long n) const = 0;
  virtual long between(Date a, Date b) const = 0;
  // add() for fractional working days: the date on which offset t (>= 0)
  // falls, i.e. add(d, ceil(t)).
  Date add_fractional(Date d, double t) const;
  // Working days in a year (248 for cn 2025 and 2026).
  virtual int working_days_in_year(int year) const = 0;
};

// Compares two calendar data versions ("2026.1" < "2026.2" < "2027.1"):
// dot-separated parts, numerically where both are numbers, else as text; a
// missing part counts as 0. Returns <0, 0 or >0.
JR_EXPORT int compare_calendar_versions(const std::string& a, const std::string& b);

// ISO 8601 weeks: "2026-W12" for the week of a date (Monday to Sunday);
// the Monday of a week written YYYY-Www. Throws Error(invalid_argument)
// for a malformed week or one the year does not have.
JR_EXPORT std::string iso_week(Date d);
JR_EXPORT Date iso_week_monday(const std::string& week);

struct Workflow;

// Folders searched for calendar files, most specific first: the
// `calendars/` folder beside the workflow file (when a path is given), then
// `extra_dirs`, then the folders of $JREVIEW_CALENDAR_PATH (colon-separated),
// then the bundled calendars.
JR_EXPORT std::vector<std::string> workflow_calendar_path(const std::string& workflow_path,
                                                const std::vector<std::string>& extra_dirs = {});

// The calendar ids (ID.yaml file names) found in these folders, sorted.
JR_EXPORT std::vector<std::string> calendar_ids(const std::vector<std::string>& dirs);

// The working-day calendar a workflow names (`calendar:`, default "cn"):
// looked up beside the workflow file first (workflow_calendar_path), unless
// `options.search_path` is set. Throws Error like Calendar::load.
JR_EXPORT std::shared_ptr<const Calendar> load_workflow_calendar(const Workflow& wf, CalendarOptions options = {});

// ---------------------------------------------------------------------------
// The State Council's yearly notice (国务院办公厅关于YYYY年部分节假日安排的通知),
// read as published and turned into calendar data: `jreview calendar import`,
// docs/calendar.md#importing-the-state-councils-notice.
// ---------------------------------------------------------------------------

// A holiday of the notice: its name as written (元旦, 国庆节、中秋节) and its
// days, both ends included (from == to for a one-day holiday).
struct NoticeHoliday {
  std::string name;
  Date from, to;
};

// A make-up working day (调休上班) and the holiday whose paragraph lists it.
struct NoticeMakeupDay {
  Date date;
  std::string holiday;
};

struct NoticeYear {
  int year = 0;                              // from the title
  std::string source;                        // the title
  std::vector<NoticeHoliday> holidays;       // in the notice's order
  std::vector<NoticeMakeupDay> makeup_days;  // in the notice's order
  // The year's working days by these dates: Monday to Friday not holidays,
  // plus the make-up days.
  int working_days = 0;
};

// Reads the text of a notice. Every problem of it (a line that does not
// parse, a weekday that does not match its date, a 共N天 that does not match
// its range, a make-up day on a weekday or inside a holiday, no title) in
// one Error(invalid_argument), one "FILE:LINE:COLUMN: error: ..." line each
// (`file_name` as given; columns count characters).
JR_EXPORT NoticeYear parse_holiday_notice(const std::string& text, const std::string& file_name);

// The year as an entry of a calendar file's `years:` mapping, in the style
// of workflows/calendars/cn.yaml ("  2026:\n    source: ...").
JR_EXPORT std::string notice_year_yaml(const NoticeYear& year);

// The text of a calendar file with the year written into its `years:`: the
// entry of that year replaced, or a new one added before the first or after
// the last year; every other line stays as it is, comments included. Refused
// with Error(invalid_argument), as "FILE:LINE:COLUMN: error: ..." lines, when
// the file is not calendar `calendar_id`, extends another calendar, would
// leave a gap between years, or would not load with the year in it.
JR_EXPORT std::string calendar_text_with_year(const std::string& calendar_text, const std::string& file_name,
                                              const NoticeYear& year, const std::string& calendar_id = "cn");

// The text of a calendar file with its top-level `version:` set to
// `version` (quoted; a comment after it kept); every other line as it is.
// Error(invalid_argument) as "FILE:LINE:COLUMN: error: ..." when the file
// has no `version:` line of its own. `jreview calendar import -o` raises the
// version with it to YYYY.1 when it writes a year newer than the version.
JR_EXPORT std::string calendar_text_with_version(const std::string& calendar_text, const std::string& file_name,
                                                 const std::string& version);

}  // namespace jointreview

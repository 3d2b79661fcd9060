// The working-day calendar: dates, the cn data for 2025 and 2026 (every
// holiday and make-up day), the counting convention of the Administrative
// Licensing Law, the out-of-range policy, calendar files with errors and
// local closures, and the `jreview calendar` command.
//
// Expected values are worked out by hand from the State Council notices;
// the weekday of each date is noted beside it.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "jointreview/calendar.h"
#include "jointreview/error.h"

namespace fs = std::filesystem;
using jointreview::Calendar;
using jointreview::CalendarOptions;
using jointreview::Date;
using jointreview::DayKind;
using jointreview::Error;

namespace {

Date D(const char* s) { return Date::parse(s); }

std::string bundled_dir() { return std::string(JR_SOURCE_DIR) + "/workflows/calendars"; }

std::shared_ptr<const Calendar> cn() {
  static auto cal = Calendar::load("cn");
  return cal;
}

// The Error code thrown by f, or 0 when nothing was thrown.
template <class F>
int code_of(F&& f, std::string* what = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (what) *what = e.what();
    return static_cast<int>(e.code());
  }
  return 0;
}
constexpr int kInvalid = static_cast<int>(Error::Code::invalid_argument);
constexpr int kNotFound = static_cast<int>(Error::Code::not_found);
constexpr int kOutOfRange = static_cast<int>(Error::Code::out_of_range);

// A fresh folder under the system temp folder, removed at scope exit.
struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& tag) {
    path = fs::temp_directory_path() / ("jr_calendar_test_" + tag + "_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
  }
};

struct Run {
  int status = -1;
  std::string out, err;
};

// Runs jreview with `args` (already shell-quoted where needed).
Run jreview(const std::string& args) {
  static int counter = 0;
  fs::path err_file = fs::temp_directory_path() /
                      ("jr_calendar_cli_" + std::to_string(::getpid()) + "_" + std::to_string(++counter) + ".err");
  std::string cmd = std::string("'") + JR_JREVIEW_BIN + "' " + args + " 2>'" + err_file.string() + "'";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err_file, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  fs::remove(err_file);
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------
// Dates
// ---------------------------------------------------------------------------

TEST_CASE("dates parse, print and know their weekday", "[calendar]") {
  CHECK(Date::from_days(0).str() == "1970-01-01");
  CHECK(Date::from_days(0).weekday() == 4);  // a Thursday
  CHECK(D("2026-02-14").weekday() == 6);     // Saturday
  CHECK(D("2026-02-15").weekday() == 7);     // Sunday
  CHECK(D("2026-02-16").weekday() == 1);     // Monday
  CHECK(D("2024-02-29").str() == "2024-02-29");
  CHECK(D("2000-02-29").day() == 29);
  CHECK(D("0001-01-01").str() == "0001-01-01");
  CHECK(D("9999-12-31").str() == "9999-12-31");
  CHECK(D("2026-03-01") - D("2026-02-28") == 1);
  CHECK(D("2025-01-01") + 365 == D("2026-01-01"));
  Date d = D("2026-10-08");
  CHECK(d.year() == 2026);
  CHECK(d.month() == 10);
  CHECK(d.day() == 8);
  CHECK(D("2025-12-31") < D("2026-01-01"));
}

TEST_CASE("every day of 1900..2100 survives a round trip", "[calendar]") {
  Date d = Date::from_ymd(1900, 1, 1);
  int weekday = 1;  // 1900-01-01 was a Monday
  for (int i = 0; i < 73414; ++i, d = d + 1) {
    REQUIRE(Date::from_ymd(d.year(), d.month(), d.day()) == d);
    REQUIRE(Date::parse(d.str()) == d);
    REQUIRE(d.weekday() == weekday);
    weekday = weekday % 7 + 1;
  }
}

TEST_CASE("bad dates are refused with the reason", "[calendar]") {
  std::string why;
  CHECK(code_of([] { Date::parse("2026-02-30"); }, &why) == kInvalid);
  CHECK(why == "invalid date '2026-02-30': day 30 does not exist: February 2026 has 28 days");
  CHECK(code_of([] { Date::parse("2025-02-29"); }, &why) == kInvalid);
  CHECK(why == "invalid date '2025-02-29': day 29 does not exist: February 2025 has 28 days");
  CHECK(code_of([] { Date::parse("garbage"); }, &why) == kInvalid);
  CHECK(why == "invalid date 'garbage': expected a date as YYYY-MM-DD, for example 2026-02-14");
  CHECK(code_of([] { Date::parse("2026-13-01"); }, &why) == kInvalid);
  CHECK(why == "invalid date '2026-13-01': month 13 does not exist (1..12)");
  CHECK(code_of([] { Date::parse("0000-01-01"); }) == kInvalid);
  CHECK(code_of([] { Date::parse("2026-2-14"); }) == kInvalid);
  CHECK(code_of([] { Date::parse(""); }) == kInvalid);
  CHECK(code_of([] { Date::parse("2026-02-14 "); }) == kInvalid);
  CHECK(code_of([] { Date::parse("２０２６-02-14"); }) == kInvalid);
  CHECK(code_of([] { Date::from_ymd(1900, 2, 29); }) == kInvalid);
  CHECK_FALSE(Date::try_parse("2026-04-31").has_value());
  CHECK(Date::try_parse("2026-04-30") == D("2026-04-30"));
}

// ---------------------------------------------------------------------------
// The cn calendar, 2025 and 2026
// ---------------------------------------------------------------------------

TEST_CASE("cn covers 2025 and 2026 with 248 working days each", "[calendar]") {
  auto cal = cn();
  CHECK(cal->id() == "cn");
  CHECK(cal->name() == "中国大陆法定节假日与调休");
  CHECK_FALSE(cal->version().empty());
  CHECK(cal->first_year() == 2025);
  CHECK(cal->last_year() == 2026);
  CHECK(cal->working_days_in_year(2025) == 248);
  CHECK(cal->working_days_in_year(2026) == 248);
  CHECK(cal->between(D("2024-12-31"), D("2025-12-31")) == 248);
  CHECK(cal->between(D("2025-12-31"), D("2026-12-31")) == 248);
  CHECK(cal->covers(D("2025-01-01")));
  CHECK(cal->covers(D("2026-12-31")));
  CHECK_FALSE(cal->covers(D("2024-12-31")));
  CHECK_FALSE(cal->covers(D("2027-01-01")));
}

namespace {
// One holiday: its name and days, the last working day before it, and the
// first working day after it.
struct Holiday {
  const char* name;
  const char* first;
  const char* last;
  const char* before;
  const char* after;
  long between_before_after;  // working days in (before, after]
};
}  // namespace

TEST_CASE("every 2025 and 2026 holiday: the days around it", "[calendar]") {
  const std::vector<Holiday> holidays = {
      // 2025
      {"元旦", "2025-01-01", "2025-01-01", "2024-12-31", "2025-01-02", 1},            // Wed; Tue before, Thu after
      {"春节", "2025-01-28", "2025-02-04", "2025-01-27", "2025-02-05", 1},            // Tue..Tue; Mon, Wed
      {"清明节", "2025-04-04", "2025-04-06", "2025-04-03", "2025-04-07", 1},          // Fri..Sun; Thu, Mon
      {"劳动节", "2025-05-01", "2025-05-05", "2025-04-30", "2025-05-06", 1},          // Thu..Mon; Wed, Tue
      {"端午节", "2025-05-31", "2025-06-02", "2025-05-30", "2025-06-03", 1},          // Sat..Mon; Fri, Tue
      {"国庆节、中秋节", "2025-10-01", "2025-10-08", "2025-09-30", "2025-10-09", 1},  // Wed..Wed; Tue, Thu
      // 2026
      {"元旦", "2026-01-01", "2026-01-03", "2025-12-31", "2026-01-04", 1},    // Thu..Sat; Wed, Sun (make-up)
      {"春节", "2026-02-15", "2026-02-23", "2026-02-14", "2026-02-24", 1},    // Sun..Mon; Sat (make-up), Tue
      {"清明节", "2026-04-04", "2026-04-06", "2026-04-03", "2026-04-07", 1},  // Sat..Mon; Fri, Tue
      {"劳动节", "2026-05-01", "2026-05-05", "2026-04-30", "2026-05-06", 1},  // Fri..Tue; Thu, Wed
      {"端午节", "2026-06-19", "2026-06-21", "2026-06-18", "2026-06-22", 1},  // Fri..Sun; Thu, Mon
      {"中秋节", "2026-09-25", "2026-09-27", "2026-09-24", "2026-09-28", 1},  // Fri..Sun; Thu, Mon
      {"国庆节", "2026-10-01", "2026-10-07", "2026-09-30", "2026-10-08", 1},  // Thu..Wed; Wed, Thu
  };
  auto cal = cn();
  for (const auto& h : holidays) {
    INFO(h.name << " " << h.first << " .. " << h.last);
    Date first = D(h.first), last = D(h.last), before = D(h.before), after = D(h.after);
    if (cal->covers(before)) CHECK(cal->is_working_day(before));
    CHECK(cal->is_working_day(after));
    for (Date d = first; d <= last; d = d + 1) {
      CHECK_FALSE(cal->is_working_day(d));
      CHECK(cal->kind(d) == DayKind::holiday);
      CHECK(cal->label(d) == h.name);
    }
    if (cal->covers(first - 1)) CHECK(cal->label(first - 1) != h.name);
    CHECK(cal->label(last + 1) != h.name);
    // Across the holiday: one working day after the day before is the day after.
    CHECK(cal->add(before, 1) == after);
    CHECK(cal->between(before, after) == h.between_before_after);
    CHECK(cal->between(before, last) == 0);
    // Starting on a holiday day: add(.., 0) moves to the next working day,
    // and one working day after any holiday day is the first day after it.
    CHECK(cal->add(first, 0) == after);
    CHECK(cal->add(last, 0) == after);
    CHECK(cal->add(first, 1) == after);
    CHECK(cal->add(last, 1) == after);
    CHECK(cal->between(first, after) == 1);
    // Back: the working day before the first day after is the day before.
    if (cal->covers(before)) CHECK(cal->add(after, -1) == before);
  }
}

namespace {
struct Makeup {
  const char* date;
  const char* prev_working;  // the working day before it
  const char* next_working;  // the working day after it
};
}  // namespace

TEST_CASE("every 2025 and 2026 make-up working day is worked", "[calendar]") {
  const std::vector<Makeup> makeups = {
      {"2025-01-26", "2025-01-24", "2025-01-27"},  // Sun: Fri before, Mon after
      {"2025-02-08", "2025-02-07", "2025-02-10"},  // Sat: Fri, Mon
      {"2025-04-27", "2025-04-25", "2025-04-28"},  // Sun: Fri, Mon
      {"2025-09-28", "2025-09-26", "2025-09-29"},  // Sun: Fri, Mon
      {"2025-10-11", "2025-10-10", "2025-10-13"},  // Sat: Fri, Mon
      {"2026-01-04", "2025-12-31", "2026-01-05"},  // Sun: Wed (Jan 1-3 off), Mon
      {"2026-02-14", "2026-02-13", "2026-02-24"},  // Sat: Fri, Tue (Feb 15-23 off)
      {"2026-02-28", "2026-02-27", "2026-03-02"},  // Sat: Fri, Mon
      {"2026-05-09", "2026-05-08", "2026-05-11"},  // Sat: Fri, Mon
      {"2026-09-20", "2026-09-18", "2026-09-21"},  // Sun: Fri, Mon
      {"2026-10-10", "2026-10-09", "2026-10-12"},  // Sat: Fri, Mon
  };
  auto cal = cn();
  for (const auto& m : makeups) {
    INFO("make-up day " << m.date);
    Date d = D(m.date);
    CHECK(d.weekday() >= 6);
    CHECK(cal->is_working_day(d));
    CHECK(cal->is_makeup_day(d));
    CHECK(cal->kind(d) == DayKind::makeup);
    CHECK(cal->label(d) == "调休上班");
    CHECK(cal->add(D(m.prev_working), 1) == d);
    CHECK(cal->add(d, 0) == d);
    CHECK(cal->add(d, 1) == D(m.next_working));
    CHECK(cal->add(D(m.next_working), -1) == d);
    CHECK(cal->between(D(m.prev_working), D(m.next_working)) == 2);
  }
  // Only those weekend days are worked.
  int worked_weekend_days = 0;
  for (Date d = D("2025-01-01"); d <= D("2026-12-31"); d = d + 1)
    if (d.weekday() >= 6 && cal->is_working_day(d)) ++worked_weekend_days;
  CHECK(worked_weekend_days == 11);
}

TEST_CASE("counting across holidays with their make-up days, by hand", "[calendar]") {
  auto cal = cn();
  // 2025 春节: Jan 26 (Sun), 27, Feb 5, 6, 7, 8 (Sat), 10.
  CHECK(cal->between(D("2025-01-24"), D("2025-02-10")) == 7);
  CHECK(cal->add(D("2025-01-24"), 7) == D("2025-02-10"));
  // 2025 劳动节: Apr 27 (Sun), 28, 29, 30, May 6.
  CHECK(cal->between(D("2025-04-25"), D("2025-05-06")) == 5);
  // 2025 国庆节、中秋节: Sep 28 (Sun), 29, 30, Oct 9, 10, 11 (Sat), 13.
  CHECK(cal->between(D("2025-09-26"), D("2025-10-13")) == 7);
  CHECK(cal->add(D("2025-09-26"), 4) == D("2025-10-09"));
  // 2026 元旦 into the new year: Jan 4 (Sun), Jan 5.
  CHECK(cal->between(D("2025-12-31"), D("2026-01-05")) == 2);
  CHECK(cal->add(D("2025-12-31"), 1) == D("2026-01-04"));
  // 2026 春节: Feb 14 (Sat), 24, 25, 26, 27, 28 (Sat), Mar 2.
  CHECK(cal->add(D("2026-02-13"), 1) == D("2026-02-14"));
  CHECK(cal->between(D("2026-02-13"), D("2026-03-02")) == 7);
  // Art. 42: 20 working days after acceptance on Friday 2026-02-13:
  // Feb 14 (1), Feb 24-28 (2-6), Mar 2-6 (7-11), Mar 9-13 (12-16), Mar 16-19 (17-20).
  CHECK(cal->add(D("2026-02-13"), 20) == D("2026-03-19"));
  CHECK(cal->between(D("2026-02-13"), D("2026-03-19")) == 20);
  // February 2026 has 16 working days: 20 weekdays - 6 holidays + 2 make-up days.
  CHECK(cal->between(D("2026-01-31"), D("2026-02-28")) == 16);
  // 2026 劳动节: May 6, 7, 8, 9 (Sat), 11.
  CHECK(cal->between(D("2026-04-30"), D("2026-05-11")) == 5);
  // 2026 中秋节 and 国庆节: Sep 20 (Sun), 21-24, 28-30, Oct 8, 9, 10 (Sat), 12.
  CHECK(cal->between(D("2026-09-18"), D("2026-10-12")) == 12);
  CHECK(cal->add(D("2026-09-18"), 12) == D("2026-10-12"));
}

TEST_CASE("counting follows the law: the start day is not counted", "[calendar]") {
  auto cal = cn();
  // 1 working day after Monday's acceptance is Tuesday.
  CHECK(cal->add(D("2026-03-02"), 1) == D("2026-03-03"));
  CHECK(cal->between(D("2026-03-02"), D("2026-03-03")) == 1);
  // Friday + 1 = Monday; a plain week is 5 working days.
  CHECK(cal->add(D("2026-03-06"), 1) == D("2026-03-09"));
  CHECK(cal->between(D("2026-03-02"), D("2026-03-09")) == 5);
  // add(D, 0): D when it is a working day, else the next working day.
  CHECK(cal->add(D("2026-03-02"), 0) == D("2026-03-02"));
  CHECK(cal->add(D("2026-03-07"), 0) == D("2026-03-09"));  // Saturday -> Monday
  CHECK(cal->add(D("2026-02-14"), 0) == D("2026-02-14"));  // make-up Saturday
  CHECK(cal->add(D("2026-02-15"), 0) == D("2026-02-24"));  // 春节 -> first day after
  // Received on a Saturday: the first working day after it is Monday.
  CHECK(cal->add(D("2026-03-07"), 1) == D("2026-03-09"));
  // between is 0 for the same day and changes sign when reversed.
  CHECK(cal->between(D("2026-03-04"), D("2026-03-04")) == 0);
  CHECK(cal->between(D("2026-03-09"), D("2026-03-02")) == -5);
  CHECK(cal->between(D("2026-03-07"), D("2026-03-08")) == 0);  // a weekend
  // add(D, -n): the n-th working day strictly before D.
  CHECK(cal->add(D("2026-03-09"), -1) == D("2026-03-06"));
  CHECK(cal->add(D("2026-03-08"), -1) == D("2026-03-06"));
  // Fractional offsets fall on the day of their ceiling.
  CHECK(cal->add_fractional(D("2026-03-02"), 0.0) == D("2026-03-02"));
  CHECK(cal->add_fractional(D("2026-03-02"), 0.5) == D("2026-03-03"));
  CHECK(cal->add_fractional(D("2026-03-02"), 2.0) == D("2026-03-04"));
  CHECK(cal->add_fractional(D("2026-03-02"), 2.0000000000001) == D("2026-03-04"));
  CHECK(code_of([&] { cal->add_fractional(D("2026-03-02"), -1.0); }) == kInvalid);
}

TEST_CASE("add and between agree with counting day by day", "[calendar]") {
  auto cal = cn();
  // A slow reference: step one day at a time.
  auto slow_add = [&](Date d, long n) {
    if (n == 0) {
      while (!cal->is_working_day(d)) d = d + 1;
      return d;
    }
    while (n > 0) {
      d = d + 1;
      if (cal->is_working_day(d)) --n;
    }
    return d;
  };
  for (Date d = D("2025-01-01"); d <= D("2026-11-30"); d = d + 1) {
    for (long n : {0L, 1L, 2L, 5L, 10L, 20L}) {
      Date r = cal->add(d, n);
      REQUIRE(r == slow_add(d, n));
      if (n > 0) REQUIRE(cal->between(d, r) == n);
    }
  }
}

// ---------------------------------------------------------------------------
// Outside the covered years
// ---------------------------------------------------------------------------

TEST_CASE("a date outside the covered years is an error naming the years", "[calendar]") {
  CalendarOptions strict;  // no provisional years: only the published ones are counted
  strict.strict = true;
  auto cal = Calendar::load("cn", strict);
  std::string why;
  CHECK(code_of([&] { cal->is_working_day(D("2027-01-04")); }, &why) == kOutOfRange);
  CHECK_THAT(why, Catch::Contains("2027-01-04") && Catch::Contains("covers 2025-2026"));
  CHECK(code_of([&] { cal->label(D("2024-06-01")); }) == kOutOfRange);
  CHECK(code_of([&] { cal->between(D("2026-12-01"), D("2027-01-05")); }, &why) == kOutOfRange);
  CHECK_THAT(why, Catch::Contains("2027-01-05"));
  CHECK(code_of([&] { cal->working_days_in_year(2027); }) == kOutOfRange);
  // add() refuses to run past the last covered day rather than guess.
  CHECK(cal->add(D("2026-12-30"), 1) == D("2026-12-31"));
  CHECK(code_of([&] { cal->add(D("2026-12-31"), 1); }, &why) == kOutOfRange);
  CHECK_THAT(why, Catch::Contains("after 2026-12-31") && Catch::Contains("CalendarOptions::weekend_fallback"));
  CHECK_THAT(why, Catch::StartsWith("1 working day after 2026-12-31 falls after 2026-12-31"));
  CHECK(code_of([&] { cal->add(D("2025-01-02"), -1); }) == kOutOfRange);
  CHECK(code_of([&] { cal->add(D("2026-03-02"), 100000000L); }) == kOutOfRange);
  // The day before the first covered day may start a count: only the days
  // after it are looked at. add(D, 0) needs D itself, so it is refused,
  // naming the date given (not the day before it, which the count looks at).
  CHECK(cal->add(D("2024-12-31"), 1) == D("2025-01-02"));
  CHECK(cal->between(D("2024-12-31"), D("2025-01-02")) == 1);
  CHECK(code_of([&] { cal->add(D("2024-12-31"), 0); }, &why) == kOutOfRange);
  CHECK_THAT(why, Catch::StartsWith("2024-12-31 is outside the covered years (the first working day from 2024-12-31): "
                                    "calendar 'cn' (data version"));
  CHECK(why.find("2024-12-30") == std::string::npos);
  CHECK(code_of([&] { cal->add(D("2024-12-30"), 1); }) == kOutOfRange);
  // No message quotes a function call or the command line.
  CHECK(why.find("add(") == std::string::npos);
  CHECK(why.find("jreview") == std::string::npos);
}

TEST_CASE("the weekends-only fallback is explicit and warns once per year", "[calendar]") {
  std::vector<std::string> warnings;
  CalendarOptions o;
  o.weekend_fallback = true;
  o.strict = true;  // without provisional years, the fallback starts after the published ones
  o.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  auto cal = Calendar::load("cn", o);
  // Inside the covered years nothing changes and nothing is said.
  CHECK(cal->add(D("2026-02-13"), 1) == D("2026-02-14"));
  CHECK(warnings.empty());
  // 2026-12-31 (Thu) +1: Friday 2027-01-01 counts as a working day (no data).
  CHECK(cal->add(D("2026-12-31"), 1) == D("2027-01-01"));
  CHECK(cal->add(D("2026-12-30"), 5) == D("2027-01-06"));  // Dec 31, Jan 1, 4, 5, 6
  CHECK(cal->is_working_day(D("2027-01-04")));
  CHECK_FALSE(cal->is_working_day(D("2027-01-09")));
  CHECK(cal->label(D("2027-01-09")).empty());
  CHECK(cal->kind(D("2027-01-09")) == DayKind::weekend);
  CHECK(cal->between(D("2026-12-31"), D("2027-01-08")) == 6);
  CHECK(cal->working_days_in_year(2027) == 261);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0] ==
        "calendar 'cn' covers 2025-2026 only; counting weekends only (no holidays, no make-up days) for 2027");
  // Before the covered years: Dec 30 and 31 2024 (Mon, Tue), then Jan 2 2025.
  CHECK(cal->between(D("2024-12-27"), D("2025-01-02")) == 3);
  CHECK(cal->add(D("2025-01-02"), -1) == D("2024-12-31"));  // Jan 1 is 元旦
  CHECK(cal->add(D("2025-01-02"), -2) == D("2024-12-30"));
  CHECK(cal->add(D("2024-12-28"), 0) == D("2024-12-30"));
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[1], Catch::EndsWith("for 2024"));
  // A few new years get a line each; a long run of them one line.
  CHECK(cal->between(D("2026-12-31"), D("2029-06-01")) > 0);
  REQUIRE(warnings.size() == 4);
  CHECK_THAT(warnings[2], Catch::EndsWith("for 2028"));
  CHECK_THAT(warnings[3], Catch::EndsWith("for 2029"));
  CHECK(cal->between(D("2026-12-31"), D("2040-01-01")) > 0);
  REQUIRE(warnings.size() == 5);
  CHECK_THAT(warnings[4], Catch::EndsWith("for 2030-2040"));
  CHECK(cal->between(D("2027-01-01"), D("2040-01-01")) > 0);
  CHECK(warnings.size() == 5);
}

// ---------------------------------------------------------------------------
// Calendar files
// ---------------------------------------------------------------------------

namespace {
const char* kSmall = R"(format: 1
id: tiny
name: 测试日历
version: "1"
years:
  2026:
    working_days: 261
    holidays:
      - {name: 元旦, date: 2026-01-01}
    makeup_days:
      - {date: 2026-01-03}
)";
}  // namespace

TEST_CASE("a calendar from YAML text", "[calendar]") {
  auto cal = Calendar::from_yaml(kSmall, "tiny.yaml");
  CHECK(cal->id() == "tiny");
  CHECK(cal->name() == "测试日历");
  CHECK(cal->version() == "1");
  CHECK(cal->first_year() == 2026);
  CHECK(cal->last_year() == 2026);
  // 261 weekdays in 2026, minus 元旦, plus the make-up Saturday.
  CHECK(cal->working_days_in_year(2026) == 261);
  CHECK(cal->label(D("2026-01-01")) == "元旦");
  CHECK(cal->is_makeup_day(D("2026-01-03")));
}

TEST_CASE("a malformed calendar file reports FILE:LINE:COLUMN", "[calendar]") {
  std::string why;
  // Columns count characters: 春节 is two columns here, not six bytes.
  CHECK(code_of([&] {
          Calendar::from_yaml("format: 1\nid: x\nname: x\nversion: \"1\"\nyears:\n  2026:\n    holidays:\n"
                              "      - {name: 春节, date: 2026-02-30}\n",
                              "bad.yaml");
        }, &why) == kInvalid);
  CHECK(why == "bad.yaml:8:26: error: invalid date '2026-02-30': day 30 does not exist: February 2026 has 28 days");

  CHECK(code_of([&] { Calendar::from_yaml("format: 1\nid: [x\n", "syntax.yaml"); }, &why) == kInvalid);
  CHECK_THAT(why, Catch::StartsWith("syntax.yaml:3:1: error: YAML syntax error"));

  // Every problem of a file in one message, in file order.
  CHECK(code_of([&] {
          Calendar::from_yaml("format: 2\nid: x\nnam: x\nversion: \"1\"\nyears:\n  2026:\n    holidays:\n"
                              "      - {name: 春节, from: 2026-02-23, to: 2026-02-15}\n"
                              "      - {date: 2026-05-01}\n",
                              "many.yaml");
        }, &why) == kInvalid);
  CHECK(why ==
        "many.yaml:1:1: error: the calendar needs 'name'\n"
        "many.yaml:1:9: error: unsupported calendar format '2'; this version reads format 1\n"
        "many.yaml:3:1: error: unknown key 'nam' in the calendar; did you mean 'name'?\n"
        "many.yaml:8:42: error: range ends (2026-02-15) before it starts (2026-02-23)\n"
        "many.yaml:9:9: error: an entry of 'holidays' needs 'name'");
}

TEST_CASE("calendar data is checked for consistency", "[calendar]") {
  const std::string head = "format: 1\nid: x\nname: x\nversion: \"1\"\nyears:\n";
  std::string why;
  // The published total guards against a typo in the dates.
  CHECK(code_of([&] {
          Calendar::from_yaml(head + "  2026:\n    working_days: 248\n    holidays:\n      - {name: 元旦, date: 2026-01-01}\n",
                              "sum.yaml");
        }, &why) == kInvalid);
  CHECK(why == "sum.yaml:7:19: error: year 2026 has 260 working days by the dates given, but 'working_days' says "
               "248; check the holidays and make-up days against the notice");
  // A make-up day must be a weekend day.
  CHECK(code_of([&] {
          Calendar::from_yaml(head + "  2026:\n    holidays: []\n    makeup_days:\n      - {date: 2026-02-16}\n",
                              "mk.yaml");
        }, &why) == kInvalid);
  CHECK(why == "mk.yaml:9:9: error: make-up working day 2026-02-16 is a Monday, already a working day; make-up "
               "days are weekend days that are worked");
  // A day cannot be a holiday twice, nor a holiday and a make-up day.
  CHECK(code_of([&] {
          Calendar::from_yaml(head + "  2026:\n    holidays:\n      - {name: a, from: 2026-10-01, to: 2026-10-03}\n"
                                     "      - {name: b, date: 2026-10-03}\n    makeup_days:\n      - {date: 2026-10-03}\n",
                              "dup.yaml");
        }, &why) == kInvalid);
  CHECK(why == "dup.yaml:9:9: error: 2026-10-03 is already a holiday (a) (line 8)\n"
               "dup.yaml:11:9: error: 2026-10-03 is already a holiday (a) (line 8)");
  // Years follow each other; dates lie inside them.
  CHECK(code_of([&] {
          Calendar::from_yaml(head + "  2025:\n    holidays: []\n  2027:\n    holidays:\n      - {name: a, date: 2028-01-01}\n",
                              "gap.yaml");
        }, &why) == kInvalid);
  CHECK_THAT(why, Catch::Contains("gap.yaml:8:3: error: years must follow each other"));
  // A year without holidays would be a guess.
  CHECK(code_of([&] { Calendar::from_yaml(head + "  2026: {}\n", "empty.yaml"); }, &why) == kInvalid);
  CHECK(why == "empty.yaml:6:3: error: year 2026 needs 'holidays' (a year without holidays would be a guess)");
  CHECK(code_of([&] { Calendar::from_yaml("", "blank.yaml"); }, &why) == kInvalid);
  CHECK_THAT(why, Catch::StartsWith("blank.yaml:1:1: error: a calendar file must be a mapping"));
}

TEST_CASE("unknown calendars and bad ids are refused", "[calendar]") {
  std::string why;
  CHECK(code_of([&] { Calendar::load("xx"); }, &why) == kNotFound);
  CHECK_THAT(why, Catch::StartsWith("unknown calendar 'xx'; known calendars are") && Catch::Contains("'cn'"));
  CHECK(code_of([&] { Calendar::load("../cn"); }) == kInvalid);
  CHECK(code_of([&] { Calendar::load(""); }) == kInvalid);
}

TEST_CASE("a calendar that extends cn with a local closure and an extra working day", "[calendar]") {
  TempDir dir("extends");
  dir.write("cn-local.yaml", R"(format: 1
id: cn-local
extends: cn
name: 某市政务服务中心
version: "2026.1"
closures:
  - {date: 2026-03-10, reason: 系统升级停办}
  - {from: 2026-02-20, to: 2026-02-25, reason: 春节延长闭馆}
extra_working_days:
  - {date: 2026-03-14, reason: 集中办理日}
)");
  CalendarOptions o;
  o.search_path = {dir.path.string(), bundled_dir()};
  auto cal = Calendar::load("cn-local", o);
  auto base = cn();
  CHECK(cal->id() == "cn-local");
  CHECK(cal->first_year() == 2025);
  CHECK(cal->last_year() == 2026);
  // The closure: Tuesday 2026-03-10 is off.
  CHECK_FALSE(cal->is_working_day(D("2026-03-10")));
  CHECK(cal->kind(D("2026-03-10")) == DayKind::closure);
  CHECK(cal->label(D("2026-03-10")) == "系统升级停办");
  CHECK(cal->add(D("2026-03-09"), 1) == D("2026-03-11"));
  CHECK(base->add(D("2026-03-09"), 1) == D("2026-03-10"));
  CHECK(cal->between(D("2026-03-09"), D("2026-03-13")) == 3);
  CHECK(base->between(D("2026-03-09"), D("2026-03-13")) == 4);
  // The extra working day: Saturday 2026-03-14 is worked.
  CHECK(cal->is_working_day(D("2026-03-14")));
  CHECK(cal->kind(D("2026-03-14")) == DayKind::extra_working);
  CHECK(cal->label(D("2026-03-14")) == "集中办理日");
  CHECK_FALSE(cal->is_makeup_day(D("2026-03-14")));
  // The range closes only days that were working: Feb 20-23 stay 春节,
  // Feb 24 and 25 are closed.
  CHECK(cal->label(D("2026-02-20")) == "春节");
  CHECK(cal->label(D("2026-02-24")) == "春节延长闭馆");
  CHECK(cal->add(D("2026-02-14"), 1) == D("2026-02-26"));
  // Everything else is cn's.
  CHECK(cal->add(D("2026-02-13"), 1) == D("2026-02-14"));
  CHECK(cal->working_days_in_year(2026) == 248 - 1 - 2 + 1);
  CHECK(cal->working_days_in_year(2025) == 248);

  // A closure that closes nothing, an unknown parent, a loop.
  std::string why;
  dir.write("noop.yaml", "format: 1\nid: noop\nextends: cn\nname: n\nversion: \"1\"\n"
                         "closures:\n  - {date: 2026-10-02, reason: 重复}\n");
  CHECK(code_of([&] { Calendar::load("noop", o); }, &why) == kInvalid);
  CHECK(why == (dir.path / "noop.yaml").string() +
                   ":7:5: error: closure 2026-10-02 closes nothing: the day is already off (国庆节)");
  dir.write("orphan.yaml", "format: 1\nid: orphan\nextends: nope\nname: n\nversion: \"1\"\n");
  CHECK(code_of([&] { Calendar::load("orphan", o); }, &why) == kNotFound);
  CHECK_THAT(why, Catch::StartsWith((dir.path / "orphan.yaml").string() +
                                    ":3:10: error: calendar 'orphan' extends unknown calendar 'nope'"));
  dir.write("a.yaml", "format: 1\nid: a\nextends: b\nname: n\nversion: \"1\"\n");
  dir.write("b.yaml", "format: 1\nid: b\nextends: a\nname: n\nversion: \"1\"\n");
  CHECK(code_of([&] { Calendar::load("a", o); }, &why) == kInvalid);
  CHECK_THAT(why, Catch::Contains("which extends it back"));
  dir.write("late.yaml", "format: 1\nid: late\nextends: cn\nname: n\nversion: \"1\"\n"
                         "closures:\n  - {date: 2027-01-04, reason: x}\n");
  CHECK(code_of([&] { Calendar::load("late", o); }, &why) == kInvalid);
  CHECK_THAT(why, Catch::EndsWith(":7:5: error: 2027-01-04 is outside the years this calendar covers (2025-2026)"));
}

TEST_CASE("a local cn.yaml may extend the bundled cn", "[calendar]") {
  TempDir dir("override");
  dir.write("cn.yaml", "format: 1\nid: cn\nextends: cn\nname: 本地\nversion: \"local-1\"\n"
                       "closures:\n  - {date: 2026-03-10, reason: 停电}\n");
  CalendarOptions o;
  o.search_path = {dir.path.string(), bundled_dir()};
  auto cal = Calendar::load("cn", o);
  CHECK(cal->version() == "local-1");
  CHECK(cal->label(D("2026-03-10")) == "停电");
  CHECK(cal->label(D("2026-02-16")) == "春节");
}

// ---------------------------------------------------------------------------
// jreview calendar
// ---------------------------------------------------------------------------

TEST_CASE("jreview calendar add and between print the answer alone", "[calendar][cli]") {
  auto r = jreview("calendar add 2026-02-13 1");
  CHECK(r.status == 0);
  CHECK(r.out == "2026-02-14\n");
  CHECK(r.err.empty());
  CHECK(jreview("calendar add 2026-03-02 1").out == "2026-03-03\n");
  CHECK(jreview("calendar add 2026-02-15 0").out == "2026-02-24\n");
  CHECK(jreview("calendar add 2026-02-24 -1").out == "2026-02-14\n");
  CHECK(jreview("calendar add 2026-02-13 20 --calendar cn").out == "2026-03-19\n");
  r = jreview("calendar between 2026-02-13 2026-03-02");
  CHECK(r.status == 0);
  CHECK(r.out == "7\n");
  CHECK(jreview("calendar between 2026-03-09 2026-03-02").out == "-5\n");
  CHECK(jreview("calendar between 2025-12-31 2026-12-31").out == "248\n");

  auto j = nlohmann::json::parse(jreview("calendar add 2026-02-13 1 --format json").out);
  CHECK(j["calendar"] == "cn");
  CHECK(j["date"] == "2026-02-13");
  CHECK(j["working_days"] == 1);
  CHECK(j["result"] == "2026-02-14");
  j = nlohmann::json::parse(jreview("calendar between 2026-02-13 2026-03-02 --format json").out);
  CHECK(j["working_days"] == 7);
}

TEST_CASE("jreview calendar refuses bad input with a message and a status", "[calendar][cli]") {
  auto r = jreview("calendar add 2026-02-30 1");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "jreview: error: invalid date '2026-02-30': day 30 does not exist: February 2026 has 28 days\n");
  r = jreview("calendar add garbage 1");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("expected a date as YYYY-MM-DD"));
  r = jreview("calendar add 2026-02-13 x");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("invalid number of working days 'x'"));
  r = jreview("calendar show 2026-13");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("invalid month '2026-13'"));
  r = jreview("calendar add 2026-02-13 1 --calendar nope");
  CHECK(r.status == 1);
  CHECK_THAT(r.err, Catch::StartsWith("jreview: error: unknown calendar 'nope'"));
  // Outside the covered years (strict: no provisional years): an error, or
  // with the flag a visible fallback.
  r = jreview("calendar add 2027-01-04 1 --strict-calendar");
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::Contains("covers 2025-2026 only"));
  r = jreview("calendar add 2027-01-04 1 --weekend-fallback --strict-calendar");
  CHECK(r.status == 0);
  CHECK(r.out == "2027-01-05\n");
  CHECK(r.err == "jreview: warning: calendar 'cn' covers 2025-2026 only; counting weekends only (no holidays, no "
                 "make-up days) for 2027\n");
}

TEST_CASE("jreview calendar show prints an aligned month", "[calendar][cli]") {
  auto r = jreview("calendar show 2026-02");
  CHECK(r.status == 0);
  CHECK(r.out ==
        "2026年2月  2026-02  calendar cn (中国大陆法定节假日与调休, data version 2026.1)\n"
        "一    二    三    四    五    六    日\n"
        "                                     1\n"
        " 2     3     4     5     6     7     8\n"
        " 9    10    11    12    13    14班  15休\n"
        "16休  17休  18休  19休  20休  21休  22休\n"
        "23休  24    25    26    27    28班\n"
        "\n"
        "休 statutory holiday (off)\n"
        "班 make-up working day, 调休上班 (worked)\n"
        "\n"
        "2026-02-14 Sat                    班 调休上班\n"
        "2026-02-15 Sun .. 2026-02-23 Mon  休 春节\n"
        "2026-02-28 Sat                    班 调休上班\n"
        "\n"
        "working days in 2026-02: 16\n");
  auto j = nlohmann::json::parse(jreview("calendar show 2025-10 --format json").out);
  CHECK(j["working_days"] == 18);  // 23 weekdays - 6 holiday weekdays (Oct 1-3, 6-8) + Oct 11
  CHECK(j["days"].size() == 31);
  CHECK(j["days"][0]["kind"] == "holiday");
  CHECK(j["days"][0]["label"] == "国庆节、中秋节");
  CHECK(j["days"][10]["kind"] == "makeup");
  CHECK(j["days"][10]["working"] == true);
}

TEST_CASE("jreview calendar finds local calendars with --calendar-dir", "[calendar][cli]") {
  TempDir dir("cli");
  dir.write("cn-local.yaml", "format: 1\nid: cn-local\nextends: cn\nname: 某市政务服务中心\nversion: \"1\"\n"
                             "closures:\n  - {date: 2026-03-10, reason: 系统升级停办}\n");
  const std::string flags = " --calendar cn-local --calendar-dir '" + dir.path.string() + "'";
  CHECK(jreview("calendar add 2026-03-09 1" + flags).out == "2026-03-11\n");
  auto r = jreview("calendar show 2026-03" + flags);
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains(" 9    10闭  11") && Catch::Contains("闭 local closure (off)") &&
                        Catch::Contains("2026-03-10 Tue  闭 系统升级停办") &&
                        Catch::Contains("working days in 2026-03: 21"));
  r = jreview("calendar list --calendar-dir '" + dir.path.string() + "'");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::Contains("cn-local  2025-2026  1") && Catch::Contains("cn        2025-2026"));
}

TEST_CASE("every bundled calendar file loads", "[calendar]") {
  int files = 0;
  for (const auto& e : fs::directory_iterator(bundled_dir())) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    INFO(e.path().string());
    auto cal = Calendar::load(e.path().stem().string());
    CHECK(cal->id() == e.path().stem().string());
    CHECK(cal->first_year() <= cal->last_year());
    CHECK_FALSE(cal->version().empty());
  }
  CHECK(files >= 1);
}

TEST_CASE("the fallback stops at the years a date can have", "[calendar]") {
  std::vector<std::string> warnings;
  CalendarOptions o;
  o.weekend_fallback = true;
  o.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  auto cal = Calendar::load("cn", o);
  std::string why;
  CHECK(code_of([&] { cal->add(D("0001-01-01"), -1); }, &why) == kOutOfRange);
  CHECK(why == "1 working day before 0001-01-01 falls outside the years 1..9999");
  REQUIRE(warnings.size() == 1);
  CHECK_THAT(warnings[0], Catch::EndsWith("for 1-2024"));
  CHECK(code_of([&] { cal->add(D("9999-12-31"), 1); }) == kOutOfRange);
  CHECK(code_of([&] { cal->add(D("2026-01-05"), 100000000L); }) == kOutOfRange);
}

TEST_CASE("a year after the published ones is provisional: weekends and the statutory holidays", "[calendar]") {
  auto cal = cn();  // the default: provisional years from the statutory-holiday data
  CHECK(cal->last_year() == 2026);
  CHECK(cal->last_counted_year() == 2050);
  CHECK_FALSE(cal->covers(D("2027-01-04")));
  CHECK(cal->is_provisional(D("2027-01-04")));
  CHECK_FALSE(cal->is_provisional(D("2026-12-31")));
  CHECK_FALSE(cal->is_provisional(D("2051-01-02")));
  // The days the regulation fixes for 2027 are off, with their names.
  for (const char* d : {"2027-01-01", "2027-02-05", "2027-02-08", "2027-04-05", "2027-05-01", "2027-05-02",
                        "2027-06-09", "2027-09-15", "2027-10-01", "2027-10-03"}) {
    INFO(d);
    CHECK(cal->kind(D(d)) == DayKind::holiday);
    CHECK_FALSE(cal->is_working_day(D(d)));
  }
  CHECK(cal->label(D("2027-02-05")) == "春节");
  CHECK(cal->label(D("2027-09-15")) == "中秋节");
  // No make-up days and no bridging days: 2027-10-04 (Mon) is worked,
  // 2027-02-06 (Sat) is off.
  CHECK(cal->is_working_day(D("2027-10-04")));
  CHECK(cal->kind(D("2027-02-06")) == DayKind::holiday);
  // 261 weekdays less the 7 statutory days that fall on one.
  CHECK(cal->working_days_in_year(2027) == 254);
  // Counting runs across the new year: Dec 31 (Thu), then Jan 1 is off.
  CHECK(cal->add(D("2026-12-31"), 1) == D("2027-01-04"));
  CHECK(cal->add(D("2026-12-30"), 5) == D("2027-01-07"));  // Dec 31, Jan 4, 5, 6, 7
  CHECK(cal->between(D("2026-12-31"), D("2027-01-08")) == 5);
  // The published years are unchanged by it.
  CHECK(cal->add(D("2026-02-13"), 1) == D("2026-02-14"));
  // Past the statutory data (2050), a date is outside the counted years.
  std::string why;
  CHECK(code_of([&] { cal->is_working_day(D("2051-03-01")); }, &why) == kOutOfRange);
  CHECK_THAT(why, Catch::Contains("covers 2025-2026 (and 2027-2050 provisionally, by the statutory holidays) only"));
}

TEST_CASE("jreview calendar marks an answer that depends on a provisional year", "[calendar][cli]") {
  auto r = jreview("calendar add 2026-12-30 5");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::StartsWith("2027-01-07 *\n* provisional: after 2026-12-31 calendar 'cn'"));
  r = jreview("calendar add 2026-03-02 1");
  CHECK(r.out == "2026-03-03\n");  // nothing to mark
  r = jreview("calendar between 2026-12-31 2027-01-08 --format json");
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["working_days"] == 5);
  CHECK(j["provisional"] == true);
  r = jreview("calendar add 2026-03-02 1 --format json");
  CHECK(nlohmann::json::parse(r.out)["provisional"] == false);
  r = jreview("calendar show 2027-02 --format json");
  REQUIRE(r.status == 0);
  j = nlohmann::json::parse(r.out);
  CHECK(j["provisional"] == true);
  CHECK(j["days"][4]["kind"] == "holiday");  // 2027-02-05
  CHECK(j["days"][4]["provisional"] == true);
  r = jreview("calendar show 2027-02");
  CHECK_THAT(r.out, Catch::Contains("working days in 2027-02: 18 *"));
}

TEST_CASE("jreview calendar marks an estimate by weekends only in JSON", "[calendar][cli]") {
  // Strict, with the fallback: 2027 by weekends only (2027-01-01 counted).
  auto r = jreview("calendar add 2026-12-30 5 --strict-calendar --weekend-fallback --format json");
  REQUIRE(r.status == 0);
  auto j = nlohmann::json::parse(r.out);
  CHECK(j["result"] == "2027-01-06");
  CHECK(j["weekend_fallback"] == true);
  CHECK(j["provisional"] == false);
  r = jreview("calendar between 2026-03-02 2026-03-09 --strict-calendar --weekend-fallback --format json");
  CHECK(nlohmann::json::parse(r.out)["weekend_fallback"] == false);  // inside the published years
  r = jreview("calendar show 2027-02 --strict-calendar --weekend-fallback --format json");
  CHECK(nlohmann::json::parse(r.out)["weekend_fallback"] == true);
  r = jreview("calendar show 2027-02 --strict-calendar --weekend-fallback");
  CHECK_THAT(r.out, Catch::Contains("* estimate: days outside the years calendar 'cn' counts"));
  r = jreview("calendar add 2026-12-30 5 --format json");  // provisional, not by weekends
  CHECK(nlohmann::json::parse(r.out)["weekend_fallback"] == false);
}

TEST_CASE("a calendar file whose 'years' is empty is refused at its line, not a crash", "[calendar]") {
  std::string why;
  CHECK(code_of([&] {
          Calendar::from_yaml("format: 1\nid: e\nname: e\nversion: \"1\"\nyears: {}\n", "e.yaml");
        }, &why) == kInvalid);
  CHECK(why == "e.yaml:5:8: error: 'years' lists no year; give each year the calendar covers, with its holidays");
}

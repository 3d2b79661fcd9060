// Civil dates (calendar.h): validation, parsing and printing of Date.
#include <cstdio>
#include <optional>
#include <string>

#include "calendar/civil.h"
#include "jointreview/calendar.h"
#include "jointreview/error.h"

namespace jointreview {

using namespace civil;

namespace {

const char* const kMonthNames[12] = {"January", "February", "March",     "April",   "May",      "June",
                                     "July",    "August",   "September", "October", "November", "December"};

}  // namespace

Date Date::from_ymd(int year, int month, int day) {
  if (year < kMinYear || year > kMaxYear)
    throw Error(Error::Code::invalid_argument,
                "year " + std::to_string(year) + " is out of the supported range 1..9999");
  if (month < 1 || month > 12)
    throw Error(Error::Code::invalid_argument, "month " + std::to_string(month) + " does not exist (1..12)");
  if (day < 1 || day > month_length(year, month))
    throw Error(Error::Code::invalid_argument, "day " + std::to_string(day) + " does not exist: " +
                                                   kMonthNames[month - 1] + " " + std::to_string(year) + " has " +
                                                   std::to_string(month_length(year, month)) + " days");
  return from_days(static_cast<std::int32_t>(days_of(year, month, day)));
}

namespace civil {
std::optional<Date> parse_date(const std::string& text, std::string& why) {
  auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i)
      if (text[i] < '0' || text[i] > '9') return false;
    return true;
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !digits(0, 4) || !digits(5, 2) ||
      !digits(8, 2)) {
    why = "expected a date as YYYY-MM-DD, for example 2026-02-14";
    return std::nullopt;
  }
  int y = std::stoi(text.substr(0, 4));
  int m = std::stoi(text.substr(5, 2));
  int d = std::stoi(text.substr(8, 2));
  try {
    return Date::from_ymd(y, m, d);
  } catch (const Error& e) {
    why = e.what();
    return std::nullopt;
  }
}

std::string shown(const std::string& text) {
  std::string s = text.size() > 40 ? text.substr(0, 37) + "..." : text;
  return "'" + s + "'";
}
}  // namespace civil

Date Date::parse(const std::string& text) {
  std::string why;
  if (auto d = parse_date(text, why)) return *d;
  throw Error(Error::Code::invalid_argument, "invalid date " + shown(text) + ": " + why);
}

std::optional<Date> Date::try_parse(const std::string& text) {
  std::string why;
  return parse_date(text, why);
}

int Date::year() const { return static_cast<int>(ymd_of(days_).y); }
int Date::month() const { return ymd_of(days_).m; }
int Date::day() const { return ymd_of(days_).d; }
int Date::weekday() const { return static_cast<int>(floor_mod(static_cast<std::int64_t>(days_) + 3, 7)) + 1; }

std::string Date::str() const {
  Ymd v = ymd_of(days_);
  if (v.y < 0 || v.y > 9999) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(v.y), v.m, v.d);
    return buf;
  }
  // By hand: this runs for every date the runtime writes.
  const int y = static_cast<int>(v.y);
  const char out[10] = {static_cast<char>('0' + y / 1000),     static_cast<char>('0' + y / 100 % 10),
                        static_cast<char>('0' + y / 10 % 10),  static_cast<char>('0' + y % 10),
                        '-',                                   static_cast<char>('0' + v.m / 10),
                        static_cast<char>('0' + v.m % 10),     '-',
                        static_cast<char>('0' + v.d / 10),     static_cast<char>('0' + v.d % 10)};
  return std::string(out, sizeof out);
}

}  // namespace jointreview

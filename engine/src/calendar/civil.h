// Civil-date arithmetic on day counts (days since 1970-01-01, proleptic
// Gregorian), shared by Date and the calendar: year, month and day of a
// count and back, and floor division for negative counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "jointreview/calendar.h"

namespace jointreview::civil {

inline constexpr int kMinYear = 1;
inline constexpr int kMaxYear = 9999;
inline constexpr std::int64_t kDaysPer400Years = 146097;
// Days from 0001-01-01 to 1970-01-01.
inline constexpr std::int64_t kEpochOrdinal = 719162;

inline bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

inline int month_length(int y, int m) {
  static constexpr int lengths[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && leap(y) ? 29 : lengths[m - 1];
}

// Days in the years 1 .. y-1 (y >= 1).
inline std::int64_t days_before_year(std::int64_t y) {
  std::int64_t p = y - 1;
  return p * 365 + p / 4 - p / 100 + p / 400;
}

inline int days_before_month(int y, int m) {
  int total = 0;
  for (int k = 1; k < m; ++k) total += month_length(y, k);
  return total;
}

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

inline std::int64_t floor_mod(std::int64_t a, std::int64_t b) { return a - floor_div(a, b) * b; }

struct Ymd {
  std::int64_t y;
  int m;
  int d;
};

// Any day count (days since 1970-01-01) to year, month, day. Works for
// years outside 1..9999 too, by shifting whole 400-year cycles.
inline Ymd ymd_of(std::int64_t days) {
  std::int64_t ord = days + kEpochOrdinal;  // 0 = 0001-01-01
  std::int64_t cycles = floor_div(ord, kDaysPer400Years);
  ord -= cycles * kDaysPer400Years;         // 0 .. 146096, within years 1..400
  std::int64_t y = ord / 366 + 1;           // never too large
  while (days_before_year(y + 1) <= ord) ++y;
  int doy = static_cast<int>(ord - days_before_year(y));
  int m = 1;
  while (doy >= month_length(static_cast<int>(y), m)) {
    doy -= month_length(static_cast<int>(y), m);
    ++m;
  }
  return {y + cycles * 400, m, doy + 1};
}

inline std::int64_t days_of(int y, int m, int d) {
  return days_before_year(y) + days_before_month(y, m) + (d - 1) - kEpochOrdinal;
}

// "YYYY-MM-DD" -> Date, or the reason it is not one (date.cpp).
std::optional<Date> parse_date(const std::string& text, std::string& why);

// A text quoted for a message, cut to 40 characters.
std::string shown(const std::string& text);

}  // namespace jointreview::civil

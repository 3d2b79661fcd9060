// ISO 8601 weeks (calendar.h): a week runs Monday to Sunday and belongs to
// the year of its Thursday; week 1 holds January 4.
#include <cstdio>

#include "jointreview/calendar.h"
#include "jointreview/error.h"

namespace jointreview {

namespace {

Date monday_of(int year, int week) {
  const Date jan4 = Date::from_ymd(year, 1, 4);
  return jan4 - (jan4.weekday() - 1) + 7 * (week - 1);
}

}  // namespace

std::string iso_week(Date d) {
  const Date thursday = d + (4 - d.weekday());
  const int year = thursday.year();
  const int week = (thursday - Date::from_ymd(year, 1, 1)) / 7 + 1;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-W%02d", year, week);
  return buf;
}

Date iso_week_monday(const std::string& week) {
  int y = 0, w = 0;
  char tail = 0;
  if (std::sscanf(week.c_str(), "%4d-W%2d%c", &y, &w, &tail) != 2 || w < 1 || w > 53)
    throw Error(Error::Code::invalid_argument,
                "'" + week + "' is not an ISO week; write YYYY-Www, for example 2026-W48");
  const Date monday = monday_of(y, w);
  if (iso_week(monday) != week) {
    char two[32];
    std::snprintf(two, sizeof two, "%04d-W%02d", y, w);
    if (iso_week(monday) == two)  // 2026-W1: the week exists, written with one digit
      throw Error(Error::Code::invalid_argument,
                  "'" + week + "' is not an ISO week as written; write the week with two digits: " + two);
    throw Error(Error::Code::invalid_argument, "year " + std::to_string(y) + " has no week " + std::to_string(w) +
                                                   " (it has " + (iso_week(Date::from_ymd(y, 12, 28)).substr(6)) +
                                                   " weeks)");
  }
  return monday;
}

}  // namespace jointreview

// Wall-clock time <-> the engine's working-day time.
//
// Working-day time t: working day number w (counted on the calendar from the
// day before its first covered year, so the first working day is 1) spans
// t in (w-1, w). An instant on a working day at x seconds after local
// midnight maps inside that interval; an instant on a day off maps to the
// end of the previous working day. A deadline t = m (whole) is the end of
// working day m; its timer fires at the local midnight after that day.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "jointreview/calendar.h"

namespace jointreview {

using WallTime = std::chrono::system_clock::time_point;

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" (also with a space) in local time.
WallTime parse_local_time(const std::string& text, int utc_offset_minutes);
// "YYYY-MM-DDTHH:MM:SS+08:00"
std::string format_local(WallTime t, int utc_offset_minutes);
// "YYYYMMDD" of the local date
std::string local_date_compact(WallTime t, int utc_offset_minutes = 480);
Date local_date(WallTime t, int utc_offset_minutes);

class TimeMap {
 public:
  TimeMap(std::shared_ptr<const Calendar> cal, int utc_offset_minutes);
  double to_wt(WallTime t) const;
  WallTime from_wt(double wt) const;
  // The date of the working day on which a deadline `due` ends.
  std::string deadline_date(double due) const;
  // The same, but a date past the calendar's last covered year reads
  // "after YYYY-12-31" instead of failing (for display).
  std::string deadline_text(double due) const;
  // Whether that date lies in a provisional year of the calendar (an
  // estimate until the year's notice is added).
  bool provisional(double due) const;
  // deadline_text, with " (provisional)" after a provisional date: for the
  // audit trail's words, where the mark must travel with the date.
  std::string marked_text(double due) const;
  Date deadline_day(double due) const;
  const Calendar& calendar() const { return *cal_; }

 private:
  // The conversions; the public ones rethrow their out_of_range errors in
  // the caller's terms (the instant, not the calendar's internal count).
  double to_wt_unchecked(WallTime t) const;
  WallTime from_wt_unchecked(double wt) const;

  std::shared_ptr<const Calendar> cal_;
  int offset_;
  Date epoch_;  // the day before the calendar's first covered year
};

}  // namespace jointreview

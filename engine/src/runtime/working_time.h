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
#include <cstdint>
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

// An instant of working-day time as civil data: how snapshots and logged
// inputs store it, so that no edit of the calendar's data can move it (a
// working-day count depends on every holiday before it; a date does not).
struct CivilInstant {
  enum Tag : std::uint8_t {
    none = 0,     // not an instant: `frac` holds the value as is (0, -1: unset)
    on_day = 1,   // in the working day `day` (days since 1970-01-01, local), at `frac` of it (1: its end)
    beyond = 2,   // `frac` working days after the date `day`, the last one the calendar counted
  };
  std::uint8_t tag = none;
  std::int32_t day = 0;
  double frac = 0;
};

class TimeMap {
 public:
  // `cal` counts its provisional years (built without CalendarOptions::
  // strict), so that what is stored is exact whatever the options; with
  // `strict`, this map refuses them as the calendar would: an instant in a
  // provisional year cannot be placed (to_wt, from_wt, deadline_day throw
  // Error(out_of_range)), a timer there waits, and deadline_text says
  // "after YYYY-12-31". The civil conversions ignore `strict`.
  TimeMap(std::shared_ptr<const Calendar> cal, int utc_offset_minutes, bool strict = false);
  double to_wt(WallTime t) const;
  // to_wt() that counts a provisional year even when strict: for figures
  // shown as of now (the days a running clock has used), never recorded.
  double to_wt_lenient(WallTime t) const;
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
  // The civil form of a working-day time, and back. from_civil() places a
  // date that is no longer a working day (the data changed) at the end of
  // the working day before it; it throws Error(out_of_range) for a date
  // outside what the calendar counts. to_civil() never throws.
  CivilInstant to_civil(double wt) const;
  double from_civil(const CivilInstant& c) const;
  // The wall-clock second at which a timer due at `wt` fires, as seconds
  // since 1970 (UTC): comparable across calendars. INT64_MAX when the time
  // lies after what the calendar counts (it waits for the year's data).
  std::int64_t fire_second(double wt) const;
  const Calendar& calendar() const { return *cal_; }

 private:
  // The conversions; the public ones rethrow their out_of_range errors in
  // the caller's terms (the instant, not the calendar's internal count).
  double to_wt_unchecked(WallTime t, bool strict) const;
  WallTime from_wt_unchecked(double wt) const;

  void check_strict(Date d) const;

  std::shared_ptr<const Calendar> cal_;
  int offset_;
  bool strict_ = false;
  Date epoch_;  // the day before the calendar's first covered year
};

}  // namespace jointreview

// libFuzzer target: the calendar file parser (calendar/calendar_file.cpp,
// through the public Calendar::from_yaml of calendar.h), then the working-day
// arithmetic of a calendar that loaded. A bad file must come back as
// jointreview::Error; any other exception, crash or sanitizer report is a
// finding. `extends: cn` reads the bundled calendar, read only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "jointreview/calendar.h"
#include "jointreview/error.h"

namespace jr_fuzz {

// One input; always returns 0 (libFuzzer's convention).
inline int run_calendar(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::shared_ptr<const jointreview::Calendar> cal;
  try {
    cal = jointreview::Calendar::from_yaml(text, "fuzz.yaml");
  } catch (const jointreview::Error&) {
    return 0;
  }
  try {
    // A few days of every published year (and one beyond), as the planner and
    // the runtime ask them.
    for (int y = cal->first_year(); y <= cal->last_year() + 1 && y <= cal->first_year() + 3; ++y) {
      jointreview::Date d = jointreview::Date::from_ymd(y, 1, 1);
      (void)cal->working_days_in_year(y);
      for (int i = 0; i < 366; i += 37) {
        jointreview::Date day = jointreview::Date::from_days(d.days() + i);
        (void)cal->is_working_day(day);
        (void)cal->label(day);
        (void)cal->kind(day);
        jointreview::Date later = cal->add(day, 20);
        (void)cal->between(day, later);
        (void)cal->add_fractional(day, 2.5);
      }
    }
  } catch (const jointreview::Error&) {
    // Out of the calendar's range: a refusal, not a finding.
  }
  return 0;
}

}  // namespace jr_fuzz

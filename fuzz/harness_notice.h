// libFuzzer target: the State Council holiday-notice importer
// (calendar/notice.cpp: parse_holiday_notice of calendar.h), and, for a notice
// that reads, what `jreview calendar import` does with it: the year as
// calendar YAML, written into the bundled cn.yaml's text, and that text read
// back as a calendar. A bad notice (or a year the calendar refuses) must come
// back as jointreview::Error; anything else is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "jointreview/calendar.h"
#include "jointreview/error.h"

// The fuzz build defines it (fuzz/CMakeLists.txt); the tests have JR_SOURCE_DIR.
#if !defined(JR_FUZZ_CALENDAR_FILE) && defined(JR_SOURCE_DIR)
#define JR_FUZZ_CALENDAR_FILE JR_SOURCE_DIR "/workflows/calendars/cn.yaml"
#endif
#ifndef JR_FUZZ_CALENDAR_FILE
#error "JR_FUZZ_CALENDAR_FILE is not defined (fuzz/CMakeLists.txt)"
#endif

namespace jr_fuzz::notice_detail {

inline const std::string& calendar_text() {
  static const std::string text = [] {
    std::ifstream in(JR_FUZZ_CALENDAR_FILE, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }();
  return text;
}

}  // namespace jr_fuzz::notice_detail

namespace jr_fuzz {

// One input; always returns 0 (libFuzzer's convention).
inline int run_notice(const std::uint8_t* data, std::size_t size) {
  using namespace notice_detail;
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    jointreview::NoticeYear year = jointreview::parse_holiday_notice(text, "notice.txt");
    (void)jointreview::notice_year_yaml(year);
    std::string merged = jointreview::calendar_text_with_year(calendar_text(), "cn.yaml", year);
    (void)jointreview::Calendar::from_yaml(merged, "cn.yaml");
  } catch (const jointreview::Error&) {
  }
  return 0;
}

}  // namespace jr_fuzz

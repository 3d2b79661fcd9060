// Calendar files (workflows/calendars/ID.yaml, docs/calendar.md): what a
// file says, read with the position of every item so that each problem is
// reported as FILE:LINE:COLUMN. Turning it into working days is the
// calendar's (calendar.cpp).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "jointreview/calendar.h"
#include "jointreview/error.h"
#include "util/text_util.h"

namespace jointreview::calendar_file {


inline constexpr int kFormat = 1;
inline const char* const kMakeupLabel = "调休上班";

struct Pos {
  int line = 0;    // 1-based; 0 = unknown
  int column = 0;  // 1-based, in characters
};

// A day or an inclusive range of days with its text (name or reason).
struct DaySpec {
  Date from, to;
  std::string text;  // holiday name, closure reason, ...
  Pos pos;
};

struct YearSpec {
  int year = 0;
  Pos pos;
  std::optional<int> expected_working_days;
  Pos expected_pos;
  std::vector<DaySpec> holidays, makeups;
};

struct FileSpec {
  std::string file;  // as named in messages
  std::string dir;   // folder found in, "" for text
  std::string id, name, version, extends;
  std::string statutory;  // the statutory-holiday data for provisional years, "" for none
  Pos pos_id, pos_extends, pos_root, pos_statutory;
  std::vector<YearSpec> years;
  std::vector<DaySpec> closures, extra;
};

// Collects the problems of one file as "FILE:LINE:COLUMN: error: ...".
class Problems {
 public:
  Problems(std::string file, const std::string& text) : file_(std::move(file)), text_(text) {
    starts_.push_back(0);
    for (std::size_t i = 0; i < text_.size(); ++i)
      if (text_[i] == '\n') starts_.push_back(i + 1);
  }

  Pos pos(const YAML::Mark& m) const {
    if (m.line < 0) return {};
    Pos p;
    p.line = m.line + 1;
    auto line = static_cast<std::size_t>(m.line);
    if (line < starts_.size()) {
      std::size_t begin = starts_[line];
      std::size_t end = std::min(text_.size(), begin + static_cast<std::size_t>(std::max(m.column, 0)));
      p.column = static_cast<int>(text::code_points(std::string_view(text_).substr(begin, end - begin))) + 1;
    } else {
      p.column = m.column + 1;
    }
    return p;
  }
  Pos pos(const YAML::Node& n) const { return pos(n.Mark()); }

  void error(Pos p, const std::string& msg) {
    std::string where = file_;
    if (p.line > 0) where += ":" + std::to_string(p.line) + ":" + std::to_string(p.column);
    lines_.push_back({p.line, p.column, where + ": error: " + msg});
  }
  bool any() const { return !lines_.empty(); }
  // Throws Error(invalid_argument) with all lines, if any.
  void throw_if_any() const {
    if (lines_.empty()) return;
    auto sorted = lines_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Line& a, const Line& b) {
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    std::string all;
    for (const auto& l : sorted) all += (all.empty() ? "" : "\n") + l.text;
    throw Error(Error::Code::invalid_argument, all);
  }

 private:
  std::string file_;
  const std::string& text_;
  std::vector<std::size_t> starts_;
  struct Line {
    int line, column;
    std::string text;
  };
  std::vector<Line> lines_;
};

// The holidays the national regulation fixes, year by year
// (statutory/ID.yaml): what a provisional year is counted with.
struct StatutorySpec {
  std::string file;
  std::string rule;  // the regulation, as the file names it
  std::vector<std::pair<int, std::vector<DaySpec>>> years;  // ascending
};

// Reads a statutory-holiday file; every problem of it in one Error(invalid_argument).
StatutorySpec parse_statutory(const std::string& text, const std::string& file);

// Reads a calendar file's text; every problem of it in one Error(invalid_argument).
FileSpec parse_file(const std::string& text, const std::string& file);
// A whole file; Error(not_found) when it cannot be read.
std::string slurp(const std::string& path);
// "2025-2026", or "2026" for one year.
std::string years_text(int first, int last);

}  // namespace jointreview::calendar_file

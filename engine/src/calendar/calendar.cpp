// Working-day calendars: a calendar file (calendar_file.h) and what it
// extends turned into O(1) working-day arithmetic over a prefix count of
// working days; Calendar::load finds the files. Civil dates: date.cpp.
//
// Counting model. For a calendar covering the years first..last, let S be
// January 1 of `first` and E December 31 of `last`. count(d) is the number
// of working days w with S - 1 < w <= d (negative for d < S - 1, where the
// weekends-only fallback applies). Then
//   between(a, b) = count(b) - count(a)
//   add(d, n>=1)  = the working day w with count(w) = count(d) + n
//   add(d, 0)     = the working day w with count(w) = count(d - 1) + 1
//   add(d, -n)    = the working day w with count(w) = count(d - 1) - n + 1
// Inside S..E both count and its inverse are array lookups; outside, the
// fallback uses closed formulas for Monday-to-Friday counting.
#include "jointreview/calendar.h"

#include "calendar/calendar_file.h"
#include "calendar/kept.h"
#include "calendar/civil.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "jointreview/error.h"
#include "jointreview/workflow.h"
#include "util/text_util.h"

namespace fs = std::filesystem;

namespace jointreview {

using namespace civil;
using namespace calendar_file;

namespace {

// ---------------------------------------------------------------------------
// The calendar
// ---------------------------------------------------------------------------

class CalendarImpl final : public Calendar {
 public:
  CalendarImpl(const CalendarOptions& options) : fallback_(options.weekend_fallback), sink_(options.on_warning) {}

  // Builds the days from a chain of files, the base calendar first, and,
  // when given, the provisional years after them from the statutory
  // holidays (weekends and those days off; no make-up days).
  void build(const std::vector<std::pair<FileSpec, std::string>>& chain, const StatutorySpec* statutory = nullptr) {
    const FileSpec& base = chain.front().first;
    const FileSpec& top = chain.back().first;
    if (base.years.empty())  // parse_file reports it; never index an empty list
      throw Error(Error::Code::invalid_argument, base.file + ": error: the calendar lists no year");
    id_ = top.id;
    name_ = top.name;
    version_ = top.version;
    first_year_ = base.years.front().year;
    last_year_ = base.years.back().year;
    last_counted_year_ = last_year_;
    if (statutory)
      for (const auto& [year, days] : statutory->years)
        if (year == last_counted_year_ + 1) last_counted_year_ = year;
    start_ = Date::from_ymd(first_year_, 1, 1);
    published_end_ = Date::from_ymd(last_year_, 12, 31);
    end_ = Date::from_ymd(last_counted_year_, 12, 31);
    const auto n = static_cast<std::size_t>(end_ - start_ + 1);
    kind_.assign(n, DayKind::workday);
    label_.assign(n, 0);
    labels_.assign(1, "");
    for (std::size_t i = 0; i < n; ++i)
      if ((start_ + static_cast<int>(i)).weekday() >= 6) kind_[i] = DayKind::weekend;
    if (statutory)
      for (const auto& [year, days] : statutory->years) {
        if (year <= last_year_ || year > last_counted_year_) continue;
        for (const auto& h : days) {
          const std::uint16_t li = intern(h.text);
          for (Date d = h.from; d <= h.to; d = d + 1) {
            kind_[index(d)] = DayKind::holiday;
            label_[index(d)] = li;
          }
        }
      }

    for (const auto& [spec, text] : chain) {
      Problems pr(spec.file, text);
      // Which line set a day, for messages about clashes.
      std::map<std::int32_t, int> set_at;
      auto outside = [&](const DaySpec& ds) {
        if (covers(ds.from) && covers(ds.to)) return false;
        pr.error(ds.pos, (ds.from == ds.to ? ds.from.str() : ds.from.str() + " .. " + ds.to.str()) +
                             " is outside the years this calendar covers (" + years_text(first_year_, last_year_) +
                             ")");
        return true;
      };
      auto clash = [&](Date d, const DaySpec& ds, const std::string& what) {
        std::string where = set_at.count(d.days()) ? " (line " + std::to_string(set_at[d.days()]) + ")" : "";
        pr.error(ds.pos, d.str() + " is already " + what + where);
      };
      for (const auto& y : spec.years) {
        for (const auto& h : y.holidays) {
          if (outside(h)) continue;
          std::uint16_t li = intern(h.text);
          for (Date d = h.from; d <= h.to; d = d + 1) {
            auto i = index(d);
            if (kind_[i] == DayKind::holiday) { clash(d, h, "a holiday (" + labels_[label_[i]] + ")"); continue; }
            kind_[i] = DayKind::holiday;
            label_[i] = li;
            set_at[d.days()] = h.pos.line;
          }
        }
      }
      for (const auto& y : spec.years) {
        for (const auto& m : y.makeups) {
          if (outside(m)) continue;
          std::uint16_t li = intern(kMakeupLabel);
          for (Date d = m.from; d <= m.to; d = d + 1) {
            auto i = index(d);
            if (kind_[i] == DayKind::holiday) { clash(d, m, "a holiday (" + labels_[label_[i]] + ")"); continue; }
            if (kind_[i] == DayKind::makeup) { clash(d, m, "a make-up working day"); continue; }
            if (kind_[i] == DayKind::workday) {
              pr.error(m.pos, "make-up working day " + d.str() + " is a " + weekday_name(d) +
                                  ", already a working day; make-up days are weekend days that are worked");
              continue;
            }
            kind_[i] = DayKind::makeup;
            label_[i] = li;
            set_at[d.days()] = m.pos.line;
          }
        }
      }
      for (const auto& c : spec.closures) {
        if (outside(c)) continue;
        std::uint16_t li = intern(c.text);
        bool closed_any = false;
        for (Date d = c.from; d <= c.to; d = d + 1) {
          auto i = index(d);
          if (!working(kind_[i])) continue;  // already off: keeps its own label
          kind_[i] = DayKind::closure;
          label_[i] = li;
          closed_any = true;
        }
        if (!closed_any)
          pr.error(c.pos, "closure " + (c.from == c.to ? c.from.str() : c.from.str() + " .. " + c.to.str()) +
                              " closes nothing: " + (c.from == c.to ? "the day is" : "every day is") +
                              " already off" +
                              (labels_[label_[index(c.from)]].empty() ? ""
                                                                      : " (" + labels_[label_[index(c.from)]] + ")"));
      }
      for (const auto& x : spec.extra) {
        if (outside(x)) continue;
        std::uint16_t li = intern(x.text);
        for (Date d = x.from; d <= x.to; d = d + 1) {
          auto i = index(d);
          if (working(kind_[i])) {
            pr.error(x.pos, "extra working day " + d.str() + " is already a working day");
            continue;
          }
          kind_[i] = DayKind::extra_working;
          label_[i] = li;
        }
      }
      pr.throw_if_any();
    }

    prefix_.assign(n + 1, 0);
    nth_.clear();
    for (std::size_t i = 0; i < n; ++i) {
      bool w = working(kind_[i]);
      prefix_[i + 1] = prefix_[i] + (w ? 1 : 0);
      if (w) nth_.push_back(static_cast<std::int32_t>(i));
    }

    // The published totals, checked against the base file's own holidays
    // and make-up days (local closures of extending calendars aside).
    Problems pr(base.file, chain.front().second);
    for (const auto& y : base.years) {
      if (!y.expected_working_days) continue;
      int got = notice_working_days(base, y.year);
      if (got != *y.expected_working_days)
        pr.error(y.expected_pos, "year " + std::to_string(y.year) + " has " + std::to_string(got) +
                                     " working days by the dates given, but 'working_days' says " +
                                     std::to_string(*y.expected_working_days) +
                                     "; check the holidays and make-up days against the notice");
    }
    pr.throw_if_any();
  }

  const std::string& id() const override { return id_; }
  const std::string& name() const override { return name_; }
  const std::string& version() const override { return version_; }
  int first_year() const override { return first_year_; }
  int last_year() const override { return last_year_; }
  int last_counted_year() const override { return last_counted_year_; }
  bool covers(Date d) const override { return d >= start_ && d <= published_end_; }
  bool is_provisional(Date d) const override { return d > published_end_ && d <= end_; }

  bool is_working_day(Date d) const override { return working(kind(d)); }

  DayKind kind(Date d) const override {
    if (counted(d)) return kind_[index(d)];
    need_fallback(d, d);
    return d.weekday() >= 6 ? DayKind::weekend : DayKind::workday;
  }

  std::string label(Date d) const override {
    if (counted(d)) return labels_[label_[index(d)]];
    need_fallback(d, d);
    return "";
  }

  bool is_makeup_day(Date d) const override { return kind(d) == DayKind::makeup; }

  Date add(Date d, long n) const override {
    constexpr long kLimit = 3650000;  // about ten thousand years of working days
    if (n > kLimit || n < -kLimit)
      throw Error(Error::Code::out_of_range, std::to_string(n) + " working days from " + d.str() +
                                                 ": the number of working days is too large");
    const Op op{Op::add, d, d, n};
    std::int64_t target = n >= 1 ? count(d, op) + n : count(d - 1, op) + n + 1;
    return nth(target, op);
  }

  long between(Date a, Date b) const override {
    const Op op{Op::between, a, b, 0};
    return static_cast<long>(count(b, op) - count(a, op));
  }

  int working_days_in_year(int year) const override {
    if (year < kMinYear || year > kMaxYear)
      throw Error(Error::Code::out_of_range, "year " + std::to_string(year) + " is out of the range 1..9999");
    Date first = Date::from_ymd(year, 1, 1);
    Date last = Date::from_ymd(year, 12, 31);
    const Op op{Op::year, first, last, year};
    if (!counted(first)) need_fallback(first, last);
    return static_cast<int>(count(last, op) - count(first - 1, op));
  }

 private:
  static bool working(DayKind k) {
    return k == DayKind::workday || k == DayKind::makeup || k == DayKind::extra_working;
  }
  static std::string weekday_name(Date d) {
    static const char* const names[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                         "Friday", "Saturday", "Sunday"};
    return names[d.weekday() - 1];
  }
  std::size_t index(Date d) const { return static_cast<std::size_t>(d - start_); }
  // Whether the arrays hold d: a published or a provisional day.
  bool counted(Date d) const { return d >= start_ && d <= end_; }

  std::uint16_t intern(const std::string& s) {
    auto it = std::find(labels_.begin(), labels_.end(), s);
    if (it != labels_.end()) return static_cast<std::uint16_t>(it - labels_.begin());
    if (labels_.size() >= 65535) throw Error(Error::Code::invalid_argument, "too many distinct day names");
    labels_.push_back(s);
    return static_cast<std::uint16_t>(labels_.size() - 1);
  }

  // Working days of `year` from a base file's holidays and make-up days only.
  static int notice_working_days(const FileSpec& base, int year) {
    std::set<std::int32_t> off, on;
    for (const auto& y : base.years) {
      for (const auto& h : y.holidays)
        for (Date d = h.from; d <= h.to; d = d + 1) off.insert(d.days());
      for (const auto& m : y.makeups)
        for (Date d = m.from; d <= m.to; d = d + 1) on.insert(d.days());
    }
    int total = 0;
    for (Date d = Date::from_ymd(year, 1, 1); d <= Date::from_ymd(year, 12, 31); d = d + 1)
      if (on.count(d.days()) || (d.weekday() <= 5 && !off.count(d.days()))) ++total;
    return total;
  }

  // Monday-to-Friday days w with R <= w <= d, R a fixed Monday
  // (1970-01-05), counted negatively before R: weekdays(b) - weekdays(a) is
  // the number of Monday-to-Friday days in (a, b].
  static std::int64_t weekdays(std::int64_t days) {
    std::int64_t t = days - 4 + 1;
    return 5 * floor_div(t, 7) + std::min<std::int64_t>(floor_mod(t, 7), 5);
  }
  // The Monday-to-Friday day w with weekdays(w) == g.
  static std::int64_t weekday_with_count(std::int64_t g) {
    std::int64_t q = floor_div(g - 1, 5), r = floor_mod(g - 1, 5);
    return 4 + 7 * q + r;
  }

  std::string coverage_hint() const {
    const std::string provisional =
        last_counted_year_ > last_year_
            ? " (and " + years_text(last_year_ + 1, last_counted_year_) + " provisionally, by the statutory holidays)"
            : "";
    return "calendar '" + id_ + "' (data version " + version_ + ") covers " + years_text(first_year_, last_year_) +
           provisional +
           " only; add the year's holidays to the calendar file, or allow the weekends-only fallback explicitly "
           "(CalendarOptions::weekend_fallback)";
  }

  // Checks that the fallback is allowed for the days a..b outside the
  // covered years, and warns once per year.
  void need_fallback(Date a, Date b) const {
    if (a > b) std::swap(a, b);
    if (!fallback_) {
      Date bad = counted(a) ? b : a;
      throw Error(Error::Code::out_of_range, bad.str() + " is outside the covered years: " + coverage_hint());
    }
    std::vector<int> fresh;
    {
      std::lock_guard<std::mutex> lock(warn_mutex_);
      auto note = [&](std::int64_t y0, std::int64_t y1) {
        y0 = std::max<std::int64_t>(y0, kMinYear);  // a day before 0001-01-01 only as a boundary
        y1 = std::min<std::int64_t>(y1, kMaxYear);
        for (std::int64_t y = y0; y <= y1; ++y) {
          if (warned_.size() > 20000) break;
          if (warned_.insert(static_cast<int>(y)).second) fresh.push_back(static_cast<int>(y));
        }
      };
      std::int64_t ya = ymd_of(a.days()).y, yb = ymd_of(b.days()).y;
      if (ya < first_year_) note(ya, std::min<std::int64_t>(yb, first_year_ - 1));
      if (yb > last_counted_year_) note(std::max<std::int64_t>(ya, last_counted_year_ + 1), yb);
    }
    // One line per year; a long run of new years is named as one span.
    std::size_t i = 0;
    while (i < fresh.size()) {
      std::size_t j = i;
      while (j + 1 < fresh.size() && fresh[j + 1] == fresh[j] + 1) ++j;
      std::vector<std::string> lines;
      if (j - i + 1 > 3) {
        lines.push_back(std::to_string(fresh[i]) + "-" + std::to_string(fresh[j]));
      } else {
        for (std::size_t k = i; k <= j; ++k) lines.push_back(std::to_string(fresh[k]));
      }
      for (const auto& span : lines) {
        std::string msg = "calendar '" + id_ + "' covers " + years_text(first_year_, last_year_) +
                          " only; counting weekends only (no holidays, no make-up days) for " + span;
        if (sink_) sink_(msg);
      }
      i = j + 1;
    }
  }

  // The question being answered, named in messages only when one is needed
  // (no strings are built on the way to an answer), in the caller's terms:
  // the dates and the count it gave, never the days looked at on the way.
  struct Op {
    enum Kind { add, between, year } kind;
    Date a, b;
    long n;
    std::string str() const {
      switch (kind) {
        case add:
          if (n == 0) return "the first working day from " + a.str();
          return std::to_string(n < 0 ? -n : n) + " working day" + (n == 1 || n == -1 ? "" : "s") +
                 (n < 0 ? " before " : " after ") + a.str();
        case between: return "the working days from " + a.str() + " to " + b.str();
        case year: return "the working days of " + std::to_string(n);
      }
      return "";
    }
    // The date to name when the count through `d` runs outside the covered
    // years: `d` itself, or the date the caller gave when `d` is one the
    // counting chose (the day before it, for add).
    Date shown(Date d) const { return kind == add ? a : d; }
  };

  // Working days w with start_ - 1 < w <= d (negative before start_ - 1).
  std::int64_t count(Date d, const Op& op) const {
    if (d >= start_ - 1 && d <= end_) return d < start_ ? 0 : prefix_[index(d) + 1];
    if (!fallback_)
      throw Error(Error::Code::out_of_range, op.shown(d).str() + " is outside the covered years (" + op.str() +
                                                 "): " + coverage_hint());
    // Every uncovered year that the count runs through is named.
    if (d > end_) need_fallback(end_ + 1, d);
    else need_fallback(d, start_ - 1);
    if (d > end_) return prefix_.back() + weekdays(d.days()) - weekdays(end_.days());
    return weekdays(d.days()) - weekdays((start_ - 1).days());
  }

  // The working day w with count(w) == k.
  Date nth(std::int64_t k, const Op& op) const {
    const auto total = static_cast<std::int64_t>(nth_.size());
    if (k >= 1 && k <= total) return start_ + nth_[static_cast<std::size_t>(k - 1)];
    const std::string what = op.str();
    if (!fallback_) {
      bool after = k > total;
      throw Error(Error::Code::out_of_range,
                  what + " falls " + (after ? "after " + end_.str() + ", the last" :
                                              "before " + start_.str() + ", the first") +
                      " day of the covered years: " + coverage_hint());
    }
    std::int64_t days = k > total ? weekday_with_count(weekdays(end_.days()) + (k - total))
                                  : weekday_with_count(weekdays((start_ - 1).days()) + k);
    const std::int64_t lo = days_of(kMinYear, 1, 1), hi = days_of(kMaxYear, 12, 31);
    if (days < lo || days > hi)
      throw Error(Error::Code::out_of_range, what + " falls outside the years 1..9999");
    Date r = Date::from_days(static_cast<std::int32_t>(days));
    if (r > end_) need_fallback(end_ + 1, r);
    else need_fallback(r, start_ - 1);
    return r;
  }

  bool fallback_;
  std::function<void(const std::string&)> sink_;
  std::string id_, name_, version_;
  int first_year_ = 0, last_year_ = 0;  // the published years
  int last_counted_year_ = 0;             // the last provisional year (last_year_ when none)
  Date published_end_;                    // December 31 of last_year_
  Date start_, end_;
  std::vector<DayKind> kind_;
  std::vector<std::uint16_t> label_;
  std::vector<std::string> labels_;
  std::vector<std::int32_t> prefix_;  // prefix_[i]: working days among the first i days
  std::vector<std::int32_t> nth_;     // nth_[k-1]: index of the k-th working day
  mutable std::mutex warn_mutex_;
  mutable std::set<int> warned_;
};

bool valid_calendar_id(const std::string& id) {
  if (id.empty() || id.size() > 100 || id.find("..") != std::string::npos) return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

std::vector<std::string> search_dirs(const CalendarOptions& options) {
  return options.search_path.empty() ? workflow_calendar_path("") : options.search_path;
}

// Finds ID.yaml in dirs[from..]; returns the path and the index of its dir.
std::optional<std::pair<std::string, std::size_t>> find_file(const std::string& id,
                                                             const std::vector<std::string>& dirs,
                                                             std::size_t from) {
  for (std::size_t i = from; i < dirs.size(); ++i) {
    std::error_code ec;
    fs::path p = fs::path(dirs[i]) / (id + ".yaml");
    if (fs::is_regular_file(p, ec)) return std::make_pair(p.string(), i);
  }
  return std::nullopt;
}

std::string known_list(const std::vector<std::string>& dirs) {
  const std::vector<std::string> ids = calendar_ids(dirs);
  if (ids.empty()) return "no calendar files were found in " + text::quoted_list(dirs);
  return "known calendars are " + text::quoted_list(ids);
}

// Resolves `extends` from the top file down to the base; returns the chain
// base first. `dir_index` is where the top file was found (or npos).
std::vector<std::pair<FileSpec, std::string>> resolve_chain(FileSpec top, std::string text, std::size_t dir_index,
                                                            const std::vector<std::string>& dirs) {
  std::vector<std::pair<FileSpec, std::string>> chain;
  chain.emplace_back(std::move(top), std::move(text));
  std::vector<std::string> seen_files;
  seen_files.push_back(chain.back().first.file);
  while (!chain.back().first.extends.empty()) {
    const FileSpec& child = chain.back().first;
    const std::string parent = child.extends;
    auto where = [&] {
      return child.file + ":" + std::to_string(child.pos_extends.line) + ":" + std::to_string(child.pos_extends.column);
    };
    if (!valid_calendar_id(parent))
      throw Error(Error::Code::invalid_argument, where() + ": error: invalid calendar id " + shown(parent));
    // A file that extends its own id continues the search after its folder.
    std::size_t from = (parent == child.id && dir_index != std::string::npos) ? dir_index + 1 : 0;
    auto found = find_file(parent, dirs, from);
    if (!found)
      throw Error(Error::Code::not_found,
                  where() + ": error: calendar '" + child.id + "' extends unknown calendar '" + parent + "'; " +
                      known_list(dirs));
    if (std::find(seen_files.begin(), seen_files.end(), found->first) != seen_files.end())
      throw Error(Error::Code::invalid_argument,
                  where() + ": error: calendar '" + child.id + "' extends '" + parent + "', which extends it back");
    if (chain.size() > 16)
      throw Error(Error::Code::invalid_argument, where() + ": error: 'extends' goes more than 16 calendars deep");
    std::string ptext = slurp(found->first);
    FileSpec spec = parse_file(ptext, found->first);
    spec.dir = dirs[found->second];
    dir_index = found->second;
    seen_files.push_back(found->first);
    chain.emplace_back(std::move(spec), std::move(ptext));
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

// The file of the chain that names the statutory-holiday data for the
// provisional years (`statutory: ID`): the top-most one that does; null for none.
const FileSpec* statutory_names(const std::vector<std::pair<FileSpec, std::string>>& chain) {
  for (auto it = chain.rbegin(); it != chain.rend(); ++it)
    if (!it->first.statutory.empty()) return &it->first;
  return nullptr;
}

// The statutory data a chain names, found as statutory/ID.yaml in the
// calendar folders: its path and text; none when the chain names none.
std::optional<std::pair<std::string, std::string>> find_statutory(
    const std::vector<std::pair<FileSpec, std::string>>& chain, const std::vector<std::string>& dirs) {
  const FileSpec* names = statutory_names(chain);
  if (!names) return std::nullopt;
  for (const auto& d : dirs) {
    std::error_code ec;
    const fs::path p = fs::path(d) / "statutory" / (names->statutory + ".yaml");
    if (fs::is_regular_file(p, ec)) return std::make_pair(p.string(), slurp(p.string()));
  }
  throw Error(Error::Code::not_found,
              names->file + ":" + std::to_string(names->pos_statutory.line) + ":" +
                  std::to_string(names->pos_statutory.column) + ": error: no statutory-holiday data '" +
                  names->statutory + "' (statutory/" + names->statutory + ".yaml) in " + text::quoted_list(dirs));
}

// The calendar of a chain of files, with its provisional years from the
// statutory data unless the options are strict (or the chain names none).
std::shared_ptr<const Calendar> build_calendar(const std::vector<std::pair<FileSpec, std::string>>& chain,
                                               const std::optional<std::pair<std::string, std::string>>& statutory,
                                               const CalendarOptions& options) {
  auto cal = std::make_shared<CalendarImpl>(options);
  if (options.strict || !statutory) {
    cal->build(chain);
    return cal;
  }
  const StatutorySpec spec = parse_statutory(statutory->second, statutory->first);
  cal->build(chain, &spec);
  return cal;
}

std::shared_ptr<const Calendar> build_calendar(const std::vector<std::pair<FileSpec, std::string>>& chain,
                                               const std::vector<std::string>& dirs,
                                               const CalendarOptions& options) {
  if (options.strict || !statutory_names(chain)) return build_calendar(chain, std::nullopt, options);
  return build_calendar(chain, find_statutory(chain, dirs), options);
}

// The chain of calendar `id` found in the folders (the top file's id checked).
std::vector<std::pair<FileSpec, std::string>> find_chain(const std::string& id, const std::vector<std::string>& dirs) {
  if (!valid_calendar_id(id))
    throw Error(Error::Code::invalid_argument,
                "invalid calendar id " + shown(id) + ": use letters, digits, '-', '_' and '.'");
  auto found = find_file(id, dirs, 0);
  if (!found) throw Error(Error::Code::not_found, "unknown calendar '" + id + "'; " + known_list(dirs));
  std::string text = slurp(found->first);
  FileSpec spec = parse_file(text, found->first);
  if (spec.id != id)
    throw Error(Error::Code::invalid_argument,
                found->first + ":" + std::to_string(spec.pos_id.line) + ":" + std::to_string(spec.pos_id.column) +
                    ": error: the file " + id + ".yaml declares id '" + spec.id +
                    "'; the id must match the file name");
  spec.dir = dirs[found->second];
  return resolve_chain(std::move(spec), std::move(text), found->second, dirs);
}

// A chain (and its statutory data) kept: the calendar and the bundle.
KeptCalendar keep_chain(const std::vector<std::pair<FileSpec, std::string>>& chain,
                        const std::vector<std::string>& dirs, const CalendarOptions& options) {
  // The statutory data is kept even when the options are strict: the copy
  // is the data, and how it is counted is the options' business.
  std::optional<std::pair<std::string, std::string>> statutory;
  if (statutory_names(chain)) {
    try {
      statutory = find_statutory(chain, dirs);
    } catch (const Error&) {
      if (!options.strict) throw;
    }
  }
  KeptCalendar k;
  k.calendar = build_calendar(chain, statutory, options);
  k.id = k.calendar->id();
  k.version = k.calendar->version();
  k.source = chain.back().first.file;
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const auto& [spec, text] : chain) files.push_back({{"file", spec.file}, {"text", text}});
  nlohmann::ordered_json b = {{"format", 1}, {"id", k.id}, {"version", k.version}, {"chain", files}};
  b["statutory"] = statutory ? nlohmann::ordered_json{{"file", statutory->first}, {"text", statutory->second}}
                             : nlohmann::ordered_json(nullptr);
  k.bundle = b.dump();
  return k;
}

}  // namespace

std::shared_ptr<const Calendar> Calendar::load(const std::string& id, const CalendarOptions& options) {
  const auto dirs = search_dirs(options);
  return build_calendar(find_chain(id, dirs), dirs, options);
}

KeptCalendar keep_calendar(const std::string& id, const CalendarOptions& options) {
  const auto dirs = search_dirs(options);
  return keep_chain(find_chain(id, dirs), dirs, options);
}

KeptCalendar keep_workflow_calendar(const Workflow& wf, CalendarOptions options) {
  if (options.search_path.empty()) options.search_path = workflow_calendar_path(wf.file);
  return keep_calendar(wf.calendar.empty() ? "cn" : wf.calendar, options);
}

KeptCalendar keep_calendar_file(const std::string& path, const CalendarOptions& options) {
  std::string text = slurp(path);
  FileSpec spec = parse_file(text, path);
  std::vector<std::string> dirs{fs::path(path).parent_path().empty() ? std::string(".")
                                                                     : fs::path(path).parent_path().string()};
  for (const auto& d : search_dirs(options)) dirs.push_back(d);
  spec.dir = dirs.front();
  auto chain = resolve_chain(std::move(spec), std::move(text), 0, dirs);
  KeptCalendar k = keep_chain(chain, dirs, options);
  std::error_code ec;
  const fs::path abs = fs::absolute(path, ec);
  if (!ec) k.source = abs.lexically_normal().string();  // where it came from, wherever the command ran
  return k;
}

std::shared_ptr<const Calendar> calendar_from_bundle(const std::string& bundle, const std::string& where,
                                                     const CalendarOptions& options) {
  std::vector<std::pair<FileSpec, std::string>> chain;
  std::optional<std::pair<std::string, std::string>> statutory;
  try {
    const auto b = nlohmann::json::parse(bundle);
    if (b.at("format").get<int>() != 1) throw std::runtime_error("an unknown format");
    for (const auto& f : b.at("chain")) {
      const std::string file = f.at("file").get<std::string>() + " (" + where + ")";
      const std::string text = f.at("text").get<std::string>();
      chain.emplace_back(parse_file(text, file), text);
    }
    if (chain.empty()) throw std::runtime_error("no file");
    if (!b.at("statutory").is_null())
      statutory = std::make_pair(b["statutory"].at("file").get<std::string>() + " (" + where + ")",
                                 b["statutory"].at("text").get<std::string>());
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(Error::Code::storage, where + " of a calendar cannot be read (" + e.what() + ")");
  }
  return build_calendar(chain, statutory, options);
}

bool same_calendar_data(const std::string& bundle_a, const std::string& bundle_b) {
  auto texts = [](const std::string& bundle) {
    std::vector<std::string> out;
    try {
      const auto b = nlohmann::json::parse(bundle);
      for (const auto& f : b.at("chain")) out.push_back(f.at("text").get<std::string>());
      out.push_back(b.at("statutory").is_null() ? std::string() : b["statutory"].at("text").get<std::string>());
    } catch (const std::exception&) {
      out.assign(1, "\x01" + bundle);  // unreadable: equal only to itself
    }
    return out;
  };
  return texts(bundle_a) == texts(bundle_b);
}

int compare_calendar_versions(const std::string& a, const std::string& b) {
  auto parts = [](const std::string& v) {
    std::vector<std::string> out(1);
    for (char c : v) {
      if (c == '.') out.emplace_back();
      else out.back() += c;
    }
    return out;
  };
  auto numeric = [](const std::string& p) {
    return !p.empty() && p.size() < 10 && std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c); });
  };
  const auto pa = parts(a), pb = parts(b);
  for (std::size_t i = 0; i < std::max(pa.size(), pb.size()); ++i) {
    const std::string x = i < pa.size() ? pa[i] : "0", y = i < pb.size() ? pb[i] : "0";
    if (numeric(x) && numeric(y)) {
      const long u = std::stol(x), v = std::stol(y);
      if (u != v) return u < v ? -1 : 1;
    } else if (x != y) {
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

std::shared_ptr<const Calendar> Calendar::from_yaml(const std::string& text, const std::string& name,
                                                    const CalendarOptions& options) {
  FileSpec spec = parse_file(text, name);
  const auto dirs = search_dirs(options);
  auto chain = resolve_chain(std::move(spec), text, std::string::npos, dirs);
  return build_calendar(chain, dirs, options);
}

Date Calendar::add_fractional(Date d, double t) const {
  if (!(t >= 0) || !std::isfinite(t))
    throw Error(Error::Code::invalid_argument,
                "a working-day offset must be a finite number >= 0, not " + std::to_string(t));
  // Offsets a rounding error above a whole number count as that number.
  double whole = std::min(std::ceil(t - 1e-9), 1e9);  // add() refuses anything this large
  return add(d, static_cast<long>(std::max(0.0, whole)));
}

}  // namespace jointreview

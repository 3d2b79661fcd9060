#include "runtime/working_time.h"

#include <cmath>
#include <cstdio>

#include "jointreview/error.h"

namespace jointreview {

namespace {
constexpr std::int64_t kDay = 86400;

std::int64_t local_seconds(WallTime t, int offset_minutes) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count() +
         std::int64_t{offset_minutes} * 60;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }
}  // namespace

WallTime parse_local_time(const std::string& text, int utc_offset_minutes) {
  // YYYY-MM-DD[(T| )HH:MM[:SS]][Z|(+|-)HH:MM], nothing else: a time that
  // goes into a legal record is read whole or refused, never in part.
  const std::string form =
      "; write YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS], optionally with a zone (Z, +08:00), nothing after it";
  if (text.empty()) throw Error(Error::Code::invalid_argument, "no time given" + form);
  auto digits = [&](std::size_t at, std::size_t n) {
    if (at + n > text.size()) return -1;
    int v = 0;
    for (std::size_t k = at; k < at + n; ++k) {
      if (text[k] < '0' || text[k] > '9') return -1;
      v = v * 10 + (text[k] - '0');
    }
    return v;
  };
  auto bad = [&](const std::string& why) { return Error(Error::Code::invalid_argument, "'" + text + "' " + why + form); };
  if (text.size() < 10) throw bad("is not a local time");
  Date d = Date::parse(text.substr(0, 10));  // throws with a clear reason
  if (d.year() < 1970 || d.year() > 2200) throw bad("lies outside the years 1970 to 2200");
  int hh = 0, mm = 0, ss = 0, offset = utc_offset_minutes;
  std::size_t at = 10;
  if (at < text.size() && (text[at] == 'T' || text[at] == ' ')) {
    hh = digits(at + 1, 2);
    mm = text.size() > at + 3 && text[at + 3] == ':' ? digits(at + 4, 2) : -1;
    if (hh < 0 || mm < 0 || hh > 23 || mm > 59) throw bad("is not a local time");
    at += 6;
    if (at < text.size() && text[at] == ':') {
      ss = digits(at + 1, 2);
      if (ss < 0 || ss > 59) throw bad("has no valid seconds");
      at += 3;
    }
  }
  if (at < text.size()) {
    if (text[at] == 'Z' && at + 1 == text.size()) {
      offset = 0;
      at += 1;
    } else if ((text[at] == '+' || text[at] == '-') && text.size() == at + 6 && text[at + 3] == ':') {
      const int oh = digits(at + 1, 2), om = digits(at + 4, 2);
      if (oh < 0 || om < 0 || oh > 14 || om > 59) throw bad("has no valid zone");
      offset = (text[at] == '-' ? -1 : 1) * (oh * 60 + om);
      at += 6;
    } else {
      throw bad("has something after the time that is not a zone");
    }
  }
  std::int64_t secs = std::int64_t{d.days()} * kDay + hh * 3600 + mm * 60 + ss - std::int64_t{offset} * 60;
  return WallTime(std::chrono::seconds(secs));
}

Date local_date(WallTime t, int utc_offset_minutes) {
  return Date::from_days(static_cast<std::int32_t>(floor_div(local_seconds(t, utc_offset_minutes), kDay)));
}

std::string format_local(WallTime t, int utc_offset_minutes) {
  std::int64_t s = local_seconds(t, utc_offset_minutes);
  Date d = Date::from_days(static_cast<std::int32_t>(floor_div(s, kDay)));
  std::int64_t x = s - std::int64_t{d.days()} * kDay;
  const int off = std::abs(utc_offset_minutes) % (100 * 60);
  auto two = [](std::string& out, int v) {
    out += static_cast<char>('0' + v / 10);
    out += static_cast<char>('0' + v % 10);
  };
  std::string out = d.str();
  out.reserve(out.size() + 15);
  out += 'T';
  two(out, static_cast<int>(x / 3600));
  out += ':';
  two(out, static_cast<int>(x / 60 % 60));
  out += ':';
  two(out, static_cast<int>(x % 60));
  out += utc_offset_minutes < 0 ? '-' : '+';
  two(out, off / 60);
  out += ':';
  two(out, off % 60);
  return out;
}

std::string local_date_compact(WallTime t, int utc_offset_minutes) {
  std::string s = local_date(t, utc_offset_minutes).str();
  return s.substr(0, 4) + s.substr(5, 2) + s.substr(8, 2);
}

namespace {
// The calendar's own hint, in the caller's terms: what it covers, and the
// way out.
std::string coverage(const Calendar& c) {
  const std::string years = c.first_year() == c.last_year()
                                ? std::to_string(c.first_year())
                                : std::to_string(c.first_year()) + "-" + std::to_string(c.last_year());
  return "calendar '" + c.id() + "' (data version " + c.version() + ") covers " + years +
         " only; add the year's holidays to the calendar file, or allow the weekends-only fallback explicitly "
         "(CalendarOptions::weekend_fallback)";
}
}  // namespace

TimeMap::TimeMap(std::shared_ptr<const Calendar> cal, int utc_offset_minutes, bool strict)
    : cal_(std::move(cal)),
      offset_(utc_offset_minutes),
      strict_(strict),
      epoch_(Date::from_ymd(cal_->first_year(), 1, 1) - 1) {}

void TimeMap::check_strict(Date d) const {
  if (strict_ && cal_->is_provisional(d)) throw Error(Error::Code::out_of_range, "provisional");
}

double TimeMap::to_wt_lenient(WallTime t) const {
  try {
    return to_wt_unchecked(t, false);
  } catch (const Error& e) {
    if (e.code() != Error::Code::out_of_range) throw;
    throw Error(Error::Code::out_of_range,
                "the time " + format_local(t, offset_) + " is outside the covered years: " + coverage(*cal_));
  }
}

double TimeMap::to_wt(WallTime t) const {
  try {
    return to_wt_unchecked(t, strict_);
  } catch (const Error& e) {
    if (e.code() != Error::Code::out_of_range) throw;
    throw Error(Error::Code::out_of_range,
                "the time " + format_local(t, offset_) + " is outside the covered years: " + coverage(*cal_));
  }
}

double TimeMap::to_wt_unchecked(WallTime t, bool strict) const {
  std::int64_t s = local_seconds(t, offset_);
  Date d = Date::from_days(static_cast<std::int32_t>(floor_div(s, kDay)));
  std::int64_t x = s - std::int64_t{d.days()} * kDay;
  if (strict) check_strict(d);
  double w = static_cast<double>(cal_->between(epoch_, d));
  if (!cal_->is_working_day(d)) return w;
  return w - 1.0 + static_cast<double>(x + 1) / static_cast<double>(kDay + 2);
}

WallTime TimeMap::from_wt(double wt) const {
  try {
    return from_wt_unchecked(wt);
  } catch (const Error& e) {
    if (e.code() != Error::Code::out_of_range) throw;
    throw Error(Error::Code::out_of_range, "a time after " + std::to_string(cal_->last_year()) +
                                               "-12-31, the last day of the covered years: " + coverage(*cal_));
  }
}

WallTime TimeMap::from_wt_unchecked(double wt) const {
  double whole = std::floor(wt + 1e-9);
  if (std::fabs(wt - whole) < 1e-9) {
    // The end of working day `whole`: the local midnight after it.
    Date d = cal_->add(epoch_, static_cast<long>(whole));
    check_strict(d);
    std::int64_t secs = (std::int64_t{d.days()} + 1) * kDay - std::int64_t{offset_} * 60;
    return WallTime(std::chrono::seconds(secs));
  }
  double k = std::floor(wt);
  Date d = cal_->add(epoch_, static_cast<long>(k) + 1);
  check_strict(d);
  // The second whose to_wt() this is (rounded, not ceiled: a time read
  // back from to_wt() must give its own second again, not the next one).
  std::int64_t x = std::llround((wt - k) * static_cast<double>(kDay + 2)) - 1;
  x = std::clamp<std::int64_t>(x, 0, kDay - 1);
  std::int64_t secs = std::int64_t{d.days()} * kDay + x - std::int64_t{offset_} * 60;
  return WallTime(std::chrono::seconds(secs));
}

CivilInstant TimeMap::to_civil(double wt) const {
  CivilInstant c;
  if (!(wt > 0) || !std::isfinite(wt)) {
    c.frac = wt;
    return c;
  }
  const double k = std::floor(wt);
  const bool whole = wt == k;
  const double w = whole ? k : k + 1;
  const double f = whole ? 1.0 : wt - k;
  try {
    c.day = cal_->add(epoch_, static_cast<long>(w)).days();
    c.tag = CivilInstant::on_day;
    c.frac = f;
  } catch (const Error&) {
    // Past what the calendar counts: so many working days after its last day.
    const Date last = Date::from_ymd(cal_->last_counted_year(), 12, 31);
    c.tag = CivilInstant::beyond;
    c.day = last.days();
    c.frac = wt - static_cast<double>(cal_->between(epoch_, last));
  }
  return c;
}

double TimeMap::from_civil(const CivilInstant& c) const {
  if (c.tag == CivilInstant::none) return c.frac;
  const Date d = Date::from_days(c.day);
  long w = 0;
  try {
    w = cal_->between(epoch_, d);
  } catch (const Error& e) {
    if (e.code() != Error::Code::out_of_range) throw;
    throw Error(Error::Code::out_of_range, "a time recorded on " + d.str() +
                                               " is outside the covered years: " + coverage(*cal_));
  }
  if (c.tag == CivilInstant::beyond) return static_cast<double>(w) + c.frac;
  if (!cal_->is_working_day(d)) return static_cast<double>(w);
  return static_cast<double>(w - 1) + c.frac;
}

std::int64_t TimeMap::fire_second(double wt) const {
  try {
    return std::chrono::duration_cast<std::chrono::seconds>(from_wt_unchecked(wt).time_since_epoch()).count();
  } catch (const Error&) {
    return INT64_MAX;
  }
}

Date TimeMap::deadline_day(double due) const {
  try {
    const Date d = cal_->add(epoch_, static_cast<long>(std::ceil(due - 1e-9)));
    check_strict(d);
    return d;
  } catch (const Error& e) {
    if (e.code() != Error::Code::out_of_range) throw;
    throw Error(Error::Code::out_of_range, "a deadline after " + std::to_string(cal_->last_year()) +
                                               "-12-31, the last day of the covered years: " + coverage(*cal_));
  }
}

std::string TimeMap::deadline_date(double due) const { return deadline_day(due).str(); }

std::string TimeMap::deadline_text(double due) const {
  try {
    return deadline_date(due);
  } catch (const Error& e) {
    if (e.code() != Error::Code::out_of_range) throw;
    return "after " + std::to_string(cal_->last_year()) + "-12-31";
  }
}

bool TimeMap::provisional(double due) const {
  if (strict_) return false;  // no provisional dates: deadline_text says "after ..."
  try {
    const Date d = deadline_day(due);
    // Also a date counted by weekends only (outside every counted year,
    // with the weekend fallback): an estimate as well.
    return cal_->is_provisional(d) || d.year() > cal_->last_counted_year() || d.year() < cal_->first_year();
  } catch (const Error&) {
    return false;  // no date at all: deadline_text says "after ..."
  }
}

std::string TimeMap::marked_text(double due) const {
  return deadline_text(due) + (provisional(due) ? " (provisional)" : "");
}

}  // namespace jointreview

// The State Council's yearly holiday notice (calendar.h): its text as
// published read paragraph by paragraph, checked against the calendar
// (weekdays, totals, make-up days), and written as calendar-file YAML, also
// into an existing calendar file by editing its text, so that every other
// line stays as it was. docs/calendar.md#importing-the-state-councils-notice.
//
// A notice is formulaic: a title with the year, a preamble, one paragraph
// per holiday numbered 一、二、三、…, and closing lines. A paragraph is
//   一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
// i.e. NUMERAL、NAME：DATE[（REMARK）][至DATE[（REMARK）]]放假[调休][N天]
// [，共N天|，不调休|，与周末连休]。 then sentences DATE[（REMARK）]、…上班。
// A REMARK holds the weekday (周X, 星期X) and a lunar date (农历…).
#include "jointreview/calendar.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "calendar/calendar_file.h"
#include "jointreview/error.h"
#include "util/text_util.h"

namespace jointreview {

namespace {

using calendar_file::Pos;
using calendar_file::Problems;

const char* const kWeekdayEn[7] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
const char* const kWeekdayCn[7] = {"周一", "周二", "周三", "周四", "周五", "周六", "周日"};

// ---------------------------------------------------------------------------
// Characters and lines
// ---------------------------------------------------------------------------

// A character of the notice and where it stands. `c` folds the variants a
// notice is typed with, so that the grammar is written once: full-width
// ASCII forms (：，（）０-９) to ASCII and 。 to '.'. `raw` is as written, for
// names and messages.
struct Ch {
  char32_t c;
  char32_t raw;
  Pos pos;
};
// A line without its white space (a notice has none that means anything;
// web copies indent paragraphs with U+3000).
using Chars = std::vector<Ch>;

char32_t fold(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) return c - 0xFEE0;
  if (c == U'。') return U'.';
  return c;
}

bool white(char32_t c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == 0x3000 || c == 0xA0;
}

void put_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

std::string raw_text(const Chars& s, std::size_t from, std::size_t to) {
  std::string out;
  for (std::size_t i = from; i < to && i < s.size(); ++i) put_utf8(out, s[i].raw);
  return out;
}

// The lines of valid UTF-8 text, white space dropped.
std::vector<Chars> split_lines(const std::string& text) {
  std::vector<Chars> lines(1);
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  int line = 1, column = 1;
  for (std::size_t i = 0; i < text.size();) {
    unsigned char b = p[i];
    std::size_t len = b < 0x80 ? 1 : (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : 4;
    char32_t c = len == 1 ? b : len == 2 ? b & 0x1F : len == 3 ? b & 0x0F : b & 0x07;
    for (std::size_t k = 1; k < len; ++k) c = (c << 6) | (p[i + k] & 0x3F);
    i += len;
    if (c == '\n') {
      lines.emplace_back();
      ++line;
      column = 1;
      continue;
    }
    if (!white(c)) lines.back().push_back({fold(c), c, {line, column}});
    ++column;
  }
  return lines;
}

bool starts_with(const Chars& s, std::size_t at, std::u32string_view lit) {
  if (s.size() < at || s.size() - at < lit.size()) return false;
  for (std::size_t k = 0; k < lit.size(); ++k)
    if (s[at + k].c != lit[k]) return false;
  return true;
}

bool digit(char32_t c) { return c >= '0' && c <= '9'; }

// Digits from `at`, advancing it; nullopt when there are none. Values are
// capped: a number that large is no day, month or year anyway.
std::optional<int> digits_at(const Chars& s, std::size_t& at) {
  if (at >= s.size() || !digit(s[at].c)) return std::nullopt;
  int v = 0;
  while (at < s.size() && digit(s[at].c)) v = std::min(v * 10 + static_cast<int>(s[at++].c - '0'), 1000000);
  return v;
}

// The title, 国务院办公厅关于YYYY年部分节假日安排的通知, as the whole line: its year.
std::optional<int> title_year(const Chars& s) {
  static const std::u32string_view head = U"国务院办公厅关于", tail = U"年部分节假日安排的通知";
  if (s.size() != head.size() + 4 + tail.size() || !starts_with(s, 0, head) ||
      !starts_with(s, head.size() + 4, tail))
    return std::nullopt;
  std::size_t at = head.size();
  auto y = digits_at(s, at);
  if (!y || at != head.size() + 4 || *y < 1) return std::nullopt;
  return y;
}

// A line that starts a holiday paragraph, "一、...": the length of its
// numeral and its value (0 for a malformed numeral such as 一二).
std::optional<std::pair<std::size_t, int>> paragraph_numeral(const Chars& s) {
  static const std::u32string_view numerals = U"一二三四五六七八九十";
  std::size_t n = 0;
  while (n < s.size() && numerals.find(s[n].c) != std::u32string_view::npos) ++n;
  if (n == 0 || n >= s.size() || s[n].c != U'、') return std::nullopt;
  // 一 .. 九, 十, 十一 .. 十九, 二十 .. 九十九.
  auto unit = [&](std::size_t i) { return static_cast<int>(numerals.find(s[i].c)) + 1; };
  int value = 0;
  if (n == 1) value = unit(0);
  else if (n == 2 && s[0].c == U'十' && s[1].c != U'十') value = 10 + unit(1);
  else if (n == 2 && s[0].c != U'十' && s[1].c == U'十') value = 10 * unit(0);
  else if (n == 3 && s[0].c != U'十' && s[1].c == U'十' && s[2].c != U'十') value = 10 * unit(0) + unit(2);
  return std::make_pair(n, value);
}

std::string numeral_text(int n) {
  static const char* const units[10] = {"", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
  if (n < 10) return units[n];
  return std::string(n >= 20 ? units[n / 10] : "") + "十" + units[n % 10];
}

// The closing lines after the paragraphs: 节假日期间，…, the signature, the date.
bool closing_line(const Chars& s) {
  if (starts_with(s, 0, U"节假日期间")) return true;
  if (s.size() == 6 && starts_with(s, 0, U"国务院办公厅")) return true;
  std::size_t at = 0;
  return digits_at(s, at) && starts_with(s, at, U"年") && digits_at(s, ++at) && starts_with(s, at, U"月") &&
         digits_at(s, ++at) && starts_with(s, at, U"日") && at + 1 == s.size();
}

// ---------------------------------------------------------------------------
// Paragraphs
// ---------------------------------------------------------------------------

// A date as written: M月D日, D日 after 至, or with its year, YYYY年M月D日.
struct DateRef {
  std::optional<int> year, month;
  int day = 0;
  std::string text;  // as written, without the remark
  Pos pos;
  int weekday = 0;   // as written, 1 = 周一 ... 7 = 周日; 0 = not given
  std::string weekday_text;
  Pos weekday_pos;
};

// A number of days as written: 共3天, or 1天 in 放假1天.
struct DayCount {
  int days = 0;
  std::string text;
  Pos pos;
};

struct Paragraph {
  std::string name;
  Pos pos;  // of the numeral
  DateRef from;
  std::optional<DateRef> to;
  std::vector<DayCount> counts;
  std::vector<DateRef> makeups;
};

// Reads one paragraph; the first thing that does not fit the grammar is
// reported and ends it (what follows could not be read reliably).
class ParagraphReader {
 public:
  ParagraphReader(const Chars& s, Problems& pr) : s_(s), pr_(pr) {}

  std::optional<Paragraph> read(std::size_t numeral_length) {
    Paragraph p;
    p.pos = s_.front().pos;
    i_ = numeral_length + 1;  // the numeral and 、
    if (!paragraph(p)) return std::nullopt;
    return p;
  }

 private:
  bool paragraph(Paragraph& p) {
    const std::size_t name_at = i_;
    while (!done() && peek() != ':') ++i_;
    if (done())
      return bad(name_at < s_.size() ? s_[name_at].pos : pos(), "expected '：' after the holiday's name, as in 一、元旦：1月1日…");
    p.name = raw_text(s_, name_at, i_);
    if (p.name.empty()) return bad(pos(), "the holiday's name is missing before '：'");
    ++i_;
    if (!date(p.from, true)) return false;
    if (eat(U"至") && !date(p.to.emplace(), false)) return false;
    if (!eat(U"放假")) return bad(pos(), "expected '放假' after the holiday's dates, found " + found());
    eat(U"调休");
    if (digit(peek()) && !count(p.counts.emplace_back(), "")) return false;
    while (eat(U",")) {
      if (eat(U"共")) {
        if (!count(p.counts.emplace_back(), "共")) return false;
      } else if (!eat(U"不调休") && !eat(U"与周末连休")) {
        return bad(pos(), "unexpected " + found() + " after '放假'; expected '共N天', '不调休' or '与周末连休'");
      }
    }
    if (!done() && !eat(U".")) return bad(pos(), "expected '。' after the holiday's dates and total, found " + found());

    // The sentences after the dates: the make-up days, and encouragements
    // (鼓励各单位…) that arrange nothing.
    while (!done()) {
      if (eat(U"鼓励")) {
        while (!done() && !eat(U".")) ++i_;
        continue;
      }
      if (!digit(peek()))
        return bad(pos(), "unexpected " + found() + " in the paragraph of " + p.name +
                              ": after the holiday's dates a paragraph lists only its make-up days, as in "
                              "1月4日（周日）上班。");
      do {
        if (!date(p.makeups.emplace_back(), true)) return false;
      } while (eat(U"、") || eat(U","));
      if (!eat(U"上班"))
        return bad(pos(), "expected '上班' after the make-up days, as in 1月4日（周日）上班。, found " + found());
      if (!done() && !eat(U".")) return bad(pos(), "expected '。' after '上班', found " + found());
    }
    return true;
  }

  bool done() const { return i_ >= s_.size(); }
  char32_t peek() const { return done() ? 0 : s_[i_].c; }
  bool eat(std::u32string_view lit) {
    if (!starts_with(s_, i_, lit)) return false;
    i_ += lit.size();
    return true;
  }
  // Where the reader stands; just after the last character at the end.
  Pos pos() const {
    if (!done()) return s_[i_].pos;
    Pos p = s_.back().pos;
    ++p.column;
    return p;
  }
  // What stands here, quoted for a message.
  std::string found() const {
    if (done()) return "the end of the paragraph";
    constexpr std::size_t kShown = 12;
    return "'" + raw_text(s_, i_, i_ + kShown) + (s_.size() - i_ > kShown ? "…" : "") + "'";
  }
  bool bad(Pos at, const std::string& msg) {
    pr_.error(at, msg);
    return false;
  }

  // N天, after `prefix` (共, or nothing in 放假1天), which has been read.
  bool count(DayCount& n, const std::string& prefix) {
    const std::size_t from = i_ - (prefix.empty() ? 0 : 1);
    n.pos = s_[from].pos;
    auto v = digits_at(s_, i_);
    if (!v) return bad(pos(), "expected the number of days after '" + prefix + "', as in 共3天, found " + found());
    if (!eat(U"天")) return bad(pos(), "expected '天' after the number of days, found " + found());
    n.days = *v;
    n.text = raw_text(s_, from, i_);
    return true;
  }

  bool date(DateRef& d, bool month_required) {
    d.pos = pos();
    const std::size_t from = i_;
    auto n = digits_at(s_, i_);
    if (!n) return bad(pos(), "expected a date such as 1月1日, found " + found());
    if (eat(U"年")) {
      d.year = *n;
      if (!(n = digits_at(s_, i_))) return bad(pos(), "expected the month after '年', found " + found());
      if (!starts_with(s_, i_, U"月")) return bad(pos(), "expected '月' after the month, found " + found());
    }
    if (eat(U"月")) {
      d.month = *n;
      if (!(n = digits_at(s_, i_))) return bad(pos(), "expected the day after '月', found " + found());
    }
    if (!eat(U"日")) return bad(pos(), "expected '日' after the day, as in 1月1日, found " + found());
    d.day = *n;
    d.text = raw_text(s_, from, i_);
    if (month_required && !d.month) return bad(d.pos, "expected a date with its month, such as 1月1日, found '" + d.text + "'");
    return peek() == '(' ? remark(d) : true;
  }

  // （农历腊月二十八、周日）: the weekday is kept, a lunar date skipped.
  bool remark(DateRef& d) {
    ++i_;
    for (;;) {
      const Pos at = pos();
      if (done()) return bad(at, "the parentheses after " + d.text + " are not closed with '）'");
      const std::size_t from = i_;
      if (eat(U"农历")) {
        while (!done() && peek() != U'、' && peek() != ',' && peek() != ')') ++i_;
      } else if (eat(U"周") || eat(U"星期")) {
        static const std::u32string_view days = U"一二三四五六日天";
        const auto k = done() ? std::u32string_view::npos : days.find(peek());
        if (k == std::u32string_view::npos)
          return bad(pos(), "expected the day of the week after '" + raw_text(s_, from, i_) +
                                "' (一 to 六, 日 or 天), found " + found());
        ++i_;
        if (d.weekday != 0) return bad(at, "two weekdays are given for " + d.text);
        d.weekday = std::min<int>(static_cast<int>(k) + 1, 7);
        d.weekday_text = raw_text(s_, from, i_);
        d.weekday_pos = at;
      } else {
        return bad(at, "unexpected " + found() + " in the parentheses after " + d.text +
                           "; expected the weekday (周一 to 周日, 星期一 to 星期日) or a lunar date (农历…)");
      }
      if (eat(U")")) return true;
      if (done()) return bad(pos(), "the parentheses after " + d.text + " are not closed with '）'");
      if (!eat(U"、") && !eat(U","))
        return bad(pos(), "expected '）' to close the parentheses after " + d.text + ", found " + found());
    }
  }

  const Chars& s_;
  Problems& pr_;
  std::size_t i_ = 0;
};

// ---------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------

// A date of the notice, with `year` and `month` where it does not write
// them; a date that does not exist or a weekday that does not match it is
// reported.
std::optional<Date> resolve(const DateRef& d, int year, int month, Problems& pr) {
  const int y = d.year.value_or(year);
  Date date;
  try {
    date = Date::from_ymd(y, d.month.value_or(month), d.day);
  } catch (const Error& e) {
    pr.error(d.pos, "'" + d.text + "' is not a date in " + std::to_string(y) + ": " + e.what());
    return std::nullopt;
  }
  if (d.weekday != 0 && d.weekday != date.weekday())
    pr.error(d.weekday_pos, d.text + " (" + date.str() + ") is a " + kWeekdayEn[date.weekday() - 1] + " (" +
                                kWeekdayCn[date.weekday() - 1] + "), but the notice says " + d.weekday_text +
                                "; check the date and the weekday against the published notice");
  return date;
}

std::string span_text(Date from, Date to) { return from == to ? from.str() : from.str() + " .. " + to.str(); }

std::string days_text(int n) { return std::to_string(n) + (n == 1 ? " day" : " days"); }

// The year from its paragraphs, every date checked: what it returns stands
// only when nothing was reported.
NoticeYear check_year(int year, const std::vector<Paragraph>& paragraphs, Problems& pr) {
  NoticeYear ny;
  ny.year = year;
  ny.source = "国务院办公厅关于" + std::to_string(year) + "年部分节假日安排的通知";
  // Which holiday each day off belongs to (index into ny.holidays), and the
  // line it was given on, for messages about a day given twice.
  std::map<std::int32_t, std::size_t> holiday_of;
  std::vector<int> holiday_line;
  std::map<std::int32_t, int> makeup_line;

  for (const auto& p : paragraphs) {
    // A holiday's first date and a make-up day always have their month.
    auto from = resolve(p.from, year, 0, pr);
    std::optional<Date> to = from;
    if (p.to && from)
      to = resolve(*p.to, p.to->year.value_or(from->year()), p.to->month.value_or(from->month()), pr);
    if (!from || !to) {
      continue;
    }
    if (*to < *from) {
      pr.error(p.to->pos, "the holiday ends on " + p.to->text + " (" + to->str() + "), before it starts on " +
                              p.from.text + " (" + from->str() + "); a holiday that runs into the next year "
                              "needs the year written, as in 2027年1月2日");
      continue;
    }
    const int days = *to - *from + 1;
    if (days > 366) {
      pr.error(p.from.pos, "the holiday " + span_text(*from, *to) + " is longer than a year");
      continue;
    }
    for (const auto& n : p.counts) {
      if (n.days == days) continue;
      pr.error(n.pos, "'" + n.text + "' says " + days_text(n.days) + ", but " + span_text(*from, *to) + " is " +
                          days_text(days) + "; check the dates and the total against the published notice");
    }
    const std::size_t index = ny.holidays.size();
    ny.holidays.push_back({p.name, *from, *to});
    holiday_line.push_back(p.from.pos.line);
    for (Date d = *from; d <= *to; d = d + 1) {
      auto [it, fresh] = holiday_of.emplace(d.days(), index);
      if (fresh) continue;
      pr.error(p.from.pos, d.str() + " is already a day of " + ny.holidays[it->second].name + " (line " +
                               std::to_string(holiday_line[it->second]) + "); each day off belongs to one holiday");
      break;
    }
  }
  // Make-up days after all holidays: a paragraph may name a day of a later one.
  for (const auto& p : paragraphs) {
    for (const auto& m : p.makeups) {
      auto d = resolve(m, year, 0, pr);
      if (!d) {
        continue;
      }
      const std::string what = "make-up day " + m.text + " (" + d->str() + ")";
      if (d->weekday() <= 5) {
        pr.error(m.pos, what + " is a " + kWeekdayEn[d->weekday() - 1] +
                            ", a working day anyway; a make-up day (上班) is a Saturday or a Sunday that is worked: "
                            "check the date against the published notice");
      } else if (auto h = holiday_of.find(d->days()); h != holiday_of.end()) {
        const NoticeHoliday& hol = ny.holidays[h->second];
        pr.error(m.pos, what + " falls within " + hol.name + " (" + span_text(hol.from, hol.to) +
                            "); a day cannot be both off and worked: check the dates against the published notice");
      } else if (auto [it, fresh] = makeup_line.emplace(d->days(), m.pos.line); !fresh) {
        pr.error(m.pos, what + " is given twice (first on line " + std::to_string(it->second) + ")");
      } else {
        ny.makeup_days.push_back({*d, p.name});
      }
    }
  }
  for (Date d = Date::from_ymd(year, 1, 1); d.year() == year; d = d + 1)
    if (makeup_line.count(d.days()) || (d.weekday() <= 5 && !holiday_of.count(d.days()))) ++ny.working_days;
  return ny;
}

// ---------------------------------------------------------------------------
// YAML
// ---------------------------------------------------------------------------

// A name as a YAML scalar inside a flow mapping: plain when it begins with
// a non-ASCII character and has no ASCII but letters and digits (a Chinese
// name or title: nothing YAML could read as syntax, a number or a boolean),
// else double-quoted.
std::string yaml_scalar(const std::string& s) {
  bool plain = !s.empty() && static_cast<unsigned char>(s[0]) >= 0x80;
  for (unsigned char c : s) plain = plain && (c >= 0x80 || std::isalnum(c));
  if (plain) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The entry of the year under `years:`, its key indented by `indent`.
std::string year_entry(const NoticeYear& y, std::size_t indent) {
  const std::string key(indent, ' '), field(indent + 2, ' '), item(indent + 4, ' ');
  std::string out = key + std::to_string(y.year) + ":\n";
  out += field + "source: " + yaml_scalar(y.source) + "\n";
  out += field + "working_days: " + std::to_string(y.working_days) + "\n";
  out += field + "holidays:\n";
  for (const auto& h : y.holidays) {
    out += item + "- {name: " + yaml_scalar(h.name) + ", ";
    out += h.from == h.to ? "date: " + h.from.str() : "from: " + h.from.str() + ", to: " + h.to.str();
    out += "}\n";
  }
  if (y.makeup_days.empty()) return out + field + "makeup_days: []\n";
  out += field + "makeup_days:\n";
  // The weekday as a comment, aligned two columns after the longest item.
  std::vector<std::string> items;
  std::size_t width = 0;
  for (const auto& m : y.makeup_days) {
    items.push_back(item + "- {date: " + m.date.str() + ", for: " + yaml_scalar(m.holiday) + "}");
    width = std::max(width, text::display_width(items.back()));
  }
  for (std::size_t i = 0; i < items.size(); ++i)
    out += text::pad(items[i], width + 2) + "# " + kWeekdayEn[y.makeup_days[i].date.weekday() - 1] + "\n";
  return out;
}

// ---------------------------------------------------------------------------
// The calendar file's text
// ---------------------------------------------------------------------------

// The lines of a text, for editing it by whole lines.
class TextLines {
 public:
  explicit TextLines(const std::string& text) : text_(text) {
    for (std::size_t i = 0; i < text.size(); ++i)
      if (text[i] == '\n' && i + 1 < text.size()) starts_.push_back(i + 1);
  }
  std::size_t count() const { return text_.empty() ? 0 : starts_.size(); }
  // Byte offset of line i (count() for the end of the text).
  std::size_t offset(std::size_t i) const { return i < count() ? starts_[i] : text_.size(); }
  std::size_t indent(std::size_t i) const {
    std::size_t n = 0;
    while (offset(i) + n < offset(i + 1) && text_[offset(i) + n] == ' ') ++n;
    return n;
  }
  bool blank(std::size_t i) const {
    for (std::size_t k = offset(i); k < offset(i + 1); ++k)
      if (!std::isspace(static_cast<unsigned char>(text_[k]))) return false;
    return true;
  }
  bool comment(std::size_t i) const {
    std::size_t k = offset(i) + indent(i);
    return k < offset(i + 1) && text_[k] == '#';
  }

 private:
  const std::string& text_;
  std::vector<std::size_t> starts_{0};
};

struct YearKey {
  int year;
  std::size_t line;    // 0-based
  std::size_t indent;  // the key's column
};

// The line after the entry of keys[k]: its value's lines, without the blank
// lines and the comments no deeper than the key that end it (they belong to
// what follows: the next year, or the next top-level key).
std::size_t entry_end(const TextLines& lines, const YearKey& key) {
  std::size_t e = key.line + 1;
  while (e < lines.count() && (lines.blank(e) || lines.comment(e) || lines.indent(e) > key.indent)) ++e;
  while (e > key.line + 1 && (lines.blank(e - 1) || (lines.comment(e - 1) && lines.indent(e - 1) <= key.indent))) --e;
  return e;
}

}  // namespace

NoticeYear parse_holiday_notice(const std::string& input, const std::string& file_name) {
  // A byte-order mark is not part of the first line.
  const std::string text = input.rfind("\xEF\xBB\xBF", 0) == 0 ? input.substr(3) : input;
  Problems pr(file_name, text);
  if (std::size_t bad = text::find_invalid_utf8(text); bad != std::string::npos) {
    const std::size_t newline = bad == 0 ? std::string::npos : text.rfind('\n', bad - 1);
    const std::size_t from = newline == std::string::npos ? 0 : newline + 1;
    const int line = static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(bad), '\n')) + 1;
    const int column = static_cast<int>(text::code_points(std::string_view(text).substr(from, bad - from))) + 1;
    pr.error({line, column}, "the notice is not UTF-8 text here; save it as UTF-8 (a page copied from gov.cn is)");
    pr.throw_if_any();
  }
  const std::vector<Chars> lines = split_lines(text);

  std::size_t first = 0;
  while (first < lines.size() && !paragraph_numeral(lines[first])) ++first;

  // The title, before the paragraphs; what precedes it (a web page's
  // header) and what follows it up to the first paragraph (the document
  // number, the addressees, the preamble) is ignored.
  std::optional<int> year;
  std::optional<Pos> title_pos;
  for (std::size_t i = 0; i < first && !year; ++i)
    if ((year = title_year(lines[i]))) title_pos = lines[i].front().pos;
  if (!year) {
    const Chars* shown = nullptr;
    for (std::size_t i = 0; i < lines.size() && !shown; ++i)
      if (!lines[i].empty()) shown = &lines[i];
    const std::string expected = "国务院办公厅关于YYYY年部分节假日安排的通知";
    if (!shown) {
      pr.error({1, 1}, "the notice is empty: expected its title (" + expected +
                           ") and one paragraph per holiday (一、元旦：…)");
      pr.throw_if_any();
    }
    pr.error(shown->front().pos,
             "no title: a notice begins with its title, " + expected + ", which gives the year; found '" +
                 raw_text(*shown, 0, 24) + (shown->size() > 24 ? "…" : "") + "'");
  }

  // The paragraphs, each to the next one or to the closing lines; a
  // paragraph may run over several lines.
  struct Numbered {
    Chars chars;
    std::size_t numeral_length;
    int number;
  };
  std::vector<Numbered> numbered;
  for (std::size_t i = first; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    if (closing_line(lines[i])) break;
    if (auto n = paragraph_numeral(lines[i])) numbered.push_back({lines[i], n->first, n->second});
    else numbered.back().chars.insert(numbered.back().chars.end(), lines[i].begin(), lines[i].end());
  }
  if (numbered.empty())
    pr.error(title_pos.value_or(Pos{1, 1}), "no holiday paragraphs: each holiday is a paragraph numbered 一、二、三、…, "
                                            "such as 一、元旦：1月1日（周四）放假1天，不调休。");

  std::vector<Paragraph> paragraphs;
  int previous = 0;  // the number of the paragraph before, as written
  for (const auto& n : numbered) {
    // Counted on from the number written, so that a gap is reported once.
    const int expected = previous + 1;
    if (n.number != 0) previous = n.number;
    const std::string written = raw_text(n.chars, 0, n.numeral_length);
    if (n.number == 0)
      pr.error(n.chars.front().pos, "'" + written + "' is not a paragraph number; the paragraphs are numbered "
                                    "一、二、三、… in order");
    else if (n.number != expected)
      pr.error(n.chars.front().pos, "paragraph " + written + " where " + numeral_text(expected) +
                                        " was expected: the paragraphs are numbered 一、二、三、… in order; is one "
                                        "missing or given twice?");
    auto p = ParagraphReader(n.chars, pr).read(n.numeral_length);
    if (p) paragraphs.push_back(std::move(*p));
  }

  std::optional<NoticeYear> result;
  if (year) result = check_year(*year, paragraphs, pr);
  // Without a problem reported there is a year, every paragraph was read
  // and checked, and a result.
  pr.throw_if_any();
  return result.value();
}

std::string notice_year_yaml(const NoticeYear& year) { return year_entry(year, 2); }

std::string calendar_text_with_year(const std::string& calendar_text, const std::string& file_name,
                                    const NoticeYear& year, const std::string& calendar_id) {
  // The file as it is must read, so that its years can be found.
  const calendar_file::FileSpec spec = calendar_file::parse_file(calendar_text, file_name);
  Problems pr(file_name, calendar_text);
  if (spec.id != calendar_id)
    pr.error(spec.pos_id, "this file is calendar '" + spec.id + "', not '" + calendar_id +
                              "'; to write the year into it, name it (jreview calendar import --calendar " + spec.id +
                              ")");
  if (!spec.extends.empty())
    pr.error(spec.pos_extends, "calendar '" + spec.id + "' extends '" + spec.extends +
                                   "' and takes its years from it; write the year into the file of '" + spec.extends +
                                   "'");
  pr.throw_if_any();

  const YAML::Node root = YAML::Load(calendar_text);
  YAML::Node years;
  for (auto it = root.begin(); it != root.end(); ++it) {
    const YAML::Node k = it->first;
    if (k.Scalar() == "years") years = it->second;
  }
  if (years.Style() == YAML::EmitterStyle::Flow) {
    pr.error(pr.pos(years), "'years' is written in flow style ({...}); write it as a block mapping, one year per "
                            "line, to import into it");
    pr.throw_if_any();
  }
  std::vector<YearKey> keys;
  for (auto it = years.begin(); it != years.end(); ++it) {
    const YAML::Node k = it->first;
    keys.push_back({std::stoi(k.Scalar()), static_cast<std::size_t>(k.Mark().line),
                    static_cast<std::size_t>(k.Mark().column)});
  }
  std::sort(keys.begin(), keys.end(), [](const YearKey& a, const YearKey& b) { return a.year < b.year; });
  const int first = keys.front().year, last = keys.back().year;
  if (year.year < first - 1 || year.year > last + 1) {
    const std::string missing = year.year < first ? calendar_file::years_text(year.year + 1, first - 1)
                                                  : calendar_file::years_text(last + 1, year.year - 1);
    pr.error(spec.years.front().pos, "calendar '" + spec.id + "' has the years " +
                                         calendar_file::years_text(first, last) + "; " + std::to_string(year.year) +
                                         " would leave a gap (" + missing + " missing): import the years in order");
    pr.throw_if_any();
  }

  const TextLines lines(calendar_text);
  const std::string entry = year_entry(year, keys.front().indent);
  std::string out;
  auto same = std::find_if(keys.begin(), keys.end(), [&](const YearKey& k) { return k.year == year.year; });
  if (same != keys.end()) {
    out = calendar_text.substr(0, lines.offset(same->line)) + entry +
          calendar_text.substr(lines.offset(entry_end(lines, *same)));
  } else if (year.year > last) {
    // After the last year's entry, one blank line between, as in cn.yaml.
    const std::size_t at = lines.offset(entry_end(lines, keys.back()));
    out = calendar_text.substr(0, at);
    if (!out.empty() && out.back() != '\n') out += '\n';
    out += "\n" + entry + calendar_text.substr(at);
  } else {
    // Before the first year, and before the comments right above it.
    std::size_t at = keys.front().line;
    while (at > 0 && lines.comment(at - 1) && lines.indent(at - 1) >= keys.front().indent) --at;
    out = calendar_text.substr(0, lines.offset(at)) + entry + "\n" + calendar_text.substr(lines.offset(at));
  }

  // The new text must load as a calendar (a date of the notice in a year
  // the file does not cover, say). Strict: the provisional years after the
  // published ones are not what the import changes, and the statutory data
  // they are counted with need not be found for this check.
  CalendarOptions check;
  check.strict = true;
  Calendar::from_yaml(out, file_name + " (with " + std::to_string(year.year) + ")", check);
  return out;
}

std::string calendar_text_with_version(const std::string& calendar_text, const std::string& file_name,
                                       const std::string& version) {
  // The line of the top-level key, found by YAML (not by a text search,
  // which a comment or a block scalar could fool).
  const YAML::Node root = YAML::Load(calendar_text);
  std::optional<YAML::Mark> at;
  for (auto it = root.begin(); root.IsMap() && it != root.end(); ++it)
    if (it->first.Scalar() == "version") at = it->second.Mark();
  Problems pr(file_name, calendar_text);
  if (!at || at->line < 0) {
    pr.error(Pos{1, 1}, "the file has no 'version:' of its own to raise; add one (version: \"" + version + "\")");
    pr.throw_if_any();
  }
  const TextLines lines(calendar_text);
  const std::size_t begin = lines.offset(static_cast<std::size_t>(at->line)) + static_cast<std::size_t>(at->column);
  std::size_t end = calendar_text.find('\n', begin);
  if (end == std::string::npos) end = calendar_text.size();
  // Keep a comment after the value (" # raised by hand").
  std::size_t value_end = end;
  for (std::size_t k = begin; k < end; ++k)
    if (calendar_text[k] == '#' && k > begin && (calendar_text[k - 1] == ' ' || calendar_text[k - 1] == '\t')) {
      value_end = k;
      while (value_end > begin && (calendar_text[value_end - 1] == ' ' || calendar_text[value_end - 1] == '\t'))
        --value_end;
      break;
    }
  return calendar_text.substr(0, begin) + "\"" + version + "\"" + calendar_text.substr(value_end);
}

}  // namespace jointreview

// Importing the State Council's yearly holiday notice: the 2025 and 2026
// notices (tests/calendar/notices/, as published; 2026 in full-width
// punctuation, 2025 in a mix with half-width and 星期X) give back the bundled
// cn data exactly; every check of the notice with its exact message; the
// calendar file edited in place; `jreview calendar import`.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "calendar/calendar_file.h"
#include "jointreview/calendar.h"
#include "jointreview/error.h"

namespace fs = std::filesystem;
using jointreview::Calendar;
using jointreview::Date;
using jointreview::Error;
using jointreview::NoticeYear;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const fs::path kSource = JR_SOURCE_DIR;
const fs::path kNotices = kSource / "tests/calendar/notices";
const fs::path kCnFile = kSource / "workflows/calendars/cn.yaml";

NoticeYear notice(int year) {
  const fs::path p = kNotices / (std::to_string(year) + ".txt");
  return jointreview::parse_holiday_notice(slurp(p), p.filename().string());
}

// The text of year `year`'s entry in cn.yaml: from its key to the line
// before the blank line (or the end) that ends it.
std::string cn_entry(int year) {
  std::istringstream in(slurp(kCnFile));
  std::string line, out;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line == "  " + std::to_string(year) + ":") inside = true;
    else if (inside && line.empty()) break;
    if (inside) out += line + "\n";
  }
  return out;
}

// What parse_holiday_notice throws for `text`, or "" when it reads.
std::string problems(const std::string& text, const std::string& name = "notice.txt") {
  try {
    jointreview::parse_holiday_notice(text, name);
  } catch (const Error& e) {
    CHECK(e.code() == Error::Code::invalid_argument);
    return e.what();
  }
  return "";
}

// The 2026 notice with one piece of text replaced (which must be there).
std::string notice_2026_with(const std::string& from, const std::string& to) {
  std::string t = slurp(kNotices / "2026.txt");
  const auto at = t.find(from);
  REQUIRE(at != std::string::npos);
  return t.replace(at, from.size(), to);
}

const char* const kTitle2026 = "国务院办公厅关于2026年部分节假日安排的通知\n";

// What calendar_text_with_year throws, or "" when it writes.
std::string refusal(const std::string& calendar, const NoticeYear& y, const std::string& id = "cn") {
  try {
    jointreview::calendar_text_with_year(calendar, "cal.yaml", y, id);
  } catch (const Error& e) {
    CHECK(e.code() == Error::Code::invalid_argument);
    return e.what();
  }
  return "";
}

std::string cn_text() { return slurp(kCnFile); }

// cn.yaml without the entry of 2026 (and the blank line before it), or
// without that of 2025 (and the blank line after it).
std::string cn_without(int year) {
  const std::string cn = cn_text();
  const auto y2025 = cn.find("  2025:\n"), y2026 = cn.find("\n  2026:\n");
  REQUIRE(y2025 != std::string::npos);
  REQUIRE(y2026 != std::string::npos);
  if (year == 2026) return cn.substr(0, y2026);
  return cn.substr(0, y2025) + cn.substr(y2026 + 1);
}

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("jr_notice_test_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return (path / name).string();
  }
};

struct Run {
  int status = -1;
  std::string out, err;
};

// Runs jreview with `args` (already shell-quoted where needed) from the
// source folder.
Run jreview(const std::string& args) {
  static int counter = 0;
  const fs::path err_file =
      fs::temp_directory_path() / ("jr_notice_cli_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
  const std::string cmd = "cd '" + kSource.string() + "' && '" + JR_JREVIEW_BIN + "' " + args + " 2>'" +
                          err_file.string() + "'";
  Run r;
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  r.err = slurp(err_file);
  fs::remove(err_file);
  return r;
}

}  // namespace

// ---------------------------------------------------------------------------
// The published notices give back the bundled data
// ---------------------------------------------------------------------------

TEST_CASE("the 2025 and 2026 notices give the holidays, make-up days and totals of cn.yaml", "[notice]") {
  const std::string cn = cn_text();
  const auto spec = jointreview::calendar_file::parse_file(cn, "cn.yaml");
  for (int year : {2025, 2026}) {
    INFO("year " << year);
    const NoticeYear y = notice(year);
    CHECK(y.year == year);
    CHECK(y.source == "国务院办公厅关于" + std::to_string(year) + "年部分节假日安排的通知");
    const auto bundled = std::find_if(spec.years.begin(), spec.years.end(), [&](const auto& s) { return s.year == year; });
    REQUIRE(bundled != spec.years.end());
    REQUIRE(y.holidays.size() == bundled->holidays.size());
    for (std::size_t i = 0; i < y.holidays.size(); ++i) {
      CHECK(y.holidays[i].name == bundled->holidays[i].text);
      CHECK(y.holidays[i].from == bundled->holidays[i].from);
      CHECK(y.holidays[i].to == bundled->holidays[i].to);
    }
    REQUIRE(y.makeup_days.size() == bundled->makeups.size());
    for (std::size_t i = 0; i < y.makeup_days.size(); ++i) {
      CHECK(y.makeup_days[i].date == bundled->makeups[i].from);
      CHECK(bundled->makeups[i].from == bundled->makeups[i].to);
      CHECK(y.makeup_days[i].holiday == bundled->makeups[i].text);
    }
    REQUIRE(bundled->expected_working_days);
    CHECK(y.working_days == *bundled->expected_working_days);
    CHECK(y.working_days == 248);
  }
}

TEST_CASE("a notice imported as YAML is cn.yaml's entry of the year, line for line", "[notice]") {
  CHECK(jointreview::notice_year_yaml(notice(2025)) == cn_entry(2025));
  CHECK(jointreview::notice_year_yaml(notice(2026)) == cn_entry(2026));
  CHECK(cn_entry(2026).rfind("  2026:\n    source: 国务院办公厅关于2026年部分节假日安排的通知\n", 0) == 0);
}

TEST_CASE("a calendar from the imported notices has the working days of the bundled cn", "[notice]") {
  const std::string file = "format: 1\nid: imported\nname: 导入\nversion: \"1\"\nyears:\n" +
                           jointreview::notice_year_yaml(notice(2025)) + "\n" +
                           jointreview::notice_year_yaml(notice(2026));
  const auto imported = Calendar::from_yaml(file, "imported.yaml");
  const auto cn = Calendar::load("cn");
  CHECK(imported->first_year() == 2025);
  CHECK(imported->last_year() == 2026);
  int differ = 0, days = 0;
  for (Date d = Date::from_ymd(2025, 1, 1); d <= Date::from_ymd(2026, 12, 31); d = d + 1, ++days) {
    if (imported->is_working_day(d) != cn->is_working_day(d)) {
      UNSCOPED_INFO(d.str() << " differs");
      ++differ;
    }
  }
  CHECK(days == 730);
  CHECK(differ == 0);
  CHECK(imported->working_days_in_year(2025) == 248);
  CHECK(imported->working_days_in_year(2026) == 248);
}

TEST_CASE("a notice reads in its variants: no weekdays, dates with years, paragraphs over lines", "[notice]") {
  // A byte-order mark, CRLF line ends, a web page's header before the title,
  // full-width digits, 星期天, weekdays left out, a 鼓励 sentence, a
  // paragraph broken over two lines, a holiday into the next month and one
  // from the year before.
  const std::string text =
      "\xEF\xBB\xBF"
      "中国政府网\r\n"
      "  国务院办公厅关于２０２６年部分节假日安排的通知\r\n"
      "\r\n"
      "一、元旦：2025年12月31日（星期三）至2026年1月3日放假调休，共4天。1月4日（星期天）上班。\r\n"
      "二、春节：2月15日至23日放假调休，共9天。鼓励各单位安排职工在除夕（2月16日）休息。\r\n"
      "2月14日（周六）、\r\n"
      "2月28日（周六）上班。\r\n"
      "三、劳动节：4月30日（周四）至5月5日放假，与周末连休。\r\n"
      "节假日期间，各地区、各部门要妥善安排好值班工作。\r\n";
  const NoticeYear y = jointreview::parse_holiday_notice(text, "n.txt");
  CHECK(y.year == 2026);
  REQUIRE(y.holidays.size() == 3);
  CHECK(y.holidays[0].name == "元旦");
  CHECK(y.holidays[0].from == Date::from_ymd(2025, 12, 31));
  CHECK(y.holidays[0].to == Date::from_ymd(2026, 1, 3));
  CHECK(y.holidays[1].from == Date::from_ymd(2026, 2, 15));
  CHECK(y.holidays[1].to == Date::from_ymd(2026, 2, 23));
  CHECK(y.holidays[2].name == "劳动节");
  CHECK(y.holidays[2].from == Date::from_ymd(2026, 4, 30));
  CHECK(y.holidays[2].to == Date::from_ymd(2026, 5, 5));
  REQUIRE(y.makeup_days.size() == 3);
  CHECK(y.makeup_days[0].date == Date::from_ymd(2026, 1, 4));
  CHECK(y.makeup_days[0].holiday == "元旦");
  CHECK(y.makeup_days[1].date == Date::from_ymd(2026, 2, 14));
  CHECK(y.makeup_days[2].date == Date::from_ymd(2026, 2, 28));
  CHECK(y.makeup_days[2].holiday == "春节");
  // 2026 has 261 weekdays; off: Jan 1-2, Feb 16-20 and 23, Apr 30, May 1, 4, 5
  // (12, 2025-12-31 is not of 2026); worked: Jan 4, Feb 14, 28 (3).
  CHECK(y.working_days == 261 - 12 + 3);
}

TEST_CASE("a notice's one-day holiday, and a name with a half-width comma quoted in YAML", "[notice]") {
  const NoticeYear y = jointreview::parse_holiday_notice(
      std::string(kTitle2026) + "一、元旦：1月1日（周四）放假1天，不调休。\n二、国庆节,中秋节：10月1日放假1天。\n", "n.txt");
  CHECK(jointreview::notice_year_yaml(y) ==
        "  2026:\n"
        "    source: 国务院办公厅关于2026年部分节假日安排的通知\n"
        "    working_days: 259\n"
        "    holidays:\n"
        "      - {name: 元旦, date: 2026-01-01}\n"
        "      - {name: \"国庆节,中秋节\", date: 2026-10-01}\n"
        "    makeup_days: []\n");
}

// ---------------------------------------------------------------------------
// What the notice is checked for
// ---------------------------------------------------------------------------

TEST_CASE("a notice's weekday that does not match its date is an error at the weekday", "[notice]") {
  // 2026.txt line 7: "　　一、元旦：1月1日（周四）…", 周 in column 13 (the
  // two full-width spaces count one column each).
  CHECK(problems(notice_2026_with("1月1日（周四）", "1月1日（周三）"), "2026.txt") ==
        "2026.txt:7:13: error: 1月1日 (2026-01-01) is a Thursday (周四), but the notice says 周三; check the date "
        "and the weekday against the published notice");
  // The end of a range and a make-up day are checked too, 星期X as written.
  CHECK(problems(std::string(kTitle2026) + "一、元旦：1月1日至3日（星期五）放假调休，共3天。1月4日（星期六）上班。") ==
        "notice.txt:2:14: error: 3日 (2026-01-03) is a Saturday (周六), but the notice says 星期五; check the date and "
        "the weekday against the published notice\n"
        "notice.txt:2:32: error: 1月4日 (2026-01-04) is a Sunday (周日), but the notice says 星期六; check the date and "
        "the weekday against the published notice");
}

TEST_CASE("a notice's 共N天 that is not the length of its range is an error", "[notice]") {
  CHECK(problems(notice_2026_with("共9天", "共8天"), "2026.txt") ==
        "2026.txt:8:45: error: '共8天' says 8 days, but 2026-02-15 .. 2026-02-23 is 9 days; check the dates and the "
        "total against the published notice");
  CHECK(problems(std::string(kTitle2026) + "一、元旦：1月1日（周四）放假2天。") ==
        "notice.txt:2:16: error: '2天' says 2 days, but 2026-01-01 is 1 day; check the dates and the total against "
        "the published notice");
}

TEST_CASE("a notice without its title is refused: the year is unknown", "[notice]") {
  const std::string no_title = notice_2026_with(kTitle2026, "");
  CHECK(problems(no_title, "2026.txt") ==
        "2026.txt:2:1: error: no title: a notice begins with its title, 国务院办公厅关于YYYY年部分节假日安排的通知, "
        "which gives the year; found '国办发明电〔2025〕7号'");
  CHECK(problems("\n\n国务院办公厅关于部分节假日安排的通知\n一、元旦：1月1日放假。\n") ==
        "notice.txt:3:1: error: no title: a notice begins with its title, 国务院办公厅关于YYYY年部分节假日安排的通知, "
        "which gives the year; found '国务院办公厅关于部分节假日安排的通知'");
  CHECK(problems(" \n\n") == "notice.txt:1:1: error: the notice is empty: expected its title "
                             "(国务院办公厅关于YYYY年部分节假日安排的通知) and one paragraph per holiday (一、元旦：…)");
  CHECK(problems(kTitle2026) == "notice.txt:1:1: error: no holiday paragraphs: each holiday is a paragraph numbered "
                                "一、二、三、…, such as 一、元旦：1月1日（周四）放假1天，不调休。");
}

TEST_CASE("a notice's make-up day on a weekday or inside a holiday is an error", "[notice]") {
  CHECK(problems(notice_2026_with("5月9日（周六）上班", "5月8日（周五）上班"), "2026.txt") ==
        "2026.txt:10:33: error: make-up day 5月8日 (2026-05-08) is a Friday, a working day anyway; a make-up day "
        "(上班) is a Saturday or a Sunday that is worked: check the date against the published notice");
  // A Saturday, but one of the days off.
  CHECK(problems(notice_2026_with("2月28日（周六）上班", "2月21日（周六）上班"), "2026.txt") ==
        "2026.txt:8:59: error: make-up day 2月21日 (2026-02-21) falls within 春节 (2026-02-15 .. 2026-02-23); a day "
        "cannot be both off and worked: check the dates against the published notice");
  CHECK(problems(std::string(kTitle2026) + "一、元旦：1月1日至3日放假。1月4日、1月4日上班。") ==
        "notice.txt:2:21: error: make-up day 1月4日 (2026-01-04) is given twice (first on line 2)");
}

TEST_CASE("every problem of a notice is reported in one run, in order", "[notice]") {
  const std::string text = std::string(kTitle2026) +
                           "一、元旦：1月1日（周四）至3日放假，共3天。\n"
                           "三、春节：2月15日至23日放休，共9天。\n"
                           "四、清明节：4月31日放假。\n"
                           "五、劳动节：5月1日（周五）至5日放假，共5天。5月1日（周五）上班。\n"
                           "六、国庆节 10月1日放假。\n"
                           "七、中秋节：10月1日（周四）至2日（周五）放假，共2天。特此通知。\n"
                           "八、端午节：6月19日（周五、农历五月初五）放假。鼓励各单位（6月20日）安排。\n"
                           "九、元旦：1月2日（礼拜五）放假。\n"
                           "十、x：1月3日（周六）放假。\n"
                           "十一、y：1月4日至3日放假。\n";
  CHECK(problems(text) ==
        "notice.txt:3:1: error: paragraph 三 where 二 was expected: the paragraphs are numbered 一、二、三、… in "
        "order; is one missing or given twice?\n"
        "notice.txt:3:15: error: expected '放假' after the holiday's dates, found '放休，共9天。'\n"
        "notice.txt:4:7: error: '4月31日' is not a date in 2026: day 31 does not exist: April 2026 has 30 days\n"
        "notice.txt:5:25: error: make-up day 5月1日 (2026-05-01) is a Friday, a working day anyway; a make-up day "
        "(上班) is a Saturday or a Sunday that is worked: check the date against the published notice\n"
        "notice.txt:6:3: error: expected '：' after the holiday's name, as in 一、元旦：1月1日…\n"
        "notice.txt:7:30: error: unexpected '特此通知。' in the paragraph of 中秋节: after the holiday's dates a "
        "paragraph lists only its make-up days, as in 1月4日（周日）上班。\n"
        "notice.txt:9:11: error: unexpected '礼拜五）放假。' in the parentheses after 1月2日; expected the weekday "
        "(周一 to 周日, 星期一 to 星期日) or a lunar date (农历…)\n"
        "notice.txt:10:5: error: 2026-01-03 is already a day of 元旦 (line 2); each day off belongs to one holiday\n"
        "notice.txt:11:11: error: the holiday ends on 3日 (2026-01-03), before it starts on 1月4日 (2026-01-04); a "
        "holiday that runs into the next year needs the year written, as in 2027年1月2日");
}

TEST_CASE("a notice that is not UTF-8 is refused where it starts", "[notice]") {
  CHECK(problems(std::string(kTitle2026) + "一、元旦：1月1日\xB7\xC5\xBC\xD9。") ==
        "notice.txt:2:10: error: the notice is not UTF-8 text here; save it as UTF-8 (a page copied from gov.cn is)");
}

TEST_CASE("a notice paragraph that does not read names what was expected", "[notice]") {
  struct Case {
    std::string paragraph, message;
  };
  const Case cases[] = {
      {"一、：1月1日放假。", "2:3: error: the holiday's name is missing before '：'"},
      {"一、元旦：放假。", "2:6: error: expected a date such as 1月1日, found '放假。'"},
      {"一、元旦：1月放假。", "2:8: error: expected the day after '月', found '放假。'"},
      {"一、元旦：1月1放假。", "2:9: error: expected '日' after the day, as in 1月1日, found '放假。'"},
      {"一、元旦：3日放假。", "2:6: error: expected a date with its month, such as 1月1日, found '3日'"},
      {"一、元旦：1月1日（周四放假。", "2:13: error: expected '）' to close the parentheses after 1月1日, found "
                                     "'放假。'"},
      {"一、元旦：1月1日（周四", "2:13: error: the parentheses after 1月1日 are not closed with '）'"},
      {"一、元旦：1月1日（周四、", "2:14: error: the parentheses after 1月1日 are not closed with '）'"},
      {"一、元旦：1月1日（周八）", "2:12: error: expected the day of the week after '周' (一 to 六, 日 or 天), found "
                                 "'八）'"},
      {"一、元旦：1月1日放假，共天。", "2:14: error: expected the number of days after '共', as in 共3天, found '天。'"},
      {"一、元旦：1月1日放假，共3日。", "2:15: error: expected '天' after the number of days, found '日。'"},
      {"一、元旦：1月1日放假，休息。", "2:13: error: unexpected '休息。' after '放假'; expected '共N天', '不调休' or "
                                     "'与周末连休'"},
      {"一、元旦：1月1日放假。1月4日（周日）", "2:21: error: expected '上班' after the make-up days, as in "
                                              "1月4日（周日）上班。, found the end of the paragraph"},
      {"一二、元旦：1月1日放假。", "2:1: error: '一二' is not a paragraph number; the paragraphs are numbered "
                                  "一、二、三、… in order"},
  };
  for (const auto& c : cases) {
    INFO(c.paragraph);
    CHECK(problems(std::string(kTitle2026) + c.paragraph) == "notice.txt:" + c.message);
  }
}

// ---------------------------------------------------------------------------
// The calendar file, edited in place
// ---------------------------------------------------------------------------

TEST_CASE("a notice's year is added after the last year or before the first, the rest kept byte for byte", "[notice]") {
  // cn.yaml is cn.yaml without 2026 with 2026 added, and without 2025 with
  // 2025 added: every comment and line outside the entry is kept.
  CHECK(jointreview::calendar_text_with_year(cn_without(2026), "cn.yaml", notice(2026)) == cn_text());
  CHECK(jointreview::calendar_text_with_year(cn_without(2025), "cn.yaml", notice(2025)) == cn_text());
}

TEST_CASE("a notice's year already in the file is replaced, comments and the other years kept byte for byte", "[notice]") {
  const std::string before =
      "# a local copy\n"
      "format: 1\n"
      "id: cn\n"
      "name: 测试\n"
      "version: \"1\"   # raised by hand\n"
      "years:\n"
      "  # 2025 as amended\n"
      "  2025:\n"
      "    working_days: 247   # a guess, wrong\n"
      "    holidays:\n"
      "      - {name: 元旦, from: 2025-01-01, to: 2025-01-02}\n"
      "  # the notice for 2026\n"
      "  2026:\n"
      "    holidays: [{name: 旧, date: 2026-01-01}]\n"
      "\n"
      "# local days\n"
      "closures:\n"
      "  - {date: 2026-03-10, reason: 系统升级停办}\n";
  const std::string after = jointreview::calendar_text_with_year(before, "cal.yaml", notice(2025));
  const std::string head = before.substr(0, before.find("  2025:\n"));
  const std::string tail = before.substr(before.find("  # the notice for 2026\n"));
  CHECK(after == head + cn_entry(2025) + tail);
  // And 2026, the last entry, up to the comment and the key after it.
  const std::string again = jointreview::calendar_text_with_year(after, "cal.yaml", notice(2026));
  CHECK(again == head + cn_entry(2025) + "  # the notice for 2026\n" + cn_entry(2026) + "\n# local days\n" +
                     "closures:\n  - {date: 2026-03-10, reason: 系统升级停办}\n");
  // The result loads, with the local closure on top of the imported year.
  CHECK(Calendar::from_yaml(again, "cal.yaml")->label(Date::from_ymd(2026, 3, 10)) == "系统升级停办");
}

TEST_CASE("a notice's year is written with the indentation of the file's years", "[notice]") {
  const std::string before = "format: 1\nid: cn\nname: 测试\nversion: \"1\"\nyears:\n    2025:\n        holidays:\n"
                             "            - {name: 元旦, date: 2025-01-01}\n";
  const std::string after = jointreview::calendar_text_with_year(before, "cal.yaml", notice(2026));
  CHECK(after.find("\n\n    2026:\n      source: 国务院办公厅关于2026年部分节假日安排的通知\n") != std::string::npos);
  CHECK(Calendar::from_yaml(after, "cal.yaml")->working_days_in_year(2026) == 248);
}

TEST_CASE("writing a notice's year into a calendar file is refused with the reason", "[notice]") {
  const NoticeYear y2026 = notice(2026);
  // Not the calendar named.
  CHECK(refusal(cn_text(), y2026, "cn-local") ==
        "cal.yaml:" + std::to_string(jointreview::calendar_file::parse_file(cn_text(), "x").pos_id.line) +
            ":5: error: this file is calendar 'cn', not 'cn-local'; to write the year into it, name it (jreview "
            "calendar import --calendar cn)");
  // A calendar that takes its years from another.
  CHECK(refusal("format: 1\nid: cn\nextends: base\nname: 本地\nversion: \"1\"\n", y2026) ==
        "cal.yaml:3:10: error: calendar 'cn' extends 'base' and takes its years from it; write the year into the "
        "file of 'base'");
  // A gap between the years.
  const std::string only2024 = "format: 1\nid: cn\nname: 测试\nversion: \"1\"\nyears:\n  2024:\n    holidays: []\n";
  CHECK(refusal(only2024, y2026) == "cal.yaml:6:3: error: calendar 'cn' has the years 2024; 2026 would leave a gap "
                                    "(2025 missing): import the years in order");
  // Years in flow style cannot be edited line by line.
  CHECK(refusal("format: 1\nid: cn\nname: 测试\nversion: \"1\"\nyears: {2026: {holidays: []}}\n", y2026) ==
        "cal.yaml:5:8: error: 'years' is written in flow style ({...}); write it as a block mapping, one year per "
        "line, to import into it");
  // A broken file is reported as the loader reports it.
  CHECK_THAT(refusal("format: 1\nid: cn\nnmae: 测试\n", y2026),
             Catch::Contains("\ncal.yaml:3:1: error: unknown key 'nmae' in the calendar"));
  // A file that would not load with the year in it: a holiday from the year
  // before, which the calendar does not cover.
  const NoticeYear early = jointreview::parse_holiday_notice(
      std::string(kTitle2026) + "一、元旦：2025年12月31日至2026年1月1日放假，共2天。", "n.txt");
  const std::string only2027 = "format: 1\nid: cn\nname: 测试\nversion: \"1\"\nyears:\n  2027:\n    holidays: []\n";
  CHECK(refusal(only2027, early) == "cal.yaml (with 2026):10:9: error: 2025-12-31 .. 2026-01-01 is outside the "
                                    "years this calendar covers (2026-2027)");
}

// ---------------------------------------------------------------------------
// jreview calendar import
// ---------------------------------------------------------------------------

TEST_CASE("jreview calendar import prints the year, or refuses a bad notice with its problems", "[notice][cli]") {
  Run r = jreview("calendar import tests/calendar/notices/2026.txt");
  CHECK(r.status == 0);
  CHECK(r.out == cn_entry(2026));
  CHECK(r.err.empty());

  TempDir dir;
  const std::string bad = dir.write("bad.txt", notice_2026_with("1月1日（周四）", "1月1日（周三）"));
  r = jreview("calendar import '" + bad + "'");
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK(r.err == bad + ":7:13: error: 1月1日 (2026-01-01) is a Thursday (周四), but the notice says 周三; check the "
                       "date and the weekday against the published notice\n");

  r = jreview("calendar import '" + (dir.path / "missing.txt").string() + "'");
  CHECK(r.status == 2);
  CHECK(r.out.empty());
  CHECK(r.err == "jreview: error: cannot read the notice '" + (dir.path / "missing.txt").string() +
                     "': No such file or directory\n");

  // Only regular files are read: a FIFO does not block, a device does not fill the memory.
  const fs::path fifo = dir.path / "notice.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  r = jreview("calendar import '" + fifo.string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err == "jreview: error: cannot read the notice '" + fifo.string() +
                     "': is a FIFO (named pipe), not a regular file\n");
  r = jreview("calendar import /dev/zero");
  CHECK(r.status == 2);
  CHECK(r.err == "jreview: error: cannot read the notice '/dev/zero': is a device, not a regular file\n");
  r = jreview("calendar import tests/calendar/notices/2026.txt -o /dev/zero");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::StartsWith("jreview: error: cannot read calendar file '/dev/zero': is a device, not a "
                                      "regular file; -o names an existing calendar file"));
  // Larger than 16 MiB: refused from its size, before it is read.
  const fs::path big = dir.path / "big.txt";
  { std::ofstream(big, std::ios::binary); }
  fs::resize_file(big, (std::uintmax_t{16} << 20) + 1);
  r = jreview("calendar import '" + big.string() + "'");
  CHECK(r.status == 2);
  CHECK(r.err == "jreview: error: cannot read the notice '" + big.string() +
                     "': is 16777217 bytes, more than the 16 MiB (16777216 bytes) an input file may have\n");
}

TEST_CASE("jreview calendar import -o writes the notice's year into the calendar file", "[notice][cli]") {
  TempDir dir;
  const std::string file = dir.write("cn.yaml", cn_without(2026));
  Run r = jreview("calendar import tests/calendar/notices/2026.txt -o '" + file + "'");
  CHECK(r.status == 0);
  CHECK(r.out == "wrote 2026 into " + file +
                     ": 7 holidays, 6 make-up days, 248 working days; raise the file's 'version' before publishing it\n");
  CHECK(r.err.empty());
  CHECK(slurp(file) == cn_text());

  // Another calendar's file is left alone.
  const std::string other = dir.write("other.yaml", cn_without(2026));
  r = jreview("calendar import tests/calendar/notices/2026.txt --calendar other -o '" + other + "'");
  CHECK(r.status == 1);
  CHECK(r.out.empty());
  CHECK_THAT(r.err, Catch::StartsWith(other + ":") && Catch::Contains("this file is calendar 'cn', not 'other'"));
  CHECK(slurp(other) == cn_without(2026));

  r = jreview("calendar import tests/calendar/notices/2026.txt -o '" + (dir.path / "none.yaml").string() + "'");
  CHECK(r.status == 2);
  CHECK_THAT(r.err, Catch::Contains("-o names an existing calendar file"));
  CHECK_FALSE(fs::exists(dir.path / "none.yaml"));
}

// Not the State Council's notice for 2027 (not out as this is written): one
// in its form, for the yearly update's steps.
const char* kNotice2027 = "国务院办公厅关于2027年部分节假日安排的通知\n"
                          "一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n"
                          "二、春节：2月5日（周五）至12日（周五）放假调休，共8天。2月20日（周六）上班。\n"
                          "三、清明节：4月3日（周六）至5日（周一）放假，共3天。\n"
                          "四、劳动节：5月1日（周六）至5日（周三）放假调休，共5天。5月8日（周六）上班。\n"
                          "五、端午节：6月9日（周三）放假，共1天。\n"
                          "六、中秋节：9月15日（周三）放假，共1天。\n"
                          "七、国庆节：10月1日（周五）至7日（周四）放假调休，共7天。9月26日（周日）、10月9日（周六）上班。\n";

TEST_CASE("jreview calendar import -o of a new year raises the version, so that calendar update takes it", "[notice][cli]") {
  TempDir dir;
  const std::string notice = dir.write("2027.txt", kNotice2027);
  const std::string file = dir.write("cn.yaml", cn_text());
  Run r = jreview("calendar import '" + notice + "' -o '" + file + "'");
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out == "wrote 2027 into " + file + ": 7 holidays, 4 make-up days, 247 working days; version 2026.1 -> "
                 "2027.1; carry it into a database with `jreview calendar update " + file + " --db DB`\n");
  const std::string text = slurp(file);
  CHECK(text.find("version: \"2027.1\"\n") != std::string::npos);
  CHECK(text.find("version: \"2026.1\"") == std::string::npos);
  CHECK(jointreview::Calendar::from_yaml(text, "cn.yaml")->last_year() == 2027);
  // The year again (a correction): the version is the editor's to raise.
  r = jreview("calendar import '" + notice + "' -o '" + file + "'");
  CHECK(r.status == 0);
  CHECK_THAT(r.out, Catch::EndsWith("raise the file's 'version' before publishing it\n"));
  CHECK(slurp(file) == text);
  // A comment after the version stays.
  CHECK(jointreview::calendar_text_with_version("format: 1\nid: x\nversion: \"1\"   # by hand\nyears: {}\n", "x.yaml",
                                                "2") == "format: 1\nid: x\nversion: \"2\"   # by hand\nyears: {}\n");
  CHECK(jointreview::compare_calendar_versions("2026.10", "2026.9") > 0);
  CHECK(jointreview::compare_calendar_versions("2027", "2027.0") == 0);
}

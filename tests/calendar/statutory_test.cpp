// The statutory holidays as data (workflows/calendars/statutory/cn-2024.yaml,
// written by scripts/gen_statutory_holidays.py): the days the national
// regulation fixes, from which a year without a published notice will be
// counted provisionally. Checked against the published years and against
// the dates the regulation gives for 2027.
#include <set>
#include <string>

#include <catch2/catch.hpp>
#include <yaml-cpp/yaml.h>

#include "jointreview/calendar.h"

using namespace jointreview;

namespace {

const std::string kFile = std::string(JR_SOURCE_DIR) + "/workflows/calendars/statutory/cn-2024.yaml";

// Every day of the year's entries, with the holiday's name.
std::set<std::pair<std::string, std::string>> days_of(const YAML::Node& year) {
  std::set<std::pair<std::string, std::string>> out;
  for (const auto& h : year) {
    const std::string name = h["name"].as<std::string>();
    if (h["date"]) {
      out.emplace(h["date"].as<std::string>(), name);
      continue;
    }
    for (Date d = Date::parse(h["from"].as<std::string>()), to = Date::parse(h["to"].as<std::string>()); d <= to;
         d = d + 1)
      out.emplace(d.str(), name);
  }
  return out;
}

}  // namespace

TEST_CASE("statutory holidays: 13 days a year, 2025 to 2050, seven holidays each", "[calendar][statutory]") {
  const YAML::Node root = YAML::LoadFile(kFile);
  REQUIRE(root["format"].as<int>() == 1);
  const YAML::Node years = root["years"];
  int expected = 2025;
  for (const auto& y : years) {
    CHECK(y.first.as<int>() == expected++);
    CHECK(y.second.size() == 7);
    CHECK(days_of(y.second).size() == 13);
  }
  CHECK(expected == 2051);
}

TEST_CASE("statutory holidays: every statutory day of 2025 and 2026 is a holiday of the published calendar",
          "[calendar][statutory]") {
  const YAML::Node years = YAML::LoadFile(kFile)["years"];
  auto cn = Calendar::load("cn");
  for (int year : {2025, 2026}) {
    for (const auto& [date, name] : days_of(years[year])) {
      INFO(date << " " << name);
      CHECK(cn->kind(Date::parse(date)) == DayKind::holiday);
    }
  }
}

TEST_CASE("statutory holidays: the regulation's dates for 2027", "[calendar][statutory]") {
  const auto days = days_of(YAML::LoadFile(kFile)["years"][2027]);
  const std::set<std::pair<std::string, std::string>> expected = {
      {"2027-01-01", "元旦"},   {"2027-02-05", "春节"},   {"2027-02-06", "春节"},   {"2027-02-07", "春节"},
      {"2027-02-08", "春节"},   {"2027-04-05", "清明节"}, {"2027-05-01", "劳动节"}, {"2027-05-02", "劳动节"},
      {"2027-06-09", "端午节"}, {"2027-09-15", "中秋节"}, {"2027-10-01", "国庆节"}, {"2027-10-02", "国庆节"},
      {"2027-10-03", "国庆节"}};
  CHECK(days == expected);
}

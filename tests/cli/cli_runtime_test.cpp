// The runtime commands as a user runs them: jreview start / act / status /
// events / report / queue on a database file, with a fixed --now.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

Run jreview(const std::string& args) {
  static int n = 0;
  fs::path dir = fs::temp_directory_path();
  std::string o = (dir / ("jr_cli_out_" + std::to_string(::getpid()) + "_" + std::to_string(n))).string();
  std::string e = (dir / ("jr_cli_err_" + std::to_string(::getpid()) + "_" + std::to_string(n++))).string();
  std::string cmd = std::string("cd '") + JR_SOURCE_DIR + "' && '" + JR_JREVIEW_BIN + "' " + args + " >'" + o +
                    "' 2>'" + e + "'";
  int status = std::system(cmd.c_str());
  Run r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(o);
  r.err = slurp(e);
  fs::remove(o);
  fs::remove(e);
  return r;
}

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  return t.substr(t.rfind('\n') == std::string::npos ? 0 : t.rfind('\n') + 1);
}

struct Db {
  std::string path;
  Db() {
    path = (fs::temp_directory_path() / ("jr_cli_" + std::to_string(::getpid()) + ".db")).string();
    clean();
  }
  ~Db() { clean(); }
  void clean() {
    for (const char* ext : {"", "-wal", "-shm"}) fs::remove(path + ext);
  }
  std::string at(const std::string& now) const { return " --db '" + path + "' --now " + now; }
};

}  // namespace

TEST_CASE("jreview start, act, status and events drive a project from the command line", "[cli][runtime]") {
  Db db;
  Run s = jreview("start workflows/four-certificates.yaml --project 示例项目" + db.at("2026-03-02T09:00"));
  REQUIRE(s.code == 0);
  const std::string id = last_line(s.out);
  CHECK(id == "20260302-000001");

  CHECK(jreview("act " + id + " filing submit --as applicant --note 网上申报" + db.at("2026-03-02T10:00")).code == 0);
  Run refused = jreview("act " + id + " filing accept --as 自然资源局" + db.at("2026-03-02T10:05"));
  CHECK(refused.code == 3);
  CHECK(refused.err ==
        "jreview: forbidden: accept refused: department '自然资源局' does not handle step 'filing'; it is handled by "
        "发展改革委\n");
  Run blocked = jreview("act " + id + " site_selection submit" + db.at("2026-03-02T10:06"));
  CHECK(blocked.code == 3);
  CHECK(blocked.err.find("is blocked: it waits for 'filing' (submitted)") != std::string::npos);
  CHECK(jreview("act " + id + " filing accept --as 发展改革委" + db.at("2026-03-02T10:10")).code == 0);
  Run ok = jreview("act " + id + " filing approve --as 发展改革委/张三 --note 同意" + db.at("2026-03-02T11:00"));
  CHECK(ok.code == 0);
  CHECK(ok.out == "filing: approved\n");

  Run st = jreview("status " + id + " --format json" + db.at("2026-03-02T11:00"));
  REQUIRE(st.code == 0);
  auto j = nlohmann::json::parse(st.out);
  CHECK(j["instance"] == id);
  CHECK(j["workflow"] == "four-certificates");
  CHECK(j["project"] == "示例项目");
  CHECK(j["state"] == "running");
  REQUIRE(j["steps"].size() == 11);
  CHECK(j["steps"][0]["id"] == "filing");
  CHECK(j["steps"][0]["state"] == "approved");
  CHECK(j["steps"][0]["department"] == "发展改革委");
  CHECK(j["steps"][1]["state"] == "ready");
  CHECK(j["steps"][1].contains("deadline"));

  Run ev = jreview("events " + id + " --format json" + db.at("2026-03-02T11:00"));
  REQUIRE(ev.code == 0);
  auto e = nlohmann::json::parse(ev.out);
  REQUIRE(e.is_array());
  bool note_kept = false, refusal_kept = false;
  for (const auto& x : e) {
    if (x["action"] == "approve" && x["note"] == "同意" && x["actor"] == "发展改革委/张三") note_kept = true;
    if (x["kind"] == "refused" && x["actor"] == "自然资源局") refusal_kept = true;
  }
  CHECK(note_kept);
  CHECK(refusal_kept);

  Run rep = jreview("report --week 2026-W10 --format json" + db.at("2026-03-06T17:00"));
  REQUIRE(rep.code == 0);
  auto r = nlohmann::json::parse(rep.out);
  CHECK(r["week"] == "2026-W10");
  CHECK(r["from"] == "2026-03-02");
  REQUIRE(r["projects"].size() == 1);
  CHECK(r["projects"][0]["approved"] == 1);
  CHECK(r["projects"][0]["approved_this_week"] == 1);
  Run bad_week = jreview("report --week 2026-W60" + db.at("2026-03-06T17:00"));
  CHECK(bad_week.code == 2);
  CHECK(bad_week.err.find("2026-W60") != std::string::npos);
}

TEST_CASE("jreview queue lists a department's work, green channel first", "[cli][runtime]") {
  Db db;
  std::string normal = last_line(jreview("start workflows/four-certificates.yaml --project 普通项目" +
                                         db.at("2026-03-02T09:00")).out);
  std::string green = last_line(jreview("start workflows/four-certificates.yaml --green --project 重点项目" +
                                        db.at("2026-03-02T09:30")).out);
  REQUIRE(normal != green);
  REQUIRE(jreview("act " + normal + " filing submit" + db.at("2026-03-02T10:00")).code == 0);
  REQUIRE(jreview("act " + green + " filing submit" + db.at("2026-03-02T10:30")).code == 0);
  Run q = jreview("queue 发展改革委 --format json" + db.at("2026-03-02T11:00"));
  REQUIRE(q.code == 0);
  auto j = nlohmann::json::parse(q.out);
  REQUIRE(j.size() == 2);
  CHECK(j[0]["instance"] == green);  // arrived later, served first
  CHECK(j[0]["green"] == true);
  CHECK(j[1]["instance"] == normal);
}

TEST_CASE("jreview act exclude --ground and extend: the law's conditions, refusals with exit 3", "[cli][runtime][law]") {
  Db db;
  const std::string wf = "workflows/four-certificates.yaml";
  Run r = jreview("start " + wf + " --project 期限" + db.at("2026-03-02T09:00"));
  REQUIRE(r.code == 0);
  const std::string id = last_line(r.out);
  REQUIRE(jreview("act " + id + " filing submit" + db.at("2026-03-02T09:05")).code == 0);
  REQUIRE(jreview("act " + id + " filing accept --as 发展改革委" + db.at("2026-03-02T09:10")).code == 0);
  // filing declares no excluded period: a length alone is no ground.
  r = jreview("act " + id + " filing exclude --as 发展改革委 --days 5" + db.at("2026-03-02T09:20"));
  CHECK(r.code == 3);
  CHECK(r.err.find("needs its ground under Art. 45") != std::string::npos);
  r = jreview("act " + id + " filing exclude --as 发展改革委 --days 5 --ground lottery --note x" + db.at("2026-03-02T09:20"));
  CHECK(r.code == 2);
  CHECK(r.err.find("unknown ground 'lottery'") != std::string::npos);
  r = jreview("act " + id + " filing exclude --as 发展改革委 --days 5 --ground hearing" + db.at("2026-03-02T09:20"));
  CHECK(r.code == 3);
  CHECK(r.err.find("(--note)") != std::string::npos);  // the flag named, not the library's field
  r = jreview("act " + id + " filing exclude --as 发展改革委 --days 5 --ground hearing --note 召开听证会" +
              db.at("2026-03-02T09:20"));
  CHECK(r.code == 0);
  CHECK(r.out.find("clock-stopped:hearing-until-2026-03-09") != std::string::npos);
  REQUIRE(jreview("act " + id + " filing resume --as 发展改革委" + db.at("2026-03-02T10:00")).code == 0);
  r = jreview("act " + id + " filing extend --as 发展改革委 --days 11 --note 复杂" + db.at("2026-03-02T10:05"));
  CHECK(r.code == 3);
  CHECK(r.err.find("1 to 10 working days") != std::string::npos);
  r = jreview("act " + id + " filing extend --as 发展改革委 --days 10 --note 情况复杂" + db.at("2026-03-02T10:05"));
  CHECK(r.code == 0);
  CHECK(r.out.find("extended+10") != std::string::npos);
  r = jreview("status " + id + " --format json" + db.at("2026-03-02T10:10"));
  REQUIRE(r.code == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["steps"][0]["extended_days"] == 10.0);
  CHECK(j["steps"][0]["days_limit"] == 11.0);
  CHECK(j["clock_started"] == "2026-03-02");
}

TEST_CASE("jreview audit verify and head: the chain of an honest trail, and the row someone altered", "[cli][audit]") {
  Db db;
  Run s = jreview("start workflows/four-certificates.yaml --project 审计" + db.at("2026-03-02T09:00"));
  REQUIRE(s.code == 0);
  const std::string id = last_line(s.out);
  REQUIRE(jreview("act " + id + " filing submit" + db.at("2026-03-02T10:00")).code == 0);
  REQUIRE(jreview("act " + id + " filing accept --as 发展改革委" + db.at("2026-03-02T10:10")).code == 0);
  Run v = jreview("audit verify --db '" + db.path + "'");
  CHECK(v.code == 0);
  CHECK(v.out.rfind("audit trail verified: ", 0) == 0);
  Run h = jreview("audit head --db '" + db.path + "'");
  CHECK(h.code == 0);
  const std::string head = last_line(h.out);
  REQUIRE(head.find(' ') != std::string::npos);
  CHECK(head.substr(head.find(' ') + 1).size() == 64);
  Run j = jreview("audit verify --format json --db '" + db.path + "'");
  REQUIRE(j.code == 0);
  auto o = nlohmann::json::parse(j.out);
  CHECK(o["ok"] == true);
  CHECK(std::to_string(o["head_seq"].get<long long>()) + " " + o["head_hash"].get<std::string>() == head);
  CHECK(o["bad_seq"].is_null());
  // Someone with the file drops the guards and changes who accepted.
  const std::string sql = "DROP TRIGGER events_append_only_update; UPDATE events SET actor='自然资源局' WHERE "
                          "action='accept';";
  REQUIRE(std::system(("sqlite3 '" + db.path + "' \"" + sql + "\" 2>/dev/null || /usr/bin/python3 -c \"import "
                       "sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()\" '" +
                       db.path + "' \"" + sql + "\"").c_str()) == 0);
  Run bad = jreview("audit verify --db '" + db.path + "'");
  CHECK(bad.code == 1);
  CHECK(bad.out.rfind("AUDIT TRAIL BROKEN at seq ", 0) == 0);
  CHECK(bad.out.find("does not match its hash") != std::string::npos);
  CHECK(jreview("audit head --db '" + db.path + "'").code == 1);
  CHECK(jreview("audit verify --db /nonexistent/x.db").code == 2);
}

TEST_CASE("jreview refuses control characters and invalid UTF-8, and acts for a named applicant by name only", "[cli][runtime]") {
  Db db;
  Run s = jreview("start workflows/four-certificates.yaml --project 名称 --applicant 城东实业公司" + db.at("2026-03-02T09:00"));
  REQUIRE(s.code == 0);
  const std::string id = last_line(s.out);
  Run plain = jreview("act " + id + " filing submit --as applicant" + db.at("2026-03-02T10:00"));
  CHECK(plain.code == 3);
  CHECK(plain.err.find("belongs to applicant '城东实业公司': act as 'applicant:城东实业公司'") != std::string::npos);
  CHECK(jreview("act " + id + " filing submit --as applicant:城东实业公司" + db.at("2026-03-02T10:00")).code == 0);
  Run esc = jreview("act " + id + " filing accept --as 发展改革委 --note \"$(printf '\\033[32m同意')\"" + db.at("2026-03-02T10:10"));
  CHECK(esc.code == 2);
  CHECK(esc.err.find("the note (--note) holds the control character U+001B (byte 1)") != std::string::npos);
  Run staff = jreview("act " + id + " filing accept --as 发展改革委//../x" + db.at("2026-03-02T10:10"));
  CHECK(staff.code == 3);
  CHECK(staff.err.find("is not DEPARTMENT/STAFF-ID") != std::string::npos);
  Run bad = jreview("start workflows/four-certificates.yaml --project \"$(printf '\\377\\376')\"" + db.at("2026-03-02T10:20"));
  CHECK(bad.code == 2);
  CHECK(bad.err.find("is not valid UTF-8 (byte 1)") != std::string::npos);
  // A note on two lines is kept, and the table shows it on one.
  REQUIRE(jreview("act " + id + " filing accept --as 发展改革委 --note \"$(printf '第一行\\n第二行')\"" + db.at("2026-03-02T10:30")).code == 0);
  Run ev = jreview("events " + id + db.at("2026-03-02T10:40"));
  CHECK(ev.out.find("note: 第一行\\n第二行") != std::string::npos);
}

TEST_CASE("jreview names what the user gave: a negative seed or --days, a week with one digit, an empty --db", "[cli][runtime]") {
  Db db;
  Run seed = jreview("simulate workflows/company-change.yaml --runs 10 --seed -5");
  CHECK(seed.code == 2);
  CHECK(seed.err.find("the seed is a whole number of 0 or more, not -5") != std::string::npos);
  Run week = jreview("report --week 2026-W1" + db.at("2026-03-02T09:00"));
  CHECK(week.code == 2);
  CHECK(week.err.find("write the week with two digits: 2026-W01") != std::string::npos);
  Run days = jreview("act x s exclude --days -1" + db.at("2026-03-02T09:00"));
  CHECK(days.code == 2);
  CHECK(days.err.find("--days is a number of working days above 0, not -1") != std::string::npos);
  for (const char* bad : {"''", "':memory:'", "'file:x.db?mode=memory'"}) {
    INFO(bad);
    Run r = jreview(std::string("start workflows/four-certificates.yaml --db ") + bad + " --now 2026-03-02T09:00");
    CHECK(r.code == 2);
    CHECK(r.err.find("would keep nothing") != std::string::npos);
  }
}

TEST_CASE("jreview start --key, act --request-id and --expect-version, claim and release", "[cli][runtime][platform]") {
  Db db;
  const std::string wf = "workflows/four-certificates.yaml --project 甲项目 --key CASE-1";
  Run first = jreview("start " + wf + db.at("2026-03-02T09:00"));
  REQUIRE(first.code == 0);
  const std::string id = last_line(first.out);
  Run again = jreview("start " + wf + db.at("2026-03-02T09:05"));
  CHECK(again.code == 0);
  CHECK(last_line(again.out) == id);
  CHECK_THAT(again.err, Catch::Contains("already existed"));

  CHECK(jreview("act " + id + " filing submit --request-id r-1" + db.at("2026-03-02T09:10")).code == 0);
  Run retry = jreview("act " + id + " filing submit --request-id r-1" + db.at("2026-03-02T09:11"));
  CHECK(retry.code == 0);
  CHECK_THAT(retry.err, Catch::Contains("answered before"));

  Run stale = jreview("act " + id + " filing accept --as 发展改革委 --expect-version 1" + db.at("2026-03-02T09:12"));
  CHECK(stale.code == 4);
  CHECK_THAT(stale.err, Catch::StartsWith("jreview: conflict: "));
  CHECK_THAT(stale.err, Catch::Contains("--expect-version"));  // the flag, not the library's field

  Run claim = jreview("claim " + id + " filing --as 发展改革委/张三" + db.at("2026-03-02T09:13"));
  CHECK(claim.code == 0);
  CHECK_THAT(claim.out, Catch::Contains("claimed by 发展改革委/张三"));
  Run other = jreview("act " + id + " filing accept --as 发展改革委/李四" + db.at("2026-03-02T09:14"));
  CHECK(other.code == 4);
  CHECK_THAT(other.err, Catch::Contains("claimed by 发展改革委/张三"));
  Run status = jreview("status " + id + " --format json" + db.at("2026-03-02T09:15"));
  const auto j = nlohmann::json::parse(status.out);
  CHECK(j["key"] == "CASE-1");
  CHECK(j["version"] == 3);
  CHECK(j["steps"][0]["claims"][0]["staff"] == "发展改革委/张三");
  CHECK(jreview("act " + id + " filing accept --as 发展改革委/张三 --expect-version 3" + db.at("2026-03-02T09:16")).code == 0);
  Run release = jreview("release " + id + " filing --as 发展改革委/张三" + db.at("2026-03-02T09:17"));
  CHECK(release.code == 0);
  Run events = jreview("events " + id + " --format json" + db.at("2026-03-02T09:18"));
  int claimed = 0, released = 0, refused = 0;
  for (const auto& e : nlohmann::json::parse(events.out)) {
    claimed += e["kind"] == "claimed";
    released += e["kind"] == "released";
    refused += e["kind"] == "refused";
  }
  CHECK(claimed == 1);
  CHECK(released == 1);
  CHECK(refused == 0);  // a retry, a stale version, a claimed step: none is a refusal of the rules
}

TEST_CASE("jreview events --after: the feed of every instance in seq order, pages with --limit", "[cli][runtime][platform]") {
  Db db;
  const std::string a = last_line(jreview("start workflows/four-certificates.yaml --project 甲" + db.at("2026-03-02T09:00")).out);
  const std::string b = last_line(jreview("start workflows/four-certificates.yaml --project 乙" + db.at("2026-03-02T09:01")).out);
  REQUIRE(jreview("act " + a + " filing submit" + db.at("2026-03-02T09:02")).code == 0);
  Run all = jreview("events --after 0 --format json" + db.at("2026-03-02T09:03"));
  REQUIRE(all.code == 0);
  const auto j = nlohmann::json::parse(all.out);
  std::set<std::string> instances;
  for (std::size_t k = 0; k < j.size(); ++k) {
    CHECK(j[k]["seq"] == k + 1);
    instances.insert(j[k]["instance"]);
  }
  CHECK(instances == std::set<std::string>{a, b});
  Run page = jreview("events --after 2 --limit 2 --format json" + db.at("2026-03-02T09:03"));
  const auto p = nlohmann::json::parse(page.out);
  REQUIRE(p.size() == 2);
  CHECK(p[0]["seq"] == 3);
  Run one = jreview("events " + b + " --after 0 --format json" + db.at("2026-03-02T09:03"));
  for (const auto& e : nlohmann::json::parse(one.out)) CHECK(e["instance"] == b);
  Run table = jreview("events --after 0" + db.at("2026-03-02T09:03"));
  CHECK_THAT(table.out, Catch::Contains("instance"));
  CHECK(jreview("events" + db.at("2026-03-02T09:03")).code == 2);  // neither an instance nor --after
}

TEST_CASE("jreview list: filters, pages and the JSON of the platform API", "[cli][runtime][platform]") {
  Db db;
  std::vector<std::string> ids;
  for (int k = 0; k < 3; ++k)
    ids.push_back(last_line(jreview("start workflows/four-certificates.yaml --project 项目" + std::to_string(k) +
                                    db.at("2026-03-02T09:0" + std::to_string(k)))
                                .out));
  REQUIRE(jreview("act " + ids[0] + " filing submit" + db.at("2026-03-02T09:10")).code == 0);
  Run all = jreview("list --format json" + db.at("2026-03-02T09:11"));
  REQUIRE(all.code == 0);
  const auto j = nlohmann::json::parse(all.out);
  CHECK(j["total"] == 3);
  CHECK(j["next"].is_null());
  for (const char* k : {"instance", "project", "workflow", "state", "progress", "deadline", "flags"})
    CHECK(j["instances"][0].contains(k));
  Run dept = jreview("list --department 发展改革委 --format json" + db.at("2026-03-02T09:11"));
  const auto d = nlohmann::json::parse(dept.out);
  REQUIRE(d["instances"].size() == 1);
  CHECK(d["instances"][0]["instance"] == ids[0]);
  Run first = jreview("list --limit 2 --format json" + db.at("2026-03-02T09:11"));
  const auto p1 = nlohmann::json::parse(first.out);
  REQUIRE(p1["next"].is_string());
  Run second = jreview("list --limit 2 --after " + p1["next"].get<std::string>() + " --format json" +
                       db.at("2026-03-02T09:11"));
  const auto p2 = nlohmann::json::parse(second.out);
  REQUIRE(p2["instances"].size() == 1);
  CHECK(p2["instances"][0]["instance"] == ids[2]);
  Run table = jreview("list" + db.at("2026-03-02T09:11"));
  CHECK_THAT(table.out, Catch::Contains("3 of 3 matching"));
  Run reader = jreview("list --read-only --format json" + db.at("2026-03-02T09:11"));
  CHECK(reader.code == 0);
  CHECK(nlohmann::json::parse(reader.out) == nlohmann::json::parse(all.out));
  Run bad = jreview("list --flag bogus" + db.at("2026-03-02T09:11"));
  CHECK(bad.code == 2);
  CHECK_THAT(bad.err, Catch::Contains("--flag"));
}

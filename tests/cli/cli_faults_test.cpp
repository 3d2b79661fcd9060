// Faults of the file system as a user meets them: a disk that fills up in
// the middle of a run, a database that cannot be written. The error must
// say what happened and what to do, and nothing acknowledged may be lost.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "runtime/helpers.h"

namespace fs = std::filesystem;

namespace {

struct Shell {
  int code = -1;
  std::string out, err;
};

// Runs a POSIX shell script with $JR set to the jreview binary, $WF to the
// bundled four-certificates workflow and the working folder `dir`.
Shell sh(const fs::path& dir, const std::string& script) {
  const fs::path file = dir / "script.sh";
  std::ofstream(file) << script;
  const std::string o = (dir / "out.txt").string(), e = (dir / "err.txt").string();
  const std::string cmd = "cd '" + dir.string() + "' && JR='" + JR_JREVIEW_BIN + "' WF='" + JR_SOURCE_DIR +
                          "/workflows/four-certificates.yaml' sh '" + file.string() + "' >'" + o + "' 2>'" + e + "'";
  const int status = std::system(cmd.c_str());
  Shell r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  auto slurp = [](const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  r.out = slurp(o);
  r.err = slurp(e);
  return r;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) v.push_back(l);
  return v;
}

}  // namespace

TEST_CASE("a disk that fills up: the failing command says so, every acknowledged start is kept", "[cli][faults]") {
  jr_test::TempDir d;
  // A file size limit (ulimit -f, in blocks of 512 bytes) stands for a full
  // disk: writes past it fail with EFBIG (SIGXFSZ ignored), as they would
  // with ENOSPC. 150 blocks hold a handful of instances of the workflow.
  const Shell full = sh(d.path,
                        "\"$JR\" start \"$WF\" --project p0 --db jr.db --now 2026-03-02T09:00 || exit 1\n"
                        "trap '' XFSZ\n"
                        "ulimit -f 150\n"
                        "i=0\n"
                        "while [ $i -lt 60 ]; do\n"
                        "  i=$((i+1))\n"
                        "  \"$JR\" start \"$WF\" --project p$i --db jr.db --now 2026-03-02T09:00 2>err.last || {\n"
                        "    echo \"failed at $i with $?\" >&2; cat err.last >&2; exit 9; }\n"
                        "done\n");
  REQUIRE(full.code == 9);  // the limit was reached before 60 starts
  CHECK_THAT(full.err, Catch::Contains("failed at"));
  CHECK_THAT(full.err, Catch::Contains("with 2"));  // a storage error
  CHECK_THAT(full.err, Catch::Contains("database 'jr.db'"));
  CHECK_THAT(full.err, Catch::Contains("free space and retry"));
  CHECK_THAT(full.err, Catch::Contains("nothing committed before it is lost"));
  const auto acknowledged = lines(full.out);
  REQUIRE(acknowledged.size() >= 2);

  // Without the limit: every instance that printed its id is there, the
  // file is whole and its trail verifies, and work goes on.
  CHECK(jr_test::sql_scalar(d.db(), "PRAGMA integrity_check") == "ok");
  const Shell after = sh(d.path, "\"$JR\" audit verify --db jr.db\n");
  CHECK(after.code == 0);
  CHECK_THAT(after.out, Catch::Contains("audit trail verified"));
  for (const auto& id : acknowledged) {
    const Shell st = sh(d.path, "\"$JR\" status " + id + " --db jr.db --read-only --format json\n");
    CHECK(st.code == 0);
    CHECK_THAT(st.out, Catch::Contains("\"instance\": \"" + id + "\""));
  }
  const Shell more = sh(d.path, "\"$JR\" start \"$WF\" --project again --db jr.db --now 2026-03-02T09:00\n");
  CHECK(more.code == 0);
  CHECK(std::stoul(jr_test::sql_scalar(d.db(), "SELECT count(DISTINCT instance) FROM events")) >=
        acknowledged.size() + 1);
}

TEST_CASE("a database that cannot be written: actions fail with the reason, --read-only reads it", "[cli][faults]") {
  jr_test::TempDir d;
  const Shell start = sh(d.path, "\"$JR\" start \"$WF\" --project 只读 --db jr.db --now 2026-03-02T09:00\n");
  REQUIRE(start.code == 0);
  const std::string id = lines(start.out).back();
  // The superuser ignores file modes: the commands then run as 'nobody'
  // (setpriv), for whom the folder and the files are read-only.
  std::string as;
  if (::geteuid() == 0) {
    if (std::system("command -v setpriv >/dev/null 2>&1") != 0) {
      WARN("setpriv is missing: a superuser cannot be refused a write, the read-only case is not tried");
      return;
    }
    as = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
  }
  fs::permissions(d.path, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  for (const char* f : {"jr.db", "jr.db.lock"})
    if (fs::exists(d.path / f))
      fs::permissions(d.path / f, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const Shell act =
      sh(d.path, as + "\"$JR\" act " + id + " filing submit --as applicant --db jr.db --now 2026-03-02T10:00\n");
  const Shell read = sh(d.path, as + "\"$JR\" status " + id + " --db jr.db --read-only --format json\n");
  fs::permissions(d.path, fs::perms::owner_all);
  for (const char* f : {"jr.db", "jr.db.lock"})
    if (fs::exists(d.path / f)) fs::permissions(d.path / f, fs::perms::owner_read | fs::perms::owner_write);
  CHECK(act.code == 2);
  CHECK_THAT(act.err, Catch::Contains("cannot be written"));
  CHECK_THAT(act.err, Catch::Contains("--read-only"));
  CHECK(read.code == 0);
  CHECK_THAT(read.out, Catch::Contains("\"instance\": \"" + id + "\""));
  CHECK_THAT(read.err, Catch::Contains("read-only"));
  // Nothing changed, and the database takes the action once writable.
  const Shell again = sh(d.path, "\"$JR\" act " + id + " filing submit --as applicant --db jr.db --now 2026-03-02T10:00\n"
                                 "\"$JR\" audit verify --db jr.db\n");
  CHECK(again.code == 0);
  CHECK(jr_test::sql_scalar(d.db(), "SELECT count(*) FROM events WHERE kind = 'refused'") == "0");
  CHECK(jr_test::sql_scalar(d.db(), "SELECT count(*) FROM events WHERE action = 'submit'") == "1");
}

// The fuzz targets' harnesses (fuzz/harness_*.h) on the inputs kept in the
// tree: every finding of a fuzz run (fuzz/regressions/TARGET/) and the seed
// corpus (fuzz/corpus/TARGET/). Compiled with the normal build, so a plain
// run catches exceptions that escape and the sanitizer build (.ci/run)
// catches the rest. A regression whose fix has not landed yet is kept as
// open-NAME: listed here, not run (fuzz/regressions/README.md).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz/harness_calendar.h"
#include "fuzz/harness_capi.h"
#include "fuzz/harness_loader.h"
#include "fuzz/harness_notice.h"
#include "fuzz/harness_server.h"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> inputs(const std::string& folder) {
  std::vector<fs::path> files;
  fs::path dir = fs::path(JR_SOURCE_DIR) / folder;
  if (!fs::is_directory(dir)) return files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() != ".md") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void run_all(const std::string& target, const std::function<int(const std::uint8_t*, std::size_t)>& run) {
  for (const std::string& kind : {std::string("regressions"), std::string("corpus")}) {
    for (const fs::path& p : inputs("fuzz/" + kind + "/" + target)) {
      if (p.filename().string().rfind("open-", 0) == 0) {
        WARN("not run, its fix has not landed: " << p.string());
        continue;
      }
      INFO(p.string());
      std::string data = slurp(p);
      CHECK_NOTHROW(run(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
    }
  }
}

}  // namespace

TEST_CASE("fuzz inputs: the loader's regressions and seeds", "[fuzz][loader]") {
  run_all("loader", jr_fuzz::run_loader);
}

TEST_CASE("fuzz inputs: the calendar parser's regressions and seeds", "[fuzz][calendar]") {
  run_all("calendar", jr_fuzz::run_calendar);
}

TEST_CASE("fuzz inputs: the notice importer's regressions and seeds", "[fuzz][notice]") {
  run_all("notice", jr_fuzz::run_notice);
}

TEST_CASE("fuzz inputs: the C API's regressions and seeds", "[fuzz][capi]") {
  run_all("capi", jr_fuzz::run_capi);
  jr_fuzz::capi_detail::close_all();  // now, not at exit (after OpenSSL's cleanup)
}

TEST_CASE("fuzz inputs: the server routes' regressions and seeds", "[fuzz][server]") {
  run_all("server", jr_fuzz::run_server);
  jr_fuzz::server_detail::close_all();  // now, not at exit
}

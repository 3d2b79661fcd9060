// The bad-input corpus: every tests/bad/NAME.yaml is validated by the real
// `jreview validate` and what it prints must equal tests/bad/NAME.expected,
// line for line (stdout and stderr together; paths relative to the source
// root). The exit code must be 1 when the golden holds an error and 0 when it
// holds warnings only.
//
// Files in tests/bad/include/ are helpers included by corpus entries, not
// entries themselves.
//
// To regenerate the goldens after a deliberate change of a message, either
//   JR_REGEN_GOLDENS=1 build/tests/jointreview_tests "[bad-corpus]"
// or
//   tests/bad/regen.sh build/cli/jreview
// and then review every changed line with `git diff tests/bad` as a user
// would before committing it.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t nl = s.find('\n', start);
    if (nl == std::string::npos) {
      out.push_back(s.substr(start));
      break;
    }
    out.push_back(s.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

// A line diff in the style of `diff -u` (one hunk, whole files): lines
// common to both by longest common subsequence, '-' expected, '+' actual.
std::string unified_diff(const std::string& expected, const std::string& actual, const std::string& name) {
  const auto a = split_lines(expected);
  const auto b = split_lines(actual);
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> lcs(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::string out = "--- " + name + ".expected\n+++ " + name + " (actual output)\n@@ -1," +
                    std::to_string(n) + " +1," + std::to_string(m) + " @@\n";
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] == b[j]) {
      out += " " + a[i++] + "\n";
      ++j;
    } else if (i < n && (j == m || lcs[i + 1][j] >= lcs[i][j + 1])) {
      out += "-" + a[i++] + "\n";
    } else {
      out += "+" + b[j++] + "\n";
    }
  }
  if (!expected.empty() && expected.back() != '\n') out += "\\ No newline at end of expected\n";
  if (!actual.empty() && actual.back() != '\n') out += "\\ No newline at end of actual output\n";
  return out;
}

struct RunResult {
  int exit_code = -1;
  std::string output;
};

// Runs `jreview validate REL` in the source root; stdout and stderr together.
RunResult run_validate(const std::string& rel) {
  const fs::path tmp = fs::temp_directory_path() /
                       ("jr_bad_corpus_" + std::to_string(::getpid()) + "_" + fs::path(rel).stem().string() + ".out");
  const std::string cmd = std::string("cd '") + JR_SOURCE_DIR + "' && '" + JR_JREVIEW_BIN + "' validate '" + rel +
                          "' >'" + tmp.string() + "' 2>&1";
  RunResult r;
  const int status = std::system(cmd.c_str());
  if (status != -1 && WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  r.output = slurp(tmp);
  std::error_code ec;
  fs::remove(tmp, ec);
  return r;
}

std::vector<fs::path> corpus() {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(JR_SOURCE_DIR) / "tests" / "bad"))
    if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

bool golden_has_error(const std::string& golden) {
  for (const auto& line : split_lines(golden))
    if (line.find(": error: ") != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("the bad-input corpus is large enough and every entry has a golden", "[bad-corpus]") {
  const auto files = corpus();
  CHECK(files.size() >= 45);
  for (const auto& f : files) {
    fs::path golden = f;
    golden.replace_extension(".expected");
    INFO("corpus entry " << f.filename().string());
    CHECK(fs::exists(golden));
  }
  // A golden without its input is a leftover of a renamed or deleted entry.
  for (const auto& e : fs::directory_iterator(fs::path(JR_SOURCE_DIR) / "tests" / "bad")) {
    if (e.path().extension() != ".expected") continue;
    fs::path input = e.path();
    input.replace_extension(".yaml");
    INFO("golden " << e.path().filename().string());
    CHECK(fs::exists(input));
  }
}

TEST_CASE("jreview validate prints exactly the golden messages for every bad input", "[bad-corpus]") {
  const bool regen = std::getenv("JR_REGEN_GOLDENS") != nullptr;
  const auto files = corpus();
  REQUIRE(!files.empty());
  std::size_t errors = 0, warnings_only = 0;
  for (const auto& f : files) {
    const std::string rel = "tests/bad/" + f.filename().string();
    fs::path golden_path = f;
    golden_path.replace_extension(".expected");
    const RunResult r = run_validate(rel);
    if (regen) {
      std::ofstream(golden_path, std::ios::binary) << r.output;
      WARN("regenerated " << golden_path.filename().string());
      continue;
    }
    const std::string golden = slurp(golden_path);
    {
      // No SECTION here: Catch would rerun the whole loop once per section.
      INFO("jreview validate " << rel << " (exit code " << r.exit_code << ")");
      if (golden != r.output) {
        // Printed as is: Catch would wrap the long lines of a message.
        std::cerr << unified_diff(golden, r.output, rel.substr(0, rel.size() - 5)) << std::flush;
        FAIL_CHECK("the output of jreview differs from " << golden_path.filename().string()
                                                         << " (diff above; after review, regenerate with"
                                                            " JR_REGEN_GOLDENS=1)");
      }
      CHECK(!r.output.empty());
      // Every line is FILE:LINE:COLUMN: error|warning: ... or the ok line.
      for (const auto& line : split_lines(r.output)) {
        INFO("line: " << line);
        const bool diag = line.find(": error: ") != std::string::npos || line.find(": warning: ") != std::string::npos;
        const bool ok_line = line.rfind(rel + ": ok: ", 0) == 0;
        CHECK((diag || ok_line));
        CHECK(line.rfind("tests/bad/", 0) == 0);
      }
      const bool has_error = golden_has_error(golden);
      CHECK(r.exit_code == (has_error ? 1 : 0));
    }
    (golden_has_error(golden) ? errors : warnings_only) += 1;
  }
  if (!regen) {
    CHECK(errors >= 30);
    CHECK(warnings_only >= 5);
  }
}

TEST_CASE("the golden diff shows removed and added lines", "[bad-corpus]") {
  const std::string d = unified_diff("a\nb\nc\n", "a\nB\nc\nd\n", "x");
  CHECK(d == "--- x.expected\n+++ x (actual output)\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n");
}

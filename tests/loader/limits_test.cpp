// The loader's limits and file checks (issue 14, item 0): aliases and
// includes loaded once each, caps on nodes, steps, files and sizes, only
// regular files read, include paths kept inside the workflow's folder, and
// the messages for files that are not workflow text. The small cases with a
// message are in tests/bad (alias-bomb, include-outside, nul-byte, ...).
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "jointreview/loader.h"
#include "jointreview/text.h"

namespace fs = std::filesystem;
using namespace jointreview;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    static int counter = 0;
    path = fs::temp_directory_path() /
           ("jr_limits_test_" + std::to_string(::getpid()) + "_" + std::to_string(++counter));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    fs::path p = path / name;
    fs::create_directories(p.parent_path());
    std::ofstream(p, std::ios::binary) << text;
    return p.string();
  }
};

std::string all_messages(const LoadResult& r) {
  std::string out;
  for (const auto& d : r.diagnostics) out += d.str() + "\n";
  return out;
}

std::string step(const std::string& id, const std::string& produces = "") {
  return "  - id: " + id + "\n    department: D\n    days: 1\n    produces: [" + (produces.empty() ? id : produces) +
         "]\n";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("an alias bomb is refused from its expanded size, at once", "[loader][limits]") {
  // Nine aliases per level: 9^10 nodes once expanded, 3.5 billion, in 500 bytes.
  std::string text = "workflow: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 9; ++k) text += (k ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  text += "steps: *a9\n";
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = load_workflow_string(text, "bomb.yaml");
  CHECK(seconds_since(t0) < 2);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK_THAT(r.diagnostics[0].message, Catch::Contains("more than 1000000 nodes"));
  CHECK(r.diagnostics[0].pos.line == 8);  // the alias where the count passes the limit
}

TEST_CASE("aliases within the limit still load, each node read once", "[loader][limits]") {
  const auto r = load_workflow_string(R"(workflow: aliased
steps:
  - id: a
    department: &d 发改委
    days: &n 2
    produces: [备案证明]
  - id: b
    department: *d
    days: *n
    needs: [备案证明]
    produces: [许可证]
)",
                                      "aliased.yaml");
  INFO(all_messages(r));
  REQUIRE(r.ok());
  CHECK(r.workflow->steps[1].departments == std::vector<std::string>{"发改委"});
  CHECK(r.workflow->steps[1].days == 2);
}

TEST_CASE("a DAG of includes loads each file once, its steps merged once", "[loader][limits]") {
  // Four items per level, each including the four of the next level: 4^depth
  // paths through the files, 4 * depth files. 3.45 s at depth 8 before, by path.
  TempDir dir;
  constexpr int depth = 15, width = 4;
  for (int level = 0; level < depth; ++level)
    for (int i = 0; i < width; ++i) {
      std::string t = "workflow: l" + std::to_string(level) + "-" + std::to_string(i) + "\n";
      if (level + 1 < depth) {
        t += "includes: [";
        for (int k = 0; k < width; ++k)
          t += std::string(k ? ", " : "") + "../l" + std::to_string(level + 1) + "/i" + std::to_string(k) + ".yaml";
        t += "]\n";
      }
      t += "steps:\n" + step("s" + std::to_string(level) + "_" + std::to_string(i));
      dir.write("l" + std::to_string(level) + "/i" + std::to_string(i) + ".yaml", t);
    }
  const std::string top = dir.write("package.yaml", "workflow: dag\nincludes: [l0/i0.yaml, l0/i1.yaml, l0/i2.yaml, "
                                                    "l0/i3.yaml]\n");
  LoadOptions quiet;
  quiet.warnings = false;
  const auto t0 = std::chrono::steady_clock::now();
  const auto r = load_workflow_file(top, quiet);
  CHECK(seconds_since(t0) < 2);
  INFO(all_messages(r).substr(0, 2000));
  REQUIRE(r.ok());
  CHECK(r.diagnostics.empty());
  CHECK(r.workflow->steps.size() == static_cast<std::size_t>(depth * width));
  CHECK(r.workflow->includes.size() == 4);
}

TEST_CASE("a diamond include is one item; two files defining one id still clash", "[loader][limits]") {
  TempDir dir;
  dir.write("items/common.yaml", "workflow: common\nsteps:\n" + step("registration", "营业执照"));
  dir.write("items/a.yaml", "workflow: a\nincludes: [common.yaml]\nsteps:\n" + step("seal"));
  dir.write("items/b.yaml", "workflow: b\nincludes: [../items/common.yaml]\nsteps:\n" + step("tax"));
  const std::string top = dir.write("p.yaml", "workflow: p\nincludes: [items/a.yaml, items/b.yaml, items/common.yaml]\n");
  LoadOptions quiet;
  quiet.warnings = false;
  auto r = load_workflow_file(top, quiet);
  INFO(all_messages(r));
  REQUIRE(r.ok());
  REQUIRE(r.workflow->steps.size() == 3);
  CHECK(r.workflow->steps[0].id == "registration");
  CHECK(r.workflow->steps[1].id == "seal");
  CHECK(r.workflow->steps[2].id == "tax");

  dir.write("items/other.yaml", "workflow: other\nsteps:\n" + step("registration", "另一个执照"));
  const std::string clash = dir.write("clash.yaml", "workflow: clash\nincludes: [items/a.yaml, items/other.yaml]\n");
  r = load_workflow_file(clash, quiet);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK_THAT(r.diagnostics[0].message, Catch::StartsWith("step id 'registration' is already defined at ") &&
                                           Catch::Contains("common.yaml:3:9"));
  CHECK_THAT(r.diagnostics[0].pos.file, Catch::EndsWith("other.yaml"));
}

TEST_CASE("include paths stay inside the workflow's folder unless the caller allows more", "[loader][limits]") {
  TempDir dir;
  dir.write("outside/item.yaml", "workflow: item\nsteps:\n" + step("outside"));
  dir.write("pkg/items/a.yaml", "workflow: a\nincludes: [../shared/s.yaml]\nsteps:\n" + step("a"));
  dir.write("pkg/shared/s.yaml", "workflow: s\nsteps:\n" + step("s"));
  // Below the folder through '..': allowed; out of it: refused before it is read.
  const std::string inside = dir.write("pkg/inside.yaml", "workflow: in\nincludes: [items/a.yaml]\n");
  auto r = load_workflow_file(inside);
  INFO(all_messages(r));
  CHECK(r.ok());

  const std::string out = dir.write("pkg/out.yaml", "workflow: out\nincludes: [../outside/item.yaml, " +
                                                        (dir.path / "outside/item.yaml").string() + "]\n");
  r = load_workflow_file(out);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 2);
  CHECK_THAT(r.diagnostics[0].message, Catch::StartsWith("include path '../outside/item.yaml' leads outside the "
                                                         "workflow's folder"));
  CHECK_THAT(r.diagnostics[1].message, Catch::Contains("' is absolute"));
  CHECK_THAT(all_messages(r), Catch::Contains("allow_includes_outside"));

  // A symbolic link counts where it leads.
  fs::create_directory_symlink(dir.path / "outside", dir.path / "pkg" / "link");
  const std::string via_link = dir.write("pkg/link.yaml", "workflow: l\nincludes: [link/item.yaml]\n");
  r = load_workflow_file(via_link);
  CHECK_FALSE(r.ok());
  CHECK_THAT(all_messages(r), Catch::Contains("leads outside"));

  // A text without a file name is held to the working folder.
  r = load_workflow_string("workflow: anon\nincludes: [/etc/passwd, ../x.yaml]\n", "");
  REQUIRE(r.diagnostics.size() == 2);
  CHECK_THAT(r.diagnostics[0].message, Catch::Contains("is absolute"));
  CHECK_THAT(r.diagnostics[1].message, Catch::Contains("leads outside"));

  LoadOptions allow;
  allow.allow_includes_outside = true;
  r = load_workflow_file(out, allow);
  INFO(all_messages(r));
  CHECK(r.ok());
  CHECK(r.workflow->steps.size() == 1);  // the same file twice: one item
  r = load_workflow_file(via_link, allow);
  CHECK(r.ok());
}

TEST_CASE("only regular files are read: FIFOs, devices and large files are refused with the reason",
          "[loader][limits]") {
  TempDir dir;
  const fs::path fifo = dir.path / "wf.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  auto r = load_workflow_file(fifo.string());  // would block for a writer if opened
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "cannot read the file: is a FIFO (named pipe), not a regular file");
  r = load_workflow_file("/dev/zero");  // would fill the memory if read
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "cannot read the file: is a device, not a regular file");
  r = load_workflow_file(dir.path.string());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "cannot read the file: is a directory");

  // The same for includes, when the caller allows /dev/zero at all.
  LoadOptions allow;
  allow.allow_includes_outside = true;
  const std::string pkg = dir.write("pkg.yaml", "workflow: p\nincludes: [/dev/zero, wf.fifo]\n");
  r = load_workflow_file(pkg, allow);
  REQUIRE(r.diagnostics.size() == 2);
  CHECK(r.diagnostics[0].message == "cannot read included file '/dev/zero': is a device, not a regular file");
  CHECK(r.diagnostics[1].message == "cannot read included file 'wf.fifo': is a FIFO (named pipe), not a regular file");

  // More than 16 MiB: refused from its size, before it is read.
  const fs::path big = dir.path / "big.yaml";
  { std::ofstream(big, std::ios::binary) << "workflow: big\n"; }
  fs::resize_file(big, (std::uintmax_t{16} << 20) + 1);
  r = load_workflow_file(big.string());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message ==
        "cannot read the file: is 16777217 bytes, more than the 16 MiB (16777216 bytes) an input file may have");
  // A text given directly is held to the same size.
  r = load_workflow_string("workflow: big\n#" + std::string(std::size_t{16} << 20, 'x'), "big.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK_THAT(r.diagnostics[0].message, Catch::StartsWith("the file is 16777231 bytes, more than the 16 MiB"));

  // The public reader the CLI uses for notices and calendar files says the same.
  std::string text, why;
  CHECK_FALSE(read_input_file("/dev/zero", text, why));
  CHECK(why == "is a device, not a regular file");
  CHECK(read_input_file(pkg, text, why));
  CHECK(text == "workflow: p\nincludes: [/dev/zero, wf.fifo]\n");
}

TEST_CASE("the files of one load are capped in number and in total size", "[loader][limits]") {
  TempDir dir;
  std::string includes;
  for (int i = 0; i < 257; ++i) {
    dir.write("items/i" + std::to_string(i) + ".yaml", "workflow: i" + std::to_string(i) + "\nsteps:\n" +
                                                           step("s" + std::to_string(i)));
    includes += std::string(i ? ", " : "") + "items/i" + std::to_string(i) + ".yaml";
  }
  const std::string many = dir.write("many.yaml", "workflow: many\nincludes: [" + includes + "]\n");
  LoadOptions quiet;
  quiet.warnings = false;
  auto r = load_workflow_file(many, quiet);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "more than 256 files are included, the limit for one workflow");

  // Five files of 15 MiB each (a comment, quickly parsed): the fifth passes 64 MiB.
  const std::string filler = "#" + std::string((std::size_t{15} << 20) - 64, 'x') + "\n";
  std::string big_includes;
  for (int i = 0; i < 5; ++i) {
    dir.write("big/b" + std::to_string(i) + ".yaml",
              "workflow: b" + std::to_string(i) + "\nsteps:\n" + step("b" + std::to_string(i)) + filler);
    big_includes += std::string(i ? ", " : "") + "big/b" + std::to_string(i) + ".yaml";
  }
  const std::string big = dir.write("big.yaml", "workflow: big\nincludes: [" + big_includes + "]\n");
  r = load_workflow_file(big, quiet);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK_THAT(r.diagnostics[0].message, Catch::StartsWith("with this file the workflow and its includes come to ") &&
                                           Catch::Contains("more than the 64 MiB"));
  CHECK_THAT(r.diagnostics[0].pos.file, Catch::EndsWith("b4.yaml"));
}

TEST_CASE("a workflow has at most 10000 steps, its items' steps counted", "[loader][limits]") {
  auto steps = [](int from, int n) {
    std::string t;
    for (int i = from; i < from + n; ++i) t += step("s" + std::to_string(i));
    return t;
  };
  LoadOptions quiet;
  quiet.warnings = false;
  auto r = load_workflow_string("workflow: max\nsteps:\n" + steps(0, 10000), "max.yaml", quiet);
  INFO(all_messages(r).substr(0, 1000));
  CHECK(r.ok());

  const auto t0 = std::chrono::steady_clock::now();
  r = load_workflow_string("workflow: over\nsteps:\n" + steps(0, 50000), "over.yaml", quiet);
  CHECK(seconds_since(t0) < 5);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "this is step 10001, and a workflow may have at most 10000 steps");
  CHECK(r.diagnostics[0].pos.line == 3 + 4 * 10000);

  TempDir dir;
  dir.write("a.yaml", "workflow: a\nsteps:\n" + steps(0, 6000));
  dir.write("b.yaml", "workflow: b\nsteps:\n" + steps(6000, 6000));
  const std::string pkg = dir.write("pkg.yaml", "workflow: pkg\nincludes: [a.yaml, b.yaml]\n");
  r = load_workflow_file(pkg, quiet);
  CHECK_FALSE(r.ok());
  REQUIRE(r.diagnostics.size() == 1);
  CHECK_THAT(r.diagnostics[0].message, Catch::StartsWith("with this step the workflow (its included items' steps "
                                                         "counted) has more than 10000 steps"));
}

TEST_CASE("a NUL byte, CR line endings and control characters are told as such", "[loader][limits]") {
  auto r = load_workflow_string(std::string("workflow: x\nsteps:\n  - id: a") + '\0' + "\n", "nul.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "the file contains a NUL byte here (is it a binary file?)");
  CHECK(r.diagnostics[0].pos.line == 3);
  CHECK(r.diagnostics[0].pos.column == 10);

  // Old Mac line endings are line breaks: the file loads, lines counted as editors show them.
  r = load_workflow_string("# CR only\rworkflow: cr\rsteps:\r  - id: a\r    department: D\r    days: x\r", "cr.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "'days' must be a number, not 'x'");
  CHECK(r.diagnostics[0].pos.line == 6);
  r = load_workflow_string("workflow: cr\rsteps:\r" + std::string("  - {id: a, department: D, days: 1}\r"),
                           "cr.yaml");
  INFO(all_messages(r));
  CHECK(r.ok());

  // A text is checked once its escapes are decoded.
  r = load_workflow_string("workflow: t\ntitle: \"\\uDC00\"\nsteps:\n  - {id: a, department: D, days: 1}\n", "u.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "YAML syntax error: the escape of U+DC00 in this text is no character");
  r = load_workflow_string("workflow: t\nsteps:\n  - {id: a, name: \"\\x1b[2J\", department: D, days: 1}\n"
                           "  - {id: b, name: \"x\\x85\", department: D, days: 1}\n",
                           "esc.yaml");
  REQUIRE(r.diagnostics.size() == 2);
  CHECK(r.diagnostics[0].message == "this text holds the control character U+001B at its character 1");
  CHECK(r.diagnostics[1].message == "this text holds the control character U+0085 at its character 2");
  // Tabs and line breaks are text.
  r = load_workflow_string("workflow: t\ndescription: \"a\\tb\\nc\"\nsteps:\n  - {id: a, department: D, days: 1}\n",
                           "tab.yaml");
  INFO(all_messages(r));
  CHECK(r.ok());
}

TEST_CASE("numbers of days are at most 100000", "[loader][limits]") {
  auto r = load_workflow_string("workflow: d\nsteps:\n  - {id: a, department: D, days: 1e29}\n", "d.yaml");
  REQUIRE(r.diagnostics.size() == 1);
  CHECK(r.diagnostics[0].message == "'days' must be at most 100000, not 1e29");
  CHECK_THAT(r.diagnostics[0].hint, Catch::Contains("100000 working days"));
  r = load_workflow_string("workflow: d\nsteps:\n  - {id: a, department: D, days: 100000}\n", "d.yaml");
  INFO(all_messages(r));
  CHECK(r.ok());
}

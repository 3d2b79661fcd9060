// libFuzzer target: the workflow loader (load_workflow_string, loader.h).
//
// The input is one or more files: the workflow itself, then, after each line
// "#--- NAME", a file that `includes:` can name (matched on its last path
// component). Nothing is read from the file system for includes: a name the
// input does not hold is a missing file. Calendars (`calendar: cn`) come from
// the bundled folder, read only. The loader must never throw for bad input
// (loader.h); any exception, crash, leak or sanitizer report is a finding.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "jointreview/loader.h"

namespace jr_fuzz::loader_detail {

inline std::map<std::string, std::string> split_files(std::string_view data, std::string& main) {
  std::map<std::string, std::string> files;
  const std::string_view sep = "\n#--- ";
  std::size_t at = data.find(sep);
  main.assign(data.substr(0, at));
  while (at != std::string_view::npos) {
    std::size_t name_begin = at + sep.size();
    std::size_t name_end = data.find('\n', name_begin);
    std::string name(data.substr(name_begin, name_end == std::string_view::npos ? std::string_view::npos
                                                                                 : name_end - name_begin));
    std::size_t body = name_end == std::string_view::npos ? data.size() : name_end + 1;
    at = data.find(sep, body);
    files[name].assign(data.substr(body, at == std::string_view::npos ? std::string_view::npos : at - body));
  }
  return files;
}

inline std::string last_component(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace jr_fuzz::loader_detail

namespace jr_fuzz {

// One input; always returns 0 (libFuzzer's convention).
inline int run_loader(const std::uint8_t* data, std::size_t size) {
  using namespace loader_detail;
  std::string main;
  auto files = split_files(std::string_view(reinterpret_cast<const char*>(data), size), main);
  jointreview::LoadOptions options;
  options.read_file = [&files](const std::string& path, std::string& text, std::string& why) {
    auto it = files.find(last_component(path));
    if (it == files.end()) {
      why = "no such file";
      return false;
    }
    text = it->second;
    return true;
  };
  jointreview::LoadResult r = jointreview::load_workflow_string(main, "fuzz.yaml", options);
  // Every diagnostic must print.
  std::size_t n = 0;
  for (const auto& d : r.diagnostics) n += d.str().size();
  (void)n;
  return 0;
}

}  // namespace jr_fuzz

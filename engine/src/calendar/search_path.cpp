// Where calendar files are found: the folders searched for ID.yaml, and the
// one directory scan that lists the calendar ids a set of folders holds.
#include <dlfcn.h>

#include <filesystem>
#include <set>

#include "jointreview/calendar.h"
#include "jointreview/workflow.h"

namespace fs = std::filesystem;

namespace jointreview {

namespace {

// The bundled workflows and calendars: beside the library as installed
// (JR_LIB_TO_DATA, relative to the folder of libjointreview.so, or of the
// program a static library is linked into), so that an installed prefix can
// be moved; else the source tree, for the programs of the build tree; else
// the configured install folder.
std::string bundled_data_dir() {
  static const std::string dir = [] {
    std::error_code ec;
    Dl_info info{};
    fs::path self;
    if (dladdr(reinterpret_cast<void*>(&calendar_ids), &info) != 0 && info.dli_fname)
      self = fs::weakly_canonical(fs::path(info.dli_fname), ec);
    if (!self.empty()) {
      const fs::path beside = self.parent_path() / JR_LIB_TO_DATA;
      if (fs::is_directory(beside / "calendars", ec)) return beside.lexically_normal().string();
      const fs::path tree = fs::weakly_canonical(fs::path(JR_BUILD_TREE), ec);
      const fs::path rel = self.lexically_relative(tree);
      if (!rel.empty() && *rel.begin() != "..") return std::string(JR_SOURCE_DATA_DIR);
    }
    return std::string(JR_INSTALL_DATA_DIR);
  }();
  return dir;
}

}  // namespace

std::vector<std::string> workflow_calendar_path(const std::string& workflow_path,
                                                const std::vector<std::string>& extra_dirs) {
  std::vector<std::string> dirs;
  if (!workflow_path.empty()) dirs.push_back((fs::path(workflow_path).parent_path() / "calendars").string());
  for (const auto& d : extra_dirs) dirs.push_back(d);
  if (const char* env = std::getenv("JREVIEW_CALENDAR_PATH")) {
    const std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      const std::size_t colon = s.find(':', start);
      std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) dirs.push_back(std::move(part));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  dirs.push_back(bundled_data_dir() + "/calendars");
  return dirs;
}

std::vector<std::string> calendar_ids(const std::vector<std::string>& dirs) {
  std::set<std::string> ids;
  for (const auto& d : dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    for (const auto& e : fs::directory_iterator(d, ec))
      if (e.path().extension() == ".yaml") ids.insert(e.path().stem().string());
  }
  return {ids.begin(), ids.end()};
}

std::shared_ptr<const Calendar> load_workflow_calendar(const Workflow& wf, CalendarOptions options) {
  if (options.search_path.empty()) options.search_path = workflow_calendar_path(wf.file);
  return Calendar::load(wf.calendar.empty() ? "cn" : wf.calendar, options);
}

}  // namespace jointreview

// The workflow loader: YAML text -> validated Workflow, with every problem
// reported as FILE:LINE:COLUMN in one run. Its parts: loader_impl.h.
#include "jointreview/loader.h"

#include <algorithm>

#include <filesystem>

#include "loader/loader_impl.h"

namespace fs = std::filesystem;

namespace jointreview {

using loader::Loader;
using loader::read_file;
using Severity = Diagnostic::Severity;

std::vector<std::string> calendar_search_path(const std::string& workflow_path, const LoadOptions& options) {
  return workflow_calendar_path(workflow_path, options.calendar_dirs);
}

std::vector<std::string> known_calendars(const std::string& workflow_path, const LoadOptions& options) {
  std::vector<std::string> ids = calendar_ids(calendar_search_path(workflow_path, options));
  for (const auto& id : options.known_calendar_ids)
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

LoadResult load_workflow_string(const std::string& text, const std::string& name, const LoadOptions& options) {
  LoadResult r;
  Loader l(options, r.diagnostics);
  std::vector<std::string> stack;
  std::error_code ec;
  fs::path canon = fs::weakly_canonical(fs::path(name), ec);
  stack.push_back(ec ? name : canon.string());
  std::optional<Workflow> wf;
  try {
    wf = l.load(name, text, stack);
    if (wf) l.finalize(*wf);
  } catch (const std::exception& e) {
    // A bug in the loader, not in the file: still a value, never an exception.
    wf.reset();
    r.diagnostics.push_back({Severity::error, SourcePos{name, 0, 0},
                             std::string("internal error while loading the file: ") + e.what(),
                             "please report this with the file attached"});
  }
  sort_diagnostics(r.diagnostics);
  if (wf && !has_errors(r.diagnostics)) r.workflow = std::move(wf);
  return r;
}

LoadResult load_workflow_file(const std::string& path, const LoadOptions& options) {
  std::string text, why;
  if (!read_file(options, path, text, why)) {
    LoadResult r;
    Diagnostic d;
    d.pos.file = path;
    d.message = "cannot read the file: " + why;
    r.diagnostics.push_back(std::move(d));
    return r;
  }
  return load_workflow_string(text, path, options);
}

}  // namespace jointreview

// Loading and validating workflow files.
#pragma once

#include "jointreview/export.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jointreview/calendar.h"
#include "jointreview/diagnostic.h"
#include "jointreview/version.h"
#include "jointreview/workflow.h"

namespace jointreview {

struct LoadOptions {
  // Folders searched for `calendar: ID` as ID.yaml, after the `calendars/`
  // folder beside the workflow file. Default: none; the bundled calendars
  // (installed share/ or the source tree) are always searched last.
  std::vector<std::string> calendar_dirs;
  // Report warnings (redundant `after`, dead-end steps, idle departments).
  bool warnings = true;
  // Reads a workflow file (the main one and every included one) instead of
  // the file system: return false and set `why` when it cannot. The runtime
  // uses it to record the exact texts an instance runs, and to reload them.
  std::function<bool(const std::string& path, std::string& text, std::string& why)> read_file;
  // Calendar ids `calendar:` accepts besides those found in the folders:
  // the runtime passes the ones its database holds, so that a stored
  // workflow loads wherever the command runs.
  std::vector<std::string> known_calendar_ids;
  // Let `includes:` read files outside the folder of the workflow file
  // being loaded (absolute paths, `..` leading out of it, symbolic links
  // pointing out). Off by default: a workflow from elsewhere cannot make
  // the loader read, and quote in its messages, other files the process may
  // read (docs/workflow-language.md, "Packages").
  bool allow_includes_outside = false;
};

struct LoadResult {
  std::optional<Workflow> workflow;     // set when there is no error
  std::vector<Diagnostic> diagnostics;  // errors and warnings, sorted
  bool ok() const { return workflow.has_value(); }
};

// Load a workflow file; every problem of the file (and of the files it
// includes) is reported in one go. Never throws for bad input.
JR_EXPORT LoadResult load_workflow_file(const std::string& path, const LoadOptions& options = {});

// Load from text; `name` is the file name used in messages, and the folder
// against which `includes` are resolved.
JR_EXPORT LoadResult load_workflow_string(const std::string& text, const std::string& name,
                                const LoadOptions& options = {});

// The calendar ids that `calendar:` accepts for a workflow at `workflow_path`.
JR_EXPORT std::vector<std::string> known_calendars(const std::string& workflow_path,
                                         const LoadOptions& options = {});

// Folders searched for calendar files, most specific first.
JR_EXPORT std::vector<std::string> calendar_search_path(const std::string& workflow_path,
                                              const LoadOptions& options = {});

// load_workflow_calendar(): in calendar.h.

// The JSON Schema (draft-07, as yaml-language-server reads it) of the workflow language, pretty-printed.
JR_EXPORT std::string workflow_schema_json();


}  // namespace jointreview

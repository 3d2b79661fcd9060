// Messages about workflow files, written the way compilers write them:
//   FILE:LINE:COLUMN: error: what is wrong; what to do
#pragma once

#include "jointreview/export.h"

#include <string>
#include <vector>

#include "jointreview/workflow.h"

namespace jointreview {

struct JR_EXPORT Diagnostic {
  enum class Severity { error, warning };
  Severity severity = Severity::error;
  SourcePos pos;
  std::string message;  // what is wrong
  std::string hint;     // what to do; may be empty

  // "FILE:LINE:COLUMN: error: message; hint"
  std::string str() const;
};

// Sorted by file, line, column (stable for equal positions).
JR_EXPORT void sort_diagnostics(std::vector<Diagnostic>& diags);
JR_EXPORT bool has_errors(const std::vector<Diagnostic>& diags);

}  // namespace jointreview

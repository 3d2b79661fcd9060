// The one exception type the C++ API throws for refused or impossible
// requests (a date outside a calendar, an unknown instance, an action that
// is not allowed). Bad workflow files are not exceptions: they come back as
// diagnostics from the loader.
#pragma once

#include "jointreview/export.h"

#include <stdexcept>
#include <string>
#include <utility>

namespace jointreview {

class JR_EXPORT Error : public std::runtime_error {
 public:
  enum class Code {
    invalid_argument = 1,  // malformed input (a date, a number, a name)
    not_found = 2,         // unknown instance, step, calendar ...
    out_of_range = 3,      // a date outside the years a calendar covers
    refused = 4,           // an action that the rules do not allow now
    forbidden = 5,         // an actor acting on what is not theirs
    storage = 6,           // the database failed
    invalid_workflow = 7,  // a workflow that does not load
    // (8-10 are the C API's own: unsupported, no memory, internal)
    conflict = 11,         // the instance changed since the caller read it (expected_version), or another
                           // clerk claimed the step; retry after reading it again
  };
  // `reason`: machine-readable, snake_case (docs/embedding.md#error-reasons):
  // "wrong_state", "wrong_actor", "blocked", "conflict", "claimed",
  // "duplicate", "calendar_range" ...; "" gives the code's name.
  Error(Code code, const std::string& what, std::string reason = {})
      : std::runtime_error(what), code_(code), reason_(std::move(reason)) {}
  Code code() const noexcept { return code_; }
  // Never empty: the reason given, or the code's name ("invalid_argument" ...).
  const char* reason() const noexcept { return reason_.empty() ? name(code_) : reason_.c_str(); }
  static const char* name(Code c) noexcept {
    switch (c) {
      case Code::invalid_argument: return "invalid_argument";
      case Code::not_found: return "not_found";
      case Code::out_of_range: return "calendar_range";
      case Code::refused: return "refused";
      case Code::forbidden: return "forbidden";
      case Code::storage: return "storage";
      case Code::invalid_workflow: return "invalid_workflow";
      case Code::conflict: return "conflict";
    }
    return "error";
  }

 private:
  Code code_;
  std::string reason_;
};

}  // namespace jointreview

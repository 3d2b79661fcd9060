// The one exception type the C++ API throws for refused or impossible
// requests (a date outside a calendar, an unknown instance, an action that
// is not allowed). Bad workflow files are not exceptions: they come back as
// diagnostics from the loader.
#pragma once

#include "jointreview/export.h"

#include <stdexcept>
#include <string>

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
  };
  Error(Code code, const std::string& what) : std::runtime_error(what), code_(code) {}
  Code code() const noexcept { return code_; }

 private:
  Code code_;
};

}  // namespace jointreview

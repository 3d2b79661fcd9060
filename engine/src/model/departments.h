// A step's departments as people read them: the lead first, then the others
// in declared order (the order of CompiledWorkflow and of the status),
// joined with the Chinese enumeration comma: "住建局、消防救援支队".
#pragma once

#include <string>

#include "jointreview/workflow.h"

namespace jointreview {

inline std::string join_departments(const Step& s) {
  if (s.departments.empty()) return "";
  const std::string& lead = s.lead.empty() ? s.departments.front() : s.lead;
  std::string out = lead;
  for (const auto& d : s.departments)
    if (d != lead) out += "、" + d;
  return out;
}

}  // namespace jointreview

// One row of an instance's audit trail (the event log), as the runtime
// records it and every reader (status tools, the C API, the store) sees it.
#pragma once

#include <cstdint>
#include <string>

namespace jointreview {

struct EventRecord {
  std::int64_t seq = 0;   // global order
  std::string instance;
  std::string time;       // local time, ISO 8601
  std::string actor;      // "applicant", a department, "DEPT/staff", or "system"
  std::string kind;       // "action", "refused", "state", "instance", "notice", "warning",
                          // "overdue", "contact-task", "contact-overdue", "verification-due", ...
  std::string action;     // for actions: submit, accept, ...
  std::string step;       // step id, "" for the instance
  std::string from;       // for state changes
  std::string to;
  std::string note;
  std::string material;
  std::string detail;     // human text (the reason of a refusal, notice's departments ...)
};

}  // namespace jointreview

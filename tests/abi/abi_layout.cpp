// abi_layout LAYOUT_FILE [--write]
//
// The public C++ API is source-compatible only: its structs grow fields
// between releases, and a program compiled against one layout must not load
// a library of another under the same soname. This test keeps that rule: it
// prints the size and alignment of every public type, with the soname
// number they are recorded for, and fails when they differ from
// LAYOUT_FILE. After a deliberate change of a public type, raise
// JR_SOVERSION in the top-level CMakeLists.txt and rewrite the file with
// --write (docs/embedding.md#versioning-policy).
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "jointreview/calendar.h"
#include "jointreview/diagnostic.h"
#include "jointreview/engine.h"
#include "jointreview/error.h"
#include "jointreview/event.h"
#include "jointreview/loader.h"
#include "jointreview/planner.h"
#include "jointreview/simulator.h"
#include "jointreview/workflow.h"

#define JR_STR2(x) #x
#define JR_STR(x) JR_STR2(x)

namespace jr = jointreview;

template <class T>
void row(std::ostringstream& out, const char* name) {
  out << name << ' ' << sizeof(T) << ' ' << alignof(T) << '\n';
}

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: abi_layout LAYOUT_FILE [--write]\n");
    return 2;
  }
  std::ostringstream now;
  now << "soversion " << JR_STR(JR_SOVERSION) << '\n';
#define R(T) row<jr::T>(now, #T)
  R(Date); R(CalendarOptions); R(SourcePos); R(Distribution); R(DeferredMaterial); R(Commitment);
  R(ExcludedTime); R(Correction); R(Step); R(Department); R(Dependency); R(Workflow); R(Diagnostic);
  R(LoadOptions); R(LoadResult); R(Error); R(EventRecord); R(EngineOptions); R(StepStatus);
  R(InstanceStatus); R(ActRequest); R(StartRequest); R(EngineStats); R(FakeClock); R(PlanOptions);
  R(StepPlan); R(ClockSegment); R(RedundantAfter); R(Plan); R(ReformMetric); R(Comparison); R(SimulationOptions);
  R(SimulatedStep); R(SimulatedDepartment); R(TraceSegment); R(SimulationResult); R(NoticeHoliday);
  R(NoticeMakeupDay); R(NoticeYear); R(WorkItem); R(Worklist); R(ReportStep); R(ReportProject); R(ReportItem);
  R(DepartmentLoad); R(WeeklyReport); R(StoredCalendar); R(DeadlineChange); R(CalendarUpdate);
#undef R
  if (argc > 2 && std::string(argv[2]) == "--write") {
    std::ofstream(argv[1]) << now.str();
    std::printf("written: %s\n", argv[1]);
    return 0;
  }
  std::ifstream in(argv[1]);
  std::stringstream recorded;
  recorded << in.rdbuf();
  if (recorded.str() == now.str()) {
    std::printf("public C++ layouts match %s\n", argv[1]);
    return 0;
  }
  std::fprintf(stderr,
               "the public C++ types differ from %s (recorded | now):\n--- recorded\n%s--- now\n%s"
               "A changed layout needs a new soname: raise JR_SOVERSION in CMakeLists.txt, then run\n"
               "  abi_layout %s --write\n",
               argv[1], recorded.str().c_str(), now.str().c_str(), argv[1]);
  return 1;
}

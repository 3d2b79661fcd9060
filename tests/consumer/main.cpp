// Built against the INSTALLED JointReview (find_package), not the source
// tree: loads the bundled four-certificates workflow from share/, plans it,
// runs its first step on a live engine, and calls the C API beside the C++ one.
//
//   consumer WORKFLOW.yaml DATABASE
#include <jointreview/engine.h>
#include <jointreview/error.h>
#include <jointreview/jointreview.h>
#include <jointreview/loader.h>
#include <jointreview/planner.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer WORKFLOW.yaml DATABASE\n");
    return 2;
  }
  auto loaded = jointreview::load_workflow_file(argv[1]);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
  if (!loaded.ok()) return 1;
  jointreview::Plan plan = jointreview::plan(*loaded.workflow);
  std::printf("%s: %zu steps, %g working days\n", loaded.workflow->id.c_str(), loaded.workflow->steps.size(),
              plan.total_days);

  if (std::strcmp(jr_version(), jointreview::version()) != 0) {
    std::fprintf(stderr, "C and C++ versions differ: %s / %s\n", jr_version(), jointreview::version());
    return 1;
  }
  std::printf("version %s\n", jr_version());

  try {
    std::remove(argv[2]);
    jointreview::EngineOptions o;
    o.database = argv[2];
    o.clock = jointreview::FakeClock::at("2025-03-03T09:00");
    o.background_timers = false;
    auto engine = jointreview::Engine::open(o);
    std::string id = engine->start(argv[1], "consumer project");
    engine->act({id, "filing", "submit", "applicant"});
    auto st = engine->status(id);
    std::printf("instance %s: %s, filing %s\n", id.c_str(), st.state.c_str(), st.steps.at(0).state.c_str());
  } catch (const jointreview::Error& e) {
    std::fprintf(stderr, "engine: %s\n", e.what());
    return 1;
  }
  return 0;
}

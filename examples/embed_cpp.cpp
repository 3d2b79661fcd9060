// Embedding JointReview from C++: the company-change package (企业信息变更
// "一件事", workflows/company-change.yaml, seven items merged into one
// application) is loaded, planned, and run on a live engine. A small generic
// driver plays every party: it reads the instance's status and takes the
// next action of each step, with the department the workflow names.
//
//   licence_change ─┬─► seal_filing ──► bank_account_change
//                   ├─────────────────────────┘
//                   ├─► tax_change
//                   ├─► social_insurance_change
//                   ├─► medical_insurance_change
//                   └─► housing_fund_change
//
//   embed_cpp WORKFLOWS_DIR DATABASE
#include <jointreview/engine.h>
#include <jointreview/error.h>
#include <jointreview/loader.h>
#include <jointreview/planner.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <string>

namespace jr = jointreview;

// One action for a step in its current state, or false when it waits.
static bool next_action(jr::Engine& engine, const std::string& id, const jr::Step& step, const jr::StepStatus& s) {
  auto act = [&](const char* action, const std::string& actor, const std::string& material = {}) {
    jr::ActRequest r;
    r.instance = id;
    r.step = step.id;
    r.action = action;
    r.actor = actor;
    r.material = material;
    engine.act(r);
  };
  if (s.state == "ready") {
    act(step.commitment.enabled ? "commit" : "submit", "applicant");
  } else if (s.state == "submitted") {
    act("accept", step.lead.empty() ? step.departments.front() : step.lead);
    for (const auto& d : step.deferred) act("supply", "applicant", d.material);
  } else if (s.state == "accepted") {
    for (const auto& dept : s.reviews_pending) act("approve", dept);
  } else {
    return false;
  }
  return true;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: embed_cpp WORKFLOWS_DIR DATABASE\n");
    return 2;
  }
  const std::string file = std::string(argv[1]) + "/company-change.yaml";

  // Describe: load and validate (errors come back as FILE:LINE:COLUMN values).
  jr::LoadResult loaded = jr::load_workflow_file(file);
  for (const auto& d : loaded.diagnostics) std::fprintf(stderr, "%s\n", d.str().c_str());
  if (!loaded.ok()) return 1;
  const jr::Workflow& wf = *loaded.workflow;

  // Plan: which items run at the same time.
  jr::Plan plan = jr::plan(wf);
  std::printf("%s: %zu steps in %u waves, %g working days (serial: %g)\n", wf.id.c_str(), wf.steps.size(),
              plan.waves, plan.total_days, plan.serial_days);

  try {
    // Run: a fresh database and a clock that moves only when told to.
    std::remove(argv[2]);
    jr::EngineOptions options;
    options.database = argv[2];
    auto clock = jr::FakeClock::at("2025-06-02T09:00");
    options.clock = clock;
    options.background_timers = false;
    auto engine = jr::Engine::open(options);

    std::atomic<int> approvals{0};
    engine->subscribe([&](const jr::EventRecord& e) {
      if (!e.step.empty() && e.to == "approved") {  // the action (or timer) that approved a step
        ++approvals;
        std::printf("  %s  %-26s approved\n", e.time.substr(0, 16).c_str(), e.step.c_str());
      }
    });

    jr::StartRequest start;
    start.workflow_file = file;
    start.project = "某某科技有限公司 更名及法定代表人变更";
    std::string id = engine->start(start);

    for (int round = 0; round < 50; ++round) {
      jr::InstanceStatus st = engine->status(id);
      if (st.state != "running") break;
      bool acted = false;
      for (const auto& s : st.steps) {
        long i = wf.find_step(s.id);
        if (i >= 0) acted = next_action(*engine, id, wf.steps[i], s) || acted;
      }
      if (!acted) {
        std::fprintf(stderr, "no step can move\n");
        return 1;
      }
      clock->advance(std::chrono::hours(2));  // each round of actions two hours later
    }

    jr::InstanceStatus st = engine->status(id);
    std::printf("instance %s: %s (started %s, finished %s), %zu audit events\n", id.c_str(), st.state.c_str(),
                st.started.c_str(), st.finished.c_str(), engine->events(id).size());
    bool all_approved = std::all_of(st.steps.begin(), st.steps.end(),
                                    [](const jr::StepStatus& s) { return s.state == "approved"; });
    if (st.state != "completed" || !all_approved || approvals != static_cast<int>(wf.steps.size())) {
      std::fprintf(stderr, "the package did not complete as expected\n");
      return 1;
    }
  } catch (const jr::Error& e) {
    // The one exception type of the C++ API, with a code.
    std::fprintf(stderr, "error %d: %s\n", static_cast<int>(e.code()), e.what());
    return 1;
  }
  return 0;
}

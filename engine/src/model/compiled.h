// A loaded Workflow compiled once into a flat, index-based form for the
// state machine and the simulator: steps and departments are dense integers,
// dependencies are CSR arrays, materials are interned. Nothing here is a
// string on the hot path; names come back only at the edges.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "jointreview/workflow.h"

namespace jointreview {

// Per-step limits of the bit masks the state machine uses.
constexpr std::size_t kMaxDepartmentsPerStep = 32;
constexpr std::size_t kMaxDeferredPerStep = 32;

struct CompiledDeferred {
  std::uint32_t material = 0;  // interned material index
  double within = 0;
  double grace = 0;
  double late_probability = 0;
};

struct CompiledExcluded {
  Distribution days;
  double expected_days = 0;
};

struct CompiledWorkflow {
  std::shared_ptr<const Workflow> source;
  std::uint32_t n_steps = 0;
  std::uint32_t n_departments = 0;

  // CSR adjacency: successors and predecessors of each step.
  std::vector<std::uint32_t> succ_offset, succ;
  std::vector<std::uint32_t> pred_offset, pred;

  // Departments of each step (CSR); the lead is first.
  std::vector<std::uint32_t> dept_offset, dept;
  std::vector<std::uint32_t> dept_capacity;  // per department; 0 = unlimited

  std::vector<double> days;
  std::vector<double> statutory_days;  // the law's limit; < 0: none given
  std::vector<Distribution> duration;
  std::vector<Distribution> prepare;           // the applicant's preparation once ready (simulator, planner)
  std::vector<std::uint8_t> issue_before_deferred;  // deferred_decision: issue
  std::vector<double> correction_probability;
  std::vector<Distribution> correction_turnaround;
  std::vector<std::uint8_t> max_rounds;
  std::vector<std::uint8_t> has_commitment;
  std::vector<double> verify_after;
  std::vector<double> verify_fail_probability;
  std::vector<double> rectify_within;
  std::vector<double> rectify_probability;

  std::vector<std::uint32_t> deferred_offset;  // CSR into `deferred`
  std::vector<CompiledDeferred> deferred;
  std::vector<std::uint32_t> excluded_offset;  // CSR into `excluded`
  std::vector<CompiledExcluded> excluded;

  std::vector<std::string> materials;  // interned names

  double warn_before = 1;
  double contact_within = 1;
  double time_limit = -1;  // < 0: none
  bool green = false;

  // Helpers (cheap, inline).
  std::uint32_t dept_count(std::uint32_t s) const { return dept_offset[s + 1] - dept_offset[s]; }
  std::uint32_t dept_of(std::uint32_t s, std::uint32_t k) const { return dept[dept_offset[s] + k]; }
  std::uint32_t lead(std::uint32_t s) const { return dept[dept_offset[s]]; }
  std::uint32_t all_depts_mask(std::uint32_t s) const {
    std::uint32_t k = dept_count(s);
    return k >= 32 ? 0xFFFFFFFFu : ((1u << k) - 1u);
  }
  // Position of department `d` among the departments of step `s`, or -1.
  int dept_slot(std::uint32_t s, std::uint32_t d) const {
    for (std::uint32_t k = dept_offset[s]; k < dept_offset[s + 1]; ++k)
      if (dept[k] == d) return static_cast<int>(k - dept_offset[s]);
    return -1;
  }
  std::uint32_t deferred_count(std::uint32_t s) const { return deferred_offset[s + 1] - deferred_offset[s]; }

  const std::string& step_id(std::uint32_t s) const { return source->steps[s].id; }
  const std::string& dept_name(std::uint32_t d) const { return source->departments[d].name; }
};

// Throws jointreview::Error(invalid_workflow) when a step has more
// departments or deferred materials than the masks hold, or a cycle.
std::shared_ptr<const CompiledWorkflow> compile(std::shared_ptr<const Workflow> wf);

}  // namespace jointreview

// The planner's fast core: the critical path method on flat arrays (CSR
// successor lists, model/csr.h). Private; plan() (planner.h) is its public
// face, and bench/planner_bench.cpp measures it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "model/csr.h"

namespace jointreview {

namespace detail {
// Per-step working state of the forward pass, kept together so that one
// dependency touches one cache line.
struct CpmNode {
  double start;
  std::uint32_t wave;
  std::uint32_t pending;  // predecessors not yet done
};
}  // namespace detail

// The arrays cpm() fills; reuse one across calls to avoid allocations.
struct CpmArrays {
  std::vector<double> earliest_start, earliest_finish, latest_start, latest_finish;
  std::vector<std::uint32_t> wave;   // 1-based
  std::vector<std::uint32_t> order;  // a topological order (sources first)
  double total = 0;                  // max earliest_finish
  std::uint32_t waves = 0;           // number of waves
  std::vector<detail::CpmNode> scratch;  // working memory
};

// The critical path method on arrays. durations has n entries (>= 0).
// Returns false, leaving `out` partly filled, when the graph has a cycle.
bool cpm(std::size_t n, const double* durations, const std::uint32_t* offsets, const std::uint32_t* targets,
         CpmArrays& out);
inline bool cpm(const CsrGraph& g, const std::vector<double>& durations, CpmArrays& out) {
  return cpm(g.n, durations.data(), g.offsets.data(), g.targets.data(), out);
}

}  // namespace jointreview

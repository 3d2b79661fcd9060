// Graph algorithms on the step dependency graph, shared by the loader's
// checks and the planner. Steps are dense indices; edges are Dependency
// records of the workflow.
#pragma once

#include <cstddef>
#include <vector>

#include "jointreview/workflow.h"

namespace jointreview::graph {

// Each cycle found by a depth-first search (one per back edge), as the
// indices into `deps` of its edges in order. At most `limit` cycles.
std::vector<std::vector<std::size_t>> find_cycles(std::size_t n, const std::vector<Dependency>& deps,
                                                  std::size_t limit = 16);

// A topological order of the steps; ties broken by declared order.
// The graph must be acyclic.
std::vector<std::size_t> topological_order(std::size_t n, const std::vector<Dependency>& deps);

// An `after` dependency that other dependencies already imply.
struct Redundant {
  std::size_t dep;      // index into deps of the redundant `after`
  std::size_t via;      // index into deps of the first edge of the other path
  bool direct_material; // the other path is a material edge between the same steps
};
// The graph must be acyclic.
std::vector<Redundant> redundant_after(std::size_t n, const std::vector<Dependency>& deps);

}  // namespace jointreview::graph

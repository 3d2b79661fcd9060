// Adjacency in compressed sparse row form, the one CSR builder of the
// engine: the compiled workflow's successor and predecessor lists and the
// planner's graphs are built by it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace jointreview {

// Successor lists in compressed sparse row form: the successors of step u are
// targets[offsets[u] .. offsets[u+1]). offsets has n+1 entries.
struct CsrGraph {
  std::size_t n = 0;
  std::vector<std::uint32_t> offsets;
  std::vector<std::uint32_t> targets;
  std::size_t edges() const { return targets.size(); }
};

// Builds the CSR form from an edge list (from[i] -> to[i]); duplicates are
// kept. Throws Error(invalid_argument) for an index >= n or more than 2^32-1
// steps or edges.
CsrGraph build_csr(std::size_t n, const std::vector<std::uint32_t>& from, const std::vector<std::uint32_t>& to);

}  // namespace jointreview

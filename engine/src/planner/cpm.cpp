// The planner's fast core: the critical path method on flat arrays (cpm.h).
#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include "planner/cpm.h"

namespace jointreview {

bool cpm(std::size_t n, const double* durations, const std::uint32_t* offsets, const std::uint32_t* targets,
         CpmArrays& out) {
  out.earliest_start.resize(n);
  out.earliest_finish.resize(n);
  out.latest_start.resize(n);
  out.latest_finish.resize(n);
  out.wave.resize(n);
  out.order.resize(n);
  out.scratch.assign(n, detail::CpmNode{0.0, 1, 0});
  out.total = 0;
  out.waves = 0;
  if (n == 0) return true;
  detail::CpmNode* node = out.scratch.data();
  std::uint32_t* order = out.order.data();
  const std::uint32_t m = offsets[n];

  // Steps are often numbered in a topological order already (the declared,
  // legacy serial order usually is). One sequential scan tells; then the
  // order is the identity and no predecessor counting is needed.
  bool numbered = true;
  for (std::uint32_t u = 0; u < n && numbered; ++u)
    for (std::uint32_t e = offsets[u], end = offsets[u + 1]; e < end; ++e)
      if (targets[e] <= u) {
        numbered = false;
        break;
      }
  std::size_t head = 0, tail = 0;
  if (numbered) {
    for (std::uint32_t u = 0; u < n; ++u) order[u] = u;
    tail = n;
  } else {
    for (std::uint32_t e = 0; e < m; ++e) ++node[targets[e]].pending;
    for (std::uint32_t u = 0; u < n; ++u)
      if (node[u].pending == 0) order[tail++] = u;
  }

  // Forward pass (Kahn's algorithm when the numbering is not topological):
  // when a step is taken, every predecessor has pushed its finish into it.
  while (head < tail) {
    const std::uint32_t u = order[head++];
    const double finish = node[u].start + durations[u];
    const std::uint32_t w = node[u].wave;
    for (std::uint32_t e = offsets[u], end = offsets[u + 1]; e < end; ++e) {
      detail::CpmNode& v = node[targets[e]];
      if (v.start < finish) v.start = finish;
      if (v.wave <= w) v.wave = w + 1;
      if (!numbered && --v.pending == 0) order[tail++] = targets[e];
    }
  }
  if (tail != n) return false;
  // Results out in index order (sequential writes).
  double total = 0;
  std::uint32_t waves = 1;
  double* es = out.earliest_start.data();
  double* ef = out.earliest_finish.data();
  std::uint32_t* wave = out.wave.data();
  for (std::size_t u = 0; u < n; ++u) {
    es[u] = node[u].start;
    ef[u] = node[u].start + durations[u];
    wave[u] = node[u].wave;
    if (ef[u] > total) total = ef[u];
    if (wave[u] > waves) waves = wave[u];
  }

  // Backward pass in reverse topological order.
  double* ls = out.latest_start.data();
  double* lf = out.latest_finish.data();
  for (std::size_t k = n; k-- > 0;) {
    const std::uint32_t u = order[k];
    double late = total;
    for (std::uint32_t e = offsets[u], end = offsets[u + 1]; e < end; ++e) {
      const double s = ls[targets[e]];
      if (s < late) late = s;
    }
    lf[u] = late;
    ls[u] = late - durations[u];
  }
  out.total = total;
  out.waves = waves;
  return true;
}

}  // namespace jointreview

// The planner's fast core: CSR construction (Boost.Graph) and the critical
// path method on flat arrays.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include "jointreview/error.h"
#include "jointreview/planner.h"

namespace jointreview {

namespace {
using BoostCsr = boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                                    boost::no_property, std::uint32_t, std::uint32_t>;
}  // namespace

CsrGraph build_csr(std::size_t n, const std::vector<std::uint32_t>& from, const std::vector<std::uint32_t>& to) {
  constexpr std::size_t limit = std::numeric_limits<std::uint32_t>::max();
  if (from.size() != to.size())
    throw Error(Error::Code::invalid_argument, "build_csr: 'from' and 'to' differ in length");
  if (n >= limit || from.size() >= limit)
    throw Error(Error::Code::invalid_argument, "build_csr: more than 2^32-1 steps or dependencies");
  std::vector<std::pair<std::uint32_t, std::uint32_t>> edges(from.size());
  for (std::size_t i = 0; i < from.size(); ++i) {
    if (from[i] >= n || to[i] >= n)
      throw Error(Error::Code::invalid_argument,
                  "build_csr: dependency " + std::to_string(i) + " names a step index outside 0.." +
                      std::to_string(n == 0 ? 0 : n - 1));
    edges[i] = {from[i], to[i]};
  }
  // Boost's CSR constructor does the counting sort into row starts and columns.
  BoostCsr g(boost::edges_are_unsorted_multi_pass, edges.begin(), edges.end(), static_cast<std::uint32_t>(n));
  CsrGraph out;
  out.n = n;
  out.offsets = std::move(g.m_forward.m_rowstart);
  out.targets = std::move(g.m_forward.m_column);
  if (out.offsets.size() != n + 1) out.offsets.assign(n + 1, 0);  // n == 0
  return out;
}

bool cpm(std::size_t n, const double* durations, const std::uint32_t* offsets, const std::uint32_t* targets,
         CpmArrays& out) {
  out.earliest_start.assign(n, 0.0);
  out.earliest_finish.resize(n);
  out.latest_start.resize(n);
  out.latest_finish.resize(n);
  out.order.resize(n);
  out.total = 0;
  out.waves = 0;
  // Count predecessors in `wave` first; the forward pass turns it into waves
  // once a step's predecessors are all done. latest_finish holds the waves
  // meanwhile (as numbers) to avoid one more array.
  std::vector<std::uint32_t>& indeg = out.wave;
  indeg.assign(n, 0);
  const std::uint32_t m = n == 0 ? 0 : offsets[n];
  for (std::uint32_t e = 0; e < m; ++e) ++indeg[targets[e]];
  double* es = out.earliest_start.data();
  double* ef = out.earliest_finish.data();
  double* wave = out.latest_finish.data();
  std::uint32_t* order = out.order.data();
  std::size_t head = 0, tail = 0;
  for (std::size_t u = 0; u < n; ++u) {
    wave[u] = 1;
    if (indeg[u] == 0) order[tail++] = static_cast<std::uint32_t>(u);
  }
  // Kahn's algorithm doubles as the forward pass: when a step leaves the
  // queue, every predecessor has already pushed its finish into it.
  double total = 0, waves = n == 0 ? 0 : 1;
  while (head < tail) {
    const std::uint32_t u = order[head++];
    const double finish = es[u] + durations[u];
    ef[u] = finish;
    if (finish > total) total = finish;
    const double next_wave = wave[u] + 1;
    for (std::uint32_t e = offsets[u], end = offsets[u + 1]; e < end; ++e) {
      const std::uint32_t v = targets[e];
      if (es[v] < finish) es[v] = finish;
      if (wave[v] < next_wave) {
        wave[v] = next_wave;
        if (next_wave > waves) waves = next_wave;
      }
      if (--indeg[v] == 0) order[tail++] = v;
    }
  }
  if (tail != n) return false;
  for (std::size_t u = 0; u < n; ++u) indeg[u] = static_cast<std::uint32_t>(wave[u]);
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
  out.waves = static_cast<std::uint32_t>(waves);
  return true;
}

}  // namespace jointreview

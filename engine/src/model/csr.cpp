// CSR construction (csr.h), by Boost.Graph's compressed_sparse_row_graph.
#include "model/csr.h"

#include <limits>
#include <string>
#include <utility>

#include <boost/graph/compressed_sparse_row_graph.hpp>

#include "jointreview/error.h"

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

}  // namespace jointreview

#include "model/dep_graph.h"

#include <algorithm>
#include <cstdint>
#include <queue>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/depth_first_search.hpp>

namespace jointreview::graph {

namespace {

using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property,
                                    boost::property<boost::edge_index_t, std::size_t>>;
using Vertex = boost::graph_traits<Graph>::vertex_descriptor;
using Edge = boost::graph_traits<Graph>::edge_descriptor;

// Boost's topological_sort only says "not a DAG". This visitor remembers the
// tree edge that reached each vertex, so a back edge can be unwound into the
// full cycle, step by step.
class CycleRecorder : public boost::default_dfs_visitor {
 public:
  CycleRecorder(std::vector<std::size_t>& tree_edge, std::vector<std::vector<std::size_t>>& cycles,
                std::size_t limit, const std::vector<Dependency>& deps)
      : tree_edge_(tree_edge), cycles_(cycles), limit_(limit), deps_(deps) {}

  void tree_edge(Edge e, const Graph& g) {
    tree_edge_[boost::target(e, g)] = boost::get(boost::edge_index, g, e);
  }

  void back_edge(Edge e, const Graph& g) {
    if (cycles_.size() >= limit_) return;
    const std::size_t closing = boost::get(boost::edge_index, g, e);
    const std::size_t head = boost::target(e, g);
    std::vector<std::size_t> path{closing};
    std::size_t v = boost::source(e, g);
    // Walk up the DFS tree from the back edge's source to its target.
    while (v != head) {
      std::size_t te = tree_edge_[v];
      path.push_back(te);
      v = deps_[te].from;
    }
    std::reverse(path.begin(), path.end());
    cycles_.push_back(std::move(path));
  }

 private:
  std::vector<std::size_t>& tree_edge_;
  std::vector<std::vector<std::size_t>>& cycles_;
  std::size_t limit_;
  const std::vector<Dependency>& deps_;
};

}  // namespace

std::vector<std::vector<std::size_t>> find_cycles(std::size_t n, const std::vector<Dependency>& deps,
                                                  std::size_t limit) {
  Graph g(n);
  for (std::size_t i = 0; i < deps.size(); ++i) boost::add_edge(deps[i].from, deps[i].to, i, g);
  std::vector<std::size_t> tree(n, SIZE_MAX);
  std::vector<std::vector<std::size_t>> cycles;
  std::vector<boost::default_color_type> color(n);
  CycleRecorder vis(tree, cycles, limit, deps);
  boost::depth_first_search(
      g, boost::visitor(vis).color_map(boost::make_iterator_property_map(
             color.begin(), boost::get(boost::vertex_index, g))));
  return cycles;
}

std::vector<std::size_t> topological_order(std::size_t n, const std::vector<Dependency>& deps) {
  std::vector<std::vector<std::size_t>> succ(n);
  std::vector<std::size_t> indeg(n, 0);
  for (const auto& d : deps) {
    succ[d.from].push_back(d.to);
    ++indeg[d.to];
  }
  // Kahn's algorithm with a min-heap keeps the declared order among equals.
  std::priority_queue<std::size_t, std::vector<std::size_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i)
    if (indeg[i] == 0) ready.push(i);
  std::vector<std::size_t> order;
  order.reserve(n);
  while (!ready.empty()) {
    std::size_t u = ready.top();
    ready.pop();
    order.push_back(u);
    for (std::size_t v : succ[u])
      if (--indeg[v] == 0) ready.push(v);
  }
  return order;
}

std::vector<Redundant> redundant_after(std::size_t n, const std::vector<Dependency>& deps) {
  std::vector<Redundant> out;
  if (n == 0) return out;
  const std::size_t words = (n + 63) / 64;
  // reach[v] = the steps reachable from v through one or more edges.
  std::vector<std::uint64_t> reach(n * words, 0);
  std::vector<std::vector<std::size_t>> out_edges(n);
  for (std::size_t i = 0; i < deps.size(); ++i) out_edges[deps[i].from].push_back(i);
  auto order = topological_order(n, deps);
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    std::size_t u = *it;
    std::uint64_t* ru = &reach[u * words];
    for (std::size_t e : out_edges[u]) {
      std::size_t v = deps[e].to;
      ru[v / 64] |= std::uint64_t{1} << (v % 64);
      const std::uint64_t* rv = &reach[v * words];
      for (std::size_t w = 0; w < words; ++w) ru[w] |= rv[w];
    }
  }
  for (std::size_t i = 0; i < deps.size(); ++i) {
    const auto& d = deps[i];
    if (d.kind != Dependency::Kind::after) continue;
    for (std::size_t e : out_edges[d.from]) {
      if (e == i) continue;
      std::size_t w = deps[e].to;
      if (w == d.to && deps[e].kind == Dependency::Kind::material) {
        out.push_back({i, e, true});
        break;
      }
      if (w != d.to && (reach[w * words + d.to / 64] >> (d.to % 64) & 1)) {
        out.push_back({i, e, false});
        break;
      }
    }
  }
  return out;
}

}  // namespace jointreview::graph

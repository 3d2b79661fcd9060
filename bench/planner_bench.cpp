// Planner benchmark: the critical path method of jointreview::cpm on a
// seeded random DAG (default 100,000 steps, 300,000 distinct dependencies,
// whole durations 1..20 working days).
//
// Two numberings of the same graph are timed:
//   permuted  every edge goes from an earlier to a later position of a random
//             permutation, so step indices are NOT a topological order
//             (cpm has to run Kahn's algorithm);
//   ordered   the same graph renumbered by that permutation, so every edge
//             goes from a lower to a higher index (cpm's fast path).
// Both have the same total and the same number of critical steps.
//
// What is timed, separately, medians of --reps runs, in wall time and in the
// thread's CPU time (the machines are shared):
//   csr  build_csr(n, from, to) from the edge list;
//   cpm  cpm() (earliest/latest start and finish, waves) + slack for every
//        step + count of critical steps + the critical path, into arrays that
//        are reused between runs (the intended use).
//
// The critical path rule, shared with bench/planner_networkx.py so that both
// can be compared: start at the critical step with earliest start 0 (a step
// without predecessors, since every duration is >= 1) that has the smallest
// index; then repeatedly go to the critical successor with the smallest index
// whose earliest start equals the current earliest finish.
//
// --write DIR writes DIR/permuted.txt and DIR/ordered.txt for the Python peer:
//   line 1: n m; then n lines of durations (step 0 first); then m lines "u v".
//
// Output: one line per case, key=value pairs, for bench/run_planner_bench.sh.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <unordered_set>
#include <vector>

#include <time.h>

#include "model/csr.h"
#include "planner/cpm.h"

namespace {

struct Graph {
  std::size_t n = 0;
  std::vector<double> days;  // per step
  std::vector<std::uint32_t> from, to;
};

struct Result {
  double total = 0;
  std::size_t critical = 0;
  std::vector<std::uint32_t> path;
};

// Random DAG on positions: pairs (i < j) of distinct positions, edge
// perm[i] -> perm[j]. `ordered` receives the same graph with step perm[i]
// renamed i.
void generate(std::size_t n, std::size_t m, std::uint64_t seed, Graph& permuted, Graph& ordered) {
  std::mt19937_64 rng(seed);
  std::vector<std::uint32_t> perm(n);
  std::iota(perm.begin(), perm.end(), 0u);
  std::shuffle(perm.begin(), perm.end(), rng);

  std::uniform_int_distribution<int> day(1, 20);
  permuted.n = ordered.n = n;
  permuted.days.resize(n);
  for (auto& d : permuted.days) d = day(rng);
  ordered.days.resize(n);
  for (std::size_t i = 0; i < n; ++i) ordered.days[i] = permuted.days[perm[i]];

  std::uniform_int_distribution<std::uint32_t> pos(0, static_cast<std::uint32_t>(n - 1));
  std::unordered_set<std::uint64_t> seen;
  seen.reserve(m * 2);
  for (auto* g : {&permuted, &ordered}) {
    g->from.reserve(m);
    g->to.reserve(m);
  }
  while (permuted.from.size() < m) {
    std::uint32_t a = pos(rng), b = pos(rng);
    if (a == b) continue;
    if (a > b) std::swap(a, b);
    if (!seen.insert((std::uint64_t{a} << 32) | b).second) continue;
    permuted.from.push_back(perm[a]);
    permuted.to.push_back(perm[b]);
    ordered.from.push_back(a);
    ordered.to.push_back(b);
  }
}

void write_graph(const Graph& g, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fprintf(f, "%zu %zu\n", g.n, g.from.size());
  for (double d : g.days) std::fprintf(f, "%d\n", static_cast<int>(d));
  for (std::size_t i = 0; i < g.from.size(); ++i) std::fprintf(f, "%u %u\n", g.from[i], g.to[i]);
  std::fclose(f);
}

// cpm + slack + critical count + critical path.
bool critical_path_method(const jointreview::CsrGraph& g, const std::vector<double>& days,
                          jointreview::CpmArrays& a, std::vector<double>& slack, Result& r) {
  if (!jointreview::cpm(g, days, a)) return false;
  const std::size_t n = g.n;
  slack.resize(n);
  std::size_t critical = 0;
  std::size_t first = n;
  for (std::size_t u = 0; u < n; ++u) {
    slack[u] = a.latest_start[u] - a.earliest_start[u];
    if (slack[u] == 0) {
      ++critical;
      if (first == n && a.earliest_start[u] == 0) first = u;
    }
  }
  r.total = a.total;
  r.critical = critical;
  r.path.clear();
  for (std::size_t u = first; u < n;) {
    r.path.push_back(static_cast<std::uint32_t>(u));
    std::size_t next = n;
    for (std::uint32_t e = g.offsets[u]; e < g.offsets[u + 1]; ++e) {
      const std::uint32_t v = g.targets[e];
      if (v < next && slack[v] == 0 && a.earliest_start[v] == a.earliest_finish[u]) next = v;
    }
    u = next;
  }
  return true;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t k = v.size() / 2;
  return v.size() % 2 ? v[k] : (v[k - 1] + v[k]) / 2;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// CPU time of this thread in milliseconds: on a shared, overloaded machine
// the wall time also counts the time other processes held the core.
double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

void run_case(const char* name, const Graph& g, int reps) {
  std::vector<double> csr_ms, cpm_ms, csr_cpu, cpm_cpu;
  jointreview::CsrGraph csr;
  jointreview::CpmArrays arrays;
  std::vector<double> slack;
  Result r;
  for (int k = 0; k < reps; ++k) {
    double c0 = cpu_ms();
    auto t0 = std::chrono::steady_clock::now();
    csr = jointreview::build_csr(g.n, g.from, g.to);
    csr_ms.push_back(ms_since(t0));
    csr_cpu.push_back(cpu_ms() - c0);

    c0 = cpu_ms();
    t0 = std::chrono::steady_clock::now();
    const bool ok = critical_path_method(csr, g.days, arrays, slack, r);
    cpm_ms.push_back(ms_since(t0));
    cpm_cpu.push_back(cpu_ms() - c0);
    if (!ok) {
      std::fprintf(stderr, "planner_bench: %s: cpm found a cycle in a DAG\n", name);
      std::exit(1);
    }
  }
  // A checksum of the path: positions in the ordered numbering differ from
  // the permuted one, so only the length and the total are compared across
  // cases; the Python peer gets the same numbering and compares the ids too.
  std::uint64_t path_sum = 0;
  for (std::uint32_t u : r.path) path_sum += u;
  std::printf(
      "case=%s n=%zu m=%zu reps=%d total=%.0f critical=%zu path_len=%zu path_first=%u path_last=%u "
      "path_sum=%llu waves=%u csr_median_ms=%.3f csr_min_ms=%.3f cpm_median_ms=%.3f cpm_min_ms=%.3f "
      "cpm_max_ms=%.3f csr_cpu_median_ms=%.3f cpm_cpu_median_ms=%.3f\n",
      name, g.n, g.from.size(), reps, r.total, r.critical, r.path.size(), r.path.empty() ? 0u : r.path.front(),
      r.path.empty() ? 0u : r.path.back(), static_cast<unsigned long long>(path_sum), arrays.waves,
      median(csr_ms), *std::min_element(csr_ms.begin(), csr_ms.end()), median(cpm_ms),
      *std::min_element(cpm_ms.begin(), cpm_ms.end()), *std::max_element(cpm_ms.begin(), cpm_ms.end()),
      median(csr_cpu), median(cpm_cpu));
  std::fflush(stdout);
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: planner_bench [--steps N] [--deps M] [--seed S] [--reps R] [--write DIR]\n"
               "  defaults: 100000 steps, 300000 dependencies, seed 20260302, 15 repetitions\n");
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t n = 100000, m = 300000;
  std::uint64_t seed = 20260302;
  int reps = 15;
  std::string dir;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    if (i + 1 >= argc) usage();
    const char* val = argv[++i];
    if (!std::strcmp(arg, "--steps")) n = std::strtoull(val, nullptr, 10);
    else if (!std::strcmp(arg, "--deps")) m = std::strtoull(val, nullptr, 10);
    else if (!std::strcmp(arg, "--seed")) seed = std::strtoull(val, nullptr, 10);
    else if (!std::strcmp(arg, "--reps")) reps = std::atoi(val);
    else if (!std::strcmp(arg, "--write")) dir = val;
    else usage();
  }
  if (n < 2 || reps < 1 || m > n / 2 * (n - 1)) usage();

  Graph permuted, ordered;
  const auto t0 = std::chrono::steady_clock::now();
  generate(n, m, seed, permuted, ordered);
  std::fprintf(stderr, "planner_bench: generated %zu steps, %zu dependencies (seed %llu) in %.0f ms\n", n, m,
               static_cast<unsigned long long>(seed), ms_since(t0));
  if (!dir.empty()) {
    write_graph(permuted, dir + "/permuted.txt");
    write_graph(ordered, dir + "/ordered.txt");
  }
  run_case("permuted", permuted, reps);
  run_case("ordered", ordered, reps);
  return 0;
}

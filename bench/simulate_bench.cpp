// Replications per second of `jreview simulate`'s engine on a 6-step
// workflow with correction loops (the same model as bench/simulate_simpy.py).
//
//   simulate_bench [--runs N] [--threads T] [--repeat K] [--workflow FILE] [--count-overdue]
//
// Like the SimPy model, it asks for the totals only: no median-run trace and
// (unless --count-overdue) no overdue_share, whose red-flag timers it then
// does not arm. Every other figure is computed as by `jreview simulate`.
//
// Prints one JSON line: {"threads", "runs", "count_overdue", "mean_days",
// "reps_per_s": [..], "median"}.
// Run through bench/simulate_bench.sh, never in the test suite.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "jointreview/loader.h"
#include "jointreview/simulator.h"

namespace {

// Six steps, four with correction loops; every department unlimited, so the
// SimPy model needs no resources. Keep in step with simulate_simpy.py.
const char* kWorkflow = R"(
workflow: bench6
departments: {A: {}, B: {}, C: {}, D: {}}
steps:
  - id: filing
    department: A
    days: 1
    produces: [record]
    duration: {dist: uniform, min: 0.5, max: 1.5}
  - id: site
    department: B
    days: 5
    needs: [record]
    produces: [site_opinion]
    duration: {dist: triangular, min: 2, mode: 3, max: 6}
    correction: {probability: 0.25, turnaround: {dist: triangular, min: 1, mode: 2, max: 5}, max_rounds: 3}
  - id: eia
    department: C
    days: 10
    needs: [record]
    produces: [eia_approval]
    duration: {dist: exponential, mean: 7}
    correction: {probability: 0.4, turnaround: {dist: exponential, mean: 5}, max_rounds: 2}
  - id: scheme
    department: B
    days: 5
    needs: [site_opinion]
    produces: [scheme_opinion]
    duration: {dist: triangular, min: 3, mode: 4, max: 8}
    correction: {probability: 0.35, turnaround: {dist: uniform, min: 3, max: 8}, max_rounds: 3}
  - id: drawings
    department: D
    days: 10
    needs: [scheme_opinion]
    produces: [drawing_certificate]
    duration: {dist: triangular, min: 5, mode: 7, max: 14}
    correction: {probability: 0.5, turnaround: {dist: exponential, mean: 4}, max_rounds: 3}
  - id: permit
    department: D
    days: 1
    needs: [eia_approval, drawing_certificate]
    produces: [permit]
    duration: {dist: uniform, min: 0.5, max: 1.5}
)";

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t runs = 1000000;
  unsigned threads = 0;
  int repeat = 5;
  std::string file;
  bool count_overdue = false;
  for (int i = 1; i < argc; ++i) {
    auto next = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "simulate_bench: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--runs")) runs = std::strtoull(next("--runs"), nullptr, 10);
    else if (!std::strcmp(argv[i], "--threads")) threads = static_cast<unsigned>(std::atoi(next("--threads")));
    else if (!std::strcmp(argv[i], "--repeat")) repeat = std::max(1, std::atoi(next("--repeat")));
    else if (!std::strcmp(argv[i], "--workflow")) file = next("--workflow");
    else if (!std::strcmp(argv[i], "--count-overdue")) count_overdue = true;
    else {
      std::fprintf(stderr,
                   "usage: simulate_bench [--runs N] [--threads T] [--repeat K] [--workflow FILE] [--count-overdue]\n");
      return 2;
    }
  }
  auto loaded = file.empty() ? jointreview::load_workflow_string(kWorkflow, "bench6.yaml")
                             : jointreview::load_workflow_file(file);
  if (!loaded.ok()) {
    for (const auto& d : loaded.diagnostics) std::cerr << d.str() << "\n";
    return 1;
  }
  jointreview::SimulationOptions o;
  o.runs = runs;
  o.threads = threads;
  o.trace_median = false;
  o.count_overdue = count_overdue;
  std::vector<double> rates;
  double mean_days = 0;
  for (int k = 0; k < repeat; ++k) {
    o.seed = static_cast<std::uint64_t>(k + 1);
    auto t0 = std::chrono::steady_clock::now();
    auto r = jointreview::simulate(*loaded.workflow, o);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(static_cast<double>(runs) / s);
    mean_days = r.mean_days.value_or(0);
  }
  std::vector<double> sorted = rates;
  std::sort(sorted.begin(), sorted.end());
  std::printf("{\"threads\": %u, \"runs\": %llu, \"count_overdue\": %s, \"mean_days\": %.4f, \"reps_per_s\": [",
              threads, static_cast<unsigned long long>(runs), count_overdue ? "true" : "false", mean_days);
  for (std::size_t i = 0; i < rates.size(); ++i) std::printf("%s%.0f", i ? ", " : "", rates[i]);
  std::printf("], \"median\": %.0f}\n", sorted[sorted.size() / 2]);
  return 0;
}

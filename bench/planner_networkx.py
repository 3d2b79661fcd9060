#!/usr/bin/python3
"""The peer of bench/planner_bench.cpp: the critical path method in networkx.

Reads a graph file written by `planner_bench --write DIR` (line 1: "n m";
then n durations, step 0 first; then m lines "u v" for u -> v) and does the
same computation as the C++ benchmark:

  build   networkx.DiGraph with nodes 0..n-1 and the m edges (timed apart);
  cpm     networkx.topological_sort; forward pass (earliest start = max
          earliest finish of the predecessors, earliest finish = start +
          days); backward pass in reverse order (latest finish = min latest
          start of the successors, else the total); slack = latest start -
          earliest start; the number of critical steps (slack 0); the
          critical path: the critical step with earliest start 0 and the
          smallest id, then repeatedly the critical successor with the
          smallest id whose earliest start equals the current finish.

Run with Debian's interpreter (/usr/bin/python3, package python3-networkx).
Times are wall time and the thread's CPU time (time.thread_time), medians.
Prints one key=value line per file. With --expect KEY=VALUE ... the script
exits 1, loudly, when its total, critical count or path differ from the C++
figures.
"""
import argparse
import statistics
import sys
import time

import networkx as nx


def read_graph(path):
    with open(path) as f:
        n, m = map(int, f.readline().split())
        days = [int(f.readline()) for _ in range(n)]
        edges = []
        for _ in range(m):
            u, v = f.readline().split()
            edges.append((int(u), int(v)))
    return n, days, edges


def build(n, edges):
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    return g


def critical_path_method(g, days):
    n = len(days)
    order = list(nx.topological_sort(g))
    pred = g.pred
    succ = g.succ

    es = [0] * n
    ef = [0] * n
    for u in order:
        start = 0
        for p in pred[u]:
            if ef[p] > start:
                start = ef[p]
        es[u] = start
        ef[u] = start + days[u]
    total = max(ef) if n else 0

    ls = [0] * n
    lf = [0] * n
    for u in reversed(order):
        late = total
        for s in succ[u]:
            if ls[s] < late:
                late = ls[s]
        lf[u] = late
        ls[u] = late - days[u]

    slack = [ls[u] - es[u] for u in range(n)]
    critical = 0
    first = None
    for u in range(n):
        if slack[u] == 0:
            critical += 1
            if first is None and es[u] == 0:
                first = u

    path = []
    u = first
    while u is not None:
        path.append(u)
        nxt = None
        for v in succ[u]:
            if slack[v] == 0 and es[v] == ef[u] and (nxt is None or v < nxt):
                nxt = v
        u = nxt
    return total, critical, path


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("graph", help="a file written by planner_bench --write")
    ap.add_argument("--name", default="graph")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--expect", nargs="*", default=[],
                    help="total=N critical=N path_len=N path_first=N path_last=N path_sum=N from the C++ run")
    args = ap.parse_args()

    n, days, edges = read_graph(args.graph)
    build_s, cpm_s, build_cpu, cpm_cpu = [], [], [], []
    result = None
    for _ in range(args.reps):
        c0 = time.thread_time()
        t0 = time.perf_counter()
        g = build(n, edges)
        build_s.append(time.perf_counter() - t0)
        build_cpu.append(time.thread_time() - c0)
        c0 = time.thread_time()
        t0 = time.perf_counter()
        result = critical_path_method(g, days)
        cpm_s.append(time.perf_counter() - t0)
        cpm_cpu.append(time.thread_time() - c0)
        del g

    total, critical, path = result
    got = {
        "total": total,
        "critical": critical,
        "path_len": len(path),
        "path_first": path[0] if path else 0,
        "path_last": path[-1] if path else 0,
        "path_sum": sum(path),
    }
    print("case=%s n=%d m=%d reps=%d networkx=%s total=%d critical=%d path_len=%d path_first=%d path_last=%d "
          "path_sum=%d build_median_ms=%.1f cpm_median_ms=%.1f cpm_min_ms=%.1f cpm_max_ms=%.1f "
          "build_cpu_median_ms=%.1f cpm_cpu_median_ms=%.1f"
          % (args.name, n, len(edges), args.reps, nx.__version__, total, critical, len(path), got["path_first"],
             got["path_last"], got["path_sum"], statistics.median(build_s) * 1e3, statistics.median(cpm_s) * 1e3,
             min(cpm_s) * 1e3, max(cpm_s) * 1e3,
             statistics.median(build_cpu) * 1e3, statistics.median(cpm_cpu) * 1e3))
    sys.stdout.flush()

    bad = []
    for item in args.expect:
        key, _, value = item.partition("=")
        if key not in got:
            sys.exit("planner_networkx.py: unknown --expect key %r" % key)
        if int(float(value)) != got[key]:
            bad.append("%s: C++ %s, networkx %d" % (key, value, got[key]))
    if bad:
        print("planner_networkx.py: MISMATCH between jointreview::cpm and networkx on %s: %s"
              % (args.name, "; ".join(bad)), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()

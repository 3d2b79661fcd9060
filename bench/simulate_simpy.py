#!/usr/bin/python3
"""SimPy peer of bench/simulate_bench.cpp: the same 6-step workflow with
correction loops as a SimPy process model, and the comparison.

    /usr/bin/python3 bench/simulate_simpy.py --bench BUILD/bench/simulate_bench

Debian's python3-simpy is SimPy 2 (module `SimPy`, `yield hold, self, t`).
Each step is a Process started once all its predecessors are approved; a
round is one review (a draw from the step's duration), then with the
correction probability a return, a turnaround draw and another round; a
return after max_rounds correction rounds rejects the project. Totals are the
completion time of completed projects, as in jreview simulate.
"""
import argparse
import json
import math
import random
import statistics
import subprocess
import time

from SimPy.Simulation import Process, Simulation, hold

# (id, predecessors, duration, correction probability, turnaround, max_rounds)
# Distributions: ("u", a, b), ("tri", min, mode, max), ("exp", mean).
STEPS = [
    ("filing", [], ("u", 0.5, 1.5), 0.0, None, 3),
    ("site", ["filing"], ("tri", 2, 3, 6), 0.25, ("tri", 1, 2, 5), 3),
    ("eia", ["filing"], ("exp", 7), 0.4, ("exp", 5), 2),
    ("scheme", ["site"], ("tri", 3, 4, 8), 0.35, ("u", 3, 8), 3),
    ("drawings", ["scheme"], ("tri", 5, 7, 14), 0.5, ("exp", 4), 3),
    ("permit", ["eia", "drawings"], ("u", 0.5, 1.5), 0.0, None, 3),
]
SUCCESSORS = {s[0]: [t[0] for t in STEPS if s[0] in t[1]] for s in STEPS}
INDEX = {s[0]: s for s in STEPS}


def draw(rng, d):
    if d[0] == "u":
        return rng.uniform(d[1], d[2])
    if d[0] == "tri":
        return rng.triangular(d[1], d[3], d[2])  # random.triangular(low, high, mode)
    return rng.expovariate(1.0 / d[1])


class StepProcess(Process):
    def __init__(self, project, step_id):
        Process.__init__(self, name=step_id, sim=project.sim)
        self.project = project
        self.step = INDEX[step_id]

    def run(self):
        p = self.project
        _, _, duration, prob, turnaround, max_rounds = self.step
        rounds = 0
        while True:
            yield hold, self, draw(p.rng, duration)
            if p.closed:
                return
            if prob > 0 and p.rng.random() < prob:
                rounds += 1
                if rounds > max_rounds:
                    p.closed = True  # rejected
                    return
                yield hold, self, draw(p.rng, turnaround)
                continue
            break
        p.done(self.step[0])


class Project:
    def __init__(self, sim, rng):
        self.sim = sim
        self.rng = rng
        self.closed = False
        self.waiting = {s[0]: len(s[1]) for s in STEPS}
        self.approved = 0
        self.finished = None

    def start(self):
        for s in STEPS:
            if not s[1]:
                self.launch(s[0])

    def launch(self, step_id):
        proc = StepProcess(self, step_id)
        self.sim.activate(proc, proc.run())

    def done(self, step_id):
        self.approved += 1
        if self.approved == len(STEPS):
            self.finished = self.sim.now()
            return
        for t in SUCCESSORS[step_id]:
            self.waiting[t] -= 1
            if self.waiting[t] == 0:
                self.launch(t)


def replicate(rng):
    sim = Simulation()
    sim.initialize()
    project = Project(sim, rng)
    project.start()
    sim.simulate(until=1e9)
    return project.finished


def simpy_rate(seconds, seed):
    rng = random.Random(seed)
    n, totals = 0, []
    t0 = time.perf_counter()
    while True:
        for _ in range(200):
            f = replicate(rng)
            if f is not None:
                totals.append(f)
        n += 200
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return n / elapsed, statistics.fmean(totals)


def jreview_rate(bench, runs, threads, repeat, count_overdue):
    cmd = [bench, "--runs", str(runs), "--threads", str(threads), "--repeat", str(repeat)]
    if count_overdue:
        cmd.append("--count-overdue")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bench", required=True, help="path to the simulate_bench binary")
    ap.add_argument("--repeat", type=int, default=5, help="measurements per side (median reported)")
    ap.add_argument("--seconds", type=float, default=2.0, help="seconds per SimPy measurement")
    ap.add_argument("--runs", type=int, default=1000000, help="replications per jreview measurement")
    ap.add_argument("--count-overdue", action="store_true",
                    help="let jreview also count overdue_share (the SimPy model has no such figure)")
    a = ap.parse_args()

    simpy_rates, simpy_mean = [], 0.0
    for k in range(a.repeat):
        r, simpy_mean = simpy_rate(a.seconds, k + 1)
        simpy_rates.append(r)
    simpy_med = statistics.median(simpy_rates)
    one = jreview_rate(a.bench, a.runs, 1, a.repeat, a.count_overdue)
    two = jreview_rate(a.bench, a.runs, 2, a.repeat, a.count_overdue)
    print(f"SimPy {SimPy_version()}: median {simpy_med:,.0f} replications/s "
          f"(runs: {', '.join(f'{x:,.0f}' for x in simpy_rates)}); mean days {simpy_mean:.2f}")
    for label, r in (("1 thread ", one), ("2 threads", two)):
        print(f"jreview  {label}: median {r['median']:,.0f} replications/s "
              f"(runs: {', '.join(f'{x:,.0f}' for x in r['reps_per_s'])}); mean days {r['mean_days']:.2f}; "
              f"{r['median'] / simpy_med:.1f}x SimPy"
              + ("" if r.get("count_overdue") is False else " (counting overdue_share)"))


def SimPy_version():
    try:
        import SimPy
        return SimPy.__version__
    except AttributeError:
        return "2"


if __name__ == "__main__":
    main()

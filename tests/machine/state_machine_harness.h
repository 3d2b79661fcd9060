// Drives the pure state machine in tests: builds a workflow from YAML text,
// keeps the timers it arms, and fires them in time order.
#pragma once

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "model/compiled.h"
#include "jointreview/loader.h"
#include "machine/state_machine.h"

namespace jrtest {

using namespace jointreview;

inline std::shared_ptr<const CompiledWorkflow> compile_yaml(const std::string& yaml) {
  auto r = load_workflow_string(yaml, "test.yaml");
  for (const auto& d : r.diagnostics)
    if (d.severity == Diagnostic::Severity::error) FAIL(d.str());
  REQUIRE(r.ok());
  return compile(std::make_shared<const Workflow>(std::move(*r.workflow)));
}

struct Harness {
  std::shared_ptr<const CompiledWorkflow> cw;
  StateMachine m;
  InstanceRuntime st;
  std::vector<Effect> fx;       // effects of the last call
  std::vector<Effect> all;      // every effect so far
  std::vector<Effect> timers;   // armed, not yet fired
  double now = 0.5;

  explicit Harness(const std::string& yaml, bool green = false) : cw(compile_yaml(yaml)), m(cw) {
    m.reset(st, green);
    fx.clear();
    REQUIRE(m.start(st, now, fx) == Refusal::none);
    keep();
  }

  void keep() {
    for (const auto& e : fx) {
      all.push_back(e);
      if (e.kind == EffectKind::arm_timer) timers.push_back(e);
    }
  }

  std::uint32_t step(const std::string& id) const {
    long i = cw->source->find_step(id);
    REQUIRE(i >= 0);
    return static_cast<std::uint32_t>(i);
  }
  Actor dept(const std::string& name) const {
    long i = cw->source->find_department(name);
    REQUIRE(i >= 0);
    return Actor::department(static_cast<std::uint32_t>(i));
  }
  StepState state(const std::string& id) const { return st.steps[step(id)].state; }
  const StepRuntime& rt(const std::string& id) const { return st.steps[step(id)]; }

  Refusal act(Action a, const std::string& id, Actor who, double at = -1, int slot = -1, double value = -1) {
    if (at >= 0) advance(at);
    Event e;
    e.action = a;
    e.step = step(id);
    e.actor = who;
    e.slot = slot;
    e.at = now;
    e.value = value;
    fx.clear();
    Refusal r = m.apply(st, e, fx);
    keep();
    return r;
  }
  // Like act, but requires success.
  void ok(Action a, const std::string& id, Actor who, double at = -1, int slot = -1, double value = -1) {
    Refusal r = act(a, id, who, at, slot, value);
    if (r != Refusal::none) {
      Event e;
      e.action = a;
      e.step = step(id);
      e.actor = who;
      e.slot = slot;
      FAIL(std::string(to_string(a)) + " " + id + " refused: " + m.explain(st, e, r));
    }
  }

  // Moves time to t, firing every armed timer due by then, in order.
  void advance(double t) {
    for (;;) {
      auto it = std::min_element(timers.begin(), timers.end(),
                                 [](const Effect& a, const Effect& b) { return a.at < b.at; });
      if (it == timers.end() || it->at > t) break;
      Effect tm = *it;
      timers.erase(it);
      now = std::max(now, tm.at);
      const Event e = Event::timer_fired(tm.timer, tm.step, tm.slot, now);
      fx.clear();
      m.apply(st, e, fx);
      keep();
    }
    now = std::max(now, t);
  }

  std::size_t count(EffectKind k) const {
    return static_cast<std::size_t>(std::count_if(all.begin(), all.end(), [&](const Effect& e) { return e.kind == k; }));
  }
  std::size_t count_last(EffectKind k) const {
    return static_cast<std::size_t>(std::count_if(fx.begin(), fx.end(), [&](const Effect& e) { return e.kind == k; }));
  }
};

}  // namespace jrtest

// The live runtime's picture of an instance: the workflow definition it
// runs, its state machine state, its pending timers, and what the runtime
// keeps about it between checkpoints and within a batch.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "jointreview/calendar.h"
#include "machine/state_machine.h"
#include "model/compiled.h"
#include "runtime/working_time.h"

namespace jointreview::runtime {

// A workflow definition as instances run it: loaded once per content hash.
struct Definition {
  std::string hash;
  std::shared_ptr<const CompiledWorkflow> compiled;
  std::unique_ptr<StateMachine> machine;
  std::shared_ptr<const Calendar> calendar;
  std::unique_ptr<TimeMap> time;
};

struct Timer {
  TimerKind kind;
  std::uint32_t step;
  std::int32_t slot;
  double at;
  bool operator==(const Timer& o) const {
    return kind == o.kind && step == o.step && slot == o.slot && at == o.at;
  }
};

// A step taken by one staff member of a department (Engine::claim): only
// the claimer acts on it for that department until it is released or the
// step is decided.
struct Claim {
  std::uint32_t step = 0;
  std::uint32_t dept = 0;  // compiled department index
  std::string staff;       // "DEPT/ID"
  std::string since;       // local ISO time
  bool operator==(const Claim& o) const {
    return step == o.step && dept == o.dept && staff == o.staff && since == o.since;
  }
};

struct Instance {
  std::string id;
  std::string key;  // the business key of its start (StartRequest::key), "" for none
  Definition* def = nullptr;
  std::string project;
  std::string applicant;
  std::string started;
  std::string finished;
  InstanceRuntime rt;
  std::vector<Timer> timers;
  // The wall-clock second (UTC) of its latest event row of any kind: no
  // action may be dated before it, so the trail stays in order.
  std::int64_t last_second = 0;
  // Accepted changes so far: one per input row of its log (the start, each
  // accepted action, each timer that changed it, each claim and release).
  std::uint64_t version = 0;
  std::vector<Claim> claims;
  // The notes of this round's returns, by (step << 32 | department slot):
  // the items of the step's one consolidated notice (Art. 32), cleared when
  // it is sent.
  std::map<std::uint64_t, std::string> round_notes;
  // Changed since the last checkpoint of the current-state tables; which
  // step rows changed (one flag per step, sized on first use).
  bool ckpt_dirty = false;
  std::vector<char> ckpt_steps;
  // Its flag and open-work rows as the last checkpoint wrote them (joined;
  // "" unknown): written again only when they change.
  std::string query_rows_written;
  // While the current batch is open: where its state before the batch is
  // kept (an index into EngineImpl::saved_), and whether the batch started it.
  std::int32_t batch_slot = -1;
  bool new_in_batch = false;
};

// An instance as it was before the current batch touched it: what a failed
// job or commit puts back (the other members never change after start).
struct Saved {
  Instance* inst = nullptr;
  bool is_new = false;  // started in this batch: undoing drops it
  InstanceRuntime rt;
  std::vector<Timer> timers;
  std::string finished;
  std::int64_t last_second = 0;
  std::map<std::uint64_t, std::string> round_notes;
  std::uint64_t version = 0;
  std::vector<Claim> claims;
};

// A pending timer in the engine's heap: due at the wall-clock second `when`
// (TimeMap::fire_second: one scale for every calendar, for the working-day
// times of instances on different calendars do not compare), then in the
// order armed.
struct HeapEntry {
  std::int64_t when;
  std::uint64_t order;
  Instance* inst;
  Timer timer;
  bool operator>(const HeapEntry& o) const { return when != o.when ? when > o.when : order > o.order; }
};

}  // namespace jointreview::runtime

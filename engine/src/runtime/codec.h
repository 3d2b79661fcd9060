// How an instance is written to the database and read back: the snapshot
// of its state (instances.snapshot) and the state machine input an event
// row records (events.input), replayed at open.
#pragma once

#include <cstdint>
#include <string>

#include "machine/state_machine.h"
#include "runtime/instance.h"

namespace jointreview::runtime {

// The state machine state and pending timers of an instance, binary.
std::string encode(const Instance& in);
// Reads a snapshot into `in` (whose definition is set). Throws Error(storage).
void decode(const std::string& s, Instance& in);

// ---- inputs: what an event row gave the state machine, for replay ----
//
// The log is the source of truth; the instances and steps tables are a
// checkpoint of it. Every row that records an input (a start, an action, a
// timer that changed something) carries the exact Event in a small blob, so
// that opening the database can replay what happened after the checkpoint.

constexpr std::uint8_t kInputVersion = 1;

struct Input {
  Input() = default;
  explicit Input(const Event& e) : event(e) {}
  Event event;
  // start only:
  bool green = false;
  std::string workflow_hash, project, applicant;
};

std::string encode_input(const Input& in);
// Throws Error(storage) for a row of another version or a truncated one.
Input decode_input(const std::string& s);

}  // namespace jointreview::runtime

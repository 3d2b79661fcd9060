// How an instance is written to the database and read back: the snapshot
// of its state (instances.snapshot) and the state machine input an event
// row records (events.input), replayed at open.
#pragma once

#include <cstdint>
#include <string>

#include "machine/state_machine.h"
#include "runtime/instance.h"
#include "runtime/working_time.h"

namespace jointreview::runtime {

// The state machine state and pending timers of an instance, binary, every
// instant as a civil date (CivilInstant, through the definition's TimeMap):
// snapshot format 3. Field by field, so the bytes depend on the state only.
std::string encode(const Instance& in);
// Reads a snapshot into `in` (whose definition is set). Also reads format 1
// (schema 2: the StepRuntime bytes, instants as working-day time counted
// from the calendar's first year; right only under the calendar it was
// written with, which is what the time-base conversion at open relies on).
// Throws Error(storage) for a snapshot that is neither or does not fit the
// workflow, Error(out_of_range) for a date the calendar does not count.
void decode(const std::string& s, Instance& in);

// ---- inputs: what an event row gave the state machine, for replay ----
//
// The log is the source of truth; the instances and steps tables are a
// checkpoint of it. Every row that records an input (a start, an action, a
// timer that changed something) carries the exact Event in a small blob, so
// that opening the database can replay what happened after the checkpoint.

// Version 2: `at` as a civil instant. Version 1 (schema 2): `at` as
// working-day time (see decode() above). Version 3 (schema 5) adds records
// beside the state machine's inputs: a start with a business key, and the
// claim or release of a step by a department's staff member; every other
// input is still written as version 2.
constexpr std::uint8_t kInputVersion = 2;
constexpr std::uint8_t kInputVersion3 = 3;

struct Input {
  Input() = default;
  explicit Input(const Event& e) : event(e) {}
  // What the row records: a state machine input, or a claim on
  // (event.step, department event.actor.dept) by `staff`, or its release.
  enum class Record : std::uint8_t { input = 0, claim = 1, release = 2 };
  Record record = Record::input;
  std::string staff;  // claim, release: the DEPT/ID who claimed
  std::string key;    // start: the business key (StartRequest::key), "" for none
  Event event;
  // start only:
  bool green = false;
  std::string workflow_hash, project, applicant;
  // return only: the department's note, an item of the consolidated notice.
  std::string note;
  // As read back: `event.at` is set by resolve_time() from `when`, the
  // civil instant the row holds; a version-1 row (`legacy`) holds the old
  // working-day time itself, in when.frac.
  CivilInstant when;
  bool legacy = false;
};

std::string encode_input(const Input& in, const TimeMap& time);
// Throws Error(storage) for a row of an unknown version or a truncated one.
// `event.at` is not set: resolve_time() does, once the instance (and so its
// calendar) is known.
Input decode_input(const std::string& s);
// Sets input.event.at on this calendar (Error(out_of_range) when it cannot
// place the date).
void resolve_time(Input& input, const TimeMap& time);

}  // namespace jointreview::runtime

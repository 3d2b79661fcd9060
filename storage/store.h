// The Store interface: where the live runtime keeps its state. SQLite is the
// default (embedded, nothing to configure); a server database can implement
// the same interface later. One writer owns a Store; every commit() is one
// transaction: all of a batch is written or none of it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jointreview/event.h"

namespace jointreview::storage {

struct WorkflowRecord {
  std::string hash;    // content hash of the bundle
  std::string id;      // workflow id
  std::string title;
  std::string file;    // the path it was loaded from (main file)
  std::string bundle;  // JSON object {path: text} of the main file and its includes
};

struct InstanceRecord {
  std::string id;
  std::string workflow_hash;
  std::string project;
  std::string applicant;
  bool green = false;
  std::string state;     // InstanceState name
  std::string started;   // local ISO time
  std::string finished;  // "" while running
  std::string snapshot;  // the state machine's state, binary (see runtime)
};

// The current state of one step, kept for queries (reports) beside the log.
// The instances and steps tables are a checkpoint of the log: they reflect
// every event up to checkpoint_seq(); the runtime replays the inputs logged
// after it when it opens.
struct StepRecord {
  std::string instance;
  int index = 0;
  std::string step;
  std::string state;
  std::string department;  // lead
  std::string deadline;    // date or ""
  bool warned = false;
  bool overdue = false;
};

struct Batch {
  std::vector<WorkflowRecord> workflows;  // inserted if absent
  std::vector<InstanceRecord> instances;  // upserted
  std::vector<StepRecord> steps;          // upserted
  std::vector<EventRecord> events;        // appended; seq assigned by commit()
  // Beside each event (same index; may be shorter than events: missing =
  // empty): the state machine input that row records, for replay, or empty
  // for rows that only report what an input caused.
  std::vector<std::string> inputs;
  // When set: the instances and steps rows of this batch bring the
  // current-state tables up to date with every event up to this seq, or up
  // to the batch's last event when it has events.
  std::optional<std::int64_t> checkpoint_seq;
  bool empty() const {
    return workflows.empty() && instances.empty() && steps.empty() && events.empty() && !checkpoint_seq;
  }
};

// An event row that records a state machine input (see Batch::inputs).
struct InputRow {
  std::int64_t seq = 0;
  std::string instance;
  std::string time;
  std::string input;
};

class Store {
 public:
  virtual ~Store() = default;
  // Writes the batch in one transaction; on return it is durable (to the
  // configured synchronous level). Assigns EventRecord::seq. Throws Error(storage).
  virtual void commit(Batch& batch) = 0;
  virtual std::optional<WorkflowRecord> workflow(const std::string& hash) = 0;
  virtual std::vector<InstanceRecord> instances() = 0;
  virtual std::vector<EventRecord> events(const std::string& instance) = 0;
  // The seq up to which the instances and steps tables reflect the log.
  virtual std::int64_t checkpoint_seq() = 0;
  // The input rows after `seq`, in log order: what to replay on open.
  virtual std::vector<InputRow> inputs_after(std::int64_t seq) = 0;
};

// Opens or creates a SQLite database in WAL mode, migrating older schemas.
// synchronous: "full" or "normal".
std::unique_ptr<Store> open_sqlite_store(const std::string& path, const std::string& synchronous = "full");

}  // namespace jointreview::storage

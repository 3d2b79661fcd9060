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

#include "jointreview/engine.h"

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
  bool empty() const { return workflows.empty() && instances.empty() && steps.empty() && events.empty(); }
};

class Store {
 public:
  virtual ~Store() = default;
  // Writes the batch in one transaction; on return it is durable (to the
  // configured synchronous level). Assigns EventRecord::seq. Throws Error(storage).
  virtual void commit(Batch& batch) = 0;
  virtual std::optional<WorkflowRecord> workflow(const std::string& hash) = 0;
  virtual std::vector<InstanceRecord> instances() = 0;
  virtual std::optional<InstanceRecord> instance(const std::string& id) = 0;
  virtual std::vector<EventRecord> events(const std::string& instance) = 0;
  virtual std::vector<StepRecord> steps(const std::string& instance) = 0;
  // The largest instance number used with this prefix (0 if none).
  virtual std::int64_t last_instance_number(const std::string& prefix) = 0;
  virtual int schema_version() = 0;
  virtual std::string integrity_check() = 0;  // "ok" when sound
};

// Opens or creates a SQLite database in WAL mode, migrating older schemas.
// synchronous: "full" or "normal".
std::unique_ptr<Store> open_sqlite_store(const std::string& path, const std::string& synchronous = "full");

constexpr int kSchemaVersion = 1;

}  // namespace jointreview::storage

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

// A calendar as the database holds it (docs/calendar.md#the-database-holds-its-calendars):
// every version ever stored is kept; the one stored last for an id is the
// one its instances count with.
struct CalendarRecord {
  std::string id;
  std::string version;  // the calendar's data version
  std::string source;   // the file it was read from, for people
  std::string bundle;   // the texts (calendar/kept.h)
  std::string stored;   // when (UTC, "YYYY-MM-DD HH:MM:SS"); set by the database
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
  // Schema 5 (the platform API):
  std::string workflow_id;
  std::string key;            // the business key of its start ("" for none)
  std::int64_t version = 0;   // accepted changes so far (the input rows of its log)
  std::string claims;         // the steps its departments' staff claimed, JSON (runtime)
  // For queries (Store::query), as of the checkpoint:
  std::string deadline;       // the project's deadline, "" for none
  int approved = 0, total = 0;
  std::vector<std::string> flags;             // "overdue", "warned", "statutory_overdue" ...
  std::vector<std::string> open_departments;  // departments with work to do on it
  bool query_rows = true;  // write the flag and open-work rows (false: unchanged since the last checkpoint)
  // Schema 6: held in memory by the engine (running, or a timer or claim
  // pending); false once nothing of it can change by itself.
  bool resident = true;
};

// What Store::query selects (every field optional: empty / -1 = any).
struct QueryFilter {
  std::string state, workflow_id, project /* substring */, applicant, department, flag;
  std::string started_from, started_to, finished_from, finished_to;  // dates, inclusive
  int green = -1;
  bool by_deadline = false;  // order by the project deadline (none last), else by the start
  std::string after_key, after_id;  // the keyset cursor: the sort key and id of the last row seen
  std::size_t limit = 50;
};

struct QueryRow {
  std::string id, workflow_id, project, applicant, state, started, finished, deadline, key, flags;
  bool green = false;
  std::int64_t version = 0;
  int approved = 0, total = 0;
  std::string sort_key;
};

struct QueryResult {
  std::vector<QueryRow> rows;
  std::int64_t total = 0;  // matches of the filter (the cursor aside)
  bool more = false;       // rows follow the last one
};

// A deployed workflow version (Engine::deploy): the workflow row `hash`
// is version `version` of workflow `id`.
struct DeploymentRecord {
  std::string id;
  std::int64_t version = 0;
  std::string hash;
  std::string deployed;  // local ISO time
};

// The first outcome of a call made with a request id (ActRequest::request_id):
// a retry with the same id is answered with it and writes nothing.
struct RequestRecord {
  std::string id;
  std::string instance;
  std::string call;      // what was asked (instance, step, action, actor): a reused id must ask the same
  int code = 0;          // 0: done; else the Error::Code of the refusal
  std::string reason;    // Error::reason()
  std::string message;
  std::int64_t version = 0;  // the instance's version after the call
  std::string time;          // when (local ISO time)
};

// An access token (Engine::add_token): only the SHA-256 of its secret is
// kept. `expires` and `revoked` are "" when not set.
struct TokenRecord {
  std::string id;       // "tk_" + 12 hex digits, public
  std::string actor;    // who the token acts as
  std::string name;     // what it is for, in words
  std::string hash;     // SHA-256 of the secret, hex
  std::string created;  // local ISO time
  std::string expires;  // last valid date (YYYY-MM-DD), inclusive
  std::string revoked;  // local ISO time
};

// A webhook (Engine::add_webhook): where matching events are POSTed, and
// how far its delivery got. `secret` signs the bodies (HMAC-SHA256), so it
// is kept as given.
struct WebhookRecord {
  std::string id;       // "wh_" + 12 hex digits
  std::string url;
  std::string kinds;    // event kinds, comma-separated; "" for every kind
  std::string secret;
  std::string created;  // local ISO time
  std::string removed;  // local ISO time, "" while in use
  std::int64_t delivered_seq = 0;  // every matching event up to here was delivered
  std::int64_t failures = 0;       // failed attempts since the last delivery
  std::string last_error;
  std::string last_attempt;        // UTC ISO time
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
  std::vector<CalendarRecord> calendars;  // inserted (a new version becomes the current one)
  std::vector<InstanceRecord> instances;  // upserted
  std::vector<StepRecord> steps;          // upserted
  std::vector<EventRecord> events;        // appended; seq assigned by commit()
  std::vector<RequestRecord> requests;    // inserted
  std::vector<DeploymentRecord> deployments;  // inserted
  // Beside each event (same index; may be shorter than events: missing =
  // empty): the state machine input that row records, for replay, or empty
  // for rows that only report what an input caused.
  std::vector<std::string> inputs;
  // When set: the instances and steps rows of this batch bring the
  // current-state tables up to date with every event up to this seq, or up
  // to the batch's last event when it has events.
  std::optional<std::int64_t> checkpoint_seq;
  bool empty() const {
    return workflows.empty() && calendars.empty() && instances.empty() && steps.empty() && events.empty() &&
           requests.empty() && deployments.empty() && !checkpoint_seq;
  }
};

// What walking the audit trail's hash chain found (docs/runtime.md#the-
// audit-trails-hash-chain).
struct ChainCheck {
  bool ok = true;
  std::int64_t events = 0;     // rows walked
  std::int64_t head_seq = 0;   // the last row's seq (0 for an empty trail)
  std::string head_hash;       // its hash (hex); the genesis value for an empty trail
  std::int64_t bad_seq = 0;    // the first row that does not fit (0 when ok)
  std::string problem;         // what is wrong with it, in words
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
  // The instances the engine holds in memory (InstanceRecord::resident).
  virtual std::vector<InstanceRecord> resident_instances() = 0;
  // One instance's row; by its start's business key.
  virtual std::optional<InstanceRecord> instance(const std::string& id) = 0;
  virtual std::optional<InstanceRecord> instance_by_key(const std::string& workflow_id, const std::string& key) = 0;
  // The instances not resident that finished at `from` or later and started
  // at `to` or earlier (local ISO times, compared as text), by id.
  virtual std::vector<InstanceRecord> finished_between(const std::string& from, const std::string& to) = 0;
  // One instance's input rows, in log order.
  virtual std::vector<InputRow> inputs_of(const std::string& instance) = 0;
  // How many instances not resident each workflow hash has.
  virtual std::map<std::string, std::int64_t> settled_by_workflow() = 0;
  // The largest number N of an instance id PREFIX + N (digits only); 0 for none.
  virtual std::int64_t last_number(const std::string& prefix) = 0;
  virtual std::vector<EventRecord> events(const std::string& instance) = 0;
  // Every instance's events after `seq`, in seq order, at most `limit`.
  virtual std::vector<EventRecord> events_after(std::int64_t seq, std::size_t limit) = 0;
  // The seq up to which the instances and steps tables reflect the log.
  virtual std::int64_t checkpoint_seq() = 0;
  // The input rows after `seq`, in log order: what to replay on open.
  virtual std::vector<InputRow> inputs_after(std::int64_t seq) = 0;

  // The current copy of each calendar (the version stored last), by id;
  // with `all`, every version ever stored, oldest first.
  virtual std::vector<CalendarRecord> calendars(bool all = false) = 0;

  // How instants are written in snapshots and input rows: 1 = as civil
  // dates (schema 3); 0 = a database from schema 2 whose rows still count
  // working days from its calendar's first year, to be converted once
  // (convert_time_base) before anything else is written.
  virtual int time_base() = 0;
  // The conversion, in one transaction: the input blobs of the given rows
  // replaced (the audit trail's columns are untouched), then the batch
  // (fresh snapshots, the calendars, a checkpoint) written, and the time
  // base set to 1.
  virtual void convert_time_base(const std::vector<std::pair<std::int64_t, std::string>>& inputs, Batch& batch) = 0;

  // The instances matching a filter, from the checkpoint's tables (indexed),
  // in order, a page after the cursor.
  virtual QueryResult query(const QueryFilter& filter) = 0;
  // Every deployment, by id and version.
  virtual std::vector<DeploymentRecord> deployments() = 0;
  // The request ids recorded at `since` (local ISO time, compared as text)
  // or later; with `prune`, older ones are deleted first (kept 7 days).
  virtual std::vector<RequestRecord> requests(const std::string& since, bool prune) = 0;

  // Walks the whole hash chain of the event log (a read: nothing changes).
  virtual ChainCheck verify_chain() = 0;
  // A setting the database keeps so that it cannot drift between engines
  // (the local time offset ...); unset when never stored.
  virtual std::optional<std::int64_t> setting(const std::string& key) = 0;
  // Stores it (in its own transaction) when it is not stored yet.
  virtual void keep_setting(const std::string& key, std::int64_t value) = 0;
  // Stores it, replacing what was stored.
  virtual void put_setting(const std::string& key, std::int64_t value) = 0;
  // Every access token, revoked ones too, in the order created.
  virtual std::vector<TokenRecord> tokens() = 0;
  // Inserts the token, or replaces the row of its id (a revocation), in a
  // transaction of its own.
  virtual void put_token(const TokenRecord& token) = 0;
  // Every webhook, removed ones too, in the order added.
  virtual std::vector<WebhookRecord> webhooks() = 0;
  // Inserts the webhook or replaces the row of its id, in a transaction of its own.
  virtual void put_webhook(const WebhookRecord& hook) = 0;
};

// The hash of one event row chained to the previous row's hash (hex, 64
// characters; kChainGenesis before the first row): SHA-256 over the
// previous hash and the row's fields, each written as its byte length in
// decimal, ':', the bytes, ',' — seq, instance, time, actor, kind, action,
// step, from, to, note, material, detail, input (the raw blob; empty when
// none). Documented in docs/runtime.md so that anyone can recompute it.
extern const char* const kChainGenesis;
std::string chain_hash(const std::string& previous, const EventRecord& e, const std::string& input);

// Walks the chain of the database at `path` through a read-only connection.
ChainCheck verify_chain_file(const std::string& path);

// A consistent copy of `path` written to `out` (which must not exist) with
// SQLite's online backup API, also while an engine writes the database;
// then checked: integrity_check, and the copy's hash chain.
struct BackupCheck {
  std::int64_t events = 0, head_seq = 0;
  std::string head_hash;
};
BackupCheck backup_database(const std::string& path, const std::string& out);
// The database at `path` replaced by the backup `from`, after checking the
// backup the same way; refused while an engine holds `path`.
BackupCheck restore_database(const std::string& from, const std::string& path);

// Opens or creates a SQLite database in WAL mode, migrating older schemas.
// synchronous: "full" or "normal". The writer holds PATH.lock (an OS lock,
// released when the process ends however it ends), waiting up to
// lock_timeout_ms for another writer to finish. With read_only, nothing is
// locked or written: commit() and keep_setting() throw, and a database
// that needs a migration is refused.
std::unique_ptr<Store> open_sqlite_store(const std::string& path, const std::string& synchronous = "full",
                                         bool read_only = false, long lock_timeout_ms = 30000);

// Why `path` cannot be a database file ("" when it can): empty, in memory,
// or a URI. Such databases would keep nothing.
std::string unusable_database_path(const std::string& path);

}  // namespace jointreview::storage

// The live runtime: approval instances driven by the state machine on a
// Boost.Asio event loop, every change written durably to SQLite.
//
//   jointreview::EngineOptions o;
//   o.database = "jreview.db";
//   auto engine = jointreview::Engine::open(o);
//   std::string id = engine->start("workflows/four-certificates.yaml", "示例项目");
//   engine->act({id, "project_filing", "submit", "applicant"});
//
// Thread safety: every method may be called from any thread; calls are
// serialised on the engine's own event-loop thread, and an action returns
// only after its transaction has committed (group commit: actions that
// arrive together share one transaction). Subscriber callbacks run on the
// event-loop thread; they may call the engine (those calls run inline).
// Errors: jointreview::Error (error.h), never another exception type.
#pragma once

#include "jointreview/export.h"

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "jointreview/calendar.h"
#include "jointreview/event.h"
#include "jointreview/states.h"

namespace jointreview {

// Where the engine reads the time. Tests and simulations use FakeClock.
class JR_EXPORT Clock {
 public:
  using time_point = std::chrono::system_clock::time_point;
  virtual ~Clock() = default;
  virtual time_point now() const = 0;
};

JR_EXPORT std::shared_ptr<Clock> system_clock();

// A clock that moves only when told to. Thread-safe.
class JR_EXPORT FakeClock : public Clock {
 public:
  explicit FakeClock(time_point start);
  // "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM[:SS]" in the engine's local time (UTC+8 by default).
  static std::shared_ptr<FakeClock> at(const std::string& local_time, int utc_offset_minutes = 480);
  time_point now() const override;
  void set(time_point t);
  void advance(std::chrono::seconds d);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

struct EngineOptions {
  std::string database = "jreview.db";  // SQLite file; created if missing
  std::shared_ptr<Clock> clock;         // default: the system clock
  int utc_offset_minutes = 480;         // local time of the offices (China: UTC+8)
  CalendarOptions calendar;             // where calendars are found; fallback policy
  // Let the engine's own thread fire deadline timers as they fall due (true),
  // or only when fire_due_timers() is called and at open (false; the CLI).
  bool background_timers = true;
  std::size_t max_batch = 512;          // actions committed in one transaction at most
  // SQLite synchronous mode: "full" (default: every commit survives power
  // loss) or "normal" (WAL: survives a crash of the process, not of the OS).
  std::string synchronous = "full";
  // The current-state tables (instances, steps) are a checkpoint of the
  // event log: brought up to date this long after instances changed, sooner
  // once `checkpoint_instances` instances changed, and when the engine
  // closes. After a crash, open replays the log written since the last one.
  std::chrono::milliseconds checkpoint_interval{1000};
  std::size_t checkpoint_instances = 20000;
  // Open for reading only, beside an engine that may be running on the
  // database: nothing is written, no timer fires, start and act are
  // refused; the state is the checkpoint plus the log replayed in memory.
  bool read_only = false;
  // One engine writes a database at a time (a lock on DATABASE.lock, with
  // the holder's pid and host in it). Another engine waits this long for
  // it, then fails naming the holder. A short command (the CLI) takes its
  // turn within milliseconds of the first finishing.
  std::chrono::milliseconds lock_timeout{30000};
};

struct StepStatus {
  std::string id;
  std::string name;
  std::string state;                     // StepState name: blocked, ready, ..., approved
  std::string since;                     // local time (ISO 8601) it entered that state
  std::vector<std::string> departments;  // lead first
  std::string deadline;                  // date (YYYY-MM-DD) the current limit ends; "" when no clock ran
  bool deadline_provisional = false;     // that date lies in a provisional year of the calendar (an estimate)
  double days_used = 0;                  // working days consumed on the statutory clock
  double days_limit = 0;                 // promised limit
  bool warned = false;                   // yellow
  bool overdue = false;                  // red
  bool paused = false;                   // excluded period running
  std::string paused_until;              // its last working day (date); "" when none runs
  bool paused_until_provisional = false;
  std::string ground;                    // its ground: an ExclusionGround name ("auction" ...), or "declared"
  std::string exclusion_reason;          // in words: the declared period's reason, or 拍卖 (auction) ...
  double extended_days = 0;              // the extension granted (Art. 42), working days; 0 for none
  bool statutory_overdue = false;        // past the law's limit (statutory_days + extension): 违法超期
  double statutory_days = -1;            // the law's limit, working days; < 0 when the workflow gives none
  bool on_commitment = false;
  bool verification_pending = false;
  std::string verification_due;          // date the verification is due by, while pending
  bool verification_due_provisional = false;
  bool verification_overdue = false;     // the verification was not recorded by then (red)
  bool rectifying = false;               // ordered to rectify after a failed verification
  std::string rectify_due;               // date the rectification is due by, while rectifying
  bool review_required = false;          // a step it depends on was revoked: its department confirms or revokes
  bool material_overdue = false;         // issued before a deferred material (deferred_decision: issue) now past due
  bool contact_pending = false;          // 首退必联 task open
  bool contact_overdue = false;
  int rounds = 0;                        // returns so far
  int notices = 0;                       // correction notices sent to the applicant (one per return, Art. 32)
  bool repeat_notice = false;            // a second or later notice on this step (二次补正)
  std::vector<std::string> missing_materials;  // deferred, not yet supplied
  std::vector<std::string> reviews_pending;    // departments still to give their opinion
  struct ClaimStatus {
    std::string department;
    std::string staff;  // DEPT/ID
    std::string since;  // local ISO time
  };
  std::vector<ClaimStatus> claims;             // staff who took the step for their department (Engine::claim)
  StepState step_state = StepState::blocked;   // `state` as the enum
};

struct InstanceStatus {
  std::string instance;
  std::string workflow;       // workflow id
  std::string workflow_hash;  // content hash of the definition it runs
  std::string title;
  std::string project;
  std::string applicant;
  std::string state;          // running, completed, rejected, withdrawn, revoked
  bool green = false;
  std::string started;        // local time, ISO 8601
  std::string finished;       // "" while running
  std::string deadline;       // the project's promised limit on the project clock, a date; "" without
                              // time_limit or while the project clock does not run
  std::string clock_started;  // the project clock's start: the date of the first acceptance; "" before
  double counted_days = 0;    // working days on the project clock (while a step's clock runs)
  double elapsed_days = 0;    // working days since the first acceptance
  std::uint64_t version = 0;  // accepted changes so far (ActRequest::expected_version)
  std::string key;            // the business key it was started with, "" for none
  bool deadline_provisional = false;  // that date lies in a provisional year (an estimate)
  bool warned = false;
  bool overdue = false;
  std::vector<StepStatus> steps;
  InstanceState instance_state = InstanceState::running;  // `state` as the enum
};

struct ActRequest {
  std::string instance;
  std::string step;
  std::string action;    // submit, accept, approve, return, resubmit, reject, commit, supply,
                         // withdraw, verify, verify-failed, rectified, revoke, confirm, contact,
                         // exclude, resume, extend
  std::string actor;     // "applicant" (or "applicant:NAME"), a department name, or "DEPT/staff-id"
  std::string note;
  std::string material;  // supply: which deferred material
  double days = -1;      // exclude: length in working days (default: the declared period); extend: days
  std::string ground;    // exclude beyond the declared periods: the Art. 45 ground (hearing, tendering,
                         // auction, inspection, testing, quarantine, appraisal, expert_review)
  // Idempotency: a call retried with the same request id is answered with
  // the first outcome (done, or the same refusal) and writes nothing new.
  // Kept 7 days. A reused id must ask the same (instance, step, action,
  // actor), else Error(invalid_argument, reason "duplicate").
  std::string request_id;
  // Optimistic concurrency: when >= 0 and the instance's version differs,
  // Error(conflict, reason "conflict"), and nothing is logged.
  std::int64_t expected_version = -1;
  // The action as the enum, instead of `action` (Action::start: not given).
  // When both are given they must name the same action.
  Action verb = Action::start;
};

// What an accepted action (or claim) leaves: the instance's version after
// it, and whether the answer is the first outcome of a retried request id.
struct ActResult {
  std::uint64_t version = 0;
  bool repeated = false;
};

struct StartRequest {
  std::string workflow_file;  // a YAML file (loaded, validated and stored by content hash)
  std::string project;        // the project's name
  std::string applicant = "applicant";
  bool green = false;         // 绿色通道 (also when the workflow says priority: green)
  // A business key, unique per workflow id in the database (the platform's
  // case number): starting again with a key in use creates nothing and
  // answers the existing instance (StartResult::existed).
  std::string key;
  // Or a deployed workflow (Engine::deploy), when workflow_file is empty:
  // "ID" (its latest version), "ID@HASH" (that content hash) or "ID@vN"
  // (version N). Needs no file on disk.
  std::string workflow;
};

// A workflow version deployed into the database (Engine::deploy).
struct DeployedWorkflow {
  std::string id;        // workflow id
  int version = 0;       // 1, 2, ... per id, in the order deployed
  std::string hash;      // content hash of its texts
  std::string title;
  std::string deployed;  // local ISO time
  std::size_t running = 0;  // running instances of this version
  bool latest = false;   // the version a start by id alone uses
  bool existed = false;  // deploy(): the same texts were already the latest version; nothing was stored
};

// Engine::query: which instances, in which order, which page. Every field
// is optional (empty, or -1: any).
struct InstanceFilter {
  std::string state;       // running, completed, rejected, withdrawn, revoked
  std::string workflow;    // workflow id
  std::string project;     // a part of the project's name
  std::string applicant;   // the applicant's name
  std::string department;  // a department with work to do on it (to accept, review, verify, contact ...)
  // overdue, warned, statutory_overdue, repeat_notice, verification_overdue, verification_pending,
  // contact_overdue, material_overdue, review_required, rectifying, clock_stopped, extended, claimed,
  // waiting_on_applicant
  std::string flag;
  std::string started_from, started_to;    // dates YYYY-MM-DD, inclusive
  std::string finished_from, finished_to;
  int green = -1;                // 1: green channel only, 0: none of it
  std::string order = "started";  // or "deadline" (the project's; instances without one last)
  std::size_t limit = 50;        // 1 to 1000 a page
  std::string after;             // the `next` of the previous page ("" for the first)
};

struct InstanceSummary {
  std::string instance, project, workflow, applicant, state, started, finished;
  std::string deadline;  // the project's, "" for none
  std::string key;
  bool green = false;
  std::uint64_t version = 0;
  int approved = 0, total = 0;     // steps
  std::vector<std::string> flags;  // as InstanceFilter::flag names them
  InstanceState instance_state = InstanceState::running;  // `state` as the enum
};

struct InstancePage {
  std::vector<InstanceSummary> instances;
  std::string next;        // the cursor of the next page; "" when this is the last
  std::int64_t total = 0;  // instances matching the filter
};

struct StartResult {
  std::string instance;
  std::uint64_t version = 0;
  bool existed = false;  // the key was in use: nothing was created
};

using Subscriber = std::function<void(const EventRecord&)>;

struct EngineStats {
  std::uint64_t transactions = 0;     // committed
  std::uint64_t calls = 0;            // answered (queries included) after their batch committed
  std::uint64_t events = 0;           // log rows written
  std::uint64_t checkpoints = 0;      // committed with a checkpoint of the current-state tables
  std::uint64_t failed_transactions = 0;
  std::uint64_t replayed_inputs = 0;  // inputs replayed at open (logged after the last checkpoint)
  std::uint64_t rebuilt_instances = 0;  // instances whose snapshot this build could not read, rebuilt from their log (at open or read back)
  std::size_t instances = 0;          // in memory: running, or with a timer or a claim pending (not settled)
  std::size_t pending_checkpoint = 0; // instances changed since the last checkpoint
  // Settled instances (finished, nothing pending) are not held in memory:
  // how many were let go since open, and how many were read back for a call.
  std::uint64_t unloaded = 0;
  std::uint64_t loaded = 0;
  std::int64_t last_seq = 0;          // the seq of the last event committed (the feed's head)
};

// ---- a department's worklist (Engine::worklist)

// What a department has to do on a step.
enum class WorkTask : std::uint8_t {
  accept,            // the lead department: accept the submission, or return it with one notice
  review,            // give the department's opinion on an accepted step
  review_suspended,  // the same on a step suspended for missing deferred materials
  contact,           // 首退必联: the lead department contacts the applicant after a first return
  verify,            // 告知承诺: the lead department verifies a commitment, by its due date
  rectification,     // 告知承诺: a rectification was ordered; the lead finds it done (rectified) or revokes
  review_approval,   // a step it depended on was revoked: the lead confirms or revokes this approval
  collect_material,  // issued before a deferred material (deferred_decision: issue): collect it by its deadline
};
// "accept", "review", "review-suspended", "contact", "verify", "rectification", "review-approval",
// "collect-material".
JR_EXPORT const char* to_string(WorkTask t);
// What the task asks, as a clerk reads it: "review", "contact the applicant (首退必联)" ...
JR_EXPORT const char* describe(WorkTask t);

struct WorkItem {
  std::string instance;
  std::string project;
  std::string step;      // step id
  std::string name;      // step name
  WorkTask task = WorkTask::review;
  StepState state = StepState::blocked;
  std::string deadline;  // date the task's limit ends (review: the step's deadline; verify: the due date); "" for none
  bool deadline_provisional = false;  // that date lies in a provisional year (an estimate)
  std::string since;     // local time (ISO 8601) the step entered its state
  bool green = false;    // 绿色通道
  bool overdue = false;  // the step is red
  bool warned = false;   // the step is yellow
  bool statutory_overdue = false;  // past the law's limit (违法超期)
  std::string claimed_by;          // the staff member of the department who claimed the step, "" for none
  std::uint64_t version = 0;       // the instance's (ActRequest::expected_version)
};

struct Worklist {
  std::string department;
  bool known = false;  // some instance has a step this department handles
  // Priority order: green channel first, then overdue, then by deadline
  // (items without one last), then by the time the step entered its state.
  std::vector<WorkItem> items;
};

// ---- the Friday dispatch report, 周调度 (Engine::weekly_report)

struct ReportStep {  // a step in progress (submitted, accepted, returned, suspended)
  std::string step, name;
  StepState state = StepState::blocked;
  std::string deadline;
  bool deadline_provisional = false;
};

struct ReportProject {
  std::string instance, project, workflow;
  InstanceState state = InstanceState::running;
  bool green = false;
  int approved = 0;            // steps approved so far
  int total = 0;               // steps
  int approved_this_week = 0;  // approvals dated in the week
  std::string promised_by;     // the project's deadline, "" without time_limit
  bool promised_by_provisional = false;
  bool project_overdue = false, project_warned = false;
  std::vector<ReportStep> in_progress;
};

struct ReportItem {  // an open step that is red or yellow, an overdue contact task, or a stopped clock
  enum class Kind : std::uint8_t { overdue, warned, contact_overdue, stopped };
  Kind kind = Kind::overdue;
  std::string instance, project, step, name;
  std::string department;  // the lead
  StepState state = StepState::blocked;
  std::string deadline;
  bool deadline_provisional = false;
  double days_used = 0, days_limit = 0;
  bool statutory_overdue = false;  // past the law's limit too (违法超期)
  // A stopped clock (Kind::stopped): the excluded period's ground, its
  // words, and its last working day.
  std::string ground, exclusion_reason, paused_until;
  bool paused_until_provisional = false;
};

struct DepartmentLoad {
  std::string department;
  int open = 0;                // steps waiting on it (to accept or to review)
  int overdue = 0;             // of which red
  int approved_this_week = 0;  // steps of its approved in the week
  int returned_this_week = 0;  // steps of its returned in the week
  int repeat_notices_this_week = 0;  // second or later notices (二次补正) it took part in, in the week
};

struct WeeklyReport {
  std::string week;            // ISO week, YYYY-Www
  std::string from, to;        // its Monday and Sunday
  std::string friday;
  std::vector<ReportProject> projects;  // every instance, by id
  std::vector<ReportItem> overdue;      // red items, then overdue contact tasks, by instance
  std::vector<ReportItem> warned;       // yellow items
  std::vector<ReportItem> stopped;      // steps whose clock an excluded period stops (Art. 45), by instance
  std::vector<DepartmentLoad> departments;  // every department of every instance, by name
};

// The JSON forms used by `jreview status/events --format json` and the C API.
// status: {"instance", "workflow", "workflow_hash", "title", "project", "applicant", "key", "version",
//          "state", "green", "started", "finished", "deadline", "deadline_provisional", "warned", "overdue",
//          "progress": {"approved", "total"},
//          "steps": [{"id", "name", "state", "since", "department" (the lead), "departments",
//                     "deadline", "deadline_provisional", "days_used", "days_limit", "warned", "overdue",
//                     "paused", "paused_until", "paused_until_provisional", "ground", "exclusion_reason",
//                     "extended_days", "statutory_days", "statutory_overdue",
//                     "on_commitment", "verification_pending", "verification_due",
//                     "verification_due_provisional",
//                     "contact_pending", "contact_overdue", "rounds", "notices", "repeat_notice",
//                     "missing_materials", "reviews_pending", "claims": [{"department", "staff", "since"}]}]}
// events: [{"seq", "instance", "time", "actor", "kind", "action", "step", "from", "to",
//           "note", "material", "detail"}]
JR_EXPORT std::string status_json(const InstanceStatus& s, int indent = 2);
JR_EXPORT std::string statuses_json(const std::vector<InstanceStatus>& all, int indent = 2);
JR_EXPORT std::string events_json(const std::vector<EventRecord>& events, int indent = 2);
// worklist: [{"instance", "project", "step", "name", "task" (describe()), "state", "deadline", "since",
//             "green", "overdue", "warned", "statutory_overdue", "claimed_by" (or null), "version"}]
// weekly report: {"week", "from", "to", "friday",
//   "projects": [{"instance", "project", "workflow", "state", "green", "approved", "total",
//                 "approved_this_week", "promised_by", "project_overdue", "project_warned",
//                 "in_progress": [{"step", "name", "state", "deadline"}]}],
//   "overdue"/"warned"/"stopped": [{"instance", "project", "step", "name", "department", "state", "deadline",
//                         "days_used", "days_limit", "statutory_overdue"; stopped also "ground",
//                         "exclusion_reason", "paused_until", "paused_until_provisional"}],
//   "departments": [{"department", "open", "overdue", "approved_this_week", "returned_this_week",
//                    "repeat_notices_this_week"}]}
// (an overdue contact task's "state" reads "contact task overdue (首退必联)").
JR_EXPORT std::string worklist_json(const Worklist& w, int indent = 2);
// list: {"instances": [{"instance", "project", "workflow", "state", "progress": {"approved", "total"},
//          "deadline", "flags": [...], "applicant", "green", "started", "finished", "key", "version"}],
//        "next": CURSOR or null, "total": N}
JR_EXPORT std::string instance_page_json(const InstancePage& page, int indent = 2);
// deployed: {"id", "version", "hash", "title", "deployed", "running", "latest", "existed"}; the list: an array.
JR_EXPORT std::string deployed_json(const DeployedWorkflow& w, int indent = 2);
JR_EXPORT std::string deployed_list_json(const std::vector<DeployedWorkflow>& all, int indent = 2);
JR_EXPORT std::string weekly_report_json(const WeeklyReport& r, int indent = 2);

// A working-day calendar the database holds (docs/calendar.md#the-database-
// holds-its-calendars): its instances count with this copy, wherever the
// program runs, until Engine::update_calendar() replaces it.
struct StoredCalendar {
  std::string id;
  std::string version;              // data version (`version:` of the file)
  std::string name;                 // human title
  std::string source;               // the file it was read from
  std::string stored;               // when it was stored (UTC, "YYYY-MM-DD HH:MM:SS")
  int first_year = 0, last_year = 0;  // the published years
  int provisional_until = 0;        // the last year counted provisionally (last_year when none)
  std::vector<std::string> versions;  // every version the database has held, oldest first
  std::size_t instances = 0;        // instances that count with it
  std::size_t running = 0;          // of which running
};

// A deadline that a calendar update moved (CalendarUpdate::changes).
struct DeadlineChange {
  std::string instance;
  std::string step;   // step id; "" for the project's deadline
  std::string what;   // "deadline", "verification due", "contact task due", "excluded period ends"
  std::string from, to;  // dates (YYYY-MM-DD); "" when there was none
  bool from_provisional = false, to_provisional = false;
};

// What Engine::update_calendar() did.
struct CalendarUpdate {
  std::string id;
  std::string old_version, new_version;
  bool changed = false;       // false: the database already held exactly this version
  std::size_t instances = 0;  // running instances re-derived: one `calendar-changed` event each
  std::vector<DeadlineChange> changes;
};

// JSON forms (jreview calendar list/update --format json, the C API):
// calendars: [{"id", "version", "name", "source", "stored", "first_year", "last_year",
//              "provisional_until", "versions", "instances", "running"}]
// update: {"id", "old_version", "new_version", "changed", "instances",
//          "changes": [{"instance", "step", "what", "from", "from_provisional", "to", "to_provisional"}]}
JR_EXPORT std::string stored_calendars_json(const std::vector<StoredCalendar>& calendars, int indent = 2);
JR_EXPORT std::string calendar_update_json(const CalendarUpdate& update, int indent = 2);

// The audit trail's hash chain (docs/runtime.md#the-audit-trails-hash-chain):
// every event row carries a SHA-256 over its content and the previous row's
// hash. Walking it proves that no row before the head was altered, removed
// or inserted; the head (seq, hash), recorded elsewhere, proves that
// nothing was cut off the end.
struct AuditCheck {
  bool ok = true;
  std::int64_t events = 0;    // rows walked
  std::int64_t head_seq = 0;  // the last row that verified (0: none)
  std::string head_hash;      // its hash, hex; 64 zeros for an empty trail
  std::int64_t bad_seq = 0;   // the first row that does not verify (0 when ok)
  std::string problem;        // what is wrong with it
};
// Walks the chain of the database at `database` (read-only; nothing is
// changed, no timer fires). Throws Error(storage) when it cannot be read.
JR_EXPORT AuditCheck verify_audit_trail(const std::string& database);
// JSON: {"ok", "events", "head_seq", "head_hash", "bad_seq", "problem"}
// (bad_seq and problem null when ok).
JR_EXPORT std::string audit_check_json(const AuditCheck& check, int indent = 2);

// Online backup (docs/runtime.md#backup-and-restore): a consistent copy of
// `database` written to `out` (a new file), also while an engine writes the
// database, then checked (SQLite's integrity_check and the copy's hash
// chain). Restore replaces `database` by a checked backup; it is refused
// while an engine holds the database. Both throw Error (storage,
// invalid_argument) with the reason, and leave no half-written file.
struct BackupResult {
  std::int64_t events = 0;    // event rows in the copy
  std::int64_t head_seq = 0;  // its last row
  std::string head_hash;      // and that row's hash
};
JR_EXPORT BackupResult backup_database(const std::string& database, const std::string& out);
JR_EXPORT BackupResult restore_database(const std::string& backup, const std::string& database);

// ---- access tokens (jreview serve; docs/serve.md#identity)

// Who a token acts as, by the form of its actor name:
//   department  "住建局"                 acts as the department
//   staff       "住建局/张三"            acts as a staff member of the department
//   applicant   "applicant:NAME"         acts as the applicant NAME, on its own instances only
//   steward     "steward:NAME"           a project steward (项目管家): reads everything, starts instances
//   supervisor  "supervisor[:NAME]"      reads everything, acts on nothing
//   admin       "admin[:NAME]"           deploys workflows, manages tokens, reads everything
enum class ActorKind : std::uint8_t { department, staff, applicant, steward, supervisor, admin };
// "department", "staff", "applicant", "steward", "supervisor", "admin".
JR_EXPORT const char* to_string(ActorKind k);
// The kind of an actor name as above. Throws Error(invalid_argument, reason
// "bad_actor") for a name of none of these forms (empty, a bare "applicant",
// "steward:" without a name, spaces around it, a control character ...).
JR_EXPORT ActorKind actor_kind(const std::string& actor);

struct AccessToken {
  std::string id;        // "tk_" + 12 hex digits: names the token in lists and revoke; not a secret
  std::string actor;     // who the token acts as
  std::string name;      // what it is for, in words
  std::string created;   // local ISO time
  std::string expires;   // the last day it is valid (YYYY-MM-DD), "" for never
  std::string revoked;   // local ISO time, "" while not revoked
  ActorKind kind = ActorKind::department;
  bool active = false;   // neither revoked nor expired (at the engine's today())
};

// What Engine::add_token returns: the token, and its secret, which the
// database does not keep (only its SHA-256) and which is not shown again.
struct NewToken {
  AccessToken token;
  std::string secret;  // "jrt_" + 48 hex digits: the bearer token
};

// JSON: {"id", "actor", "kind", "name", "created", "expires" (or null), "revoked" (or null), "active"};
// the list: an array.
JR_EXPORT std::string access_token_json(const AccessToken& t, int indent = 2);
JR_EXPORT std::string access_tokens_json(const std::vector<AccessToken>& all, int indent = 2);

// ---- webhooks (jreview serve delivers them; docs/serve.md#webhooks)

struct Webhook {
  std::string id;                  // "wh_" + 12 hex digits
  std::string url;                 // http://HOST[:PORT]/PATH
  std::vector<std::string> kinds;  // event kinds delivered (EventRecord::kind); empty: every kind
  std::string secret;              // the HMAC-SHA256 key of its signatures
  std::string created;             // local ISO time
  std::string removed;             // local ISO time, "" while in use
  std::int64_t delivered_seq = 0;  // every matching event up to this seq was delivered (acknowledged 2xx)
  std::int64_t failures = 0;       // failed attempts since the last delivery
  std::string last_error;          // the last failure, "" after a delivery
  std::string last_attempt;        // UTC ISO time of the last attempt, "" before any
};
// JSON: {"id", "url", "kinds", "created", "removed" (or null), "delivered_seq", "failures", "last_error"
// (or null), "last_attempt" (or null)}, and "secret" only when `with_secret`; the list: an array, no secrets.
JR_EXPORT std::string webhook_json(const Webhook& h, bool with_secret = false, int indent = 2);
JR_EXPORT std::string webhooks_json(const std::vector<Webhook>& all, int indent = 2);

class JR_EXPORT Engine {
 public:
  // Opens (or creates) the database, migrates its schema, re-arms timers
  // and fires those missed while closed. Throws Error.
  static std::unique_ptr<Engine> open(const EngineOptions& options = {});
  virtual ~Engine() = default;

  // Starts an instance; returns its id. Throws Error(invalid_workflow) with
  // the loader's FILE:LINE:COLUMN messages when the file does not load.
  virtual std::string start(const StartRequest& request) = 0;
  std::string start(const std::string& workflow_file, const std::string& project) {
    StartRequest r;
    r.workflow_file = workflow_file;
    r.project = project;
    return start(r);
  }

  // start() with the whole answer: the id, its version, and whether a
  // business key in use answered an existing instance.
  virtual StartResult start_instance(const StartRequest& request) = 0;

  // Applies one action. A refusal throws Error(refused / forbidden /
  // not_found) saying why; the refusal is logged; nothing else changes.
  // Error::reason() says why in a word (docs/embedding.md#error-reasons).
  virtual void act(const ActRequest& request) = 0;
  // act() with the answer: the instance's version after the action.
  virtual ActResult apply(const ActRequest& request) = 0;

  // Deployed workflows: the texts of a workflow (its file and includes) and
  // its calendar stored in the database as the next version of its id, so
  // that instances start from the database alone (StartRequest::workflow).
  // Deploying the texts of the latest version again stores nothing
  // (existed). Throws Error(invalid_workflow) with the loader's
  // FILE:LINE:COLUMN messages when the workflow does not load.
  virtual DeployedWorkflow deploy(const std::string& workflow_file) = 0;
  // The same from texts: `files` maps names to texts (the main file and
  // what it includes, by the names its includes use), `main` names the main
  // one.
  virtual DeployedWorkflow deploy_texts(const std::map<std::string, std::string>& files, const std::string& main) = 0;
  // Every deployed version, by id and version.
  virtual std::vector<DeployedWorkflow> workflows() = 0;

  // The instances a filter selects, a page at a time, answered from the
  // database's indexed tables (brought up to date first), not by looking
  // at every instance. Paging by `after` in the start order sees every
  // match exactly once while instances change (new ones come at the end);
  // in deadline order an instance whose deadline moves meanwhile may be
  // seen again or missed.
  virtual InstancePage query(const InstanceFilter& filter) = 0;

  // Claims: a department's staff member (actor "DEPT/ID") takes a step the
  // department handles, so that only they act on it for the department
  // (another actor of the department gets Error(conflict, reason
  // "claimed") naming the claimer, and nothing is logged) until they
  // release it or the step is decided. A claim already held by the same
  // actor is answered as it is; release is for the claimer.
  virtual ActResult claim(const std::string& instance, const std::string& step, const std::string& actor) = 0;
  virtual ActResult release(const std::string& instance, const std::string& step, const std::string& actor) = 0;

  // Asynchronous start() and act(), for callers that keep many calls in
  // flight without a thread for each (a gateway, a bulk import): they
  // return at once, and `done` runs on the engine's thread once the call is
  // durable, with the error the blocking form would have thrown, or null.
  // Calls in flight together share transactions (group commit). `done`
  // must not block; it may call the engine (asynchronous calls are queued,
  // blocking ones run inline). What it throws is ignored.
  using StartDone = std::function<void(const std::string& instance, std::exception_ptr error)>;
  using ActDone = std::function<void(std::exception_ptr error)>;
  virtual void start_async(const StartRequest& request, StartDone done) = 0;
  virtual void act_async(const ActRequest& request, ActDone done) = 0;

  // The same with the whole answer (a gateway answering with the version):
  // start_instance(), apply(), claim() and release(), asynchronously.
  // `claim` true claims, false releases.
  using StartResultDone = std::function<void(const StartResult& result, std::exception_ptr error)>;
  using ActResultDone = std::function<void(const ActResult& result, std::exception_ptr error)>;
  virtual void start_instance_async(const StartRequest& request, StartResultDone done) = 0;
  virtual void apply_async(const ActRequest& request, ActResultDone done) = 0;
  virtual void claim_async(const std::string& instance, const std::string& step, const std::string& actor, bool claim,
                           ActResultDone done) = 0;

  // One instance, held or settled (a settled one is read from its row).
  virtual InstanceStatus status(const std::string& instance) = 0;
  // Every instance of the database, by id: settled ones are read from their
  // rows, so this costs the whole history; query() pages instead.
  virtual std::vector<InstanceStatus> instances() = 0;
  virtual std::vector<EventRecord> events(const std::string& instance) = 0;

  // Calls `fn` for every event recorded after this call, after its commit,
  // on the engine's thread (a slow `fn` holds up every caller). Returns a
  // token for unsubscribe().
  virtual int subscribe(Subscriber fn) = 0;
  // A durable subscription: `fn` gets every event with a seq above
  // `after_seq` (0: from the first), in seq order, each once: first those
  // already in the database (including what the engine fired when it
  // opened), then each new one after its commit. It runs on a thread of its
  // own that reads the log from the database, so a slow subscriber only
  // falls behind (it never stalls the engine or other subscribers, and its
  // memory is one page of rows). A forwarder that restarts subscribes again
  // with the last seq it handled. What `fn` throws is ignored. Delivery
  // ends at unsubscribe() or when the engine closes.
  virtual int subscribe(Subscriber fn, std::int64_t after_seq) = 0;
  virtual void unsubscribe(int token) = 0;
  // The events of every instance with a seq above `after_seq`, in seq
  // order, at most `limit` (at most 10000).
  virtual std::vector<EventRecord> events_since(std::int64_t after_seq, std::size_t limit = 1000) = 0;

  // Fires every timer due at the clock's current time (for FakeClock users).
  virtual void fire_due_timers() = 0;

  // The local date of the clock's now, and the working-day calendar in use.
  virtual std::string today() = 0;

  // Counters since open, for monitoring (docs/runtime.md).
  virtual EngineStats stats() = 0;

  // What `department` has to do now, in priority order (docs/runtime.md#worklists).
  virtual Worklist worklist(const std::string& department) = 0;

  // The Friday dispatch report of an ISO week ("YYYY-Www"; "" for the week
  // of today()). Throws Error(invalid_argument) for a malformed week.
  virtual WeeklyReport weekly_report(const std::string& week) = 0;

  // The calendars the database holds, by id.
  virtual std::vector<StoredCalendar> calendars() = 0;

  // Replaces the database's copy of a calendar with the one in `file`, a
  // newer data version of the same id: every pending deadline of every
  // running instance that counts with it is derived again with the new
  // data, and each such instance gets one `calendar-changed` event (the
  // old and new version, each deadline that moved). Refused
  // (Error(refused)) for an id the database does not hold, an older
  // version, or the same version with different data; the same version
  // with the same data changes nothing (CalendarUpdate::changed false).
  // Error(invalid_argument) with FILE:LINE:COLUMN for a file that does not
  // parse. docs/runtime.md#calendar-updates.
  virtual CalendarUpdate update_calendar(const std::string& file) = 0;

  // Access tokens (docs/serve.md#identity). add_token stores a new token
  // for `actor` (actor_kind() must accept it), named `name`, valid through
  // `expires` (YYYY-MM-DD, today or later; "" for never); durable when it
  // returns. Throws Error(invalid_argument) with reason "bad_actor" or
  // "bad_value", and on a read-only engine "read_only".
  virtual NewToken add_token(const std::string& actor, const std::string& name, const std::string& expires) = 0;
  // Every token, revoked and expired ones too, in the order created.
  virtual std::vector<AccessToken> tokens() = 0;
  // Revokes a token by id, for good; revoking it again changes nothing.
  // Error(not_found, reason "unknown_token") for an id the database does
  // not hold.
  virtual AccessToken revoke_token(const std::string& id) = 0;
  // The active token whose secret this is, or nothing (unknown, revoked,
  // expired). From any thread; it does not wait for the event loop.
  virtual std::optional<AccessToken> authenticate(const std::string& secret) = 0;

  // Webhooks. add_webhook stores a hook for `url` (http://, a host, an
  // optional port, a path) and the event kinds it gets (empty: all), signed
  // with `secret` ("" : a new random one, 32 hex digits); its delivery
  // starts after the feed's last event (delivered_seq = the head), or
  // after `from_seq` when that is >= 0. Error(invalid_argument, "bad_value")
  // for a bad URL or kind. Durable when it returns.
  virtual Webhook add_webhook(const std::string& url, const std::vector<std::string>& kinds, const std::string& secret,
                              std::int64_t from_seq = -1) = 0;
  // Every hook, removed ones too, in the order added.
  virtual std::vector<Webhook> webhooks() = 0;
  // Removes a hook for good (Error(not_found, "unknown_webhook")).
  virtual Webhook remove_webhook(const std::string& id) = 0;
  // What the deliverer records: the hook's progress and its last failure.
  virtual void record_webhook(const std::string& id, std::int64_t delivered_seq, std::int64_t failures,
                              const std::string& last_error, const std::string& last_attempt) = 0;
};

}  // namespace jointreview

/*
 * jointreview.h: the C API of JointReview, for embedding the engine in
 * programs written in C, or in Java, Python, Go ... through their C FFI.
 *
 * One header, plain C (C99), no C++ types. docs/embedding.md is the guide;
 * this header is the contract. The rules, once for every function below:
 *
 *  - Names: every function, type and macro starts with jr_ / JR_.
 *  - Handles are opaque (jr_engine, jr_workflow, jr_engine_options,
 *    jr_error). Each has one destroy function, and every destroy function
 *    accepts NULL and does nothing then.
 *  - Strings in: UTF-8, passed as (pointer, length in bytes). A length of
 *    JR_NTS means "NUL-terminated, measure it". A NULL pointer means an
 *    absent value (where the parameter says it is optional), whatever the
 *    length.
 *  - Strings out: two kinds, and each function says which.
 *      * char** out + size_t* out_len: a new NUL-terminated buffer the CALLER
 *        frees with jr_string_free(). out_len may be NULL. On failure *out is
 *        set to NULL.
 *      * const char* return values: owned by the library; they live as long
 *        as the handle they come from (or forever for jr_version() and
 *        jr_status_name()). Never free them.
 *  - Errors: functions that can fail return a jr_status (JR_OK == 0) and
 *    take a last parameter jr_error** err. When err is not NULL and the call
 *    fails, *err receives a new jr_error that the caller frees with
 *    jr_error_free(); on success *err is set to NULL. Pass NULL to get the
 *    code only. No C++ exception ever leaves this API.
 *  - Threads: a jr_engine may be used from any number of threads at once
 *    (calls are serialised on the engine's own thread). A jr_workflow is
 *    immutable after loading: its functions may run concurrently. A
 *    jr_engine_options is for one thread at a time. jr_error and returned
 *    strings belong to whoever received them.
 *  - ABI: the library only grows. New functions are added; existing
 *    signatures, enum values and JSON field names never change meaning.
 */
#ifndef JOINTREVIEW_JOINTREVIEW_H
#define JOINTREVIEW_JOINTREVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "jointreview/export.h"

/* Every function of the C API is exported (JR_EXPORT, export.h). */
#define JR_API JR_EXPORT

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header belongs to; jr_version() gives the library's. */
#define JR_VERSION_MAJOR 0
#define JR_VERSION_MINOR 1
#define JR_VERSION_PATCH 0
/* The same as one number, MAJOR * 1000000 + MINOR * 1000 + PATCH (0.1.0 is
   1000), for comparisons: compare it with jr_version_number() at run time. */
#define JR_VERSION_NUMBER (JR_VERSION_MAJOR * 1000000 + JR_VERSION_MINOR * 1000 + JR_VERSION_PATCH)

/* Length value meaning "the string is NUL-terminated". */
#define JR_NTS ((size_t)-1)

/* ------------------------------------------------------------ status codes */

/* Codes 1..7 and 11 are the C++ jointreview::Error codes, same numbers. */
typedef enum jr_status {
  JR_OK = 0,
  JR_INVALID_ARGUMENT = 1,  /* malformed input: a date, a name, a NULL handle */
  JR_NOT_FOUND = 2,         /* unknown instance, step, calendar, file */
  JR_OUT_OF_RANGE = 3,      /* a date outside the years a calendar covers */
  JR_REFUSED = 4,           /* an action the rules do not allow now */
  JR_FORBIDDEN = 5,         /* an actor acting on what is not theirs */
  JR_STORAGE = 6,           /* the database failed */
  JR_INVALID_WORKFLOW = 7,  /* a workflow that does not load (see diagnostics) */
  JR_UNSUPPORTED = 8,       /* not available in this build or with these options */
  JR_NO_MEMORY = 9,         /* allocation failed */
  JR_INTERNAL = 10,         /* a bug: an unexpected exception inside the library */
  JR_CONFLICT = 11          /* the instance changed since it was read (an expected version), or another
                               clerk claimed the step: read it again */
} jr_status;

typedef struct jr_error jr_error;
typedef struct jr_workflow jr_workflow;
typedef struct jr_engine_options jr_engine_options;
typedef struct jr_engine jr_engine;

/* The library version, "MAJOR.MINOR.PATCH". Static string, never freed. */
JR_API const char* jr_version(void);

/* The library version as one number (see JR_VERSION_NUMBER): what a program
   checks before it calls a function newer than the oldest library it
   supports. */
JR_API int jr_version_number(void);

/* The name of a code ("ok", "refused", ...); "unknown" for other values.
   Static string, never freed. */
JR_API const char* jr_status_name(jr_status code);

/* ------------------------------------------------------------------ errors */

/* The code of an error (JR_INVALID_ARGUMENT for NULL). */
JR_API jr_status jr_error_code(const jr_error* err);
/* The message, UTF-8, NUL-terminated; *len (if len is not NULL) receives its
   length in bytes. Owned by err: valid until jr_error_free(err). Returns ""
   for NULL. For JR_INVALID_WORKFLOW from jr_engine_start it holds every
   "FILE:LINE:COLUMN: error: ..." line of the file. */
JR_API const char* jr_error_message(const jr_error* err, size_t* len);
/* Why, in one machine-readable word (snake_case): "wrong_state",
   "wrong_actor", "blocked", "conflict", "claimed", "duplicate",
   "calendar_range" ... (docs/embedding.md#error-reasons); the code's name
   (jr_status_name) when the library gives no finer reason. Owned by err;
   "invalid_argument" for NULL. */
JR_API const char* jr_error_reason(const jr_error* err);
/* Frees an error; NULL is allowed. */
JR_API void jr_error_free(jr_error* err);

/* Frees a string this library returned through a char** parameter; NULL is
   allowed. Never pass it anything else. */
JR_API void jr_string_free(char* s);

/* --------------------------------------------------------------- workflows */

/* Flags for jr_workflow_load_*. */
#define JR_LOAD_NO_WARNINGS 1u /* do not report warnings (errors only) */

/* Loads and validates a workflow file.
   On JR_OK, *out is a loaded workflow (possibly with warnings).
   On JR_INVALID_WORKFLOW, *out is ALSO set: a handle that holds only the
   diagnostics (jr_workflow_ok() is 0); read them with the
   jr_workflow_diagnostic_* functions. A missing or unreadable file is
   reported this way too, as a diagnostic.
   In both cases free *out with jr_workflow_free(). On any other code *out
   is NULL. */
JR_API jr_status jr_workflow_load_file(const char* path, size_t path_len, unsigned flags,
                                       jr_workflow** out, jr_error** err);

/* The same from text. `name` (optional) is the file name used in messages
   and the folder `includes:` are resolved against; default "workflow.yaml". */
JR_API jr_status jr_workflow_load_string(const char* text, size_t text_len, const char* name,
                                         size_t name_len, unsigned flags, jr_workflow** out,
                                         jr_error** err);

/* Frees a workflow; NULL is allowed. */
JR_API void jr_workflow_free(jr_workflow* wf);

/* 1 when the workflow loaded without errors, 0 otherwise (or for NULL). */
JR_API int jr_workflow_ok(const jr_workflow* wf);

/* Id (the `workflow:` key), title and file of a loaded workflow; "" when it
   did not load. Owned by wf. len may be NULL. */
JR_API const char* jr_workflow_id(const jr_workflow* wf, size_t* len);
JR_API const char* jr_workflow_title(const jr_workflow* wf, size_t* len);
JR_API const char* jr_workflow_file(const jr_workflow* wf, size_t* len);
/* Number of steps (0 when it did not load); the id of step i (declared
   order; "" when i is out of range). */
JR_API size_t jr_workflow_step_count(const jr_workflow* wf);
JR_API const char* jr_workflow_step_id(const jr_workflow* wf, size_t i, size_t* len);

/* Diagnostics: errors and warnings, sorted by file, line and column. */
typedef enum jr_severity { JR_SEVERITY_ERROR = 0, JR_SEVERITY_WARNING = 1 } jr_severity;

JR_API size_t jr_workflow_diagnostic_count(const jr_workflow* wf);
/* For i >= count these return JR_SEVERITY_ERROR, 0 and "". */
JR_API jr_severity jr_workflow_diagnostic_severity(const jr_workflow* wf, size_t i);
JR_API int jr_workflow_diagnostic_line(const jr_workflow* wf, size_t i);   /* 1-based; 0 = unknown */
JR_API int jr_workflow_diagnostic_column(const jr_workflow* wf, size_t i); /* 1-based; 0 = unknown */
/* Owned by wf; len may be NULL. */
JR_API const char* jr_workflow_diagnostic_file(const jr_workflow* wf, size_t i, size_t* len);
JR_API const char* jr_workflow_diagnostic_message(const jr_workflow* wf, size_t i, size_t* len);
JR_API const char* jr_workflow_diagnostic_hint(const jr_workflow* wf, size_t i, size_t* len);
/* The whole line, "FILE:LINE:COLUMN: error: message; hint". */
JR_API const char* jr_workflow_diagnostic_text(const jr_workflow* wf, size_t i, size_t* len);

/* Plans a loaded workflow: waves, earliest/latest times, critical path.
   start_date (optional, "YYYY-MM-DD"): the acceptance date, to add dates on
   the workflow's working-day calendar. format (optional): "json" (default),
   "table", "dot", "mermaid", "svg" or "html", as `jreview plan --format`.
   *out: caller frees with jr_string_free(). */
JR_API jr_status jr_workflow_plan(const jr_workflow* wf, const char* start_date, size_t start_date_len,
                                  const char* format, size_t format_len, char** out, size_t* out_len,
                                  jr_error** err);

/* Simulates many projects running the workflow (Monte Carlo on the same
   state machine as the live engine, on a virtual clock). options_json
   (optional) is a JSON object; docs/embedding.md lists its keys
   (replications, seed, threads, start, ...). *out: the simulator's JSON
   report; caller frees with jr_string_free(). JR_UNSUPPORTED when the
   library was built without the simulator. */
JR_API jr_status jr_workflow_simulate(const jr_workflow* wf, const char* options_json, size_t options_len,
                                      char** out, size_t* out_len, jr_error** err);

/* ---------------------------------------------------------- engine options */

/* A new set of options with every default (see each setter). NULL only when
   out of memory. Free with jr_engine_options_free(). */
JR_API jr_engine_options* jr_engine_options_create(void);
JR_API void jr_engine_options_free(jr_engine_options* options);

/* The setters copy their strings and return JR_INVALID_ARGUMENT for a NULL
   options handle; values are checked by jr_engine_open(). */

/* SQLite file, created if missing. Default "jreview.db". */
JR_API jr_status jr_engine_options_set_database(jr_engine_options* options, const char* path, size_t len);
/* A fake clock that stands at local_time ("YYYY-MM-DD" or
   "YYYY-MM-DDTHH:MM[:SS]", the offices' local time) and moves only through
   jr_engine_set_clock() / jr_engine_advance_clock(). NULL: the system clock
   (default). */
JR_API jr_status jr_engine_options_set_clock(jr_engine_options* options, const char* local_time, size_t len);
/* Local time of the offices in minutes east of UTC. Default 480 (UTC+8). */
JR_API jr_status jr_engine_options_set_utc_offset(jr_engine_options* options, int minutes);
/* 1 (default): the engine's thread fires deadline timers as they fall due.
   0: only at open and in jr_engine_fire_due_timers(). */
JR_API jr_status jr_engine_options_set_background_timers(jr_engine_options* options, int enabled);
/* SQLite durability: "full" (default) or "normal". */
JR_API jr_status jr_engine_options_set_synchronous(jr_engine_options* options, const char* mode, size_t len);
/* Adds a folder searched for calendar files (ID.yaml), before the bundled
   calendars. Default: none. */
JR_API jr_status jr_engine_options_add_calendar_dir(jr_engine_options* options, const char* dir, size_t len);
/* 1: outside a calendar's years count weekends only (with a warning);
   0 (default): such dates are an error (JR_OUT_OF_RANGE). */
JR_API jr_status jr_engine_options_set_weekend_fallback(jr_engine_options* options, int enabled);
/* 1: no provisional years: a time after a calendar's published years is an
   error (JR_OUT_OF_RANGE) unless the weekend fallback is on; 0 (default):
   such years are counted with weekends and the statutory holidays, and
   every date in them is marked provisional in the JSON ("..._provisional"). */
JR_API jr_status jr_engine_options_set_strict_calendar(jr_engine_options* options, int enabled);

/* ------------------------------------------------------------------ engine */

/* Opens (or creates) the database, migrates it, re-arms timers and fires
   those missed while closed. options may be NULL (all defaults); it is not
   kept: free it whenever you like. On success *out is the engine; close it
   with jr_engine_close(). */
JR_API jr_status jr_engine_open(const jr_engine_options* options, jr_engine** out, jr_error** err);

/* Stops the engine's thread and closes the database; NULL is allowed. No
   callback runs after it returns. Must not be called from a callback. */
JR_API void jr_engine_close(jr_engine* engine);

/* Starts an instance of the workflow in workflow_file for a project.
   applicant (optional): the applicant's name, default "applicant".
   green: nonzero for the green channel (绿色通道).
   *instance_id: the new instance's id; caller frees with jr_string_free().
   JR_INVALID_WORKFLOW (message: every FILE:LINE:COLUMN line) when the file
   does not load. */
JR_API jr_status jr_engine_start(jr_engine* engine, const char* workflow_file, size_t workflow_file_len,
                                 const char* project, size_t project_len, const char* applicant,
                                 size_t applicant_len, int green, char** instance_id, size_t* instance_id_len,
                                 jr_error** err);

/* Applies one action and returns after it has been committed to disk.
   action: submit, accept, approve, return, resubmit, reject, commit, supply,
   withdraw, verify, verify-failed, contact, exclude, resume, extend.
   actor: "applicant", a department's name, or "DEPT/staff-id".
   note, material (optional): a remark; for supply, which deferred material;
   for return, the items of the consolidated notice; for extend, the reason.
   days: for exclude, the period in working days, < 0 for the declared one;
   for extend, the extension. An excluded period beyond the declared ones
   needs its Art. 45 ground: jr_engine_exclude.
   A refusal returns JR_REFUSED / JR_FORBIDDEN / JR_NOT_FOUND saying why,
   and is logged in the audit trail; nothing else changes. */
JR_API jr_status jr_engine_act(jr_engine* engine, const char* instance_id, size_t instance_id_len,
                               const char* step, size_t step_len, const char* action, size_t action_len,
                               const char* actor, size_t actor_len, const char* note, size_t note_len,
                               const char* material, size_t material_len, double days, jr_error** err);

/* An excluded period on a ground of Art. 45 of 行政许可法: ground is one of
   hearing, tendering, auction, inspection, testing, quarantine, appraisal,
   expert_review; days its length; note (required) what the applicant is told.
   Otherwise as jr_engine_act with action "exclude" (docs/state-machine.md#excluded-time). */
JR_API jr_status jr_engine_exclude(jr_engine* engine, const char* instance_id, size_t instance_id_len,
                                   const char* step, size_t step_len, const char* actor, size_t actor_len,
                                   double days, const char* ground, size_t ground_len, const char* note,
                                   size_t note_len, jr_error** err);

/* Asynchronous forms of jr_engine_start and jr_engine_act, for a caller that
   keeps many calls in flight without a thread for each: they return at once
   (JR_OK, or JR_INVALID_ARGUMENT for a NULL argument, when `done` is never
   called) and `done` is called exactly once, on the engine's thread, when the
   call is durable or has failed: status is JR_OK or the code the blocking
   form would return; text is the new instance id (start) or "" (act) on
   success, else the reason; text is NUL-terminated and valid only during the
   call. Calls are answered in the order they were made, so a blocking call
   made after them returns after their callbacks ran. The callback may call
   the engine (except jr_engine_close); it must return quickly. */
typedef void (*jr_done_callback)(jr_status status, const char* text, size_t text_len, void* user_data);
JR_API jr_status jr_engine_start_async(jr_engine* engine, const char* workflow_file, size_t workflow_file_len,
                                       const char* project, size_t project_len, const char* applicant,
                                       size_t applicant_len, int green, jr_done_callback done, void* user_data,
                                       jr_error** err);
JR_API jr_status jr_engine_act_async(jr_engine* engine, const char* instance_id, size_t instance_id_len,
                                     const char* step, size_t step_len, const char* action, size_t action_len,
                                     const char* actor, size_t actor_len, const char* note, size_t note_len,
                                     const char* material, size_t material_len, double days, jr_done_callback done,
                                     void* user_data, jr_error** err);

/* The state of an instance as a JSON object (docs/embedding.md).
   *out: caller frees with jr_string_free(). */
JR_API jr_status jr_engine_status(jr_engine* engine, const char* instance_id, size_t instance_id_len,
                                  char** out, size_t* out_len, jr_error** err);

/* Every instance as a JSON array of status objects. Caller frees *out. */
JR_API jr_status jr_engine_instances(jr_engine* engine, char** out, size_t* out_len, jr_error** err);

/* The audit trail of an instance, oldest first, as a JSON array of event
   objects (docs/embedding.md). Caller frees *out. */
JR_API jr_status jr_engine_events(jr_engine* engine, const char* instance_id, size_t instance_id_len,
                                  char** out, size_t* out_len, jr_error** err);

/* A department's worklist, in priority order (green channel first, then
   overdue, then by deadline), as a JSON array of items {"instance",
   "project", "step", "name", "task", "state", "deadline", "since", "green",
   "overdue", "warned"}: what `jreview queue DEPT --format json` prints.
   Caller frees *out. */
JR_API jr_status jr_engine_worklist(jr_engine* engine, const char* department, size_t department_len, char** out,
                                    size_t* out_len, jr_error** err);

/* The Friday dispatch report (周调度) of an ISO week, "YYYY-Www" (NULL or
   empty: the week of jr_engine_today()), as the JSON object `jreview report
   --format json` prints. A malformed week is JR_INVALID_ARGUMENT. Caller
   frees *out. */
JR_API jr_status jr_engine_weekly_report(jr_engine* engine, const char* week, size_t week_len, char** out,
                                         size_t* out_len, jr_error** err);

/* The calendars the database holds (docs/calendar.md#the-database-holds-its-
   calendars), as the JSON array `jreview calendar list --db DB --format json`
   prints. Caller frees *out. */
JR_API jr_status jr_engine_calendars(jr_engine* engine, char** out, size_t* out_len, jr_error** err);

/* Walks the audit trail's hash chain of the database at `database`
   (docs/runtime.md#the-audit-trails-hash-chain) through a read-only
   connection; also while an engine runs on it. *out: the JSON object
   `jreview audit verify --format json` prints ({"ok", "events", "head_seq",
   "head_hash", "bad_seq", "problem"}); a broken chain is JR_OK with
   "ok": false. A database that cannot be read is JR_STORAGE. Caller frees *out. */
JR_API jr_status jr_audit_verify(const char* database, size_t database_len, char** out, size_t* out_len,
                                 jr_error** err);

/* Replaces the database's copy of a calendar with the newer version in the
   file at `file` and derives every pending deadline of its running
   instances again (one calendar-changed event each); *out is the JSON object
   `jreview calendar update FILE --format json` prints. JR_REFUSED for an id
   the database does not hold, an older version, or the same version with
   other data; JR_INVALID_ARGUMENT (FILE:LINE:COLUMN) for a file that does
   not parse. Caller frees *out. */
JR_API jr_status jr_engine_update_calendar(jr_engine* engine, const char* file, size_t file_len, char** out,
                                           size_t* out_len, jr_error** err);

/* Called once for every event recorded after subscribing, after its commit,
   on the engine's thread. event_json is one event object, NUL-terminated,
   valid only during the call (copy what you keep). The callback may call
   the engine (except jr_engine_close); it must return quickly. */
typedef void (*jr_event_callback)(const char* event_json, size_t event_json_len, void* user_data);

/* Registers a callback; *token identifies it for jr_engine_unsubscribe().
   user_data is passed back untouched; the library never frees it. */
JR_API jr_status jr_engine_subscribe(jr_engine* engine, jr_event_callback callback, void* user_data,
                                     int* token, jr_error** err);
/* After it returns the callback is not called again (unless it is running
   on the engine's thread at that moment, when called from another thread). */
JR_API jr_status jr_engine_unsubscribe(jr_engine* engine, int token, jr_error** err);

/* A durable subscription: the callback gets every event with a seq above
   after_seq (0: from the first), in seq order, each once: those already in
   the database first (including what the engine fired when it opened),
   then each new one after its commit. It runs on a thread of its own that
   reads the log from the database, so a slow callback only falls behind; it
   stalls neither the engine nor other subscribers. A forwarder that
   restarts subscribes again with the last "seq" it handled. Ends with
   jr_engine_unsubscribe(*token) (which may be called from the callback) or
   jr_engine_close(). */
JR_API jr_status jr_engine_subscribe_from(jr_engine* engine, int64_t after_seq, jr_event_callback callback,
                                          void* user_data, int* token, jr_error** err);

/* Every instance's events with a seq above after_seq, in seq order, at
   most limit (1..10000; 0 means 1000), as a JSON array of event objects.
   Caller frees *out. */
JR_API jr_status jr_engine_events_since(jr_engine* engine, int64_t after_seq, size_t limit, char** out,
                                        size_t* out_len, jr_error** err);

/* ------------------------------------------------------ request objects */

/* A start request, for the options jr_engine_start does not take (a
   business key). One thread at a time; free with jr_start_request_free. */
typedef struct jr_start_request jr_start_request;
JR_API jr_status jr_start_request_create(jr_start_request** out, jr_error** err);
JR_API void jr_start_request_free(jr_start_request* request);
JR_API jr_status jr_start_request_set_workflow_file(jr_start_request* r, const char* path, size_t len);
JR_API jr_status jr_start_request_set_project(jr_start_request* r, const char* project, size_t len);
JR_API jr_status jr_start_request_set_applicant(jr_start_request* r, const char* applicant, size_t len);
JR_API jr_status jr_start_request_set_green(jr_start_request* r, int green);
/* A business key, unique per workflow id: starting with a key in use starts
   nothing and answers the existing instance (*existed = 1). */
JR_API jr_status jr_start_request_set_key(jr_start_request* r, const char* key, size_t len);
/* A deployed workflow instead of a file (jr_engine_deploy): "ID" (its
   latest version), "ID@HASH" or "ID@vN". Used when no workflow file is set. */
JR_API jr_status jr_start_request_set_workflow(jr_start_request* r, const char* ref, size_t len);
/* Starts as described; *instance_id (caller frees), *version and *existed
   (each may be NULL) receive the answer. */
JR_API jr_status jr_engine_start_request(jr_engine* engine, const jr_start_request* request, char** instance_id,
                                         size_t* instance_id_len, uint64_t* version, int* existed, jr_error** err);

/* An action request: every field of jr_engine_act and jr_engine_exclude,
   plus a request id and an expected version. */
typedef struct jr_act_request jr_act_request;
JR_API jr_status jr_act_request_create(jr_act_request** out, jr_error** err);
JR_API void jr_act_request_free(jr_act_request* request);
JR_API jr_status jr_act_request_set_instance(jr_act_request* r, const char* instance_id, size_t len);
JR_API jr_status jr_act_request_set_step(jr_act_request* r, const char* step, size_t len);
JR_API jr_status jr_act_request_set_action(jr_act_request* r, const char* action, size_t len);
JR_API jr_status jr_act_request_set_actor(jr_act_request* r, const char* actor, size_t len);
JR_API jr_status jr_act_request_set_note(jr_act_request* r, const char* note, size_t len);
JR_API jr_status jr_act_request_set_material(jr_act_request* r, const char* material, size_t len);
JR_API jr_status jr_act_request_set_days(jr_act_request* r, double days);
JR_API jr_status jr_act_request_set_ground(jr_act_request* r, const char* ground, size_t len);
/* Idempotency: a retry with the same id is answered with the first outcome
   (the same success, or the same error) and writes nothing (*repeated = 1). */
JR_API jr_status jr_act_request_set_request_id(jr_act_request* r, const char* id, size_t len);
/* Optimistic concurrency: >= 0, the instance's version ("version" in its
   status) the caller read; another one gives JR_CONFLICT and logs nothing.
   -1 (default): no check. */
JR_API jr_status jr_act_request_set_expected_version(jr_act_request* r, int64_t version);
/* Applies the action; *version (the instance's after it) and *repeated may
   be NULL. */
JR_API jr_status jr_engine_apply(jr_engine* engine, const jr_act_request* request, uint64_t* version,
                                 int* repeated, jr_error** err);

/* Deployed workflows (docs/runtime.md#deployed-workflows): stores the
   workflow in workflow_file (its texts and calendar) as the next version of
   its id; *out (caller frees) is {"id", "version", "hash", "title",
   "deployed", "running", "latest", "existed"} ("existed": true when these
   texts were the latest version already: nothing stored).
   JR_INVALID_WORKFLOW with every FILE:LINE:COLUMN line when it does not load. */
JR_API jr_status jr_engine_deploy(jr_engine* engine, const char* workflow_file, size_t workflow_file_len, char** out,
                                  size_t* out_len, jr_error** err);
/* The same from texts: texts_json is {"files": {"NAME": "TEXT", ...},
   "main": "NAME"} (the main file and its includes, by the names its
   includes use). */
JR_API jr_status jr_engine_deploy_texts(jr_engine* engine, const char* texts_json, size_t texts_json_len, char** out,
                                        size_t* out_len, jr_error** err);
/* Every deployed version, a JSON array of the objects above. Caller frees *out. */
JR_API jr_status jr_engine_workflows(jr_engine* engine, char** out, size_t* out_len, jr_error** err);

/* The instances a filter selects, a page at a time (docs/runtime.md#queries).
   filter_json (NULL or "{}": every instance) may hold "state", "workflow",
   "project" (a part of the name), "applicant", "department", "flag",
   "started_from", "started_to", "finished_from", "finished_to" (dates),
   "green" (true/false), "order" ("started" or "deadline"), "limit" (1..1000)
   and "after" (the "next" of the previous page). *out: {"instances": [...],
   "next": CURSOR or null, "total": N}, what `jreview list --format json`
   prints. Caller frees *out. */
JR_API jr_status jr_engine_query(jr_engine* engine, const char* filter_json, size_t filter_json_len, char** out,
                                 size_t* out_len, jr_error** err);

/* Claims: a staff member ("DEPT/ID") takes a step their department
   handles, so that only they act on it for the department (others get
   JR_CONFLICT, reason "claimed") until jr_engine_release or its decision.
   *version (may be NULL): the instance's version after it. */
JR_API jr_status jr_engine_claim(jr_engine* engine, const char* instance_id, size_t instance_id_len,
                                 const char* step, size_t step_len, const char* actor, size_t actor_len,
                                 uint64_t* version, jr_error** err);
JR_API jr_status jr_engine_release(jr_engine* engine, const char* instance_id, size_t instance_id_len,
                                   const char* step, size_t step_len, const char* actor, size_t actor_len,
                                   uint64_t* version, jr_error** err);

/* Counters since open, as a JSON object: {"transactions", "calls", "events",
   "checkpoints", "failed_transactions", "replayed_inputs", "instances",
   "pending_checkpoint"} (docs/runtime.md). Caller frees *out. */
JR_API jr_status jr_engine_stats(jr_engine* engine, char** out, size_t* out_len, jr_error** err);

/* Fires every timer due at the clock's current time (warnings, overdue
   marks, verification dates ...). */
JR_API jr_status jr_engine_fire_due_timers(jr_engine* engine, jr_error** err);

/* The local date of the engine's clock, "YYYY-MM-DD". Caller frees *out. */
JR_API jr_status jr_engine_today(jr_engine* engine, char** out, size_t* out_len, jr_error** err);

/* Fake clock only (jr_engine_options_set_clock); JR_UNSUPPORTED otherwise.
   Moving the clock does not fire timers: call jr_engine_fire_due_timers()
   (or let background timers do it). */
JR_API jr_status jr_engine_set_clock(jr_engine* engine, const char* local_time, size_t len, jr_error** err);
JR_API jr_status jr_engine_advance_clock(jr_engine* engine, int64_t seconds, jr_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* JOINTREVIEW_JOINTREVIEW_H */

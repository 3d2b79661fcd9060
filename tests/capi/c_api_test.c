/* The C API (jointreview.h) exercised from plain C, compiled as C11.
 *
 *   c_api_test SOURCE_DIR SCRATCH_DIR
 *
 * SOURCE_DIR: the repository (workflows/, tests/bad/); SCRATCH_DIR: a folder
 * for the test's databases. Every check prints FILE:LINE and what failed; the
 * exit status is the number of failed checks (capped at 100). */
#define _POSIX_C_SOURCE 200809L /* nanosleep */
#include <jointreview/jointreview.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int failures = 0;
static const char* source_dir;
static const char* scratch_dir;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

static char* path_in(const char* dir, const char* rel) {
  size_t n = strlen(dir) + strlen(rel) + 2;
  char* p = malloc(n);
  snprintf(p, n, "%s/%s", dir, rel);
  return p;
}

static int contains(const char* haystack, const char* needle) {
  return haystack != NULL && strstr(haystack, needle) != NULL;
}

/* Reports a failed call with its error message. */
static int ok_or_report(jr_status st, jr_error* err, const char* what, int line) {
  if (st == JR_OK) {
    if (err != NULL) {
      fprintf(stderr, "%s:%d: %s: JR_OK but an error object was set\n", __FILE__, line, what);
      ++failures;
    }
    return 1;
  }
  fprintf(stderr, "%s:%d: %s failed: %s: %s\n", __FILE__, line, what, jr_status_name(st), jr_error_message(err, NULL));
  ++failures;
  jr_error_free(err);
  return 0;
}
/* The call runs first (a comma sequences it), then err is read. */
static jr_status last_status;
#define OK(call_expr) (last_status = (call_expr), ok_or_report(last_status, err, #call_expr, __LINE__))

/* ---------------------------------------------------------------- version */

static void test_version(void) {
  char expected[64];
  snprintf(expected, sizeof expected, "%d.%d.%d", JR_VERSION_MAJOR, JR_VERSION_MINOR, JR_VERSION_PATCH);
  CHECK(strcmp(jr_version(), expected) == 0);
  CHECK(jr_version_number() == JR_VERSION_NUMBER);
  CHECK(jr_version_number() == JR_VERSION_MAJOR * 1000000 + JR_VERSION_MINOR * 1000 + JR_VERSION_PATCH);
  CHECK(strcmp(jr_status_name(JR_OK), "ok") == 0);
  CHECK(strcmp(jr_status_name(JR_REFUSED), "refused") == 0);
  CHECK(strcmp(jr_status_name(JR_INVALID_WORKFLOW), "invalid_workflow") == 0);
  CHECK(strcmp(jr_status_name((jr_status)999), "unknown") == 0);
  /* Every destroy function accepts NULL. */
  jr_error_free(NULL);
  jr_string_free(NULL);
  jr_workflow_free(NULL);
  jr_engine_options_free(NULL);
  jr_engine_close(NULL);
  CHECK(jr_error_code(NULL) == JR_INVALID_ARGUMENT);
  CHECK(strcmp(jr_error_message(NULL, NULL), "") == 0);
}

/* ------------------------------------------------------------- workflows */

static void test_load_file_and_plan(void) {
  jr_error* err = NULL;
  jr_workflow* wf = NULL;
  char* file = path_in(source_dir, "workflows/four-certificates.yaml");
  if (OK(jr_workflow_load_file(file, JR_NTS, 0, &wf, &err))) {
    size_t len = 0;
    CHECK(jr_workflow_ok(wf) == 1);
    CHECK(strcmp(jr_workflow_id(wf, &len), "four-certificates") == 0);
    CHECK(len == strlen("four-certificates"));
    CHECK(contains(jr_workflow_title(wf, NULL), "四证"));
    CHECK(contains(jr_workflow_file(wf, NULL), "four-certificates.yaml"));
    CHECK(jr_workflow_step_count(wf) == 11);
    CHECK(strcmp(jr_workflow_step_id(wf, 0, NULL), "filing") == 0);
    CHECK(strcmp(jr_workflow_step_id(wf, 10, NULL), "construction_permit") == 0);
    CHECK(strcmp(jr_workflow_step_id(wf, 11, NULL), "") == 0);
    for (size_t i = 0; i < jr_workflow_diagnostic_count(wf); ++i)
      CHECK(jr_workflow_diagnostic_severity(wf, i) == JR_SEVERITY_WARNING);

    /* plan: JSON by default; with the applicant's preparation and the 30-day
       auction the longest chain takes 68 working days, of which the project
       clock counts 38. */
    char* json = NULL;
    size_t json_len = 0;
    if (OK(jr_workflow_plan(wf, NULL, 0, NULL, 0, &json, &json_len, &err))) {
      CHECK(json_len == strlen(json));
      CHECK(json[0] == '{');
      CHECK(contains(json, "\"four-certificates\""));
      CHECK(contains(json, "\"total_days\": 68"));
      CHECK(contains(json, "\"counted_days\": 38"));
      CHECK(!contains(json, "\"start_date\": \"2025"));
      jr_string_free(json);
    }
    /* with a start date (a length, not NUL-terminated) */
    json = NULL;
    if (OK(jr_workflow_plan(wf, "2025-03-03 and more", 10, "json", JR_NTS, &json, NULL, &err))) {
      CHECK(contains(json, "2025-03-03"));
      jr_string_free(json);
    }
    json = NULL;
    if (OK(jr_workflow_plan(wf, NULL, 0, "dot", 3, &json, NULL, &err))) {
      CHECK(strncmp(json, "digraph", 7) == 0);
      jr_string_free(json);
    }
    /* a bad format and a bad date are errors with messages */
    json = (char*)1;
    jr_status st = jr_workflow_plan(wf, NULL, 0, "pdf", JR_NTS, &json, NULL, &err);
    CHECK(st == JR_INVALID_ARGUMENT);
    CHECK(json == NULL);
    CHECK(err != NULL && jr_error_code(err) == JR_INVALID_ARGUMENT);
    CHECK(contains(jr_error_message(err, NULL), "pdf"));
    jr_error_free(err);
    err = NULL;
    st = jr_workflow_plan(wf, "2025-02-30", JR_NTS, NULL, 0, &json, NULL, &err);
    CHECK(st == JR_INVALID_ARGUMENT);
    CHECK(err != NULL && strlen(jr_error_message(err, NULL)) > 0);
    jr_error_free(err);
    err = NULL;
    /* without an error object, the code alone */
    CHECK(jr_workflow_plan(wf, "1999-01-04", JR_NTS, NULL, 0, &json, NULL, NULL) == JR_OUT_OF_RANGE);
  }
  jr_workflow_free(wf);
  free(file);
}

/* The golden message of a corpus file, read from tests/bad/NAME.expected. */
static void test_load_errors(void) {
  jr_error* err = NULL;
  jr_workflow* wf = NULL;
  char* file = path_in(source_dir, "tests/bad/after-itself.yaml");
  jr_status st = jr_workflow_load_file(file, JR_NTS, 0, &wf, &err);
  CHECK(st == JR_INVALID_WORKFLOW);
  CHECK(err != NULL && jr_error_code(err) == JR_INVALID_WORKFLOW);
  CHECK(contains(jr_error_message(err, NULL), "cannot come after itself"));
  jr_error_free(err);
  err = NULL;
  CHECK(wf != NULL);
  if (wf) {
    CHECK(jr_workflow_ok(wf) == 0);
    CHECK(jr_workflow_step_count(wf) == 0);
    CHECK(strcmp(jr_workflow_id(wf, NULL), "") == 0);
    CHECK(jr_workflow_diagnostic_count(wf) == 1);
    CHECK(jr_workflow_diagnostic_severity(wf, 0) == JR_SEVERITY_ERROR);
    CHECK(jr_workflow_diagnostic_line(wf, 0) == 6);
    CHECK(jr_workflow_diagnostic_column(wf, 0) == 13);
    CHECK(contains(jr_workflow_diagnostic_file(wf, 0, NULL), "after-itself.yaml"));
    CHECK(strcmp(jr_workflow_diagnostic_message(wf, 0, NULL), "step 'filing' cannot come after itself") == 0);
    CHECK(strcmp(jr_workflow_diagnostic_hint(wf, 0, NULL), "remove it from 'after'") == 0);
    CHECK(contains(jr_workflow_diagnostic_text(wf, 0, NULL),
                   "after-itself.yaml:6:13: error: step 'filing' cannot come after itself; remove it from 'after'"));
    /* out of range: neutral values */
    CHECK(jr_workflow_diagnostic_line(wf, 5) == 0);
    CHECK(strcmp(jr_workflow_diagnostic_text(wf, 5, NULL), "") == 0);
    /* planning a workflow that did not load is an error, not a crash */
    char* json = NULL;
    CHECK(jr_workflow_plan(wf, NULL, 0, NULL, 0, &json, NULL, NULL) == JR_INVALID_WORKFLOW);
    CHECK(json == NULL);
  }
  jr_workflow_free(wf);
  free(file);

  /* from a string: two errors in one run, positions in the given name */
  const char* text =
      "workflow: two-errors\n"
      "steps:\n"
      "  - id: a\n"
      "    department: X\n"
      "    days: -1\n"
      "  - id: b\n"
      "    department: X\n"
      "    days: 1\n"
      "    after: [nope]\n";
  wf = NULL;
  st = jr_workflow_load_string(text, strlen(text), "mem/two.yaml", JR_NTS, 0, &wf, &err);
  CHECK(st == JR_INVALID_WORKFLOW);
  CHECK(contains(jr_error_message(err, NULL), "(and 1 more)"));
  jr_error_free(err);
  err = NULL;
  CHECK(wf != NULL && jr_workflow_diagnostic_count(wf) >= 2);
  if (wf && jr_workflow_diagnostic_count(wf) >= 2) {
    CHECK(strcmp(jr_workflow_diagnostic_file(wf, 0, NULL), "mem/two.yaml") == 0);
    CHECK(jr_workflow_diagnostic_line(wf, 0) == 5);
    CHECK(jr_workflow_diagnostic_line(wf, 1) == 9);
    CHECK(contains(jr_workflow_diagnostic_text(wf, 1, NULL), "mem/two.yaml:9:"));
  }
  jr_workflow_free(wf);

  /* a missing file is a diagnostic too */
  wf = NULL;
  st = jr_workflow_load_file("/nonexistent/dir/x.yaml", JR_NTS, 0, &wf, NULL);
  CHECK(st == JR_INVALID_WORKFLOW);
  CHECK(wf != NULL && jr_workflow_diagnostic_count(wf) >= 1);
  jr_workflow_free(wf);

  /* warnings: reported unless switched off */
  const char* warn_text =
      "workflow: warn\n"
      "steps:\n"
      "  - id: a\n"
      "    department: X\n"
      "    days: 1\n"
      "    produces: [doc]\n"
      "  - id: b\n"
      "    department: X\n"
      "    days: 1\n"
      "    needs: [doc]\n"
      "    after: [a]\n";
  wf = NULL;
  if (OK(jr_workflow_load_string(warn_text, JR_NTS, NULL, 0, 0, &wf, &err))) {
    CHECK(jr_workflow_ok(wf));
    CHECK(jr_workflow_diagnostic_count(wf) >= 1);
    CHECK(jr_workflow_diagnostic_severity(wf, 0) == JR_SEVERITY_WARNING);
    CHECK(contains(jr_workflow_diagnostic_file(wf, 0, NULL), "workflow.yaml"));
  }
  jr_workflow_free(wf);
  wf = NULL;
  if (OK(jr_workflow_load_string(warn_text, JR_NTS, NULL, 0, JR_LOAD_NO_WARNINGS, &wf, &err)))
    CHECK(jr_workflow_diagnostic_count(wf) == 0);
  jr_workflow_free(wf);

  /* bad arguments */
  CHECK(jr_workflow_load_file(NULL, 0, 0, &wf, NULL) == JR_INVALID_ARGUMENT);
  CHECK(jr_workflow_load_file("x.yaml", JR_NTS, 0, NULL, &err) == JR_INVALID_ARGUMENT);
  CHECK(contains(jr_error_message(err, NULL), "out"));
  jr_error_free(err);
  err = NULL;
  CHECK(jr_workflow_plan(NULL, NULL, 0, NULL, 0, (char**)&wf, NULL, NULL) == JR_INVALID_ARGUMENT);
}

static void test_simulate(void) {
  jr_error* err = NULL;
  jr_workflow* wf = NULL;
  char* file = path_in(source_dir, "workflows/four-certificates.yaml");
  if (OK(jr_workflow_load_file(file, JR_NTS, JR_LOAD_NO_WARNINGS, &wf, &err))) {
    char* a = NULL;
    char* b = NULL;
    const char* opts = "{\"runs\": 300, \"seed\": 7, \"threads\": 1, \"trace_median\": false}";
    if (OK(jr_workflow_simulate(wf, opts, JR_NTS, &a, NULL, &err)) &&
        OK(jr_workflow_simulate(wf, "{\"runs\": 300, \"seed\": 7, \"threads\": 2, \"trace_median\": false}",
                                JR_NTS, &b, NULL, &err))) {
      CHECK(a[0] == '{');
      CHECK(contains(a, "four-certificates"));
      CHECK(contains(a, "300"));
      /* the same seed gives the same numbers whatever the thread count */
      const char* pa = strstr(a, "\"p90_days\"");
      const char* pb = strstr(b, "\"p90_days\"");
      CHECK(pa != NULL && pb != NULL);
      if (pa && pb) CHECK(strncmp(pa, pb, 30) == 0);
    }
    jr_string_free(a);
    jr_string_free(b);
    /* overdue_share is counted unless asked not to */
    a = NULL;
    if (OK(jr_workflow_simulate(wf, "{\"runs\": 50, \"count_overdue\": false, \"trace_median\": false}", JR_NTS, &a,
                                NULL, &err))) {
      CHECK(contains(a, "\"overdue_share\": null"));
    }
    jr_string_free(a);
    a = NULL;
    if (OK(jr_workflow_simulate(wf, "{\"runs\": 50, \"trace_median\": false}", JR_NTS, &a, NULL, &err))) {
      CHECK(contains(a, "\"overdue_share\": "));
      CHECK(!contains(a, "\"overdue_share\": null"));
    }
    jr_string_free(a);
    /* finish dates past the calendar: null, or weekends-only estimates when asked */
    a = NULL;
    if (OK(jr_workflow_simulate(wf,
                                "{\"runs\": 50, \"start\": \"2026-12-01\", \"trace_median\": false, "
                                "\"strict_calendar\": true}",
                                JR_NTS, &a, NULL, &err))) {
      CHECK(contains(a, "\"p50_finish_date\": null"));
      CHECK(contains(a, "\"calendar_last_day\": \"2026-12-31\""));
      CHECK(contains(a, "\"weekend_fallback_after\": null"));
    }
    jr_string_free(a);
    a = NULL;
    if (OK(jr_workflow_simulate(wf,
                                "{\"runs\": 50, \"start\": \"2026-12-01\", \"trace_median\": false, "
                                "\"weekend_fallback\": true, \"strict_calendar\": true}",
                                JR_NTS, &a, NULL, &err))) {
      CHECK(contains(a, "\"p50_finish_date\": \"2027-"));
      CHECK(contains(a, "\"weekend_fallback_after\": \"2026-12-31\""));
    }
    jr_string_free(a);
    /* by default, provisional: the statutory holidays counted, the dates marked */
    a = NULL;
    if (OK(jr_workflow_simulate(wf, "{\"runs\": 50, \"start\": \"2026-12-01\", \"trace_median\": false}", JR_NTS,
                                &a, NULL, &err))) {
      CHECK(contains(a, "\"p50_finish_date\": \"2027-"));
      CHECK(contains(a, "\"provisional_after\": \"2026-12-31\""));
      CHECK(contains(a, "\"p50_finish_provisional\": true"));
      CHECK(contains(a, "\"weekend_fallback_after\": null"));
    }
    jr_string_free(a);
    char* out = NULL;
    jr_status st = jr_workflow_simulate(wf, "{\"runs\": 0}", JR_NTS, &out, NULL, &err);
    CHECK(st == JR_INVALID_ARGUMENT && out == NULL);
    jr_error_free(err);
    err = NULL;
    st = jr_workflow_simulate(wf, "{\"weekend_fallback\": 1}", JR_NTS, &out, NULL, &err);
    CHECK(st == JR_INVALID_ARGUMENT && out == NULL);
    CHECK(contains(jr_error_message(err, NULL), "simulation options: weekend_fallback must be true or false"));
    jr_error_free(err);
    err = NULL;
    st = jr_workflow_simulate(wf, "{\"rnus\": 5}", JR_NTS, &out, NULL, &err);
    CHECK(st == JR_INVALID_ARGUMENT);
    CHECK(contains(jr_error_message(err, NULL), "rnus"));
    jr_error_free(err);
    err = NULL;
    st = jr_workflow_simulate(wf, "{runs", JR_NTS, &out, NULL, &err);
    CHECK(st == JR_INVALID_ARGUMENT);
    CHECK(contains(jr_error_message(err, NULL), "JSON"));
    jr_error_free(err);
    err = NULL;
  }
  jr_workflow_free(wf);
  free(file);
}

/* ---------------------------------------------------------------- engine */

struct seen_events {
  int count;
  int approvals;
  char last_step[64];
};

static void on_event(const char* json, size_t len, void* user_data) {
  struct seen_events* s = user_data;
  if (len != strlen(json)) return; /* the length must match: counted as missing */
  if (json[0] != '{') return;
  s->count++;
  if (contains(json, "\"to\":\"approved\"")) s->approvals++;
  const char* p = strstr(json, "\"step\":\"");
  if (p) {
    p += 8;
    size_t n = 0;
    while (p[n] && p[n] != '"' && n + 1 < sizeof s->last_step) ++n;
    memcpy(s->last_step, p, n);
    s->last_step[n] = '\0';
  }
}

static int act(jr_engine* e, const char* id, const char* step, const char* action, const char* actor) {
  jr_error* err = NULL;
  jr_status st = jr_engine_act(e, id, JR_NTS, step, JR_NTS, action, JR_NTS, actor, JR_NTS, NULL, 0, NULL, 0, -1, &err);
  return ok_or_report(st, err, action, __LINE__);
}

struct async_seen {
  int ok, refused, other;
  char id[64];
};

static void on_done(jr_status status, const char* text, size_t len, void* user_data) {
  struct async_seen* s = user_data;
  if (len != strlen(text)) {
    s->other++;
    return;
  }
  if (status == JR_OK) {
    s->ok++;
    if (len > 0 && len < sizeof s->id) memcpy(s->id, text, len + 1);
  } else if ((status == JR_REFUSED || status == JR_FORBIDDEN) && len > 0) {
    s->refused++;
  } else {
    s->other++;
  }
}

static void test_engine(void) {
  jr_error* err = NULL;
  char* db = path_in(scratch_dir, "c_api_test.db");
  remove(db);
  char* file = path_in(source_dir, "workflows/four-certificates.yaml");

  jr_engine_options* o = jr_engine_options_create();
  CHECK(o != NULL);
  CHECK(jr_engine_options_set_database(o, db, JR_NTS) == JR_OK);
  CHECK(jr_engine_options_set_clock(o, "2025-03-03T09:00xx", 16) == JR_OK);
  CHECK(jr_engine_options_set_background_timers(o, 0) == JR_OK);
  CHECK(jr_engine_options_set_synchronous(o, "normal", JR_NTS) == JR_OK);
  CHECK(jr_engine_options_set_database(NULL, db, JR_NTS) == JR_INVALID_ARGUMENT);
  CHECK(jr_engine_options_add_calendar_dir(o, NULL, 0) == JR_INVALID_ARGUMENT);
  char* calendars = path_in(source_dir, "workflows/calendars");
  CHECK(jr_engine_options_add_calendar_dir(o, calendars, JR_NTS) == JR_OK);
  free(calendars);
  CHECK(jr_engine_options_set_weekend_fallback(o, 0) == JR_OK);
  CHECK(jr_engine_options_set_utc_offset(o, 480) == JR_OK);
  CHECK(jr_engine_options_set_utc_offset(NULL, 480) == JR_INVALID_ARGUMENT);

  jr_engine* e = NULL;
  if (!OK(jr_engine_open(o, &e, &err))) {
    jr_engine_options_free(o);
    free(db);
    free(file);
    return;
  }
  jr_engine_options_free(o); /* the engine keeps no pointer to it */

  char* today = NULL;
  if (OK(jr_engine_today(e, &today, NULL, &err))) CHECK(strcmp(today, "2025-03-03") == 0);
  jr_string_free(today);

  struct seen_events seen = {0, 0, ""};
  int token = -1;
  OK(jr_engine_subscribe(e, on_event, &seen, &token, &err));

  char* id = NULL;
  size_t id_len = 0;
  if (OK(jr_engine_start(e, file, JR_NTS, "示例厂房项目", JR_NTS, NULL, 0, 0, &id, &id_len, &err))) {
    CHECK(id_len == strlen(id) && id_len > 0);

    /* filing: submitted online, accepted and approved by one department */
    act(e, id, "filing", "submit", "applicant");
    act(e, id, "filing", "accept", "发展改革委");
    act(e, id, "filing", "approve", "发展改革委");

    char* status = NULL;
    if (OK(jr_engine_status(e, id, id_len, &status, NULL, &err))) {
      CHECK(status[0] == '{');
      CHECK(contains(status, "\"instance\":\""));
      CHECK(contains(status, "\"workflow\":\"four-certificates\""));
      CHECK(contains(status, "\"project\":\"示例厂房项目\""));
      CHECK(contains(status, "\"state\":\"running\""));
      CHECK(contains(status, "\"id\":\"filing\""));
      CHECK(contains(status, "\"department\":\"发展改革委\""));
      CHECK(contains(status, "\"steps\":["));
    }
    jr_string_free(status);

    /* a refusal: the wrong department, with the reason */
    jr_status st = jr_engine_act(e, id, JR_NTS, "site_selection", JR_NTS, "submit", JR_NTS, "生态环境局", JR_NTS,
                                 NULL, 0, NULL, 0, -1, &err);
    CHECK(st == JR_REFUSED || st == JR_FORBIDDEN);
    CHECK(err != NULL && strlen(jr_error_message(err, NULL)) > 0);
    jr_error_free(err);
    err = NULL;
    /* a step that is still blocked */
    st = jr_engine_act(e, id, JR_NTS, "construction_permit", JR_NTS, "submit", JR_NTS, "applicant", JR_NTS, NULL,
                       0, NULL, 0, -1, &err);
    CHECK(st == JR_REFUSED);
    CHECK(contains(jr_error_message(err, NULL), "construction_permit") ||
          contains(jr_error_message(err, NULL), "施工许可"));
    jr_error_free(err);
    err = NULL;
    /* an unknown action and a missing argument */
    CHECK(jr_engine_act(e, id, JR_NTS, "filing", JR_NTS, "dance", JR_NTS, "applicant", JR_NTS, NULL, 0, NULL, 0,
                        -1, NULL) != JR_OK);
    CHECK(jr_engine_act(e, id, JR_NTS, NULL, 0, "submit", JR_NTS, "applicant", JR_NTS, NULL, 0, NULL, 0, -1,
                        NULL) == JR_INVALID_ARGUMENT);

    char* events = NULL;
    size_t events_len = 0;
    if (OK(jr_engine_events(e, id, JR_NTS, &events, &events_len, &err))) {
      CHECK(events[0] == '[');
      CHECK(events_len == strlen(events));
      CHECK(contains(events, "\"action\":\"submit\""));
      CHECK(contains(events, "\"actor\":\"发展改革委\""));
      CHECK(contains(events, "\"kind\":\"refused\""));
    }
    jr_string_free(events);

    /* the subscriber saw the events, after their commit */
    CHECK(seen.count >= 3);
    CHECK(seen.approvals >= 1);
    int before = seen.count;
    OK(jr_engine_unsubscribe(e, token, &err));
    act(e, id, "site_selection", "submit", "applicant");
    CHECK(seen.count == before);

    char* list = NULL;
    if (OK(jr_engine_instances(e, &list, NULL, &err))) {
      CHECK(list[0] == '[');
      CHECK(contains(list, id));
    }
    jr_string_free(list);

    /* the worklist and the weekly report, as the library derives them */
    char* work = NULL;
    if (OK(jr_engine_worklist(e, "自然资源局", JR_NTS, &work, NULL, &err))) {
      CHECK(work[0] == '[');
      CHECK(contains(work, "\"step\":\"site_selection\""));
      CHECK(contains(work, "\"task\":\"accept, or return with one notice (一次性告知)\",\"state\":\"submitted\""));
    }
    jr_string_free(work);
    if (OK(jr_engine_worklist(e, "发展改革委", JR_NTS, &work, NULL, &err))) CHECK(strcmp(work, "[]") == 0);
    jr_string_free(work);
    char* report = NULL;
    if (OK(jr_engine_weekly_report(e, NULL, 0, &report, NULL, &err))) {
      CHECK(contains(report, "\"week\":\"2025-W10\",\"from\":\"2025-03-03\",\"to\":\"2025-03-09\""));
      CHECK(contains(report, "{\"department\":\"发展改革委\",\"open\":0,\"overdue\":0,\"approved_this_week\":1,"));
      CHECK(contains(report, "{\"department\":\"自然资源局\",\"open\":1,"));
    }
    jr_string_free(report);
    CHECK(jr_engine_weekly_report(e, "2025-W99", JR_NTS, &report, NULL, NULL) == JR_INVALID_ARGUMENT);
    CHECK(report == NULL);

    /* asynchronous calls: answered through the callback, in order, so a
       blocking call made after them returns after their callbacks ran */
    struct async_seen as = {0, 0, 0, ""};
    OK(jr_engine_act_async(e, id, JR_NTS, "site_selection", JR_NTS, "accept", JR_NTS, "自然资源局", JR_NTS, NULL, 0,
                           NULL, 0, -1, on_done, &as, &err));
    OK(jr_engine_act_async(e, id, JR_NTS, "site_selection", JR_NTS, "accept", JR_NTS, "自然资源局", JR_NTS, NULL, 0,
                           NULL, 0, -1, on_done, &as, &err)); /* twice: refused */
    OK(jr_engine_start_async(e, file, JR_NTS, "异步项目", JR_NTS, NULL, 0, 0, on_done, &as, &err));
    CHECK(jr_engine_act_async(e, id, JR_NTS, NULL, 0, "accept", JR_NTS, "自然资源局", JR_NTS, NULL, 0, NULL, 0, -1,
                              on_done, &as, NULL) == JR_INVALID_ARGUMENT);
    CHECK(jr_engine_act_async(e, id, JR_NTS, "site_selection", JR_NTS, "accept", JR_NTS, "自然资源局", JR_NTS, NULL,
                              0, NULL, 0, -1, NULL, &as, NULL) == JR_INVALID_ARGUMENT);
    char* after = NULL;
    if (OK(jr_engine_status(e, id, id_len, &after, NULL, &err))) CHECK(contains(after, "\"state\":\"accepted\""));
    jr_string_free(after);
    CHECK(as.ok == 2);
    CHECK(as.refused == 1);
    CHECK(as.other == 0);
    CHECK(strlen(as.id) > 0 && strcmp(as.id, id) != 0);
    char* stats = NULL;
    if (OK(jr_engine_stats(e, &stats, NULL, &err))) {
      CHECK(contains(stats, "\"transactions\":"));
      CHECK(contains(stats, "\"instances\":2"));
      CHECK(contains(stats, "\"failed_transactions\":0"));
      CHECK(contains(stats, "\"unloaded\":"));
      CHECK(contains(stats, "\"loaded\":"));
    }
    jr_string_free(stats);

    /* the fake clock moves on request; timers fire when asked */
    OK(jr_engine_set_clock(e, "2025-03-10", JR_NTS, &err));
    today = NULL;
    if (OK(jr_engine_today(e, &today, NULL, &err))) CHECK(strcmp(today, "2025-03-10") == 0);
    jr_string_free(today);
    OK(jr_engine_advance_clock(e, 24 * 3600, &err));
    today = NULL;
    if (OK(jr_engine_today(e, &today, NULL, &err))) CHECK(strcmp(today, "2025-03-11") == 0);
    jr_string_free(today);
    OK(jr_engine_fire_due_timers(e, &err));
  }

  /* unknown instance */
  char* out = NULL;
  jr_status st = jr_engine_status(e, "no-such-instance", JR_NTS, &out, NULL, &err);
  CHECK(st == JR_NOT_FOUND);
  CHECK(out == NULL);
  jr_error_free(err);
  err = NULL;
  /* a workflow that does not load: every FILE:LINE:COLUMN in the message */
  char* bad = path_in(source_dir, "tests/bad/after-itself.yaml");
  char* id2 = NULL;
  st = jr_engine_start(e, bad, JR_NTS, "p", JR_NTS, NULL, 0, 0, &id2, NULL, &err);
  CHECK(st == JR_INVALID_WORKFLOW);
  CHECK(id2 == NULL);
  CHECK(contains(jr_error_message(err, NULL), "after-itself.yaml:6:13: error:"));
  jr_error_free(err);
  err = NULL;
  free(bad);

  jr_engine_close(e);

  /* reopen: the instance is still there */
  o = jr_engine_options_create();
  jr_engine_options_set_database(o, db, JR_NTS);
  jr_engine_options_set_clock(o, "2025-03-12T10:00", JR_NTS);
  jr_engine_options_set_background_timers(o, 0);
  e = NULL;
  if (OK(jr_engine_open(o, &e, &err)) && id != NULL) {
    char* status = NULL;
    if (OK(jr_engine_status(e, id, JR_NTS, &status, NULL, &err))) {
      CHECK(contains(status, "\"project\":\"示例厂房项目\""));
      CHECK(contains(status, "\"state\":\"running\""));
    }
    jr_string_free(status);
  }
  jr_engine_close(e);
  jr_engine_options_free(o);

  /* the system clock cannot be moved; bad options are refused at open */
  char* db2 = path_in(scratch_dir, "c_api_test_system.db");
  remove(db2);
  o = jr_engine_options_create();
  jr_engine_options_set_database(o, db2, JR_NTS);
  jr_engine_options_set_background_timers(o, 0);
  e = NULL;
  if (OK(jr_engine_open(o, &e, &err))) {
    CHECK(jr_engine_advance_clock(e, 60, &err) == JR_UNSUPPORTED);
    CHECK(contains(jr_error_message(err, NULL), "system clock"));
    jr_error_free(err);
    err = NULL;
  }
  jr_engine_close(e);
  jr_engine_options_set_synchronous(o, "sometimes", JR_NTS);
  e = NULL;
  CHECK(jr_engine_open(o, &e, &err) == JR_INVALID_ARGUMENT);
  CHECK(e == NULL);
  CHECK(contains(jr_error_message(err, NULL), "sometimes"));
  jr_error_free(err);
  err = NULL;
  jr_engine_options_set_synchronous(o, "full", JR_NTS);
  jr_engine_options_set_clock(o, "yesterday", JR_NTS);
  CHECK(jr_engine_open(o, &e, NULL) == JR_INVALID_ARGUMENT);
  jr_engine_options_free(o);

  jr_string_free(id);
  free(db);
  free(db2);
  free(file);
}

/* An engine whose deadline timers fall after the calendar's last covered day,
   with the timers running on the engine's own thread (the default): nothing
   may abort the host, whatever the clock says (issue: arm_wake threw on the
   event-loop thread). With a fake clock at 2026-11-10 and with the real one. */
static void test_engine_past_calendar(void) {
  jr_error* err = NULL;
  char* file = path_in(source_dir, "workflows/four-certificates.yaml");
  for (int real = 0; real <= 1; ++real) {
    char* db = path_in(scratch_dir, real ? "c_api_test_late_real.db" : "c_api_test_late.db");
    remove(db);
    jr_engine_options* o = jr_engine_options_create();
    jr_engine_options_set_database(o, db, JR_NTS);
    if (!real) CHECK(jr_engine_options_set_clock(o, "2026-11-10T09:00", JR_NTS) == JR_OK);
    jr_engine* e = NULL;
    if (OK(jr_engine_open(o, &e, &err))) {
      char* id = NULL;
      /* With the real clock in a year the calendar does not cover, the start
         itself may be refused; it must be a clean error, never an abort. */
      jr_status st = jr_engine_start(e, file, JR_NTS, "跨年项目", JR_NTS, NULL, 0, 0, &id, NULL, &err);
      CHECK(st == JR_OK || (real && err != NULL));
      jr_error_free(err);
      err = NULL;
      if (st == JR_OK) {
        act(e, id, "filing", "submit", "applicant");
        char* status = NULL;
        if (OK(jr_engine_status(e, id, JR_NTS, &status, NULL, &err))) CHECK(contains(status, "\"state\":\"running\""));
        jr_string_free(status);
      }
      if (!real) {
        /* The clock moves into 2027: counted provisionally, and marked. */
        OK(jr_engine_set_clock(e, "2027-01-05T09:00", JR_NTS, &err));
        char* status = NULL;
        st = jr_engine_status(e, id, JR_NTS, &status, NULL, &err);
        CHECK(st == JR_OK);
        if (st == JR_OK) CHECK(contains(status, "\"deadline_provisional\":true"));
        jr_string_free(status);
        jr_error_free(err);
        err = NULL;
        st = jr_engine_fire_due_timers(e, &err);
        CHECK(st == JR_OK || err != NULL);
        jr_error_free(err);
        err = NULL;
      }
      jr_string_free(id);
    }
    jr_engine_close(e);
    /* Strict: no provisional years. What is recorded opens; a new start at
       the same clock is a clean error naming it. */
    if (!real) {
      CHECK(jr_engine_options_set_strict_calendar(o, 1) == JR_OK);
      CHECK(jr_engine_options_set_clock(o, "2027-01-05T09:00", JR_NTS) == JR_OK);
      e = NULL;
      if (OK(jr_engine_open(o, &e, &err))) {
        char* id = NULL;
        CHECK(jr_engine_start(e, file, JR_NTS, "严格", JR_NTS, NULL, 0, 0, &id, NULL, &err) == JR_OUT_OF_RANGE);
        CHECK(err != NULL && contains(jr_error_message(err, NULL), "the time 2027-01-05T09:00:00+08:00 is outside the covered years"));
        jr_error_free(err);
        err = NULL;
        jr_string_free(id);
      }
      jr_engine_close(e);
    }
    jr_engine_options_free(o);
    free(db);
  }
  free(file);
}

/* The calendars a database holds, and an update refused or a no-op. */
static void test_engine_calendars(void) {
  jr_error* err = NULL;
  char* file = path_in(source_dir, "workflows/four-certificates.yaml");
  char* cal = path_in(source_dir, "workflows/calendars/cn.yaml");
  char* db = path_in(scratch_dir, "c_api_test_calendars.db");
  remove(db);
  jr_engine_options* o = jr_engine_options_create();
  jr_engine_options_set_database(o, db, JR_NTS);
  CHECK(jr_engine_options_set_clock(o, "2026-12-28T09:00", JR_NTS) == JR_OK);
  jr_engine* e = NULL;
  if (OK(jr_engine_open(o, &e, &err))) {
    char* out = NULL;
    /* No instance yet: no calendar held, and none to update. */
    if (OK(jr_engine_calendars(e, &out, NULL, &err))) CHECK(strcmp(out, "[]") == 0);
    jr_string_free(out);
    out = NULL;
    CHECK(jr_engine_update_calendar(e, cal, JR_NTS, &out, NULL, &err) == JR_REFUSED);
    CHECK(err != NULL && contains(jr_error_message(err, NULL), "holds no calendar 'cn'"));
    jr_error_free(err);
    err = NULL;
    char* id = NULL;
    OK(jr_engine_start(e, file, JR_NTS, "日历", JR_NTS, NULL, 0, 0, &id, NULL, &err));
    jr_string_free(id);
    if (OK(jr_engine_calendars(e, &out, NULL, &err))) {
      CHECK(contains(out, "\"id\":\"cn\""));
      CHECK(contains(out, "\"version\":\"2026.1\""));
      CHECK(contains(out, "\"running\":1"));
    }
    jr_string_free(out);
    out = NULL;
    if (OK(jr_engine_update_calendar(e, cal, JR_NTS, &out, NULL, &err))) CHECK(contains(out, "\"changed\":false"));
    /* An excluded period on an Art. 45 ground: the note is required. */
    char* id2 = NULL;
    if (OK(jr_engine_start(e, file, JR_NTS, "除外", JR_NTS, NULL, 0, 0, &id2, NULL, &err))) {
      act(e, id2, "filing", "submit", "applicant");
      act(e, id2, "filing", "accept", "发展改革委");
      CHECK(jr_engine_exclude(e, id2, JR_NTS, "filing", JR_NTS, "发展改革委", JR_NTS, 5, "hearing", JR_NTS, NULL, 0,
                              &err) == JR_REFUSED);
      CHECK(err != NULL && contains(jr_error_message(err, NULL), "must say why"));
      jr_error_free(err);
      err = NULL;
      OK(jr_engine_exclude(e, id2, JR_NTS, "filing", JR_NTS, "发展改革委", JR_NTS, 5, "hearing", JR_NTS, "召开听证会",
                           JR_NTS, &err));
      char* st = NULL;
      if (OK(jr_engine_status(e, id2, JR_NTS, &st, NULL, &err))) CHECK(contains(st, "\"ground\":\"hearing\""));
      jr_string_free(st);
    }
    jr_string_free(id2);
    jr_string_free(out);
    out = NULL;
    CHECK(jr_engine_update_calendar(e, NULL, 0, &out, NULL, &err) == JR_INVALID_ARGUMENT);
    jr_error_free(err);
    err = NULL;
  }
  jr_engine_close(e);
  /* The audit trail's chain of what was just written verifies. */
  {
    char* out = NULL;
    if (OK(jr_audit_verify(db, JR_NTS, &out, NULL, &err))) {
      CHECK(contains(out, "\"ok\":true"));
      CHECK(contains(out, "\"bad_seq\":null"));
    }
    jr_string_free(out);
    out = NULL;
    CHECK(jr_audit_verify(NULL, 0, &out, NULL, &err) == JR_INVALID_ARGUMENT);
    jr_error_free(err);
    err = NULL;
  }
  jr_engine_options_free(o);
  free(db);
  free(cal);
  free(file);
}

/* The platform API: request objects, keys, request ids, versions, claims,
   reasons, the event feed. */
struct feed_seen {
  atomic_int count; /* written on the feed's thread */
  atomic_int first_seq_ok;
};

static void on_feed(const char* json, size_t len, void* user_data) {
  struct feed_seen* s = user_data;
  (void)len;
  if (s->count == 0) s->first_seq_ok = contains(json, "\"seq\":3,");
  s->count++;
}

static void test_engine_platform(void) {
  jr_error* err = NULL;
  char* file = path_in(source_dir, "workflows/four-certificates.yaml");
  char* db = path_in(scratch_dir, "c_api_test_platform.db");
  remove(db);
  jr_engine_options* o = jr_engine_options_create();
  jr_engine_options_set_database(o, db, JR_NTS);
  jr_engine_options_set_clock(o, "2026-03-02T09:00", JR_NTS);
  jr_engine_options_set_background_timers(o, 0);
  jr_engine* e = NULL;
  if (OK(jr_engine_open(o, &e, &err))) {
    jr_start_request* s = NULL;
    OK(jr_start_request_create(&s, &err));
    CHECK(jr_start_request_set_workflow_file(s, file, JR_NTS) == JR_OK);
    CHECK(jr_start_request_set_project(s, "平台项目", JR_NTS) == JR_OK);
    CHECK(jr_start_request_set_key(s, "CASE-9", JR_NTS) == JR_OK);
    CHECK(jr_start_request_set_key(NULL, "x", JR_NTS) == JR_INVALID_ARGUMENT);
    char* id = NULL;
    char* id2 = NULL;
    uint64_t version = 0;
    int existed = -1;
    OK(jr_engine_start_request(e, s, &id, NULL, &version, &existed, &err));
    CHECK(version == 1 && existed == 0);
    OK(jr_engine_start_request(e, s, &id2, NULL, &version, &existed, &err));
    CHECK(existed == 1 && id && id2 && strcmp(id, id2) == 0);
    jr_string_free(id2);
    jr_start_request_free(s);

    jr_act_request* a = NULL;
    OK(jr_act_request_create(&a, &err));
    jr_act_request_set_instance(a, id, JR_NTS);
    jr_act_request_set_step(a, "filing", JR_NTS);
    jr_act_request_set_action(a, "submit", JR_NTS);
    jr_act_request_set_actor(a, "applicant", JR_NTS);
    jr_act_request_set_request_id(a, "req-1", JR_NTS);
    int repeated = -1;
    OK(jr_engine_apply(e, a, &version, &repeated, &err));
    CHECK(version == 2 && repeated == 0);
    OK(jr_engine_apply(e, a, &version, &repeated, &err));
    CHECK(version == 2 && repeated == 1);
    /* A stale version: JR_CONFLICT, reason "conflict". */
    jr_act_request_set_request_id(a, NULL, 0);
    jr_act_request_set_action(a, "accept", JR_NTS);
    jr_act_request_set_actor(a, "发展改革委", JR_NTS);
    jr_act_request_set_expected_version(a, 1);
    CHECK(jr_engine_apply(e, a, NULL, NULL, &err) == JR_CONFLICT);
    CHECK(err != NULL && strcmp(jr_error_reason(err), "conflict") == 0);
    CHECK(strcmp(jr_status_name(JR_CONFLICT), "conflict") == 0);
    jr_error_free(err);
    err = NULL;
    /* A claim holds the step for its claimer. */
    OK(jr_engine_claim(e, id, JR_NTS, "filing", JR_NTS, "发展改革委/张三", JR_NTS, &version, &err));
    CHECK(version == 3);
    jr_act_request_set_expected_version(a, -1);
    jr_act_request_set_actor(a, "发展改革委/李四", JR_NTS);
    CHECK(jr_engine_apply(e, a, NULL, NULL, &err) == JR_CONFLICT);
    CHECK(err != NULL && strcmp(jr_error_reason(err), "claimed") == 0);
    CHECK(err != NULL && contains(jr_error_message(err, NULL), "发展改革委/张三"));
    jr_error_free(err);
    err = NULL;
    /* A refusal's reason. */
    jr_act_request_set_action(a, "approve", JR_NTS);
    jr_act_request_set_actor(a, "发展改革委/张三", JR_NTS);
    CHECK(jr_engine_apply(e, a, NULL, NULL, &err) == JR_REFUSED);
    CHECK(err != NULL && strcmp(jr_error_reason(err), "wrong_state") == 0);
    jr_error_free(err);
    err = NULL;
    CHECK(strcmp(jr_error_reason(NULL), "invalid_argument") == 0);
    OK(jr_engine_release(e, id, JR_NTS, "filing", JR_NTS, "发展改革委/张三", JR_NTS, NULL, &err));
    jr_act_request_free(a);

    /* A deployed workflow, started by id. */
    char* dep = NULL;
    if (OK(jr_engine_deploy(e, file, JR_NTS, &dep, NULL, &err))) {
      CHECK(contains(dep, "\"id\":\"four-certificates\""));
      CHECK(contains(dep, "\"version\":1"));
    }
    jr_string_free(dep);
    dep = NULL;
    CHECK(jr_engine_deploy_texts(e, "{\"files\": {\"m.yaml\": \"workflow: x\\nsteps: [\"}, \"main\": \"m.yaml\"}",
                                 JR_NTS, &dep, NULL, &err) == JR_INVALID_WORKFLOW);
    CHECK(err != NULL && contains(jr_error_message(err, NULL), "m.yaml:"));
    jr_error_free(err);
    err = NULL;
    if (OK(jr_engine_workflows(e, &dep, NULL, &err))) CHECK(contains(dep, "\"latest\":true"));
    jr_string_free(dep);
    jr_start_request* byid = NULL;
    OK(jr_start_request_create(&byid, &err));
    jr_start_request_set_workflow(byid, "four-certificates@v1", JR_NTS);
    jr_start_request_set_project(byid, "按编号", JR_NTS);
    char* id3 = NULL;
    OK(jr_engine_start_request(e, byid, &id3, NULL, NULL, NULL, &err));
    CHECK(id3 != NULL);
    jr_string_free(id3);
    jr_start_request_set_workflow(byid, "no-such", JR_NTS);
    CHECK(jr_engine_start_request(e, byid, NULL, NULL, NULL, NULL, &err) == JR_NOT_FOUND);
    CHECK(err != NULL && strcmp(jr_error_reason(err), "unknown_workflow") == 0);
    jr_error_free(err);
    err = NULL;
    jr_start_request_free(byid);
    /* Queries. */
    char* page = NULL;
    if (OK(jr_engine_query(e, "{\"workflow\": \"four-certificates\", \"limit\": 1}", JR_NTS, &page, NULL, &err))) {
      CHECK(contains(page, "\"total\":2"));
      CHECK(contains(page, "\"next\":\""));
    }
    jr_string_free(page);
    page = NULL;
    CHECK(jr_engine_query(e, "{\"colour\": 1}", JR_NTS, &page, NULL, &err) == JR_INVALID_ARGUMENT);
    jr_error_free(err);
    err = NULL;
    CHECK(jr_engine_query(e, "{\"flag\": \"bogus\"}", JR_NTS, &page, NULL, &err) == JR_INVALID_ARGUMENT);
    CHECK(err != NULL && strcmp(jr_error_reason(err), "bad_value") == 0);
    jr_error_free(err);
    err = NULL;

    /* The feed: a page, and a durable subscription from seq 2. */
    char* out = NULL;
    if (OK(jr_engine_events_since(e, 2, 1, &out, NULL, &err))) CHECK(contains(out, "\"seq\":3,"));
    jr_string_free(out);
    struct feed_seen seen;
    atomic_init(&seen.count, 0);
    atomic_init(&seen.first_seq_ok, 0);
    int token = -1;
    OK(jr_engine_subscribe_from(e, 2, on_feed, &seen, &token, &err));
    for (int waited = 0; atomic_load(&seen.count) < 3 && waited < 2000; ++waited) {
      struct timespec ms = {0, 10 * 1000 * 1000};
      nanosleep(&ms, NULL);
    }
    OK(jr_engine_unsubscribe(e, token, &err));
    CHECK(seen.count >= 3);
    CHECK(seen.first_seq_ok);
    jr_string_free(id);
  }
  jr_engine_close(e);
  jr_engine_options_free(o);
  free(db);
  free(file);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s SOURCE_DIR SCRATCH_DIR\n", argv[0]);
    return 2;
  }
  source_dir = argv[1];
  scratch_dir = argv[2];
  test_version();
  test_load_file_and_plan();
  test_load_errors();
  test_simulate();
  test_engine();
  test_engine_past_calendar();
  test_engine_calendars();
  test_engine_platform();
  if (failures) fprintf(stderr, "%d check(s) failed\n", failures);
  else printf("c_api_test: all checks passed\n");
  return failures > 100 ? 100 : failures;
}

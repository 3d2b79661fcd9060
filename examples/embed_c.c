/* Embedding JointReview from C: a key project on the green channel
 * (workflows/key-project-review.yaml), run on a live engine with a fake
 * clock, including one round of corrections in the joint review, a
 * material supplied after acceptance (容缺受理), a permit issued on
 * commitment (告知承诺) and its verification 30 working days later.
 *
 *                               ┌─► land_pre_approval ─┐
 *   pre_review ─► joint_review ─┼──────────────────────┴─► approval ─┐
 *                               └─► eia_approval ────────────────────┴─► construction_permit
 *
 *   embed_c WORKFLOWS_DIR DATABASE
 */
#include <jointreview/jointreview.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed = 0;

/* Prints a failed call's error and remembers the failure. */
static void report(jr_status st, jr_error* err, const char* what) {
  if (st == JR_OK) return;
  fprintf(stderr, "%s: %s: %s\n", what, jr_status_name(st), jr_error_message(err, NULL));
  jr_error_free(err);
  failed = 1;
}

static void act(jr_engine* e, const char* id, const char* step, const char* action, const char* actor,
                const char* note, const char* material) {
  jr_error* err = NULL;
  jr_status st = jr_engine_act(e, id, JR_NTS, step, JR_NTS, action, JR_NTS, actor, JR_NTS, note, JR_NTS, material,
                               JR_NTS, -1, &err);
  char what[256];
  snprintf(what, sizeof what, "%s %s by %s", action, step, actor);
  report(st, err, what);
}

/* The callback: the events people are told about, as they are committed. */
struct tally {
  int events;
  int notices;
};

static void on_event(const char* json, size_t len, void* user_data) {
  struct tally* t = user_data;
  t->events++;
  if (strstr(json, "\"kind\":\"notice\"") || strstr(json, "\"kind\":\"contact-task\"") ||
      strstr(json, "\"kind\":\"instance\"") || strstr(json, "\"action\":\"verify\"")) {
    if (strstr(json, "\"kind\":\"notice\"")) t->notices++;
    printf("  event: %.*s\n", (int)len, json);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: embed_c WORKFLOWS_DIR DATABASE\n");
    return 2;
  }
  char workflow[4096];
  snprintf(workflow, sizeof workflow, "%s/key-project-review.yaml", argv[1]);
  remove(argv[2]);
  printf("libjointreview %s\n", jr_version());

  /* Options: created, filled, handed to open, freed. */
  jr_engine_options* o = jr_engine_options_create();
  jr_engine_options_set_database(o, argv[2], JR_NTS);
  jr_engine_options_set_clock(o, "2025-04-01T09:00", JR_NTS);
  jr_engine_options_set_background_timers(o, 0);
  jr_engine* e = NULL;
  jr_error* err = NULL;
  jr_status st = jr_engine_open(o, &e, &err);
  jr_engine_options_free(o);
  if (st != JR_OK) {
    report(st, err, "open");
    return 1;
  }

  struct tally t = {0, 0};
  int token = 0;
  report(jr_engine_subscribe(e, on_event, &t, &token, &err), err, "subscribe");

  char* id = NULL;
  st = jr_engine_start(e, workflow, JR_NTS, "风光储一体化示范项目", JR_NTS, "applicant", JR_NTS, 1, &id, NULL, &err);
  if (st != JR_OK) {
    report(st, err, "start");
    jr_engine_close(e);
    return 1;
  }
  printf("instance %s\n", id);

  act(e, id, "pre_review", "submit", "applicant", NULL, NULL);
  act(e, id, "pre_review", "accept", "联审联批办公室", NULL, NULL);
  act(e, id, "pre_review", "approve", "联审联批办公室", NULL, NULL);

  /* The joint review: four departments at once, one consolidated notice. */
  act(e, id, "joint_review", "submit", "applicant", NULL, NULL);
  act(e, id, "joint_review", "accept", "发展改革委", NULL, NULL);
  act(e, id, "joint_review", "supply", "applicant", NULL, "社会稳定风险评估报告");
  act(e, id, "joint_review", "approve", "发展改革委", NULL, NULL);
  act(e, id, "joint_review", "return", "住房城乡建设局", "设计方案缺日照分析", NULL);
  act(e, id, "joint_review", "approve", "自然资源局", NULL, NULL);
  act(e, id, "joint_review", "approve", "生态环境局", NULL, NULL);
  act(e, id, "joint_review", "contact", "发展改革委/乌云", "电话告知补正要求", NULL);
  jr_engine_advance_clock(e, 2 * 24 * 3600, NULL);
  act(e, id, "joint_review", "resubmit", "applicant", NULL, NULL);
  act(e, id, "joint_review", "approve", "住房城乡建设局", NULL, NULL); /* only it reviews again */

  /* Three decisions in parallel, then the permit on commitment. */
  const char* singles[][2] = {{"land_pre_approval", "自然资源局"}, {"eia_approval", "生态环境局"}};
  for (int i = 0; i < 2; ++i) {
    act(e, id, singles[i][0], "submit", "applicant", NULL, NULL);
    act(e, id, singles[i][0], "accept", singles[i][1], NULL, NULL);
    act(e, id, singles[i][0], "approve", singles[i][1], NULL, NULL);
  }
  act(e, id, "approval", "submit", "applicant", NULL, NULL);
  act(e, id, "approval", "accept", "发展改革委", NULL, NULL);
  act(e, id, "approval", "approve", "发展改革委", NULL, NULL);
  /* 告知承诺: the applicant signs the commitment; the department decides on the spot. */
  act(e, id, "construction_permit", "commit", "applicant", NULL, NULL);
  act(e, id, "construction_permit", "approve", "住房城乡建设局", NULL, NULL);

  /* 30 working days later the commitment is verified. */
  report(jr_engine_set_clock(e, "2025-05-30T10:00", JR_NTS, &err), err, "set clock");
  report(jr_engine_fire_due_timers(e, &err), err, "fire timers");
  act(e, id, "construction_permit", "verify", "住房城乡建设局", "现场核查属实", NULL);

  char* status = NULL;
  size_t status_len = 0;
  st = jr_engine_status(e, id, JR_NTS, &status, &status_len, &err);
  report(st, err, "status");
  char* events = NULL;
  st = jr_engine_events(e, id, JR_NTS, &events, NULL, &err);
  report(st, err, "events");

  if (status && !strstr(status, "\"state\":\"completed\"")) {
    fprintf(stderr, "not completed: %s\n", status);
    failed = 1;
  }
  if (status && !strstr(status, "\"green\":true")) {
    fprintf(stderr, "not on the green channel: %s\n", status);
    failed = 1;
  }
  if (t.notices != 1) {
    fprintf(stderr, "expected one consolidated correction notice, saw %d\n", t.notices);
    failed = 1;
  }
  if (events && !strstr(events, "\"action\":\"verify\"")) {
    fprintf(stderr, "the verification is not in the audit trail\n");
    failed = 1;
  }
  printf("%d events seen by the callback; status %zu bytes of JSON; %s\n", t.events, status_len,
         failed ? "FAILED" : "completed");

  jr_string_free(status); /* strings from char** are the caller's */
  jr_string_free(events);
  jr_string_free(id);
  jr_engine_close(e);
  return failed;
}

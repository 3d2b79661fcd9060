/* Built with nothing but `pkg-config --cflags --libs jointreview` against the
 * installed package: loads a workflow through the C API and plans it.
 *
 *   consumer_c WORKFLOW.yaml */
#include <jointreview/jointreview.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: consumer_c WORKFLOW.yaml\n");
    return 2;
  }
  jr_error* err = NULL;
  jr_workflow* wf = NULL;
  if (jr_workflow_load_file(argv[1], JR_NTS, JR_LOAD_NO_WARNINGS, &wf, &err) != JR_OK) {
    fprintf(stderr, "load: %s\n", jr_error_message(err, NULL));
    jr_error_free(err);
    jr_workflow_free(wf);
    return 1;
  }
  char* json = NULL;
  if (jr_workflow_plan(wf, "2025-03-03", JR_NTS, "json", JR_NTS, &json, NULL, &err) != JR_OK) {
    fprintf(stderr, "plan: %s\n", jr_error_message(err, NULL));
    jr_error_free(err);
    jr_workflow_free(wf);
    return 1;
  }
  printf("jointreview %s (C, pkg-config): %s, %zu steps, plan %zu bytes of JSON\n", jr_version(),
         jr_workflow_id(wf, NULL), jr_workflow_step_count(wf), strlen(json));
  jr_string_free(json);
  jr_workflow_free(wf);
  return 0;
}

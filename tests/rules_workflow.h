// A four-step workflow that exercises every rule of the state machine: a
// joint review with a deferred material and an excluded period, a step
// approved on commitment, and a final step that needs both. Shared by the
// state machine's and the runtime's tests.
#pragma once

namespace jrtest {

inline const char* const kRulesWorkflow = R"(
workflow: sm
time_limit: 30
departments: {A: {}, B: {}, C: {}}
steps:
  - id: s1
    department: A
    days: 5
    needs: [申请表]
    produces: [d1]
  - id: joint
    departments: [A, B, C]
    lead: B
    days: 10
    needs: [d1, m2]
    produces: [d2]
    deferred: [{material: m2, within: 3, grace: 2}]
    excluded: [{reason: 专家评审, days: 4}]
  - id: promise
    department: C
    days: 3
    needs: [d1]
    produces: [d3]
    commitment: {verify_after: 20}
  - id: final
    department: A
    days: 2
    needs: [d2, d3]
    produces: [permit]
)";

}  // namespace jrtest

// The names of the approval state machine, shared by the live runtime, the
// simulator, the CLI and the C API. See docs/state-machine.md.
#pragma once

#include "jointreview/export.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jointreview {

enum class StepState : std::uint8_t {
  blocked,    // waiting for its predecessors to be approved
  ready,      // the applicant may submit
  submitted,  // handed in, waiting for acceptance (受理)
  accepted,   // accepted: the statutory clock runs, departments review
  returned,   // corrections requested (补正): the clock is stopped
  approved,   // decided in favour (also: on commitment, 告知承诺)
  rejected,   // decided against
  suspended,  // deferred materials overdue (容缺受理): the clock is stopped
  revoked,    // approval revoked by its department (a false commitment, a rectification not made, or on review)
  withdrawn,  // withdrawn by the applicant
  stopped,    // can never proceed: a step it depends on was rejected or withdrawn
};

enum class InstanceState : std::uint8_t { running, completed, rejected, withdrawn, revoked };

enum class Action : std::uint8_t {
  start,          // (internal) the instance begins
  submit,         // applicant hands in a ready step
  accept,         // lead department accepts (受理)
  approve,        // a reviewing department approves
  return_,        // a reviewing department asks for corrections ("return")
  resubmit,       // applicant hands in corrections
  reject,         // a department decides against
  commit,         // applicant signs a commitment (告知承诺): the department decides on the spot
  supply,         // applicant supplies a deferred material
  withdraw,       // applicant withdraws the step
  verify,         // post-approval verification passed
  verify_failed,  // verification found the conditions not met: an order to rectify
  contact,        // staff contacted the applicant after a first return (首退必联)
  exclude,        // department starts an excluded period (the clock stops)
  resume,         // department ends an excluded period early
  timer,          // (internal) a timer fired
  extend,         // department extends the step's limit once (Art. 42), with the reason told to the applicant
  rectified,      // the department finds the ordered rectification done (告知承诺)
  revoke,         // the issuing department revokes its approval (a false commitment, or on review)
  confirm,        // a department confirms its approval after a step it depended on was revoked
};

// The grounds on which Art. 45 of 行政许可法 lets an authority leave time out
// of its limit (听证、招标、拍卖、检验、检测、检疫、鉴定、专家评审); `declared`:
// a period the workflow declares under `excluded:`.
enum class ExclusionGround : std::uint8_t {
  none,
  hearing,
  tendering,
  auction,
  inspection,
  testing,
  quarantine,
  appraisal,
  expert_review,
  declared,
};

enum class TimerKind : std::uint8_t {
  none,
  warn,            // yellow: warn_before working days before the deadline
  overdue,         // red: the deadline passed
  acceptance_due,  // 5 working days after submission: counts as accepted (Art. 32)
  deferred_due,    // a deferred material is due
  grace_due,       // the grace period after suspension ended
  verify_due,      // a commitment's verification falls due
  contact_due,     // the contact task after a first return is due
  exclusion_end,   // an excluded period ends
  project_warn,    // the whole project's promised limit is near
  project_overdue, // the whole project's promised limit passed
  statutory_due,   // the limit the law sets (statutory_days, plus an extension) passed: 违法超期
  rectify_due,     // the time to rectify after a failed verification ended
};

JR_EXPORT const char* to_string(StepState s);
JR_EXPORT const char* to_string(InstanceState s);
JR_EXPORT const char* to_string(Action a);  // CLI spelling: "return", "verify-failed" ...
JR_EXPORT const char* to_string(TimerKind t);
JR_EXPORT const char* to_string(ExclusionGround g);  // "auction", "expert_review" ...; "declared"
JR_EXPORT const char* describe(ExclusionGround g);   // 拍卖, 专家评审 ...: the words of a notice
// One of the eight grounds (not `none`, not `declared`), by its name.
JR_EXPORT std::optional<ExclusionGround> parse_ground(std::string_view name);
JR_EXPORT std::optional<Action> parse_action(std::string_view name);
JR_EXPORT std::optional<StepState> parse_step_state(std::string_view name);
JR_EXPORT std::optional<InstanceState> parse_instance_state(std::string_view name);

inline bool is_final(StepState s) {
  return s == StepState::approved || s == StepState::rejected || s == StepState::revoked ||
         s == StepState::withdrawn || s == StepState::stopped;
}

}  // namespace jointreview

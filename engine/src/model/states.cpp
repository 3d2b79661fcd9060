// The names of states, actions and timers (states.h): how they are
// spelled in JSON, in the audit trail and on the command line.
#include "jointreview/states.h"

namespace jointreview {

const char* to_string(StepState s) {
  switch (s) {
    case StepState::blocked: return "blocked";
    case StepState::ready: return "ready";
    case StepState::submitted: return "submitted";
    case StepState::accepted: return "accepted";
    case StepState::returned: return "returned";
    case StepState::approved: return "approved";
    case StepState::rejected: return "rejected";
    case StepState::suspended: return "suspended";
    case StepState::revoked: return "revoked";
    case StepState::withdrawn: return "withdrawn";
    case StepState::stopped: return "stopped";
  }
  return "?";
}

const char* to_string(InstanceState s) {
  switch (s) {
    case InstanceState::running: return "running";
    case InstanceState::completed: return "completed";
    case InstanceState::rejected: return "rejected";
    case InstanceState::withdrawn: return "withdrawn";
    case InstanceState::revoked: return "revoked";
  }
  return "?";
}

const char* to_string(Action a) {
  switch (a) {
    case Action::start: return "start";
    case Action::submit: return "submit";
    case Action::accept: return "accept";
    case Action::approve: return "approve";
    case Action::return_: return "return";
    case Action::resubmit: return "resubmit";
    case Action::reject: return "reject";
    case Action::commit: return "commit";
    case Action::supply: return "supply";
    case Action::withdraw: return "withdraw";
    case Action::verify: return "verify";
    case Action::verify_failed: return "verify-failed";
    case Action::contact: return "contact";
    case Action::exclude: return "exclude";
    case Action::resume: return "resume";
    case Action::timer: return "timer";
    case Action::extend: return "extend";
    case Action::rectified: return "rectified";
    case Action::revoke: return "revoke";
    case Action::confirm: return "confirm";
  }
  return "?";
}

const char* to_string(TimerKind t) {
  switch (t) {
    case TimerKind::none: return "none";
    case TimerKind::warn: return "warn";
    case TimerKind::overdue: return "overdue";
    case TimerKind::acceptance_due: return "acceptance-due";
    case TimerKind::deferred_due: return "deferred-due";
    case TimerKind::grace_due: return "grace-due";
    case TimerKind::verify_due: return "verify-due";
    case TimerKind::contact_due: return "contact-due";
    case TimerKind::exclusion_end: return "exclusion-end";
    case TimerKind::project_warn: return "project-warn";
    case TimerKind::project_overdue: return "project-overdue";
    case TimerKind::statutory_due: return "statutory-due";
    case TimerKind::rectify_due: return "rectify-due";
  }
  return "?";
}

std::optional<Action> parse_action(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(Action::confirm); ++i) {
    auto a = static_cast<Action>(i);
    if (a == Action::start || a == Action::timer) continue;
    if (name == to_string(a)) return a;
  }
  if (name == "verify_failed") return Action::verify_failed;
  return std::nullopt;
}

std::optional<InstanceState> parse_instance_state(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(InstanceState::revoked); ++i)
    if (name == to_string(static_cast<InstanceState>(i))) return static_cast<InstanceState>(i);
  return std::nullopt;
}

std::optional<StepState> parse_step_state(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(StepState::stopped); ++i)
    if (name == to_string(static_cast<StepState>(i))) return static_cast<StepState>(i);
  return std::nullopt;
}

const char* to_string(ExclusionGround g) {
  switch (g) {
    case ExclusionGround::none: return "none";
    case ExclusionGround::hearing: return "hearing";
    case ExclusionGround::tendering: return "tendering";
    case ExclusionGround::auction: return "auction";
    case ExclusionGround::inspection: return "inspection";
    case ExclusionGround::testing: return "testing";
    case ExclusionGround::quarantine: return "quarantine";
    case ExclusionGround::appraisal: return "appraisal";
    case ExclusionGround::expert_review: return "expert_review";
    case ExclusionGround::declared: return "declared";
  }
  return "?";
}

const char* describe(ExclusionGround g) {
  switch (g) {
    case ExclusionGround::none: return "";
    case ExclusionGround::hearing: return "听证";
    case ExclusionGround::tendering: return "招标";
    case ExclusionGround::auction: return "拍卖";
    case ExclusionGround::inspection: return "检验";
    case ExclusionGround::testing: return "检测";
    case ExclusionGround::quarantine: return "检疫";
    case ExclusionGround::appraisal: return "鉴定";
    case ExclusionGround::expert_review: return "专家评审";
    case ExclusionGround::declared: return "declared";
  }
  return "?";
}

std::optional<ExclusionGround> parse_ground(std::string_view name) {
  for (int i = 1; i < static_cast<int>(ExclusionGround::declared); ++i) {
    const auto g = static_cast<ExclusionGround>(i);
    if (name == to_string(g)) return g;
  }
  if (name == "expert-review") return ExclusionGround::expert_review;
  return std::nullopt;
}

}  // namespace jointreview
